/*
 * virtio_console.c - the virtio console (virtio 1.x, 5.3): the event stream.
 *
 * One port, no multiport: we offer no device features besides VERSION_1,
 * so the device is a plain console whose port 0 uses queue 0 (receive) and
 * queue 1 (transmit). The kernel writes JSON Lines (lib/json.c) to it; the
 * host reads them. Host -> kernel input is read and ignored for now (a later
 * issue adds commands): one receive buffer is kept posted, and the device's
 * interrupt counts what arrived and posts the buffer again.
 * Each line goes out as one device-readable descriptor and waits for the
 * device to consume it (virtq_call, interrupt driven, bounded timeout).
 *
 * QEMU 7.2 has no single-port virtio-console device of its own; the console
 * is the virtio-serial device with a virtconsole port on it, which becomes
 * port 0 and works as a plain console when MULTIPORT is not negotiated:
 *   -global virtio-mmio.force-legacy=false
 *   -device virtio-serial-device -chardev file,id=ev,path=events.jsonl
 *   -device virtconsole,chardev=ev
 */
#include "../defs.h"

#define VIRTIO_ID_CONSOLE 3
#define MAX_LINE 16384   /* a registry event carries the whole registry */

static const struct virtio_dev *dev;
static struct virtq rxq, txq;
static char *txbuf;
static int state;               /* 0 none, 1 running, -errno failed */
static uint64_t lines, bytes;
static volatile uint64_t rx_bytes;
static uint8_t *rxbuf;

#define RX_SIZE 256

static void post_rx(void)
{
    struct virtq_buf b = { rxbuf, RX_SIZE, true };
    virtq_post(&rxq, &b, 1);
}

/* IRQ context: count received bytes (ignored for now) and re-post the buffer. */
static void console_irq(void)
{
    uint32_t n;
    if (rxbuf && virtq_reap(&rxq, &n)) {
        rx_bytes += n;
        post_rx();
    }
}

void console_init(void)
{
    dev = virtio_find(VIRTIO_ID_CONSOLE, 0);
    if (!dev)
        return;
    uint64_t accepted;
    int r = virtio_start(dev, 0, &accepted);
    if (r == 0 && (!(txbuf = kmalloc(MAX_LINE + 1)) || !(rxbuf = kmalloc(RX_SIZE))))
        r = -12;
    if (r == 0)
        r = virtq_init(dev, 0, &rxq, 4);
    if (r == 0)
        r = virtq_init(dev, 1, &txq, 4);
    if (r) {
        virtio_fail(dev);
        printf("sis: warning: virtio console (slot %d) did not start: error %d\n", dev->slot, r);
        state = r;
        return;
    }
    virtio_driver_ok(dev);
    virtio_on_irq(dev, console_irq);
    post_rx();
    state = 1;
}

bool console_present(void)
{
    return state == 1;
}

int console_write_line(const char *text)
{
    if (state != 1)
        return -19;
    size_t n = strlen(text);
    if (n > MAX_LINE)
        return -22;
    memcpy(txbuf, text, n);
    txbuf[n] = '\n';
    struct virtq_buf b = { txbuf, (uint32_t)n + 1, false };
    int r = virtq_call(&txq, &b, 1, NULL);
    if (r == -110)
        state = r;      /* the device still owns the buffer: stop using it */
    if (r)
        return r;
    lines++;
    bytes += n + 1;
    return 0;
}

void console_stats(uint64_t *nlines, uint64_t *nbytes, uint64_t *nreceived)
{
    *nlines = lines;
    *nbytes = bytes;
    *nreceived = rx_bytes;
}

/*
 * virtio_mmio.c - virtio-mmio transports: find what is plugged in.
 *
 * QEMU virt has 32 transports of 0x200 bytes at 0x0a000000 (INTID 48 + n),
 * each described by a "virtio,mmio" DTB node; most are empty (DeviceID 0).
 * virtio_probe() reads every transport's identification registers
 * (virtio 1.x spec, 4.2.2: MagicValue "virt", Version, DeviceID, VendorID)
 * and its 64 device feature bits, and keeps one record per transport that
 * has a device, highest transport address first: QEMU assigns -device
 * options to transports from the top slot down, so this order is the
 * command line's (the first virtio-blk -device is blk0). Probing only reads.
 * Device drivers (virtio_blk.c, virtio_console.c) start from these records
 * and use the transport calls below: virtio_start() (reset, ACKNOWLEDGE,
 * DRIVER, feature negotiation, FEATURES_OK), virtq_init() (one split
 * virtqueue in heap memory; the first queue of a device also hooks the
 * transport's interrupt, GIC SPI from the DTB, INTID 48 + n on QEMU),
 * virtio_driver_ok(), and virtq_call(), which posts one descriptor chain,
 * notifies the device and sleeps in WFI until the used ring advances: the
 * device's used-buffer interrupt wakes us (the handler acknowledges
 * InterruptStatus), and the 100 Hz timer tick bounds each sleep, so a
 * device that never answers is given up after REQUEST_TIMEOUT_S with a
 * printed error and -ETIMEDOUT (the caller then stops using the device).
 * The kernel is single-threaded: one request in flight per queue. A
 * transport without an interrupt in the DTB is polled instead.
 * We speak the modern interface (Version 2). QEMU 7.2 defaults to legacy (Version 1)
 * transports unless given -global virtio-mmio.force-legacy=false; those are
 * listed but marked unsupported. A disk for testing:
 *   -global virtio-mmio.force-legacy=false
 *   -drive if=none,file=disk.img,format=raw,id=d0 -device virtio-blk-device,drive=d0
 */
#include "../defs.h"
#include "../arch/cpu.h"

#define MAGIC_VALUE 0x000
#define VERSION     0x004
#define DEVICE_ID   0x008
#define VENDOR_ID   0x00c
#define DEV_FEATURES     0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES     0x020
#define DRV_FEATURES_SEL 0x024
#define QUEUE_SEL        0x030
#define QUEUE_NUM_MAX    0x034
#define QUEUE_NUM        0x038
#define QUEUE_READY      0x044
#define QUEUE_NOTIFY     0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK    0x064
#define STATUS           0x070
#define QUEUE_DESC_LOW   0x080
#define QUEUE_DESC_HIGH  0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG_GEN  0x0fc
#define CONFIG      0x100

#define VIRTIO_MAGIC 0x74726976u    /* "virt", little-endian */

#define S_ACKNOWLEDGE 1u
#define S_DRIVER      2u
#define S_DRIVER_OK   4u
#define S_FEATURES_OK 8u
#define S_FAILED      128u

#define EIO 5
#define ENOMEM 12
#define ENODEV 19
#define ETIMEDOUT 110

#define REQUEST_TIMEOUT_S 10

static struct virtio_dev devs[FDT_MAX_DEVICES];
static int ndevs, ntransports;
static volatile uint64_t irq_count[FDT_MAX_DEVICES];   /* per devs[] entry */
static bool irq_hooked[FDT_MAX_DEVICES];
static void (*irq_hook[FDT_MAX_DEVICES])(void);

/* A transport's interrupt: acknowledge what it reports; the waiter in
 * virtq_call() looks at the used ring itself. */
static void virtio_irq(void *arg)
{
    struct virtio_dev *d = arg;
    uint32_t st = mmio_read32(d->addr + INTERRUPT_STATUS);
    mmio_write32(d->addr + INTERRUPT_ACK, st);
    irq_count[d - devs]++;
    if (irq_hook[d - devs])
        irq_hook[d - devs]();
}

/* A driver's own work in the device's interrupt (IRQ context: short, no printing). */
void virtio_on_irq(const struct virtio_dev *d, void (*fn)(void))
{
    irq_hook[d - devs] = fn;
}

uint64_t virtio_irqs(const struct virtio_dev *d)
{
    return irq_count[d - devs];
}

const char *virtio_device_name(uint32_t id)
{
    switch (id) {
    case 1: return "network";
    case 2: return "block";
    case 3: return "console";
    case 4: return "entropy";
    case 5: return "balloon";
    case 8: return "scsi";
    case 9: return "9p";
    case 16: return "gpu";
    case 18: return "input";
    case 19: return "vsock";
    case 26: return "fs";
    default: return "unknown";
    }
}

/* A 64-bit config field, read until the config generation is stable. */
uint64_t virtio_config64(const struct virtio_dev *d, uint32_t off)
{
    uint32_t gen, lo, hi;
    do {
        gen = mmio_read32(d->addr + CONFIG_GEN);
        lo = mmio_read32(d->addr + CONFIG + off);
        hi = mmio_read32(d->addr + CONFIG + off + 4);
    } while (gen != mmio_read32(d->addr + CONFIG_GEN));
    return (uint64_t)hi << 32 | lo;
}

uint32_t virtio_config32(const struct virtio_dev *d, uint32_t off)
{
    return mmio_read32(d->addr + CONFIG + off);
}

void virtio_probe(void)
{
    ndevs = ntransports = 0;
    uint64_t first = UINT64_MAX;    /* slot numbers count from the lowest transport */
    for (int i = 0; i < machine.ndev; i++)
        if (machine.dev[i].kind == DEV_VIRTIO && machine.dev[i].addr < first)
            first = machine.dev[i].addr;
    for (int i = 0; i < machine.ndev; i++) {
        const struct fdt_device *f = &machine.dev[i];
        if (f->kind != DEV_VIRTIO || f->size < 0x200)
            continue;
        ntransports++;
        if (mmio_read32(f->addr + MAGIC_VALUE) != VIRTIO_MAGIC)
            continue;
        uint32_t id = mmio_read32(f->addr + DEVICE_ID);
        if (id == 0)
            continue;   /* an empty slot */
        struct virtio_dev *d = &devs[ndevs++];
        d->addr = f->addr;
        d->irq = f->irq;
        d->slot = (int)((f->addr - first) / 0x200);
        d->version = mmio_read32(f->addr + VERSION);
        d->device_id = id;
        d->vendor_id = mmio_read32(f->addr + VENDOR_ID);
        mmio_write32(f->addr + DEV_FEATURES_SEL, 1);
        uint64_t hi = mmio_read32(f->addr + DEV_FEATURES);
        mmio_write32(f->addr + DEV_FEATURES_SEL, 0);
        d->features = hi << 32 | mmio_read32(f->addr + DEV_FEATURES);
    }
    /* Highest transport first: QEMU fills slots from the top in -device order. */
    for (int i = 1; i < ndevs; i++)
        for (int j = i; j > 0 && devs[j - 1].addr < devs[j].addr; j--) {
            struct virtio_dev t = devs[j];
            devs[j] = devs[j - 1];
            devs[j - 1] = t;
        }
}

int virtio_count(void)
{
    return ndevs;
}

const struct virtio_dev *virtio_get(int i)
{
    return i >= 0 && i < ndevs ? &devs[i] : NULL;
}

const struct virtio_dev *virtio_find(uint32_t device_id, int nth)
{
    for (int i = 0; i < ndevs; i++)
        if (devs[i].device_id == device_id && devs[i].version == 2 && nth-- == 0)
            return &devs[i];
    return NULL;
}

static void set_status(const struct virtio_dev *d, uint32_t bits)
{
    mmio_write32(d->addr + STATUS, mmio_read32(d->addr + STATUS) | bits);
}

int virtio_start(const struct virtio_dev *d, uint64_t wanted, uint64_t *accepted)
{
    if (d->version != 2)
        return -ENODEV;
    mmio_write32(d->addr + STATUS, 0);          /* reset */
    while (mmio_read32(d->addr + STATUS) != 0)
        ;
    set_status(d, S_ACKNOWLEDGE);
    set_status(d, S_DRIVER);
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        mmio_write32(d->addr + DEV_FEATURES_SEL, sel);
        offered |= (uint64_t)mmio_read32(d->addr + DEV_FEATURES) << (32 * sel);
    }
    uint64_t take = offered & (wanted | VIRTIO_F_VERSION_1);
    if (!(take & VIRTIO_F_VERSION_1)) {
        set_status(d, S_FAILED);
        return -ENODEV;
    }
    for (uint32_t sel = 0; sel < 2; sel++) {
        mmio_write32(d->addr + DRV_FEATURES_SEL, sel);
        mmio_write32(d->addr + DRV_FEATURES, (uint32_t)(take >> (32 * sel)));
    }
    set_status(d, S_FEATURES_OK);
    if (!(mmio_read32(d->addr + STATUS) & S_FEATURES_OK)) {
        set_status(d, S_FAILED);
        return -EIO;
    }
    *accepted = take;
    return 0;
}

void virtio_driver_ok(const struct virtio_dev *d)
{
    set_status(d, S_DRIVER_OK);
}

void virtio_fail(const struct virtio_dev *d)
{
    set_status(d, S_FAILED);
}

int virtq_init(const struct virtio_dev *d, uint32_t index, struct virtq *q, uint16_t size)
{
    mmio_write32(d->addr + QUEUE_SEL, index);
    if (mmio_read32(d->addr + QUEUE_READY))
        return -EIO;
    uint32_t max = mmio_read32(d->addr + QUEUE_NUM_MAX);
    if (max == 0)
        return -ENODEV;
    if (size > max)
        size = (uint16_t)max;
    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    q->size = size;
    q->desc = kcalloc(size, sizeof(struct virtq_desc));
    q->avail = kcalloc(1, 6 + 2u * size);
    q->used = kcalloc(1, 6 + 8u * size);
    if (!q->desc || !q->avail || !q->used) {
        kfree(q->desc);
        kfree((void *)q->avail);
        kfree((void *)q->used);
        return -ENOMEM;
    }
    uint64_t desc = (uintptr_t)q->desc, avail = (uintptr_t)q->avail, used = (uintptr_t)q->used;
    mmio_write32(d->addr + QUEUE_NUM, size);
    mmio_write32(d->addr + QUEUE_DESC_LOW, (uint32_t)desc);
    mmio_write32(d->addr + QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    mmio_write32(d->addr + QUEUE_DRIVER_LOW, (uint32_t)avail);
    mmio_write32(d->addr + QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    mmio_write32(d->addr + QUEUE_DEVICE_LOW, (uint32_t)used);
    mmio_write32(d->addr + QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    mmio_write32(d->addr + QUEUE_READY, 1);
    int i = (int)(d - devs);
    if (d->irq >= 0 && !irq_hooked[i]) {
        irq_register_arg((uint32_t)d->irq, virtio_irq, &devs[i]);
        gic_enable((uint32_t)d->irq);
        irq_hooked[i] = true;
    }
    return 0;
}

/* Post one descriptor chain (descriptors 0..n-1: one chain in flight per queue) and notify. */
int virtq_post(struct virtq *q, const struct virtq_buf *bufs, int n)
{
    if (n <= 0 || n > q->size)
        return -EIO;
    for (int i = 0; i < n; i++) {
        q->desc[i].addr = (uintptr_t)bufs[i].addr;
        q->desc[i].len = bufs[i].len;
        q->desc[i].flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                      (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0));
        q->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
    }
    uint16_t idx = q->avail->idx;
    q->avail->ring[idx % q->size] = 0;          /* the chain starts at descriptor 0 */
    dsb_sy();                                   /* descriptors before the index */
    q->avail->idx = (uint16_t)(idx + 1);
    dsb_sy();                                   /* the index before the notify */
    mmio_write32(q->dev->addr + QUEUE_NOTIFY, q->index);
    return 0;
}

/* Take the next used element if the device returned one: true, and the bytes it wrote. */
bool virtq_reap(struct virtq *q, uint32_t *written)
{
    if (q->used->idx == q->last_used)
        return false;
    dsb_sy();
    const volatile struct virtq_used_elem *e = &q->used->ring[q->last_used % q->size];
    if (written)
        *written = e->len;
    q->last_used++;
    return true;
}

int virtq_call(struct virtq *q, const struct virtq_buf *bufs, int n, uint32_t *written)
{
    int r = virtq_post(q, bufs, n);
    if (r)
        return r;
    uint64_t deadline = timer_counter() + REQUEST_TIMEOUT_S * timer_freq();
    bool irq = irq_hooked[q->dev - devs];
    while (!virtq_reap(q, written)) {
        if (timer_counter() > deadline) {
            printf("sis: virtio slot %d (%s) queue %u: no answer after %d s, device given up\n",
                   q->dev->slot, virtio_device_name(q->dev->device_id), q->index, REQUEST_TIMEOUT_S);
            return -ETIMEDOUT;
        }
        if (irq) {
            /* Masked check-then-WFI: an interrupt arriving in between still wakes us. */
            irq_disable();
            if (q->used->idx == q->last_used)
                cpu_idle_wfi();
            irq_enable();
        }
    }
    if (!irq)
        mmio_write32(q->dev->addr + INTERRUPT_ACK, mmio_read32(q->dev->addr + INTERRUPT_STATUS));
    return 0;
}

int cmd_virtio(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        printf("usage: virtio\n");
        return 1;
    }
    printf("virtio: %d transports, %d with a device\n", ntransports, ndevs);
    for (int i = 0; i < ndevs; i++) {
        const struct virtio_dev *d = &devs[i];
        printf("slot %-2d 0x%08lx irq %d: %s (id %u), vendor 0x%08x", d->slot,
               (unsigned long)d->addr, d->irq, virtio_device_name(d->device_id), d->device_id,
               d->vendor_id);
        if (d->version != 2) {
            printf(", version %u (legacy): not supported, use "
                   "-global virtio-mmio.force-legacy=false\n", d->version);
            continue;
        }
        printf(", features 0x%016lx, interrupts %lu\n", (unsigned long)d->features,
               (unsigned long)irq_count[i]);
        if (d->device_id == 3 && d == virtio_find(3, 0) && console_present()) {
            uint64_t nl, nb, nr;
            console_stats(&nl, &nb, &nr);
            printf("  event console: %lu lines (%lu bytes) sent, %lu bytes received (ignored)\n",
                   (unsigned long)nl, (unsigned long)nb, (unsigned long)nr);
        }
        if (d->device_id == 2) {
            uint64_t sectors = virtio_config64(d, 0);
            printf("  capacity %lu sectors of 512 bytes (%lu KiB)\n", (unsigned long)sectors,
                   (unsigned long)(sectors / 2));
        }
    }
    return 0;
}

/*
 * pl011.c - ARM PrimeCell PL011 UART: UART0 carries the human shell.
 *
 * QEMU: the first -serial (with -nographic, stdio). Transmit is polled (the
 * FIFO drains at host speed); receive is interrupt driven: the RX and
 * RX-timeout interrupts move bytes from the hardware FIFO into a 256-byte
 * ring, and uart_getc() sleeps in WFI until the ring has something. The
 * ring is single-producer (IRQ) / single-consumer (shell) and the consumer
 * checks it with IRQs masked, so a byte arriving between the check and the
 * WFI still wakes us (WFI wakes on a pending IRQ even while masked).
 * Before the GIC is up, uart_getc() polls the FIFO directly.
 * The FIFOs stay off (character mode: one receive holding register, one
 * interrupt per byte). Switching them on flushes the receive side, which
 * loses bytes typed before boot; with them off, QEMU (and our emulator)
 * hold further input back until the holding register is read, so nothing
 * typed early is lost. The ring does the buffering instead.
 */
#include "../defs.h"
#include "../arch/cpu.h"

#define DR    0x00
#define FR    0x18
#define IBRD  0x24
#define FBRD  0x28
#define LCRH  0x2c
#define CR    0x30
#define IMSC  0x38
#define ICR   0x44

#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define INT_RX  (1u << 4)
#define INT_RT  (1u << 6)

static uint64_t base;
static bool rx_irq;
static volatile uint8_t ring[256];
static volatile uint32_t head, tail;   /* head: next write (IRQ), tail: next read */
static uint32_t lost_rx;

static void drain_rx(void)
{
    while (!(mmio_read32(base + FR) & FR_RXFE)) {
        uint8_t c = (uint8_t)mmio_read32(base + DR);
        if (head - tail < sizeof(ring)) {   /* full ring: drop the byte */
            ring[head % sizeof(ring)] = c;
            head++;
        }
    }
}

void uart_init(uint64_t b)
{
    base = b;
    drain_rx();     /* a byte typed before boot */
    mmio_write32(base + CR, 0);
    mmio_write32(base + ICR, 0x7ff);
    mmio_write32(base + IBRD, 13);          /* 115200 baud at 24 MHz (QEMU ignores it) */
    mmio_write32(base + FBRD, 1);
    mmio_write32(base + LCRH, 3u << 5);     /* 8N1, FIFOs off (see above) */
    mmio_write32(base + IMSC, 0);
    mmio_write32(base + CR, 1u << 0 | 1u << 8 | 1u << 9);  /* UARTEN, TXE, RXE */
}

/*
 * Clear first, then drain: a byte that lands after the last FR check raises
 * the interrupt again. (Clearing after the drain could wipe that byte's
 * interrupt, and the byte would sit in the holding register for good.)
 */
static void uart_rx_irq(void)
{
    mmio_write32(base + ICR, INT_RX | INT_RT);
    drain_rx();
}

void uart_enable_rx_irq(uint32_t intid)
{
    irq_register(intid, uart_rx_irq);
    mmio_write32(base + IMSC, INT_RX | INT_RT);
    gic_enable(intid);
    rx_irq = true;
}

void uart_putc(char c)
{
    if (!base)
        return;
    if (c == '\n')
        uart_putc('\r');
    while (mmio_read32(base + FR) & FR_TXFF)
        ;
    mmio_write32(base + DR, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

bool uart_ready(void)
{
    if (rx_irq || head != tail)
        return head != tail;
    return !(mmio_read32(base + FR) & FR_RXFE);
}

int uart_getc(void)
{
    if (!rx_irq) {
        if (head != tail)
            return ring[tail++ % sizeof(ring)];
        while (mmio_read32(base + FR) & FR_RXFE)
            ;
        return (uint8_t)mmio_read32(base + DR);
    }
    for (;;) {
        if (head == tail)
            auto_idle();        /* the decision loop runs while the shell waits */
        irq_disable();
        if (head == tail && !(mmio_read32(base + FR) & FR_RXFE))
            lost_rx++, drain_rx();  /* a byte whose interrupt we never saw */
        if (head != tail) {
            uint8_t c = ring[tail % sizeof(ring)];
            tail++;
            irq_enable();
            return c;
        }
        cpu_idle_wfi();
        irq_enable();
        isb();
    }
}

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
 *
 * Flow control: no received byte is ever dropped. When the ring is full the
 * driver stops reading the UART and masks its RX/RX-timeout interrupts
 * (IMSC); the byte stays in the holding register, and a sender that finds
 * the UART full waits (QEMU's chardev stops reading stdin, our emulator
 * keeps the bytes in its host queue, a real line would use RTS/CTS). Once
 * the shell has consumed half the ring, uart_getc() unmasks again.
 *
 * Interrupt edges: the PL011's interrupt line is RIS & IMSC, recomputed on
 * every register access. In character mode RXRIS is raised when a byte
 * enters the empty holding register and cleared when that byte is read or
 * when ICR clears it - it is not re-raised for a byte that is still there.
 * So clearing RX with ICR while a byte may be waiting loses that byte's
 * interrupt for good (and QEMU sends nothing more until it is read). The
 * driver therefore never clears RX/RT by ICR after looking at the FIFO:
 * reading DR clears them, masking in IMSC silences them, and uart_init()
 * clears stale interrupts first and drains after, so a byte that arrives
 * at any point leaves RXRIS set for the handler.
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

#define RING 256u

static uint64_t base;
static bool rx_irq;         /* the RX interrupt is registered (GIC up) */
static bool rx_paused;      /* ring was full: RX/RT masked until the shell catches up */
static volatile uint8_t ring[RING];
static volatile uint32_t head, tail;   /* head: next write (IRQ), tail: next read */
static uint32_t lost_rx;

/*
 * Move bytes from the holding register into the ring while it has room.
 * A full ring pauses reception: the byte stays in the UART (RXRIS stays
 * set, since nothing read or cleared it) and RX/RT are masked, so the line
 * is quiet until uart_getc() unmasks it and the interrupt fires again.
 */
static void drain_rx(void)
{
    while (head - tail < RING && !(mmio_read32(base + FR) & FR_RXFE)) {
        ring[head % RING] = (uint8_t)mmio_read32(base + DR);
        head++;
    }
    if (head - tail == RING && !rx_paused) {
        rx_paused = true;
        mmio_write32(base + IMSC, 0);
    }
}

void uart_init(uint64_t b)
{
    base = b;
    mmio_write32(base + IMSC, 0);           /* line low, whatever RIS says */
    mmio_write32(base + CR, 0);
    mmio_write32(base + IBRD, 13);          /* 115200 baud at 24 MHz (QEMU ignores it) */
    mmio_write32(base + FBRD, 1);
    mmio_write32(base + LCRH, 3u << 5);     /* 8N1, FIFOs off (see above) */
    mmio_write32(base + CR, 1u << 0 | 1u << 8 | 1u << 9);  /* UARTEN, TXE, RXE */
    /*
     * Clear what an earlier owner left pending, then drain: a byte already
     * waiting is read here, and a byte that lands after the ICR write raises
     * RXRIS again, which uart_enable_rx_irq() then sees. (Drain first, clear
     * after, and a byte landing in between would sit in the holding register
     * with its interrupt wiped: the stall issue 7 found on QEMU.)
     */
    mmio_write32(base + ICR, 0x7ff);
    drain_rx();
}

/* RX / RX timeout: reading DR clears both, so no ICR write (see above). */
static void uart_rx_irq(void)
{
    drain_rx();
}

void uart_enable_rx_irq(uint32_t intid)
{
    irq_register(intid, uart_rx_irq);
    if (!rx_paused)
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

/* The consumer side of the flow control: unmask once half the ring is free. */
static void rx_resume(void)
{
    if (rx_paused && head - tail <= RING / 2) {
        rx_paused = false;
        if (rx_irq)
            mmio_write32(base + IMSC, INT_RX | INT_RT);
    }
}

int uart_getc(void)
{
    if (!rx_irq) {
        if (head != tail) {
            uint8_t c = ring[tail++ % RING];
            rx_resume();
            return c;
        }
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
            uint8_t c = ring[tail % RING];
            tail++;
            rx_resume();
            irq_enable();
            return c;
        }
        cpu_idle_wfi();
        irq_enable();
        isb();
    }
}

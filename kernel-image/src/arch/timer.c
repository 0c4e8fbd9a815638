/*
 * timer.c - the ARM generic timer, virtual view: uptime and a periodic tick.
 *
 * CNTVCT_EL0 counts at CNTFRQ_EL0 (62.5 MHz on QEMU 7.2 and our emulator)
 * from machine start (CNTVOFF is 0), so uptime needs no interrupt at all.
 * The virtual timer (DTB "arm,armv8-timer", third interrupt = PPI 11 =
 * INTID 27) fires TIMER_HZ times a second; each tick moves the compare value
 * forward by exactly one period, so ticks do not drift with IRQ latency.
 */
#include "../defs.h"
#include "cpu.h"

static uint64_t period, next_deadline;
static volatile uint64_t ticks, late;
static uint64_t idle;

/*
 * A tick is late when its interrupt is taken more than a tenth of a period
 * after its deadline (interrupts were masked, or the host stalled us); the
 * periods skipped over count as late ticks too.
 */
static void timer_tick(void)
{
    ticks++;
    uint64_t now = read_sysreg(cntvct_el0);
    if (now > next_deadline && now - next_deadline > period / 10)
        late += 1 + (now - next_deadline) / period;
    next_deadline += period;
    if (next_deadline <= now)       /* missed ticks (e.g. a paused VM): skip ahead */
        next_deadline = now + period;
    write_sysreg(cntv_cval_el0, next_deadline);
}

void timer_init(uint32_t intid)
{
    period = timer_freq() / TIMER_HZ;
    next_deadline = read_sysreg(cntvct_el0) + period;
    write_sysreg(cntv_cval_el0, next_deadline);
    write_sysreg(cntv_ctl_el0, 1);  /* ENABLE, not masked */
    isb();
    irq_register(intid, timer_tick);
    gic_enable(intid);
}

void timer_stop(void)
{
    write_sysreg(cntv_ctl_el0, 2);  /* disabled and masked */
    isb();
}

uint64_t timer_counter(void)
{
    isb();
    return read_sysreg(cntvct_el0);
}

uint64_t timer_freq(void)
{
    uint64_t f = read_sysreg(cntfrq_el0) & 0xffffffff;
    return f ? f : 62500000;
}

uint64_t timer_us(void)
{
    uint64_t c = timer_counter(), f = timer_freq();
    return c / f * 1000000 + c % f * 1000000 / f;
}

uint64_t timer_ticks(void)
{
    return ticks;
}

uint64_t timer_late_ticks(void)
{
    return late;
}

/* WFI with IRQs masked by the caller; the time asleep counts as idle. */
void cpu_idle_wfi(void)
{
    uint64_t t0 = read_sysreg(cntvct_el0);
    wfi();
    isb();
    idle += read_sysreg(cntvct_el0) - t0;
}

uint64_t cpu_idle_ns(void)
{
    return idle * 1000000000ull / timer_freq();
}

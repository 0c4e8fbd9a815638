/*
 * pl031.c - ARM PrimeCell PL031 real-time clock: the wall clock.
 *
 * QEMU virt always has one at 0x09010000 (IRQ 34, unused here); it starts at
 * the host's UTC time (-rtc base=... changes that). The data register (DR)
 * counts seconds since 1970-01-01 UTC. The date is turned into ISO 8601
 * with the days-to-civil algorithm for the proleptic Gregorian calendar.
 */
#include "../defs.h"
#include "../arch/cpu.h"

#define RTC_DR 0x00
#define RTC_CR 0x0c

static uint64_t base;

void rtc_init(uint64_t b)
{
    base = b;
    mmio_write32(base + RTC_CR, 1);     /* start the counter (already running on QEMU) */
}

bool rtc_present(void)
{
    return base != 0;
}

uint64_t rtc_seconds(void)
{
    return base ? mmio_read32(base + RTC_DR) : 0;
}

void rtc_format_iso8601(uint64_t secs, char *buf, size_t n)
{
    int64_t days = (int64_t)(secs / 86400);
    uint32_t rem = (uint32_t)(secs % 86400);
    /* Shift the epoch to 0000-03-01 so leap days fall at the end of an era year. */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    uint32_t doe = (uint32_t)(z - era * 146097);
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t year = (int64_t)yoe + era * 400;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint32_t mp = (5 * doy + 2) / 153;
    uint32_t day = doy - (153 * mp + 2) / 5 + 1;
    uint32_t month = mp < 10 ? mp + 3 : mp - 9;
    if (month <= 2)
        year++;
    snprintf(buf, n, "%04ld-%02u-%02uT%02u:%02u:%02uZ", (long)year, month, day,
             rem / 3600, rem / 60 % 60, rem % 60);
}

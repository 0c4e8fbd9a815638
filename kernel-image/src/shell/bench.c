/*
 * bench.c - the `bench` command: three small loops timed in guest time.
 *
 * Each line has a fixed, parseable form (scripts/bench.ts reads it):
 *   bench: int N iters T us check 0xC
 *   bench: mem N iters T us check 0xC
 *   bench: fp N iters T us check 0xC
 * T comes from the generic timer (CNTVCT), so it is the guest's own view
 * of time. The check value depends only on N: the same kernel must print
 * the same checks on QEMU and in our emulator, which makes bench a cheap
 * correctness test of integer, load/store and IEEE double arithmetic too.
 */
#include "../defs.h"

#define MEM_WORDS (256 * 1024 / 8)      /* 256 KiB working set */

static uint64_t bench_int(uint64_t n)
{
    uint64_t x = 0x5157, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc ^= (x >> 29) + (acc << 7 | acc >> 57);
        acc += (uint32_t)x / ((uint32_t)(x >> 40) | 1);
    }
    return acc;
}

static uint64_t bench_mem(uint64_t n, uint64_t *buf)
{
    memset(buf, 0, MEM_WORDS * 8);
    uint64_t idx = 0, sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        idx = (idx * 5 + 1) & (MEM_WORDS - 1);  /* full-period walk */
        buf[idx] += i ^ sum;
        sum += buf[(idx + 17) & (MEM_WORDS - 1)];
    }
    return sum;
}

static uint64_t bench_fp(uint64_t n)
{
    double x = 0.5, y = 1.0, z = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 1.0000001 + 0.25 / y;
        y = y + x / (1.0 + (double)(i & 1023));
        if (y > 1e6)
            y = y * 1e-6;
        z += x * 1e-9 - y * 1e-12;
    }
    double r = x + y + z;
    uint64_t bits;
    memcpy(&bits, &r, sizeof(bits));
    return bits;
}

static void report(const char *name, uint64_t n, uint64_t t0, uint64_t check)
{
    uint64_t us = timer_us() - t0;
    printf("bench: %s %lu iters %lu us check 0x%016lx\n", name, (unsigned long)n,
           (unsigned long)us, (unsigned long)check);
}

int cmd_bench(int argc, char **argv)
{
    uint64_t n = 200000;
    if (argc > 2 || (argc == 2 && (parse_u64(argv[1], &n) || n == 0 || n > 1000000000))) {
        printf("usage: bench [iterations]  (1 to 1000000000, default 200000)\n");
        return 1;
    }
    uint64_t *buf = kmalloc(MEM_WORDS * 8);
    if (!buf) {
        printf("sis: bench: out of memory for the %u KiB buffer\n", MEM_WORDS * 8 / 1024);
        return 1;
    }
    uint64_t t0 = timer_us();
    uint64_t c = bench_int(n);
    report("int", n, t0, c);
    t0 = timer_us();
    c = bench_mem(n, buf);
    report("mem", n, t0, c);
    t0 = timer_us();
    c = bench_fp(n);
    report("fp", n, t0, c);
    kfree(buf);
    return 0;
}

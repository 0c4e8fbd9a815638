/*
 * selftest.c - in-kernel self tests, run by the `selftest` shell command.
 *
 * One table of {fn, "name"}; each test returns the number of failed checks
 * and prints a line per failure ("selftest: FAIL name: what"), so a host
 * test that runs `selftest` sees exactly which check broke. Expected values
 * come from C99 printf semantics and, for dates, from Python's datetime.
 */
#include "../defs.h"

static int failures;

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            printf("selftest: FAIL %s: %s\n", cur, what); \
            failures++; \
        } \
    } while (0)

static const char *cur;

static void expect_fmt(const char *want, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void expect_fmt(const char *want, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (strcmp(buf, want) != 0 || n != (int)strlen(want)) {
        printf("selftest: FAIL %s: format \"%s\" gave \"%s\", want \"%s\"\n", cur, fmt, buf, want);
        failures++;
    }
}

static void test_printf(void)
{
    expect_fmt("42", "%d", 42);
    expect_fmt("-42", "%d", -42);
    expect_fmt("-2147483648", "%d", (int)0x80000000);
    expect_fmt("4294967295", "%u", 0xffffffffu);
    expect_fmt("18446744073709551615", "%lu", ~0ul);
    expect_fmt("-9223372036854775808", "%ld", (long)(1ull << 63));
    expect_fmt("ff", "%x", 255);
    expect_fmt("FF", "%X", 255);
    expect_fmt("00ff", "%04x", 255);
    expect_fmt("deadbeefcafe", "%lx", 0xdeadbeefcafeul);
    expect_fmt("0000deadbeefcafe", "%016llx", 0xdeadbeefcafeull);
    expect_fmt("  7", "%3d", 7);
    expect_fmt("7  |", "%-3d|", 7);
    expect_fmt("-07", "%03d", -7);
    expect_fmt("abc", "%s", "abc");
    expect_fmt("  abc", "%5s", "abc");
    expect_fmt("abc  |", "%-5s|", "abc");
    expect_fmt("ab", "%.2s", "abc");
    expect_fmt("x", "%c", 'x');
    expect_fmt("100%", "%d%%", 100);
    expect_fmt("0x40080000", "%p", (void *)0x40080000);
    expect_fmt("123", "%zu", (size_t)123);
    expect_fmt("(null)", "%s", (char *)NULL);
    expect_fmt("17", "%o", 15);
    char small[4];
    int n = snprintf(small, sizeof(small), "%s", "truncate");
    CHECK(n == 8 && strcmp(small, "tru") == 0, "snprintf truncates and returns the full length");
}

static void test_string(void)
{
    char a[32], b[32];
    memset(a, 'x', sizeof(a));
    CHECK(a[0] == 'x' && a[31] == 'x', "memset");
    strlcpy(a, "hello, world", sizeof(a));
    CHECK(strlen(a) == 12, "strlen");
    memcpy(b, a, 13);
    CHECK(strcmp(a, b) == 0 && memcmp(a, b, 13) == 0, "memcpy");
    memmove(a + 2, a, 12);      /* overlapping, forwards */
    CHECK(memcmp(a, "hehello, world", 14) == 0, "memmove forwards");
    memmove(a, a + 2, 12);      /* overlapping, backwards */
    CHECK(memcmp(a, "hello, world", 12) == 0, "memmove backwards");
    CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("", "") == 0, "strcmp");
    CHECK(strncmp("abcx", "abcy", 3) == 0 && strncmp("ab", "abc", 3) < 0, "strncmp");
    CHECK(memcmp("\x80", "\x01", 1) > 0, "memcmp compares unsigned bytes");
    CHECK(strchr("abc", 'c') && *strchr("abc", 'c') == 'c' && !strchr("abc", 'z'), "strchr");
    uint64_t v = 0;
    CHECK(parse_u64("12345", &v) == 0 && v == 12345, "parse_u64 decimal");
    CHECK(parse_u64("0xFFffFFffFFffFFff", &v) == 0 && v == ~0ull, "parse_u64 hex");
    CHECK(parse_u64("18446744073709551616", &v) < 0, "parse_u64 rejects overflow");
    CHECK(parse_u64("12a", &v) < 0 && parse_u64("", &v) < 0 && parse_u64("0x", &v) < 0,
          "parse_u64 rejects junk");
}

static void test_heap(void)
{
    struct heap_stats before, after;
    heap_stats(&before);
    void *p[16];
    for (int i = 0; i < 16; i++) {
        p[i] = kmalloc(16 + i * 100);
        CHECK(p[i] && ((uintptr_t)p[i] & 15) == 0, "kmalloc returns 16-byte aligned memory");
        if (p[i])
            memset(p[i], i, 16 + i * 100);
    }
    CHECK(heap_check() == 0, "heap consistent after allocations");
    for (int i = 0; i < 16; i += 2)     /* free every other block, then the rest */
        kfree(p[i]);
    CHECK(heap_check() == 0, "heap consistent with holes");
    for (int i = 1; i < 16; i += 2) {
        CHECK(*(unsigned char *)p[i] == i, "allocations do not overlap");
        kfree(p[i]);
    }
    heap_stats(&after);
    CHECK(heap_check() == 0, "heap consistent after frees");
    CHECK(after.in_use == before.in_use, "all bytes returned");
    CHECK(after.free_blocks == before.free_blocks, "freed neighbours coalesce");
    CHECK(after.peak >= before.in_use + 16 * 16, "peak tracks the high-water mark");

    uint64_t fails = after.failures;
    CHECK(kmalloc(HEAP_SIZE) == NULL, "an allocation larger than the heap fails");
    CHECK(kmalloc(0) == NULL, "kmalloc(0) returns NULL");
    CHECK(kcalloc(SIZE_MAX / 2, 4) == NULL, "kcalloc overflow fails");
    heap_stats(&after);
    CHECK(after.failures == fails + 3, "failures are counted");

    unsigned char *z = kcalloc(100, 3);
    bool zero = z != NULL;
    for (int i = 0; z && i < 300; i++)
        zero = zero && z[i] == 0;
    CHECK(zero, "kcalloc zeroes");
    kfree(z);
    void *big = kmalloc(4 << 20);
    CHECK(big != NULL, "a 4 MiB allocation succeeds");
    kfree(big);
    CHECK(heap_check() == 0, "heap consistent at the end");
}

/*
 * Random allocate/free traffic: every block is filled with a byte derived
 * from its slot and checked before it is freed (catches overlapping blocks),
 * and the free list is checked after every step.
 */
static void test_heap_random(void)
{
    enum { SLOTS = 64, STEPS = 3000 };
    static unsigned char *p[SLOTS];
    static uint32_t len[SLOTS];
    struct heap_stats before, after;
    heap_stats(&before);
    uint64_t x = 0x5157;
    bool overlap = false, consistent = true, oom = false;
    for (int step = 0; step < STEPS; step++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int i = (int)((x >> 33) % SLOTS);
        if (p[i]) {
            for (uint32_t k = 0; k < len[i]; k++)
                overlap |= p[i][k] != (unsigned char)(i * 7 + 1);
            kfree(p[i]);
            p[i] = NULL;
        } else {
            len[i] = 1 + (uint32_t)((x >> 17) % ((x >> 60) > 12 ? 65536 : 512));
            p[i] = kmalloc(len[i]);
            oom |= p[i] == NULL;
            if (p[i])
                memset(p[i], i * 7 + 1, len[i]);
        }
        consistent &= heap_check() == 0;
    }
    for (int i = 0; i < SLOTS; i++) {
        kfree(p[i]);
        p[i] = NULL;
    }
    heap_stats(&after);
    CHECK(!oom, "random traffic fits in the heap");
    CHECK(!overlap, "no block overwrote another");
    CHECK(consistent && heap_check() == 0, "the free list stays consistent");
    CHECK(after.in_use == before.in_use && after.free_blocks == before.free_blocks,
          "everything is returned and merged");
}

static void test_date(void)
{
    static const struct { uint64_t secs; const char *iso; } cases[] = {
        { 0, "1970-01-01T00:00:00Z" },
        { 951782400, "2000-02-29T00:00:00Z" },
        { 1709251199, "2024-02-29T23:59:59Z" },
        { 2147483647, "2038-01-19T03:14:07Z" },
        { 4102444799, "2099-12-31T23:59:59Z" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[32];
        rtc_format_iso8601(cases[i].secs, buf, sizeof(buf));
        if (strcmp(buf, cases[i].iso) != 0) {
            printf("selftest: FAIL %s: %lu gave %s, want %s\n", cur, (unsigned long)cases[i].secs,
                   buf, cases[i].iso);
            failures++;
        }
    }
}

static void test_devices(void)
{
    CHECK(machine.ram_size >= HEAP_SIZE, "RAM found in the device tree");
    CHECK(fdt_find(&machine, DEV_UART, 0) != NULL, "UART found");
    CHECK(fdt_find(&machine, DEV_GIC, 0) != NULL, "GIC found");
    CHECK(fdt_find(&machine, DEV_TIMER, 0) != NULL, "timer found");
    CHECK(mmu_enabled(), "MMU is on");
    uint64_t t0 = timer_ticks(), c0 = timer_counter();
    while (timer_ticks() == t0 && timer_counter() - c0 < timer_freq())
        __asm__ volatile("wfi");
    CHECK(timer_ticks() != t0, "the timer interrupt ticks");
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The parser on the real DTB and on broken copies of it: errors, never a crash. */
static void test_fdt(void)
{
    struct machine *m = kmalloc(sizeof(*m));
    uint32_t size = machine.dtb_size;
    uint8_t *copy = machine.dtb && !machine.error ? kmalloc(size) : NULL;
    CHECK(m && copy, "memory for the test");
    if (!m || !copy) {
        kfree(m);
        kfree(copy);
        return;
    }
    CHECK(fdt_parse(NULL, m) < 0 && m->error, "a null DTB is rejected");
    memset(copy, 0, 64);
    CHECK(fdt_parse(copy, m) < 0 && strcmp(m->error, "bad device tree magic") == 0, "bad magic");

    memcpy(copy, machine.dtb, size);
    CHECK(fdt_parse(copy, m) == 0 && m->ndev == machine.ndev && m->ram_size == machine.ram_size,
          "a copy parses like the original");
    uint32_t off_struct = be32_at(copy + 8), size_struct = be32_at(copy + 36);

    put_be32(copy + 20, 16);
    CHECK(fdt_parse(copy, m) < 0, "version 16 is rejected");
    memcpy(copy, machine.dtb, 40);
    put_be32(copy + 8, size);
    CHECK(fdt_parse(copy, m) < 0 && strcmp(m->error, "device tree blocks out of bounds") == 0,
          "structure block outside the blob");
    memcpy(copy, machine.dtb, 40);
    put_be32(copy + 36, size_struct / 2 & ~3u);
    CHECK(fdt_parse(copy, m) < 0, "a truncated structure block is rejected");
    memcpy(copy, machine.dtb, 40);
    put_be32(copy + off_struct, 0x77);
    CHECK(fdt_parse(copy, m) < 0 && strcmp(m->error, "unknown device tree token") == 0,
          "an unknown token is rejected");
    kfree(copy);
    kfree(m);
}

/*
 * The IRQ path (vectors.S) saves and restores q0-q31, FPCR and FPSR. Load
 * known values into all of them, sleep through interrupts (each WFI wakes on
 * one and vectors.S runs before the next instruction), and read them back.
 */
static void test_irq_fp(void)
{
    static uint64_t in[64] __attribute__((aligned(16))), out[64] __attribute__((aligned(16)));
    for (int i = 0; i < 64; i++)
        in[i] = 0x0123456789abcdefull * (uint64_t)(i + 1) ^ (uint64_t)i << 56;
    uint64_t fpcr_in = 3u << 22, fpcr_out = 0, t0 = timer_ticks();  /* RMode: toward zero */
    uint64_t saved_fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved_fpcr));
    __asm__ volatile(
        "msr fpcr, %[fpcr]\n"
        "ldp q0, q1, [%[in], #0]\n    ldp q2, q3, [%[in], #32]\n"
        "ldp q4, q5, [%[in], #64]\n   ldp q6, q7, [%[in], #96]\n"
        "ldp q8, q9, [%[in], #128]\n  ldp q10, q11, [%[in], #160]\n"
        "ldp q12, q13, [%[in], #192]\n ldp q14, q15, [%[in], #224]\n"
        "ldp q16, q17, [%[in], #256]\n ldp q18, q19, [%[in], #288]\n"
        "ldp q20, q21, [%[in], #320]\n ldp q22, q23, [%[in], #352]\n"
        "ldp q24, q25, [%[in], #384]\n ldp q26, q27, [%[in], #416]\n"
        "ldp q28, q29, [%[in], #448]\n ldp q30, q31, [%[in], #480]\n"
        "wfi\n wfi\n wfi\n"
        "stp q0, q1, [%[out], #0]\n    stp q2, q3, [%[out], #32]\n"
        "stp q4, q5, [%[out], #64]\n   stp q6, q7, [%[out], #96]\n"
        "stp q8, q9, [%[out], #128]\n  stp q10, q11, [%[out], #160]\n"
        "stp q12, q13, [%[out], #192]\n stp q14, q15, [%[out], #224]\n"
        "stp q16, q17, [%[out], #256]\n stp q18, q19, [%[out], #288]\n"
        "stp q20, q21, [%[out], #320]\n stp q22, q23, [%[out], #352]\n"
        "stp q24, q25, [%[out], #384]\n stp q26, q27, [%[out], #416]\n"
        "stp q28, q29, [%[out], #448]\n stp q30, q31, [%[out], #480]\n"
        "mrs %[fpcr_out], fpcr\n"
        "msr fpcr, %[saved]\n"
        : [fpcr_out] "=&r"(fpcr_out)
        : [in] "r"(in), [out] "r"(out), [fpcr] "r"(fpcr_in), [saved] "r"(saved_fpcr)
        : "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11",
          "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
          "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
    CHECK(timer_ticks() != t0, "interrupts were taken during the test");
    CHECK(memcmp(in, out, sizeof(in)) == 0, "q0-q31 survive interrupts");
    CHECK(fpcr_out == fpcr_in, "FPCR survives interrupts");
}

/* RFC 6234 section 8.5 (SHA-256 TEST1, TEST2_1, TEST3) plus the empty message. */
static void expect_sha(const char *want, const char *msg, size_t chunk, uint32_t repeat)
{
    struct sha256 s;
    uint8_t d[32];
    char hex[65];
    size_t n = strlen(msg);
    sha256_init(&s);
    for (uint32_t r = 0; r < repeat; r++)
        for (size_t off = 0; off < n; off += chunk)
            sha256_update(&s, msg + off, n - off < chunk ? n - off : chunk);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    if (strcmp(hex, want) != 0) {
        printf("selftest: FAIL %s: sha256 of \"%.20s\" x%u gave %s\n", cur, msg, repeat, hex);
        failures++;
    }
}

static void test_sha256(void)
{
    expect_sha("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", 1, 1);
    expect_sha("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc", 1, 1);
    expect_sha("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
               "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 7, 1);
    expect_sha("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
               100, 10000);
}

static void test_json(void)
{
    char buf[160];
    struct json j;
    json_begin(&j, buf, sizeof(buf));
    json_str(&j, "s", "a\"b\\c\n\x01");
    json_u64(&j, "u", 18446744073709551615ull);
    json_i64(&j, "i", -5);
    json_open_array(&j, "a");
    json_bool(&j, NULL, true);
    json_open_object(&j, NULL);
    json_str(&j, "k", "");
    json_close(&j);
    json_close(&j);
    const char *t = json_end(&j);
    CHECK(t && strcmp(t, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"u\":18446744073709551615,"
                         "\"i\":-5,\"a\":[true,{\"k\":\"\"}]}") == 0, "escapes, numbers, nesting");
    char small[8];
    json_begin(&j, small, sizeof(small));
    json_str(&j, "key", "too long for the buffer");
    CHECK(json_end(&j) == NULL, "an object that does not fit is refused, not truncated");
    json_begin(&j, buf, sizeof(buf));
    json_open_array(&j, "open");
    t = json_end(&j);
    CHECK(t && strcmp(t, "{\"open\":[]}") == 0, "json_end closes what is open");
}

static const struct {
    void (*fn)(void);
    const char *name;
} tests[] = {
    { test_printf, "printf" },
    { test_string, "string" },
    { test_heap, "heap" },
    { test_heap_random, "heaprandom" },
    { test_date, "date" },
    { test_devices, "devices" },
    { test_fdt, "fdt" },
    { test_irq_fp, "irqfp" },
    { test_sha256, "sha256" },
    { test_json, "json" },
};

int selftest_run(const char *only)
{
    int passed = 0, failed = 0, ran = 0;
    for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
        if (only && strcmp(only, tests[i].name) != 0)
            continue;
        cur = tests[i].name;
        failures = 0;
        tests[i].fn();
        ran++;
        printf("selftest: %s %s\n", tests[i].name, failures ? "failed" : "ok");
        if (failures)
            failed++;
        else
            passed++;
    }
    if (!ran) {
        printf("sis: selftest: no test named '%s'\n", only);
        return 1;
    }
    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed;
}

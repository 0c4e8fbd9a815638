/*
 * selftest.c - in-kernel self tests, run by the `selftest` shell command.
 *
 * One table of {fn, "name"}; each test returns the number of failed checks
 * and prints a line per failure ("selftest: FAIL name: what"), so a host
 * test that runs `selftest` sees exactly which check broke. Expected values
 * come from C99 printf semantics and, for dates, from Python's datetime.
 */
#include "../defs.h"
#include "../fs/ext4.h"

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

/* RFC 6234 section 8.5 SHA-512 vectors (TEST1, TEST2_2, TEST3, TEST4) plus the empty message. */
static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = 0;
}

static void expect_sha512(const char *want, const char *msg, size_t chunk, uint32_t repeat)
{
    struct sha512 s;
    uint8_t d[64];
    char hex[129];
    size_t n = strlen(msg);
    sha512_init(&s);
    for (uint32_t r = 0; r < repeat; r++)
        for (size_t off = 0; off < n; off += chunk)
            sha512_update(&s, msg + off, n - off < chunk ? n - off : chunk);
    sha512_final(&s, d);
    to_hex(d, 64, hex);
    if (strcmp(hex, want) != 0) {
        printf("selftest: FAIL %s: sha512 of \"%.20s\" x%u gave %s\n", cur, msg, repeat, hex);
        failures++;
    }
}

static void test_sha512(void)
{
    expect_sha512("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                  "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", "", 1, 1);
    expect_sha512("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "abc", 1, 1);
    static const char two_blocks[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect_sha512("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                  "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909", two_blocks, 112, 1);
    expect_sha512("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                  "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909", two_blocks, 13, 1);
    expect_sha512("89d05ba632c699c31231ded4ffc127d5a894dad412c0e024db872d1abd2ba814"
                  "1a0f85072a9be1e2aa04cf33c765cb510813a39cd5a84c4acaa64d3f3fb7bae9",
                  "0123456701234567012345670123456701234567012345670123456701234567", 64, 10);
    expect_sha512("e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                  "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  100, 10000);
}

/* hex -> bytes; returns the length, or -1 if the text is not hex or does not fit. */
static int unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] << 4 | v : v);
    }
    return (int)(n / 2);
}

/* RFC 8032 section 7.1: TEST 1, 2, 3, 1024 and SHA(abc) (public key, message, signature). */
static const char ed_long_msg[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0";
static const struct { const char *pub, *msg, *sig; } ed_vectors[] = {
    { "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    { "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    { "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", ed_long_msg,
      "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
    { "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

static void expect_verify(int want, const uint8_t *pub, const uint8_t *msg, size_t len,
                          const uint8_t *sig, const char *what)
{
    int got = ed25519_verify(pub, msg, len, sig);
    if (got != want) {
        printf("selftest: FAIL %s: %s: got %d (%s), want %d (%s)\n", cur, what, got,
               ed25519_strerror(got), want, ed25519_strerror(want));
        failures++;
    }
}

/* S + L as a 256-bit little-endian number (S < L, so it fits). */
static void add_l(uint8_t s[32])
{
    static const uint8_t l[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                   0xa2, 0xde, 0xf9, 0xde, 0x14, [31] = 0x10 };
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        carry += (unsigned)s[i] + l[i];
        s[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

static void test_ed25519(void)
{
    static uint8_t msg[1024];
    uint8_t pub[32], sig[64], bad[64], badpub[32];
    uint64_t best = ~0ull;
    for (size_t v = 0; v < ARRAY_SIZE(ed_vectors); v++) {
        int n = unhex(ed_vectors[v].msg, msg, sizeof(msg) - 1);
        CHECK(unhex(ed_vectors[v].pub, pub, 32) == 32 && unhex(ed_vectors[v].sig, sig, 64) == 64 && n >= 0,
              "test vector decodes");
        if (n < 0)
            continue;
        uint64_t t0 = timer_us();
        expect_verify(0, pub, msg, (size_t)n, sig, "RFC 8032 vector verifies");
        uint64_t t = timer_us() - t0;
        best = t < best ? t : best;
        /* a changed message: one bit flipped, or a byte added to the empty one */
        if (n) {
            msg[n / 2] ^= 0x10;
            expect_verify(ED25519_EMISMATCH, pub, msg, (size_t)n, sig, "flipped message bit");
            msg[n / 2] ^= 0x10;
        } else {
            msg[0] = 0;
            expect_verify(ED25519_EMISMATCH, pub, msg, 1, sig, "message with a byte added");
        }
        memcpy(bad, sig, 64);
        bad[5] ^= 0x01;                     /* R changed: a different point or none */
        CHECK(ed25519_verify(pub, msg, (size_t)n, bad) < 0, "flipped R bit refused");
        memcpy(bad, sig, 64);
        bad[32] ^= 0x01;                    /* S changed, still below L */
        expect_verify(ED25519_EMISMATCH, pub, msg, (size_t)n, bad, "flipped S bit");
        memcpy(bad, sig, 64);
        add_l(bad + 32);                    /* S + L: same value mod L, not canonical */
        expect_verify(ED25519_ES, pub, msg, (size_t)n, bad, "S + L refused");
        memcpy(badpub, pub, 32);
        badpub[9] ^= 0x04;
        CHECK(ed25519_verify(badpub, msg, (size_t)n, sig) < 0, "flipped key bit refused");
        unhex(ed_vectors[(v + 1) % ARRAY_SIZE(ed_vectors)].pub, badpub, 32);
        expect_verify(ED25519_EMISMATCH, badpub, msg, (size_t)n, sig, "the next vector's key");
    }

    /*
     * The noble/ZIP-215 rules (ed25519.c, docs/MODEL-FORMAT.md): a small-order
     * key and R verify any message with S = 0, also in their non-canonical
     * encodings; a y with no x is refused.
     */
    uint8_t ident[32] = { 1 }, ident_nc[32], zero_sig[64] = { 1 };
    memset(ident_nc, 0xff, 32);
    ident_nc[0] = 0xee;                     /* y = p + 1 */
    ident_nc[31] = 0x7f;
    expect_verify(0, ident, msg, 3, zero_sig, "identity key, identity R, S = 0");
    expect_verify(0, ident_nc, msg, 3, zero_sig, "identity key as y = p + 1");
    ident_nc[31] = 0xff;                    /* ... with x = 0 and the sign bit set */
    expect_verify(0, ident_nc, msg, 3, zero_sig, "identity key with the sign bit set");
    memcpy(bad, ident_nc, 32);
    memset(bad + 32, 0, 32);
    expect_verify(0, ident, msg, 3, bad, "R as y = p + 1 with the sign bit set");
    uint8_t off_curve[32] = { 2 };          /* y = 2: (y^2 - 1)/(d y^2 + 1) is not a square */
    expect_verify(ED25519_EPUB, off_curve, msg, 3, zero_sig, "a key off the curve");
    memcpy(bad, off_curve, 32);
    expect_verify(ED25519_ER, ident, msg, 3, bad, "an R off the curve");
    expect_verify(ED25519_EARGS, NULL, msg, 3, zero_sig, "a NULL key");
    expect_verify(ED25519_EARGS, ident, NULL, 3, zero_sig, "a NULL message with a length");
    expect_verify(0, ident, NULL, 0, zero_sig, "a NULL empty message");
    CHECK(ed25519_check_key(pub) == 0, "ed25519_check_key passes an RFC 8032 key");
    CHECK(ed25519_check_key(ident) == ED25519_EWEAK, "ed25519_check_key refuses the identity");
    CHECK(ed25519_check_key(ident_nc) == ED25519_ENONCANON, "ed25519_check_key refuses y >= p");
    CHECK(ed25519_check_key(off_curve) == ED25519_EPUB, "ed25519_check_key refuses a non-point");
    CHECK(strcmp(ed25519_strerror(ED25519_ES), "non-canonical S") == 0 &&
          strcmp(ed25519_strerror(ED25519_EPUB), "bad public key") == 0 &&
          strcmp(ed25519_strerror(ED25519_ER), "bad R") == 0 &&
          strcmp(ed25519_strerror(ED25519_EMISMATCH), "signature mismatch") == 0, "error names");
    printf("selftest: ed25519: one verify takes %lu us (fastest RFC 8032 vector)\n", (unsigned long)best);
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
    json_begin(&j, buf, sizeof(buf));
    json_fixed(&j, "a", 987000, 6);
    json_fixed(&j, "b", -5, 3);
    json_fixed(&j, "c", 42, 0);
    json_null(&j, "d");
    t = json_end(&j);
    CHECK(t && strcmp(t, "{\"a\":0.987000,\"b\":-0.005,\"c\":42,\"d\":null}") == 0, "fixed-point and null");
}

/* The strict parser: what it accepts, how it reads it, what it refuses and why. */
static void test_jsonp(void)
{
    struct jtok tok[64];
    struct jparser jp;
    static const char doc[] = " {\"a\":[1,2,{\"b\":\"x\\u00e9\\ud83d\\ude00\\n\"}],\"n\":-0.987,"
                              "\"t\":true,\"z\":null,\"e\":{},\"big\":18446744073709551615} ";
    CHECK(jp_parse(&jp, doc, sizeof(doc) - 1, tok, 64) == 0, "a valid document parses");
    int a = jp_find(&jp, 0, "a");
    CHECK(a > 0 && tok[a].type == JT_ARRAY && tok[a].size == 3, "array member");
    int b = jp_find(&jp, jp_at(&jp, a, 2), "b");
    char s[32];
    CHECK(jp_str(&jp, b, s, sizeof(s)) == 8 && memcmp(s, "x\xc3\xa9\xf0\x9f\x98\x80\n", 9) == 0,
          "escapes and surrogate pairs decode to UTF-8");
    CHECK(jp_str(&jp, b, s, 5) == -1, "a string longer than the buffer is refused");
    int64_t v;
    CHECK(jp_fixed(&jp, jp_find(&jp, 0, "n"), 6, &v) == 0 && v == -987000, "fixed-point read");
    CHECK(jp_fixed(&jp, jp_find(&jp, 0, "n"), 2, &v) == -1, "too much precision is refused");
    uint64_t u;
    CHECK(jp_u64(&jp, jp_at(&jp, a, 1), &u) == 0 && u == 2, "u64 read");
    CHECK(jp_u64(&jp, jp_find(&jp, 0, "big"), &u) == -1, "an integer beyond 2^62 is refused");
    CHECK(jp_find(&jp, 0, "nope") == -1 && tok[jp_find(&jp, 0, "z")].type == JT_NULL, "lookup");
    CHECK(tok[jp_find(&jp, 0, "e")].size == 0 && jp_find(&jp, 0, "t") > 0, "empty object, true");
    static const struct { const char *text; const char *why; } bad[] = {
        { "", "unexpected end of input" },
        { "{\"a\":1,}", "trailing comma" },
        { "[1,]", "trailing comma" },
        { "{\"a\":1 \"b\":2}", "expected ',' or '}'" },
        { "{\"a\" 1}", "expected ':'" },
        { "{a:1}", "expected a key string" },
        { "01", "leading zero" },
        { "-", "bad number" },
        { "1.", "bad fraction" },
        { ".5", "unexpected character" },
        { "1e", "bad exponent" },
        { "\"a\tb\"", "control character in a string" },
        { "\"\\x\"", "bad escape" },
        { "\"\\u12g4\"", "bad \\u escape" },
        { "\"\\ud800\"", "lone high surrogate" },
        { "\"\\udc00\"", "lone low surrogate" },
        { "\"\xc0\xaf\"", "invalid UTF-8" },
        { "\"\xed\xa0\x80\"", "invalid UTF-8" },
        { "\"\xf4\x90\x80\x80\"", "invalid UTF-8" },
        { "\"abc", "unterminated string" },
        { "{\"k\":1,\"k\":2}", "duplicate key" },
        { "[1] [2]", "text after the value" },
        { "tru", "unexpected character" },
        { "// c\n1", "unexpected character" },
        { "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "nested too deeply" },
        { "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
          "31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,"
          "59,60,61,62,63,64]", "too many values" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int r = jp_parse(&jp, bad[i].text, strlen(bad[i].text), tok, 64);
        if (r != -1 || !jp.error || strcmp(jp.error, bad[i].why) != 0) {
            printf("selftest: FAIL %s: %s gave %s, want %s\n", cur, bad[i].text,
                   jp.error ? jp.error : "success", bad[i].why);
            failures++;
        }
    }
    CHECK(jp_parse(&jp, "1\0", 2, tok, 64) == -1 && strcmp(jp.error, "NUL byte") == 0, "NUL refused");
    CHECK(jp_parse(&jp, "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 33, tok, 64) == 0, "depth 16 is fine");
}

static uint32_t f32bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint64_t f64bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* exp_ref bits and a 3-4-2 network, expected values from the format's pseudo-code in Python. */
static void test_mlp(void)
{
    static const struct { double x; uint64_t bits; } ex[] = {
        { 0.0, 0x3ff0000000000000ull }, { -1.0, 0x3fd78b56362cef2bull },
        { -0.5, 0x3fe368b2fc6f960aull }, { -10.0, 0x3f07cd79b5647c92ull },
        { -100.25, 0x36e4acd31e167ebaull }, { -700.0, 0x00d14f2b0fb9307full },
        { -707.9, 0x001a4904f4342894ull }, { -709.0, 0 }, { -3.75, 0x3f981509354f0d24ull },
    };
    for (size_t i = 0; i < ARRAY_SIZE(ex); i++)
        if (f64bits(exp_ref(ex[i].x)) != ex[i].bits) {
            printf("selftest: FAIL %s: exp_ref(%d/100) bits %lx\n", cur, (int)(ex[i].x * 100),
                   (unsigned long)f64bits(exp_ref(ex[i].x)));
            failures++;
        }
    uint8_t hdr[48] = { 'S', 'I', 'S', 'M', 1, 0, 48, 0 };
    hdr[12] = 2; hdr[14] = 3;
    hdr[16] = 26; hdr[20] = 104;
    hdr[32] = 3; hdr[34] = 4; hdr[36] = MLP_RELU;
    hdr[40] = 4; hdr[42] = 2; hdr[44] = MLP_SOFTMAX;
    struct mlp_header h;
    const char *why = NULL;
    CHECK(mlp_parse_header(hdr, 48, 48 + 104, &h, &why) == 0, "a valid header");
    CHECK(h.units == 6 && h.output_dim == 2 && h.layer[1].woff == 16 && h.layer[1].boff == 24,
          "layer offsets");
    static const struct { int off; uint8_t val; const char *why; long size; } rule[] = {
        { 0, 'X', "bad magic (not a SISM model)", 0 },
        { 4, 2, "unknown format version", 0 },
        { 6, 40, "header_size is not 32 + 8 * num_layers", 0 },
        { 8, 1, "unknown flags", 0 },
        { 12, 9, "num_layers out of range 1..8", 0 },
        { 14, 0, "input_dim out of range 1..1024", 0 },
        { 14, 4, "layer chain inconsistent (in != previous out)", 0 },
        { 16, 27, "param_count does not match the layer table", 0 },
        { 20, 100, "payload_bytes is not 4 * param_count", 0 },
        { 27, 1, "reserved header bytes are not zero", 0 },
        { 37, 1, "reserved layer bytes are not zero", 0 },
        { 36, MLP_SOFTMAX, "softmax before the last layer", 0 },
        { 44, MLP_RELU, "last layer is not softmax", 0 },
        { 44, 3, "unknown activation", 0 },
        { 34, 0, "layer size out of range 1..1024", 0 },
        { -1, 0, "file is truncated (shorter than header + payload)", 48 + 103 },
        { -1, 0, "file is longer than header + payload", 48 + 105 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(rule); i++) {
        uint8_t b[48];
        memcpy(b, hdr, 48);
        if (rule[i].off >= 0)
            b[rule[i].off] = rule[i].val;
        why = "accepted";
        int r = mlp_parse_header(b, 48, rule[i].size ? (uint64_t)rule[i].size : 48 + 104, &h, &why);
        if (r != -EINVAL || strcmp(why, rule[i].why) != 0) {
            printf("selftest: FAIL %s: rule '%s': got '%s'\n", cur, rule[i].why, why);
            failures++;
        }
    }
    static const float params[26] = {
        0.5f, -1.25f, 0.75f, 1.5f, 0.25f, -0.5f, -0.125f, 2.0f, 1.0f, 0.3f, 0.6f, -0.9f,
        0.1f, -0.2f, 0.05f, 0.0f,
        1.0f, -0.5f, 0.25f, 0.7f, -1.1f, 0.9f, 0.4f, -0.3f,
        0.01f, -0.02f,
    };
    mlp_parse_header(hdr, 48, 48 + 104, &h, &why);
    CHECK(mlp_check_params(&h, params, &why) == 0, "finite parameters");
    float x[3] = { 0.2f, 0.7f, 0.1f }, acts[6];
    struct mlp_result r;
    mlp_forward(&h, params, x, acts, &r);
    static const uint32_t want[6] = { 0, 0x3e666667, 0x3fc33333, 0x3ec7ae15, 0x3f0d3f7d, 0x3f2ced92 };
    for (int i = 0; i < 6; i++)
        if (f32bits(acts[i]) != want[i]) {
            printf("selftest: FAIL %s: activation %d is %08x, want %08x\n", cur, i, f32bits(acts[i]), want[i]);
            failures++;
        }
    CHECK(r.action == 1 && r.confidence == 530 && r.logits == acts + 4, "action and confidence");
    float bad[26];
    memcpy(bad, params, sizeof(bad));
    uint32_t inf = 0x7f800000;
    memcpy(&bad[20], &inf, 4);
    CHECK(mlp_check_params(&h, bad, &why) == -EINVAL && strcmp(why, "a weight or bias is not finite") == 0,
          "an infinite weight is refused");
}

#ifdef CONFIG_MODEL_LIFECYCLE
/*
 * The hot-swap's grace period: a decision holding a reference keeps its
 * model alive and computing after the registry dropped it; the last
 * model_put frees everything the model occupied.
 */
static void test_model_rcu(void)
{
    static const uint8_t hdr[40] = { 'S', 'I', 'S', 'M', 1, 0, 40, 0, 0, 0, 0, 0, 1, 0, 7, 0,
                                     40, 0, 0, 0, 160, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     7, 0, 5, 0, MLP_SOFTMAX, 0, 0, 0 };
    struct heap_stats h0, h1;
    heap_stats(&h0);
    struct model *old = kcalloc(1, sizeof(*old));
    const char *why;
    CHECK(old && mlp_parse_header(hdr, 40, 200, &old->h, &why) == 0, "a 7-5 model header");
    if (!old)
        return;
    old->params = kcalloc(40, sizeof(float));
    old->acts = kcalloc(5, sizeof(float));
    old->refs = 1;                          /* the registry's reference */
    old->params[35 + 3] = 1.0f;             /* bias of action 3 */
    struct model *reader = old;
    model_get(reader);                      /* a decision starts on the old model */
    model_put(old);                         /* the swap drops the registry's reference */
    CHECK(reader->refs == 1, "the in-flight decision still holds the model");
    float x[7] = { 0 };
    struct mlp_result r;
    model_infer(reader, x, &r);
    CHECK(r.action == 3, "and finishes on it after the swap");
    model_put(reader);                      /* the decision ends: the model is freed */
    heap_stats(&h1);
    CHECK(h1.in_use == h0.in_use, "the last reference frees every byte");
}
#endif

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
    { test_sha512, "sha512" },
    { test_ed25519, "ed25519" },
    { test_json, "json" },
    { test_jsonp, "jsonparse" },
    { test_mlp, "mlp" },
#ifdef CONFIG_MODEL_LIFECYCLE
    { test_model_rcu, "modelrcu" },
#endif
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

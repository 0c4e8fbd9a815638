/*
 * cryptotool - drives the kernel's lib/sha512.c and lib/ed25519.c on the
 * host for crypto.test.ts. Reads one request per line on stdin, answers one
 * line each on stdout:
 *
 *   h MSGHEX SEED          -> SHA-512 of MSG as hex, fed to sha512_update in
 *                             pieces whose sizes come from SEED (0: one piece)
 *   v PUBHEX SIGHEX MSGHEX -> ed25519_verify's return code and its strerror
 *   k PUBHEX               -> ed25519_check_key's return code and its strerror
 *
 * An empty MSGHEX is written as "-". Malformed requests end the run with
 * status 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/defs.h"

static int nibble(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* hex -> a fresh malloc'd buffer (never NULL, so ASan sees exact bounds); -1 if malformed */
static long unhex(const char *hex, uint8_t **out)
{
    if (strcmp(hex, "-") == 0)
        hex = "";
    size_t n = strlen(hex);
    if (n % 2)
        return -1;
    uint8_t *b = malloc(n / 2 ? n / 2 : 1);
    if (!b)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    return (long)(n / 2);
}

static _Noreturn void fail(const char *why)
{
    fprintf(stderr, "cryptotool: %s\n", why);
    exit(2);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, stdin)) > 0) {
        if (line[got - 1] == '\n')
            line[got - 1] = 0;
        char *save = NULL, *op = strtok_r(line, " ", &save);
        if (!op)
            fail("empty request");
        if (strcmp(op, "h") == 0) {
            char *m = strtok_r(NULL, " ", &save), *seed = strtok_r(NULL, " ", &save);
            uint8_t *msg;
            long n;
            if (!m || !seed || (n = unhex(m, &msg)) < 0)
                fail("bad h request");
            uint64_t x = strtoull(seed, NULL, 10);
            struct sha512 s;
            uint8_t d[64];
            sha512_init(&s);
            for (long off = 0; off < n;) {
                long take = n - off;
                if (x) {
                    x = x * 6364136223846793005ull + 1442695040888963407ull;
                    long k = (long)((x >> 33) % 300);
                    take = k < take ? k : take;
                }
                sha512_update(&s, msg + off, (size_t)take);
                off += take;
            }
            sha512_final(&s, d);
            for (int i = 0; i < 64; i++)
                printf("%02x", d[i]);
            printf("\n");
            free(msg);
        } else if (strcmp(op, "v") == 0) {
            char *p = strtok_r(NULL, " ", &save), *sg = strtok_r(NULL, " ", &save);
            char *m = strtok_r(NULL, " ", &save);
            uint8_t *pub, *sig, *msg;
            if (!p || !sg || !m || unhex(p, &pub) != 32 || unhex(sg, &sig) != 64)
                fail("bad v request");
            long n = unhex(m, &msg);
            if (n < 0)
                fail("bad v message");
            int r = ed25519_verify(pub, msg, (size_t)n, sig);
            printf("%d %s\n", r, ed25519_strerror(r));
            free(pub);
            free(sig);
            free(msg);
        } else if (strcmp(op, "k") == 0) {
            char *p = strtok_r(NULL, " ", &save);
            uint8_t *pub;
            if (!p || unhex(p, &pub) != 32)
                fail("bad k request");
            int r = ed25519_check_key(pub);
            printf("%d %s\n", r, ed25519_strerror(r));
            free(pub);
        } else {
            fail("unknown request");
        }
    }
    free(line);
    return 0;
}

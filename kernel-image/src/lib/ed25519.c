/*
 * ed25519.c - Ed25519 signature verification (RFC 8032 section 5.1.7,
 * pure Ed25519: no context, no prehash), with the acceptance rules of
 * @noble/ed25519 v3's default verify (which are the ZIP-215 rules).
 *
 * The rules (docs/MODEL-FORMAT.md, "Ed25519 strictness", is the contract):
 *   1. S, the second half of the signature read as a 256-bit little-endian
 *      number, must be below L = 2^252 + 27742317777372353535851937790883648493
 *      ("non-canonical S"). S = 0 is allowed.
 *   2. A (the public key) and R (the first half of the signature) are
 *      decoded as in RFC 8032 5.1.3 except that y, the low 255 bits, is NOT
 *      required to be below p: y in [p, 2^255) is taken mod p. A y whose
 *      x^2 = (y^2 - 1) / (d y^2 + 1) has no square root is refused ("bad
 *      public key", "bad R"). x = 0 with the sign bit set is accepted (as
 *      x = 0).
 *   3. Small-order points (the identity included) are accepted for A and R;
 *      there is no separate check on them.
 *   4. k = SHA-512(R bytes || A bytes || M) mod L, over the bytes exactly as
 *      given (not re-encoded).
 *   5. The cofactored equation [8][S]B = [8]R + [8][k]A must hold
 *      ("signature mismatch"). It is checked as [8]([S]B - [k]A - R) = 0 in
 *      projective coordinates, so no encoding is compared and no inversion is
 *      needed.
 *
 * Field arithmetic mod p = 2^255 - 19 in radix 2^51: five uint64_t limbs,
 * products in unsigned __int128 (clang lowers these to mul/umulh with no
 * library call, freestanding, with -mstrict-align, on aarch64). Every
 * operation returns carried limbs (below 2^51, limb 1 below 2^51 + 2^9), and
 * every input is below 2^52, which keeps each 128-bit product sum below 2^111
 * and each subtraction (a + 4p - b) from wrapping. Values are only made
 * canonical (below p) when they are compared or their parity is needed.
 *
 * Curve points are in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
 * xy = T/Z, on -x^2 + y^2 = 1 + d x^2 y^2. Addition is the unified
 * Hisil-Wong-Carter-Dawson formula (a = -1, k = 2d) and doubling the HWCD
 * doubling; for this curve both are complete (d is not a square), so small
 * order points and the identity need no special cases. [S]B - [k]A is one
 * double-scalar ladder (Straus) over width-5 signed NAF digits of both
 * scalars, with the odd multiples 1B..15B and 1(-A)..15(-A) precomputed per
 * call (no static state: the function is reentrant; it takes about 4.5 KiB
 * of stack). Cost: about 550,000 instructions per verify on aarch64 (the
 * emulator's virtual clock), two thirds of them in the ladder, a sixth in
 * the two square roots of the point decodings.
 *
 * Verification handles only public data, so nothing here tries to be
 * constant-time. Checked by selftest (RFC 8032 7.1 vectors) and on the host
 * against @noble/ed25519 (tests/crypto/).
 */
#include "../defs.h"

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;

#define MASK51 ((1ull << 51) - 1)

static const fe fe_d = { { 0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb,
                           0x52036cee2b6ff } };
static const fe fe_d2 = { { 0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977,
                            0x2406d9dc56dff } };
static const fe fe_sqrtm1 = { { 0x61b274a0ea0b0, 0xd5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e,
                                0x2b8324804fc1d } };
/* The base point B: y = 4/5, x even. */
static const fe fe_bx = { { 0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe,
                            0x216936d3cd6e5 } };
static const fe fe_by = { { 0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333,
                            0x6666666666666 } };

/* ---- field elements ---- */

static void fe_set(fe *r, uint64_t x)
{
    r->v[0] = x;
    r->v[1] = r->v[2] = r->v[3] = r->v[4] = 0;
}

/* Propagate carries (inputs below 2^55): limbs below 2^51, except limb 1 which may reach 2^51. */
static void fe_carry(fe *r)
{
    uint64_t c;
    c = r->v[0] >> 51; r->v[0] &= MASK51; r->v[1] += c;
    c = r->v[1] >> 51; r->v[1] &= MASK51; r->v[2] += c;
    c = r->v[2] >> 51; r->v[2] &= MASK51; r->v[3] += c;
    c = r->v[3] >> 51; r->v[3] &= MASK51; r->v[4] += c;
    c = r->v[4] >> 51; r->v[4] &= MASK51; r->v[0] += c * 19;
    c = r->v[0] >> 51; r->v[0] &= MASK51; r->v[1] += c;
}

static void fe_add(fe *r, const fe *a, const fe *b)
{
    for (int i = 0; i < 5; i++)
        r->v[i] = a->v[i] + b->v[i];
    fe_carry(r);
}

/* a - b as a + 4p - b: limbs of b are below 2^52 < 4p's limbs, so nothing wraps. */
static void fe_sub(fe *r, const fe *a, const fe *b)
{
    r->v[0] = a->v[0] + 0x1fffffffffffb4 - b->v[0];
    for (int i = 1; i < 5; i++)
        r->v[i] = a->v[i] + 0x1ffffffffffffc - b->v[i];
    fe_carry(r);
}

static void fe_neg(fe *r, const fe *a)
{
    fe z;
    fe_set(&z, 0);
    fe_sub(r, &z, a);
}

/*
 * Schoolbook product with the wrap-around terms times 19 (2^255 = 19 mod p),
 * carried as it goes so that only one 128-bit sum is live (no spills). With
 * limbs below 2^52 each sum is below 77 * 2^104 < 2^111, so each carry is
 * below 2^60; the last sum has no factor 19, so its carry is below 6 * 2^53
 * and 19 times it fits in 64 bits. The result: limb 1 below 2^51 + 2^9.
 */
static void fe_mul(fe *r, const fe *a, const fe *b)
{
    const uint64_t *x = a->v, *y = b->v;
    uint64_t y1 = y[1] * 19, y2 = y[2] * 19, y3 = y[3] * 19, y4 = y[4] * 19, c;
    u128 t;
    t = (u128)x[0] * y[0] + (u128)x[1] * y4 + (u128)x[2] * y3 + (u128)x[3] * y2 + (u128)x[4] * y1;
    uint64_t r0 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)x[0] * y[1] + (u128)x[1] * y[0] + (u128)x[2] * y4 + (u128)x[3] * y3 + (u128)x[4] * y2 + c;
    uint64_t r1 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)x[0] * y[2] + (u128)x[1] * y[1] + (u128)x[2] * y[0] + (u128)x[3] * y4 + (u128)x[4] * y3 + c;
    uint64_t r2 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)x[0] * y[3] + (u128)x[1] * y[2] + (u128)x[2] * y[1] + (u128)x[3] * y[0] + (u128)x[4] * y4 + c;
    uint64_t r3 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)x[0] * y[4] + (u128)x[1] * y[3] + (u128)x[2] * y[2] + (u128)x[3] * y[1] + (u128)x[4] * y[0] + c;
    uint64_t r4 = (uint64_t)t & MASK51;
    r0 += (uint64_t)(t >> 51) * 19;
    /* r may be a or b: written only now */
    r->v[0] = r0 & MASK51;
    r->v[1] = r1 + (r0 >> 51);
    r->v[2] = r2;
    r->v[3] = r3;
    r->v[4] = r4;
}

/* fe_mul(r, a, a) with the 10 cross products computed once and doubled (15 products, not 25). */
static void fe_sq(fe *r, const fe *a)
{
    const uint64_t *x = a->v;
    uint64_t d0 = 2 * x[0], d1 = 2 * x[1], d2 = 2 * x[2], d3 = 2 * x[3];
    uint64_t x3_19 = 19 * x[3], x4_19 = 19 * x[4], c;
    u128 t;
    t = (u128)x[0] * x[0] + (u128)d1 * x4_19 + (u128)d2 * x3_19;
    uint64_t r0 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)d0 * x[1] + (u128)d2 * x4_19 + (u128)x[3] * x3_19 + c;
    uint64_t r1 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)d0 * x[2] + (u128)x[1] * x[1] + (u128)d3 * x4_19 + c;
    uint64_t r2 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)d0 * x[3] + (u128)d1 * x[2] + (u128)x[4] * x4_19 + c;
    uint64_t r3 = (uint64_t)t & MASK51;
    c = (uint64_t)(t >> 51);
    t = (u128)d0 * x[4] + (u128)d1 * x[3] + (u128)x[2] * x[2] + c;
    uint64_t r4 = (uint64_t)t & MASK51;
    r0 += (uint64_t)(t >> 51) * 19;
    /* r may be a or b: written only now */
    r->v[0] = r0 & MASK51;
    r->v[1] = r1 + (r0 >> 51);
    r->v[2] = r2;
    r->v[3] = r3;
    r->v[4] = r4;
}

/* r = a^(2^n) */
static void fe_sqn(fe *r, const fe *a, int n)
{
    fe_sq(r, a);
    while (--n > 0)
        fe_sq(r, r);
}

/* w (256 bits) += x; returns the carry out of bit 255 */
static uint64_t add4(uint64_t w[4], uint64_t x)
{
    for (int i = 0; i < 4; i++) {
        w[i] += x;
        x = w[i] < x;
    }
    return x;
}

/*
 * The canonical (below p) little-endian encoding: pack the limbs into a
 * 256-bit number V exactly, fold everything at and above 2^255 back in as 19
 * per 2^255 (twice: the second fold leaves V < 2^255), then subtract p once
 * if V >= p, which is when V + 19 reaches 2^255.
 */
static void fe_tobytes(uint8_t out[32], const fe *a)
{
    const uint64_t *v = a->v;
    uint64_t w[4];
    u128 acc = (u128)v[0] + ((u128)v[1] << 51);
    w[0] = (uint64_t)acc;
    acc = (acc >> 64) + ((u128)v[2] << 38);
    w[1] = (uint64_t)acc;
    acc = (acc >> 64) + ((u128)v[3] << 25);
    w[2] = (uint64_t)acc;
    acc = (acc >> 64) + ((u128)v[4] << 12);
    w[3] = (uint64_t)acc;
    uint64_t top = (uint64_t)(acc >> 64) << 1 | w[3] >> 63;   /* V >> 255, below 2^4 */
    for (int fold = 0; fold < 2; fold++) {
        w[3] &= ~(1ull << 63);
        add4(w, 19 * top);
        top = w[3] >> 63;
    }
    uint64_t t[4] = { w[0], w[1], w[2], w[3] };
    add4(t, 19);
    if (t[3] >> 63) {
        t[3] &= ~(1ull << 63);
        memcpy(w, t, sizeof(t));
    }
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

/* The low 255 bits of b, not reduced: y in [p, 2^255) stays as it is (rule 2). */
static void fe_frombytes(fe *r, const uint8_t b[32])
{
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = 0;
        for (int j = 7; j >= 0; j--)
            w[i] = w[i] << 8 | b[8 * i + j];
    }
    r->v[0] = w[0] & MASK51;
    r->v[1] = (w[0] >> 51 | w[1] << 13) & MASK51;
    r->v[2] = (w[1] >> 38 | w[2] << 26) & MASK51;
    r->v[3] = (w[2] >> 25 | w[3] << 39) & MASK51;
    r->v[4] = (w[3] >> 12) & MASK51;
}

static bool fe_equal(const fe *a, const fe *b)
{
    uint8_t x[32], y[32];
    fe_tobytes(x, a);
    fe_tobytes(y, b);
    return memcmp(x, y, 32) == 0;
}

static bool fe_iszero(const fe *a)
{
    fe z;
    fe_set(&z, 0);
    return fe_equal(a, &z);
}

static bool fe_isodd(const fe *a)
{
    uint8_t x[32];
    fe_tobytes(x, a);
    return x[0] & 1;
}

/* a^((p-5)/8) = a^(2^252 - 3), by the usual chain of 2^k - 1 exponents. */
static void fe_pow22523(fe *r, const fe *a)
{
    fe t0, t1, t2;
    fe_sq(&t0, a);                  /* 2 */
    fe_sqn(&t1, &t0, 2);            /* 8 */
    fe_mul(&t1, a, &t1);            /* 9 */
    fe_mul(&t0, &t0, &t1);          /* 11 */
    fe_sq(&t0, &t0);                /* 22 */
    fe_mul(&t0, &t1, &t0);          /* 31 = 2^5 - 1 */
    fe_sqn(&t1, &t0, 5);
    fe_mul(&t0, &t1, &t0);          /* 2^10 - 1 */
    fe_sqn(&t1, &t0, 10);
    fe_mul(&t1, &t1, &t0);          /* 2^20 - 1 */
    fe_sqn(&t2, &t1, 20);
    fe_mul(&t1, &t2, &t1);          /* 2^40 - 1 */
    fe_sqn(&t1, &t1, 10);
    fe_mul(&t0, &t1, &t0);          /* 2^50 - 1 */
    fe_sqn(&t1, &t0, 50);
    fe_mul(&t1, &t1, &t0);          /* 2^100 - 1 */
    fe_sqn(&t2, &t1, 100);
    fe_mul(&t1, &t2, &t1);          /* 2^200 - 1 */
    fe_sqn(&t1, &t1, 50);
    fe_mul(&t0, &t1, &t0);          /* 2^250 - 1 */
    fe_sqn(&t0, &t0, 2);            /* 2^252 - 4 */
    fe_mul(r, &t0, a);              /* 2^252 - 3 */
}

/* ---- points ---- */

struct ge { fe X, Y, Z, T; };
/* A point prepared for addition: Y+X, Y-X, 2dT, 2Z. */
struct ge_cached { fe ypx, ymx, t2d, z2; };

static void ge_identity(struct ge *p)
{
    fe_set(&p->X, 0);
    fe_set(&p->Y, 1);
    fe_set(&p->Z, 1);
    fe_set(&p->T, 0);
}

static void ge_cache(struct ge_cached *c, const struct ge *p)
{
    fe_add(&c->ypx, &p->Y, &p->X);
    fe_sub(&c->ymx, &p->Y, &p->X);
    fe_mul(&c->t2d, &p->T, &fe_d2);
    fe_add(&c->z2, &p->Z, &p->Z);
}

/*
 * r = p + q (neg = false) or p - q (neg = true); r may be p. T of the result
 * is computed only if want_t: a doubling does not read T, so a point about to
 * be doubled needs none (the caller keeps track; T is left stale otherwise).
 */
static void ge_add(struct ge *r, const struct ge *p, const struct ge_cached *q, bool neg, bool want_t)
{
    fe a, b, c, d, e, f, g, h;
    fe_sub(&a, &p->Y, &p->X);
    fe_add(&b, &p->Y, &p->X);
    fe_mul(&a, &a, neg ? &q->ypx : &q->ymx);      /* -q swaps Y+X and Y-X and negates T */
    fe_mul(&b, &b, neg ? &q->ymx : &q->ypx);
    fe_mul(&c, &p->T, &q->t2d);
    fe_mul(&d, &p->Z, &q->z2);
    fe_sub(&e, &b, &a);
    if (neg) {                                      /* C negated: F = D + C, G = D - C */
        fe_add(&f, &d, &c);
        fe_sub(&g, &d, &c);
    } else {
        fe_sub(&f, &d, &c);
        fe_add(&g, &d, &c);
    }
    fe_add(&h, &b, &a);
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    if (want_t)
        fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

/*
 * r = 2p, reading only X, Y, Z of p. HWCD doubling for a = -1 gives
 * (EF : GH : FG : EH) with E = 2XY, G = B - A, F = G - C, H = -A - B
 * (A = X^2, B = Y^2, C = 2Z^2); this computes the same point scaled by -1,
 * (EF' : GH' : F'G : EH') with F' = C - G and H' = A + B, saving a negation.
 */
static void ge_double(struct ge *r, const struct ge *p, bool want_t)
{
    fe a, b, c, e, g, f, h;
    fe_sq(&a, &p->X);
    fe_sq(&b, &p->Y);
    fe_sq(&c, &p->Z);
    fe_add(&c, &c, &c);
    fe_add(&e, &p->X, &p->Y);
    fe_sq(&e, &e);
    fe_sub(&e, &e, &a);
    fe_sub(&e, &e, &b);         /* E = 2XY */
    fe_sub(&g, &b, &a);         /* G = B - A */
    fe_sub(&f, &c, &g);         /* F' = C - G */
    fe_add(&h, &a, &b);         /* H' = A + B */
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    if (want_t)
        fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

/* RFC 8032 5.1.3 with rule 2 above: 0 or -1 if x^2 has no square root. */
static int ge_decode(struct ge *p, const uint8_t s[32])
{
    fe y, y2, u, v, v3, x, t, vx2;
    fe_frombytes(&y, s);
    fe_sq(&y2, &y);
    fe_set(&t, 1);
    fe_sub(&u, &y2, &t);                /* u = y^2 - 1 */
    fe_mul(&v, &y2, &fe_d);
    fe_add(&v, &v, &t);                 /* v = d y^2 + 1, never 0: -1/d is not a square */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);               /* v^3 */
    fe_sq(&x, &v3);
    fe_mul(&x, &x, &v);
    fe_mul(&x, &x, &u);                 /* u v^7 */
    fe_pow22523(&x, &x);
    fe_mul(&x, &x, &v3);
    fe_mul(&x, &x, &u);                 /* x = u v^3 (u v^7)^((p-5)/8) */
    fe_sq(&vx2, &x);
    fe_mul(&vx2, &vx2, &v);
    if (!fe_equal(&vx2, &u)) {
        fe_neg(&t, &u);
        if (!fe_equal(&vx2, &t))
            return -1;
        fe_mul(&x, &x, &fe_sqrtm1);
    }
    if (fe_isodd(&x) != (s[31] >> 7))   /* x = 0 stays 0 whatever the sign bit */
        fe_neg(&x, &x);
    p->X = x;
    p->Y = y;
    fe_set(&p->Z, 1);
    fe_mul(&p->T, &x, &y);
    return 0;
}

static bool ge_is_identity(const struct ge *p)
{
    return fe_iszero(&p->X) && fe_equal(&p->Y, &p->Z);
}

/* ---- scalars mod L ---- */

static const uint64_t L[4] = { 0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000 };

static void sc_load(uint64_t w[4], const uint8_t *b)
{
    for (int i = 0; i < 4; i++) {
        w[i] = 0;
        for (int j = 7; j >= 0; j--)
            w[i] = w[i] << 8 | b[8 * i + j];
    }
}

static bool sc_below_l(const uint64_t w[4])
{
    for (int i = 3; i >= 0; i--)
        if (w[i] != L[i])
            return w[i] < L[i];
    return false;
}

static void sc_sub_l(uint64_t w[4])
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t t = w[i] - L[i] - borrow;
        borrow = (w[i] < L[i]) | ((w[i] == L[i]) & borrow);
        w[i] = t;
    }
}

/* r = the 64-byte little-endian number h mod L, one bit at a time (r stays below 2^254). */
static void sc_reduce512(uint64_t r[4], const uint8_t h[64])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    for (int i = 511; i >= 0; i--) {
        r[3] = r[3] << 1 | r[2] >> 63;
        r[2] = r[2] << 1 | r[1] >> 63;
        r[1] = r[1] << 1 | r[0] >> 63;
        r[0] = r[0] << 1 | (h[i / 8] >> (i % 8) & 1);
        if (!sc_below_l(r))
            sc_sub_l(r);
    }
}

/*
 * Width-5 signed NAF of a scalar below 2^253: digits odd in [-15, 15] or 0,
 * at least 4 zeros after every nonzero digit, sum of naf[i] 2^i = the scalar.
 * 256 digits suffice (a borrow can lengthen it by one bit).
 */
static void sc_naf5(int8_t naf[256], const uint64_t s[4])
{
    uint64_t w[5] = { s[0], s[1], s[2], s[3], 0 };
    for (int i = 0; i < 256; i++) {
        int8_t d = 0;
        if (w[0] & 1) {
            d = (int8_t)(w[0] & 31);
            if (d > 15)
                d -= 32;
            if (d > 0) {
                w[0] -= (uint64_t)d;            /* the low bits are d: no borrow */
            } else {
                uint64_t add = (uint64_t)-d;
                for (int k = 0; k < 5 && add; k++) {
                    w[k] += add;
                    add = w[k] < add;
                }
            }
        }
        naf[i] = d;
        for (int k = 0; k < 4; k++)
            w[k] = w[k] >> 1 | w[k + 1] << 63;
        w[4] >>= 1;
    }
}

/* tab[i] = (2i + 1) p, for i = 0..7 */
static void odd_multiples(struct ge_cached tab[8], const struct ge *p)
{
    struct ge p2, acc = *p;
    struct ge_cached c2;
    ge_double(&p2, p, true);
    ge_cache(&c2, &p2);
    ge_cache(&tab[0], &acc);
    for (int i = 1; i < 8; i++) {
        ge_add(&acc, &acc, &c2, false, true);
        ge_cache(&tab[i], &acc);
    }
}

static void add_digit(struct ge *r, const struct ge_cached tab[8], int8_t d, bool want_t)
{
    if (d > 0)
        ge_add(r, r, &tab[d / 2], false, want_t);
    else if (d < 0)
        ge_add(r, r, &tab[-d / 2], true, want_t);
}

/* r = [a]A + [b]B, both scalars below 2^253 (Straus over the two NAFs). */
static void double_scalarmult(struct ge *r, const uint64_t a[4], const struct ge *A,
                              const uint64_t b[4])
{
    struct ge base;
    struct ge_cached ta[8], tb[8];
    int8_t na[256], nb[256];
    base.X = fe_bx;
    base.Y = fe_by;
    fe_set(&base.Z, 1);
    fe_mul(&base.T, &fe_bx, &fe_by);
    odd_multiples(ta, A);
    odd_multiples(tb, &base);
    sc_naf5(na, a);
    sc_naf5(nb, b);
    int top = 255;
    while (top >= 0 && !na[top] && !nb[top])
        top--;
    ge_identity(r);
    /* T is needed only by an addition and by the caller (i == 0). */
    for (int i = top; i >= 0; i--) {
        ge_double(r, r, na[i] || nb[i] || i == 0);
        add_digit(r, ta, na[i], nb[i] || i == 0);
        add_digit(r, tb, nb[i], i == 0);
    }
}

/* ---- verification ---- */

int ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64])
{
    if (!pub || !sig || (!msg && len))
        return ED25519_EARGS;
    struct ge A, R, P;
    if (ge_decode(&A, pub) < 0)
        return ED25519_EPUB;
    uint64_t s[4];
    sc_load(s, sig + 32);
    if (!sc_below_l(s))
        return ED25519_ES;
    if (ge_decode(&R, sig) < 0)
        return ED25519_ER;

    struct sha512 h;
    uint8_t digest[64];
    uint64_t k[4];
    sha512_init(&h);
    sha512_update(&h, sig, 32);
    sha512_update(&h, pub, 32);
    sha512_update(&h, msg, len);
    sha512_final(&h, digest);
    sc_reduce512(k, digest);

    /* P = [S]B - [k]A - R, then [8]P must be the identity. */
    struct ge_cached c;
    fe_neg(&A.X, &A.X);
    fe_neg(&A.T, &A.T);
    double_scalarmult(&P, k, &A, s);
    ge_cache(&c, &R);
    ge_add(&P, &P, &c, true, false);
    ge_double(&P, &P, false);
    ge_double(&P, &P, false);
    ge_double(&P, &P, false);
    return ge_is_identity(&P) ? 0 : ED25519_EMISMATCH;
}

/*
 * For keys the kernel is about to trust (not part of verification, which
 * accepts all of these): refuses a key that is not a point, one encoded
 * non-canonically (y >= p, or x = 0 with the sign bit set: the same point has
 * another, canonical, encoding and so another key id), and a small-order key,
 * under which the rules above accept R = identity, S = 0 for any message.
 */
int ed25519_check_key(const uint8_t pub[32])
{
    struct ge A;
    if (!pub)
        return ED25519_EARGS;
    if (ge_decode(&A, pub) < 0)
        return ED25519_EPUB;
    uint8_t y[32];
    fe_tobytes(y, &A.Y);
    y[31] |= pub[31] & 0x80;
    if (memcmp(y, pub, 32) != 0 || ((pub[31] & 0x80) && fe_iszero(&A.X)))
        return ED25519_ENONCANON;
    ge_double(&A, &A, false);
    ge_double(&A, &A, false);
    ge_double(&A, &A, false);
    return ge_is_identity(&A) ? ED25519_EWEAK : 0;
}

const char *ed25519_strerror(int err)
{
    switch (err) {
    case 0: return "valid signature";
    case ED25519_EARGS: return "bad arguments";
    case ED25519_EPUB: return "bad public key";
    case ED25519_ES: return "non-canonical S";
    case ED25519_ER: return "bad R";
    case ED25519_EMISMATCH: return "signature mismatch";
    case ED25519_ENONCANON: return "non-canonical public key";
    case ED25519_EWEAK: return "small-order public key";
    default: return "unknown error";
    }
}

/*
 * jsonp.c - a strict, bounded JSON parser (RFC 8259) for the registry,
 * manifests and the bundle index.
 *
 * One pass over the text fills a caller's token array (jsmn's idea): each
 * token records its type, its byte range, how many direct children it has
 * and how many tokens it spans (itself and every descendant), so skipping a
 * value is one addition and nothing is allocated. Strictness: exactly one
 * value with only whitespace around it; no trailing commas, no comments,
 * no leading zeros, no lone '-', no bare '.', "1." or "1e"; strings hold no
 * raw control bytes, only the escapes of RFC 8259 section 7, \u surrogates
 * only in valid pairs, and valid UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF); objects may not repeat a key. Bounds: JSONP_MAX_LEN bytes
 * of text, JSONP_MAX_DEPTH nested arrays/objects, and the caller's token
 * capacity. On failure jp->error says which rule broke and jp->err_at the
 * byte offset.
 *
 * Readers: jp_find (a member of an object), jp_at (an array element),
 * jp_str (the decoded string, NUL-free), jp_eq, jp_u64 (a non-negative
 * integer), jp_fixed (a number as an integer times 10^decimals, exact).
 */
#include "../defs.h"

static void fail(struct jparser *jp, const char *why, size_t at)
{
    if (!jp->error) {
        jp->error = why;
        jp->err_at = at;
    }
}

static bool ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const struct jparser *jp, size_t p)
{
    while (p < jp->len && ws(jp->text[p]))
        p++;
    return p;
}

static int new_tok(struct jparser *jp, uint8_t type, size_t start)
{
    if (jp->ntok >= jp->cap) {
        fail(jp, "too many values", start);
        return -1;
    }
    struct jtok *t = &jp->tok[jp->ntok];
    t->type = type;
    t->start = (uint32_t)start;
    t->end = (uint32_t)start;
    t->size = 0;
    t->span = 1;
    return jp->ntok++;
}

static bool hexval(char c, unsigned *v)
{
    if (c >= '0' && c <= '9') *v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') *v = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *v = (unsigned)(c - 'A' + 10);
    else return false;
    return true;
}

static bool hex4(const struct jparser *jp, size_t p, unsigned *out)
{
    unsigned v = 0, d;
    if (p + 4 > jp->len)
        return false;
    for (int i = 0; i < 4; i++) {
        if (!hexval(jp->text[p + i], &d))
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* Length of the valid UTF-8 sequence at p (>= 0x80 lead byte), or 0. */
static size_t utf8_len(const struct jparser *jp, size_t p)
{
    const unsigned char *s = (const unsigned char *)jp->text + p;
    size_t left = jp->len - p;
    unsigned c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A string starting at the quote at p; returns the index after it, or 0. */
static size_t parse_string(struct jparser *jp, size_t p)
{
    size_t q = p + 1;
    while (q < jp->len) {
        unsigned char c = (unsigned char)jp->text[q];
        if (c == '"')
            return q + 1;
        if (c < 0x20) {
            fail(jp, "control character in a string", q);
            return 0;
        }
        if (c == '\\') {
            if (q + 1 >= jp->len)
                break;
            char e = jp->text[q + 1];
            if (e == 'u') {
                unsigned u, lo;
                if (!hex4(jp, q + 2, &u)) {
                    fail(jp, "bad \\u escape", q);
                    return 0;
                }
                q += 6;
                if (u >= 0xdc00 && u <= 0xdfff) {
                    fail(jp, "lone low surrogate", q - 6);
                    return 0;
                }
                if (u >= 0xd800 && u <= 0xdbff) {
                    if (q + 1 >= jp->len || jp->text[q] != '\\' || jp->text[q + 1] != 'u' ||
                        !hex4(jp, q + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                        fail(jp, "lone high surrogate", q - 6);
                        return 0;
                    }
                    q += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0) {
                fail(jp, "bad escape", q);
                return 0;
            }
            q += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_len(jp, q);
            if (!n) {
                fail(jp, "invalid UTF-8", q);
                return 0;
            }
            q += n;
            continue;
        }
        q++;
    }
    fail(jp, "unterminated string", p);
    return 0;
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t parse_number(struct jparser *jp, size_t p)
{
    size_t q = p;
    if (q < jp->len && jp->text[q] == '-')
        q++;
    if (q >= jp->len || !digit(jp->text[q])) {
        fail(jp, "bad number", p);
        return 0;
    }
    if (jp->text[q] == '0') {
        q++;
        if (q < jp->len && digit(jp->text[q])) {
            fail(jp, "leading zero", p);
            return 0;
        }
    } else {
        while (q < jp->len && digit(jp->text[q]))
            q++;
    }
    if (q < jp->len && jp->text[q] == '.') {
        q++;
        if (q >= jp->len || !digit(jp->text[q])) {
            fail(jp, "bad fraction", p);
            return 0;
        }
        while (q < jp->len && digit(jp->text[q]))
            q++;
    }
    if (q < jp->len && (jp->text[q] == 'e' || jp->text[q] == 'E')) {
        q++;
        if (q < jp->len && (jp->text[q] == '+' || jp->text[q] == '-'))
            q++;
        if (q >= jp->len || !digit(jp->text[q])) {
            fail(jp, "bad exponent", p);
            return 0;
        }
        while (q < jp->len && digit(jp->text[q]))
            q++;
    }
    return q;
}

static bool same_key(const struct jparser *jp, const struct jtok *a, const struct jtok *b)
{
    return a->end - a->start == b->end - b->start &&
           memcmp(jp->text + a->start, jp->text + b->start, a->end - a->start) == 0;
}

/* A value at p (whitespace skipped); returns the index after it, or 0. */
static size_t parse_value(struct jparser *jp, size_t p, int depth)
{
    p = skip_ws(jp, p);
    if (p >= jp->len) {
        fail(jp, "unexpected end of input", p);
        return 0;
    }
    char c = jp->text[p];
    int t;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        if (depth >= JSONP_MAX_DEPTH) {
            fail(jp, "nested too deeply", p);
            return 0;
        }
        if ((t = new_tok(jp, obj ? JT_OBJECT : JT_ARRAY, p)) < 0)
            return 0;
        size_t q = skip_ws(jp, p + 1);
        if (q < jp->len && jp->text[q] == (obj ? '}' : ']')) {
            jp->tok[t].end = (uint32_t)(q + 1);
            return q + 1;
        }
        for (;;) {
            if (obj) {
                q = skip_ws(jp, q);
                if (q >= jp->len || jp->text[q] != '"') {
                    fail(jp, "expected a key string", q);
                    return 0;
                }
                int k = new_tok(jp, JT_STRING, q);
                if (k < 0)
                    return 0;
                size_t e = parse_string(jp, q);
                if (!e)
                    return 0;
                jp->tok[k].start = (uint32_t)(q + 1);
                jp->tok[k].end = (uint32_t)(e - 1);
                /* Duplicate keys: compare raw text with the earlier keys. */
                for (int i = t + 1; i < k; i += jp->tok[i].span + jp->tok[i + 1].span)
                    if (same_key(jp, &jp->tok[i], &jp->tok[k])) {
                        fail(jp, "duplicate key", q);
                        return 0;
                    }
                q = skip_ws(jp, e);
                if (q >= jp->len || jp->text[q] != ':') {
                    fail(jp, "expected ':'", q);
                    return 0;
                }
                q++;
            }
            int v = jp->ntok;
            q = parse_value(jp, q, depth + 1);
            if (!q)
                return 0;
            jp->tok[t].size++;
            (void)v;
            q = skip_ws(jp, q);
            if (q < jp->len && jp->text[q] == ',') {
                q++;
                size_t r = skip_ws(jp, q);
                if (r < jp->len && (jp->text[r] == '}' || jp->text[r] == ']')) {
                    fail(jp, "trailing comma", r);
                    return 0;
                }
                continue;
            }
            if (q < jp->len && jp->text[q] == (obj ? '}' : ']')) {
                jp->tok[t].end = (uint32_t)(q + 1);
                jp->tok[t].span = (uint32_t)(jp->ntok - t);
                return q + 1;
            }
            fail(jp, obj ? "expected ',' or '}'" : "expected ',' or ']'", q);
            return 0;
        }
    }
    if (c == '"') {
        if ((t = new_tok(jp, JT_STRING, p)) < 0)
            return 0;
        size_t e = parse_string(jp, p);
        if (!e)
            return 0;
        jp->tok[t].start = (uint32_t)(p + 1);
        jp->tok[t].end = (uint32_t)(e - 1);
        return e;
    }
    if (c == '-' || digit(c)) {
        if ((t = new_tok(jp, JT_NUMBER, p)) < 0)
            return 0;
        size_t e = parse_number(jp, p);
        if (!e)
            return 0;
        jp->tok[t].end = (uint32_t)e;
        return e;
    }
    static const struct { const char *word; uint8_t type; } lits[] = {
        { "true", JT_TRUE }, { "false", JT_FALSE }, { "null", JT_NULL },
    };
    for (size_t i = 0; i < ARRAY_SIZE(lits); i++) {
        size_t n = strlen(lits[i].word);
        if (jp->len - p >= n && memcmp(jp->text + p, lits[i].word, n) == 0) {
            if ((t = new_tok(jp, lits[i].type, p)) < 0)
                return 0;
            jp->tok[t].end = (uint32_t)(p + n);
            return p + n;
        }
    }
    fail(jp, "unexpected character", p);
    return 0;
}

int jp_parse(struct jparser *jp, const char *text, size_t len, struct jtok *tok, int cap)
{
    memset(jp, 0, sizeof(*jp));
    jp->text = text;
    jp->len = len;
    jp->tok = tok;
    jp->cap = cap;
    if (len > JSONP_MAX_LEN) {
        fail(jp, "text too long", JSONP_MAX_LEN);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (text[i] == 0) {
            fail(jp, "NUL byte", i);
            return -1;
        }
    size_t e = parse_value(jp, 0, 0);
    if (!e)
        return -1;
    e = skip_ws(jp, e);
    if (e != len) {
        fail(jp, "text after the value", e);
        return -1;
    }
    return 0;
}

int jp_find(const struct jparser *jp, int obj, const char *key)
{
    if (obj < 0 || obj >= jp->ntok || jp->tok[obj].type != JT_OBJECT)
        return -1;
    size_t kl = strlen(key);
    int i = obj + 1;
    for (uint32_t n = 0; n < jp->tok[obj].size; n++) {
        const struct jtok *k = &jp->tok[i];
        if (k->end - k->start == kl && memcmp(jp->text + k->start, key, kl) == 0)
            return i + 1;
        i += 1 + (int)jp->tok[i + 1].span;
    }
    return -1;
}

int jp_at(const struct jparser *jp, int arr, uint32_t index)
{
    if (arr < 0 || arr >= jp->ntok || jp->tok[arr].type != JT_ARRAY || index >= jp->tok[arr].size)
        return -1;
    int i = arr + 1;
    for (uint32_t n = 0; n < index; n++)
        i += (int)jp->tok[i].span;
    return i;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xc0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12); out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18); out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int jp_str(const struct jparser *jp, int t, char *out, size_t cap)
{
    if (t < 0 || t >= jp->ntok || jp->tok[t].type != JT_STRING || cap == 0)
        return -1;
    size_t n = 0;
    char tmp[4];
    for (uint32_t p = jp->tok[t].start; p < jp->tok[t].end;) {
        char c = jp->text[p];
        size_t k;
        if (c != '\\') {
            tmp[0] = c;
            k = 1;
            p++;
        } else {
            char e = jp->text[p + 1];
            unsigned u = 0, lo = 0;
            p += 2;
            switch (e) {
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u':
                hex4(jp, p, &u);    /* validated by the parser */
                p += 4;
                if (u >= 0xd800 && u <= 0xdbff) {
                    hex4(jp, p + 2, &lo);
                    p += 6;
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                }
                break;
            default: u = (unsigned char)e; break;
            }
            if (u == 0)
                return -1;          /* an embedded NUL cannot be a C string */
            k = put_utf8(tmp, u);
        }
        if (n + k + 1 > cap)
            return -1;
        memcpy(out + n, tmp, k);
        n += k;
    }
    out[n] = 0;
    return (int)n;
}

bool jp_eq(const struct jparser *jp, int t, const char *s)
{
    char buf[128];
    return jp_str(jp, t, buf, sizeof(buf)) >= 0 && strcmp(buf, s) == 0;
}

int jp_fixed(const struct jparser *jp, int t, int decimals, int64_t *out)
{
    if (t < 0 || t >= jp->ntok || jp->tok[t].type != JT_NUMBER)
        return -1;
    const char *s = jp->text + jp->tok[t].start, *end = jp->text + jp->tok[t].end;
    bool neg = *s == '-';
    if (neg)
        s++;
    uint64_t v = 0;
    int frac = -1;      /* digits seen after '.', -1 before it */
    for (; s < end && (digit(*s) || *s == '.'); s++) {
        if (*s == '.') {
            frac = 0;
            continue;
        }
        if (frac >= 0) {
            if (frac == decimals) {
                if (*s != '0')
                    return -1;      /* more precision than asked for: not exact */
                continue;
            }
            frac++;
        }
        if (v > (UINT64_C(1) << 62) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (s != end)
        return -1;                  /* exponents are not accepted here */
    for (int i = frac < 0 ? 0 : frac; i < decimals; i++) {
        if (v > (UINT64_C(1) << 62) / 10)
            return -1;
        v *= 10;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int jp_u64(const struct jparser *jp, int t, uint64_t *out)
{
    int64_t v;
    if (jp_fixed(jp, t, 0, &v) || v < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/*
 * otlp.c - the OpenTelemetry span exporter: spans collected in memory,
 * written in batches of OTEL_BATCH to /otel/ as OTLP/JSON documents.
 *
 * A file is one `ExportTraceServiceRequest` (opentelemetry-proto,
 * collector/trace/v1) in the OTLP/JSON encoding: lowerCamelCase field names,
 * trace and span ids as lowercase hex (32 and 16 digits, not base64), enums
 * as integers, 64-bit integers (times, intValue) as decimal strings, one
 * resource (service.name "sis-kernel", service.version, host.arch "arm64")
 * and one scope ("sis.autonomy").
 *
 * Time: spans carry Unix nanoseconds. otel_ns() turns a guest counter
 * reading (CNTVCT) into them with one anchor taken at otel_init: the
 * PL031's seconds and the counter read together. Durations are exact
 * counter differences (16 ns at 62.5 MHz); the anchor itself is only as
 * good as the PL031's one-second resolution. Decision spans (ops/otel.c)
 * use the trace's own timestamp and stage timings.
 *
 * Ids: trace id = the first 16 bytes of SHA-256("sis-otel" | boot anchor |
 * the decision's trace id), span id n of a trace = 8 bytes of
 * SHA-256(trace id | n), so they are unique across boots and reproducible
 * from the trace record.
 *
 * Files: /otel/batch-NNNNNNNN.json, NNNNNNNN counting up across boots (the
 * next number is one past the highest file found at init). Retention: at
 * most OTEL_KEEP files; before a new one is written the oldest are removed.
 * A failed write (a full disk: ENOSPC) removes the partial file, counts the
 * batch's spans as dropped, reports it (otelctl status, an otel_batch event
 * with "ok":false) and the exporter carries on with the next batch: it
 * never retries, waits or stops the decision loop.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_OTEL

#define OTEL_DOC_MAX (640u << 10)

static struct otel_span batch[OTEL_BATCH];
static uint32_t nbatch;
static char *doc;                     /* the document buffer, allocated once */
static uint64_t anchor_unix_s, anchor_cnt;
static uint32_t next_seq, files_kept;
static struct otel_stats st;

/* ---- time and ids ---- */

uint64_t otel_ns(uint64_t counter)
{
    uint64_t f = timer_freq() ? timer_freq() : 62500000;
    uint64_t d = counter >= anchor_cnt ? counter - anchor_cnt : 0;
    return anchor_unix_s * 1000000000ull + d / f * 1000000000ull + d % f * 1000000000ull / f;
}

uint64_t otel_now_ns(void)
{
    return otel_ns(timer_counter());
}

void otel_trace_id(uint64_t decision_id, uint8_t out[16])
{
    struct sha256 s;
    uint8_t d[32], b[8];
    sha256_init(&s);
    sha256_update(&s, "sis-otel", 8);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(anchor_unix_s >> (8 * i));
    sha256_update(&s, b, 8);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(anchor_cnt >> (8 * i));
    sha256_update(&s, b, 8);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(decision_id >> (8 * i));
    sha256_update(&s, b, 8);
    sha256_final(&s, d);
    memcpy(out, d, 16);
}

void otel_span_id(const uint8_t trace_id[16], uint32_t n, uint8_t out[8])
{
    struct sha256 s;
    uint8_t d[32], b[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
    sha256_init(&s);
    sha256_update(&s, trace_id, 16);
    sha256_update(&s, b, 4);
    sha256_final(&s, d);
    memcpy(out, d, 8);
}

/* ---- building spans ---- */

struct otel_span *otel_span_open(const uint8_t trace_id[16], uint32_t n, const uint8_t *parent,
                                 const char *name, uint64_t start_ns)
{
    if (nbatch == OTEL_BATCH)
        otel_flush();               /* a failed flush empties the batch too */
    struct otel_span *s = &batch[nbatch];
    memset(s, 0, sizeof(*s));
    memcpy(s->trace_id, trace_id, 16);
    otel_span_id(trace_id, n, s->span_id);
    if (parent) {
        memcpy(s->parent_id, parent, 8);
        s->has_parent = true;
    }
    strlcpy(s->name, name, sizeof(s->name));
    s->kind = OTEL_KIND_INTERNAL;
    s->start_ns = start_ns;
    s->end_ns = start_ns;
    return s;
}

void otel_span_close(struct otel_span *s, uint64_t end_ns)
{
    s->end_ns = end_ns < s->start_ns ? s->start_ns : end_ns;
    nbatch++;
    st.spans++;
    if (nbatch == OTEL_BATCH)
        otel_flush();
}

static struct otel_kv *kv_add(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, uint8_t type)
{
    if (*n >= max) {
        st.attrs_dropped++;
        return NULL;
    }
    struct otel_kv *a = &kv[(*n)++];
    a->key = key;
    a->type = type;
    return a;
}

void otel_kv_str(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, const char *v)
{
    struct otel_kv *a = kv_add(kv, n, max, key, OTEL_STR);
    if (a)
        strlcpy(a->s, v, sizeof(a->s));
}

void otel_kv_int(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, int64_t v)
{
    struct otel_kv *a = kv_add(kv, n, max, key, OTEL_INT);
    if (a)
        a->i = v;
}

void otel_kv_fixed(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, int64_t v, int decimals)
{
    struct otel_kv *a = kv_add(kv, n, max, key, OTEL_DOUBLE);
    if (a) {
        a->i = v;
        a->decimals = (uint8_t)decimals;
    }
}

void otel_kv_bool(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, bool v)
{
    struct otel_kv *a = kv_add(kv, n, max, key, OTEL_BOOL);
    if (a)
        a->i = v;
}

struct otel_event *otel_event_add(struct otel_span *s, const char *name, uint64_t t_ns)
{
    if (s->nevent >= OTEL_MAX_EVENTS) {
        st.attrs_dropped++;
        return NULL;
    }
    struct otel_event *e = &s->ev[s->nevent++];
    memset(e, 0, sizeof(*e));
    strlcpy(e->name, name, sizeof(e->name));
    e->t_ns = t_ns;
    return e;
}

void otel_set_status(struct otel_span *s, int code, const char *msg)
{
    s->status = (uint8_t)code;
    strlcpy(s->status_msg, msg ? msg : "", sizeof(s->status_msg));
}

/* ---- the OTLP/JSON writer ---- */

struct w {
    char *buf;
    size_t len, cap;
    bool full;
};

static void wc(struct w *w, char c)
{
    if (w->len + 1 < w->cap)
        w->buf[w->len++] = c;
    else
        w->full = true;
}

static void wn(struct w *w, const char *s, size_t n)
{
    if (w->len + n < w->cap) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    } else {
        w->full = true;
    }
}

static void ws(struct w *w, const char *s)
{
    wn(w, s, strlen(s));
}

/* Decimal digits of v (a sign first when negative), optionally in quotes. */
static void wdec(struct w *w, uint64_t v, bool negative, bool quoted)
{
    char d[24];
    int i = sizeof(d);
    if (quoted)
        d[--i] = '"';
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (negative)
        d[--i] = '-';
    if (quoted)
        d[--i] = '"';
    wn(w, d + i, sizeof(d) - (size_t)i);
}

static void wstr(struct w *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x80)
        n++;
    wc(w, '"');
    wn(w, s, n);            /* the common case: nothing to escape */
    for (s += n; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            wc(w, '\\');
            wc(w, (char)c);
        } else if (c < 0x20 || c >= 0x80) {
            /* Non-ASCII bytes too: the kernel's strings are not known to be UTF-8. */
            ws(w, "\\u00");
            wc(w, hex[c >> 4]);
            wc(w, hex[c & 15]);
        } else {
            wc(w, (char)c);
        }
    }
    wc(w, '"');
}

static void wu64(struct w *w, uint64_t v, bool quoted)
{
    wdec(w, v, false, quoted);
}

static void whex(struct w *w, const uint8_t *b, int n)
{
    static const char hex[] = "0123456789abcdef";
    char t[34];
    t[0] = '"';
    for (int i = 0; i < n; i++) {
        t[1 + 2 * i] = hex[b[i] >> 4];
        t[2 + 2 * i] = hex[b[i] & 15];
    }
    t[1 + 2 * n] = '"';
    wn(w, t, (size_t)(2 + 2 * n));
}

static void wvalue(struct w *w, const struct otel_kv *a)
{
    char num[40];
    switch (a->type) {
    case OTEL_STR:
        ws(w, "{\"stringValue\":");
        wstr(w, a->s);
        break;
    case OTEL_INT:
        ws(w, "{\"intValue\":");
        wdec(w, a->i < 0 ? (uint64_t)0 - (uint64_t)a->i : (uint64_t)a->i, a->i < 0, true);
        break;
    case OTEL_BOOL:
        ws(w, a->i ? "{\"boolValue\":true" : "{\"boolValue\":false");
        break;
    default: {
        uint64_t u = a->i < 0 ? (uint64_t)0 - (uint64_t)a->i : (uint64_t)a->i, scale = 1;
        for (int i = 0; i < a->decimals; i++)
            scale *= 10;
        if (a->decimals)
            snprintf(num, sizeof(num), "{\"doubleValue\":%s%lu.%0*lu", a->i < 0 ? "-" : "",
                     (unsigned long)(u / scale), a->decimals, (unsigned long)(u % scale));
        else
            snprintf(num, sizeof(num), "{\"doubleValue\":%s%lu", a->i < 0 ? "-" : "", (unsigned long)u);
        ws(w, num);
    }
    }
    wc(w, '}');
}

static void wattrs(struct w *w, const struct otel_kv *kv, int n)
{
    ws(w, "\"attributes\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            wc(w, ',');
        ws(w, "{\"key\":");
        wstr(w, kv[i].key);
        ws(w, ",\"value\":");
        wvalue(w, &kv[i]);
        wc(w, '}');
    }
    wc(w, ']');
}

static void wspan(struct w *w, const struct otel_span *s)
{
    ws(w, "{\"traceId\":");
    whex(w, s->trace_id, 16);
    ws(w, ",\"spanId\":");
    whex(w, s->span_id, 8);
    if (s->has_parent) {
        ws(w, ",\"parentSpanId\":");
        whex(w, s->parent_id, 8);
    }
    ws(w, ",\"name\":");
    wstr(w, s->name);
    ws(w, ",\"kind\":");
    wu64(w, s->kind, false);
    ws(w, ",\"startTimeUnixNano\":");
    wu64(w, s->start_ns, true);
    ws(w, ",\"endTimeUnixNano\":");
    wu64(w, s->end_ns, true);
    wc(w, ',');
    wattrs(w, s->attr, s->nattr);
    ws(w, ",\"events\":[");
    for (int i = 0; i < s->nevent; i++) {
        const struct otel_event *e = &s->ev[i];
        if (i)
            wc(w, ',');
        ws(w, "{\"timeUnixNano\":");
        wu64(w, e->t_ns, true);
        ws(w, ",\"name\":");
        wstr(w, e->name);
        wc(w, ',');
        wattrs(w, e->attr, e->nattr);
        wc(w, '}');
    }
    ws(w, "],\"status\":{");
    if (s->status) {
        ws(w, "\"code\":");
        wu64(w, s->status, false);
        if (s->status_msg[0]) {
            ws(w, ",\"message\":");
            wstr(w, s->status_msg);
        }
    }
    ws(w, "}}");
}

/* The whole document for spans[0..n); its length, or 0 if it does not fit. */
size_t otlp_encode(const struct otel_span *spans, uint32_t n, char *buf, size_t cap)
{
    struct w w = { buf, 0, cap, false };
    ws(&w, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    ws(&w, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"sis-kernel\"}},");
    ws(&w, "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"" SIS_VERSION "\"}},");
    ws(&w, "{\"key\":\"host.arch\",\"value\":{\"stringValue\":\"arm64\"}},");
    ws(&w, "{\"key\":\"os.type\",\"value\":{\"stringValue\":\"sis\"}},");
    ws(&w, "{\"key\":\"sis.source_hash\",\"value\":{\"stringValue\":");
    wstr(&w, sis_source_hash);
    ws(&w, "}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"sis.autonomy\",\"version\":\"" SIS_VERSION "\"},\"spans\":[");
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            wc(&w, ',');
        wspan(&w, &spans[i]);
    }
    ws(&w, "]}]}]}\n");
    if (w.full)
        return 0;
    buf[w.len] = 0;
    return w.len;
}

/* ---- files and retention ---- */

static int parse_seq(const char *name, uint32_t len, uint32_t *seq)
{
    /* batch-NNNNNNNN.json */
    if (len != 19 || strncmp(name, "batch-", 6) != 0 || strncmp(name + 14, ".json", 5) != 0)
        return -1;
    uint32_t v = 0;
    for (int i = 6; i < 14; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (uint32_t)(name[i] - '0');
    }
    *seq = v;
    return 0;
}

struct scan {
    uint32_t count, lo, hi;
};

static int scan_fn(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
    (void)ino;
    (void)type;
    struct scan *s = arg;
    uint32_t q;
    if (parse_seq(name, len, &q) == 0) {
        if (!s->count || q < s->lo)
            s->lo = q;
        if (!s->count || q > s->hi)
            s->hi = q;
        s->count++;
    }
    return 0;
}

static int scan_dir(struct ext4_fs *fs, struct scan *s)
{
    memset(s, 0, sizeof(*s));
    return vfs_readdir(fs, OTEL_DIR, scan_fn, s);
}

static void batch_path(uint32_t seq, char *out, size_t n)
{
    snprintf(out, n, OTEL_DIR "/batch-%08u.json", seq);
}

/* Remove the oldest files until fewer than `keep` remain. */
static void prune(struct ext4_fs *fs, uint32_t keep)
{
    struct scan s;
    while (scan_dir(fs, &s) == 0 && s.count >= keep && s.count) {
        char p[64];
        batch_path(s.lo, p, sizeof(p));
        if (vfs_unlink(fs, p) != 0)
            break;
        st.files_removed++;
    }
}

static void batch_event(bool ok, uint32_t spans, uint32_t seq, size_t bytes, uint64_t us, uint64_t ticks,
                        const char *err)
{
    char line[400];
    struct json j;
    event_begin(&j, line, sizeof(line), "otel_batch");
    json_bool(&j, "ok", ok);
    json_u64(&j, "spans", spans);
    if (ok) {
        char p[64];
        batch_path(seq, p, sizeof(p));
        json_str(&j, "file", p);
        json_u64(&j, "bytes", bytes);
    } else {
        json_str(&j, "error", err);
    }
    json_u64(&j, "files", files_kept);
    json_u64(&j, "duration_us", us);
    json_u64(&j, "duration_ticks", ticks);
    json_u64(&j, "dropped_total", st.spans_dropped);
    event_send(&j);
}

static void fail_batch(uint32_t n, const char *why, int err, uint64_t c0)
{
    st.batches_failed++;
    st.spans_dropped += n;
    snprintf(st.last_error, sizeof(st.last_error), "%s: %s", why, err ? vfs_strerror(err) : "");
    uint64_t t = timer_counter() - c0;
    batch_event(false, n, 0, 0, t * 1000000 / (timer_freq() ? timer_freq() : 62500000), t, st.last_error);
}

int otel_flush(void)
{
    uint32_t n = nbatch;
    nbatch = 0;                     /* whatever happens, this batch is done */
    if (!n)
        return 0;
    uint64_t c0 = timer_counter();
    struct ext4_fs *fs = storage_fs();
    if (!fs || ext4_is_readonly(fs)) {
        fail_batch(n, "no writable filesystem", 0, c0);
        return -19;
    }
    if (!doc && !(doc = kmalloc(OTEL_DOC_MAX))) {
        fail_batch(n, "out of memory", -ENOMEM, c0);
        return -ENOMEM;
    }
    size_t len = otlp_encode(batch, n, doc, OTEL_DOC_MAX);
    uint64_t c_enc = timer_counter() - c0;
    if (!len) {
        fail_batch(n, "document too large", -ENOSPC, c0);
        return -ENOSPC;
    }
    struct ext4_stat sd;
    int r = vfs_lstat(fs, OTEL_DIR, &sd);
    if (r == -ENOENT)
        r = vfs_mkdir(fs, OTEL_DIR, 0755);
    if (r) {
        fail_batch(n, "creating " OTEL_DIR, r, c0);
        vfs_sync(fs);
        return r;
    }
    prune(fs, OTEL_KEEP);
    char p[64];
    uint32_t seq = next_seq;
    batch_path(seq, p, sizeof(p));
    int64_t w = vfs_write(fs, p, 0, doc, len, VFS_O_CREATE | VFS_O_TRUNC);
    r = w < 0 ? (int)w : 0;
    if (!r)
        r = vfs_sync(fs);
    if (r) {
        vfs_unlink(fs, p);          /* no partial document stays behind */
        vfs_sync(fs);
        struct scan s;
        files_kept = scan_dir(fs, &s) == 0 ? s.count : files_kept;
        fail_batch(n, "writing batch", r, c0);
        return r;
    }
    next_seq++;
    struct scan s;
    files_kept = scan_dir(fs, &s) == 0 ? s.count : files_kept + 1;
    uint64_t t = timer_counter() - c0;
    uint64_t us = t * 1000000 / (timer_freq() ? timer_freq() : 62500000);
    st.batches++;
    st.bytes += len;
    st.last_us = us;
    st.last_ticks = t;
    st.last_encode_ticks = c_enc;
    st.last_bytes = len;
    st.last_error[0] = 0;
    batch_event(true, n, seq, len, us, t, NULL);
    return 0;
}

void otel_init(void)
{
    anchor_unix_s = rtc_seconds();
    anchor_cnt = timer_counter();
    struct ext4_fs *fs = storage_fs();
    struct scan s;
    if (fs && scan_dir(fs, &s) == 0 && s.count) {
        next_seq = s.hi + 1;
        files_kept = s.count;
    }
}

void otel_get_stats(struct otel_stats *out)
{
    *out = st;
    out->pending = nbatch;
    out->files = files_kept;
    out->next_seq = next_seq;
}

/* ---- otelctl ---- */

int cmd_otelctl(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "flush") == 0) {
        uint32_t n = nbatch;
        if (!n) {
            printf("otelctl: nothing to flush\n");
            return 0;
        }
        int r = otel_flush();
        if (r) {
            printf("otelctl: flush: %u spans dropped: %s\n", n, st.last_error);
            return 1;
        }
        char p[64];
        batch_path(next_seq - 1, p, sizeof(p));
        printf("flushed %u spans to %s (%lu bytes, %lu us)\n", n, p, (unsigned long)st.last_bytes,
               (unsigned long)st.last_us);
        return 0;
    }
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0)) {
        printf("exporter:  OTLP/JSON to " OTEL_DIR "/, batches of %u spans, keeping %u files\n", OTEL_BATCH,
               OTEL_KEEP);
        printf("pending:   %u spans\n", nbatch);
        printf("spans:     %lu recorded, %lu dropped\n", (unsigned long)st.spans, (unsigned long)st.spans_dropped);
        printf("batches:   %lu written (%lu bytes), %lu failed\n", (unsigned long)st.batches,
               (unsigned long)st.bytes, (unsigned long)st.batches_failed);
        printf("files:     %u in " OTEL_DIR ", %lu removed by retention, next batch-%08u.json\n", files_kept,
               (unsigned long)st.files_removed, next_seq);
        if (st.batches)
            printf("last:      %lu bytes in %lu us (%lu counter ticks; encoding %lu ticks, the rest writing and the commit)\n",
                   (unsigned long)st.last_bytes, (unsigned long)st.last_us, (unsigned long)st.last_ticks,
                   (unsigned long)st.last_encode_ticks);
        printf("error:     %s\n", st.last_error[0] ? st.last_error : "none");
        return 0;
    }
    printf("usage: otelctl status | flush\n");
    return 1;
}

#endif

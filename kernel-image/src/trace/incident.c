/*
 * incident.c - incident bundles (seed 7.2.3; docs/schemas/incident-bundle.v1.json):
 * the chosen traces, the model that made them, heap statistics, the last
 * INC_LOG_LINES kernel log lines (copied from the klog ring, which keeps
 * them) and the build configuration, as one JSON file
 * /incidents/INC-YYYYMMDD-NNN.json.
 *
 * Numbering: NNN counts bundles per UTC day from 001. The last number
 * handed out is kept in /incidents/.seq ("YYYYMMDD NNN\n") and written
 * before the bundle, so a number is never used twice, across reboots and
 * after retention removed the files.
 * Retention: at most INC_KEEP bundles; after each export the oldest (by
 * name: date, then number) are removed until INC_KEEP remain.
 * Errors (no filesystem, a full disk, ...): the bundle is dropped - the
 * partial file removed, one line printed, a log line and an `incident`
 * event with result "dropped" - and the caller goes on. Nothing here
 * blocks or allocates: the bundle is built in a static buffer.
 */
#include "trace.h"
#include "../fs/ext4.h"

#ifdef CONFIG_DECISION_TRACES

#define INC_DIR "/incidents"
#define INC_SEQ INC_DIR "/.seq"
#define INC_LOG_LINES 100
#define INC_BUF (224u << 10)

static char buf[INC_BUF];

static void today(char out[9])
{
    char iso[32];
    rtc_format_iso8601(rtc_present() ? rtc_seconds() : 0, iso, sizeof(iso));
    /* "2026-12-01T23:47:00Z" -> "20261201" */
    out[0] = iso[0], out[1] = iso[1], out[2] = iso[2], out[3] = iso[3];
    out[4] = iso[5], out[5] = iso[6], out[6] = iso[8], out[7] = iso[9];
    out[8] = 0;
}

static int next_number(struct ext4_fs *fs, const char *date, uint32_t *out)
{
    char text[32] = { 0 };
    int64_t n = vfs_read(fs, INC_SEQ, 0, text, sizeof(text) - 1);
    uint32_t seq = 0;
    if (n > 0 && strncmp(text, date, 8) == 0 && text[8] == ' ') {
        uint64_t v;
        char num[16] = { 0 };
        for (int i = 0; i < 15 && text[9 + i] >= '0' && text[9 + i] <= '9'; i++)
            num[i] = text[9 + i];
        if (parse_u64(num, &v) == 0)
            seq = (uint32_t)v;
    }
    seq++;
    int len = snprintf(text, sizeof(text), "%s %03u\n", date, seq);
    int64_t w = vfs_write(fs, INC_SEQ, 0, text, (uint64_t)len, VFS_O_CREATE | VFS_O_TRUNC);
    if (w < 0)
        return (int)w;
    *out = seq;
    return 0;
}

struct inc_list {
    char names[INC_KEEP + 8][32];
    uint32_t n, total;
};

static int collect(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
    (void)ino;
    (void)type;
    struct inc_list *l = arg;
    if (len < 8 || len >= 32 || strncmp(name, "INC-", 4) != 0 || strncmp(name + len - 5, ".json", 5) != 0)
        return 0;
    l->total++;
    char nm[32];
    memcpy(nm, name, len);
    nm[len] = 0;
    /* keep the oldest ones, sorted, in a bounded insertion list */
    uint32_t cap = ARRAY_SIZE(l->names);
    uint32_t i = l->n;
    while (i > 0 && strcmp(l->names[i - 1], nm) > 0)
        i--;
    if (i >= cap)
        return 0;
    uint32_t last = l->n < cap ? l->n : cap - 1;
    for (uint32_t k = last; k > i; k--)
        memcpy(l->names[k], l->names[k - 1], 32);
    memcpy(l->names[i], nm, 32);
    if (l->n < cap)
        l->n++;
    return 0;
}

/* Remove the oldest bundles until INC_KEEP remain; returns how many were removed. */
static uint32_t retain(struct ext4_fs *fs)
{
    uint32_t removed = 0;
    for (int pass = 0; pass < 64; pass++) {
        static struct inc_list l;
        memset(&l, 0, sizeof(l));
        if (vfs_readdir(fs, INC_DIR, collect, &l))
            return removed;
        if (l.total <= INC_KEEP)
            return removed;
        uint32_t excess = l.total - INC_KEEP;
        for (uint32_t i = 0; i < excess && i < l.n; i++) {
            char path[64];
            snprintf(path, sizeof(path), INC_DIR "/%s", l.names[i]);
            if (vfs_unlink(fs, path) == 0)
                removed++;
        }
    }
    return removed;
}

uint32_t incident_count(void)
{
    struct ext4_fs *fs = storage_fs();
    static struct inc_list l;
    memset(&l, 0, sizeof(l));
    if (!fs || vfs_readdir(fs, INC_DIR, collect, &l))
        return 0;
    return l.total;
}

static void incident_event(const char *id, const char *path, uint32_t ntraces, uint64_t bytes,
                           const char *result, const char *error, uint32_t removed)
{
    char line[400];
    struct json j;
    event_begin(&j, line, sizeof(line), "incident");
    json_str(&j, "id", id);
    json_str(&j, "path", path);
    json_u64(&j, "traces", ntraces);
    json_u64(&j, "bytes", bytes);
    json_str(&j, "result", result);
    if (error)
        json_str(&j, "error", error);
    json_u64(&j, "removed", removed);
    event_send(&j);
}

static const char *build_bundle(const char *id, const uint64_t *ids, int n)
{
    struct json j;
    json_begin(&j, buf, sizeof(buf));
    json_str(&j, "schema", "sis.incident-bundle.v1");
    json_str(&j, "incident_id", id);
    json_u64(&j, "exported_at", rtc_present() ? rtc_seconds() : 0);
    json_u64(&j, "exported_uptime_us", timer_us());
    json_open_array(&j, "traces");
    for (int i = 0; i < n; i++)
        trace_json(&j, NULL, trace_find(ids[i]));
    json_close(&j);

    char v[MODEL_NAME_MAX + 1], h[65], hash[72];
    uint64_t at;
    auto_model_info(v, h, &at);
    json_open_object(&j, "model_info");
    json_str(&j, "version", v);
    if (h[0]) {
        snprintf(hash, sizeof(hash), "sha256:%s", h);
        json_str(&j, "hash", hash);
        json_u64(&j, "loaded_at", at);
    } else {
        json_null(&j, "hash");
        json_null(&j, "loaded_at");
    }
    json_close(&j);

    struct heap_stats hs;
    heap_stats(&hs);
    json_open_object(&j, "system_snapshot");
    json_u64(&j, "uptime_ms", timer_us() / 1000);
    json_open_object(&j, "heap_stats");
    json_u64(&j, "allocated", hs.in_use);
    json_u64(&j, "peak", hs.peak);
    json_u64(&j, "size", hs.size);
    json_u64(&j, "allocs", hs.allocs);
    json_u64(&j, "frees", hs.frees);
    json_u64(&j, "failures", hs.failures);
    json_u64(&j, "free_blocks", hs.free_blocks);
    json_u64(&j, "largest_free", hs.largest_free);
    json_close(&j);
    json_open_array(&j, "logs");
    uint32_t nl = 0;
    uint64_t ts;
    const char *text;
    while (nl < INC_LOG_LINES && klog_line(nl, &ts, &text))
        nl++;
    for (uint32_t i = nl; i-- > 0;) {       /* oldest first */
        klog_line(i, &ts, &text);
        json_open_object(&j, NULL);
        json_u64(&j, "ts_us", ts);
        json_str(&j, "text", text);
        json_close(&j);
    }
    json_close(&j);
    json_close(&j);

    char src[80];
    json_open_object(&j, "config");
    json_str(&j, "kernel_version", SIS_VERSION);
    json_open_array(&j, "features");
    const char *f = sis_features;
    while (*f) {
        char one[32];
        size_t k = 0;
        while (*f && *f != ' ' && k + 1 < sizeof(one))
            one[k++] = *f++;
        one[k] = 0;
        while (*f == ' ')
            f++;
        json_str(&j, NULL, one);
    }
    json_close(&j);
    snprintf(src, sizeof(src), "sha256:%s", sis_source_hash);
    json_str(&j, "source_hash", src);
    json_u64(&j, "decision_interval_ms", auto_interval_ms());
    json_close(&j);
    return json_end(&j);
}

/* Export a bundle of the given (held) traces; prints its path or why it was dropped. 0 or -errno. */
int incident_export(const uint64_t *ids, int n, char *path_out, size_t cap)
{
    char id[32] = "", path[64] = "";
    struct ext4_fs *fs = storage_fs();
    int r;
    const char *why = NULL;
    const char *text = NULL;
    uint32_t removed = 0;
    if (!fs) {
        r = -ENODEV;
        why = "no filesystem";
        goto drop;
    }
    r = vfs_mkdir(fs, INC_DIR, 0755);
    if (r && r != -EEXIST) {
        why = vfs_strerror(r);
        goto drop;
    }
    char date[9];
    today(date);
    uint32_t seq;
    if ((r = next_number(fs, date, &seq))) {
        why = vfs_strerror(r);
        goto drop;
    }
    snprintf(id, sizeof(id), "INC-%s-%03u", date, seq);
    snprintf(path, sizeof(path), INC_DIR "/%s.json", id);
    text = build_bundle(id, ids, n);
    if (!text) {
        r = -EFBIG;
        why = "bundle larger than the export buffer";
        goto drop;
    }
    size_t len = strlen(text);
    buf[len] = '\n';
    int64_t w = vfs_write(fs, path, 0, text, len + 1, VFS_O_CREATE | VFS_O_TRUNC);
    buf[len] = 0;
    if (w < 0) {
        r = (int)w;
        why = vfs_strerror(r);
        vfs_unlink(fs, path);
        goto drop;
    }
    removed = retain(fs);
    if ((r = vfs_sync(fs))) {
        why = vfs_strerror(r);
        goto drop;
    }
    printf("tracectl: incident %s: %d trace(s), %lu bytes, written to %s%s\n", id, n,
           (unsigned long)(len + 1), path, removed ? " (retention removed older bundles)" : "");
    incident_event(id, path, (uint32_t)n, len + 1, "written", NULL, removed);
    if (path_out)
        strlcpy(path_out, path, cap);
    return 0;
drop:
    if (fs)
        vfs_sync(fs);
    printf("tracectl: export: bundle %s dropped: %s\n", id[0] ? id : "(unnumbered)", why);
    char msg[120];
    snprintf(msg, sizeof(msg), "incident %s dropped: %s", id[0] ? id : "(unnumbered)", why);
    klog_write("", msg);
    incident_event(id, path, (uint32_t)n, 0, "dropped", why, 0);
    return r ? r : -EIO;
}

#endif /* CONFIG_DECISION_TRACES */

/*
 * cmd_trace.c - `tracectl`: list, show, export (incident bundles), clear,
 * stats, annotate (feedback for training) and replay (the recorded features
 * on another model version).
 *
 * A host that drives these commands (the dashboard types them into the
 * shell) must not read the human text back, so `show ID --json`, `annotate`
 * and `replay` also answer on the event console: one `trace`, `annotation`
 * or `replay` event per command, with "ok": false and the reason when the
 * command was refused (docs/EVENTS.md).
 */
#include "trace.h"
#include "../fs/ext4.h"

#ifdef CONFIG_DECISION_TRACES

#define FEEDBACK_DIR "/feedback"
#define FEEDBACK_FILE FEEDBACK_DIR "/annotations.jsonl"
#define EXPORT_MAX 32

/* The id and the refusal of the command being run, for its answer event. */
static uint64_t arg_id;
static char refusal[120];

/* Prints a refusal and keeps it for the answer event (the same words). */
static void refuse(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void refuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(refusal, sizeof(refusal), fmt, ap);
    va_end(ap);
    printf("%s\n", refusal);
}

static int get_trace(const char *cmd, const char *arg, struct decision_trace **out)
{
    uint64_t id;
    arg_id = 0;
    if (parse_u64(arg, &id) || id == 0) {
        refuse("tracectl: %s: '%s' is not a trace id", cmd, arg);
        return -1;
    }
    arg_id = id;
    *out = trace_find(id);
    if (!*out) {
        refuse("tracectl: %s: trace %lu is not in the ring", cmd, (unsigned long)id);
        return -1;
    }
    return 0;
}

/* The answer event of a refused show --json / annotate / replay. */
static void answer_refused(const char *type)
{
    char line[300];
    struct json j;
    event_begin(&j, line, sizeof(line), type);
    json_u64(&j, "id", arg_id);
    json_bool(&j, "ok", false);
    json_str(&j, "error", refusal);
    event_send(&j);
}

/*
 * `show ID --json`: the trace as the incident bundle holds it, on one
 * console line and in a `trace` event. A trace is about 3.5 KB of JSON
 * (more with a shadow and 64 activations), well inside both buffers and
 * the event line limit.
 */
static int show_json(const struct decision_trace *t)
{
    static char text[12 << 10], line[15 << 10];
    struct json j;
    json_begin(&j, text, sizeof(text));     /* the writer's own top-level object is the trace */
    trace_json_members(&j, t);
    const char *out = json_end(&j);
    if (!out) {
        refuse("tracectl: show: trace %lu does not fit the JSON buffer", (unsigned long)t->trace_id);
        answer_refused("trace");
        return 1;
    }
    printf("%s\n", out);
    event_begin(&j, line, sizeof(line), "trace");
    json_u64(&j, "id", t->trace_id);
    json_bool(&j, "ok", true);
    trace_json(&j, "trace", t);
    if (event_send(&j))
        printf("tracectl: show: the trace event was dropped (no event console, or too long)\n");
    return 0;
}

static void milli(char *b, size_t n, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
    if (u % 1000)
        snprintf(b, n, "%s%lu.%03lu", v < 0 ? "-" : "", (unsigned long)(u / 1000), (unsigned long)(u % 1000));
    else
        snprintf(b, n, "%s%lu", v < 0 ? "-" : "", (unsigned long)(u / 1000));
}

static void f6(char *b, size_t n, double x)
{
    if (!(x == x) || x > 9e12 || x < -9e12) {
        snprintf(b, n, "nan");
        return;
    }
    double s = x * 1e6;
    int64_t v = (int64_t)(s < 0 ? s - 0.5 : s + 0.5);
    uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
    snprintf(b, n, "%s%lu.%06lu", v < 0 ? "-" : "", (unsigned long)(u / 1000000), (unsigned long)(u % 1000000));
}

static int list(int n)
{
    uint32_t held = trace_count();
    printf("traces: %u held, newest first (last %d)\n", held, n);
    printf("  id        uptime_ms  model            action             conf  executed           reward\n");
    for (uint32_t i = 0; i < (uint32_t)n && i < held; i++) {
        const struct decision_trace *t = trace_newest(i);
        char rw[16];
        if (t->reward_valid)
            snprintf(rw, sizeof(rw), "%d", t->reward);
        else
            snprintf(rw, sizeof(rw), "-");
        const char *ex = t->executed ? action_name(t->executed_action)
                         : t->approval == APPROVAL_PENDING ? "pending" : t->override_reason;
        printf("  %-9lu %-10lu %-16s %-18s %4u  %-18s %s\n", (unsigned long)t->trace_id,
               (unsigned long)(t->uptime_ns / 1000000), t->model_version, action_name(t->chosen_action),
               t->confidence, ex, rw);
    }
    return 0;
}

static int show(const struct decision_trace *t)
{
    char a[24], b[24];
    printf("trace %lu at %lu.%06lu s (unix us %lu), decider %s %s\n", (unsigned long)t->trace_id,
           (unsigned long)(t->uptime_ns / 1000000000), (unsigned long)(t->uptime_ns / 1000 % 1000000),
           (unsigned long)t->timestamp_us, t->decider == DECIDER_MODEL ? "model" : "reference", t->model_version);
    printf("model hash: %s%s\n", t->model_hash[0] ? "sha256:" : "", t->model_hash[0] ? t->model_hash : "none");
    const struct telemetry *m = &t->telemetry;
    printf("telemetry: mem %u%%, misses %u, cpu %u%%, latency %u ms, heap %lu bytes, tasks %u, interval %u us\n",
           m->mem_pressure, m->deadline_misses, m->cpu_usage, m->network_latency, (unsigned long)m->heap_used,
           m->processes_running, m->interval_us);
    printf("io: %u requests, mean %u us, %u errors; missed ticks %u%s\n", m->io_requests, m->io_latency_us,
           m->io_errors, m->missed_ticks, t->chaos_telemetry ? "; chaos applied to the features" : "");
    printf("features (raw -> scaled):\n");
    for (int i = 0; i < TRACE_FEATURES; i++) {
        f6(a, sizeof(a), t->raw[i]);
        f6(b, sizeof(b), t->features[i]);
        printf("  %-18s %16s -> %s\n", feature_name(i), a, b);
    }
    printf("hidden activations: %u layer(s)", t->hidden_layers);
    for (int l = 0; l < t->hidden_layers; l++)
        printf("%s%u", l ? "+" : " ", t->hidden_dims[l]);
    printf(", %u stored%s\n", t->hidden_count, t->hidden_truncated ? " (truncated)" : "");
    printf("predictions:");
    for (int i = 0; i < TRACE_ACTIONS; i++) {
        f6(a, sizeof(a), t->probabilities[i]);
        printf(" %s=%s", action_name((uint32_t)i), a);
    }
    printf("\nchosen: %s (%u), confidence %u; alternatives:", action_name(t->chosen_action), t->chosen_action,
           t->confidence);
    for (int i = 0; i < TRACE_ALTS; i++)
        printf(" %s %u", action_name(t->alternatives[i].action), t->alternatives[i].confidence);
    printf("\npolicy checks: %u\n", t->nchecks);
    for (int i = 0; i < t->nchecks; i++) {
        milli(a, sizeof(a), t->checks[i].value_milli);
        milli(b, sizeof(b), t->checks[i].threshold_milli);
        printf("  %-16s value %s threshold %s %s\n", t->checks[i].name, a, b, t->checks[i].passed ? "pass" : "FAIL");
    }
    if (t->shadow.present)
        printf("shadow: %s action %s confidence %u%s%s\n", t->shadow.version, action_name(t->shadow.action),
               t->shadow.confidence, t->shadow.diverged ? " diverged" : "", t->shadow.canary ? " canary" : "");
    printf("outcome: executed %s, action %s, overridden %s%s%s, approval %s", t->executed ? "yes" : "no",
           action_name(t->executed_action), t->overridden ? "yes" : "no", t->override_reason[0] ? " reason " : "",
           t->override_reason, approval_name(t->approval));
    if (t->pending_id)
        printf(" (pending id %u)", t->pending_id);
    printf("\nhealth %u, reward ", t->health);
    if (t->reward_valid)
        printf("%d\n", t->reward);
    else
        printf("not yet known\n");
    printf("stages ns:");
    for (int s = 0; s < STAGE_COUNT; s++)
        printf(" %s %u", stage_name(s), t->stage_ns[s]);
    printf("; total %u\n", t->total_ns);
    return 0;
}

static int stats(void)
{
    struct trace_stats s;
    trace_get_stats(&s);
    printf("traces: %u held of %u, recorded %lu, overwritten %lu, cleared %lu\n", s.held, TRACE_RING,
           (unsigned long)s.recorded, (unsigned long)s.overwritten, (unsigned long)s.cleared);
    printf("ids: oldest %lu, newest %lu\n", (unsigned long)s.oldest_id, (unsigned long)s.newest_id);
    printf("record: last %lu ns, max %lu ns, mean %lu ns\n", (unsigned long)s.record_ns_last,
           (unsigned long)s.record_ns_max, (unsigned long)(s.recorded ? s.record_ns_total / s.recorded : 0));
    printf("trace size: %lu bytes, ring %lu bytes; incidents on disk: %u (kept: %u)\n",
           (unsigned long)sizeof(struct decision_trace), (unsigned long)sizeof(struct decision_trace) * TRACE_RING,
           incident_count(), INC_KEEP);
    return 0;
}

static int annotate(struct decision_trace *t, const char *label, int argc, char **argv)
{
    if (strcmp(label, "good") != 0 && strcmp(label, "bad") != 0) {
        refuse("tracectl: annotate: label must be good or bad, not '%s'", label);
        return 1;
    }
    char note[200] = "";
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        int w = snprintf(note + n, sizeof(note) - n, "%s%s", i ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= sizeof(note) - n) {
            refuse("tracectl: annotate: note longer than %u bytes", (unsigned)sizeof(note) - 1);
            return 1;
        }
        n += (size_t)w;
    }
    struct ext4_fs *fs = storage_fs();
    if (!fs) {
        refuse("tracectl: annotate: no filesystem");
        return 1;
    }
    static char line[1024];
    struct json j;
    json_begin(&j, line, sizeof(line) - 1);
    json_u64(&j, "trace_id", t->trace_id);
    json_u64(&j, "timestamp_us", t->timestamp_us);
    json_str(&j, "label", label);
    json_str(&j, "note", note);
    json_str(&j, "model_version", t->model_version);
    char hash[72];
    snprintf(hash, sizeof(hash), "sha256:%s", t->model_hash);
    if (t->model_hash[0])
        json_str(&j, "model_hash", hash);
    else
        json_null(&j, "model_hash");
    json_open_array(&j, "features");
    for (int i = 0; i < TRACE_FEATURES; i++) {
        int64_t v = (int64_t)((double)t->features[i] * 1e6 + 0.5);
        json_fixed(&j, NULL, v, 6);
    }
    json_close(&j);
    json_u64(&j, "chosen_action", t->chosen_action);
    json_u64(&j, "executed_action", t->executed_action);
    json_bool(&j, "was_executed", t->executed);
    json_u64(&j, "confidence", t->confidence);
    if (t->reward_valid)
        json_i64(&j, "reward", t->reward);
    else
        json_null(&j, "reward");
    json_u64(&j, "annotated_at", rtc_present() ? rtc_seconds() : 0);
    const char *text = json_end(&j);
    if (!text) {
        refuse("tracectl: annotate: the annotation does not fit");
        return 1;
    }
    size_t len = strlen(text);
    line[len] = '\n';
    int r = vfs_mkdir(fs, FEEDBACK_DIR, 0755);
    if (r && r != -EEXIST) {
        refuse("tracectl: annotate: %s: %s", FEEDBACK_DIR, vfs_strerror(r));
        return 1;
    }
    struct ext4_stat st;
    uint64_t off = vfs_lstat(fs, FEEDBACK_FILE, &st) == 0 ? st.size : 0;
    int64_t w = vfs_write(fs, FEEDBACK_FILE, off, line, len + 1, VFS_O_CREATE);
    if (w < 0) {
        vfs_truncate(fs, FEEDBACK_FILE, off);   /* no half line */
        vfs_sync(fs);
        refuse("tracectl: annotate: %s: %s", FEEDBACK_FILE, vfs_strerror((int)w));
        return 1;
    }
    if ((r = vfs_sync(fs))) {
        refuse("tracectl: annotate: journal commit: %s", vfs_strerror(r));
        return 1;
    }
    printf("tracectl: trace %lu annotated %s in %s\n", (unsigned long)t->trace_id, label, FEEDBACK_FILE);
    /* sent after the commit: a host reading the file on this event finds the line */
    static char ev[600];
    event_begin(&j, ev, sizeof(ev), "annotation");
    json_u64(&j, "id", t->trace_id);
    json_bool(&j, "ok", true);
    json_str(&j, "label", label);
    json_str(&j, "note", note);
    json_str(&j, "path", FEEDBACK_FILE);
    json_u64(&j, "offset", off);
    event_send(&j);
    return 0;
}

static int replay(const struct decision_trace *t, const char *version)
{
    static struct decision_trace r;
    memset(&r, 0, sizeof(r));
    struct model *m = NULL;
#ifdef CONFIG_MODEL_LIFECYCLE
    if (version && strcmp(version, "reference") != 0) {
        if (!model_name_valid(version)) {
            refuse("tracectl: replay: '%s' is not a model version", version);
            return 1;
        }
        struct pkg_info info;
        struct perr e;
        if (pkg_load_dir(PKG_MODEL, version, &info, &m, NULL, &e)) {
            refuse("tracectl: replay: %s: %s", version, e.msg);
            return 1;
        }
    } else if (!version) {
        m = model_active();
    }
#else
    if (version && strcmp(version, "reference") != 0) {
        refuse("tracectl: replay: this kernel has no model-lifecycle: only 'reference'");
        return 1;
    }
#endif
    auto_infer(m, t->features, &r);
    char name[MODEL_NAME_MAX + 1], hash[72] = "";
    strlcpy(name, m ? m->name : "reference", sizeof(name));
    if (m)
        snprintf(hash, sizeof(hash), "sha256:%s", m->sha256);
    printf("replay of trace %lu on %s%s%s:\n", (unsigned long)t->trace_id, name, m ? " " : "", hash);
#ifdef CONFIG_MODEL_LIFECYCLE
    model_put(m);
#endif
    printf("  recorded: %-18s confidence %4u (%s)\n", action_name(t->chosen_action), t->confidence, t->model_version);
    printf("  replayed: %-18s confidence %4u (%s)\n", action_name(r.chosen_action), r.confidence, name);
    printf("  decision %s\n", r.chosen_action == t->chosen_action ? "same" : "differs");
    char ev[600];
    struct json j;
    event_begin(&j, ev, sizeof(ev), "replay");
    json_u64(&j, "id", t->trace_id);
    json_bool(&j, "ok", true);
    json_str(&j, "version", name);
    if (hash[0])
        json_str(&j, "hash", hash);
    else
        json_null(&j, "hash");
    json_open_object(&j, "recorded");
    json_str(&j, "model", t->model_version);
    json_str(&j, "action", action_name(t->chosen_action));
    json_u64(&j, "confidence", t->confidence);
    json_close(&j);
    json_open_object(&j, "replayed");
    json_str(&j, "action", action_name(r.chosen_action));
    json_u64(&j, "confidence", r.confidence);
    json_close(&j);
    json_bool(&j, "same", r.chosen_action == t->chosen_action);
    event_send(&j);
    return 0;
}

int cmd_tracectl(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "stats";
    struct decision_trace *t;
    arg_id = 0;
    strlcpy(refusal, "tracectl: refused", sizeof(refusal));
    if (strcmp(sub, "list") == 0 && (argc == 2 || argc == 4)) {
        uint64_t n = 10;
        if (argc == 4 && (strcmp(argv[2], "--last") != 0 || parse_u64(argv[3], &n) || n == 0 || n > TRACE_RING)) {
            printf("tracectl: list: --last N with N 1..%u\n", TRACE_RING);
            return 1;
        }
        return list((int)n);
    }
    if (strcmp(sub, "show") == 0 && argc == 3)
        return get_trace("show", argv[2], &t) ? 1 : show(t);
    if (strcmp(sub, "show") == 0 && argc == 4 && strcmp(argv[3], "--json") == 0) {
        if (get_trace("show", argv[2], &t)) {
            answer_refused("trace");
            return 1;
        }
        return show_json(t);
    }
    if (strcmp(sub, "export") == 0 && argc >= 3) {
        uint64_t ids[EXPORT_MAX];
        int n = 0;
        for (int i = 2; i < argc; i++) {
            /* ID, or FROM-TO (inclusive) */
            char one[24];
            const char *dash = strchr(argv[i], '-');
            uint64_t from, to;
            if (dash && (size_t)(dash - argv[i]) < sizeof(one)) {
                memcpy(one, argv[i], (size_t)(dash - argv[i]));
                one[dash - argv[i]] = 0;
                if (parse_u64(one, &from) || parse_u64(dash + 1, &to) || from == 0 || to < from) {
                    printf("tracectl: export: '%s' is not a range FROM-TO\n", argv[i]);
                    return 1;
                }
            } else if (get_trace("export", argv[i], &t)) {
                return 1;
            } else {
                from = to = t->trace_id;
            }
            for (uint64_t id = from; id <= to; id++) {
                if (n == EXPORT_MAX) {
                    printf("tracectl: export: at most %d traces per bundle\n", EXPORT_MAX);
                    return 1;
                }
                if (!trace_find(id)) {
                    printf("tracectl: export: trace %lu is not in the ring\n", (unsigned long)id);
                    return 1;
                }
                ids[n++] = id;
            }
        }
        return incident_export(ids, n, NULL, 0) ? 1 : 0;
    }
    if (strcmp(sub, "clear") == 0 && argc == 2) {
        uint32_t n = trace_count();
        trace_clear();
        printf("tracectl: cleared %u trace(s)\n", n);
        return 0;
    }
    if (strcmp(sub, "stats") == 0 && argc <= 2)
        return stats();
    if (strcmp(sub, "annotate") == 0 && argc >= 4) {
        if (get_trace("annotate", argv[2], &t) || annotate(t, argv[3], argc - 4, argv + 4)) {
            answer_refused("annotation");
            return 1;
        }
        return 0;
    }
    if (strcmp(sub, "replay") == 0 && (argc == 3 || argc == 4)) {
        if (get_trace("replay", argv[2], &t) || replay(t, argc == 4 ? argv[3] : NULL)) {
            answer_refused("replay");
            return 1;
        }
        return 0;
    }
    printf("usage: tracectl list [--last N] | show ID [--json] | export ID|FROM-TO... | clear | stats | annotate ID good|bad [NOTE] | replay ID [VERSION]\n");
    return 1;
}

#endif /* CONFIG_DECISION_TRACES */

/*
 * ring.c - the decision trace ring (seed 7.2.2): the last TRACE_RING
 * traces, newest first, and their JSON form.
 *
 * Trace ids are consecutive (the loop hands out 1, 2, 3, ...), so id N
 * lives in slot (N - 1) % TRACE_RING: trace_record is one copy, trace_find
 * one index and one compare, trace_newest(i) is id newest - i. The ring
 * holds ids first..newest where first = max(newest - TRACE_RING + 1,
 * cleared_upto + 1): `tracectl clear` only moves cleared_upto, so a clear
 * is O(1) and ids are never reused. Nothing here allocates.
 */
#include "trace.h"

#ifdef CONFIG_DECISION_TRACES

static struct decision_trace ring[TRACE_RING];
static uint64_t newest, cleared_upto;
static uint64_t overwritten, cleared;
static uint64_t rec_last, rec_max, rec_total;

static uint64_t first_id(void)
{
    uint64_t f = newest >= TRACE_RING ? newest - TRACE_RING + 1 : 1;
    return f > cleared_upto + 1 ? f : cleared_upto + 1;
}

uint32_t trace_count(void)
{
    uint64_t f = first_id();
    return newest >= f ? (uint32_t)(newest - f + 1) : 0;
}

struct decision_trace *trace_record(const struct decision_trace *t)
{
    uint64_t t0 = timer_counter();
    if (t->trace_id != newest + 1)
        panic("trace_record: id %lu after %lu", (unsigned long)t->trace_id, (unsigned long)newest);
    if (newest >= TRACE_RING && newest - TRACE_RING + 1 > cleared_upto)
        overwritten++;          /* the slot's old trace was still held */
    struct decision_trace *slot = &ring[(t->trace_id - 1) % TRACE_RING];
    memcpy(slot, t, sizeof(*slot));
    newest = t->trace_id;
    uint64_t ns = (timer_counter() - t0) * 1000000000ull / timer_freq();
    rec_last = ns;
    rec_total += ns;
    if (ns > rec_max)
        rec_max = ns;
    return slot;
}

struct decision_trace *trace_find(uint64_t id)
{
    if (id == 0 || id > newest || id < first_id())
        return NULL;
    return &ring[(id - 1) % TRACE_RING];
}

const struct decision_trace *trace_newest(uint32_t i)
{
    if (i >= trace_count())
        return NULL;
    return trace_find(newest - i);
}

void trace_clear(void)
{
    cleared += trace_count();
    cleared_upto = newest;
}

void trace_get_stats(struct trace_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->recorded = newest;
    s->overwritten = overwritten;
    s->cleared = cleared;
    s->held = trace_count();
    if (s->held) {
        s->oldest_id = first_id();
        s->newest_id = newest;
    }
    s->record_ns_last = rec_last;
    s->record_ns_max = rec_max;
    s->record_ns_total = rec_total;
}

/* f32 to 6 decimals, rounded half away from zero; non-finite as null. */
static void json_f(struct json *j, const char *key, double x)
{
    if (!(x == x) || x > 9e12 || x < -9e12) {
        json_null(j, key);
        return;
    }
    double s = x * 1e6;
    int64_t v = (int64_t)(s < 0 ? s - 0.5 : s + 0.5);
    json_fixed(j, key, v, 6);
}

static void json_milli(struct json *j, const char *key, int64_t v)
{
    json_fixed(j, key, v, 3);
}

static const char *decider_name(int d)
{
    return d == DECIDER_MODEL ? "model" : "reference";
}

void trace_json(struct json *j, const char *key, const struct decision_trace *t)
{
    json_open_object(j, key);
    trace_json_members(j, t);
    json_close(j);
}

void trace_json_members(struct json *j, const struct decision_trace *t)
{
    char hash[72];
    json_u64(j, "trace_id", t->trace_id);
    json_u64(j, "timestamp_us", t->timestamp_us);
    json_u64(j, "uptime_ns", t->uptime_ns);
    json_str(j, "decider", decider_name(t->decider));
    json_str(j, "model_version", t->model_version);
    if (t->model_hash[0]) {
        snprintf(hash, sizeof(hash), "sha256:%s", t->model_hash);
        json_str(j, "model_hash", hash);
    } else {
        json_null(j, "model_hash");
    }

    const struct telemetry *m = &t->telemetry;
    json_open_object(j, "telemetry");
    json_u64(j, "mem_pressure", m->mem_pressure);
    json_u64(j, "deadline_misses", m->deadline_misses);
    json_u64(j, "cpu_usage", m->cpu_usage);
    json_u64(j, "network_latency", m->network_latency);
    json_u64(j, "interval_us", m->interval_us);
    json_u64(j, "io_requests", m->io_requests);
    json_u64(j, "io_latency_us", m->io_latency_us);
    json_u64(j, "io_errors", m->io_errors);
    json_u64(j, "missed_ticks", m->missed_ticks);
    json_close(j);
    json_open_object(j, "system_state");
    json_u64(j, "uptime_ms", m->uptime_ms);
    json_u64(j, "heap_used", m->heap_used);
    json_u64(j, "processes_running", m->processes_running);
    json_close(j);

    json_open_array(j, "raw_features");
    for (int i = 0; i < TRACE_FEATURES; i++)
        json_f(j, NULL, t->raw[i]);
    json_close(j);
    json_open_array(j, "features");
    for (int i = 0; i < TRACE_FEATURES; i++)
        json_f(j, NULL, t->features[i]);
    json_close(j);
    json_bool(j, "chaos_telemetry", t->chaos_telemetry);

    json_open_array(j, "hidden_activations");
    uint32_t at = 0;
    for (int l = 0; l < t->hidden_layers; l++) {
        json_open_array(j, NULL);
        for (uint32_t k = 0; k < t->hidden_dims[l] && at < t->hidden_count; k++)
            json_f(j, NULL, t->hidden[at++]);
        json_close(j);
    }
    json_close(j);
    json_bool(j, "hidden_truncated", t->hidden_truncated);

    json_open_array(j, "policy_checks");
    for (int i = 0; i < t->nchecks; i++) {
        const struct policy_check *c = &t->checks[i];
        json_open_object(j, NULL);
        json_str(j, "check_name", c->name);
        json_bool(j, "passed", c->passed);
        json_milli(j, "value", c->value_milli);
        json_milli(j, "threshold", c->threshold_milli);
        json_close(j);
    }
    json_close(j);

    json_open_array(j, "logits");
    for (int i = 0; i < TRACE_ACTIONS; i++)
        json_f(j, NULL, t->logits[i]);
    json_close(j);
    json_open_array(j, "predictions");
    for (int i = 0; i < TRACE_ACTIONS; i++)
        json_f(j, NULL, t->probabilities[i]);
    json_close(j);
    json_u64(j, "chosen_action", t->chosen_action);
    json_str(j, "chosen_action_name", action_name(t->chosen_action));
    json_u64(j, "confidence", t->confidence);
    json_open_array(j, "alternatives");
    for (int i = 0; i < TRACE_ALTS; i++) {
        json_open_object(j, NULL);
        json_u64(j, "action_idx", t->alternatives[i].action);
        json_str(j, "action_name", action_name(t->alternatives[i].action));
        json_u64(j, "confidence", t->alternatives[i].confidence);
        json_close(j);
    }
    json_close(j);

    if (t->shadow.present) {
        json_open_object(j, "shadow");
        json_str(j, "version", t->shadow.version);
        snprintf(hash, sizeof(hash), "sha256:%s", t->shadow.hash);
        json_str(j, "hash", hash);
        json_u64(j, "action", t->shadow.action);
        json_u64(j, "confidence", t->shadow.confidence);
        json_bool(j, "diverged", t->shadow.diverged);
        json_bool(j, "canary", t->shadow.canary);
        json_u64(j, "infer_ns", t->shadow.infer_ns);
        json_str(j, "mode", t->shadow.mode);
        json_bool(j, "counted", t->shadow.counted);
        if (t->shadow.note[0])
            json_str(j, "abort", t->shadow.note);
        else
            json_null(j, "abort");
        json_close(j);
    } else {
        json_null(j, "shadow");
    }

    json_bool(j, "was_executed", t->executed);
    json_u64(j, "executed_action", t->executed_action);
    json_bool(j, "was_overridden", t->overridden);
    if (t->override_reason[0])
        json_str(j, "override_reason", t->override_reason);
    else
        json_null(j, "override_reason");
    json_str(j, "approval", approval_name(t->approval));
    if (t->pending_id)
        json_u64(j, "pending_id", t->pending_id);
    else
        json_null(j, "pending_id");
    if (t->approval_us)
        json_u64(j, "approval_us", t->approval_us);
    else
        json_null(j, "approval_us");
    json_u64(j, "health", t->health);
    if (t->reward_valid)
        json_i64(j, "reward", t->reward);
    else
        json_null(j, "reward");

    json_open_object(j, "stages_ns");
    for (int s = 0; s < STAGE_COUNT; s++)
        json_u64(j, stage_name(s), t->stage_ns[s]);
    json_close(j);
    json_u64(j, "total_ns", t->total_ns);
}

#endif /* CONFIG_DECISION_TRACES */

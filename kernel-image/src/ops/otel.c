/*
 * otel.c - one recorded decision as an OpenTelemetry span tree (the
 * exporter, otel/otlp.c, batches and writes them).
 *
 *   autonomous_decision            the tick: TELEMETRY start to RECORD end
 *     model_inference              production's forward pass (STAGE_INFER)
 *     shadow_inference             the shadow's (STAGE_SHADOW), when one ran
 *     policy_checks                STAGE_POLICY; one event per check
 *
 * Times are the loop's own guest-timer measurements (trace.h: stage start
 * offsets and durations from the tick's start), placed on the Unix time
 * line at the trace's timestamp_us. Span ids: 0 root, 1 inference,
 * 2 shadow, 3 policy (otel_span_id). Status: OK when the action was
 * executed, ERROR with the override reason when it was not (the seed's
 * rule); child spans leave it unset.
 *
 * Attribute names: OpenTelemetry's semantic conventions have no entries
 * for a model's decision, so they live under the `sis.` namespace
 * (sis.model.version, sis.model.hash, sis.decision.action, ...); the
 * resource uses the conventional service.name, service.version, host.arch.
 * model_inference carries sis.features.f32: the 7 scaled inputs as the
 * hex of their IEEE single-precision bits, in MODEL-FORMAT.md order.
 */
#include "../trace/trace.h"

#ifdef CONFIG_OTEL

static uint64_t unix_ns(const struct decision_trace *t, uint32_t off_ns)
{
    return t->timestamp_us * 1000ull + off_ns;
}

static struct otel_span *open_at(const struct decision_trace *t, const uint8_t tid[16], uint32_t n,
                                 const uint8_t *parent, const char *name, uint32_t start_off)
{
    return otel_span_open(tid, n, parent, name, unix_ns(t, start_off));
}

static void close_at(struct otel_span *s, uint64_t end_ns)
{
    otel_span_close(s, end_ns);
}

static void model_attrs(struct otel_span *s, const char *role, const char *version, const char *hash,
                        uint32_t action, uint32_t confidence)
{
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.model.role", role);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.model.version", version);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.model.hash", hash);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.prediction.action", action);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.prediction.action_name", action_name(action));
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.prediction.confidence", confidence);
}

void otel_on_decision(const struct decision_trace *t)
{
    uint8_t tid[16];
    otel_trace_id(t->trace_id, tid);
    uint8_t root_id[8];
    otel_span_id(tid, 0, root_id);

    /* Children first (one span is open at a time); the root closes last. */
    struct otel_span *s = open_at(t, tid, 1, root_id, "model_inference", t->stage_start_ns[STAGE_INFER]);
    model_attrs(s, "production", t->model_version, t->model_hash, t->chosen_action, t->confidence);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.decider", t->decider == DECIDER_MODEL ? "model" : "reference");
    /* The exact inputs, so a reader can replay both models bit for bit. */
    char hex[8 * TRACE_FEATURES + 1];
    for (int i = 0; i < TRACE_FEATURES; i++) {
        uint32_t u;
        memcpy(&u, &t->features[i], 4);
        snprintf(hex + 8 * i, 9, "%08x", u);
    }
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.features.f32", hex);
    close_at(s, unix_ns(t, t->stage_start_ns[STAGE_INFER] + t->stage_ns[STAGE_INFER]));

    if (t->shadow.present) {
        s = open_at(t, tid, 2, root_id, "shadow_inference", t->stage_start_ns[STAGE_SHADOW]);
        model_attrs(s, "shadow", t->shadow.version, t->shadow.hash, t->shadow.action, t->shadow.confidence);
        otel_kv_str(OTEL_SPAN_ATTR(s), "sis.shadow.mode", t->shadow.mode);
        otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.shadow.diverged", t->shadow.diverged);
        otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.shadow.counted", t->shadow.counted);
        otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.shadow.canary", t->shadow.canary);
        otel_kv_int(OTEL_SPAN_ATTR(s), "sis.shadow.infer_ns", t->shadow.infer_ns);
        if (t->shadow.note[0])
            otel_kv_str(OTEL_SPAN_ATTR(s), "sis.shadow.abort", t->shadow.note);
        close_at(s, unix_ns(t, t->stage_start_ns[STAGE_SHADOW] + t->stage_ns[STAGE_SHADOW]));
    }

    s = open_at(t, tid, 3, root_id, "policy_checks", t->stage_start_ns[STAGE_POLICY]);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.policy.checks", t->nchecks);
    bool all = true;
    for (int i = 0; i < t->nchecks; i++) {
        const struct policy_check *c = &t->checks[i];
        char name[40];
        snprintf(name, sizeof(name), "policy_check.%s", c->name);
        all = all && c->passed;
        struct otel_event *e = otel_event_add(s, name, unix_ns(t, t->stage_start_ns[STAGE_POLICY]));
        if (!e)
            continue;
        otel_kv_bool(OTEL_EV_ATTR(e), "passed", c->passed);
        otel_kv_fixed(OTEL_EV_ATTR(e), "value", c->value_milli, 3);
        otel_kv_fixed(OTEL_EV_ATTR(e), "threshold", c->threshold_milli, 3);
    }
    otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.policy.passed", all);
    close_at(s, unix_ns(t, t->stage_start_ns[STAGE_POLICY] + t->stage_ns[STAGE_POLICY]));

    s = otel_span_open(tid, 0, NULL, "autonomous_decision", unix_ns(t, 0));
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.trace_id", (int64_t)t->trace_id);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.model.version", t->model_version);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.model.hash", t->model_hash);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.model.loaded_at", (int64_t)t->model_loaded_at);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.decision.action", t->chosen_action);
    otel_kv_str(OTEL_SPAN_ATTR(s), "sis.decision.action_name", action_name(t->chosen_action));
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.decision.confidence", t->confidence);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.decision.executed_action", t->executed_action);
    otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.decision.executed", t->executed);
    otel_kv_bool(OTEL_SPAN_ATTR(s), "sis.decision.overridden", t->overridden);
    if (t->override_reason[0])
        otel_kv_str(OTEL_SPAN_ATTR(s), "sis.decision.override_reason", t->override_reason);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.decision.health", t->health);
    const struct telemetry *m = &t->telemetry;
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.mem_pressure", m->mem_pressure);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.deadline_misses", m->deadline_misses);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.cpu_usage", m->cpu_usage);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.network_latency", m->network_latency);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.uptime_ms", (int64_t)m->uptime_ms);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.heap_used", (int64_t)m->heap_used);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.processes_running", m->processes_running);
    otel_kv_int(OTEL_SPAN_ATTR(s), "sis.telemetry.io_latency_us", m->io_latency_us);
    if (t->executed)
        otel_set_status(s, OTEL_STATUS_OK, NULL);
    else
        otel_set_status(s, OTEL_STATUS_ERROR, t->override_reason[0] ? t->override_reason : "not executed");
    otel_span_close(s, unix_ns(t, t->total_ns));
}

#endif

/*
 * autonomy.c - the autonomous decision loop, its policy checks, reward and
 * safe mode (`autoctl`, `sleep`).
 *
 * Where the tick runs: the kernel has one thread, so the loop runs from the
 * idle waits - the shell waiting for a key (uart_getc) and `sleep`. Each
 * wake-up (at least every 10 ms: the 100 Hz timer) calls auto_idle(), which
 * runs one decision when its deadline has passed. A shell command that runs
 * long delays the next decision; when it finally runs, the deadlines it
 * skipped are counted (missed_ticks), not made up in a burst, and the next
 * deadline stays on the interval's grid. A decision never runs inside
 * another (no re-entry: the virtio waits inside a decision do not call
 * auto_idle).
 *
 * One decision (trace/trace.h lists its stages): the workload does its
 * tick's work (ai/workload.c), the loop measures the interval (heap, late
 * timer ticks, time not in WFI, virtio-blk request times, the workload's
 * request latency), applies telemetry chaos, scales the 7 features, asks the
 * decider (the active model; the reference policy when there is none or the
 * build has no model-lifecycle), gates the action with the policy checks,
 * executes it on the workload (or queues it in safe mode), scores the
 * system's health and gives the previous decision its reward, records the
 * trace, runs the hooks and sends a `decision` event.
 *
 * Health (0-1000) is 1000 minus the worst of four penalties, each 0-1000:
 * heap above 70% ((p-70)*1000/30), deadline misses (50 per miss, 20 = all),
 * CPU above 80% (50 per point), workload latency above 200 ms
 * ((ms-200)*1000/800). The reward of decision N is health(N+1) - health(N)
 * - cost(action N executed), clamped to -1000..1000; the costs (the work an
 * action takes away from the workload) are none 0, reclaim_caches 10,
 * backoff_io 20, throttle_workload 30, shed_load 60.
 *
 * Policy checks gate every action other than none (a `none` decision has
 * no checks): confidence_min (confidence >= 200), rate_limit (fewer than
 * AUTO_RATE_MAX actions executed in the last AUTO_RATE_WINDOW_S seconds),
 * and per action min_tasks (shed_load: more than 2 tasks), throttle_floor
 * (throttle_workload: throttle factor above 10%), backoff_floor
 * (backoff_io: I/O factor above 10%), cache_present (reclaim_caches: the
 * workload holds cache). The first failing check overrides the action
 * (nothing runs; override_reason "policy:NAME"); all are recorded.
 *
 * Safe mode: every action that passes the checks is queued (at most
 * AUTO_PENDING_MAX; override_reason "safe_mode") instead of executed. An
 * entry expires AUTO_PENDING_TTL_S seconds after it was queued, and the
 * oldest is expired to make room when the queue is full; `safe off`
 * expires what is left. Approving runs exactly the queued action.
 */
#include "../trace/trace.h"

#define AUTO_RATE_MAX 10
#define AUTO_RATE_WINDOW_S 10
#define AUTO_PENDING_MAX 16
#define AUTO_PENDING_TTL_S 60
#define CONF_MIN 200

static const char *const actions[] = { "none", "reclaim_caches", "throttle_workload", "shed_load", "backoff_io" };
static const char *const stages[] = { "telemetry", "features", "infer", "shadow", "policy", "execute", "record", "hooks" };
static const char *const approvals[] = { "none", "pending", "approved", "denied", "expired" };
static const uint32_t action_cost[] = { 0, 10, 30, 60, 20 };

const char *action_name(uint32_t a)
{
    return a < ARRAY_SIZE(actions) ? actions[a] : "?";
}

const char *stage_name(int s)
{
    return s >= 0 && s < (int)ARRAY_SIZE(stages) ? stages[s] : "?";
}

const char *approval_name(int a)
{
    return a >= 0 && a < (int)ARRAY_SIZE(approvals) ? approvals[a] : "?";
}

static struct {
    bool on, running;
    uint32_t interval_ms;
    uint64_t next_due_us, last_us;
    uint64_t decisions, missed, overridden, executed_actions, queued;
    uint64_t idle_ns, late, io_reqs, io_errs, io_ns;    /* counters at the last decision */
    uint64_t next_id;
    uint64_t boot_unix_us;
    /* the previous decision, for its reward */
    uint64_t prev_id;
    uint32_t prev_health, prev_action;
    bool prev_valid;
    int64_t reward_sum;
    uint64_t reward_n;
    uint64_t exec_times[AUTO_RATE_MAX];     /* uptime us of the last executed actions */
    uint32_t exec_n;
    uint64_t tick_ns_last, tick_ns_max, tick_ns_total;
} A = { .interval_ms = AUTO_INTERVAL_DEFAULT_MS };

struct pending {
    uint32_t id;
    uint64_t trace_id;
    uint32_t action, confidence;
    uint64_t queued_us;
};
static struct pending queue[AUTO_PENDING_MAX];
static uint32_t npending, next_pending_id;
static bool safe_on;
static char safe_reason[64];

bool auto_enabled(void) { return A.on; }
uint32_t auto_interval_ms(void) { return A.interval_ms; }
uint64_t auto_decisions(void) { return A.decisions; }
uint64_t auto_boot_unix_us(void) { return A.boot_unix_us; }
bool safe_mode_active(void) { return safe_on; }

static uint64_t ticks_ns(uint64_t t)
{
    return t * 1000000000ull / timer_freq();
}

void auto_init(void)
{
    uint64_t now = timer_us();
    uint64_t rtc = rtc_present() ? rtc_seconds() : 0;
    A.boot_unix_us = rtc * 1000000ull > now ? rtc * 1000000ull - now : 0;
    A.idle_ns = cpu_idle_ns();
    A.late = timer_late_ticks();
    blk_io_stats(&A.io_reqs, &A.io_errs, &A.io_ns);
    A.last_us = now;
}

/* ---- the decider ---- */

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static float scale(int i, double raw)
{
    double max = feature_range(i);
    return (float)(clampd(raw, 0, max) / max);
}

/* The reference policy of docs/MODELS.md (models/src/task.ts): thresholds in raw units, compared after scaling. */
static uint32_t reference_action(const float x[TRACE_FEATURES])
{
    if (x[0] >= scale(0, 95) || (x[1] >= scale(1, 20) && x[6] >= scale(6, 32)))
        return ACT_SHED_LOAD;
    if (x[0] >= scale(0, 80))
        return ACT_RECLAIM_CACHES;
    if (x[3] >= scale(3, 500))
        return ACT_BACKOFF_IO;
    if (x[2] >= scale(2, 90) || x[1] >= scale(1, 10))
        return ACT_THROTTLE;
    return ACT_NONE;
}

static uint32_t conf_of(double p)
{
    double c = p * 1000.0;
    return !(c >= 0.0) ? 0 : c >= 1000.0 ? 1000 : (uint32_t)c;
}

static void fill_alternatives(struct decision_trace *t)
{
    bool used[TRACE_ACTIONS] = { false };
    used[t->chosen_action] = true;
    for (int k = 0; k < TRACE_ALTS; k++) {
        int best = -1;
        for (int i = 0; i < TRACE_ACTIONS; i++)
            if (!used[i] && (best < 0 || t->probabilities[i] > t->probabilities[best]))
                best = i;
        used[best] = true;
        t->alternatives[k].action = (uint32_t)best;
        t->alternatives[k].confidence = conf_of(t->probabilities[best]);
    }
}

void auto_infer(struct model *m, const float x[TRACE_FEATURES], struct decision_trace *t)
{
    t->hidden_layers = 0;
    t->hidden_count = 0;
    t->hidden_truncated = false;
#ifdef CONFIG_MODEL_LIFECYCLE
    struct mlp_result r;
    if (m && model_infer(m, x, &r) == 0) {
        const struct mlp_header *h = &m->h;
        t->decider = DECIDER_MODEL;
        for (uint32_t l = 0; l + 1 < h->num_layers && l < TRACE_HIDDEN_LAYERS; l++) {
            const struct mlp_layer *L = &h->layer[l];
            t->hidden_dims[t->hidden_layers++] = L->out;
            for (uint32_t k = 0; k < L->out; k++) {
                if (t->hidden_count == TRACE_HIDDEN_MAX) {
                    t->hidden_truncated = true;
                    break;
                }
                t->hidden[t->hidden_count++] = m->acts[L->aoff + k];
            }
        }
        bool finite = true;
        double zmax = r.logits[r.action];
        for (int i = 0; i < TRACE_ACTIONS; i++) {
            t->logits[i] = r.logits[i];
            double z = r.logits[i];
            if (!(z == z) || z > 3.4e38 || z < -3.4e38)
                finite = false;
        }
        double e[TRACE_ACTIONS], s = 0;
        for (int i = 0; i < TRACE_ACTIONS; i++) {
            e[i] = finite ? exp_ref((double)r.logits[i] - zmax) : 0;
            s += e[i];
        }
        for (int i = 0; i < TRACE_ACTIONS; i++)
            t->probabilities[i] = finite ? (float)(e[i] / s) : 0.0f;
        t->chosen_action = r.action;
        t->confidence = finite ? r.confidence : 0;
        fill_alternatives(t);
        return;
    }
#else
    (void)m;
#endif
    /* The reference policy: certain of its one answer. */
    t->decider = DECIDER_REFERENCE;
    t->chosen_action = reference_action(x);
    for (int i = 0; i < TRACE_ACTIONS; i++) {
        t->logits[i] = i == (int)t->chosen_action ? 1.0f : 0.0f;
        t->probabilities[i] = t->logits[i];
    }
    t->confidence = 1000;
    fill_alternatives(t);
}

void auto_model_info(char version[MODEL_NAME_MAX + 1], char hash[65], uint64_t *loaded_at)
{
    strlcpy(version, "reference", MODEL_NAME_MAX + 1);
    hash[0] = 0;
    *loaded_at = 0;
#ifdef CONFIG_MODEL_LIFECYCLE
    struct model *m = model_active();
    if (m) {
        strlcpy(version, m->name, MODEL_NAME_MAX + 1);
        strlcpy(hash, m->sha256, 65);
        struct reg_model *rm = reg_find(&reg, m->name);
        if (rm)
            *loaded_at = rm->loaded_at;
        model_put(m);
    }
#endif
}

/* ---- health, reward, policy ---- */

uint32_t health_score(const struct telemetry *m)
{
    uint32_t worst = 0, p;
    p = m->mem_pressure > 70 ? (m->mem_pressure - 70) * 1000 / 30 : 0;
    worst = p > worst ? p : worst;
    p = m->deadline_misses >= 20 ? 1000 : m->deadline_misses * 50;
    worst = p > worst ? p : worst;
    p = m->cpu_usage > 80 ? (m->cpu_usage - 80) * 50 : 0;
    worst = p > worst ? p : worst;
    p = m->network_latency > 200 ? (m->network_latency - 200) * 1000 / 800 : 0;
    worst = p > worst ? p : worst;
    return worst >= 1000 ? 0 : 1000 - worst;
}

static void check(struct decision_trace *t, const char *name, int64_t value, int64_t threshold, bool passed)
{
    if (t->nchecks == TRACE_CHECKS_MAX)
        return;
    struct policy_check *c = &t->checks[t->nchecks++];
    strlcpy(c->name, name, sizeof(c->name));
    c->value_milli = value * 1000;
    c->threshold_milli = threshold * 1000;
    c->passed = passed;
}

static uint32_t recent_actions(uint64_t now_us)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < A.exec_n && i < AUTO_RATE_MAX; i++)
        if (now_us - A.exec_times[i] < AUTO_RATE_WINDOW_S * 1000000ull)
            n++;
    return n;
}

static void note_executed(uint64_t now_us)
{
    A.exec_times[A.exec_n++ % AUTO_RATE_MAX] = now_us;
    A.executed_actions++;
}

/* Run the checks for `action`; returns the first failing check's name, or NULL. */
static const char *policy_run(struct decision_trace *t, uint32_t action, uint32_t confidence, uint64_t now_us)
{
    t->nchecks = 0;
    if (action == ACT_NONE)
        return NULL;
    check(t, "confidence_min", confidence, CONF_MIN, confidence >= CONF_MIN);
    uint32_t recent = recent_actions(now_us);
    check(t, "rate_limit", recent, AUTO_RATE_MAX, recent < AUTO_RATE_MAX);
    switch (action) {
    case ACT_SHED_LOAD:
        check(t, "min_tasks", workload_tasks(), 2, workload_tasks() > 2);
        break;
    case ACT_THROTTLE:
        check(t, "throttle_floor", workload_throttle(), 10, workload_throttle() > 10);
        break;
    case ACT_BACKOFF_IO:
        check(t, "backoff_floor", workload_backoff(), 10, workload_backoff() > 10);
        break;
    case ACT_RECLAIM_CACHES:
        check(t, "cache_present", (int64_t)workload_cache_bytes(), 0, workload_cache_bytes() > 0);
        break;
    }
    for (int i = 0; i < t->nchecks; i++)
        if (!t->checks[i].passed)
            return t->checks[i].name;
    return NULL;
}

/* ---- safe mode ---- */

static void approval_event(const struct pending *p, const char *result)
{
    char line[320];
    struct json j;
    event_begin(&j, line, sizeof(line), "approval");
    json_u64(&j, "id", p->id);
    json_u64(&j, "trace_id", p->trace_id);
    json_str(&j, "action", action_name(p->action));
    json_str(&j, "result", result);
    event_send(&j);
}

static void drop_pending(uint32_t i)
{
    for (uint32_t k = i; k + 1 < npending; k++)
        queue[k] = queue[k + 1];
    npending--;
}

static void settle(uint32_t i, int state, const char *reason)
{
    struct pending p = queue[i];
    drop_pending(i);
    struct decision_trace *t = trace_find(p.trace_id);
    if (t) {
        t->approval = (uint8_t)state;
        t->approval_us = timer_us();
        if (state != APPROVAL_APPROVED)
            strlcpy(t->override_reason, reason, sizeof(t->override_reason));
    }
    approval_event(&p, approval_name(state));
}

static void expire_pending(uint64_t now_us)
{
    for (uint32_t i = 0; i < npending;) {
        if (now_us - queue[i].queued_us >= AUTO_PENDING_TTL_S * 1000000ull)
            settle(i, APPROVAL_EXPIRED, "expired");
        else
            i++;
    }
}

static void safe_event(bool on, const char *reason)
{
    char line[256];
    struct json j;
    event_begin(&j, line, sizeof(line), "safe_mode");
    json_bool(&j, "on", on);
    json_str(&j, "reason", reason);
    json_u64(&j, "pending", npending);
    event_send(&j);
}

void safe_mode_enter(const char *reason)
{
    if (safe_on)
        return;
    safe_on = true;
    strlcpy(safe_reason, reason && reason[0] ? reason : "operator", sizeof(safe_reason));
    klog_write("safe mode on: ", safe_reason);
    safe_event(true, safe_reason);
}

void safe_mode_exit(const char *reason)
{
    if (!safe_on)
        return;
    while (npending)
        settle(0, APPROVAL_EXPIRED, "expired");
    safe_on = false;
    klog_write("safe mode off: ", reason && reason[0] ? reason : "operator");
    safe_event(false, reason && reason[0] ? reason : "operator");
}

static uint32_t enqueue(const struct decision_trace *t, uint32_t action, uint64_t now_us)
{
    if (npending == AUTO_PENDING_MAX)
        settle(0, APPROVAL_EXPIRED, "expired");     /* the oldest makes room */
    struct pending *p = &queue[npending++];
    p->id = ++next_pending_id;
    p->trace_id = t->trace_id;
    p->action = action;
    p->confidence = t->confidence;
    p->queued_us = now_us;
    A.queued++;
    char line[256];
    struct json j;
    event_begin(&j, line, sizeof(line), "pending");
    json_u64(&j, "id", p->id);
    json_u64(&j, "trace_id", p->trace_id);
    json_str(&j, "action", action_name(action));
    json_u64(&j, "confidence", p->confidence);
    json_u64(&j, "queued", npending);
    event_send(&j);
    return p->id;
}

/* ---- the tick ---- */

static void decision_event(const struct decision_trace *t, const struct decision_trace *prev)
{
    char line[768];
    struct json j;
    event_begin(&j, line, sizeof(line), "decision");
    json_u64(&j, "id", t->trace_id);
    json_str(&j, "model", t->model_version);
    json_str(&j, "action", action_name(t->chosen_action));
    json_u64(&j, "confidence", t->confidence);
    json_str(&j, "executed", t->executed ? action_name(t->executed_action) : "");
    json_bool(&j, "overridden", t->overridden);
    if (t->override_reason[0])
        json_str(&j, "reason", t->override_reason);
    else
        json_null(&j, "reason");
    json_u64(&j, "health", t->health);
    if (prev && prev->reward_valid) {
        json_u64(&j, "prev_id", prev->trace_id);
        json_i64(&j, "prev_reward", prev->reward);
    }
    json_u64(&j, "missed", t->telemetry.missed_ticks);
    json_u64(&j, "total_ns", t->total_ns);
    if (t->shadow.present) {
        /* The shadow's side of this decision and its running counts, so a
         * reader can chart divergence decision by decision without asking. */
        uint64_t compared, divergences;
        shadow_totals(&compared, &divergences);
        json_open_object(&j, "shadow");
        json_str(&j, "version", t->shadow.version);
        json_str(&j, "mode", t->shadow.mode);
        json_str(&j, "action", action_name(t->shadow.action));
        json_u64(&j, "confidence", t->shadow.confidence);
        json_bool(&j, "diverged", t->shadow.diverged);
        json_bool(&j, "counted", t->shadow.counted);
        json_bool(&j, "canary", t->shadow.canary);
        json_u64(&j, "compared", compared);
        json_u64(&j, "divergences", divergences);
        json_close(&j);
    }
    event_send(&j);
}

static struct decision_trace cur;

#define STAGE_BEGIN(s) (cur.stage_start_ns[s] = (uint32_t)ticks_ns(timer_counter() - c0))
#define STAGE_END(s) (cur.stage_ns[s] = (uint32_t)(ticks_ns(timer_counter() - c0) - cur.stage_start_ns[s]))

static void tick(uint32_t missed)
{
    workload_tick(A.interval_ms);

    struct decision_trace *t = &cur;
    memset(t, 0, sizeof(*t));
    uint64_t c0 = timer_counter();
    t->trace_id = ++A.next_id;
    t->uptime_ns = ticks_ns(c0);
    uint64_t us = timer_us();
    t->timestamp_us = A.boot_unix_us + us;

    /* TELEMETRY */
    STAGE_BEGIN(STAGE_TELEMETRY);
    struct telemetry *m = &t->telemetry;
    struct heap_stats hs;
    heap_stats(&hs);
    uint64_t idle = cpu_idle_ns(), late = timer_late_ticks(), reqs, errs, ions;
    blk_io_stats(&reqs, &errs, &ions);
    uint64_t elapsed_ns = (us - A.last_us) * 1000;
    uint64_t idle_d = idle - A.idle_ns;
    m->mem_pressure = (uint32_t)(hs.in_use * 100 / hs.size);
    m->deadline_misses = (uint32_t)(late - A.late);
    m->cpu_usage = elapsed_ns ? (uint32_t)((elapsed_ns > idle_d ? elapsed_ns - idle_d : 0) * 100 / elapsed_ns) : 0;
    m->network_latency = workload_latency_ms();
    m->uptime_ms = us / 1000;
    m->heap_used = hs.in_use;
    m->processes_running = workload_tasks();
    m->interval_us = (uint32_t)(us - A.last_us);
    m->io_requests = (uint32_t)(reqs - A.io_reqs);
    m->io_latency_us = m->io_requests ? (uint32_t)((ions - A.io_ns) / m->io_requests / 1000) : 0;
    m->io_errors = (uint32_t)(errs - A.io_errs) + workload_io_failed();
    m->missed_ticks = missed;
    A.idle_ns = idle;
    A.late = late;
    A.io_reqs = reqs;
    A.io_errs = errs;
    A.io_ns = ions;
    A.last_us = us;
    STAGE_END(STAGE_TELEMETRY);

    /* FEATURES */
    STAGE_BEGIN(STAGE_FEATURES);
    t->raw[0] = (double)hs.in_use * 100.0 / (double)hs.size;
    t->raw[1] = m->deadline_misses;
    t->raw[2] = m->cpu_usage;
    t->raw[3] = m->network_latency;
    t->raw[4] = (double)m->uptime_ms;
    t->raw[5] = (double)m->heap_used;
    t->raw[6] = m->processes_running;
    t->chaos_telemetry = workload_chaos(t->raw);
    for (int i = 0; i < TRACE_FEATURES; i++)
        t->features[i] = scale(i, t->raw[i]);
    STAGE_END(STAGE_FEATURES);

    /* INFER */
    STAGE_BEGIN(STAGE_INFER);
    struct model *mod = NULL;
#ifdef CONFIG_MODEL_LIFECYCLE
    mod = model_active();
#endif
    auto_infer(mod, t->features, t);
    if (mod) {
        strlcpy(t->model_version, mod->name, sizeof(t->model_version));
        strlcpy(t->model_hash, mod->sha256, sizeof(t->model_hash));
#ifdef CONFIG_MODEL_LIFECYCLE
        struct reg_model *rm = reg_find(&reg, mod->name);
        t->model_loaded_at = rm ? rm->loaded_at : 0;
        model_put(mod);
#endif
    } else {
        strlcpy(t->model_version, "reference", sizeof(t->model_version));
    }
    STAGE_END(STAGE_INFER);

    /* SHADOW */
    STAGE_BEGIN(STAGE_SHADOW);
    shadow_on_decision(t);
    STAGE_END(STAGE_SHADOW);

    /* POLICY */
    STAGE_BEGIN(STAGE_POLICY);
    uint32_t action = t->chosen_action, conf = t->confidence;
    if (t->shadow.present && t->shadow.canary) {
        action = t->shadow.action;
        conf = t->shadow.confidence;
    }
    const char *failed = policy_run(t, action, conf, us);
    STAGE_END(STAGE_POLICY);

    /* EXECUTE */
    STAGE_BEGIN(STAGE_EXECUTE);
    char what[64];
    if (failed) {
        t->overridden = true;
        snprintf(t->override_reason, sizeof(t->override_reason), "policy:%s", failed);
        t->executed = false;
        t->executed_action = ACT_NONE;
        A.overridden++;
    } else if (safe_on && action != ACT_NONE) {
        t->overridden = true;
        strlcpy(t->override_reason, "safe_mode", sizeof(t->override_reason));
        t->approval = APPROVAL_PENDING;
        t->executed = false;
        t->executed_action = ACT_NONE;
        A.overridden++;
    } else {
        workload_act(action, what, sizeof(what));
        t->executed = true;
        t->executed_action = action;
        if (action != ACT_NONE)
            note_executed(us);
    }
    t->health = health_score(m);
    STAGE_END(STAGE_EXECUTE);

    /* RECORD: the previous decision's reward, then this one */
    STAGE_BEGIN(STAGE_RECORD);
    struct decision_trace *prev = NULL;
    if (A.prev_valid && A.prev_id + 1 == t->trace_id) {
        int64_t r = (int64_t)t->health - (int64_t)A.prev_health - (int64_t)action_cost[A.prev_action];
        r = r < -1000 ? -1000 : r > 1000 ? 1000 : r;
        A.reward_sum += r;
        A.reward_n++;
        prev = trace_find(A.prev_id);
        if (prev) {
            prev->reward = (int32_t)r;
            prev->reward_valid = true;
        }
    }
    uint64_t c_rec = timer_counter();
    t->stage_ns[STAGE_RECORD] = (uint32_t)ticks_ns(c_rec - c0) - t->stage_start_ns[STAGE_RECORD];
    t->total_ns = (uint32_t)ticks_ns(c_rec - c0);
    struct decision_trace *slot = trace_record(t);
    uint64_t c_end = timer_counter();
    if (slot) {
        slot->stage_ns[STAGE_RECORD] = (uint32_t)ticks_ns(c_end - c0) - slot->stage_start_ns[STAGE_RECORD];
        slot->total_ns = (uint32_t)ticks_ns(c_end - c0);
    }
    A.prev_id = t->trace_id;
    A.prev_health = t->health;
    A.prev_action = t->executed ? t->executed_action : ACT_NONE;
    A.prev_valid = true;

    /* queued after recording, so the queue can find the trace */
    if (t->approval == APPROVAL_PENDING) {
        uint32_t id = enqueue(t, action, us);
        if (slot)
            slot->pending_id = id;
        t->pending_id = id;
    }

    /* HOOKS */
    const struct decision_trace *rec = slot ? slot : t;
    uint64_t c_h = timer_counter();
    decision_hooks_run(rec);
    uint64_t c_he = timer_counter();
    if (slot) {
        slot->stage_start_ns[STAGE_HOOKS] = (uint32_t)ticks_ns(c_h - c0);
        slot->stage_ns[STAGE_HOOKS] = (uint32_t)ticks_ns(c_he - c_h);
    }
    A.decisions++;
    decision_event(rec, prev);
    uint64_t ns = ticks_ns(timer_counter() - c0);
    A.tick_ns_last = ns;
    A.tick_ns_total += ns;
    if (ns > A.tick_ns_max)
        A.tick_ns_max = ns;
}

void auto_idle(void)
{
    if (!A.on || A.running)
        return;
    uint64_t now = timer_us();
    if (now < A.next_due_us)
        return;
    uint64_t iv = (uint64_t)A.interval_ms * 1000;
    uint64_t late = now - A.next_due_us;
    uint32_t missed = (uint32_t)(late / iv);
    A.missed += missed;
    A.next_due_us += (uint64_t)(missed + 1) * iv;
    A.running = true;
    expire_pending(now);
    tick(missed);
    A.running = false;
}

/* ---- autoctl, sleep ---- */

static void status(void)
{
    char v[MODEL_NAME_MAX + 1], h[65];
    uint64_t at;
    auto_model_info(v, h, &at);
    printf("autoctl: %s, interval %u ms, decider %s\n", A.on ? "on" : "off", A.interval_ms, v);
    printf("decisions: %lu, missed ticks: %lu, actions executed: %lu, overridden: %lu, queued: %lu\n",
           (unsigned long)A.decisions, (unsigned long)A.missed, (unsigned long)A.executed_actions,
           (unsigned long)A.overridden, (unsigned long)A.queued);
    long avg = A.reward_n ? (long)(A.reward_sum / (int64_t)A.reward_n) : 0;
    printf("reward: %lu scored, sum %ld, mean %ld\n", (unsigned long)A.reward_n, (long)A.reward_sum, avg);
    printf("tick: last %lu ns, max %lu ns, mean %lu ns\n", (unsigned long)A.tick_ns_last,
           (unsigned long)A.tick_ns_max, (unsigned long)(A.decisions ? A.tick_ns_total / A.decisions : 0));
    printf("safe mode: %s%s%s, pending %u/%u\n", safe_on ? "on (" : "off", safe_on ? safe_reason : "",
           safe_on ? ")" : "", npending, AUTO_PENDING_MAX);
}

static int pending_list(void)
{
    expire_pending(timer_us());
    if (!npending) {
        printf("autoctl: no pending actions\n");
        return 0;
    }
    printf("  id  trace     action             conf  age_s  expires_s\n");
    uint64_t now = timer_us();
    for (uint32_t i = 0; i < npending; i++) {
        uint64_t age = (now - queue[i].queued_us) / 1000000;
        printf("  %-3u %-9lu %-18s %4u  %5lu  %9lu\n", queue[i].id, (unsigned long)queue[i].trace_id,
               action_name(queue[i].action), queue[i].confidence, (unsigned long)age,
               (unsigned long)(AUTO_PENDING_TTL_S - age));
    }
    return 0;
}

static int decide_pending(const char *arg, bool approve)
{
    uint64_t id;
    const char *verb = approve ? "approve" : "deny";
    if (parse_u64(arg, &id)) {
        printf("autoctl: %s: '%s' is not a pending id\n", verb, arg);
        return 1;
    }
    expire_pending(timer_us());
    for (uint32_t i = 0; i < npending; i++) {
        if (queue[i].id != id)
            continue;
        struct pending p = queue[i];
        if (approve) {
            char what[64];
            workload_act(p.action, what, sizeof(what));
            note_executed(timer_us());
            struct decision_trace *t = trace_find(p.trace_id);
            if (t) {
                t->executed = true;
                t->executed_action = p.action;
            }
            settle(i, APPROVAL_APPROVED, "");
            printf("autoctl: approved %u (trace %lu): %s: %s\n", p.id, (unsigned long)p.trace_id,
                   action_name(p.action), what);
        } else {
            settle(i, APPROVAL_DENIED, "denied");
            printf("autoctl: denied %u (trace %lu): %s\n", p.id, (unsigned long)p.trace_id,
                   action_name(p.action));
        }
        return 0;
    }
    printf("autoctl: %s: no pending action %lu\n", verb, (unsigned long)id);
    return 1;
}

int cmd_autoctl(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0)) {
        status();
        return 0;
    }
    const char *sub = argv[1];
#if defined(CONFIG_SHADOW_MODE) && defined(CONFIG_MODEL_LIFECYCLE)
    if (strcmp(sub, "autorollback") == 0)
        return shadow_autorollback(argc - 1, argv + 1);   /* shadow/shadow.c */
#endif
    if (argc == 2 && strcmp(sub, "on") == 0) {
        if (!A.on) {
            A.on = true;
            A.next_due_us = timer_us() + (uint64_t)A.interval_ms * 1000;
        }
        printf("autoctl: on, interval %u ms\n", A.interval_ms);
        return 0;
    }
    if (argc == 2 && strcmp(sub, "off") == 0) {
        A.on = false;
        printf("autoctl: off\n");
        return 0;
    }
    if (argc == 3 && strcmp(sub, "interval") == 0) {
        uint64_t ms;
        if (parse_u64(argv[2], &ms) || ms < AUTO_INTERVAL_MIN_MS || ms > AUTO_INTERVAL_MAX_MS) {
            printf("autoctl: interval: '%s': expected %u..%u ms\n", argv[2], AUTO_INTERVAL_MIN_MS,
                   AUTO_INTERVAL_MAX_MS);
            return 1;
        }
        A.interval_ms = (uint32_t)ms;
        A.next_due_us = timer_us() + ms * 1000;
        printf("autoctl: interval %u ms\n", A.interval_ms);
        return 0;
    }
    if (argc == 3 && strcmp(sub, "safe") == 0 && strcmp(argv[2], "on") == 0) {
        safe_mode_enter("operator");
        printf("autoctl: safe mode on: every action waits for approval\n");
        return 0;
    }
    if (argc == 3 && strcmp(sub, "safe") == 0 && strcmp(argv[2], "off") == 0) {
        uint32_t n = npending;
        safe_mode_exit("operator");
        printf("autoctl: safe mode off (%u pending expired)\n", n);
        return 0;
    }
    if (argc == 2 && strcmp(sub, "pending") == 0)
        return pending_list();
    if (argc == 3 && (strcmp(sub, "approve") == 0 || strcmp(sub, "deny") == 0))
        return decide_pending(argv[2], sub[0] == 'a');
    printf("usage: autoctl [status] | on | off | interval MS | safe on|off | pending | approve ID | deny ID | autorollback [on|off]\n");
    return 1;
}

int cmd_sleep(int argc, char **argv)
{
    uint64_t ms;
    if (argc != 2 || parse_u64(argv[1], &ms) || ms > 86400000) {
        printf("usage: sleep MS (0..86400000)\n");
        return 1;
    }
    uint64_t end = timer_us() + ms * 1000;
    while (timer_us() < end) {
        auto_idle();
        __asm__ volatile("msr daifset, #2" ::: "memory");
        if (timer_us() < end)
            cpu_idle_wfi();
        __asm__ volatile("msr daifclr, #2" ::: "memory");
    }
    return 0;
}

/*
 * shadow.c - the shadow agent (seed 7.3): a second, verified model that
 * predicts on the same features as production at every decision, is
 * compared with it, may act in canary mode, is aborted automatically when
 * it misbehaves, and can be promoted through the lifecycle's health gate.
 *
 * Enable: `shadowctl enable V` loads /models/V through the lifecycle's
 * verifier (signature, SHA-256, manifest, model format: pkg_load_dir) and
 * records V in the registry's shadow role (one registry commit). It starts
 * in log mode. The health gate is not run for log or compare mode - the
 * shadow's output is only looked at - but switching to canary10 or
 * canary100, where the shadow's action is executed, runs the health gate
 * first and refuses a model that fails it.
 *
 * Modes, per decision (shadow_on_decision, between production's inference
 * and the policy checks):
 *   log        the shadow predicts; it is recorded in the trace; nothing counted
 *   compare    also compared and counted: a divergence is a different
 *              action, or confidences more than 200 apart (of 1000)
 *   canary10   as compare, and the shadow's action is executed for the
 *              decisions whose trace id hashes below 10 of 100:
 *              splitmix64(trace_id) % 100 < 10 (deterministic, not the clock)
 *   canary100  as compare, and the shadow's action is always executed
 * An executed shadow action passes the same policy checks (the loop).
 *
 * Automatic abort (compare and canary modes), checked after each counted
 * comparison: divergences reach the threshold (default 50, `shadowctl
 * threshold N`), or - once SHADOW_MIN_SAMPLE (100) comparisons were made -
 * the divergence rate is above 20% (divergences * 5 > compared). The
 * shadow is then disabled, removed from the shadow role and marked failed
 * in the registry (its `failed` member says why), an `abort` event and a
 * log line are sent, and the trace of that decision records the reason;
 * the aborting decision does not execute the shadow's action. Production
 * is never touched by an abort: the active model, the rollback slot and
 * the decision in flight stay as they are.
 *
 * Promote: `shadowctl promote` refuses when the divergence rate is above
 * 10% or nothing was compared yet, unless --force. It swaps the shadow in
 * through the lifecycle (model_switch: verification, the health gate, one
 * registry commit; the old active model becomes the rollback slot if it
 * was healthy). The drift monitor adopts a baseline measured on the live
 * workload (the shadow's last confidences, production's rewards and
 * features), and a promotion watch starts: if the promoted model trips a
 * drift alert within SHADOW_WATCH_DECISIONS (1000) decisions and
 * autorollback is on (the default; `autoctl autorollback on|off`), it is
 * rolled back to the last known good (the rollback slot) through the
 * lifecycle, with a `rollback` event. Safe mode is entered on that alert
 * as on every drift alert.
 */
#include "../defs.h"
#include "../trace/trace.h"
#include "../fs/ext4.h"

#if defined(CONFIG_SHADOW_MODE) && defined(CONFIG_MODEL_LIFECYCLE)

#define SHADOW_MIN_SAMPLE 100
#define SHADOW_CONF_DELTA 200
#define SHADOW_DEFAULT_THRESHOLD 50
#define SHADOW_WATCH_DECISIONS 1000
#define SHADOW_CONF_KEEP 100

static const char *const mode_names[] = { "off", "log", "compare", "canary10", "canary100" };

static struct {
    int mode;
    struct model *m;
    char version[MODEL_NAME_MAX + 1];
    uint64_t predictions, compared, divergences, action_diff, conf_diff, canary;
    uint64_t infer_ns_total, infer_ns_last;
    uint64_t over_ns_total, over_ns_last, over_ns_max, over_n;   /* the whole hook, per decision */
    uint32_t threshold;
    uint32_t conf[SHADOW_CONF_KEEP], conf_head, conf_n;
    char last_abort[160];
    /* promotion watch */
    char promoted[MODEL_NAME_MAX + 1];
    uint64_t decisions;             /* every decision the loop showed us */
    uint64_t promoted_at;           /* sh.decisions at the promotion */
    bool autorollback_off;
} sh = { .threshold = SHADOW_DEFAULT_THRESHOLD };

uint64_t shadow_mix(uint64_t x)
{
    /* splitmix64's finalizer (Steele, Lea, Flood 2014) */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

bool shadow_canary_pick(uint64_t trace_id)
{
    return shadow_mix(trace_id) % 100 < 10;
}

const char *shadow_mode_name(int m)
{
    return m >= 0 && m < (int)ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

static void reset_counts(void)
{
    sh.predictions = sh.compared = sh.divergences = sh.action_diff = sh.conf_diff = sh.canary = 0;
    sh.infer_ns_total = sh.infer_ns_last = 0;
    sh.over_ns_total = sh.over_ns_last = sh.over_ns_max = sh.over_n = 0;
    sh.conf_head = sh.conf_n = 0;
}

/* divergence rate in parts per million of the comparisons */
static uint64_t rate_ppm(void)
{
    return sh.compared ? sh.divergences * 1000000 / sh.compared : 0;
}

static void shadow_event(const char *op, const char *reason)
{
    char line[600];
    struct json j;
    event_begin(&j, line, sizeof(line), "shadow");
    json_str(&j, "op", op);
    json_str(&j, "version", sh.version);
    json_str(&j, "mode", mode_names[sh.mode]);
    json_u64(&j, "threshold", sh.threshold);
    json_u64(&j, "predictions", sh.predictions);
    json_u64(&j, "compared", sh.compared);
    json_u64(&j, "divergences", sh.divergences);
    json_fixed(&j, "divergence_rate", (int64_t)rate_ppm(), 6);
    json_u64(&j, "canary", sh.canary);
    if (reason)
        json_str(&j, "reason", reason);
    event_send(&j);
}

static int shadow_fail(const char *op, const char *arg, const struct perr *e)
{
    printf("shadowctl: %s%s%s: %s (%s)\n", op, arg ? " " : "", arg ? arg : "", e->msg, model_errname(e->err));
    return 1;
}

/* Registry: the shadow role becomes `v` ("" = none); `failed_why` marks `old` failed. */
static int reg_set_shadow(const char *op, const char *v, const char *old, const char *failed_why, struct perr *e)
{
    struct registry next = reg;
    strlcpy(next.shadow, v, sizeof(next.shadow));
    if (failed_why && old[0]) {
        struct reg_model *rm = reg_find(&next, old);
        if (rm)
            strlcpy(rm->failed, failed_why, sizeof(rm->failed));
    }
    if (v[0]) {
        struct reg_model *rm = reg_find(&next, v);
        if (rm)
            rm->failed[0] = 0;      /* re-enabling is the operator's new trial */
    }
    struct hist h;
    hist_set(&h, op, old, v, failed_why ? failed_why : op);
    int r = reg_commit(&next, &h, 1, e);
    if (!r)
        reg_event(op);
    return r;
}

static void drop_model(void)
{
    if (sh.m)
        model_put(sh.m);
    sh.m = NULL;
    sh.mode = SHADOW_OFF;
}

int shadow_enable(const char *v)
{
    struct perr e;
    if (!model_name_valid(v)) {
        char shown[80];
        model_name_show(v, shown, sizeof(shown));
        perr_set(&e, -EINVAL, "'%s' is not a valid version name", shown);
        return shadow_fail("enable", NULL, &e);
    }
    if (!storage_fs()) {
        perr_set(&e, -19, "no filesystem mounted: %s", storage_reason());
        return shadow_fail("enable", v, &e);
    }
    if (!reg_find(&reg, v)) {
        perr_set(&e, -ENOENT, "%s is not in the registry (modelctl list)", v);
        return shadow_fail("enable", v, &e);
    }
    if (strcmp(reg.active, v) == 0) {
        perr_set(&e, -EINVAL, "%s is the active model", v);
        return shadow_fail("enable", v, &e);
    }
    if (sh.m && strcmp(sh.version, v) == 0) {
        perr_set(&e, -EALREADY, "%s is already the shadow", v);
        return shadow_fail("enable", v, &e);
    }
    struct pkg_info info;
    struct model *m;
    if (pkg_load_dir(PKG_MODEL, v, &info, &m, NULL, &e))
        return shadow_fail("enable", v, &e);
    char old[MODEL_NAME_MAX + 1];
    strlcpy(old, reg.shadow, sizeof(old));
    if (reg_set_shadow("shadow-enable", v, old, NULL, &e)) {
        model_put(m);
        return shadow_fail("enable", v, &e);
    }
    drop_model();
    sh.m = m;
    strlcpy(sh.version, v, sizeof(sh.version));
    sh.mode = SHADOW_LOG;
    sh.last_abort[0] = 0;
    reset_counts();
    printf("Shadow agent enabled: %s (sha256 %s, signer %s), mode log\n", v, m->sha256, info.signer);
    printf("Use 'shadowctl mode compare' to count divergences\n");
    shadow_event("enable", NULL);
    return 0;
}

int shadow_disable(void)
{
    struct perr e;
    if (!sh.m) {
        perr_set(&e, -ENOENT, "no shadow model");
        return shadow_fail("disable", NULL, &e);
    }
    if (reg_set_shadow("shadow-disable", "", sh.version, NULL, &e))
        return shadow_fail("disable", NULL, &e);
    shadow_event("disable", "shadowctl disable");
    drop_model();
    printf("Shadow agent disabled (%s)\n", sh.version);
    return 0;
}

static void abort_shadow(struct decision_trace *t, const char *why)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "shadow abort: %s", why);
    strlcpy(sh.last_abort, why, sizeof(sh.last_abort));
    if (t)
        strlcpy(t->shadow.note, msg, sizeof(t->shadow.note));
    printf("[SHADOW ABORT] %s: %s; production %s keeps running\n", sh.version, why,
           reg.active[0] ? reg.active : "(reference policy)");
    event_log("error", "shadow %s aborted: %s; production %s untouched", sh.version, why,
              reg.active[0] ? reg.active : "reference");
    char line[600];
    struct json j;
    event_begin(&j, line, sizeof(line), "abort");
    json_str(&j, "version", sh.version);
    json_str(&j, "mode", mode_names[sh.mode]);
    json_str(&j, "reason", why);
    json_u64(&j, "compared", sh.compared);
    json_u64(&j, "divergences", sh.divergences);
    json_fixed(&j, "divergence_rate", (int64_t)rate_ppm(), 6);
    json_u64(&j, "threshold", sh.threshold);
    json_u64(&j, "trace_id", t ? t->trace_id : 0);
    json_str(&j, "production", reg.active);
    struct perr e;
    int r = reg_set_shadow("shadow-abort", "", sh.version, msg, &e);
    json_bool(&j, "registry_updated", r == 0);
    event_send(&j);
    if (r)
        printf("shadowctl: abort: the registry was not updated: %s (%s)\n", e.msg, model_errname(e.err));
    drop_model();
}

static void step(struct decision_trace *t)
{
    struct trace_shadow *s = &t->shadow;
    memset(s, 0, sizeof(*s));
    uint64_t c0 = timer_counter();
    struct mlp_result r;
    if (model_infer(sh.m, t->features, &r) != 0)
        return;
    uint64_t ns = (timer_counter() - c0) * 1000000000ull / (timer_freq() ? timer_freq() : 62500000);
    s->present = true;
    strlcpy(s->version, sh.version, sizeof(s->version));
    strlcpy(s->hash, sh.m->sha256, sizeof(s->hash));
    strlcpy(s->mode, mode_names[sh.mode], sizeof(s->mode));
    s->action = r.action;
    s->confidence = r.confidence;
    s->infer_ns = (uint32_t)ns;
    /* probabilities: the softmax layer's outputs */
    for (int i = 0; i < TRACE_ACTIONS && i < sh.m->h.output_dim; i++)
        s->probabilities[i] = r.logits[i];
    sh.predictions++;
    sh.infer_ns_last = ns;
    sh.infer_ns_total += ns;
    sh.conf[sh.conf_head] = r.confidence;
    sh.conf_head = (sh.conf_head + 1) % SHADOW_CONF_KEEP;
    if (sh.conf_n < SHADOW_CONF_KEEP)
        sh.conf_n++;
    uint32_t delta = r.confidence > t->confidence ? r.confidence - t->confidence : t->confidence - r.confidence;
    bool adiff = r.action != t->chosen_action, cdiff = delta > SHADOW_CONF_DELTA;
    s->diverged = adiff || cdiff;
    if (sh.mode == SHADOW_LOG)
        return;
    s->counted = true;
    sh.compared++;
    if (s->diverged) {
        sh.divergences++;
        sh.action_diff += adiff;
        sh.conf_diff += cdiff;
    }
    char why[120];
    if (sh.divergences >= sh.threshold) {
        snprintf(why, sizeof(why), "%lu divergences reached the threshold %u (%lu decisions compared)",
                 (unsigned long)sh.divergences, sh.threshold, (unsigned long)sh.compared);
        abort_shadow(t, why);
        return;
    }
    if (sh.compared >= SHADOW_MIN_SAMPLE && sh.divergences * 5 > sh.compared) {
        uint64_t ppm = rate_ppm();
        snprintf(why, sizeof(why), "divergence rate %lu.%02lu%% above 20%% (%lu of %lu decisions)",
                 (unsigned long)(ppm / 10000), (unsigned long)(ppm / 100 % 100), (unsigned long)sh.divergences,
                 (unsigned long)sh.compared);
        abort_shadow(t, why);
        return;
    }
    if (sh.mode == SHADOW_CANARY100 || (sh.mode == SHADOW_CANARY10 && shadow_canary_pick(t->trace_id))) {
        s->canary = true;
        sh.canary++;
    }
}

void shadow_totals(uint64_t *compared, uint64_t *divergences)
{
    *compared = sh.compared;
    *divergences = sh.divergences;
}

void shadow_on_decision(struct decision_trace *t)
{
    sh.decisions++;
    if (!sh.m || sh.mode == SHADOW_OFF)
        return;
    uint64_t c0 = timer_counter();
    step(t);
    uint64_t ns = (timer_counter() - c0) * 1000000000ull / (timer_freq() ? timer_freq() : 62500000);
    sh.over_ns_last = ns;
    sh.over_ns_total += ns;
    sh.over_n++;
    if (ns > sh.over_ns_max)
        sh.over_ns_max = ns;
}

static int set_mode(const char *name)
{
    struct perr e;
    int m = -1;
    for (int i = SHADOW_LOG; i < (int)ARRAY_SIZE(mode_names); i++)
        if (strcmp(name, mode_names[i]) == 0)
            m = i;
    if (m < 0) {
        printf("shadowctl: mode: '%s' is not one of log, compare, canary10, canary100\n", name);
        return 1;
    }
    if (!sh.m) {
        perr_set(&e, -ENOENT, "no shadow model (shadowctl enable V)");
        return shadow_fail("mode", name, &e);
    }
    if (m >= SHADOW_CANARY10 && sh.mode < SHADOW_CANARY10) {
        /* The shadow is about to act: it must pass the health gate first. */
        struct health h;
        int r = health_run(sh.m, &h, &e);
        if (r) {
            if (h.inferences)
                health_print(&h);
            return shadow_fail("mode", name, &e);
        }
        printf("health gate passed: p99 %u us, accuracy %u.%04u\n", h.p99_us, h.acc_ppm / 10000,
               h.acc_ppm % 10000);
    }
    int before = sh.mode;
    sh.mode = m;
    /* Counting starts when comparing starts. */
    if (before == SHADOW_LOG && m != SHADOW_LOG)
        sh.compared = sh.divergences = sh.action_diff = sh.conf_diff = 0;
    printf("Shadow mode: %s\n", mode_names[m]);
    shadow_event("mode", NULL);
    return 0;
}

static void print_status(void)
{
    printf("Shadow Agent Status:\n");
    printf("  Mode:        %s\n", mode_names[sh.m ? sh.mode : SHADOW_OFF]);
    if (sh.m)
        printf("  Model:       %s (sha256 %s)\n", sh.version, sh.m->sha256);
    printf("  Production:  %s\n", reg.active[0] ? reg.active : "none (reference policy)");
    printf("  Predictions: %lu\n", (unsigned long)sh.predictions);
    uint64_t ppm = rate_ppm();
    printf("  Compared:    %lu, divergences %lu (%lu.%02lu%%): action %lu, confidence %lu\n",
           (unsigned long)sh.compared, (unsigned long)sh.divergences, (unsigned long)(ppm / 10000),
           (unsigned long)(ppm / 100 % 100), (unsigned long)sh.action_diff, (unsigned long)sh.conf_diff);
    printf("  Canary:      %lu decisions executed the shadow's action\n", (unsigned long)sh.canary);
    printf("  Abort at:    %u divergences, or a rate above 20%% after %u comparisons\n", sh.threshold,
           SHADOW_MIN_SAMPLE);
    if (sh.predictions)
        printf("  Inference:   last %lu ns, mean %lu ns\n", (unsigned long)sh.infer_ns_last,
               (unsigned long)(sh.infer_ns_total / sh.predictions));
    if (sh.over_n)
        printf("  Overhead:    last %lu ns, mean %lu ns, max %lu ns per decision\n", (unsigned long)sh.over_ns_last,
               (unsigned long)(sh.over_ns_total / sh.over_n), (unsigned long)sh.over_ns_max);
    if (sh.last_abort[0])
        printf("  Last abort:  %s\n", sh.last_abort);
    if (sh.promoted[0]) {
        uint64_t since = sh.decisions - sh.promoted_at;
        printf("  Watch:       %s promoted %lu decisions ago; %s (autorollback %s)\n", sh.promoted,
               (unsigned long)since, since < SHADOW_WATCH_DECISIONS ? "watched" : "watch over",
               sh.autorollback_off ? "off" : "on");
    }
}

static int promote(bool force)
{
    struct perr e;
    if (!sh.m) {
        perr_set(&e, -ENOENT, "no shadow model");
        return shadow_fail("promote", NULL, &e);
    }
    uint64_t ppm = rate_ppm();
    printf("Shadow %s: %lu compared, %lu divergences (%lu.%02lu%%)\n", sh.version, (unsigned long)sh.compared,
           (unsigned long)sh.divergences, (unsigned long)(ppm / 10000), (unsigned long)(ppm / 100 % 100));
    if (!force && !sh.compared) {
        perr_set(&e, -EINVAL, "nothing compared yet (shadowctl mode compare), or use --force");
        return shadow_fail("promote", NULL, &e);
    }
    if (!force && ppm > 100000) {
        perr_set(&e, -EINVAL, "divergence rate above 10%%: refused (use --force to promote anyway)");
        return shadow_fail("promote", NULL, &e);
    }
    char v[MODEL_NAME_MAX + 1], prev[MODEL_NAME_MAX + 1];
    strlcpy(v, sh.version, sizeof(v));
    strlcpy(prev, reg.active, sizeof(prev));
    uint32_t conf[SHADOW_CONF_KEEP];
    uint32_t nconf = sh.conf_n;
    for (uint32_t i = 0; i < nconf; i++)
        conf[i] = sh.conf[(sh.conf_head + SHADOW_CONF_KEEP - nconf + i) % SHADOW_CONF_KEEP];
    printf("Promoting shadow %s to production%s...\n", v, force ? " (--force)" : "");
    uint64_t t0 = timer_us();
    struct health h;
    char reason[96];
    snprintf(reason, sizeof(reason), "shadowctl promote%s: %lu.%02lu%% divergence", force ? " --force" : "",
             (unsigned long)(ppm / 10000), (unsigned long)(ppm / 100 % 100));
    /* The old active model becomes the last known good if it was healthy. */
    const struct reg_model *om = prev[0] ? reg_find(&reg, prev) : NULL;
    const char *rb = om && om->has_health && om->health.passed ? prev : reg.rollback;
    if (model_switch("promote", v, rb, reason, &h, &e)) {
        if (h.inferences)
            health_print(&h);
        return shadow_fail("promote", NULL, &e);
    }
    health_print(&h);
    char line[600];
    struct json j;
    event_begin(&j, line, sizeof(line), "promote");
    json_str(&j, "version", v);
    json_str(&j, "from", prev);
    json_bool(&j, "forced", force);
    json_u64(&j, "compared", sh.compared);
    json_u64(&j, "divergences", sh.divergences);
    json_fixed(&j, "divergence_rate", (int64_t)ppm, 6);
    json_str(&j, "rollback", reg.rollback);
    json_u64(&j, "watch_decisions", SHADOW_WATCH_DECISIONS);
    json_u64(&j, "duration_us", timer_us() - t0);
    event_send(&j);
    reg_event("promote");
    drop_model();
    reset_counts();
#ifdef CONFIG_OTEL
    drift_adopt(v, conf, nconf);
#endif
    strlcpy(sh.promoted, v, sizeof(sh.promoted));
    sh.promoted_at = sh.decisions;
    printf("Promotion complete: %s is now active (%lu us); rollback slot %s; watching %u decisions\n", v,
           (unsigned long)(timer_us() - t0), reg.rollback[0] ? reg.rollback : "empty", SHADOW_WATCH_DECISIONS);
    return 0;
}

/* Called by the drift monitor when an alert begins (before safe mode). */
void drift_alert_hook(const char *version, const char *why)
{
    if (!sh.promoted[0] || strcmp(version, sh.promoted) != 0)
        return;
    uint64_t since = sh.decisions - sh.promoted_at;
    if (since >= SHADOW_WATCH_DECISIONS || sh.autorollback_off)
        return;
    char reason[200], to[MODEL_NAME_MAX + 1];
    snprintf(reason, sizeof(reason), "autorollback: %s, %lu decisions after promotion", why, (unsigned long)since);
    strlcpy(to, reg.rollback, sizeof(to));
    sh.promoted[0] = 0;             /* one rollback per promotion */
    char line[600];
    struct json j;
    event_begin(&j, line, sizeof(line), "rollback");
    json_str(&j, "from", version);
    if (!to[0]) {
        json_null(&j, "to");
        json_str(&j, "reason", "autorollback: no last known good model");
        event_send(&j);
        printf("[AUTOROLLBACK] %s: no last known good model to roll back to\n", version);
        return;
    }
    struct health h;
    struct perr e;
    int r = model_switch("rollback", to, "", reason, &h, &e);
    if (r)
        json_null(&j, "to");
    else
        json_str(&j, "to", to);
    json_str(&j, "reason", reason);
    json_str(&j, "trigger", "drift");
    json_bool(&j, "ok", r == 0);
    if (r)
        json_str(&j, "error", e.msg);
    event_send(&j);
    if (r) {
        printf("[AUTOROLLBACK] %s -> %s failed: %s (%s)\n", version, to, e.msg, model_errname(e.err));
        return;
    }
    reg_event("rollback");
    printf("[AUTOROLLBACK] %s -> %s: %s\n", version, to, reason);
    event_log("error", "%s rolled back to %s: %s", version, to, reason);
}

int shadow_autorollback(int argc, char **argv)
{
    /* autoctl autorollback [on|off]: argv[0] is "autorollback" */
    if (argc == 1) {
        printf("autorollback: %s (watch window %u decisions after a promotion)\n", sh.autorollback_off ? "off" : "on",
               SHADOW_WATCH_DECISIONS);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
        sh.autorollback_off = strcmp(argv[1], "off") == 0;
        printf("autorollback: %s\n", argv[1]);
        return 0;
    }
    printf("usage: autoctl autorollback on|off\n");
    return 1;
}

void shadow_boot(void)
{
    /* A shadow role left in the registry by a previous boot is not resumed:
     * its counts are gone. The role is cleared so the registry says so. */
    if (reg.shadow[0] && storage_fs()) {
        struct perr e;
        char old[MODEL_NAME_MAX + 1];
        strlcpy(old, reg.shadow, sizeof(old));
        if (reg_set_shadow("shadow-disable", "", old, NULL, &e) == 0)
            printf("shadow: %s was the shadow at shutdown; disabled (counts do not survive a reboot)\n", old);
    }
}

int cmd_shadowctl(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0)) {
        print_status();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "enable") == 0)
        return shadow_enable(argv[2]);
    if (argc == 2 && strcmp(argv[1], "disable") == 0)
        return shadow_disable();
    if (argc == 2 && strcmp(argv[1], "promote") == 0)
        return promote(false);
    if (argc == 3 && strcmp(argv[1], "promote") == 0 && strcmp(argv[2], "--force") == 0)
        return promote(true);
    if (argc == 3 && strcmp(argv[1], "mode") == 0)
        return set_mode(argv[2]);
    if (argc == 3 && strcmp(argv[1], "threshold") == 0) {
        uint64_t n;
        if (parse_u64(argv[2], &n) || n < 1 || n > 1000000) {
            printf("shadowctl: threshold: '%s' is not a number from 1 to 1000000\n", argv[2]);
            return 1;
        }
        sh.threshold = (uint32_t)n;
        printf("Divergence threshold: %u\n", sh.threshold);
        if (sh.m)
            shadow_event("threshold", NULL);
        return 0;
    }
    printf("usage: shadowctl enable V | disable | promote [--force] | status | threshold N | "
           "mode log|compare|canary10|canary100\n");
    return 1;
}

#elif defined(CONFIG_SHADOW_MODE)

/* Without the model lifecycle there is no verified model to shadow with. */
void shadow_on_decision(struct decision_trace *t)
{
    (void)t;
}

void shadow_totals(uint64_t *compared, uint64_t *divergences)
{
    *compared = *divergences = 0;
}

void drift_alert_hook(const char *version, const char *why)
{
    (void)version;
    (void)why;
}

#endif

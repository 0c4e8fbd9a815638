/*
 * drift.c - the drift monitor (seed 7.4.2, plus a population stability
 * index per input feature).
 *
 * Windows: the last DRIFT_WINDOW (100) decisions' confidences (0..1000),
 * rewards (milli-units, DRIFT_REWARD_SCALE wide) and scaled features.
 *
 * Baseline: captured when a model becomes the deciding model. The monitor
 * notices that from the version each decision names (so boot, modelctl
 * swap/rollback and a promotion are all seen) and then captures the first
 * DRIFT_WINDOW decisions of that model: their mean confidence, mean reward
 * and the feature histograms are the baseline. A promotion hands over a
 * baseline at once instead (drift_adopt): the shadow's own confidences
 * and production's rewards and features, all measured on the live
 * workload just before the switch. Until a baseline exists the confidence
 * baseline shown is the seed's 800 (fallback) and the reward baseline 0;
 * no level is computed until the window is full and a baseline captured.
 * `driftctl baseline reset` starts a new capture.
 *
 * Levels (confidence and reward alike): |mean(window) - baseline| above
 * 10% of the scale is a warning, above 20% an alert (confidence scale 1000,
 * reward scale DRIFT_REWARD_SCALE). The comparison is exact integer
 * arithmetic on the sums. A level change sends a `drift` event; entering
 * alert (either metric) calls drift_alert_hook (shadow.c: the promotion
 * watch and autorollback) and enters safe mode (ai/: every action then
 * needs approval).
 *
 * PSI: DRIFT_BINS (10) equal-width bins over each feature's [0, 1] range
 * (x*10 truncated, 1.0 in the last bin). With e and a the baseline's and
 * the window's share of a bin, each floored at DRIFT_EPS (1e-4) so that an
 * empty bin stays finite, PSI = sum over bins of (a - e) * ln(a / e).
 * Bands: below 0.1 stable, 0.1 to 0.25 moderate, 0.25 and above
 * significant. PSI is reported (driftctl status, drift events on band
 * changes); it does not enter safe mode on its own - uptime_ms, one of the
 * features, moves steadily by design.
 */
#include "../defs.h"
#include "../trace/trace.h"
#include "../fs/ext4.h"

#ifdef CONFIG_OTEL

#define DRIFT_EPS 1e-4

static const char *const feature_names[MODEL_INPUTS] = {
    "mem_pressure", "deadline_misses", "cpu_usage", "network_latency", "uptime_ms", "heap_used",
    "processes_running",
};

static struct {
    char version[MODEL_NAME_MAX + 1];
    /* window rings */
    uint32_t conf[DRIFT_WINDOW];
    int32_t reward[DRIFT_WINDOW];   /* its own ring: only valid rewards enter */
    uint8_t bin[DRIFT_WINDOW][MODEL_INPUTS];
    uint32_t head, n, rhead, rn;
    int64_t conf_sum, reward_sum;
    uint16_t cur[MODEL_INPUTS][DRIFT_BINS];
    /* baseline */
    bool have_base, adopted;
    uint32_t cap_n;                 /* decisions captured so far */
    int64_t base_conf_sum, base_reward_sum;
    uint32_t base_n, base_rn, ref_n_override;
    uint16_t ref[MODEL_INPUTS][DRIFT_BINS];
    /* levels */
    int conf_level, reward_level;
    int psi_band[MODEL_INPUTS];
    int64_t psi_ppm[MODEL_INPUTS];
    uint64_t decisions, alerts, warnings;
    uint64_t last_alert_at_us;
} d;

/* ---- math ---- */

/* Natural logarithm for x > 0: x = m * 2^k with m in [sqrt(1/2), sqrt(2)),
 * ln x = k ln 2 + 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716, odd series to
 * s^23 (the next term is below 2^-60 of the result). */
double drift_ln(double x)
{
    if (!(x > 0))
        return -1e300;
    union { double d; uint64_t u; } v = { x };
    int k = (int)((v.u >> 52) & 0x7ff) - 1023;
    v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;    /* m in [1, 2) */
    double m = v.d;
    if (m > 1.4142135623730951) {
        m *= 0.5;
        k++;
    }
    double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = 0;
    for (int i = 1; i <= 23; i += 2) {
        sum += term / i;
        term *= s2;
    }
    return k * 0.6931471805599453 + 2 * sum;
}

int drift_bin(float x)
{
    if (!(x > 0))
        return 0;
    if (x >= 1)
        return DRIFT_BINS - 1;
    int b = (int)(x * DRIFT_BINS);
    return b >= DRIFT_BINS ? DRIFT_BINS - 1 : b;
}

/* PSI of two histograms of nref and ncur samples, in parts per million (rounded). */
int64_t drift_psi_ppm(const uint16_t *ref, uint32_t nref, const uint16_t *cur, uint32_t ncur)
{
    if (!nref || !ncur)
        return 0;
    double psi = 0;
    for (int b = 0; b < DRIFT_BINS; b++) {
        double e = (double)ref[b] / nref, a = (double)cur[b] / ncur;
        if (e < DRIFT_EPS)
            e = DRIFT_EPS;
        if (a < DRIFT_EPS)
            a = DRIFT_EPS;
        psi += (a - e) * drift_ln(a / e);
    }
    return (int64_t)(psi * 1e6 + 0.5);
}

static int band_of(int64_t ppm)
{
    return ppm >= 250000 ? 2 : ppm >= 100000 ? 1 : 0;
}

static const char *const band_names[] = { "stable", "moderate", "significant" };
static const char *const level_names[] = { "ok", "warning", "alert" };

const char *drift_level_name(int level)
{
    return level >= 0 && level <= 2 ? level_names[level] : "?";
}

/* 0 ok, 1 warning, 2 alert: |sum_w/n_w - sum_b/n_b| against 10% / 20% of scale, exactly. */
static int level_of(int64_t sum_w, uint32_t nw, int64_t sum_b, uint32_t nb, int64_t scale)
{
    int64_t diff = sum_w * nb - sum_b * nw;
    if (diff < 0)
        diff = -diff;
    int64_t unit = (int64_t)nw * nb * scale;     /* |delta| * nw * nb vs scale/10 * nw * nb */
    if (diff * 10 > unit * 2)
        return 2;
    if (diff * 10 > unit)
        return 1;
    return 0;
}

/* mean in thousandths of the metric's unit */
static int64_t mean_milli(int64_t sum, uint32_t n)
{
    if (!n)
        return 0;
    int64_t x = sum * 1000;
    return x >= 0 ? (x + n / 2) / n : -((-x + n / 2) / n);
}

/* ---- state ---- */

static void start_capture(const char *version)
{
    strlcpy(d.version, version, sizeof(d.version));
    d.have_base = d.adopted = false;
    d.cap_n = 0;
    d.base_conf_sum = d.base_reward_sum = 0;
    d.base_n = d.base_rn = 0;
    memset(d.ref, 0, sizeof(d.ref));
    d.conf_level = d.reward_level = 0;
    for (int f = 0; f < MODEL_INPUTS; f++) {
        d.psi_band[f] = 0;
        d.psi_ppm[f] = 0;
    }
}

static void clear_window(void)
{
    d.head = d.n = d.rhead = d.rn = 0;
    d.conf_sum = d.reward_sum = 0;
    memset(d.cur, 0, sizeof(d.cur));
}

void drift_reset(void)
{
    start_capture(d.version);
    clear_window();
}

void drift_adopt(const char *version, const uint32_t *conf, uint32_t nconf)
{
    /* Rewards and features: production's window, as the live workload gave them. */
    int64_t rsum = d.reward_sum;
    uint32_t rn = d.rn, fn = d.n;
    uint16_t ref[MODEL_INPUTS][DRIFT_BINS];
    memcpy(ref, d.cur, sizeof(ref));
    start_capture(version);
    if (!nconf || !rn || !fn) {
        clear_window();             /* nothing measured to adopt: capture as usual */
        return;
    }
    int64_t cs = 0;
    for (uint32_t i = 0; i < nconf; i++)
        cs += conf[i];
    d.base_conf_sum = cs;
    d.base_n = nconf;
    d.base_reward_sum = rsum;
    d.base_rn = rn;
    memcpy(d.ref, ref, sizeof(ref));
    d.ref_n_override = fn;
    d.have_base = d.adopted = true;
    clear_window();
}

static void send_event(const char *metric, int level, int64_t base_milli, int64_t cur_milli, int64_t scale)
{
    char line[512];
    struct json j;
    event_begin(&j, line, sizeof(line), "drift");
    json_str(&j, "metric", metric);
    json_str(&j, "level", level_names[level]);
    json_str(&j, "version", d.version);
    json_fixed(&j, "baseline", base_milli, 3);
    json_fixed(&j, "current", cur_milli, 3);
    int64_t delta = cur_milli - base_milli;
    json_fixed(&j, "delta", delta < 0 ? -delta : delta, 3);
    json_u64(&j, "scale", (uint64_t)scale);
    json_u64(&j, "window", d.n);
    json_bool(&j, "adopted", d.adopted);
    event_send(&j);
}

static void psi_event(int f)
{
    char line[320];
    struct json j;
    event_begin(&j, line, sizeof(line), "drift");
    json_str(&j, "metric", "psi");
    json_str(&j, "feature", feature_names[f]);
    json_str(&j, "band", band_names[d.psi_band[f]]);
    json_str(&j, "version", d.version);
    json_fixed(&j, "psi", d.psi_ppm[f], 6);
    json_u64(&j, "window", d.n);
    event_send(&j);
}

static uint32_t ref_n(void)
{
    return d.adopted ? d.ref_n_override : d.cap_n;
}

int drift_observe(const char *version, uint32_t conf, bool reward_valid, int32_t reward,
                  const float x[MODEL_INPUTS])
{
    if (strcmp(version, d.version) != 0) {
        start_capture(version);
        clear_window();
    }
    d.decisions++;
    /* the window */
    if (d.n == DRIFT_WINDOW) {
        uint32_t o = d.head;
        d.conf_sum -= d.conf[o];
        for (int f = 0; f < MODEL_INPUTS; f++)
            d.cur[f][d.bin[o][f]]--;
    } else {
        d.n++;
    }
    uint32_t slot = d.head;
    d.conf[slot] = conf;
    d.conf_sum += conf;
    if (reward_valid) {
        if (d.rn == DRIFT_WINDOW)
            d.reward_sum -= d.reward[d.rhead];
        else
            d.rn++;
        d.reward[d.rhead] = reward;
        d.reward_sum += reward;
        d.rhead = (d.rhead + 1) % DRIFT_WINDOW;
    }
    for (int f = 0; f < MODEL_INPUTS; f++) {
        uint8_t b = (uint8_t)drift_bin(x[f]);
        d.bin[slot][f] = b;
        d.cur[f][b]++;
    }
    d.head = (d.head + 1) % DRIFT_WINDOW;
    /* the baseline capture */
    if (!d.have_base) {
        d.cap_n++;
        d.base_conf_sum += conf;
        d.base_n++;
        if (reward_valid) {
            d.base_reward_sum += reward;
            d.base_rn++;
        }
        for (int f = 0; f < MODEL_INPUTS; f++)
            d.ref[f][d.bin[slot][f]]++;
        if (d.cap_n == DRIFT_WINDOW)
            d.have_base = true;
        return 0;
    }
    if (d.n < DRIFT_WINDOW)
        return 0;
    int cl = level_of(d.conf_sum, d.n, d.base_conf_sum, d.base_n, 1000);
    /* rewards: once the window has DRIFT_WINDOW of them and the baseline some */
    int rl = d.rn == DRIFT_WINDOW && d.base_rn ?
             level_of(d.reward_sum, d.rn, d.base_reward_sum, d.base_rn, DRIFT_REWARD_SCALE) : 0;
    int before = d.conf_level > d.reward_level ? d.conf_level : d.reward_level;
    if (cl != d.conf_level) {
        d.conf_level = cl;
        send_event("confidence", cl, mean_milli(d.base_conf_sum, d.base_n), mean_milli(d.conf_sum, d.n), 1000);
    }
    if (rl != d.reward_level) {
        d.reward_level = rl;
        send_event("reward", rl, mean_milli(d.base_reward_sum, d.base_rn), mean_milli(d.reward_sum, d.rn),
                   DRIFT_REWARD_SCALE);
    }
    for (int f = 0; f < MODEL_INPUTS; f++) {
        d.psi_ppm[f] = drift_psi_ppm(d.ref[f], ref_n(), d.cur[f], d.n);
        int b = band_of(d.psi_ppm[f]);
        if (b != d.psi_band[f]) {
            d.psi_band[f] = b;
            psi_event(f);
        }
    }
    int after = cl > rl ? cl : rl;
    if (after == 1 && before != 1)
        d.warnings++;
    if (after == 2 && before != 2) {
        d.alerts++;
        d.last_alert_at_us = timer_us();
        char why[160];
        snprintf(why, sizeof(why), "drift alert on %s: %s", d.version,
                 cl == 2 ? "confidence" : "reward");
        printf("[DRIFT ALERT] %s: entering safe mode\n", why);
#ifdef CONFIG_SHADOW_MODE
        drift_alert_hook(d.version, why);   /* a watched promotion rolls back */
#endif
        safe_mode_enter(why);
        return 2;
    }
    return after;
}

void drift_get(struct drift_view *v)
{
    memset(v, 0, sizeof(*v));
    strlcpy(v->version, d.version, sizeof(v->version));
    v->have_base = d.have_base;
    v->adopted = d.adopted;
    v->captured = d.cap_n;
    v->window = d.n;
    v->conf_base_milli = d.base_n ? mean_milli(d.base_conf_sum, d.base_n) : 800000;
    v->conf_cur_milli = mean_milli(d.conf_sum, d.n);
    v->reward_base_milli = mean_milli(d.base_reward_sum, d.base_rn);
    v->reward_cur_milli = mean_milli(d.reward_sum, d.rn);
    v->reward_window = d.rn;
    v->conf_level = d.conf_level;
    v->reward_level = d.reward_level;
    v->decisions = d.decisions;
    v->alerts = d.alerts;
    v->warnings = d.warnings;
    for (int f = 0; f < MODEL_INPUTS; f++) {
        v->psi_ppm[f] = d.psi_ppm[f];
        v->psi_band[f] = d.psi_band[f];
    }
}

uint32_t drift_window_conf(uint32_t *out, uint32_t max)
{
    uint32_t n = d.n < max ? d.n : max;
    for (uint32_t i = 0; i < n; i++)
        out[i] = d.conf[(d.head + DRIFT_WINDOW - n + i) % DRIFT_WINDOW];
    return n;
}

/* ---- driftctl ---- */

static void print_milli(const char *label, int64_t v)
{
    int64_t a = v < 0 ? -v : v;
    printf("%s%s%ld.%03ld", label, v < 0 ? "-" : "", (long)(a / 1000), (long)(a % 1000));
}

int cmd_driftctl(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "baseline") == 0 && strcmp(argv[2], "reset") == 0) {
        drift_reset();
        printf("drift baseline reset: capturing the next %u decisions of %s\n", DRIFT_WINDOW,
               d.version[0] ? d.version : "the active model");
        return 0;
    }
    if (!(argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0))) {
        printf("usage: driftctl status | baseline reset\n");
        return 1;
    }
    struct drift_view v;
    drift_get(&v);
    printf("model:      %s\n", v.version[0] ? v.version : "none (no decision yet)");
    if (v.have_base)
        printf("baseline:   %s\n", v.adopted ? "adopted at promotion (shadow confidences, production rewards)"
                                             : "captured from the model's first 100 decisions");
    else
        printf("baseline:   capturing, %u of %u decisions (confidence fallback 800)\n", v.captured, DRIFT_WINDOW);
    printf("window:     %u of %u decisions\n", v.window, DRIFT_WINDOW);
    print_milli("confidence: baseline ", v.conf_base_milli);
    print_milli(", window ", v.conf_cur_milli);
    printf(", %s (warning > 100, alert > 200)\n", level_names[v.conf_level]);
    print_milli("reward:     baseline ", v.reward_base_milli);
    print_milli(", window ", v.reward_cur_milli);
    printf(", %s (warning > %d, alert > %d)\n", level_names[v.reward_level], DRIFT_REWARD_SCALE / 10,
           DRIFT_REWARD_SCALE / 5);
    printf("psi (10 bins, epsilon 0.0001; < 0.1 stable, < 0.25 moderate, else significant):\n");
    for (int f = 0; f < MODEL_INPUTS; f++)
        printf("  %-18s %ld.%06ld %s\n", feature_names[f], (long)(v.psi_ppm[f] / 1000000),
               (long)(v.psi_ppm[f] % 1000000), v.have_base && v.window == DRIFT_WINDOW ? band_names[v.psi_band[f]] : "-");
    printf("alerts:     %lu, warnings %lu, in %lu decisions\n", (unsigned long)v.alerts,
           (unsigned long)v.warnings, (unsigned long)v.decisions);
    return 0;
}

#endif

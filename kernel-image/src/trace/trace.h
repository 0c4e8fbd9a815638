/*
 * trace.h - the decision trace (seed 7.2.1) and the interfaces around one
 * autonomous decision: the trace ring's read API, the per-decision hooks
 * of the operations subsystems (shadow, otel, drift) and safe mode.
 *
 * One decision tick (ai/autonomy.c) fills one struct decision_trace, in
 * this order of stages, each timed on the generic timer (CNTVCT, 16 ns at
 * 62.5 MHz):
 *
 *   TELEMETRY  read the kernel's measurements and the workload's figures
 *   FEATURES   chaos (noise/shift) applied, the 7 raw values scaled (MODEL-FORMAT.md)
 *   INFER      the production model's forward pass (or the reference policy)
 *   SHADOW     shadow_on_decision(): the shadow model's prediction (ops engineer)
 *   POLICY     the policy checks gate the chosen action
 *   EXECUTE    the action acts on the workload (or is queued in safe mode)
 *   RECORD     trace_record() copies it into the ring
 *   HOOKS      otel_on_decision(), drift_on_decision() (after RECORD; the
 *              duration is written into the ring's copy afterwards)
 *
 * The reward of decision N is known only one interval later: decision N+1
 * computes it and writes it into N's ring slot (reward_valid). Approvals
 * and denials of safe-mode actions are written into the ring slot of the
 * trace that proposed them.
 *
 * The ring holds the last TRACE_RING traces; ids are 1, 2, 3, ... per boot
 * (never reused, not reset by `tracectl clear`), and id N lives in slot
 * (N - 1) % TRACE_RING, so record and find are O(1).
 */
#ifndef SIS_TRACE_H
#define SIS_TRACE_H

#include "../defs.h"

#define TRACE_RING 1024
#define TRACE_FEATURES MODEL_INPUTS         /* 7 */
#define TRACE_ACTIONS MODEL_ACTIONS         /* 5 */
#define TRACE_HIDDEN_MAX 64                 /* hidden activations kept (the seed models have 32+16) */
#define TRACE_HIDDEN_LAYERS (MLP_MAX_LAYERS - 1)
#define TRACE_ALTS 3
#define TRACE_CHECKS_MAX 6
#define TRACE_REASON_MAX 40

enum action {
    ACT_NONE = 0, ACT_RECLAIM_CACHES = 1, ACT_THROTTLE = 2, ACT_SHED_LOAD = 3, ACT_BACKOFF_IO = 4,
};
const char *action_name(uint32_t a);        /* "none", "reclaim_caches", ... ; "?" out of range */

enum trace_stage {
    STAGE_TELEMETRY, STAGE_FEATURES, STAGE_INFER, STAGE_SHADOW, STAGE_POLICY, STAGE_EXECUTE,
    STAGE_RECORD, STAGE_HOOKS, STAGE_COUNT,
};
const char *stage_name(int s);              /* "telemetry", "features", ... */

/* Where the production decision came from. */
enum decider { DECIDER_MODEL = 0, DECIDER_REFERENCE = 1 };

/* Safe-mode approval state of a trace's action. */
enum approval {
    APPROVAL_NONE = 0,      /* not queued (executed or overridden at once) */
    APPROVAL_PENDING,       /* queued, waiting for autoctl approve/deny */
    APPROVAL_APPROVED,      /* approved and executed */
    APPROVAL_DENIED,
    APPROVAL_EXPIRED,       /* dropped by the queue's expiry rule */
};
const char *approval_name(int a);

/* Raw kernel measurements of one interval (seed Telemetry + SystemState, and more). */
struct telemetry {
    /* seed Telemetry */
    uint32_t mem_pressure;      /* percent of the heap in use, 0-100 (rounded down) */
    uint32_t deadline_misses;   /* late 100 Hz timer ticks in the interval (arch/timer.c) */
    uint32_t cpu_usage;         /* percent of the interval not spent in WFI, 0-100 */
    uint32_t network_latency;   /* ms: the workload's I/O queue latency (no network here) */
    /* seed SystemState */
    uint64_t uptime_ms;
    uint64_t heap_used;         /* bytes in use on the kernel heap */
    uint32_t processes_running; /* runnable tasks of the workload */
    /* extra real measurements */
    uint32_t interval_us;       /* guest time since the previous decision */
    uint32_t io_requests;       /* virtio-blk requests completed in the interval */
    uint32_t io_latency_us;     /* their mean service time (0 if none) */
    uint32_t io_errors;         /* failed virtio-blk requests + workload I/O failures */
    uint32_t missed_ticks;      /* decision ticks skipped (the shell was busy) */
};

struct policy_check {
    char name[24];              /* e.g. "confidence_min", "min_tasks", "rate_limit" */
    int64_t value_milli;        /* the value checked, x1000 */
    int64_t threshold_milli;    /* the threshold, x1000 */
    bool passed;
};

struct alternative {
    uint32_t action;
    uint32_t confidence;        /* 0-1000: floor(p * 1000) */
};

/* Filled by the shadow subsystem (ops engineer, CONFIG_SHADOW_MODE); present=false otherwise. */
struct trace_shadow {
    bool present;
    char version[MODEL_NAME_MAX + 1];
    char hash[65];              /* SHA-256 hex of its model.bin */
    uint32_t action, confidence;
    float probabilities[TRACE_ACTIONS];
    bool diverged;              /* action differs, or |confidence delta| > 200 */
    bool canary;                /* this decision executed the shadow's action */
    uint32_t infer_ns;
    char mode[12];              /* log, compare, canary10, canary100 */
    bool counted;               /* compared and counted (every mode but log) */
    char note[120];             /* "shadow abort: WHY" when this decision aborted it */
};

struct decision_trace {
    /* context */
    uint64_t trace_id;          /* 1, 2, 3, ... per boot */
    uint64_t timestamp_us;      /* UNIX microseconds at the tick's start (RTC at boot + timer) */
    uint64_t uptime_ns;         /* guest nanoseconds since boot at the tick's start */
    uint8_t decider;            /* enum decider */
    char model_version[MODEL_NAME_MAX + 1];  /* "reference" when decided by the reference policy */
    char model_hash[65];        /* SHA-256 hex of model.bin; "" for the reference policy */
    uint64_t model_loaded_at;   /* UNIX seconds (registry loaded_at), 0 if none */

    /* inputs */
    struct telemetry telemetry; /* as measured */
    double raw[TRACE_FEATURES];     /* the 7 raw values fed to scaling (after chaos) */
    float features[TRACE_FEATURES]; /* scaled, MODEL-FORMAT.md (what the model saw) */
    bool chaos_telemetry;       /* noise or shift was applied to raw[] */

    /* processing */
    uint8_t hidden_layers;      /* hidden layers of the model (0 for the reference policy) */
    uint16_t hidden_dims[TRACE_HIDDEN_LAYERS];
    uint16_t hidden_count;      /* activations stored (sum of dims, capped at TRACE_HIDDEN_MAX) */
    bool hidden_truncated;      /* the model had more hidden units than stored */
    float hidden[TRACE_HIDDEN_MAX]; /* layer 0's outputs, then layer 1's, ... */
    uint8_t nchecks;
    struct policy_check checks[TRACE_CHECKS_MAX];

    /* outputs */
    float logits[TRACE_ACTIONS];
    float probabilities[TRACE_ACTIONS]; /* softmax (binary64, rounded to f32); all 0 if non-finite */
    uint32_t chosen_action;     /* enum action: what the decider proposed */
    uint32_t confidence;        /* 0-1000 */
    struct alternative alternatives[TRACE_ALTS];   /* next best 3, by probability, lowest index on ties */

    /* shadow (ops engineer) */
    struct trace_shadow shadow;

    /* outcome */
    uint32_t executed_action;   /* what ran (chosen, or the shadow's in canary); ACT_NONE if nothing */
    bool executed;              /* an action ran on the workload (none counts as executed) */
    bool overridden;            /* a policy check, safe mode or the operator stopped it */
    char override_reason[TRACE_REASON_MAX]; /* "policy:NAME", "safe_mode", "denied", "expired", "" */
    uint8_t approval;           /* enum approval */
    uint32_t pending_id;        /* its safe-mode queue id, 0 if never queued */
    uint64_t approval_us;       /* uptime us of the approval/denial/expiry, 0 if none */
    uint32_t health;            /* system health score 0-1000 at this decision (docs: reward) */
    int32_t reward;             /* -1000..1000, valid once the next decision has run */
    bool reward_valid;

    /* per-stage timing, guest timer */
    uint32_t stage_start_ns[STAGE_COUNT];   /* offset from uptime_ns */
    uint32_t stage_ns[STAGE_COUNT];
    uint32_t total_ns;          /* TELEMETRY start to RECORD end */
};

/* ---- trace/ring.c (CONFIG_DECISION_TRACES) ---- */
struct trace_stats {
    uint64_t recorded;          /* traces recorded since boot */
    uint64_t overwritten;       /* recorded traces the ring dropped to make room */
    uint64_t cleared;           /* traces dropped by tracectl clear */
    uint32_t held;              /* traces in the ring now, <= TRACE_RING */
    uint64_t oldest_id, newest_id;  /* 0 if empty */
    uint64_t record_ns_last, record_ns_max, record_ns_total;  /* trace_record() cost */
};
#ifdef CONFIG_DECISION_TRACES
struct decision_trace *trace_record(const struct decision_trace *t);  /* O(1): its slot */
uint32_t trace_count(void);
const struct decision_trace *trace_newest(uint32_t i);  /* 0 = newest; NULL if i >= count */
struct decision_trace *trace_find(uint64_t id);         /* O(1); NULL if not held */
void trace_clear(void);
void trace_get_stats(struct trace_stats *s);
void trace_json(struct json *j, const char *key, const struct decision_trace *t); /* full object */
void trace_json_members(struct json *j, const struct decision_trace *t); /* its members, into the open object */

/* ---- trace/incident.c ---- */
#define INC_KEEP 50                 /* bundles kept in /incidents; the oldest go first */
int incident_export(const uint64_t *ids, int n, char *path_out, size_t cap);  /* 0 or -errno */
uint32_t incident_count(void);
#else
static inline struct decision_trace *trace_record(const struct decision_trace *t) { (void)t; return NULL; }
static inline uint32_t trace_count(void) { return 0; }
static inline const struct decision_trace *trace_newest(uint32_t i) { (void)i; return NULL; }
static inline struct decision_trace *trace_find(uint64_t id) { (void)id; return NULL; }
#endif

/*
 * ---- per-decision hooks (ops engineer: ops/shadow.c, ops/otel.c, ops/drift.c) ----
 * shadow_on_decision: after the production inference, before the policy
 *   checks; fills t->shadow and, in canary mode, may set t->shadow.canary
 *   (the loop then executes t->shadow.action through the same policy checks).
 * otel_on_decision / drift_on_decision: after the trace is recorded; `t` is
 *   the ring's copy (t->reward is not yet valid: the previous decision's is,
 *   trace_find(t->trace_id - 1)). They must not block; a full disk is
 *   their problem to report and drop.
 * decision_hooks_run() calls otel then drift; each is an empty inline when
 * its flag is off.
 */
#ifdef CONFIG_SHADOW_MODE
void shadow_on_decision(struct decision_trace *t);
/* The shadow's running comparison counts (kept after an abort, reset by enable
 * and by leaving log mode), for the decision event's `shadow` member. */
void shadow_totals(uint64_t *compared, uint64_t *divergences);
#else
static inline void shadow_on_decision(struct decision_trace *t) { (void)t; }
static inline void shadow_totals(uint64_t *compared, uint64_t *divergences) { *compared = *divergences = 0; }
#endif
#ifdef CONFIG_OTEL
void otel_on_decision(const struct decision_trace *t);
void drift_on_decision(const struct decision_trace *t);
#else
static inline void otel_on_decision(const struct decision_trace *t) { (void)t; }
static inline void drift_on_decision(const struct decision_trace *t) { (void)t; }
#endif
static inline void decision_hooks_run(const struct decision_trace *t)
{
    otel_on_decision(t);
    drift_on_decision(t);
}

/* ---- ai/workload.c ---- */
void workload_tick(uint32_t interval_ms);
void workload_act(uint32_t action, char *what, size_t cap);
bool workload_chaos(double raw[TRACE_FEATURES]);
uint32_t workload_tasks(void);
uint32_t workload_latency_ms(void);
uint32_t workload_throttle(void);
uint32_t workload_backoff(void);
uint32_t workload_io_failed(void);
size_t workload_cache_bytes(void);
const char *feature_name(int i);
double feature_range(int i);

/* ---- ai/autonomy.c: the loop, safe mode ---- */
#define AUTO_INTERVAL_DEFAULT_MS 500
#define AUTO_INTERVAL_MIN_MS 10
#define AUTO_INTERVAL_MAX_MS 60000
void auto_init(void);
void auto_idle(void);               /* called by every idle wait (shell input, sleep) */
bool auto_enabled(void);
uint32_t auto_interval_ms(void);
uint64_t auto_decisions(void);      /* decisions made since boot */
/* Safe mode: every proposed action is queued for approval. reason: one word or short phrase. */
void safe_mode_enter(const char *reason);
void safe_mode_exit(const char *reason);
bool safe_mode_active(void);
/* The active decider's identity, as a trace records it (for otel resource/span attributes). */
void auto_model_info(char version[MODEL_NAME_MAX + 1], char hash[65], uint64_t *loaded_at);
struct model;
/* Decide on scaled features x: the model's forward pass (m != NULL) or the
 * reference policy; fills the trace's processing and output fields. */
void auto_infer(struct model *m, const float x[TRACE_FEATURES], struct decision_trace *t);
uint32_t health_score(const struct telemetry *m);   /* 0-1000, docs/PHASE7-AI-OPERATIONS.md */
uint64_t auto_boot_unix_us(void);

#endif

/*
 * autonomy.c - the autonomous decision loop (work in progress: names and
 * safe-mode state first; the tick follows).
 */
#include "../trace/trace.h"

static const char *const actions[] = { "none", "reclaim_caches", "throttle_workload", "shed_load", "backoff_io" };
static const char *const stages[] = { "telemetry", "features", "infer", "shadow", "policy", "execute", "record", "hooks" };
static const char *const approvals[] = { "none", "pending", "approved", "denied", "expired" };

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

static bool safe_on;
static char safe_reason[64];

void safe_mode_enter(const char *reason)
{
    safe_on = true;
    strlcpy(safe_reason, reason ? reason : "", sizeof(safe_reason));
}

void safe_mode_exit(const char *reason)
{
    (void)reason;
    safe_on = false;
}

bool safe_mode_active(void)
{
    return safe_on;
}

/*
 * shadow.c - shadow and canary (seed 7.3). The ops engineer's part: the
 * decision loop calls shadow_on_decision() once per decision, after the
 * production inference and before the policy checks (trace/trace.h).
 */
#include "../trace/trace.h"

#ifdef CONFIG_SHADOW_MODE
void shadow_on_decision(struct decision_trace *t)
{
    (void)t;    /* no shadow model yet: t->shadow.present stays false */
}
#endif

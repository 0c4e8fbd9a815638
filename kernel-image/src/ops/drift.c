/*
 * drift.c - drift detection (seed 7.4.2). The ops engineer's part: the
 * decision loop calls drift_on_decision() once per recorded decision
 * (trace/trace.h); an alert calls safe_mode_enter("drift ...").
 */
#include "../trace/trace.h"

#ifdef CONFIG_OTEL
void drift_on_decision(const struct decision_trace *t)
{
    (void)t;    /* no drift monitor yet */
}
#endif

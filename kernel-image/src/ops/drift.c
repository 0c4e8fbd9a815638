/*
 * drift.c - the decision loop's drift hook: each recorded decision goes to
 * the drift monitor (otel/drift.c) with the model that decided, its
 * confidence, the features the model saw and the reward of the decision
 * before it (a decision's reward is known one interval later, trace.h).
 * A decision whose previous trace is gone (the first one, or after
 * `tracectl clear`) or has no valid reward adds no reward to the window.
 */
#include "../trace/trace.h"

#ifdef CONFIG_OTEL
void drift_on_decision(const struct decision_trace *t)
{
    const struct decision_trace *prev = trace_find(t->trace_id - 1);
    bool valid = prev && prev->reward_valid;
    drift_observe(t->model_version, t->confidence, valid, valid ? prev->reward : 0, t->features);
}
#endif

/*
 * otel.c - OpenTelemetry span export (seed 7.4.1). The ops engineer's part:
 * the decision loop calls otel_on_decision() once per recorded decision
 * (trace/trace.h).
 */
#include "../trace/trace.h"

#ifdef CONFIG_OTEL
void otel_on_decision(const struct decision_trace *t)
{
    (void)t;    /* no exporter yet */
}
#endif

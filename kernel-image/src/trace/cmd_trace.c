#include "trace.h"
#ifdef CONFIG_DECISION_TRACES
int cmd_tracectl(int argc, char **argv) { (void)argc; (void)argv; return 1; }
#endif

/*
 * shell.c - the `sis> ` shell: one command table, the base commands.
 *
 * The table below is the single list of commands: `help` is generated from
 * it, and adding a command is one line here plus its function (in this file
 * for the base commands, or in its subsystem's file, declared in defs.h).
 * A command gets argc/argv split on spaces and tabs (no quoting) and
 * returns 0 on success, non-zero after printing its own error. The exact
 * output of every command is documented in docs/SHELL.md.
 */
#include "../defs.h"

#define MAX_ARGS 16

struct command {
    const char *name;
    const char *usage;
    const char *help;
    int (*fn)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_uptime(int argc, char **argv);
static int cmd_date(int argc, char **argv);
static int cmd_mem(int argc, char **argv);
static int cmd_echo(int argc, char **argv);
static int cmd_dtb(int argc, char **argv);
static int cmd_selftest(int argc, char **argv);
static int cmd_reboot(int argc, char **argv);
static int cmd_poweroff(int argc, char **argv);

static const struct command commands[] = {
    { "help", "help [command]", "list the commands, or show how to use one", cmd_help },
    { "version", "version", "kernel version, source hash, features and compiler", cmd_version },
    { "uptime", "uptime", "time since the machine started", cmd_uptime },
    { "date", "date", "wall-clock date and time (PL031), ISO 8601 UTC", cmd_date },
    { "mem", "mem", "RAM, kernel image and heap statistics", cmd_mem },
    { "echo", "echo [text ...]", "print the arguments, separated by one space", cmd_echo },
    { "dtb", "dtb", "devices found in the device tree, and the boot arguments", cmd_dtb },
    { "virtio", "virtio", "virtio-mmio transports that have a device attached", cmd_virtio },
    { "blk", "blk [read DISK SECTOR | write DISK SECTOR TEXT | flush DISK | sum DISK]",
      "virtio disks: list, show or write a sector, flush, checksum", cmd_blk },
    { "ls", "ls [-l] [PATH]", "list a directory (sorted); -l: mode, links, size, symlink target", cmd_ls },
    { "cat", "cat PATH", "print a file", cmd_cat },
    { "stat", "stat PATH", "inode, type, mode, links, size and times of a path", cmd_stat },
    { "sha256", "sha256 PATH", "SHA-256 of a file, as sha256sum prints it", cmd_sha256 },
    { "mkdir", "mkdir PATH", "make a directory", cmd_mkdir },
    { "rm", "rm PATH", "remove a file or symbolic link", cmd_rm },
    { "rmdir", "rmdir PATH", "remove an empty directory", cmd_rmdir },
    { "mv", "mv FROM TO", "rename; an existing TO is replaced atomically", cmd_mv },
    { "ln", "ln -s TARGET LINK", "make a symbolic link", cmd_ln },
    { "write", "write PATH [TEXT ...]", "replace a file's contents with TEXT and a newline", cmd_write },
    { "sync", "sync", "commit the journal and flush the disk", cmd_sync },
    { "df", "df", "space and inodes used on /", cmd_df },
    { "diskctl", "diskctl info | diskctl format --yes", "disks and the filesystem; format blk0 (erases it)", cmd_diskctl },
    { "fsbench", "fsbench [KiB]", "file write, fsync, read and append+fsync timings, in guest time", cmd_fsbench },
#ifdef CONFIG_MODEL_LIFECYCLE
    { "modelctl", "modelctl list | load V | swap V | rollback | health [V] | status | remove V | import [NAME|--all] | compare A B | history [--last N] | keys | infer V [FROM COUNT]",
      "signed models: registry, health-gated hot-swap, rollback, audit trail", cmd_modelctl },
#endif
    { "autoctl", "autoctl [status] | on | off | interval MS | safe on|off | pending | approve ID | deny ID | autorollback [on|off]",
      "the autonomous decision loop: on/off, interval, safe mode and its approval queue", cmd_autoctl },
#ifdef CONFIG_DECISION_TRACES
    { "tracectl", "tracectl list [--last N] | show ID [--json] | export ID|FROM-TO... | clear | stats | annotate ID good|bad [NOTE] | replay ID [VERSION]",
      "decision traces: the last 1024 decisions, incident bundles, feedback, replay", cmd_tracectl },
#endif
    { "stress", "stress [status] | off | tasks N | cpu PCT | irqoff MS | mem KIB [RATE] | io N",
      "the workload the agent manages: tasks, CPU, IRQ-off time, heap cache, I/O", cmd_stress },
    { "chaos", "chaos [status] | off | disk slow MS | disk fail PCT | disk ok | noise PCT | shift FEATURE DELTA",
      "fault injection: a slow or failing workload disk, noisy or shifted telemetry", cmd_chaos },
    { "sleep", "sleep MS", "wait MS milliseconds (the decision loop keeps running)", cmd_sleep },
#if defined(CONFIG_SHADOW_MODE) && defined(CONFIG_MODEL_LIFECYCLE)
    { "shadowctl", "shadowctl enable V | disable | promote [--force] | status | threshold N | mode log|compare|canary10|canary100", "shadow model: compare with production, canary, automatic abort, promote", cmd_shadowctl },
#endif
#ifdef CONFIG_OTEL
    { "otelctl", "otelctl status | flush", "OpenTelemetry span export (OTLP/JSON batches in /otel)", cmd_otelctl },
    { "driftctl", "driftctl status | baseline reset", "drift of confidence, reward and features (PSI) against the model's baseline", cmd_driftctl },
#endif
    { "selftest", "selftest [name]", "run the in-kernel self tests (printf, string, heap, ...)", cmd_selftest },
    { "bench", "bench [iterations]", "integer, memory and floating-point loops, timed in guest time", cmd_bench },
    { "crash", "crash [data|write|undef|align|brk|jump|svc|el0|panic]", "fault on purpose to show the crash report", cmd_crash },
    { "reboot", "reboot", "restart the machine (PSCI SYSTEM_RESET)", cmd_reboot },
    { "poweroff", "poweroff", "switch the machine off (PSCI SYSTEM_OFF)", cmd_poweroff },
};

static const struct command *lookup(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int usage(const char *name)
{
    printf("usage: %s\n", lookup(name)->usage);
    return 1;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return usage("help");
    if (argc == 2) {
        const struct command *c = lookup(argv[1]);
        if (!c) {
            printf("sis: help: no command '%s'\n", argv[1]);
            return 1;
        }
        printf("usage: %s\n%s\n", c->usage, c->help);
        return 0;
    }
    printf("commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].help);
    printf("'help COMMAND' shows its usage.\n");
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("version");
    printf("SIS kernel %s\n", SIS_VERSION);
    printf("source: sha256:%s\n", sis_source_hash);
    printf("features: %s\n", sis_features[0] ? sis_features : "none");
    printf("compiler: clang %s\n", __clang_version__);
    return 0;
}

static int cmd_uptime(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("uptime");
    uint64_t us = timer_us();
    printf("up %lu.%06lu s, %lu timer ticks at %u Hz\n", (unsigned long)(us / 1000000),
           (unsigned long)(us % 1000000), (unsigned long)timer_ticks(), TIMER_HZ);
    return 0;
}

static int cmd_date(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("date");
    if (!rtc_present()) {
        printf("sis: date: no PL031 real-time clock\n");
        return 1;
    }
    char buf[32];
    rtc_format_iso8601(rtc_seconds(), buf, sizeof(buf));
    printf("%s\n", buf);
    return 0;
}

extern char _start_image[], _end[];

static int cmd_mem(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("mem");
    struct heap_stats s;
    heap_stats(&s);
    uintptr_t k0 = (uintptr_t)_start_image, k1 = (uintptr_t)_end;
    printf("ram:         %lu MiB at 0x%08lx\n", (unsigned long)(machine.ram_size >> 20),
           (unsigned long)machine.ram_base);
    printf("kernel:      0x%08lx-0x%08lx (%lu KiB)\n", (unsigned long)k0, (unsigned long)k1,
           (unsigned long)((k1 - k0) >> 10));
    printf("heap:        %lu MiB (%lu bytes) at 0x%08lx\n", (unsigned long)(s.size >> 20),
           (unsigned long)s.size, (unsigned long)heap_base());
    printf("in use:      %lu bytes\n", (unsigned long)s.in_use);
    printf("peak:        %lu bytes\n", (unsigned long)s.peak);
    printf("allocations: %lu, frees: %lu, failures: %lu\n", (unsigned long)s.allocs,
           (unsigned long)s.frees, (unsigned long)s.failures);
    printf("free blocks: %lu, largest %lu bytes\n", (unsigned long)s.free_blocks,
           (unsigned long)s.largest_free);
    return 0;
}

static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    printf("\n");
    return 0;
}

static int cmd_dtb(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("dtb");
    printf("dtb: 0x%08lx, %u bytes, model \"%s\"\n", (unsigned long)(uintptr_t)machine.dtb,
           machine.dtb_size, machine.model ? machine.model : "");
    if (machine.error)
        printf("dtb: parse error: %s\n", machine.error);
    printf("memory: 0x%08lx size 0x%lx\n", (unsigned long)machine.ram_base,
           (unsigned long)machine.ram_size);
    for (int i = 0; i < machine.ndev; i++) {
        const struct fdt_device *d = &machine.dev[i];
        char line[160];
        size_t n = (size_t)snprintf(line, sizeof(line), "%-7s %-20s", fdt_kind_name(d->kind),
                                    d->compatible);
        if (d->size)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " 0x%08lx size 0x%-6lx",
                                  (unsigned long)d->addr, (unsigned long)d->size);
        if (d->size2)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " + 0x%08lx size 0x%lx",
                                  (unsigned long)d->addr2, (unsigned long)d->size2);
        if (d->irq >= 0)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " irq %d", d->irq);
        n = strnlen(line, sizeof(line));
        while (n && line[n - 1] == ' ')
            line[--n] = 0;  /* no padding at the end of a line */
        printf("%s\n", line);
    }
    printf("psci: %s", machine.psci_method ? machine.psci_method : "none");
    uint32_t v = psci_version();
    if (v)
        printf(", version %u.%u", v >> 16, v & 0xffff);
    printf("\nbootargs: \"%s\"\n", machine.bootargs);
    return 0;
}

static int cmd_selftest(int argc, char **argv)
{
    if (argc > 2)
        return usage("selftest");
    return selftest_run(argc == 2 ? argv[1] : NULL) ? 1 : 0;
}

static int cmd_reboot(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("reboot");
    storage_shutdown();
    printf("sis: rebooting\n");
    int r = psci_system_reset();
    printf("sis: reboot: PSCI SYSTEM_RESET failed (%d)\n", r);
    return 1;
}

static int cmd_poweroff(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("poweroff");
    storage_shutdown();
    printf("sis: powering off\n");
    int r = psci_system_off();
    printf("sis: poweroff: PSCI SYSTEM_OFF failed (%d)\n", r);
    return 1;
}

static int split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            *p++ = 0;
        if (!*p)
            return argc;
        if (argc == MAX_ARGS)
            return -1;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
}

void shell_run(void)
{
    static char line[SHELL_LINE_MAX];
    char *argv[MAX_ARGS + 1];
    for (;;) {
        if (line_read("sis> ", line, sizeof(line)) <= 0)
            continue;
        int argc = split(line, argv);
        if (argc < 0) {
            printf("sis: too many arguments (max %d)\n", MAX_ARGS);
            continue;
        }
        if (argc == 0)
            continue;
        argv[argc] = NULL;
        const struct command *c = lookup(argv[0]);
        if (!c) {
            printf("sis: unknown command '%s' (try 'help')\n", argv[0]);
            continue;
        }
        c->fn(argc, argv);
    }
}

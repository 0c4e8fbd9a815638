/*
 * workload.c - the workload the agent manages, and the chaos that hurts it
 * (`stress` and `chaos`). Everything it does is real work on this machine:
 *
 *   tasks    runnable tasks (processes_running). Each tick, tasks that were
 *            shed re-spawn one at a time (one every WL_RESPAWN_TICKS ticks)
 *            up to the `stress tasks` demand.
 *   cpu      busy work: `stress cpu PCT` asks for PCT% of each decision
 *            interval, scaled by the share of tasks still running and by the
 *            throttle factor; a mixing loop runs until the generic timer
 *            says the time is used (IRQs on).
 *   irqoff   a critical section: `stress irqoff MS` spins MS per tick with
 *            IRQs masked (scaled by the throttle factor), so the 100 Hz
 *            timer ticks are taken late: the deadline misses of the telemetry.
 *   mem      a cache of WL_CHUNK-byte heap allocations growing by `RATE` KiB
 *            per tick towards `stress mem KIB` (never below WL_HEAP_RESERVE
 *            bytes of free heap): the heap pressure.
 *   io       an I/O queue: `stress io N` requests arrive per tick (scaled by
 *            the backoff factor), at most WL_IO_SERVE are served per tick,
 *            each a real 4 KiB virtio-blk read (blk1 if attached, else blk0).
 *            Chaos makes the workload's disk slow (a real spin of MS per
 *            request) or failing (PCT% of requests fail, deterministically,
 *            and are retried). A request's latency is the guest time from
 *            its arrival to its completion: the workload reports the mean
 *            latency of the requests completed in the tick (or, if none
 *            completed, the age of the oldest waiting one) as the
 *            telemetry's `network_latency`: this machine has no network,
 *            so the workload's request latency stands in for it.
 *
 * The agent's actions act on it: reclaim_caches frees the whole cache,
 * throttle_workload halves the throttle factor (floor 10%), shed_load drops
 * a quarter of the tasks (at least one), backoff_io halves the I/O factor
 * (floor 10%). The factors recover by WL_RECOVER points per tick (the
 * workload pushes back), so a model that stops acting lets the load return.
 *
 * Telemetry chaos: `chaos noise AMP` adds deterministic pseudo-random noise
 * of up to +-AMP% of each feature's range to the raw telemetry the model
 * sees; `chaos shift FEATURE DELTA` adds DELTA (raw units) to one feature.
 * The traces keep the true measurements beside the values the model saw.
 */
#include "../trace/trace.h"

#define WL_CHUNK (16u << 10)
#define WL_MAX_CHUNKS 448                 /* 7 MiB */
#define WL_HEAP_RESERVE (768u << 10)
#define WL_IO_QUEUE 256
#define WL_IO_SERVE 16
#define WL_RESPAWN_TICKS 4
#define WL_RECOVER 5
#define WL_MAX_TASKS 64

static struct {
    /* demand (stress) */
    uint32_t tasks_demand, cpu_pct, irqoff_ms, mem_kib, mem_rate_kib, io_rate;
    /* state */
    uint32_t tasks, throttle, backoff, respawn;
    void *chunk[WL_MAX_CHUNKS];
    uint32_t nchunks;
    uint64_t io_arrival[WL_IO_QUEUE];   /* uptime us of each queued request */
    uint32_t io_head, io_len;
    uint64_t io_lba;
    /* chaos */
    uint32_t disk_slow_ms, disk_fail_pct, noise_pct;
    int shift_feature;
    int64_t shift_delta;
    uint64_t rng;
    /* last tick's figures */
    uint32_t latency_ms, io_done, io_failed, io_dropped_total, alloc_failures;
    uint64_t cpu_us, irqoff_us, work_units;
    uint64_t ticks;
} wl = { .throttle = 100, .backoff = 100, .shift_feature = -1, .rng = 0x9e3779b97f4a7c15ull };

static const char *const feature_names[TRACE_FEATURES] = {
    "mem_pressure", "deadline_misses", "cpu_usage", "network_latency", "uptime_ms", "heap_used",
    "processes_running",
};
static const double feature_max[TRACE_FEATURES] = { 100, 50, 100, 1000, 3600000, 8388608, 64 };

const char *feature_name(int i)
{
    return i >= 0 && i < TRACE_FEATURES ? feature_names[i] : "?";
}

double feature_range(int i)
{
    return feature_max[i];
}

static uint64_t rnd(void)
{
    wl.rng ^= wl.rng << 13;
    wl.rng ^= wl.rng >> 7;
    wl.rng ^= wl.rng << 17;
    return wl.rng;
}

uint32_t workload_tasks(void)
{
    return wl.tasks;
}

uint32_t workload_latency_ms(void)
{
    return wl.latency_ms;
}

uint32_t workload_throttle(void)
{
    return wl.throttle;
}

uint32_t workload_backoff(void)
{
    return wl.backoff;
}

uint32_t workload_io_failed(void)
{
    return wl.io_failed;
}

size_t workload_cache_bytes(void)
{
    return (size_t)wl.nchunks * WL_CHUNK;
}

static void spin_until(uint64_t end, volatile uint64_t *sink)
{
    uint64_t x = *sink;
    while (timer_counter() < end) {
        for (int i = 0; i < 64; i++)
            x = x * 6364136223846793005ull + 1442695040888963407ull;
        wl.work_units++;
    }
    *sink = x;
}

static void mem_grow(void)
{
    size_t want = (size_t)wl.mem_kib << 10;
    size_t step = (size_t)(wl.mem_rate_kib ? wl.mem_rate_kib : 256) << 10;
    size_t added = 0;
    while (workload_cache_bytes() < want && added < step && wl.nchunks < WL_MAX_CHUNKS) {
        struct heap_stats s;
        heap_stats(&s);
        if (s.size - s.in_use < WL_HEAP_RESERVE + WL_CHUNK) {
            wl.alloc_failures++;
            break;
        }
        void *p = kmalloc(WL_CHUNK);
        if (!p) {
            wl.alloc_failures++;
            break;
        }
        memset(p, (int)wl.nchunks, WL_CHUNK);   /* touch it: a cache holds data */
        wl.chunk[wl.nchunks++] = p;
        added += WL_CHUNK;
    }
}

static void mem_free_all(void)
{
    while (wl.nchunks)
        kfree(wl.chunk[--wl.nchunks]);
}

static int io_disk(void)
{
    return blk_count() > 1 ? 1 : 0;
}

static void io_tick(uint64_t now_us)
{
    static uint8_t buf[4096] __attribute__((aligned(16)));
    uint32_t arrive = (uint32_t)(((uint64_t)wl.io_rate * wl.backoff + 99) / 100);
    for (uint32_t i = 0; i < arrive; i++) {
        if (wl.io_len == WL_IO_QUEUE) {
            wl.io_dropped_total++;
            continue;
        }
        wl.io_arrival[(wl.io_head + wl.io_len++) % WL_IO_QUEUE] = now_us;
    }
    uint64_t lat_sum = 0;
    wl.io_done = 0;
    wl.io_failed = 0;
    int disk = io_disk();
    uint64_t sectors = blk_sectors(disk);
    for (uint32_t n = 0; n < WL_IO_SERVE && wl.io_len; n++) {
        if (wl.disk_slow_ms) {
            volatile uint64_t sink = 0;
            spin_until(timer_counter() + (uint64_t)wl.disk_slow_ms * timer_freq() / 1000, &sink);
        }
        int r = -ENODEV;
        if (sectors >= 8) {
            r = blk_read(disk, wl.io_lba % (sectors - 7), 8, buf);
            wl.io_lba += 8;
        }
        if (r == 0 && wl.disk_fail_pct && rnd() % 100 < wl.disk_fail_pct)
            r = -5;             /* -EIO injected: the request failed, it stays queued */
        if (r) {
            wl.io_failed++;
            continue;
        }
        lat_sum += timer_us() - wl.io_arrival[wl.io_head];
        wl.io_head = (wl.io_head + 1) % WL_IO_QUEUE;
        wl.io_len--;
        wl.io_done++;
    }
    if (wl.io_done)
        wl.latency_ms = (uint32_t)(lat_sum / wl.io_done / 1000);
    else if (wl.io_len)
        wl.latency_ms = (uint32_t)((timer_us() - wl.io_arrival[wl.io_head]) / 1000);
    else
        wl.latency_ms = 0;
}

/* One tick of the workload: called by the decision loop before it measures. */
void workload_tick(uint32_t interval_ms)
{
    wl.ticks++;
    if (wl.tasks < wl.tasks_demand && ++wl.respawn >= WL_RESPAWN_TICKS) {
        wl.tasks++;
        wl.respawn = 0;
    }
    if (wl.tasks > wl.tasks_demand)
        wl.tasks = wl.tasks_demand;
    if (wl.throttle < 100)
        wl.throttle = wl.throttle + WL_RECOVER > 100 ? 100 : wl.throttle + WL_RECOVER;
    if (wl.backoff < 100)
        wl.backoff = wl.backoff + WL_RECOVER > 100 ? 100 : wl.backoff + WL_RECOVER;
    mem_grow();
    if (wl.mem_kib == 0)
        mem_free_all();

    volatile uint64_t sink = 0;
    uint64_t share = wl.tasks_demand ? (uint64_t)wl.tasks * 1000 / wl.tasks_demand : 1000;
    uint64_t cpu_us = (uint64_t)interval_ms * 10 * wl.cpu_pct * wl.throttle / 100 * share / 1000;
    uint64_t t0 = timer_counter();
    if (cpu_us)
        spin_until(t0 + cpu_us * timer_freq() / 1000000, &sink);
    uint64_t t1 = timer_counter();
    uint64_t irq_us = (uint64_t)wl.irqoff_ms * 1000 * wl.throttle / 100;
    if (irq_us) {
        __asm__ volatile("msr daifset, #2" ::: "memory");
        spin_until(t1 + irq_us * timer_freq() / 1000000, &sink);
        __asm__ volatile("msr daifclr, #2" ::: "memory");
    }
    uint64_t t2 = timer_counter();
    wl.cpu_us = (t1 - t0) * 1000000 / timer_freq();
    wl.irqoff_us = (t2 - t1) * 1000000 / timer_freq();
    io_tick(timer_us());
}

/* The agent's action on the workload. Returns a one-line description of what changed. */
void workload_act(uint32_t action, char *what, size_t cap)
{
    switch (action) {
    case ACT_RECLAIM_CACHES: {
        size_t b = workload_cache_bytes();
        mem_free_all();
        snprintf(what, cap, "freed %lu bytes of cache", (unsigned long)b);
        break;
    }
    case ACT_THROTTLE: {
        uint32_t was = wl.throttle;
        wl.throttle = wl.throttle / 2 < 10 ? 10 : wl.throttle / 2;
        snprintf(what, cap, "throttle %u%% -> %u%%", was, wl.throttle);
        break;
    }
    case ACT_SHED_LOAD: {
        uint32_t was = wl.tasks, drop = wl.tasks / 4 ? wl.tasks / 4 : 1;
        wl.tasks = wl.tasks > drop ? wl.tasks - drop : 0;
        wl.respawn = 0;
        snprintf(what, cap, "tasks %u -> %u", was, wl.tasks);
        break;
    }
    case ACT_BACKOFF_IO: {
        uint32_t was = wl.backoff;
        wl.backoff = wl.backoff / 2 < 10 ? 10 : wl.backoff / 2;
        snprintf(what, cap, "io rate %u%% -> %u%%", was, wl.backoff);
        break;
    }
    default:
        snprintf(what, cap, "nothing");
        break;
    }
}

/* Telemetry chaos on the raw values the model will see; true if anything changed. */
bool workload_chaos(double raw[TRACE_FEATURES])
{
    bool changed = false;
    if (wl.noise_pct) {
        for (int i = 0; i < TRACE_FEATURES; i++) {
            int64_t r = (int64_t)(rnd() % (2u * wl.noise_pct * 1000u + 1)) - (int64_t)wl.noise_pct * 1000;
            raw[i] += feature_max[i] * (double)r / 100000.0;
        }
        changed = true;
    }
    if (wl.shift_feature >= 0) {
        raw[wl.shift_feature] += (double)wl.shift_delta;
        changed = true;
    }
    return changed;
}

static int feature_index(const char *s)
{
    for (int i = 0; i < TRACE_FEATURES; i++)
        if (strcmp(s, feature_names[i]) == 0)
            return i;
    return -1;
}

static int num(const char *cmd, const char *s, uint64_t max, uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, &v) || v > max) {
        printf("%s: '%s': expected a number 0..%lu\n", cmd, s, (unsigned long)max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static void stress_status(void)
{
    printf("stress: tasks %u/%u, cpu %u%%, irqoff %u ms, mem %u KiB (+%u KiB/tick), io %u/tick\n",
           wl.tasks, wl.tasks_demand, wl.cpu_pct, wl.irqoff_ms, wl.mem_kib,
           wl.mem_rate_kib ? wl.mem_rate_kib : 256, wl.io_rate);
    printf("workload: throttle %u%%, io rate %u%%, cache %lu bytes, io queue %u, latency %u ms\n",
           wl.throttle, wl.backoff, (unsigned long)workload_cache_bytes(), wl.io_len, wl.latency_ms);
    printf("last tick: cpu %lu us, irqoff %lu us, io done %u failed %u; dropped requests %u, alloc refusals %u\n",
           (unsigned long)wl.cpu_us, (unsigned long)wl.irqoff_us, wl.io_done, wl.io_failed,
           wl.io_dropped_total, wl.alloc_failures);
}

int cmd_stress(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0)) {
        stress_status();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "off") == 0) {
        wl.tasks_demand = wl.cpu_pct = wl.irqoff_ms = wl.mem_kib = wl.io_rate = 0;
        wl.tasks = 0;
        wl.io_len = 0;
        mem_free_all();
        printf("stress: off\n");
        return 0;
    }
    if (argc < 3 || argc > 4)
        goto usage;
    uint32_t v, r = 0;
    const char *what = argv[1];
    if (strcmp(what, "tasks") == 0 && argc == 3) {
        if (num("stress", argv[2], WL_MAX_TASKS, &v))
            return 1;
        wl.tasks_demand = v;
        if (wl.tasks == 0 || wl.tasks > v)
            wl.tasks = v;       /* a new workload starts with all its tasks */
    } else if (strcmp(what, "cpu") == 0 && argc == 3) {
        if (num("stress", argv[2], 95, &v))
            return 1;
        wl.cpu_pct = v;
    } else if (strcmp(what, "irqoff") == 0 && argc == 3) {
        if (num("stress", argv[2], 200, &v))
            return 1;
        wl.irqoff_ms = v;
    } else if (strcmp(what, "mem") == 0) {
        if (num("stress", argv[2], (WL_MAX_CHUNKS * WL_CHUNK) >> 10, &v))
            return 1;
        if (argc == 4 && (num("stress", argv[3], 4096, &r) || r == 0)) {
            if (r == 0)
                printf("stress: mem: RATE must be 1..4096 KiB\n");
            return 1;
        }
        wl.mem_kib = v;
        wl.mem_rate_kib = r;
    } else if (strcmp(what, "io") == 0 && argc == 3) {
        if (num("stress", argv[2], 64, &v))
            return 1;
        wl.io_rate = v;
    } else {
        goto usage;
    }
    stress_status();
    return 0;
usage:
    printf("usage: stress [status] | off | tasks N | cpu PCT | irqoff MS | mem KIB [RATE] | io N\n");
    return 1;
}

static void chaos_status(void)
{
    printf("chaos: disk slow %u ms, disk fail %u%%, noise %u%%, shift %s", wl.disk_slow_ms,
           wl.disk_fail_pct, wl.noise_pct, wl.shift_feature >= 0 ? feature_names[wl.shift_feature] : "none");
    if (wl.shift_feature >= 0)
        printf(" %s%ld", wl.shift_delta >= 0 ? "+" : "", (long)wl.shift_delta);
    printf("\n");
}

int cmd_chaos(int argc, char **argv)
{
    uint32_t v;
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "status") == 0)) {
        chaos_status();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "off") == 0) {
        wl.disk_slow_ms = wl.disk_fail_pct = wl.noise_pct = 0;
        wl.shift_feature = -1;
        wl.shift_delta = 0;
        chaos_status();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "disk") == 0 && strcmp(argv[2], "ok") == 0) {
        wl.disk_slow_ms = wl.disk_fail_pct = 0;
    } else if (argc == 4 && strcmp(argv[1], "disk") == 0 && strcmp(argv[2], "slow") == 0) {
        if (num("chaos", argv[3], 100, &v))
            return 1;
        wl.disk_slow_ms = v;
    } else if (argc == 4 && strcmp(argv[1], "disk") == 0 && strcmp(argv[2], "fail") == 0) {
        if (num("chaos", argv[3], 100, &v))
            return 1;
        wl.disk_fail_pct = v;
    } else if (argc == 3 && strcmp(argv[1], "noise") == 0) {
        if (num("chaos", argv[2], 50, &v))
            return 1;
        wl.noise_pct = v;
    } else if (argc == 4 && strcmp(argv[1], "shift") == 0) {
        int f = feature_index(argv[2]);
        if (f < 0) {
            printf("chaos: shift: no feature '%s' (mem_pressure, deadline_misses, cpu_usage, network_latency, uptime_ms, heap_used, processes_running)\n", argv[2]);
            return 1;
        }
        const char *s = argv[3];
        bool neg = s[0] == '-';
        uint64_t d;
        if (parse_u64(neg || s[0] == '+' ? s + 1 : s, &d) || d > (uint64_t)feature_max[f]) {
            printf("chaos: shift: '%s': expected a number -%lu..%lu\n", s, (unsigned long)feature_max[f],
                   (unsigned long)feature_max[f]);
            return 1;
        }
        wl.shift_feature = f;
        wl.shift_delta = neg ? -(int64_t)d : (int64_t)d;
    } else {
        printf("usage: chaos [status] | off | disk slow MS | disk fail PCT | disk ok | noise PCT | shift FEATURE DELTA\n");
        return 1;
    }
    chaos_status();
    return 0;
}

/*
 * cmd_model.c - the `modelctl` shell command (seed 7.1.4 and beyond):
 *   modelctl list | load V | swap V | rollback | health [V] | status |
 *            remove V | import [NAME|--all] | compare A B |
 *            history [--last N] | keys | infer V [FROM COUNT]
 * The read-only views (list, status, history, keys, compare, infer) live
 * here; the changes are in model/lifecycle.c. Errors are one line,
 * "modelctl: OP ARG: reason (ENAME)". `infer` prints the exact bits of a
 * model's outputs on the golden set so the host can hold them against the
 * TypeScript reference forward pass.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_MODEL_LIFECYCLE

#define USAGE "modelctl list | load V | swap V | rollback | health [V] | status | remove V | " \
              "import [NAME|--all] | compare A B | history [--last N] | keys | infer V [FROM COUNT]"

static const char *const action_names[MODEL_ACTIONS] = {
    "none", "reclaim_caches", "throttle_workload", "shed_load", "backoff_io",
};

static int usage(void)
{
    printf("usage: %s\n", USAGE);
    return 1;
}

static int say(const char *op, const char *arg, int err, const char *msg)
{
    printf("modelctl: %s%s%s: %s (%s)\n", op, arg ? " " : "", arg ? arg : "", msg, model_errname(err));
    return 1;
}

static const char *cap_status(const char *s)
{
    if (strcmp(s, "active") == 0) return "Active";
    if (strcmp(s, "shadow") == 0) return "Shadow";
    if (strcmp(s, "rollback") == 0) return "Rollback";
    if (strcmp(s, "failed") == 0) return "Failed";
    return "Available";
}

static int cmd_list(void)
{
    if (!reg.on_disk)
        return say("list", NULL, -ENOENT, "no model registry on this disk");
    printf("Model Registry:\n");
    printf("  Version          Status     Loaded At           Health\n");
    printf("  -------          ------     ---------           ------\n");
    for (int i = 0; i < reg.n; i++) {
        const struct reg_model *m = &reg.m[i];
        char health[80];
        if (m->has_health)
            snprintf(health, sizeof(health), "P99=%luus Mem=%luKB Acc=%u.%02u%%%s",
                     (unsigned long)m->health.p99_us, (unsigned long)(m->health.mem / 1024),
                     m->health.acc_ppm / 10000, m->health.acc_ppm / 100 % 100,
                     m->health.passed ? "" : " FAILED");
        else
            strlcpy(health, "Not checked", sizeof(health));
        printf("  %-16s %-10s %-19lu %s\n", m->version, cap_status(reg_status(&reg, m)),
               (unsigned long)m->loaded_at, health);
    }
    return 0;
}

static int cmd_status(void)
{
    if (!reg.on_disk)
        return say("status", NULL, -ENOENT, "no model registry on this disk");
    printf("active:   %s\n", reg.active[0] ? reg.active : "none");
    printf("shadow:   %s\n", reg.shadow[0] ? reg.shadow : "none");
    printf("rollback: %s\n", reg.rollback[0] ? reg.rollback : "none");
    struct model *m = model_active();
    if (m) {
        printf("loaded:   %s, %u parameters, %lu bytes on the heap, sha256 %.16s...\n", m->name,
               m->h.param_count, (unsigned long)m->heap_bytes, m->sha256);
        model_put(m);
    } else {
        printf("loaded:   none\n");
    }
    const struct golden *g = model_golden();
    if (g)
        printf("golden:   %s, %u inputs, verified\n", g->name, g->count);
    else
        printf("golden:   not loaded\n");
    printf("models:   %d\n", reg.n);
    return 0;
}

static int cmd_keys(void)
{
    const struct trusted_key *k;
    printf("trusted keys (compiled in):\n");
    for (size_t i = 0; (k = keys_get(i)); i++) {
        char id[17], pub[65];
        for (int b = 0; b < 8; b++)
            snprintf(id + 2 * b, 3, "%02x", k->id[b]);
        for (int b = 0; b < 32; b++)
            snprintf(pub + 2 * b, 3, "%02x", k->pub[b]);
        printf("  %s  %-12s %s%s\n", id, k->name, k->label, k->valid ? "" : " (REFUSED: id does not match the key)");
        printf("    public %s\n", pub);
    }
    return 0;
}

/* history [--last N]: the audit trail, one line per transition. */
static int cmd_history(int argc, char **argv)
{
    uint64_t last = 0;
    if (argc == 4 && strcmp(argv[2], "--last") == 0) {
        if (parse_u64(argv[3], &last) || last == 0)
            return usage();
    } else if (argc != 2) {
        return usage();
    }
    struct ext4_fs *fs = storage_fs();
    if (!fs)
        return say("history", NULL, -19, "no filesystem mounted");
    struct ext4_stat st;
    int r = vfs_lstat(fs, "/models/history.jsonl", &st);
    if (r == -ENOENT) {
        printf("no history\n");
        return 0;
    }
    if (r)
        return say("history", NULL, r, "/models/history.jsonl");
    if (st.size > 1u << 20)
        st.size = 1u << 20;
    char *text = kmalloc(st.size + 1);
    if (!text)
        return say("history", NULL, -ENOMEM, "out of memory");
    int64_t n = vfs_read(fs, "/models/history.jsonl", 0, text, st.size);
    if (n < 0) {
        kfree(text);
        return say("history", NULL, (int)n, "reading /models/history.jsonl");
    }
    uint64_t lines = 0;
    for (int64_t i = 0; i < n; i++)
        if (text[i] == '\n')
            lines++;
    uint64_t skip = last && lines > last ? lines - last : 0, at = 0;
    struct jtok tok[24];
    for (int64_t i = 0, start = 0; i < n; i++) {
        if (text[i] != '\n')
            continue;
        if (at++ >= skip) {
            struct jparser jp;
            char when[32], op[24], from[40], to[40], reason[200], result[40];
            if (jp_parse(&jp, text + start, (size_t)(i - start), tok, 24) ||
                jp_str(&jp, jp_find(&jp, 0, "time"), when, sizeof(when)) < 0 ||
                jp_str(&jp, jp_find(&jp, 0, "operation"), op, sizeof(op)) < 0 ||
                jp_str(&jp, jp_find(&jp, 0, "reason"), reason, sizeof(reason)) < 0 ||
                jp_str(&jp, jp_find(&jp, 0, "result"), result, sizeof(result)) < 0) {
                printf("%lu: (malformed line)\n", (unsigned long)at);
            } else {
                if (jp_str(&jp, jp_find(&jp, 0, "from"), from, sizeof(from)) < 0)
                    strlcpy(from, "-", sizeof(from));
                if (jp_str(&jp, jp_find(&jp, 0, "to"), to, sizeof(to)) < 0)
                    strlcpy(to, "-", sizeof(to));
                printf("%lu %s %-13s %s -> %s %s (%s)\n", (unsigned long)at, when, op, from, to, result, reason);
            }
        }
        start = i + 1;
    }
    kfree(text);
    return 0;
}

static void probs(const struct mlp_result *r, double p[MODEL_ACTIONS])
{
    double m = (double)r->logits[r->action], s = 0;
    for (int i = 0; i < MODEL_ACTIONS; i++)
        s += p[i] = exp_ref((double)r->logits[i] - m);
    for (int i = 0; i < MODEL_ACTIONS; i++)
        p[i] /= s;
}

static int load_registered(const char *op, const char *v, struct model **m)
{
    struct perr e;
    struct pkg_info info;
    if (!model_name_valid(v)) {
        char shown[160];
        model_name_show(v, shown, sizeof(shown));
        snprintf(e.msg, sizeof(e.msg), "invalid version name \"%s\"", shown);
        return say(op, v, -EINVAL, e.msg);
    }
    if (!reg.on_disk || !reg_find(&reg, v))
        return say(op, v, -ENOENT, "not in the registry");
    if (pkg_load_dir(PKG_MODEL, v, &info, m, NULL, &e))
        return say(op, v, e.err, e.msg);
    if ((*m)->h.input_dim != MODEL_INPUTS || (*m)->h.output_dim != MODEL_ACTIONS) {
        model_put(*m);
        return say(op, v, -EINVAL, "not a 7-input 5-action model");
    }
    return 0;
}

struct worst {
    uint32_t index;
    uint32_t dist_ppm;      /* total variation distance of the two distributions */
};

/* compare A B: both on the golden set, side by side. */
static int cmd_compare(const char *a, const char *b)
{
    const struct golden *g = model_golden();
    if (!g)
        return say("compare", NULL, -ENOENT, "no golden set");
    struct model *ma, *mb;
    if (load_registered("compare", a, &ma))
        return 1;
    if (load_registered("compare", b, &mb)) {
        model_put(ma);
        return 1;
    }
    struct health ha, hb;
    struct perr ea, eb;
    health_run(ma, &ha, &ea);
    health_run(mb, &hb, &eb);
    uint32_t agree = 0, per_n[MODEL_ACTIONS] = { 0 }, per_a[MODEL_ACTIONS] = { 0 }, per_b[MODEL_ACTIONS] = { 0 };
    struct worst w[5] = { 0 };
    int nw = 0;
    for (uint32_t i = 0; i < g->count; i++) {
        float x[MODEL_INPUTS];
        uint32_t label;
        struct mlp_result ra, rb;
        double pa[MODEL_ACTIONS], pb[MODEL_ACTIONS];
        golden_row(g, i, x, &label);
        model_infer(ma, x, &ra);
        probs(&ra, pa);
        model_infer(mb, x, &rb);
        probs(&rb, pb);
        per_n[label]++;
        per_a[label] += ra.action == label;
        per_b[label] += rb.action == label;
        if (ra.action == rb.action) {
            agree++;
            continue;
        }
        double d = 0;
        for (int k = 0; k < MODEL_ACTIONS; k++)
            d += pa[k] > pb[k] ? pa[k] - pb[k] : pb[k] - pa[k];
        struct worst cand = { i, (uint32_t)(d * 500000.0) };
        int pos = nw < 5 ? nw++ : 5;
        while (pos > 0 && w[pos - 1].dist_ppm < cand.dist_ppm) {
            if (pos < 5)
                w[pos] = w[pos - 1];
            pos--;
        }
        if (pos < 5)
            w[pos] = cand;
    }
    printf("compare %s %s on the golden set (%u inputs):\n", a, b, g->count);
    printf("  agreement:   %u/%u (%u.%02u%%)\n", agree, g->count, (uint32_t)((uint64_t)agree * 100 / g->count),
           (uint32_t)((uint64_t)agree * 10000 / g->count % 100));
    printf("  %-24s %16s %16s\n", "action (golden inputs)", a, b);
    for (int k = 0; k < MODEL_ACTIONS; k++) {
        char label[32];
        snprintf(label, sizeof(label), "%s (%u)", action_names[k], per_n[k]);
        uint32_t qa = per_n[k] ? (uint32_t)((uint64_t)per_a[k] * 10000 / per_n[k]) : 0;
        uint32_t qb = per_n[k] ? (uint32_t)((uint64_t)per_b[k] * 10000 / per_n[k]) : 0;
        printf("  %-24s %13u.%02u%% %13u.%02u%%\n", label, qa / 100, qa % 100, qb / 100, qb % 100);
    }
    printf("  %-24s %13u.%02u%% %13u.%02u%%\n", "accuracy", ha.acc_ppm / 10000, ha.acc_ppm / 100 % 100,
           hb.acc_ppm / 10000, hb.acc_ppm / 100 % 100);
    printf("  %-24s %13lu us %13lu us\n", "p99 latency", (unsigned long)ha.p99_us, (unsigned long)hb.p99_us);
    if (nw)
        printf("  most disagreement (total variation distance):\n");
    for (int i = 0; i < nw; i++) {
        float x[MODEL_INPUTS];
        uint32_t label;
        struct mlp_result ra, rb;
        golden_row(g, w[i].index, x, &label);
        model_infer(ma, x, &ra);
        uint32_t aa = ra.action, ca = ra.confidence;
        model_infer(mb, x, &rb);
        printf("    #%u label %s: %s %s (%u), %s %s (%u), distance 0.%03u\n", w[i].index, action_names[label], a,
               action_names[aa], ca, b, action_names[rb.action], rb.confidence, w[i].dist_ppm / 1000);
    }
    model_put(ma);
    model_put(mb);
    return 0;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/*
 * infer V [FROM COUNT]: V on the golden set. Always prints one summary line
 * with the SHA-256 of every activation's f32 bits (little-endian, input by
 * input, layer by layer) and of the (action u32, confidence u32) pairs;
 * with FROM COUNT also one line per input: index action confidence, then
 * the hex bits of every layer's outputs, layers separated by '|'.
 */
static int cmd_infer(int argc, char **argv)
{
    uint64_t from = 0, count = 0;
    if (argc != 3 && !(argc == 5 && !parse_u64(argv[3], &from) && !parse_u64(argv[4], &count)))
        return usage();
    const struct golden *g = model_golden();
    if (!g)
        return say("infer", NULL, -ENOENT, "no golden set");
    struct model *m;
    if (load_registered("infer", argv[2], &m))
        return 1;
    struct sha256 sa, sr;
    sha256_init(&sa);
    sha256_init(&sr);
    uint32_t correct = 0;
    for (uint32_t i = 0; i < g->count; i++) {
        float x[MODEL_INPUTS];
        uint32_t label;
        struct mlp_result r;
        golden_row(g, i, x, &label);
        model_infer(m, x, &r);
        correct += r.action == label;
        for (uint32_t k = 0; k < m->h.units; k++) {
            uint32_t u = bits(m->acts[k]);
            uint8_t le[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
            sha256_update(&sa, le, 4);
        }
        uint8_t ac[8] = { (uint8_t)r.action, 0, 0, 0, (uint8_t)r.confidence, (uint8_t)(r.confidence >> 8), 0, 0 };
        sha256_update(&sr, ac, 8);
        if (i >= from && i - from < count) {
            printf("%u %u %u", i, r.action, r.confidence);
            for (uint32_t l = 0; l < m->h.num_layers; l++) {
                printf(" |");
                for (uint32_t k = 0; k < m->h.layer[l].out; k++)
                    printf(" %08x", bits(m->acts[m->h.layer[l].aoff + k]));
            }
            printf("\n");
        }
    }
    uint8_t d[32];
    char ha[65], hr[65];
    sha256_final(&sa, d);
    sha256_hex(d, ha);
    sha256_final(&sr, d);
    sha256_hex(d, hr);
    printf("infer %s: %u inputs, %u correct, activations sha256 %s, actions sha256 %s\n", argv[2], g->count,
           correct, ha, hr);
    model_put(m);
    return 0;
}

int cmd_modelctl(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    bool one = argc == 3;
    if (strcmp(sub, "list") == 0 && argc == 2) return cmd_list();
    if (strcmp(sub, "status") == 0 && argc == 2) return cmd_status();
    if (strcmp(sub, "keys") == 0 && argc == 2) return cmd_keys();
    if (strcmp(sub, "rollback") == 0 && argc == 2) return model_cmd_rollback();
    if (strcmp(sub, "load") == 0 && one) return model_cmd_load(argv[2]);
    if (strcmp(sub, "swap") == 0 && one) return model_cmd_swap(argv[2]);
    if (strcmp(sub, "remove") == 0 && one) return model_cmd_remove(argv[2]);
    if (strcmp(sub, "health") == 0 && argc <= 3) return model_cmd_health(one ? argv[2] : NULL);
    if (strcmp(sub, "import") == 0 && argc <= 3) return model_cmd_import(one ? argv[2] : NULL);
    if (strcmp(sub, "compare") == 0 && argc == 4) return cmd_compare(argv[2], argv[3]);
    if (strcmp(sub, "history") == 0) return cmd_history(argc, argv);
    if (strcmp(sub, "infer") == 0) return cmd_infer(argc, argv);
    return usage();
}

#endif /* CONFIG_MODEL_LIFECYCLE */

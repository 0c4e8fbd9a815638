/*
 * registry.c - /models on the system disk: registry.json, the active /
 * shadow / rollback symlinks, history.jsonl, and the in-memory copy.
 *
 * Layout (seed 7.1.1):
 *   /models/registry.json        {"format":1,"models":[...],"active":..,"shadow":..,"rollback":..}
 *   /models/VERSION/{model.bin, model.sig, manifest.json, health.json}
 *   /models/golden/{golden.bin, golden.sig, manifest.json}
 *   /models/active -> VERSION    (and shadow, rollback: symlinks, absent when null)
 *   /models/history.jsonl        one JSON line per transition, append-only
 *
 * The last known good is a pointer, not a copy: `rollback` names a version
 * whose package stays in /models/VERSION (remove refuses it), and a
 * /models/rollback symlink shows it. Packages are immutable and verified on
 * every load, so a second copy would buy nothing and would make every swap
 * a multi-file copy with a longer power-cut window.
 *
 * Atomicity: a change (reg_commit) writes registry.json.tmp and NAME.tmp
 * symlinks, renames each over its target, appends the history line, and
 * then commits the journal once (vfs_sync). Everything from the first write
 * to the commit is one jbd2 transaction, so after a power cut the disk
 * shows all of it or none of it: the registry, the symlinks and the history
 * agree. Package files are written and committed before that (an
 * unregistered folder is invisible: the registry is the source of truth).
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_MODEL_LIFECYCLE

struct registry reg;

const char *model_errname(int e)
{
    switch (e < 0 ? -e : e) {
    case EBUSY: return "EBUSY";
    case ENODATA: return "ENODATA";
    case EBADMSG: return "EBADMSG";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EALREADY: return "EALREADY";
    case ENOKEY: return "ENOKEY";
    case 19: return "ENODEV";
    default: return vfs_strerror(e);
    }
}

struct reg_model *reg_find(struct registry *r, const char *version)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->m[i].version, version) == 0)
            return &r->m[i];
    return NULL;
}

const char *reg_status(const struct registry *r, const struct reg_model *m)
{
    if (strcmp(r->active, m->version) == 0) return "active";
    if (strcmp(r->shadow, m->version) == 0) return "shadow";
    if (strcmp(r->rollback, m->version) == 0) return "rollback";
    if (m->failed[0] || (m->has_health && !m->health.passed)) return "failed";
    return "available";
}

static void opt_str(struct json *j, const char *key, const char *v)
{
    if (v[0])
        json_str(j, key, v);
    else
        json_null(j, key);
}

void health_json(struct json *j, const struct health *h)
{
    json_u64(j, "inference_latency_p99_us", h->p99_us);
    json_u64(j, "inference_latency_p99_ns", h->p99_ns);
    json_u64(j, "memory_footprint_bytes", h->mem);
    json_fixed(j, "test_accuracy", h->acc_ppm, 6);
    json_u64(j, "correct", h->correct);
    json_u64(j, "count", h->count);
    json_u64(j, "inferences", h->inferences);
    json_bool(j, "passed", h->passed);
    opt_str(j, "failed_gate", h->failed_gate);
    json_u64(j, "checked_at", h->checked_at);
    json_u64(j, "duration_us", h->duration_us);
}

void reg_json(struct json *j, const struct registry *r)
{
    json_u64(j, "format", 1);
    json_open_array(j, "models");
    for (int i = 0; i < r->n; i++) {
        const struct reg_model *m = &r->m[i];
        char buf[140];
        json_open_object(j, NULL);
        json_str(j, "version", m->version);
        snprintf(buf, sizeof(buf), "sha256:%s", m->sha256);
        json_str(j, "hash", buf);
        snprintf(buf, sizeof(buf), "ed25519:%s", m->sig);
        json_str(j, "signature", buf);
        json_str(j, "signer", m->signer);
        json_str(j, "status", reg_status(r, m));
        json_u64(j, "loaded_at", m->loaded_at);
        if (m->has_health) {
            json_open_object(j, "health");
            health_json(j, &m->health);
            json_close(j);
        }
        if (m->failed[0])
            json_str(j, "failed", m->failed);
        json_close(j);
    }
    json_close(j);
    opt_str(j, "active", r->active);
    opt_str(j, "shadow", r->shadow);
    opt_str(j, "rollback", r->rollback);
}

/* ---- parsing registry.json back ---- */

static int get_name(const struct jparser *jp, int t, char *out, struct perr *e, const char *what)
{
    if (t >= 0 && jp->tok[t].type == JT_NULL) {
        out[0] = 0;
        return 0;
    }
    if (jp_str(jp, t, out, MODEL_NAME_MAX + 1) < 0 || !model_name_valid(out))
        return perr_set(e, -EUCLEAN, "registry.json: bad %s", what);
    return 0;
}

static int parse_hex_field(const struct jparser *jp, int t, const char *prefix, char *out, size_t hexlen)
{
    char buf[160];
    size_t pl = strlen(prefix);
    if (jp_str(jp, t, buf, sizeof(buf)) != (int)(pl + hexlen) || strncmp(buf, prefix, pl) != 0)
        return -1;
    for (size_t i = 0; i < hexlen; i++) {
        char c = buf[pl + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
    }
    memcpy(out, buf + pl, hexlen + 1);
    return 0;
}

int reg_parse(const char *text, size_t len, struct registry *r, struct perr *e)
{
    int cap = 32 + REG_MAX * 48;
    struct jtok *tok = kmalloc(sizeof(struct jtok) * (size_t)cap);
    if (!tok)
        return perr_set(e, -ENOMEM, "registry.json: out of memory");
    struct jparser jp;
    int rc = 0;
    memset(r, 0, sizeof(*r));
    if (jp_parse(&jp, text, len, tok, cap)) {
        rc = perr_set(e, -EUCLEAN, "registry.json: %s at byte %lu", jp.error, (unsigned long)jp.err_at);
        goto out;
    }
    uint64_t fmt;
    int models = jp_find(&jp, 0, "models");
    if (tok[0].type != JT_OBJECT || jp_u64(&jp, jp_find(&jp, 0, "format"), &fmt) || fmt != 1 ||
        models < 0 || tok[models].type != JT_ARRAY || tok[models].size > REG_MAX) {
        rc = perr_set(e, -EUCLEAN, "registry.json: not a format 1 registry");
        goto out;
    }
    for (uint32_t i = 0; i < tok[models].size; i++) {
        int o = jp_at(&jp, models, i);
        struct reg_model *m = &r->m[r->n];
        memset(m, 0, sizeof(*m));
        if ((rc = get_name(&jp, jp_find(&jp, o, "version"), m->version, e, "model version")))
            goto out;
        if (!m->version[0] || reg_find(r, m->version) ||
            parse_hex_field(&jp, jp_find(&jp, o, "hash"), "sha256:", m->sha256, 64) ||
            parse_hex_field(&jp, jp_find(&jp, o, "signature"), "ed25519:", m->sig, 128) ||
            parse_hex_field(&jp, jp_find(&jp, o, "signer"), "", m->signer, 16) ||
            jp_u64(&jp, jp_find(&jp, o, "loaded_at"), &m->loaded_at)) {
            rc = perr_set(e, -EUCLEAN, "registry.json: model %u is malformed", i);
            goto out;
        }
        int fl = jp_find(&jp, o, "failed");
        if (fl >= 0 && jp_str(&jp, fl, m->failed, sizeof(m->failed)) < 0) {
            rc = perr_set(e, -EUCLEAN, "registry.json: model %u has a bad failed member", i);
            goto out;
        }
        int h = jp_find(&jp, o, "health");
        if (h >= 0) {
            struct health *hh = &m->health;
            uint64_t p99, ns, mem, cor, cnt, inf, at, dur;
            int64_t acc;
            int pass = jp_find(&jp, h, "passed"), fg = jp_find(&jp, h, "failed_gate");
            if (jp_u64(&jp, jp_find(&jp, h, "inference_latency_p99_us"), &p99) ||
                jp_u64(&jp, jp_find(&jp, h, "inference_latency_p99_ns"), &ns) ||
                jp_u64(&jp, jp_find(&jp, h, "memory_footprint_bytes"), &mem) ||
                jp_fixed(&jp, jp_find(&jp, h, "test_accuracy"), 6, &acc) ||
                jp_u64(&jp, jp_find(&jp, h, "correct"), &cor) || jp_u64(&jp, jp_find(&jp, h, "count"), &cnt) ||
                jp_u64(&jp, jp_find(&jp, h, "inferences"), &inf) ||
                jp_u64(&jp, jp_find(&jp, h, "checked_at"), &at) ||
                jp_u64(&jp, jp_find(&jp, h, "duration_us"), &dur) || pass < 0 ||
                (tok[pass].type != JT_TRUE && tok[pass].type != JT_FALSE) || fg < 0 ||
                (tok[fg].type != JT_NULL && jp_str(&jp, fg, hh->failed_gate, sizeof(hh->failed_gate)) < 0)) {
                rc = perr_set(e, -EUCLEAN, "registry.json: health of %s is malformed", m->version);
                goto out;
            }
            hh->p99_us = (uint32_t)p99;
            hh->p99_ns = ns;
            hh->mem = mem;
            hh->acc_ppm = (uint32_t)acc;
            hh->correct = (uint32_t)cor;
            hh->count = (uint32_t)cnt;
            hh->inferences = (uint32_t)inf;
            hh->checked_at = at;
            hh->duration_us = dur;
            hh->passed = tok[pass].type == JT_TRUE;
            m->has_health = true;
        }
        r->n++;
    }
    if ((rc = get_name(&jp, jp_find(&jp, 0, "active"), r->active, e, "active")) ||
        (rc = get_name(&jp, jp_find(&jp, 0, "shadow"), r->shadow, e, "shadow")) ||
        (rc = get_name(&jp, jp_find(&jp, 0, "rollback"), r->rollback, e, "rollback")))
        goto out;
    if ((r->active[0] && !reg_find(r, r->active)) || (r->shadow[0] && !reg_find(r, r->shadow)) ||
        (r->rollback[0] && !reg_find(r, r->rollback)))
        rc = perr_set(e, -EUCLEAN, "registry.json: a role names a version it does not list");
out:
    kfree(tok);
    return rc;
}

/* ---- writing ---- */

static int write_file_atomic(const char *path, const char *text, size_t len)
{
    struct ext4_fs *fs = storage_fs();
    char tmp[112];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int64_t w = vfs_write(fs, tmp, 0, text, len, VFS_O_CREATE | VFS_O_TRUNC);
    if (w < 0)
        return (int)w;
    return vfs_rename(fs, tmp, path);
}

/* /models/NAME -> target (replaced by rename), or removed when target is "". */
static int set_link(const char *name, const char *target)
{
    struct ext4_fs *fs = storage_fs();
    char path[64], tmp[72], cur[64];
    snprintf(path, sizeof(path), "/models/%s", name);
    int64_t n = vfs_readlink(fs, path, cur, sizeof(cur) - 1);
    if (n >= 0)
        cur[n] = 0;
    if (!target[0])
        return n >= 0 ? vfs_unlink(fs, path) : 0;
    if (n >= 0 && strcmp(cur, target) == 0)
        return 0;
    snprintf(tmp, sizeof(tmp), "/models/%s.tmp", name);
    vfs_unlink(fs, tmp);            /* a leftover from a cut before a commit: not there normally */
    int e = vfs_symlink(fs, target, tmp);
    return e ? e : vfs_rename(fs, tmp, path);
}

void hist_set(struct hist *h, const char *op, const char *from, const char *to, const char *reason)
{
    memset(h, 0, sizeof(*h));
    h->op = op;
    strlcpy(h->from, from, sizeof(h->from));
    strlcpy(h->to, to, sizeof(h->to));
    strlcpy(h->reason, reason, sizeof(h->reason));
    h->result = "ok";
}

static int history_line(const struct hist *h)
{
    struct ext4_fs *fs = storage_fs();
    char line[512], when[32];
    struct json j;
    json_begin(&j, line, sizeof(line));
    rtc_format_iso8601(rtc_seconds(), when, sizeof(when));
    json_str(&j, "time", when);
    json_u64(&j, "uptime_us", timer_us());
    json_str(&j, "operation", h->op);
    opt_str(&j, "from", h->from);
    opt_str(&j, "to", h->to);
    json_str(&j, "reason", h->reason);
    json_str(&j, "result", h->result);
    const char *t = json_end(&j);
    if (!t)
        return -EINVAL;
    size_t n = strlen(t);
    line[n++] = '\n';
    struct ext4_stat st;
    uint64_t off = vfs_lstat(fs, "/models/history.jsonl", &st) == 0 ? st.size : 0;
    int64_t w = vfs_write(fs, "/models/history.jsonl", off, line, n, VFS_O_CREATE);
    return w < 0 ? (int)w : 0;
}

int reg_commit(const struct registry *next, const struct hist *hist, int nhist, struct perr *e)
{
    struct ext4_fs *fs = storage_fs();
    if (!fs)
        return perr_set(e, -19, "no filesystem mounted: %s", storage_reason());
    char *buf = kmalloc(REG_JSON_MAX);
    if (!buf)
        return perr_set(e, -ENOMEM, "out of memory for registry.json");
    struct json j;
    json_begin(&j, buf, REG_JSON_MAX);
    reg_json(&j, next);
    const char *t = json_end(&j);
    int r = t ? 0 : -ENOSPC;
    if (r)
        perr_set(e, r, "registry.json does not fit in %u bytes", REG_JSON_MAX);
    size_t len = t ? strlen(t) : 0;
    if (!r) {
        buf[len++] = '\n';
        if ((r = write_file_atomic("/models/registry.json", buf, len)))
            perr_set(e, r, "writing /models/registry.json");
    }
    if (!r && (r = set_link("active", next->active)))
        perr_set(e, r, "replacing /models/active");
    if (!r && (r = set_link("shadow", next->shadow)))
        perr_set(e, r, "replacing /models/shadow");
    if (!r && (r = set_link("rollback", next->rollback)))
        perr_set(e, r, "replacing /models/rollback");
    for (int i = 0; !r && i < nhist; i++)
        if ((r = history_line(&hist[i])))
            perr_set(e, r, "appending to /models/history.jsonl");
    if (r && reg.on_disk) {
        /* Put the old registry and links back before the commit, so a failed
         * change commits as no change (the history is appended last). */
        json_begin(&j, buf, REG_JSON_MAX);
        reg_json(&j, &reg);
        if ((t = json_end(&j)) != NULL) {
            len = strlen(t);
            buf[len++] = '\n';
            write_file_atomic("/models/registry.json", buf, len);
        }
        set_link("active", reg.active);
        set_link("shadow", reg.shadow);
        set_link("rollback", reg.rollback);
    }
    kfree(buf);
    int c = vfs_sync(fs);       /* the one commit point of the whole change */
    if (!r && c)
        r = perr_set(e, c, "journal commit");
    if (!r)
        reg = *next;
    return r;
}

void reg_event(const char *op)
{
    char *line = kmalloc(REG_JSON_MAX + 256);
    if (!line)
        return;
    struct json j;
    event_begin(&j, line, REG_JSON_MAX + 256, "registry");
    json_str(&j, "op", op);
    json_open_object(&j, "registry");
    reg_json(&j, &reg);
    json_close(&j);
    event_send(&j);
    kfree(line);
}

int reg_read(struct registry *out, struct perr *e)
{
    struct ext4_fs *fs = storage_fs();
    struct ext4_stat st;
    int r = vfs_lstat(fs, "/models/registry.json", &st);
    if (r)
        return perr_set(e, r, "/models/registry.json: %s", vfs_strerror(r));
    if (st.size > REG_JSON_MAX)
        return perr_set(e, -EUCLEAN, "registry.json is too large (%lu bytes)", (unsigned long)st.size);
    char *text = kmalloc(REG_JSON_MAX);
    if (!text)
        return perr_set(e, -ENOMEM, "out of memory");
    int64_t n = vfs_read(fs, "/models/registry.json", 0, text, st.size);
    if (n != (int64_t)st.size)
        r = perr_set(e, n < 0 ? (int)n : -EIO, "reading /models/registry.json");
    else
        r = reg_parse(text, (size_t)n, out, e);
    kfree(text);
    return r;
}

#endif /* CONFIG_MODEL_LIFECYCLE */

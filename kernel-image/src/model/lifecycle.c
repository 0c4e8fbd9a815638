/*
 * lifecycle.c - what modelctl changes: load, health, swap, rollback,
 * remove, import; and the boot-time check and first-boot provisioning.
 *
 * Every operation first does all its checking (name, registry, signature,
 * health gates) without writing anything, then makes its change in one
 * registry commit (registry.c), then switches the in-memory state and sends
 * a `registry` event with the whole registry (and `health` events with the
 * figures). A failed operation prints one line "modelctl: OP ARG: reason
 * (ENAME)" and changes nothing on disk.
 *
 * The active model: `active_model` holds one reference; model_active()
 * hands out another for a decision in flight. A swap installs the new
 * model and drops the registry's reference to the old one; a decision that
 * took its reference before the swap finishes on the old model, which is
 * freed by its last model_put (RCU-style grace period by reference count).
 *
 * Health checks and the golden set are in health.c.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_MODEL_LIFECYCLE

static struct model *active_model;

struct model *model_active(void)
{
    model_get(active_model);
    return active_model;
}

static int fail(const char *op, const char *arg, const struct perr *e)
{
    printf("modelctl: %s%s%s: %s (%s)\n", op, arg ? " " : "", arg ? arg : "", e->msg, model_errname(e->err));
    return 1;
}

/* The checks every command naming a version starts with. */
static int check_name(const char *v, struct perr *e)
{
    if (!storage_fs())
        return perr_set(e, -19, "no filesystem mounted: %s", storage_reason());
    if (!model_name_valid(v)) {
        char shown[4 * 40];
        model_name_show(v, shown, sizeof(shown));
        return perr_set(e, -EINVAL, "invalid version name \"%s\"", shown);
    }
    return 0;
}

static int check_registered(const char *v, struct perr *e)
{
    int r = check_name(v, e);
    if (r)
        return r;
    if (!reg.on_disk)
        return perr_set(e, -ENOENT, "no model registry on this disk");
    if (!reg_find(&reg, v))
        return perr_set(e, -ENOENT, "%s is not in the registry (modelctl import %s)", v, v);
    return 0;
}

static void print_loaded(const struct model *m, const struct pkg_info *info)
{
    printf("verified %s: sha256 %s\n", m->name, m->sha256);
    printf("  signer %s (%s)%s\n", info->signer, info->key->name, info->key->development ? " DEVELOPMENT ONLY" : "");
    printf("  %u layers, %u parameters, %s, %lu bytes on the heap\n", m->h.num_layers, m->h.param_count,
           info->architecture[0] ? info->architecture : "mlp", (unsigned long)m->heap_bytes);
}

int model_cmd_load(const char *v)
{
    struct perr e;
    struct pkg_info info;
    struct model *m;
    uint64_t t0 = timer_us();
    if (check_registered(v, &e) || pkg_load_dir(PKG_MODEL, v, &info, &m, NULL, &e))
        return fail("load", v, &e);
    uint64_t t1 = timer_us();
    print_loaded(m, &info);
    printf("  read and verified in %lu us\n", (unsigned long)(t1 - t0));
    model_put(m);
    return 0;
}

int model_cmd_health(const char *v)
{
    struct perr e;
    struct pkg_info info;
    struct model *m = NULL;
    if (!v) {
        if (!active_model) {
            perr_set(&e, -ENOENT, "no active model");
            return fail("health", NULL, &e);
        }
        v = active_model->name;
        m = model_active();
    } else if (check_registered(v, &e) || pkg_load_dir(PKG_MODEL, v, &info, &m, NULL, &e)) {
        return fail("health", v, &e);
    }
    struct health h;
    int r = health_run(m, &h, &e);
    char name[MODEL_NAME_MAX + 1];
    strlcpy(name, v, sizeof(name));
    model_put(m);
    if (r && !h.inferences)
        return fail("health", name, &e);
    printf("health %s:\n", name);
    health_print(&h);
    /* The result is recorded, pass or fail: health.json and the registry. */
    struct registry next = reg;
    struct reg_model *rm = reg_find(&next, name);
    rm->health = h;
    rm->has_health = true;
    struct perr we;
    int w = health_write(name, &h);
    if (w)
        perr_set(&we, w, "writing /models/%s/health.json", name);
    if (w || reg_commit(&next, NULL, 0, &we))
        return fail("health", name, &we);
    health_event(name, &h);
    reg_event("health");
    if (r)
        return fail("health", name, &e);
    return 0;
}

/*
 * Switch to `v` (already registered): load and verify, health gate, one
 * commit with registry + symlinks + history, then the in-memory switch.
 * op is "swap", "rollback" or "activate"; new_rollback is what the
 * rollback slot becomes.
 */
static int switch_to(const char *op, const char *v, const char *new_rollback, const char *reason,
                     struct health *hout, struct perr *e)
{
    struct pkg_info info;
    struct model *m;
    int r = pkg_load_dir(PKG_MODEL, v, &info, &m, NULL, e);
    if (r)
        return r;
    struct health h;
    if ((r = health_run(m, &h, e))) {
        if (hout)
            *hout = h;
        model_put(m);
        return r;
    }
    if (hout)
        *hout = h;
    struct registry next = reg;
    struct reg_model *rm = reg_find(&next, v);
    rm->health = h;
    rm->has_health = true;
    struct hist hl;
    hist_set(&hl, op, reg.active, v, reason);
    strlcpy(next.active, v, sizeof(next.active));
    strlcpy(next.rollback, new_rollback, sizeof(next.rollback));
    if (strcmp(next.shadow, v) == 0)
        next.shadow[0] = 0;     /* the active model is not also the shadow */
    if ((r = health_write(v, &h))) {
        model_put(m);
        return perr_set(e, r, "writing /models/%s/health.json", v);
    }
    if ((r = reg_commit(&next, &hl, 1, e))) {
        model_put(m);
        return r;
    }
    struct model *old = active_model;
    active_model = m;           /* new decisions see the new model from here */
    model_put(old);             /* in-flight holders keep the old one alive */
    health_event(v, &h);
    return 0;
}

int model_switch(const char *op, const char *v, const char *new_rollback, const char *reason,
                 struct health *h, struct perr *e)
{
    memset(h, 0, sizeof(*h));
    if (check_registered(v, e))
        return e->err;
    return switch_to(op, v, new_rollback, reason, h, e);
}

int model_cmd_swap(const char *v)
{
    struct perr e;
    if (check_registered(v, &e))
        return fail("swap", v, &e);
    if (strcmp(reg.active, v) == 0) {
        perr_set(&e, -EALREADY, "%s is already active", v);
        return fail("swap", v, &e);
    }
    printf("Swapping to model version: %s\n", v);
    uint64_t t0 = timer_us(), c0 = timer_counter();
    struct health h;
    char old[MODEL_NAME_MAX + 1];
    strlcpy(old, reg.active, sizeof(old));
    /* The old active model becomes the last known good, if it was healthy. */
    const struct reg_model *om = old[0] ? reg_find(&reg, old) : NULL;
    const char *rb = om && om->has_health && om->health.passed ? old : reg.rollback;
    int r = switch_to("swap", v, rb, "modelctl swap", &h, &e);
    if (r) {
        if (h.inferences)
            health_print(&h);
        return fail("swap", v, &e);
    }
    health_print(&h);
    printf("Model swap complete: %s (%lu us, %lu counter ticks)\n", v, (unsigned long)(timer_us() - t0),
           (unsigned long)(timer_counter() - c0));
    if (reg.rollback[0])
        printf("Previous model saved to rollback: %s\n", reg.rollback);
    reg_event("swap");
    return 0;
}

int model_cmd_rollback(void)
{
    struct perr e;
    if (!storage_fs()) {
        perr_set(&e, -19, "no filesystem mounted: %s", storage_reason());
        return fail("rollback", NULL, &e);
    }
    if (!reg.rollback[0]) {
        perr_set(&e, -ENOENT, "no rollback slot (no last known good model)");
        return fail("rollback", NULL, &e);
    }
    printf("Rolling back to last known good model: %s\n", reg.rollback);
    uint64_t t0 = timer_us();
    char to[MODEL_NAME_MAX + 1];
    strlcpy(to, reg.rollback, sizeof(to));
    struct health h;
    /* The model rolled back from is not a known good: the slot empties. */
    if (switch_to("rollback", to, "", "modelctl rollback", &h, &e)) {
        if (h.inferences)
            health_print(&h);
        return fail("rollback", NULL, &e);
    }
    printf("Rollback complete: active %s (%lu us)\n", to, (unsigned long)(timer_us() - t0));
    reg_event("rollback");
    return 0;
}

static int remove_tree(const char *v)
{
    struct ext4_fs *fs = storage_fs();
    static const char *const files[] = { "model.bin", "model.sig", "manifest.json", "health.json" };
    char path[96];
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        snprintf(path, sizeof(path), "/models/%s/%s", v, files[i]);
        int r = vfs_unlink(fs, path);
        if (r && r != -ENOENT)
            return r;
    }
    snprintf(path, sizeof(path), "/models/%s", v);
    int r = vfs_rmdir(fs, path);
    return r == -ENOENT ? 0 : r;
}

int model_cmd_remove(const char *v)
{
    struct perr e;
    if (check_registered(v, &e))
        return fail("remove", v, &e);
    if (strcmp(reg.active, v) == 0 || strcmp(reg.rollback, v) == 0 || strcmp(reg.shadow, v) == 0) {
        const char *role = strcmp(reg.active, v) == 0 ? "active" : strcmp(reg.rollback, v) == 0 ? "rollback" : "shadow";
        perr_set(&e, -EBUSY, "%s is the %s model", v, role);
        return fail("remove", v, &e);
    }
    struct registry next = reg;
    struct reg_model *rm = reg_find(&next, v);
    *rm = next.m[--next.n];
    /* Keep the order of the others: move the last one into the hole, then re-sort by name. */
    for (int i = 1; i < next.n; i++)
        for (int k = i; k > 0 && strcmp(next.m[k - 1].version, next.m[k].version) > 0; k--) {
            struct reg_model t = next.m[k];
            next.m[k] = next.m[k - 1];
            next.m[k - 1] = t;
        }
    struct hist hl;
    hist_set(&hl, "remove", v, "", "modelctl remove");
    /* Registry first (the commit point), files after: a cut in between leaves
     * an unregistered folder, which import clears. */
    if (reg_commit(&next, &hl, 1, &e))
        return fail("remove", v, &e);
    int r = remove_tree(v);
    vfs_sync(storage_fs());
    if (r) {
        perr_set(&e, r, "removed from the registry, but deleting /models/%s failed", v);
        fail("remove", v, &e);
    }
    printf("removed %s\n", v);
    reg_event("remove");
    return r ? 1 : 0;
}

/* ---- import ---- */

static int copy_member(const char *member, const char *path, struct perr *e)
{
    struct msrc s;
    int r = msrc_member(&s, member);
    if (r)
        return perr_set(e, r, "%s: not on the import disk", member);
    uint8_t *buf = kmalloc(65536);
    if (!buf)
        return perr_set(e, -ENOMEM, "out of memory");
    for (uint64_t off = 0; off < s.size || off == 0;) {
        uint64_t n = s.size - off > 65536 ? 65536 : s.size - off;
        int64_t got = n ? s.read(&s, off, buf, n) : 0;
        if (got < 0 || (uint64_t)got != n) {
            r = perr_set(e, got < 0 ? (int)got : -EIO, "reading %s from the import disk", member);
            break;
        }
        int64_t w = vfs_write(storage_fs(), path, off, buf, n, off == 0 ? VFS_O_CREATE | VFS_O_TRUNC : 0);
        if (w < 0) {
            r = perr_set(e, (int)w, "writing %s", path);
            break;
        }
        off += n;
        if (n == 0)
            break;
    }
    kfree(buf);
    return r;
}

/* Verify NAME (a model, or the golden set) in place on the import disk. */
static int verify_member(int kind, const char *name, struct pkg_info *info, struct model **m,
                         struct golden **g, struct perr *e)
{
    struct msrc s[3];
    char member[112];
    const char *dir = kind == PKG_GOLDEN ? "golden" : name;
    for (int i = 0; i < 3; i++) {
        snprintf(member, sizeof(member), "%s/%s", dir, pkg_file_name(kind, i));
        int r = msrc_member(&s[i], member);
        if (r)
            return perr_set(e, r, "%s: not on the import disk", member);
    }
    return pkg_load(kind, name, &s[0], &s[1], &s[2], info, m, g, e);
}

/* Copy a verified package into /models/DIR and commit it (not yet registered). */
static int copy_package(int kind, const char *name, struct perr *e)
{
    struct ext4_fs *fs = storage_fs();
    const char *dir = kind == PKG_GOLDEN ? "golden" : name;
    char path[96], member[112];
    snprintf(path, sizeof(path), "/models/%s", dir);
    int r = vfs_mkdir(fs, path, 0755);
    if (r && r != -EEXIST)
        return perr_set(e, r, "mkdir %s", path);
    for (int i = 0; i < 3; i++) {
        snprintf(member, sizeof(member), "%s/%s", dir, pkg_file_name(kind, i));
        snprintf(path, sizeof(path), "/models/%s/%s", dir, pkg_file_name(kind, i));
        if ((r = copy_member(member, path, e)))
            return r;
    }
    if ((r = vfs_sync(fs)))
        return perr_set(e, r, "journal commit");
    return 0;
}

static int ensure_models_dir(struct perr *e)
{
    int r = vfs_mkdir(storage_fs(), "/models", 0755);
    if (r && r != -EEXIST)
        return perr_set(e, r, "mkdir /models");
    return 0;
}

static void fill_entry(struct reg_model *rm, const struct pkg_info *info)
{
    memset(rm, 0, sizeof(*rm));
    strlcpy(rm->version, info->name, sizeof(rm->version));
    memcpy(rm->sha256, info->sha256, 65);
    memcpy(rm->sig, info->sig_hex, 129);
    memcpy(rm->signer, info->signer, 17);
    rm->loaded_at = rtc_seconds();
}

static void insert_sorted(struct registry *r, const struct reg_model *rm)
{
    int i = r->n++;
    for (; i > 0 && strcmp(r->m[i - 1].version, rm->version) > 0; i--)
        r->m[i] = r->m[i - 1];
    r->m[i] = *rm;
}

/* Import one package into `next` (files copied and committed); 0 or -errno. */
static int import_one(const char *name, struct registry *next, struct perr *e)
{
    if (check_name(name, e))
        return e->err;
    if (reg_find(next, name))
        return perr_set(e, -EEXIST, "%s is already in the registry", name);
    if (next->n == REG_MAX)
        return perr_set(e, -ENOSPC, "the registry is full (%d models)", REG_MAX);
    struct pkg_info info;
    struct model *m;
    int r = verify_member(PKG_MODEL, name, &info, &m, NULL, e);
    if (r)
        return r;
    model_put(m);
    if ((r = ensure_models_dir(e)))
        return r;
    remove_tree(name);          /* an unregistered leftover of a cut import */
    if ((r = copy_package(PKG_MODEL, name, e)))
        return r;
    struct reg_model rm;
    fill_entry(&rm, &info);
    insert_sorted(next, &rm);
    return 0;
}

/* The golden set from the import disk into /models/golden, and load it. */
static int import_golden(const char *name, struct perr *e)
{
    struct pkg_info info;
    struct golden *g;
    int r = verify_member(PKG_GOLDEN, name, &info, NULL, &g, e);
    if (r)
        return r;
    golden_free(g);
    if ((r = ensure_models_dir(e)) || (r = copy_package(PKG_GOLDEN, name, e)))
        return r;
    struct golden *ng;
    if ((r = pkg_load_dir(PKG_GOLDEN, name, &info, NULL, &ng, e)))
        return r;
    model_golden_set(ng, "");
    return 0;
}

struct bundle {
    char def[MODEL_NAME_MAX + 1];
    char golden[MODEL_NAME_MAX + 1];
    int n;
    char pkg[REG_MAX][72];     /* as listed: checked later, so an overlong name is reported */
};

static int read_bundle(struct bundle *b, struct perr *e)
{
    memset(b, 0, sizeof(*b));
    int r = ustar_open();
    if (r)
        return perr_set(e, r, "import disk: %s", ustar_error());
    struct msrc s;
    if ((r = msrc_member(&s, "bundle.json")))
        return perr_set(e, r, "import disk: no bundle.json");
    if (s.size > 16384)
        return perr_set(e, -EINVAL, "bundle.json is too large");
    char *text = kmalloc(16384);
    struct jtok *tok = kmalloc(sizeof(struct jtok) * (REG_MAX + 16));
    if (!text || !tok) {
        r = perr_set(e, -ENOMEM, "out of memory");
        goto out;
    }
    if (s.read(&s, 0, text, s.size) != (int64_t)s.size) {
        r = perr_set(e, -EIO, "reading bundle.json");
        goto out;
    }
    struct jparser jp;
    if (jp_parse(&jp, text, s.size, tok, REG_MAX + 16)) {
        r = perr_set(e, -EINVAL, "bundle.json: %s at byte %lu", jp.error, (unsigned long)jp.err_at);
        goto out;
    }
    uint64_t fmt;
    int pk = jp_find(&jp, 0, "packages");
    if (tok[0].type != JT_OBJECT || jp_u64(&jp, jp_find(&jp, 0, "format"), &fmt) || fmt != 1 ||
        jp_str(&jp, jp_find(&jp, 0, "default"), b->def, sizeof(b->def)) < 0 ||
        jp_str(&jp, jp_find(&jp, 0, "golden"), b->golden, sizeof(b->golden)) < 0 || pk < 0 ||
        tok[pk].type != JT_ARRAY || tok[pk].size > REG_MAX) {
        r = perr_set(e, -EINVAL, "bundle.json: not a format 1 bundle");
        goto out;
    }
    for (uint32_t i = 0; i < tok[pk].size; i++)
        if (jp_str(&jp, jp_at(&jp, pk, i), b->pkg[b->n++], sizeof(b->pkg[0])) < 0) {
            r = perr_set(e, -EINVAL, "bundle.json: package %u is not a string of at most 71 bytes", i);
            goto out;
        }
out:
    kfree(text);
    kfree(tok);
    return r;
}

int model_cmd_import(const char *what)
{
    struct perr e;
    struct bundle *b = kmalloc(sizeof(*b));
    if (!b) {
        perr_set(&e, -ENOMEM, "out of memory");
        return fail("import", what, &e);
    }
    int rc = 0;
    if (!storage_fs()) {
        perr_set(&e, -19, "no filesystem mounted: %s", storage_reason());
        rc = fail("import", what, &e);
        goto out;
    }
    if (read_bundle(b, &e)) {
        rc = fail("import", what, &e);
        goto out;
    }
    if (!what) {
        /* List the import disk: what would be imported, and why not. */
        printf("import disk: bundle default %s, golden set %s, %d packages\n", b->def, b->golden, b->n);
        for (int i = 0; i < b->n; i++) {
            struct pkg_info info;
            struct model *m;
            char shown[4 * 40];
            model_name_show(b->pkg[i], shown, sizeof(shown));
            if (check_name(b->pkg[i], &e) == 0 && verify_member(PKG_MODEL, b->pkg[i], &info, &m, NULL, &e) == 0) {
                printf("  %-14s verified (%s)%s\n", shown, info.key->name, reg_find(&reg, b->pkg[i]) ? ", imported" : "");
                model_put(m);
            } else {
                printf("  %-14s rejected: %s (%s)\n", shown, e.msg, model_errname(e.err));
            }
        }
        goto out;
    }
    if (!reg.on_disk) {
        perr_set(&e, -ENOENT, "no model registry on this disk");
        rc = fail("import", what, &e);
        goto out;
    }
    bool all = strcmp(what, "--all") == 0;
    struct registry next = reg;
    int imported = 0, rejected = 0;
    static struct hist hl[REG_MAX];
    for (int i = 0; i < b->n; i++) {
        if (!all && strcmp(b->pkg[i], what) != 0)
            continue;
        if (all && reg_find(&next, b->pkg[i]))
            continue;
        if (import_one(b->pkg[i], &next, &e)) {
            rejected++;
            fail("import", b->pkg[i], &e);
            continue;
        }
        hist_set(&hl[imported++], "import", "", b->pkg[i], "modelctl import");
        printf("imported %s\n", b->pkg[i]);
    }
    if (!all && !imported && !rejected) {
        char shown[4 * 40];
        model_name_show(what, shown, sizeof(shown));
        if (check_name(what, &e) == 0)
            perr_set(&e, -ENOENT, "%s is not in the import disk's bundle", shown);
        rc = fail("import", what, &e);
        goto out;
    }
    if (imported) {
        if (reg_commit(&next, hl, imported, &e)) {
            rc = fail("import", what, &e);
            goto out;
        }
        reg_event("import");
    } else if (all) {
        printf("nothing to import\n");
    }
    rc = rejected ? 1 : 0;
out:
    kfree(b);
    return rc;
}

/* ---- boot ---- */

static void loud(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void loud(const char *fmt, ...)
{
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("models: *** %s ***\n", msg);
    event_log("error", "models: %s", msg);
}

static void rollback_event(const char *from, const char *to, const char *reason)
{
    char line[512];
    struct json j;
    event_begin(&j, line, sizeof(line), "rollback");
    if (from[0]) json_str(&j, "from", from); else json_null(&j, "from");
    if (to[0]) json_str(&j, "to", to); else json_null(&j, "to");
    json_str(&j, "reason", reason);
    event_send(&j);
}

static void load_golden_from_disk(void)
{
    struct perr e;
    struct pkg_info info;
    struct golden *g;
    if (pkg_load_dir(PKG_GOLDEN, "golden", &info, NULL, &g, &e)) {
        char why[200];
        snprintf(why, sizeof(why), "%s (%s)", e.msg, model_errname(e.err));
        model_golden_set(NULL, why);
        loud("golden set not usable: %s", why);
        return;
    }
    model_golden_set(g, "");
    printf("models: golden set verified: %u inputs\n", g->count);
}

static void provision(void)
{
    struct perr e;
    struct bundle *b = kmalloc(sizeof(*b));
    if (!b)
        return;
    printf("models: no registry on the system disk: provisioning from the import disk\n");
    if (read_bundle(b, &e)) {
        printf("models: nothing to provision: %s (%s)\n", e.msg, model_errname(e.err));
        goto out;
    }
    if (ensure_models_dir(&e)) {
        loud("cannot create /models: %s", e.msg);
        goto out;
    }
    if (import_golden(b->golden[0] ? b->golden : "golden", &e)) {
        model_golden_set(NULL, e.msg);
        loud("golden set rejected: %s (%s)", e.msg, model_errname(e.err));
    } else {
        printf("models: golden set imported: %u inputs\n", model_golden()->count);
    }
    static struct registry next, keep;
    memset(&next, 0, sizeof(next));
    next.on_disk = true;
    static struct hist hl[REG_MAX + 1];
    int nh = 0;
    for (int i = 0; i < b->n; i++) {
        char shown[4 * 40];
        model_name_show(b->pkg[i], shown, sizeof(shown));
        if (import_one(b->pkg[i], &next, &e)) {
            printf("models: rejected %s: %s (%s)\n", shown, e.msg, model_errname(e.err));
            continue;
        }
        printf("models: imported %s\n", shown);
        hist_set(&hl[nh++], "import", "", b->pkg[i], "first boot: bundle");
    }
    /* Activate the bundle's default: load, health gate, then one commit for
     * registry + symlinks + every history line. */
    keep = reg;
    reg = next;                 /* switch_to works on `reg`: stage the imports */
    reg.on_disk = false;
    struct health h;
    int r = -ENOENT;
    if (reg_find(&reg, b->def)) {
        struct pkg_info info;
        struct model *m;
        r = pkg_load_dir(PKG_MODEL, b->def, &info, &m, NULL, &e);
        if (!r) {
            r = health_run(m, &h, &e);
            if (!r) {
                struct reg_model *rm = reg_find(&next, b->def);
                rm->health = h;
                rm->has_health = true;
                strlcpy(next.active, b->def, sizeof(next.active));
                hist_set(&hl[nh++], "activate", "", rm->version, "first boot: bundle default");
                health_write(b->def, &h);
                active_model = m;
            } else {
                model_put(m);
            }
        }
    } else {
        perr_set(&e, -ENOENT, "the bundle's default %s was not imported", b->def);
    }
    reg = keep;
    if (r)
        loud("bundle default %s not activated: %s (%s)", b->def, e.msg, model_errname(e.err));
    if (reg_commit(&next, hl, nh, &e)) {
        loud("writing the registry failed: %s (%s)", e.msg, model_errname(e.err));
        if (active_model) {
            model_put(active_model);
            active_model = NULL;
        }
        goto out;
    }
    if (!r) {
        printf("models: active %s (p99 %lu us, accuracy %u.%02u%%)\n", reg.active, (unsigned long)h.p99_us,
               h.acc_ppm / 10000, h.acc_ppm / 100 % 100);
        health_event(reg.active, &h);
    }
    reg_event("provision");
out:
    kfree(b);
}

void model_boot(void)
{
    struct perr e;
    struct ext4_fs *fs = storage_fs();
    if (!fs) {
        printf("models: no filesystem: no model registry\n");
        return;
    }
    struct ext4_stat st;
    if (vfs_lstat(fs, "/models/registry.json", &st) == -ENOENT) {
        if (ext4_is_readonly(fs)) {
            printf("models: no registry and the system disk is read-only\n");
            return;
        }
        provision();
        return;
    }
    if (reg_read(&reg, &e)) {
        loud("registry unreadable: %s (%s); no model active", e.msg, model_errname(e.err));
        memset(&reg, 0, sizeof(reg));
        return;
    }
    reg.on_disk = true;
    printf("models: registry: %d models, active %s, rollback %s\n", reg.n, reg.active[0] ? reg.active : "none",
           reg.rollback[0] ? reg.rollback : "none");
    load_golden_from_disk();
    if (!reg.active[0]) {
        printf("models: no active model\n");
        return;
    }
    struct pkg_info info;
    struct model *m;
    if (pkg_load_dir(PKG_MODEL, reg.active, &info, &m, NULL, &e) == 0) {
        active_model = m;
        printf("models: active %s verified (signer %s)\n", reg.active, info.key->name);
        return;
    }
    char bad[MODEL_NAME_MAX + 1], why[200];
    strlcpy(bad, reg.active, sizeof(bad));
    snprintf(why, sizeof(why), "active model %s failed verification: %s (%s)", bad, e.msg, model_errname(e.err));
    loud("%s", why);
    if (!reg.rollback[0]) {
        loud("no last known good model to fall back to: no model active");
        rollback_event(bad, "", why);
        return;
    }
    char to[MODEL_NAME_MAX + 1];
    strlcpy(to, reg.rollback, sizeof(to));
    if (pkg_load_dir(PKG_MODEL, to, &info, &m, NULL, &e)) {
        loud("last known good %s failed verification too: %s (%s): no model active", to, e.msg,
             model_errname(e.err));
        rollback_event(bad, "", why);
        return;
    }
    struct registry next = reg;
    strlcpy(next.active, to, sizeof(next.active));
    next.rollback[0] = 0;
    struct hist hl;
    hist_set(&hl, "boot-fallback", bad, to, why);
    if (ext4_is_readonly(fs) || reg_commit(&next, &hl, 1, &e))
        loud("falling back to %s in memory only: the registry could not be updated", to);
    active_model = m;
    loud("FELL BACK to last known good %s", to);
    rollback_event(bad, to, why);
    reg_event("boot-fallback");
}

#endif /* CONFIG_MODEL_LIFECYCLE */

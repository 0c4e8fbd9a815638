/*
 * pkg.c - verifying a model package (or the golden set) and loading it.
 *
 * A package is three files read through a `struct msrc` (a file on the
 * ext4 system disk, or a member of the import disk's ustar archive read in
 * place), so the registry and the importer share one verifier. The order
 * (docs/MODEL-FORMAT.md) is: the name; model.sig's layout and a trusted key
 * id (refused by name otherwise); manifest.json parsed strictly, its
 * version/size/signer checked; model.bin's header checked against every
 * rule and the file size before anything is allocated; the memory gate
 * checked on what the model would occupy; the payload read into the new
 * allocation while hashing; the SHA-256 compared with the manifest; the
 * Ed25519 signature over "SIS-MODEL-SIG-v1" | kind | L | name |
 * SHA-256(model.bin) | SHA-256(manifest.json) verified; every weight
 * finite. Any failure frees what was allocated and leaves an errno and a
 * one-line reason in `struct perr`; nothing is written anywhere.
 *
 * A loaded model is reference-counted (model_get/model_put): the registry
 * holds one reference for the active model, and every inference holds
 * another while it runs, so a hot-swap never frees a model an in-flight
 * decision is using (RCU-style: readers finish on the old object, the last
 * put frees it). Its heap footprint is measured, not estimated: the heap's
 * in-use bytes before and after the model's allocations.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_MODEL_LIFECYCLE

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int perr_set(struct perr *e, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->err = err;
    return err;
}

bool model_name_valid(const char *s)
{
    static const char *const reserved[] = { "active", "shadow", "rollback", "golden",
                                            "registry.json", "history.jsonl" };
    size_t n = strnlen(s, MODEL_NAME_MAX + 1);
    if (n < 1 || n > MODEL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '+' || c == '-')))
            return false;
        if (c == '.' && i > 0 && s[i - 1] == '.')
            return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
        if (strcmp(s, reserved[i]) == 0)
            return false;
    return true;
}

void model_name_show(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (; *s && n + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = 0;
}

/* ---- sources ---- */

static int64_t fs_read(struct msrc *s, uint64_t off, void *buf, uint64_t n)
{
    return vfs_read(storage_fs(), s->path, off, buf, n);
}

int msrc_file(struct msrc *s, const char *path)
{
    memset(s, 0, sizeof(*s));
    struct ext4_stat st;
    if (!storage_fs())
        return -ENODEV;
    strlcpy(s->path, path, sizeof(s->path));
    int e = vfs_lstat(storage_fs(), path, &st);
    if (e)
        return e;
    if ((st.mode & EXT4_S_IFMT) != EXT4_S_IFREG)
        return -EINVAL;
    s->size = st.size;
    s->read = fs_read;
    return 0;
}

/* Reads exactly n bytes at off; 0 or -errno. */
static int src_read(struct msrc *s, uint64_t off, void *buf, uint64_t n)
{
    uint8_t *p = buf;
    while (n) {
        int64_t r = s->read(s, off, p, n);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return -EIO;
        p += r;
        off += (uint64_t)r;
        n -= (uint64_t)r;
    }
    return 0;
}

/* ---- the pieces ---- */

struct sigfile {
    uint8_t keyid[8];
    uint8_t sig[64];
};

static const char *const file_names[2][3] = {
    { "model.bin", "manifest.json", "model.sig" },
    { "golden.bin", "manifest.json", "golden.sig" },
};

static int read_sig(struct msrc *src, int kind, struct sigfile *out, struct perr *e)
{
    const char *fname = file_names[kind - 1][2];
    uint8_t b[80];
    if (src->size != 80)
        return perr_set(e, -EINVAL, "%s is %lu bytes, not 80", fname, (unsigned long)src->size);
    int r = src_read(src, 0, b, 80);
    if (r)
        return perr_set(e, r, "%s: read failed", fname);
    if (memcmp(b, "SISS", 4) != 0 || rd16(b + 4) != 1)
        return perr_set(e, -EINVAL, "%s: bad magic or version", fname);
    if (rd16(b + 6) != 1)
        return perr_set(e, -EINVAL, "%s: unknown algorithm %u", fname, rd16(b + 6));
    memcpy(out->keyid, b + 8, 8);
    memcpy(out->sig, b + 16, 64);
    return 0;
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* The manifest: parsed, its common members checked; kept for the caller. */
static int read_manifest(struct msrc *src, const char *name, const char *keyhex, struct pkg_info *info,
                         uint8_t sha[32], struct perr *e)
{
    if (src->size == 0 || src->size > MANIFEST_MAX)
        return perr_set(e, -EINVAL, "manifest.json is %lu bytes (1 to %u allowed)",
                        (unsigned long)src->size, MANIFEST_MAX);
    char *text = kmalloc(MANIFEST_MAX);
    struct jtok *tok = kmalloc(sizeof(struct jtok) * 128);
    int r = 0;
    if (!text || !tok) {
        r = perr_set(e, -ENOMEM, "out of memory reading manifest.json");
        goto out;
    }
    if ((r = src_read(src, 0, text, src->size))) {
        perr_set(e, r, "manifest.json: read failed");
        goto out;
    }
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, text, src->size);
    sha256_final(&h, sha);
    struct jparser jp;
    if (jp_parse(&jp, text, src->size, tok, 128)) {
        r = perr_set(e, -EINVAL, "manifest.json: %s at byte %lu", jp.error, (unsigned long)jp.err_at);
        goto out;
    }
    uint64_t fmt, size;
    char ver[64], signer[40], hash[80];
    if (tok[0].type != JT_OBJECT || jp_u64(&jp, jp_find(&jp, 0, "format"), &fmt) || fmt != 1) {
        r = perr_set(e, -EINVAL, "manifest.json: not a format 1 manifest");
        goto out;
    }
    if (jp_str(&jp, jp_find(&jp, 0, "version"), ver, sizeof(ver)) < 0 || strcmp(ver, name) != 0) {
        char shown[80];
        model_name_show(jp_str(&jp, jp_find(&jp, 0, "version"), ver, sizeof(ver)) < 0 ? "?" : ver, shown, sizeof(shown));
        r = perr_set(e, -EINVAL, "manifest.json: version \"%s\" is not the package name", shown);
        goto out;
    }
    if (jp_str(&jp, jp_find(&jp, 0, "signer"), signer, sizeof(signer)) < 0 || strcmp(signer, keyhex) != 0) {
        r = perr_set(e, -EINVAL, "manifest.json: signer is not the key id in the signature (%s)", keyhex);
        goto out;
    }
    if (jp_u64(&jp, jp_find(&jp, 0, "size"), &size) ||
        jp_str(&jp, jp_find(&jp, 0, "sha256"), hash, sizeof(hash)) != 64) {
        r = perr_set(e, -EINVAL, "manifest.json: size or sha256 missing or malformed");
        goto out;
    }
    info->manifest_size = size;
    memcpy(info->manifest_sha256_of_bin, hash, 65);
    int d = jp_find(&jp, 0, "description");
    if (jp_str(&jp, d, info->description, sizeof(info->description)) < 0)
        info->description[0] = 0;
    int a = jp_find(&jp, 0, "architecture");
    if (jp_str(&jp, a, info->architecture, sizeof(info->architecture)) < 0)
        info->architecture[0] = 0;
    int64_t acc;
    int tr = jp_find(&jp, 0, "training");
    info->training_accuracy_ppm = jp_fixed(&jp, jp_find(&jp, tr, "golden_accuracy"), 6, &acc) == 0 ? acc : -1;
    uint64_t cnt = 0;
    info->count = jp_u64(&jp, jp_find(&jp, 0, "count"), &cnt) == 0 ? (uint32_t)cnt : 0;
out:
    kfree(text);
    kfree(tok);
    return r;
}

static int check_signature(int kind, const char *name, const uint8_t bin_sha[32], const uint8_t man_sha[32],
                           const struct sigfile *sf, const struct trusted_key *key, struct perr *e)
{
    uint8_t msg[16 + 2 + MODEL_NAME_MAX + 64];
    size_t n = strlen(name), m = 0;
    memcpy(msg, "SIS-MODEL-SIG-v1", 16);
    m = 16;
    msg[m++] = (uint8_t)kind;
    msg[m++] = (uint8_t)n;
    memcpy(msg + m, name, n);
    m += n;
    memcpy(msg + m, bin_sha, 32);
    m += 32;
    memcpy(msg + m, man_sha, 32);
    m += 32;
    int r = ed25519_verify(key->pub, msg, m, sf->sig);
    if (r)
        return perr_set(e, -EBADMSG, "bad signature: %s (key %s)", ed25519_strerror(r), key->name);
    return 0;
}

void model_get(struct model *m)
{
    if (m)
        m->refs++;
}

void model_put(struct model *m)
{
    if (!m)
        return;
    if (m->refs == 0)
        panic("model_put: %s has no references", m->name);
    if (--m->refs == 0) {
        kfree(m->params);
        kfree(m->acts);
        kfree(m);
    }
}

int pkg_load(int kind, const char *name, struct msrc *bin, struct msrc *man, struct msrc *sig,
             struct pkg_info *info, struct model **out, struct golden **gout, struct perr *e)
{
    char shown[4 * MODEL_NAME_MAX + 8];
    memset(info, 0, sizeof(*info));
    if (out)
        *out = NULL;
    if (gout)
        *gout = NULL;
    if (!model_name_valid(name) && !(kind == PKG_GOLDEN && strcmp(name, "golden") == 0)) {
        model_name_show(name, shown, sizeof(shown));
        return perr_set(e, -EINVAL, "invalid version name \"%s\"", shown);
    }
    strlcpy(info->name, name, sizeof(info->name));
    struct sigfile sf;
    int r = read_sig(sig, kind, &sf, e);
    if (r)
        return r;
    hex_of(sf.keyid, 8, info->signer);
    hex_of(sf.sig, 64, info->sig_hex);
    const struct trusted_key *key = keys_find(sf.keyid);
    if (!key)
        return perr_set(e, -ENOKEY, "signed by untrusted key %s", info->signer);
    info->key = key;
    uint8_t man_sha[32], bin_sha[32];
    if ((r = read_manifest(man, name, info->signer, info, man_sha, e)))
        return r;
    const char *bname = file_names[kind - 1][0];
    if (bin->size != info->manifest_size)
        return perr_set(e, -EBADMSG, "%s is %lu bytes, the manifest says %lu", bname,
                        (unsigned long)bin->size, (unsigned long)info->manifest_size);
    struct sha256 h;
    sha256_init(&h);
    struct heap_stats hs0, hs1;
    heap_stats(&hs0);
    struct model *m = NULL;
    struct golden *g = NULL;
    uint8_t head[32 + 8 * MLP_MAX_LAYERS];
    void *payload;
    uint64_t hdr_len, pay_len;
    const char *why = NULL;
    if (kind == PKG_MODEL) {
        if (bin->size < 32)
            return perr_set(e, -EINVAL, "model.bin: file shorter than its header");
        if ((r = src_read(bin, 0, head, 32)))
            return perr_set(e, r, "model.bin: read failed");
        int hsz = mlp_header_size(head, &why);
        if (hsz < 0)
            return perr_set(e, hsz, "model.bin: %s", why);
        if (bin->size < (uint64_t)hsz)
            return perr_set(e, -EINVAL, "model.bin: file shorter than its header");
        if ((r = src_read(bin, 32, head + 32, (uint64_t)hsz - 32)))
            return perr_set(e, r, "model.bin: read failed");
        struct mlp_header mh;
        if ((r = mlp_parse_header(head, (size_t)hsz, bin->size, &mh, &why)))
            return perr_set(e, r, "model.bin: %s", why);
        uint64_t need = sizeof(struct model) + (uint64_t)mh.payload_bytes + 4ull * mh.units + 3 * 16;
        if (need >= MODEL_MEM_GATE)
            return perr_set(e, -ENOMEM, "model.bin: needs %lu bytes, over the 10 MB memory gate",
                            (unsigned long)need);
        m = kcalloc(1, sizeof(*m));
        if (m) {
            m->params = kmalloc(mh.payload_bytes);
            m->acts = kmalloc(4ull * mh.units);
        }
        if (!m || !m->params || !m->acts) {
            if (m) {
                kfree(m->params);
                kfree(m->acts);
            }
            kfree(m);
            return perr_set(e, -ENOMEM, "model.bin: %lu bytes do not fit in the heap",
                            (unsigned long)need);
        }
        m->h = mh;
        m->refs = 1;
        strlcpy(m->name, name, sizeof(m->name));
        payload = m->params;
        hdr_len = (uint64_t)hsz;
        pay_len = mh.payload_bytes;
        sha256_update(&h, head, (size_t)hsz);
    } else {
        if (bin->size < 16)
            return perr_set(e, -EINVAL, "golden.bin: shorter than its header");
        if ((r = src_read(bin, 0, head, 16)))
            return perr_set(e, r, "golden.bin: read failed");
        uint32_t count = rd32(head + 12);
        if (memcmp(head, "SISD", 4) || rd16(head + 4) != 1)
            return perr_set(e, -EINVAL, "golden.bin: bad magic or version");
        if (rd16(head + 6) != MODEL_INPUTS || rd16(head + 8) != MODEL_ACTIONS || rd16(head + 10))
            return perr_set(e, -EINVAL, "golden.bin: not a %u-input %u-action set", MODEL_INPUTS, MODEL_ACTIONS);
        if (count < 1 || count > 65536)
            return perr_set(e, -EINVAL, "golden.bin: count %u out of range 1..65536", count);
        if (bin->size != 16 + (uint64_t)count * (4 * MODEL_INPUTS + 4))
            return perr_set(e, -EINVAL, "golden.bin: size does not match its count");
        g = kcalloc(1, sizeof(*g));
        if (g)
            g->rows = kmalloc(bin->size - 16);
        if (!g || !g->rows) {
            kfree(g);
            return perr_set(e, -ENOMEM, "golden.bin: does not fit in the heap");
        }
        g->count = count;
        strlcpy(g->name, name, sizeof(g->name));
        payload = g->rows;
        hdr_len = 16;
        pay_len = bin->size - 16;
        sha256_update(&h, head, 16);
    }
    /* Read the payload straight into its allocation, hashing as we go. */
    uint8_t *p = payload;
    for (uint64_t off = 0; off < pay_len;) {
        uint64_t n = pay_len - off > 65536 ? 65536 : pay_len - off;
        if ((r = src_read(bin, hdr_len + off, p + off, n))) {
            perr_set(e, r, "%s: read failed", bname);
            goto fail;
        }
        sha256_update(&h, p + off, (size_t)n);
        off += n;
    }
    sha256_final(&h, bin_sha);
    hex_of(bin_sha, 32, info->sha256);
    if (strcmp(info->sha256, info->manifest_sha256_of_bin) != 0) {
        r = perr_set(e, -EBADMSG, "%s SHA-256 %.16s... does not match the manifest's %.16s...", bname,
                     info->sha256, info->manifest_sha256_of_bin);
        goto fail;
    }
    if ((r = check_signature(kind, name, bin_sha, man_sha, &sf, key, e)))
        goto fail;
    if (kind == PKG_MODEL) {
        if ((r = mlp_check_params(&m->h, m->params, &why))) {
            perr_set(e, r, "model.bin: %s", why);
            goto fail;
        }
        heap_stats(&hs1);
        m->heap_bytes = hs1.in_use - hs0.in_use;
        memcpy(m->sha256, info->sha256, 65);
        *out = m;
    } else {
        for (uint32_t i = 0; i < g->count; i++) {
            const uint8_t *row = (const uint8_t *)g->rows + (size_t)i * (4 * MODEL_INPUTS + 4);
            uint32_t label = rd32(row + 4 * MODEL_INPUTS);
            bool finite = true;
            for (int k = 0; k < MODEL_INPUTS; k++)
                if (((rd32(row + 4 * k) >> 23) & 0xff) == 0xff)
                    finite = false;
            if (label >= MODEL_ACTIONS || !finite) {
                r = perr_set(e, -EINVAL, "golden.bin: row %u has a bad label or feature", i);
                goto fail;
            }
        }
        *gout = g;
    }
    return 0;
fail:
    if (m)
        model_put(m);
    if (g) {
        kfree(g->rows);
        kfree(g);
    }
    return r;
}

void golden_free(struct golden *g)
{
    if (g) {
        kfree(g->rows);
        kfree(g);
    }
}

void golden_row(const struct golden *g, uint32_t i, float x[MODEL_INPUTS], uint32_t *label)
{
    const uint8_t *row = (const uint8_t *)g->rows + (size_t)i * (4 * MODEL_INPUTS + 4);
    for (int k = 0; k < MODEL_INPUTS; k++) {
        uint32_t u = rd32(row + 4 * k);
        memcpy(&x[k], &u, 4);
    }
    *label = rd32(row + 4 * MODEL_INPUTS);
}

int model_infer(struct model *m, const float *x, struct mlp_result *r)
{
    if (m->h.input_dim != MODEL_INPUTS)
        return -EINVAL;
    model_get(m);       /* the decision holds the model until it is done */
    mlp_forward(&m->h, m->params, x, m->acts, r);
    model_put(m);
    return 0;
}

int pkg_load_dir(int kind, const char *name, struct pkg_info *info, struct model **out,
                 struct golden **gout, struct perr *e)
{
    struct msrc s[3];
    char path[96];
    const char *dir = kind == PKG_GOLDEN ? "golden" : name;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "/models/%s/%s", dir, file_names[kind - 1][i]);
        int r = msrc_file(&s[i], path);
        if (r)
            return perr_set(e, r, "%s: %s", path, vfs_strerror(r));
    }
    return pkg_load(kind, name, &s[0], &s[1], &s[2], info, out, gout, e);
}

const char *pkg_file_name(int kind, int i)
{
    return file_names[kind - 1][i];
}

#endif /* CONFIG_MODEL_LIFECYCLE */

/*
 * super.c - mount, umount, the superblock and the group descriptors.
 *
 * Mount reads the primary superblock, checks its magic, geometry and
 * checksum, refuses unknown incompat features (naming them), drops to
 * read-only on unknown ro_compat features (naming them), verifies every
 * group descriptor, then lets the journal replay whatever an unclean
 * shutdown left committed. bigalloc geometry (clusters) is understood and
 * mounted read-only (bigalloc is an unsupported ro_compat feature); a
 * filesystem without extents (ext2/ext3) is mounted read-only too, its
 * block-mapped files readable. While mounted read-write the superblock carries
 * needs_recovery (with a journal) exactly like Linux, and umount clears it
 * after the last commit.
 *
 * The in-memory copy fs->sb is authoritative; sb_write() stamps it (with
 * its checksum) into the superblock's block inside the transaction.
 */
#include "ext4_int.h"

static char mount_err[200];

/* ---- a small formatter: the kernel has printf but no vsnprintf ---- */
struct out { char *p; size_t n, len; };
static void out_c(struct out *o, char c) { if (o->len + 1 < o->n) o->p[o->len] = c; o->len++; }
static void out_num(struct out *o, unsigned long long v, unsigned base, bool neg)
{
    char tmp[24];
    int i = 0;
    if (neg) out_c(o, '-');
    do { tmp[i++] = "0123456789abcdef"[v % base]; v /= base; } while (v && i < 24);
    while (i--) out_c(o, tmp[i]);
}
void fs_vformat(char *dst, size_t n, const char *f, va_list ap)
{
    struct out o = { dst, n, 0 };
    for (; *f; f++) {
        if (*f != '%') { out_c(&o, *f); continue; }
        f++;
        int ll = 0;
        while (*f == 'l') { ll++; f++; }
        switch (*f) {
        case 's': { const char *s = va_arg(ap, const char *); if (!s) s = "(null)"; while (*s) out_c(&o, *s++); break; }
        case 'c': out_c(&o, (char)va_arg(ap, int)); break;
        case 'd': { long long v = ll ? va_arg(ap, long long) : va_arg(ap, int);
                    out_num(&o, v < 0 ? (unsigned long long)-v : (unsigned long long)v, 10, v < 0); break; }
        case 'u': out_num(&o, ll ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 10, false); break;
        case 'x': out_num(&o, ll ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 16, false); break;
        case '%': out_c(&o, '%'); break;
        default: out_c(&o, '?'); break;
        }
    }
    if (n) dst[o.len < n ? o.len : n - 1] = 0;
}

int fs_error(struct ext4_fs *fs, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fs_vformat(fs->err, sizeof(fs->err), fmt, ap);
    va_end(ap);
    return err;
}

static int mount_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fs_vformat(mount_err, sizeof(mount_err), fmt, ap);
    va_end(ap);
    printf("ext4: mount refused: %s\n", mount_err);
    return err;
}

const char *ext4_mount_error(void) { return mount_err; }
const char *ext4_last_error(const struct ext4_fs *fs) { return fs->err; }
bool ext4_is_readonly(const struct ext4_fs *fs) { return fs->readonly; }
const char *ext4_mount_note(const struct ext4_fs *fs) { return fs->note; }

const char *ext4_fs_type(const struct ext4_fs *fs)
{
    if (fs->incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG) ||
        fs->ro_compat & (RO_COMPAT_HUGE_FILE | RO_COMPAT_METADATA_CSUM | RO_COMPAT_BIGALLOC | RO_COMPAT_EXTRA_ISIZE))
        return "ext4";
    return fs->has_journal ? "ext3" : "ext2";
}

/* ---- superblock ---- */
uint64_t sb_free_blocks(struct ext4_fs *fs)
{
    uint64_t v = le32(fs->sb + SB_FREE_BLOCKS_LO);
    if (fs->is64) v |= (uint64_t)le32(fs->sb + SB_FREE_BLOCKS_HI) << 32;
    return v;
}

void sb_set_free_blocks(struct ext4_fs *fs, uint64_t v)
{
    put32(fs->sb + SB_FREE_BLOCKS_LO, (uint32_t)v);
    if (fs->is64) put32(fs->sb + SB_FREE_BLOCKS_HI, (uint32_t)(v >> 32));
    fs->sb_dirty = true;
}

void sb_csum_set(struct ext4_fs *fs, uint8_t *sb)
{
    if (fs->csum)
        put32(sb + SB_CHECKSUM, crc32c(~0u, sb, SB_CHECKSUM));
}

/* The superblock is byte 1024: block 1 with 1 KiB blocks, else block 0; the GDT follows it. */
static uint64_t sb_block(struct ext4_fs *fs) { return fs->bs == 1024 ? 1 : 0; }
static uint32_t sb_offset(struct ext4_fs *fs) { return fs->bs == 1024 ? 0 : 1024; }

int sb_write(struct ext4_fs *fs)
{
    int err;
    struct buf *b = bread(fs, sb_block(fs), &err);
    if (!b) return err;
    err = bdirty(fs, b);
    if (!err) {
        put32(fs->sb + SB_WTIME, (uint32_t)rtc_seconds());
        sb_csum_set(fs, fs->sb);
        memcpy(b->data + sb_offset(fs), fs->sb, 1024);
    }
    brelse(fs, b);
    if (!err) fs->sb_dirty = false;
    return err;
}

/* Write the superblock straight to disk (mount/umount, outside any tx). */
static int sb_write_direct(struct ext4_fs *fs)
{
    uint8_t *blk = kmalloc(fs->bs);
    if (!blk) return -ENOMEM;
    int r = dev_read_blocks(fs, sb_block(fs), 1, blk);
    if (!r) {
        put32(fs->sb + SB_WTIME, (uint32_t)rtc_seconds());
        sb_csum_set(fs, fs->sb);
        memcpy(blk + sb_offset(fs), fs->sb, 1024);
        r = dev_write_blocks(fs, sb_block(fs), 1, blk);
    }
    /* the cached copy, if any, is now stale */
    bforget(fs, sb_block(fs));
    kfree(blk);
    if (!r) r = dev_flush(fs);
    return r;
}

static bool is_power(uint32_t g, uint32_t base)
{
    uint64_t p = base;
    while (p < g) p *= base;
    return p == g;
}

bool group_has_super(struct ext4_fs *fs, uint32_t g)
{
    if (g <= 1 || !(fs->ro_compat & RO_COMPAT_SPARSE_SUPER)) return true;
    return is_power(g, 3) || is_power(g, 5) || is_power(g, 7);
}

uint32_t group_overhead_blocks(struct ext4_fs *fs, uint32_t g)
{
    if (!group_has_super(fs, g)) return 0;
    return 1 + fs->gdt_blocks + le16(fs->sb + SB_RESERVED_GDT);
}

uint64_t group_first_block(struct ext4_fs *fs, uint32_t g)
{
    return fs->first_data_block + (uint64_t)g * fs->bpg;
}

uint32_t group_nblocks(struct ext4_fs *fs, uint32_t g)
{
    if (g + 1 < fs->ngroups) return fs->bpg;
    return (uint32_t)(fs->blocks_count - group_first_block(fs, g));
}

bool fs_block_valid(struct ext4_fs *fs, uint64_t blk, uint64_t n)
{
    /* never inside the primary superblock/GDT area */
    uint64_t meta_end = sb_block(fs) + 1 + fs->gdt_blocks;
    return n && blk >= meta_end && blk + n <= fs->blocks_count && blk + n > blk;
}

/* ---- group descriptors ---- */
static uint64_t gd_lohi(struct ext4_fs *fs, const uint8_t *gd, int lo, int hi)
{
    uint64_t v = le32(gd + lo);
    if (fs->desc_size >= 64) v |= (uint64_t)le32(gd + hi) << 32;
    return v;
}
static uint32_t gd_lohi16(struct ext4_fs *fs, const uint8_t *gd, int lo, int hi)
{
    uint32_t v = le16(gd + lo);
    if (fs->desc_size >= 64) v |= (uint32_t)le16(gd + hi) << 16;
    return v;
}
static void gd_put16(struct ext4_fs *fs, uint8_t *gd, int lo, int hi, uint32_t v)
{
    put16(gd + lo, v & 0xFFFF);
    if (fs->desc_size >= 64) put16(gd + hi, v >> 16);
}
uint64_t gd_block_bitmap(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi(fs, gd, GD_BLOCK_BITMAP_LO, GD_BLOCK_BITMAP_HI); }
uint64_t gd_inode_bitmap(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi(fs, gd, GD_INODE_BITMAP_LO, GD_INODE_BITMAP_HI); }
uint64_t gd_inode_table(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi(fs, gd, GD_INODE_TABLE_LO, GD_INODE_TABLE_HI); }
uint32_t gd_free_blocks(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi16(fs, gd, GD_FREE_BLOCKS_LO, GD_FREE_BLOCKS_HI); }
uint32_t gd_free_inodes(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi16(fs, gd, GD_FREE_INODES_LO, GD_FREE_INODES_HI); }
uint32_t gd_used_dirs(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi16(fs, gd, GD_USED_DIRS_LO, GD_USED_DIRS_HI); }
uint32_t gd_itable_unused(struct ext4_fs *fs, const uint8_t *gd) { return gd_lohi16(fs, gd, GD_ITABLE_UNUSED_LO, GD_ITABLE_UNUSED_HI); }
void gd_set_free_blocks(struct ext4_fs *fs, uint8_t *gd, uint32_t v) { gd_put16(fs, gd, GD_FREE_BLOCKS_LO, GD_FREE_BLOCKS_HI, v); }
void gd_set_free_inodes(struct ext4_fs *fs, uint8_t *gd, uint32_t v) { gd_put16(fs, gd, GD_FREE_INODES_LO, GD_FREE_INODES_HI, v); }
void gd_set_used_dirs(struct ext4_fs *fs, uint8_t *gd, uint32_t v) { gd_put16(fs, gd, GD_USED_DIRS_LO, GD_USED_DIRS_HI, v); }
void gd_set_itable_unused(struct ext4_fs *fs, uint8_t *gd, uint32_t v) { gd_put16(fs, gd, GD_ITABLE_UNUSED_LO, GD_ITABLE_UNUSED_HI, v); }

static uint16_t gd_csum(struct ext4_fs *fs, uint32_t g, const uint8_t *gd)
{
    uint8_t le[4], zero[2] = { 0, 0 };
    put32(le, g);
    uint32_t c = crc32c(fs->csum_seed, le, 4);
    c = crc32c(c, gd, GD_CHECKSUM);
    c = crc32c(c, zero, 2);
    if (fs->desc_size > GD_CHECKSUM + 2)
        c = crc32c(c, gd + GD_CHECKSUM + 2, fs->desc_size - GD_CHECKSUM - 2);
    return (uint16_t)(c & 0xFFFF);
}

void gd_csum_set(struct ext4_fs *fs, uint32_t g, uint8_t *gd)
{
    if (fs->csum) put16(gd + GD_CHECKSUM, gd_csum(fs, g, gd));
}

bool gd_csum_ok(struct ext4_fs *fs, uint32_t g, const uint8_t *gd)
{
    return !fs->csum || le16(gd + GD_CHECKSUM) == gd_csum(fs, g, gd);
}

struct buf *gd_get(struct ext4_fs *fs, uint32_t g, uint8_t **gd, int *err)
{
    uint64_t byte = (uint64_t)g * fs->desc_size;
    struct buf *b = bread(fs, sb_block(fs) + 1 + byte / fs->bs, err);
    if (!b) return NULL;
    *gd = b->data + byte % fs->bs;
    return b;
}

/* ---- feature names for messages ---- */
struct fname { uint32_t bit; const char *name; };
static const struct fname incompat_names[] = {
    { 0x1, "compression" }, { INCOMPAT_JOURNAL_DEV, "journal_dev" }, { INCOMPAT_META_BG, "meta_bg" },
    { INCOMPAT_MMP, "mmp" }, { INCOMPAT_EA_INODE, "ea_inode" }, { INCOMPAT_DIRDATA, "dirdata" },
    { INCOMPAT_INLINE_DATA, "inline_data" }, { INCOMPAT_ENCRYPT, "encrypt" }, { INCOMPAT_CASEFOLD, "casefold" },
    { 0, NULL } };
static const struct fname ro_names[] = {
    { RO_COMPAT_BTREE_DIR, "btree_dir" }, { RO_COMPAT_GDT_CSUM, "uninit_bg" }, { 0x80, "snapshot" },
    { RO_COMPAT_QUOTA, "quota" }, { RO_COMPAT_BIGALLOC, "bigalloc" }, { 0x800, "replica" },
    { RO_COMPAT_READONLY, "read-only" }, { RO_COMPAT_PROJECT, "project" }, { 0x4000, "shared_blocks" },
    { RO_COMPAT_VERITY, "verity" }, { RO_COMPAT_ORPHAN_PRESENT, "orphan_present" }, { 0, NULL } };

static void feature_list(char *dst, size_t n, uint32_t bits, const struct fname *names)
{
    size_t len = 0;
    dst[0] = 0;
    for (int i = 0; i < 32; i++) {
        uint32_t bit = 1u << i;
        if (!(bits & bit)) continue;
        const char *nm = NULL;
        for (const struct fname *f = names; f->name; f++) if (f->bit == bit) nm = f->name;
        char tmp[40];
        if (nm) { size_t k = strlen(nm); if (k > 39) k = 39; memcpy(tmp, nm, k); tmp[k] = 0; }
        else { /* FEATURE_0xNNN */
            static const char hex[] = "0123456789abcdef";
            memcpy(tmp, "0x", 2); int p = 2;
            for (int s = 28; s >= 0; s -= 4) if ((bit >> s) || s == 0) tmp[p++] = hex[(bit >> s) & 15];
            tmp[p] = 0;
        }
        size_t k = strlen(tmp);
        if (len + k + 2 >= n) break;
        if (len) dst[len++] = ' ';
        memcpy(dst + len, tmp, k);
        len += k;
        dst[len] = 0;
    }
}

/* Parse fs->sb into geometry; refuse what we cannot handle. */
static int parse_super(struct ext4_fs *fs)
{
    uint8_t *sb = fs->sb;
    if (le16(sb + SB_MAGIC) != EXT4_MAGIC)
        return mount_fail(-EINVAL, "no ext4 superblock (magic 0x%x)", le16(sb + SB_MAGIC));
    fs->ro_compat = le32(sb + SB_FEATURE_RO_COMPAT);
    fs->incompat = le32(sb + SB_FEATURE_INCOMPAT);
    fs->compat = le32(sb + SB_FEATURE_COMPAT);
    fs->csum = fs->ro_compat & RO_COMPAT_METADATA_CSUM;
    if (fs->csum && sb[SB_CHECKSUM_TYPE] != 1)
        return mount_fail(-EUCLEAN, "unknown metadata checksum type %u", sb[SB_CHECKSUM_TYPE]);
    if (fs->csum && le32(sb + SB_CHECKSUM) != crc32c(~0u, sb, SB_CHECKSUM))
        return mount_fail(-EUCLEAN, "superblock checksum mismatch");
    if (fs->incompat & ~INCOMPAT_SUPPORTED) {
        char names[120];
        feature_list(names, sizeof(names), fs->incompat & ~INCOMPAT_SUPPORTED, incompat_names);
        return mount_fail(-EOPNOTSUPP, "unsupported incompat features: %s", names);
    }
    if (le32(sb + SB_REV_LEVEL) < 1)
        return mount_fail(-EOPNOTSUPP, "revision 0 filesystems are not supported");
    uint32_t log = le32(sb + SB_LOG_BLOCK_SIZE);
    if (log > 6)
        return mount_fail(-EUCLEAN, "bad block size (log %u)", log);
    fs->log_bs = 10 + log;
    fs->bs = 1u << fs->log_bs;
    fs->spb = fs->bs / 512;
    fs->is64 = fs->incompat & INCOMPAT_64BIT;
    fs->blocks_count = le32(sb + SB_BLOCKS_LO);
    if (fs->is64) fs->blocks_count |= (uint64_t)le32(sb + SB_BLOCKS_HI) << 32;
    fs->inodes_count = le32(sb + SB_INODES_COUNT);
    fs->bpg = le32(sb + SB_BLOCKS_PER_GROUP);
    fs->ipg = le32(sb + SB_INODES_PER_GROUP);
    fs->first_data_block = le32(sb + SB_FIRST_DATA_BLOCK);
    fs->inode_size = le16(sb + SB_INODE_SIZE);
    fs->first_ino = le32(sb + SB_FIRST_INO);
    fs->desc_size = fs->is64 ? le16(sb + SB_DESC_SIZE) : 32;
    /*
     * bigalloc allocates in clusters of 2^n blocks: the bitmaps count
     * clusters (s_clusters_per_group of them), a group spans that many
     * clusters' blocks, and the first data block is 0 even with 1 KiB
     * blocks. We read such filesystems (read-only: see ext4_mount).
     */
    bool bigalloc = fs->ro_compat & RO_COMPAT_BIGALLOC;
    uint32_t logc = le32(sb + SB_LOG_CLUSTER_SIZE);
    if (bigalloc ? (logc < log || logc - log > 16) : logc != log)
        return mount_fail(-EUCLEAN, "bad cluster size (log %u, block size log %u)", logc, log);
    uint32_t expect_fdb = (fs->bs == 1024 && !bigalloc) ? 1u : 0u;
    if (fs->first_data_block != expect_fdb)
        return mount_fail(-EUCLEAN, "bad first data block %u", fs->first_data_block);
    uint32_t cpg = bigalloc ? le32(sb + SB_CLUSTERS_PER_GROUP) : fs->bpg;
    if (cpg == 0 || cpg > 8 * fs->bs || cpg % 8 || (uint64_t)cpg << (logc - log) != fs->bpg)
        return mount_fail(-EUCLEAN, "bad blocks per group %u", fs->bpg);
    if (fs->ipg == 0 || fs->ipg > 8 * fs->bs || fs->ipg % 8)
        return mount_fail(-EUCLEAN, "bad inodes per group %u", fs->ipg);
    if (fs->inode_size < 128 || fs->inode_size > fs->bs || fs->inode_size > MAX_INODE_SIZE ||
        (fs->inode_size & (fs->inode_size - 1)))
        return mount_fail(-EUCLEAN, "bad inode size %u", fs->inode_size);
    if (fs->desc_size < 32 || fs->desc_size > 1024 || (fs->desc_size & (fs->desc_size - 1)) ||
        (fs->is64 && fs->desc_size < 64))
        return mount_fail(-EUCLEAN, "bad group descriptor size %u", fs->desc_size);
    if (fs->blocks_count <= fs->first_data_block + 2)
        return mount_fail(-EUCLEAN, "bad block count %llu", (unsigned long long)fs->blocks_count);
    if (fs->blocks_count * fs->spb > fs->dev->nsectors || fs->blocks_count * fs->spb / fs->spb != fs->blocks_count)
        return mount_fail(-EUCLEAN, "filesystem (%llu blocks) larger than the device",
                          (unsigned long long)fs->blocks_count);
    uint64_t ng = (fs->blocks_count - fs->first_data_block + fs->bpg - 1) / fs->bpg;
    if (ng == 0 || ng > 0xFFFFFFu || ng * fs->ipg != fs->inodes_count)
        return mount_fail(-EUCLEAN, "inode count %u does not match %llu groups of %u",
                          fs->inodes_count, (unsigned long long)ng, fs->ipg);
    fs->ngroups = (uint32_t)ng;
    fs->gdt_blocks = (uint32_t)((ng * fs->desc_size + fs->bs - 1) / fs->bs);
    fs->itb_per_group = (fs->ipg * fs->inode_size + fs->bs - 1) / fs->bs;
    if (fs->first_ino < 11 || fs->first_ino >= fs->inodes_count)
        return mount_fail(-EUCLEAN, "bad first inode %u", fs->first_ino);
    if (sb_block(fs) + 1 + fs->gdt_blocks + le16(sb + SB_RESERVED_GDT) >= fs->blocks_count)
        return mount_fail(-EUCLEAN, "group descriptor table larger than the filesystem");
    if (fs->incompat & INCOMPAT_CSUM_SEED)
        fs->csum_seed = le32(sb + SB_CHECKSUM_SEED);
    else
        fs->csum_seed = crc32c(~0u, sb + SB_UUID, 16);
    fs->has_journal = fs->compat & COMPAT_HAS_JOURNAL;
    return 0;
}

/* Append "read-only: A B" (first) or "; A B" to the mount note. */
static void note_add(struct ext4_fs *fs, const char *a, const char *b)
{
    const char *parts[3] = { fs->note[0] ? "; " : "read-only: ", a, b };
    size_t len = strlen(fs->note);
    for (int i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p && len + 1 < sizeof(fs->note); p++) fs->note[len++] = *p;
    fs->note[len] = 0;
}

static int check_groups(struct ext4_fs *fs)
{
    for (uint32_t g = 0; g < fs->ngroups; g++) {
        uint8_t *gd;
        int err;
        struct buf *b = gd_get(fs, g, &gd, &err);
        if (!b) return mount_fail(err, "cannot read group descriptor %u: %s", g, fs->err);
        int bad = 0;
        if (!gd_csum_ok(fs, g, gd)) bad = 1;
        else if (!fs_block_valid(fs, gd_block_bitmap(fs, gd), 1)) bad = 2;
        else if (!fs_block_valid(fs, gd_inode_bitmap(fs, gd), 1)) bad = 3;
        else if (!fs_block_valid(fs, gd_inode_table(fs, gd), fs->itb_per_group)) bad = 4;
        else if (gd_free_blocks(fs, gd) > group_nblocks(fs, g) || gd_free_inodes(fs, gd) > fs->ipg ||
                 gd_itable_unused(fs, gd) > fs->ipg) bad = 5;
        brelse(fs, b);
        static const char *why[] = { "", "checksum mismatch", "block bitmap outside the filesystem",
            "inode bitmap outside the filesystem", "inode table outside the filesystem", "counts out of range" };
        if (bad) return mount_fail(-EUCLEAN, "group descriptor %u: %s", g, why[bad]);
    }
    return 0;
}

static int read_super(struct ext4_fs *fs)
{
    uint8_t tmp[1024];
    if (fs->dev->nsectors < 4)
        return mount_fail(-EINVAL, "device too small");
    int r = fs->dev->read(fs->dev, 2, 2, tmp);
    if (r < 0) return mount_fail(r, "cannot read the superblock");
    memcpy(fs->sb, tmp, 1024);
    return parse_super(fs);
}

int ext4_mount(struct blockdev *dev, unsigned flags, struct ext4_fs **out)
{
    struct ext4_fs *fs = kmalloc(sizeof(*fs));
    if (!fs) return -ENOMEM;
    memset(fs, 0, sizeof(*fs));
    fs->dev = dev;
    fs->mount_flags = flags;
    mount_err[0] = 0;
    int r = read_super(fs);
    if (!r) r = bcache_init(fs, 512);
    if (!r) r = check_groups(fs);
    if (r) goto fail;
    fs->readonly = (flags & EXT4_MOUNT_RDONLY) || dev->readonly;
    if (fs->ro_compat & ~RO_COMPAT_SUPPORTED) {
        char names[100];
        feature_list(names, sizeof(names), fs->ro_compat & ~RO_COMPAT_SUPPORTED, ro_names);
        note_add(fs, "unsupported ro_compat features: ", names);
    }
    if (!(fs->incompat & INCOMPAT_EXTENTS))
        note_add(fs, "no extent feature: block-mapped files are read, not written", "");
    if (fs->note[0]) {
        printf("ext4: mounted %s\n", fs->note);
        fs->readonly = true;
    }
    if (fs->has_journal) {
        r = journal_load(fs);
        if (r == 1) {
            /* replay rewrote metadata: start over from the new superblock */
            bcache_destroy(fs);
            r = read_super(fs);
            if (!r) r = bcache_init(fs, 512);
            if (!r) r = check_groups(fs);
            if (!r && (r = journal_load(fs)) == 1)
                r = mount_fail(-EUCLEAN, "journal still needs recovery after replay");
        }
        if (r < 0) {
            if (!mount_err[0]) mount_fail(r, "journal: %s", fs->err);
            goto fail;
        }
    } else if (le32(fs->sb + SB_FEATURE_INCOMPAT) & INCOMPAT_RECOVER) {
        r = mount_fail(-EUCLEAN, "needs_recovery set without a journal");
        goto fail;
    }
    if (!fs->readonly) {
        if (fs->has_journal)
            put32(fs->sb + SB_FEATURE_INCOMPAT, le32(fs->sb + SB_FEATURE_INCOMPAT) | INCOMPAT_RECOVER);
        else
            put16(fs->sb + SB_STATE, le16(fs->sb + SB_STATE) & ~EXT4_STATE_VALID);
        put16(fs->sb + SB_MNT_COUNT, le16(fs->sb + SB_MNT_COUNT) + 1);
        put32(fs->sb + SB_MTIME, (uint32_t)rtc_seconds());
        r = sb_write_direct(fs);
        if (r) { mount_fail(r, "cannot write the superblock: %s", fs->err); goto fail; }
    }
    *out = fs;
    return 0;
fail:
    journal_free(fs);
    bcache_destroy(fs);
    kfree(fs);
    return r;
}

int ext4_umount(struct ext4_fs *fs)
{
    int r = 0;
    if (!fs->readonly) {
        r = journal_commit(fs);
        if (!r) {
            if (fs->has_journal)
                put32(fs->sb + SB_FEATURE_INCOMPAT, le32(fs->sb + SB_FEATURE_INCOMPAT) & ~INCOMPAT_RECOVER);
            else
                put16(fs->sb + SB_STATE, le16(fs->sb + SB_STATE) | EXT4_STATE_VALID);
            r = sb_write_direct(fs);
        }
    }
    journal_free(fs);
    bcache_destroy(fs);
    kfree(fs);
    return r;
}

void ext4_abort(struct ext4_fs *fs)
{
    journal_free(fs);
    bcache_destroy(fs);
    kfree(fs);
}

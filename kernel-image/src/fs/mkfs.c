/*
 * mkfs.c - format a block device as ext4, the way mke2fs 1.47 would.
 *
 * Features: has_journal ext_attr dir_index filetype extent 64bit flex_bg
 * sparse_super large_file huge_file dir_nlink extra_isize metadata_csum -
 * mke2fs's ext4 defaults without resize_inode (no reserved GDT blocks:
 * the disk cannot be grown online) and without orphan_file.
 * 1 KiB blocks below 512 MiB, 4 KiB above; 256-byte inodes; one inode per
 * 4 KiB (1 KiB blocks) or 16 KiB; journal size from mke2fs's table.
 *
 * Layout: superblock and GDT at the start of group 0 (backups in groups
 * 1 and powers of 3, 5, 7), then - flex_bg style, packed from group 0 on
 * and stepping over backup areas - every block bitmap, every inode
 * bitmap, every inode table, the root and lost+found blocks, and the
 * journal as one contiguous run. So the used blocks are exactly
 * [0, cursor) plus the backup areas, which makes the bitmaps simple.
 * Inode tables are not zeroed: each group's bg_itable_unused says no
 * inode there was ever used (only group 0's first table block is
 * written), as mke2fs's lazy_itable_init does. Groups that hold nothing
 * but a backup area are BLOCK_UNINIT and INODE_UNINIT (the checksummed
 * descriptors let the kernel and e2fsck rebuild their bitmaps), so the
 * writes grow with the metadata (and the journal), not with the disk:
 * 1 TiB takes 138 MiB of writes. A progress callback reports them.
 */
#include "ext4_int.h"

static char mkfs_err[160];
const char *ext4_mkfs_error(void) { return mkfs_err; }

static int mkfs_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fs_vformat(mkfs_err, sizeof(mkfs_err), fmt, ap);
    va_end(ap);
    return err;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}
static void rnd_bytes(uint8_t *p, int n) { for (int i = 0; i < n; i++) p[i] = (uint8_t)(rng() >> 24); }

static uint32_t default_journal(uint64_t blocks)
{
    if (blocks < 32768) return 1024;
    if (blocks < 256 * 1024) return 4096;
    if (blocks < 512 * 1024) return 8192;
    if (blocks < 4096 * 1024) return 16384;
    return 32768;
}

/* The backup area [first, first+len) of group g, len 0 if none. */
static uint32_t backup_len(struct ext4_fs *fs, uint32_t g) { return group_overhead_blocks(fs, g); }

/* Move the cursor past any backup area that [c, c+n) would overlap. */
static uint64_t place(struct ext4_fs *fs, uint64_t c, uint64_t n)
{
    for (int guard = 0; guard < 1000000; guard++) {
        bool moved = false;
        uint32_t g0 = (uint32_t)((c - fs->first_data_block) / fs->bpg);
        uint32_t g1 = (uint32_t)((c + n - 1 - fs->first_data_block) / fs->bpg);
        for (uint32_t g = g0; g <= g1 && g < fs->ngroups; g++) {
            uint64_t s = group_first_block(fs, g), l = backup_len(fs, g);
            if (l && c < s + l && c + n > s) { c = s + l; moved = true; break; }
        }
        if (!moved) return c;
    }
    return c;
}

/* The runs handed out by take(), so the bitmaps can mark exactly them. */
#define MAX_RUNS 32
struct runs { uint64_t start[MAX_RUNS], len[MAX_RUNS]; int n; bool overflow; };
static uint64_t take(struct ext4_fs *fs, struct runs *r, uint64_t *cur, uint64_t n)
{
    uint64_t s = r->n ? place(fs, *cur, n) : *cur;   /* the first run is the primary sb+GDT */
    if (r->n == MAX_RUNS) { r->overflow = true; return s; }
    if (r->n > 0 && r->start[r->n - 1] + r->len[r->n - 1] == s) r->len[r->n - 1] += n;
    else { r->start[r->n] = s; r->len[r->n] = n; r->n++; }
    *cur = s + n;
    return s;
}

static int wr(struct ext4_fs *fs, uint64_t blk, const void *buf) { return dev_write_blocks(fs, blk, 1, buf); }

#define ZERO_CHUNK 64u    /* journal blocks zeroed per device request */

/* Set bits [from, to) of a bitmap. */
static void set_bits(uint8_t *m, uint32_t from, uint32_t to)
{
    while (from < to && (from & 7)) { m[from >> 3] |= (uint8_t)(1u << (from & 7)); from++; }
    if (to - from >= 8 && from < to) { memset(m + (from >> 3), 0xFF, (to - from) >> 3); from += (to - from) & ~7u; }
    while (from < to) { m[from >> 3] |= (uint8_t)(1u << (from & 7)); from++; }
}

static uint32_t count_bits(const uint8_t *m, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += (m[i >> 3] >> (i & 7)) & 1;
    return c;
}

/* Does group g hold anything but its backup area (or is it the first or last)? */
static bool group_live(struct ext4_fs *fs, const struct runs *r, uint32_t g)
{
    if (g == 0 || g + 1 == fs->ngroups) return true;
    uint64_t first = group_first_block(fs, g), end = first + group_nblocks(fs, g);
    for (int i = 0; i < r->n; i++)
        if (r->start[i] < end && r->start[i] + r->len[i] > first) return true;
    return false;
}

/* Progress reports: at most every 1/64 of the work (the caller decides what to show). */
struct progress { void (*fn)(void *, uint64_t, uint64_t); void *arg; uint64_t total, last; uint32_t bs; };
static void progress(struct progress *p, uint64_t done)
{
    if (!p->fn || (done < p->total && done - p->last < p->total / 64 + 1)) return;
    p->last = done;
    p->fn(p->arg, done * p->bs, p->total * p->bs);
}

int ext4_mkfs(struct blockdev *dev, const struct ext4_mkfs_opts *opts)
{
    struct ext4_mkfs_opts o;
    memset(&o, 0, sizeof(o));
    if (opts) o = *opts;
    mkfs_err[0] = 0;
    if (dev->readonly) return mkfs_fail(-EROFS, "the disk is read-only");
    uint64_t bytes = dev->nsectors * 512;
    uint32_t bs = o.block_size ? o.block_size : (bytes < (512ull << 20) ? 1024 : 4096);
    if (bs != 1024 && bs != 2048 && bs != 4096) return mkfs_fail(-EINVAL, "bad block size %u", bs);
    struct ext4_fs *fs = kmalloc(sizeof(*fs));
    if (!fs) return -ENOMEM;
    memset(fs, 0, sizeof(*fs));
    fs->dev = dev;
    fs->bs = bs;
    fs->log_bs = bs == 1024 ? 10 : bs == 2048 ? 11 : 12;
    fs->spb = bs / 512;
    fs->first_data_block = bs == 1024 ? 1 : 0;
    fs->bpg = 8 * bs;
    fs->inode_size = 256;
    fs->desc_size = 64;
    fs->is64 = true;
    fs->csum = true;
    fs->ro_compat = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_HUGE_FILE |
                    RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM;
    fs->incompat = INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG;
    fs->compat = COMPAT_HAS_JOURNAL | COMPAT_EXT_ATTR | COMPAT_DIR_INDEX;
    fs->first_ino = 11;
    uint64_t blocks = bytes / bs;
    int err = 0;
    uint8_t *b = NULL;
    mkfs_err[0] = 0;
    /* the smallest journal (1024 blocks) may take at most a quarter of the disk */
    uint64_t min_blocks = 4 * (o.journal_blocks > 1024 ? o.journal_blocks : 1024);
    if (blocks < min_blocks) {
        err = mkfs_fail(-EINVAL, "the disk is %llu KiB, ext4 needs at least %llu KiB",
                        (unsigned long long)(bytes >> 10), (unsigned long long)(min_blocks * bs >> 10));
        goto out;
    }
    if (blocks > 0xFFFFFFFFull) {
        err = mkfs_fail(-EINVAL, "the disk is %llu GiB, ext4 with %u-byte blocks allows at most %llu GiB",
                        (unsigned long long)(bytes >> 30), bs, (unsigned long long)((0xFFFFFFFFull * bs) >> 30));
        goto out;
    }
    uint64_t ng = (blocks - fs->first_data_block + fs->bpg - 1) / fs->bpg;
    /* a runt last group is not worth its metadata (mke2fs does the same) */
    uint64_t last = blocks - fs->first_data_block - (ng - 1) * fs->bpg;
    if (ng > 1 && last < 256) { ng--; blocks = fs->first_data_block + ng * fs->bpg; }
    fs->blocks_count = blocks;
    fs->ngroups = (uint32_t)ng;
    uint32_t ratio = o.inode_ratio ? o.inode_ratio : (bs == 1024 ? 4096 : 16384);
    uint64_t inodes = bytes / ratio;
    uint32_t per_block = bs / fs->inode_size;
    uint64_t ipg = (inodes + ng - 1) / ng;
    if (ipg < 16) ipg = 16;
    ipg = (ipg + per_block - 1) / per_block * per_block;
    ipg = (ipg + 7) / 8 * 8;
    if (ipg > fs->bpg) ipg = fs->bpg;
    fs->ipg = (uint32_t)ipg;
    fs->inodes_count = (uint32_t)(ipg * ng);
    fs->gdt_blocks = (uint32_t)((ng * fs->desc_size + bs - 1) / bs);
    fs->itb_per_group = fs->ipg * fs->inode_size / bs;
    uint32_t jblocks = o.journal_blocks ? o.journal_blocks : default_journal(blocks);
    if (jblocks < 1024 || jblocks > 32768 || jblocks > blocks / 4) {
        err = mkfs_fail(-EINVAL, "bad journal size %u blocks (1024 to 32768, at most a quarter of the disk)", jblocks);
        goto out;
    }

    rng_state = rtc_seconds() * 0x9E3779B97F4A7C15ull ^ o.seed ^ (dev->nsectors << 7) ^ 0x5151ABCDull;
    if (!rng_state) rng_state = 1;
    uint8_t *sb = fs->sb;
    rnd_bytes(sb + SB_UUID, 16);
    sb[SB_UUID + 6] = (uint8_t)((sb[SB_UUID + 6] & 0x0F) | 0x40);
    sb[SB_UUID + 8] = (uint8_t)((sb[SB_UUID + 8] & 0x3F) | 0x80);
    fs->csum_seed = crc32c(~0u, sb + SB_UUID, 16);

    /* ---- placement ---- */
    struct runs runs;
    memset(&runs, 0, sizeof(runs));
    uint64_t cur = 0;
    take(fs, &runs, &cur, fs->first_data_block + 1 + fs->gdt_blocks);
    uint64_t bb0 = take(fs, &runs, &cur, ng);            /* block bitmaps */
    uint64_t ib0 = take(fs, &runs, &cur, ng);            /* inode bitmaps */
    uint64_t *itab = kmalloc(ng * sizeof(uint64_t));
    if (!itab) { err = mkfs_fail(-ENOMEM, "no memory for %llu group entries", (unsigned long long)ng); goto out; }
    /* the tables as one run (stepping over backups as one block would not) */
    uint64_t it0 = take(fs, &runs, &cur, (uint64_t)fs->itb_per_group * ng);
    for (uint32_t g = 0; g < ng; g++) itab[g] = it0 + (uint64_t)g * fs->itb_per_group;
    uint64_t root_blk = take(fs, &runs, &cur, 1);
    uint64_t lf_blk = take(fs, &runs, &cur, 1);
    uint64_t jstart = take(fs, &runs, &cur, jblocks);
    if (cur + 64 > blocks || runs.overflow) {
        kfree(itab);
        err = mkfs_fail(-ENOSPC, "the metadata (%llu blocks) does not fit on the disk", (unsigned long long)cur);
        goto out;
    }

    b = kmalloc(bs);
    if (!b) { kfree(itab); err = -ENOMEM; goto out; }

    /* ---- superblock ---- */
    uint32_t now = (uint32_t)rtc_seconds();
    put32(sb + SB_INODES_COUNT, fs->inodes_count);
    put32(sb + SB_BLOCKS_LO, (uint32_t)blocks);
    put32(sb + SB_BLOCKS_HI, (uint32_t)(blocks >> 32));
    put32(sb + SB_R_BLOCKS_LO, (uint32_t)(blocks / 20));
    put32(sb + SB_FIRST_DATA_BLOCK, fs->first_data_block);
    put32(sb + SB_LOG_BLOCK_SIZE, fs->log_bs - 10);
    put32(sb + SB_LOG_CLUSTER_SIZE, fs->log_bs - 10);
    put32(sb + SB_BLOCKS_PER_GROUP, fs->bpg);
    put32(sb + SB_CLUSTERS_PER_GROUP, fs->bpg);
    put32(sb + SB_INODES_PER_GROUP, fs->ipg);
    put32(sb + SB_WTIME, now);
    put16(sb + SB_MAX_MNT_COUNT, 0xFFFF);
    put16(sb + SB_MAGIC, EXT4_MAGIC);
    put16(sb + SB_STATE, EXT4_STATE_VALID);
    put16(sb + SB_ERRORS, 1);
    put32(sb + SB_LASTCHECK, now);
    put32(sb + SB_REV_LEVEL, 1);
    put32(sb + SB_FIRST_INO, fs->first_ino);
    put16(sb + SB_INODE_SIZE, fs->inode_size);
    put32(sb + SB_FEATURE_COMPAT, fs->compat);
    put32(sb + SB_FEATURE_INCOMPAT, fs->incompat);
    put32(sb + SB_FEATURE_RO_COMPAT, fs->ro_compat);
    if (o.label) {
        size_t l = strlen(o.label);
        memcpy(sb + SB_VOLUME_NAME, o.label, l > 16 ? 16 : l);
    }
    put32(sb + SB_JOURNAL_INUM, JOURNAL_INO);
    rnd_bytes(sb + SB_HASH_SEED, 16);
    sb[SB_DEF_HASH_VERSION] = 1;            /* half_md4 */
    sb[SB_JNL_BACKUP_TYPE] = 1;             /* s_jnl_blocks holds the journal inode's blocks */
    put16(sb + SB_DESC_SIZE, fs->desc_size);
    put32(sb + SB_DEFAULT_MOUNT_OPTS, 0x0C); /* user_xattr acl, as mke2fs */
    put32(sb + SB_MKFS_TIME, now);
    put16(sb + SB_MIN_EXTRA_ISIZE, 32);
    put16(sb + SB_WANT_EXTRA_ISIZE, 32);
    put32(sb + SB_FLAGS, 2);                /* unsigned directory hash (aarch64 char) */
    sb[SB_LOG_GROUPS_PER_FLEX] = 4;
    sb[SB_CHECKSUM_TYPE] = 1;

    /* ---- group descriptors and bitmaps ---- */
    /*
     * Only groups holding something besides their backup area get real
     * bitmaps: the others are BLOCK_UNINIT / INODE_UNINIT (with
     * metadata_csum the kernel and e2fsck rebuild those bitmaps from the
     * descriptors), so the work grows with the metadata, not the disk.
     * mke2fs leaves the last group initialised, and so do we.
     */
    uint64_t free_total = 0;
    uint8_t *gdt = kmalloc((size_t)fs->gdt_blocks * bs);
    if (!gdt) {
        kfree(itab);
        err = mkfs_fail(-ENOMEM, "no memory for the group descriptor table (%u KiB)", fs->gdt_blocks * (bs >> 10));
        goto out;
    }
    memset(gdt, 0, (size_t)fs->gdt_blocks * bs);
    uint64_t total_w = 0, done_w = 0;
    for (uint32_t g = 0; g < ng; g++) total_w += group_live(fs, &runs, g) ? 1 : 0;
    uint32_t itb0 = (fs->first_ino * fs->inode_size + bs - 1) / bs;
    for (uint32_t g = 0; g < ng; g++)
        if (group_has_super(fs, g)) total_w += 1 + fs->gdt_blocks;
    total_w += 1 + itb0 + 2 + jblocks;
    struct progress pr = { o.progress, o.progress_arg, total_w, 0, bs };
    for (uint32_t g = 0; g < ng && !err; g++) {
        uint64_t first = group_first_block(fs, g);
        uint32_t n = group_nblocks(fs, g), used = 0;
        uint8_t *gd = gdt + (size_t)g * fs->desc_size;
        uint16_t flags = 0;
        if (group_live(fs, &runs, g)) {
            memset(b, 0, bs);
            set_bits(b, 0, backup_len(fs, g));
            for (int r = 0; r < runs.n; r++) {
                uint64_t s = runs.start[r], e = s + runs.len[r];
                if (s < first) s = first;
                if (e > first + n) e = first + n;
                if (s < e) set_bits(b, (uint32_t)(s - first), (uint32_t)(e - first));
            }
            used = count_bits(b, n);
            set_bits(b, n, 8 * bs);
            uint32_t c = crc32c(fs->csum_seed, b, fs->bpg / 8);
            put16(gd + GD_BLOCK_BITMAP_CSUM_LO, c & 0xFFFF);
            put16(gd + GD_BLOCK_BITMAP_CSUM_HI, c >> 16);
            err = wr(fs, bb0 + g, b);
            done_w++;
        } else {
            flags |= BG_BLOCK_UNINIT;
            used = backup_len(fs, g);
        }
        free_total += n - used;
        put32(gd + GD_BLOCK_BITMAP_LO, (uint32_t)(bb0 + g)); put32(gd + GD_BLOCK_BITMAP_HI, (uint32_t)((bb0 + g) >> 32));
        put32(gd + GD_INODE_BITMAP_LO, (uint32_t)(ib0 + g)); put32(gd + GD_INODE_BITMAP_HI, (uint32_t)((ib0 + g) >> 32));
        put32(gd + GD_INODE_TABLE_LO, (uint32_t)itab[g]); put32(gd + GD_INODE_TABLE_HI, (uint32_t)(itab[g] >> 32));
        gd_set_free_blocks(fs, gd, n - used);
        uint32_t iused = g == 0 ? fs->first_ino : 0;   /* 1..10 reserved + lost+found */
        gd_set_free_inodes(fs, gd, fs->ipg - iused);
        gd_set_used_dirs(fs, gd, g == 0 ? 2 : 0);
        gd_set_itable_unused(fs, gd, fs->ipg - iused);
        if (g == 0) {
            memset(b, 0, bs);
            set_bits(b, 0, iused);
            set_bits(b, fs->ipg, 8 * bs);
            uint32_t c = crc32c(fs->csum_seed, b, fs->ipg / 8);
            put16(gd + GD_INODE_BITMAP_CSUM_LO, c & 0xFFFF);
            put16(gd + GD_INODE_BITMAP_CSUM_HI, c >> 16);
            if (!err) err = wr(fs, ib0 + g, b);
            done_w++;
        } else {
            flags |= BG_INODE_UNINIT;
        }
        put16(gd + GD_FLAGS, flags);
        gd_csum_set(fs, g, gd);
        progress(&pr, done_w);
    }
    put32(sb + SB_FREE_BLOCKS_LO, (uint32_t)free_total);
    put32(sb + SB_FREE_BLOCKS_HI, (uint32_t)(free_total >> 32));
    put32(sb + SB_FREE_INODES, fs->inodes_count - fs->first_ino);

    /* ---- inodes ---- */
    uint8_t *it = err ? NULL : kmalloc((size_t)itb0 * bs);
    if (!err && !it) err = -ENOMEM;
    if (!err) {
        memset(it, 0, (size_t)itb0 * bs);
        struct inode in;
        for (uint32_t ino = 1; ino <= fs->first_ino; ino++) {
            memset(in.raw, 0, sizeof(in.raw));
            in.ino = ino;
            uint64_t data = 0, nblk = 0;
            if (ino == ROOT_INO || ino == fs->first_ino) {
                inode_init(fs, &in, ino, ino == ROOT_INO ? (EXT4_S_IFDIR | 0755) : (EXT4_S_IFDIR | 0700));
                put16(in.raw + I_LINKS, ino == ROOT_INO ? 3 : 2);
                data = ino == ROOT_INO ? root_blk : lf_blk;
                nblk = 1;
            } else if (ino == JOURNAL_INO) {
                inode_init(fs, &in, ino, EXT4_S_IFREG | 0600);
                put16(in.raw + I_LINKS, 1);
                data = jstart;
                nblk = jblocks;
            }
            if (nblk) {
                uint8_t *h = in.raw + I_BLOCK;
                put16(h + 2, 1);
                put32(h + 12, 0); put16(h + 16, (uint32_t)nblk); put16(h + 18, (uint32_t)(data >> 32)); put32(h + 20, (uint32_t)data);
                i_set_size(&in, nblk * bs);
                i_add_blocks(fs, &in, (int64_t)nblk);
            }
            if (ino == JOURNAL_INO) {
                memcpy(sb + SB_JNL_BLOCKS, in.raw + I_BLOCK, 60);
                put32(sb + SB_JNL_BLOCKS + 60, le32(in.raw + I_SIZE_HI));
                put32(sb + SB_JNL_BLOCKS + 64, le32(in.raw + I_SIZE_LO));
            }
            inode_csum_set(fs, &in);
            memcpy(it + (size_t)(ino - 1) * fs->inode_size, in.raw, fs->inode_size);
        }
        for (uint32_t i = 0; i < itb0 && !err; i++) err = wr(fs, itab[0] + i, it + (size_t)i * bs);
        kfree(it);
        done_w += itb0;
    }

    /* ---- root and lost+found directory blocks ---- */
    for (int d = 0; d < 2 && !err; d++) {
        struct inode dir;
        memset(&dir, 0, sizeof(dir));
        dir.ino = d == 0 ? ROOT_INO : fs->first_ino;
        memset(b, 0, bs);
        uint8_t *e = b;
        put32(e, dir.ino); put16(e + 4, 12); e[6] = 1; e[7] = FT_DIR; e[8] = '.';
        e = b + 12;
        put32(e, ROOT_INO);
        uint32_t rl = (d == 0 ? 12 : bs - DIR_TAIL_SIZE - 12);
        put16(e + 4, rl); e[6] = 2; e[7] = FT_DIR; e[8] = '.'; e[9] = '.';
        if (d == 0) {
            e = b + 24;
            put32(e, fs->first_ino); put16(e + 4, bs - DIR_TAIL_SIZE - 24); e[6] = 10; e[7] = FT_DIR;
            memcpy(e + 8, "lost+found", 10);
        }
        /* read the generation back from the inode we just wrote */
        uint8_t *tb = kmalloc(bs);
        if (!tb) { err = -ENOMEM; break; }
        uint64_t byte = (uint64_t)(dir.ino - 1) * fs->inode_size;
        err = dev_read_blocks(fs, itab[0] + byte / bs, 1, tb);
        if (!err) memcpy(dir.raw, tb + byte % bs, fs->inode_size);
        kfree(tb);
        dir_block_tail_set(fs, &dir, b);
        if (!err) err = wr(fs, d == 0 ? root_blk : lf_blk, b);
        done_w++;
    }

    /* ---- journal: zeroed (in large requests), then its superblock (empty: s_start = 0) ---- */
    if (!err) {
        uint32_t chunk = jblocks - 1 < ZERO_CHUNK ? jblocks - 1 : ZERO_CHUNK;
        uint8_t *z = kmalloc((size_t)chunk * bs);
        if (!z) err = -ENOMEM;
        else memset(z, 0, (size_t)chunk * bs);
        for (uint32_t i = 1; i < jblocks && !err; i += chunk) {
            uint32_t k = jblocks - i < chunk ? jblocks - i : chunk;
            err = dev_write_blocks(fs, jstart + i, k, z);
            done_w += k;
            progress(&pr, done_w);
        }
        kfree(z);
    }
    if (!err) {
        memset(b, 0, bs);
        putbe32(b, 0xC03B3998u); putbe32(b + 4, 4);
        putbe32(b + 0x0C, bs); putbe32(b + 0x10, jblocks); putbe32(b + 0x14, 1);
        putbe32(b + 0x18, 1); putbe32(b + 0x1C, 0);
        memcpy(b + 0x30, sb + SB_UUID, 16);
        putbe32(b + 0x40, 1);
        memcpy(b + 0x100, sb + SB_UUID, 16);
        err = wr(fs, jstart, b);
        done_w++;
    }

    /* ---- superblock and GDT, primary and backups ---- */
    for (uint32_t g = 0; g < ng && !err; g++) {
        if (!group_has_super(fs, g)) continue;
        uint64_t first = group_first_block(fs, g);
        memset(b, 0, bs);
        put16(sb + 0x5A, g);   /* s_block_group_nr */
        sb_csum_set(fs, sb);
        uint32_t off = (g == 0 && bs > 1024) ? 1024 : 0;
        memcpy(b + off, sb, 1024);
        err = wr(fs, g == 0 && bs > 1024 ? 0 : first, b);
        if (!err) err = dev_write_blocks(fs, first + 1, fs->gdt_blocks, gdt);
        done_w += 1 + fs->gdt_blocks;
        progress(&pr, done_w);
    }
    put16(sb + 0x5A, 0);
    if (!err) err = dev_flush(fs);
    kfree(gdt);
    kfree(itab);
out:
    kfree(b);
    kfree(fs);
    return err;
}

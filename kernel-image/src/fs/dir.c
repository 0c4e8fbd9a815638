/*
 * dir.c - linear directories (and htree directories, read linearly).
 *
 * A directory is a file of blocks, each a chain of entries
 * {inode, rec_len, name_len, file_type, name} that covers the block
 * exactly; with metadata_csum every block ends in a 12-byte tail holding
 * the block's checksum. Hash-indexed (htree) directories keep their index
 * in blocks that look like empty entries, so a linear scan finds every
 * name; before we modify such a directory we turn its index blocks into
 * ordinary empty blocks and clear the index flag (allowed by ext4: e2fsck
 * and Linux treat it as a linear directory from then on).
 * Every entry is checked (rec_len, name_len, alignment) before use.
 */
#include "ext4_int.h"

#define MAX_DIR_BLOCKS (1u << 22)

uint8_t mode_to_ft(uint16_t mode)
{
    switch (mode & EXT4_S_IFMT) {
    case EXT4_S_IFREG: return FT_REG;
    case EXT4_S_IFDIR: return FT_DIR;
    case EXT4_S_IFLNK: return FT_SYMLINK;
    default: return FT_UNKNOWN;
    }
}

static uint32_t dir_usable(struct ext4_fs *fs) { return fs->csum ? fs->bs - DIR_TAIL_SIZE : fs->bs; }

static bool has_tail(struct ext4_fs *fs, const uint8_t *b)
{
    const uint8_t *t = b + fs->bs - DIR_TAIL_SIZE;
    return le32(t) == 0 && le16(t + 4) == DIR_TAIL_SIZE && t[6] == 0 && t[7] == DIR_TAIL_FT;
}

void dir_block_tail_set(struct ext4_fs *fs, struct inode *dir, uint8_t *b)
{
    if (!fs->csum) return;
    uint8_t *t = b + fs->bs - DIR_TAIL_SIZE;
    put32(t, 0); put16(t + 4, DIR_TAIL_SIZE); t[6] = 0; t[7] = DIR_TAIL_FT;
    put32(t + 8, crc32c(inode_csum_seed(fs, dir), b, fs->bs - DIR_TAIL_SIZE));
}

static uint32_t nblocks(struct ext4_fs *fs, struct inode *dir)
{
    uint64_t n = i_size(dir) >> fs->log_bs;
    return n > MAX_DIR_BLOCKS ? MAX_DIR_BLOCKS : (uint32_t)n;
}

/* Read directory block `lblk`, checking its checksum. */
static struct buf *dir_block(struct ext4_fs *fs, struct inode *dir, uint32_t lblk, int *err)
{
    uint64_t pblk; uint32_t run;
    if ((*err = ext_map(fs, dir, lblk, &pblk, &run))) return NULL;
    if (!pblk) {
        *err = fs_error(fs, -EUCLEAN, "directory %u: hole at block %u", dir->ino, lblk);
        return NULL;
    }
    struct buf *b = bread(fs, pblk, err);
    if (!b || !fs->csum) return b;
    if (has_tail(fs, b->data)) {
        if (le32(b->data + fs->bs - 4) != crc32c(inode_csum_seed(fs, dir), b->data, fs->bs - DIR_TAIL_SIZE)) {
            brelse(fs, b);
            *err = fs_error(fs, -EUCLEAN, "directory %u block %u: checksum mismatch", dir->ino, lblk);
            return NULL;
        }
    } else if (!(i_flags(dir) & IF_INDEX)) {
        brelse(fs, b);
        *err = fs_error(fs, -EUCLEAN, "directory %u block %u: no checksum tail", dir->ino, lblk);
        return NULL;
    }
    return b;
}

/* Validate the entry at `off`; returns its rec_len or 0 (error set). */
static uint32_t entry_ok(struct ext4_fs *fs, struct inode *dir, const uint8_t *b, uint32_t off, uint32_t limit)
{
    if (off + 8 > limit) goto bad;
    uint32_t rl = le16(b + off + 4), nl = b[off + 6];
    if (rl < 8 || (rl & 3) || off + rl > limit || 8 + nl > rl) goto bad;
    if (le32(b + off) > fs->inodes_count) goto bad;
    return rl;
bad:
    fs_error(fs, -EUCLEAN, "directory %u: corrupt entry at offset %u", dir->ino, off);
    return 0;
}

/* The end of the entry area of this block (before the tail, if any). */
static uint32_t block_limit(struct ext4_fs *fs, const uint8_t *b)
{
    return (fs->csum && has_tail(fs, b)) ? fs->bs - DIR_TAIL_SIZE : fs->bs;
}

int dir_iterate(struct ext4_fs *fs, struct inode *dir, ext4_dir_fn fn, void *arg)
{
    uint32_t n = nblocks(fs, dir);
    for (uint32_t lb = 0; lb < n; lb++) {
        int err;
        struct buf *b = dir_block(fs, dir, lb, &err);
        if (!b) return err;
        uint32_t limit = block_limit(fs, b->data), off = 0;
        while (off < limit) {
            uint32_t rl = entry_ok(fs, dir, b->data, off, limit);
            if (!rl) { brelse(fs, b); return -EUCLEAN; }
            const uint8_t *e = b->data + off;
            uint32_t ino = le32(e);
            if (ino) {
                char name[256];
                memcpy(name, e + 8, e[6]);
                name[e[6]] = 0;
                uint8_t ft = (fs->incompat & INCOMPAT_FILETYPE) ? e[7] : 0;
                int r = fn(arg, name, e[6], ino, ft);
                if (r) { brelse(fs, b); return r; }
            }
            off += rl;
        }
        brelse(fs, b);
    }
    return 0;
}

struct find { const char *name; uint32_t len; uint32_t ino; uint8_t ft; };
static int find_cb(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    struct find *f = arg;
    if (len != f->len || memcmp(name, f->name, len)) return 0;
    f->ino = ino; f->ft = ft;
    return 1;
}

int dir_lookup(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t *ino, uint8_t *ft)
{
    struct find f = { name, len, 0, 0 };
    int r = dir_iterate(fs, dir, find_cb, &f);
    if (r < 0) return r;
    if (!f.ino) return -ENOENT;
    *ino = f.ino;
    if (ft) *ft = f.ft;
    return 0;
}

static int ne_cb(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    (void)arg; (void)ino; (void)ft;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) return 0;
    return 1;
}

int dir_is_empty(struct ext4_fs *fs, struct inode *dir)
{
    int r = dir_iterate(fs, dir, ne_cb, NULL);
    return r < 0 ? r : r == 0;
}

/* Turn an htree directory into a linear one (before any modification). */
static int dx_clear(struct ext4_fs *fs, struct inode *dir)
{
    if (!(i_flags(dir) & IF_INDEX)) return 0;
    uint32_t n = nblocks(fs, dir);
    for (uint32_t lb = 0; lb < n; lb++) {
        int err;
        struct buf *b = dir_block(fs, dir, lb, &err);
        if (!b) return err;
        uint8_t *d = b->data;
        bool changed = false;
        if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
        if (lb == 0) {
            /* dx root: "." (12 bytes) then ".." spanning the rest */
            if (le16(d + 4) != 12 || le16(d + 12 + 4) != fs->bs - 12) {
                if (!has_tail(fs, d)) { brelse(fs, b); return fs_error(fs, -EUCLEAN, "directory %u: bad htree root", dir->ino); }
            } else {
                put16(d + 12 + 4, dir_usable(fs) - 12);
                changed = true;
            }
        } else if (le32(d) == 0 && le16(d + 4) == fs->bs) {
            put16(d + 4, dir_usable(fs));
            d[6] = 0;
            changed = true;
        }
        if (changed) dir_block_tail_set(fs, dir, d);
        brelse(fs, b);
    }
    put32(dir->raw + I_FLAGS, i_flags(dir) & ~IF_INDEX);
    return inode_write(fs, dir);
}

static void put_entry(struct ext4_fs *fs, uint8_t *e, uint32_t ino, uint32_t rl, const char *name, uint32_t len, uint8_t ft)
{
    put32(e, ino);
    put16(e + 4, rl);
    e[6] = (uint8_t)len;
    e[7] = (fs->incompat & INCOMPAT_FILETYPE) ? ft : 0;
    memcpy(e + 8, name, len);
    for (uint32_t i = 8 + len; i < ((8 + len + 3) & ~3u); i++) e[i] = 0;
}

static int dir_append_block(struct ext4_fs *fs, struct inode *dir, struct buf **out)
{
    uint32_t lb = nblocks(fs, dir);
    uint64_t goal = 0, pblk; uint32_t got, run;
    int err;
    if (lb > 0 && !ext_map(fs, dir, lb - 1, &goal, &run) && goal) goal++;
    if ((err = balloc(fs, goal, 1, &pblk, &got))) return err;
    if ((err = ext_add(fs, dir, lb, pblk, 1))) { bfree(fs, pblk, 1); return err; }
    i_add_blocks(fs, dir, 1);
    i_set_size(dir, (uint64_t)(lb + 1) << fs->log_bs);
    struct buf *b = bnew(fs, pblk, &err);
    if (!b) return err;
    *out = b;
    return 0;
}

int dir_add(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    if (len == 0 || len > 255) return -ENAMETOOLONG;
    int err = dx_clear(fs, dir);
    if (err) return err;
    uint32_t need = (8 + len + 3) & ~3u, n = nblocks(fs, dir);
    for (uint32_t lb = 0; lb < n; lb++) {
        struct buf *b = dir_block(fs, dir, lb, &err);
        if (!b) return err;
        uint8_t *d = b->data;
        uint32_t limit = block_limit(fs, d), off = 0;
        while (off < limit) {
            uint32_t rl = entry_ok(fs, dir, d, off, limit);
            if (!rl) { brelse(fs, b); return -EUCLEAN; }
            uint8_t *e = d + off;
            uint32_t used = le32(e) ? (8 + e[6] + 3) & ~3u : 0;
            if (rl - used >= need) {
                if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
                if (used) { put16(e + 4, used); e += used; }
                put_entry(fs, e, ino, rl - used, name, len, ft);
                dir_block_tail_set(fs, dir, d);
                brelse(fs, b);
                i_touch(fs, dir, true, true, false);
                return inode_write(fs, dir);
            }
            off += rl;
        }
        brelse(fs, b);
    }
    struct buf *b;
    if ((err = dir_append_block(fs, dir, &b))) return err;
    if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
    memset(b->data, 0, fs->bs);
    put_entry(fs, b->data, ino, dir_usable(fs), name, len, ft);
    dir_block_tail_set(fs, dir, b->data);
    brelse(fs, b);
    i_touch(fs, dir, true, true, false);
    return inode_write(fs, dir);
}

/* Find `name`; on success *bp holds the block, *off the entry, *prev the previous entry (or ~0). */
static int find_entry(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len,
                      struct buf **bp, uint32_t *off, uint32_t *prev)
{
    uint32_t n = nblocks(fs, dir);
    for (uint32_t lb = 0; lb < n; lb++) {
        int err;
        struct buf *b = dir_block(fs, dir, lb, &err);
        if (!b) return err;
        uint32_t limit = block_limit(fs, b->data), o = 0, p = ~0u;
        while (o < limit) {
            uint32_t rl = entry_ok(fs, dir, b->data, o, limit);
            if (!rl) { brelse(fs, b); return -EUCLEAN; }
            const uint8_t *e = b->data + o;
            if (le32(e) && e[6] == len && !memcmp(e + 8, name, len)) {
                *bp = b; *off = o; *prev = p;
                return 0;
            }
            p = o;
            o += rl;
        }
        brelse(fs, b);
    }
    return -ENOENT;
}

int dir_remove(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len)
{
    int err = dx_clear(fs, dir);
    if (err) return err;
    struct buf *b; uint32_t off, prev;
    if ((err = find_entry(fs, dir, name, len, &b, &off, &prev))) return err;
    if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
    uint8_t *d = b->data;
    if (prev != ~0u) put16(d + prev + 4, le16(d + prev + 4) + le16(d + off + 4));
    else put32(d + off, 0);
    dir_block_tail_set(fs, dir, d);
    brelse(fs, b);
    i_touch(fs, dir, true, true, false);
    return inode_write(fs, dir);
}

int dir_set_entry(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    int err = dx_clear(fs, dir);
    if (err) return err;
    struct buf *b; uint32_t off, prev;
    if ((err = find_entry(fs, dir, name, len, &b, &off, &prev))) return err;
    if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
    put32(b->data + off, ino);
    if (fs->incompat & INCOMPAT_FILETYPE) b->data[off + 7] = ft;
    dir_block_tail_set(fs, dir, b->data);
    brelse(fs, b);
    i_touch(fs, dir, true, true, false);
    return inode_write(fs, dir);
}

int dir_init_block(struct ext4_fs *fs, struct inode *dir, uint32_t parent)
{
    struct buf *b;
    int err = dir_append_block(fs, dir, &b);
    if (err) return err;
    if ((err = bdirty(fs, b))) { brelse(fs, b); return err; }
    uint8_t *d = b->data;
    memset(d, 0, fs->bs);
    put_entry(fs, d, dir->ino, 12, ".", 1, FT_DIR);
    put_entry(fs, d + 12, parent, dir_usable(fs) - 12, "..", 2, FT_DIR);
    dir_block_tail_set(fs, dir, d);
    brelse(fs, b);
    return 0;
}

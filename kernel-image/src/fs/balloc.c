/*
 * balloc.c - block and inode allocation through the group bitmaps.
 *
 * Every change updates, in the same transaction, the bitmap (and its
 * checksum in the descriptor), the descriptor's counters (and its
 * checksum) and the superblock's counters. Groups that mke2fs left
 * uninitialised (BLOCK_UNINIT / INODE_UNINIT) get their bitmap built in
 * memory on first use, as the kernel does. Blocks freed in the running
 * transaction are not handed out again before it commits: until then the
 * old owner may still be what a power cut leaves on disk.
 */
#include "ext4_int.h"

static inline bool bit_get(const uint8_t *m, uint32_t i) { return m[i >> 3] & (1u << (i & 7)); }
static inline void bit_set(uint8_t *m, uint32_t i) { m[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void bit_clr(uint8_t *m, uint32_t i) { m[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

static void bbitmap_csum_set(struct ext4_fs *fs, uint8_t *gd, const uint8_t *map)
{
    if (!fs->csum) return;
    uint32_t c = crc32c(fs->csum_seed, map, fs->bpg / 8);
    put16(gd + GD_BLOCK_BITMAP_CSUM_LO, c & 0xFFFF);
    if (fs->desc_size >= 64) put16(gd + GD_BLOCK_BITMAP_CSUM_HI, c >> 16);
}

static bool bbitmap_csum_ok(struct ext4_fs *fs, const uint8_t *gd, const uint8_t *map)
{
    if (!fs->csum) return true;
    uint32_t c = crc32c(fs->csum_seed, map, fs->bpg / 8);
    if (le16(gd + GD_BLOCK_BITMAP_CSUM_LO) != (c & 0xFFFF)) return false;
    return fs->desc_size < 64 || le16(gd + GD_BLOCK_BITMAP_CSUM_HI) == (c >> 16);
}

static void ibitmap_csum_set(struct ext4_fs *fs, uint8_t *gd, const uint8_t *map)
{
    if (!fs->csum) return;
    uint32_t c = crc32c(fs->csum_seed, map, fs->ipg / 8);
    put16(gd + GD_INODE_BITMAP_CSUM_LO, c & 0xFFFF);
    if (fs->desc_size >= 64) put16(gd + GD_INODE_BITMAP_CSUM_HI, c >> 16);
}

static bool ibitmap_csum_ok(struct ext4_fs *fs, const uint8_t *gd, const uint8_t *map)
{
    if (!fs->csum) return true;
    uint32_t c = crc32c(fs->csum_seed, map, fs->ipg / 8);
    if (le16(gd + GD_INODE_BITMAP_CSUM_LO) != (c & 0xFFFF)) return false;
    return fs->desc_size < 64 || le16(gd + GD_INODE_BITMAP_CSUM_HI) == (c >> 16);
}

static void mark_range(struct ext4_fs *fs, uint8_t *map, uint32_t g, uint64_t start, uint64_t n)
{
    uint64_t first = group_first_block(fs, g), end = first + group_nblocks(fs, g);
    for (uint64_t b = start; b < start + n; b++)
        if (b >= first && b < end) bit_set(map, (uint32_t)(b - first));
}

/* Load (or build, if uninitialised) group g's block bitmap. */
static struct buf *load_bbitmap(struct ext4_fs *fs, uint32_t g, struct buf *gdb, uint8_t *gd, int *err)
{
    uint64_t blk = gd_block_bitmap(fs, gd);
    if (!fs_block_valid(fs, blk, 1)) {
        *err = fs_error(fs, -EUCLEAN, "group %u: block bitmap %llu outside the filesystem", g, (unsigned long long)blk);
        return NULL;
    }
    if (le16(gd + GD_FLAGS) & BG_BLOCK_UNINIT) {
        struct buf *b = bnew(fs, blk, err);
        if (!b) return NULL;
        uint8_t *map = b->data;
        memset(map, 0, fs->bs);
        uint64_t first = group_first_block(fs, g);
        mark_range(fs, map, g, first, group_overhead_blocks(fs, g));
        for (uint32_t o = 0; o < fs->ngroups; o++) {
            uint8_t *ogd;
            int e2;
            struct buf *ob = (o == g) ? NULL : gd_get(fs, o, &ogd, &e2);
            if (o == g) ogd = gd;
            else if (!ob) { brelse(fs, b); *err = e2; return NULL; }
            mark_range(fs, map, g, gd_block_bitmap(fs, ogd), 1);
            mark_range(fs, map, g, gd_inode_bitmap(fs, ogd), 1);
            mark_range(fs, map, g, gd_inode_table(fs, ogd), fs->itb_per_group);
            brelse(fs, ob);
        }
        for (uint32_t i = group_nblocks(fs, g); i < fs->bs * 8; i++) bit_set(map, i);
        if ((*err = bdirty(fs, b)) || (*err = bdirty(fs, gdb))) { brelse(fs, b); return NULL; }
        put16(gd + GD_FLAGS, le16(gd + GD_FLAGS) & ~BG_BLOCK_UNINIT);
        bbitmap_csum_set(fs, gd, map);
        gd_csum_set(fs, g, gd);
        return b;
    }
    struct buf *b = bread(fs, blk, err);
    if (!b) return NULL;
    if (!bbitmap_csum_ok(fs, gd, b->data)) {
        brelse(fs, b);
        *err = fs_error(fs, -EUCLEAN, "group %u: block bitmap checksum mismatch", g);
        return NULL;
    }
    return b;
}

static bool is_group_meta(struct ext4_fs *fs, const uint8_t *gd, uint64_t b)
{
    uint64_t it = gd_inode_table(fs, gd);
    return b == gd_block_bitmap(fs, gd) || b == gd_inode_bitmap(fs, gd) ||
           (b >= it && b < it + fs->itb_per_group);
}

int balloc(struct ext4_fs *fs, uint64_t goal, uint32_t want, uint64_t *start, uint32_t *got)
{
    if (fs->readonly) return fs_error(fs, -EROFS, "allocation on a read-only filesystem");
    if (goal < fs->first_data_block || goal >= fs->blocks_count) goal = fs->first_data_block;
    uint32_t g0 = (uint32_t)((goal - fs->first_data_block) / fs->bpg);
    for (uint32_t k = 0; k <= fs->ngroups; k++) {
        uint32_t g = (g0 + k) % fs->ngroups;
        uint8_t *gd;
        int err;
        struct buf *gdb = gd_get(fs, g, &gd, &err);
        if (!gdb) return err;
        if (gd_free_blocks(fs, gd) == 0) { brelse(fs, gdb); continue; }
        struct buf *bb = load_bbitmap(fs, g, gdb, gd, &err);
        if (!bb) { brelse(fs, gdb); return err; }
        uint64_t first = group_first_block(fs, g);
        uint32_t n = group_nblocks(fs, g);
        uint32_t i = (k == 0 && goal >= first) ? (uint32_t)(goal - first) : 0;
        uint32_t found = n, len = 0;
        for (uint32_t pass = 0; pass < 2 && found == n; pass++) {
            for (; i < n; i++) {
                if (bit_get(bb->data, i) || tx_block_reserved(fs, first + i)) continue;
                if (is_group_meta(fs, gd, first + i) || !fs_block_valid(fs, first + i, 1)) continue;
                found = i;
                break;
            }
            i = 0;
        }
        if (found == n) { brelse(fs, bb); brelse(fs, gdb); continue; }
        while (found + len < n && len < want && !bit_get(bb->data, found + len) &&
               !tx_block_reserved(fs, first + found + len) && !is_group_meta(fs, gd, first + found + len))
            len++;
        if ((err = bdirty(fs, bb)) || (err = bdirty(fs, gdb))) { brelse(fs, bb); brelse(fs, gdb); return err; }
        for (uint32_t j = 0; j < len; j++) bit_set(bb->data, found + j);
        uint32_t fb = gd_free_blocks(fs, gd);
        gd_set_free_blocks(fs, gd, fb >= len ? fb - len : 0);
        bbitmap_csum_set(fs, gd, bb->data);
        gd_csum_set(fs, g, gd);
        uint64_t sf = sb_free_blocks(fs);
        sb_set_free_blocks(fs, sf >= len ? sf - len : 0);
        brelse(fs, bb);
        brelse(fs, gdb);
        *start = first + found;
        *got = len;
        fs->alloc_rr = g;
        return 0;
    }
    return fs_error(fs, -ENOSPC, "no free blocks");
}

int bfree(struct ext4_fs *fs, uint64_t start, uint32_t n)
{
    if (!fs_block_valid(fs, start, n))
        return fs_error(fs, -EUCLEAN, "freeing blocks %llu+%u outside the filesystem", (unsigned long long)start, n);
    while (n) {
        uint32_t g = (uint32_t)((start - fs->first_data_block) / fs->bpg);
        uint64_t first = group_first_block(fs, g);
        uint32_t off = (uint32_t)(start - first);
        uint32_t cnt = group_nblocks(fs, g) - off;
        if (cnt > n) cnt = n;
        uint8_t *gd;
        int err;
        struct buf *gdb = gd_get(fs, g, &gd, &err);
        if (!gdb) return err;
        struct buf *bb = load_bbitmap(fs, g, gdb, gd, &err);
        if (!bb) { brelse(fs, gdb); return err; }
        for (uint32_t j = 0; j < cnt; j++) {
            if (!bit_get(bb->data, off + j) || is_group_meta(fs, gd, start + j)) {
                brelse(fs, bb); brelse(fs, gdb);
                return fs_error(fs, -EUCLEAN, "freeing block %llu which is free or metadata",
                                (unsigned long long)(start + j));
            }
        }
        if ((err = bdirty(fs, bb)) || (err = bdirty(fs, gdb))) { brelse(fs, bb); brelse(fs, gdb); return err; }
        for (uint32_t j = 0; j < cnt; j++) bit_clr(bb->data, off + j);
        gd_set_free_blocks(fs, gd, gd_free_blocks(fs, gd) + cnt);
        bbitmap_csum_set(fs, gd, bb->data);
        gd_csum_set(fs, g, gd);
        sb_set_free_blocks(fs, sb_free_blocks(fs) + cnt);
        brelse(fs, bb);
        brelse(fs, gdb);
        for (uint32_t j = 0; j < cnt; j++) bforget(fs, start + j);
        if ((err = tx_note_freed(fs, start, cnt))) return err;
        start += cnt;
        n -= cnt;
    }
    return 0;
}

static struct buf *load_ibitmap(struct ext4_fs *fs, uint32_t g, struct buf *gdb, uint8_t *gd, int *err)
{
    uint64_t blk = gd_inode_bitmap(fs, gd);
    if (!fs_block_valid(fs, blk, 1)) {
        *err = fs_error(fs, -EUCLEAN, "group %u: inode bitmap outside the filesystem", g);
        return NULL;
    }
    if (le16(gd + GD_FLAGS) & BG_INODE_UNINIT) {
        struct buf *b = bnew(fs, blk, err);
        if (!b) return NULL;
        if ((*err = bdirty(fs, b)) || (*err = bdirty(fs, gdb))) { brelse(fs, b); return NULL; }
        memset(b->data, 0, fs->bs);
        for (uint32_t i = fs->ipg; i < fs->bs * 8; i++) bit_set(b->data, i);
        put16(gd + GD_FLAGS, le16(gd + GD_FLAGS) & ~BG_INODE_UNINIT);
        ibitmap_csum_set(fs, gd, b->data);
        gd_csum_set(fs, g, gd);
        return b;
    }
    struct buf *b = bread(fs, blk, err);
    if (!b) return NULL;
    if (!ibitmap_csum_ok(fs, gd, b->data)) {
        brelse(fs, b);
        *err = fs_error(fs, -EUCLEAN, "group %u: inode bitmap checksum mismatch", g);
        return NULL;
    }
    return b;
}

int ialloc(struct ext4_fs *fs, uint32_t parent, bool dir, uint32_t *ino)
{
    if (fs->readonly) return fs_error(fs, -EROFS, "allocation on a read-only filesystem");
    uint32_t g0 = parent ? (parent - 1) / fs->ipg : 0;
    if (g0 >= fs->ngroups) g0 = 0;
    for (uint32_t k = 0; k < fs->ngroups; k++) {
        uint32_t g = (g0 + k) % fs->ngroups;
        uint8_t *gd;
        int err;
        struct buf *gdb = gd_get(fs, g, &gd, &err);
        if (!gdb) return err;
        if (gd_free_inodes(fs, gd) == 0) { brelse(fs, gdb); continue; }
        struct buf *ib = load_ibitmap(fs, g, gdb, gd, &err);
        if (!ib) { brelse(fs, gdb); return err; }
        uint32_t i = 0;
        while (i < fs->ipg && (bit_get(ib->data, i) || g * fs->ipg + i + 1 < fs->first_ino)) i++;
        if (i == fs->ipg) { brelse(fs, ib); brelse(fs, gdb); continue; }
        if ((err = bdirty(fs, ib)) || (err = bdirty(fs, gdb))) { brelse(fs, ib); brelse(fs, gdb); return err; }
        bit_set(ib->data, i);
        gd_set_free_inodes(fs, gd, gd_free_inodes(fs, gd) - 1);
        if (dir) gd_set_used_dirs(fs, gd, gd_used_dirs(fs, gd) + 1);
        uint32_t unused = gd_itable_unused(fs, gd);
        if (i >= fs->ipg - unused) gd_set_itable_unused(fs, gd, fs->ipg - i - 1);
        ibitmap_csum_set(fs, gd, ib->data);
        gd_csum_set(fs, g, gd);
        put32(fs->sb + SB_FREE_INODES, le32(fs->sb + SB_FREE_INODES) - 1);
        fs->sb_dirty = true;
        brelse(fs, ib);
        brelse(fs, gdb);
        *ino = g * fs->ipg + i + 1;
        return 0;
    }
    return fs_error(fs, -ENOSPC, "no free inodes");
}

int ifree(struct ext4_fs *fs, uint32_t ino, bool dir)
{
    if (ino < 1 || ino > fs->inodes_count)
        return fs_error(fs, -EUCLEAN, "freeing inode %u out of range", ino);
    uint32_t g = (ino - 1) / fs->ipg, i = (ino - 1) % fs->ipg;
    uint8_t *gd;
    int err;
    struct buf *gdb = gd_get(fs, g, &gd, &err);
    if (!gdb) return err;
    struct buf *ib = load_ibitmap(fs, g, gdb, gd, &err);
    if (!ib) { brelse(fs, gdb); return err; }
    if (!bit_get(ib->data, i)) {
        brelse(fs, ib); brelse(fs, gdb);
        return fs_error(fs, -EUCLEAN, "freeing inode %u which is already free", ino);
    }
    if ((err = bdirty(fs, ib)) || (err = bdirty(fs, gdb))) { brelse(fs, ib); brelse(fs, gdb); return err; }
    bit_clr(ib->data, i);
    gd_set_free_inodes(fs, gd, gd_free_inodes(fs, gd) + 1);
    if (dir && gd_used_dirs(fs, gd)) gd_set_used_dirs(fs, gd, gd_used_dirs(fs, gd) - 1);
    ibitmap_csum_set(fs, gd, ib->data);
    gd_csum_set(fs, g, gd);
    put32(fs->sb + SB_FREE_INODES, le32(fs->sb + SB_FREE_INODES) + 1);
    fs->sb_dirty = true;
    brelse(fs, ib);
    brelse(fs, gdb);
    return 0;
}

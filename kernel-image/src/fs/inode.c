/*
 * inode.c - reading and writing inodes in the inode tables.
 *
 * An inode is copied out of its table block into a struct inode (raw
 * on-disk bytes) and written back through the transaction with a fresh
 * checksum. The checksum covers the inode number, its generation and all
 * inode_size bytes with both checksum fields taken as zero; the high half
 * exists only when i_extra_isize reaches it.
 */
#include "ext4_int.h"

static bool csum_hi_fits(struct ext4_fs *fs, const uint8_t *raw)
{
    return fs->inode_size > 128 && le16(raw + I_EXTRA_ISIZE) >= 4;
}

uint32_t inode_csum_seed(struct ext4_fs *fs, const struct inode *in)
{
    uint8_t le[4];
    put32(le, in->ino);
    uint32_t c = crc32c(fs->csum_seed, le, 4);
    return crc32c(c, in->raw + I_GENERATION, 4);
}

static uint32_t inode_csum(struct ext4_fs *fs, const struct inode *in)
{
    uint8_t zero[2] = { 0, 0 };
    const uint8_t *r = in->raw;
    uint32_t c = inode_csum_seed(fs, in);
    c = crc32c(c, r, I_CSUM_LO);
    c = crc32c(c, zero, 2);
    c = crc32c(c, r + I_CSUM_LO + 2, 128 - I_CSUM_LO - 2);
    if (fs->inode_size > 128) {
        c = crc32c(c, r + 128, I_CSUM_HI - 128);
        uint32_t off = I_CSUM_HI;
        if (csum_hi_fits(fs, r)) { c = crc32c(c, zero, 2); off += 2; }
        c = crc32c(c, r + off, fs->inode_size - off);
    }
    return c;
}

static int locate(struct ext4_fs *fs, uint32_t ino, uint64_t *blk, uint32_t *off)
{
    if (ino < 1 || ino > fs->inodes_count)
        return fs_error(fs, -EUCLEAN, "inode number %u out of range", ino);
    uint32_t g = (ino - 1) / fs->ipg, idx = (ino - 1) % fs->ipg;
    uint8_t *gd;
    int err;
    struct buf *gdb = gd_get(fs, g, &gd, &err);
    if (!gdb) return err;
    uint64_t it = gd_inode_table(fs, gd);
    bool uninit = fs->csum && (le16(gd + GD_FLAGS) & BG_INODE_UNINIT);
    brelse(fs, gdb);
    if (uninit)
        return fs_error(fs, -EUCLEAN, "inode %u lies in an uninitialised group", ino);
    if (!fs_block_valid(fs, it, fs->itb_per_group))
        return fs_error(fs, -EUCLEAN, "group %u: inode table outside the filesystem", g);
    uint64_t byte = (uint64_t)idx * fs->inode_size;
    *blk = it + byte / fs->bs;
    *off = (uint32_t)(byte % fs->bs);
    return 0;
}

int inode_read(struct ext4_fs *fs, uint32_t ino, struct inode *in)
{
    uint64_t blk;
    uint32_t off;
    int err = locate(fs, ino, &blk, &off);
    if (err) return err;
    struct buf *b = bread(fs, blk, &err);
    if (!b) return err;
    memset(in->raw, 0, sizeof(in->raw));
    memcpy(in->raw, b->data + off, fs->inode_size);
    brelse(fs, b);
    in->ino = ino;
    if (fs->inode_size > 128) {
        uint32_t extra = le16(in->raw + I_EXTRA_ISIZE);
        if (extra > fs->inode_size - 128 || (extra & 3))
            return fs_error(fs, -EUCLEAN, "inode %u: bad extra isize %u", ino, extra);
    }
    if (fs->csum) {
        uint32_t c = inode_csum(fs, in);
        uint32_t stored = le16(in->raw + I_CSUM_LO);
        if (csum_hi_fits(fs, in->raw)) stored |= (uint32_t)le16(in->raw + I_CSUM_HI) << 16;
        else c &= 0xFFFF;
        if (c != stored)
            return fs_error(fs, -EUCLEAN, "inode %u: checksum mismatch", ino);
    }
    return 0;
}

int inode_write(struct ext4_fs *fs, struct inode *in)
{
    uint64_t blk;
    uint32_t off;
    int err = locate(fs, in->ino, &blk, &off);
    if (err) return err;
    if (fs->csum) {
        uint32_t c = inode_csum(fs, in);
        put16(in->raw + I_CSUM_LO, c & 0xFFFF);
        if (csum_hi_fits(fs, in->raw)) put16(in->raw + I_CSUM_HI, c >> 16);
    }
    struct buf *b = bread(fs, blk, &err);
    if (!b) return err;
    err = bdirty(fs, b);
    if (!err) memcpy(b->data + off, in->raw, fs->inode_size);
    brelse(fs, b);
    return err;
}

uint16_t i_mode(const struct inode *in) { return le16(in->raw + I_MODE); }
uint32_t i_flags(const struct inode *in) { return le32(in->raw + I_FLAGS); }
uint64_t i_size(const struct inode *in) { return le32(in->raw + I_SIZE_LO) | (uint64_t)le32(in->raw + I_SIZE_HI) << 32; }
void i_set_size(struct inode *in, uint64_t v) { put32(in->raw + I_SIZE_LO, (uint32_t)v); put32(in->raw + I_SIZE_HI, (uint32_t)(v >> 32)); }

uint64_t i_blocks512(struct ext4_fs *fs, const struct inode *in)
{
    uint64_t v = le32(in->raw + I_BLOCKS_LO);
    if (fs->ro_compat & RO_COMPAT_HUGE_FILE) v |= (uint64_t)le16(in->raw + I_BLOCKS_HI) << 32;
    if (i_flags(in) & IF_HUGE_FILE) v *= fs->spb;
    return v;
}

void i_add_blocks(struct ext4_fs *fs, struct inode *in, int64_t nblocks)
{
    uint64_t v = le32(in->raw + I_BLOCKS_LO) | (uint64_t)le16(in->raw + I_BLOCKS_HI) << 32;
    int64_t unit = (i_flags(in) & IF_HUGE_FILE) ? 1 : fs->spb;
    int64_t nv = (int64_t)v + nblocks * unit;
    if (nv < 0) nv = 0;
    put32(in->raw + I_BLOCKS_LO, (uint32_t)nv);
    put16(in->raw + I_BLOCKS_HI, (uint32_t)((uint64_t)nv >> 32) & 0xFFFF);
}

void i_touch(struct ext4_fs *fs, struct inode *in, bool m, bool c, bool a)
{
    uint32_t now = (uint32_t)rtc_seconds();
    (void)fs;
    if (m) put32(in->raw + I_MTIME, now);
    if (c) put32(in->raw + I_CTIME, now);
    if (a) put32(in->raw + I_ATIME, now);
}

static uint32_t gen_counter = 0x5151;

void inode_init(struct ext4_fs *fs, struct inode *in, uint32_t ino, uint16_t mode)
{
    memset(in->raw, 0, sizeof(in->raw));
    in->ino = ino;
    put16(in->raw + I_MODE, mode);
    uint32_t now = (uint32_t)rtc_seconds();
    put32(in->raw + I_ATIME, now);
    put32(in->raw + I_CTIME, now);
    put32(in->raw + I_MTIME, now);
    gen_counter = gen_counter * 1103515245u + 12345u + ino;
    put32(in->raw + I_GENERATION, gen_counter);
    if (fs->inode_size > 128) {
        uint32_t extra = le16(fs->sb + SB_WANT_EXTRA_ISIZE);
        if (extra < 32) extra = 32;
        if (extra > fs->inode_size - 128) extra = fs->inode_size - 128;
        put16(in->raw + I_EXTRA_ISIZE, extra);
        put32(in->raw + I_CRTIME, now);
    }
    if ((mode & EXT4_S_IFMT) != EXT4_S_IFLNK && (fs->incompat & INCOMPAT_EXTENTS)) {
        put32(in->raw + I_FLAGS, IF_EXTENTS);
        uint8_t *h = in->raw + I_BLOCK;
        put16(h, EXT_MAGIC);
        put16(h + 2, 0);
        put16(h + 4, 4);
        put16(h + 6, 0);
    }
}

/* For mkfs, which lays inodes out without the cache or a transaction. */
void inode_csum_set(struct ext4_fs *fs, struct inode *in)
{
    if (!fs->csum) return;
    uint32_t c = inode_csum(fs, in);
    put16(in->raw + I_CSUM_LO, c & 0xFFFF);
    if (csum_hi_fits(fs, in->raw)) put16(in->raw + I_CSUM_HI, c >> 16);
}

/*
 * file.c - file contents: read, write with extent allocation, truncate.
 *
 * Data blocks bypass the metadata cache and the journal (ordered mode):
 * they are written to the device at once, and the commit that makes the
 * new extents reachable flushes the device first, so after a power cut a
 * file never points at blocks holding something other than its data.
 * Holes read as zeros; preallocated (uninitialised) extents too.
 */
#include "ext4_int.h"

#define MAX_LBLK 0xFFFFFFFEu

int64_t file_read(struct ext4_fs *fs, struct inode *in, uint64_t off, void *buf, uint64_t len)
{
    uint64_t size = i_size(in);
    if (off >= size) return 0;
    if (len > size - off) len = size - off;
    uint8_t *out = buf, *bounce = NULL;
    uint64_t done = 0;
    int err = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t lblk = (uint32_t)(pos >> fs->log_bs), boff = (uint32_t)(pos & (fs->bs - 1));
        uint64_t pblk;
        uint32_t run;
        if ((err = ext_map(fs, in, lblk, &pblk, &run))) break;
        uint64_t want = len - done;
        if (boff == 0 && want >= fs->bs && pblk) {
            uint64_t nb = want >> fs->log_bs;
            if (nb > run) nb = run;
            if (nb > 256) nb = 256;
            if ((err = dev_read_blocks(fs, pblk, (uint32_t)nb, out + done))) break;
            done += nb << fs->log_bs;
            continue;
        }
        uint32_t chunk = fs->bs - boff;
        if (chunk > want) chunk = (uint32_t)want;
        if (!pblk) {
            memset(out + done, 0, chunk);
        } else {
            if (!bounce && !(bounce = kmalloc(fs->bs))) { err = -ENOMEM; break; }
            if ((err = dev_read_blocks(fs, pblk, 1, bounce))) break;
            memcpy(out + done, bounce + boff, chunk);
        }
        done += chunk;
    }
    kfree(bounce);
    return err ? err : (int64_t)done;
}

int64_t file_write(struct ext4_fs *fs, struct inode *in, uint64_t off, const void *buf, uint64_t len)
{
    if (fs->readonly) return fs_error(fs, -EROFS, "write to a read-only filesystem");
    if (len == 0) return 0;
    if (off + len < off || ((off + len - 1) >> fs->log_bs) > MAX_LBLK)
        return fs_error(fs, -EFBIG, "write beyond the largest file size");
    const uint8_t *src = buf;
    uint8_t *bounce = kmalloc(fs->bs);
    if (!bounce) return -ENOMEM;
    uint64_t done = 0, last = 0;
    int err = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t lblk = (uint32_t)(pos >> fs->log_bs), boff = (uint32_t)(pos & (fs->bs - 1));
        uint64_t pblk;
        uint32_t run;
        if ((err = ext_map(fs, in, lblk, &pblk, &run))) break;
        uint64_t remaining_blocks = ((off + len - 1) >> fs->log_bs) - lblk + 1;
        bool fresh = false;
        if (!pblk) {
            uint32_t want = run < remaining_blocks ? run : (uint32_t)remaining_blocks;
            if (want > 2048) want = 2048;
            uint64_t goal = last ? last + 1 : 0;
            if (!goal && lblk > 0) {
                uint64_t pp; uint32_t pr;
                if (!ext_map(fs, in, lblk - 1, &pp, &pr) && pp) goal = pp + 1;
            }
            if (!goal) goal = group_first_block(fs, (in->ino - 1) / fs->ipg);
            uint32_t got;
            if ((err = balloc(fs, goal, want, &pblk, &got))) break;
            if ((err = ext_add(fs, in, lblk, pblk, got))) { bfree(fs, pblk, got); break; }
            i_add_blocks(fs, in, got);
            for (uint32_t i = 0; i < got; i++) bforget(fs, pblk + i);
            run = got;
            fresh = true;
        }
        /* whole blocks straight from the caller's buffer */
        uint64_t want = len - done;
        if (boff == 0 && want >= fs->bs) {
            uint64_t nb = want >> fs->log_bs;
            if (nb > run) nb = run;
            if (nb > 256) nb = 256;
            if ((err = dev_write_blocks(fs, pblk, (uint32_t)nb, src + done))) break;
            done += nb << fs->log_bs;
            last = pblk + nb - 1;
            continue;
        }
        uint32_t chunk = fs->bs - boff;
        if (chunk > want) chunk = (uint32_t)want;
        if (fresh) memset(bounce, 0, fs->bs);
        else if ((err = dev_read_blocks(fs, pblk, 1, bounce))) break;
        memcpy(bounce + boff, src + done, chunk);
        if ((err = dev_write_blocks(fs, pblk, 1, bounce))) break;
        done += chunk;
        last = pblk;
    }
    kfree(bounce);
    if (done) {
        if (off + done > i_size(in)) i_set_size(in, off + done);
        i_touch(fs, in, true, true, false);
        int e2 = inode_write(fs, in);
        if (!err) err = e2;
    }
    return err ? err : (int64_t)done;
}

int file_truncate(struct ext4_fs *fs, struct inode *in, uint64_t size)
{
    if (fs->readonly) return fs_error(fs, -EROFS, "truncate on a read-only filesystem");
    if ((size >> fs->log_bs) > MAX_LBLK) return fs_error(fs, -EFBIG, "truncate beyond the largest file size");
    uint64_t old = i_size(in);
    int err = 0;
    if (size < old) {
        uint32_t first = (uint32_t)((size + fs->bs - 1) >> fs->log_bs);
        if ((err = ext_truncate(fs, in, first))) return err;
        uint32_t boff = (uint32_t)(size & (fs->bs - 1));
        if (boff) {
            /* zero the tail of the last block so a later extension reads zeros */
            uint64_t pblk; uint32_t run;
            if ((err = ext_map(fs, in, (uint32_t)(size >> fs->log_bs), &pblk, &run))) return err;
            if (pblk) {
                uint8_t *b = kmalloc(fs->bs);
                if (!b) return -ENOMEM;
                err = dev_read_blocks(fs, pblk, 1, b);
                if (!err) { memset(b + boff, 0, fs->bs - boff); err = dev_write_blocks(fs, pblk, 1, b); }
                kfree(b);
                if (err) return err;
            }
        }
    }
    i_set_size(in, size);
    i_touch(fs, in, true, true, false);
    return inode_write(fs, in);
}

int inode_release_all(struct ext4_fs *fs, struct inode *in)
{
    if (i_flags(in) & IF_EXTENTS) {
        int err = ext_truncate(fs, in, 0);
        if (err) return err;
    } else if (i_blocks512(fs, in) > (le32(in->raw + I_FILE_ACL_LO) ? fs->spb : 0u)) {
        /* block-mapped data (ext2/ext3): freeing it is not supported, and leaking it is not an option */
        return fs_error(fs, -EOPNOTSUPP, "inode %u uses block maps (ext2/ext3 format), which are read-only here",
                        in->ino);
    }
    i_set_size(in, 0);
    return 0;
}

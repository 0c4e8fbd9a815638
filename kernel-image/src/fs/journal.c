/*
 * journal.c - transactions and the jbd2 journal (inode 8).
 *
 * Every metadata block an operation changes joins the one running
 * transaction (tx_add); nothing reaches its home location before the
 * transaction commits. A commit is xv6's four steps in jbd2's format:
 *
 *   1. flush            ordered data and the previous "journal empty" jsb
 *   2. write            [revoke][descriptor, block copies...]... and the
 *                       journal superblock (s_start = s_first, s_sequence)
 *      flush
 *   3. write commit     the commit point; flush
 *   4. checkpoint       write every block home; flush; jsb s_start = 0
 *
 * So the journal only ever holds the latest transaction, always starting
 * at s_first. Recovery (ours at mount, or e2fsck's) replays it iff its
 * commit block is intact, which makes every transaction all-or-nothing.
 * With metadata_csum we write csum_v3: tagged block checksums, descriptor
 * and revoke block tails, commit block checksum, journal superblock sum.
 *
 * Replay follows jbd2's three passes: scan for the last committed
 * transaction, collect revoke records, replay blocks not revoked by a
 * same-or-later transaction.
 */
#include "ext4_int.h"

#define JBD2_MAGIC 0xC03B3998u
#define JT_DESCRIPTOR 1
#define JT_COMMIT 2
#define JT_SB_V1 3
#define JT_SB_V2 4
#define JT_REVOKE 5
#define JF_COMPAT_CHECKSUM 0x1
#define JF_REVOKE 0x1
#define JF_64BIT 0x2
#define JF_ASYNC_COMMIT 0x4
#define JF_CSUM_V2 0x8
#define JF_CSUM_V3 0x10
#define JF_KNOWN (JF_REVOKE | JF_64BIT | JF_CSUM_V2 | JF_CSUM_V3)
#define TAG_ESCAPE 1
#define TAG_SAME_UUID 2
#define TAG_LAST 8
/* journal superblock offsets */
#define JS_BLOCKSIZE 0x0C
#define JS_MAXLEN 0x10
#define JS_FIRST 0x14
#define JS_SEQUENCE 0x18
#define JS_START 0x1C
#define JS_ERRNO 0x20
#define JS_COMPAT 0x24
#define JS_INCOMPAT 0x28
#define JS_RO_COMPAT 0x2C
#define JS_UUID 0x30
#define JS_CSUM_TYPE 0x50
#define JS_CHECKSUM 0xFC

struct jext { uint32_t lblk, len; uint64_t pblk; };
struct undo { struct buf *b; uint8_t *copy; };
struct range { uint64_t start; uint32_t n; };
struct revoke { uint64_t blk; uint32_t tid; };

struct journal {
    bool present;
    struct jext *map; uint32_t nmap;
    uint8_t jsb[1024];
    uint32_t maxlen, first, seq;
    uint32_t incompat;
    uint32_t seed;
    bool jsb_unflushed;
    /* running transaction */
    struct buf **tx; uint32_t ntx, txcap;
    uint64_t *rev; uint32_t nrev, revcap;
    struct range *freed; uint32_t nfreed, freedcap;
    /* the operation in progress, undone as a whole if it fails */
    bool op_active;
    uint32_t op_id, op_ntx, op_nrev, op_nfreed;
    struct undo *undo; uint32_t nundo, undocap;
    uint8_t op_sb[1024];
    bool op_sb_dirty;
};

static uint32_t tx_limit(struct ext4_fs *fs);
static bool csum_on(struct journal *j) { return j->incompat & (JF_CSUM_V2 | JF_CSUM_V3); }

static int grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap) return 0;
    uint32_t nc = *cap ? *cap * 2 : 16;
    void *na = kmalloc(nc * elem);
    if (!na) return -ENOMEM;
    if (n) memcpy(na, *arr, n * elem);
    kfree(*arr);
    *arr = na;
    *cap = nc;
    return 0;
}

static struct journal *jget(struct ext4_fs *fs)
{
    if (!fs->j) {
        fs->j = kmalloc(sizeof(struct journal));
        if (fs->j) memset(fs->j, 0, sizeof(struct journal));
    }
    return fs->j;
}

static uint64_t jmap(struct journal *j, uint32_t jblk)
{
    for (uint32_t i = 0; i < j->nmap; i++)
        if (jblk >= j->map[i].lblk && jblk - j->map[i].lblk < j->map[i].len)
            return j->map[i].pblk + (jblk - j->map[i].lblk);
    return 0;
}

static bool in_journal(struct journal *j, uint64_t blk)
{
    for (uint32_t i = 0; i < j->nmap; i++)
        if (blk >= j->map[i].pblk && blk - j->map[i].pblk < j->map[i].len) return true;
    return false;
}

static int jread(struct ext4_fs *fs, uint32_t jblk, uint8_t *buf)
{
    uint64_t p = jmap(fs->j, jblk);
    if (!p) return fs_error(fs, -EUCLEAN, "journal block %u is not mapped", jblk);
    return dev_read_blocks(fs, p, 1, buf);
}

static int jwrite(struct ext4_fs *fs, uint32_t jblk, const uint8_t *buf)
{
    uint64_t p = jmap(fs->j, jblk);
    if (!p) return fs_error(fs, -EUCLEAN, "journal block %u is not mapped", jblk);
    return dev_write_blocks(fs, p, 1, buf);
}

static uint32_t jsb_csum(const uint8_t *jsb)
{
    uint8_t tmp[1024];
    memcpy(tmp, jsb, 1024);
    put32(tmp + JS_CHECKSUM, 0);
    return crc32c(~0u, tmp, 1024);
}

static int jsb_write(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    uint8_t *blk = kmalloc(fs->bs);
    if (!blk) return -ENOMEM;
    int r = jread(fs, 0, blk);
    if (!r) {
        if (csum_on(j)) putbe32(j->jsb + JS_CHECKSUM, jsb_csum(j->jsb));
        memcpy(blk, j->jsb, 1024);
        r = jwrite(fs, 0, blk);
    }
    kfree(blk);
    j->jsb_unflushed = true;
    return r;
}

static uint32_t tag_size(struct journal *j)
{
    if (j->incompat & JF_CSUM_V3) return 16;
    return (j->incompat & JF_64BIT) ? 12 : 8;
}

static bool block_tail_ok(struct ext4_fs *fs, const uint8_t *b)
{
    uint8_t *tmp = kmalloc(fs->bs);
    if (!tmp) return false;
    memcpy(tmp, b, fs->bs);
    put32(tmp + fs->bs - 4, 0);
    bool ok = be32(b + fs->bs - 4) == crc32c(fs->j->seed, tmp, fs->bs);
    kfree(tmp);
    return ok;
}

static void block_tail_set(struct ext4_fs *fs, uint8_t *b)
{
    put32(b + fs->bs - 4, 0);
    putbe32(b + fs->bs - 4, crc32c(fs->j->seed, b, fs->bs));
}

static uint32_t data_csum(struct ext4_fs *fs, uint32_t seq, const uint8_t *data)
{
    uint8_t s[4];
    putbe32(s, seq);
    return crc32c(crc32c(fs->j->seed, s, 4), data, fs->bs);
}

static uint32_t jnext(struct journal *j, uint32_t b) { b++; return b >= j->maxlen ? j->first : b; }

/* ---- recovery ---- */
enum { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

struct rtable { struct revoke *r; uint32_t n, cap; };

static int rtable_set(struct rtable *t, uint64_t blk, uint32_t tid)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->r[i].blk == blk) { if ((int32_t)(tid - t->r[i].tid) > 0) t->r[i].tid = tid; return 0; }
    int e = grow((void **)&t->r, &t->cap, t->n, sizeof(struct revoke));
    if (e) return e;
    t->r[t->n].blk = blk; t->r[t->n].tid = tid; t->n++;
    return 0;
}

static bool rtable_skip(struct rtable *t, uint64_t blk, uint32_t tid)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->r[i].blk == blk) return (int32_t)(t->r[i].tid - tid) >= 0;
    return false;
}

static int one_pass(struct ext4_fs *fs, int pass, uint32_t *end_tid, struct rtable *rt, uint32_t *nreplayed)
{
    struct journal *j = fs->j;
    uint32_t tid = be32(j->jsb + JS_SEQUENCE), blk = be32(j->jsb + JS_START);
    uint32_t ts = tag_size(j), steps = 0;
    uint8_t *b = kmalloc(fs->bs), *d = kmalloc(fs->bs);
    int err = 0;
    if (!b || !d) { kfree(b); kfree(d); return -ENOMEM; }
    for (;;) {
        if (pass != PASS_SCAN && (int32_t)(tid - *end_tid) >= 0) break;
        if (++steps > j->maxlen) {
            if (pass == PASS_SCAN) break;
            err = fs_error(fs, -EUCLEAN, "journal: runaway transaction chain"); break;
        }
        if ((err = jread(fs, blk, b))) break;
        if (be32(b) != JBD2_MAGIC || be32(b + 8) != tid) {
            if (pass != PASS_SCAN) err = fs_error(fs, -EUCLEAN, "journal: transaction %u vanished between passes", tid);
            break;
        }
        uint32_t type = be32(b + 4);
        if (type == JT_DESCRIPTOR) {
            if (csum_on(j) && !block_tail_ok(fs, b)) {
                if (pass != PASS_SCAN) err = fs_error(fs, -EUCLEAN, "journal: descriptor block checksum mismatch");
                break;
            }
            uint32_t off = 12, limit = fs->bs - (csum_on(j) ? 4 : 0);
            bool last = false;
            while (!last && off + ts <= limit) {
                const uint8_t *t = b + off;
                uint32_t flags = (j->incompat & JF_CSUM_V3) ? be32(t + 4) : (uint32_t)((t[6] << 8) | t[7]);
                uint64_t target = be32(t);
                if (j->incompat & JF_64BIT) target |= (uint64_t)be32(t + 8) << 32;
                off += ts + ((flags & TAG_SAME_UUID) ? 0 : 16);
                last = flags & TAG_LAST;
                blk = jnext(j, blk);
                if (pass != PASS_REPLAY) continue;
                if (rtable_skip(rt, target, tid)) continue;
                if ((err = jread(fs, blk, d))) break;
                if (j->incompat & JF_CSUM_V3) {
                    if (be32(t + 12) != data_csum(fs, tid, d)) { err = fs_error(fs, -EUCLEAN, "journal: block for %llu fails its checksum", (unsigned long long)target); break; }
                } else if (j->incompat & JF_CSUM_V2) {
                    if ((uint32_t)((t[4] << 8) | t[5]) != (data_csum(fs, tid, d) & 0xFFFF)) { err = fs_error(fs, -EUCLEAN, "journal: block for %llu fails its checksum", (unsigned long long)target); break; }
                }
                if (flags & TAG_ESCAPE) putbe32(d, JBD2_MAGIC);
                if (target >= fs->blocks_count || target < fs->first_data_block || in_journal(j, target)) {
                    err = fs_error(fs, -EUCLEAN, "journal: replay target %llu is invalid", (unsigned long long)target);
                    break;
                }
                if ((err = dev_write_blocks(fs, target, 1, d))) break;
                (*nreplayed)++;
            }
            if (err) break;
            blk = jnext(j, blk);
        } else if (type == JT_COMMIT) {
            if (csum_on(j)) {
                uint8_t *tmp = d;
                memcpy(tmp, b, fs->bs);
                put32(tmp + 16, 0);
                if (be32(b + 16) != crc32c(j->seed, tmp, fs->bs)) {
                    if (pass != PASS_SCAN) err = fs_error(fs, -EUCLEAN, "journal: commit block checksum mismatch");
                    break;
                }
            }
            tid++;
            if (pass == PASS_SCAN) *end_tid = tid;
            blk = jnext(j, blk);
        } else if (type == JT_REVOKE) {
            if (csum_on(j) && !block_tail_ok(fs, b)) {
                if (pass != PASS_SCAN) err = fs_error(fs, -EUCLEAN, "journal: revoke block checksum mismatch");
                break;
            }
            if (pass == PASS_REVOKE) {
                uint32_t count = be32(b + 12), rs = (j->incompat & JF_64BIT) ? 8 : 4;
                uint32_t limit = fs->bs - (csum_on(j) ? 4 : 0);
                if (count > limit || count < 16) { err = fs_error(fs, -EUCLEAN, "journal: bad revoke block size"); break; }
                for (uint32_t o = 16; o + rs <= count && !err; o += rs)
                    err = rtable_set(rt, rs == 8 ? be64(b + o) : be32(b + o), tid);
                if (err) break;
            }
            blk = jnext(j, blk);
        } else {
            if (pass != PASS_SCAN) err = fs_error(fs, -EUCLEAN, "journal: unknown block type %u", type);
            break;
        }
    }
    kfree(b); kfree(d);
    if (pass == PASS_SCAN && err == -EUCLEAN) err = 0;
    return err;
}

static int recover(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    uint32_t end = be32(j->jsb + JS_SEQUENCE), n = 0;
    struct rtable rt = { 0, 0, 0 };
    int err = one_pass(fs, PASS_SCAN, &end, &rt, &n);
    if (!err) err = one_pass(fs, PASS_REVOKE, &end, &rt, &n);
    if (!err) err = one_pass(fs, PASS_REPLAY, &end, &rt, &n);
    kfree(rt.r);
    if (err) return err;
    if ((err = dev_flush(fs))) return err;
    put32(j->jsb + JS_START, 0);
    putbe32(j->jsb + JS_START, 0);
    putbe32(j->jsb + JS_SEQUENCE, end);
    if ((err = jsb_write(fs)) || (err = dev_flush(fs))) return err;
    printf("ext4: journal replayed: %u blocks, transactions up to %u\n", n, end - 1);
    return 0;
}

int journal_load(struct ext4_fs *fs)
{
    struct journal *j = jget(fs);
    if (!j) return -ENOMEM;
    kfree(j->map);
    j->map = NULL; j->nmap = 0;
    uint32_t jino = le32(fs->sb + SB_JOURNAL_INUM);
    if (jino != JOURNAL_INO)
        return fs_error(fs, -EOPNOTSUPP, "journal inode %u is not supported (external journal?)", jino);
    struct inode in;
    int err = inode_read(fs, jino, &in);
    if (err) return err;
    uint64_t size = i_size(&in);
    uint64_t nblk = size >> fs->log_bs;
    if (nblk < 1024 / fs->bs + 8 || nblk > (1u << 24))
        return fs_error(fs, -EUCLEAN, "journal inode has a bad size");
    uint32_t cap = 0;
    for (uint32_t lb = 0; lb < nblk;) {
        uint64_t p; uint32_t run;
        if ((err = ext_map(fs, &in, lb, &p, &run))) return err;
        if (!p) return fs_error(fs, -EUCLEAN, "journal inode has a hole at block %u", lb);
        if (run > nblk - lb) run = (uint32_t)(nblk - lb);
        if ((err = grow((void **)&j->map, &cap, j->nmap, sizeof(struct jext)))) return err;
        j->map[j->nmap].lblk = lb; j->map[j->nmap].len = run; j->map[j->nmap].pblk = p;
        j->nmap++;
        lb += run;
    }
    j->present = true;
    uint8_t *blk = kmalloc(fs->bs);
    if (!blk) return -ENOMEM;
    err = jread(fs, 0, blk);
    if (!err) memcpy(j->jsb, blk, 1024);
    kfree(blk);
    if (err) return err;
    const uint8_t *s = j->jsb;
    if (be32(s) != JBD2_MAGIC || (be32(s + 4) != JT_SB_V1 && be32(s + 4) != JT_SB_V2))
        return fs_error(fs, -EUCLEAN, "journal superblock has a bad magic or type");
    j->incompat = be32(s + 4) == JT_SB_V2 ? be32(s + JS_INCOMPAT) : 0;
    if (j->incompat & ~JF_KNOWN)
        return fs_error(fs, -EOPNOTSUPP, "journal has unsupported features 0x%x", j->incompat & ~JF_KNOWN);
    if (csum_on(j) && be32(s + JS_CHECKSUM) != jsb_csum(s))
        return fs_error(fs, -EUCLEAN, "journal superblock checksum mismatch");
    j->maxlen = be32(s + JS_MAXLEN);
    j->first = be32(s + JS_FIRST);
    if (be32(s + JS_BLOCKSIZE) != fs->bs || j->maxlen > nblk || j->maxlen < 8 || j->first < 1 || j->first >= j->maxlen)
        return fs_error(fs, -EUCLEAN, "journal superblock geometry is invalid");
    uint32_t start = be32(s + JS_START);
    if (start && start >= j->maxlen)
        return fs_error(fs, -EUCLEAN, "journal start %u outside the journal", start);
    j->seed = crc32c(~0u, s + JS_UUID, 16);
    if (start) {
        if (fs->dev->readonly)
            return fs_error(fs, -EROFS, "journal needs recovery but the device is read-only");
        if ((err = recover(fs))) return err;
        /* recovery done: the superblock on disk may be the journal's copy */
        uint8_t *sbb = kmalloc(fs->bs);
        if (!sbb) return -ENOMEM;
        uint64_t sbn = fs->bs == 1024 ? 1 : 0;
        err = dev_read_blocks(fs, sbn, 1, sbb);
        if (!err) {
            uint8_t *sb = sbb + (fs->bs == 1024 ? 0 : 1024);
            put32(sb + SB_FEATURE_INCOMPAT, le32(sb + SB_FEATURE_INCOMPAT) & ~INCOMPAT_RECOVER);
            sb_csum_set(fs, sb);
            err = dev_write_blocks(fs, sbn, 1, sbb);
        }
        kfree(sbb);
        if (!err) err = dev_flush(fs);
        return err ? err : 1;
    }
    j->seq = be32(s + JS_SEQUENCE);
    if (!fs->readonly) {
        /* what we will write: like Linux, csum v3 when the fs has metadata_csum */
        uint32_t inc = JF_REVOKE;
        if (fs->is64) inc |= JF_64BIT;
        if (fs->csum) inc |= JF_CSUM_V3;
        if (be32(s + 4) != JT_SB_V2) putbe32(j->jsb + 4, JT_SB_V2);
        putbe32(j->jsb + JS_INCOMPAT, inc);
        putbe32(j->jsb + JS_COMPAT, 0);
        if (fs->csum) j->jsb[JS_CSUM_TYPE] = 4;
        j->incompat = inc;
        if ((err = jsb_write(fs)) || (err = dev_flush(fs))) return err;
        j->jsb_unflushed = false;
    }
    return 0;
}

void journal_free(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    if (!j) return;
    for (uint32_t i = 0; i < j->ntx; i++) { j->tx[i]->in_tx = false; j->tx[i]->refs--; }
    for (uint32_t i = 0; i < j->nundo; i++) kfree(j->undo[i].copy);
    kfree(j->tx); kfree(j->rev); kfree(j->freed); kfree(j->map); kfree(j->undo);
    kfree(j);
    fs->j = NULL;
}

/* ---- the running transaction ---- */
int tx_add(struct ext4_fs *fs, struct buf *b)
{
    struct journal *j = jget(fs);
    if (!j) return -ENOMEM;
    int e = grow((void **)&j->tx, &j->txcap, j->ntx, sizeof(struct buf *));
    if (e) return e;
    j->tx[j->ntx++] = b;
    b->in_tx = true;
    b->refs++;
    return 0;
}

void tx_revoke(struct ext4_fs *fs, uint64_t blk)
{
    struct journal *j = fs->j;
    if (!j) return;
    for (uint32_t i = 0; i < j->ntx; i++)
        if (j->tx[i]->blk == blk) j->tx[i]->revoked = true;
    if (j->present && !grow((void **)&j->rev, &j->revcap, j->nrev, sizeof(uint64_t)))
        j->rev[j->nrev++] = blk;
}

int tx_note_freed(struct ext4_fs *fs, uint64_t blk, uint32_t n)
{
    struct journal *j = jget(fs);
    if (!j) return -ENOMEM;
    int e = grow((void **)&j->freed, &j->freedcap, j->nfreed, sizeof(struct range));
    if (e) return e;
    j->freed[j->nfreed].start = blk; j->freed[j->nfreed].n = n;
    j->nfreed++;
    return 0;
}

bool tx_block_reserved(struct ext4_fs *fs, uint64_t blk)
{
    struct journal *j = fs->j;
    if (!j) return false;
    for (uint32_t i = 0; i < j->nfreed; i++)
        if (blk >= j->freed[i].start && blk - j->freed[i].start < j->freed[i].n) return true;
    return false;
}

uint32_t tx_size(struct ext4_fs *fs) { return fs->j ? fs->j->ntx : 0; }

int tx_snapshot(struct ext4_fs *fs, struct buf *b)
{
    struct journal *j = fs->j;
    if (!j || !j->op_active || b->op_seq == j->op_id) return 0;
    int e = grow((void **)&j->undo, &j->undocap, j->nundo, sizeof(struct undo));
    if (e) return e;
    uint8_t *c = kmalloc(fs->bs);
    if (!c) return -ENOMEM;
    memcpy(c, b->data, fs->bs);
    j->undo[j->nundo].b = b;
    j->undo[j->nundo].copy = c;
    j->nundo++;
    b->op_seq = j->op_id;
    return 0;
}

int tx_op_begin(struct ext4_fs *fs)
{
    if (fs->readonly) return fs_error(fs, -EROFS, "filesystem is mounted read-only");
    struct journal *j = jget(fs);
    if (!j) return -ENOMEM;
    j->op_active = true;
    j->op_id++;
    if (j->op_id == 0) j->op_id = 1;
    j->op_ntx = j->ntx; j->op_nrev = j->nrev; j->op_nfreed = j->nfreed;
    memcpy(j->op_sb, fs->sb, 1024);
    j->op_sb_dirty = fs->sb_dirty;
    j->nundo = 0;
    return 0;
}

static void op_forget_undo(struct journal *j)
{
    for (uint32_t i = 0; i < j->nundo; i++) kfree(j->undo[i].copy);
    j->nundo = 0;
    j->op_active = false;
}

int tx_op_end(struct ext4_fs *fs, int result)
{
    struct journal *j = fs->j;
    if (!j || !j->op_active) return result;
    if (result >= 0) {
        op_forget_undo(j);
        int e = 0;
        if (fs->sb_dirty) e = sb_write(fs);
        if (!e && tx_size(fs) >= tx_limit(fs)) e = journal_commit(fs);
        return e < 0 ? e : result;
    }
    /* failed: put every block back as it was when the operation began */
    for (uint32_t i = j->nundo; i-- > 0;) memcpy(j->undo[i].b->data, j->undo[i].copy, fs->bs);
    for (uint32_t r = j->op_nrev; r < j->nrev; r++)
        for (uint32_t i = 0; i < j->op_ntx; i++)
            if (j->tx[i]->blk == j->rev[r]) j->tx[i]->revoked = false;
    for (uint32_t i = j->op_ntx; i < j->ntx; i++) {
        struct buf *b = j->tx[i];
        b->in_tx = false; b->revoked = false; b->refs--;
        bcache_invalidate(fs, b);
    }
    j->ntx = j->op_ntx; j->nrev = j->op_nrev; j->nfreed = j->op_nfreed;
    memcpy(fs->sb, j->op_sb, 1024);
    fs->sb_dirty = j->op_sb_dirty;
    op_forget_undo(j);
    return result;
}

static uint32_t tx_limit(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    uint32_t lim = 1024;
    if (j && j->present && (j->maxlen - j->first) / 4 < lim) lim = (j->maxlen - j->first) / 4;
    return lim;
}

static void tx_release(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    for (uint32_t i = 0; i < j->ntx; i++) { j->tx[i]->in_tx = false; j->tx[i]->revoked = false; j->tx[i]->refs--; }
    j->ntx = 0; j->nrev = 0; j->nfreed = 0;
    bcache_drop_clean(fs);
}

static int checkpoint(struct ext4_fs *fs)
{
    struct journal *j = fs->j;
    for (uint32_t i = 0; i < j->ntx; i++) {
        if (j->tx[i]->revoked) continue;
        int e = dev_write_blocks(fs, j->tx[i]->blk, 1, j->tx[i]->data);
        if (e) return e;
    }
    return dev_flush(fs);
}

static int do_commit(struct ext4_fs *fs);

/* A failed commit leaves memory and disk out of step: stop writing. */
int journal_commit(struct ext4_fs *fs)
{
    int err = do_commit(fs);
    if (err < 0 && !fs->readonly) {
        fs->readonly = true;
        const char *why = "read-only: a journal commit failed";
        memcpy(fs->note, why, strlen(why) + 1);
        printf("ext4: journal commit failed (%d): %s; now read-only\n", err, fs->err);
    }
    return err;
}

static int do_commit(struct ext4_fs *fs)
{
    if (fs->readonly) return 0;
    int err;
    if (fs->sb_dirty && (err = sb_write(fs))) return err;
    struct journal *j = jget(fs);
    if (!j) return -ENOMEM;
    if (j->op_active) return fs_error(fs, -EINVAL, "journal_commit inside an operation");
    /* revoked buffers (freed since they joined) are dropped from the list */
    for (uint32_t i = 0; i < j->ntx;) {
        struct buf *rb = j->tx[i];
        if (!rb->revoked) { i++; continue; }
        rb->in_tx = false; rb->revoked = false; rb->refs--;
        j->tx[i] = j->tx[--j->ntx];
    }
    if (j->ntx == 0 && j->nrev == 0) { j->nfreed = 0; return dev_flush(fs); }
    if (!j->present) {      /* no journal: write in place */
        err = checkpoint(fs);
        if (!err) tx_release(fs);
        return err;
    }
    uint32_t ts = tag_size(j), tail = csum_on(j) ? 4 : 0;
    uint32_t rs = (j->incompat & JF_64BIT) ? 8 : 4;
    uint32_t per_rev = (fs->bs - 16 - tail) / rs;
    uint32_t nrevblk = (j->nrev + per_rev - 1) / per_rev;
    uint32_t per_desc = (fs->bs - 12 - tail - 16) / ts;
    uint32_t ndesc = (j->ntx + per_desc - 1) / per_desc;
    if (nrevblk + ndesc + j->ntx + 1 > j->maxlen - j->first)
        return fs_error(fs, -ENOSPC, "transaction of %u blocks does not fit the journal", j->ntx);
    uint32_t tid = j->seq;
    uint8_t *b = kmalloc(fs->bs);
    if (!b) return -ENOMEM;
    /* 1: ordered data (and the last "journal empty") durable first */
    err = dev_flush(fs);
    uint32_t pos = j->first;
    /* 2: revoke blocks, descriptors and block copies */
    for (uint32_t r = 0; r < j->nrev && !err;) {
        memset(b, 0, fs->bs);
        putbe32(b, JBD2_MAGIC); putbe32(b + 4, JT_REVOKE); putbe32(b + 8, tid);
        uint32_t o = 16;
        for (; r < j->nrev && o + rs <= fs->bs - tail; r++, o += rs) {
            if (rs == 8) putbe64(b + o, j->rev[r]); else putbe32(b + o, (uint32_t)j->rev[r]);
        }
        putbe32(b + 12, o);
        if (tail) block_tail_set(fs, b);
        err = jwrite(fs, pos, b);
        pos++;
    }
    uint8_t *d = err ? NULL : kmalloc(fs->bs);
    if (!err && !d) err = -ENOMEM;
    for (uint32_t i = 0; i < j->ntx && !err;) {
        uint32_t n = j->ntx - i < per_desc ? j->ntx - i : per_desc;
        uint32_t dpos = pos++;
        memset(b, 0, fs->bs);
        putbe32(b, JBD2_MAGIC); putbe32(b + 4, JT_DESCRIPTOR); putbe32(b + 8, tid);
        uint32_t o = 12;
        for (uint32_t k = 0; k < n && !err; k++, i++) {
            struct buf *tb = j->tx[i];
            memcpy(d, tb->data, fs->bs);
            uint32_t flags = (k == 0 ? 0 : TAG_SAME_UUID) | (k == n - 1 ? TAG_LAST : 0);
            if (be32(d) == JBD2_MAGIC) { put32(d, 0); flags |= TAG_ESCAPE; }
            uint8_t *t = b + o;
            putbe32(t, (uint32_t)tb->blk);
            if (j->incompat & JF_CSUM_V3) {
                putbe32(t + 4, flags);
                putbe32(t + 8, (uint32_t)(tb->blk >> 32));
                putbe32(t + 12, data_csum(fs, tid, tb->data));
            } else {
                t[6] = (uint8_t)(flags >> 8); t[7] = (uint8_t)flags;
                if (j->incompat & JF_64BIT) putbe32(t + 8, (uint32_t)(tb->blk >> 32));
            }
            o += ts;
            if (k == 0) { memcpy(b + o, j->jsb + JS_UUID, 16); o += 16; }
            err = jwrite(fs, pos++, d);
        }
        if (!err) {
            if (tail) block_tail_set(fs, b);
            err = jwrite(fs, dpos, b);
        }
    }
    kfree(d);
    if (!err) {
        putbe32(j->jsb + JS_START, j->first);
        putbe32(j->jsb + JS_SEQUENCE, tid);
        err = jsb_write(fs);
    }
    if (!err) err = dev_flush(fs);
    /* 3: the commit block - the commit point */
    if (!err) {
        memset(b, 0, fs->bs);
        putbe32(b, JBD2_MAGIC); putbe32(b + 4, JT_COMMIT); putbe32(b + 8, tid);
        putbe64(b + 48, rtc_seconds());
        if (csum_on(j)) putbe32(b + 16, crc32c(j->seed, b, fs->bs));
        err = jwrite(fs, pos, b);
    }
    if (!err) err = dev_flush(fs);
    kfree(b);
    if (err) return err;
    /* 4: checkpoint, then mark the journal empty */
    j->seq = tid + 1;
    if ((err = checkpoint(fs))) return err;
    putbe32(j->jsb + JS_START, 0);
    putbe32(j->jsb + JS_SEQUENCE, j->seq);
    err = jsb_write(fs);
    tx_release(fs);
    return err;
}

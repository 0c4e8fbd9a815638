/*
 * bcache.c - the metadata block cache.
 *
 * Buffers are whole filesystem blocks, found through a small hash table
 * and kept on an LRU list. A buffer modified by an operation joins the
 * running transaction (bdirty -> tx_add), which pins it until the journal
 * has committed it and written it back in place: the cache never writes a
 * dirty block on its own, so write ordering is entirely the journal's.
 * Clean, unreferenced buffers are evicted beyond `max_clean`.
 *
 * File data does not live here: it is read and written directly
 * (dev_read_blocks/dev_write_blocks); a data write drops any stale copy.
 */
#include "ext4_int.h"

#define HASH_SIZE 256

struct bcache {
    struct buf *hash[HASH_SIZE];
    struct buf *head, *tail;   /* LRU, most recent at head */
    uint32_t count, max_clean;
};

int dev_read_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t n, void *buf)
{
    if (blk + n > fs->blocks_count && fs->blocks_count)
        return fs_error(fs, -EIO, "read of block %llu beyond the filesystem", (unsigned long long)blk);
    if ((blk + n) * fs->spb > fs->dev->nsectors)
        return fs_error(fs, -EIO, "read of block %llu beyond the device", (unsigned long long)blk);
    int r = fs->dev->read(fs->dev, blk * fs->spb, n * fs->spb, buf);
    if (r < 0)
        return fs_error(fs, r, "device read error at block %llu", (unsigned long long)blk);
    return 0;
}

int dev_write_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t n, const void *buf)
{
    if ((blk + n) * fs->spb > fs->dev->nsectors)
        return fs_error(fs, -EIO, "write of block %llu beyond the device", (unsigned long long)blk);
    int r = fs->dev->write(fs->dev, blk * fs->spb, n * fs->spb, buf);
    if (r < 0)
        return fs_error(fs, r, "device write error at block %llu", (unsigned long long)blk);
    return 0;
}

int dev_flush(struct ext4_fs *fs)
{
    int r = fs->dev->flush ? fs->dev->flush(fs->dev) : 0;
    if (r < 0)
        return fs_error(fs, r, "device flush failed");
    return 0;
}

int bcache_init(struct ext4_fs *fs, uint32_t max_clean)
{
    struct bcache *c = kmalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    memset(c, 0, sizeof(*c));
    c->max_clean = max_clean;
    fs->bc = c;
    return 0;
}

static void lru_unlink(struct bcache *c, struct buf *b)
{
    if (b->prev) b->prev->next = b->next; else c->head = b->next;
    if (b->next) b->next->prev = b->prev; else c->tail = b->prev;
    b->prev = b->next = NULL;
}

static void lru_push(struct bcache *c, struct buf *b)
{
    b->prev = NULL;
    b->next = c->head;
    if (c->head) c->head->prev = b; else c->tail = b;
    c->head = b;
}

static void hash_remove(struct bcache *c, struct buf *b)
{
    struct buf **pp = &c->hash[b->blk % HASH_SIZE];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = b->hnext;
}

static void buf_destroy(struct bcache *c, struct buf *b)
{
    hash_remove(c, b);
    lru_unlink(c, b);
    c->count--;
    kfree(b->data);
    kfree(b);
}

static void evict(struct bcache *c)
{
    struct buf *b = c->tail;
    while (c->count > c->max_clean && b) {
        struct buf *p = b->prev;
        if (b->refs == 0 && !b->in_tx)
            buf_destroy(c, b);
        b = p;
    }
}

void bcache_destroy(struct ext4_fs *fs)
{
    struct bcache *c = fs->bc;
    if (!c)
        return;
    while (c->head)
        buf_destroy(c, c->head);
    kfree(c);
    fs->bc = NULL;
}

void bcache_invalidate(struct ext4_fs *fs, struct buf *b)
{
    if (b->refs == 0 && !b->in_tx)
        buf_destroy(fs->bc, b);
}

void bcache_drop_clean(struct ext4_fs *fs)
{
    struct bcache *c = fs->bc;
    struct buf *b = c->head;
    while (b) {
        struct buf *n = b->next;
        if (b->refs == 0 && !b->in_tx)
            buf_destroy(c, b);
        b = n;
    }
}

static struct buf *find(struct bcache *c, uint64_t blk)
{
    for (struct buf *b = c->hash[blk % HASH_SIZE]; b; b = b->hnext)
        if (b->blk == blk)
            return b;
    return NULL;
}

static struct buf *get(struct ext4_fs *fs, uint64_t blk, bool readit, int *err)
{
    struct bcache *c = fs->bc;
    *err = 0;
    if (blk >= fs->blocks_count) {
        *err = fs_error(fs, -EUCLEAN, "metadata block %llu beyond the end of the filesystem",
                        (unsigned long long)blk);
        return NULL;
    }
    struct buf *b = find(c, blk);
    if (b) {
        lru_unlink(c, b);
        lru_push(c, b);
        b->refs++;
        if (!readit && !b->in_tx)
            memset(b->data, 0, fs->bs);
        return b;
    }
    b = kmalloc(sizeof(*b));
    if (!b) {
        *err = -ENOMEM;
        return NULL;
    }
    memset(b, 0, sizeof(*b));
    b->data = kmalloc(fs->bs);
    if (!b->data) {
        kfree(b);
        *err = -ENOMEM;
        return NULL;
    }
    if (readit) {
        int r = dev_read_blocks(fs, blk, 1, b->data);
        if (r < 0) {
            kfree(b->data);
            kfree(b);
            *err = r;
            return NULL;
        }
    } else {
        memset(b->data, 0, fs->bs);
    }
    b->blk = blk;
    b->refs = 1;
    b->hnext = c->hash[blk % HASH_SIZE];
    c->hash[blk % HASH_SIZE] = b;
    lru_push(c, b);
    c->count++;
    evict(c);
    return b;
}

struct buf *bread(struct ext4_fs *fs, uint64_t blk, int *err) { return get(fs, blk, true, err); }
struct buf *bnew(struct ext4_fs *fs, uint64_t blk, int *err) { return get(fs, blk, false, err); }

void brelse(struct ext4_fs *fs, struct buf *b)
{
    if (!b)
        return;
    if (b->refs == 0) {
        fs_error(fs, -EIO, "brelse: buffer %llu not held", (unsigned long long)b->blk);
        return;
    }
    b->refs--;
    evict(fs->bc);
}

int bdirty(struct ext4_fs *fs, struct buf *b)
{
    if (fs->readonly)
        return fs_error(fs, -EROFS, "write to a read-only filesystem");
    if (b->in_tx)
        return tx_snapshot(fs, b);
    return tx_add(fs, b);
}

/* The block was freed: it must neither be written back nor journaled. */
void bforget(struct ext4_fs *fs, uint64_t blk)
{
    struct buf *b = find(fs->bc, blk);
    if (!b)
        return;
    if (b->in_tx) {
        tx_revoke(fs, blk);  /* stays pinned but is neither journaled nor written */
        return;
    }
    if (b->refs == 0)
        buf_destroy(fs->bc, b);
}

void ext4_cache_stats(const struct ext4_fs *fs, uint32_t *blocks, uint32_t *max_clean, uint32_t *block_size)
{
    *block_size = fs->bs;
    *blocks = fs->bc->count;
    *max_clean = fs->bc->max_clean;
}

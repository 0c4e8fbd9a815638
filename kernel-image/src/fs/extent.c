/*
 * extent.c - the extent tree that maps a file's logical blocks.
 *
 * The root lives in the inode's i_block (4 entries); deeper nodes are
 * blocks with a 12-byte header, 12-byte entries and a checksum tail after
 * eh_max entries. Lookups walk the tree checking every header, depth,
 * checksum and block number, so a corrupt tree yields -EUCLEAN, never a
 * wild read.
 *
 * Changes take one of two cheap paths - extend the extent that ends where
 * the new blocks begin, or drop a new extent into a leaf with room behind
 * its first entry - and otherwise rebuild: collect every extent, edit the
 * list, and lay the tree out again densely, reusing the old tree blocks.
 * Rebuilding keeps the code small and every resulting tree well-formed;
 * files here are written mostly sequentially, so it is rare.
 *
 * Inodes without the extents flag (ext2/ext3 block maps) are mapped by
 * bmap_map(), read-only: ext_add/ext_truncate refuse them with
 * -EOPNOTSUPP naming the inode.
 */
#include "ext4_int.h"

struct ext { uint32_t lblk, len; uint64_t pblk; bool uninit; };
struct extlist { struct ext *e; uint32_t n, cap; uint64_t *tree; uint32_t ntree, treecap; };

static uint32_t node_cap(struct ext4_fs *fs) { return (fs->bs - 12) / 12; }

static void ent_get(const uint8_t *p, struct ext *e)
{
    uint32_t raw = le16(p + 4);
    e->lblk = le32(p);
    e->uninit = raw > EXT_INIT_MAX_LEN;
    e->len = e->uninit ? raw - EXT_INIT_MAX_LEN : raw;
    e->pblk = (uint64_t)le16(p + 6) << 32 | le32(p + 8);
}

static void ent_put(uint8_t *p, const struct ext *e)
{
    put32(p, e->lblk);
    put16(p + 4, e->uninit ? e->len + EXT_INIT_MAX_LEN : e->len);
    put16(p + 6, (uint32_t)(e->pblk >> 32));
    put32(p + 8, (uint32_t)e->pblk);
}

static uint64_t idx_leaf(const uint8_t *p) { return (uint64_t)le16(p + 8) << 32 | le32(p + 4); }

static void node_csum_set(struct ext4_fs *fs, struct inode *in, uint8_t *blk)
{
    if (!fs->csum) return;
    uint32_t off = 12 + 12 * le16(blk + 4);
    put32(blk + off, crc32c(inode_csum_seed(fs, in), blk, off));
}

/* Check a node header; `cap` is the most entries this node can hold. */
static int check_header(struct ext4_fs *fs, struct inode *in, const uint8_t *h, uint32_t cap, int depth)
{
    if (le16(h) != EXT_MAGIC)
        return fs_error(fs, -EUCLEAN, "inode %u: bad extent header magic", in->ino);
    if (le16(h + 4) > cap || le16(h + 2) > le16(h + 4) || le16(h + 4) == 0)
        return fs_error(fs, -EUCLEAN, "inode %u: bad extent node entry counts", in->ino);
    if (depth >= 0 ? le16(h + 6) != depth : le16(h + 6) > EXT_MAX_DEPTH)
        return fs_error(fs, -EUCLEAN, "inode %u: bad extent tree depth", in->ino);
    return 0;
}

static struct buf *read_node(struct ext4_fs *fs, struct inode *in, uint64_t blk, int depth, int *err)
{
    if (!fs_block_valid(fs, blk, 1)) {
        *err = fs_error(fs, -EUCLEAN, "inode %u: extent node block %llu outside the filesystem",
                        in->ino, (unsigned long long)blk);
        return NULL;
    }
    struct buf *b = bread(fs, blk, err);
    if (!b) return NULL;
    if ((*err = check_header(fs, in, b->data, node_cap(fs), depth))) { brelse(fs, b); return NULL; }
    if (fs->csum) {
        uint32_t off = 12 + 12 * le16(b->data + 4);
        if (le32(b->data + off) != crc32c(inode_csum_seed(fs, in), b->data, off)) {
            brelse(fs, b);
            *err = fs_error(fs, -EUCLEAN, "inode %u: extent block %llu checksum mismatch",
                            in->ino, (unsigned long long)blk);
            return NULL;
        }
    }
    return b;
}

static int check_root(struct ext4_fs *fs, struct inode *in)
{
    if (!(i_flags(in) & IF_EXTENTS))
        return fs_error(fs, -EOPNOTSUPP, "inode %u uses block maps (ext2/ext3 format), which are read-only here",
                        in->ino);
    return check_header(fs, in, in->raw + I_BLOCK, 4, -1);
}

/*
 * Block maps (ext2/ext3, inodes without the extents flag), read-only:
 * i_block[0..11] are direct, [12] single, [13] double and [14] triple
 * indirect blocks of bs/4 little-endian block numbers; 0 is a hole.
 * The run returned stays inside one pointer array: consecutive physical
 * blocks (or consecutive holes) from lblk on.
 */
static int run_in(struct ext4_fs *fs, struct inode *in, const uint8_t *arr, uint32_t n, uint32_t i,
                  uint64_t *pblk, uint32_t *len)
{
    uint32_t first = le32(arr + 4 * i), k = 1;
    if (first == 0) {
        while (i + k < n && le32(arr + 4 * (i + k)) == 0) k++;
        *pblk = 0;
    } else {
        while (i + k < n && le32(arr + 4 * (i + k)) == first + k) k++;
        if (!fs_block_valid(fs, first, k))
            return fs_error(fs, -EUCLEAN, "inode %u: block map points outside the filesystem", in->ino);
        *pblk = first;
    }
    *len = k;
    return 0;
}

static int bmap_map(struct ext4_fs *fs, struct inode *in, uint32_t lblk, uint64_t *pblk, uint32_t *len)
{
    const uint8_t *ib = in->raw + I_BLOCK;
    uint64_t per = fs->bs / 4, l = lblk, span = per;   /* span: blocks under one pointer of the top level */
    if (l < 12) return run_in(fs, in, ib, 12, (uint32_t)l, pblk, len);
    l -= 12;
    int depth = 1;
    while (depth <= 3 && l >= span) { l -= span; span *= per; depth++; }
    if (depth > 3) return fs_error(fs, -EUCLEAN, "inode %u: block %u beyond the block map", in->ino, lblk);
    uint32_t blk = le32(ib + 4 * (11 + depth));
    for (int d = depth; d >= 1; d--) {
        /* span = per^d: the blocks this (sub)tree maps, l our offset in it */
        if (blk == 0) {
            uint64_t hole = span - l;
            *pblk = 0;
            *len = hole > 0xFFFFFFFFu - lblk ? 0xFFFFFFFFu - lblk : (uint32_t)hole;
            if (*len == 0) *len = 1;
            return 0;
        }
        if (!fs_block_valid(fs, blk, 1))
            return fs_error(fs, -EUCLEAN, "inode %u: indirect block %u outside the filesystem", in->ino, blk);
        int err;
        struct buf *b = bread(fs, blk, &err);
        if (!b) return err;
        span /= per;
        uint32_t idx = (uint32_t)(l / span);
        l %= span;
        if (d == 1) {
            err = run_in(fs, in, b->data, (uint32_t)per, idx, pblk, len);
            brelse(fs, b);
            return err;
        }
        blk = le32(b->data + 4 * idx);
        brelse(fs, b);
    }
    return fs_error(fs, -EUCLEAN, "inode %u: bad block map", in->ino);   /* not reached */
}

int ext_map(struct ext4_fs *fs, struct inode *in, uint32_t lblk, uint64_t *pblk, uint32_t *len)
{
    if (!(i_flags(in) & IF_EXTENTS)) return bmap_map(fs, in, lblk, pblk, len);
    int err = check_root(fs, in);
    if (err) return err;
    const uint8_t *h = in->raw + I_BLOCK;
    struct buf *b = NULL;
    int depth = le16(h + 6);
    uint32_t next = 0xFFFFFFFFu;   /* first mapped block after lblk, for hole lengths */
    for (;;) {
        uint32_t n = le16(h + 2);
        if (depth == 0) {
            *pblk = 0;
            *len = next - lblk;
            for (uint32_t i = 0; i < n; i++) {
                struct ext e;
                ent_get(h + 12 + 12 * i, &e);
                if (lblk < e.lblk) { if (e.lblk - lblk < *len) *len = e.lblk - lblk; break; }
                if (lblk - e.lblk < e.len) {
                    if (!e.uninit) {
                        if (!fs_block_valid(fs, e.pblk, e.len)) {
                            brelse(fs, b);
                            return fs_error(fs, -EUCLEAN, "inode %u: extent points outside the filesystem", in->ino);
                        }
                        *pblk = e.pblk + (lblk - e.lblk);
                    }
                    *len = e.len - (lblk - e.lblk);
                    break;
                }
            }
            brelse(fs, b);
            if (*len == 0) *len = 1;
            return 0;
        }
        if (n == 0) {
            brelse(fs, b);
            return fs_error(fs, -EUCLEAN, "inode %u: empty extent index node", in->ino);
        }
        uint32_t i = 0;
        while (i + 1 < n && le32(h + 12 + 12 * (i + 1)) <= lblk) i++;
        if (i + 1 < n) next = le32(h + 12 + 12 * (i + 1));
        uint64_t child = idx_leaf(h + 12 + 12 * i);
        struct buf *nb = read_node(fs, in, child, depth - 1, &err);
        brelse(fs, b);
        if (!nb) return err;
        b = nb;
        h = b->data;
        depth--;
    }
}

/* ---- collecting and rebuilding ---- */
static int list_push(struct extlist *l, const struct ext *e)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 16;
        struct ext *ne = kmalloc(nc * sizeof(*ne));
        if (!ne) return -ENOMEM;
        if (l->n) memcpy(ne, l->e, l->n * sizeof(*ne));
        kfree(l->e);
        l->e = ne;
        l->cap = nc;
    }
    l->e[l->n++] = *e;
    return 0;
}

static int tree_push(struct extlist *l, uint64_t blk)
{
    if (l->ntree == l->treecap) {
        uint32_t nc = l->treecap ? l->treecap * 2 : 8;
        uint64_t *nt = kmalloc(nc * sizeof(*nt));
        if (!nt) return -ENOMEM;
        if (l->ntree) memcpy(nt, l->tree, l->ntree * sizeof(*nt));
        kfree(l->tree);
        l->tree = nt;
        l->treecap = nc;
    }
    l->tree[l->ntree++] = blk;
    return 0;
}

static void list_free(struct extlist *l) { kfree(l->e); kfree(l->tree); }

static int collect(struct ext4_fs *fs, struct inode *in, const uint8_t *h, int depth, struct extlist *l, uint32_t *budget)
{
    uint32_t n = le16(h + 2);
    int err = 0;
    for (uint32_t i = 0; i < n && !err; i++) {
        if (depth == 0) {
            struct ext e;
            ent_get(h + 12 + 12 * i, &e);
            if (e.len == 0 || !fs_block_valid(fs, e.pblk, e.len) ||
                (l->n && l->e[l->n - 1].lblk + l->e[l->n - 1].len > e.lblk))
                return fs_error(fs, -EUCLEAN, "inode %u: bad or overlapping extent", in->ino);
            err = list_push(l, &e);
        } else {
            if ((*budget)-- == 0) return fs_error(fs, -EUCLEAN, "inode %u: extent tree too large", in->ino);
            uint64_t child = idx_leaf(h + 12 + 12 * i);
            struct buf *b = read_node(fs, in, child, depth - 1, &err);
            if (!b) return err;
            err = tree_push(l, child);
            if (!err) err = collect(fs, in, b->data, depth - 1, l, budget);
            brelse(fs, b);
        }
    }
    return err;
}

static int collect_all(struct ext4_fs *fs, struct inode *in, struct extlist *l)
{
    memset(l, 0, sizeof(*l));
    int err = check_root(fs, in);
    if (err) return err;
    uint32_t budget = 1u << 20;
    err = collect(fs, in, in->raw + I_BLOCK, le16(in->raw + I_BLOCK + 6), l, &budget);
    if (err) list_free(l);
    return err;
}

/* Lay the extents in `l` out as a fresh, dense tree; l->tree are the old nodes. */
static int rebuild(struct ext4_fs *fs, struct inode *in, struct extlist *l)
{
    uint32_t cap = node_cap(fs);
    uint32_t level_n[EXT_MAX_DEPTH + 1];
    int depth = 0;
    uint32_t cnt = l->n, total = 0;
    while (cnt > 4) {
        if (depth == EXT_MAX_DEPTH) return fs_error(fs, -EFBIG, "inode %u: too many extents", in->ino);
        cnt = (cnt + cap - 1) / cap;
        level_n[depth++] = cnt;
        total += cnt;
    }
    /* blocks for the nodes: reuse old ones, allocate the rest, free extras */
    uint64_t *blks = kmalloc((total + 1) * sizeof(uint64_t));
    if (!blks) return -ENOMEM;
    int err = 0;
    uint32_t have = 0;
    for (; have < total && have < l->ntree; have++) blks[have] = l->tree[have];
    uint64_t goal = l->n ? l->e[0].pblk : 0;
    while (have < total && !err) {
        uint64_t s; uint32_t got;
        err = balloc(fs, goal, 1, &s, &got);
        if (!err) { blks[have++] = s; i_add_blocks(fs, in, 1); }
    }
    for (uint32_t i = total; i < l->ntree && !err; i++) {
        err = bfree(fs, l->tree[i], 1);
        if (!err) i_add_blocks(fs, in, -1);
    }
    if (err) { kfree(blks); return err; }

    /* keys[] / ptrs[] of the level being built */
    uint32_t items = l->n;
    uint32_t *keys = kmalloc((items + 1) * sizeof(uint32_t));
    uint64_t *ptrs = kmalloc((items + 1) * sizeof(uint64_t));
    if (!keys || !ptrs) { kfree(keys); kfree(ptrs); kfree(blks); return -ENOMEM; }
    uint32_t bi = 0;
    for (int lev = 0; lev < depth && !err; lev++) {
        uint32_t nodes = level_n[lev];
        for (uint32_t k = 0; k < nodes && !err; k++) {
            struct buf *b = bnew(fs, blks[bi + k], &err);
            if (!b) break;
            if ((err = bdirty(fs, b))) { brelse(fs, b); break; }
            uint8_t *h = b->data;
            uint32_t from = k * cap, to = from + cap < items ? from + cap : items;
            put16(h, EXT_MAGIC); put16(h + 2, to - from); put16(h + 4, cap); put16(h + 6, lev); put32(h + 8, 0);
            for (uint32_t i = from; i < to; i++) {
                uint8_t *p = h + 12 + 12 * (i - from);
                if (lev == 0) ent_put(p, &l->e[i]);
                else { put32(p, keys[i]); put32(p + 4, (uint32_t)ptrs[i]); put16(p + 8, (uint32_t)(ptrs[i] >> 32)); put16(p + 10, 0); }
            }
            node_csum_set(fs, in, h);
            uint32_t key = lev == 0 ? l->e[from].lblk : keys[from];
            brelse(fs, b);
            keys[k] = key;      /* safe: k <= from */
            ptrs[k] = blks[bi + k];
        }
        bi += nodes;
        items = nodes;
    }
    if (!err) {
        uint8_t *h = in->raw + I_BLOCK;
        memset(h, 0, 60);
        put16(h, EXT_MAGIC); put16(h + 2, items); put16(h + 4, 4); put16(h + 6, depth);
        for (uint32_t i = 0; i < items; i++) {
            uint8_t *p = h + 12 + 12 * i;
            if (depth == 0) ent_put(p, &l->e[i]);
            else { put32(p, keys[i]); put32(p + 4, (uint32_t)ptrs[i]); put16(p + 8, (uint32_t)(ptrs[i] >> 32)); }
        }
    }
    kfree(keys); kfree(ptrs); kfree(blks);
    return err;
}

/* Fast paths: returns 1 if handled, 0 to fall back to a rebuild. */
static int add_fast(struct ext4_fs *fs, struct inode *in, const struct ext *ne)
{
    uint8_t *h = in->raw + I_BLOCK;
    struct buf *b = NULL;
    int depth = le16(h + 6), err;
    while (depth > 0) {
        uint32_t n = le16(h + 2), i = 0;
        while (i + 1 < n && le32(h + 12 + 12 * (i + 1)) <= ne->lblk) i++;
        if (n == 0 || le32(h + 12 + 12 * i) > ne->lblk) { brelse(fs, b); return 0; }
        struct buf *nb = read_node(fs, in, idx_leaf(h + 12 + 12 * i), depth - 1, &err);
        brelse(fs, b);
        if (!nb) return err;
        b = nb; h = b->data; depth--;
    }
    uint32_t n = le16(h + 2), pos = 0;
    while (pos < n && le32(h + 12 + 12 * pos) <= ne->lblk) pos++;
    int done = 0;
    if (b && (err = bdirty(fs, b))) { brelse(fs, b); return err; }
    if (pos > 0) {
        struct ext prev;
        ent_get(h + 12 + 12 * (pos - 1), &prev);
        if (prev.lblk + prev.len > ne->lblk) {
            brelse(fs, b);
            return fs_error(fs, prev.uninit ? -EOPNOTSUPP : -EUCLEAN,
                            "inode %u: new extent overlaps an existing one%s", in->ino,
                            prev.uninit ? " (preallocated)" : "");
        }
        if (!prev.uninit && prev.lblk + prev.len == ne->lblk && prev.pblk + prev.len == ne->pblk &&
            prev.len + ne->len <= EXT_INIT_MAX_LEN) {
            prev.len += ne->len;
            ent_put(h + 12 + 12 * (pos - 1), &prev);
            done = 1;
        } else if (n < le16(h + 4)) {
            memmove(h + 12 + 12 * (pos + 1), h + 12 + 12 * pos, 12 * (n - pos));
            ent_put(h + 12 + 12 * pos, ne);
            put16(h + 2, n + 1);
            done = 1;
        }
    }
    if (done && b) {
        node_csum_set(fs, in, b->data);
        brelse(fs, b);
        return 1;
    }
    brelse(fs, b);
    return done;
}

int ext_add(struct ext4_fs *fs, struct inode *in, uint32_t lblk, uint64_t pblk, uint32_t len)
{
    struct ext ne = { lblk, len, pblk, false };
    int err = check_root(fs, in);
    if (err) return err;
    if (len == 0 || len > EXT_INIT_MAX_LEN) return fs_error(fs, -EINVAL, "ext_add: bad length %u", len);
    int r = add_fast(fs, in, &ne);
    if (r != 0) return r < 0 ? r : 0;
    struct extlist l;
    if ((err = collect_all(fs, in, &l))) return err;
    uint32_t pos = 0;
    while (pos < l.n && l.e[pos].lblk < lblk) pos++;
    if ((pos > 0 && l.e[pos - 1].lblk + l.e[pos - 1].len > lblk) || (pos < l.n && lblk + len > l.e[pos].lblk)) {
        list_free(&l);
        return fs_error(fs, -EOPNOTSUPP, "inode %u: new extent overlaps an existing one", in->ino);
    }
    struct ext *p = pos > 0 ? &l.e[pos - 1] : NULL;
    if (p && !p->uninit && p->lblk + p->len == lblk && p->pblk + p->len == pblk && p->len + len <= EXT_INIT_MAX_LEN) {
        p->len += len;
    } else {
        err = list_push(&l, &ne);   /* grow, then shift into place */
        if (!err) {
            memmove(&l.e[pos + 1], &l.e[pos], (l.n - 1 - pos) * sizeof(struct ext));
            l.e[pos] = ne;
        }
    }
    if (!err) err = rebuild(fs, in, &l);
    list_free(&l);
    return err;
}

int ext_truncate(struct ext4_fs *fs, struct inode *in, uint32_t first)
{
    struct extlist l;
    int err = collect_all(fs, in, &l);
    if (err) return err;
    uint32_t keep = 0;
    bool changed = false;
    for (uint32_t i = 0; i < l.n && !err; i++) {
        struct ext *e = &l.e[i];
        if (e->lblk + e->len <= first) { l.e[keep++] = *e; continue; }
        changed = true;
        uint32_t cut = e->lblk >= first ? 0 : first - e->lblk;   /* blocks that stay */
        err = bfree(fs, e->pblk + cut, e->len - cut);
        if (!err) i_add_blocks(fs, in, -(int64_t)(e->len - cut));
        if (cut) { e->len = cut; l.e[keep++] = *e; }
    }
    l.n = keep;
    if (!err && changed) err = rebuild(fs, in, &l);
    list_free(&l);
    return err;
}

/*
 * vfs.c - the path-level API the shell and the registry use.
 *
 * Paths are absolute. Intermediate symlinks are followed (at most 8), the
 * final component never is. Each modifying call is bracketed by
 * tx_op_begin/tx_op_end: it joins the running transaction as one unit,
 * and if it fails half-way every block it touched is put back, so a
 * failed call changes nothing. rename() replaces its target inside one
 * transaction, which is what makes the registry's hot-swap atomic.
 */
#include "ext4_int.h"

#define MAX_SYMLINKS 8
#define PATH_BUF 4096        /* Linux's PATH_MAX: paths and link targets up to 4095 bytes */

static bool is_dir(const struct inode *in) { return (i_mode(in) & EXT4_S_IFMT) == EXT4_S_IFDIR; }
static bool is_lnk(const struct inode *in) { return (i_mode(in) & EXT4_S_IFMT) == EXT4_S_IFLNK; }
static bool is_reg(const struct inode *in) { return (i_mode(in) & EXT4_S_IFMT) == EXT4_S_IFREG; }
/* Linux's test: a symlink with no data blocks (besides an xattr block) keeps its text in i_block. */
static bool fast_link(struct ext4_fs *fs, const struct inode *in)
{
    uint64_t ea = le32(in->raw + I_FILE_ACL_LO) ? fs->spb : 0;
    return is_lnk(in) && !(i_flags(in) & IF_EXTENTS) && i_blocks512(fs, in) <= ea;
}

static int get_inode(struct ext4_fs *fs, uint32_t ino, struct inode *in)
{
    int e = inode_read(fs, ino, in);
    if (e) return e;
    if (le16(in->raw + I_LINKS) == 0 || i_mode(in) == 0)
        return fs_error(fs, -EUCLEAN, "directory entry points at unused inode %u", ino);
    if (i_flags(in) & IF_INLINE_DATA)
        return fs_error(fs, -EOPNOTSUPP, "inode %u has inline data", ino);
    return 0;
}

/* The target of a symlink: at most a block less one byte, and at most 4095 bytes (as Linux). */
static int64_t read_link(struct ext4_fs *fs, struct inode *in, char *buf, uint64_t size)
{
    uint64_t len = i_size(in);
    if (len == 0 || len >= fs->bs || len >= PATH_BUF)
        return fs_error(fs, -EUCLEAN, "symlink %u has a bad length %llu", in->ino, (unsigned long long)len);
    if (len > size) len = size;
    if (fast_link(fs, in)) {
        if (i_size(in) >= 60) return fs_error(fs, -EUCLEAN, "fast symlink %u too long", in->ino);
        memcpy(buf, in->raw + I_BLOCK, len);
        return (int64_t)len;
    }
    return file_read(fs, in, 0, buf, len);
}

/*
 * Resolve `path`. With want_parent, stop before the last component: *ino
 * is the directory and `last` its name (never "", "." or ".."). With
 * follow, a symlink as the last component is followed too (open()-like).
 */
static int namei(struct ext4_fs *fs, const char *path, bool want_parent, bool follow, uint32_t *ino, char *last)
{
    char buf[PATH_BUF], tmp[PATH_BUF];
    size_t plen = strlen(path);
    if (path[0] != '/') return -EINVAL;
    if (plen >= PATH_BUF) return -ENAMETOOLONG;
    memcpy(buf, path, plen + 1);
    uint32_t cur = ROOT_INO;
    int links = 0;
    char *p = buf;
    for (;;) {
        while (*p == '/') p++;
        if (!*p) {
            if (want_parent) return -EINVAL;
            *ino = cur;
            return 0;
        }
        char *e = p;
        while (*e && *e != '/') e++;
        size_t len = (size_t)(e - p);
        char *next = e;
        while (*next == '/') next++;
        bool is_last = *next == 0;
        if (len > 255) return -ENAMETOOLONG;
        if (is_last && want_parent) {
            if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) return -EINVAL;
            memcpy(last, p, len);
            last[len] = 0;
            *ino = cur;
            return 0;
        }
        struct inode dir;
        int err = get_inode(fs, cur, &dir);
        if (err) return err;
        if (!is_dir(&dir)) return -ENOTDIR;
        uint32_t child;
        if ((err = dir_lookup(fs, &dir, p, (uint32_t)len, &child, NULL))) return err;
        if (is_last && !follow) { *ino = child; return 0; }
        struct inode cin;
        if ((err = get_inode(fs, child, &cin))) return err;
        if (is_last && !is_lnk(&cin)) { *ino = child; return 0; }
        if (is_lnk(&cin)) {
            if (++links > MAX_SYMLINKS) return -ELOOP;
            int64_t n = read_link(fs, &cin, tmp, PATH_BUF - 1);
            if (n < 0) return (int)n;
            size_t rest = strlen(next);
            if ((size_t)n + 1 + rest + 1 > PATH_BUF) return -ENAMETOOLONG;
            tmp[n] = '/';
            memcpy(tmp + n + 1, next, rest + 1);
            memcpy(buf, tmp, (size_t)n + 1 + rest + 1);
            p = buf;
            if (buf[0] == '/') cur = ROOT_INO;
            continue;
        }
        cur = child;
        p = next;
    }
}

static int lookup_inode(struct ext4_fs *fs, const char *path, struct inode *in)
{
    uint32_t ino;
    int err = namei(fs, path, false, false, &ino, NULL);
    if (err) return err;
    return get_inode(fs, ino, in);
}

/* Like open(): a final symlink is followed. */
static int open_inode(struct ext4_fs *fs, const char *path, struct inode *in)
{
    uint32_t ino;
    int err = namei(fs, path, false, true, &ino, NULL);
    if (err) return err;
    return get_inode(fs, ino, in);
}

static void fill_stat(struct ext4_fs *fs, const struct inode *in, struct ext4_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->ino = in->ino;
    st->mode = i_mode(in);
    st->nlink = le16(in->raw + I_LINKS);
    st->uid = le16(in->raw + I_UID) | (uint32_t)le16(in->raw + I_UID_HI) << 16;
    st->gid = le16(in->raw + I_GID) | (uint32_t)le16(in->raw + I_GID_HI) << 16;
    st->size = i_size(in);
    st->blocks512 = i_blocks512(fs, in);
    st->atime = le32(in->raw + I_ATIME);
    st->mtime = le32(in->raw + I_MTIME);
    st->ctime = le32(in->raw + I_CTIME);
}

int vfs_lstat(struct ext4_fs *fs, const char *path, struct ext4_stat *st)
{
    struct inode in;
    int err = lookup_inode(fs, path, &in);
    if (err) return err;
    fill_stat(fs, &in, st);
    return 0;
}

/* By inode number (from readdir): no path walk, so ls -l of a big directory stays linear. */
int vfs_stat_ino(struct ext4_fs *fs, uint32_t ino, struct ext4_stat *st)
{
    struct inode in;
    int err = get_inode(fs, ino, &in);
    if (err) return err;
    fill_stat(fs, &in, st);
    return 0;
}

int64_t vfs_readlink_ino(struct ext4_fs *fs, uint32_t ino, char *buf, uint64_t size)
{
    struct inode in;
    int err = get_inode(fs, ino, &in);
    if (err) return err;
    if (!is_lnk(&in)) return -EINVAL;
    return read_link(fs, &in, buf, size);
}

int vfs_readdir(struct ext4_fs *fs, const char *path, ext4_dir_fn fn, void *arg)
{
    struct inode in;
    int err = open_inode(fs, path, &in);
    if (err) return err;
    if (!is_dir(&in)) return -ENOTDIR;
    err = dir_iterate(fs, &in, fn, arg);
    return err < 0 ? err : 0;
}

int64_t vfs_read(struct ext4_fs *fs, const char *path, uint64_t off, void *buf, uint64_t len)
{
    struct inode in;
    int err = open_inode(fs, path, &in);
    if (err) return err;
    if (is_dir(&in)) return -EISDIR;
    if (!is_reg(&in)) return -EINVAL;
    return file_read(fs, &in, off, buf, len);
}

int64_t vfs_readlink(struct ext4_fs *fs, const char *path, char *buf, uint64_t size)
{
    struct inode in;
    int err = lookup_inode(fs, path, &in);
    if (err) return err;
    if (!is_lnk(&in)) return -EINVAL;
    return read_link(fs, &in, buf, size);
}

/* ---- creation ---- */
static int new_inode(struct ext4_fs *fs, struct inode *parent, uint16_t mode, struct inode *in)
{
    uint32_t ino;
    int err = ialloc(fs, parent->ino, (mode & EXT4_S_IFMT) == EXT4_S_IFDIR, &ino);
    if (err) return err;
    inode_init(fs, in, ino, mode);
    put16(in->raw + I_LINKS, 1);
    return 0;
}

static int parent_for_create(struct ext4_fs *fs, const char *path, struct inode *dir, char *name)
{
    uint32_t dino, x;
    int err = namei(fs, path, true, false, &dino, name);
    if (err) return err;
    if ((err = get_inode(fs, dino, dir))) return err;
    if (!is_dir(dir)) return -ENOTDIR;
    err = dir_lookup(fs, dir, name, (uint32_t)strlen(name), &x, NULL);
    if (err == 0) return -EEXIST;
    return err == -ENOENT ? 0 : err;
}

static int do_create(struct ext4_fs *fs, const char *path, uint16_t perm)
{
    struct inode dir, in;
    char name[256];
    int err = parent_for_create(fs, path, &dir, name);
    if (err) return err;
    if ((err = new_inode(fs, &dir, EXT4_S_IFREG | (perm & 07777), &in))) return err;
    if ((err = inode_write(fs, &in))) return err;
    return dir_add(fs, &dir, name, (uint32_t)strlen(name), in.ino, FT_REG);
}

int vfs_create(struct ext4_fs *fs, const char *path, uint16_t perm)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_create(fs, path, perm));
}

static int64_t do_write(struct ext4_fs *fs, const char *path, uint64_t off, const void *buf, uint64_t len, unsigned fl)
{
    struct inode in;
    int err = open_inode(fs, path, &in);
    if (err == -ENOENT && (fl & VFS_O_CREATE)) {
        if ((err = do_create(fs, path, 0644))) return err;
        err = lookup_inode(fs, path, &in);
    }
    if (err) return err;
    if (is_dir(&in)) return -EISDIR;
    if (!is_reg(&in)) return -EINVAL;
    if ((fl & VFS_O_TRUNC) && i_size(&in) && (err = file_truncate(fs, &in, 0))) return err;
    return file_write(fs, &in, off, buf, len);
}

int64_t vfs_write(struct ext4_fs *fs, const char *path, uint64_t off, const void *buf, uint64_t len, unsigned fl)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    int64_t r = do_write(fs, path, off, buf, len, fl);
    int e = tx_op_end(fs, r < 0 ? (int)r : 0);
    return e < 0 ? e : r;
}

static int do_truncate(struct ext4_fs *fs, const char *path, uint64_t size)
{
    struct inode in;
    int err = open_inode(fs, path, &in);
    if (err) return err;
    if (is_dir(&in)) return -EISDIR;
    if (!is_reg(&in)) return -EINVAL;
    return file_truncate(fs, &in, size);
}

int vfs_truncate(struct ext4_fs *fs, const char *path, uint64_t size)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_truncate(fs, path, size));
}

static int do_mkdir(struct ext4_fs *fs, const char *path, uint16_t perm)
{
    struct inode dir, in;
    char name[256];
    int err = parent_for_create(fs, path, &dir, name);
    if (err) return err;
    if (le16(dir.raw + I_LINKS) >= 65000 && !(fs->ro_compat & RO_COMPAT_DIR_NLINK)) return -EMLINK;
    if ((err = new_inode(fs, &dir, EXT4_S_IFDIR | (perm & 07777), &in))) return err;
    put16(in.raw + I_LINKS, 2);
    if ((err = dir_init_block(fs, &in, dir.ino))) return err;
    if ((err = inode_write(fs, &in))) return err;
    if ((err = dir_add(fs, &dir, name, (uint32_t)strlen(name), in.ino, FT_DIR))) return err;
    uint32_t l = le16(dir.raw + I_LINKS);
    put16(dir.raw + I_LINKS, (l == 1 || l + 1 >= 65000) ? 1 : l + 1);
    return inode_write(fs, &dir);
}

int vfs_mkdir(struct ext4_fs *fs, const char *path, uint16_t perm)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_mkdir(fs, path, perm));
}

static int do_symlink(struct ext4_fs *fs, const char *target, const char *path)
{
    size_t tl = strlen(target);
    if (tl == 0) return -EINVAL;
    if (tl >= fs->bs || tl >= PATH_BUF)
        return fs_error(fs, -ENAMETOOLONG, "symlink target of %llu bytes (at most %u here)",
                        (unsigned long long)tl, (fs->bs < PATH_BUF ? fs->bs : PATH_BUF) - 1);
    struct inode dir, in;
    char name[256];
    int err = parent_for_create(fs, path, &dir, name);
    if (err) return err;
    if ((err = new_inode(fs, &dir, EXT4_S_IFLNK | 0777, &in))) return err;
    if (tl < 60) {
        memcpy(in.raw + I_BLOCK, target, tl);
        i_set_size(&in, tl);
        if ((err = inode_write(fs, &in))) return err;
    } else {
        put32(in.raw + I_FLAGS, IF_EXTENTS);
        uint8_t *h = in.raw + I_BLOCK;
        put16(h, EXT_MAGIC); put16(h + 2, 0); put16(h + 4, 4); put16(h + 6, 0);
        int64_t n = file_write(fs, &in, 0, target, tl);
        if (n < 0) return (int)n;
    }
    return dir_add(fs, &dir, name, (uint32_t)strlen(name), in.ino, FT_SYMLINK);
}

int vfs_symlink(struct ext4_fs *fs, const char *target, const char *linkpath)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_symlink(fs, target, linkpath));
}

/* ---- removal ---- */
/* Drop one link of `in`; free it when none is left. */
static int drop_link(struct ext4_fs *fs, struct inode *in)
{
    uint32_t l = le16(in->raw + I_LINKS);
    bool dir = is_dir(in);
    if (dir || l <= 1) {
        int err = inode_release_all(fs, in);
        if (err) return err;
        put16(in->raw + I_LINKS, 0);
        put32(in->raw + I_DTIME, (uint32_t)rtc_seconds());
        if ((err = inode_write(fs, in))) return err;
        return ifree(fs, in->ino, dir);
    }
    put16(in->raw + I_LINKS, l - 1);
    i_touch(fs, in, false, true, false);
    return inode_write(fs, in);
}

static void parent_unlink_dir(struct inode *parent)
{
    uint32_t l = le16(parent->raw + I_LINKS);
    if (l > 2) put16(parent->raw + I_LINKS, l - 1);
}

static int do_remove(struct ext4_fs *fs, const char *path, bool want_dir)
{
    struct inode dir, in;
    char name[256];
    uint32_t dino, ino;
    int err = namei(fs, path, true, false, &dino, name);
    if (err) return err;
    if ((err = get_inode(fs, dino, &dir))) return err;
    if (!is_dir(&dir)) return -ENOTDIR;
    uint32_t nl = (uint32_t)strlen(name);
    if ((err = dir_lookup(fs, &dir, name, nl, &ino, NULL))) return err;
    if ((err = get_inode(fs, ino, &in))) return err;
    if (want_dir) {
        if (!is_dir(&in)) return -ENOTDIR;
        if (ino == ROOT_INO) return -EINVAL;
        int empty = dir_is_empty(fs, &in);
        if (empty < 0) return empty;
        if (!empty) return -ENOTEMPTY;
    } else if (is_dir(&in)) {
        return -EISDIR;
    }
    if ((err = dir_remove(fs, &dir, name, nl))) return err;
    if (want_dir) {
        parent_unlink_dir(&dir);
        if ((err = inode_write(fs, &dir))) return err;
    }
    return drop_link(fs, &in);
}

int vfs_unlink(struct ext4_fs *fs, const char *path)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_remove(fs, path, false));
}

int vfs_rmdir(struct ext4_fs *fs, const char *path)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_remove(fs, path, true));
}

/* Is `anc` an ancestor of (or equal to) directory `ino`? Walks "..". */
static int is_ancestor(struct ext4_fs *fs, uint32_t anc, uint32_t ino)
{
    for (int depth = 0; depth < 4096; depth++) {
        if (ino == anc) return 1;
        if (ino == ROOT_INO) return 0;
        struct inode d;
        int err = get_inode(fs, ino, &d);
        if (err) return err;
        uint32_t up;
        if ((err = dir_lookup(fs, &d, "..", 2, &up, NULL))) return err;
        ino = up;
    }
    return fs_error(fs, -EUCLEAN, "directory tree too deep or looping");
}

static int do_rename(struct ext4_fs *fs, const char *from, const char *to)
{
    char sname[256], dname[256];
    uint32_t sdino, ddino, sino, dino_t = 0;
    int err = namei(fs, from, true, false, &sdino, sname);
    if (err) return err;
    if ((err = namei(fs, to, true, false, &ddino, dname))) return err;
    struct inode sdir, ddir_store, src, dst;
    if ((err = get_inode(fs, sdino, &sdir))) return err;
    struct inode *ddir = &sdir;
    if (ddino != sdino) {
        if ((err = get_inode(fs, ddino, &ddir_store))) return err;
        ddir = &ddir_store;
    }
    if (!is_dir(&sdir) || !is_dir(ddir)) return -ENOTDIR;
    uint32_t sl = (uint32_t)strlen(sname), dl = (uint32_t)strlen(dname);
    if ((err = dir_lookup(fs, &sdir, sname, sl, &sino, NULL))) return err;
    if ((err = get_inode(fs, sino, &src))) return err;
    err = dir_lookup(fs, ddir, dname, dl, &dino_t, NULL);
    if (err && err != -ENOENT) return err;
    bool exists = err == 0;
    if (exists && dino_t == sino) return 0;
    bool sdir_is = is_dir(&src);
    if (sdir_is) {
        int a = is_ancestor(fs, sino, ddino);
        if (a < 0) return a;
        if (a) return -EINVAL;
    }
    if (exists) {
        if ((err = get_inode(fs, dino_t, &dst))) return err;
        if (is_dir(&dst)) {
            if (!sdir_is) return -EISDIR;
            int empty = dir_is_empty(fs, &dst);
            if (empty < 0) return empty;
            if (!empty) return -ENOTEMPTY;
        } else if (sdir_is) {
            return -ENOTDIR;
        }
        /* the atomic replace: the target name now names the source */
        if ((err = dir_set_entry(fs, ddir, dname, dl, sino, mode_to_ft(i_mode(&src))))) return err;
        if (is_dir(&dst)) {
            parent_unlink_dir(ddir);
            if ((err = inode_write(fs, ddir))) return err;
        }
        if ((err = drop_link(fs, &dst))) return err;
    } else {
        if ((err = dir_add(fs, ddir, dname, dl, sino, mode_to_ft(i_mode(&src))))) return err;
    }
    if ((err = dir_remove(fs, &sdir, sname, sl))) return err;
    if (sdir_is && sdino != ddino) {
        if ((err = dir_set_entry(fs, &src, "..", 2, ddino, FT_DIR))) return err;
        parent_unlink_dir(&sdir);
        if ((err = inode_write(fs, &sdir))) return err;
        uint32_t l = le16(ddir->raw + I_LINKS);
        put16(ddir->raw + I_LINKS, (l == 1 || l + 1 >= 65000) ? 1 : l + 1);
        if ((err = inode_write(fs, ddir))) return err;
    }
    i_touch(fs, &src, false, true, false);
    return inode_write(fs, &src);
}

int vfs_rename(struct ext4_fs *fs, const char *from, const char *to)
{
    int err = tx_op_begin(fs);
    if (err) return err;
    return tx_op_end(fs, do_rename(fs, from, to));
}

/* ---- durability ---- */
int vfs_fsync(struct ext4_fs *fs, const char *path)
{
    struct inode in;
    int err = open_inode(fs, path, &in);
    if (err) return err;
    return fs->readonly ? 0 : journal_commit(fs);
}

int vfs_sync(struct ext4_fs *fs) { return fs->readonly ? 0 : journal_commit(fs); }

int vfs_statfs(struct ext4_fs *fs, struct ext4_statfs *st)
{
    memset(st, 0, sizeof(*st));
    st->block_size = fs->bs;
    st->blocks = fs->blocks_count;
    st->free_blocks = sb_free_blocks(fs);
    uint64_t r = le32(fs->sb + SB_R_BLOCKS_LO);
    if (fs->is64) r |= (uint64_t)le32(fs->sb + SB_R_BLOCKS_HI) << 32;
    st->avail_blocks = st->free_blocks > r ? st->free_blocks - r : 0;
    st->inodes = fs->inodes_count;
    st->free_inodes = le32(fs->sb + SB_FREE_INODES);
    st->max_name = 255;
    return 0;
}

const char *vfs_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EUCLEAN: return "EUCLEAN";
    default: return "E?";
    }
}

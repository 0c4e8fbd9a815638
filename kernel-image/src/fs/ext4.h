/*
 * ext4.h - the ext4 driver's interface for the rest of the kernel.
 *
 * Mount a block device, then work by path through the vfs_* calls. Every
 * call returns 0 (or a byte count) on success and -errno on failure; on
 * -EIO/-EUCLEAN ext4_last_error() names the on-disk problem. Paths are
 * absolute ("/models/active"); intermediate symlinks are followed. A final
 * symlink is followed by read, write, truncate, readdir and fsync (like
 * open), and not by lstat, readlink, unlink, rmdir, rename, mkdir, symlink.
 *
 * Each modifying call is one atomic step in the running journal
 * transaction; vfs_fsync/vfs_sync commit it (and so does a full
 * transaction or umount). After a power cut the next mount replays
 * committed transactions, so the disk shows every step up to some commit.
 */
#ifndef FS_EXT4_H
#define FS_EXT4_H

#include "blkdev.h"

struct ext4_fs;

#define EXT4_MOUNT_RDONLY 1u

int ext4_mount(struct blockdev *dev, unsigned flags, struct ext4_fs **out);
int ext4_umount(struct ext4_fs *fs);              /* commits, marks clean, frees */
void ext4_abort(struct ext4_fs *fs);              /* frees without writing (power cut) */
const char *ext4_last_error(const struct ext4_fs *fs);
bool ext4_is_readonly(const struct ext4_fs *fs);
const char *ext4_mount_note(const struct ext4_fs *fs); /* why read-only, or "" */
const char *ext4_fs_type(const struct ext4_fs *fs);   /* "ext4", or "ext3"/"ext2" by their features */
/* Message of the last failed ext4_mount (mount has no fs to hang it on). */
const char *ext4_mount_error(void);

#define EXT4_S_IFMT 0xF000u
#define EXT4_S_IFLNK 0xA000u
#define EXT4_S_IFREG 0x8000u
#define EXT4_S_IFDIR 0x4000u

struct ext4_stat {
    uint32_t ino;
    uint16_t mode;        /* type and permission bits */
    uint16_t nlink;
    uint32_t uid, gid;
    uint64_t size;
    uint64_t blocks512;   /* allocated space in 512-byte units */
    uint32_t atime, mtime, ctime;
};

struct ext4_statfs {
    uint32_t block_size;
    uint64_t blocks, free_blocks, avail_blocks;
    uint32_t inodes, free_inodes;
    uint32_t max_name;
};

/* readdir callback: return non-zero to stop early. */
typedef int (*ext4_dir_fn)(void *arg, const char *name, uint32_t name_len,
                           uint32_t ino, uint8_t file_type);

#define VFS_O_CREATE 1u
#define VFS_O_TRUNC 2u

int vfs_lstat(struct ext4_fs *fs, const char *path, struct ext4_stat *st);
int vfs_readdir(struct ext4_fs *fs, const char *path, ext4_dir_fn fn, void *arg);
int64_t vfs_read(struct ext4_fs *fs, const char *path, uint64_t off, void *buf, uint64_t len);
int64_t vfs_write(struct ext4_fs *fs, const char *path, uint64_t off, const void *buf,
                  uint64_t len, unsigned oflags);
int vfs_create(struct ext4_fs *fs, const char *path, uint16_t perm);
int vfs_truncate(struct ext4_fs *fs, const char *path, uint64_t size);
int vfs_unlink(struct ext4_fs *fs, const char *path);
int vfs_mkdir(struct ext4_fs *fs, const char *path, uint16_t perm);
int vfs_rmdir(struct ext4_fs *fs, const char *path);
int vfs_rename(struct ext4_fs *fs, const char *from, const char *to);
int vfs_symlink(struct ext4_fs *fs, const char *target, const char *linkpath);
int64_t vfs_readlink(struct ext4_fs *fs, const char *path, char *buf, uint64_t size);
/* The same by inode number (as readdir reports it): for listing a directory. */
int vfs_stat_ino(struct ext4_fs *fs, uint32_t ino, struct ext4_stat *st);
int64_t vfs_readlink_ino(struct ext4_fs *fs, uint32_t ino, char *buf, uint64_t size);
#define VFS_LINK_MAX 4095   /* longest symlink target (less with small blocks: block size - 1) */
int vfs_fsync(struct ext4_fs *fs, const char *path);
int vfs_sync(struct ext4_fs *fs);
int vfs_statfs(struct ext4_fs *fs, struct ext4_statfs *st);
/* "ENOENT", "EUCLEAN", ... for messages ("rm: /x: ENOENT"). */
const char *vfs_strerror(int err);

/* mkfs: format the whole device (a journal included). */
struct ext4_mkfs_opts {
    uint32_t block_size;      /* 0: 1024 below 512 MiB, else 4096 (as mke2fs) */
    uint32_t inode_ratio;     /* bytes per inode; 0: 4096 (1 KiB blocks) or 16384 */
    uint32_t journal_blocks;  /* 0: mke2fs's default for the size */
    uint64_t seed;            /* mixed into UUID and hash seed (with the clock) */
    const char *label;        /* may be NULL */
    /* Called now and then with the bytes written so far and the total (may be NULL). */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
};
int ext4_mkfs(struct blockdev *dev, const struct ext4_mkfs_opts *opts);
/* Why the last ext4_mkfs failed ("the disk is 3072 KiB, ext4 needs at least 4096 KiB"). */
const char *ext4_mkfs_error(void);

#endif

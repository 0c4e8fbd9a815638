/*
 * ext4_int.h - on-disk format constants, little/big-endian accessors and
 * the declarations shared by the fs/ modules (xv6's defs.h, for fs only).
 *
 * On-disk structures are never cast to C structs: every field is read and
 * written through le16/le32/be32 helpers at the offsets named below, which
 * keeps the code portable and makes each field's offset visible.
 */
#ifndef FS_EXT4_INT_H
#define FS_EXT4_INT_H

#include "ext4.h"

/* ---- endian helpers ---- */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline void putbe32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void putbe64(uint8_t *p, uint64_t v) { putbe32(p, (uint32_t)(v >> 32)); putbe32(p + 4, (uint32_t)v); }

/* ---- superblock (at byte 1024 of the device) ---- */
#define SB_INODES_COUNT 0x00
#define SB_BLOCKS_LO 0x04
#define SB_R_BLOCKS_LO 0x08
#define SB_FREE_BLOCKS_LO 0x0C
#define SB_FREE_INODES 0x10
#define SB_FIRST_DATA_BLOCK 0x14
#define SB_LOG_BLOCK_SIZE 0x18
#define SB_LOG_CLUSTER_SIZE 0x1C
#define SB_BLOCKS_PER_GROUP 0x20
#define SB_CLUSTERS_PER_GROUP 0x24
#define SB_INODES_PER_GROUP 0x28
#define SB_MTIME 0x2C
#define SB_WTIME 0x30
#define SB_MNT_COUNT 0x34
#define SB_MAX_MNT_COUNT 0x36
#define SB_MAGIC 0x38
#define SB_STATE 0x3A
#define SB_ERRORS 0x3C
#define SB_LASTCHECK 0x40
#define SB_REV_LEVEL 0x4C
#define SB_FIRST_INO 0x54
#define SB_INODE_SIZE 0x58
#define SB_FEATURE_COMPAT 0x5C
#define SB_FEATURE_INCOMPAT 0x60
#define SB_FEATURE_RO_COMPAT 0x64
#define SB_UUID 0x68
#define SB_VOLUME_NAME 0x78
#define SB_RESERVED_GDT 0xCE
#define SB_JOURNAL_INUM 0xE0
#define SB_LAST_ORPHAN 0xE8
#define SB_HASH_SEED 0xEC
#define SB_DEF_HASH_VERSION 0xFC
#define SB_JNL_BACKUP_TYPE 0xFD
#define SB_DESC_SIZE 0xFE
#define SB_DEFAULT_MOUNT_OPTS 0x100
#define SB_MKFS_TIME 0x108
#define SB_JNL_BLOCKS 0x10C
#define SB_BLOCKS_HI 0x150
#define SB_R_BLOCKS_HI 0x154
#define SB_FREE_BLOCKS_HI 0x158
#define SB_MIN_EXTRA_ISIZE 0x15C
#define SB_WANT_EXTRA_ISIZE 0x15E
#define SB_FLAGS 0x160
#define SB_LOG_GROUPS_PER_FLEX 0x174
#define SB_CHECKSUM_TYPE 0x175
#define SB_KBYTES_WRITTEN 0x178
#define SB_CHECKSUM_SEED 0x270
#define SB_CHECKSUM 0x3FC

#define EXT4_MAGIC 0xEF53
#define EXT4_STATE_VALID 1
#define EXT4_STATE_ERROR 2

#define COMPAT_DIR_PREALLOC 0x1
#define COMPAT_IMAGIC_INODES 0x2
#define COMPAT_HAS_JOURNAL 0x4
#define COMPAT_EXT_ATTR 0x8
#define COMPAT_RESIZE_INODE 0x10
#define COMPAT_DIR_INDEX 0x20
#define COMPAT_SPARSE_SUPER2 0x200
#define COMPAT_FAST_COMMIT 0x400
#define COMPAT_STABLE_INODES 0x800
#define COMPAT_ORPHAN_FILE 0x1000

#define INCOMPAT_FILETYPE 0x2
#define INCOMPAT_RECOVER 0x4
#define INCOMPAT_JOURNAL_DEV 0x8
#define INCOMPAT_META_BG 0x10
#define INCOMPAT_EXTENTS 0x40
#define INCOMPAT_64BIT 0x80
#define INCOMPAT_MMP 0x100
#define INCOMPAT_FLEX_BG 0x200
#define INCOMPAT_EA_INODE 0x400
#define INCOMPAT_DIRDATA 0x1000
#define INCOMPAT_CSUM_SEED 0x2000
#define INCOMPAT_LARGEDIR 0x4000
#define INCOMPAT_INLINE_DATA 0x8000
#define INCOMPAT_ENCRYPT 0x10000
#define INCOMPAT_CASEFOLD 0x20000
/* What this driver understands well enough to mount at all. */
#define INCOMPAT_SUPPORTED (INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_EXTENTS | \
                            INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED | \
                            INCOMPAT_LARGEDIR)

#define RO_COMPAT_SPARSE_SUPER 0x1
#define RO_COMPAT_LARGE_FILE 0x2
#define RO_COMPAT_BTREE_DIR 0x4
#define RO_COMPAT_HUGE_FILE 0x8
#define RO_COMPAT_GDT_CSUM 0x10
#define RO_COMPAT_DIR_NLINK 0x20
#define RO_COMPAT_EXTRA_ISIZE 0x40
#define RO_COMPAT_QUOTA 0x100
#define RO_COMPAT_BIGALLOC 0x200
#define RO_COMPAT_METADATA_CSUM 0x400
#define RO_COMPAT_READONLY 0x1000
#define RO_COMPAT_PROJECT 0x2000
#define RO_COMPAT_VERITY 0x8000
#define RO_COMPAT_ORPHAN_PRESENT 0x10000
/* What this driver can write without breaking. */
#define RO_COMPAT_SUPPORTED (RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | \
                             RO_COMPAT_HUGE_FILE | RO_COMPAT_DIR_NLINK | \
                             RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM)

/* ---- group descriptor ---- */
#define GD_BLOCK_BITMAP_LO 0x00
#define GD_INODE_BITMAP_LO 0x04
#define GD_INODE_TABLE_LO 0x08
#define GD_FREE_BLOCKS_LO 0x0C
#define GD_FREE_INODES_LO 0x0E
#define GD_USED_DIRS_LO 0x10
#define GD_FLAGS 0x12
#define GD_BLOCK_BITMAP_CSUM_LO 0x18
#define GD_INODE_BITMAP_CSUM_LO 0x1A
#define GD_ITABLE_UNUSED_LO 0x1C
#define GD_CHECKSUM 0x1E
#define GD_BLOCK_BITMAP_HI 0x20
#define GD_INODE_BITMAP_HI 0x24
#define GD_INODE_TABLE_HI 0x28
#define GD_FREE_BLOCKS_HI 0x2C
#define GD_FREE_INODES_HI 0x2E
#define GD_USED_DIRS_HI 0x30
#define GD_ITABLE_UNUSED_HI 0x32
#define GD_BLOCK_BITMAP_CSUM_HI 0x38
#define GD_INODE_BITMAP_CSUM_HI 0x3A
#define BG_INODE_UNINIT 0x1
#define BG_BLOCK_UNINIT 0x2
#define BG_INODE_ZEROED 0x4

/* ---- inode ---- */
#define I_MODE 0x00
#define I_UID 0x02
#define I_SIZE_LO 0x04
#define I_ATIME 0x08
#define I_CTIME 0x0C
#define I_MTIME 0x10
#define I_DTIME 0x14
#define I_GID 0x18
#define I_LINKS 0x1A
#define I_BLOCKS_LO 0x1C
#define I_FLAGS 0x20
#define I_BLOCK 0x28       /* 60 bytes: extent root, or fast symlink text */
#define I_GENERATION 0x64
#define I_FILE_ACL_LO 0x68
#define I_SIZE_HI 0x6C
#define I_BLOCKS_HI 0x74
#define I_FILE_ACL_HI 0x76
#define I_UID_HI 0x78
#define I_GID_HI 0x7A
#define I_CSUM_LO 0x7C
#define I_EXTRA_ISIZE 0x80
#define I_CSUM_HI 0x82
#define I_CTIME_EXTRA 0x84
#define I_MTIME_EXTRA 0x88
#define I_ATIME_EXTRA 0x8C
#define I_CRTIME 0x90
#define I_CRTIME_EXTRA 0x94

#define IF_INDEX 0x1000
#define IF_HUGE_FILE 0x40000
#define IF_EXTENTS 0x80000
#define IF_EA_INODE 0x200000
#define IF_INLINE_DATA 0x10000000

#define ROOT_INO 2
#define JOURNAL_INO 8
#define MAX_INODE_SIZE 512    /* larger inodes are refused at mount (stack use) */

/* ---- extents ---- */
#define EXT_MAGIC 0xF30A
#define EXT_MAX_DEPTH 5
#define EXT_INIT_MAX_LEN 32768u

/* ---- directory entries ---- */
#define FT_UNKNOWN 0
#define FT_REG 1
#define FT_DIR 2
#define FT_SYMLINK 7
#define DIR_TAIL_SIZE 12
#define DIR_TAIL_FT 0xDE

/* ---- crc32c.c ---- */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* ---- bcache.c: metadata block cache; dirty blocks belong to the transaction ---- */
struct buf {
    uint64_t blk;
    uint8_t *data;
    uint32_t refs;
    bool in_tx;            /* modified in the running transaction, pinned */
    bool revoked;          /* freed while in the transaction: not written */
    uint32_t op_seq;       /* operation that last saved an undo copy */
    struct buf *hnext;     /* hash chain */
    struct buf *prev, *next; /* LRU list, most recent at head */
};
struct bcache;
struct ext4_fs;
int bcache_init(struct ext4_fs *fs, uint32_t max_clean);
void bcache_destroy(struct ext4_fs *fs);
struct buf *bread(struct ext4_fs *fs, uint64_t blk, int *err);
struct buf *bnew(struct ext4_fs *fs, uint64_t blk, int *err);   /* zeroed, no read */
void brelse(struct ext4_fs *fs, struct buf *b);
int bdirty(struct ext4_fs *fs, struct buf *b);                  /* join the transaction */
void bforget(struct ext4_fs *fs, uint64_t blk);                 /* block freed: drop it */
void bcache_drop_clean(struct ext4_fs *fs);
void bcache_invalidate(struct ext4_fs *fs, struct buf *b);
int dev_read_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t n, void *buf);
int dev_write_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t n, const void *buf);
int dev_flush(struct ext4_fs *fs);

/* ---- journal.c: transactions and the jbd2 journal ---- */
struct journal;
int journal_load(struct ext4_fs *fs);          /* map inode 8, read jsb, replay if needed */
void journal_free(struct ext4_fs *fs);
int journal_commit(struct ext4_fs *fs);        /* commit + checkpoint the running tx */
int tx_add(struct ext4_fs *fs, struct buf *b);
void tx_revoke(struct ext4_fs *fs, uint64_t blk);
bool tx_block_reserved(struct ext4_fs *fs, uint64_t blk); /* freed in running tx */
int tx_note_freed(struct ext4_fs *fs, uint64_t blk, uint32_t n);
int tx_op_begin(struct ext4_fs *fs);           /* start of one vfs operation */
int tx_op_end(struct ext4_fs *fs, int result); /* undo it if result < 0; commit if big */
int tx_snapshot(struct ext4_fs *fs, struct buf *b); /* undo copy before a change */
uint32_t tx_size(struct ext4_fs *fs);

/* ---- super.c ---- */
struct ext4_fs {
    struct blockdev *dev;
    uint32_t bs, log_bs, spb;          /* block size, log2, sectors per block */
    uint8_t sb[1024];                  /* authoritative in-memory superblock */
    bool sb_dirty;
    uint64_t blocks_count;
    uint32_t inodes_count, bpg, ipg, ngroups, first_data_block;
    uint32_t inode_size, desc_size, gdt_blocks, first_ino, itb_per_group;
    uint32_t compat, incompat, ro_compat;
    bool csum, is64, readonly, has_journal;
    uint32_t csum_seed;
    uint32_t mount_flags;
    char note[160];                    /* why read-only */
    char err[200];                     /* last error message */
    struct bcache *bc;
    struct journal *j;
    uint32_t alloc_rr;                 /* allocation cursor (group) */
};
int fs_error(struct ext4_fs *fs, int err, const char *fmt, ...);
void fs_vformat(char *dst, size_t n, const char *fmt, va_list ap); /* %s %c %d %u %x, l/ll */
uint64_t sb_free_blocks(struct ext4_fs *fs);
void sb_set_free_blocks(struct ext4_fs *fs, uint64_t v);
int sb_write(struct ext4_fs *fs);                 /* into its (journaled) block */
void sb_csum_set(struct ext4_fs *fs, uint8_t *sb);
bool group_has_super(struct ext4_fs *fs, uint32_t g);
uint32_t group_overhead_blocks(struct ext4_fs *fs, uint32_t g); /* sb + gdt copies */
struct buf *gd_get(struct ext4_fs *fs, uint32_t g, uint8_t **gd, int *err);
void gd_csum_set(struct ext4_fs *fs, uint32_t g, uint8_t *gd);
bool gd_csum_ok(struct ext4_fs *fs, uint32_t g, const uint8_t *gd);
uint64_t gd_block_bitmap(struct ext4_fs *fs, const uint8_t *gd);
uint64_t gd_inode_bitmap(struct ext4_fs *fs, const uint8_t *gd);
uint64_t gd_inode_table(struct ext4_fs *fs, const uint8_t *gd);
uint32_t gd_free_blocks(struct ext4_fs *fs, const uint8_t *gd);
uint32_t gd_free_inodes(struct ext4_fs *fs, const uint8_t *gd);
uint32_t gd_used_dirs(struct ext4_fs *fs, const uint8_t *gd);
uint32_t gd_itable_unused(struct ext4_fs *fs, const uint8_t *gd);
void gd_set_free_blocks(struct ext4_fs *fs, uint8_t *gd, uint32_t v);
void gd_set_free_inodes(struct ext4_fs *fs, uint8_t *gd, uint32_t v);
void gd_set_used_dirs(struct ext4_fs *fs, uint8_t *gd, uint32_t v);
void gd_set_itable_unused(struct ext4_fs *fs, uint8_t *gd, uint32_t v);
uint64_t group_first_block(struct ext4_fs *fs, uint32_t g);
uint32_t group_nblocks(struct ext4_fs *fs, uint32_t g);
bool fs_block_valid(struct ext4_fs *fs, uint64_t blk, uint64_t n);

/* ---- balloc.c: block and inode bitmaps ---- */
int balloc(struct ext4_fs *fs, uint64_t goal, uint32_t want, uint64_t *start, uint32_t *got);
int bfree(struct ext4_fs *fs, uint64_t start, uint32_t n);
int ialloc(struct ext4_fs *fs, uint32_t parent, bool dir, uint32_t *ino);
int ifree(struct ext4_fs *fs, uint32_t ino, bool dir);

/* ---- inode.c ---- */
struct inode {
    uint32_t ino;
    uint8_t raw[MAX_INODE_SIZE];
};
int inode_read(struct ext4_fs *fs, uint32_t ino, struct inode *in);
int inode_write(struct ext4_fs *fs, struct inode *in);
uint32_t inode_csum_seed(struct ext4_fs *fs, const struct inode *in);
uint16_t i_mode(const struct inode *in);
uint64_t i_size(const struct inode *in);
void i_set_size(struct inode *in, uint64_t v);
uint64_t i_blocks512(struct ext4_fs *fs, const struct inode *in);
void i_add_blocks(struct ext4_fs *fs, struct inode *in, int64_t nblocks);
uint32_t i_flags(const struct inode *in);
void i_touch(struct ext4_fs *fs, struct inode *in, bool m, bool c, bool a);
void inode_init(struct ext4_fs *fs, struct inode *in, uint32_t ino, uint16_t mode);
void inode_csum_set(struct ext4_fs *fs, struct inode *in);

/* ---- extent.c ---- */
/* Map logical block -> physical (0 = hole). *len gets the run length. */
int ext_map(struct ext4_fs *fs, struct inode *in, uint32_t lblk, uint64_t *pblk, uint32_t *len);
int ext_add(struct ext4_fs *fs, struct inode *in, uint32_t lblk, uint64_t pblk, uint32_t len);
int ext_truncate(struct ext4_fs *fs, struct inode *in, uint32_t first_removed);
int ext_check_tree(struct ext4_fs *fs, struct inode *in);

/* ---- file.c ---- */
int64_t file_read(struct ext4_fs *fs, struct inode *in, uint64_t off, void *buf, uint64_t len);
int64_t file_write(struct ext4_fs *fs, struct inode *in, uint64_t off, const void *buf, uint64_t len);
int file_truncate(struct ext4_fs *fs, struct inode *in, uint64_t size);
int inode_release_all(struct ext4_fs *fs, struct inode *in); /* free blocks of a dead inode */

/* ---- dir.c ---- */
int dir_iterate(struct ext4_fs *fs, struct inode *dir, ext4_dir_fn fn, void *arg);
int dir_lookup(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t *ino, uint8_t *ft);
int dir_add(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t ino, uint8_t ft);
int dir_remove(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len);
int dir_set_entry(struct ext4_fs *fs, struct inode *dir, const char *name, uint32_t len, uint32_t ino, uint8_t ft);
int dir_init_block(struct ext4_fs *fs, struct inode *dir, uint32_t parent);
int dir_is_empty(struct ext4_fs *fs, struct inode *dir);
void dir_block_tail_set(struct ext4_fs *fs, struct inode *dir, uint8_t *block);
uint8_t mode_to_ft(uint16_t mode);

#endif

/*
 * storage.c - the disks as block devices, and the system-disk policy.
 *
 * Adapter: each virtio disk becomes a struct blockdev (fs/blkdev.h) whose
 * read/write/flush go straight to virtio_blk.c (512-byte sectors).
 *
 * Policy (ARCHITECTURE.md: blk 0 is the system disk, blk 1 the import
 * disk): at boot blk0 is mounted as ext4 at "/" (the ext4 driver replays
 * the journal after an unclean shutdown). If its first 4 KiB (boot block
 * and superblock) are all zero the disk is blank: it is formatted with
 * ext4_mkfs first, and the boot log says so (with a progress line every
 * 10 % when the format writes 64 MiB or more, and mkfs's reason if it
 * refuses, e.g. a disk below the 4 MiB minimum). If the mount is refused
 * (corrupt, unknown incompat features, I/O error) the reason is printed and
 * kept; the kernel boots on without a filesystem and the file commands
 * answer "no filesystem mounted: REASON". blk1 stays a raw, read-only
 * device for now. `diskctl format --yes` reformats blk0 and mounts it.
 * poweroff and reboot call storage_shutdown(): commit, mark clean, unmount.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#define SYSTEM_DISK 0
#define BLANK_SECTORS 8

static struct blockdev devs[2];
static struct ext4_fs *rootfs;
static char reason[160] = "no system disk (blk0)";
static bool formatted_at_boot;

static int bd_read(struct blockdev *d, uint64_t lba, uint32_t count, void *buf)
{
    return blk_read((int)(intptr_t)d->ctx, lba, count, buf);
}

static int bd_write(struct blockdev *d, uint64_t lba, uint32_t count, const void *buf)
{
    return blk_write((int)(intptr_t)d->ctx, lba, count, buf);
}

static int bd_flush(struct blockdev *d)
{
    return blk_flush((int)(intptr_t)d->ctx);
}

struct blockdev *storage_blockdev(int disk)
{
    if (disk < 0 || disk >= (int)ARRAY_SIZE(devs) || blk_sectors(disk) == 0)
        return NULL;
    struct blockdev *d = &devs[disk];
    d->read = bd_read;
    d->write = bd_write;
    d->flush = bd_flush;
    d->nsectors = blk_sectors(disk);
    d->readonly = blk_readonly(disk) || disk != SYSTEM_DISK;
    d->ctx = (void *)(intptr_t)disk;
    return d;
}

static void set_reason(const char *what, int err, const char *detail)
{
    snprintf(reason, sizeof(reason), "%s%s%s (%s)", what, detail && detail[0] ? ": " : "",
             detail ? detail : "", vfs_strerror(err));
}

/* 1 if blank, 0 if not, -errno if it cannot be read. */
static int is_blank(struct blockdev *d)
{
    uint8_t *buf = kmalloc(BLANK_SECTORS * 512);
    if (!buf)
        return -12;
    int r = d->read(d, 0, d->nsectors < BLANK_SECTORS ? (uint32_t)d->nsectors : BLANK_SECTORS, buf);
    if (r == 0) {
        r = 1;
        for (uint32_t i = 0; i < BLANK_SECTORS * 512u && i < d->nsectors * 512; i++)
            if (buf[i]) {
                r = 0;
                break;
            }
    }
    kfree(buf);
    return r;
}

static int do_mount(struct blockdev *d)
{
    int r = ext4_mount(d, d->readonly ? EXT4_MOUNT_RDONLY : 0, &rootfs);
    if (r) {
        rootfs = NULL;
        set_reason("mount refused", r, ext4_mount_error());
        printf("storage: blk0 not mounted: %s\n", reason);
        event_log("error", "blk0 not mounted: %s", reason);
        return r;
    }
    reason[0] = 0;
    const char *note = ext4_mount_note(rootfs);
    printf("storage: blk0 mounted at / (%s%s%s)\n", ext4_fs_type(rootfs), note[0] ? ", " : "", note);
    return 0;
}

/* Formats that write more than this many bytes report their progress. */
#define PROGRESS_BYTES (64u << 20)
#define PROGRESS_STEPS 10

/* Prints every 10 % of a long format: "storage: formatting blk0: 40% (52 of 130 MiB written)". */
static void format_progress(void *arg, uint64_t done, uint64_t total)
{
    int *shown = arg;
    if (total < PROGRESS_BYTES)
        return;
    int step = (int)(done * PROGRESS_STEPS / total);
    if (step <= *shown)
        return;
    *shown = step;
    printf("storage: formatting blk0: %d%% (%lu of %lu MiB written)\n", step * 100 / PROGRESS_STEPS,
           (unsigned long)(done >> 20), (unsigned long)(total >> 20));
}

static int do_format(struct blockdev *d)
{
    struct ext4_mkfs_opts o;
    memset(&o, 0, sizeof(o));
    o.seed = timer_counter();
    o.label = "sis-system";
    int shown = 0;
    o.progress = format_progress;
    o.progress_arg = &shown;
    int r = ext4_mkfs(d, &o);
    if (r) {
        set_reason("format failed", r, ext4_mkfs_error());
        printf("storage: blk0: %s\n", reason);
    }
    return r;
}

void storage_init(void)
{
    struct blockdev *d = storage_blockdev(SYSTEM_DISK);
    if (!d) {
        printf("storage: no system disk (blk0), no filesystem mounted\n");
        return;
    }
    int blank = is_blank(d);
    if (blank < 0) {
        set_reason("cannot read blk0", blank, NULL);
        printf("storage: %s\n", reason);
        return;
    }
    if (blank) {
        if (d->readonly) {
            snprintf(reason, sizeof(reason), "blk0 is blank and read-only (EROFS)");
            printf("storage: %s\n", reason);
            return;
        }
        printf("storage: blk0 is blank: formatting it as ext4\n");
        if (do_format(d))
            return;
        formatted_at_boot = true;
    }
    do_mount(d);
}

struct ext4_fs *storage_fs(void)
{
    return rootfs;
}

const char *storage_reason(void)
{
    return reason;
}

bool storage_formatted_at_boot(void)
{
    return formatted_at_boot;
}

int storage_format(void)
{
    struct blockdev *d = storage_blockdev(SYSTEM_DISK);
    if (!d)
        return -19;
    if (d->readonly)
        return -30;
    if (rootfs) {
        ext4_abort(rootfs);     /* everything on it is about to go */
        rootfs = NULL;
    }
    snprintf(reason, sizeof(reason), "blk0 is being formatted");
    int r = do_format(d);
    if (r == 0)
        r = do_mount(d);
    return r;
}

void storage_shutdown(void)
{
    if (!rootfs)
        return;
    int r = ext4_umount(rootfs);
    rootfs = NULL;
    snprintf(reason, sizeof(reason), "unmounted for shutdown");
    if (r)
        printf("storage: unmounting / failed: %s\n", vfs_strerror(r));
    else
        printf("storage: / unmounted cleanly\n");
}

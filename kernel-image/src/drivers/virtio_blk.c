/*
 * virtio_blk.c - virtio block devices (virtio 1.x, 5.2): the disks.
 *
 * QEMU: -global virtio-mmio.force-legacy=false
 *       -drive if=none,file=disk.img,format=raw,id=d0 -device virtio-blk-device,drive=d0
 * (add readonly=on to -drive for a read-only disk). Disks are numbered from
 * the highest transport address down (see virtio_mmio.c): on QEMU, blk0 is
 * the first virtio-blk -device on the command line.
 *
 * Each disk has one request queue (queue 0). A request is a three-part
 * descriptor chain: a 16-byte header {type, reserved, sector}, the data,
 * and one status byte the device writes. I/O is synchronous: virtq_call
 * sleeps until the device's interrupt reports the chain used (at most 10 s,
 * then the disk is given up with a printed error); requests are split into chunks of at most
 * MAX_CHUNK sectors. Sectors are always 512 bytes, whatever blk_size the
 * device reports. Every call returns 0 or -errno, checks its range against
 * the capacity before touching the device, and refuses writes to a
 * read-only disk (VIRTIO_BLK_F_RO) with -EROFS. The signatures match the
 * ext4 driver's struct blockdev (fs/blkdev.h) apart from the disk number.
 */
#include "../defs.h"

#define VIRTIO_ID_BLOCK 2
#define F_RO       (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH    (1ull << 9)

#define T_IN    0
#define T_OUT   1
#define T_FLUSH 4

#define S_OK     0
#define S_IOERR  1
#define S_UNSUPP 2

#define EIO 5
#define ENODEV 19
#define EINVAL 22
#define EROFS 30
#define EOPNOTSUPP 95

#define MAX_DISKS 4
#define MAX_CHUNK 256u      /* sectors per request: 128 KiB */
#define QUEUE_SIZE 8

struct disk {
    const struct virtio_dev *dev;
    struct virtq q;
    uint64_t features, sectors;
    struct { uint32_t type, reserved; uint64_t sector; } *hdr;
    volatile uint8_t *status;
    int error;              /* why the disk could not start, 0 if it did */
};

static struct disk disks[MAX_DISKS];
static int ndisks;

static int disk_start(struct disk *k)
{
    int r = virtio_start(k->dev, F_RO | F_BLK_SIZE | F_FLUSH, &k->features);
    if (r)
        return r;
    k->hdr = kcalloc(1, sizeof(*k->hdr));
    k->status = kcalloc(1, 16);
    if (!k->hdr || !k->status)
        r = -12;
    else
        r = virtq_init(k->dev, 0, &k->q, QUEUE_SIZE);
    if (r) {
        virtio_fail(k->dev);
        return r;
    }
    k->sectors = virtio_config64(k->dev, 0);
    virtio_driver_ok(k->dev);
    return 0;
}

void blk_init(void)
{
    ndisks = 0;
    for (int i = 0; ndisks < MAX_DISKS; i++) {
        const struct virtio_dev *d = virtio_find(VIRTIO_ID_BLOCK, i);
        if (!d)
            break;
        struct disk *k = &disks[ndisks++];
        memset(k, 0, sizeof(*k));
        k->dev = d;
        k->error = disk_start(k);
        if (k->error)
            printf("sis: warning: blk%d (virtio slot %d) did not start: error %d\n", ndisks - 1,
                   d->slot, k->error);
    }
}

int blk_count(void)
{
    return ndisks;
}

static struct disk *get(int disk)
{
    if (disk < 0 || disk >= ndisks || disks[disk].error)
        return NULL;
    return &disks[disk];
}

uint64_t blk_sectors(int disk)
{
    struct disk *k = get(disk);
    return k ? k->sectors : 0;
}

bool blk_readonly(int disk)
{
    struct disk *k = get(disk);
    return k && (k->features & F_RO);
}

/* Request times for the decision loop's telemetry (every disk, every request). */
static uint64_t io_reqs, io_errs, io_ticks;

void blk_io_stats(uint64_t *requests, uint64_t *errors, uint64_t *busy_ns)
{
    *requests = io_reqs;
    *errors = io_errs;
    *busy_ns = io_ticks * 1000000000ull / timer_freq();
}

static int request(struct disk *k, uint32_t type, uint64_t lba, void *buf, uint32_t count)
{
    k->hdr->type = type;
    k->hdr->reserved = 0;
    k->hdr->sector = lba;
    *k->status = 0xff;
    struct virtq_buf bufs[3];
    int n = 0;
    bufs[n++] = (struct virtq_buf){ k->hdr, sizeof(*k->hdr), false };
    if (count)
        bufs[n++] = (struct virtq_buf){ buf, count * 512u, type == T_IN };
    bufs[n++] = (struct virtq_buf){ (void *)k->status, 1, true };
    uint64_t t0 = timer_counter();
    int r = virtq_call(&k->q, bufs, n, NULL);
    io_ticks += timer_counter() - t0;
    io_reqs++;
    if (r || *k->status != S_OK)
        io_errs++;
    if (r == -110)
        k->error = r;   /* the device still owns the chain: stop using this disk */
    if (r)
        return r;
    switch (*k->status) {
    case S_OK: return 0;
    case S_UNSUPP: return -EOPNOTSUPP;
    default: return -EIO;
    }
}

static int transfer(int disk, uint32_t type, uint64_t lba, uint32_t count, void *buf)
{
    struct disk *k = get(disk);
    if (!k)
        return -ENODEV;
    if (type == T_OUT && (k->features & F_RO))
        return -EROFS;
    if (lba > k->sectors || count > k->sectors - lba || (count && !buf))
        return -EINVAL;
    while (count) {
        uint32_t chunk = count < MAX_CHUNK ? count : MAX_CHUNK;
        int r = request(k, type, lba, buf, chunk);
        if (r)
            return r;
        lba += chunk;
        count -= chunk;
        buf = (uint8_t *)buf + chunk * 512u;
    }
    return 0;
}

int blk_read(int disk, uint64_t lba, uint32_t count, void *buf)
{
    return transfer(disk, T_IN, lba, count, buf);
}

int blk_write(int disk, uint64_t lba, uint32_t count, const void *buf)
{
    return transfer(disk, T_OUT, lba, count, (void *)buf);
}

int blk_flush(int disk)
{
    struct disk *k = get(disk);
    if (!k)
        return -ENODEV;
    if (!(k->features & F_FLUSH))
        return -EOPNOTSUPP;
    return request(k, T_FLUSH, 0, NULL, 0);
}

static const char *errname(int r)
{
    switch (-r) {
    case EIO: return "I/O error";
    case 12: return "out of memory";
    case ENODEV: return "no such disk";
    case EINVAL: return "sector out of range";
    case EROFS: return "read-only disk";
    case EOPNOTSUPP: return "not supported by the device";
    case 110: return "device timed out";
    default: return "error";
    }
}

/* FNV-1a (32-bit) of the whole disk, read SUM_SECTORS at a time. */
static int disk_sum(int disk)
{
    enum { SUM_SECTORS = 300 };     /* not a multiple of MAX_CHUNK: exercises splitting */
    uint8_t *buf = kmalloc(SUM_SECTORS * 512);
    if (!buf)
        return -12;
    uint32_t h = 2166136261u;
    uint64_t total = blk_sectors(disk);
    int r = 0;
    for (uint64_t lba = 0; r == 0 && lba < total; lba += SUM_SECTORS) {
        uint32_t n = total - lba < SUM_SECTORS ? (uint32_t)(total - lba) : SUM_SECTORS;
        r = blk_read(disk, lba, n, buf);
        for (uint32_t i = 0; r == 0 && i < n * 512; i++)
            h = (h ^ buf[i]) * 16777619u;
    }
    kfree(buf);
    if (r == 0)
        printf("blk%d: %lu sectors, fnv1a32 0x%08x\n", disk, (unsigned long)total, h);
    return r;
}

/* blk | blk read DISK LBA | blk write DISK LBA TEXT | blk flush DISK | blk sum DISK */
int cmd_blk(int argc, char **argv)
{
    uint64_t disk = 0, lba = 0;
    if (argc == 1) {
        printf("blk: %d disk(s)\n", ndisks);
        for (int i = 0; i < ndisks; i++) {
            const struct disk *k = &disks[i];
            if (k->error) {
                printf("blk%d: virtio slot %d, not started (error %d)\n", i, k->dev->slot, k->error);
                continue;
            }
            printf("blk%d: virtio slot %d, %lu sectors (%lu KiB), %s%s\n", i, k->dev->slot,
                   (unsigned long)k->sectors, (unsigned long)(k->sectors / 2),
                   k->features & F_RO ? "read-only" : "read-write",
                   k->features & F_FLUSH ? ", flush" : "");
        }
        return 0;
    }
    bool rd = strcmp(argv[1], "read") == 0, wr = strcmp(argv[1], "write") == 0;
    bool fl = strcmp(argv[1], "flush") == 0, sum = strcmp(argv[1], "sum") == 0;
    bool one = fl || sum;
    if (!((rd && argc == 4) || (wr && argc == 5) || (one && argc == 3)) ||
        parse_u64(argv[2], &disk) || disk > MAX_DISKS || (!one && parse_u64(argv[3], &lba))) {
        printf("usage: blk [read DISK SECTOR | write DISK SECTOR TEXT | flush DISK | sum DISK]\n");
        return 1;
    }
    int r;
    if (fl) {
        r = blk_flush((int)disk);
    } else if (sum) {
        r = get((int)disk) ? disk_sum((int)disk) : -ENODEV;
    } else {
        uint8_t *sector = kcalloc(1, 512);
        if (!sector) {
            printf("sis: blk: out of memory\n");
            return 1;
        }
        if (wr) {
            strlcpy((char *)sector, argv[4], 512);
            r = blk_write((int)disk, lba, 1, sector);
        } else {
            r = blk_read((int)disk, lba, 1, sector);
            for (int row = 0; r == 0 && row < 512; row += 16) {
                printf("%03x:", row);
                for (int i = 0; i < 16; i++)
                    printf(" %02x", sector[row + i]);
                printf("  ");
                for (int i = 0; i < 16; i++) {
                    uint8_t c = sector[row + i];
                    printf("%c", c >= 0x20 && c < 0x7f ? c : '.');
                }
                printf("\n");
            }
        }
        kfree(sector);
    }
    if (r) {
        printf("sis: blk: %s failed: %s (%d)\n", argv[1], errname(r), r);
        return 1;
    }
    if (wr || fl)
        printf("blk%lu: %s ok\n", (unsigned long)disk, argv[1]);
    return 0;
}

/*
 * blkdev.h - the block device seam under the ext4 driver.
 *
 * A device is an array of 512-byte sectors. read/write move `count`
 * sectors starting at `lba`; flush returns once every completed write is
 * durable (virtio-blk VIRTIO_BLK_T_FLUSH). All return 0 or -errno. The
 * journal relies only on this: a write that returned before a flush that
 * returned survives a power cut; anything else may or may not.
 */
#ifndef FS_BLKDEV_H
#define FS_BLKDEV_H

#include "fsport.h"

struct blockdev {
    int (*read)(struct blockdev *dev, uint64_t lba, uint32_t count, void *buf);
    int (*write)(struct blockdev *dev, uint64_t lba, uint32_t count, const void *buf);
    int (*flush)(struct blockdev *dev);
    uint64_t nsectors;
    bool readonly;
    void *ctx;
};

#endif

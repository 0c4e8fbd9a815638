/*
 * ustar.c - the import disk (virtio-blk 1): a POSIX ustar archive read in
 * place through blk_read, never written (docs/MODEL-FORMAT.md, "The bundle").
 *
 * ustar_open() walks the 512-byte headers once and keeps an index of the
 * regular files (name, byte offset of the data, size). Every header is
 * checked before it is believed: its checksum (the sum of its bytes with
 * the checksum field as spaces), the "ustar" magic, an octal size whose
 * data lies inside the disk, a NUL-terminated name without a prefix
 * field; the walk stops at the first all-zero block. A member is then a
 * `struct msrc`, read a sector at a time into a bounce buffer.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#ifdef CONFIG_MODEL_LIFECYCLE

#define IMPORT_DISK 1
#define BLOCK 512

static struct ustar_entry entries[USTAR_MAX_ENTRIES];
static int nentries = -1;
static char why[96];

static bool octal(const uint8_t *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++)
        v = v * 8 + (uint64_t)(f[i] - '0');
    for (; i < n; i++)
        if (f[i] != 0 && f[i] != ' ')
            return false;
    *out = v;
    return digits > 0;
}

static int bad(const char *fmt, uint64_t at)
{
    snprintf(why, sizeof(why), fmt, (unsigned long)at);
    nentries = -1;
    return -EINVAL;
}

int ustar_open(void)
{
    nentries = -1;
    if (blk_count() <= IMPORT_DISK) {
        snprintf(why, sizeof(why), "no import disk (blk1)");
        return -ENODEV;
    }
    uint64_t sectors = blk_sectors(IMPORT_DISK);
    uint8_t *h = kmalloc(BLOCK);
    if (!h)
        return -ENOMEM;
    int n = 0, r = 0;
    for (uint64_t lba = 0; lba < sectors;) {
        if ((r = blk_read(IMPORT_DISK, lba, 1, h))) {
            snprintf(why, sizeof(why), "read error at sector %lu", (unsigned long)lba);
            break;
        }
        bool zero = true;
        for (int i = 0; i < BLOCK; i++)
            if (h[i])
                zero = false;
        if (zero) {
            nentries = n;
            break;
        }
        uint64_t sum = 0, want, size;
        for (int i = 0; i < BLOCK; i++)
            sum += (i >= 148 && i < 156) ? ' ' : h[i];
        if (!octal(h + 148, 8, &want) || want != sum) {
            r = bad("bad header checksum at sector %lu", lba);
            break;
        }
        if (memcmp(h + 257, "ustar", 5) != 0) {
            r = bad("not a ustar header at sector %lu", lba);
            break;
        }
        if (!octal(h + 124, 12, &size) || h[99] != 0 || h[345] != 0) {
            r = bad("bad size or name at sector %lu", lba);
            break;
        }
        uint64_t data = lba + 1, blocks = (size + BLOCK - 1) / BLOCK;
        if (data + blocks > sectors) {
            r = bad("member at sector %lu runs past the end of the disk", lba);
            break;
        }
        if (h[156] == '0' || h[156] == 0) {
            if (n == USTAR_MAX_ENTRIES) {
                r = bad("more than 256 files (at sector %lu)", lba);
                break;
            }
            memcpy(entries[n].name, h, 100);
            entries[n].name[100] = 0;
            entries[n].offset = data * BLOCK;
            entries[n].size = size;
            n++;
        }
        lba = data + blocks;
    }
    if (nentries < 0 && r == 0)
        r = bad("no end-of-archive block (sector %lu)", sectors);
    kfree(h);
    return r;
}

const char *ustar_error(void)
{
    return why;
}

int ustar_count(void)
{
    return nentries;
}

const struct ustar_entry *ustar_entry(int i)
{
    return i >= 0 && i < nentries ? &entries[i] : NULL;
}

const struct ustar_entry *ustar_find(const char *name)
{
    for (int i = 0; i < nentries; i++)
        if (strcmp(entries[i].name, name) == 0)
            return &entries[i];
    return NULL;
}

static int64_t member_read(struct msrc *s, uint64_t off, void *buf, uint64_t n)
{
    if (off >= s->size)
        return 0;
    if (n > s->size - off)
        n = s->size - off;
    uint64_t abs = s->base + off, done = 0;
    uint8_t *out = buf;
    while (done < n) {
        uint64_t lba = (abs + done) / BLOCK, in = (abs + done) % BLOCK;
        if (in == 0 && n - done >= BLOCK) {
            uint32_t cnt = (uint32_t)((n - done) / BLOCK);
            if (cnt > 128)
                cnt = 128;
            int r = blk_read(IMPORT_DISK, lba, cnt, out + done);
            if (r)
                return r;
            done += (uint64_t)cnt * BLOCK;
            continue;
        }
        int r = blk_read(IMPORT_DISK, lba, 1, s->bounce);
        if (r)
            return r;
        uint64_t take = BLOCK - in;
        if (take > n - done)
            take = n - done;
        memcpy(out + done, s->bounce + in, take);
        done += take;
    }
    return (int64_t)n;
}

int msrc_member(struct msrc *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    const struct ustar_entry *e = ustar_find(name);
    if (!e)
        return -ENOENT;
    strlcpy(s->path, name, sizeof(s->path));
    s->base = e->offset;
    s->size = e->size;
    s->read = member_read;
    return 0;
}

#endif /* CONFIG_MODEL_LIFECYCLE */

/*
 * fstool.c - host driver for the kernel's ext4 code (kernel-image/src/fs).
 *
 * Built with -DFS_HOST (gcc, ASan + UBSan) by the vitest suite. The fs
 * code sees a struct blockdev backed by an in-memory copy of an image
 * file; the power-cut mode wraps it in a device with a volatile write
 * cache that can lose power after any completed write or flush.
 *
 *   fstool mkfs IMG [BLOCKSIZE [progress]]   (BLOCKSIZE 0: the default)
 *   fstool extract IMG OUTDIR          mount (replaying), copy every file out
 *   fstool run IMG SCRIPT              run a script of operations, umount
 *   fstool powercut IMG SCRIPT CUT SEED OUT
 *                                      run SCRIPT from IMG; power fails at
 *                                      device event CUT (write or flush);
 *                                      OUT = what the disk then holds (the
 *                                      flushed state plus a random subset
 *                                      of unflushed writes). CUT=-1 counts.
 *   fstool powercut-campaign IMG SCRIPT CUTS OUTDIR   (see powercut_campaign)
 *   fstool bench IMG                   host throughput and per-fsync traffic
 *   fstool corrupt IMG COUNT SEED      COUNT copies of IMG with random
 *                                      metadata damage, each mounted, walked,
 *                                      read and written in a child process
 *                                      with a time limit; prints a summary.
 *
 * Script lines: mkdir P | write P TEXT | append P TEXT | pattern P SIZE SEED
 *   | rm P | rmdir P | mv A B | symlink TARGET P | truncate P N | fsync P
 *   | sync | remount | symlinkn LEN P | readlink P | readdir P
 *   | expect ERRNO  (the next line must fail with -ERRNO; "line N: ENAME: message" on stdout)
 */
#define _GNU_SOURCE
#include "../../src/fs/ext4.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- file-backed block device (mkfs, run, extract) ---- */
static int fd_read(struct blockdev *d, uint64_t lba, uint32_t n, void *buf)
{
    int fd = (int)(intptr_t)d->ctx;
    return pread(fd, buf, (size_t)n * 512, (off_t)(lba * 512)) == (ssize_t)n * 512 ? 0 : -EIO;
}
static int fd_write(struct blockdev *d, uint64_t lba, uint32_t n, const void *buf)
{
    int fd = (int)(intptr_t)d->ctx;
    return pwrite(fd, buf, (size_t)n * 512, (off_t)(lba * 512)) == (ssize_t)n * 512 ? 0 : -EIO;
}
/* Host page cache is coherent and host durability is not under test here. */
static int fd_flush(struct blockdev *d) { (void)d; return 0; }

/* ---- memory block device with an optional volatile cache and power cut ---- */
struct pending { uint64_t lba; uint32_t count; uint8_t *data; };
struct memdev {
    uint8_t *live;        /* what reads see: every write that "completed" */
    uint8_t *durable;     /* what survives power loss: flushed writes */
    uint64_t size;
    bool volatile_cache;
    long events, cut;     /* cut < 0: never */
    bool dead;
    struct pending *pend; size_t npend, cap;
    long syncs_done;      /* completed vfs_sync/fsync calls before the cut */
};

static int md_read(struct blockdev *d, uint64_t lba, uint32_t n, void *buf)
{
    struct memdev *m = d->ctx;
    if ((lba + n) * 512 > m->size) return -EIO;
    memcpy(buf, m->live + lba * 512, (size_t)n * 512);
    return 0;
}

static bool tick(struct memdev *m)
{
    if (m->dead) return false;
    if (m->cut >= 0 && m->events >= m->cut) { m->dead = true; return false; }
    m->events++;
    return true;
}

static int md_write(struct blockdev *d, uint64_t lba, uint32_t n, const void *buf)
{
    struct memdev *m = d->ctx;
    if ((lba + n) * 512 > m->size) return -EIO;
    if (!tick(m)) return 0;   /* power is gone: the write never happens */
    memcpy(m->live + lba * 512, buf, (size_t)n * 512);
    if (!m->volatile_cache) return 0;
    if (m->npend == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->pend = realloc(m->pend, m->cap * sizeof(*m->pend));
    }
    struct pending *p = &m->pend[m->npend++];
    p->lba = lba; p->count = n;
    p->data = malloc((size_t)n * 512);
    memcpy(p->data, buf, (size_t)n * 512);
    return 0;
}

static void drop_pending(struct memdev *m)
{
    for (size_t i = 0; i < m->npend; i++) free(m->pend[i].data);
    m->npend = 0;
}

static int md_flush(struct blockdev *d)
{
    struct memdev *m = d->ctx;
    if (!tick(m)) return 0;
    if (m->volatile_cache) {
        for (size_t i = 0; i < m->npend; i++)
            memcpy(m->durable + m->pend[i].lba * 512, m->pend[i].data, (size_t)m->pend[i].count * 512);
        drop_pending(m);
    }
    return 0;
}

static uint8_t *load_file(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    if (n && fread(b, 1, (size_t)n, f) != (size_t)n) { perror("read"); exit(2); }
    fclose(f);
    *size = (uint64_t)n;
    return b;
}

/* Write an image, leaving all-zero 4 KiB runs as holes (images are mostly empty). */
static void save_file(const char *path, const uint8_t *b, uint64_t n)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror(path); exit(2); }
    static const uint8_t zero[4096];
    for (uint64_t off = 0; off < n; off += 4096) {
        uint64_t k = n - off < 4096 ? n - off : 4096;
        if (!memcmp(b + off, zero, k)) continue;
        if (pwrite(fd, b + off, k, (off_t)off) != (ssize_t)k) { perror(path); exit(2); }
    }
    if (ftruncate(fd, (off_t)n)) { perror(path); exit(2); }
    close(fd);
}

static void md_open(struct memdev *m, struct blockdev *d, const char *img, bool volatile_cache)
{
    memset(m, 0, sizeof(*m));
    memset(d, 0, sizeof(*d));
    m->live = load_file(img, &m->size);
    m->cut = -1;
    m->volatile_cache = volatile_cache;
    if (volatile_cache) { m->durable = malloc(m->size); memcpy(m->durable, m->live, m->size); }
    d->read = md_read; d->write = md_write; d->flush = md_flush;
    d->nsectors = m->size / 512;
    d->ctx = m;
}

static const char *errname(int e)
{
    static char buf[32];
    switch (-e) {
    case ENOENT: return "ENOENT"; case EIO: return "EIO"; case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC"; case EROFS: return "EROFS"; case ENOTEMPTY: return "ENOTEMPTY";
    case EUCLEAN: return "EUCLEAN"; case ELOOP: return "ELOOP"; case ENAMETOOLONG: return "ENAMETOOLONG";
    case EOPNOTSUPP: return "EOPNOTSUPP"; case EFBIG: return "EFBIG"; case ENOMEM: return "ENOMEM";
    }
    snprintf(buf, sizeof(buf), "E%d", -e);
    return buf;
}

/* fstool mkfs IMG BS progress: every report, so a test sees the cost grow with what is written. */
static void mkfs_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    printf("progress %llu %llu\n", (unsigned long long)done, (unsigned long long)total);
}

/* ---- extract ---- */
struct walk { struct ext4_fs *fs; const char *path; const char *out; int err; };

static int extract_tree(struct ext4_fs *fs, const char *path, const char *out);

static int walk_cb(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    struct walk *w = arg;
    (void)ino; (void)ft; (void)len;
    if (!strcmp(name, ".") || !strcmp(name, "..")) return 0;
    char p[1200], o[1200];
    snprintf(p, sizeof(p), "%s%s%s", w->path, strcmp(w->path, "/") ? "/" : "", name);
    snprintf(o, sizeof(o), "%s/%s", w->out, name);
    int e = extract_tree(w->fs, p, o);
    if (e) { w->err = e; return 1; }
    return 0;
}

static int extract_tree(struct ext4_fs *fs, const char *path, const char *out)
{
    struct ext4_stat st;
    int e = vfs_lstat(fs, path, &st);
    if (e) { fprintf(stderr, "stat %s: %s: %s\n", path, errname(e), ext4_last_error(fs)); return e; }
    uint16_t t = st.mode & EXT4_S_IFMT;
    if (t == EXT4_S_IFDIR) {
        if (strcmp(path, "/") && mkdir(out, 0755) && errno != EEXIST) { perror(out); return -EIO; }
        struct walk w = { fs, path, out, 0 };
        e = vfs_readdir(fs, path, walk_cb, &w);
        if (e) { fprintf(stderr, "readdir %s: %s: %s\n", path, errname(e), ext4_last_error(fs)); return e; }
        return w.err;
    }
    if (t == EXT4_S_IFLNK) {
        char target[VFS_LINK_MAX + 1];
        int64_t n = vfs_readlink(fs, path, target, sizeof(target) - 1);
        if (n < 0) { fprintf(stderr, "readlink %s: %s: %s\n", path, errname((int)n), ext4_last_error(fs)); return (int)n; }
        target[n] = 0;
        if (symlink(target, out)) { perror(out); return -EIO; }
        return 0;
    }
    if (t == EXT4_S_IFREG) {
        uint8_t *buf = malloc(st.size ? st.size : 1);
        int64_t n = vfs_read(fs, path, 0, buf, st.size);
        if (n < 0 || (uint64_t)n != st.size) {
            fprintf(stderr, "read %s: %s: %s\n", path, n < 0 ? errname((int)n) : "short", ext4_last_error(fs));
            free(buf);
            return n < 0 ? (int)n : -EIO;
        }
        int fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        /* write only the non-zero blocks so sparse files stay sparse */
        for (uint64_t off = 0; fd >= 0 && off < st.size; off += 4096) {
            uint64_t k = st.size - off < 4096 ? st.size - off : 4096, z = 0;
            while (z < k && buf[off + z] == 0) z++;
            if (z < k && pwrite(fd, buf + off, k, (off_t)off) != (ssize_t)k) { perror(out); break; }
        }
        if (fd >= 0) { if (ftruncate(fd, (off_t)st.size)) perror(out); close(fd); }
        free(buf);
        return fd < 0 ? -EIO : 0;
    }
    return 0;
}

/* ---- scripts ---- */
static uint8_t *pattern(uint64_t size, uint32_t seed)
{
    uint8_t *b = malloc(size ? size : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (uint64_t i = 0; i < size; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; b[i] = (uint8_t)x; }
    return b;
}

static int print_name(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    (void)arg; (void)ino; (void)ft;
    printf("%.*s\n", (int)len, name);
    return 0;
}

/* Run one script line; returns 0 or -errno. */
static int run_line(struct ext4_fs **fsp, struct blockdev *dev, char *line, struct memdev *m)
{
    struct ext4_fs *fs = *fsp;
    char *cmd = strtok(line, " ");
    if (!cmd || cmd[0] == '#') return 0;
    char *a = strtok(NULL, " ");
    if (!strcmp(cmd, "mkdir")) return vfs_mkdir(fs, a, 0755);
    if (!strcmp(cmd, "write") || !strcmp(cmd, "append")) {
        char *text = strtok(NULL, "");
        if (!text) text = "";
        uint64_t off = 0;
        if (!strcmp(cmd, "append")) { struct ext4_stat st; if (!vfs_lstat(fs, a, &st)) off = st.size; }
        int64_t r = vfs_write(fs, a, off, text, strlen(text), VFS_O_CREATE | (cmd[0] == 'w' ? VFS_O_TRUNC : 0));
        return r < 0 ? (int)r : 0;
    }
    if (!strcmp(cmd, "pattern")) {
        uint64_t size = strtoull(strtok(NULL, " "), NULL, 0);
        uint32_t seed = (uint32_t)strtoul(strtok(NULL, " "), NULL, 0);
        uint8_t *b = pattern(size, seed);
        int64_t r = vfs_write(fs, a, 0, b, size, VFS_O_CREATE | VFS_O_TRUNC);
        free(b);
        return r < 0 ? (int)r : 0;
    }
    if (!strcmp(cmd, "pwrite")) {   /* pwrite P OFF SIZE SEED */
        uint64_t off = strtoull(strtok(NULL, " "), NULL, 0);
        uint64_t size = strtoull(strtok(NULL, " "), NULL, 0);
        uint32_t seed = (uint32_t)strtoul(strtok(NULL, " "), NULL, 0);
        uint8_t *b = pattern(size, seed);
        int64_t r = vfs_write(fs, a, off, b, size, VFS_O_CREATE);
        free(b);
        return r < 0 ? (int)r : 0;
    }
    if (!strcmp(cmd, "rm")) return vfs_unlink(fs, a);
    if (!strcmp(cmd, "rmdir")) return vfs_rmdir(fs, a);
    if (!strcmp(cmd, "mv")) return vfs_rename(fs, a, strtok(NULL, " "));
    if (!strcmp(cmd, "symlink")) return vfs_symlink(fs, a, strtok(NULL, " "));
    if (!strcmp(cmd, "symlinkn")) {   /* symlinkn LEN P: a target of LEN bytes ("/aaa...a/x") */
        size_t len = strtoul(a, NULL, 0);
        char *t = malloc(len + 1);
        memset(t, 'a', len);
        t[0] = '/';
        t[len] = 0;
        int r = vfs_symlink(fs, t, strtok(NULL, " "));
        free(t);
        return r;
    }
    if (!strcmp(cmd, "readdir")) {   /* every name (with . and ..), one per line, in directory order */
        return vfs_readdir(fs, a, print_name, NULL);
    }
    if (!strcmp(cmd, "readlink")) {
        char t[VFS_LINK_MAX + 1];
        int64_t n = vfs_readlink(fs, a, t, sizeof(t) - 1);
        if (n < 0) return (int)n;
        printf("%s -> %.*s\n", a, (int)n, t);
        return 0;
    }
    if (!strcmp(cmd, "truncate")) return vfs_truncate(fs, a, strtoull(strtok(NULL, " "), NULL, 0));
    if (!strcmp(cmd, "fsync") || !strcmp(cmd, "sync")) {
        int r = cmd[0] == 'f' ? vfs_fsync(fs, a) : vfs_sync(fs);
        if (!r && m && !m->dead) m->syncs_done++;
        return r;
    }
    if (!strcmp(cmd, "remount")) {
        int r = ext4_umount(fs);
        *fsp = NULL;
        if (r) return r;
        return ext4_mount(dev, 0, fsp);
    }
    if (!strcmp(cmd, "cat")) {
        char buf[4096];
        int64_t n = vfs_read(fs, a, 0, buf, sizeof(buf));
        if (n < 0) return (int)n;
        fwrite(buf, 1, (size_t)n, stdout);
        printf("\n");
        return 0;
    }
    if (!strcmp(cmd, "stat")) {
        struct ext4_stat st;
        int r = vfs_lstat(fs, a, &st);
        if (!r) printf("%s ino=%u mode=%o nlink=%u size=%llu blocks=%llu\n", a, st.ino, st.mode, st.nlink,
                       (unsigned long long)st.size, (unsigned long long)st.blocks512);
        return r;
    }
    if (!strcmp(cmd, "df")) {
        struct ext4_statfs s;
        vfs_statfs(fs, &s);
        printf("bs=%u blocks=%llu free=%llu inodes=%u ifree=%u\n", s.block_size, (unsigned long long)s.blocks,
               (unsigned long long)s.free_blocks, s.inodes, s.free_inodes);
        return 0;
    }
    fprintf(stderr, "unknown script command %s\n", cmd);
    exit(2);
}

static int run_script(struct ext4_fs **fsp, struct blockdev *dev, const char *script, struct memdev *m, bool stop_on_error)
{
    FILE *f = fopen(script, "r");
    if (!f) { perror(script); exit(2); }
    char line[8192];
    int expect = 0, lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "expect ", 7)) { expect = atoi(line + 7); continue; }
        char copy[8192];
        strcpy(copy, line);
        if (!*fsp) { fprintf(stderr, "line %d: not mounted\n", lineno); rc = 1; break; }
        int r = run_line(fsp, dev, line, m);
        if (m && m->dead) break;   /* the power is off: nothing more happens */
        if (expect) {
            if (r != -expect) { fprintf(stderr, "line %d (%s): expected -%d, got %d\n", lineno, copy, expect, r); rc = 1; if (stop_on_error) break; }
            else if (!m) printf("line %d: %s: %s\n", lineno, errname(r), *fsp ? ext4_last_error(*fsp) : "");
            expect = 0;
        } else if (r) {
            fprintf(stderr, "line %d (%s): %s: %s\n", lineno, copy, errname(r), *fsp ? ext4_last_error(*fsp) : ext4_mount_error());
            rc = 1;
            if (stop_on_error) break;
        }
    }
    fclose(f);
    return rc;
}

/* ---- corruption campaign ---- */
static uint64_t crng = 88172645463325252ull;
static uint64_t rnd(void) { crng ^= crng << 13; crng ^= crng >> 7; crng ^= crng << 17; return crng; }

struct walkc { struct ext4_fs *fs; int depth; int errors; char path[600]; };
static int walkc_cb(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t ft)
{
    struct walkc *w = arg;
    (void)ino; (void)ft; (void)len;
    if (!strcmp(name, ".") || !strcmp(name, "..") || w->depth > 12) return 0;
    size_t pl = strlen(w->path);
    if (pl + strlen(name) + 2 >= sizeof(w->path)) return 0;
    char saved[600];
    strcpy(saved, w->path);
    snprintf(w->path + pl, sizeof(w->path) - pl, "%s%s", pl > 1 ? "/" : "", name);
    struct ext4_stat st;
    if (vfs_lstat(w->fs, w->path, &st)) w->errors++;
    else if ((st.mode & EXT4_S_IFMT) == EXT4_S_IFDIR) {
        w->depth++;
        char sub[600];
        strcpy(sub, w->path);
        if (vfs_readdir(w->fs, sub, walkc_cb, w) < 0) w->errors++;
        w->depth--;
    } else if ((st.mode & EXT4_S_IFMT) == EXT4_S_IFREG) {
        uint64_t n = st.size < (1 << 20) ? st.size : (1 << 20);
        char *b = malloc(n + 1);
        if (vfs_read(w->fs, w->path, 0, b, n) < 0) w->errors++;
        free(b);
    } else if ((st.mode & EXT4_S_IFMT) == EXT4_S_IFLNK) {
        char t[1100];
        if (vfs_readlink(w->fs, w->path, t, sizeof(t)) < 0) w->errors++;
    }
    strcpy(w->path, saved);
    return 0;
}

/* One damaged image, in a child: exit 0 = nothing noticed, 10 = error reported. */
static int corrupt_child(const uint8_t *img, uint64_t size, uint64_t seed)
{
    struct memdev m;
    struct blockdev d;
    memset(&m, 0, sizeof(m)); memset(&d, 0, sizeof(d));
    m.live = malloc(size); memcpy(m.live, img, size);
    m.size = size; m.cut = -1;
    d.read = md_read; d.write = md_write; d.flush = md_flush; d.nsectors = size / 512; d.ctx = &m;
    crng = seed * 0x9E3779B97F4A7C15ull + 1;
    /* metadata regions: superblock, GDT, bitmaps and inode tables, directory/extent/journal blocks */
    uint32_t bs = 1024u << (m.live[1024 + 0x18]);
    uint64_t nblocks = size / bs;
    int region = (int)(rnd() % 6), hits = 1 + (int)(rnd() % 8);
    for (int h = 0; h < hits; h++) {
        uint64_t off;
        switch (region) {
        case 0: off = 1024 + rnd() % 1024; break;                          /* superblock */
        case 1: off = (uint64_t)(bs == 1024 ? 2 : 1) * bs + rnd() % 128; break; /* group descriptors */
        case 2: off = (uint64_t)(bs == 1024 ? 3 : 2) * bs + rnd() % (64 * (uint64_t)bs); break; /* bitmaps, inode tables */
        default: {
            /* a random block that looks like metadata: extent header, dirent, jbd2 */
            uint64_t b0 = rnd() % nblocks;
            for (uint64_t k = 0; k < nblocks; k++) {
                uint64_t b = (b0 + k) % nblocks;
                const uint8_t *p = m.live + b * bs;
                if ((p[0] == 0x0A && p[1] == 0xF3) || (p[0] == 0xC0 && p[1] == 0x3B && p[2] == 0x39) ||
                    (p[4] == 12 && p[5] == 0 && p[6] == 1 && p[8] == '.')) { b0 = b; break; }
            }
            off = b0 * bs + rnd() % (region == 5 ? 16 : bs);
        }
        }
        if (off < size) {
            int mode = (int)(rnd() % 3);
            if (mode == 0) m.live[off] ^= (uint8_t)(1u << (rnd() % 8));
            else if (mode == 1) m.live[off] = (uint8_t)rnd();
            else m.live[off] = 0;
        }
    }
    alarm(10);
    struct ext4_fs *fs;
    int r = ext4_mount(&d, 0, &fs);
    if (r) { printf("mount: %s: %s\n", errname(r), ext4_mount_error()); return ext4_mount_error()[0] ? 10 : 3; }
    struct walkc w;
    memset(&w, 0, sizeof(w));
    w.fs = fs;
    strcpy(w.path, "/");
    int e = vfs_readdir(fs, "/", walkc_cb, &w);
    if (e < 0) w.errors++;
    /* exercise the write paths too */
    uint8_t *b = pattern(5000, 7);
    if (vfs_write(fs, "/corrupt-probe", 0, b, 5000, VFS_O_CREATE) < 0) w.errors++;
    if (vfs_mkdir(fs, "/corrupt-dir", 0755) < 0) w.errors++;
    if (vfs_rename(fs, "/corrupt-probe", "/corrupt-dir/x") < 0) w.errors++;
    free(b);
    const char *msg = ext4_last_error(fs);
    bool named = msg[0] != 0;
    if (w.errors) printf("errors=%d: %s\n", w.errors, msg);
    r = ext4_umount(fs);
    if (r) w.errors++;
    if (w.errors && !named) return 4;   /* an error without a message */
    return w.errors ? 10 : 0;
}

static int corrupt_campaign(const char *img, int count, uint64_t seed)
{
    uint64_t size;
    uint8_t *base = load_file(img, &size);
    int clean = 0, reported = 0, bad = 0;
    for (int i = 0; i < count; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            _exit(corrupt_child(base, size, seed + (uint64_t)i));
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) clean++;
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 10) reported++;
        else {
            bad++;
            printf("image %d (seed %llu): %s %d\n", i, (unsigned long long)(seed + (uint64_t)i),
                   WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? "HANG" : "SIGNAL") : "EXIT",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        }
    }
    printf("{\"images\":%d,\"unnoticed\":%d,\"reported\":%d,\"failures\":%d}\n", count, clean, reported, bad);
    free(base);
    return bad ? 1 : 0;
}

/* Host figures (not guest time): throughput through the driver on a memory
 * device, and the device traffic one fsync costs. */
#include <time.h>
static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long g_writes, g_flushes;
static int cnt_write(struct blockdev *d, uint64_t lba, uint32_t n, const void *buf)
{ g_writes++; return md_write(d, lba, n, buf); }
static int cnt_flush(struct blockdev *d) { g_flushes++; return md_flush(d); }

static int bench(const char *img)
{
    struct memdev m;
    struct blockdev d;
    md_open(&m, &d, img, false);
    d.write = cnt_write; d.flush = cnt_flush;
    struct ext4_fs *fs;
    int r = ext4_mount(&d, 0, &fs);
    if (r) { fprintf(stderr, "mount: %s\n", ext4_mount_error()); return 1; }
    const uint64_t total = 16 << 20, chunk = 64 << 10;
    uint8_t *b = pattern(chunk, 1);
    double t0 = now_s();
    for (uint64_t off = 0; off < total && !r; off += chunk)
        if (vfs_write(fs, "/bench.bin", off, b, chunk, VFS_O_CREATE) < 0) r = 1;
    if (!r) r = vfs_sync(fs);
    double tw = now_s() - t0;
    t0 = now_s();
    for (uint64_t off = 0; off < total && !r; off += chunk)
        if (vfs_read(fs, "/bench.bin", off, b, chunk) != (int64_t)chunk) r = 1;
    double tr = now_s() - t0;
    long w0 = g_writes, f0 = g_flushes;
    const int n = 200;
    t0 = now_s();
    for (int i = 0; i < n && !r; i++) {
        if (vfs_write(fs, "/fsync.log", (uint64_t)i * 100, b, 100, VFS_O_CREATE) < 0) r = 1;
        else r = vfs_fsync(fs, "/fsync.log");
    }
    double tf = now_s() - t0;
    printf("{\"seq_write_MBps\":%.1f,\"seq_read_MBps\":%.1f,\"fsync_us\":%.1f,\"writes_per_fsync\":%.1f,\"flushes_per_fsync\":%.1f}\n",
           total / tw / 1e6, total / tr / 1e6, tf / n * 1e6, (double)(g_writes - w0) / n, (double)(g_flushes - f0) / n);
    free(b);
    if (ext4_umount(fs)) r = 1;
    free(m.live);
    return r ? 1 : 0;
}

/*
 * powercut-campaign BASE SCRIPT CUTS OUTDIR: for each line "CUT SEED" of
 * CUTS, in a child: run SCRIPT on BASE with power failing at event CUT,
 * save the cut disk as OUTDIR/raw-I.img, mount it (replaying the journal),
 * extract it into OUTDIR/tree-I, unmount, save it as OUTDIR/cut-I.img and
 * write OUTDIR/cut-I.json. One fork per cut instead of two program starts.
 */
static int campaign_child(const char *base, const char *script, long cut, int seed, const char *outdir, int idx)
{
    struct memdev m;
    struct blockdev d;
    char path[1024];
    md_open(&m, &d, base, true);
    m.cut = cut;
    srand((unsigned)seed);
    struct ext4_fs *fs;
    if (ext4_mount(&d, 0, &fs)) return 2;
    run_script(&fs, &d, script, &m, true);
    if (fs && !m.dead) { ext4_umount(fs); fs = NULL; }
    if (fs) ext4_abort(fs);
    for (size_t i = 0; i < m.npend; i++)
        if (rand() & 1) memcpy(m.durable + m.pend[i].lba * 512, m.pend[i].data, (size_t)m.pend[i].count * 512);
    snprintf(path, sizeof(path), "%s/raw-%d.img", outdir, idx);
    save_file(path, m.durable, m.size);
    /* now the next boot: mount the cut disk on a plain device */
    struct memdev m2;
    struct blockdev d2;
    memset(&m2, 0, sizeof(m2)); memset(&d2, 0, sizeof(d2));
    m2.live = m.durable; m2.size = m.size; m2.cut = -1;
    d2.read = md_read; d2.write = md_write; d2.flush = md_flush; d2.nsectors = m.size / 512; d2.ctx = &m2;
    int r = ext4_mount(&d2, 0, &fs);
    if (!r) {
        snprintf(path, sizeof(path), "%s/tree-%d", outdir, idx);
        mkdir(path, 0755);
        r = extract_tree(fs, "/", path);
        int u = ext4_umount(fs);
        if (!r) r = u;
    }
    snprintf(path, sizeof(path), "%s/cut-%d.img", outdir, idx);
    save_file(path, m2.live, m2.size);
    snprintf(path, sizeof(path), "%s/cut-%d.json", outdir, idx);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"cut\":%ld,\"events\":%ld,\"syncs\":%ld,\"dead\":%s,\"mount\":%d,\"error\":\"%s\"}\n",
            cut, m.events, m.syncs_done, m.dead ? "true" : "false", r, r ? ext4_mount_error() : "");
    fclose(f);
    return r ? 1 : 0;
}

static int powercut_campaign(const char *base, const char *script, const char *cuts, const char *outdir)
{
    FILE *f = fopen(cuts, "r");
    if (!f) { perror(cuts); return 2; }
    long cut;
    int seed, idx, bad = 0;
    while (fscanf(f, "%d %ld %d", &idx, &cut, &seed) == 3) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) { int rc = campaign_child(base, script, cut, seed, outdir, idx); fflush(stdout); _exit(rc); }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { bad++; printf("cut %ld: child status %d\n", cut, st); }
    }
    fclose(f);
    return bad ? 1 : 0;
}

static struct memdev *g_dev;
static void cleanup(void)
{
    if (!g_dev) return;
    drop_pending(g_dev);
    free(g_dev->pend); free(g_dev->live); free(g_dev->durable);
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: see fstool.c\n"); return 2; }
    const char *cmd = argv[1], *img = argv[2];
    if (!strcmp(cmd, "bench")) return bench(img);
    if (!strcmp(cmd, "powercut-campaign") && argc >= 6) return powercut_campaign(img, argv[3], argv[4], argv[5]);
    if (!strcmp(cmd, "corrupt") && argc >= 5) return corrupt_campaign(img, atoi(argv[3]), strtoull(argv[4], NULL, 0));
    static struct memdev m;   /* static: the atexit cleanup runs after main returns */
    struct blockdev d;
    bool pc = !strcmp(cmd, "powercut");
    memset(&m, 0, sizeof(m));
    if (pc) {
        md_open(&m, &d, img, pc);
        g_dev = &m;
        atexit(cleanup);
    } else {
        int fd = open(img, O_RDWR);
        if (fd < 0) { perror(img); return 2; }
        struct stat st;
        fstat(fd, &st);
        memset(&d, 0, sizeof(d));
        d.read = fd_read; d.write = fd_write; d.flush = fd_flush;
        d.nsectors = (uint64_t)st.st_size / 512;
        d.ctx = (void *)(intptr_t)fd;
    }
    if (!strcmp(cmd, "mkfs")) {
        struct ext4_mkfs_opts o;
        memset(&o, 0, sizeof(o));
        if (argc > 3) o.block_size = (uint32_t)atoi(argv[3]);
        if (argc > 4 && !strcmp(argv[4], "progress")) o.progress = mkfs_progress;
        o.seed = (uint64_t)getpid();
        int r = ext4_mkfs(&d, &o);
        if (r) { fprintf(stderr, "mkfs: %s: %s\n", errname(r), ext4_mkfs_error()); return 1; }
        return 0;
    }
    struct ext4_fs *fs;
    int r = ext4_mount(&d, 0, &fs);
    if (r) { fprintf(stderr, "mount: %s: %s\n", errname(r), ext4_mount_error()); return 1; }
    if (ext4_mount_note(fs)[0]) fprintf(stderr, "note: %s\n", ext4_mount_note(fs));
    int rc = 0;
    if (!strcmp(cmd, "extract") && argc > 3) {
        rc = extract_tree(fs, "/", argv[3]) ? 1 : 0;
    } else if (!strcmp(cmd, "run") && argc > 3) {
        rc = run_script(&fs, &d, argv[3], NULL, false);
    } else if (pc && argc > 6) {
        m.cut = atol(argv[4]);
        srand((unsigned)atoi(argv[5]));
        rc = run_script(&fs, &d, argv[3], &m, true);
        if (m.cut < 0) {
            r = fs ? ext4_umount(fs) : 0;
            printf("{\"events\":%ld,\"syncs\":%ld}\n", m.events, m.syncs_done);
            return rc || r;
        }
        if (fs && !m.dead) { r = ext4_umount(fs); fs = NULL; }
        if (fs) ext4_abort(fs);
        /* the disk after the cut: flushed state plus some unflushed writes */
        for (size_t i = 0; i < m.npend; i++)
            if (rand() & 1)
                memcpy(m.durable + m.pend[i].lba * 512, m.pend[i].data, (size_t)m.pend[i].count * 512);
        save_file(argv[6], m.durable, m.size);
        printf("{\"events\":%ld,\"syncs\":%ld,\"dead\":%s,\"unflushed\":%zu}\n", m.events, m.syncs_done,
               m.dead ? "true" : "false", m.npend);
        return rc && !m.dead;
    } else {
        fprintf(stderr, "bad command\n");
        rc = 2;
    }
    if (fs) {
        r = ext4_umount(fs);
        if (r) { fprintf(stderr, "umount: %s: %s\n", errname(r), ""); rc = 1; }
    }
    return rc;
}

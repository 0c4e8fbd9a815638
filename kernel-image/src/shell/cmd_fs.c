/*
 * cmd_fs.c - the file commands: ls, cat, stat, mkdir, rm, rmdir, mv, ln,
 * write, sync, df, sha256, diskctl, fsbench. They work on the ext4 filesystem
 * mounted at / from the system disk (drivers/storage.c).
 *
 * Names: every name, path and link target these commands print goes
 * through put_esc() (GNU ls -b style: \\ \n \t ... and \ooo octal for other
 * control bytes and invalid UTF-8), so a disk image cannot drive the
 * terminal. cat alone prints file contents raw: that is its job.
 *
 * Paths: there is no current directory; "x/y" means "/x/y". cat and sha256
 * follow symbolic links (at most 8); ls, stat, rm and mv act on the link
 * itself. Errors name the
 * command, the path and the errno, e.g.
 *   ls: /nope: No such file or directory (ENOENT)
 * and, for I/O and corruption errors, the on-disk problem the ext4 driver
 * reported. Without a filesystem every command says
 *   ls: no filesystem mounted: REASON
 * Durability: every command that changes the filesystem commits the
 * journal transaction (and flushes the disk) before the prompt comes back,
 * so a change the shell has acknowledged survives a power cut. `sync`
 * does the same explicitly.
 */
#include "../defs.h"
#include "../fs/ext4.h"

#define PATH_MAX_LEN 4096      /* paths and symlink targets, as VFS_LINK_MAX + 1 */
#define IO_CHUNK 4096
#define LS_PAGE 1024           /* names sorted per pass of ls over a directory */
#define MAX_FOLLOW 8
#define ENODEV 19

static const char *err_text(int e)
{
    switch (e < 0 ? -e : e) {
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case EIO: return "Input/output error";
    case ENOMEM: return "Out of memory";
    case EEXIST: return "File exists";
    case EXDEV: return "Cross-device link";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case EFBIG: return "File too large";
    case ENOSPC: return "No space left on device";
    case EROFS: return "Read-only file system";
    case EMLINK: return "Too many links";
    case ENAMETOOLONG: return "File name too long";
    case ENOTEMPTY: return "Directory not empty";
    case ELOOP: return "Too many levels of symbolic links";
    case EOPNOTSUPP: return "Operation not supported";
    case EUCLEAN: return "Structure needs cleaning";
    case ENODEV: return "No such device";
    default: return "Error";
    }
}

static const char *err_name(int e)
{
    return (e == -ENODEV || e == ENODEV) ? "ENODEV" : vfs_strerror(e);
}

/* Length of the valid UTF-8 sequence at s (a code point >= U+00A0), or 0. */
static size_t utf8_printable(const uint8_t *s, size_t n)
{
    size_t k = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (k == 0 || k > n || s[0] > 0xF4)
        return 0;
    uint32_t cp = s[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[k] || cp < 0xA0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;   /* overlong, C1 control (U+0080-U+009F), surrogate, out of range */
    return k;
}

/*
 * Print n bytes of a name, link target or path so that it cannot drive the
 * terminal: printable ASCII and printable UTF-8 as they are; backslash as
 * \\; \a \b \t \n \v \f \r; any other byte as \ooo (ESC is \033).
 */
static void put_esc(const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    static const char cesc[] = "abtnvfr";   /* 0x07..0x0d */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\') {
            uart_putc('\\');
            uart_putc('\\');
        } else if (c >= 0x20 && c < 0x7F) {
            uart_putc((char)c);
        } else if (c >= 0x07 && c <= 0x0D) {
            uart_putc('\\');
            uart_putc(cesc[c - 0x07]);
        } else {
            size_t k = c >= 0x80 ? utf8_printable(s + i, n - i) : 0;
            if (k) {
                for (size_t j = 0; j < k; j++)
                    uart_putc((char)s[i + j]);
                i += k - 1;
                continue;
            }
            uart_putc('\\');
            uart_putc((char)('0' + (c >> 6)));
            uart_putc((char)('0' + ((c >> 3) & 7)));
            uart_putc((char)('0' + (c & 7)));
        }
    }
}

static void puts_esc(const char *s)
{
    put_esc(s, strlen(s));
}

/* "cmd: path: text (ENAME)[: on-disk problem]" and 1. */
static int fail(const char *cmd, const char *path, int e)
{
    struct ext4_fs *fs = storage_fs();
    printf("%s: ", cmd);
    puts_esc(path);
    printf(": %s (%s)", err_text(e), err_name(e));
    if (fs && (e == -EIO || e == -EUCLEAN || e == -EOPNOTSUPP) && ext4_last_error(fs)[0])
        printf(": %s", ext4_last_error(fs));
    printf("\n");
    return 1;
}

static struct ext4_fs *need_fs(const char *cmd)
{
    struct ext4_fs *fs = storage_fs();
    if (!fs)
        printf("%s: no filesystem mounted: %s\n", cmd, storage_reason());
    return fs;
}

static int usage(const char *u)
{
    printf("usage: %s\n", u);
    return 1;
}

/* "x" -> "/x"; NULL (and a message) if too long. */
static const char *abspath(const char *cmd, const char *in, char *buf)
{
    if (in[0] == '/')
        return in;
    if (strlen(in) + 2 > PATH_MAX_LEN) {
        printf("%s: ", cmd);
        puts_esc(in);
        printf(": %s (ENAMETOOLONG)\n", err_text(ENAMETOOLONG));
        return NULL;
    }
    buf[0] = '/';
    strlcpy(buf + 1, in, PATH_MAX_LEN - 1);
    return buf;
}

/* After a change: commit the journal so the change is durable now. */
static int commit(const char *cmd, struct ext4_fs *fs)
{
    int e = vfs_sync(fs);
    if (e)
        return fail(cmd, "journal commit", e);
    return 0;
}

static void mode_string(uint16_t mode, char *s)
{
    uint16_t t = mode & EXT4_S_IFMT;
    s[0] = t == EXT4_S_IFDIR ? 'd' : t == EXT4_S_IFLNK ? 'l' : t == EXT4_S_IFREG ? '-' : '?';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        s[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    s[10] = 0;
}

/* ---- ls ---- */

/*
 * ls sorts a directory of any size in bounded memory: each pass over the
 * directory keeps the LS_PAGE smallest names greater than the last one
 * printed (a max-heap), then prints them in order. A directory that fits
 * in one page takes one pass; a larger one takes one pass per page.
 */
struct entry {
    uint32_t ino;
    uint8_t len;
    char name[256];
};

struct listing {
    struct entry *e;          /* LS_PAGE slots, a max-heap on name while collecting */
    int n;
    bool have_last;
    struct entry last;        /* the greatest name printed so far */
};

static int name_cmp(const struct entry *a, const char *name, uint32_t len)
{
    uint32_t m = a->len < len ? a->len : len;
    int c = memcmp(a->name, name, m);
    return c ? c : (int)a->len - (int)len;
}

static int entry_cmp(const struct entry *a, const struct entry *b)
{
    return name_cmp(a, b->name, b->len);
}

static void entry_swap(struct entry *a, struct entry *b)
{
    struct entry t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(struct entry *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && entry_cmp(&h[l], &h[m]) > 0)
            m = l;
        if (r < n && entry_cmp(&h[r], &h[m]) > 0)
            m = r;
        if (m == i)
            return;
        entry_swap(&h[i], &h[m]);
        i = m;
    }
}

static void set_entry(struct entry *e, const char *name, uint32_t len, uint32_t ino)
{
    e->ino = ino;
    e->len = (uint8_t)len;
    memcpy(e->name, name, len);
    e->name[len] = 0;
}

static int collect(void *arg, const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
    (void)type;
    struct listing *l = arg;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    if (len > 255)
        len = 255;
    if (l->have_last && name_cmp(&l->last, name, len) >= 0)
        return 0;                               /* printed in an earlier page */
    if (l->n < LS_PAGE) {
        int i = l->n++;
        set_entry(&l->e[i], name, len, ino);
        while (i > 0 && entry_cmp(&l->e[(i - 1) / 2], &l->e[i]) < 0) {
            entry_swap(&l->e[(i - 1) / 2], &l->e[i]);
            i = (i - 1) / 2;
        }
    } else if (name_cmp(&l->e[0], name, len) > 0) {
        set_entry(&l->e[0], name, len, ino);    /* replaces the largest kept */
        sift_down(l->e, l->n, 0);
    }
    return 0;
}

static void print_long(struct ext4_fs *fs, uint32_t ino, const char *name, const struct ext4_stat *st)
{
    char m[11];
    mode_string(st->mode, m);
    printf("%s %3u %10lu ", m, st->nlink, (unsigned long)st->size);
    puts_esc(name);
    if ((st->mode & EXT4_S_IFMT) == EXT4_S_IFLNK) {
        char *target = kmalloc(PATH_MAX_LEN);
        int64_t n = target ? vfs_readlink_ino(fs, ino, target, PATH_MAX_LEN - 1) : -ENOMEM;
        if (n >= 0) {
            printf(" -> ");
            put_esc(target, (size_t)n);
        } else {
            printf(" -> ?");
        }
        kfree(target);
        printf("\n");
        if (n < 0)
            fail("ls", name, (int)n);
        return;
    }
    printf("\n");
}

int cmd_ls(int argc, char **argv)
{
    bool lng = argc > 1 && strcmp(argv[1], "-l") == 0;
    int rest = argc - 1 - (lng ? 1 : 0);
    if (rest > 1 || (rest == 1 && argv[argc - 1][0] == '-'))
        return usage("ls [-l] [PATH]");
    struct ext4_fs *fs = need_fs("ls");
    if (!fs)
        return 1;
    char pbuf[PATH_MAX_LEN];
    const char *path = rest ? abspath("ls", argv[argc - 1], pbuf) : "/";
    if (!path)
        return 1;
    struct ext4_stat st;
    int e = vfs_lstat(fs, path, &st);
    if (e)
        return fail("ls", path, e);
    if ((st.mode & EXT4_S_IFMT) != EXT4_S_IFDIR) {
        if (lng) {
            print_long(fs, st.ino, path, &st);
        } else {
            puts_esc(path);
            printf("\n");
        }
        return 0;
    }
    struct listing *l = kmalloc(sizeof(*l));
    struct entry *page = kmalloc(LS_PAGE * sizeof(struct entry));
    if (!l || !page) {
        kfree(l);
        kfree(page);
        return fail("ls", path, -ENOMEM);
    }
    l->e = page;
    l->have_last = false;
    int rc = 0;
    for (;;) {
        l->n = 0;
        e = vfs_readdir(fs, path, collect, l);
        if (e) {
            rc = fail("ls", path, e);
            break;
        }
        int n = l->n;
        for (int k = n - 1; k > 0; k--) {     /* heap sort: ascending */
            entry_swap(&l->e[0], &l->e[k]);
            sift_down(l->e, k, 0);
        }
        for (int i = 0; i < n; i++) {
            struct entry *x = &l->e[i];
            if (!lng) {
                put_esc(x->name, x->len);
                printf("\n");
                continue;
            }
            struct ext4_stat cs;
            int ce = vfs_stat_ino(fs, x->ino, &cs);
            if (ce)
                fail("ls", x->name, ce);
            else
                print_long(fs, x->ino, x->name, &cs);
        }
        if (n < LS_PAGE)
            break;
        l->last = l->e[n - 1];
        l->have_last = true;
    }
    kfree(page);
    kfree(l);
    return rc;
}

/* ---- cat, sha256 ---- */

/* Drop "." components and repeated slashes in place ("/a/./b//c" -> "/a/b/c"); ".." stays (links). */
static void drop_dots(char *p)
{
    char *w = p, *r = p;
    while (*r) {
        while (*r == '/')
            r++;
        char *e = r;
        while (*e && *e != '/')
            e++;
        if (e - r == 1 && r[0] == '.') {
            r = e;
            continue;
        }
        if (e > r) {
            *w++ = '/';
            memmove(w, r, (size_t)(e - r));
            w += e - r;
        }
        r = e;
    }
    if (w == p)
        *w++ = '/';
    *w = 0;
}

/*
 * Follow symbolic links at the end of `path` (the vfs follows the ones in
 * the middle): a relative target is taken from the link's directory, and
 * "." components are dropped, so a link of up to 4095 bytes resolves as
 * long as the resulting path fits 4095 bytes. The result goes to out
 * (PATH_MAX_LEN bytes). 0 or -errno.
 */
static int follow(struct ext4_fs *fs, const char *path, char *out, struct ext4_stat *st)
{
    /* the link's directory plus a target of up to 4095 bytes, before "." components go */
    char *target = kmalloc(2 * PATH_MAX_LEN);
    if (!target)
        return -ENOMEM;
    int e = 0;
    strlcpy(out, path, PATH_MAX_LEN);
    for (int hops = 0;; hops++) {
        if ((e = vfs_lstat(fs, out, st)))
            break;
        if ((st->mode & EXT4_S_IFMT) != EXT4_S_IFLNK)
            break;
        if (hops == MAX_FOLLOW) {
            e = -ELOOP;
            break;
        }
        char *slash = out + strlen(out);
        while (slash > out && *slash != '/')
            slash--;
        size_t dlen = (size_t)(slash - out) + 1;       /* room for "dir/" in front */
        int64_t n = vfs_readlink(fs, out, target + dlen, PATH_MAX_LEN - 1);
        if (n < 0) {
            e = (int)n;
            break;
        }
        target[dlen + n] = 0;
        const char *t = target + dlen;
        if (t[0] != '/') {
            memcpy(target, out, dlen);
            t = target;
        }
        char *w = (char *)t;
        drop_dots(w);
        if (strlen(w) + 1 > PATH_MAX_LEN) {
            e = -ENAMETOOLONG;
            break;
        }
        strlcpy(out, w, PATH_MAX_LEN);
    }
    kfree(target);
    return e;
}

/* Read a whole file (following symlinks) in chunks, handing each to fn. 0 or -errno. */
static int read_all(struct ext4_fs *fs, const char *path, void (*fn)(void *, const uint8_t *, size_t), void *arg)
{
    struct ext4_stat st;
    char real[PATH_MAX_LEN];
    int e = follow(fs, path, real, &st);
    if (e)
        return e;
    if ((st.mode & EXT4_S_IFMT) == EXT4_S_IFDIR)
        return -EISDIR;
    uint8_t *buf = kmalloc(IO_CHUNK);
    if (!buf)
        return -ENOMEM;
    uint64_t off = 0;
    for (;;) {
        int64_t n = vfs_read(fs, real, off, buf, IO_CHUNK);
        if (n < 0) {
            kfree(buf);
            return (int)n;
        }
        if (n == 0)
            break;
        fn(arg, buf, (size_t)n);
        off += (uint64_t)n;
    }
    kfree(buf);
    return 0;
}

static void cat_out(void *arg, const uint8_t *p, size_t n)
{
    (void)arg;
    for (size_t i = 0; i < n; i++)
        uart_putc((char)p[i]);
}

int cmd_cat(int argc, char **argv)
{
    if (argc != 2)
        return usage("cat PATH");
    struct ext4_fs *fs = need_fs("cat");
    char pbuf[PATH_MAX_LEN];
    const char *path = fs ? abspath("cat", argv[1], pbuf) : NULL;
    if (!path)
        return 1;
    int e = read_all(fs, path, cat_out, NULL);
    return e ? fail("cat", path, e) : 0;
}

static void sha_out(void *arg, const uint8_t *p, size_t n)
{
    sha256_update(arg, p, n);
}

int cmd_sha256(int argc, char **argv)
{
    if (argc != 2)
        return usage("sha256 PATH");
    struct ext4_fs *fs = need_fs("sha256");
    char pbuf[PATH_MAX_LEN];
    const char *path = fs ? abspath("sha256", argv[1], pbuf) : NULL;
    if (!path)
        return 1;
    struct sha256 s;
    sha256_init(&s);
    int e = read_all(fs, path, sha_out, &s);
    if (e)
        return fail("sha256", path, e);
    uint8_t d[32];
    char hex[65];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    printf("%s  ", hex);
    puts_esc(path);
    printf("\n");
    return 0;
}

/* ---- stat ---- */

int cmd_stat(int argc, char **argv)
{
    if (argc != 2)
        return usage("stat PATH");
    struct ext4_fs *fs = need_fs("stat");
    char pbuf[PATH_MAX_LEN];
    const char *path = fs ? abspath("stat", argv[1], pbuf) : NULL;
    if (!path)
        return 1;
    struct ext4_stat st;
    int e = vfs_lstat(fs, path, &st);
    if (e)
        return fail("stat", path, e);
    uint16_t t = st.mode & EXT4_S_IFMT;
    char m[11], when[32];
    mode_string(st.mode, m);
    printf("path:   ");
    puts_esc(path);
    printf("\n");
    printf("type:   %s\n", t == EXT4_S_IFDIR ? "directory" : t == EXT4_S_IFLNK ? "symbolic link"
                           : t == EXT4_S_IFREG ? "regular file" : "other");
    printf("inode:  %u\n", st.ino);
    printf("mode:   %04o (%s)\n", st.mode & 07777u, m);
    printf("links:  %u\n", st.nlink);
    printf("uid:    %u, gid: %u\n", st.uid, st.gid);
    printf("size:   %lu bytes, %lu blocks of 512 bytes\n", (unsigned long)st.size,
           (unsigned long)st.blocks512);
    if (t == EXT4_S_IFLNK) {
        char *target = kmalloc(PATH_MAX_LEN);
        int64_t n = target ? vfs_readlink_ino(fs, st.ino, target, PATH_MAX_LEN - 1) : -ENOMEM;
        if (n >= 0) {
            printf("target: ");
            put_esc(target, (size_t)n);
            printf("\n");
        } else {
            printf("target: ? (%s)\n", err_name((int)n));
        }
        kfree(target);
    }
    rtc_format_iso8601(st.mtime, when, sizeof(when));
    printf("mtime:  %s\n", when);
    rtc_format_iso8601(st.ctime, when, sizeof(when));
    printf("ctime:  %s\n", when);
    return 0;
}

/* ---- changes ---- */

static int one_path_change(int argc, char **argv, const char *cmd, const char *u,
                           int (*op)(struct ext4_fs *, const char *))
{
    if (argc != 2 || argv[1][0] == '-')
        return usage(u);
    struct ext4_fs *fs = need_fs(cmd);
    char pbuf[PATH_MAX_LEN];
    const char *path = fs ? abspath(cmd, argv[1], pbuf) : NULL;
    if (!path)
        return 1;
    int e = op(fs, path);
    if (e) {
        fail(cmd, path, e);
        commit(cmd, fs);
        return 1;
    }
    return commit(cmd, fs);
}

static int mkdir_op(struct ext4_fs *fs, const char *p) { return vfs_mkdir(fs, p, 0755); }

int cmd_mkdir(int argc, char **argv)
{
    return one_path_change(argc, argv, "mkdir", "mkdir PATH", mkdir_op);
}

int cmd_rm(int argc, char **argv)
{
    return one_path_change(argc, argv, "rm", "rm PATH", vfs_unlink);
}

int cmd_rmdir(int argc, char **argv)
{
    return one_path_change(argc, argv, "rmdir", "rmdir PATH", vfs_rmdir);
}

int cmd_mv(int argc, char **argv)
{
    if (argc != 3)
        return usage("mv FROM TO");
    struct ext4_fs *fs = need_fs("mv");
    char b1[PATH_MAX_LEN], b2[PATH_MAX_LEN];
    const char *from = fs ? abspath("mv", argv[1], b1) : NULL;
    const char *to = from ? abspath("mv", argv[2], b2) : NULL;
    if (!to)
        return 1;
    int e = vfs_rename(fs, from, to);
    if (e) {
        /* The path to blame: the source unless it exists and the target is the problem. */
        struct ext4_stat st;
        fail("mv", vfs_lstat(fs, from, &st) == 0 && e != -EINVAL ? to : from, e);
        return 1;
    }
    return commit("mv", fs);
}

int cmd_ln(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "-s") != 0)
        return usage("ln -s TARGET LINK");
    struct ext4_fs *fs = need_fs("ln");
    char pbuf[PATH_MAX_LEN];
    const char *link = fs ? abspath("ln", argv[3], pbuf) : NULL;
    if (!link)
        return 1;
    int e = vfs_symlink(fs, argv[2], link);
    if (e)
        return fail("ln", link, e);
    return commit("ln", fs);
}

int cmd_write(int argc, char **argv)
{
    if (argc < 2)
        return usage("write PATH [TEXT ...]");
    struct ext4_fs *fs = need_fs("write");
    char pbuf[PATH_MAX_LEN];
    const char *path = fs ? abspath("write", argv[1], pbuf) : NULL;
    if (!path)
        return 1;
    char text[SHELL_LINE_MAX + 1];
    size_t n = 0;
    for (int i = 2; i < argc; i++) {
        size_t l = strlen(argv[i]);
        memcpy(text + n, argv[i], l);   /* fits: the arguments came from one shell line */
        n += l;
        if (i + 1 < argc)
            text[n++] = ' ';
    }
    text[n++] = '\n';
    int64_t r = vfs_write(fs, path, 0, text, n, VFS_O_CREATE | VFS_O_TRUNC);
    if (r < 0)
        return fail("write", path, (int)r);
    return commit("write", fs);
}

int cmd_sync(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("sync");
    struct ext4_fs *fs = need_fs("sync");
    return fs ? commit("sync", fs) : 1;
}

static void print_df(struct ext4_fs *fs)
{
    struct ext4_statfs s;
    int e = vfs_statfs(fs, &s);
    if (e) {
        fail("df", "/", e);
        return;
    }
    uint64_t k = s.block_size / 1024;
    uint64_t used = s.blocks - s.free_blocks;
    printf("filesystem  1K-blocks       used  available use%%  inodes  ifree  mounted on\n");
    printf("blk0       %10lu %10lu %10lu %3lu%% %7u %6u  /%s\n", (unsigned long)(s.blocks * k),
           (unsigned long)(used * k), (unsigned long)(s.avail_blocks * k),
           (unsigned long)(s.blocks ? (used * 100 + s.blocks - 1) / s.blocks : 0), s.inodes,
           s.free_inodes, ext4_is_readonly(fs) ? " (read-only)" : "");
}

int cmd_df(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("df");
    struct ext4_fs *fs = need_fs("df");
    if (!fs)
        return 1;
    print_df(fs);
    return 0;
}

int cmd_diskctl(int argc, char **argv)
{
    bool info = argc == 2 && strcmp(argv[1], "info") == 0;
    bool format = (argc == 2 || argc == 3) && strcmp(argv[1], "format") == 0;
    if (!info && !format)
        return usage("diskctl info | diskctl format --yes");
    if (info) {
        for (int i = 0; i < blk_count(); i++)
            printf("blk%d: %lu sectors (%lu KiB), %s, %s\n", i, (unsigned long)blk_sectors(i),
                   (unsigned long)(blk_sectors(i) / 2), blk_readonly(i) ? "read-only" : "read-write",
                   i == 0 ? "system disk" : i == 1 ? "import disk (raw)" : "unused");
        if (blk_count() == 0)
            printf("no disks\n");
        struct ext4_fs *fs = storage_fs();
        if (!fs) {
            printf("/: no filesystem mounted: %s\n", storage_reason());
            return 0;
        }
        const char *note = ext4_mount_note(fs);
        printf("/: %s on blk0, %s%s%s%s\n", ext4_fs_type(fs), ext4_is_readonly(fs) ? "read-only" : "read-write",
               note[0] ? " (" : "", note, note[0] ? ")" : "");
        if (storage_formatted_at_boot())
            printf("/: formatted at this boot (blk0 was blank)\n");
        print_df(fs);
        return 0;
    }
    if (argc != 3 || strcmp(argv[2], "--yes") != 0) {
        printf("diskctl: format erases everything on blk0; run 'diskctl format --yes' to do it\n");
        return 1;
    }
    int e = storage_format();
    if (e) {
        /* mkfs's reason (e.g. the minimum size), when mkfs ran */
        const char *why = e != -ENODEV && e != -EROFS ? ext4_mkfs_error() : "";
        if (why[0])
            printf("diskctl: format blk0 failed: %s (%s)\n", why, err_name(e));
        else
            printf("diskctl: format blk0 failed: %s (%s)\n", err_text(e), err_name(e));
        return 1;
    }
    printf("diskctl: blk0 formatted and mounted at /\n");
    return 0;
}

/* ---- fsbench ---- */

#define BENCH_FILE "/.fsbench"
#define BENCH_SMALL 16

static uint8_t bench_byte(uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 9) * 7);
}

/*
 * fsbench [KiB]: sequential write of a KiB-long file in 4 KiB chunks, its
 * fsync, a sequential read that checks every byte, then BENCH_SMALL appends
 * of 512 bytes each followed by fsync (the latency a registry update pays).
 * Guest time from the generic timer. The file is removed at the end.
 */
int cmd_fsbench(int argc, char **argv)
{
    uint64_t kib = 1024;
    if (argc > 2 || (argc == 2 && (parse_u64(argv[1], &kib) || kib < 4 || kib > 65536 || kib % 4)))
        return usage("fsbench [KiB]  (4 to 65536, a multiple of 4, default 1024)");
    struct ext4_fs *fs = need_fs("fsbench");
    if (!fs)
        return 1;
    uint8_t *buf = kmalloc(IO_CHUNK);
    if (!buf) {
        printf("fsbench: out of memory\n");
        return 1;
    }
    uint64_t total = kib * 1024, off, t0, t1;
    int64_t r = 0;
    int e = 0;
    t0 = timer_us();
    for (off = 0; off < total && r >= 0; off += IO_CHUNK) {
        for (uint32_t i = 0; i < IO_CHUNK; i++)
            buf[i] = bench_byte(off + i);
        r = vfs_write(fs, BENCH_FILE, off, buf, IO_CHUNK, off ? 0 : VFS_O_CREATE | VFS_O_TRUNC);
    }
    t1 = timer_us();
    if (r < 0) {
        e = (int)r;
        goto out;
    }
    printf("fsbench: write %lu bytes %lu us\n", (unsigned long)total, (unsigned long)(t1 - t0));
    t0 = timer_us();
    if ((e = vfs_fsync(fs, BENCH_FILE)))
        goto out;
    printf("fsbench: fsync %lu us\n", (unsigned long)(timer_us() - t0));
    t0 = timer_us();
    for (off = 0; off < total; off += IO_CHUNK) {
        r = vfs_read(fs, BENCH_FILE, off, buf, IO_CHUNK);
        if (r != IO_CHUNK) {
            e = r < 0 ? (int)r : -EIO;
            goto out;
        }
        for (uint32_t i = 0; i < IO_CHUNK; i++)
            if (buf[i] != bench_byte(off + i)) {
                printf("fsbench: read back wrong data at byte %lu\n", (unsigned long)(off + i));
                e = -EIO;
                goto out;
            }
    }
    printf("fsbench: read %lu bytes %lu us\n", (unsigned long)total, (unsigned long)(timer_us() - t0));
    t0 = timer_us();
    for (int i = 0; i < BENCH_SMALL; i++) {
        memset(buf, 'a' + i, 512);
        r = vfs_write(fs, BENCH_FILE, total + (uint64_t)i * 512, buf, 512, 0);
        if (r < 0 || (e = vfs_fsync(fs, BENCH_FILE))) {
            if (r < 0)
                e = (int)r;
            goto out;
        }
    }
    t1 = timer_us() - t0;
    printf("fsbench: append+fsync %d x 512 bytes %lu us, %lu us each\n", BENCH_SMALL,
           (unsigned long)t1, (unsigned long)(t1 / BENCH_SMALL));
out:
    kfree(buf);
    int ue = vfs_unlink(fs, BENCH_FILE);
    if (e)
        fail("fsbench", BENCH_FILE, e);
    else if (ue)
        fail("fsbench", BENCH_FILE, ue);
    return commit("fsbench", fs) || e || ue ? 1 : 0;
}

/*
 * fsport.h - the only door between the ext4 code and the outside world.
 *
 * In the kernel (FS_HOST undefined) everything comes from ../defs.h:
 * kmalloc/kfree, the mem and str functions, printf and rtc_seconds.
 * With -DFS_HOST the same names map to libc so the host test driver in
 * kernel-image/tests/fs/ runs the very same code under ASan/UBSan.
 * Nothing else from outside may be used by fs/.
 */
#ifndef FS_FSPORT_H
#define FS_FSPORT_H

#ifdef FS_HOST
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
static inline void *kmalloc(size_t n) { return malloc(n); }
static inline void kfree(void *p) { free(p); }
static inline uint64_t rtc_seconds(void) { return (uint64_t)time(NULL); }
#else
#include "../defs.h"
#endif

/* errno values (Linux numbering, which glibc shares). */
#ifndef EPERM
#define EPERM 1
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EIO
#define EIO 5
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef EXDEV
#define EXDEV 18
#endif
#ifndef ENOTDIR
#define ENOTDIR 20
#endif
#ifndef EISDIR
#define EISDIR 21
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef EFBIG
#define EFBIG 27
#endif
#ifndef ENOSPC
#define ENOSPC 28
#endif
#ifndef EROFS
#define EROFS 30
#endif
#ifndef EMLINK
#define EMLINK 31
#endif
#ifndef ENAMETOOLONG
#define ENAMETOOLONG 36
#endif
#ifndef ENOTEMPTY
#define ENOTEMPTY 39
#endif
#ifndef ELOOP
#define ELOOP 40
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#ifndef EUCLEAN
#define EUCLEAN 117
#endif

#endif

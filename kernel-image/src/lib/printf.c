/*
 * printf.c - formatted output for the whole kernel.
 *
 * One formatter (fmt_core) writes through a sink callback; printf sinks to
 * UART0, snprintf to a bounded buffer (always NUL-terminated, returns the
 * length the full output would have had, like C99). Supported: %d %i %u %x
 * %X %o %c %s %p %%, length modifiers l, ll, z, h, hh, and flags '-', '0',
 * width and precision (for %s: max chars; for integers: min digits), '*'.
 * Unknown conversions are printed verbatim so mistakes are visible.
 */
#include "../defs.h"

struct sink {
    void (*put)(struct sink *, char);
    char *buf;
    size_t cap, len;
};

static void put_uart(struct sink *s, char c)
{
    uart_putc(c);
    klog_putc(c);
    s->len++;
}

static void put_buf(struct sink *s, char c)
{
    if (s->len + 1 < s->cap)
        s->buf[s->len] = c;
    s->len++;
}

static void pad(struct sink *s, char c, int n)
{
    while (n-- > 0)
        s->put(s, c);
}

static void fmt_core(struct sink *s, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            s->put(s, *f);
            continue;
        }
        const char *start = f++;
        bool left = false, zero = false;
        int width = 0, prec = -1, lng = 0;
        for (;; f++) {
            if (*f == '-')
                left = true;
            else if (*f == '0')
                zero = true;
            else
                break;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = true;
                width = -width;
            }
            f++;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            }
            while (*f >= '0' && *f <= '9')
                prec = prec * 10 + (*f++ - '0');
        }
        for (;; f++) {
            if (*f == 'l')
                lng++;
            else if (*f == 'z')
                lng = 2;
            else if (*f == 'h')
                lng--;
            else
                break;
        }

        char tmp[24];
        const char *str = tmp;
        int len = 0;
        bool neg = false;
        uint64_t v = 0;
        unsigned base = 10;
        bool upper = false, number = true;
        const char *prefix = "";

        switch (*f) {
        case 'd': case 'i': {
            int64_t sv;
            if (lng >= 1)
                sv = va_arg(ap, long);
            else
                sv = va_arg(ap, int);
            if (lng == -1)
                sv = (short)sv;
            else if (lng <= -2)
                sv = (signed char)sv;
            neg = sv < 0;
            v = neg ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
            break;
        }
        case 'u': case 'x': case 'X': case 'o':
            if (lng >= 1)
                v = va_arg(ap, unsigned long);
            else
                v = va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng <= -2)
                v = (unsigned char)v;
            base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
            upper = *f == 'X';
            break;
        case 'p':
            v = (uintptr_t)va_arg(ap, void *);
            base = 16;
            prefix = "0x";
            break;
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            len = 1;
            number = false;
            break;
        case 's':
            str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            len = prec >= 0 ? (int)strnlen(str, prec) : (int)strlen(str);
            number = false;
            break;
        case '%':
            s->put(s, '%');
            continue;
        default:    /* unknown: print the directive as written */
            for (; start <= f && *start; start++)
                s->put(s, *start);
            if (!*f)
                return;
            continue;
        }

        if (number) {
            const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
            char rev[24];
            int n = 0;
            do {
                rev[n++] = digits[v % base];
                v /= base;
            } while (v);
            while (n < prec && n < (int)sizeof(rev))
                rev[n++] = '0';
            if (neg)
                prefix = "-";
            for (len = 0; len < n; len++)
                tmp[len] = rev[n - 1 - len];
            int plen = (int)strlen(prefix);
            int fill = width - len - plen;
            if (!left && !(zero && prec < 0))
                pad(s, ' ', fill);
            for (const char *p = prefix; *p; p++)
                s->put(s, *p);
            if (!left && zero && prec < 0)
                pad(s, '0', fill);
            for (int i = 0; i < len; i++)
                s->put(s, tmp[i]);
            if (left)
                pad(s, ' ', fill);
        } else {
            if (!left)
                pad(s, ' ', width - len);
            for (int i = 0; i < len; i++)
                s->put(s, str[i]);
            if (left)
                pad(s, ' ', width - len);
        }
    }
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { put_uart, NULL, 0, 0 };
    fmt_core(&s, fmt, ap);
    return (int)s.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct sink s = { put_buf, buf, n, 0 };
    fmt_core(&s, fmt, ap);
    if (n)
        buf[s.len < n ? s.len : n - 1] = 0;
    return (int)s.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/*
 * A broken kernel invariant: say which, show where (the frame-pointer chain
 * from panic's caller, as a crash report does), then stop like a crash.
 * A panic while panicking (say, printf itself broken) just halts.
 */
void panic(const char *fmt, ...)
{
    static bool panicking;
    va_list ap;
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    if (panicking) {
        uart_puts("\npanic while panicking\nsis: machine halted after a crash\n");
        halt();
    }
    panicking = true;
    printf("\npanic: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    const uint64_t *frame = __builtin_frame_address(0);    /* {caller's fp, return address} */
    backtrace_print(frame[1], frame[0], true, "panic called here");
    printf("sis: machine halted after a crash\n");
    halt();
}

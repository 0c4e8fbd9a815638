/*
 * line.c - the line editor on UART0: what a person types at `sis> `.
 *
 * Bytes in: printable characters are stored and echoed; a tab is stored
 * and echoed as a space (so it separates arguments, and Backspace erases
 * exactly what was echoed); backspace/DEL erase one; Ctrl-U erases the
 * whole line; Ctrl-C abandons it ("^C", new prompt); ESC [ A / ESC [ B
 * (also ESC O A/B) walk a 16-entry history. Enter is '\r', '\n' or "\r\n"
 * (QEMU -nographic sends '\r', pipes send '\n'; the '\n' of a "\r\n" pair
 * is swallowed). Output line ends are "\r\n" (uart_putc).
 * The buffer holds at most n-1 bytes. Once a line is longer, further bytes
 * are neither stored nor echoed, and at Enter the whole line is rejected
 * with "sis: line too long (max N bytes)": nothing is executed and nothing
 * overflows. Ctrl-U or Ctrl-C clear that state.
 *
 * Escape sequences go through a small state machine (ECMA-48 shapes):
 *   ESC x           two bytes, ignored (Alt-x); ESC ESC starts over
 *   ESC O x         SS3: one final byte (A/B walk the history)
 *   ESC [ P.. I.. F CSI: parameter bytes 0x30-0x3f and intermediates
 *                   0x20-0x2f, at most ESC_MAX of them, then a final byte
 *                   0x40-0x7e (A/B walk the history, the rest is ignored)
 * Any control byte (below 0x20, or DEL) or a byte >= 0x80 ends an
 * unfinished sequence and then acts as usual, so Enter, Ctrl-C, Ctrl-U and
 * Backspace always work; a CSI longer than ESC_MAX bytes is dropped and the
 * byte that overflowed it is taken as typed. No input can leave the editor
 * waiting for a letter.
 */
#include "../defs.h"

#define HIST 16
#define ESC_MAX 16

enum esc_state { ESC_NONE, ESC_SEEN, ESC_CSI, ESC_SS3 };

static char history[HIST][SHELL_LINE_MAX];
static int hist_count;
static bool swallow_lf;

static void erase(size_t k)
{
    while (k--)
        uart_puts("\b \b");
}

static void hist_add(const char *line)
{
    if (hist_count && strcmp(history[hist_count - 1], line) == 0)
        return;
    if (hist_count == HIST) {
        memmove(history[0], history[1], sizeof(history[0]) * (HIST - 1));
        hist_count--;
    }
    strlcpy(history[hist_count++], line, SHELL_LINE_MAX);
}

/*
 * Feed one byte to the escape-sequence parser. Returns the final byte of a
 * completed CSI/SS3 sequence, 0 if the byte was consumed, or -1 if it is
 * not part of a sequence (the caller handles it as ordinary input).
 */
static int esc_feed(enum esc_state *st, int *params, int c)
{
    if (c < 0x20 || c >= 0x7f) {
        if (c == 0x1b) {            /* ESC: a new sequence, whatever came before */
            *st = ESC_SEEN;
            return 0;
        }
        *st = ESC_NONE;             /* controls and non-ASCII end any sequence */
        return -1;
    }
    switch (*st) {
    case ESC_SEEN:
        *st = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        *params = 0;
        return 0;
    case ESC_SS3:
        *st = ESC_NONE;
        return c;
    case ESC_CSI:
        if (c >= 0x40) {
            *st = ESC_NONE;
            return c;
        }
        if (++*params > ESC_MAX) {  /* too long to be a key: drop it, take c as typed */
            *st = ESC_NONE;
            return -1;
        }
        return 0;
    default:
        return -1;
    }
}

int line_read(const char *prompt, char *buf, size_t n)
{
    size_t len = 0;
    bool overlong = false;
    enum esc_state esc = ESC_NONE;
    int esc_len = 0, hpos = hist_count;
    uart_puts(prompt);
    for (;;) {
        int c = uart_getc();
        if (swallow_lf && c == '\n') {
            swallow_lf = false;
            continue;
        }
        swallow_lf = false;
        if (esc != ESC_NONE) {
            int fin = esc_feed(&esc, &esc_len, c);
            if (fin == 0)
                continue;
            if (fin > 0) {
                int to = fin == 'A' ? hpos - 1 : fin == 'B' ? hpos + 1 : -1;
                if (to < 0 || to > hist_count || overlong)
                    continue;
                hpos = to;
                erase(len);
                len = 0;
                if (hpos < hist_count) {
                    len = strlcpy(buf, history[hpos], n);
                    if (len > n - 1)
                        len = n - 1;
                    buf[len] = 0;
                    uart_puts(buf);
                }
                continue;
            }
            /* fin < 0: not part of a sequence, handled below */
        }
        switch (c) {
        case '\r':
            swallow_lf = true;
            /* fall through */
        case '\n':
            uart_putc('\n');
            if (overlong) {
                printf("sis: line too long (max %u bytes)\n", (unsigned)(n - 1));
                return -1;
            }
            buf[len] = 0;
            if (len)
                hist_add(buf);
            return (int)len;
        case 0x03:          /* Ctrl-C */
            uart_puts("^C\n");
            return -2;
        case 0x15:          /* Ctrl-U */
            erase(len);
            len = 0;
            overlong = false;
            break;
        case 0x08:
        case 0x7f:
            if (len && !overlong) {
                len--;
                erase(1);
            }
            break;
        case 0x1b:
            esc = ESC_SEEN;
            break;
        case '\t':
            c = ' ';        /* an argument separator, echoed as one column */
            /* fall through */
        default:
            if (c < 0x20)
                break;      /* other control characters are ignored */
            if (len < n - 1 && !overlong) {
                buf[len++] = (char)c;
                uart_putc((char)c);
            } else {
                overlong = true;
            }
        }
    }
}

/*
 * line.c - the line editor on UART0: what a person types at `sis> `.
 *
 * Bytes in: printable characters are stored and echoed; backspace/DEL erase
 * one; Ctrl-U erases the whole line; Ctrl-C abandons it ("^C", new prompt);
 * ESC [ A / ESC [ B (also ESC O A/B) walk a 16-entry history. Enter is '\r',
 * '\n' or "\r\n" (QEMU -nographic sends '\r', pipes send '\n'; the '\n' of a
 * "\r\n" pair is swallowed). Output line ends are "\r\n" (uart_putc).
 * The buffer holds at most n-1 bytes. Once a line is longer, further bytes
 * are neither stored nor echoed, and at Enter the whole line is rejected
 * with "sis: line too long (max N bytes)": nothing is executed and nothing
 * overflows. Ctrl-U or Ctrl-C clear that state.
 */
#include "../defs.h"

#define HIST 16

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

int line_read(const char *prompt, char *buf, size_t n)
{
    size_t len = 0;
    bool overlong = false;
    int esc = 0, hpos = hist_count;
    uart_puts(prompt);
    for (;;) {
        int c = uart_getc();
        if (swallow_lf && c == '\n') {
            swallow_lf = false;
            continue;
        }
        swallow_lf = false;
        if (esc == 1) {
            esc = (c == '[' || c == 'O') ? 2 : 0;
            continue;
        }
        if (esc == 2) {
            if (c < 0x40 || c > 0x7e)
                continue;   /* parameter bytes, e.g. the 3 of ESC [ 3 ~ */
            esc = 0;
            int to = c == 'A' ? hpos - 1 : c == 'B' ? hpos + 1 : -1;
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
            esc = 1;
            break;
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

/*
 * klog.c - the kernel log ring: the last KLOG_LINES lines the kernel wrote
 * to the console (everything printf prints on UART0) and every event_log
 * message, each with its guest timestamp. Readers copy lines out
 * (klog_line); nothing ever drains the ring, so an incident bundle can
 * take the last 100 lines without losing them for the next one.
 *
 * Lines longer than KLOG_WIDTH - 1 bytes are cut (and marked with a
 * trailing "..."); a partial line is held until its '\n'. Control bytes
 * other than tab are stored as '?'. Static storage, O(1) per byte.
 */
#include "../defs.h"

struct kline {
    uint64_t ts_us;
    char text[KLOG_WIDTH];
};

static struct kline lines[KLOG_LINES];
static uint64_t total;          /* lines completed since boot */
static char cur[KLOG_WIDTH];
static size_t cur_len;
static bool cur_cut;
static uint64_t cur_ts;

static void finish(void)
{
    struct kline *l = &lines[total % KLOG_LINES];
    l->ts_us = cur_ts;
    if (cur_cut && cur_len > KLOG_WIDTH - 4)
        cur_len = KLOG_WIDTH - 4;
    memcpy(l->text, cur, cur_len);
    if (cur_cut)
        memcpy(l->text + cur_len, "...", 3), cur_len += 3;
    l->text[cur_len] = 0;
    total++;
    cur_len = 0;
    cur_cut = false;
}

void klog_putc(char c)
{
    if (c == '\r')
        return;
    if (cur_len == 0 && !cur_cut)
        cur_ts = timer_us();
    if (c == '\n') {
        finish();
        return;
    }
    if ((unsigned char)c < 0x20 && c != '\t')
        c = '?';
    if (cur_len < KLOG_WIDTH - 1)
        cur[cur_len++] = c;
    else
        cur_cut = true;
}

void klog_write(const char *prefix, const char *text)
{
    for (const char *p = prefix; *p; p++)
        klog_putc(*p);
    for (const char *p = text; *p && *p != '\n'; p++)
        klog_putc(*p);
    klog_putc('\n');
}

uint64_t klog_total(void)
{
    return total;
}

/* The i-th newest complete line (0 = newest); false if no such line is held. */
bool klog_line(uint32_t i, uint64_t *ts_us, const char **text)
{
    uint64_t held = total < KLOG_LINES ? total : KLOG_LINES;
    if (i >= held)
        return false;
    const struct kline *l = &lines[(total - 1 - i) % KLOG_LINES];
    *ts_us = l->ts_us;
    *text = l->text;
    return true;
}

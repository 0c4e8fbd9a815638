/*
 * json.c - a small JSON writer and the event stream's line format.
 *
 * The writer fills a caller's buffer with one object: json_begin() opens
 * it, json_str/u64/i64/bool add "key":value members, json_open_array /
 * json_open_object start a nested member (keys are ignored inside arrays),
 * json_close ends the innermost one, json_end closes everything and
 * returns the text. Strings are escaped per RFC 8259 (quote, backslash,
 * control characters as \u00XX; bytes >= 0x80 pass through). If the
 * buffer runs out the writer stops adding and json_end returns NULL, so a
 * truncated object is never emitted.
 *
 * Events (ARCHITECTURE.md, "Event stream"): one object per line,
 * {"v":1,"t":TYPE,"ts_us":MICROSECONDS_SINCE_BOOT, ...}. event_begin()
 * writes the three common members, event_send() hands the line to the
 * virtio console (dropped, and counted, when there is none).
 * event_log(level, fmt, ...) is the "log" event: {"level":..,"msg":..}.
 */
#include "../defs.h"

static void put(struct json *j, char c)
{
    if (j->len + 1 < j->cap)
        j->buf[j->len++] = c;
    else
        j->overflow = true;
}

static void puts_raw(struct json *j, const char *s)
{
    while (*s)
        put(j, *s++);
}

static void put_string(struct json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(j, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            put(j, '\\');
            put(j, (char)c);
        } else if (c == '\n') {
            puts_raw(j, "\\n");
        } else if (c == '\r') {
            puts_raw(j, "\\r");
        } else if (c == '\t') {
            puts_raw(j, "\\t");
        } else if (c < 0x20) {
            puts_raw(j, "\\u00");
            put(j, hex[c >> 4]);
            put(j, hex[c & 15]);
        } else {
            put(j, (char)c);
        }
    }
    put(j, '"');
}

/* Separator and key for the next member of the innermost object/array. */
static void member(struct json *j, const char *key)
{
    if (j->count[j->depth]++)
        put(j, ',');
    if (!j->in_array[j->depth]) {
        put_string(j, key ? key : "");
        put(j, ':');
    }
}

void json_begin(struct json *j, char *buf, size_t cap)
{
    memset(j, 0, sizeof(*j));
    j->buf = buf;
    j->cap = cap;
    put(j, '{');
}

void json_str(struct json *j, const char *key, const char *val)
{
    member(j, key);
    put_string(j, val ? val : "");
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof(num), "%lu", (unsigned long)val);
    puts_raw(j, num);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof(num), "%ld", (long)val);
    puts_raw(j, num);
}

void json_bool(struct json *j, const char *key, bool val)
{
    member(j, key);
    puts_raw(j, val ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
    member(j, key);
    puts_raw(j, "null");
}

/* A decimal number written exactly: json_fixed(j, "acc", 987000, 6) is 0.987000. */
void json_fixed(struct json *j, const char *key, int64_t val, int decimals)
{
    char num[32];
    uint64_t u = val < 0 ? (uint64_t)0 - (uint64_t)val : (uint64_t)val;
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    member(j, key);
    if (decimals <= 0)
        snprintf(num, sizeof(num), "%s%lu", val < 0 ? "-" : "", (unsigned long)u);
    else
        snprintf(num, sizeof(num), "%s%lu.%0*lu", val < 0 ? "-" : "", (unsigned long)(u / scale),
                 decimals, (unsigned long)(u % scale));
    puts_raw(j, num);
}

static void open_nested(struct json *j, const char *key, bool array)
{
    member(j, key);
    put(j, array ? '[' : '{');
    if (j->depth + 1 >= JSON_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->depth++;
    j->in_array[j->depth] = array;
    j->count[j->depth] = 0;
}

void json_open_array(struct json *j, const char *key)
{
    open_nested(j, key, true);
}

void json_open_object(struct json *j, const char *key)
{
    open_nested(j, key, false);
}

void json_close(struct json *j)
{
    if (j->depth == 0) {
        j->overflow = true;     /* more closes than opens: a caller bug */
        return;
    }
    put(j, j->in_array[j->depth] ? ']' : '}');
    j->depth--;
}

const char *json_end(struct json *j)
{
    while (j->depth > 0)
        json_close(j);
    put(j, '}');
    if (j->overflow || j->cap == 0)
        return NULL;
    j->buf[j->len] = 0;
    return j->buf;
}

static uint64_t dropped, sent;

void event_begin(struct json *j, char *buf, size_t cap, const char *type)
{
    json_begin(j, buf, cap);
    json_u64(j, "v", 1);
    json_str(j, "t", type);
    json_u64(j, "ts_us", timer_us());
}

int event_send(struct json *j)
{
    const char *text = json_end(j);
    if (!text) {
        dropped++;
        return -1;
    }
    if (console_write_line(text) != 0) {
        dropped++;
        return -1;
    }
    sent++;
    return 0;
}

void event_stats(uint64_t *nsent, uint64_t *ndropped)
{
    *nsent = sent;
    *ndropped = dropped;
}

void event_log(const char *level, const char *fmt, ...)
{
    char msg[256], line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char tag[16];
    snprintf(tag, sizeof(tag), "[%s] ", level);
    klog_write(tag, msg);
    struct json j;
    event_begin(&j, line, sizeof(line), "log");
    json_str(&j, "level", level);
    json_str(&j, "msg", msg);
    event_send(&j);
}

/*
 * defs.h - every cross-file entry point of the SIS kernel, grouped by the
 * file that defines it (xv6 style). Helpers stay static in their files.
 * Types come from clang's freestanding <stdint.h>, <stddef.h>, <stdbool.h>;
 * the string and memory functions keep their usual C names and semantics
 * (the portable ext4 code in fs/ relies on that).
 */
#ifndef SIS_DEFS_H
#define SIS_DEFS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- main.c ---- */
#define SIS_VERSION "0.1.0"
extern const char sis_features[];   /* space-separated enabled features, or "" */
extern const char sis_source_hash[];
void kmain(void *dtb) NORETURN;

/* ---- arch/trap.c ---- */
struct trapframe {
    uint64_t x[31];
    uint64_t sp, elr, spsr, esr, far;
    /* IRQ frames only: q0-q31, fpcr, fpsr follow (saved by vectors.S). */
};
void irq_handle(struct trapframe *tf);
void trap_crash(int vector, struct trapframe *tf) NORETURN;
void irq_register(uint32_t intid, void (*fn)(void));
void irq_register_arg(uint32_t intid, void (*fn)(void *), void *arg);
const char *esr_class_name(uint32_t ec);
void halt(void) NORETURN;  /* quiet the GIC and timer, then WFI forever */
void backtrace_print(uint64_t pc, uint64_t fp, bool pc_is_return, const char *note);

/* ---- arch/mmu.c ---- */
void mmu_init(void);
bool mmu_enabled(void);

/* ---- arch/gic.c ---- */
void gic_init(uint64_t dist, uint64_t cpu);
void gic_enable(uint32_t intid);
uint32_t gic_ack(void);
void gic_eoi(uint32_t iar);
void gic_cpu_disable(void);
void gic_mask(uint32_t intid);

/* ---- arch/timer.c ---- */
#define TIMER_HZ 100
void timer_init(uint32_t intid);
uint64_t timer_counter(void);   /* CNTVCT_EL0 */
uint64_t timer_freq(void);      /* CNTFRQ_EL0 */
uint64_t timer_us(void);        /* microseconds since boot */
uint64_t timer_ticks(void);     /* periodic interrupts taken */
uint64_t timer_late_ticks(void); /* ticks taken > 1/10 period late, plus periods skipped */
void cpu_idle_wfi(void);        /* WFI (IRQs masked by the caller), time asleep counted idle */
uint64_t cpu_idle_ns(void);     /* guest ns spent in cpu_idle_wfi since boot */
void timer_stop(void);

/* ---- arch/psci.c ---- */
void psci_init(const char *method);
uint32_t psci_version(void);
int psci_system_off(void);      /* returns only on failure: the PSCI error */
int psci_system_reset(void);

/* ---- arch/cpu.h inline helpers live in arch/cpu.h ---- */

/* ---- drivers/pl011.c ---- */
void uart_init(uint64_t base);
void uart_enable_rx_irq(uint32_t intid);
void uart_putc(char c);         /* '\n' goes out as "\r\n" */
void uart_puts(const char *s);
int uart_getc(void);            /* blocks (in WFI) until a byte arrives */
bool uart_ready(void);

/* ---- drivers/pl031.c ---- */
void rtc_init(uint64_t base);
uint64_t rtc_seconds(void);     /* wall clock, UNIX seconds (0 without RTC) */
bool rtc_present(void);
void rtc_format_iso8601(uint64_t secs, char *buf, size_t n);

/* ---- drivers/virtio_mmio.c ---- */
struct virtio_dev {
    uint64_t addr;              /* transport registers (0x200 bytes) */
    int irq;                    /* GIC INTID */
    int slot;                   /* (addr - lowest transport address) / 0x200 */
    uint32_t version;           /* 2 = modern (what we drive), 1 = legacy */
    uint32_t device_id, vendor_id;
    uint64_t features;          /* device feature bits 0-63 */
};
/* Split virtqueues (virtio 1.x, 2.7): rings shared with the device. */
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2
struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_avail { uint16_t flags, idx, ring[]; };
struct virtq_used_elem { uint32_t id, len; };
struct virtq_used { uint16_t flags, idx; struct virtq_used_elem ring[]; };
struct virtq {
    const struct virtio_dev *dev;
    uint32_t index;
    uint16_t size, last_used;
    struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
};
struct virtq_buf { void *addr; uint32_t len; bool device_writes; };
void virtio_probe(void);
int virtio_start(const struct virtio_dev *d, uint64_t wanted, uint64_t *accepted); /* 0/-errno */
int virtq_init(const struct virtio_dev *d, uint32_t index, struct virtq *q, uint16_t size);
void virtio_driver_ok(const struct virtio_dev *d);
void virtio_fail(const struct virtio_dev *d);
int virtq_call(struct virtq *q, const struct virtq_buf *bufs, int n, uint32_t *written);
int virtq_post(struct virtq *q, const struct virtq_buf *bufs, int n);  /* no wait */
bool virtq_reap(struct virtq *q, uint32_t *written);
void virtio_on_irq(const struct virtio_dev *d, void (*fn)(void));
int virtio_count(void);
uint64_t virtio_irqs(const struct virtio_dev *d);  /* interrupts taken so far */
const struct virtio_dev *virtio_get(int i);
const struct virtio_dev *virtio_find(uint32_t device_id, int nth);  /* modern only */
const char *virtio_device_name(uint32_t id);
uint64_t virtio_config64(const struct virtio_dev *d, uint32_t off);
uint32_t virtio_config32(const struct virtio_dev *d, uint32_t off);
int cmd_virtio(int argc, char **argv);

/* ---- drivers/virtio_blk.c ---- */
void blk_init(void);
int blk_count(void);
uint64_t blk_sectors(int disk);     /* 512-byte sectors, 0 if no such disk */
bool blk_readonly(int disk);
int blk_read(int disk, uint64_t lba, uint32_t count, void *buf);          /* 0 or -errno */
int blk_write(int disk, uint64_t lba, uint32_t count, const void *buf);   /* 0 or -errno */
int blk_flush(int disk);                                                  /* 0 or -errno */
void blk_io_stats(uint64_t *requests, uint64_t *errors, uint64_t *busy_ns); /* since boot */
int cmd_blk(int argc, char **argv);

/* ---- drivers/virtio_console.c ---- */
void console_init(void);
bool console_present(void);
int console_write_line(const char *text);   /* text + '\n' to the host; 0 or -errno */
void console_stats(uint64_t *lines, uint64_t *bytes, uint64_t *received);

/* ---- drivers/storage.c ---- */
struct blockdev;
struct ext4_fs;
struct blockdev *storage_blockdev(int disk);  /* blk0 read-write, others read-only */
void storage_init(void);        /* mount blk0 at /, formatting it first if blank */
struct ext4_fs *storage_fs(void);           /* NULL if no filesystem is mounted */
const char *storage_reason(void);           /* why not, "" if mounted */
bool storage_formatted_at_boot(void);
int storage_format(void);       /* mkfs blk0 and mount it; 0 or -errno */
void storage_shutdown(void);    /* commit, mark clean and unmount / */

/* ---- lib/fdt.c ---- */
#define FDT_MAX_DEVICES 48
enum dev_kind { DEV_UART, DEV_RTC, DEV_GIC, DEV_TIMER, DEV_VIRTIO, DEV_PSCI, DEV_OTHER };
struct fdt_device {
    enum dev_kind kind;
    const char *node;           /* node name, e.g. "pl011@9000000" */
    const char *compatible;     /* first compatible string */
    uint64_t addr, size;        /* first reg entry (0 if none) */
    uint64_t addr2, size2;      /* second reg entry (GIC CPU interface) */
    int irq;                    /* GIC INTID of the first interrupt, -1 if none */
};
struct machine {
    const void *dtb;
    uint32_t dtb_size;
    const char *model;
    uint64_t ram_base, ram_size;
    const char *bootargs;       /* "" if none */
    const char *psci_method;    /* "hvc", "smc" or NULL */
    int ndev;
    struct fdt_device dev[FDT_MAX_DEVICES];
    const char *error;          /* why parsing stopped, NULL if it did not */
};
extern struct machine machine;
int fdt_parse(const void *dtb, struct machine *m);  /* 0 or -1 (m->error) */
const struct fdt_device *fdt_find(const struct machine *m, enum dev_kind k, int nth);
const char *fdt_kind_name(enum dev_kind k);

/* ---- lib/heap.c ---- */
#define HEAP_SIZE (8u << 20)
struct heap_stats {
    size_t size, in_use, peak;
    uint64_t allocs, frees, failures;
    size_t free_blocks, largest_free;
};
void heap_init(void *base, size_t size);
void *kmalloc(size_t n);
void kfree(void *p);
void *kcalloc(size_t count, size_t n);
void heap_stats(struct heap_stats *s);
uintptr_t heap_base(void);
int heap_check(void);           /* 0 if the free list is consistent */

/* ---- lib/printf.c ---- */
int printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) PRINTF_LIKE(3, 4);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
void panic(const char *fmt, ...) PRINTF_LIKE(1, 2) NORETURN;

/* ---- lib/klog.c ---- */
#define KLOG_LINES 256
#define KLOG_WIDTH 160
void klog_putc(char c);
void klog_write(const char *prefix, const char *text);  /* one line: prefix + text */
uint64_t klog_total(void);      /* lines completed since boot */
bool klog_line(uint32_t i, uint64_t *ts_us, const char **text);  /* i-th newest; read, not drained */

/* ---- lib/string.c ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t n);
int parse_u64(const char *s, uint64_t *out);  /* decimal or 0x hex; 0 or -1 */

/* ---- lib/sha256.c ---- */
struct sha256 {
    uint32_t h[8];
    uint64_t len;           /* bytes hashed so far */
    uint8_t buf[64];
    uint32_t fill;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256_hex(const uint8_t digest[32], char out[65]);

/* ---- lib/sha512.c ---- */
struct sha512 { uint64_t h[8]; uint64_t len; uint8_t buf[128]; uint32_t fill; };
void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t n);
void sha512_final(struct sha512 *s, uint8_t out[64]);

/* ---- lib/ed25519.c ---- */
/* Reason codes of ed25519_verify (ed25519_strerror names them). */
#define ED25519_EARGS     (-1)      /* a NULL key or signature, or NULL msg with len > 0 */
#define ED25519_EPUB      (-2)      /* the public key does not decode to a curve point */
#define ED25519_ES        (-3)      /* S >= L */
#define ED25519_ER        (-4)      /* R does not decode to a curve point */
#define ED25519_EMISMATCH (-5)      /* well formed, but the equation does not hold */
#define ED25519_ENONCANON (-6)      /* ed25519_check_key: y >= p, or x = 0 with the sign bit */
#define ED25519_EWEAK     (-7)      /* ed25519_check_key: a point of order 1, 2, 4 or 8 */
/* 0 if sig is a valid signature of msg under pub; otherwise a negative reason code */
int ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64]);
const char *ed25519_strerror(int err);  /* "non-canonical S", "bad public key", "bad R", "signature mismatch", ... */
/* 0 if pub is fit to be trusted: a point, canonically encoded, not of small order */
int ed25519_check_key(const uint8_t pub[32]);

/* ---- lib/json.c ---- */
#define JSON_MAX_DEPTH 8
struct json {
    char *buf;
    size_t cap, len;
    bool overflow;
    int depth;
    bool in_array[JSON_MAX_DEPTH];
    uint32_t count[JSON_MAX_DEPTH];
};
void json_begin(struct json *j, char *buf, size_t cap);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
void json_fixed(struct json *j, const char *key, int64_t val, int decimals); /* val / 10^decimals */
void json_open_array(struct json *j, const char *key);
void json_open_object(struct json *j, const char *key);
void json_close(struct json *j);
const char *json_end(struct json *j);   /* the text, or NULL if it did not fit */
void event_begin(struct json *j, char *buf, size_t cap, const char *type);
int event_send(struct json *j);         /* 0, or -1 if dropped (no console / too long) */
void event_stats(uint64_t *sent, uint64_t *dropped);
void event_log(const char *level, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* ---- lib/jsonp.c ---- */
#define JSONP_MAX_DEPTH 16
#define JSONP_MAX_LEN (256u << 10)
enum { JT_OBJECT = 1, JT_ARRAY, JT_STRING, JT_NUMBER, JT_TRUE, JT_FALSE, JT_NULL };
struct jtok {
    uint8_t type;
    uint32_t start, end;    /* byte range; strings: inside the quotes */
    uint32_t size;          /* direct children (object: members) */
    uint32_t span;          /* tokens covered, itself included */
};
struct jparser {
    const char *text;
    size_t len;
    struct jtok *tok;
    int ntok, cap;
    const char *error;      /* NULL, or the rule that failed */
    size_t err_at;
};
int jp_parse(struct jparser *jp, const char *text, size_t len, struct jtok *tok, int cap); /* 0/-1 */
int jp_find(const struct jparser *jp, int obj, const char *key);   /* value token or -1 */
int jp_at(const struct jparser *jp, int arr, uint32_t index);      /* element token or -1 */
int jp_str(const struct jparser *jp, int t, char *out, size_t cap); /* length or -1 */
bool jp_eq(const struct jparser *jp, int t, const char *s);
int jp_u64(const struct jparser *jp, int t, uint64_t *out);          /* 0/-1 */
int jp_fixed(const struct jparser *jp, int t, int decimals, int64_t *out); /* 0/-1, exact */

/* ---- ai/mlp.c ---- */
#define MLP_MAX_LAYERS 8
#define MLP_MAX_DIM 1024
enum { MLP_IDENTITY = 0, MLP_RELU = 1, MLP_SOFTMAX = 2 };
struct mlp_layer {
    uint16_t in, out;
    uint8_t act;
    uint32_t woff, boff;    /* float index of W and b in the payload */
    uint32_t aoff;          /* float index of this layer's outputs in the activations */
};
struct mlp_header {
    uint16_t header_size, num_layers, input_dim, output_dim;
    uint32_t param_count, payload_bytes;
    uint32_t units;         /* sum of every layer's out: the activations' length */
    uint32_t max_width;
    struct mlp_layer layer[MLP_MAX_LAYERS];
};
struct mlp_result {
    const float *logits;    /* points into the activations (the last layer) */
    uint32_t action;        /* argmax, lowest index on ties */
    uint32_t confidence;    /* 0..1000 */
};
int mlp_header_size(const uint8_t first32[32], const char **why);   /* bytes or -EINVAL */
int mlp_parse_header(const uint8_t *buf, size_t len, uint64_t file_size, struct mlp_header *h,
                     const char **why);                           /* 0 or -EINVAL */
int mlp_check_params(const struct mlp_header *h, const float *params, const char **why);
double exp_ref(double x);
void mlp_forward(const struct mlp_header *h, const float *params, const float *x, float *acts,
                 struct mlp_result *r);

/* ---- model/pkg.c ---- */
#define MODEL_NAME_MAX 32
#define MODEL_INPUTS 7
#define MODEL_ACTIONS 5
#define MANIFEST_MAX 4096
#define MODEL_MEM_GATE (10u << 20)      /* bytes: memory footprint must stay below */
#define EBUSY 16
#ifndef ENODEV
#define ENODEV 19
#endif
#define ENODATA 61
#define EBADMSG 74
#define ETIMEDOUT 110
#define EALREADY 114
#define ENOKEY 126
struct perr {
    int err;                /* -errno */
    char msg[160];          /* one line: which rule failed */
};
int perr_set(struct perr *e, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);
struct msrc {               /* a file to verify: on ext4 or in the import archive */
    int64_t (*read)(struct msrc *s, uint64_t off, void *buf, uint64_t n);
    uint64_t size, base;
    char path[112];
    uint8_t bounce[512];
};
int msrc_file(struct msrc *s, const char *path);
struct trusted_key {
    const char *name;       /* e.g. "dev" */
    const char *label;      /* "DEVELOPMENT ONLY - never use for production", or "trusted at build time" */
    uint8_t pub[32];
    uint8_t id[8];          /* first 8 bytes of SHA-256(pub) */
    bool development, valid;
};
struct model {              /* a verified, loaded network; reference-counted */
    char name[MODEL_NAME_MAX + 1];
    char sha256[65];
    struct mlp_header h;
    float *params;
    float *acts;            /* scratch: the last inference's activations */
    size_t heap_bytes;      /* measured: heap in use with it minus without it */
    uint32_t refs;
};
struct golden {
    char name[MODEL_NAME_MAX + 1];
    uint32_t count;
    void *rows;             /* count x (7 f32 + u32 label), little-endian as on disk */
};
enum { PKG_MODEL = 1, PKG_GOLDEN = 2 };
struct pkg_info {
    char name[MODEL_NAME_MAX + 1];
    char signer[17];
    char sha256[65];
    char sig_hex[129];
    char manifest_sha256_of_bin[65];
    uint64_t manifest_size;
    char description[96];
    char architecture[64];
    int64_t training_accuracy_ppm;
    uint32_t count;
    const struct trusted_key *key;
};
bool model_name_valid(const char *s);
void model_name_show(const char *s, char *out, size_t cap);   /* control bytes as \xNN */
int pkg_load(int kind, const char *name, struct msrc *bin, struct msrc *man, struct msrc *sig,
             struct pkg_info *info, struct model **out, struct golden **gout, struct perr *e);
int pkg_load_dir(int kind, const char *name, struct pkg_info *info, struct model **out,
                 struct golden **gout, struct perr *e);    /* from /models/NAME */
const char *pkg_file_name(int kind, int i);               /* bin, manifest, sig */
void model_get(struct model *m);
void model_put(struct model *m);
int model_infer(struct model *m, const float *x, struct mlp_result *r);
void golden_free(struct golden *g);
void golden_row(const struct golden *g, uint32_t i, float x[MODEL_INPUTS], uint32_t *label);

/* ---- model/keys.c ---- */
const struct trusted_key *keys_get(size_t i);   /* NULL past the end */
const struct trusted_key *keys_find(const uint8_t id[8]);

/* ---- model/ustar.c ---- */
#define USTAR_MAX_ENTRIES 256
struct ustar_entry {
    char name[101];
    uint64_t offset, size;  /* bytes on the import disk */
};
int ustar_open(void);       /* index blk1's archive; 0 or -errno (ustar_error says why) */
const char *ustar_error(void);
int ustar_count(void);
const struct ustar_entry *ustar_entry(int i);
const struct ustar_entry *ustar_find(const char *name);
int msrc_member(struct msrc *s, const char *name);

/* ---- model/registry.c ---- */
#define REG_MAX 24
#define REG_JSON_MAX 16384
struct health {
    uint32_t p99_us;
    uint64_t p99_ns;
    uint64_t mem;           /* bytes the loaded model occupies on the heap */
    uint32_t acc_ppm;       /* accuracy on the golden set, parts per million */
    uint32_t correct, count, inferences;
    bool passed;
    char failed_gate[12];   /* "", "latency", "memory", "accuracy" */
    uint64_t checked_at;    /* UNIX seconds */
    uint64_t duration_us;
};
struct reg_model {
    char version[MODEL_NAME_MAX + 1];
    char sha256[65];
    char sig[129];
    char signer[17];
    uint64_t loaded_at;     /* UNIX seconds it was imported */
    bool has_health;
    struct health health;
    char failed[160];       /* why it was marked failed (a shadow abort), "" if not */
};
struct registry {
    bool on_disk;           /* registry.json exists (else: nothing provisioned) */
    int n;
    struct reg_model m[REG_MAX];    /* sorted by version */
    char active[MODEL_NAME_MAX + 1], shadow[MODEL_NAME_MAX + 1], rollback[MODEL_NAME_MAX + 1]; /* "" = null */
};
struct hist {               /* one history.jsonl line */
    const char *op;
    char from[MODEL_NAME_MAX + 1], to[MODEL_NAME_MAX + 1];
    char reason[200];
    const char *result;
};
extern struct registry reg;
const char *model_errname(int e);
struct reg_model *reg_find(struct registry *r, const char *version);
const char *reg_status(const struct registry *r, const struct reg_model *m);
void health_json(struct json *j, const struct health *h);
void reg_json(struct json *j, const struct registry *r);
int reg_parse(const char *text, size_t len, struct registry *r, struct perr *e);
int reg_read(struct registry *out, struct perr *e);
void hist_set(struct hist *h, const char *op, const char *from, const char *to, const char *reason);
int reg_commit(const struct registry *next, const struct hist *hist, int nhist, struct perr *e);
void reg_event(const char *op);

/* ---- model/health.c ---- */
const struct golden *model_golden(void);
void model_golden_set(struct golden *g, const char *problem);  /* takes g; NULL: none, and why */
int health_run(struct model *m, struct health *h, struct perr *e); /* 0 or the first failed gate */
void health_print(const struct health *h);
void health_event(const char *version, const struct health *h);
int health_write(const char *version, const struct health *h);     /* /models/V/health.json */

/* ---- model/lifecycle.c ---- */
struct model *model_active(void);           /* with a reference: model_put when done */
int model_cmd_load(const char *v);
int model_cmd_health(const char *v);
int model_cmd_swap(const char *v);
/* Verify, health-gate and activate v in one registry commit (history op `op`); then a health event. */
int model_switch(const char *op, const char *v, const char *new_rollback, const char *reason,
                 struct health *h, struct perr *e);
int model_cmd_rollback(void);
int model_cmd_remove(const char *v);
int model_cmd_import(const char *what);    /* NULL: list the import disk */
void model_boot(void);

/* ---- shell/cmd_model.c ---- */
int cmd_modelctl(int argc, char **argv);

/* ---- ai/autonomy.c (the rest: trace/trace.h) ---- */
void auto_init(void);
void auto_idle(void);           /* every idle wait calls it: runs the decision tick when due */
int cmd_autoctl(int argc, char **argv);
int cmd_sleep(int argc, char **argv);

/* ---- ai/workload.c (the rest: trace/trace.h) ---- */
int cmd_stress(int argc, char **argv);
int cmd_chaos(int argc, char **argv);

/* ---- trace/cmd_trace.c ---- */
int cmd_tracectl(int argc, char **argv);

/* ---- lib/selftest.c ---- */
int selftest_run(const char *only);  /* returns number of failures */

/* ---- shell/line.c ---- */
#define SHELL_LINE_MAX 256            /* buffer size: at most 255 bytes per line */
int line_read(const char *prompt, char *buf, size_t n);  /* length, or -1 if rejected */

/* ---- shell/shell.c ---- */
void shell_run(void) NORETURN;

/* ---- shell/bench.c ---- */
int cmd_bench(int argc, char **argv);

/* ---- shell/cmd_fs.c ---- */
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_rmdir(int argc, char **argv);
int cmd_mv(int argc, char **argv);
int cmd_ln(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_df(int argc, char **argv);
int cmd_sha256(int argc, char **argv);
int cmd_diskctl(int argc, char **argv);
int cmd_fsbench(int argc, char **argv);

/* ---- shell/crash.c ---- */
int cmd_crash(int argc, char **argv);

/* ---- otel/otlp.c ---- */
#define OTEL_DIR "/otel"
#define OTEL_BATCH 100          /* spans per file */
#define OTEL_KEEP 64            /* files kept in /otel (about 90 KB each); the oldest go first */
#define OTEL_MAX_ATTRS 24
#define OTEL_MAX_EVENTS 8
#define OTEL_EV_ATTRS 4
enum { OTEL_STR = 1, OTEL_INT, OTEL_DOUBLE, OTEL_BOOL };
enum { OTEL_KIND_INTERNAL = 1 };                        /* SpanKind */
enum { OTEL_STATUS_UNSET = 0, OTEL_STATUS_OK = 1, OTEL_STATUS_ERROR = 2 };  /* Status.code */
struct otel_kv {
    const char *key;            /* a string constant */
    uint8_t type, decimals;     /* OTEL_DOUBLE: i / 10^decimals, written exactly */
    int64_t i;
    char s[72];
};
struct otel_event {
    char name[40];
    uint64_t t_ns;
    uint8_t nattr;
    struct otel_kv attr[OTEL_EV_ATTRS];
};
struct otel_span {
    uint8_t trace_id[16], span_id[8], parent_id[8];
    bool has_parent;
    char name[40];
    uint8_t kind, status;
    char status_msg[64];
    uint64_t start_ns, end_ns;  /* Unix nanoseconds */
    uint8_t nattr, nevent;
    struct otel_kv attr[OTEL_MAX_ATTRS];
    struct otel_event ev[OTEL_MAX_EVENTS];
};
struct otel_stats {
    uint64_t spans, spans_dropped, attrs_dropped, batches, batches_failed, bytes, files_removed;
    uint64_t last_us, last_ticks, last_bytes, last_encode_ticks;
    uint32_t pending, files, next_seq;
    char last_error[96];
};
void otel_init(void);           /* after the filesystem: the clock anchor, the next file number */
uint64_t otel_ns(uint64_t counter);     /* a CNTVCT reading as Unix nanoseconds */
uint64_t otel_now_ns(void);
void otel_trace_id(uint64_t decision_id, uint8_t out[16]);
void otel_span_id(const uint8_t trace_id[16], uint32_t n, uint8_t out[8]);
/* One span at a time: open (a slot of the batch), fill, close. n numbers it in its trace;
 * times are Unix nanoseconds. Closing the 100th span of a batch writes the batch. */
struct otel_span *otel_span_open(const uint8_t trace_id[16], uint32_t n, const uint8_t *parent,
                                 const char *name, uint64_t start_ns);
void otel_span_close(struct otel_span *s, uint64_t end_ns);
void otel_kv_str(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, const char *v);
void otel_kv_int(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, int64_t v);
void otel_kv_fixed(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, int64_t v, int decimals);
void otel_kv_bool(struct otel_kv *kv, uint8_t *n, uint8_t max, const char *key, bool v);
#define OTEL_SPAN_ATTR(s) (s)->attr, &(s)->nattr, OTEL_MAX_ATTRS
#define OTEL_EV_ATTR(e) (e)->attr, &(e)->nattr, OTEL_EV_ATTRS
struct otel_event *otel_event_add(struct otel_span *s, const char *name, uint64_t t_ns);
void otel_set_status(struct otel_span *s, int code, const char *msg);
size_t otlp_encode(const struct otel_span *spans, uint32_t n, char *buf, size_t cap);
int otel_flush(void);           /* write the pending spans as one file; 0 or -errno (dropped) */
void otel_get_stats(struct otel_stats *out);
int cmd_otelctl(int argc, char **argv);

/* ---- otel/drift.c ---- */
#define DRIFT_WINDOW 100
#define DRIFT_BINS 10
#define DRIFT_REWARD_SCALE 2000     /* rewards are milli-units in [-1000, 1000] */
struct drift_view {
    char version[MODEL_NAME_MAX + 1];
    bool have_base, adopted;
    uint32_t captured, window, reward_window;
    int64_t conf_base_milli, conf_cur_milli, reward_base_milli, reward_cur_milli;  /* x1000 */
    int conf_level, reward_level;   /* 0 ok, 1 warning, 2 alert */
    uint64_t decisions, alerts, warnings;
    int64_t psi_ppm[MODEL_INPUTS];
    int psi_band[MODEL_INPUTS];     /* 0 stable, 1 moderate, 2 significant */
};
double drift_ln(double x);
int drift_bin(float x);
int64_t drift_psi_ppm(const uint16_t *ref, uint32_t nref, const uint16_t *cur, uint32_t ncur);
const char *drift_level_name(int level);
/* One decision of model `version`: returns its level (2 = an alert began at this decision). */
int drift_observe(const char *version, uint32_t conf, bool reward_valid, int32_t reward,
                  const float x[MODEL_INPUTS]);
void drift_reset(void);         /* a new baseline capture */
void drift_adopt(const char *version, const uint32_t *conf, uint32_t nconf);  /* promotion */
uint32_t drift_window_conf(uint32_t *out, uint32_t max);
void drift_get(struct drift_view *v);
int cmd_driftctl(int argc, char **argv);

/* ---- shadow/shadow.c ---- */
enum { SHADOW_OFF = 0, SHADOW_LOG, SHADOW_COMPARE, SHADOW_CANARY10, SHADOW_CANARY100 };
uint64_t shadow_mix(uint64_t x);            /* splitmix64 finalizer */
bool shadow_canary_pick(uint64_t trace_id); /* shadow_mix(id) % 100 < 10 */
const char *shadow_mode_name(int m);
int shadow_enable(const char *v);
int shadow_disable(void);
void shadow_boot(void);                     /* after model_boot: clear a stale shadow role */
void drift_alert_hook(const char *version, const char *why);  /* promotion watch, autorollback */
int shadow_autorollback(int argc, char **argv);  /* autoctl autorollback [on|off] (argv[0] = "autorollback") */
int cmd_shadowctl(int argc, char **argv);

#endif

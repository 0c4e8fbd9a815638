/*
 * fdt.c - flattened device tree (DTB) parser: what machine are we on?
 *
 * The loader passes the DTB address in x0. We walk the structure block once
 * (devicetree spec v0.4, chapter 5: big-endian header, FDT_BEGIN_NODE /
 * FDT_PROP / FDT_END_NODE tokens, 4-byte aligned) and fill struct machine:
 * RAM from the memory node, /chosen/bootargs, the /psci method, and one
 * fdt_device per node whose compatible we know (PL011, PL031, GICv2, the
 * generic timer, virtio-mmio). Properties of a node come before its
 * children, so a node is classified at its FDT_END_NODE, when all its
 * properties are known; reg is decoded with the parent's #address-cells and
 * #size-cells. Interrupts are decoded as GIC 3-cell specifiers into INTIDs
 * (SPI n -> 32 + n, PPI n -> 16 + n). Nothing is copied: names and strings
 * point into the DTB, which stays mapped (it lies in RAM). Every offset is
 * bounds-checked against totalsize; a malformed blob stops the walk with
 * m->error set and leaves what was found so far.
 *
 * Runs before the MMU is on, so it only does aligned 32-bit loads.
 */
#include "../defs.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define MAX_DEPTH 16

struct machine machine;

struct node {
    const char *name;
    uint32_t addr_cells, size_cells;    /* for this node's children */
    const char *compat; uint32_t compat_len;
    const uint32_t *reg; uint32_t reg_len;
    const uint32_t *irqs; uint32_t irqs_len;
    const char *device_type;
    const char *method;
    bool disabled;
};

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t cells(const uint32_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 32 | be32(&p[i]);
    return v;
}

static bool compat_has(const struct node *n, const char *want)
{
    uint32_t i = 0;
    while (i < n->compat_len) {
        const char *s = n->compat + i;
        size_t len = strnlen(s, n->compat_len - i);
        if (strcmp(s, want) == 0)
            return true;
        i += len + 1;
    }
    return false;
}

/* reg entry `idx` of node n, decoded with its parent's cell sizes. */
static bool reg_at(const struct node *n, const struct node *parent, uint32_t idx,
                   uint64_t *addr, uint64_t *size)
{
    uint32_t ac = parent->addr_cells, sc = parent->size_cells, per = (ac + sc) * 4;
    if (!n->reg || per == 0 || ac > 2 || sc > 2 || (idx + 1) * per > n->reg_len)
        return false;
    const uint32_t *p = n->reg + idx * (ac + sc);
    *addr = cells(p, ac);
    *size = cells(p + ac, sc);
    return true;
}

static int irq_at(const struct node *n, uint32_t idx)
{
    if (!n->irqs || n->irqs_len % 12 || (idx + 1) * 12 > n->irqs_len)
        return -1;
    uint32_t type = be32(&n->irqs[idx * 3]), num = be32(&n->irqs[idx * 3 + 1]);
    return type == 1 ? (int)(16 + num) : (int)(32 + num);
}

static void classify(struct machine *m, const struct node *n, const struct node *parent)
{
    if (n->disabled)
        return;
    if (n->device_type && strcmp(n->device_type, "memory") == 0) {
        uint64_t a, s;
        if (m->ram_size == 0 && reg_at(n, parent, 0, &a, &s)) {
            m->ram_base = a;
            m->ram_size = s;
        }
        return;
    }
    if (!n->compat)
        return;
    enum dev_kind k;
    if (compat_has(n, "arm,pl011"))
        k = DEV_UART;
    else if (compat_has(n, "arm,pl031"))
        k = DEV_RTC;
    else if (compat_has(n, "arm,cortex-a15-gic") || compat_has(n, "arm,gic-400"))
        k = DEV_GIC;
    else if (compat_has(n, "arm,armv8-timer"))
        k = DEV_TIMER;
    else if (compat_has(n, "virtio,mmio"))
        k = DEV_VIRTIO;
    else if (compat_has(n, "arm,psci-1.0") || compat_has(n, "arm,psci-0.2") || compat_has(n, "arm,psci"))
        k = DEV_PSCI;
    else
        return;
    if (k == DEV_PSCI && n->method)
        m->psci_method = n->method;
    if (m->ndev >= FDT_MAX_DEVICES)
        return;
    struct fdt_device *d = &m->dev[m->ndev++];
    memset(d, 0, sizeof(*d));
    d->kind = k;
    d->node = n->name;
    d->compatible = n->compat;
    reg_at(n, parent, 0, &d->addr, &d->size);
    reg_at(n, parent, 1, &d->addr2, &d->size2);
    /* The timer lists secure, non-secure, virtual, hypervisor PPIs; we use the virtual one. */
    d->irq = irq_at(n, k == DEV_TIMER ? 2 : 0);
}

static int fail(struct machine *m, const char *why)
{
    m->error = why;
    return -1;
}

int fdt_parse(const void *dtb, struct machine *m)
{
    memset(m, 0, sizeof(*m));
    m->bootargs = "";
    m->dtb = dtb;
    if (!dtb || ((uintptr_t)dtb & 7))
        return fail(m, "no device tree (x0 is null or unaligned)");
    const uint8_t *b = dtb;
    if (be32(b) != FDT_MAGIC)
        return fail(m, "bad device tree magic");
    uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_strings = be32(b + 12);
    uint32_t size_strings = be32(b + 32), size_struct = be32(b + 36), version = be32(b + 20);
    m->dtb_size = total;
    if (version < 17 || total < 40 || total > (64u << 20))
        return fail(m, "unsupported device tree version or size");
    if (off_struct > total || size_struct > total - off_struct || off_struct & 3 ||
        off_strings > total || size_strings > total - off_strings)
        return fail(m, "device tree blocks out of bounds");

    struct node stack[MAX_DEPTH];
    int depth = -1;
    uint32_t pos = off_struct, end = off_struct + size_struct;
    while (pos + 4 <= end) {
        uint32_t tok = be32(b + pos);
        pos += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)b + pos;
            size_t len = strnlen(name, end - pos);
            if (pos + len >= end)
                return fail(m, "unterminated node name");
            if (++depth >= MAX_DEPTH)
                return fail(m, "device tree nested too deeply");
            struct node *n = &stack[depth];
            memset(n, 0, sizeof(*n));
            n->name = depth == 0 ? "/" : name;
            n->addr_cells = 2;
            n->size_cells = 1;
            pos = (pos + len + 1 + 3) & ~3u;
        } else if (tok == FDT_END_NODE) {
            if (depth < 0)
                return fail(m, "unbalanced end of node");
            if (depth > 0)
                classify(m, &stack[depth], &stack[depth - 1]);
            if (--depth < 0)
                break;
        } else if (tok == FDT_PROP) {
            if (depth < 0 || pos + 8 > end)
                return fail(m, "property outside a node");
            uint32_t len = be32(b + pos), nameoff = be32(b + pos + 4);
            pos += 8;
            if (len > end - pos || nameoff >= size_strings)
                return fail(m, "property out of bounds");
            const char *pname = (const char *)b + off_strings + nameoff;
            const void *val = b + pos;
            bool str_ok = len > 0 && ((const char *)val)[len - 1] == 0;
            struct node *n = &stack[depth];
            if (strcmp(pname, "#address-cells") == 0 && len == 4)
                n->addr_cells = be32(val);
            else if (strcmp(pname, "#size-cells") == 0 && len == 4)
                n->size_cells = be32(val);
            else if (strcmp(pname, "compatible") == 0 && str_ok)
                n->compat = val, n->compat_len = len;
            else if (strcmp(pname, "reg") == 0)
                n->reg = val, n->reg_len = len;
            else if (strcmp(pname, "interrupts") == 0)
                n->irqs = val, n->irqs_len = len;
            else if (strcmp(pname, "device_type") == 0 && str_ok)
                n->device_type = val;
            else if (strcmp(pname, "method") == 0 && str_ok)
                n->method = val;
            else if (strcmp(pname, "status") == 0 && str_ok)
                n->disabled = strcmp(val, "okay") != 0 && strcmp(val, "ok") != 0;
            else if (strcmp(pname, "model") == 0 && str_ok && depth == 0)
                m->model = val;
            else if (strcmp(pname, "bootargs") == 0 && str_ok && depth == 1 &&
                     strcmp(n->name, "chosen") == 0)
                m->bootargs = val;
            pos = (pos + len + 3) & ~3u;
        } else if (tok == FDT_NOP) {
            continue;
        } else if (tok == FDT_END) {
            break;
        } else {
            return fail(m, "unknown device tree token");
        }
    }
    if (depth >= 0)
        return fail(m, "device tree ends inside a node");
    return 0;
}

const struct fdt_device *fdt_find(const struct machine *m, enum dev_kind k, int nth)
{
    for (int i = 0; i < m->ndev; i++)
        if (m->dev[i].kind == k && nth-- == 0)
            return &m->dev[i];
    return NULL;
}

const char *fdt_kind_name(enum dev_kind k)
{
    static const char *const names[] = {
        [DEV_UART] = "uart", [DEV_RTC] = "rtc", [DEV_GIC] = "gic", [DEV_TIMER] = "timer",
        [DEV_VIRTIO] = "virtio", [DEV_PSCI] = "psci", [DEV_OTHER] = "other",
    };
    return k <= DEV_OTHER ? names[k] : "?";
}

/*
 * mmu.c - stage-1 translation for EL1: an identity map with caches on.
 *
 * 4 KiB granule, 39-bit addresses (T0SZ = 25), so the walk starts at level
 * 1 (1 GiB per entry) and goes through level 2 (2 MiB) to level 3 (4 KiB).
 * Mapped, and nothing else:
 *   - RAM from the DTB memory node: Normal, write-back cacheable, inner
 *     shareable, 2 MiB blocks where aligned;
 *   - each device register window from the DTB (UART, RTC, GIC, virtio):
 *     Device-nGnRE, never executable, 4 KiB pages.
 * Any other address faults, so a stray pointer gives a crash report instead
 * of silently reading a hole. Tables come from a static pool in .bss.
 */
#include "../defs.h"
#include "cpu.h"

#define ENTRIES 512
#define POOL 16
#define PAGE 0x1000ull
#define BLOCK2 0x200000ull

#define D_VALID   (1ull << 0)
#define D_TABLE   (1ull << 1)     /* table at levels 1-2, page at level 3 */
#define D_ATTR(i) ((uint64_t)(i) << 2)
#define D_SH_INNER (3ull << 8)
#define D_AF      (1ull << 10)
#define D_PXN     (1ull << 53)
#define D_UXN     (1ull << 54)
#define ADDR_MASK 0x0000fffffffff000ull

#define ATTR_DEVICE 0           /* MAIR attr0: Device-nGnRE */
#define ATTR_NORMAL 1           /* MAIR attr1: Normal WB RW-allocate */
#define MAIR_VALUE (0x04ull << 0 | 0xffull << 8)

#define NORMAL (D_ATTR(ATTR_NORMAL) | D_SH_INNER | D_AF | D_UXN)
#define DEVICE (D_ATTR(ATTR_DEVICE) | D_AF | D_PXN | D_UXN)

static uint64_t pool[POOL][ENTRIES] __attribute__((aligned(4096)));
static int used;
static uint64_t *root;
static bool on;

static uint64_t *new_table(void)
{
    if (used == POOL)
        panic("mmu: page-table pool exhausted");
    uint64_t *t = pool[used++];
    memset(t, 0, sizeof(pool[0]));
    return t;
}

/* The next-level table behind entry *e, created if the entry is empty. */
static uint64_t *next_table(uint64_t *e)
{
    if (!(*e & D_VALID)) {
        uint64_t *t = new_table();
        *e = (uint64_t)(uintptr_t)t | D_TABLE | D_VALID;
        return t;
    }
    if (!(*e & D_TABLE))
        panic("mmu: range overlaps an existing block mapping");
    return (uint64_t *)(uintptr_t)(*e & ADDR_MASK);
}

static void map(uint64_t addr, uint64_t size, uint64_t attrs)
{
    uint64_t end = (addr + size + PAGE - 1) & ~(PAGE - 1);
    addr &= ~(PAGE - 1);
    if (end > (1ull << 39))
        panic("mmu: %lx beyond the 39-bit address space", (unsigned long)end);
    while (addr < end) {
        uint64_t *l2 = next_table(&root[(addr >> 30) & 511]);
        uint64_t *e2 = &l2[(addr >> 21) & 511];
        if ((addr & (BLOCK2 - 1)) == 0 && end - addr >= BLOCK2 && !(*e2 & D_VALID)) {
            *e2 = addr | attrs | D_VALID;   /* 2 MiB block */
            addr += BLOCK2;
            continue;
        }
        uint64_t *l3 = next_table(e2);
        l3[(addr >> 12) & 511] = addr | attrs | D_TABLE | D_VALID;
        addr += PAGE;
    }
}

void mmu_init(void)
{
    root = new_table();
    map(machine.ram_base, machine.ram_size, NORMAL);
    for (int i = 0; i < machine.ndev; i++) {
        const struct fdt_device *d = &machine.dev[i];
        if (d->size)
            map(d->addr, d->size, DEVICE);
        if (d->size2)
            map(d->addr2, d->size2, DEVICE);
    }

    uint64_t pa_range = read_sysreg(id_aa64mmfr0_el1) & 0xf;
    if (pa_range > 5)
        pa_range = 5;
    uint64_t tcr = 25                   /* T0SZ: 39-bit VA */
                 | 1ull << 8 | 1ull << 10   /* IRGN0, ORGN0: write-back */
                 | 3ull << 12               /* SH0: inner shareable */
                 | 0ull << 14               /* TG0: 4 KiB */
                 | 1ull << 23               /* EPD1: no TTBR1 walks */
                 | pa_range << 32;          /* IPS */
    write_sysreg(mair_el1, MAIR_VALUE);
    write_sysreg(tcr_el1, tcr);
    write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)root);
    dsb_sy();
    __asm__ volatile("tlbi vmalle1\n dsb sy\n isb" ::: "memory");
    uint64_t sctlr = read_sysreg(sctlr_el1);
    sctlr |= 1u << 0 | 1u << 2 | 1u << 3 | 1u << 12;  /* M, C, SA, I */
    sctlr &= ~(1ull << 1 | 1ull << 19 | 1ull << 25);   /* A, WXN, EE */
    write_sysreg(sctlr_el1, sctlr);
    isb();
    on = true;
}

bool mmu_enabled(void)
{
    return on;
}

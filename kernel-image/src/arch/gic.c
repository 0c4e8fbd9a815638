/*
 * gic.c - GICv2 interrupt controller: distributor + CPU interface.
 *
 * QEMU virt (gic-version=2, the default) has the distributor at 0x08000000
 * and the CPU interface at 0x08010000; the DTB's "arm,cortex-a15-gic" node
 * gives both. Without the security extensions every interrupt is group 0 and
 * signalled as IRQ. All lines start disabled at priority 0xa0, SPIs routed
 * to CPU 0, level-sensitive; drivers enable the ones they handle. The CPU
 * interface lets through priorities above 0xf0, i.e. everything we use.
 */
#include "../defs.h"
#include "cpu.h"

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ICPENDR    0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00

#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_BPR  0x08
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10

static uint64_t dist, cpu;

void gic_init(uint64_t d, uint64_t c)
{
    dist = d;
    cpu = c;
    mmio_write32(dist + GICD_CTLR, 0);
    uint32_t lines = 32 * ((mmio_read32(dist + GICD_TYPER) & 0x1f) + 1);
    if (lines > 1020)
        lines = 1020;
    for (uint32_t i = 0; i < lines; i += 32) {
        mmio_write32(dist + GICD_ICENABLER + i / 8, 0xffffffff);
        mmio_write32(dist + GICD_ICPENDR + i / 8, 0xffffffff);
    }
    for (uint32_t i = 0; i < lines; i += 4)
        mmio_write32(dist + GICD_IPRIORITYR + i, 0xa0a0a0a0);
    for (uint32_t i = 32; i < lines; i += 4)
        mmio_write32(dist + GICD_ITARGETSR + i, 0x01010101);
    for (uint32_t i = 32; i < lines; i += 16)
        mmio_write32(dist + GICD_ICFGR + i / 4, 0);  /* level-sensitive */
    mmio_write32(dist + GICD_CTLR, 1);

    mmio_write32(cpu + GICC_PMR, 0xf0);
    mmio_write32(cpu + GICC_BPR, 0);
    mmio_write32(cpu + GICC_CTLR, 1);
}

void gic_enable(uint32_t intid)
{
    mmio_write32(dist + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

static void gic_disable(uint32_t intid)
{
    mmio_write32(dist + GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

uint32_t gic_ack(void)
{
    return mmio_read32(cpu + GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
    mmio_write32(cpu + GICC_EOIR, iar);
}

/* The crash path: no interrupt may wake the halted CPU again. */
void gic_cpu_disable(void)
{
    if (cpu)
        mmio_write32(cpu + GICC_CTLR, 0);
}

/* An interrupt arrived that nobody registered: mask it for good. */
void gic_mask(uint32_t intid)
{
    if (dist)
        gic_disable(intid);
}

/*
 * crash.c - the `crash` command: fault on purpose, one way per kind, so the
 * crash report (arch/trap.c) can be tested on QEMU and in our emulator.
 * Each kind sits in its own non-inlined function so the backtrace shows a
 * real chain of frames: fault site <- crash_xxx <- cmd_crash <- shell_run.
 *
 *   data   load from 0xdead0000 (unmapped: translation fault, level 1)
 *   write  store to address 0x10 (unmapped: translation fault, level 2)
 *   undef  UDF #0 (permanently undefined: EC "Unknown reason")
 *   align  LDXR from an odd address (exclusives always check alignment)
 *   brk    BRK #0x5157
 *   jump   branch to 0xdead0000 (Instruction Abort)
 *   svc    SVC #0x42 from EL1 (nothing expects it)
 *   el0    drop to EL0 at a kernel function: the MMU maps nothing for EL0
 *          (every page is UXN), so the fetch faults from the lower EL
 *   panic  panic(), the path for broken kernel invariants
 */
#include "../defs.h"

#define NOINLINE __attribute__((noinline))
#define BAD_ADDR 0xdead0000ul

static NOINLINE void crash_data(void)
{
    printf("reading 0x%lx\n", BAD_ADDR);
    uint64_t v = *(volatile uint64_t *)BAD_ADDR;
    printf("read 0x%lx: the fault did not happen\n", (unsigned long)v);
}

static NOINLINE void crash_write(void)
{
    printf("writing 0x10\n");
    *(volatile uint64_t *)0x10ul = 0x5157;
}

static NOINLINE void crash_undef(void)
{
    printf("executing UDF #0\n");
    __asm__ volatile("udf #0");
}

static NOINLINE void crash_align(void)
{
    static uint64_t words[2];
    uintptr_t odd = (uintptr_t)words + 1;
    uint64_t v;
    printf("exclusive load from 0x%lx\n", (unsigned long)odd);
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(odd) : "memory");
    __asm__ volatile("clrex");
    printf("loaded 0x%lx: the fault did not happen\n", (unsigned long)v);
}

static NOINLINE void crash_brk(void)
{
    printf("executing BRK #0x5157\n");
    __asm__ volatile("brk #0x5157");
}

static NOINLINE void crash_jump(void)
{
    void (*volatile fn)(void) = (void (*)(void))BAD_ADDR;
    printf("jumping to 0x%lx\n", BAD_ADDR);
    fn();
}

static NOINLINE void crash_svc(void)
{
    printf("executing SVC #0x42 at EL1\n");
    __asm__ volatile("svc #0x42");
}

static NOINLINE void crash_el0(void)
{
    static uint64_t el0_stack[64] __attribute__((aligned(16)));
    printf("entering EL0 at 0x%lx\n", (unsigned long)(uintptr_t)crash_el0);
    __asm__ volatile(
        "msr sp_el0, %0\n"
        "msr elr_el1, %1\n"
        "msr spsr_el1, xzr\n"      /* EL0t, interrupts unmasked */
        "eret\n"
        : : "r"(el0_stack + 64), "r"(crash_el0) : "memory");
}

static NOINLINE void crash_panic(void)
{
    panic("crash: panic requested from the shell");
}

static const struct {
    const char *name;
    void (*fn)(void);
} kinds[] = {
    { "data", crash_data }, { "write", crash_write }, { "undef", crash_undef },
    { "align", crash_align }, { "brk", crash_brk }, { "jump", crash_jump },
    { "svc", crash_svc }, { "el0", crash_el0 }, { "panic", crash_panic },
};

int cmd_crash(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "data";
    if (argc <= 2) {
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
            if (strcmp(kinds[i].name, kind) == 0) {
                kinds[i].fn();
                printf("sis: crash: '%s' did not fault\n", kind);
                return 1;
            }
        }
    }
    printf("usage: crash [data|write|undef|align|brk|jump|svc|el0|panic]\n");
    return 1;
}

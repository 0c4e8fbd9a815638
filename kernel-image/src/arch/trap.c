/*
 * trap.c - what happens after vectors.S: IRQ dispatch and the crash report.
 *
 * IRQs: acknowledge at the GIC, call the handler registered for the INTID,
 * end the interrupt; repeat until the GIC says spurious (1023). An INTID
 * nobody registered is reported once and masked, not fatal.
 *
 * Everything else is unexpected and ends in trap_crash(): a report a person
 * can read (the ESR exception class by name, the fault status decoded for
 * aborts, ELR, FAR, SPSR, every register and a frame-pointer backtrace
 * with symbol names from the table the build's first link pass made),
 * (panic() in lib/printf.c prints its reason and the same backtrace),
 * then the final line "sis: machine halted after a crash" and halt(): IRQs
 * masked, timer and GIC CPU interface off, WFI forever with nothing that can
 * wake the core (our emulator detects exactly that as a halted guest).
 */
#include "../defs.h"
#include "cpu.h"

#define MAX_IRQ 128

static void (*handlers[MAX_IRQ])(void);
static void (*arg_handlers[MAX_IRQ])(void *);
static void *handler_args[MAX_IRQ];
static bool crashing;

void irq_register(uint32_t intid, void (*fn)(void))
{
    if (intid >= MAX_IRQ)
        panic("irq_register: INTID %u out of range", intid);
    handlers[intid] = fn;
    arg_handlers[intid] = NULL;
}

/* The same with a context pointer (one handler per virtio transport). */
void irq_register_arg(uint32_t intid, void (*fn)(void *), void *arg)
{
    if (intid >= MAX_IRQ)
        panic("irq_register: INTID %u out of range", intid);
    handlers[intid] = NULL;
    handler_args[intid] = arg;
    arg_handlers[intid] = fn;
}

void irq_handle(struct trapframe *tf)
{
    (void)tf;
    for (;;) {
        uint32_t iar = gic_ack();
        uint32_t id = iar & 0x3ff;
        if (id >= 1020)
            break;
        if (id < MAX_IRQ && arg_handlers[id]) {
            arg_handlers[id](handler_args[id]);
        } else if (id < MAX_IRQ && handlers[id]) {
            handlers[id]();
        } else {
            printf("\nsis: unexpected interrupt %u, masked\n", id);
            gic_mask(id);
        }
        gic_eoi(iar);
    }
}

void halt(void)
{
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    timer_stop();
    gic_cpu_disable();
    for (;;)
        wfi();
}

const char *esr_class_name(uint32_t ec)
{
    switch (ec) {
    case 0x00: return "Unknown reason (undefined instruction)";
    case 0x01: return "WFI/WFE trapped";
    case 0x07: return "FP/SIMD access trapped";
    case 0x0e: return "Illegal Execution state";
    case 0x15: return "SVC instruction (AArch64)";
    case 0x16: return "HVC instruction (AArch64)";
    case 0x17: return "SMC instruction (AArch64)";
    case 0x18: return "MSR/MRS/system instruction trapped";
    case 0x20: return "Instruction Abort (lower EL)";
    case 0x21: return "Instruction Abort (same EL)";
    case 0x22: return "PC alignment fault";
    case 0x24: return "Data Abort (lower EL)";
    case 0x25: return "Data Abort (same EL)";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "FP exception (AArch64)";
    case 0x2f: return "SError interrupt";
    case 0x30: return "Breakpoint (lower EL)";
    case 0x31: return "Breakpoint (same EL)";
    case 0x32: return "Software Step (lower EL)";
    case 0x33: return "Software Step (same EL)";
    case 0x34: return "Watchpoint (lower EL)";
    case 0x35: return "Watchpoint (same EL)";
    case 0x3c: return "BRK instruction (AArch64)";
    default: return "reserved or unhandled class";
    }
}

/* Data/Instruction Fault Status Code, ESR.ISS[5:0]. */
static void print_fsc(uint32_t fsc)
{
    static const char *const kinds[4] = {
        "address size fault", "translation fault", "access flag fault", "permission fault",
    };
    if (fsc < 0x10)
        printf("%s, level %u", kinds[fsc >> 2], fsc & 3);
    else if (fsc == 0x10)
        printf("synchronous external abort");
    else if (fsc >= 0x14 && fsc <= 0x17)
        printf("synchronous external abort on table walk, level %u", fsc & 3);
    else if (fsc == 0x21)
        printf("alignment fault");
    else if (fsc == 0x30)
        printf("TLB conflict abort");
    else
        printf("fault status 0x%02x", fsc);
}

/* The symbol table the build's first link pass produced (tools/ksyms.sh). */
extern const uint64_t ksym_count, ksym_addrs[];
extern const char ksym_names[];
extern char _start_image[], _etext[];

/*
 * Print " name+0xoff" for a text address, nothing if it is not in .text.
 * Return addresses are looked up 4 bytes back, at the call instruction: a
 * call that never returns can be the last instruction of its function, and
 * its return address then already belongs to the next one.
 */
static void print_symbol(uint64_t pc, bool return_address)
{
    uint64_t at = return_address ? pc - 4 : pc;
    if (at < (uintptr_t)_start_image || at >= (uintptr_t)_etext || ksym_count == 0)
        return;
    uint64_t lo = 0, hi = ksym_count;   /* find the last entry with addr <= pc */
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (ksym_addrs[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    if (ksym_addrs[lo] > at)
        return;
    while (lo > 0 && ksym_addrs[lo - 1] == ksym_addrs[lo])
        lo--;                           /* several names: the first one */
    const char *name = ksym_names;
    for (uint64_t i = 0; i < lo; i++)
        name += strlen(name) + 1;
    printf(" %s+0x%lx", name, (unsigned long)(pc - ksym_addrs[lo]));
}

static bool frame_ok(uint64_t fp)
{
    return fp && !(fp & 7) && fp >= machine.ram_base && fp + 16 <= machine.ram_base + machine.ram_size;
}

/*
 * The frame-pointer chain from `fp` (AAPCS64 frame records: {caller's fp,
 * return address}), after a frame #0 at `pc` with its `note`. `pc` is a
 * return address (looked up at the call) when pc_is_return is set.
 */
void backtrace_print(uint64_t pc, uint64_t fp, bool pc_is_return, const char *note)
{
    printf("backtrace (frame pointers):\n");
    printf("  #0  0x%016lx", (unsigned long)pc);
    print_symbol(pc, pc_is_return);
    printf(" (%s)\n", note);
    for (int i = 1; i < 32 && frame_ok(fp); i++) {
        const uint64_t *rec = (const uint64_t *)(uintptr_t)fp;
        uint64_t lr = rec[1];
        if (!lr)
            break;
        printf("  #%-2d 0x%016lx", i, (unsigned long)lr);
        print_symbol(lr, true);
        printf("\n");
        if (rec[0] <= fp)
            break;          /* frames must move up the stack */
        fp = rec[0];
    }
}

void trap_crash(int vector, struct trapframe *tf)
{
    static const char *const where[4] = {
        "current EL with SP_EL0", "current EL with SP_ELx", "lower EL (AArch64)", "lower EL (AArch32)",
    };
    static const char *const what[4] = { "synchronous", "IRQ", "FIQ", "SError" };
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    if (crashing) {
        uart_puts("\nsis: crash while reporting a crash\nsis: machine halted after a crash\n");
        halt();
    }
    crashing = true;

    uint32_t esr = (uint32_t)tf->esr, ec = esr >> 26, iss = esr & 0x1ffffff;
    int type = vector & 3;
    printf("\n*** SIS KERNEL CRASH ***\n");
    printf("vector: %s exception from %s\n", what[type], where[(vector >> 2) & 3]);
    if (type == 0 || type == 3) {
        printf("exception: %s\n", esr_class_name(ec));
        printf("ESR: 0x%08x (EC 0x%02x, IL %u, ISS 0x%07x)\n", esr, ec, (esr >> 25) & 1, iss);
        if (type == 0 && (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)) {
            printf("fault: ");
            print_fsc(iss & 0x3f);
            if (ec >= 0x24)
                printf(" on %s", (iss >> 6) & 1 ? "write" : "read");
            printf("\n");
        }
        if (ec == 0x3c || ec == 0x15 || ec == 0x16 || ec == 0x17)
            printf("immediate: 0x%04x\n", iss & 0xffff);
    } else {
        printf("exception: unexpected %s\n", what[type]);
    }
    printf("ELR: 0x%016lx  FAR: 0x%016lx  SPSR: 0x%08lx\n",
           (unsigned long)tf->elr, (unsigned long)tf->far, (unsigned long)tf->spsr);
    for (int i = 0; i < 31; i++)
        printf("x%-2d 0x%016lx%s", i, (unsigned long)tf->x[i], i % 3 == 2 ? "\n" : "  ");
    printf("sp  0x%016lx", (unsigned long)tf->sp);
    if (vector < 4 || vector >= 8)     /* the interrupted code ran on SP_EL0 */
        printf("  sp_el0 0x%016lx", (unsigned long)read_sysreg(sp_el0));
    printf("\n");
    backtrace_print(tf->elr, tf->x[29], false, "faulting pc");
    printf("sis: machine halted after a crash\n");
    halt();
}

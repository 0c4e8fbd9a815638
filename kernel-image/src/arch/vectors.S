/*
 * vectors.S - the EL1 exception vector table and register save/restore.
 *
 * Every one of the 16 vectors builds the same struct trapframe (defs.h) on
 * the current stack: x0-x30, the interrupted SP, ELR, SPSR, ESR, FAR. The
 * only expected exception is an IRQ taken from EL1 with SP_EL1 (vector 5):
 * it also saves q0-q31, FPCR and FPSR, because compiled C anywhere in the
 * kernel may hold live values in SIMD registers, calls irq_handle() and
 * returns with eret. Any other vector calls trap_crash(), which prints the
 * crash report and halts the machine; it never returns.
 */
#define FRAME_SIZE  816     /* 36 * 8 general + 32 * 16 vector + 16 fpcr/fpsr */
#define GPR_SIZE    288

    .macro ventry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       trap_common
    .endm

    .text
    .balign 2048
    .global vectors
vectors:
    ventry 0
    ventry 1
    ventry 2
    ventry 3
    ventry 4
    ventry 5
    ventry 6
    ventry 7
    ventry 8
    ventry 9
    ventry 10
    ventry 11
    ventry 12
    ventry 13
    ventry 14
    ventry 15

trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    add     x1, sp, #FRAME_SIZE
    stp     x30, x1, [sp, #240]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #256]
    mrs     x1, esr_el1
    mrs     x2, far_el1
    stp     x1, x2, [sp, #272]
    // A frame record so backtraces continue into the interrupted code.
    ldr     x1, [sp, #256]
    stp     x29, x1, [sp, #-16]!
    mov     x29, sp
    add     x1, sp, #16             // x1 = struct trapframe *
    cmp     x0, #5
    b.ne    crash

    add     x2, x1, #GPR_SIZE       // IRQ: save the FP/SIMD state too
    stp     q0, q1, [x2, #0]
    stp     q2, q3, [x2, #32]
    stp     q4, q5, [x2, #64]
    stp     q6, q7, [x2, #96]
    stp     q8, q9, [x2, #128]
    stp     q10, q11, [x2, #160]
    stp     q12, q13, [x2, #192]
    stp     q14, q15, [x2, #224]
    stp     q16, q17, [x2, #256]
    stp     q18, q19, [x2, #288]
    stp     q20, q21, [x2, #320]
    stp     q22, q23, [x2, #352]
    stp     q24, q25, [x2, #384]
    stp     q26, q27, [x2, #416]
    stp     q28, q29, [x2, #448]
    stp     q30, q31, [x2, #480]
    mrs     x3, fpcr
    mrs     x4, fpsr
    add     x2, x2, #512            // past q31 (x1 still holds the frame)
    stp     x3, x4, [x2]

    mov     x0, x1
    bl      irq_handle

    add     x2, sp, #(16 + GPR_SIZE)
    ldp     q0, q1, [x2, #0]
    ldp     q2, q3, [x2, #32]
    ldp     q4, q5, [x2, #64]
    ldp     q6, q7, [x2, #96]
    ldp     q8, q9, [x2, #128]
    ldp     q10, q11, [x2, #160]
    ldp     q12, q13, [x2, #192]
    ldp     q14, q15, [x2, #224]
    ldp     q16, q17, [x2, #256]
    ldp     q18, q19, [x2, #288]
    ldp     q20, q21, [x2, #320]
    ldp     q22, q23, [x2, #352]
    ldp     q24, q25, [x2, #384]
    ldp     q26, q27, [x2, #416]
    ldp     q28, q29, [x2, #448]
    ldp     q30, q31, [x2, #480]
    ldr     x3, [x2, #512]
    ldr     x4, [x2, #520]
    msr     fpcr, x3
    msr     fpsr, x4

    add     sp, sp, #16             // drop the frame record
    ldp     x1, x2, [sp, #256]      // the handler may have changed ELR/SPSR
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #FRAME_SIZE
    eret

crash:                              // x0 = vector index, x1 = frame
    bl      trap_crash
1:  wfi
    b       1b

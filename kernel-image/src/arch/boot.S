/*
 * boot.S - the first instructions: Linux arm64 Image header and EL1 entry.
 *
 * The loader (QEMU -kernel, or our emulator) finds the "ARM\x64" magic, loads
 * the image at RAM + text_offset and jumps to its first byte with x0 = the
 * device tree's physical address, MMU and caches off, at EL1 (or EL2 when the
 * machine has virtualization on; we then drop to EL1 ourselves).
 *
 * Before any C runs we: park secondary cores, leave EL2 if needed, enable
 * FP/SIMD (the compiler may use q registers anywhere), install the exception
 * vectors, set up the boot stack, clear .bss. Then kmain(dtb) never returns.
 */
    .section .text.boot, "ax"
    .global _start
_start:
    b       entry                   // code0
    .long   0                       // code1
    .quad   0x80000                 // text_offset
    .quad   _image_size             // image_size (linker.ld), covers .bss
    .quad   0x2                     // flags: little-endian, 4 KiB pages
    .quad   0, 0, 0                 // reserved
    .ascii  "ARM\x64"               // magic
    .long   0                       // no PE header

entry:
    mov     x19, x0                 // keep the DTB pointer in a callee-saved reg

    mrs     x1, mpidr_el1           // only CPU 0 boots; others sleep forever
    and     x1, x1, #0xff
    cbnz    x1, park

    mrs     x1, CurrentEL
    lsr     x1, x1, #2
    cmp     x1, #2
    b.ne    at_el1
    // EL2: EL1 is AArch64, no FP or timer traps, virtual counter offset 0.
    mov     x1, #(1 << 31)          // HCR_EL2.RW
    msr     hcr_el2, x1
    mov     x1, #3                  // CNTHCTL_EL2.EL1PCTEN | EL1PCEN
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    mov     x1, #0x33ff             // CPTR_EL2: no traps
    msr     cptr_el2, x1
    msr     sctlr_el1, xzr
    mov     x1, #0x3c5              // EL1h with D, A, I, F masked
    msr     spsr_el2, x1
    adr     x1, at_el1
    msr     elr_el2, x1
    eret

at_el1:
    msr     daifset, #0xf
    mov     x1, #(3 << 20)          // CPACR_EL1.FPEN: no FP/SIMD traps
    msr     cpacr_el1, x1
    isb
    adrp    x1, vectors
    add     x1, x1, :lo12:vectors
    msr     vbar_el1, x1
    adrp    x1, boot_stack_top
    add     x1, x1, :lo12:boot_stack_top
    mov     sp, x1
    mov     x29, #0                 // terminates frame-pointer backtraces
    mov     x30, #0

    adrp    x1, _bss_start          // clear .bss, 16 bytes at a time
    add     x1, x1, :lo12:_bss_start
    adrp    x2, _bss_end
    add     x2, x2, :lo12:_bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:
    mov     x0, x19
    bl      kmain
park:
    wfe
    b       park

    .section .bss
    .balign 16
boot_stack:
    .space  64 * 1024
    .global boot_stack_top
boot_stack_top:

// A guest program that reads a list of system registers at EL1 and prints
// each on UART0 as 16 hex digits, or "U" if the MRS was UNDEFINED (its
// synchronous exception handler skips the instruction), then powers off.
// Runs unchanged on QEMU (qemu-run.ts) and on the emulator, so the two
// outputs can be compared line by line.
import { assemble, POWEROFF, PUTS } from './asm.ts';

export interface RegRead {
  /** The MRS operand (a name llvm-mc knows or s<op0>_<op1>_c<n>_c<m>_<op2>). */
  reg: string;
  /** Instructions run before the read (e.g. selecting a cache level). */
  before?: string;
  /** Label for reports. */
  label?: string;
}

export function dumpProgram(reads: RegRead[]): Uint8Array {
  const body = reads
    .map((r) => `${r.before ?? ''}\n  mov x19, #0\n  mrs x0, ${r.reg}\n  bl emit\n`)
    .join('');
  return assemble(`
  adr x9, vectors
  msr vbar_el1, x9
  isb
${body}
  ${POWEROFF}
emit:
  mov x28, x30
  cbz x19, 1f
  adr x2, undef
  bl puts
  mov x30, x28
  ret
1: mov x6, #60
  mov x1, #0x09000000
2: lsr x7, x0, x6
  and x7, x7, #15
  cmp x7, #10
  add x8, x7, #48
  add x7, x7, #87
  csel x7, x8, x7, lo
  str w7, [x1]
  subs x6, x6, #4
  b.ge 2b
  mov w7, #10
  str w7, [x1]
  mov x30, x28
  ret
${PUTS}
undef: .asciz "U\\n"
  .balign 0x800
vectors:
  .skip 0x200
  mov x19, #1
  mrs x9, elr_el1
  add x9, x9, #4
  msr elr_el1, x9
  eret
`);
}

/** Pairs each read with its printed line: "name: value". */
export function label(reads: RegRead[], out: string): string[] {
  const lines = out.replace(/\r/g, '').split('\n');
  return reads.map((r, i) => `${r.label ?? r.reg}: ${lines[i] ?? '(missing)'}`);
}

// A load or store that crosses from a mapped page into an unmapped one faults
// with FAR in the page that faulted (not the access's first byte): Linux
// looks FAR up to fix the fault, so anything else makes it retry forever
// (found booting Debian's kernel: dmesg's copy_to_user looped). Checked
// against QEMU: MMU on, VA 0xffff800000000000 mapped (one 4 KiB page), the
// next page invalid; 8-byte, 4-byte, pair and vector accesses across the
// boundary, each printing FAR and ESR.
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { assemble, haveLlvm, POWEROFF } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { runOnEmulator } from './emu-run.ts';

const EMIT = `
emit:
  mov x6, #60
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
  ret
`;

// [offset from the page start, instruction on x21]
const ACCESSES: [number, string][] = [[0xffa, 'str x5, [x21]'], [0xffc, 'ldr x5, [x21]'], [0xffe, 'str w5, [x21]'],
  [0xffd, 'ldr w5, [x21]'], [0xff8, 'stp x5, x6, [x21]'], [0xff0, 'ldp x5, x6, [x21, #8]'], [0xff8, 'str q0, [x21]'],
  [0xfff, 'ldrh w5, [x21]']];

const PROGRAM = `
  adr x9, l0lo
  adr x10, l1lo
  orr x11, x10, #3
  str x11, [x9]
  mov x11, #0x405
  str x11, [x10]
  ldr x11, =0x40000701
  str x11, [x10, #8]
  adr x9, l0hi
  adr x10, l1hi
  orr x11, x10, #3
  str x11, [x9, #0x800]
  adr x12, l2hi
  orr x11, x12, #3
  str x11, [x10]
  adr x13, l3hi
  orr x11, x13, #3
  str x11, [x12]
  ldr x11, =0x40600743               // page 0 -> PA 0x40600000 (AF, inner shareable, RW EL1); page 1 invalid
  str x11, [x13]
  mov x11, #0xff
  msr mair_el1, x11
  ldr x11, =(16 | (16 << 16) | (2 << 30) | (5 << 32))
  msr tcr_el1, x11
  adr x9, l0lo
  msr ttbr0_el1, x9
  adr x9, l0hi
  msr ttbr1_el1, x9
  adr x9, vectors
  msr vbar_el1, x9
  mov x9, #(3 << 20)
  msr cpacr_el1, x9
  isb
  mrs x11, sctlr_el1
  orr x11, x11, #1
  msr sctlr_el1, x11
  isb
  ldr x20, =0xffff800000000000
${ACCESSES.map(([o, a]) => `  add x21, x20, #${o}\n  ${a}\n`).join('')}
  ${POWEROFF}
${EMIT}
  .ltorg
  .balign 0x800
vectors:
  .skip 0x200
  mrs x0, far_el1
  bl emit
  mrs x0, esr_el1
  bl emit
  mrs x9, elr_el1
  add x9, x9, #4
  msr elr_el1, x9
  eret
  .balign 4096
l0lo: .skip 4096
l1lo: .skip 4096
l0hi: .skip 4096
l1hi: .skip 4096
l2hi: .skip 4096
l3hi: .skip 4096
`;

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('page-crossing faults vs QEMU', () => {
  it(`FAR and ESR for ${ACCESSES.length} accesses across into an unmapped page`, async () => {
    const program = assemble(PROGRAM);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    expect(q.trim().split('\n').length).toBe(ACCESSES.length * 2);
    expect(e).toBe(q);
  }, 60_000);
});

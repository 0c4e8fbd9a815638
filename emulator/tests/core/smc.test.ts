// Self-modifying code: a store to an instruction that has already executed
// must be seen by the next fetch, with the architectural maintenance sequence
// (DC CVAU, DSB, IC IVAU, DSB, ISB) and, as QEMU does, without it. The slot is
// in the page the CPU is executing from (its fetch page stays cached) or in
// another page, and a straight-line case overwrites the very next instruction.
import { describe, it, expect } from 'vitest';
import { runAsm as runAsmIn, Stop } from './harness';
import type { CpuMode } from '../../src/jit/jit.ts';

const MAINT = `
  dc cvau, x1
  dsb ish
  ic ivau, x1
  dsb ish
  isb`;

function program(maint: boolean, otherPage: boolean): string {
  return `
  adr x1, slot
  ldr w2, one
  ldr w3, two
  ldr w4, three
  str w2, [x1]
  ${maint ? MAINT : ''}
  bl slot
  mov x10, x0
  str w3, [x1]
  ${maint ? MAINT : ''}
  bl slot
  mov x11, x0
  mov x12, #0
  mov x13, #3
1: str w4, [x1]          // rewrite the slot on every pass of a loop that calls it
  ${maint ? MAINT : ''}
  bl slot
  add x12, x12, x0
  add w4, w4, #0x20      // movz x0, #imm+1
  subs x13, x13, #1
  b.ne 1b
  hlt #0
one:   .word 0xd2800020  // movz x0, #1
two:   .word 0xd2800040  // movz x0, #2
three: .word 0xd2800060  // movz x0, #3
  ${otherPage ? '.balign 4096' : ''}
slot:
  nop
  ret
`;
}

for (const cpu of ['interp', 'jit'] as CpuMode[]) describe(`self-modifying code (--cpu ${cpu})`, () => {
  const runAsm = (src: string) => {
    const r = runAsmIn(src, { cpu, setup: (m) => m.core.jitSetMode?.(cpu === 'jit' ? 1 : 0, 1, 0) });
    if (cpu === 'jit') expect(r.m.core.jitStat(4)).toBeGreaterThan(0); // blocks were translated
    return r;
  };
  for (const maint of [true, false]) {
    for (const otherPage of [false, true]) {
      it(`sees rewritten instructions (${maint ? 'with' : 'without'} IC IVAU, ${otherPage ? 'other' : 'same'} page)`, () => {
        const { m, stop } = runAsm(program(maint, otherPage));
        expect(m.undefs).toEqual([]);
        expect(stop).toBe(Stop.Trap);
        expect(m.x(10)).toBe(1n);
        expect(m.x(11)).toBe(2n);
        expect(m.x(12)).toBe(3n + 4n + 5n);
      });
    }
  }

  it('executes a store to the next instruction in straight-line code', () => {
    const { m, stop } = runAsm(`
      adr x1, next
      ldr w2, insn
      mov x0, #7
      str w2, [x1]
    next:
      nop                // replaced by movz x0, #9 before it is fetched
      hlt #0
    insn: .word 0xd2800120
    `);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(0)).toBe(9n);
  });

  it('a rewritten slot that becomes undefined raises Undefined Instruction', () => {
    const { m } = runAsm(`
      adr x1, slot
      bl slot            // runs the nop once
      ldr w2, bad
      str w2, [x1]
      bl slot
      hlt #0
    bad: .word 0x00000000  // UDF #0
    slot:
      nop
      ret
    `);
    expect(m.undefs.length).toBe(1);
    expect(m.undefs[0].insn).toBe(0);
  });
});

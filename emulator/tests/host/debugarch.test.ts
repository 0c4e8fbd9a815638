// The guest's self-hosted debug architecture against QEMU 7.2 cortex-a72:
// the debug registers (reset values, bits that read back, which numbers
// exist, the OS lock) and the debug exceptions with their syndromes - a
// hardware breakpoint, store and load watchpoints (FAR, WnR; the access is
// not made), a software step after ERET with SPSR.SS, and the conditions that
// mask them (MDSCR.KDE clear, PSTATE.D set; QEMU 7.2 ignores the OS lock). One EL1 program per
// part, run on both, outputs compared line by line.
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { assemble, haveLlvm, POWEROFF } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { dumpProgram, label, type RegRead } from './sysreg-dump.ts';
import { runOnEmulator, runOnEmulatorStats } from './emu-run.ts';

const REGS = ['mdscr_el1', 'oslsr_el1', 'osdlr_el1', 'mdccint_el1', 'dbgclaimset_el1', 'dbgprcr_el1', 'mdccsr_el0', 'mdrar_el1', 'dbgdtr_el0'];
for (let n = 0; n < 16; n++) REGS.push(`dbgbvr${n}_el1`, `dbgbcr${n}_el1`, `dbgwvr${n}_el1`, `dbgwcr${n}_el1`);
const READS: RegRead[] = [];
for (const reg of REGS) READS.push({ reg, label: `reset ${reg}` });
for (const reg of REGS.filter((r) => !/oslsr|mdccsr|mdrar/.test(r))) READS.push({ reg, before: `mov x3, #-1\n msr ${reg}, x3\n isb`, label: `ones -> ${reg}` });
READS.push({ reg: 'oslsr_el1', before: 'msr oslar_el1, xzr\n isb', label: 'OSLAR 0 -> OSLSR' });
READS.push({ reg: 'oslsr_el1', before: 'mov x3, #1\n msr oslar_el1, x3\n isb', label: 'OSLAR 1 -> OSLSR' });
READS.push({ reg: 's2_0_c1_c0_4', label: 'OSLAR read' });

// The exception part: each debug exception prints ESR, FAR (watchpoints) and ELR
// from the handler, which then returns past the instruction (ELR itself after a step).
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
const MARK = (n: number) => `  mov x0, #${n}\n  bl emit\n`;
const EXCEPTIONS = `
  adr x9, vectors
  msr vbar_el1, x9
  msr oslar_el1, xzr
  ldr x3, =((1 << 15) | (1 << 13))   // MDE, KDE
  msr mdscr_el1, x3
  msr daifclr, #8                    // PSTATE.D = 0
  isb
${MARK(1)}
  adr x3, bp1
  msr dbgbvr0_el1, x3
  mov x3, #0x1e7                     // E, PMC = EL0+EL1, BAS = 0xf
  msr dbgbcr0_el1, x3
  isb
bp1: mov x10, #1
${MARK(2)}
  // KDE clear: no breakpoint at EL1
  ldr x3, =(1 << 15)
  msr mdscr_el1, x3
  isb
bp2: mov x10, #2
${MARK(3)}
  ldr x3, =((1 << 15) | (1 << 13))
  msr mdscr_el1, x3
  msr daifset, #8                    // PSTATE.D = 1: masked
  isb
  adr x3, bp3
  msr dbgbvr0_el1, x3
  isb
bp3: mov x10, #3
  msr daifclr, #8
  msr dbgbcr0_el1, xzr
  isb
${MARK(4)}
  // store watchpoint on bytes 4..7 of data: a word store at data+4 hits, the load does not
  adr x3, data
  msr dbgwvr0_el1, x3
  ldr x3, =((0xf0 << 5) | (2 << 3) | (3 << 1) | 1)
  msr dbgwcr0_el1, x3
  isb
  adr x4, data
  ldr w5, =0x12345678
  str w5, [x4, #4]
  ldr w6, [x4, #4]
  mov x0, x6
  bl emit                            // still 0: the store was not made
  str w5, [x4]                       // bytes 0..3: not watched
  ldr x3, =((0xf0 << 5) | (1 << 3) | (3 << 1) | 1)   // now loads
  msr dbgwcr0_el1, x3
  isb
  ldr x6, [x4]                       // 8-byte load overlapping bytes 4..7
  mov x0, x6
  bl emit
  ldr x3, =((0xff << 5) | (3 << 3) | (3 << 1) | 1 | (3 << 24))  // MASK = 3: the whole doubleword
  msr dbgwcr0_el1, x3
  isb
  ldrb w6, [x4, #2]
  msr dbgwcr0_el1, xzr
  isb
${MARK(5)}
  // software step: MDSCR.SS set while PSTATE.D masks it, then ERET to ss1 with SPSR.SS:
  // ss1 runs, the exception comes after it (ISV = 1); the handler clears MDSCR.SS
  msr daifset, #8
  ldr x3, =((1 << 15) | (1 << 13) | 1)
  msr mdscr_el1, x3
  adr x3, ss1
  msr elr_el1, x3
  ldr x3, =(5 | (1 << 21))          // EL1h, DAIF clear, SS
  msr spsr_el1, x3
  isb
  eret
ss1: mov x10, #5
  mov x10, #6
${MARK(6)}
  // MDSCR.SS set with PSTATE.SS = 0 and PSTATE.D clear: pending at once (ISV = 0)
  ldr x3, =((1 << 15) | (1 << 13) | 1)
  msr mdscr_el1, x3
  mov x10, #7
${MARK(8)}
  // the OS lock set again: QEMU 7.2 still takes the breakpoint (it does not check the lock)
  mov x3, #1
  msr oslar_el1, x3
  adr x3, bp4
  msr dbgbvr0_el1, x3
  mov x3, #0x1e7
  msr dbgbcr0_el1, x3
  isb
bp4: mov x10, #7
${MARK(7)}
  ${POWEROFF}
${EMIT}
  .ltorg
  .balign 8
data: .quad 0
  .balign 0x800
vectors:
  .skip 0x200
  mrs x0, esr_el1
  bl emit
  mrs x0, esr_el1
  lsr x0, x0, #26
  cmp x0, #0x35
  mov x0, #0
  b.ne 1f
  mrs x0, far_el1
1: bl emit
  mrs x0, elr_el1
  bl emit
  mrs x0, esr_el1
  lsr x0, x0, #26
  cmp x0, #0x33
  b.ne 3f
  ldr x9, =((1 << 15) | (1 << 13))  // software step: stop stepping, return to ELR
  msr mdscr_el1, x9
  b 2f
3: mrs x9, elr_el1
  add x9, x9, #4
  msr elr_el1, x9
2: eret
  .ltorg
`;

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('debug architecture vs QEMU cortex-a72', () => {
  it(`${READS.length} debug register reads as QEMU`, async () => {
    const program = dumpProgram(READS);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    const ql = label(READS, q);
    expect(ql.filter((l) => l.endsWith('(missing)'))).toEqual([]);
    expect(label(READS, e)).toEqual(ql);
  }, 120_000);

  it('breakpoint, watchpoint and software step exceptions with their syndromes', async () => {
    const program = assemble(EXCEPTIONS);
    const [q, e] = await Promise.all([runOnQemu(program), runOnEmulator(program)]);
    const lines = q.trim().split('\n');
    expect(lines.length).toBeGreaterThan(15);
    expect(e.trim().split('\n')).toEqual(lines);
    expect(q).toContain('00000000c6000022'); // breakpoint, same EL
    expect(q).toContain('00000000d6000062'); // watchpoint, same EL, WnR
    expect(q).toContain('00000000cf000022'); // software step after an instruction, same EL, ISV
    expect(q).toContain('00000000ce000022'); // software step pending at once, ISV = 0
  }, 120_000);

  // The translator runs whatever it can (threshold 1: every block start at its first visit) and
  // must give way to the interpreter while a breakpoint, watchpoint or step is active.
  it('the same exceptions with --cpu jit', async () => {
    const program = assemble(EXCEPTIONS);
    const [q, e, i] = await Promise.all([
      runOnQemu(program),
      runOnEmulatorStats(program, 128, { cpu: 'jit', jitThreshold: 1 }),
      runOnEmulatorStats(program, 128, { cpu: 'interp' }),
    ]);
    expect(e.out.trim().split('\n')).toEqual(q.trim().split('\n'));
    expect(e.instret).toBe(i.instret);
    expect(e.translated).toBeGreaterThan(0);
  }, 120_000);
});

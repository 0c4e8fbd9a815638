// The translator (--cpu jit) against the interpreter: the same programs run in both modes
// must end in the same architectural state (X0-X30, SP, NZCV, PC, a memory window) after the
// same number of instructions, also when run() budgets end inside translated blocks and
// loops, when a load faults in the middle of a block, when a timer interrupt arrives during a
// translated loop, when the host rewrites translated code, and when the code cache fills up.
// Threshold 1: every block start is translated the first time it is reached. Each test also
// checks that the jit run really executed translated code, so it cannot pass vacuously.
import { describe, it, expect } from 'vitest';
import { makeMachine, assemble, RAM, VECTORS, SETUP, type Machine } from './harness';
import type { CpuMode } from '../../src/jit/jit.ts';

const DATA = 0x4010_0000; // 64 KiB data window

function machine(cpu: CpuMode, bin: Uint8Array): Machine {
  const m = makeMachine(16, cpu);
  if (cpu === 'jit') m.core.jitSetMode(1, 1, 0);
  m.load(bin);
  m.core.setPC(RAM);
  m.core.setX(31, RAM + 0x80_0000n);
  return m;
}

function state(m: Machine) {
  const regs = Array.from({ length: 31 }, (_, i) => m.x(i).toString(16));
  const win = Buffer.from(m.ram().subarray(DATA - 0x4000_0000, DATA - 0x4000_0000 + 0x1000)).toString('hex');
  const v = Array.from({ length: 32 }, (_, i) => `${BigInt.asUintN(64, m.core.getV(i, 1)).toString(16)}:${BigInt.asUintN(64, m.core.getV(i, 0)).toString(16)}`);
  return {
    regs, v, fpsr: m.core.getFPSR() >>> 0, sp: BigInt.asUintN(64, m.core.getSP(1)).toString(16), nzcv: m.core.getNZCV() >>> 0,
    pc: BigInt.asUintN(64, m.core.getPC()).toString(16), instret: m.core.instret(), win,
  };
}

/** Runs `src` in both modes with the same budget sequence; returns the two final states. */
function both(src: string, budgets: number[] = [5_000_000], setup?: (m: Machine) => void) {
  const bin = assemble(src);
  const out = (['interp', 'jit'] as CpuMode[]).map((cpu) => {
    const m = machine(cpu, bin);
    setup?.(m);
    const stops: number[] = [];
    const trace: ReturnType<typeof state>[] = [];
    for (const b of budgets) { stops.push(m.run(b)); trace.push(state(m)); }
    return { m, stops, trace };
  });
  const [a, b] = out;
  expect(b.m.undefs).toEqual(a.m.undefs);
  expect(b.stops).toEqual(a.stops);
  for (let i = 0; i < budgets.length; i++) expect(b.trace[i], `after run #${i}`).toEqual(a.trace[i]);
  return { interp: a.m, jit: b.m };
}

const jitShare = (m: Machine) => m.core.jitStat(1) / m.core.instret();

// Integer work of every translated kind: arithmetic with flags at both sizes, logical and
// bitfield immediates, shifts, extends, conditional select/compare, multiply/divide, and
// loads/stores in all addressing modes, in a loop with a data-dependent inner branch.
const MIX = `
  ldr x9, =${DATA}
  mov x0, #0x1234
  movk x0, #0x8765, lsl #48
  mov x1, #300
  mov x2, #7
  mov w3, #-5
1:
  adds x4, x0, x2, lsl #3
  subs w5, w3, w2, asr #1
  adc x6, x4, x5
  and x7, x4, #0xff00ff00ff00ff00
  orr w8, w5, #0x7
  eor x10, x0, x4, ror #13
  bic x11, x10, x7
  ubfx x12, x10, #5, #17
  sbfiz x13, x5, #7, #9
  bfi x14, x0, #3, #11
  extr x15, x10, x4, #9
  add x16, x9, w1, uxtw #3
  sub x17, sp, w2, sxtw #2
  cmp x4, x10
  csel x18, x4, x10, hi
  csinc w19, w5, w3, lt
  csneg x20, x6, x7, eq
  ccmp x4, #3, #4, ne
  cset x21, ge
  madd x22, x4, x2, x0
  msub w23, w5, w3, w2
  smaddl x24, w5, w3, x0
  udiv x25, x4, x2
  sdiv w26, w5, w2
  sdiv x27, x4, xzr
  lslv x28, x4, x1
  asrv w29, w5, w2
  str x4, [x9, #8]
  stur w5, [x9, #-4 + 16]
  strh w6, [x9, #34]
  strb w7, [x9, #35]
  ldr x30, [x9, #8]
  ldrsw x6, [x9, #12]
  ldrsh w7, [x9, #34]
  ldrb w8, [x9, #35]
  ldr x10, [x9, x2, lsl #3]
  ldr w11, [x9, w2, sxtw #2]
  stp x4, x5, [x9, #64]!
  ldp x12, x13, [x9], #-48
  ldpsw x14, x15, [x9, #48]
  stp w6, w7, [x9, #128]
  ldp w16, w17, [x9, #128]
  str x0, [x9, #248]!
  ldr x18, [x9], #-248
  ldr x19, lit
  add x0, x0, x30, lsr #3
  eor x0, x0, x13
  tbz x0, #3, 2f
  add x0, x0, #1
2:
  cbz x1, 3f
  sub x1, x1, #1
  b 1b
3:
  mov x9, #0
  hlt #0
lit: .quad 0x0123456789abcdef
  .ltorg
`;

describe('translator vs interpreter (--cpu jit vs interp)', () => {
  it('integer, logical, bitfield, multiply/divide, loads and stores: same state and count', () => {
    const { jit } = both(MIX);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
  });

  it('run() budgets that end inside blocks and loop iterations give the same state at every stop', () => {
    const budgets = [1, 2, 3, 5, 7, 11, 13, 64, 100, 127, 1000, 4093, 10_000, 1_000_000];
    const { jit } = both(MIX, budgets);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
  });

  it('a self-loop block runs whole iterations inside the budget and exits exactly at its end', () => {
    const src = `
      mov x0, #0
      ldr x1, =100000
    1: add x0, x0, x1
      eor x0, x0, x0, lsr #7
      subs x1, x1, #1
      b.ne 1b
      hlt #0
      .ltorg`;
    const { jit } = both(src, [9, 50, 333, 12_345, 999_999]);
    expect(jitShare(jit)).toBeGreaterThan(0.99);
  });

  it('a load that faults in the middle of a translated block leaves the state of the faulting instruction', () => {
    // x3 walks up by 64 KiB per pass, past RAM (16 MiB; host MMIO answers there) to 4 GiB, where
    // nothing decodes: an external abort on the ldr, with the counts exactly so.
    const src = `
      ${SETUP}
      ldr x3, =0x40f00000
      mov x4, #0
    1: add x4, x4, #1
      str x4, [x3, #-8]
      ldr x5, [x3]
      add x6, x5, x4
      add x3, x3, #0x10000
      b 1b
      .ltorg
      ${VECTORS}`;
    const { interp, jit } = both(src, [100, 1_000_000]);
    expect(interp.x(20)).toBe(0x200n); // synchronous, current EL
    expect(jit.x(21) >> 26n).toBe(0x25n); // data abort, same EL
    expect(jit.x(24)).toBe(0x1_0000_0000n); // FAR
    expect(jit.core.jitStat(4)).toBeGreaterThan(0);
  });

  it('a timer interrupt during a translated loop is taken at the same instruction', () => {
    const src = `
      ${SETUP}
      ldr x1, =0x08000000
      ldr x2, =0x08010000
      mov w0, #1
      str w0, [x1]              // GICD_CTLR
      mov w0, #(1 << 27)
      str w0, [x1, #0x100]      // ISENABLER0: PPI 27 (virtual timer)
      mov w0, #0xff
      str w0, [x2, #4]          // PMR
      mov w0, #1
      str w0, [x2]              // GICC_CTLR
      mrs x3, cntvct_el0
      ldr x4, =5003
      add x3, x3, x4
      msr cntv_cval_el0, x3
      mov x0, #1
      msr cntv_ctl_el0, x0
      ldr x6, =${DATA}
      mov x5, #0
      msr daifclr, #2
    1: add x5, x5, #1
      str x5, [x6, #16]
      eor x7, x5, x5, lsl #3
      b 1b
      .ltorg
      ${VECTORS}`;
    const { jit } = both(src, [1_000_000]);
    expect(jit.x(20)).toBe(0x280n); // IRQ, current EL with SP_ELx
    expect(jit.x(5)).toBeGreaterThan(1000n);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
  });

  it('code rewritten by the host (loader, DMA) and announced with jitInvalidateRange runs anew', () => {
    const src = `
    top:
      mov x0, #1
      add x1, x1, x0
      b top`;
    const bin = assemble(src);
    for (const cpu of ['interp', 'jit'] as CpuMode[]) {
      const m = machine(cpu, bin);
      m.run(3000);
      expect(m.x(1)).toBe(1000n);
      // host rewrites "mov x0, #1" into "mov x0, #5" (movz x0, #5 = 0xd28000a0)
      new DataView(m.ram().buffer, m.ram().byteOffset).setUint32(0, 0xd28000a0, true);
      m.core.jitInvalidateRange(Number(RAM), 4);
      m.run(3000);
      expect(m.x(1)).toBe(1000n + 5n * 1000n);
      if (cpu === 'jit') expect(m.core.jitStat(2)).toBeGreaterThan(0); // blocks were dropped
    }
  });

  it('more blocks than the code cache holds: flushed and retranslated, same results', () => {
    // 5000 distinct blocks ("add; b next"), run twice over
    const body = Array.from({ length: 5000 }, (_, i) => `L${i}: add x0, x0, #${(i % 4000) + 1}\n  b L${i + 1}`).join('\n');
    const src = `
      mov x2, #2
    again:
      ${body}
    L5000:
      subs x2, x2, #1
      b.ne again
      hlt #0`;
    const { jit } = both(src, undefined, (m) => m.jit?.limitBlocks(4096));
    expect(jit.jit!.stats().flushes).toBeGreaterThan(0);
    expect(jitShare(jit)).toBeGreaterThan(0.5);
  });

  it('SIMD&FP and the rarer integer forms run through the interpreter inside translated blocks', () => {
    const src = `
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      mov x0, #3
      fmov d0, x0
      scvtf d1, x0
      mov x1, #1000
      ldr x9, =${DATA}
    1: fadd d1, d1, d0
      fmul d2, d1, d1
      fdiv d3, d2, d0
      fcmp d3, d1
      fcsel d4, d3, d1, gt
      fcvtzs x2, d4
      clz x3, x2
      rbit w4, w2
      .inst 0x9ac24ca5          // crc32x w5, w5, x2
      umulh x6, x2, x2
      str q4, [x9, #32]
      ldr q5, [x9, #32]
      subs x1, x1, #1
      b.ne 1b
      fmov x7, d5
      // edges of the native paths: exact results with IXC clear, zeros, huge and tiny operands
      msr fpsr, xzr
      fmov d10, #1.0
      fmov d11, #-1.0
      fadd d12, d10, d11          // exact zero, IXC still clear
      fsub d13, d10, d10
      fmul d14, d12, d10          // zero operand (outside the mul fast range)
      fdiv d15, d12, d10          // zero dividend
      fmov d26, #3.0
      fdiv d25, d10, d26          // inexact with IXC clear: sets IXC
      mrs x9, fpsr
      ldr d16, huge
      ldr d17, tiny
      fmul d18, d16, d16          // overflow: OFC, IXC
      fmul d19, d17, d17          // underflow: UFC
      fdiv d20, d10, d12          // divide by zero: DZC
      fadd d21, d16, d16
      fsub d22, d17, d17
      fdiv d23, d17, d16
      fmul d24, d10, d11
      mrs x8, fpsr
      hlt #0
      .balign 8
    huge: .quad 0x7fe0000000000001
    tiny: .quad 0x0010000000000003
      .ltorg`;
    const { jit } = both(src, [1, 77, 5000, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
  });

  // Lazy flags: after ADDS/SUBS/CMP/CMN the translator keeps the operands and computes NZCV only
  // when something needs it; some conditions are answered from the operands directly. Every
  // condition after every kind of flag-setting instruction at both sizes, on edge values, as
  // CSET (CSINC), as B.cond, after CCMP, in a loop whose flags are written before they are read
  // (the back edge does not compute them) or read them first (it does), stopped by budgets in the middle, and a fault
  // with flags pending (SPSR_EL1 must hold them).
  it('lazy flags: every condition after ADDS/SUBS/CMP/CMN (X and W), CCMP, loops, budgets, a fault', () => {
    const conds = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le'];
    const setters = ['cmp x1, x2', 'cmn x1, x2', 'subs x5, x1, x2', 'adds x5, x1, x2', 'cmp w1, w2', 'cmn w1, w2',
      'subs w5, w1, w2', 'adds w5, w1, w2', 'cmp x1, #5', 'cmp w1, #1, lsl #12', 'cmp x1, w2, sxtw', 'cmp x1, x2, lsl #1'];
    let body = '';
    for (const st of setters) {
      for (const cc of conds) body += `  ${st}\n  cset x3, ${cc}\n  eor x10, x3, x10, ror #7\n`;
      for (const cc of conds) body += `  ${st}\n  b.${cc} 2f\n  eor x11, x11, x11, ror #3\n  add x11, x11, #1\n2:\n`;
      body += `  ${st}\n  ccmp x1, x5, #0b1010, ge\n  cset x3, hi\n  eor x10, x3, x10, ror #5\n  mrs x6, nzcv\n  add x12, x12, x6\n`;
    }
    const values = [0n, 1n, 5n, 0x1000n, (1n << 64n) - 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
      0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffffen, 0x80000001n];
    const pairs = values.flatMap((a) => values.map((b) => `.quad 0x${a.toString(16)}, 0x${b.toString(16)}`)).join('\n');
    const src = `
      ${SETUP}
      adr x9, pairs
      mov x13, #${values.length ** 2}
    1: ldp x1, x2, [x9], #16
${body}
      subs x13, x13, #1
      b.ne 1b
      // a loop that writes the flags before reading them: no NZCV at the back edge
      mov x14, #1000
    3: add x15, x15, x14
      subs x14, x14, #1
      cset x16, hi
      add x17, x17, x16
      b.ne 3b
      mrs x18, nzcv
      // a loop that reads the flags of the previous iteration first: NZCV at the back edge
      mov x14, #999
      cmp x14, #7
    4: cset x16, lo
      add x17, x17, x16, lsl #2
      cinc x19, x19, mi
      subs x20, x14, #500
      sub x14, x14, #3
      cbnz x14, 4b
      // a fault with flags pending: SPSR_EL1 (x23) must hold them
      mov x7, #3
      cmp x7, #9
      mov x4, #0x100000000
      ldr x5, [x4]
      hlt #0
      .balign 8
    pairs:
${pairs}
      .ltorg
      ${VECTORS}`;
    const { interp, jit } = both(src, [1, 33, 1000, 77_777, 5_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.8);
    expect(interp.x(20)).toBe(0x200n); // the fault was taken
    expect(jit.x(23) >> 28n).toBe(0b1000n); // 3 - 9: N
    expect(jit.x(18) >> 28n).toBe(0b0110n); // 1 - 1 = 0: Z, C
  });

  // SIMD&FP loads and stores in translated blocks: every size and addressing form of LDR/STR and
  // LDP/STP/LDNP, SP as the base, accesses that straddle a page (the interpreter's path), a pair
  // load naming one register twice, and at the end a Q load that faults (nothing written back).
  it('SIMD&FP LDR/STR/LDP/STP: every size and form, page crossings, SP base, a fault', () => {
    const src = `
      ${SETUP}
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      ldr x9, =${DATA}
      mov x1, #0
    1: add x1, x1, #1
      fmov d0, x1
      dup v1.2d, x1
      add v1.2d, v1.2d, v1.2d
      mov v2.16b, v1.16b
      mov v3.16b, v1.16b        // nonzero top halves: loads of B/H/S/D must clear them
      mov v4.16b, v1.16b
      mov v5.16b, v1.16b
      mov v6.16b, v1.16b
      mov v10.16b, v1.16b
      mov v13.16b, v1.16b
      str b0, [x9, #1]
      str h0, [x9, #2]
      str s0, [x9, #4]
      str d0, [x9, #8]
      str q1, [x9, #16]
      stur q2, [x9, #40]        // MMU off: Device memory, each 8-byte half aligned
      ldr b3, [x9, #1]
      ldr h4, [x9, #2]
      ldr s5, [x9, #4]
      ldr d6, [x9, #8]
      ldr q7, [x9, #16]
      ldur q8, [x9, #40]
      str q1, [x9, #64]!
      ldr q9, [x9], #-64
      stp s0, s5, [x9, #128]
      stp d0, d6, [x9, #144]
      stp q1, q7, [x9, #160]
      stnp q8, q9, [x9, #192]
      ldp s10, s11, [x9, #128]
      ldp d12, d13, [x9, #144]
      ldp q14, q15, [x9, #160]
      ldnp q16, q17, [x9, #192]
      .inst 0xad454932          // ldp q18, q18, [x9, #160]: the same register twice, the second value
      stp q14, q15, [x9, #224]!
      ldp q19, q20, [x9, #-32]!
      ldp q21, q22, [x9], #-192
      sub sp, sp, #64
      stp q0, q1, [sp, #-32]!
      ldr q23, [sp], #32
      ldr q24, [sp, #16]
      add sp, sp, #64
      // straddling the end of the window's first page: the interpreter's path
      add x10, x9, #0xff8
      str q1, [x10]
      ldr q25, [x10]
      add x11, x9, #0xff8
      stp d0, d6, [x11]
      add x12, x9, #0xffc
      ldp s26, s27, [x12]
      cmp x1, #300
      b.ne 1b
      mov x4, #0x100000000
      ldr q28, [x4, #16]!       // external abort: no register, no writeback
      hlt #0
      .ltorg
      ${VECTORS}`;
    const { jit } = both(src, [1, 50, 999, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.8);
    expect(jit.x(20)).toBe(0x200n); // the fault was taken
    expect(jit.x(4)).toBe(0x1_0000_0000n);
    expect(jit.core.getV(18, 0)).toBe(jit.core.getV(15, 0));
  });

  // FCMP/FCMPE, FCSEL, SCVTF/UCVTF and FMOV between X and D run natively in blocks unless they
  // could raise a flag; the edges: NaNs (quiet and signalling, FCMP and FCMPE: IOC), +0 vs -0,
  // #0.0, FZ with a denormal (IDC), conversions just inside and outside 2^53 (inexact: IXC),
  // unsigned 2^64-1, negative W values, XZR.
  it('FP compare, select, int-to-double conversions and FMOV X<->D: native paths and their edges', () => {
    const cmp = (a: string, b: string, i: number, e = '') => `
      fcmp${e} ${a}, ${b}
      mrs x2, nzcv
      mrs x3, fpsr
      stp x2, x3, [x9, #${16 * i}]
      fcsel d31, ${a}, ${b}, lt
      str d31, [x9, #${512 + 8 * i}]
      msr fpsr, xzr`;
    const src = `
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      ldr x9, =${DATA}
      mov x1, #3
    1: msr fpsr, xzr
      msr fpcr, xzr
      fmov d0, #1.0
      fmov d1, #-2.0
      ldr d2, qnan
      ldr d3, snan
      ldr d4, denorm
      fmov d5, xzr              // +0
      fneg d6, d5               // -0
      ${cmp('d0', 'd1', 0)}
      ${cmp('d1', 'd0', 1)}
      ${cmp('d0', 'd0', 2)}
      ${cmp('d5', 'd6', 3)}
      ${cmp('d2', 'd0', 4)}
      ${cmp('d2', 'd0', 5, 'e')}
      ${cmp('d3', 'd0', 6)}
      ${cmp('d0', 'd2', 7, 'e')}
      ${cmp('d4', 'd5', 8)}
      fcmp d1, #0.0
      mrs x2, nzcv
      fcmpe d5, #0.0
      mrs x3, nzcv
      stp x2, x3, [x9, #144]
      mov x4, #(1 << 24)
      msr fpcr, x4              // FZ: the denormal is flushed (IDC)
      ${cmp('d4', 'd5', 10)}
      msr fpcr, xzr
      mov x4, #(1 << 53)
      scvtf d7, x4
      ucvtf d8, x4
      add x4, x4, #1            // 2^53 + 1: inexact
      scvtf d9, x4
      mrs x5, fpsr
      msr fpsr, xzr
      ucvtf d10, x4
      mrs x6, fpsr
      msr fpsr, xzr
      neg x4, x4
      scvtf d11, x4
      mov x4, #-1
      ucvtf d12, x4             // 2^64 - 1
      scvtf d13, x4
      scvtf d14, w4             // -1
      ucvtf d15, w4             // 2^32 - 1
      scvtf d16, xzr
      mrs x7, fpsr
      stp x5, x6, [x9, #176]
      str x7, [x9, #192]
      fmov d17, x9
      fmov x10, d12
      fmov d18, xzr
      fmov x11, d1
      subs x1, x1, #1
      b.ne 1b
      hlt #0
      .balign 8
    qnan: .quad 0x7ff8000000000001
    snan: .quad 0x7ff0000000000001
    denorm: .quad 0x0000000000000003
      .ltorg`;
    const { interp, jit } = both(src, [1, 40, 333, 1_000_000]);
    // MSR/MRS end blocks and run in the interpreter: the FP instructions between them translate
    expect(jitShare(jit)).toBeGreaterThan(0.1);
    // the oracle for the edges is the interpreter (checked against qemu-aarch64 by the ISA suite);
    // spot-check a few so this cannot pass with both sides wrong in the same way
    const word = (m: Machine, off: number) => Buffer.from(m.ram().subarray(DATA - 0x4000_0000 + off, DATA - 0x4000_0000 + off + 8)).readBigUInt64LE();
    expect(word(jit, 0)).toBe(0x2000_0000n); // 1.0 > -2.0: C
    expect(word(jit, 16)).toBe(0x8000_0000n); // less: N
    expect(word(jit, 32)).toBe(0x6000_0000n); // equal: ZC
    expect(word(jit, 48)).toBe(0x6000_0000n); // +0 == -0
    expect(word(jit, 64)).toBe(0x3000_0000n); // unordered
    expect(word(jit, 72)).toBe(0n); // FCMP, quiet NaN: no IOC
    expect(word(jit, 88) & 1n).toBe(1n); // FCMPE, quiet NaN: IOC
    expect(word(jit, 104) & 1n).toBe(1n); // FCMP, signalling NaN: IOC
    expect(word(jit, 168) & 0x80n).toBe(0x80n); // FZ: IDC
    expect(word(jit, 176) & 0x10n).toBe(0x10n); // 2^53 + 1: IXC
    expect(jit.x(10)).toBe(0x43f0_0000_0000_0000n); // UCVTF 2^64 - 1 = 2^64
    expect(jit.x(11)).toBe(0xc000_0000_0000_0000n);
    expect(interp.x(11)).toBe(jit.x(11));
  });
  it('hints, barriers, MRS, CLREX and DC ZVA stay inside translated blocks: same state, counts and clock', () => {
    // NOP, YIELD and the PAC/BTI hints (NOPs on this CPU), DMB/DSB/ISB: translated as nothing;
    // MRS (incl. NZCV right after a compare, and the counter, which must see the exact count),
    // CLREX (the STXR after it fails) and DC ZVA: run by the interpreter inside the block
    const src = `
      ldr x9, =${DATA}
      ldr x0, =0x1234567
      msr tpidr_el1, x0
      mov x1, #1000
      mov x2, #0
    1: nop
      hint #25                 // paciasp
      add x2, x2, x1
      hint #34                 // bti c
      yield
      dmb ish
      cmp x2, #4000
      mrs x4, nzcv
      add x3, x3, x4, lsr #28
      dsb sy
      isb
      mrs x5, tpidr_el1
      add x3, x3, x5
      mrs x6, cntvct_el0
      eor x7, x7, x6
      str x2, [x9, #64]
      str x2, [x9, #128]
      dc zva, x9               // zeroes [x9, x9 + 64) (DCZID: 64 bytes)
      add x13, x9, #128
      ldxr x10, [x13]
      clrex
      stxr w11, x10, [x13]
      add x12, x12, x11
      hint #29                 // autiasp
      subs x1, x1, #1
      b.ne 1b
      hlt #0
      .ltorg`;
    const { interp, jit } = both(src, [1, 333, 5000, 1_000_000]);
    expect(interp.x(12)).toBe(1000n); // every STXR after CLREX failed
    expect(jitShare(jit)).toBeGreaterThan(0.9);
    // one block per loop entry, not one per hint: far fewer block runs than iterations
    expect(jit.core.jitStat(0)).toBeLessThan(200);
  });

  // ---- the inline TLB check with the MMU on (mem.ts jitTags): one compare per access ----------
  // Page tables as machine.test.ts builds them: TTBR0 at DATA, 39-bit VA; L2[0] -> L3 with 4 KiB
  // pages over 0x4000_0000..0x401f_ffff, Normal (attr 1), RW at EL1; L1[0] a Device block at 0.
  // `patch` changes L3 entries (index = (VA - 0x4000_0000) >> 12).
  const PT_L1 = DATA, PT_L2 = DATA + 0x1000, PT_L3 = DATA + 0x2000;
  const AF = 1n << 10n, PAGE = 3n;
  const page = (i: number, attr: bigint, ap: bigint) => (0x4000_0000n + BigInt(i) * 4096n) | PAGE | AF | (attr << 2n) | (ap << 6n);
  function tables(m: Machine, patch: Record<number, bigint> = {}) {
    const dv = new DataView(m.ram().buffer, m.ram().byteOffset);
    const w = (pa: number, v: bigint) => dv.setBigUint64(pa - 0x4000_0000, v, true);
    w(PT_L1, 0x1n | AF); // 1 GiB Device block at 0 (attr 0)
    w(PT_L1 + 8, BigInt(PT_L2) | 3n);
    w(PT_L2, BigInt(PT_L3) | 3n);
    for (let i = 0; i < 512; i++) w(PT_L3 + i * 8, page(i, 1n, 0n));
    for (const [i, d] of Object.entries(patch)) w(PT_L3 + Number(i) * 8, d);
  }
  const MMU_ON = `
    ldr x0, =0xff00            // attr0 Device nGnRnE, attr1 Normal WB
    msr mair_el1, x0
    ldr x0, =0x19              // T0SZ = 25, 4 KiB granule, EPD1
    orr x0, x0, #(1 << 23)
    msr tcr_el1, x0
    ldr x0, =${PT_L1}
    msr ttbr0_el1, x0
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1
    msr sctlr_el1, x0
    isb`;
  /** Runs `body` (MMU on) in both modes; also compares guest RAM 0x4014_0000..0x4018_0000. */
  function mmu(body: string, patch: Record<number, bigint>, budgets = [1, 7, 64, 999, 5_000_000]) {
    const r = both(`${SETUP}${MMU_ON}\n${body}\n.ltorg\n${VECTORS}`, budgets, (m) => tables(m, patch));
    const win = (m: Machine) => Buffer.from(m.ram().subarray(0x14_0000, 0x18_0000)).toString('hex');
    expect(win(r.jit) === win(r.interp), 'data pages differ').toBe(true);
    return r;
  }

  it('MMU on: Normal accesses (unaligned too), page crossings both mapped and into an unmapped page', () => {
    const { jit } = mmu(`
      ldr x9, =0x40152000
      mov x1, #0
    1: add x1, x1, #1
      str x1, [x9, #8]
      ldr x2, [x9, #8]
      str x1, [x9, #0x11]          // unaligned, Normal: fine
      ldr w3, [x9, #0x13]
      add x10, x9, #0xffc          // crosses into the next (mapped) page
      str x1, [x10]
      ldr x4, [x10]
      add x13, x9, #0xfff
      ldrh w5, [x13]
      sub x13, x13, #7
      stp x1, x2, [x13]
      ldp x6, x7, [x13]
      ldr x8, [x9, x1, lsl #3]
      str x8, [x9, x1, lsl #3]
      ldr x14, [x9, #0x1ff8]       // the next page itself (in the TLB, so crossing must not hit it)
      cmp x1, #200
      b.ne 1b
      ldr x10, =0x40153ffc         // the page after (0x40154000) is unmapped
      ldr x11, [x10]
      hlt #0`, { 0x153: 0x4017_0000n | PAGE | AF | (1n << 2n), 0x154: 0n }); // 0x153 -> PA 0x40170000
    expect(jitShare(jit)).toBeGreaterThan(0.5);
    expect(jit.x(4)).toBe(200n);
    expect(jit.x(20)).toBe(0x200n); // the crossing load faulted
    expect(jit.x(24)).toBe(0x4015_4000n); // FAR: the second page's first byte
    expect(jit.x(21) & 0x3fn).toBe(0x07n); // translation fault, level 3
  });

  it('MMU on: Device memory (aligned: the aligned comparator; unaligned: alignment fault) and a read-only page', () => {
    const body = (last: string) => `
      ldr x9, =0x40150000          // Device
      ldr x12, =0x40160000         // read-only at EL1
      mov x1, #0
    1: add x1, x1, #1
      str x1, [x9, #16]
      ldr x2, [x9, #16]
      ldr w3, [x9, #20]
      ldr x4, [x12, #8]
      add x5, x4, x2
      cmp x1, #100
      b.ne 1b
      ${last}
      hlt #0`;
    const patch = { 0x150: page(0x150, 0n, 0n), 0x160: page(0x160, 1n, 2n) };
    let r = mmu(body('ldr w6, [x9, #2]'), patch);
    expect(jitShare(r.jit)).toBeGreaterThan(0.5);
    expect(r.jit.x(2)).toBe(100n);
    expect(r.jit.x(21) & 0x3fn).toBe(0x21n); // alignment fault
    expect(r.jit.x(24)).toBe(0x4015_0002n);
    r = mmu(body('str x1, [x12, #8]'), patch);
    expect(r.jit.x(21) & 0x3fn).toBe(0x0fn); // permission fault, level 3
    expect((r.jit.x(21) >> 6n) & 1n).toBe(1n); // WnR
  });

  it('MMU on: SCTLR.A set by the guest sends unaligned accesses of translated code to the alignment fault', () => {
    const { jit } = mmu(`
      ldr x9, =0x40152000
      mov x1, #0
    1: add x1, x1, #1
      ldr x2, [x9, #8]
      add x2, x2, x1
      str x2, [x9, #8]
      ldr w3, [x9, #0x21]         // unaligned: fine while SCTLR.A is clear
      cmp x1, #150
      b.ne 1b
      cmp x1, #300
      b.eq 2f
      mrs x0, sctlr_el1
      orr x0, x0, #2              // SCTLR.A
      msr sctlr_el1, x0
      isb
      b 1b
    2: hlt #0`, {}, [1, 50, 999, 2000, 5_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.3);
    expect(jit.x(1)).toBe(151n); // the first unaligned load after SCTLR.A faults
    expect(jit.x(21) & 0x3fn).toBe(0x21n);
    expect(jit.x(24)).toBe(0x4015_2021n);
  });

  it('MMU on: stores to pages with translated code (fast-path comparators cleared) and TLB refills', () => {
    // the loop rewrites \`patchme\` (same page) every pass, alternating +1 and +2; every 16th pass
    // flushes the TLB so the code page's entry is also refilled while the page holds translated code
    const { jit } = mmu(`
      adr x1, patchme
      ldr w2, [x1]
      ldr w3, =0x910008a5          // add x5, x5, #2
      mov x4, #120
      mov x5, #0
    1: bl patchme
      tst x4, #1
      csel w6, w2, w3, eq
      str w6, [x1]
      tst x4, #15
      b.ne 2f
      tlbi vmalle1
      dsb sy
      isb
    2: subs x4, x4, #1
      b.ne 1b
      hlt #0
    patchme: add x5, x5, #1
      ret`, {}, [1, 13, 500, 5_000_000]);
    expect(jit.x(5)).toBe(1n + 60n * 1n + 59n * 2n); // first call the original, then alternating
    expect(jit.core.jitStat(3)).toBeGreaterThan(0); // pages were invalidated by guest stores
  });

  it('MMU on: EL0 translated code uses the EL0 comparators (EL1-only page faults, EL0 page works)', () => {
    // code pages RO at both ELs (executable at EL0 and EL1), 0x161 RW at both, 0x160 RW at EL1 only
    const patch: Record<number, bigint> = { 0x160: page(0x160, 1n, 0n), 0x161: page(0x161, 1n, 1n) };
    for (let i = 0; i < 16; i++) patch[i] = page(i, 1n, 3n);
    const { jit } = mmu(`
      ldr x9, =0x40161000
      ldr x12, =0x40160000
      str x12, [x9]                // EL1 may use the EL0 page
      ldr x13, [x12]               // the EL1-only page is in the TLB from here on
      adr x0, el0
      msr elr_el1, x0
      msr spsr_el1, xzr
      eret
    el0:
      mov x1, #0
    1: add x1, x1, #1
      ldr x2, [x9, #8]
      add x2, x2, x1
      str x2, [x9, #8]
      cmp x1, #200
      b.ne 1b
      ldr x3, [x12]                // EL1-only: permission fault from EL0
      hlt #0`, patch);
    expect(jitShare(jit)).toBeGreaterThan(0.5);
    expect(jit.x(20)).toBe(0x400n); // synchronous, lower EL
    expect(jit.x(21) & 0x3fn).toBe(0x0fn);
    expect(jit.x(2)).toBe(200n * 201n / 2n);
  });

  it('W-form UDIV/SDIV (32-bit divides): by zero, INT_MIN / -1, upper halves ignored, signs', () => {
    const { jit } = both(`
      ldr x1, =0xffffffff80000000   // W: INT_MIN, upper half set
      ldr x2, =0x12345678ffffffff   // W: -1 / 0xffffffff
      ldr x3, =0xabcdef0000000007   // W: 7
      mov x4, #0
      mov x9, #50
    1: udiv w10, w1, w3
      sdiv w11, w1, w3
      sdiv w12, w1, w2              // INT_MIN / -1 = INT_MIN
      udiv w13, w2, w3
      udiv w14, w1, w4              // by zero: 0
      sdiv w15, w2, w4
      sdiv w16, w3, w2              // 7 / -1
      udiv x17, x2, x3
      sdiv x18, x1, x2
      add x4, x4, x10
      add x4, x4, x11
      add x4, x4, x12
      add x4, x4, x13
      eor x4, x4, x16
      add x1, x1, #3
      sub x3, x3, #1
      subs x9, x9, #1
      b.ne 1b
      hlt #0
      .ltorg`);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
    expect(jit.x(12)).toBe(0x7fff_ff6dn); // the last pass: -(INT_MIN + 147) (the first pass, INT_MIN / -1, went into x4)
  });

  // Native FP code keeps the D registers in wasm locals within a block and tests the FP
  // conditions (CPACR.FPEN, FPCR, FPSR.IXC) once at block entry. V registers start with nonzero
  // top halves, so every D write must clear bits 127:64 (seen by Q stores, also after a vector
  // instruction wrote them again); interpreted FP instructions read what native ones wrote and
  // the other way round; a D load, a Q load; a load faults in the last iteration in the middle
  // of the block (the D registers written before it must reach the core).
  const VPAT = `
      .balign 16
    vpat: .quad 0x3ff0000000000000, 0x1111222233334444
      .quad 0x4000000000000000, 0x5555666677778888
      .quad 0x3fe0000000000000, 0x9999aaaabbbbcccc
      .quad 0x4008000000000000, 0xddddeeeeffff0001
      .quad 0, 0x0123456789abcdef`;
  const VINIT = `
      adr x8, vpat
      ldp q2, q3, [x8]
      ldp q4, q5, [x8, #32]
      ldr q1, [x8, #64]
      mov v6.16b, v3.16b
      mov v7.16b, v5.16b
      mov v8.16b, v2.16b
      mov v9.16b, v4.16b
      mov v10.16b, v5.16b
      mov v11.16b, v3.16b
      mov v12.16b, v2.16b
      mov v13.16b, v4.16b
      mov v14.16b, v3.16b`;
  it('D registers in locals: native and interpreted FP mixed, Q stores see zeroed top halves, a fault', () => {
    const src = `
      ${SETUP}
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      ldr x9, =${DATA}
      mov x11, #0x100000000     // external abort
      mov x1, #300
      ${VINIT}
    1: fadd d2, d2, d4          // exact: while IXC is clear the interpreter runs these
      fmul d3, d2, d4
      fsqrt d6, d3              // interpreted: reads d3 as written natively, sets IXC
      fadd d5, d6, d2           // native from here on: reads the interpreter's d6
      str q5, [x9, #16]         // top half 0
      ucvtf d7, x1
      fdiv d8, d5, d7
      fadd d0, d0, d4
      fcmp s3, s2               // interpreted (single): bits 4:0 name no register (d0)
      fccmp s3, s2, #8, ne      // nor here (d8)
      fadd d0, d0, d8
      cmp x1, #1
      csel x10, x11, x9, eq
      ldr x12, [x9, #8]
      ldr d8, [x10, #8]         // faults in the last iteration: d8 keeps FDIV's value
      fcmp d8, d3
      fcsel d9, d8, d3, gt
      fmadd d10, d9, d4, d2     // interpreted (FP_3src)
      fsub d11, d9, d4          // native: top half 0
      add v11.2d, v11.2d, v1.2d // interpreted vector op: a nonzero top half again
      fadd d11, d11, d9         // native: clears it again
      fmov x13, d11
      str q11, [x9, #32]
      stp d8, d9, [x9, #48]
      ldr d12, [x9, #48]
      fadd d13, d12, d13
      ldr q14, [x8, #16]        // a Q load: both halves
      str q14, [x9, #64]
      fsub d14, d14, d4
      stp q13, q10, [x9, #80]
      fmov d15, x13
      fmul d15, d15, d4
      str q15, [x9, #112]
      subs x1, x1, #1
      b.ne 1b
      hlt #0
      .ltorg
      ${VPAT}
      ${VECTORS}`;
    const { jit } = both(src, [1, 5, 77, 333, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.8);
    expect(jit.x(20)).toBe(0x200n); // the fault was taken
    expect(jit.x(1)).toBe(1n);
    const word = (off: number) => Buffer.from(jit.ram().subarray(DATA - 0x4000_0000 + off, DATA - 0x4000_0000 + off + 8)).readBigUInt64LE();
    for (const off of [24, 40, 120]) expect(word(off), `top half at ${off}`).toBe(0n);
    expect(word(72)).toBe(0x5555666677778888n); // the Q load's top half
    expect(jit.core.getV(11, 1)).toBe(0n);
    expect(jit.core.getFPSR() & 0x10).toBe(0x10); // IXC
  });

  // FPSR and FPCR around native FP code: every iteration clears FPSR (MSR ends the block, so the
  // next one starts with IXC clear: interpreted until an interpreted instruction sets IXC, native
  // after) and sets a rounding mode and FZ from the counter (native arithmetic only with RN,
  // native compares only without FZ); interpreted instructions raise DZC, IOC, OFC, UFC in the
  // middle of native ones.
  it('FPSR flags and FPCR modes with native FP in the block, IXC set in the middle', () => {
    const src = `
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      ldr x9, =${DATA}
      mov x1, #64
      ${VINIT}
      fmov d12, xzr
      ldr d13, vtiny
      ldr d14, vhuge
    1: and x3, x1, #7
      lsl x3, x3, #22           // RMode (bits 23:22) and FZ (bit 24)
      msr fpsr, xzr
      msr fpcr, x3
      fadd d2, d2, d4           // exact
      fmul d3, d2, d4           // exact
      fdiv d6, d4, d5           // 0.5 / 3: inexact, sets IXC
      fmul d7, d6, d6
      fadd d15, d7, d6
      fdiv d8, d7, d12          // divide by zero: DZC
      fadd d9, d7, d8           // an infinite operand
      fsub d10, d8, d8          // inf - inf: IOC, default NaN
      fcmp d10, d2              // unordered
      fcsel d11, d10, d2, vs
      fcmp d13, d12             // a denormal: IDC with FZ
      cset x4, eq
      orr x6, x1, #0x7ff8000000000000
      fmov d21, x6              // a quiet NaN, written natively
      fcmpe d2, d21             // IOC (the interpreter reads d21)
      cinc x4, x4, vs
      fmov d22, x1              // a denormal, written natively
      fcmp d22, d12             // IDC with FZ
      cinc x4, x4, eq
      fmul d16, d14, d14        // overflow: OFC
      fmul d17, d13, d4         // underflow (or flushed with FZ)
      fadd d18, d7, d15
      fsub d19, d18, d6
      fdiv d20, d19, d5
      mrs x2, fpsr
      add x5, x9, x1, lsl #4
      stp x2, x4, [x5]
      subs x1, x1, #1
      b.ne 1b
      msr fpcr, xzr
      hlt #0
      .balign 8
    vtiny: .quad 0x0000000000000003
    vhuge: .quad 0x7fe0000000000001
      .ltorg
      ${VPAT}`;
    const { jit } = both(src, [1, 9, 200, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.5);
    const word = (off: number) => Buffer.from(jit.ram().subarray(DATA - 0x4000_0000 + off, DATA - 0x4000_0000 + off + 8)).readBigUInt64LE();
    expect(word(16 * 8)).toBe(0x1fn); // x1 = 8: RN, no FZ: IOC DZC OFC UFC IXC
    expect(word(16 * 12) & 0x80n).toBe(0x80n); // x1 = 12: FZ: IDC
  });

  // SIMD&FP disabled (CPACR_EL1.FPEN = 0) at the start of blocks whose first SIMD&FP instruction
  // is each native form in turn: the trap is taken there (precise: the integer work before it
  // done, nothing after it), the handler enables SIMD&FP and returns, and the block is entered
  // again at the trapping instruction, now with SIMD&FP on.
  it('FP disabled: the trap at each native FP form, then the same block with FP on', () => {
    const forms = ['fmul d2, d2, d4', 'fadd d3, d3, d4', 'fcmp d2, d3', 'fcsel d5, d2, d3, gt', 'ucvtf d6, x1',
      'scvtf d7, w1', 'fmov d8, x1', 'fmov x6, d2', 'str q2, [x9, #16]', 'ldr d9, [x9, #16]', 'fsqrt d10, d2'];
    const seq = forms.map((f) => `
      msr cpacr_el1, xzr        // SIMD&FP off (ends the block)
      add x2, x2, #1
      ${f}
      fadd d11, d11, d4
      fmul d12, d11, d4
      str q12, [x9, #32]`).join('');
    const src = `
      adr x0, tvec
      msr vbar_el1, x0
      mov x0, #(3 << 20)
      msr cpacr_el1, x0
      ldr x9, =${DATA}
      mov x1, #20
      ${VINIT}
      fdiv d0, d4, d5           // IXC
    1: ${seq}
      subs x1, x1, #1
      b.ne 1b
      hlt #0
      .ltorg
      ${VPAT}
      .balign 0x800
    tvec: .fill 0x80, 4, 0xd4400000 // hlt #0
      add x26, x26, #1          // 0x200: synchronous, current EL: count, SIMD&FP on, return
      mrs x25, esr_el1
      mov x27, #(3 << 20)
      msr cpacr_el1, x27
      eret
      .fill 0x17b, 4, 0xd4400000`;
    const { jit } = both(src, [1, 13, 500, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.3);
    expect(jit.x(26)).toBe(BigInt(20 * forms.length));
    expect(jit.x(25) >> 26n).toBe(0x07n); // EC: SIMD&FP access trapped
    expect(jit.x(2)).toBe(BigInt(20 * forms.length));
  });
  // FCSEL right after FCMP/FCMPE tests the comparison's operands directly (FZ clear): every
  // condition on less, equal, greater, unordered (quiet and signalling NaN), +0/-0 and denormal
  // operands, with FZ clear and set (then the flushed operands decide, from NZCV).
  it('FCSEL right after FCMP: every condition, unordered operands, FZ', () => {
    const conds = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];
    const body = conds.map((cc, i) => `
      fcmp${i & 1 ? 'e' : ''} d0, d1
      fcsel d2, d3, d4, ${cc}
      fcmp d1, #0.0
      fcsel d5, d3, d4, ${cc}
      stp d2, d5, [x9, #${16 * i}]`).join('');
    const src = `
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      adr x8, pairs
      fmov d3, #1.0
      fmov d4, #2.0
      mov x1, #0
    1: ldr x9, =${DATA}
      add x9, x9, x1, lsl #8
      add x10, x8, x1, lsl #4
      ldp d0, d1, [x10]
      lsr x2, x1, #3
      lsl x2, x2, #24           // FZ in the second half
      msr fpcr, x2
      ${body}
      mrs x3, fpsr
      eor x21, x3, x21, ror #7
      add x1, x1, #1
      cmp x1, #16
      b.ne 1b
      msr fpcr, xzr
      hlt #0
      .balign 16
    pairs: .quad 0x3ff0000000000000, 0x4000000000000000   // 1 < 2
      .quad 0x4000000000000000, 0x3ff0000000000000        // 2 > 1
      .quad 0x4000000000000000, 0x4000000000000000        // equal
      .quad 0x0000000000000000, 0x8000000000000000        // +0 == -0
      .quad 0x7ff8000000000000, 0x3ff0000000000000        // quiet NaN
      .quad 0x3ff0000000000000, 0x7ff0000000000001        // signalling NaN
      .quad 0x0000000000000001, 0x0000000000000000        // denormal > 0 (== 0 with FZ)
      .quad 0xfff0000000000000, 0x8000000000000003        // -inf < -denormal
      .quad 0x3ff0000000000000, 0x4000000000000000
      .quad 0x4000000000000000, 0x3ff0000000000000
      .quad 0x4000000000000000, 0x4000000000000000
      .quad 0x0000000000000000, 0x8000000000000000
      .quad 0x7ff8000000000000, 0x3ff0000000000000
      .quad 0x3ff0000000000000, 0x7ff0000000000001
      .quad 0x0000000000000001, 0x0000000000000000
      .quad 0xfff0000000000000, 0x8000000000000003
      .ltorg`;
    const { jit } = both(src, [1, 50, 700, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.5);
    const word = (off: number) => Buffer.from(jit.ram().subarray(DATA - 0x4000_0000 + off, DATA - 0x4000_0000 + off + 8)).readBigUInt64LE();
    const one = 0x3ff0000000000000n, two = 0x4000000000000000n;
    // quiet NaN vs 1 (row 4): unordered, NZCV 0011
    expect([8, 10, 11, 12, 13].map((i) => word(4 * 256 + 16 * i))).toEqual([one, two, one, two, one]); // HI GE LT GT LE
    // a denormal vs 0 (row 6: greater) and the same with FZ (row 14: equal)
    expect([0, 12].map((i) => word(6 * 256 + 16 * i))).toEqual([two, one]);
    expect([0, 12].map((i) => word(14 * 256 + 16 * i))).toEqual([one, two]);
  });
  // FMUL/FDIV/FADD/FSUB run natively when the f64 result shows no flag but IXC can be raised
  // (IXC already set, RN, FZ clear): operands on every side of that domain, denormal operands
  // with normal results, results at the smallest normal (tiny before rounding: UFC), just above
  // it, near overflow, exact zeros of both signs, infinities, NaNs, with FZ clear and set and in
  // each rounding mode.
  it('FMUL/FDIV/FADD/FSUB on the edges of the native domain, FZ and rounding modes', () => {
    const vals = ['0x0000000000000001', '0x000fffffffffffff', '0x0010000000000000', '0x0010000000000001',
      '0x3ff0000000000000', '0xbff0000000000001', '0x3fe0000000000001', '0x4330000000000001', '0x7fefffffffffffff',
      '0x7fe0000000000000', '0x0000000000000000', '0x8000000000000000', '0x7ff0000000000000', '0xfff0000000000000',
      '0x7ff8000000000000', '0x7ff0000000000001', '0x3ca0000000000000', '0x4340000000000000'];
    const ops = ['fmul', 'fdiv', 'fadd', 'fsub'];
    const body = ops.map((op, i) => `
      ${op} d${4 + i}, d0, d1
      ${op} d${8 + i}, d1, d0
      ${op} d${12 + i}, d0, d2
      ${op} d${16 + i}, d2, d1`).join('');
    const src = `
      mov x0, #(3 << 20)
      msr cpacr_el1, x0         // FP/SIMD on
      ldr x9, =${DATA}
      adr x8, vals
      fmov d2, #0.5
      mov x1, #0
    1: lsr x2, x1, #5           // FPCR: FZ and RMode from the pass
      and x2, x2, #7
      lsl x2, x2, #22
      msr fpcr, x2
      msr fpsr, xzr
      fmov d3, #3.0
      fdiv d3, d2, d3           // IXC set
      and x3, x1, #31
      and x4, x1, #7
      add x3, x3, x4            // the second operand: a nearby value
      cmp x3, #${vals.length}
      csel x3, x3, xzr, lo
      and x5, x1, #31
      cmp x5, #${vals.length}
      csel x5, x5, xzr, lo
      ldr d0, [x8, x5, lsl #3]
      ldr d1, [x8, x3, lsl #3]
      ${body}
      fmov x7, d4
      eor x21, x7, x21, ror #3
      fmov x7, d5
      eor x21, x7, x21, ror #3
      fmov x7, d6
      eor x21, x7, x21, ror #3
      fmov x7, d7
      eor x21, x7, x21, ror #3
      fmov x7, d8
      eor x21, x7, x21, ror #3
      fmov x7, d9
      eor x21, x7, x21, ror #3
      fmov x7, d10
      eor x21, x7, x21, ror #3
      fmov x7, d11
      eor x21, x7, x21, ror #3
      fmov x7, d12
      eor x21, x7, x21, ror #3
      fmov x7, d13
      eor x21, x7, x21, ror #3
      fmov x7, d14
      eor x21, x7, x21, ror #3
      fmov x7, d15
      eor x21, x7, x21, ror #3
      fmov x7, d16
      eor x21, x7, x21, ror #3
      fmov x7, d17
      eor x21, x7, x21, ror #3
      fmov x7, d18
      eor x21, x7, x21, ror #3
      fmov x7, d19
      eor x21, x7, x21, ror #3
      mrs x6, fpsr
      eor x20, x6, x20, ror #5
      stp d4, d5, [x9]
      stp d6, d7, [x9, #16]
      stp d8, d9, [x9, #32]
      stp d10, d11, [x9, #48]
      stp d12, d13, [x9, #64]
      stp d14, d15, [x9, #80]
      stp d16, d17, [x9, #96]
      stp d18, d19, [x9, #112]
      str x6, [x9, #128]
      add x9, x9, #136
      add x1, x1, #1
      cmp x1, #256
      b.ne 1b
      msr fpcr, xzr
      hlt #0
      .balign 8
    vals: ${vals.map((v) => `.quad ${v}`).join('\n      ')}
      .ltorg`;
    const { jit } = both(src, [1, 100, 1500, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.5);
    // spot checks against the architecture, not only the interpreter: pass 0 (RN, FZ clear) has
    // d0 = d1 = the smallest denormal: d0 * d1 underflows to 0 (UFC, IXC); d0 / d1 = 1
    const word = (off: number) => Buffer.from(jit.ram().subarray(DATA - 0x4000_0000 + off, DATA - 0x4000_0000 + off + 8)).readBigUInt64LE();
    expect(word(0)).toBe(0n);
    expect(word(8)).toBe(0x3ff0000000000000n);
    expect(word(128) & 0x18n).toBe(0x18n);
  });
  it('ADC/ADCS/SBC/SBCS and UMULH/SMULH translated natively: carries from pending and settled flags, edge values', () => {
    // a 64-bit LCG drives the operands; every result and the NZCV after each flag-setting form
    // (read with MRS and through conditions) are folded into x20..x27. The carry in comes from
    // a pending CMP/ADDS (lazy flags), from a previous ADCS/SBCS and from a settled state.
    const src = `
      ldr x0, =0x9e3779b97f4a7c15
      ldr x1, =0xffffffffffffffff
      ldr x2, =0x8000000000000000
      mov x3, #1
      mov x4, #600
      mov x20, #0
      mov x21, #0
      mov x22, #0
      mov x23, #0
    1: ldr x9, =6364136223846793005
      madd x0, x0, x9, x3
      eor x5, x0, x0, lsr #17
      ror x6, x0, #29
      cmp x5, x6
      adc x7, x5, x6
      adcs x8, x5, x1
      mrs x10, nzcv
      adcs w11, w5, w6
      cset x12, cs
      sbc x13, x6, x5
      sbcs x14, x5, x2
      mrs x15, nzcv
      adds x16, x6, x2
      sbcs w17, w6, w5
      cset x18, lt
      adc w19, w1, w3
      umulh x24, x0, x5
      smulh x25, x0, x6
      umulh x26, x1, x1
      smulh x27, x2, x2
      smulh x28, x2, x1
      eor x20, x20, x7
      eor x20, x20, x8, ror #7
      eor x21, x21, x10
      add x21, x21, x11
      eor x21, x21, x12, lsl #3
      eor x22, x22, x13
      add x22, x22, x14
      eor x22, x22, x15, lsr #20
      add x23, x23, x17
      eor x23, x23, x18
      add x23, x23, x19
      eor x23, x23, x24
      add x23, x23, x25
      eor x23, x23, x26
      add x23, x23, x27
      eor x23, x23, x28
      subs x4, x4, #1
      b.ne 1b
      hlt #0
      .ltorg`;
    const { interp, jit } = both(src, [1, 97, 5000, 1_000_000]);
    expect(jitShare(jit)).toBeGreaterThan(0.9);
    expect(interp.x(26)).toBe(0xffff_ffff_ffff_fffen); // umulh(2^64 - 1, 2^64 - 1)
    expect(interp.x(27)).toBe(0x4000_0000_0000_0000n); // smulh(-2^63, -2^63) = 2^62
    expect(interp.x(28)).toBe(0n); // smulh(-2^63, -1) = 2^63: high half 0
  });
});

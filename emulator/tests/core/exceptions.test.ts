// Exceptions: syndromes, return addresses, SPSR, vectors and SP banking,
// against the values the Arm ARM prescribes (and QEMU reports).
import { describe, it, expect } from 'vitest';
import { runAsm, Stop, RAM, hex, VECTORS, SETUP } from './harness';


describe('synchronous exceptions at EL1', () => {
  it('SVC: vector +0x200, EC 0x15 with imm16, ELR = next instruction', () => {
    const { m, stop } = runAsm(`${SETUP}
      svc_at: svc #0x1234
      hlt #1
      ${VECTORS}`);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex(0x56001234n));
    expect(m.x(22)).toBe(RAM + 16n);
    expect(m.x(23)).toBe(0x3c5n); // EL1h, DAIF masked as at reset
  });

  it('BRK: EC 0x3c, ELR = the BRK itself', () => {
    const { m } = runAsm(`${SETUP}
      brk #7
      ${VECTORS}`);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex(0xf2000007n));
    expect(m.x(22)).toBe(RAM + 12n);
  });

  it('undefined encoding: EC 0, IL 1, ELR = insn, host told the encoding', () => {
    const { m } = runAsm(`${SETUP}
      udf #0x42
      ${VECTORS}`);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex(0x02000000n));
    expect(m.x(22)).toBe(RAM + 12n);
    expect(m.undefs).toEqual([{ pc: RAM + 12n, insn: 0x42 }]);
    expect(m.core.lastUndefined()).toBe(0x42);
  });

  it('SP_EL0 selected (EL1t): vector +0x000', () => {
    const { m } = runAsm(`${SETUP}
      msr spsel, #0
      svc #1
      ${VECTORS}`);
    expect(m.x(20)).toBe(0x000n);
    expect(m.x(23)).toBe(0x3c4n);
  });

  it('MMU off: unaligned LDR is an alignment fault (Device-nGnRnE), FAR = address', () => {
    const { m } = runAsm(`${SETUP}
      ldr x1, =0x40100001
      ldr x2, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x21n));
    expect(m.x(24)).toBe(0x40100001n);
  });

  it('a physical address beyond the 32-bit bus and RAM: synchronous external abort', () => {
    const { m } = runAsm(`${SETUP}
      ldr x1, =0x100000000
      ldr x2, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`);
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x10n));
    expect(m.x(24)).toBe(0x100000000n);
  });

  it('store to unaligned address: WnR set', () => {
    const { m } = runAsm(`${SETUP}
      ldr x1, =0x40100002
      str w2, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`);
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | (1n << 6n) | 0x21n));
  });

  it('exclusive pair misaligned faults; exclusive monitor success and failure', () => {
    const { m } = runAsm(`${SETUP}
      ldr x1, =0x40100000
      mov x2, #5
      str x2, [x1]
      ldxr x3, [x1]
      add x3, x3, #1
      stxr w4, x3, [x1]       // succeeds: w4 = 0
      stxr w5, x3, [x1]       // monitor cleared: w5 = 1
      ldxr x6, [x1]
      clrex
      stxr w7, x6, [x1]       // cleared by CLREX: w7 = 1
      ldr x8, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`);
    expect([m.x(3), m.x(4), m.x(5), m.x(7), m.x(8)]).toEqual([6n, 0n, 1n, 1n, 6n]);
  });

  it('HLT is undefined unless trapped by the host', () => {
    const { m } = runAsm(`${SETUP}
      hlt #3
      ${VECTORS}`, { setup: (mm) => mm.core.setHostTraps(0) });
    // first HLT is UNDEFINED in the guest; the vector's own HLT is also UNDEFINED, so
    // the guest loops through the vector: stop on the budget and check the first syndrome
    expect(m.undefs[0].insn).toBe(0xd4400060);
  });
});

describe('EL0 and ERET', () => {
  const EL0 = `${SETUP}
      ldr x0, =0x40200000
      msr sp_el0, x0
      mov x1, #0x40300000
      mov sp, x1
      adr x0, user
      msr elr_el1, x0
      mov x0, #0              // EL0t, interrupts unmasked
      msr spsr_el1, x0
      eret
    user:
      mov x5, sp              // SP_EL0 at EL0
      mrs x6, tpidr_el0
      svc #9
      .ltorg
      ${VECTORS}`;

  it('ERET to EL0, SVC from EL0 uses the lower-EL vector and keeps SP banked', () => {
    const { m } = runAsm(EL0);
    expect(m.x(5)).toBe(0x40200000n);
    expect(m.x(20)).toBe(0x400n);
    expect(hex(m.x(21))).toBe(hex(0x56000009n));
    expect(m.x(23)).toBe(0n); // SPSR: EL0t, flags clear
    expect(m.core.getCurrentEL()).toBe(1);
    expect(m.core.getSP(1)).toBe(0x40300000n);
  });

  it('EL1 system register from EL0 is UNDEFINED (EC 0) with the EL0 vector', () => {
    const { m } = runAsm(EL0.replace('mrs x6, tpidr_el0', 'mrs x6, sctlr_el1'));
    expect(m.x(20)).toBe(0x400n);
    expect(hex(m.x(21))).toBe(hex(0x02000000n));
  });

  it('ERET from EL0 is UNDEFINED', () => {
    const { m } = runAsm(EL0.replace('mrs x6, tpidr_el0', 'eret'));
    expect(m.x(20)).toBe(0x400n);
    expect(m.x(21) >> 26n).toBe(0n);
  });

  it('WFI at EL0 traps (EC 0x01) while SCTLR.nTWI is clear', () => {
    const { m } = runAsm(EL0.replace('mrs x6, tpidr_el0', 'wfi'), {
      setup: (mm) => mm.setSysreg('SCTLR_EL1', 0x00c50838n & ~(1n << 16n)),
    });
    expect(m.x(20)).toBe(0x400n);
    expect(hex(m.x(21))).toBe(hex((1n << 26n) | (1n << 25n) | 0x1e00000n));
  });
});

describe('FP access trap', () => {
  it('CPACR_EL1.FPEN = 0 traps FMOV with EC 0x07', () => {
    const { m } = runAsm(`${SETUP}
      msr cpacr_el1, xzr
      fmov d0, x1
      ${VECTORS}`);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((7n << 26n) | (1n << 25n) | 0x1e00000n));
  });
});

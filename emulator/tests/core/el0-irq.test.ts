// EL0 permission checks, IRQs taken from EL0, GIC priority masking, and the
// host-facing accessors' failure paths.
import { describe, it, expect } from 'vitest';
import { runAsm, makeMachine, assemble, Stop, RAM, hex, VECTORS } from './harness';


// identity map of the first 2 MiB of RAM with 4 KiB pages: page 0x100 is EL1-only,
// every other page EL0 RW (and so never EL1-executable); code pages are EL1 RO + EL0 RO/X.
const L1 = 0x4010_0000, L2 = 0x4010_1000, L3 = 0x4010_2000;
function tables(m: ReturnType<typeof makeMachine>) {
  const dv = new DataView(m.ram().buffer, m.ram().byteOffset);
  const w = (pa: number, v: bigint) => dv.setBigUint64(pa - 0x4000_0000, v, true);
  const AF = 1n << 10n;
  w(L1 + 8, BigInt(L2) | 3n);
  w(L1 + 0, 0n | 1n | AF);            // 0..1 GiB: device block (GIC lives here)
  w(L2 + 0, BigInt(L3) | 3n);
  for (let i = 0; i < 512; i++) {
    const pa = 0x4000_0000n + BigInt(i) * 4096n;
    let d = pa | 3n | AF | (1n << 2n);
    if (i < 0x10) d |= 3n << 6n;       // code: RO at EL1 and EL0
    else if (i === 0x100) d |= 0n << 6n; // EL1 RW only
    else d |= (1n << 6n) | (1n << 54n); // EL0 RW, UXN
    w(L3 + i * 8, d);
  }
}

const TO_EL0 = (userBody: string) => `
  adr x0, vectors
  msr vbar_el1, x0
  ldr x0, =0xff00
  msr mair_el1, x0
  ldr x0, =(25 | (1 << 23))
  msr tcr_el1, x0
  ldr x0, =${L1}
  msr ttbr0_el1, x0
  mrs x0, sctlr_el1
  orr x0, x0, #1
  msr sctlr_el1, x0
  isb
  ldr x0, =0x40180000
  msr sp_el0, x0
  adr x0, user
  msr elr_el1, x0
  msr spsr_el1, xzr
  eret
  .balign 64
user:
  ${userBody}
  svc #0
  .ltorg
  ${VECTORS}`;

describe('EL0 permission checks', () => {
  it('EL0 read of an EL1-only page: data abort from a lower EL, permission fault level 3', () => {
    const { m } = runAsm(TO_EL0('ldr x1, =0x40100008\nldr x2, [x1]'), { setup: tables });
    expect(m.x(20)).toBe(0x400n);
    expect(hex(m.x(21))).toBe(hex((0x24n << 26n) | (1n << 25n) | 0x0fn));
    expect(m.x(24)).toBe(0x40100008n);
  });

  it('EL0 can use its own pages; LDTR at EL1 is checked as EL0', () => {
    const { m } = runAsm(TO_EL0('ldr x1, =0x40110000\nmov x2, #9\nstr x2, [x1]\nldr x3, [x1]'), { setup: tables });
    expect(m.x(20)).toBe(0x400n);
    expect(hex(m.x(21))).toBe(hex(0x56000000n));
    expect(m.x(3)).toBe(9n);

    const r = runAsm(`adr x0, vectors\nmsr vbar_el1, x0\nldr x0, =0xff00\nmsr mair_el1, x0\nldr x0, =(25 | (1 << 23))\nmsr tcr_el1, x0
      ldr x0, =${L1}\nmsr ttbr0_el1, x0\nmrs x0, sctlr_el1\norr x0, x0, #1\nmsr sctlr_el1, x0\nisb
      ldr x1, =0x40100000
      ldr x2, [x1]            // EL1 may
      ldtr x3, [x1]           // EL0 may not
      hlt #1
      .ltorg
      ${VECTORS}`, { setup: tables });
    expect(r.m.x(20)).toBe(0x200n);
    expect(hex(r.m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x0fn));
  });

  it('EL1 cannot execute EL0-writable memory (implicit PXN): instruction abort, permission', () => {
    const { m } = runAsm(TO_EL0('nop').replace('eret', 'ldr x1, =0x40110000\nbr x1'), {
      setup: (mm) => { tables(mm); mm.ram().set([0x1f, 0x20, 0x03, 0xd5], 0x110000); },
    });
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x21n << 26n) | (1n << 25n) | 0x0fn));
  });
});

describe('IRQ from EL0 and GIC masking', () => {
  const GIC = `
    ldr x1, =0x08000000
    ldr x2, =0x08010000
    mov w0, #1
    str w0, [x1]
    mov w0, #(1 << 2)         // SPI 34
    str w0, [x1, #0x104]
    mov w0, #0x80
    strb w0, [x1, #0x422]     // priority of SPI 34 = 0x80
    mov w0, #0x80
    str w0, [x2, #4]          // PMR = 0x80: masks priority 0x80
    mov w0, #1
    str w0, [x2]
  `;
  it('PMR masks an interrupt of equal priority; raising PMR delivers it at once', () => {
    const src = `adr x0, vectors\nmsr vbar_el1, x0\n${GIC}
      msr daifclr, #2
      mov x5, #1000
    1: subs x5, x5, #1
      b.ne 1b
      mov x6, #1             // reached: not delivered while PMR = 0x80
      mov w0, #0x81
      str w0, [x2, #4]
      isb
      mov x7, #1
      hlt #1
      .ltorg
      ${VECTORS}`;
    const { m, stop } = runAsm(src, { setup: (mm) => mm.core.setIrqLine(34, 1) });
    expect(stop).toBe(Stop.Trap);
    expect(m.x(6)).toBe(1n);
    expect(m.x(20)).toBe(0x280n);          // IRQ, current EL with SP_ELx
    expect(m.x(7)).toBe(0n);               // taken right after the PMR write
    expect(m.x(22) > RAM).toBe(true);
  });

  it('IRQ while at EL0 goes to VBAR + 0x480 with SPSR = EL0t', () => {
    const { m } = runAsm(TO_EL0('1: b 1b').replace('adr x0, vectors\n  msr vbar_el1, x0', `adr x0, vectors\nmsr vbar_el1, x0\n${GIC}\nmov w0, #0xff\nstr w0, [x2, #4]`), {
      setup: (mm) => { tables(mm); mm.core.setIrqLine(34, 1); },
    });
    expect(m.x(20)).toBe(0x480n);
    expect(m.x(23)).toBe(0n);
  });
});

describe('host accessors', () => {
  it('setPSTATE refuses modes the core does not have and changes nothing', () => {
    const m = makeMachine();
    const before = m.core.getPSTATE();
    expect(m.core.setPSTATE(0x3c9)).toBe(0); // EL2h
    expect(m.core.setPSTATE(0x3d0)).toBe(0); // AArch32
    expect(m.core.getPSTATE()).toBe(before);
    expect(m.core.setPSTATE(0x3c0)).toBe(1);
    expect(m.core.getCurrentEL()).toBe(0);
  });

  it('getSysreg of an unknown register says so; known ones round-trip', () => {
    const m = makeMachine();
    m.core.getSysreg(3, 0, 15, 15, 7);
    expect(m.core.sysregOK()).toBe(0);
    m.setSysreg('TTBR0_EL1', 0x1234000n);
    expect(m.core.sysregOK()).toBe(1);
    expect(m.sysreg('TTBR0_EL1')).toBe(0x1234000n);
    expect(m.sysreg('MIDR_EL1')).toBe(0x410fd083n);
  });

  it('an unknown system register in the guest is UNDEFINED and reported', () => {
    const { m } = runAsm(`adr x0, vectors\nmsr vbar_el1, x0\nmrs x1, s3_0_c15_c15_7\n${VECTORS}`);
    expect(m.x(20)).toBe(0x200n);
    expect(m.x(21)).toBe(0x02000000n);
    expect(m.undefs.length).toBe(1);
  });

  it('init rejects a RAM size that is not a multiple of 64 KiB', () => {
    const m = makeMachine();
    expect(() => m.core.init(12345)).toThrow();
  });

  it('virtual counter follows executed instructions', () => {
    const m = makeMachine();
    m.load(assemble('mrs x1, cntvct_el0\nnop\nnop\nnop\nmrs x2, cntvct_el0\nhlt #0'));
    m.core.setPC(RAM);
    m.run();
    expect(m.x(2) - m.x(1)).toBe(4n);
  });
});

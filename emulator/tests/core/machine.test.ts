// MMU, GIC + generic timer, PSCI and WFI behaviour of the core.
import { describe, it, expect } from 'vitest';
import { runAsm, Stop, RAM, hex, type Machine, VECTORS, SETUP } from './harness';


// Page tables built by the host: TTBR0 at RAM+0x100000, 39-bit VA (start at level 1).
// L1[1] -> L2 table; L2[0] (0x4000_0000..0x401f_ffff) -> L3 table with 4 KiB pages;
// L2[1] = 2 MiB block at 0x4020_0000 (RW EL1 only) ; L1[0] = 1 GiB device block at 0.
const L1 = 0x4010_0000, L2 = 0x4010_1000, L3 = 0x4010_2000;
const AF = 1n << 10n, PAGE = 3n, TABLE = 3n, BLOCK = 1n;
function buildTables(m: Machine, patch: (l3: (i: number, d: bigint) => void) => void = () => {}) {
  const dv = new DataView(m.ram().buffer, m.ram().byteOffset);
  const w = (pa: number, v: bigint) => dv.setBigUint64(pa - 0x4000_0000, v, true);
  w(L1 + 0 * 8, 0x0n | BLOCK | AF | (0n << 2n));       // device, attr 0
  w(L1 + 1 * 8, BigInt(L2) | TABLE);
  w(L2 + 0 * 8, BigInt(L3) | TABLE);
  w(L2 + 1 * 8, 0x4020_0000n | BLOCK | AF | (1n << 2n));
  for (let i = 0; i < 512; i++) w(L3 + i * 8, (0x4000_0000n + BigInt(i) * 4096n) | PAGE | AF | (1n << 2n));
  patch((i, d) => w(L3 + i * 8, d));
}
const MMU_ON = `
  ldr x0, =0xff00            // attr0 device nGnRnE, attr1 normal WB
  msr mair_el1, x0
  ldr x0, =0x19              // T0SZ = 25 (39-bit), 4 KiB granule, EPD1 = 1
  orr x0, x0, #(1 << 23)
  msr tcr_el1, x0
  ldr x0, =${L1}
  msr ttbr0_el1, x0
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1
  msr sctlr_el1, x0
  isb
`;

describe('MMU', () => {
  it('translates through L1/L2/L3 and a 2 MiB block; unaligned Normal access is fine', () => {
    const { m, stop } = runAsm(`${SETUP}${MMU_ON}
      ldr x1, =0x40210000
      ldr x2, =0x1122334455667788
      str x2, [x1, #1]         // unaligned store into Normal memory
      ldr x3, [x1, #1]
      hlt #1
      .ltorg
      ${VECTORS}`, { setup: (mm) => buildTables(mm) });
    expect(stop).toBe(Stop.Trap);
    expect(m.x(20)).toBe(0n);
    expect(hex(m.x(3))).toBe('0x1122334455667788');
  });

  it('translation fault at level 3 (invalid page): DFSC 0x07, FAR, no register written', () => {
    const { m } = runAsm(`${SETUP}${MMU_ON}
      ldr x1, =0x40150008
      mov x3, #77
      ldr x3, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`, { setup: (mm) => buildTables(mm, (l3) => l3(0x150, 0n)) });
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x07n));
    expect(m.x(24)).toBe(0x40150008n);
    expect(m.x(3)).toBe(77n);
  });

  it('permission fault on a read-only page (WnR, level 3) and access flag fault', () => {
    const ro = (0x4015_0000n) | PAGE | AF | (1n << 2n) | (2n << 6n); // AP = RO at EL1
    const noaf = (0x4016_0000n) | PAGE | (1n << 2n);
    const src = (addr: string, op: string) => `${SETUP}${MMU_ON}
      ldr x1, =${addr}
      ${op}
      hlt #1
      .ltorg
      ${VECTORS}`;
    const patch = (mm: Machine) => buildTables(mm, (l3) => { l3(0x150, ro); l3(0x160, noaf); });
    let { m } = runAsm(src('0x40150010', 'str x2, [x1]'), { setup: patch });
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | (1n << 6n) | 0x0fn));
    ({ m } = runAsm(src('0x40150010', 'ldr x2, [x1]'), { setup: patch }));
    expect(m.x(20)).toBe(0n); // read is allowed
    ({ m } = runAsm(src('0x40160000', 'ldr x2, [x1]'), { setup: patch }));
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x0bn));
  });

  it('device memory: unaligned access faults even with the MMU on', () => {
    const { m } = runAsm(`${SETUP}${MMU_ON}
      ldr x1, =0x09000001
      ldr w2, [x1]
      hlt #1
      .ltorg
      ${VECTORS}`, { setup: (mm) => buildTables(mm) });
    expect(hex(m.x(21))).toBe(hex((0x25n << 26n) | (1n << 25n) | 0x21n));
  });

  it('instruction abort when executing an unmapped page; AT S1E1R fills PAR', () => {
    const { m } = runAsm(`${SETUP}${MMU_ON}
      ldr x1, =0x40150000
      at s1e1r, x1
      mrs x9, par_el1
      ldr x1, =0x40020000
      at s1e1r, x1
      mrs x10, par_el1
      ldr x1, =0x40150000
      br x1
      .ltorg
      ${VECTORS}`, { setup: (mm) => buildTables(mm, (l3) => l3(0x150, 0n)) });
    expect(hex(m.x(9) & 0x7fn)).toBe(hex((0x07n << 1n) | 1n));
    expect(hex(m.x(10) & 0xfffffffff000n)).toBe('0x40020000');
    expect(m.x(10) >> 56n).toBe(0xffn);   // ATTR = MAIR byte of AttrIndx 1
    expect(m.x(10) & 1n).toBe(0n);
    expect(m.x(20)).toBe(0x200n);
    expect(hex(m.x(21))).toBe(hex((0x21n << 26n) | (1n << 25n) | 0x07n));
    expect(m.x(22)).toBe(0x40150000n);
  });

  it('DC ZVA zeroes exactly 64 aligned bytes; DCZID_EL0 = 4', () => {
    const { m } = runAsm(`
      ldr x1, =0x40100000
      mov x2, #-1
      mov x3, #0
    1: str x2, [x1, x3]
      add x3, x3, #8
      cmp x3, #256
      b.ne 1b
      add x4, x1, #72
      dc zva, x4
      mrs x5, dczid_el0
      hlt #1
      .ltorg`);
    const v = new DataView(m.ram().buffer, m.ram().byteOffset + 0x100000);
    const words = [...Array(32).keys()].map((i) => v.getBigUint64(i * 8, true));
    expect(words.slice(0, 8).every((w) => w === 0xffffffffffffffffn)).toBe(true);
    expect(words.slice(8, 16).every((w) => w === 0n)).toBe(true);
    expect(words.slice(16).every((w) => w === 0xffffffffffffffffn)).toBe(true);
    expect(m.x(5)).toBe(4n);
  });
});

const GIC_TIMER = `${SETUP}
  ldr x1, =0x08000000      // GICD
  ldr x2, =0x08010000      // GICC
  mov w0, #1
  str w0, [x1]             // GICD_CTLR
  mov w0, #(1 << 27)
  str w0, [x1, #0x100]     // ISENABLER0: PPI 27
  mov w0, #0xff
  str w0, [x2, #4]         // GICC_PMR
  mov w0, #1
  str w0, [x2]             // GICC_CTLR
  mov x0, #1000
  msr cntv_tval_el0, x0
  mov x0, #1
  msr cntv_ctl_el0, x0
  msr daifclr, #2
  wfi
  hlt #2
`;

describe('GIC and generic timer', () => {
  it('virtual timer fires PPI 27 through the GIC; WFI skips to the deadline (virtual clock)', () => {
    const { m, stop } = runAsm(GIC_TIMER + `
      .ltorg
      .balign 0x1000
    vectors:
      .balign 0x80
      .skip 0x280 - 0x80
      .balign 0x80
      ldr x2, =0x08010000
      ldr w10, [x2, #0x0c]   // IAR
      mrs x11, cntv_ctl_el0
      mrs x12, cntvct_el0
      mrs x13, cntv_cval_el0
      ldr w14, [x2, #0x14]   // RPR while active
      mov x0, #0
      msr cntv_ctl_el0, x0
      str w10, [x2, #0x10]   // EOIR
      ldr w15, [x2, #0x0c]   // IAR again: spurious
      mrs x22, elr_el1
      hlt #0
      .ltorg`);
    expect(stop).toBe(Stop.Trap);
    expect(m.x(10)).toBe(27n);
    expect(m.x(11)).toBe(5n);               // ENABLE | ISTATUS
    expect(m.x(12) >= m.x(13)).toBe(true);
    expect(m.x(14)).toBe(0n);               // priority 0
    expect(m.x(15)).toBe(1023n);
    expect(m.core.getSysreg(3, 0, 12, 1, 0)).toBe(0n); // ISR_EL1 clear after EOI and timer off
  });

  it('WFI with no timer armed and no interrupt returns Idle and stays on the WFI', () => {
    const { m, stop } = runAsm(`wfi\nhlt #1`);
    expect(stop).toBe(Stop.Idle);
    expect(m.core.getPC()).toBe(RAM);
    expect(m.core.idleState()).toBe(0);
  });

  it('a host SPI wakes WFI and is acknowledged through IAR; level stays pending until lowered', () => {
    const src = `${SETUP}
      ldr x1, =0x08000000
      ldr x2, =0x08010000
      mov w0, #1
      str w0, [x1]
      mov w0, #(1 << 1)        // ISENABLER1 bit 1 = SPI 33
      str w0, [x1, #0x104]
      mov w0, #0xff
      str w0, [x2, #4]
      mov w0, #1
      str w0, [x2]
      msr daifclr, #2
      wfi
      hlt #2
      .ltorg
      .balign 0x1000
    vectors:
      .skip 0x280
      ldr x2, =0x08010000
      ldr w10, [x2, #0x0c]
      mrs x22, elr_el1
      hlt #0
      .ltorg`;
    const { m, stop } = runAsm(src);
    expect(stop).toBe(Stop.Idle);
    expect(m.core.idleState() & 2).toBe(2);
    m.core.setIrqLine(33, 1);
    expect(m.run()).toBe(Stop.Trap);
    expect(m.x(10)).toBe(33n);
    // the interrupt completed the WFI: the exception returns past it
    const elr = Number(m.x(22) - RAM);
    expect(new DataView(m.ram().buffer, m.ram().byteOffset).getUint32(elr - 4, true)).toBe(0xd503207f);
  });
});

describe('PSCI over HVC', () => {
  it('PSCI_VERSION, FEATURES, unknown id, SYSTEM_OFF', () => {
    const { m, stop } = runAsm(`
      ldr x0, =0x84000000
      hvc #0
      mov x10, x0
      ldr x0, =0x8400000a
      ldr x1, =0x84000008
      hvc #0
      mov x11, x0
      ldr x0, =0x84000005       // MIGRATE: not supported
      hvc #0
      mov x12, x0
      ldr x0, =0x84000008
      hvc #0
      hlt #1
      .ltorg`);
    expect(stop).toBe(Stop.PowerOff);
    expect(m.x(10)).toBe(0x10001n); // PSCI 1.1, as QEMU 7.2 (tests/host/psci.test.ts)
    expect(m.x(11)).toBe(0n);
    expect(m.x(12)).toBe(0xffffffffffffffffn);
    expect(m.core.psciReason() >>> 0).toBe(0x84000008);
  });

  it('SYSTEM_RESET stops with Reset', () => {
    const { m, stop } = runAsm(`ldr x0, =0x84000009\nhvc #0\nhlt #1\n.ltorg`);
    expect(stop).toBe(Stop.Reset);
    expect(m.core.psciReason() >>> 0).toBe(0x84000009);
  });
});

describe('GIC registers', () => {
  it('TYPER, enables, priorities, ICFGR, SGIs through SGIR and IAR/EOIR, RPR', () => {
    const { m } = runAsm(`
      ldr x1, =0x08000000
      ldr x2, =0x08010000
      ldr w10, [x1, #4]          // TYPER
      mov w0, #0xffffffff
      str w0, [x1, #0x108]       // ISENABLER2: SPIs 64..95
      ldr w11, [x1, #0x108]
      mov w0, #(1 << 3)
      str w0, [x1, #0x188]       // ICENABLER2: SPI 67 off
      ldr w12, [x1, #0x108]
      mov w0, #0xa0
      strb w0, [x1, #0x405]      // priority of SGI 5
      ldr w13, [x1, #0x404]      // IPRIORITYR1 word
      mov w0, #0x2
      str w0, [x1, #0xc08]       // ICFGR2: SPI 32 edge-triggered
      ldr w14, [x1, #0xc08]
      mov w0, #1
      str w0, [x1]
      str w0, [x2]
      mov w0, #0xf0
      str w0, [x2, #4]           // PMR
      mov w0, #(1 << 5)
      str w0, [x1, #0x100]       // enable SGI 5
      ldr w0, =0x02000005        // SGIR: to this CPU only, SGI 5
      str w0, [x1, #0xf00]
      ldr w15, [x2, #0x18]       // HPPIR
      ldr w16, [x2, #0x0c]       // IAR
      ldr w17, [x2, #0x14]       // RPR
      ldr w18, [x2, #0x0c]       // IAR: nothing else
      str w16, [x2, #0x10]       // EOIR
      ldr w19, [x2, #0x14]       // RPR idle
      hlt #1
      .ltorg`);
    expect(m.x(10)).toBe(8n);                 // 288 interrupt IDs, one CPU
    expect(hex(m.x(11))).toBe('0xffffffff');
    expect(hex(m.x(12))).toBe('0xfffffff7');
    expect(hex(m.x(13))).toBe('0xa000');
    expect(m.x(14)).toBe(2n);
    expect(m.x(15)).toBe(5n);
    expect(m.x(16)).toBe(5n);
    expect(m.x(17)).toBe(0xa0n);
    expect(m.x(18)).toBe(1023n);
    expect(m.x(19)).toBe(0xffn);
  });
});

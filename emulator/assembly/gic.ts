// GICv2 distributor + CPU interface for one CPU, no security extensions,
// as on QEMU virt (GICD at 0x0800_0000, GICC at 0x0801_0000, 288 IDs).
// Shape follows QEMU's device models: register offsets, read/write as a
// switch on the offset, reset values, and one update() that recomputes the
// CPU's IRQ line after every state change. Unknown offsets read 0 and ignore
// writes (guest error, never fatal).
//
// Pending state of a level-sensitive interrupt is (latch | line level); of an
// edge-triggered one, the latch set on a rising edge. An active interrupt is
// not signalled again until it is deactivated (EOI, EOImode 0).

import * as S from "./state";

export const NIRQ: u32 = 288;
const ENABLED: usize = memory.data(288);
const LATCH: usize = memory.data(288);
const ACTIVE: usize = memory.data(288);
const LEVEL: usize = memory.data(288);
const PRIO: usize = memory.data(288);
const EDGE: usize = memory.data(288);
const GROUP: usize = memory.data(288);

let dctlr: u32 = 0;
let cctlr: u32 = 0;
let pmr: u32 = 0;
let bpr: u32 = 0;
let abpr: u32 = 0;
let runPrio: u32 = 0x100;   // 0x100 = idle
let bestIrq: u32 = 1023;
let bestPrio: u32 = 0x100;
let irqOut: bool = false;

export function gicReset(): void {
  memory.fill(ENABLED, 0, 288); memory.fill(LATCH, 0, 288); memory.fill(ACTIVE, 0, 288);
  memory.fill(PRIO, 0, 288); memory.fill(GROUP, 0, 288);
  memory.fill(EDGE, 0, 288);
  for (let i: u32 = 0; i < 16; i++) store<u8>(EDGE + i, 1);  // SGIs are edge
  dctlr = 0; cctlr = 0; pmr = 0; bpr = 0; abpr = 0; runPrio = 0x100;
  gicUpdate();
}

@inline function pending(i: u32): bool {
  return load<u8>(LATCH + i) != 0 || (load<u8>(EDGE + i) == 0 && load<u8>(LEVEL + i) != 0);
}

function groupPrio(p: u32): u32 {
  // GICv2 binary point: group priority field = bits [7:bpr+1]
  return p & ((0xff << (bpr + 1)) & 0xff);
}

export function gicUpdate(): void {
  let best: u32 = 1023, bp: u32 = 0x100;
  for (let i: u32 = 0; i < NIRQ; i++) {
    if (load<u8>(ENABLED + i) == 0 || load<u8>(ACTIVE + i) != 0 || !pending(i)) continue;
    if ((dctlr & (1 << load<u8>(GROUP + i))) == 0) continue;
    const p = <u32>load<u8>(PRIO + i);
    if (p < bp) { bp = p; best = i; }
  }
  bestIrq = best; bestPrio = bp;
  const out = best != 1023 && (cctlr & (1 << load<u8>(GROUP + best))) != 0 && bp < pmr &&
              (runPrio == 0x100 || groupPrio(bp) < groupPrio(runPrio));
  if (out != irqOut) { irqOut = out; S.irqCheck = true; }
  else if (out) S.irqCheck = true;
}

export function gicIrqPending(): bool { return irqOut; }

// Host device or timer drives a line (level-sensitive unless configured edge).
export function gicSetLine(irq: u32, level: u32): void {
  if (irq >= NIRQ) return;
  const old = load<u8>(LEVEL + irq);
  const nv: u8 = level != 0 ? 1 : 0;
  if (old == nv) return;
  store<u8>(LEVEL + irq, nv);
  if (nv != 0 && load<u8>(EDGE + irq) != 0) store<u8>(LATCH + irq, 1);
  gicUpdate();
}

// bit set when an SPI could ever be delivered: both interfaces enabled and one SPI enabled
export function gicCanDeliverSpi(): bool {
  if ((dctlr & 3) == 0 || (cctlr & 3) == 0) return false;
  for (let i: u32 = 32; i < NIRQ; i++) if (load<u8>(ENABLED + i) != 0) return true;
  return false;
}

// PPI enabled and both interfaces on: used to tell a WFI that a timer can wake it
export function gicCanDeliver(irq: u32): bool {
  return (dctlr & 3) != 0 && (cctlr & 3) != 0 && load<u8>(ENABLED + irq) != 0;
}

function recomputeRunPrio(): void {
  let rp: u32 = 0x100;
  for (let i: u32 = 0; i < NIRQ; i++) {
    if (load<u8>(ACTIVE + i) != 0) {
      const p = <u32>load<u8>(PRIO + i);
      if (p < rp) rp = p;
    }
  }
  runPrio = rp;
}

function bitsRead(arr: usize, base: u32): u32 {
  let v: u32 = 0;
  for (let b: u32 = 0; b < 32; b++) {
    const i = base + b;
    if (i < NIRQ && load<u8>(arr + i) != 0) v |= 1 << b;
  }
  return v;
}

function pendRead(base: u32): u32 {
  let v: u32 = 0;
  for (let b: u32 = 0; b < 32; b++) {
    const i = base + b;
    if (i < NIRQ && pending(i)) v |= 1 << b;
  }
  return v;
}

function bitsWrite(arr: usize, base: u32, v: u32, val: u8): void {
  for (let b: u32 = 0; b < 32; b++) {
    const i = base + b;
    if (i < NIRQ && (v & (1 << b)) != 0) store<u8>(arr + i, val);
  }
}

function distRead(off: u32, size: u32): u32 {
  if (off >= 0x400 && off < 0x400 + NIRQ) { // IPRIORITYR, byte accessible
    let v: u32 = 0;
    for (let k: u32 = 0; k < size; k++) if (off + k < 0x400 + NIRQ) v |= <u32>load<u8>(PRIO + off - 0x400 + k) << (k * 8);
    return v;
  }
  if (off >= 0x800 && off < 0xc00) return 0; // ITARGETSR: RAZ/WI on a uniprocessor GIC
  const w = off & ~3;
  const base = ((w & 0x7f) >> 2) * 32;
  let v: u32 = 0;
  if (w == 0x000) v = dctlr;
  else if (w == 0x004) v = (NIRQ / 32) - 1;
  else if (w == 0x008) v = 0x0200043b;
  else if (w >= 0x080 && w < 0x100) v = bitsRead(GROUP, base);
  else if (w >= 0x100 && w < 0x180) v = bitsRead(ENABLED, base);
  else if (w >= 0x180 && w < 0x200) v = bitsRead(ENABLED, base);
  else if (w >= 0x200 && w < 0x300) v = pendRead(base);
  else if (w >= 0x300 && w < 0x400) v = bitsRead(ACTIVE, base);
  else if (w >= 0xc00 && w < 0xd00) {
    const b0 = ((w - 0xc00) >> 2) * 16;
    for (let k: u32 = 0; k < 16; k++) {
      const i = b0 + k;
      if (i < NIRQ && load<u8>(EDGE + i) != 0) v |= 2 << (k * 2);
    }
  }
  if (size < 4) v = (v >> ((off & 3) * 8)) & (size == 1 ? 0xff : 0xffff);
  return v;
}

function distWrite(off: u32, size: u32, value: u32): void {
  if (off >= 0x400 && off < 0x400 + NIRQ) {
    for (let k: u32 = 0; k < size; k++) if (off + k < 0x400 + NIRQ) store<u8>(PRIO + off - 0x400 + k, <u8>(value >> (k * 8)));
    gicUpdate();
    return;
  }
  if (size < 4) { value <<= (off & 3) * 8; }
  const w = off & ~3;
  const base = ((w & 0x7f) >> 2) * 32;
  if (w == 0x000) dctlr = value & 3;
  else if (w >= 0x080 && w < 0x100) { for (let b: u32 = 0; b < 32; b++) if (base + b < NIRQ) store<u8>(GROUP + base + b, <u8>((value >> b) & 1)); }
  else if (w >= 0x100 && w < 0x180) bitsWrite(ENABLED, base, value, 1);
  else if (w >= 0x180 && w < 0x200) bitsWrite(ENABLED, base, value, 0);
  else if (w >= 0x200 && w < 0x280) bitsWrite(LATCH, base, value, 1);
  else if (w >= 0x280 && w < 0x300) bitsWrite(LATCH, base, value, 0);
  else if (w >= 0x300 && w < 0x380) bitsWrite(ACTIVE, base, value, 1);
  else if (w >= 0x380 && w < 0x400) bitsWrite(ACTIVE, base, value, 0);
  else if (w >= 0xc00 && w < 0xd00) {
    const b0 = ((w - 0xc00) >> 2) * 16;
    for (let k: u32 = 0; k < 16; k++) {
      const i = b0 + k;
      if (i >= 32 && i < NIRQ) store<u8>(EDGE + i, <u8>((value >> (k * 2 + 1)) & 1));
    }
  } else if (w == 0xf00) { // SGIR
    const filter = (value >> 24) & 3, targets = (value >> 16) & 0xff;
    if (filter == 1 || filter == 2 || (filter == 0 && (targets & 1) != 0)) store<u8>(LATCH + (value & 15), 1);
  }
  if (w >= 0x300 && w < 0x400) recomputeRunPrio();
  gicUpdate();
}

function cpuRead(off: u32): u32 {
  switch (off) {
    case 0x00: return cctlr;
    case 0x04: return pmr;
    case 0x08: return bpr;
    case 0x0c: { // IAR: acknowledge
      gicUpdate();
      if (!irqOut) return 1023;
      const i = bestIrq;
      store<u8>(LATCH + i, 0);
      store<u8>(ACTIVE + i, 1);
      runPrio = <u32>load<u8>(PRIO + i);
      gicUpdate();
      return i;
    }
    case 0x14: return runPrio == 0x100 ? 0xff : runPrio;
    case 0x18: return bestIrq;
    case 0x1c: return abpr;
    case 0xfc: return 0x0202043b;
    default: return 0;
  }
}

function cpuWrite(off: u32, value: u32): void {
  switch (off) {
    case 0x00: cctlr = value & 0x3ff; break;
    case 0x04: pmr = value & 0xff; break;
    case 0x08: bpr = value & 7; break;
    case 0x1c: abpr = value & 7; break;
    case 0x10: case 0x1000: { // EOIR (EOImode 0: drop priority and deactivate), DIR
      const i = value & 0x3ff;
      if (i < NIRQ) store<u8>(ACTIVE + i, 0);
      recomputeRunPrio();
      break;
    }
    default: break;
  }
  gicUpdate();
}

// off is relative to 0x0800_0000; the CPU interface starts at 0x1_0000
export function gicRead(off: u32, size: u32): u32 {
  if (off >= 0x10000) return cpuRead(off - 0x10000);
  if (off < 0x1000) return distRead(off, size);
  return 0;
}

export function gicWrite(off: u32, size: u32, value: u32): void {
  if (off >= 0x10000) { cpuWrite(off - 0x10000, value); return; }
  if (off < 0x1000) distWrite(off, size, value);
}

export function gicIsrPending(): bool {
  return irqOut;
}

// PMU v3 as QEMU 7.2 models it for cortex-a72 (target/arm/helper.c; the
// values are checked against QEMU in emulator/tests/host/pmu.test.ts):
// PMCR_EL0.N = 6 event counters (32-bit) plus the 64-bit cycle counter;
// the events QEMU provides without icount: SW_INCR (0x00) and CPU_CYCLES
// (0x11) (PMCEID0_EL0 = 0x20001, PMCEID1_EL0 = 0); PMMIR_EL1 is UNDEFINED.
// The overflow interrupt is PPI 7 (INTID 23), level: PMCR.E and
// (PMOVSSET & PMINTENSET) != 0.
//
// Cycles are derived from the guest's system counter as QEMU derives both
// from its virtual clock: CNTVCT ticks at 62.5 MHz, the cycle clock at
// 1 GHz, so one counter tick is 16 cycles - exact and deterministic under
// the virtual clock. Counters are evaluated lazily: each keeps its value as
// of the last sync() and counts the ticks since while it counts. sync() runs
// before anything that changes what counts (PMU register writes, EL changes
// while a counter is enabled) and at every timer update; the next overflow
// of a counter whose interrupt is enabled is a timer deadline (timer.ts).
// Filtering follows the PMEVTYPER/PMCCFILTR P/U/NSK/NSU bits for the
// non-secure EL1/EL0 this machine has.

import * as S from "./state";
import { gicSetLine } from "./gic";
import { counter } from "./timer";

export const PMU_PPI: u32 = 23;
const N: u32 = 6;
const CYCLES_PER_TICK: u64 = 16;
const PMCR_FIXED: u64 = 0x41023000;            // IMP 0x41, IDCODE 0x02, N = 6
const PMCR_WRITABLE: u64 = 0x79;               // LC, DP, X, D, E
const CNT_MASK: u32 = 0x8000003f;              // C + P0..P5
const EVTYPER_MASK: u64 = 0xfe00ffff;
const CCFILTR_MASK: u64 = 0xfc000000;
const EV_SW_INCR: u32 = 0x00, EV_CPU_CYCLES: u32 = 0x11;

let pmcr: u64 = 0;
let cntEn: u32 = 0;
let intEn: u32 = 0;
let ovs: u32 = 0;
let selr: u32 = 0;
let userenr: u32 = 0;
let ccfiltr: u64 = 0;
let ccnt: u64 = 0;
let ccntFrac: u64 = 0;   // cycles not yet counted with PMCR.D (count every 64)
const EVTYPE = new StaticArray<u64>(6);
const EVCNT = new StaticArray<u32>(6);
let syncAt: u64 = 0;     // system counter at the last sync
// true while some counter counts cycles: EL changes and timer updates must sync
export let pmuCounting: bool = false;
// true while some counter is enabled (its counting may depend on the EL)
export let pmuEnabled: bool = false;


function filtered(filter: u64): bool {
  const p = (filter >> 31) & 1, u = (filter >> 30) & 1, nsk = (filter >> 29) & 1, nsu = (filter >> 28) & 1;
  return S.curEL == 0 ? u != nsu : p != nsk;
}

@inline function enabled(bit: u32): bool {
  return (pmcr & 1) != 0 && (cntEn & (1 << bit)) != 0;
}

function ccntCounts(): bool { return enabled(31) && !filtered(ccfiltr); }
function evCounts(n: u32): bool {
  return enabled(n) && <u32>(EVTYPE[n] & 0xffff) == EV_CPU_CYCLES && !filtered(EVTYPE[n]);
}

function updateIrq(): void {
  gicSetLine(PMU_PPI, (pmcr & 1) != 0 && (ovs & intEn) != 0 ? 1 : 0);
}

function recompute(): void {
  let any = ccntCounts();
  for (let n: u32 = 0; n < N; n++) if (evCounts(n)) any = true;
  pmuCounting = any;
  pmuEnabled = (pmcr & 1) != 0 && cntEn != 0;
}

// Brings every counter up to the current system counter.
export function pmuSync(): void {
  const now = counter();
  const ticks = now - syncAt;
  syncAt = now;
  if (ticks == 0 || !pmuCounting) return;
  const cycles = ticks * CYCLES_PER_TICK;
  if (ccntCounts()) {
    let inc = cycles;
    if ((pmcr & 8) != 0) { ccntFrac += cycles; inc = ccntFrac >> 6; ccntFrac &= 63; }
    const old = ccnt;
    ccnt += inc;
    const lc = (pmcr & 0x40) != 0;
    if (lc ? ccnt < old : (ccnt >> 32) != (old >> 32)) ovs |= 1 << 31;
  }
  for (let n: u32 = 0; n < N; n++) {
    if (!evCounts(n)) continue;
    const v = <u64>EVCNT[n] + cycles;
    if (v >> 32 != 0) ovs |= 1 << n;
    EVCNT[n] = <u32>v;
  }
  updateIrq();
}

// Before an EL change (exception entry, ERET): counting may be filtered by EL.
export function pmuElChange(): void { pmuSync(); }
export function pmuAfterElChange(): void { recompute(); }

// System-counter ticks until the next overflow of a counting counter whose
// interrupt is enabled (0: none). timer.ts makes it a deadline.
export function pmuTicksToOverflow(): u64 {
  if (!pmuCounting || (pmcr & 1) == 0) return 0;
  pmuSync();
  let best: u64 = 0;
  if ((intEn & (1 << 31)) != 0 && ccntCounts()) {
    const lim: u64 = (pmcr & 0x40) != 0 ? 0 : (<u64>1 << 32);
    const left: u64 = lim == 0 ? (~ccnt) + 1 : lim - (ccnt & 0xffffffff);
    let cycles = left;
    if ((pmcr & 8) != 0) cycles = (left << 6) - ccntFrac;
    if (left != 0) best = (cycles + CYCLES_PER_TICK - 1) / CYCLES_PER_TICK;
  }
  for (let n: u32 = 0; n < N; n++) {
    if ((intEn & (1 << n)) == 0 || !evCounts(n)) continue;
    const left: u64 = (<u64>1 << 32) - <u64>EVCNT[n];
    const t = (left + CYCLES_PER_TICK - 1) / CYCLES_PER_TICK;
    if (best == 0 || t < best) best = t;
  }
  return best;
}

export function pmuReset(): void {
  pmcr = 0; cntEn = 0; intEn = 0; ovs = 0; selr = 0; userenr = 0; ccfiltr = 0; ccnt = 0; ccntFrac = 0;
  for (let n = 0; n < 6; n++) { EVTYPE[n] = 0; EVCNT[n] = 0; }
  syncAt = counter();
  pmuCounting = false;
  pmuEnabled = false;
  gicSetLine(PMU_PPI, 0);
}

// ---- registers ---------------------------------------------------------------------------

// keys as in system.ts srKey(op0, op1, crn, crm, op2)
const K_PMCR: u32 = 0xdce0, K_CNTENSET: u32 = 0xdce1, K_CNTENCLR: u32 = 0xdce2, K_OVSCLR: u32 = 0xdce3;
const K_SWINC: u32 = 0xdce4, K_SELR: u32 = 0xdce5, K_CEID0: u32 = 0xdce6, K_CEID1: u32 = 0xdce7;
const K_CCNTR: u32 = 0xdce8, K_XEVTYPER: u32 = 0xdce9, K_XEVCNTR: u32 = 0xdcea;
const K_USERENR: u32 = 0xdcf0, K_OVSSET: u32 = 0xdcf3;
const K_INTENSET: u32 = 0xc4f1, K_INTENCLR: u32 = 0xc4f2;
const K_CCFILTR: u32 = 0xdf7f;

// 1 = a PMU register (op0=3, op1=3, CRn=9 CRm 12..14, CRn=14 CRm 8..15; PMINTEN*_EL1)
export function isPmuKey(key: u32): bool {
  if (key == K_INTENSET || key == K_INTENCLR) return true;
  if ((key & 0xff80) == 0xdc80) { const crm = (key >> 3) & 15; return crm == 12 || crm == 13 || (crm == 14 && ((key & 7) == 0 || (key & 7) == 3)); }
  if ((key & 0xffc0) == 0xdf40) return true; // CRn=14, CRm=8..15: PMEVCNTR/PMEVTYPER/PMCCFILTR
  return false;
}

export let pmuUndef: bool = false;

// EL0 access (PMUSERENR_EL0: EN bit0, SW bit1, CR bit2, ER bit3): 0 ok, 1 trap to EL1.
export function pmuEl0Trap(key: u32, write: bool): bool {
  if (key == K_INTENSET || key == K_INTENCLR) return true; // EL1 only (caller makes it UNDEFINED)
  if ((userenr & 1) != 0) return false;
  if (key == K_SWINC && write && (userenr & 2) != 0) return false;
  if (key == K_CCNTR && !write && (userenr & 4) != 0) return false;
  if (!write && (userenr & 8) != 0 && (key == K_XEVCNTR || key == K_SELR || ((key & 0xffe0) == 0xdf40))) return false;
  if (write && (userenr & 8) != 0 && key == K_SELR) return false;
  return true;
}

function evtyperRead(n: u32): u64 {
  if (n == 31) return ccfiltr;
  return n < N ? EVTYPE[n] : 0;
}
function evtyperWrite(n: u32, v: u64): void {
  pmuSync();
  if (n == 31) ccfiltr = v & CCFILTR_MASK;
  else if (n < N) EVTYPE[n] = v & EVTYPER_MASK;
  recompute();
}
function evcntRead(n: u32): u64 { pmuSync(); return n < N ? <u64>EVCNT[n] : 0; }
function evcntWrite(n: u32, v: u64): void { pmuSync(); if (n < N) EVCNT[n] = <u32>v; }

export function pmuRead(key: u32): u64 {
  pmuUndef = false;
  switch (key) {
    case K_PMCR: return PMCR_FIXED | (pmcr & PMCR_WRITABLE);
    case K_CNTENSET: case K_CNTENCLR: return <u64>cntEn;
    case K_OVSCLR: case K_OVSSET: pmuSync(); return <u64>ovs;
    case K_INTENSET: case K_INTENCLR: return <u64>intEn;
    case K_SELR: return <u64>selr;
    case K_CEID0: return 0x20001;
    case K_CEID1: return 0;
    case K_CCNTR: pmuSync(); return ccnt;
    case K_XEVTYPER: return evtyperRead(selr);
    case K_XEVCNTR: return evcntRead(selr);
    case K_USERENR: return <u64>userenr;
    case K_SWINC: pmuUndef = true; return 0; // write-only
  }
  if ((key & 0xffc0) == 0xdf40) {
    // PMEVCNTR<n>/PMEVTYPER<n> exist for the N counters only (PMEVTYPER31 is PMCCFILTR)
    const n = (((key >> 3) & 3) << 3) | (key & 7);
    const typer = ((key >> 3) & 15) >= 12;
    if (n >= N && !(typer && n == 31)) { pmuUndef = true; return 0; }
    return typer ? evtyperRead(n) : evcntRead(n);
  }
  pmuUndef = true;
  return 0;
}

export function pmuWrite(key: u32, v: u64): void {
  pmuUndef = false;
  switch (key) {
    case K_PMCR:
      pmuSync();
      if ((v & 2) != 0) for (let n: u32 = 0; n < N; n++) EVCNT[n] = 0;
      if ((v & 4) != 0) { ccnt = 0; ccntFrac = 0; }
      pmcr = v & PMCR_WRITABLE;
      break;
    case K_CNTENSET: pmuSync(); cntEn |= <u32>v & CNT_MASK; break;
    case K_CNTENCLR: pmuSync(); cntEn &= ~(<u32>v & CNT_MASK); break;
    case K_OVSSET: pmuSync(); ovs |= <u32>v & CNT_MASK; break;
    case K_OVSCLR: pmuSync(); ovs &= ~(<u32>v & CNT_MASK); break;
    case K_INTENSET: intEn |= <u32>v & CNT_MASK; break;
    case K_INTENCLR: intEn &= ~(<u32>v & CNT_MASK); break;
    case K_SELR: selr = <u32>v & 0x1f; break;
    case K_CCNTR: pmuSync(); ccnt = v; break;
    case K_XEVTYPER: evtyperWrite(selr, v); break;
    case K_XEVCNTR: evcntWrite(selr, v); break;
    case K_USERENR: userenr = <u32>v & 0xf; break;
    case K_SWINC: {
      pmuSync();
      for (let n: u32 = 0; n < N; n++) {
        if ((<u32>v & (1 << n)) != 0 && enabled(n) && <u32>(EVTYPE[n] & 0xffff) == EV_SW_INCR && !filtered(EVTYPE[n])) {
          EVCNT[n] = EVCNT[n] + 1;
          if (EVCNT[n] == 0) ovs |= 1 << n;
        }
      }
      break;
    }
    case K_CEID0: case K_CEID1: pmuUndef = true; return;
    default: {
      if ((key & 0xffc0) == 0xdf40) {
        const n = (((key >> 3) & 3) << 3) | (key & 7);
        const typer = ((key >> 3) & 15) >= 12;
        if (n >= N && !(typer && n == 31)) { pmuUndef = true; return; }
        if (typer) evtyperWrite(n, v); else evcntWrite(n, v);
      } else { pmuUndef = true; return; }
    }
  }
  recompute();
  updateIrq();
  S.irqCheck = true;
}

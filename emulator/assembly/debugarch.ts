// The guest's self-hosted debug architecture as QEMU 7.2 implements it for
// cortex-a72 (ID_AA64DFR0: 6 breakpoints, 4 watchpoints), checked against
// QEMU in emulator/tests/host/debugarch.test.ts:
// - DBGBVR/DBGBCR<0..5>_EL1, DBGWVR/DBGWCR<0..3>_EL1 (DBGWVR bits 1:0 RES0;
//   the other bits read back as written, as on QEMU); higher numbers UNDEFINED.
// - MDSCR_EL1 (MDE bit 15, KDE bit 13, SS bit 0; read back as written),
//   OSLAR/OSLSR (the OS lock is set at reset: OSLSR 0xa, 0x8 once unlocked),
//   OSDLR.DLK, MDCCINT bit 0, MDRAR/MDCCSR RAZ; DBGPRCR, DBGCLAIM*, DBGDTR UNDEFINED.
// - Debug exceptions are enabled at EL1 only with MDSCR.KDE and PSTATE.D
//   clear (from EL0 always); breakpoints and watchpoints also need MDSCR.MDE.
//   As QEMU 7.2 (unlike the architecture) the OS lock does not mask them.
// - Breakpoint (EC 0x30/0x31, ISS 0x22, before the instruction), watchpoint
//   (EC 0x34/0x35, WnR, CM, DFSC 0x22, FAR = the watched address accessed;
//   the access is not made), software step (EC 0x32/0x33, ISS ISV | 0x22,
//   after one instruction run with PSTATE.SS set by an ERET).
// Breakpoints and watchpoints are found by the same off-hot-path checks as
// the host debugger's (debug.ts): fetchSlow and the slow load/store paths.
// Only unlinked address-match breakpoints (BT = 0b0000) and watchpoints
// (WT = 0) are modelled; context-ID and linked types never match.

import * as S from "./state";

export const NBP: u32 = 6, NWP: u32 = 4;
const BVR = new StaticArray<u64>(6);
const BCR = new StaticArray<u64>(6);
const WVR = new StaticArray<u64>(4);
const WCR = new StaticArray<u64>(4);
export let mdscr: u64 = 0;
let oslk: bool = true;
let dlk: bool = false;
let mdccint: u64 = 0;
export let guestBp: bool = false;   // an enabled breakpoint with MDSCR.MDE
export let guestWp: bool = false;

export function debugArchReset(): void {
  for (let i = 0; i < 6; i++) { BVR[i] = 0; BCR[i] = 0; }
  for (let i = 0; i < 4; i++) { WVR[i] = 0; WCR[i] = 0; }
  mdscr = 0; oslk = true; dlk = false; mdccint = 0;
  guestBp = false; guestWp = false;
}

function recompute(): void {
  const mde = (mdscr & (1 << 15)) != 0;
  let b = false, w = false;
  for (let i = 0; i < <i32>NBP; i++) if ((BCR[i] & 1) != 0) b = true;
  for (let i = 0; i < <i32>NWP; i++) if ((WCR[i] & 1) != 0) w = true;
  guestBp = mde && b;
  guestWp = mde && w;
}

// Debug exceptions to EL1 enabled from the current state (or from `el` with PSTATE.D = `d`).
// As in QEMU 7.2, the OS lock and OS double lock do not mask them (the
// architecture says they should; later QEMU versions check the OS lock).
export function debugEnabledAt(el: u32, d: bool): bool {
  if (el == 0) return true;
  return (mdscr & (1 << 13)) != 0 && !d;
}
@inline export function debugEnabled(): bool { return debugEnabledAt(S.curEL, (S.daif & 0x200) != 0); }

// privilege match for PMC/PAC bits 2:1: 0b01 EL1, 0b10 EL0, 0b11 both
@inline function privMatch(ctl: u64): bool {
  const pmc = <u32>(ctl >> 1) & 3;
  return S.curEL == 0 ? (pmc & 2) != 0 : (pmc & 1) != 0;
}

const VA_MASK: u64 = 0x1fffffffffffc; // bits 48:2

export function breakpointHit(va: u64): bool {
  if (!debugEnabled()) return false;
  for (let i = 0; i < <i32>NBP; i++) {
    const c = BCR[i];
    if ((c & 1) == 0 || ((c >> 20) & 15) != 0 || !privMatch(c)) continue;
    if ((va & VA_MASK) == (BVR[i] & VA_MASK)) return true;
  }
  return false;
}

// The first watched byte address an access [va, va+size) touches, or -1 (as u64 max) if none.
export let wpHitAddr: u64 = 0;
export function watchpointHit(va: u64, size: u32, write: bool): bool {
  if (!debugEnabled()) return false;
  for (let i = 0; i < <i32>NWP; i++) {
    const c = WCR[i];
    if ((c & 1) == 0 || !privMatch(c) || ((c >> 20) & 1) != 0) continue;
    const lsc = <u32>(c >> 3) & 3;
    if ((lsc & (write ? 2 : 1)) == 0) continue;
    const mask = <u32>(c >> 24) & 31;
    let lo: u64, hi: u64;
    if (mask >= 3) {
      lo = (WVR[i] & VA_MASK) & ~((<u64>1 << mask) - 1);
      hi = lo + (<u64>1 << mask);
    } else {
      const bas = <u32>(c >> 5) & 0xff;
      if (bas == 0) continue;
      const base = WVR[i] & VA_MASK & ~<u64>7;
      lo = base + <u64>ctz(bas);
      hi = base + <u64>(32 - clz(bas));
    }
    const a = va & 0x1ffffffffffff, e = a + <u64>size;
    if (a < hi && e > lo) {
      wpHitAddr = (va & ~<u64>0x1ffffffffffff) | (a > lo ? a : lo);
      return true;
    }
  }
  return false;
}

// A 4 KiB page holding a guest watchpoint (its TLB entry must not be fast).
export function pageWatchedByGuest(va: u64): bool {
  if (!guestWp) return false;
  const p = va & 0x1fffffffff000;
  for (let i = 0; i < <i32>NWP; i++) {
    if ((WCR[i] & 1) == 0) continue;
    const mask = <u32>(WCR[i] >> 24) & 31;
    const lo = (WVR[i] & VA_MASK) & ~((<u64>1 << (mask >= 3 ? mask : 3)) - 1);
    const hi = lo + (<u64>1 << (mask >= 3 ? mask : 3));
    if (lo < p + 0x1000 && hi > p) return true;
  }
  return false;
}

// Software step state machine (Arm ARM "Software Step exceptions"): step is
// active when MDSCR.SS is set and debug exceptions are enabled; active with
// PSTATE.SS = 1 runs one instruction (S.ssState 1 -> 2) and then takes the
// exception (ISS.ISV = 1); active with PSTATE.SS = 0 is pending: the exception
// comes before the next instruction (S.ssState 3, ISV = 0). Re-evaluated after
// ERET and after writes to MDSCR, DAIF, OSLAR and OSDLR; cpu.ts run() acts on it.
export function ssRecompute(): void {
  const active = (mdscr & 1) != 0 && debugEnabled();
  if (!active) { S.ssState = 0; return; }
  S.ssState = S.pstateSS ? 1 : 3;
  S.irqCheck = true;
}

// ---- registers (keys as system.ts srKey) ---------------------------------------------------

export let daUndef: bool = false;
export let daChanged: bool = false; // breakpoint/watchpoint state changed: caller refreshes caches

// op0=2 keys this file answers: DBGB/W*, MDSCR, MDCCINT, OSLAR, OSLSR, OSDLR, MDRAR, MDCCSR
export function isDebugKey(key: u32): bool {
  if ((key & 0xff80) == 0x8000 && (key & 7) >= 4) return true;
  return key == 0x8012 || key == 0x8010 || key == 0x8084 || key == 0x808c || key == 0x809c || key == 0x8080 || key == 0x9808;
}

export function debugRegRead(key: u32): u64 {
  daUndef = false;
  switch (key) {
    case 0x8012: return mdscr;
    case 0x8010: return mdccint;
    case 0x808c: return 0x8 | (oslk ? 2 : 0);
    case 0x809c: return dlk ? 1 : 0;
    case 0x8080: case 0x9808: return 0;
    case 0x8084: daUndef = true; return 0; // OSLAR is write-only
  }
  const n = (key >> 3) & 15, op2 = key & 7;
  if (op2 == 4 && n < NBP) return BVR[n];
  if (op2 == 5 && n < NBP) return BCR[n];
  if (op2 == 6 && n < NWP) return WVR[n];
  if (op2 == 7 && n < NWP) return WCR[n];
  daUndef = true;
  return 0;
}

export function debugRegWrite(key: u32, v: u64): void {
  daUndef = false;
  daChanged = true;
  switch (key) {
    case 0x8012: mdscr = v; recompute(); return;
    case 0x8010: mdccint = v & 1; return;
    case 0x8084: oslk = (v & 1) != 0; return;
    case 0x809c: dlk = (v & 1) != 0; return;
    case 0x808c: case 0x8080: case 0x9808: daUndef = true; return;
  }
  const n = (key >> 3) & 15, op2 = key & 7;
  if (op2 == 4 && n < NBP) { BVR[n] = v; recompute(); return; }
  if (op2 == 5 && n < NBP) { BCR[n] = v; recompute(); return; }
  if (op2 == 6 && n < NWP) { WVR[n] = v & ~<u64>3; recompute(); return; }
  if (op2 == 7 && n < NWP) { WCR[n] = v; recompute(); return; }
  daUndef = true;
}

// Generic timer and system counter (CNTFRQ 62.5 MHz). Two clock modes:
// virtual (counter = instructions executed + time skipped by WFI, fully
// deterministic) and realtime (counter follows hostNowTicks(), read once per
// run slice / chunk and on every counter read, never per instruction).
// The virtual timer drives PPI 27, the EL1 physical timer PPI 30; both are
// level-sensitive and recomputed by timerUpdate().

import * as S from "./state";
import { gicSetLine } from "./gic";
import { pmuCounting, pmuSync, pmuTicksToOverflow } from "./pmu";

@external("env", "hostNowTicks")
declare function hostNowTicks(): f64;

export const CNTFRQ: u64 = 62_500_000;
export let clockMode: u32 = 0;   // 0 virtual, 1 realtime
let skipped: u64 = 0;
let rtBase: f64 = 0;
let rtNow: u64 = 0;

export let cntvCtl: u32 = 0;
export let cntvCval: u64 = 0;
export let cntpCtl: u32 = 0;
export let cntpCval: u64 = 0;

export function counter(): u64 {
  return clockMode == 0 ? S.instretCount + skipped : rtNow;
}

export function refreshRealtime(): void {
  const t = hostNowTicks() - rtBase;
  const v: u64 = t <= 0 ? 0 : <u64>t;
  if (v > rtNow) rtNow = v;
}

export function setClockMode(mode: u32): void {
  const now = counter();
  if (mode != 0) {
    rtNow = now;
    rtBase = hostNowTicks() - <f64>now;
    clockMode = 1;
  } else {
    clockMode = 0;
    skipped = now >= S.instretCount ? now - S.instretCount : 0;
  }
}

export function timerReset(): void {
  cntvCtl = 0; cntvCval = 0; cntpCtl = 0; cntpCval = 0;
  skipped = 0; rtNow = 0;
  if (clockMode != 0) rtBase = hostNowTicks() - <f64><u64>S.instretCount;
}

@inline function firing(ctl: u32, cval: u64, now: u64): bool {
  return (ctl & 3) == 1 && now >= cval;
}

export function timerUpdate(): void {
  if (pmuCounting) pmuSync();
  const now = counter();
  gicSetLine(27, firing(cntvCtl, cntvCval, now) ? 1 : 0);
  gicSetLine(30, firing(cntpCtl, cntpCval, now) ? 1 : 0);
}

// Earliest future deadline of an enabled, unmasked timer; 0 if none.
export function nextDeadline(): u64 {
  const now = counter();
  let best: u64 = 0;
  if ((cntvCtl & 3) == 1 && cntvCval > now) best = cntvCval;
  if ((cntpCtl & 3) == 1 && cntpCval > now && (best == 0 || cntpCval < best)) best = cntpCval;
  // the PMU's next overflow interrupt (pmu.ts) is a deadline too
  if (pmuCounting) {
    const t = pmuTicksToOverflow();
    if (t != 0 && (best == 0 || now + t < best)) best = now + t;
  }
  return best;
}

// How many instructions may run before timers must be re-evaluated; 0 = no limit.
export function timerChunkLimit(): u64 {
  if (clockMode != 0) return 16384;
  const d = nextDeadline();
  if (d == 0) return 0;
  return d - counter();
}

// WFI in virtual mode: jump the counter to the next deadline. Returns false if none.
export function skipToDeadline(): bool {
  const d = nextDeadline();
  if (d == 0) return false;
  skipped += d - counter();
  timerUpdate();
  return true;
}

export function timerDeadlineMs(): f64 {
  if (clockMode != 0) refreshRealtime();
  const d = nextDeadline();
  if (d == 0) return -1;
  return <f64>(d - counter()) / 62500.0;
}

@inline function istatus(ctl: u32, cval: u64): u32 {
  return ((ctl & 1) != 0 && counter() >= cval) ? 4 : 0;
}

// reg: 0 TVAL, 1 CTL, 2 CVAL; phys: CNTP_* else CNTV_*
export function timerRead(phys: bool, reg: u32): u64 {
  if (clockMode != 0) refreshRealtime();
  const ctl = phys ? cntpCtl : cntvCtl;
  const cval = phys ? cntpCval : cntvCval;
  if (reg == 1) return <u64>((ctl & 3) | istatus(ctl, cval));
  if (reg == 2) return cval;
  return <u64><u32>(<i32>(cval - counter()));
}

export function timerWrite(phys: bool, reg: u32, v: u64): void {
  if (clockMode != 0) refreshRealtime();
  if (reg == 1) {
    if (phys) cntpCtl = <u32>v & 3; else cntvCtl = <u32>v & 3;
  } else {
    const cval = reg == 2 ? v : counter() + <u64>(<i64><i32>v);
    if (phys) cntpCval = cval; else cntvCval = cval;
  }
  timerUpdate();
  S.irqCheck = true;
}

// bit 0: a timer is armed with a future deadline
export function timerArmed(): bool { return nextDeadline() != 0; }

// Entry point of the wasm core: the exports listed in emulator/CORE-API.md.
// Everything here is a thin wrapper; the behaviour lives in cpu.ts, mem.ts,
// system.ts, gic.ts and timer.ts.

import * as S from "./state";
import * as C from "./cpu";
import * as M from "./mem";
import * as G from "./gic";
import * as T from "./timer";
import { sysregRead, sysregWrite, srKey } from "./system";
import * as SY from "./system";
import * as V from "./simd/index";
import * as P from "./pmu";
import * as DA from "./debugarch";
import * as J from "./jit";

// The translator's interface (emulator/src/jit/): state the translated blocks share, the
// helpers they call, the mode switch, host-write invalidation and statistics.
export { pc as jitPC, nzcv as jitNZCV, spEl0 as jitSP0, spEl1 as jitSP1, instretCount as jitInstret } from "./state";
export { fastRd as jitFastRd, fastWr as jitFastWr } from "./mem";
export { cpacr as jitCPACR } from "./state";
export { fpcr as jitFPCR, fpsr as jitFPSR } from "./simd/regs";
export { jitStatus, jitRd, jitWr, jitWrPair, jitExec, jitInstall, jitSetMode, jitFlushAll, jitInvalidateRange, jitLayout, jitStat } from "./jit";

export function init(ramBytes: u32): void {
  if (ramBytes == 0 || (ramBytes & 0xffff) != 0) abort("init: RAM size must be a non-zero multiple of 64 KiB");
  if (!M.allocRam(ramBytes)) abort("init: the host refused to grow the wasm memory by the RAM size");
  reset();
  S.instretCount = 0;
}

export function ramPtr(): u32 { return <u32>M.ramBase; }
export function ramSize(): u32 { return <u32>M.ramBytes; }

export function reset(): void {
  C.resetCpu();
  J.jitReset();
  G.gicReset();
  P.pmuReset();
  DA.debugArchReset();
  D.refreshDebugFlags();
  T.timerReset();
  for (let i: u32 = 0; i < 32; i++) { V.setV(i, 0, 0); V.setV(i, 1, 0); }
  V.setFPCR(0); V.setFPSR(0);
  S.psciFn = 0;
}

export function setPC(v: u64): void { S.pc = v; S.npc = v; S.wfiStopped = false; }
export function getPC(): u64 { return S.pc; }
export function setX(n: u32, v: u64): void { C.setXregSP(n, v); }
export function getX(n: u32): u64 { return C.xregSP(n); }
export function getSP(el: u32): u64 { return el == 0 ? S.spEl0 : S.spEl1; }
export function setSP(el: u32, v: u64): void { if (el == 0) S.spEl0 = v; else S.spEl1 = v; }
export function getNZCV(): u32 { return S.nzcv; }
export function setNZCV(v: u32): void { S.nzcv = v & 0xf0000000; }
export function getPSTATE(): u32 { return C.getPSTATE(); }
// Returns 1 if applied, 0 if the mode is not one this core has (nothing changed).
export function setPSTATE(v: u32): u32 { const ok = C.setPSTATE(v); M.invalidateFetch(); return ok ? 1 : 0; }
export function getV(n: u32, half: u32): u64 { return V.getV(n, half); }
export function setV(n: u32, half: u32, v: u64): void { V.setV(n, half, v); }
export function getFPCR(): u32 { return V.getFPCR(); }
export function setFPCR(v: u32): void { V.setFPCR(v); }
export function getFPSR(): u32 { return V.getFPSR(); }
export function setFPSR(v: u32): void { V.setFPSR(v); }

// Same encoding as MRS/MSR. Unknown registers read 0 and sysregOK() says 0.
let srOK: u32 = 1;
export function getSysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32): u64 {
  const v = sysregRead(srKey(op0, op1, crn, crm, op2));
  srOK = SY.srStatus == 0 ? 1 : 0;
  return v;
}
export function setSysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, v: u64): void {
  sysregWrite(srKey(op0, op1, crn, crm, op2), v);
  srOK = SY.srStatus == 0 ? 1 : 0;
}
// 1 if the last getSysreg/setSysreg named a register this core has
export function sysregOK(): u32 { return srOK; }

export function run(budget: u32): u32 { return C.run(budget); }
export function instret(): f64 { return <f64>S.instretCount; }
export function setIrqLine(intid: u32, level: u32): void { G.gicSetLine(intid, level); }
export function setClockMode(mode: u32): void { T.setClockMode(mode); }
export function timerDeadline(): f64 { return T.timerDeadlineMs(); }
export function setHostTraps(mask: u32): void { S.hostTraps = mask; }
export function lastTrap(): u32 { return S.lastTrapInsn; }
export function psciReason(): u32 { return S.psciFn; }
export function lastUndefined(): u32 { return S.lastUndef; }
export function lastUndefinedPC(): u64 { return S.lastUndefPC; }
export function getCurrentEL(): u32 { return S.curEL; }

// bit0: a timer is armed with a future deadline; bit1: the GIC can deliver an
// SPI from a host device; bit2: an IRQ is pending at the CPU now.
export function idleState(): u32 {
  if (S.cpuOff) return 0; // PSCI CPU_OFF: halted until reset
  let r: u32 = 0;
  if (T.timerArmed()) r |= 1;
  if (G.gicCanDeliverSpi()) r |= 2;
  if (G.gicIrqPending()) r |= 4;
  return r;
}

// The guest's system counter (ticks), as CNTVCT_EL0 reads it.
export function counterTicks(): f64 { return <f64>T.counter(); }

// Translate a guest VA for the current EL as a data read without side effects;
// returns the PA, or -1 on a fault. For inspectors and the host's crash report.
export function debugTranslate(va: u64): f64 {
  const savedPar = S.par;
  M.atTranslate(va, false, S.curEL == 0);
  const par = S.par;
  S.par = savedPar;
  if ((par & 1) != 0) return -1;
  return <f64>((par & 0x0000_ffff_ffff_f000) | (va & 0xfff));
}

export function lastError(): u32 { return 0; }

// ---- host debugger (debug.ts; used by the GDB stub) ----------------------------------
import * as D from "./debug";

// Instruction breakpoint at a virtual address; returns 0 if the table is full.
export function debugAddBreak(va: u64): u32 { const ok = D.addBreak(va); M.invalidateFetch(); return ok ? 1 : 0; }
export function debugRemoveBreak(va: u64): u32 { const ok = D.removeBreak(va); M.invalidateFetch(); return ok ? 1 : 0; }
// Watchpoint on [va, va+len): kind 1 write, 2 read, 3 access; returns 0 if refused.
export function debugAddWatch(va: u64, len: u64, kind: u32): u32 { const ok = D.addWatch(va, len, kind); M.tlbFlush(); return ok ? 1 : 0; }
export function debugRemoveWatch(va: u64, len: u64, kind: u32): u32 { const ok = D.removeWatch(va, len, kind); M.tlbFlush(); return ok ? 1 : 0; }
export function debugClear(): void { D.clearAll(); M.tlbFlush(); }
// The next fetch at the current PC ignores a breakpoint there (continue/step from a breakpoint).
export function debugSkipOnce(): void { D.skipOnce(S.pc); }
// After StopReason.Debug: 1 breakpoint (PC on it), 2 watchpoint (PC after the access's instruction).
export function debugStopKind(): u32 { return D.stopKind; }
export function debugWatchAddr(): u64 { return D.watchHitAddr; }
export function debugWatchKind(): u32 { return D.watchHitKind; }

// After StopReason.ExceptionLoop: how many identical synchronous exceptions
// were taken in a row with no progress between them (cpu.ts).
export function exceptionLoopCount(): u32 { return C.excLoopCount; }

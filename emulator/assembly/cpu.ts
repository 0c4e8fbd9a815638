// The A64 CPU: register accessors, exception entry, the top-level decoder
// (Arm ARM C4.1 "A64 instruction set encoding", op0 = bits 28:25) and the
// run loop. Execution model: before each instruction npc = pc + 4; handlers
// that branch or take an exception overwrite npc; after the handler pc = npc.
// A handler that faults (memFault) has already redirected npc to the vector
// and must not write registers.

import * as S from "./state";
import { fetch, tlbFlush } from "./mem";
import * as M from "./mem";
import { execDPImm, execDPReg } from "./dp";
import { execLdSt } from "./ldst";
import { execBranchSys } from "./system";
import { execSimdFp, execSimdLoadStore } from "./simd/index";
import { gicIrqPending } from "./gic";
import { timerUpdate, timerChunkLimit, clockMode, refreshRealtime } from "./timer";

@external("env", "reportUndefined")
declare function reportUndefined(pcLo: u32, pcHi: u32, insn: u32): void;

// ---- register file ------------------------------------------------------------

@inline export function xreg(n: u32): u64 {
  return n == 31 ? 0 : load<u64>(S.REGS + (<usize>n << 3));
}
@inline export function setXreg(n: u32, v: u64): void {
  if (n != 31) store<u64>(S.REGS + (<usize>n << 3), v);
}
@inline export function curSP(): u64 {
  return (S.curEL != 0 && S.spSel != 0) ? S.spEl1 : S.spEl0;
}
@inline export function setCurSP(v: u64): void {
  if (S.curEL != 0 && S.spSel != 0) S.spEl1 = v; else S.spEl0 = v;
}
@inline export function xregSP(n: u32): u64 {
  return n == 31 ? curSP() : load<u64>(S.REGS + (<usize>n << 3));
}
@inline export function setXregSP(n: u32, v: u64): void {
  if (n == 31) setCurSP(v); else store<u64>(S.REGS + (<usize>n << 3), v);
}
export function curPC(): u64 { return S.pc; }
export function getNZCVFlags(): u32 { return S.nzcv; }
export function setNZCVFlags(v: u32): void { S.nzcv = v & 0xf0000000; }

@inline export function condHolds(cond: u32): bool {
  const f = S.nzcv;
  let r: bool;
  switch (cond >> 1) {
    case 0: r = (f & 0x40000000) != 0; break;                      // EQ
    case 1: r = (f & 0x20000000) != 0; break;                      // CS
    case 2: r = (f & 0x80000000) != 0; break;                      // MI
    case 3: r = (f & 0x10000000) != 0; break;                      // VS
    case 4: r = (f & 0x60000000) == 0x20000000; break;             // HI
    case 5: r = ((f >> 31) & 1) == ((f >> 28) & 1); break;         // GE
    case 6: r = ((f >> 31) & 1) == ((f >> 28) & 1) && (f & 0x40000000) == 0; break; // GT
    default: return true;                                            // AL/NV
  }
  return (cond & 1) != 0 ? !r : r;
}

// ---- PSTATE in SPSR format ------------------------------------------------------

export function getPSTATE(): u32 {
  return S.nzcv | (S.pstateIL << 20) | S.daif | (S.curEL << 2) | (S.curEL != 0 ? S.spSel : 0);
}

// Apply an SPSR-format value; returns false (and changes nothing) for a mode
// this core cannot enter (EL2/EL3, AArch32, EL0 with SP_EL1).
export function setPSTATE(v: u32): bool {
  const m = v & 0x1f;
  if (m != 0 && m != 4 && m != 5) return false;
  S.nzcv = v & 0xf0000000;
  S.daif = v & 0x3c0;
  S.pstateIL = (v >> 20) & 1;
  const el = (m >> 2) & 3;
  const changed = el != S.curEL;
  S.curEL = el;
  S.spSel = m & 1;
  if (changed) M.invalidateFetch();
  S.irqCheck = true;
  return true;
}

// ---- exceptions -------------------------------------------------------------------

export const EC_UNKNOWN: u32 = 0x00;
export const EC_WFX: u32 = 0x01;
export const EC_FP: u32 = 0x07;
export const EC_ILLEGAL: u32 = 0x0e;
export const EC_SVC: u32 = 0x15;
export const EC_HVC: u32 = 0x16;
export const EC_SYS: u32 = 0x18;
export const EC_IABT_LOW: u32 = 0x20;
export const EC_IABT_CUR: u32 = 0x21;
export const EC_PC_ALIGN: u32 = 0x22;
export const EC_DABT_LOW: u32 = 0x24;
export const EC_DABT_CUR: u32 = 0x25;
export const EC_BRK: u32 = 0x3c;

// Take an exception to EL1. `vecOff` is 0 for synchronous, 0x80 for IRQ.
export function takeException(syndrome: u64, retAddr: u64, vecOff: u32): void {
  S.spsr = <u64>getPSTATE();
  S.elr = retAddr;
  if (vecOff == 0) S.esr = syndrome;
  let off: u32;
  if (S.curEL == 0) off = 0x400;
  else off = S.spSel != 0 ? 0x200 : 0;
  const fromEL0 = S.curEL != 1;
  S.curEL = 1;
  S.spSel = 1;
  if (fromEL0) M.invalidateFetch();
  S.daif = 0x3c0;
  S.pstateIL = 0;
  S.exclValid = false;
  S.npc = (S.vbar & ~<u64>0x7ff) + <u64>(off + vecOff);
}

@inline function syn(ec: u32, iss: u32): u64 {
  return <u64>((ec << 26) | (1 << 25) | (iss & 0x1ffffff));
}

export function takeSync(ec: u32, iss: u32, retAddr: u64): void {
  takeException(syn(ec, iss), retAddr, 0);
}

export function takeDataAbort(va: u64, fsc: u32, write: bool, cm: bool): void {
  S.far = va;
  const iss = fsc | (write ? 1 << 6 : 0) | (cm ? 1 << 8 : 0);
  takeSync(S.curEL == 0 ? EC_DABT_LOW : EC_DABT_CUR, iss, S.pc);
}

export function takeInsnAbort(va: u64, fsc: u32): void {
  S.far = va;
  takeSync(S.curEL == 0 ? EC_IABT_LOW : EC_IABT_CUR, fsc, S.pc);
}

// Unallocated or unimplemented encoding: guest UNDEFINED + host report.
export function undefinedInsn(insn: u32): void {
  S.lastUndef = insn;
  S.lastUndefPC = S.pc;
  reportUndefined(<u32>S.pc, <u32>(S.pc >> 32), insn);
  takeSync(EC_UNKNOWN, 0, S.pc);
}

// CPACR_EL1.FPEN: 0b11 = no trap; 0bx0 = trap EL0 and EL1; 0b01 = trap EL0
export function checkFpEnabled(): bool {
  const fpen = <u32>(S.cpacr >> 20) & 3;
  if (fpen == 3 || (fpen == 1 && S.curEL == 1)) return true;
  takeSync(EC_FP, (1 << 24) | (0xe << 20), S.pc);
  return false;
}

// ---- decode -------------------------------------------------------------------------

function exec(insn: u32): void {
  switch ((insn >> 25) & 0xf) {
    case 8: case 9: execDPImm(insn); return;
    case 10: case 11: execBranchSys(insn); return;
    case 4: case 6: case 12: case 14:
      if ((insn & (1 << 26)) != 0) execSimdLoadStore(insn); else execLdSt(insn);
      return;
    case 5: case 13: execDPReg(insn); return;
    case 7: case 15: execSimdFp(insn); return;
    default: undefinedInsn(insn);
  }
}

// ---- run loop --------------------------------------------------------------------------

export const STOP_BUDGET: i32 = 0;
export const STOP_IDLE: i32 = 1;
export const STOP_POWEROFF: i32 = 2;
export const STOP_RESET: i32 = 3;
export const STOP_TRAP: i32 = 4;
export const STOP_HALTED: i32 = 5;

export function stopRun(reason: i32): void {
  S.stopReason = reason;
  S.irqCheck = true;
}

function takeIrqIfAny(): void {
  if ((S.daif & 0x80) == 0 && gicIrqPending()) {
    // an interrupt ends a WFI we stopped on: the exception returns past it
    if (S.wfiStopped) S.pc += 4;
    S.npc = S.pc;
    takeException(0, S.pc, 0x80);
    S.pc = S.npc;
  }
}

export function run(budget: u32): u32 {
  S.stopReason = -1;
  const start = S.instretCount;
  const end = start + <u64>budget;
  if (clockMode != 0) refreshRealtime();
  while (S.instretCount < end) {
    timerUpdate();
    S.irqCheck = false;
    takeIrqIfAny();
    S.wfiStopped = false;
    let chunkEnd = end;
    const lim = timerChunkLimit();
    if (lim != 0 && S.instretCount + lim < chunkEnd) chunkEnd = S.instretCount + lim;
    while (S.instretCount < chunkEnd) {
      M.memFault = false;
      S.npc = S.pc + 4;
      if (((<u32>S.pc & 3) | S.pstateIL) != 0) {
        if ((S.pc & 3) != 0) { S.far = S.pc; takeSync(EC_PC_ALIGN, 0, S.pc); }
        else takeSync(EC_ILLEGAL, 0, S.pc);
      } else {
        const insn = fetch(S.pc);
        if (!M.memFault) exec(insn);
      }
      S.pc = S.npc;
      S.instretCount++;
      if (S.irqCheck) break;
    }
    if (S.stopReason >= 0) break;
    if (clockMode != 0) refreshRealtime();
  }
  timerUpdate();
  if (S.stopReason >= 0) return <u32>S.stopReason;
  return STOP_BUDGET;
}

export function resetCpu(): void {
  memory.fill(S.REGS, 0, 32 * 8);
  S.pc = 0; S.npc = 0; S.nzcv = 0; S.curEL = 1; S.spSel = 1; S.daif = 0x3c0; S.pstateIL = 0;
  S.spEl0 = 0; S.spEl1 = 0;
  S.sctlr = 0x00c50838; // Cortex-A72 reset value as QEMU models it: MMU/caches off
  S.tcr = 0; S.ttbr0 = 0; S.ttbr1 = 0; S.mair = 0; S.vbar = 0; S.esr = 0; S.far = 0;
  S.elr = 0; S.spsr = 0; S.par = 0; S.cpacr = 0; S.tpidr0 = 0; S.tpidr1 = 0; S.tpidrro0 = 0;
  S.contextidr = 0; S.amair = 0; S.afsr0 = 0; S.afsr1 = 0; S.csselr = 0; S.mdscr = 0;
  S.cntkctl = 0; S.actlr = 0;
  S.exclValid = false; S.eventReg = false;
  S.stopReason = -1; S.irqCheck = true; S.wfiStopped = false;
  tlbFlush();
  M.invalidateFetch();
}

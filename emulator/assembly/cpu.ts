// The A64 CPU: register accessors, exception entry, the top-level decoder
// (Arm ARM C4.1 "A64 instruction set encoding", op0 = bits 28:25) and the
// run loop. Execution model: before each instruction npc = pc + 4; handlers
// that branch or take an exception overwrite npc; after the handler pc = npc.
// A handler that faults (memFault) has already redirected npc to the vector
// and must not write registers.

import * as S from "./state";
import { tlbFlush } from "./mem";
import * as M from "./mem";
import { decodeExec } from "./decode.gen";
import { gicIrqPending } from "./gic";
import * as P from "./pmu";
import { timerUpdate, timerChunkLimit, clockMode, refreshRealtime } from "./timer";
import { jitOn, runChunkJit } from "./jit";

@external("env", "reportUndefined")
declare function reportUndefined(pcLo: u32, pcHi: u32, insn: u32): void;

// ---- register file ------------------------------------------------------------

// Slot 31 of REGS is never written (setXreg discards it, setXregSP routes it
// to the SP), so it always holds zero and xreg() needs no test.
@inline export function xreg(n: u32): u64 {
  return load<u64>(S.REGS + (<usize>n << 3));
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
  return S.nzcv | (S.pstateSS ? 1 << 21 : 0) | (S.pstateIL << 20) | S.daif | (S.curEL << 2) | (S.curEL != 0 ? S.spSel : 0);
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
  if (changed || S.pstateIL != 0) M.invalidateFetch();
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
export const EC_BKPT_LOW: u32 = 0x30, EC_BKPT_CUR: u32 = 0x31;
export const EC_SOFTSTEP_LOW: u32 = 0x32, EC_SOFTSTEP_CUR: u32 = 0x33;
export const EC_WATCH_LOW: u32 = 0x34, EC_WATCH_CUR: u32 = 0x35;

// Exception-loop detector: a guest whose synchronous exception handler itself
// faults at the same place (vectors not set up, a vector table in a hole, a
// handler whose stack is gone), or whose handler returns to the faulting
// instruction without fixing anything, takes the same exception over and over
// at full speed, forever. EXC_LOOP_LIMIT synchronous exceptions in a row with
// the same ESR and ELR and no progress between two of them stop run() with
// STOP_EXC_LOOP (ESR/ELR/FAR_EL1 tell the host what it was). No progress: no
// ERET since the previous one (the handler faulted), or the instruction an
// ERET returned to faulted again at once (a retry that cannot succeed). An
// ERET elsewhere (e.g. past a trapped instruction it emulated), an instruction
// completed after the ERET, or a different exception starts a new count; IRQs
// neither count nor reset it. No working kernel nests one fault in its own
// handler, or retries a hopeless one, a thousand times: the SIS kernel's crash
// path reports once and halts in WFI.
export const EXC_LOOP_LIMIT: u32 = 1000;
export let excLoopCount: u32 = 0;
let excLoopEsr: u64 = 0;
let excLoopElr: u64 = 0;
// the last ERET since the last synchronous exception: where to, and when
let eretSince: bool = false;
let eretTo: u64 = 0;
let eretAt: u64 = 0;
export function excNoteEret(target: u64): void {
  eretSince = true;
  eretTo = target;
  eretAt = S.instretCount;
}

// Take an exception to EL1. `vecOff` is 0 for synchronous, 0x80 for IRQ.
export function takeException(syndrome: u64, retAddr: u64, vecOff: u32): void {
  if (P.pmuEnabled) P.pmuElChange();
  if (vecOff == 0) {
    // the faulting slot is the one right after the ERET's (instret counts after exec)
    const noProgress = !eretSince || (eretTo == retAddr && S.instretCount == eretAt + 1);
    if (excLoopCount != 0 && noProgress && syndrome == excLoopEsr && retAddr == excLoopElr) {
      if (++excLoopCount >= EXC_LOOP_LIMIT) stopRun(STOP_EXC_LOOP);
    } else {
      excLoopEsr = syndrome;
      excLoopElr = retAddr;
      excLoopCount = 1;
    }
    eretSince = false;
  }
  S.excCount++;
  S.spsr = <u64>getPSTATE();
  S.pstateSS = false;
  S.ssState = 0;
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
  if (P.pmuEnabled) P.pmuAfterElChange();
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
@inline export function checkFpEnabled(): bool {
  const fpen = <u32>(S.cpacr >> 20) & 3;
  if (fpen == 3 || (fpen == 1 && S.curEL == 1)) return true;
  fpTrap();
  return false;
}

function fpTrap(): void {
  takeSync(EC_FP, (1 << 24) | (0xe << 20), S.pc);
}

// ---- decode -------------------------------------------------------------------------

// Execute one instruction. The decoder is generated from the decoding table
// (emulator/decode/a64.decode, by emulator/scripts/gen-decode.ts): a 4096-entry table on
// bits 31:20, then decision trees on the other bits, ending in the handler named after the
// instruction's pattern - or in undefinedInsn, the one place unallocated encodings go.
@inline function exec(insn: u32): void {
  decodeExec(insn);
}

// ---- run loop --------------------------------------------------------------------------

export const STOP_BUDGET: i32 = 0;
export const STOP_IDLE: i32 = 1;
export const STOP_POWEROFF: i32 = 2;
export const STOP_RESET: i32 = 3;
export const STOP_TRAP: i32 = 4;
export const STOP_HALTED: i32 = 5;
export const STOP_EXC_LOOP: i32 = 6;
export const STOP_DEBUG: i32 = 7; // a host breakpoint/watchpoint (debug.ts)

export function stopRun(reason: i32): void {
  S.stopReason = reason;
  S.irqCheck = true;
}

function takeIrqIfAny(): void {
  if ((S.daif & 0x80) == 0 && gicIrqPending()) {
    // an interrupt ends a WFI we stopped on: the exception returns past it
    if (S.wfiStopped) { S.pc += 4; S.psciSuspended = false; }
    S.npc = S.pc;
    takeException(0, S.pc, 0x80);
    S.pc = S.npc;
  }
}

// Fetch outside the cached code page: PC alignment and illegal-state checks first, then the
// translating fetch. On any of these faults memFault is set (the exception already taken).
function fetchChecked(pc: u64): u32 {
  if (((<u32>pc & 3) | S.pstateIL) != 0) {
    if ((pc & 3) != 0) { S.far = pc; takeSync(EC_PC_ALIGN, 0, pc); }
    else takeSync(EC_ILLEGAL, 0, pc);
    M.memFault = true;
    return 0;
  }
  return M.fetchSlow(pc);
}

// A host breakpoint/watchpoint (debug.ts), an enabled guest one (debugarch.ts, MDSCR.MDE) or an
// active software step: run() then interprets every instruction (see the loop below).
@inline export function debugActive(): bool {
  return S.debugBp || S.debugWatch || S.ssState != 0;
}

export function run(budget: u32): u32 {
  S.stopReason = -1;
  if (S.cpuOff) return STOP_IDLE; // PSCI CPU_OFF: nothing runs until reset
  M.memFault = false;
  const start = S.instretCount;
  const end = start + <u64>budget;
  if (clockMode != 0) refreshRealtime();
  while (S.instretCount < end) {
    timerUpdate();
    S.irqCheck = false;
    // software step (debugarch.ts): the stepped instruction has run; the exception comes first
    if (S.ssState >= 2) {
      const stepped = S.ssState == 2;
      S.ssState = 0;
      if (!stepped || S.pstateSS) {
        S.pstateSS = false; // the step completed (or was pending): SPSR.SS = 0
        S.npc = S.pc;
        takeSync(S.curEL == 0 ? EC_SOFTSTEP_LOW : EC_SOFTSTEP_CUR, (stepped ? 1 << 24 : 0) | 0x22, S.pc);
        S.pc = S.npc;
      }
    }
    takeIrqIfAny();
    S.wfiStopped = false;
    let chunkEnd = end;
    const lim = timerChunkLimit();
    if (lim != 0 && S.instretCount + lim < chunkEnd) chunkEnd = S.instretCount + lim;
    if (S.ssState == 1) { S.ssState = 2; chunkEnd = S.instretCount + 1; } // run exactly the stepped instruction
    // Translated code (jit.ts; same stops, same counts) runs only while no debug feature is
    // active: blocks neither fetch through fetchSlow (breakpoints) nor pass this loop
    // (software step), so any breakpoint, watchpoint or step runs the interpreter.
    if (jitOn && !debugActive()) runChunkJit(chunkEnd);
    else while (S.instretCount < chunkEnd) {
      // memFault is false here: it is cleared below after any instruction that set it
      const pc = S.pc;
      S.npc = pc + 4;
      let insn: u32;
      // cached code page hit: implies pc aligned and PSTATE.IL = 0 (see mem.ts codeTag)
      if ((pc & ~<u64>0xffc) == M.codeTag) insn = load<u32>(M.codeHost + <usize>(pc & 0xffc));
      else insn = fetchChecked(pc);
      if (!M.memFault) exec(insn);
      if (M.memFault) M.memFault = false;
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

// Execute one fetched instruction (S.pc, S.npc set), for the translator's jitExec helper.
export function execInsn(insn: u32): void { exec(insn); }

// One interpreter step (the body of run()'s loop), for the translator's dispatcher.
export function stepOne(): void {
  const pc = S.pc;
  S.npc = pc + 4;
  let insn: u32;
  if ((pc & ~<u64>0xffc) == M.codeTag) insn = load<u32>(M.codeHost + <usize>(pc & 0xffc));
  else insn = fetchChecked(pc);
  if (!M.memFault) exec(insn);
  if (M.memFault) M.memFault = false;
  S.pc = S.npc;
  S.instretCount++;
}

export function resetCpu(): void {
  memory.fill(S.REGS, 0, 32 * 8);
  S.pc = 0; S.npc = 0; S.nzcv = 0; S.curEL = 1; S.spSel = 1; S.daif = 0x3c0; S.pstateIL = 0;
  S.pstateSS = false; S.ssState = 0;
  S.spEl0 = 0; S.spEl1 = 0;
  S.sctlr = 0x00c50838; // Cortex-A72 reset value as QEMU models it: MMU/caches off
  S.tcr = 0; S.ttbr0 = 0; S.ttbr1 = 0; S.mair = 0; S.vbar = 0; S.esr = 0; S.far = 0;
  S.elr = 0; S.spsr = 0; S.par = 0; S.cpacr = 0; S.tpidr0 = 0; S.tpidr1 = 0; S.tpidrro0 = 0;
  S.contextidr = 0; S.amair = 0; S.afsr0 = 0; S.afsr1 = 0; S.csselr = 0; S.mdscr = 0;
  S.cntkctl = 0; S.actlr = 0;
  S.exclValid = false; S.eventReg = false;
  S.stopReason = -1; S.irqCheck = true; S.wfiStopped = false; S.psciSuspended = false; S.cpuOff = false;
  excLoopCount = 0; eretSince = false;
  tlbFlush();
  M.invalidateFetch();
}

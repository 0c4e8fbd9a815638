// Branches, exception generation and system instructions (Arm ARM C4.1.3),
// system registers (MRS/MSR), PSCI over HVC and WFI/WFE.

import * as S from "./state";
import {
  xreg, setXreg, undefinedInsn, condHolds, takeSync, getPSTATE, setPSTATE, stopRun, excNoteEret,
  EC_SVC, EC_BRK, EC_SYS, EC_WFX, STOP_IDLE, STOP_POWEROFF, STOP_RESET, STOP_TRAP,
} from "./cpu";
import * as M from "./mem";
import { tlbFlush, invalidateFetch, atTranslate, probeWrite, writeMem } from "./mem";
import { gicIrqPending, gicIsrPending } from "./gic";
import { timerRead, timerWrite, timerUpdate, counter, clockMode, skipToDeadline, refreshRealtime, CNTFRQ } from "./timer";
import { getFPCR, setFPCR, getFPSR, setFPSR } from "./simd/index";
import { idRead, idFound } from "./idregs";
import { psciCall } from "./psci";
import { isDebugKey, debugRegRead, debugRegWrite, daUndef, debugEnabledAt, mdscr, ssRecompute } from "./debugarch";
import { refreshDebugFlags } from "./debug";
import { isPmuKey, pmuRead, pmuWrite, pmuUndef, pmuEl0Trap, pmuEnabled, pmuElChange, pmuAfterElChange } from "./pmu";

export function B_BL(insn: u32): void {
  const off = <i64>(<i32>(insn << 6) >> 4);
  if ((insn >> 31) != 0) setXreg(30, S.pc + 4);
  S.npc = S.pc + <u64>off;
}

export function CBZ(insn: u32): void {
  const sf = insn >> 31;
  let v = xreg(insn & 31);
  if (sf == 0) v &= 0xffffffff;
  const nz = (insn >> 24) & 1;
  if ((v == 0) != (nz != 0)) S.npc = S.pc + <u64>(<i64>((<i32>(insn << 8) >> 13) << 2));
}

export function TBZ(insn: u32): void {
  const bit = ((insn >> 26) & 0x20) | ((insn >> 19) & 0x1f);
  const set = (xreg(insn & 31) >> bit) & 1;
  const nz = (insn >> 24) & 1;
  if (<u32>set == nz) S.npc = S.pc + <u64>(<i64>((<i32>(insn << 13) >> 18) << 2));
}

export function B_cond(insn: u32): void {
  // bit 4 set would be BC.cond (FEAT_HBC), which the table leaves out
  if (condHolds(insn & 15)) S.npc = S.pc + <u64>(<i64>((<i32>(insn << 8) >> 13) << 2));
}

// BR, RET (the table has Rn only; bits 20:10 and 4:0 fixed)
export function BR(insn: u32): void { S.npc = xreg((insn >> 5) & 31); }
export function RET(insn: u32): void { S.npc = xreg((insn >> 5) & 31); }
export function BLR(insn: u32): void {
  const t = xreg((insn >> 5) & 31);
  setXreg(30, S.pc + 4);
  S.npc = t;
}

export function ERET(insn: u32): void {
  if (S.curEL == 0) { undefinedInsn(insn); return; } // run-time state, not decoding
  const spsr = <u32>S.spsr;
  const target = S.elr;
  if (pmuEnabled) pmuElChange();
  const ok = setPSTATE(spsr);
  // software step: PSTATE.SS from SPSR.SS when stepping is enabled at the EL returned to
  S.pstateSS = ok && (spsr & (1 << 21)) != 0 && (mdscr & 1) != 0 && debugEnabledAt(S.curEL, (spsr & 0x200) != 0);
  ssRecompute();
  if (!ok) {
    // illegal exception return: keep EL and SP, restore flags/masks, set IL
    S.nzcv = spsr & 0xf0000000;
    S.daif = spsr & 0x3c0;
    S.pstateIL = 1;
    invalidateFetch();
  }
  S.exclValid = false;
  S.irqCheck = true;
  S.npc = target;
  if (pmuEnabled) pmuAfterElChange();
  excNoteEret(target); // for the exception-loop detector (cpu.ts)
}

// SVC, HVC, BRK, HLT (SMC and DCPSn are not in the table: no EL3, no Debug state)
export function SVC(insn: u32): void {
  if ((S.hostTraps & 1) != 0) { S.lastTrapInsn = insn; stopRun(STOP_TRAP); return; }
  takeSync(EC_SVC, (insn >> 5) & 0xffff, S.pc + 4);
}

// HVC: PSCI; UNDEFINED at EL0 (run-time state, not decoding)
export function HVC(insn: u32): void {
  if (S.curEL == 0) { undefinedInsn(insn); return; }
  psciCall();
}

export function BRK(insn: u32): void {
  if ((S.hostTraps & 2) != 0) { S.lastTrapInsn = insn; stopRun(STOP_TRAP); return; }
  takeSync(EC_BRK, (insn >> 5) & 0xffff, S.pc);
}

// HLT: no external debugger, so UNDEFINED unless the host traps it (a run-time setting)
export function HLT(insn: u32): void {
  if ((S.hostTraps & 4) != 0) { S.lastTrapInsn = insn; stopRun(STOP_TRAP); return; }
  undefinedInsn(insn);
}

// ---- C5.2 system instructions ---------------------------------------------------

function sysTrap(insn: u32, read: bool): void {
  const op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15, crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7;
  const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | ((insn & 31) << 5) | (crm << 1) | (read ? 1 : 0);
  takeSync(EC_SYS, iss, S.pc);
}

export function HINT(insn: u32): void {
  const h = (insn >> 5) & 0x7f;
  switch (h) {
    case 2: WFx(insn, true); return;    // WFE
    case 3: WFx(insn, false); return;   // WFI
    case 4: case 5: S.eventReg = true; return; // SEV, SEVL
    default: return;                    // NOP, YIELD and unallocated hints
  }
}

function WFx(insn: u32, isWfe: bool): void {
  if (S.curEL == 0 && (S.sctlr & (isWfe ? 1 << 18 : 1 << 16)) == 0) {
    takeSync(EC_WFX, (1 << 24) | (0xe << 20) | (isWfe ? 1 : 0), S.pc);
    return;
  }
  if (isWfe && S.eventReg) { S.eventReg = false; return; }
  waitForInterrupt();
}

// The wait of WFI (also PSCI CPU_SUSPEND): returns true if an interrupt is
// pending at the CPU (the instruction completes); otherwise the PC stays on
// the instruction, run() stops with Idle and the instruction runs again.
export function waitForInterrupt(): bool {
  // bring the timers up to date first: a deadline may have passed since the last chunk
  if (clockMode != 0) refreshRealtime();
  timerUpdate();
  if (gicIrqPending()) { S.irqCheck = true; return true; }
  if (clockMode == 0) {
    // virtual clock: time jumps to the next timer deadline
    for (let k = 0; k < 2; k++) {
      if (!skipToDeadline()) break;
      if (gicIrqPending()) { S.irqCheck = true; return true; }
    }
  }
  // nothing can wake us within this slice: stay on the instruction and report Idle
  S.npc = S.pc;
  S.wfiStopped = true;
  stopRun(STOP_IDLE);
  return false;
}

// barriers: the core runs one CPU in order, so DSB/DMB/ISB have nothing to wait for
export function CLREX(insn: u32): void { S.exclValid = false; }
export function DSB(insn: u32): void {}
export function DMB(insn: u32): void {}
export function ISB(insn: u32): void {}

export function MSR_SPSel(insn: u32): void {
  if (S.curEL == 0) { undefinedInsn(insn); return; } // run-time state, not decoding
  S.spSel = (insn >> 8) & 1;
}

// DAIFSet (op2 = 6) / DAIFClr (7)
export function MSR_DAIF(insn: u32): void {
  const crm = (insn >> 8) & 15;
  if (S.curEL == 0 && (S.sctlr & (1 << 9)) == 0) { sysTrap(insn, false); return; }
  if (((insn >> 5) & 1) == 0) S.daif |= crm << 6; else S.daif &= ~(crm << 6);
  S.irqCheck = true;
  if ((mdscr & 1) != 0) ssRecompute(); // PSTATE.D may (un)mask a software step
}

// SYS operations. The op1 = 0 ones are UNDEFINED at EL0 and the op1 = 3 ones trap there
// unless SCTLR_EL1 allows them: run-time state, so those checks stay in the handlers.
export function TLBI(insn: u32): void { // every TLBI: flush the whole TLB
  if (S.curEL == 0) { undefinedInsn(insn); return; }
  tlbFlush(); invalidateFetch();
}
export function AT(insn: u32): void { // S1E1R/W, S1E0R/W
  if (S.curEL == 0) { undefinedInsn(insn); return; }
  const op2 = (insn >> 5) & 7;
  atTranslate(xreg(insn & 31), (op2 & 1) != 0, op2 >= 2);
}
export function IC_ALL(insn: u32): void { // IC IALLUIS, IALLU
  if (S.curEL == 0) { undefinedInsn(insn); return; }
  invalidateFetch();
}
export function DC_SW(insn: u32): void { // DC IVAC, ISW, CSW, CISW: no caches to maintain
  if (S.curEL == 0) { undefinedInsn(insn); return; }
}
export function DC_ZVA(insn: u32): void {
  if (S.curEL == 0 && (S.sctlr & (1 << 14)) == 0) { sysTrap(insn, false); return; }
  const va = xreg(insn & 31) & ~<u64>63;
  if (!probeWrite(va, 64, 0)) return;
  for (let i: u64 = 0; i < 64; i += 8) writeMem(va + i, 8, 0, 0);
}
export function IC_IVAU(insn: u32): void {
  if (S.curEL == 0 && (S.sctlr & (1 << 26)) == 0) { sysTrap(insn, false); return; }
  invalidateFetch();
}
export function DC_VA(insn: u32): void { // DC CVAC, CVAU, CVAP, CIVAC: no caches to maintain
  if (S.curEL == 0 && (S.sctlr & (1 << 26)) == 0) sysTrap(insn, false);
}

// ---- system registers --------------------------------------------------------------

@inline export function srKey(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32): u32 {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}
const SR_OK: u32 = 0, SR_UNDEF: u32 = 1, SR_TRAP: u32 = 2;
export let srStatus: u32 = 0;

function el0Allowed(key: u32, write: bool): u32 {
  const op1 = (key >> 11) & 7;
  if (op1 != 3) return SR_UNDEF;
  if (isPmuKey(key)) return pmuEl0Trap(key, write) ? SR_TRAP : SR_OK;
  switch (key) {
    case 0xda10: case 0xda20: case 0xda21: case 0xde82: return SR_OK; // NZCV, FPCR, FPSR, TPIDR_EL0
    case 0xda11: return (S.sctlr & (1 << 9)) != 0 ? SR_OK : SR_TRAP;   // DAIF (UMA)
    case 0xde83: return write ? SR_UNDEF : SR_OK;                       // TPIDRRO_EL0
    case 0xd801: return (S.sctlr & (1 << 15)) != 0 ? SR_OK : SR_TRAP;  // CTR_EL0 (UCT)
    case 0xd807: return SR_OK;                                           // DCZID_EL0
    case 0xdf00: return SR_OK;                                           // CNTFRQ_EL0
    case 0xdf01: return (S.cntkctl & 1) != 0 ? SR_OK : SR_TRAP;          // CNTPCT_EL0
    case 0xdf02: return (S.cntkctl & 2) != 0 ? SR_OK : SR_TRAP;          // CNTVCT_EL0
    case 0xdf10: case 0xdf11: case 0xdf12: return (S.cntkctl & (1 << 9)) != 0 ? SR_OK : SR_TRAP; // CNTP_*
    case 0xdf18: case 0xdf19: case 0xdf1a: return (S.cntkctl & (1 << 8)) != 0 ? SR_OK : SR_TRAP; // CNTV_*
    default: return SR_UNDEF;
  }
}

// Read a system register; srStatus = SR_UNDEF for one this core does not have.
export function sysregRead(key: u32): u64 {
  srStatus = SR_OK;
  const id = idRead(key);
  if (idFound) return id;
  if ((key & 0xff80) == 0xc000) { srStatus = SR_UNDEF; return 0; } // unallocated ID-space encodings
  if (isPmuKey(key)) { const v = pmuRead(key); if (pmuUndef) srStatus = SR_UNDEF; return v; }
  switch (key) {
    case 0xd000: return S.csselr;            // CSSELR_EL1
    // EL1 control
    case 0xc080: return S.sctlr;
    case 0xc081: return S.actlr;
    case 0xc082: return S.cpacr;
    case 0xc100: return S.ttbr0;
    case 0xc101: return S.ttbr1;
    case 0xc102: return S.tcr;
    case 0xc200: return S.spsr;
    case 0xc201: return S.elr;
    case 0xc208: return S.spEl0;
    case 0xc210: return <u64>S.spSel;
    case 0xc212: return <u64>(S.curEL << 2);
    case 0xc288: return S.afsr0;
    case 0xc289: return S.afsr1;
    case 0xc290: return S.esr;
    case 0xc300: return S.far;
    case 0xc3a0: return S.par;
    case 0xc510: return S.mair;
    case 0xc518: return S.amair;
    case 0xc600: return S.vbar;
    case 0xc608: return gicIsrPending() ? 0x80 : 0; // ISR_EL1
    case 0xc681: return S.contextidr;
    case 0xc684: return S.tpidr1;
    case 0xc708: return S.cntkctl;
    case 0xda10: return <u64>S.nzcv;
    case 0xda11: return <u64>S.daif;
    case 0xda20: return <u64>getFPCR();
    case 0xda21: return <u64>getFPSR();
    case 0xde82: return S.tpidr0;
    case 0xde83: return S.tpidrro0;
    // generic timer
    case 0xdf00: return CNTFRQ;
    case 0xdf01: case 0xdf02:
      if (clockMode != 0) refreshRealtime();
      return counter();
    case 0xdf10: return timerRead(true, 0);
    case 0xdf11: return timerRead(true, 1);
    case 0xdf12: return timerRead(true, 2);
    case 0xdf18: return timerRead(false, 0);
    case 0xdf19: return timerRead(false, 1);
    case 0xdf1a: return timerRead(false, 2);
    default: break;
  }
  // self-hosted debug registers (debugarch.ts)
  if (isDebugKey(key)) { const v = debugRegRead(key); if (daUndef) srStatus = SR_UNDEF; return v; }
  srStatus = SR_UNDEF;
  return 0;
}

export function sysregWrite(key: u32, v: u64): void {
  srStatus = SR_OK;
  switch (key) {
    case 0xd000: S.csselr = v & 0xf; return;
    case 0xc080:
      S.sctlr = v; tlbFlush(); invalidateFetch(); return;
    case 0xc081: S.actlr = v; return;
    case 0xc082: S.cpacr = v & (<u64>3 << 20); return;
    case 0xc100: S.ttbr0 = v; tlbFlush(); invalidateFetch(); return;
    case 0xc101: S.ttbr1 = v; tlbFlush(); invalidateFetch(); return;
    case 0xc102: S.tcr = v; tlbFlush(); invalidateFetch(); return;
    case 0xc200: S.spsr = v & 0xffffffff; return;
    case 0xc201: S.elr = v; return;
    case 0xc208: S.spEl0 = v; return;
    case 0xc210: S.spSel = <u32>v & 1; return;
    case 0xc288: S.afsr0 = v; return;
    case 0xc289: S.afsr1 = v; return;
    case 0xc290: S.esr = v & 0xffffffff; return;
    case 0xc300: S.far = v; return;
    case 0xc3a0: S.par = v; return;
    case 0xc510: S.mair = v; tlbFlush(); invalidateFetch(); return;
    case 0xc518: S.amair = v; return;
    case 0xc600: S.vbar = v & ~<u64>0x7ff; return;
    case 0xc681: S.contextidr = v & 0xffffffff; return;
    case 0xc684: S.tpidr1 = v; return;
    case 0xc708: S.cntkctl = v & 0x3ff; return;
    case 0xda10: S.nzcv = <u32>v & 0xf0000000; return;
    case 0xda11: S.daif = <u32>v & 0x3c0; S.irqCheck = true; if ((mdscr & 1) != 0) ssRecompute(); return;
    case 0xda20: setFPCR(<u32>v); return;
    case 0xda21: setFPSR(<u32>v); return;
    case 0xde82: S.tpidr0 = v; return;
    case 0xde83: S.tpidrro0 = v; return;
    case 0xdf10: timerWrite(true, 0, v); return;
    case 0xdf11: timerWrite(true, 1, v); return;
    case 0xdf12: timerWrite(true, 2, v); return;
    case 0xdf18: timerWrite(false, 0, v); return;
    case 0xdf19: timerWrite(false, 1, v); return;
    case 0xdf1a: timerWrite(false, 2, v); return;
    default: break;
  }
  if (isDebugKey(key)) {
    debugRegWrite(key, v);
    if (daUndef) { srStatus = SR_UNDEF; return; }
    refreshDebugFlags(); tlbFlush(); invalidateFetch();
    ssRecompute();
    S.irqCheck = true; // run() re-decides between translated code and the interpreter (cpu.ts debugActive)
    return;
  }
  if (isPmuKey(key)) { pmuWrite(key, v); if (pmuUndef) srStatus = SR_UNDEF; return; }
  srStatus = SR_UNDEF;
}

function isReadOnly(key: u32): bool {
  // ID space (op0=3, op1=0/1, CRn=0) except CSSELR, plus CTR, DCZID, CurrentEL, ISR, counters
  if ((key & 0xff80) == 0xc000 || (key & 0xff80) == 0xc800) return true;
  return key == 0xd801 || key == 0xd807 || key == 0xc212 || key == 0xc608 ||
         key == 0xdf00 || key == 0xdf01 || key == 0xdf02;
}

// MRS/MSR: which registers exist is the system-register map (sysregRead/sysregWrite, EL0
// rules in el0Allowed), looked up at run time, not the decoding table.
export function MRS(insn: u32): void {
  const key = (insn >> 5) & 0xffff;
  if (S.curEL == 0) {
    const a = el0Allowed(key, false);
    if (a == SR_UNDEF) { undefinedInsn(insn); return; }
    if (a == SR_TRAP) { sysTrap(insn, true); return; }
  }
  if (key == 0xc208 && S.spSel == 0) { undefinedInsn(insn); return; } // SP_EL0 while using SP_EL0
  const v = sysregRead(key);
  if (srStatus != SR_OK) { undefinedInsn(insn); return; }
  setXreg(insn & 31, v);
}

export function MSR_reg(insn: u32): void {
  const key = (insn >> 5) & 0xffff;
  if (S.curEL == 0) {
    const a = el0Allowed(key, true);
    if (a == SR_UNDEF) { undefinedInsn(insn); return; }
    if (a == SR_TRAP) { sysTrap(insn, false); return; }
  }
  if (isReadOnly(key)) { undefinedInsn(insn); return; }
  if (key == 0xc208 && S.spSel == 0) { undefinedInsn(insn); return; }
  sysregWrite(key, xreg(insn & 31));
  if (srStatus != SR_OK) { undefinedInsn(insn); return; }
}

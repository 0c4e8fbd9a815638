// Loads and stores with general registers (Arm ARM C4.1.4, V = 0): exclusives
// and acquire/release, literal, pairs (no-allocate, post, offset, pre) and
// single registers (unsigned offset, unscaled, post, pre, unprivileged,
// register offset). Every access goes through readMem/writeMem; on memFault
// a handler returns before any register write, so a faulting instruction
// leaves the register file untouched.

import * as S from "./state";
import { xreg, setXreg, xregSP, setXregSP } from "./cpu";
import * as M from "./mem";
import { readMem, writeMem, probeWrite, raiseAlign, F_ALIGN, F_UNPRIV } from "./mem";

@inline function sext(v: u64, bits: u32): u64 {
  const s = <u64>(64 - bits);
  return <u64>(<i64>(v << s) >> s);
}

// ---- exclusives, LDAR/STLR ------------------------------------------------------

export function EXCLUSIVE(insn: u32): void {
  const size = insn >> 30, o2 = (insn >> 23) & 1, l = (insn >> 22) & 1, o1 = (insn >> 21) & 1;
  const rs = (insn >> 16) & 31, rt2 = (insn >> 10) & 31;
  const rn = (insn >> 5) & 31, rt = insn & 31;
  const bytes: u32 = 1 << size;
  const va = xregSP(rn);
  // the table has LDAR/STLR (o2 = 1: o1 = 0, o0 = 1), exclusive pairs at 32/64 bits only
  if (o2 == 1) {
    if (l != 0) { // LDAR
      const v = readMem(va, bytes, F_ALIGN);
      if (M.memFault) return;
      setXreg(rt, v);
    } else {       // STLR
      writeMem(va, bytes, xreg(rt), F_ALIGN);
    }
    return;
  }
  if (l != 0) {
    if (o1 == 0) { // LDXR/LDAXR
      const v = readMem(va, bytes, F_ALIGN);
      if (M.memFault) return;
      S.exclValid = true; S.exclAddr = va; S.exclSize = bytes;
      setXreg(rt, v);
    } else {       // LDXP/LDAXP
      const total = bytes * 2;
      if ((va & <u64>(total - 1)) != 0) { raiseAlign(va, false); return; }
      const a = readMem(va, bytes, F_ALIGN);
      if (M.memFault) return;
      const b = readMem(va + <u64>bytes, bytes, F_ALIGN);
      if (M.memFault) return;
      S.exclValid = true; S.exclAddr = va; S.exclSize = total;
      setXreg(rt, a);
      setXreg(rt2, b);
    }
    return;
  }
  // STXR/STLXR/STXP/STLXP
  const total = o1 != 0 ? bytes * 2 : bytes;
  if ((va & <u64>(total - 1)) != 0) { raiseAlign(va, true); return; }
  if (!S.exclValid || S.exclAddr != va || S.exclSize != total) {
    S.exclValid = false;
    setXreg(rs, 1);
    return;
  }
  if (!probeWrite(va, total, F_ALIGN)) return;
  if (o1 == 0) writeMem(va, bytes, xreg(rt), 0);
  else { writeMem(va, bytes, xreg(rt), 0); writeMem(va + <u64>bytes, bytes, xreg(rt2), 0); }
  if (M.memFault) return;
  S.exclValid = false;
  setXreg(rs, 0);
}

// ---- LDR (literal), LDRSW (literal), PRFM (literal) --------------------------------

export function LDR_lit(insn: u32): void {
  const opc = insn >> 30;
  const va = S.pc + <u64>(<i64>((<i32>(insn << 8) >> 13) << 2));
  if (opc == 3) return; // PRFM
  const bytes: u32 = opc == 0 ? 4 : (opc == 1 ? 8 : 4);
  const v = readMem(va, bytes, 0);
  if (M.memFault) return;
  setXreg(insn & 31, opc == 2 ? sext(v, 32) : v);
}

// ---- STP/LDP/LDPSW/STNP/LDNP ---------------------------------------------------------

export function PAIR(insn: u32): void {
  // the table leaves out opc 3, STGP (opc 1, L 0) and LDNPSW (opc 1, type 0)
  const opc = insn >> 30, type = (insn >> 23) & 3, l = (insn >> 22) & 1;
  const bytes: u32 = opc == 2 ? 8 : 4;
  const imm = <u64>(<i64>(<i32>(insn << 10) >> 25) * <i64>bytes);
  const rn = (insn >> 5) & 31, rt = insn & 31, rt2 = (insn >> 10) & 31;
  const base = xregSP(rn);
  const va = type == 1 ? base : base + imm;
  if (l != 0) {
    const a = readMem(va, bytes, 0);
    if (M.memFault) return;
    const b = readMem(va + <u64>bytes, bytes, 0);
    if (M.memFault) return;
    if (opc == 1) { setXreg(rt, sext(a, 32)); setXreg(rt2, sext(b, 32)); }
    else { setXreg(rt, a); setXreg(rt2, b); }
  } else {
    const a = xreg(rt), b = xreg(rt2);
    if (!probeWrite(va, bytes * 2, 0)) return;
    writeMem(va, bytes, a, 0);
    if (M.memFault) return;
    writeMem(va + <u64>bytes, bytes, b, 0);
    if (M.memFault) return;
  }
  if (type == 1) setXregSP(rn, base + imm);
  else if (type == 3) setXregSP(rn, va);
}

// ---- single register ---------------------------------------------------------------

// Perform the load/store described by size:opc at va. Returns false on a fault. The
// table has only allocated size:opc pairs for each addressing mode (PRFM only where
// the mode has one).
function single(insn: u32, va: u64, flags: u32): bool {
  const size = insn >> 30, opc = (insn >> 22) & 3, rt = insn & 31;
  const bytes: u32 = 1 << size;
  if (opc == 0) { // STR*
    writeMem(va, bytes, xreg(rt), flags);
    return !M.memFault;
  }
  if (opc == 1) { // LDR* zero-extending
    const v = readMem(va, bytes, flags);
    if (M.memFault) return false;
    setXreg(rt, v);
    return true;
  }
  if (opc == 2) {
    if (size == 3) return true; // PRFM / PRFUM
    const v = readMem(va, bytes, flags); // LDRSB/LDRSH/LDRSW to X
    if (M.memFault) return false;
    setXreg(rt, sext(v, bytes * 8));
    return true;
  }
  const v = readMem(va, bytes, flags);  // LDRSB/LDRSH to W
  if (M.memFault) return false;
  setXreg(rt, sext(v, bytes * 8) & 0xffffffff);
  return true;
}

export function LDST_uimm(insn: u32): void {
  const size = insn >> 30;
  const off = <u64>((insn >> 10) & 0xfff) << size;
  single(insn, xregSP((insn >> 5) & 31) + off, 0);
}

@inline function imm9(insn: u32): u64 { return <u64>(<i64>(<i32>(insn << 11) >> 23)); }

// LDUR/STUR/PRFUM
export function LDST_unscaled(insn: u32): void {
  single(insn, xregSP((insn >> 5) & 31) + imm9(insn), 0);
}

// LDTR/STTR: at EL1 checked with EL0's permissions
export function LDTR(insn: u32): void {
  single(insn, xregSP((insn >> 5) & 31) + imm9(insn), S.curEL == 1 ? F_UNPRIV : 0);
}

export function LDST_post(insn: u32): void {
  const rn = (insn >> 5) & 31;
  const base = xregSP(rn);
  if (!single(insn, base, 0)) return;
  setXregSP(rn, base + imm9(insn));
}

export function LDST_pre(insn: u32): void {
  const rn = (insn >> 5) & 31;
  const va = xregSP(rn) + imm9(insn);
  if (!single(insn, va, 0)) return;
  setXregSP(rn, va);
}

// register offset; the table has only the extends with option bit 1 set (UXTW, LSL, SXTW, SXTX)
export function LDST_reg(insn: u32): void {
  const option = (insn >> 13) & 7, sbit = (insn >> 12) & 1, size = insn >> 30;
  let off = xreg((insn >> 16) & 31);
  if (option == 2) off &= 0xffffffff;
  else if (option == 6) off = sext(off, 32);
  if (sbit != 0) off <<= size;
  single(insn, xregSP((insn >> 5) & 31) + off, 0);
}

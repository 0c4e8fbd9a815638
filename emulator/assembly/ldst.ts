// Loads and stores with general registers (Arm ARM C4.1.4, V = 0): exclusives
// and acquire/release, literal, pairs (no-allocate, post, offset, pre) and
// single registers (unsigned offset, unscaled, post, pre, unprivileged,
// register offset). Every access goes through readMem/writeMem; on memFault
// a handler returns before any register write, so a faulting instruction
// leaves the register file untouched.

import * as S from "./state";
import { xreg, setXreg, xregSP, setXregSP, undefinedInsn } from "./cpu";
import * as M from "./mem";
import { readMem, writeMem, probeWrite, raiseAlign, F_ALIGN, F_UNPRIV } from "./mem";

export function execLdSt(insn: u32): void {
  const b2927 = (insn >> 27) & 7;
  if ((insn & 0x3f000000) == 0x08000000) { EXCLUSIVE(insn); return; }
  if (b2927 == 3 && (insn & (1 << 24)) == 0) { LDR_lit(insn); return; }
  if (b2927 == 5) { PAIR(insn); return; }
  if (b2927 == 7) {
    if ((insn & (1 << 24)) != 0) { LDST_uimm(insn); return; }
    LDST_other(insn);
    return;
  }
  undefinedInsn(insn);
}

// bits 29:27 = 111, bit 24 = 0: unscaled/post/unprivileged/pre (bit 21 = 0) or register offset
export function LDST_other(insn: u32): void {
  const b21 = (insn >> 21) & 1, op4 = (insn >> 10) & 3;
  if (b21 == 0) { LDST_imm9(insn, op4); return; }
  if (op4 == 2) { LDST_reg(insn); return; }
  undefinedInsn(insn);
}

@inline function sext(v: u64, bits: u32): u64 {
  const s = <u64>(64 - bits);
  return <u64>(<i64>(v << s) >> s);
}

// ---- exclusives, LDAR/STLR ------------------------------------------------------

export function EXCLUSIVE(insn: u32): void {
  const size = insn >> 30, o2 = (insn >> 23) & 1, l = (insn >> 22) & 1, o1 = (insn >> 21) & 1;
  const rs = (insn >> 16) & 31, o0 = (insn >> 15) & 1, rt2 = (insn >> 10) & 31;
  const rn = (insn >> 5) & 31, rt = insn & 31;
  const bytes: u32 = 1 << size;
  const va = xregSP(rn);
  if (o2 == 1) {
    if (o1 != 0 || o0 == 0) { undefinedInsn(insn); return; } // CAS* (LSE), LDLAR/STLLR (LOR)
    if (l != 0) { // LDAR
      const v = readMem(va, bytes, F_ALIGN);
      if (M.memFault) return;
      setXreg(rt, v);
    } else {       // STLR
      writeMem(va, bytes, xreg(rt), F_ALIGN);
    }
    return;
  }
  if (o1 != 0 && size < 2) { undefinedInsn(insn); return; }
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
  const opc = insn >> 30, type = (insn >> 23) & 3, l = (insn >> 22) & 1;
  if (opc == 3 || (opc == 1 && l == 0)) { undefinedInsn(insn); return; }
  if (type == 0 && opc == 1) { undefinedInsn(insn); return; } // no LDNPSW
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

// Perform the load/store described by size:opc at va. Returns false on a fault
// or an unallocated combination (after raising it).
function single(insn: u32, va: u64, flags: u32, allowPrfm: bool): bool {
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
    if (size == 3) { // PRFM / PRFUM
      if (!allowPrfm) { undefinedInsn(insn); return false; }
      return true;
    }
    const v = readMem(va, bytes, flags); // LDRSB/LDRSH/LDRSW to X
    if (M.memFault) return false;
    setXreg(rt, sext(v, bytes * 8));
    return true;
  }
  if (size >= 2) { undefinedInsn(insn); return false; }
  const v = readMem(va, bytes, flags);  // LDRSB/LDRSH to W
  if (M.memFault) return false;
  setXreg(rt, sext(v, bytes * 8) & 0xffffffff);
  return true;
}

export function LDST_uimm(insn: u32): void {
  const size = insn >> 30;
  const off = <u64>((insn >> 10) & 0xfff) << size;
  single(insn, xregSP((insn >> 5) & 31) + off, 0, true);
}

// LDUR/STUR (op4 0), post-index (1), LDTR/STTR (2), pre-index (3)
function LDST_imm9(insn: u32, op4: u32): void {
  const imm = <u64>(<i64>(<i32>(insn << 11) >> 23));
  const rn = (insn >> 5) & 31;
  const base = xregSP(rn);
  if (op4 == 0) { single(insn, base + imm, 0, true); return; }
  if (op4 == 2) {
    const size = insn >> 30, opc = (insn >> 22) & 3;
    if (size == 3 && opc >= 2) { undefinedInsn(insn); return; }
    single(insn, base + imm, S.curEL == 1 ? F_UNPRIV : 0, false);
    return;
  }
  const va = op4 == 1 ? base : base + imm;
  if (!single(insn, va, 0, false)) return;
  setXregSP(rn, base + imm);
}

function LDST_reg(insn: u32): void {
  const option = (insn >> 13) & 7, sbit = (insn >> 12) & 1, size = insn >> 30;
  if ((option & 2) == 0) { undefinedInsn(insn); return; }
  let off = xreg((insn >> 16) & 31);
  if (option == 2) off &= 0xffffffff;
  else if (option == 6) off = sext(off, 32);
  if (sbit != 0) off <<= size;
  single(insn, xregSP((insn >> 5) & 31) + off, 0, true);
}

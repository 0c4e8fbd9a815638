// Advanced SIMD data processing (vector and scalar forms). Decoding follows
// the Arm ARM "Data Processing -- Scalar Floating-Point and Advanced SIMD"
// table: one function per encoding class, each returning false for an
// unallocated or unimplemented pattern (index.ts then raises UNDEF). The copy,
// modified immediate, permute, EXT, TBL, across lanes, two-register
// miscellaneous (vector and scalar) and scalar pairwise groups are decoded by
// the decoding table instead (emulator/decode/a64.decode): their handlers are
// the exported ones below.
//
// Every handler computes into the scratch register RES (lanes.ts) and
// commits it at the end; Q=0 vector results and scalar results zero the rest
// of the register. Crypto encodings live in crypto.ts.
//
// Not implemented (UNDEF): SM3/SM4, BF16, FJCVTZS. See README.md.

import { xreg, setXreg, checkFpEnabled } from "../cpu";
import { vaddr, raiseFP, FPSR_QC } from "./regs";
import { RES, rd, rn, rm, getE, getSE, setR, emask, clearRes, copyToRes, commit } from "./lanes";
import { sha3, sha3reg } from "./crypto";
import {
  fpAdd, fpMul, fpMulX, fpDiv, fpSqrt, fpMulAdd, fpMinMax, fpCompareOp, fpRoundInt,
  fpToFixed, fixedToFP, fpConvert, fpNeg, fpAbs, fpcrRounding, fpRecipStep, fpRSqrtStep,
  fpRecipEstimate, fpRSqrtEstimate, fpRecpX, recipEstimate, rsqrtEstimate, fpMulAddH,
  RN, RP, RM, RZ, RA, RO, setHalfArith,
} from "./softfloat";
import { expandFPImm } from "./fp";

export function execAdvSimd(insn: u32): bool {
  const b2824 = (insn >> 24) & 31;
  if ((insn >> 31) != 0) return sha3(insn);
  if ((insn & 0x4000_0000) != 0 && (b2824 & 0x10) != 0) {
    // scalar forms: 01 U 1111x
    if ((insn & 0x8000_0000) != 0) return false;
    if (b2824 == 0b11110) {
      if ((insn & (1 << 21)) != 0) {
        if ((insn & (1 << 10)) != 0) return threeSame(insn, true);
        if (((insn >> 10) & 3) == 0) return satDoublingLong(insn, true);
        return false;
      }
      if (((insn >> 21) & 3) == 2 && ((insn >> 14) & 3) == 0 && (insn & (1 << 10)) != 0) return threeSameFp16(insn, true);
      if ((insn >> 21) == 0b01011110000 && (insn & (1 << 15)) == 0 && ((insn >> 10) & 3) == 0) return sha3reg(insn);
      if ((insn & (1 << 15)) != 0 && (insn & (1 << 10)) != 0) return threeSameExtra(insn, true);
      return false;
    }
    if (b2824 == 0b11111) {
      if ((insn & (1 << 10)) != 0) {
        if ((insn & (1 << 23)) != 0 || ((insn >> 19) & 15) == 0) return false;
        return shiftImm(insn, true);
      }
      return byElement(insn, true);
    }
    return false;
  }
  if (b2824 == 0b01110) {
    if ((insn & (1 << 21)) != 0) {
      if ((insn & (1 << 10)) != 0) return threeSame(insn, false);
      if (((insn >> 10) & 3) == 0) return threeDifferent(insn);
      return false;
    }
    if (((insn >> 21) & 3) == 2 && ((insn >> 14) & 3) == 0 && (insn & (1 << 10)) != 0) return threeSameFp16(insn, false);
    if ((insn & (1 << 15)) != 0) return (insn & (1 << 10)) != 0 ? threeSameExtra(insn, false) : false;
    const u = (insn >> 29) & 1;
    return false;
  }
  if (b2824 == 0b01111) {
    if ((insn & (1 << 10)) != 0) {
      if ((insn & (1 << 23)) != 0) return false;
      return shiftImm(insn, false);
    }
    return byElement(insn, false);
  }
  return false;
}

// ---- copy (decoding table: DUP_elem, DUP_gen, INS_gen, INS_elem, SMOV, UMOV, DUP_scalar) --
// imm5 = index:1:0...0 gives the element size (its lowest set bit) and the index; the
// table allows only the allocated sizes for each form, so the handlers decode no further.

@inline function elemSize(insn: u32): u32 { return ctz((insn >> 16) & 31); } // 0..3
@inline function elemIndex(insn: u32): u32 { return ((insn >> 16) & 31) >> (elemSize(insn) + 1); }

// Vd.T = replicate v over the lanes of a 64- or 128-bit vector (Q, bit 30)
function replicate(insn: u32, v: u64): void {
  const q = (insn >> 30) & 1, sz = elemSize(insn);
  const es: u32 = 1 << sz;
  const lanes: u32 = (q != 0 ? 16 : 8) >> sz;
  for (let e: u32 = 0; e < lanes; e++) setR(e, es, v);
  commit(rd(insn), q != 0 ? 16 : 8);
}

// DUP Vd.T, Vn.Ts[index]
export function DUP_elem(insn: u32): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << elemSize(insn);
  replicate(insn, getE(rn(insn), elemIndex(insn), es));
}

// DUP Vd.T, Rn
export function DUP_gen(insn: u32): void {
  if (!checkFpEnabled()) return;
  replicate(insn, xreg(rn(insn)));
}

// INS Vd.Ts[index], Rn (the other lanes kept)
export function INS_gen(insn: u32): void {
  if (!checkFpEnabled()) return;
  const d = rd(insn);
  copyToRes(d);
  setR(elemIndex(insn), 1 << elemSize(insn), xreg(rn(insn)));
  commit(d, 16);
}

// INS Vd.Ts[index], Vn.Ts[index2]: index2 = imm4 >> size (its low bits are ignored)
export function INS_elem(insn: u32): void {
  if (!checkFpEnabled()) return;
  const d = rd(insn), sz = elemSize(insn);
  const es: u32 = 1 << sz;
  const v = getE(rn(insn), ((insn >> 11) & 15) >> sz, es);
  copyToRes(d);
  setR(elemIndex(insn), es, v);
  commit(d, 16);
}

// SMOV Wd/Xd, Vn.Ts[index]: sign-extended to 32 (Q 0) or 64 bits (Q 1)
export function SMOV(insn: u32): void {
  if (!checkFpEnabled()) return;
  const v = <u64>getSE(rn(insn), elemIndex(insn), 1 << elemSize(insn));
  setXreg(rd(insn), (insn & (1 << 30)) != 0 ? v : (v & 0xffff_ffff));
}

// UMOV Wd, Vn.{B,H,S}[index] (Q 0) or Xd, Vn.D[index] (Q 1)
export function UMOV(insn: u32): void {
  if (!checkFpEnabled()) return;
  setXreg(rd(insn), getE(rn(insn), elemIndex(insn), 1 << elemSize(insn)));
}

// DUP (scalar, element), alias MOV: Vd = Vn.Ts[index], the rest of Vd zeroed
export function DUP_scalar(insn: u32): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << elemSize(insn);
  clearRes();
  setR(0, es, getE(rn(insn), elemIndex(insn), es));
  commit(rd(insn), es);
}

// ---- modified immediate (decoding table: MOVI, ORR_vimm, BIC_vimm, FMOV_vimm) -----------

// AdvSIMDExpandImm(op, cmode, imm8) for the MOVI/MVNI/ORR/BIC forms (cmode 0..14)
function expandImm(insn: u32): u64 {
  const op = (insn >> 29) & 1;
  const cmode = (insn >> 12) & 15;
  const imm8 = (((insn >> 16) & 7) << 5) | ((insn >> 5) & 31);
  let imm: u64;
  const c3 = cmode >> 1;
  if (cmode < 8) {
    imm = <u64>imm8 << (8 * (c3 & 3));
    imm |= imm << 32;
  } else if (cmode < 12) {
    imm = <u64>imm8 << (8 * (c3 & 1));
    imm |= imm << 16;
    imm |= imm << 32;
  } else if (cmode == 12 || cmode == 13) {
    imm = cmode == 12 ? ((<u64>imm8 << 8) | 0xff) : ((<u64>imm8 << 16) | 0xffff);
    imm |= imm << 32;
  } else if (op == 0) { // cmode 1110
    imm = <u64>imm8 * 0x0101_0101_0101_0101;
  } else {
    imm = 0;
    for (let i = 0; i < 8; i++) if (((imm8 >> i) & 1) != 0) imm |= <u64>0xff << (8 * i);
  }
  return imm;
}

function writeImm(insn: u32, imm: u64): void {
  store<u64>(RES, imm);
  store<u64>(RES + 8, imm);
  commit(rd(insn), (insn & (1 << 30)) != 0 ? 16 : 8);
}

// MOVI, MVNI (op 1, cmode < 14: the complement), MOVI Dd / Vd.2D (op 1, cmode 1110)
export function MOVI(insn: u32): void {
  if (!checkFpEnabled()) return;
  const imm = expandImm(insn);
  writeImm(insn, (insn & (1 << 29)) != 0 && ((insn >> 12) & 15) < 14 ? ~imm : imm);
}

// ORR (vector, immediate): Vd |= imm, cmode 0xx1 / 10x1
export function ORR_vimm(insn: u32): void {
  if (!checkFpEnabled()) return;
  const d = rd(insn), imm = expandImm(insn);
  store<u64>(RES, getE(d, 0, 8) | imm);
  store<u64>(RES + 8, getE(d, 1, 8) | imm);
  commit(d, (insn & (1 << 30)) != 0 ? 16 : 8);
}

// BIC (vector, immediate): Vd &= ~imm
export function BIC_vimm(insn: u32): void {
  if (!checkFpEnabled()) return;
  const d = rd(insn), imm = expandImm(insn);
  store<u64>(RES, getE(d, 0, 8) & ~imm);
  store<u64>(RES + 8, getE(d, 1, 8) & ~imm);
  commit(d, (insn & (1 << 30)) != 0 ? 16 : 8);
}

// FMOV (vector, immediate): single precision lanes (op 0) or .2D (op 1, Q 1)
export function FMOV_vimm(insn: u32): void {
  if (!checkFpEnabled()) return;
  const imm8 = (((insn >> 16) & 7) << 5) | ((insn >> 5) & 31);
  let imm: u64;
  if ((insn & (1 << 29)) == 0) { imm = expandFPImm(imm8, 32); imm |= imm << 32; }
  else imm = expandFPImm(imm8, 64);
  writeImm(insn, imm);
}

// ---- three same -----------------------------------------------------------------------

@inline function ssat(v: i64, es: u32): u64 { return <u64>v & emask(es); }

function intThreeSame(opc: u32, u: u32, es: u32, a: u64, b: u64, sa: i64, sb: i64, dv: u64): u64 {
  const m = emask(es);
  switch (opc) {
    case 0b00110: return (u != 0 ? a > b : sa > sb) ? m : 0;          // CMGT / CMHI
    case 0b00111: return (u != 0 ? a >= b : sa >= sb) ? m : 0;        // CMGE / CMHS
    case 0b01000: return shiftByReg(a, sa, b, es, u != 0);            // SSHL / USHL
    case 0b01100: return u != 0 ? (a > b ? a : b) : (sa > sb ? a : b); // MAX
    case 0b01101: return u != 0 ? (a < b ? a : b) : (sa < sb ? a : b); // MIN
    case 0b01110: return absDiff(a, b, sa, sb, u) & m;                // ABD
    case 0b01111: return (dv + absDiff(a, b, sa, sb, u)) & m;         // ABA
    case 0b10000: return (u != 0 ? a - b : a + b) & m;                // ADD / SUB
    case 0b10001: return u != 0 ? (a == b ? m : 0) : ((a & b) != 0 ? m : 0); // CMEQ / CMTST
    case 0b10010: return (u != 0 ? dv - a * b : dv + a * b) & m;      // MLA / MLS
    case 0b10011: return u != 0 ? clmul(a, b) & m : (a * b) & m;     // MUL / PMUL
    case 0b00000: return halving(a, b, sa, sb, u, false, es);         // SHADD / UHADD
    case 0b00100: return halving(a, b, sa, sb, u, true, es);          // SHSUB / UHSUB
    case 0b00010: return (u != 0 ? (a + b + 1) >> 1 : <u64>((sa + sb + 1) >> 1)) & m; // [SU]RHADD (es <= 4)
    case 0b00001: return u != 0 ? uqAdd(a, b, es) : sqAdd(sa, sb, es);                // [SU]QADD
    case 0b00101: return u != 0 ? uqSub(a, b, es) : sqSub(sa, sb, es);                // [SU]QSUB
    case 0b01010: return rshiftByReg(a, sa, b, es, u != 0);                          // [SU]RSHL
    case 0b01001: return qshiftByReg(a, sa, b, es, u != 0, false);                   // [SU]QSHL
    case 0b01011: return qshiftByReg(a, sa, b, es, u != 0, true);                    // [SU]QRSHL
    case 0b10110: return sqdmulh(sa, sb, es, u != 0);                                // SQ[R]DMULH
  }
  return 0;
}

// ---- saturating arithmetic (QC = FPSR bit 27 on saturation) -----------------------

@inline function smax(es: u32): i64 { return <i64>((<u64>1 << (es * 8 - 1)) - 1); }
@inline function smin(es: u32): i64 { return -smax(es) - 1; }

// Saturate a signed value known to fit in i64 to a signed es-byte lane.
function satS(v: i64, es: u32): u64 {
  if (es == 8) return <u64>v;
  const hi = smax(es), lo = smin(es);
  if (v > hi) { raiseFP(FPSR_QC); return <u64>hi & emask(es); }
  if (v < lo) { raiseFP(FPSR_QC); return <u64>lo & emask(es); }
  return <u64>v & emask(es);
}
// Saturate a signed value (fits in i64) to an unsigned es-byte lane.
function satSU(v: i64, es: u32): u64 {
  if (v < 0) { raiseFP(FPSR_QC); return 0; }
  if (es < 8 && <u64>v > emask(es)) { raiseFP(FPSR_QC); return emask(es); }
  return <u64>v;
}
// Saturate an unsigned value to an unsigned es-byte lane.
function satU(v: u64, es: u32): u64 {
  if (es < 8 && v > emask(es)) { raiseFP(FPSR_QC); return emask(es); }
  return v;
}

function sqAdd(a: i64, b: i64, es: u32): u64 {
  if (es < 8) return satS(a + b, es);
  const r = a + b;
  if (((a ^ r) & (b ^ r)) < 0) { raiseFP(FPSR_QC); return a < 0 ? 0x8000_0000_0000_0000 : 0x7fff_ffff_ffff_ffff; }
  return <u64>r;
}
function sqSub(a: i64, b: i64, es: u32): u64 {
  if (es < 8) return satS(a - b, es);
  const r = a - b;
  if (((a ^ b) & (a ^ r)) < 0) { raiseFP(FPSR_QC); return a < 0 ? 0x8000_0000_0000_0000 : 0x7fff_ffff_ffff_ffff; }
  return <u64>r;
}
function uqAdd(a: u64, b: u64, es: u32): u64 {
  if (es < 8) return satU(a + b, es);
  const r = a + b;
  if (r < a) { raiseFP(FPSR_QC); return 0xffff_ffff_ffff_ffff; }
  return r;
}
function uqSub(a: u64, b: u64, es: u32): u64 {
  if (a < b) { raiseFP(FPSR_QC); return 0; }
  return a - b;
}

// [SU]RSHL: shift left by the signed low byte of b; negative = rounding right shift.
function rshiftByReg(a: u64, sa: i64, b: u64, es: u32, unsigned: bool): u64 {
  const sh = <i32>(<i8>(<u8>b));
  const bits = <i32>es * 8;
  if (sh >= 0) return sh >= bits ? 0 : (a << <u64>sh) & emask(es);
  const r = -sh;
  if (r > 64) return 0;
  return roundShift(a, sa, r, bits, unsigned) & emask(es);
}

// Saturating left shift of an es-byte lane by sh >= 0 (signed input when
// !unsignedIn, result signed when signedOut).
function satShl(a: u64, sa: i64, sh: i32, es: u32, unsignedIn: bool, signedOut: bool): u64 {
  const bits = <i32>es * 8;
  if (unsignedIn) {
    if (a == 0) return 0;
    const width = 64 - <i32>clz(a);
    if (width + sh > bits) { raiseFP(FPSR_QC); return emask(es); }
    return a << <u64>sh;
  }
  if (sa == 0) return 0;
  if (!signedOut && sa < 0) { raiseFP(FPSR_QC); return 0; } // SQSHLU of a negative value
  // significant bits of sa (excluding the sign copy for signed output)
  const mag = sa < 0 ? ~sa : sa;
  const width = 64 - <i32>clz(<u64>mag); // bits of magnitude
  const limit = signedOut ? bits - 1 : bits;
  if (width + sh > limit) {
    raiseFP(FPSR_QC);
    if (!signedOut) return emask(es);
    return <u64>(sa < 0 ? smin(es) : smax(es)) & emask(es);
  }
  return (<u64>sa << <u64>sh) & emask(es);
}

// [SU]Q[R]SHL by register: left shifts saturate, right shifts (optionally rounding) do not.
function qshiftByReg(a: u64, sa: i64, b: u64, es: u32, unsigned: bool, rounding: bool): u64 {
  const sh = <i32>(<i8>(<u8>b));
  const bits = <i32>es * 8;
  if (sh >= 0) return satShl(a, sa, sh, es, unsigned, !unsigned);
  const r = -sh;
  if (rounding) return r > 64 ? 0 : roundShift(a, sa, r, bits, unsigned) & emask(es);
  if (unsigned) return r >= bits ? 0 : a >> <u64>r;
  return <u64>(sa >> <i64>(r >= bits ? bits - 1 : r)) & emask(es);
}

// SQDMULH / SQRDMULH: high half of 2*a*b (rounded), saturating (H and S lanes).
function sqdmulh(a: i64, b: i64, es: u32, round: bool): u64 {
  const bits = <i64>(es * 8);
  if (a == smin(es) && b == smin(es)) { raiseFP(FPSR_QC); return <u64>smax(es); }
  let p = 2 * a * b;
  if (round) p += <i64>1 << (bits - 1);
  return <u64>(p >> bits) & emask(es);
}

@inline function absDiff(a: u64, b: u64, sa: i64, sb: i64, u: u32): u64 {
  if (u != 0) return a > b ? a - b : b - a;
  return sa > sb ? <u64>(sa - sb) : <u64>(sb - sa);
}

// SHADD/UHADD/SHSUB/UHSUB: elements are at most 32 bits here, so the
// intermediate fits in 64 bits.
function halving(a: u64, b: u64, sa: i64, sb: i64, u: u32, sub: bool, es: u32): u64 {
  let r: i64;
  if (u != 0) r = sub ? (<i64>a - <i64>b) >> 1 : (<i64>a + <i64>b) >> 1;
  else r = sub ? (sa - sb) >> 1 : (sa + sb) >> 1;
  return <u64>r & emask(es);
}

function shiftByReg(a: u64, sa: i64, b: u64, es: u32, unsigned: bool): u64 {
  const sh = <i32>(<i8>(<u8>b)); // low byte, signed
  const bits = <i32>es * 8;
  const m = emask(es);
  if (sh >= 0) {
    if (sh >= bits) return 0;
    return (a << <u64>sh) & m;
  }
  const r = -sh;
  if (unsigned) return r >= bits ? 0 : (a >> <u64>r);
  return <u64>(sa >> <i64>(r >= bits ? bits - 1 : r)) & m;
}

function fpThreeSame(opc: u32, u: u32, a1: u32, N: i32, x: u64, y: u64, dv: u64): u64 {
  const m: u64 = N == 64 ? 0xffff_ffff_ffff_ffff : 0xffff_ffff;
  switch ((opc << 2) | (u << 1) | a1) {
    case (0b11000 << 2) | 0: return fpMinMax(x, y, N, true, true);   // FMAXNM
    case (0b11000 << 2) | 1: return fpMinMax(x, y, N, false, true);  // FMINNM
    case (0b11001 << 2) | 0: return fpMulAdd(dv, x, y, N);           // FMLA
    case (0b11001 << 2) | 1: return fpMulAdd(dv, fpNeg(x, N), y, N); // FMLS
    case (0b11010 << 2) | 0: return fpAdd(x, y, N, false);           // FADD
    case (0b11010 << 2) | 1: return fpAdd(x, y, N, true);            // FSUB
    case (0b11010 << 2) | 3: return fpAbs(fpAdd(x, y, N, true), N);  // FABD
    case (0b11011 << 2) | 0: return fpMulX(x, y, N);                 // FMULX
    case (0b11011 << 2) | 2: return fpMul(x, y, N);                  // FMUL
    case (0b11100 << 2) | 0: return fpCompareOp(x, y, N, 0) ? m : 0; // FCMEQ
    case (0b11100 << 2) | 2: return fpCompareOp(x, y, N, 1) ? m : 0; // FCMGE
    case (0b11100 << 2) | 3: return fpCompareOp(x, y, N, 2) ? m : 0; // FCMGT
    case (0b11101 << 2) | 2: return fpCompareOp(fpAbs(x, N), fpAbs(y, N), N, 1) ? m : 0; // FACGE
    case (0b11101 << 2) | 3: return fpCompareOp(fpAbs(x, N), fpAbs(y, N), N, 2) ? m : 0; // FACGT
    case (0b11110 << 2) | 0: return fpMinMax(x, y, N, true, false);  // FMAX
    case (0b11110 << 2) | 1: return fpMinMax(x, y, N, false, false); // FMIN
    case (0b11111 << 2) | 0: return fpRecipStep(x, y, N);            // FRECPS
    case (0b11111 << 2) | 1: return fpRSqrtStep(x, y, N);            // FRSQRTS
    case (0b11111 << 2) | 2: return fpDiv(x, y, N);                  // FDIV
  }
  return 0;
}

// Which FP three-same (opc, U, a) combinations exist; pairwise ones too.
function fpThreeSameValid(opc: u32, u: u32, a1: u32, scalar: bool): bool {
  const k = (opc << 2) | (u << 1) | a1;
  if (scalar) {
    return k == ((0b11011 << 2) | 0) || k == ((0b11100 << 2) | 0) || k == ((0b11100 << 2) | 2) ||
      k == ((0b11100 << 2) | 3) || k == ((0b11101 << 2) | 2) || k == ((0b11101 << 2) | 3) ||
      k == ((0b11010 << 2) | 3) || k == ((0b11111 << 2) | 0) || k == ((0b11111 << 2) | 1);
  }
  if (u == 1 && (opc == 0b11000 || opc == 0b11110 || (opc == 0b11010 && a1 == 0))) return true; // pairwise
  return k == ((0b11000 << 2) | 0) || k == ((0b11000 << 2) | 1) || k == ((0b11001 << 2) | 0) ||
    k == ((0b11001 << 2) | 1) || k == ((0b11010 << 2) | 0) || k == ((0b11010 << 2) | 1) ||
    k == ((0b11010 << 2) | 3) || k == ((0b11011 << 2) | 0) || k == ((0b11011 << 2) | 2) ||
    k == ((0b11100 << 2) | 0) || k == ((0b11100 << 2) | 2) || k == ((0b11100 << 2) | 3) ||
    k == ((0b11101 << 2) | 2) || k == ((0b11101 << 2) | 3) || k == ((0b11110 << 2) | 0) ||
    k == ((0b11110 << 2) | 1) || k == ((0b11111 << 2) | 0) || k == ((0b11111 << 2) | 1) ||
    k == ((0b11111 << 2) | 2);
}

// FEAT_FP16 "three same (FP16)": 0 Q U 01110 a 10 Rm 00 opc 1 Rn Rd (and the
// scalar 01 U 11110 form). Same operation table as single/double with
// opcode 11ooo, so it reuses threeSame's FP path with N = 16.
function threeSameFp16(insn: u32, scalar: bool): bool {
  setHalfArith(true);
  const ok = threeSame(insn, scalar, true);
  setHalfArith(false);
  return ok;
}

function threeSame(insn: u32, scalar: bool, fp16: bool = false): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc: u32 = fp16 ? 0b11000 | ((insn >> 11) & 7) : (insn >> 11) & 31;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const bytes: u32 = scalar ? 0 : (q != 0 ? 16 : 8);
  if (!scalar && !fp16 && (size & 1) == 0 && ((u == 0 && opc == 0b11101) || (u == 1 && opc == 0b11001))) {
    return fmlal(insn, (size >> 1) != 0, u, 0xff); // FMLAL{2} / FMLSL{2}
  }
  if (opc >= 0b11000) {
    const a1 = fp16 ? (insn >> 23) & 1 : size >> 1, sz = fp16 ? 0 : size & 1;
    if (!scalar && sz == 1 && q == 0) return false;
    if (!fpThreeSameValid(opc, u, a1, scalar)) return false;
    const N: i32 = fp16 ? 16 : (sz != 0 ? 64 : 32);
    const es: u32 = <u32>N >> 3;
    const lanes: u32 = scalar ? 1 : bytes / es;
    clearRes();
    const pairwise = !scalar && u == 1 && (opc == 0b11000 || opc == 0b11110 || (opc == 0b11010 && a1 == 0));
    if (pairwise) {
      // concatenate Vm:Vn, operate on adjacent pairs
      const half = lanes >> 1;
      for (let e: u32 = 0; e < lanes; e++) {
        const src = e < half ? n : m;
        const i = (e < half ? e : e - half) * 2;
        const x = getE(src, i, es), y = getE(src, i + 1, es);
        setR(e, es, fpThreeSame(opc, 0, a1, N, x, y, 0));
      }
    } else {
      for (let e: u32 = 0; e < lanes; e++) {
        setR(e, es, fpThreeSame(opc, u, a1, N, getE(n, e, es), getE(m, e, es), getE(d, e, es)));
      }
    }
    commit(d, scalar ? es : bytes);
    return true;
  }
  if (opc == 0b00011) { // logical
    if (scalar) return false;
    const lo1 = getE(n, 0, 8), hi1 = getE(n, 1, 8), lo2 = getE(m, 0, 8), hi2 = getE(m, 1, 8);
    const lod = getE(d, 0, 8), hid = getE(d, 1, 8);
    let lo: u64, hi: u64;
    switch ((u << 2) | size) {
      case 0: lo = lo1 & lo2; hi = hi1 & hi2; break;           // AND
      case 1: lo = lo1 & ~lo2; hi = hi1 & ~hi2; break;         // BIC
      case 2: lo = lo1 | lo2; hi = hi1 | hi2; break;           // ORR (MOV)
      case 3: lo = lo1 | ~lo2; hi = hi1 | ~hi2; break;         // ORN
      case 4: lo = lo1 ^ lo2; hi = hi1 ^ hi2; break;           // EOR
      case 5: lo = (lod & lo1) | (~lod & lo2); hi = (hid & hi1) | (~hid & hi2); break; // BSL
      case 6: lo = (lo1 & lo2) | (lod & ~lo2); hi = (hi1 & hi2) | (hid & ~hi2); break; // BIT
      default: lo = (lo1 & ~lo2) | (lod & lo2); hi = (hi1 & ~hi2) | (hid & hi2);       // BIF
    }
    store<u64>(RES, lo);
    store<u64>(RES + 8, q != 0 ? hi : 0);
    commit(d, bytes);
    return true;
  }
  const es: u32 = 1 << size;
  if (scalar) {
    // scalar integer three-same: saturating ops at any size, the rest 64-bit only
    if (opc == 0b00001 || opc == 0b00101 || opc == 0b01001 || opc == 0b01011) { /* any size */ }
    else if (opc == 0b10110) { if (size != 1 && size != 2) return false; }
    else {
      if (size != 3) return false;
      if (!(opc == 0b10000 || opc == 0b10001 || opc == 0b00110 || opc == 0b00111 || opc == 0b01000 || opc == 0b01010)) return false;
    }
  } else {
    if (size == 3 && q == 0) return false;
    switch (opc) {
      case 0b00110: case 0b00111: case 0b01000: case 0b10000: case 0b10001: break;
      case 0b00001: case 0b00101: case 0b01001: case 0b01010: case 0b01011: break;
      case 0b00010: if (size == 3) return false; break;
      case 0b10110: if (size != 1 && size != 2) return false; break;
      case 0b01100: case 0b01101: case 0b01110: case 0b01111: case 0b00000: case 0b00100:
      case 0b10010: case 0b10011:
        if (size == 3) return false;
        if (opc == 0b10011 && u == 1 && size != 0) return false; // PMUL is bytes only
        break;
      case 0b10100: case 0b10101: case 0b10111: break; // pairwise
      default: return false;
    }
  }
  const lanes: u32 = scalar ? 1 : bytes / es;
  clearRes();
  if (!scalar && (opc == 0b10100 || opc == 0b10101 || opc == 0b10111)) {
    if (opc == 0b10111 && u == 1) return false;
    if (opc != 0b10111 && size == 3) return false;
    if (size == 3 && q == 0) return false;
    const half = lanes >> 1;
    const mk = emask(es);
    for (let e: u32 = 0; e < lanes; e++) {
      const src = e < half ? n : m;
      const i = (e < half ? e : e - half) * 2;
      const x = getE(src, i, es), y = getE(src, i + 1, es);
      const sx = getSE(src, i, es), sy = getSE(src, i + 1, es);
      let r: u64;
      if (opc == 0b10111) r = (x + y) & mk;
      else if (opc == 0b10100) r = u != 0 ? (x > y ? x : y) : (sx > sy ? x : y);
      else r = u != 0 ? (x < y ? x : y) : (sx < sy ? x : y);
      setR(e, es, r);
    }
    commit(d, bytes);
    return true;
  }
  for (let e: u32 = 0; e < lanes; e++) {
    setR(e, es, intThreeSame(opc, u, es, getE(n, e, es), getE(m, e, es), getSE(n, e, es), getSE(m, e, es), getE(d, e, es)));
  }
  commit(d, scalar ? es : bytes);
  return true;
}

// ---- three different (long / wide) -------------------------------------------------

function threeDifferent(insn: u32): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 15;
  if (size == 3 && opc != 0b1110) return false;
  const es: u32 = 1 << size, es2 = es * 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const part: u32 = q != 0 ? 8 / es : 0; // element offset of the "2" half
  const lanes: u32 = 8 / es;
  const m2 = emask(es2);
  if (opc == 0b0100 || opc == 0b0110) return highNarrow(insn, es, u != 0, opc == 0b0110);
  if (opc == 0b1001 || opc == 0b1011 || opc == 0b1101) return satDoublingLong(insn, false);
  if (opc == 0b1110) {
    // PMULL{2}: bytes, or one 64x64 -> 128-bit product (FEAT_PMULL)
    if (u != 0 || size == 1 || size == 2) return false;
    if (size == 3) {
      const a = getE(n, q, 8), b = getE(m, q, 8);
      let lo: u64 = 0, hi: u64 = 0;
      for (let i: u64 = 0; i < 64; i++) {
        if (((b >> i) & 1) != 0) { lo ^= a << i; if (i != 0) hi ^= a >> (64 - i); }
      }
      store<u64>(RES, lo);
      store<u64>(RES + 8, hi);
      commit(d, 16);
      return true;
    }
    clearRes();
    for (let e: u32 = 0; e < 8; e++) setR(e, 2, clmul(getE(n, e + part, 1), getE(m, e + part, 1)));
    commit(d, 16);
    return true;
  }
  clearRes();
  for (let e: u32 = 0; e < lanes; e++) {
    const a: u64 = u != 0 ? getE(n, e + part, es) : <u64>getSE(n, e + part, es);
    const b: u64 = u != 0 ? getE(m, e + part, es) : <u64>getSE(m, e + part, es);
    const wa: u64 = u != 0 ? getE(n, e, es2) : <u64>getSE(n, e, es2);
    const acc = getE(d, e, es2);
    let r: u64;
    switch (opc) {
      case 0b0000: r = a + b; break;             // ADDL
      case 0b0001: r = wa + b; break;            // ADDW
      case 0b0010: r = a - b; break;             // SUBL
      case 0b0011: r = wa - b; break;            // SUBW
      case 0b0101: r = acc + absDiffL(a, b, u); break; // ABAL
      case 0b0111: r = absDiffL(a, b, u); break;  // ABDL
      case 0b1000: r = acc + a * b; break;       // MLAL
      case 0b1010: r = acc - a * b; break;       // MLSL
      case 0b1100: r = a * b; break;             // MULL
      default: return false;
    }
    setR(e, es2, r & m2);
  }
  commit(d, 16);
  return true;
}

// Carry-less multiply of two bytes (polynomial over GF(2)).
function clmul(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) if (((b >> i) & 1) != 0) r ^= a << i;
  return r;
}

// ADDHN/SUBHN/RADDHN/RSUBHN{2}: high half of each 2*es-byte sum/difference.
function highNarrow(insn: u32, es: u32, round: bool, sub: bool): bool {
  const q = (insn >> 30) & 1;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const es2 = es * 2;
  const bits = <u64>(es * 8);
  const base: u32 = q != 0 ? 8 / es : 0;
  clearRes();
  if (q != 0) store<u64>(RES, getE(d, 0, 8));
  for (let e: u32 = 0; e < 8 / es; e++) {
    const a = getE(n, e, es2), b = getE(m, e, es2);
    let r = sub ? a - b : a + b; // modulo 2^(2*es*8) is all that matters below
    if (round) r += <u64>1 << (bits - 1);
    setR(base + e, es, (r >> bits) & emask(es));
  }
  commit(d, q != 0 ? 16 : 8);
  return true;
}

@inline function absDiffL(a: u64, b: u64, u: u32): u64 {
  if (u != 0) return a > b ? a - b : b - a;
  return <i64>a > <i64>b ? a - b : b - a;
}

// ---- two-register miscellaneous (decoding table: REV_v, ADDLP, CLZ_v, CNT_v, SAT_misc, CMZ,
// XTN, SHLL, SQXTN, FCVTN_v, FP_misc) ------------------------------------------------------
// The table allows only the allocated sizes and opcodes of each form (64-bit lanes with Q 1,
// the scalar forms at their sizes), so the handlers decode no further. Bit 28 set: the scalar
// form (one lane, the rest of Vd zeroed).

@inline function isScalar(insn: u32): bool { return (insn & (1 << 28)) != 0; }
@inline function vbytes(insn: u32): u32 { return (insn & (1 << 30)) != 0 ? 16 : 8; }
@inline function lsize(insn: u32): u32 { return <u32>1 << ((insn >> 22) & 3); }

function bitrev(v: u64, bits: u32): u64 {
  let r: u64 = 0;
  for (let i: u32 = 0; i < bits; i++) r |= ((v >> i) & 1) << (bits - 1 - i);
  return r;
}

// REV64 (U 0), REV32 (U 1), REV16 (opcode 00001): reverse the lanes in each container
export function REV_v(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), es = lsize(insn), bytes = vbytes(insn);
  const cont: u32 = (insn & (1 << 12)) != 0 ? 2 : ((insn & (1 << 29)) != 0 ? 4 : 8); // container bytes
  for (let i: u32 = 0; i < bytes; i += cont) {
    for (let j: u32 = 0; j < cont; j += es) setR((i + cont - es - j) / es, es, getE(n, (i + j) / es, es));
  }
  commit(rd(insn), bytes);
}

// SADDLP/UADDLP (opcode 00x10, bit 14 clear), SADALP/UADALP (bit 14 set: accumulate into Vd)
export function ADDLP(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn), es = lsize(insn), bytes = vbytes(insn);
  const u = (insn >> 29) & 1, es2 = es * 2;
  for (let e: u32 = 0; e < bytes / es2; e++) {
    let r: u64 = u != 0 ? getE(n, 2 * e, es) + getE(n, 2 * e + 1, es) : <u64>(getSE(n, 2 * e, es) + getSE(n, 2 * e + 1, es));
    if ((insn & (1 << 14)) != 0) r += getE(d, e, es2);
    setR(e, es2, r & emask(es2));
  }
  commit(d, bytes);
}

// CLS (U 0), CLZ (U 1)
export function CLZ_v(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), es = lsize(insn), bytes = vbytes(insn);
  const pad = <u64>(64 - es * 8);
  for (let e: u32 = 0; e < bytes / es; e++) {
    let r: u64;
    if ((insn & (1 << 29)) != 0) r = clz(getE(n, e, es)) - pad;
    else { const s = getSE(n, e, es); r = clz(<u64>(s ^ (s >> 63))) - pad - 1; }
    setR(e, es, r);
  }
  commit(rd(insn), bytes);
}

// CNT (U 0), NOT (U 1, size 00), RBIT (U 1, size 01), bytes
export function CNT_v(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), bytes = vbytes(insn);
  const kind: u32 = ((insn >> 29) & 1) != 0 ? 1 + ((insn >> 22) & 1) : 0;
  for (let e: u32 = 0; e < bytes; e++) {
    const a = getE(n, e, 1);
    setR(e, 1, kind == 0 ? <u64>popcnt(a) : (kind == 1 ? ~a : bitrev(a, 8)));
  }
  commit(rd(insn), bytes);
}

// SUQADD (U 0, opcode 00011), USQADD (U 1), SQABS (U 0, 00111), SQNEG (U 1): saturating, QC
export function SAT_misc(insn: u32): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1, n = rn(insn), d = rd(insn), es = lsize(insn);
  const bytes: u32 = isScalar(insn) ? es : vbytes(insn);
  const mk = emask(es);
  for (let e: u32 = 0; e < bytes / es; e++) {
    const a = getE(n, e, es), sa = getSE(n, e, es);
    let r: u64;
    if ((insn & (1 << 14)) != 0) {
      // SQABS / SQNEG: only the most negative value saturates
      if (sa == smin(es)) { raiseFP(FPSR_QC); r = <u64>smax(es); }
      else r = <u64>(u != 0 ? -sa : (sa < 0 ? -sa : sa)) & mk;
    } else if (u == 0) {
      // SUQADD: signed accumulator + unsigned operand
      const sd = getSE(d, e, es);
      if (es < 8) r = satS(sd + <i64>a, es);
      else {
        const limit = <u64>0x7fff_ffff_ffff_ffff - <u64>sd;
        if (a > limit) { raiseFP(FPSR_QC); r = 0x7fff_ffff_ffff_ffff; } else r = <u64>sd + a;
      }
    } else {
      // USQADD: unsigned accumulator + signed operand
      const ud = getE(d, e, es);
      if (es < 8) r = satSU(<i64>ud + sa, es);
      else if (sa >= 0) { const t = ud + a; if (t < ud) { raiseFP(FPSR_QC); r = 0xffff_ffff_ffff_ffff; } else r = t; }
      else { const m = <u64>(-sa); if (m > ud) { raiseFP(FPSR_QC); r = 0; } else r = ud - m; }
    }
    setR(e, es, r & mk);
  }
  commit(d, bytes);
}

// Compares against zero and ABS/NEG (opcode 010xx): CMGT CMEQ CMLT ABS (U 0), CMGE CMLE NEG (U 1);
// the scalar forms are 64-bit
export function CMZ(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), es = lsize(insn);
  const bytes: u32 = isScalar(insn) ? 8 : vbytes(insn);
  const op = (((insn >> 29) & 1) << 2) | ((insn >> 12) & 3);
  const mk = emask(es);
  for (let e: u32 = 0; e < bytes / es; e++) {
    const a = getE(n, e, es), sa = getSE(n, e, es);
    let r: u64;
    switch (op) {
      case 0: r = sa > 0 ? mk : 0; break;                  // CMGT #0
      case 1: r = a == 0 ? mk : 0; break;                  // CMEQ #0
      case 2: r = sa < 0 ? mk : 0; break;                  // CMLT #0
      case 3: r = (sa < 0 ? 0 - a : a) & mk; break;        // ABS
      case 4: r = sa >= 0 ? mk : 0; break;                 // CMGE #0
      case 5: r = sa <= 0 ? mk : 0; break;                 // CMLE #0
      default: r = (0 - a) & mk;                           // NEG
    }
    setR(e, es, r);
  }
  commit(rd(insn), bytes);
}

// XTN{2}: the low halves of the 2*es-byte lanes of Vn into the lower (Q 0) or upper half of Vd
export function XTN(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn), es = lsize(insn), q = (insn >> 30) & 1;
  const base: u32 = q != 0 ? 8 / es : 0;
  if (q != 0) store<u64>(RES, getE(d, 0, 8));
  for (let e: u32 = 0; e < 8 / es; e++) setR(base + e, es, getE(n, e, es * 2));
  commit(d, q != 0 ? 16 : 8);
}

// SHLL{2}: widen the lower (Q 0) or upper half of Vn, shifted left by the lane width
export function SHLL(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), es = lsize(insn);
  const part: u32 = (insn & (1 << 30)) != 0 ? 8 / es : 0;
  for (let e: u32 = 0; e < 8 / es; e++) setR(e, es * 2, getE(n, e + part, es) << (es * 8));
  commit(rd(insn), 16);
}

// SQXTN (U 0), UQXTN (U 1, opcode 10100), SQXTUN (U 1, 10010), vector {2} and scalar
export function SQXTN(insn: u32): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1;
  const signedIn = !(u == 1 && (insn & (1 << 14)) != 0); // UQXTN: unsigned to unsigned
  narrowShift(insn, isScalar(insn), lsize(insn), 0, false, signedIn, u == 0, (insn >> 30) & 1);
}

// Narrowing, saturating: shared with the shift-right narrows [SU]Q[R]SHRN, SQ[R]SHRUN.
function narrowShift(insn: u32, scalar: bool, es: u32, sh: i32, rounding: bool, signedIn: bool, signedOut: bool, q: u32): bool {
  const n = rn(insn), d = rd(insn);
  const es2 = es * 2;
  const bits2 = <i32>es2 * 8;
  const count: u32 = scalar ? 1 : 8 / es;
  const base: u32 = (!scalar && q != 0) ? 8 / es : 0;
  clearRes();
  if (!scalar && q != 0) store<u64>(RES, getE(d, 0, 8));
  for (let e: u32 = 0; e < count; e++) {
    const a = getE(n, e, es2), sa = getSE(n, e, es2);
    let r: u64;
    if (signedIn) {
      let v: i64;
      if (sh == 0) v = sa;
      else if (rounding) v = <i64>roundShift(a, sa, sh, bits2, false);
      else v = sa >> <i64>sh;
      r = signedOut ? satS(v, es) : satSU(v, es);
    } else {
      let v: u64;
      if (sh == 0) v = a;
      else if (rounding) v = roundShift(a, sa, sh, bits2, true);
      else v = a >> <u64>sh;
      r = satU(v, es);
    }
    setR(base + e, es, r);
  }
  commit(d, scalar ? es : (q != 0 ? 16 : 8));
  return true;
}

// FCVTN{2} (U 0, opcode 10110), FCVTL{2} (10111): sz 0 single <-> half, 1 double <-> single;
// FCVTXN{2} / scalar FCVTXN (U 1): double to single, rounding to odd
export function FCVTN_v(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn), q = (insn >> 30) & 1;
  const sz = (insn >> 22) & 1;
  if ((insn & (1 << 12)) != 0) { // FCVTL{2}
    const from: i32 = sz != 0 ? 32 : 16, to: i32 = sz != 0 ? 64 : 32;
    const tes: u32 = <u32>to >> 3, fes: u32 = <u32>from >> 3;
    const lanes: u32 = 8 / fes;
    const part: u32 = q != 0 ? lanes : 0;
    for (let e: u32 = 0; e < lanes; e++) setR(e, tes, fpConvert(getE(n, e + part, fes), from, to));
    commit(d, 16);
    return;
  }
  const odd = (insn & (1 << 29)) != 0;
  const from: i32 = sz != 0 ? 64 : 32, to: i32 = sz != 0 ? 32 : 16;
  const tes: u32 = <u32>to >> 3, fes: u32 = <u32>from >> 3;
  if (isScalar(insn)) {
    setR(0, 4, fpConvert(getE(n, 0, 8), 64, 32, RO));
    commit(d, 4);
    return;
  }
  const base: u32 = q != 0 ? 8 / tes : 0;
  if (q != 0) store<u64>(RES, getE(d, 0, 8));
  for (let e: u32 = 0; e < 16 / fes; e++) {
    const x = getE(n, e, fes);
    setR(base + e, tes, odd ? fpConvert(x, 64, 32, RO) : fpConvert(x, from, to));
  }
  commit(d, q != 0 ? 16 : 8);
}

// The FP forms (single and double: sz = bit 22) and URECPE/URSQRTE. U:size<1>:opcode names the
// operation; the scalar forms run the same code on one lane.
export function FP_misc(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn);
  const N: i32 = (insn & (1 << 22)) != 0 ? 64 : 32;
  const es: u32 = <u32>N >> 3;
  const bytes: u32 = isScalar(insn) ? es : vbytes(insn);
  const m: u64 = N == 64 ? 0xffff_ffff_ffff_ffff : 0xffff_ffff;
  const key = (((insn >> 29) & 1) << 6) | (((insn >> 23) & 1) << 5) | ((insn >> 12) & 31);
  for (let e: u32 = 0; e < bytes / es; e++) {
    const x = getE(n, e, es);
    let r: u64;
    switch (key) {
      case 0b0_1_01100: r = fpCompareOp(x, 0, N, 2) ? m : 0; break;        // FCMGT #0
      case 0b0_1_01101: r = fpCompareOp(x, 0, N, 0) ? m : 0; break;        // FCMEQ #0
      case 0b0_1_01110: r = fpCompareOp(0, x, N, 2) ? m : 0; break;        // FCMLT #0
      case 0b1_1_01100: r = fpCompareOp(x, 0, N, 1) ? m : 0; break;        // FCMGE #0
      case 0b1_1_01101: r = fpCompareOp(0, x, N, 1) ? m : 0; break;        // FCMLE #0
      case 0b0_1_01111: r = fpAbs(x, N); break;
      case 0b1_1_01111: r = fpNeg(x, N); break;
      case 0b1_1_11111: r = fpSqrt(x, N); break;
      case 0b0_0_11000: r = fpRoundInt(x, N, RN, false); break;            // FRINTN
      case 0b0_0_11001: r = fpRoundInt(x, N, RM, false); break;            // FRINTM
      case 0b0_1_11000: r = fpRoundInt(x, N, RP, false); break;            // FRINTP
      case 0b0_1_11001: r = fpRoundInt(x, N, RZ, false); break;            // FRINTZ
      case 0b1_0_11000: r = fpRoundInt(x, N, RA, false); break;            // FRINTA
      case 0b1_0_11001: r = fpRoundInt(x, N, fpcrRounding(), true); break; // FRINTX
      case 0b1_1_11001: r = fpRoundInt(x, N, fpcrRounding(), false); break; // FRINTI
      case 0b0_0_11010: r = fpToFixed(x, N, 0, false, RN, N); break;       // FCVTNS
      case 0b0_0_11011: r = fpToFixed(x, N, 0, false, RM, N); break;       // FCVTMS
      case 0b0_0_11100: r = fpToFixed(x, N, 0, false, RA, N); break;       // FCVTAS
      case 0b0_1_11010: r = fpToFixed(x, N, 0, false, RP, N); break;       // FCVTPS
      case 0b0_1_11011: r = fpToFixed(x, N, 0, false, RZ, N); break;       // FCVTZS
      case 0b1_0_11010: r = fpToFixed(x, N, 0, true, RN, N); break;        // FCVTNU
      case 0b1_0_11011: r = fpToFixed(x, N, 0, true, RM, N); break;        // FCVTMU
      case 0b1_0_11100: r = fpToFixed(x, N, 0, true, RA, N); break;        // FCVTAU
      case 0b1_1_11010: r = fpToFixed(x, N, 0, true, RP, N); break;        // FCVTPU
      case 0b1_1_11011: r = fpToFixed(x, N, 0, true, RZ, N); break;        // FCVTZU
      case 0b0_0_11101: r = fixedToFP(x, N, true, 0, N, fpcrRounding()); break; // SCVTF
      case 0b1_0_11101: r = fixedToFP(x, N, false, 0, N, fpcrRounding()); break; // UCVTF
      case 0b0_1_11101: r = fpRecipEstimate(x, N); break;                  // FRECPE
      case 0b1_1_11101: r = fpRSqrtEstimate(x, N); break;                  // FRSQRTE
      case 0b0_1_11111: r = fpRecpX(x, N); break;                          // FRECPX
      case 0b0_1_11100: r = (x >> 31) == 0 ? 0xffff_ffff : <u64>recipEstimate(<u32>(x >> 23)) << 23; break; // URECPE
      default: r = (x >> 30) == 0 ? 0xffff_ffff : <u64>rsqrtEstimate(<u32>(x >> 23)) << 23; // URSQRTE
    }
    setR(e, es, r);
  }
  commit(d, bytes);
}

// ---- across lanes and scalar pairwise ---------------------------------------------------

// Arm's Reduce(): recursive halves, op(lo, hi).
function fpReduce(n: u32, lo: u32, count: u32, es: u32, N: i32, kind: u32): u64 {
  if (count == 1) return getE(n, lo, es);
  const h = count >> 1;
  const a = fpReduce(n, lo, h, es, N, kind);
  const b = fpReduce(n, lo + h, h, es, N, kind);
  return fpPairOp(a, b, N, kind);
}

// kind: 0 FMAXNM, 1 FMINNM, 2 FMAX, 3 FMIN, 4 FADD
function fpPairOp(a: u64, b: u64, N: i32, kind: u32): u64 {
  if (kind == 4) return fpAdd(a, b, N, false);
  return fpMinMax(a, b, N, (kind & 1) == 0, kind < 2);
}

// (decoding table: ADDV, ADDLV, MAXV, MINV, FMINMAXV; the table leaves out 64-bit lanes, .4S
// with Q 0 and the FP16 forms, which this CPU does not have)

// Reduce the integer lanes of Vn: kind 0 add (result in the lane size), 1 add long (twice it),
// 2 max, 3 min; bit 29 selects unsigned
function intReduce(insn: u32, kind: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const es: u32 = 1 << ((insn >> 22) & 3);
  const n = rn(insn);
  const lanes: u32 = (q != 0 ? 16 : 8) / es;
  let r: u64 = 0;
  let rs: i64 = 0;
  let outEs = es;
  if (kind == 0) {
    for (let e: u32 = 0; e < lanes; e++) r += getE(n, e, es);
  } else if (kind == 1) {
    if (u == 0) { for (let e: u32 = 0; e < lanes; e++) rs += getSE(n, e, es); r = <u64>rs; }
    else for (let e: u32 = 0; e < lanes; e++) r += getE(n, e, es);
    outEs = es * 2;
  } else if (u == 0) {
    rs = getSE(n, 0, es);
    for (let e: u32 = 1; e < lanes; e++) {
      const v = getSE(n, e, es);
      if (kind == 2 ? v > rs : v < rs) rs = v;
    }
    r = <u64>rs;
  } else {
    r = getE(n, 0, es);
    for (let e: u32 = 1; e < lanes; e++) {
      const v = getE(n, e, es);
      if (kind == 2 ? v > r : v < r) r = v;
    }
  }
  clearRes();
  setR(0, outEs, r & emask(outEs));
  commit(rd(insn), outEs);
}
export function ADDV(insn: u32): void { intReduce(insn, 0); }
export function ADDLV(insn: u32): void { intReduce(insn, 1); }   // SADDLV, UADDLV
export function MAXV(insn: u32): void { intReduce(insn, 2); }    // SMAXV, UMAXV
export function MINV(insn: u32): void { intReduce(insn, 3); }    // SMINV, UMINV

// FMAXNMV, FMINNMV (opcode 01100), FMAXV, FMINV (01111) over 4 single-precision lanes;
// bit 23 selects min
export function FMINMAXV(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 12) & 31;
  const kind: u32 = (opc == 0b01100 ? 0 : 2) + ((insn >> 23) & 1);
  clearRes();
  setR(0, 4, fpReduce(rn(insn), 0, 4, 4, 32, kind));
  commit(rd(insn), 4);
}

// Scalar pairwise (decoding table: ADDP_s, FPAIR_s; the FP16 forms are not on this CPU)

// ADDP Dd, Vn.2D
export function ADDP_s(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn);
  setR(0, 8, getE(n, 0, 8) + getE(n, 1, 8));
  commit(rd(insn), 8);
}

// FMAXNMP/FMINNMP (opcode 01100), FADDP (01101), FMAXP/FMINP (01111) of the two lanes of Vn;
// size<1> selects min, sz = bit 22 the precision
export function FPAIR_s(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), opc = (insn >> 12) & 31, a1 = (insn >> 23) & 1;
  const N: i32 = (insn & (1 << 22)) != 0 ? 64 : 32;
  const es: u32 = <u32>N >> 3;
  const kind: u32 = opc == 0b01100 ? a1 : (opc == 0b01101 ? 4 : 2 + a1);
  setR(0, es, fpPairOp(getE(n, 0, es), getE(n, 1, es), N, kind));
  commit(rd(insn), es);
}

// ---- permute, EXT, TBL -------------------------------------------------------------------

// (decoding table: UZP, TRN, ZIP, EXT, TBL; the table leaves out size 11 with Q 0, EXT with Q 0
// and imm4 >= 8, and the reserved opcodes)

// UZP1/UZP2, TRN1/TRN2, ZIP1/ZIP2: bit 14 selects the second form
function permute(insn: u32, kind: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const size = (insn >> 22) & 3;
  const es: u32 = 1 << size;
  const bytes: u32 = q != 0 ? 16 : 8;
  const lanes: u32 = bytes / es, half: u32 = lanes / 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const part: u32 = (insn >> 14) & 1;
  clearRes();
  if (kind == 1) { // UZP
    for (let e: u32 = 0; e < lanes; e++) {
      const i: u32 = e * 2 + part;
      setR(e, es, i < lanes ? getE(n, i, es) : getE(m, i - lanes, es));
    }
  } else if (kind == 2) { // TRN
    for (let p: u32 = 0; p < half; p++) {
      setR(2 * p, es, getE(n, 2 * p + part, es));
      setR(2 * p + 1, es, getE(m, 2 * p + part, es));
    }
  } else { // ZIP
    for (let p: u32 = 0; p < half; p++) {
      setR(2 * p, es, getE(n, p + part * half, es));
      setR(2 * p + 1, es, getE(m, p + part * half, es));
    }
  }
  commit(d, bytes);
}
export function UZP(insn: u32): void { permute(insn, 1); }
export function TRN(insn: u32): void { permute(insn, 2); }
export function ZIP(insn: u32): void { permute(insn, 3); }

// EXT Vd, Vn, Vm, #imm4: bytes imm4.. of Vm:Vn
export function EXT(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const imm4 = (insn >> 11) & 15;
  const bytes: u32 = q != 0 ? 16 : 8;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  clearRes();
  for (let i: u32 = 0; i < bytes; i++) {
    const j = i + imm4;
    setR(i, 1, j < bytes ? getE(n, j, 1) : getE(m, j - bytes, 1));
  }
  commit(d, bytes);
}

// TBL, TBX (bit 12) with a table of 1-4 registers (len, bits 14:13)
export function TBL(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const len = ((insn >> 13) & 3) + 1;
  const isTbx = (insn & (1 << 12)) != 0;
  const bytes: u32 = q != 0 ? 16 : 8;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  clearRes();
  for (let i: u32 = 0; i < bytes; i++) {
    const idx = <u32>getE(m, i, 1);
    if (idx < len * 16) setR(i, 1, getE((n + (idx >> 4)) & 31, idx & 15, 1));
    else setR(i, 1, isTbx ? getE(d, i, 1) : 0);
  }
  commit(d, bytes);
}

// ---- shift by immediate ---------------------------------------------------------------------

function shiftImm(insn: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const immh = (insn >> 19) & 15;
  const immhb = (insn >> 16) & 127;
  const opc = (insn >> 11) & 31;
  const n = rn(insn), d = rd(insn);
  const hb = 31 - clz(immh); // 0..3
  const es: u32 = 1 << hb;
  const bits = <i32>es * 8;
  const bytes: u32 = q != 0 ? 16 : 8;
  const rsh = 2 * bits - <i32>immhb;
  const lsh = <i32>immhb - bits;
  const mk = emask(es);
  // FP fixed-point conversions
  if (opc == 0b11100 || opc == 0b11111) {
    if (hb == 0) return false;
    if (!scalar && hb == 3 && q == 0) return false;
    const N: i32 = bits;
    const lanes: u32 = scalar ? 1 : bytes / es;
    clearRes();
    setHalfArith(N == 16);
    for (let e: u32 = 0; e < lanes; e++) {
      const x = getE(n, e, es);
      const r = opc == 0b11100 ? fixedToFP(x, N, u == 0, rsh, N, fpcrRounding()) : fpToFixed(x, N, rsh, u != 0, RZ, N);
      setR(e, es, r);
    }
    setHalfArith(false);
    commit(d, scalar ? es : bytes);
    return true;
  }
  if (opc == 0b10100) { // SSHLL / USHLL (and SXTL/UXTL)
    if (scalar || hb == 3) return false;
    const part: u32 = q != 0 ? 8 / es : 0;
    clearRes();
    for (let e: u32 = 0; e < 8 / es; e++) {
      const v: u64 = u != 0 ? getE(n, e + part, es) : <u64>getSE(n, e + part, es);
      setR(e, es * 2, (v << <u64>lsh) & emask(es * 2));
    }
    commit(d, 16);
    return true;
  }
  if (opc >= 0b10000 && opc <= 0b10011 && (u == 1 || opc >= 0b10010)) {
    // [SU]Q[R]SHRN, SQ[R]SHRUN: narrow to es with saturation
    if (hb == 3) return false;
    const rounding = (opc & 1) != 0;
    const signedIn = !(u == 1 && opc >= 0b10010);          // UQ[R]SHRN take unsigned input
    const signedOut = u == 0;                                // SQ[R]SHRUN saturate to unsigned
    return narrowShift(insn, scalar, es, rsh, rounding, signedIn, signedOut, q);
  }
  if (opc == 0b01100 || opc == 0b01110) {
    // SQSHLU (U=1, 01100), SQSHL / UQSHL (immediate)
    if (opc == 0b01100 && u == 0) return false;
    if (!scalar && hb == 3 && q == 0) return false;
    const lanes: u32 = scalar ? 1 : bytes / es;
    clearRes();
    for (let e: u32 = 0; e < lanes; e++) {
      const a = getE(n, e, es), sa = getSE(n, e, es);
      let r: u64;
      if (opc == 0b01100) r = satShl(a, sa, lsh, es, false, false);
      else r = satShl(a, sa, lsh, es, u != 0, u == 0);
      setR(e, es, r);
    }
    commit(d, scalar ? es : bytes);
    return true;
  }
  if (opc == 0b10000 || opc == 0b10001) { // SHRN / RSHRN
    if (scalar || u != 0 || hb == 3) return false;
    // immh selects the narrow size: source elements are 2*es
    const sesz = es * 2;
    const sh = 2 * bits - <i32>immhb; // shift in 1..bits
    const base: u32 = q != 0 ? 8 / es : 0;
    clearRes();
    if (q != 0) store<u64>(RES, getE(d, 0, 8));
    for (let e: u32 = 0; e < 8 / es; e++) {
      let v = getE(n, e, sesz);
      let r: u64;
      if (opc == 0b10001) {
        // rounding: add 2^(sh-1) in a 2*es+1-bit intermediate
        const add = <u64>1 << <u64>(sh - 1);
        if (sesz == 8) { const s = v + add; const carry: u64 = s < v ? 1 : 0; r = (s >> <u64>sh) | (carry << <u64>(64 - sh)); }
        else r = (v + add) >> <u64>sh;
      } else r = v >> <u64>sh;
      setR(base + e, es, r & mk);
    }
    commit(d, q != 0 ? 16 : 8);
    return true;
  }
  if (scalar) { if (hb != 3) return false; }
  else if (hb == 3 && q == 0) return false;
  const lanes: u32 = scalar ? 1 : bytes / es;
  clearRes();
  for (let e: u32 = 0; e < lanes; e++) {
    const a = getE(n, e, es), sa = getSE(n, e, es), dv = getE(d, e, es);
    let r: u64;
    switch ((u << 5) | opc) {
      case 0b00000: r = <u64>(sa >> <i64>(rsh >= bits ? bits - 1 : rsh)); break;               // SSHR
      case 0b100000: r = rsh >= bits ? 0 : a >> <u64>rsh; break;                               // USHR
      case 0b00010: r = dv + <u64>(sa >> <i64>(rsh >= bits ? bits - 1 : rsh)); break;          // SSRA
      case 0b100010: r = dv + (rsh >= bits ? 0 : a >> <u64>rsh); break;                        // USRA
      case 0b00100: case 0b00110: case 0b100100: case 0b100110: {                              // [SU]RSHR, [SU]RSRA
        r = roundShift(a, sa, rsh, bits, u != 0);
        if ((opc & 2) != 0) r += dv;
        break;
      }
      case 0b01010: r = a << <u64>lsh; break;                                                  // SHL
      case 0b101010: { const msk = mk << <u64>lsh; r = (dv & ~msk) | ((a << <u64>lsh) & msk); break; } // SLI
      case 0b101000: {                                                                         // SRI
        const msk = rsh >= bits ? 0 : (mk >> <u64>rsh);
        r = (dv & ~msk) | ((rsh >= bits ? 0 : a >> <u64>rsh) & msk);
        break;
      }
      default: return false;
    }
    setR(e, es, r & mk);
  }
  commit(d, scalar ? 8 : bytes);
  return true;
}

function roundShift(a: u64, sa: i64, sh: i32, bits: i32, unsigned: bool): u64 {
  // (x + 2^(sh-1)) >> sh computed without losing the carry
  const half: u64 = <u64>1 << <u64>(sh - 1);
  if (unsigned) {
    if (sh >= 64) return (a >> 63) & 1; // bits == 64, sh == 64
    const s = a + half;
    const carry: u64 = (bits == 64 && s < a) ? 1 : 0;
    return (s >> <u64>sh) | (carry << <u64>(64 - sh));
  }
  if (sh >= 64) return 0; // (x + 2^63) >> 64 is 0 for every 64-bit signed x
  // signed: floor((sa + half) / 2^sh) with a 65-bit intermediate
  const s = sa + <i64>half;
  const ovf = bits == 64 && sa > 0 && s < 0;
  let r = s >> <i64>sh;
  if (ovf) r = <i64>((<u64>s) >> <u64>sh);
  return <u64>r;
}

// ---- by element -------------------------------------------------------------------------------

function byElement(insn: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const L = (insn >> 21) & 1, M = (insn >> 20) & 1, H = (insn >> 11) & 1;
  const opc = (insn >> 12) & 15;
  const n = rn(insn), d = rd(insn);
  const bytes: u32 = q != 0 ? 16 : 8;
  // FP: FMLA 0001, FMLS 0101, FMUL 1001 (U0), FMULX 1001 (U1)
  if (!scalar && size == 2 && ((u == 0 && (opc == 0b0000 || opc == 0b0100)) || (u == 1 && (opc == 0b1000 || opc == 0b1100)))) {
    return fmlal(insn, (opc & 0b0100) != 0, u, (H << 2) | (L << 1) | M); // FMLAL{2}/FMLSL{2} (by element)
  }
  if (!scalar && u == 1 && (opc & 0b1001) == 0b0001) {
    // FCMLA (by element): H lanes index H:L, S lanes index H (L must be 0)
    if (size == 1 && (q == 1 || H == 0)) return complexArith(insn, true, (H << 1) | L);
    if (size == 2 && L == 0 && q == 1) return complexArith(insn, true, H);
    return false;
  }
  if (opc == 0b0001 || opc == 0b0101 || opc == 0b1001) {
    if (u == 1 && opc != 0b1001) return false;
    if (size == 1) return false;
    const fp16 = size == 0;
    const sz = size & 1;
    if (sz == 1 && (L != 0 || (!scalar && q == 0))) return false;
    const N: i32 = fp16 ? 16 : (sz != 0 ? 64 : 32);
    const es: u32 = <u32>N >> 3;
    const index: u32 = fp16 ? (H << 2) | (L << 1) | M : (sz != 0 ? H : (H << 1) | L);
    const m = fp16 ? rm(insn) & 15 : (M << 4) | rm(insn) & 15;
    setHalfArith(fp16);
    const y = getE(m, index, es);
    const lanes: u32 = scalar ? 1 : bytes / es;
    clearRes();
    for (let e: u32 = 0; e < lanes; e++) {
      const x = getE(n, e, es);
      let r: u64;
      if (opc == 0b0001) r = fpMulAdd(getE(d, e, es), x, y, N);
      else if (opc == 0b0101) r = fpMulAdd(getE(d, e, es), fpNeg(x, N), y, N);
      else r = u != 0 ? fpMulX(x, y, N) : fpMul(x, y, N);
      setR(e, es, r);
    }
    setHalfArith(false);
    commit(d, scalar ? es : bytes);
    return true;
  }
  if (!scalar && opc == 0b1110 && size == 2) { dot(insn, u, index4(insn)); return true; }        // SDOT/UDOT by element
  if (!scalar && opc == 0b1111 && u == 0 && (size == 0 || size == 2)) {                    // SUDOT/USDOT by element
    dot(insn, size == 0 ? 3 : 2, index4(insn));
    return true;
  }
  {
    const k = (u << 4) | opc;
    if (k == 0b00011 || k == 0b00111 || k == 0b01011 || k == 0b01100 || k == 0b01101 || k == 0b11101 || k == 0b11111) {
      return satDoublingByElement(insn, scalar);
    }
  }
  if (scalar) return false;
  if (size == 0 || size == 3) return false;
  const es: u32 = 1 << size;
  const index: u32 = size == 1 ? (H << 2) | (L << 1) | M : (H << 1) | L;
  const m: u32 = size == 1 ? rm(insn) & 15 : ((M << 4) | (rm(insn) & 15));
  const mk = emask(es);
  clearRes();
  const key = (u << 4) | opc;
  if (key == 0b01000 || key == 0b10000 || key == 0b10100) { // MUL, MLA, MLS
    const y = getE(m, index, es);
    const lanes = bytes / es;
    for (let e: u32 = 0; e < lanes; e++) {
      const x = getE(n, e, es);
      let r = x * y;
      if (key == 0b10000) r = getE(d, e, es) + r;
      else if (key == 0b10100) r = getE(d, e, es) - r;
      setR(e, es, r & mk);
    }
    commit(d, bytes);
    return true;
  }
  if (opc == 0b1010 || opc == 0b0010 || opc == 0b0110) { // [SU]MULL, [SU]MLAL, [SU]MLSL
    const es2 = es * 2;
    const part: u32 = q != 0 ? 8 / es : 0;
    const y: u64 = u != 0 ? getE(m, index, es) : <u64>getSE(m, index, es);
    for (let e: u32 = 0; e < 8 / es; e++) {
      const x: u64 = u != 0 ? getE(n, e + part, es) : <u64>getSE(n, e + part, es);
      let r = x * y;
      if (opc == 0b0010) r = getE(d, e, es2) + r;
      else if (opc == 0b0110) r = getE(d, e, es2) - r;
      setR(e, es2, r & emask(es2));
    }
    commit(d, 16);
    return true;
  }
  return false;
}


// ---- saturating doubling multiplies ------------------------------------------------------

// SQDMULL / SQDMLAL / SQDMLSL on one lane: kind 0 mul, 1 add, 2 sub; a, b
// are es-byte lanes (es = 2 or 4), the result is 2*es bytes.
function sqdmlalLane(acc: u64, a: i64, b: i64, es: u32, kind: u32): u64 {
  const es2 = es * 2;
  let prod: u64;
  const p = a * b;
  if (es == 4 && p == (<i64>1 << 62)) { raiseFP(FPSR_QC); prod = 0x7fff_ffff_ffff_ffff; }
  else prod = satS(2 * p, es2);
  if (kind == 0) return prod;
  const sacc: i64 = es2 == 8 ? <i64>acc : (<i64>(acc << 32)) >> 32;
  const sprod: i64 = es2 == 8 ? <i64>prod : (<i64>(prod << 32)) >> 32;
  return (kind == 1 ? sqAdd(sacc, sprod, es2) : sqSub(sacc, sprod, es2)) & emask(es2);
}

// SQ[R]DMULH and SQRDML[AS]H on one lane (es = 2 or 4): high half of
// acc*2^bits +- 2*a*b (+ rounding), saturated. Computed as
// acc + ((+-p + round/2) >> (bits-1)) so nothing exceeds 64 bits.
function sqrdmlahLane(acc: i64, a: i64, b: i64, es: u32, round: bool, kind: u32): u64 {
  const bits = <i64>(es * 8);
  let p = a * b;
  if (kind == 2) p = -p;
  if (round) p += <i64>1 << (bits - 2);
  const hi = p >> (bits - 1);
  return satS(kind == 0 ? hi : acc + hi, es);
}

// Three different (vector, {2}) and scalar: SQDMLAL 1001, SQDMLSL 1011, SQDMULL 1101.
function satDoublingLong(insn: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 15;
  if (u != 0 || (size != 1 && size != 2)) return false;
  const kind: u32 = opc == 0b1101 ? 0 : (opc == 0b1001 ? 1 : (opc == 0b1011 ? 2 : 9));
  if (kind == 9) return false;
  const es: u32 = 1 << size, es2 = es * 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const count: u32 = scalar ? 1 : 8 / es;
  const part: u32 = (!scalar && q != 0) ? 8 / es : 0;
  clearRes();
  for (let e: u32 = 0; e < count; e++) {
    setR(e, es2, sqdmlalLane(getE(d, e, es2), getSE(n, e + part, es), getSE(m, e + part, es), es, kind));
  }
  commit(d, scalar ? es2 : 16);
  return true;
}

// By element: SQDMLAL 0011, SQDMLSL 0111, SQDMULL 1011, SQDMULH 1100,
// SQRDMULH 1101 (U=0); SQRDMLAH 1101, SQRDMLSH 1111 (U=1). Vector and scalar.
function satDoublingByElement(insn: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  if (size != 1 && size != 2) return false;
  const L = (insn >> 21) & 1, M = (insn >> 20) & 1, H = (insn >> 11) & 1;
  const opc = (insn >> 12) & 15;
  const es: u32 = 1 << size;
  const index: u32 = size == 1 ? (H << 2) | (L << 1) | M : (H << 1) | L;
  const m: u32 = size == 1 ? rm(insn) & 15 : ((M << 4) | (rm(insn) & 15));
  const n = rn(insn), d = rd(insn);
  const y = getSE(m, index, es);
  clearRes();
  if (u == 0 && (opc == 0b0011 || opc == 0b0111 || opc == 0b1011)) {
    const es2 = es * 2;
    const kind: u32 = opc == 0b1011 ? 0 : (opc == 0b0011 ? 1 : 2);
    const count: u32 = scalar ? 1 : 8 / es;
    const part: u32 = (!scalar && q != 0) ? 8 / es : 0;
    for (let e: u32 = 0; e < count; e++) setR(e, es2, sqdmlalLane(getE(d, e, es2), getSE(n, e + part, es), y, es, kind));
    commit(d, scalar ? es2 : 16);
    return true;
  }
  const bytes: u32 = q != 0 ? 16 : 8;
  const lanes: u32 = scalar ? 1 : bytes / es;
  const round = opc != 0b1100;
  const kind: u32 = u == 0 ? 0 : (opc == 0b1101 ? 1 : 2);
  for (let e: u32 = 0; e < lanes; e++) setR(e, es, sqrdmlahLane(getSE(d, e, es), getSE(n, e, es), y, es, round, kind));
  commit(d, scalar ? es : bytes);
  return true;
}

// Three same extra (FEAT_RDM): SQRDMLAH 0000, SQRDMLSH 0001 (U=1), vector and scalar.
function threeSameExtra(insn: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 11) & 15;
  if (!scalar && size == 2 && (opc == 0b0010 || (opc == 0b0011 && u == 0))) {
    // SDOT / UDOT (FEAT_DotProd), USDOT (FEAT_I8MM)
    const kind: u32 = opc == 0b0011 ? 2 : u; // 0 signed, 1 unsigned, 2 unsigned x signed
    dot(insn, kind, 0xff);
    return true;
  }
  if (!scalar && q == 1 && size == 2 && (opc == 0b0100 || (opc == 0b0101 && u == 0))) {
    // SMMLA / UMMLA / USMMLA (FEAT_I8MM): 2x8 by 8x2 byte matrices into 2x2 int32
    const n = rn(insn), m = rm(insn), d = rd(insn);
    clearRes();
    for (let i: u32 = 0; i < 2; i++) {
      for (let j: u32 = 0; j < 2; j++) {
        let acc = <i64>getE(d, 2 * i + j, 4);
        for (let k: u32 = 0; k < 8; k++) {
          const a: i64 = u == 1 || opc == 0b0101 ? <i64>getE(n, 8 * i + k, 1) : getSE(n, 8 * i + k, 1);
          const b: i64 = u == 1 ? <i64>getE(m, 8 * j + k, 1) : getSE(m, 8 * j + k, 1);
          acc += a * b;
        }
        setR(2 * i + j, 4, <u64>acc & 0xffff_ffff);
      }
    }
    commit(d, 16);
    return true;
  }
  if (!scalar && u == 1 && size != 0 && ((opc & 0b1101) == 0b1100 || (opc & 0b1100) == 0b1000)) {
    return complexArith(insn, (opc & 0b1100) == 0b1000, 0xff);
  }
  if (u == 0 || opc > 1 || (size != 1 && size != 2)) return false;
  const es: u32 = 1 << size;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const bytes: u32 = q != 0 ? 16 : 8;
  const lanes: u32 = scalar ? 1 : bytes / es;
  clearRes();
  for (let e: u32 = 0; e < lanes; e++) {
    setR(e, es, sqrdmlahLane(getSE(d, e, es), getSE(n, e, es), getSE(m, e, es), es, true, opc == 0 ? 1 : 2));
  }
  commit(d, scalar ? es : bytes);
  return true;
}

// ---- dot products -----------------------------------------------------------------------

@inline function index4(insn: u32): u32 { return (((insn >> 11) & 1) << 1) | ((insn >> 21) & 1); }

// Four-way byte dot products into 32-bit lanes. kind: 0 SDOT, 1 UDOT,
// 2 USDOT (Vn unsigned, Vm signed), 3 SUDOT (Vn signed, Vm unsigned).
// idx 0xff = vector form, else the 32-bit group index of Vm (by element,
// Rm is M:Rm).
function dot(insn: u32, kind: u32, idx: u32): void {
  const q = (insn >> 30) & 1;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const lanes: u32 = q != 0 ? 4 : 2;
  clearRes();
  for (let e: u32 = 0; e < lanes; e++) {
    let acc = <i64>getE(d, e, 4);
    const g = idx == 0xff ? e : idx;
    for (let j: u32 = 0; j < 4; j++) {
      const a: i64 = (kind == 1 || kind == 2) ? <i64>getE(n, 4 * e + j, 1) : getSE(n, 4 * e + j, 1);
      const b: i64 = (kind == 1 || kind == 3) ? <i64>getE(m, 4 * g + j, 1) : getSE(m, 4 * g + j, 1);
      acc += a * b;
    }
    setR(e, 4, <u64>acc & 0xffff_ffff);
  }
  commit(d, q != 0 ? 16 : 8);
}

// ---- complex arithmetic (FEAT_FCMA): FCADD, FCMLA ----------------------------------------

// Lanes are (real, imaginary) pairs. FCADD adds Vm rotated by 90 or 270
// degrees to Vn; FCMLA multiply-accumulates one rotation's half of the
// complex product into Vd. pairIdx 0xff = vector form, else the pair of Vm
// used for every lane (by element; Rm is then M:Rm).
function complexArith(insn: u32, mla: bool, pairIdx: u32): bool {
  const q = (insn >> 30) & 1;
  const size = (insn >> 22) & 3;
  if (size == 0 || (size == 3 && q == 0)) return false;
  const N: i32 = 8 << size;
  const es: u32 = 1 << size;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const pairs: u32 = (q != 0 ? 16 : 8) / es / 2;
  clearRes();
  setHalfArith(N == 16);
  for (let p: u32 = 0; p < pairs; p++) {
    const ie = 2 * p, io = 2 * p + 1;
    const me = pairIdx == 0xff ? ie : 2 * pairIdx, mo = me + 1;
    if (!mla) {
      const rot = (insn >> 12) & 1;
      const el1 = rot == 0 ? fpNeg(getE(m, mo, es), N) : getE(m, mo, es);
      const el3 = rot == 0 ? getE(m, me, es) : fpNeg(getE(m, me, es), N);
      setR(ie, es, fpAdd(getE(n, ie, es), el1, N, false));
      setR(io, es, fpAdd(getE(n, io, es), el3, N, false));
    } else {
      const rot = pairIdx == 0xff ? (insn >> 11) & 3 : (insn >> 13) & 3;
      let e1: u64, e2: u64, e3: u64, e4: u64;
      if (rot == 0) { e1 = getE(m, me, es); e2 = getE(n, ie, es); e3 = getE(m, mo, es); e4 = getE(n, ie, es); }
      else if (rot == 1) { e1 = fpNeg(getE(m, mo, es), N); e2 = getE(n, io, es); e3 = getE(m, me, es); e4 = getE(n, io, es); }
      else if (rot == 2) { e1 = fpNeg(getE(m, me, es), N); e2 = getE(n, ie, es); e3 = fpNeg(getE(m, mo, es), N); e4 = getE(n, ie, es); }
      else { e1 = getE(m, mo, es); e2 = getE(n, io, es); e3 = fpNeg(getE(m, me, es), N); e4 = getE(n, io, es); }
      setR(ie, es, fpMulAdd(getE(d, ie, es), e2, e1, N));
      setR(io, es, fpMulAdd(getE(d, io, es), e4, e3, N));
    }
  }
  setHalfArith(false);
  commit(d, q != 0 ? 16 : 8);
  return true;
}

// ---- FMLAL / FMLSL (FEAT_FHM) ----------------------------------------------------------------

// Widening half-precision multiply-add into single lanes. part 1 (the "2"
// forms) takes the upper half of the source halves; idx 0xff = vector form,
// else the H lane of Vm (Rm is 4 bits).
function fmlal(insn: u32, sub: bool, part: u32, idx: u32): bool {
  const q = (insn >> 30) & 1;
  const n = rn(insn), d = rd(insn);
  const m = idx == 0xff ? rm(insn) : rm(insn) & 15;
  const lanes: u32 = q != 0 ? 4 : 2;
  const base: u32 = part * lanes; // half-lane offset of the selected part
  clearRes();
  setHalfArith(true);
  for (let e: u32 = 0; e < lanes; e++) {
    let x = getE(n, base + e, 2);
    if (sub) x ^= 0x8000;
    const y = idx == 0xff ? getE(m, base + e, 2) : getE(m, idx, 2);
    setR(e, 4, fpMulAddH(getE(d, e, 4), x, y));
  }
  setHalfArith(false);
  commit(d, q != 0 ? 16 : 8);
  return true;
}

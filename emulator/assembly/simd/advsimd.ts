// Advanced SIMD data processing (vector and scalar forms). Decoding follows
// the Arm ARM "Data Processing -- Scalar Floating-Point and Advanced SIMD"
// table, which decodes every group (emulator/decode/a64.decode): the handlers
// are the exported functions below, one per pattern name, and never decide
// allocation (an unallocated encoding never reaches them).
//
// Every handler computes into the scratch register RES (lanes.ts) and
// commits it at the end; Q=0 vector results and scalar results zero the rest
// of the register. Crypto encodings live in crypto.ts.
//
// Not implemented (UNDEF): SM3/SM4, BF16, FJCVTZS. See README.md.

import { xreg, setXreg, checkFpEnabled } from "../cpu";
import { raiseFP, FPSR_QC } from "./regs";
import { RES, rd, rn, rm, getE, getSE, setR, emask, clearRes, copyToRes, commit } from "./lanes";
import {
  fpAdd, fpMul, fpMulX, fpDiv, fpSqrt, fpMulAdd, fpMinMax, fpCompareOp, fpRoundInt,
  fpToFixed, fixedToFP, fpConvert, fpNeg, fpAbs, fpcrRounding, fpRecipStep, fpRSqrtStep,
  fpRecipEstimate, fpRSqrtEstimate, fpRecpX, recipEstimate, rsqrtEstimate,
  RN, RP, RM, RZ, RA, RO,
} from "./softfloat";
import { expandFPImm } from "./fp";

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

// ---- three same: the integer lane operations ----------------------------------------


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

// ---- three same (decoding table: THREE_SAME_log, THREE_SAME_int, THREE_SAME_fp) ----------
// Vector and scalar (bit 28) forms; the table admits only the allocated U / size / opcode / Q
// combinations, so the handlers just take the operation from U (bit 29), size (23:22) and
// opcode (15:11). Scalar results are one lane, the rest of Vd zeroed.

@inline function isScalar(insn: u32): bool { return (insn & (1 << 28)) != 0; }
@inline function vbytes(insn: u32, es: u32): u32 { return isScalar(insn) ? es : ((insn & (1 << 30)) != 0 ? 16 : 8); }

// AND BIC ORR ORN (U 0), EOR BSL BIT BIF (U 1): size picks the operation
export function THREE_SAME_log(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const lo1 = getE(n, 0, 8), hi1 = getE(n, 1, 8), lo2 = getE(m, 0, 8), hi2 = getE(m, 1, 8);
  const lod = getE(d, 0, 8), hid = getE(d, 1, 8);
  let lo: u64, hi: u64;
  switch ((((insn >> 29) & 1) << 2) | ((insn >> 22) & 3)) { // U:size
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
  store<u64>(RES + 8, hi);
  commit(d, vbytes(insn, 8));
}

// Integer three same; opcodes 10100 (MAXP), 10101 (MINP), 10111 (ADDP) are pairwise: the
// lanes of Vm:Vn concatenated, adjacent pairs combined.
export function THREE_SAME_int(insn: u32): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1, opc = (insn >> 11) & 31;
  const es: u32 = 1 << ((insn >> 22) & 3);
  const bytes = vbytes(insn, es), lanes = bytes / es;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  clearRes();
  if (opc >= 0b10100 && opc != 0b10110) {
    const half = lanes >> 1;
    for (let e: u32 = 0; e < lanes; e++) {
      const src = e < half ? n : m;
      const i = (e < half ? e : e - half) * 2;
      const x = getE(src, i, es), y = getE(src, i + 1, es);
      const sx = getSE(src, i, es), sy = getSE(src, i + 1, es);
      let r: u64;
      if (opc == 0b10111) r = (x + y) & emask(es);
      else if (opc == 0b10100) r = u != 0 ? (x > y ? x : y) : (sx > sy ? x : y);
      else r = u != 0 ? (x < y ? x : y) : (sx < sy ? x : y);
      setR(e, es, r);
    }
  } else {
    for (let e: u32 = 0; e < lanes; e++) {
      setR(e, es, intThreeSame(opc, u, es, getE(n, e, es), getE(m, e, es), getSE(n, e, es), getSE(m, e, es), getE(d, e, es)));
    }
  }
  commit(d, bytes);
}

// FP three same, single (sz 0) or double (sz 1); FMAXNMP FMINNMP FADDP FMAXP FMINP pairwise
export function THREE_SAME_fp(insn: u32): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1, opc = (insn >> 11) & 31, a1 = (insn >> 23) & 1;
  const N: i32 = (insn & (1 << 22)) != 0 ? 64 : 32;
  const es: u32 = <u32>N >> 3;
  const bytes = vbytes(insn, es), lanes = bytes / es;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  clearRes();
  if (!isScalar(insn) && u == 1 && (opc == 0b11000 || opc == 0b11110 || (opc == 0b11010 && a1 == 0))) {
    const half = lanes >> 1;
    for (let e: u32 = 0; e < lanes; e++) {
      const src = e < half ? n : m;
      const i = (e < half ? e : e - half) * 2;
      setR(e, es, fpThreeSame(opc, 0, a1, N, getE(src, i, es), getE(src, i + 1, es), 0));
    }
  } else {
    for (let e: u32 = 0; e < lanes; e++) {
      setR(e, es, fpThreeSame(opc, u, a1, N, getE(n, e, es), getE(m, e, es), getE(d, e, es)));
    }
  }
  commit(d, bytes);
}

// ---- three different (decoding table: THREE_DIFF, ADDHN, PMULL, SQDMULL) ------------------
// Q 1 ("2" forms) takes the upper halves of the narrow sources.

// [SU]ADDL [SU]ADDW [SU]SUBL [SU]SUBW [SU]ABAL [SU]ABDL [SU]MLAL [SU]MLSL [SU]MULL: B, H, S sources
export function THREE_DIFF(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1, u = (insn >> 29) & 1, opc = (insn >> 12) & 15;
  const es: u32 = 1 << ((insn >> 22) & 3), es2 = es * 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const lanes: u32 = 8 / es, part = q * lanes;
  clearRes();
  for (let e: u32 = 0; e < lanes; e++) {
    const a: u64 = u != 0 ? getE(n, e + part, es) : <u64>getSE(n, e + part, es);
    const b: u64 = u != 0 ? getE(m, e + part, es) : <u64>getSE(m, e + part, es);
    let r: u64;
    switch (opc) {
      case 0b0000: r = a + b; break;                                                    // ADDL
      case 0b0001: r = (u != 0 ? getE(n, e, es2) : <u64>getSE(n, e, es2)) + b; break;   // ADDW
      case 0b0010: r = a - b; break;                                                    // SUBL
      case 0b0011: r = (u != 0 ? getE(n, e, es2) : <u64>getSE(n, e, es2)) - b; break;   // SUBW
      case 0b0101: r = getE(d, e, es2) + absDiffL(a, b, u); break;                      // ABAL
      case 0b0111: r = absDiffL(a, b, u); break;                                        // ABDL
      case 0b1000: r = getE(d, e, es2) + a * b; break;                                  // MLAL
      case 0b1010: r = getE(d, e, es2) - a * b; break;                                  // MLSL
      default: r = a * b;                                                               // MULL
    }
    setR(e, es2, r & emask(es2));
  }
  commit(d, 16);
}

// ADDHN SUBHN RADDHN RSUBHN{2} (opcode 0100 / 0110, U 1 rounds): the high half of each
// 2*es-byte sum or difference; the "2" forms fill the upper half of Vd and keep the lower.
export function ADDHN(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const sub = (insn & (1 << 13)) != 0, round = (insn & (1 << 29)) != 0;
  const es: u32 = 1 << ((insn >> 22) & 3), es2 = es * 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const bits = <u64>(es * 8);
  const lanes: u32 = 8 / es, base = q * lanes;
  clearRes();
  if (q != 0) store<u64>(RES, getE(d, 0, 8));
  for (let e: u32 = 0; e < lanes; e++) {
    const a = getE(n, e, es2), b = getE(m, e, es2);
    let r = sub ? a - b : a + b; // only the low 2*es bytes matter
    if (round) r += <u64>1 << (bits - 1);
    setR(base + e, es, (r >> bits) & emask(es));
  }
  commit(d, q != 0 ? 16 : 8);
}

// PMULL{2}: eight byte polynomial products (size 00), or one 64x64 -> 128-bit product
// (size 11, FEAT_PMULL)
export function PMULL(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  if ((insn & (1 << 22)) != 0) {
    const a = getE(n, q, 8), b = getE(m, q, 8);
    let lo: u64 = 0, hi: u64 = 0;
    for (let i: u64 = 0; i < 64; i++) {
      if (((b >> i) & 1) != 0) { lo ^= a << i; if (i != 0) hi ^= a >> (64 - i); }
    }
    store<u64>(RES, lo);
    store<u64>(RES + 8, hi);
  } else {
    clearRes();
    const part = q * 8;
    for (let e: u32 = 0; e < 8; e++) setR(e, 2, clmul(getE(n, e + part, 1), getE(m, e + part, 1)));
  }
  commit(d, 16);
}

// Carry-less multiply of two bytes (polynomial over GF(2)).
function clmul(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) if (((b >> i) & 1) != 0) r ^= a << i;
  return r;
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

@inline function qbytes(insn: u32): u32 { return (insn & (1 << 30)) != 0 ? 16 : 8; } // vector bytes by Q
@inline function lsize(insn: u32): u32 { return <u32>1 << ((insn >> 22) & 3); }

function bitrev(v: u64, bits: u32): u64 {
  let r: u64 = 0;
  for (let i: u32 = 0; i < bits; i++) r |= ((v >> i) & 1) << (bits - 1 - i);
  return r;
}

// REV64 (U 0), REV32 (U 1), REV16 (opcode 00001): reverse the lanes in each container
export function REV_v(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), es = lsize(insn), bytes = qbytes(insn);
  const cont: u32 = (insn & (1 << 12)) != 0 ? 2 : ((insn & (1 << 29)) != 0 ? 4 : 8); // container bytes
  for (let i: u32 = 0; i < bytes; i += cont) {
    for (let j: u32 = 0; j < cont; j += es) setR((i + cont - es - j) / es, es, getE(n, (i + j) / es, es));
  }
  commit(rd(insn), bytes);
}

// SADDLP/UADDLP (opcode 00x10, bit 14 clear), SADALP/UADALP (bit 14 set: accumulate into Vd)
export function ADDLP(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn), es = lsize(insn), bytes = qbytes(insn);
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
  const n = rn(insn), es = lsize(insn), bytes = qbytes(insn);
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
  const n = rn(insn), bytes = qbytes(insn);
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
  const bytes: u32 = isScalar(insn) ? es : qbytes(insn);
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
  const bytes: u32 = isScalar(insn) ? 8 : qbytes(insn);
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
  const bytes: u32 = isScalar(insn) ? es : qbytes(insn);
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

// ---- shift by immediate (decoding table: SHIFT_imm, SHIFT_narrow, SHIFT_long, SHIFT_fixed and the
// scalar SHIFT_imm_s, SHIFT_narrow_s, SHIFT_fixed_s) ----------------------------------------------
// immh (bits 22:19) has the lane size as its highest set bit (B 0001 ... D 1xxx); immh:immb
// (bits 22:16) is 2*esize - shift for the right shifts and esize + shift for the left ones. The
// table allows only the allocated sizes and opcodes (U = bit 29, opcode = bits 15:11).

@inline function shiftEs(insn: u32): u32 { return <u32>1 << (31 - clz((insn >> 19) & 15)); }
@inline function shiftImmhb(insn: u32): i32 { return <i32>((insn >> 16) & 127); }

// Same-width shifts: [SU]SHR, [SU]SRA, [SU]RSHR, [SU]RSRA, SRI, SHL, SLI, SQSHLU, SQSHL, UQSHL
function shiftSame(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1, key = (u << 5) | ((insn >> 11) & 31);
  const es = shiftEs(insn), bits = <i32>es * 8;
  const rsh = 2 * bits - shiftImmhb(insn), lsh = shiftImmhb(insn) - bits;
  const bytes: u32 = scalar ? es : ((insn >> 30) & 1) != 0 ? 16 : 8;
  const n = rn(insn), d = rd(insn), mk = emask(es);
  clearRes();
  for (let e: u32 = 0; e < bytes / es; e++) {
    const a = getE(n, e, es), sa = getSE(n, e, es), dv = getE(d, e, es);
    const sr = <u64>(sa >> <i64>(rsh >= bits ? bits - 1 : rsh)), ur = rsh >= bits ? 0 : a >> <u64>rsh;
    let r: u64;
    switch (key) {
      case 0b000000: r = sr; break;                                                    // SSHR
      case 0b100000: r = ur; break;                                                    // USHR
      case 0b000010: r = dv + sr; break;                                               // SSRA
      case 0b100010: r = dv + ur; break;                                               // USRA
      case 0b000100: case 0b100100: r = roundShift(a, sa, rsh, bits, u != 0); break;   // [SU]RSHR
      case 0b000110: case 0b100110: r = dv + roundShift(a, sa, rsh, bits, u != 0); break; // [SU]RSRA
      case 0b101000: { const m = rsh >= bits ? 0 : mk >> <u64>rsh; r = (dv & ~m) | (ur & m); break; } // SRI
      case 0b001010: r = a << <u64>lsh; break;                                         // SHL
      case 0b101010: { const m = mk << <u64>lsh; r = (dv & ~m) | ((a << <u64>lsh) & m); break; } // SLI
      case 0b101100: r = satShl(a, sa, lsh, es, false, false); break;                  // SQSHLU
      case 0b001110: r = satShl(a, sa, lsh, es, false, true); break;                   // SQSHL
      default: r = satShl(a, sa, lsh, es, true, false);                                // UQSHL
    }
    setR(e, es, r & mk);
  }
  commit(d, bytes);
}
export function SHIFT_imm(insn: u32): void { shiftSame(insn, false); }
export function SHIFT_imm_s(insn: u32): void { shiftSame(insn, true); }

// Narrowing right shifts into es-byte lanes (the lower half of Vd, or the upper half with Q 1 for
// the "2" forms): SHRN, RSHRN (U 0, opcode 1000x) truncate; SQSHRUN, SQRSHRUN (U 1, 1000x),
// SQSHRN, SQRSHRN (U 0, 1001x), UQSHRN, UQRSHRN (U 1, 1001x) saturate. Opcode bit 0 rounds.
function shiftNarrow(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const u = (insn >> 29) & 1, opc = (insn >> 11) & 31, q = (insn >> 30) & 1;
  const es = shiftEs(insn), rounding = (opc & 1) != 0;
  const sh = <i32>es * 16 - shiftImmhb(insn);
  if (u == 0 && opc < 0b10010) { // SHRN, RSHRN (vector only)
    const n = rn(insn), d = rd(insn), base: u32 = q != 0 ? 8 / es : 0;
    clearRes();
    if (q != 0) store<u64>(RES, getE(d, 0, 8));
    for (let e: u32 = 0; e < 8 / es; e++) {
      const a = getE(n, e, es * 2);
      setR(base + e, es, rounding ? roundShift(a, 0, sh, <i32>es * 16, true) : a >> <u64>sh);
    }
    commit(d, q != 0 ? 16 : 8);
    return;
  }
  narrowShift(insn, scalar, es, sh, rounding, !(u == 1 && opc >= 0b10010), u == 0, q);
}
export function SHIFT_narrow(insn: u32): void { shiftNarrow(insn, false); }
export function SHIFT_narrow_s(insn: u32): void { shiftNarrow(insn, true); }

// SSHLL, USHLL (U 1) {2}, alias SXTL/UXTL: widen the lower (Q 0) or upper half, shift left
export function SHIFT_long(insn: u32): void {
  if (!checkFpEnabled()) return;
  const es = shiftEs(insn), lsh = <u64>(shiftImmhb(insn) - <i32>es * 8);
  const uns = (insn & (1 << 29)) != 0, n = rn(insn);
  const part: u32 = (insn & (1 << 30)) != 0 ? 8 / es : 0;
  clearRes();
  for (let e: u32 = 0; e < 8 / es; e++) {
    const v: u64 = uns ? getE(n, e + part, es) : <u64>getSE(n, e + part, es);
    setR(e, es * 2, v << lsh);
  }
  commit(rd(insn), 16);
}

// SCVTF, UCVTF (opcode 11100) and FCVTZS, FCVTZU (11111) with fbits = 2*esize - immh:immb, on S
// or D lanes; U (bit 29) selects unsigned
function shiftFixed(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const uns = (insn & (1 << 29)) != 0, toFp = ((insn >> 11) & 31) == 0b11100;
  const es = shiftEs(insn), N = <i32>es * 8;
  const fbits = 2 * N - shiftImmhb(insn);
  const bytes: u32 = scalar ? es : ((insn >> 30) & 1) != 0 ? 16 : 8;
  const n = rn(insn);
  clearRes();
  for (let e: u32 = 0; e < bytes / es; e++) {
    const x = getE(n, e, es);
    setR(e, es, toFp ? fixedToFP(x, N, !uns, fbits, N, fpcrRounding()) : fpToFixed(x, N, fbits, uns, RZ, N));
  }
  commit(rd(insn), bytes);
}
export function SHIFT_fixed(insn: u32): void { shiftFixed(insn, false); }
export function SHIFT_fixed_s(insn: u32): void { shiftFixed(insn, true); }

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

// ---- x indexed element (decoding table: MUL_elem, MULL_elem, SQDMULL_elem, SQDMULH_elem,
// FMUL_elem and the scalar SQDMULL_elem_s, SQDMULH_elem_s, FMUL_elem_s) ------------------------
// Integer forms take H lanes (size 01: index H:L:M, Vm is V0-V15) or S lanes (size 10: index
// H:L, Vm = M:Rm); the table allows no other size.

// The Vm lane an integer by-element form multiplies by (sign-extended when signed)
function elemLane(insn: u32, es: u32, signed: bool): u64 {
  const idx: u32 = es == 2 ? ((insn >> 9) & 4) | ((insn >> 20) & 3) : ((insn >> 10) & 2) | ((insn >> 21) & 1);
  const m = es == 2 ? rm(insn) & 15 : rm(insn);
  return signed ? <u64>getSE(m, idx, es) : getE(m, idx, es);
}

// MUL (U 0, opcode 1000), MLA (U 1, 0000), MLS (U 1, 0100)
export function MUL_elem(insn: u32): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << ((insn >> 22) & 3), bytes: u32 = (insn & (1 << 30)) != 0 ? 16 : 8;
  const acc = (insn & (1 << 29)) != 0, sub = (insn & (1 << 14)) != 0;
  const n = rn(insn), d = rd(insn), y = elemLane(insn, es, false);
  clearRes();
  for (let e: u32 = 0; e < bytes / es; e++) {
    const p = getE(n, e, es) * y;
    setR(e, es, acc ? (sub ? getE(d, e, es) - p : getE(d, e, es) + p) : p);
  }
  commit(d, bytes);
}

// [SU]MLAL (opcode 0010), [SU]MLSL (0110), [SU]MULL (1010) {2}: U (bit 29) selects unsigned
export function MULL_elem(insn: u32): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << ((insn >> 22) & 3), es2 = es * 2;
  const uns = (insn & (1 << 29)) != 0, mull = (insn & (1 << 15)) != 0, sub = (insn & (1 << 14)) != 0;
  const part: u32 = (insn & (1 << 30)) != 0 ? 8 / es : 0;
  const n = rn(insn), d = rd(insn), y = elemLane(insn, es, !uns);
  clearRes();
  for (let e: u32 = 0; e < 8 / es; e++) {
    const p = (uns ? getE(n, e + part, es) : <u64>getSE(n, e + part, es)) * y;
    setR(e, es2, mull ? p : (sub ? getE(d, e, es2) - p : getE(d, e, es2) + p));
  }
  commit(d, 16);
}

// SQDMLAL (opcode 0011), SQDMLSL (0111), SQDMULL (1011) {2}, vector and scalar
function sqdmullElem(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << ((insn >> 22) & 3), es2 = es * 2;
  const kind: u32 = (insn & (1 << 15)) != 0 ? 0 : ((insn & (1 << 14)) != 0 ? 2 : 1);
  const count: u32 = scalar ? 1 : 8 / es;
  const part: u32 = !scalar && (insn & (1 << 30)) != 0 ? 8 / es : 0;
  const n = rn(insn), d = rd(insn), y = <i64>elemLane(insn, es, true);
  clearRes();
  for (let e: u32 = 0; e < count; e++) setR(e, es2, sqdmlalLane(getE(d, e, es2), getSE(n, e + part, es), y, es, kind));
  commit(d, scalar ? es2 : 16);
}
export function SQDMULL_elem(insn: u32): void { sqdmullElem(insn, false); }
export function SQDMULL_elem_s(insn: u32): void { sqdmullElem(insn, true); }

// SQDMULH (opcode 1100), SQRDMULH (1101), vector and scalar
function sqdmulhElem(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const es: u32 = 1 << ((insn >> 22) & 3);
  const bytes: u32 = scalar ? es : (insn & (1 << 30)) != 0 ? 16 : 8;
  const round = (insn & (1 << 12)) != 0;
  const n = rn(insn), y = <i64>elemLane(insn, es, true);
  clearRes();
  for (let e: u32 = 0; e < bytes / es; e++) setR(e, es, sqdmulh(getSE(n, e, es), y, es, round));
  commit(rd(insn), bytes);
}
export function SQDMULH_elem(insn: u32): void { sqdmulhElem(insn, false); }
export function SQDMULH_elem_s(insn: u32): void { sqdmulhElem(insn, true); }

// FMLA (U 0, opcode 0001), FMLS (U 0, 0101), FMUL (U 0, 1001), FMULX (U 1, 1001), vector and
// scalar: S lanes (size 10, index H:L, Vm = M:Rm) or D lanes (size 11, index H)
function fmulElem(insn: u32, scalar: bool): void {
  if (!checkFpEnabled()) return;
  const sz = (insn >> 22) & 1, opc = (insn >> 12) & 15, mulx = (insn & (1 << 29)) != 0;
  const N: i32 = sz != 0 ? 64 : 32, es: u32 = 4 << sz;
  const idx: u32 = sz != 0 ? (insn >> 11) & 1 : ((insn >> 10) & 2) | ((insn >> 21) & 1);
  const y = getE(rm(insn), idx, es);
  const bytes: u32 = scalar ? es : (insn & (1 << 30)) != 0 ? 16 : 8;
  const n = rn(insn), d = rd(insn);
  clearRes();
  for (let e: u32 = 0; e < bytes / es; e++) {
    const x = getE(n, e, es);
    let r: u64;
    if (opc == 0b1001) r = mulx ? fpMulX(x, y, N) : fpMul(x, y, N);
    else r = fpMulAdd(getE(d, e, es), opc == 0b0101 ? fpNeg(x, N) : x, y, N);
    setR(e, es, r);
  }
  commit(d, bytes);
}
export function FMUL_elem(insn: u32): void { fmulElem(insn, false); }
export function FMUL_elem_s(insn: u32): void { fmulElem(insn, true); }

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

// SQDMLAL 1001, SQDMLSL 1011, SQDMULL 1101 (decoding table: SQDMULL): three different,
// vector ({2}: upper source halves) and scalar (bit 28), H or S sources
export function SQDMULL(insn: u32): void {
  if (!checkFpEnabled()) return;
  const q = (insn >> 30) & 1, opc = (insn >> 12) & 15;
  const kind: u32 = opc == 0b1101 ? 0 : (opc == 0b1001 ? 1 : 2);
  const es: u32 = 1 << ((insn >> 22) & 3), es2 = es * 2;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  const scalar = isScalar(insn);
  const count: u32 = scalar ? 1 : 8 / es;
  const part: u32 = scalar ? 0 : q * count;
  clearRes();
  for (let e: u32 = 0; e < count; e++) {
    setR(e, es2, sqdmlalLane(getE(d, e, es2), getSE(n, e + part, es), getSE(m, e + part, es), es, kind));
  }
  commit(d, scalar ? es2 : 16);
}


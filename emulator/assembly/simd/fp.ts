// Scalar floating point: the A64 "Floating-point data-processing" and
// "Conversion between floating-point and integer/fixed-point" encodings
// (op0 = x111, bits 28:24 = 1111x, bit 30 = 0). Each handler returns false
// for an unallocated or unimplemented encoding; index.ts raises UNDEF.
//
// Precision: ptype 00 = single, 01 = double, 11 = half (FEAT_FP16, as
// qemu-aarch64 -cpu max: every scalar form, flushing by FPCR.FZ16).

import { xreg, setXreg, getNZCVFlags, setNZCVFlags } from "../cpu";
import { velem, setVscalar, setV, getV, vaddr } from "./regs";
import {
  fpAdd, fpMul, fpDiv, fpSqrt, fpMulAdd, fpCompare, fpMinMax, fpRoundInt,
  fpToFixed, fixedToFP, fpConvert, fpNeg, fpAbs, fpcrRounding, roundPack, fpRoundIntN,
  RN, RP, RM, RZ, RA, setHalfArith,
  fpAdd64, fpMul64, fpDiv64, fpCompare64, intToFP64,
} from "./softfloat";

// ptype -> N (0 = unallocated)
@inline function ptypeBits(ptype: u32): i32 {
  return ptype == 0 ? 32 : (ptype == 1 ? 64 : (ptype == 3 ? 16 : 0));
}

@inline function rd(insn: u32): u32 { return insn & 31; }
@inline function rn(insn: u32): u32 { return (insn >> 5) & 31; }
@inline function rm(insn: u32): u32 { return (insn >> 16) & 31; }

@inline function readF(n: u32, N: i32): u64 { return velem(n, 0, <u32>(N >> 3)); }
@inline function writeF(n: u32, N: i32, v: u64): void { setVscalar(n, <u32>(N >> 3), v); }

export function condHolds(cond: u32, nzcv: u32): bool {
  const n = (nzcv >> 31) & 1, z = (nzcv >> 30) & 1, c = (nzcv >> 29) & 1, v = (nzcv >> 28) & 1;
  let r: bool;
  switch (cond >> 1) {
    case 0: r = z == 1; break;
    case 1: r = c == 1; break;
    case 2: r = n == 1; break;
    case 3: r = v == 1; break;
    case 4: r = c == 1 && z == 0; break;
    case 5: r = n == v; break;
    case 6: r = n == v && z == 0; break;
    default: return true; // AL, NV
  }
  return (cond & 1) != 0 ? !r : r;
}

// VFPExpandImm
export function expandFPImm(imm8: u32, N: i32): u64 {
  const E = N == 64 ? 11 : (N == 32 ? 8 : 5);
  const F = N - E - 1;
  const sign = <u64>((imm8 >> 7) & 1);
  const b6 = (imm8 >> 6) & 1;
  // exp = NOT(b6) : Replicate(b6, E-3) : imm8<5:4>
  let exp: u64 = <u64>(b6 ^ 1) << (E - 1);
  if (b6 != 0) exp |= ((<u64>1 << (E - 3)) - 1) << 2;
  exp |= <u64>((imm8 >> 4) & 3);
  const frac = <u64>(imm8 & 15) << (F - 4);
  return (sign << (N - 1)) | (exp << F) | frac;
}

// ---- leaf dispatch for the hot double-precision forms ----------------------------
// Compiled code's FP loops are mostly D-register FADD/FSUB/FMUL/FDIV, FCMP,
// FCSEL, FMOV and SCVTF/UCVTF. index.ts tries this first: one test of bits
// 31:21, then a br_table on the form bits, and each leaf reads its fields
// once and calls the inlined round-to-nearest paths of softfloat.ts.
// Returns false (having done nothing) for anything else, which then takes
// the general decode below; every leaf computes exactly what that decode
// would for the same encoding.

@inline function ldD(n: u32): u64 { return load<u64>(vaddr(n)); }
@inline function stD(d: u32, v: u64): void {
  const p = vaddr(d);
  store<u64>(p, v);
  store<u64>(p + 8, 0);
}

export function execScalarFpFast(insn: u32): bool {
  const hi = insn >> 21;
  if (hi == 0x0f3) {
    // 0 0 0 11110 01 1: double precision, bit 21 set
    const d = insn & 31, n = (insn >> 5) & 31;
    switch ((insn >> 10) & 3) {
      case 2: { // FP data-processing (2 source): opcode in bits 15:12
        const m = (insn >> 16) & 31;
        const opc = (insn >> 12) & 15;
        if (opc > 3) return false;
        const a = ldD(n), b = ldD(m);
        let r: u64;
        if (opc == 0) r = fpMul64(a, b);
        else if (opc == 1) r = fpDiv64(a, b);
        else r = fpAdd64(a, b, opc == 3);
        stD(d, r);
        return true;
      }
      case 3: // FCSEL
        stD(d, ldD(condHolds((insn >> 12) & 15, getNZCVFlags()) ? n : (insn >> 16) & 31));
        return true;
      case 0: {
        const lo = insn & 0xfc07;
        if (lo == 0x2000) { // FCMP / FCMPE, with register or #0.0
          const b: u64 = (insn & 8) != 0 ? 0 : ldD((insn >> 16) & 31);
          setNZCVFlags(fpCompare64(ldD(n), b, (insn & 16) != 0) << 28);
          return true;
        }
        if ((insn & 0x1f_fc00) == 0x00_4000) { // FMOV Dd, Dn
          stD(d, ldD(n));
          return true;
        }
        if ((insn & 0x1e_fc00) == 0x02_0000) { // SCVTF / UCVTF Dd, Wn
          const w = <u32>xreg(n);
          const f: f64 = (insn & 0x1_0000) != 0 ? <f64>w : <f64><i32>w;
          stD(d, reinterpret<u64>(f));
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }
  if (hi == 0x4f3 && (insn & 0xfc00) == 0) {
    // 1 0 0 11110 01 1, bits 15:10 = 0: conversions between D and X
    const d = insn & 31, n = (insn >> 5) & 31;
    const rmop = (insn >> 16) & 31; // rmode:opcode
    if (rmop == 2 || rmop == 3) { // SCVTF / UCVTF Dd, Xn
      stD(d, intToFP64(xreg(n), rmop == 2));
      return true;
    }
    if (rmop == 7) { stD(d, xreg(n)); return true; }      // FMOV Dd, Xn
    if (rmop == 6) { setXreg(d, ldD(n)); return true; }   // FMOV Xd, Dn
    return false;
  }
  return false;
}

export function execScalarFp(insn: u32): bool {
  // ptype 11: FEAT_FP16 half-precision arithmetic flushes by FZ16
  const half = ((insn >> 22) & 3) == 3;
  if (half) setHalfArith(true);
  const ok = scalarFp(insn);
  if (half) setHalfArith(false);
  return ok;
}

function scalarFp(insn: u32): bool {
  if ((insn & 0x2000_0000) != 0) return false; // S bit
  const N = ptypeBits((insn >> 22) & 3);
  if (((insn >> 24) & 31) == 0b11111) {
    if ((insn >> 31) != 0 || N == 0) return false;
    return fp3Source(insn, N);
  }
  if ((insn & (1 << 21)) == 0) return fpFixedConv(insn);
  if (((insn >> 10) & 63) == 0) return fpIntConv(insn);
  if ((insn >> 31) != 0 || N == 0) return false;
  if (((insn >> 10) & 31) == 0b10000) return fp1Source(insn, N);
  if (((insn >> 10) & 15) == 0b1000) return fpCompareInsn(insn, N);
  if (((insn >> 10) & 7) == 0b100) return fpImm(insn, N);
  const t = (insn >> 10) & 3;
  if (t == 1) return fpCondCompare(insn, N);
  if (t == 2) return fp2Source(insn, N);
  if (t == 3) return fpCondSelect(insn, N);
  return false;
}

function fp3Source(insn: u32, N: i32): bool {
  const o1 = (insn >> 21) & 1, o0 = (insn >> 15) & 1;
  let a = readF(rn(insn), N);
  const b = readF(rm(insn), N);
  let c = readF((insn >> 10) & 31, N);
  if (o1 != 0) c = fpNeg(c, N);     // FNMADD / FNMSUB negate the addend
  if (o0 != o1) a = fpNeg(a, N);    // FMSUB / FNMADD negate the product
  writeF(rd(insn), N, fpMulAdd(c, a, b, N));
  return true;
}

function fp1Source(insn: u32, N: i32): bool {
  const opc = (insn >> 15) & 63;
  const n = rn(insn), d = rd(insn);
  const a = readF(n, N);
  let r: u64;
  switch (opc) {
    case 0b000000: r = a; break;
    case 0b000001: r = fpAbs(a, N); break;
    case 0b000010: r = fpNeg(a, N); break;
    case 0b000011: r = fpSqrt(a, N); break;
    case 0b000100: case 0b000101: case 0b000111: {
      const to = opc == 0b000100 ? 32 : (opc == 0b000101 ? 64 : 16);
      if (to == N) return false;
      writeF(d, to, fpConvert(a, N, to));
      return true;
    }
    case 0b001000: r = fpRoundInt(a, N, RN, false); break;
    case 0b001001: r = fpRoundInt(a, N, RP, false); break;
    case 0b001010: r = fpRoundInt(a, N, RM, false); break;
    case 0b001011: r = fpRoundInt(a, N, RZ, false); break;
    case 0b001100: r = fpRoundInt(a, N, RA, false); break;
    case 0b001110: r = fpRoundInt(a, N, fpcrRounding(), true); break;
    case 0b001111: r = fpRoundInt(a, N, fpcrRounding(), false); break;
    case 0b010000: case 0b010001: case 0b010010: case 0b010011: // FRINT32Z/32X/64Z/64X
      if (N == 16) return false;
      r = fpRoundIntN(a, N, (opc & 1) != 0 ? fpcrRounding() : RZ, (opc & 2) != 0 ? 64 : 32);
      break;
    default: return false;
  }
  writeF(d, N, r);
  return true;
}

function fpCompareInsn(insn: u32, N: i32): bool {
  if (((insn >> 14) & 3) != 0 || (insn & 7) != 0) return false;
  const withZero = (insn & 8) != 0;
  const signal = (insn & 16) != 0;
  const a = readF(rn(insn), N);
  const b: u64 = withZero ? 0 : readF(rm(insn), N);
  const flags = fpCompare(a, b, N, signal);
  setNZCVFlags(flags << 28);
  return true;
}

function fpImm(insn: u32, N: i32): bool {
  if (((insn >> 5) & 31) != 0) return false;
  writeF(rd(insn), N, expandFPImm((insn >> 13) & 0xff, N));
  return true;
}

function fpCondCompare(insn: u32, N: i32): bool {
  const cond = (insn >> 12) & 15;
  if (condHolds(cond, getNZCVFlags())) {
    const flags = fpCompare(readF(rn(insn), N), readF(rm(insn), N), N, (insn & 16) != 0);
    setNZCVFlags(flags << 28);
  } else {
    setNZCVFlags((insn & 15) << 28);
  }
  return true;
}

function fp2Source(insn: u32, N: i32): bool {
  const opc = (insn >> 12) & 15;
  const a = readF(rn(insn), N), b = readF(rm(insn), N);
  let r: u64;
  switch (opc) {
    case 0: r = fpMul(a, b, N); break;
    case 1: r = fpDiv(a, b, N); break;
    case 2: r = fpAdd(a, b, N, false); break;
    case 3: r = fpAdd(a, b, N, true); break;
    case 4: r = fpMinMax(a, b, N, true, false); break;
    case 5: r = fpMinMax(a, b, N, false, false); break;
    case 6: r = fpMinMax(a, b, N, true, true); break;
    case 7: r = fpMinMax(a, b, N, false, true); break;
    case 8: r = fpNeg(fpMul(a, b, N), N); break;
    default: return false;
  }
  writeF(rd(insn), N, r);
  return true;
}

function fpCondSelect(insn: u32, N: i32): bool {
  const cond = (insn >> 12) & 15;
  const src = condHolds(cond, getNZCVFlags()) ? rn(insn) : rm(insn);
  writeF(rd(insn), N, readF(src, N));
  return true;
}

function writeGeneral(d: u32, sf: u32, v: u64): void {
  setXreg(d, sf != 0 ? v : (v & 0xffff_ffff));
}

// Conversion between floating-point and fixed-point (bit 21 = 0).
function fpFixedConv(insn: u32): bool {
  const sf = insn >> 31;
  const N = ptypeBits((insn >> 22) & 3);
  const scale = (insn >> 10) & 63;
  if (N == 0) return false;
  if (sf == 0 && scale < 32) return false;
  const fbits = 64 - <i32>scale;
  const M = sf != 0 ? 64 : 32;
  const rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7;
  if (rmode == 3 && (opc == 0 || opc == 1)) {
    const r = fpToFixed(readF(rn(insn), N), N, fbits, opc == 1, RZ, M);
    writeGeneral(rd(insn), sf, r);
    return true;
  }
  if (rmode == 0 && (opc == 2 || opc == 3)) {
    const r = fixedToFP(xreg(rn(insn)), M, opc == 2, fbits, N, fpcrRounding());
    writeF(rd(insn), N, r);
    return true;
  }
  return false;
}

// Conversion between floating-point and integer (bit 21 = 1, bits 15:10 = 0).
function fpIntConv(insn: u32): bool {
  const sf = insn >> 31;
  const ptype = (insn >> 22) & 3;
  const N = ptypeBits(ptype);
  const rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7;
  const n = rn(insn), d = rd(insn);
  const M = sf != 0 ? 64 : 32;
  if (opc == 6 || opc == 7) {
    // FMOV general <-> FP
    if (rmode == 1) {
      if (sf == 0 || ptype != 2) return false;
      if (opc == 6) setXreg(d, getV(n, 1));
      else setV(d, 1, xreg(n)); // FMOV Vd.D[1], Xn: the low half is kept
      return true;
    }
    if (rmode != 0) return false;
    let size: i32;
    if (ptype == 3) size = 16;
    else if (sf == 0 && ptype == 0) size = 32;
    else if (sf == 1 && ptype == 1) size = 64;
    else return false;
    if (opc == 6) setXreg(d, readF(n, size));
    else writeF(d, size, size == 64 ? xreg(n) : (xreg(n) & ((<u64>1 << size) - 1)));
    return true;
  }
  if (N == 0) return false;
  if (opc == 2 || opc == 3) {
    if (rmode != 0) return false;
    writeF(d, N, fixedToFP(xreg(n), M, opc == 2, 0, N, fpcrRounding()));
    return true;
  }
  let mode: i32;
  if (opc == 0 || opc == 1) mode = <i32>rmode; // N P M Z share FPCR's order
  else if (opc == 4 || opc == 5) { if (rmode != 0) return false; mode = RA; }
  else return false;
  const unsigned = (opc & 1) != 0;
  writeGeneral(d, sf, fpToFixed(readF(n, N), N, 0, unsigned, mode, M));
  return true;
}

// re-exported for the vector code
export { roundPack };

// Scalar floating point: the A64 "Floating-point data-processing" and
// "Conversion between floating-point and integer/fixed-point" encodings
// (op0 = x111, bits 28:24 = 1111x, bit 30 = 0). The decoding table
// (emulator/decode/a64.decode, FP_* and FMOV_gen) calls one handler per
// pattern for allocated encodings only, so the handlers decode no further
// than the operation their pattern leaves open; every other word in this
// space is the table's UNDEFINED.
//
// Precision: ptype 00 = single, 01 = double. Half precision arithmetic
// (FEAT_FP16) and FRINT32/64 (FEAT_FRINTTS) are UNDEFINED, as on the
// Cortex-A72 whose ID registers we advertise; FCVT to and from half (ptype
// 11 as the source) is Armv8.0.

import { xreg, setXreg, getNZCVFlags, setNZCVFlags, checkFpEnabled } from "../cpu";
import { velem, setVscalar, setV, getV, vaddr } from "./regs";
import {
  fpAdd, fpMul, fpDiv, fpSqrt, fpMulAdd, fpCompare, fpMinMax, fpRoundInt,
  fpToFixed, fixedToFP, fpConvert, fpNeg, fpAbs, fpcrRounding, roundPack,
  RN, RP, RM, RZ, RA,
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

@inline function ldD(n: u32): u64 { return load<u64>(vaddr(n)); }
@inline function stD(d: u32, v: u64): void {
  const p = vaddr(d);
  store<u64>(p, v);
  store<u64>(p + 8, 0);
}

// ptype 0x (the table allows no other for arithmetic): 32 or 64 bits
@inline function precision(insn: u32): i32 { return (insn & (1 << 22)) != 0 ? 64 : 32; }

// FMADD, FMSUB, FNMADD, FNMSUB
export function FP_3src(insn: u32): void {
  if (!checkFpEnabled()) return;
  const N = precision(insn);
  const o1 = (insn >> 21) & 1, o0 = (insn >> 15) & 1;
  let a = readF(rn(insn), N);
  const b = readF(rm(insn), N);
  let c = readF((insn >> 10) & 31, N);
  if (o1 != 0) c = fpNeg(c, N);     // FNMADD / FNMSUB negate the addend
  if (o0 != o1) a = fpNeg(a, N);    // FMSUB / FNMADD negate the product
  writeF(rd(insn), N, fpMulAdd(c, a, b, N));
}

// FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL (opcode 15:12 = 0..8).
// Double-precision FMUL/FDIV/FADD/FSUB, the bulk of compiled FP loops, take the
// inlined round-to-nearest paths of softfloat.ts (same results as the general ones).
export function FP_2src(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 12) & 15;
  const d = rd(insn), n = rn(insn), m = rm(insn);
  if ((insn & (1 << 22)) != 0 && opc <= 3) {
    const a = ldD(n), b = ldD(m);
    let r: u64;
    if (opc == 0) r = fpMul64(a, b);
    else if (opc == 1) r = fpDiv64(a, b);
    else r = fpAdd64(a, b, opc == 3);
    stD(d, r);
    return;
  }
  const N = precision(insn);
  const a = readF(n, N), b = readF(m, N);
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
    default: r = fpNeg(fpMul(a, b, N), N); break; // 8: FNMUL
  }
  writeF(d, N, r);
}

// FMOV, FABS, FNEG, FSQRT, FCVT, FRINTN/P/M/Z/A/X/I (opcode 20:15)
export function FP_1src(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 15) & 63;
  const ptype = (insn >> 22) & 3;
  const N = ptype == 3 ? 16 : precision(insn);
  const n = rn(insn), d = rd(insn);
  const a = readF(n, N);
  if ((opc & 0b111100) == 0b000100) { // FCVT: to single (100), double (101), half (111)
    const to = opc == 0b000100 ? 32 : (opc == 0b000101 ? 64 : 16);
    writeF(d, to, fpConvert(a, N, to));
    return;
  }
  let r: u64;
  switch (opc) {
    case 0b000000: r = a; break;
    case 0b000001: r = fpAbs(a, N); break;
    case 0b000010: r = fpNeg(a, N); break;
    case 0b000011: r = fpSqrt(a, N); break;
    case 0b001000: r = fpRoundInt(a, N, RN, false); break;
    case 0b001001: r = fpRoundInt(a, N, RP, false); break;
    case 0b001010: r = fpRoundInt(a, N, RM, false); break;
    case 0b001011: r = fpRoundInt(a, N, RZ, false); break;
    case 0b001100: r = fpRoundInt(a, N, RA, false); break;
    case 0b001110: r = fpRoundInt(a, N, fpcrRounding(), true); break;
    default: r = fpRoundInt(a, N, fpcrRounding(), false); break; // 001111: FRINTI
  }
  writeF(d, N, r);
}

// FCMP, FCMPE, with a register or #0.0 (bit 3)
export function FP_cmp(insn: u32): void {
  if (!checkFpEnabled()) return;
  const withZero = (insn & 8) != 0;
  const signal = (insn & 16) != 0;
  if ((insn & (1 << 22)) != 0) {
    const b: u64 = withZero ? 0 : ldD(rm(insn));
    setNZCVFlags(fpCompare64(ldD(rn(insn)), b, signal) << 28);
    return;
  }
  const a = readF(rn(insn), 32);
  const b: u64 = withZero ? 0 : readF(rm(insn), 32);
  setNZCVFlags(fpCompare(a, b, 32, signal) << 28);
}

// FMOV (scalar, immediate)
export function FP_imm(insn: u32): void {
  if (!checkFpEnabled()) return;
  const N = precision(insn);
  writeF(rd(insn), N, expandFPImm((insn >> 13) & 0xff, N));
}

// FCCMP, FCCMPE
export function FP_ccmp(insn: u32): void {
  if (!checkFpEnabled()) return;
  const N = precision(insn);
  const cond = (insn >> 12) & 15;
  if (condHolds(cond, getNZCVFlags())) {
    const flags = fpCompare(readF(rn(insn), N), readF(rm(insn), N), N, (insn & 16) != 0);
    setNZCVFlags(flags << 28);
  } else {
    setNZCVFlags((insn & 15) << 28);
  }
}

// FCSEL
export function FP_csel(insn: u32): void {
  if (!checkFpEnabled()) return;
  const cond = (insn >> 12) & 15;
  const src = condHolds(cond, getNZCVFlags()) ? rn(insn) : rm(insn);
  if ((insn & (1 << 22)) != 0) { stD(rd(insn), ldD(src)); return; } // D: one 64-bit copy
  writeF(rd(insn), 32, readF(src, 32));
}

function writeGeneral(d: u32, sf: u32, v: u64): void {
  setXreg(d, sf != 0 ? v : (v & 0xffff_ffff));
}

// Conversion between floating-point and fixed-point: FCVTZS/FCVTZU (rmode 11),
// SCVTF/UCVTF (rmode 00); bit 16 is unsigned.
export function FP_fixed(insn: u32): void {
  if (!checkFpEnabled()) return;
  const sf = insn >> 31;
  const N = precision(insn);
  const fbits = 64 - <i32>((insn >> 10) & 63);
  const M = sf != 0 ? 64 : 32;
  const unsigned = (insn & (1 << 16)) != 0;
  if ((insn & (1 << 19)) != 0) {
    writeGeneral(rd(insn), sf, fpToFixed(readF(rn(insn), N), N, fbits, unsigned, RZ, M));
  } else {
    writeF(rd(insn), N, fixedToFP(xreg(rn(insn)), M, !unsigned, fbits, N, fpcrRounding()));
  }
}

// Conversion between floating-point and integer: FCVT{N,P,M,Z}{S,U} (opcode 00u,
// rounding by rmode), SCVTF/UCVTF (01u), FCVTA{S,U} (10u).
export function FP_int(insn: u32): void {
  if (!checkFpEnabled()) return;
  const sf = insn >> 31;
  const N = precision(insn);
  const opc = (insn >> 16) & 7;
  const n = rn(insn), d = rd(insn);
  const M = sf != 0 ? 64 : 32;
  const unsigned = (opc & 1) != 0;
  if ((opc & 6) == 2) { // SCVTF / UCVTF
    if (N == 64) { // Dd from Wn or Xn: the inlined paths
      if (sf != 0) stD(d, intToFP64(xreg(n), !unsigned));
      else {
        const w = <u32>xreg(n);
        stD(d, reinterpret<u64>(unsigned ? <f64>w : <f64><i32>w));
      }
      return;
    }
    writeF(d, N, fixedToFP(xreg(n), M, !unsigned, 0, N, fpcrRounding()));
    return;
  }
  // N P M Z share FPCR's order
  const mode: i32 = (opc & 4) != 0 ? RA : <i32>((insn >> 19) & 3);
  writeGeneral(d, sf, fpToFixed(readF(n, N), N, 0, unsigned, mode, M));
}

// FMOV between a general register and an FP register (bit 16: to the FP side):
// W <-> S, X <-> D, X <-> D[1] (rmode 01; the low half is kept)
export function FMOV_gen(insn: u32): void {
  if (!checkFpEnabled()) return;
  const n = rn(insn), d = rd(insn);
  const toFp = (insn & (1 << 16)) != 0;
  if ((insn & (1 << 19)) != 0) {
    if (toFp) setV(d, 1, xreg(n));
    else setXreg(d, getV(n, 1));
    return;
  }
  if ((insn >> 31) != 0) {
    if (toFp) stD(d, xreg(n));
    else setXreg(d, ldD(n));
  } else {
    if (toFp) writeF(d, 32, xreg(n) & 0xffff_ffff);
    else setXreg(d, readF(n, 32));
  }
}

// re-exported for the vector code
export { roundPack };

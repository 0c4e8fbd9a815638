// IEEE 754 arithmetic for the A64 FP instructions, in integers, following the
// Arm ARM pseudocode (FPUnpack, FPRound, FPProcessNaNs, FPAdd, FPMul,
// FPMulAdd, FPDiv, FPSqrt, FPCompare, FPMax/FPMin/FPMaxNum/FPMinNum,
// FPRoundInt, FPToFixed, FixedToFP, FPConvert).
//
// Why not wasm f32/f64: wasm has no flags, no rounding modes, no fused
// multiply-add and no flush-to-zero; the FPSR cumulative flags must be exact.
//
// Values are passed as raw bit patterns in a u64 (low N bits, N = 16/32/64).
// A finite nonzero value is handled as sign * sig * 2^exp with an integer
// significand; intermediate results are "jammed" into 64 bits (bits shifted
// out are ORed into bit 0) which keeps rounding exact as long as the result
// carries at least two bits below the format's round bit - every caller keeps
// several.
//
// Flags go straight into regs.fpsr; the FPCR is read from regs.fpcr.

import { fpcr, fpsr, raiseFP, FPSR_IOC, FPSR_DZC, FPSR_OFC, FPSR_UFC, FPSR_IXC, FPSR_IDC } from "./regs";

// ---- formats and rounding modes ---------------------------------------------

export const RN: i32 = 0; // FPCR.RMode order
export const RP: i32 = 1;
export const RM: i32 = 2;
export const RZ: i32 = 3;
export const RA: i32 = 4; // ties away (FCVTA*, FRINTA), never from FPCR
export const RO: i32 = 5; // round to odd (FCVTXN)

@inline function fracBits(N: i32): i32 { return N == 64 ? 52 : (N == 32 ? 23 : 10); }
@inline function expBits(N: i32): i32 { return N == 64 ? 11 : (N == 32 ? 8 : 5); }

@inline export function fpcrRounding(): i32 { return <i32>((fpcr >> 22) & 3); }
@inline function fpcrDN(): bool { return (fpcr & (1 << 25)) != 0; }
// Half precision is only converted here (FCVT; FEAT_FP16 arithmetic is not on this CPU), and
// conversions never flush: FZ applies to single and double precision only.
@inline function fpcrFZ(N: i32): bool {
  return N != 16 && (fpcr & (1 << 24)) != 0;
}

export function defaultNaN(N: i32): u64 {
  const F = fracBits(N);
  return ((<u64>1 << expBits(N)) - 1) << F | (<u64>1 << (F - 1));
}
@inline function infinity(sign: u64, N: i32): u64 {
  return (sign << (N - 1)) | (((<u64>1 << expBits(N)) - 1) << fracBits(N));
}
@inline function zero(sign: u64, N: i32): u64 { return sign << (N - 1); }
@inline function maxNormal(sign: u64, N: i32): u64 {
  return infinity(sign, N) - 1;
}

// ---- unpacking ----------------------------------------------------------------

export const C_ZERO: i32 = 0;
export const C_NUM: i32 = 1;   // normal or denormal
export const C_INF: i32 = 2;
export const C_QNAN: i32 = 3;
export const C_SNAN: i32 = 4;

// Set only inside fpConvert when FPCR.AHP is 1: half precision is then the
// Arm alternative format (FPUnpackCV / FPRoundCV).
let altHP: bool = false;

// Results of the last unpack (AssemblyScript has no tuples).
let uCls: i32 = 0;
let uSign: u64 = 0;
let uExp: i32 = 0;
let uSig: u64 = 0;

// FPUnpack: denormals flush to zero (raising IDC) when FPCR.FZ and flush.
function unpack(bits: u64, N: i32, flush: bool): void {
  const F = fracBits(N);
  const E = expBits(N);
  const emax = (<u64>1 << E) - 1;
  uSign = (bits >> (N - 1)) & 1;
  const ef = (bits >> F) & emax;
  const frac = bits & ((<u64>1 << F) - 1);
  const bias = (1 << (E - 1)) - 1;
  if (ef == 0) {
    if (frac == 0) { uCls = C_ZERO; return; }
    if (flush && fpcrFZ(N)) {
      // FZ flushes with Input Denormal (FPUnpackBase; half precision never gets here)
      uCls = C_ZERO;
      raiseFP(FPSR_IDC);
      return;
    }
    uCls = C_NUM; uSig = frac; uExp = 1 - bias - F;
  } else if (ef == emax && !(N == 16 && altHP)) {
    if (frac == 0) uCls = C_INF;
    else uCls = ((frac >> (F - 1)) & 1) != 0 ? C_QNAN : C_SNAN;
  } else {
    uCls = C_NUM; uSig = frac | (<u64>1 << F); uExp = <i32>ef - bias - F;
  }
}

@inline function isNaNcls(c: i32): bool { return c >= C_QNAN; }

// ---- rounding ------------------------------------------------------------------

// FPRound: round sign * sig * 2^exp (sig != 0, low bit possibly a sticky jam)
// to format N. `flushOk` = the format obeys FPCR.FZ (false for half results
// of FCVT, which never flush: FPConvert's FPRoundCV).
export function roundPack(sign: u64, exp: i32, sig: u64, N: i32, rm: i32, flushOk: bool): u64 {
  const F = fracBits(N);
  const E = expBits(N);
  const minExp = 2 - (1 << (E - 1));
  const p = 63 - <i32>clz(sig);
  const e = p + exp;
  if (flushOk && e < minExp && fpcrFZ(N)) {
    raiseFP(FPSR_UFC);
    return zero(sign, N);
  }
  let biased: i32;
  let lsbExp: i32;
  if (e < minExp) { biased = 0; lsbExp = minExp - F; } else { biased = e - minExp + 1; lsbExp = e - F; }
  const shift = lsbExp - exp;
  let mant: u64 = 0;
  let rbit = false;
  let sticky = false;
  if (shift <= 0) {
    mant = sig << <u64>(-shift);
  } else if (shift > 64) {
    sticky = true;
  } else if (shift == 64) {
    rbit = (sig >> 63) != 0;
    sticky = (sig << 1) != 0;
  } else {
    mant = sig >> <u64>shift;
    rbit = ((sig >> <u64>(shift - 1)) & 1) != 0;
    sticky = shift > 1 && (sig & ((<u64>1 << <u64>(shift - 1)) - 1)) != 0;
  }
  const inexact = rbit || sticky;
  if (biased == 0 && inexact) raiseFP(FPSR_UFC);
  let up = false;
  let ovInf = true;
  if (rm == RN) { up = rbit && (sticky || (mant & 1) != 0); }
  else if (rm == RP) { up = inexact && sign == 0; ovInf = sign == 0; }
  else if (rm == RM) { up = inexact && sign != 0; ovInf = sign != 0; }
  else if (rm == RZ || rm == RO) { ovInf = false; }
  else { up = rbit; } // RA
  if (up) {
    mant++;
    if (mant == (<u64>1 << F)) biased = 1;
    if (mant == (<u64>1 << (F + 1))) { biased++; mant >>= 1; }
  }
  if (rm == RO && inexact) mant |= 1;
  if (N == 16 && altHP) {
    // Arm alternative half precision: exponent 31 is a normal binade, no
    // infinities; overflow is an Invalid Operation giving the largest value
    if (biased >= (1 << E)) { raiseFP(FPSR_IOC); return (sign << 15) | 0x7fff; }
    if (inexact) raiseFP(FPSR_IXC);
    return (sign << 15) | (<u64>biased << F) | (mant & ((<u64>1 << F) - 1));
  }
  if (biased >= (1 << E) - 1) {
    raiseFP(FPSR_OFC | FPSR_IXC);
    return ovInf ? infinity(sign, N) : maxNormal(sign, N);
  }
  if (inexact) raiseFP(FPSR_IXC);
  return (sign << (N - 1)) | (<u64>biased << F) | (mant & ((<u64>1 << F) - 1));
}

// ---- NaNs ------------------------------------------------------------------------

function processNaN(cls: i32, bits: u64, N: i32): u64 {
  let r = bits;
  if (cls == C_SNAN) { r |= <u64>1 << (fracBits(N) - 1); raiseFP(FPSR_IOC); }
  if (fpcrDN()) r = defaultNaN(N);
  return r;
}

function processNaNs(c1: i32, a: u64, c2: i32, b: u64, N: i32): u64 {
  if (c1 == C_SNAN) return processNaN(c1, a, N);
  if (c2 == C_SNAN) return processNaN(c2, b, N);
  if (c1 == C_QNAN) return processNaN(c1, a, N);
  return processNaN(c2, b, N);
}

// ---- 128-bit helpers -----------------------------------------------------------

let rHi: u64 = 0;
let rLo: u64 = 0;

function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  rLo = (mid << 32) | (p00 & 0xffffffff);
  rHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

@inline function clz128(hi: u64, lo: u64): i32 {
  return hi != 0 ? <i32>clz(hi) : 64 + <i32>clz(lo);
}

function shl128(hi: u64, lo: u64, s: i32): void {
  if (s == 0) { rHi = hi; rLo = lo; }
  else if (s >= 64) { rHi = lo << <u64>(s - 64); rLo = 0; }
  else { rHi = (hi << <u64>s) | (lo >> <u64>(64 - s)); rLo = lo << <u64>s; }
}

function shrJam128(hi: u64, lo: u64, s: i32): void {
  if (s == 0) { rHi = hi; rLo = lo; return; }
  if (s >= 128) { rHi = 0; rLo = (hi | lo) != 0 ? 1 : 0; return; }
  let lost: u64;
  if (s >= 64) {
    const t = s - 64;
    lost = lo | (t == 0 ? 0 : (hi << <u64>(64 - t)));
    rLo = t == 0 ? hi : hi >> <u64>t;
    rHi = 0;
  } else {
    lost = lo << <u64>(64 - s);
    rLo = (lo >> <u64>s) | (hi << <u64>(64 - s));
    rHi = hi >> <u64>s;
  }
  if (lost != 0) rLo |= 1;
}

// Jam a 128-bit significand into 64 bits; returns the sig, the exponent
// adjustment in jamAdj.
let jamAdj: i32 = 0;
function jam64(hi: u64, lo: u64): u64 {
  if (hi == 0) { jamAdj = 0; return lo; }
  const s = 64 - <i32>clz(hi); // 1..64
  jamAdj = s;
  if (s == 64) return hi | (lo != 0 ? 1 : 0);
  return (hi << <u64>(64 - s)) | (lo >> <u64>s) | ((lo << <u64>(64 - s)) != 0 ? 1 : 0);
}

@inline function shrJam64(x: u64, s: i32): u64 {
  if (s == 0) return x;
  if (s >= 64) return x != 0 ? 1 : 0;
  return (x >> <u64>s) | ((x << <u64>(64 - s)) != 0 ? 1 : 0);
}

// ---- fast paths ------------------------------------------------------------------
//
// Round-to-nearest with operands and result comfortably inside the normal
// range is by far the common case. There wasm's own IEEE f64 arithmetic
// gives the correctly rounded result, and the only flag that can arise is
// Inexact, which error-free transformations decide exactly:
//   f64 add/sub: TwoSum (Knuth); f64 mul/div/sqrt: Dekker's TwoProduct with
//   Veltkamp splitting (no fma in wasm), checking q*b == a / r*r == a.
//   f32: operands are exact in f64; f64 has 53 >= 2*24+2 bits, so rounding
//   the f64 result again to f32 is innocuous for + - * / sqrt (Figueroa),
//   and exactness is checked in f64 (products of two f32 are exact there).
// The result must be finite and strictly above the smallest normal (so no
// underflow, even "tiny before rounding"), or an exact zero. Anything else
// (NaN, infinity, denormal in or out, zero divisor, directed rounding,
// extreme exponents) returns fastOk = false and takes the general path.

let fastOk: bool = false;

@inline function exp64(x: u64): i32 { return <i32>((x >> 52) & 0x7ff); }
@inline function exp32(x: u64): i32 { return <i32>((x >> 23) & 0xff); }
@inline function isZeroBits(x: u64, N: i32): bool { return (x & ~(<u64>1 << (N - 1))) == 0; }

const SPLIT: f64 = 134217729.0; // 2^27 + 1
let tpErr: f64 = 0;

// TwoProduct error term of p = fl(a*b), exact when |a|,|b| are inside
// [2^-400, 2^400] (no overflow in the split, no underflow in al*bl).
@inline function twoProductErr(a: f64, b: f64, p: f64): f64 {
  const ca = SPLIT * a, ah = ca - (ca - a), al = a - ah;
  const cb = SPLIT * b, bh = cb - (cb - b), bl = b - bh;
  return al * bl - (((p - ah * bh) - al * bh) - ah * bl);
}

const MIN_NORMAL64: f64 = 2.2250738585072014e-308;
const MIN_NORMAL32: f64 = 1.1754943508222875e-38;
const MAX_FINITE32: f64 = 3.4028234663852886e38;

@inline function okResult64(r: f64): bool {
  const m = Math.abs(r);
  return m > MIN_NORMAL64 && m < Infinity;
}
@inline function okResult32(r: f32): bool {
  const m = Math.abs(<f64>r);
  return m > MIN_NORMAL32 && m <= MAX_FINITE32;
}
// f64 operand usable for add: normal below 2^1023 (TwoSum cannot overflow), or zero
@inline function addOperand64(x: u64): bool { const e = exp64(x); return (e >= 1 && e < 2046) || isZeroBits(x, 64); }
// f64 operand usable for products: |x| in [2^-400, 2^400)
@inline function mulOperand64(x: u64): bool { const e = exp64(x); return e >= 1023 - 400 && e < 1023 + 400; }
@inline function normalOrZero32(x: u64): bool { const e = exp32(x); return (e >= 1 && e < 255) || isZeroBits(x, 32); }

function fastAdd(a: u64, b: u64, N: i32): u64 {
  fastOk = false;
  if (N == 64) {
    if (!addOperand64(a) || !addOperand64(b)) return 0;
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const s = x + y;
    if (s != 0 && !okResult64(s)) return 0;
    const bb = s - x;
    const err = (x - (s - bb)) + (y - bb);
    if (err != 0) raiseFP(FPSR_IXC);
    fastOk = true;
    return reinterpret<u64>(s);
  }
  if (!normalOrZero32(a) || !normalOrZero32(b)) return 0;
  const x = <f64>reinterpret<f32>(<u32>a), y = <f64>reinterpret<f32>(<u32>b);
  const s = x + y;
  const r = <f32>s;
  if (s != 0 && !okResult32(r)) return 0;
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (err != 0 || <f64>r != s) raiseFP(FPSR_IXC);
  fastOk = true;
  return <u64>reinterpret<u32>(r);
}

function fastMul(a: u64, b: u64, N: i32): u64 {
  fastOk = false;
  if (N == 64) {
    if (!mulOperand64(a) || !mulOperand64(b)) return 0;
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const p = x * y;
    if ((fpsr & FPSR_IXC) == 0 && twoProductErr(x, y, p) != 0) raiseFP(FPSR_IXC);
    fastOk = true;
    return reinterpret<u64>(p);
  }
  if (!normalOrZero32(a) || !normalOrZero32(b)) return 0;
  const p = <f64>reinterpret<f32>(<u32>a) * <f64>reinterpret<f32>(<u32>b); // exact
  const r = <f32>p;
  if (p != 0 && !okResult32(r)) return 0;
  if (<f64>r != p) raiseFP(FPSR_IXC);
  fastOk = true;
  return <u64>reinterpret<u32>(r);
}

function fastDiv(a: u64, b: u64, N: i32): u64 {
  fastOk = false;
  if (N == 64) {
    if (!mulOperand64(b) || !(mulOperand64(a) || isZeroBits(a, 64))) return 0;
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const q = x / y;
    if (x != 0 && (fpsr & FPSR_IXC) == 0) {
      const p = q * y;
      if (p != x || twoProductErr(q, y, p) != 0) raiseFP(FPSR_IXC);
    }
    fastOk = true;
    return reinterpret<u64>(q);
  }
  if (!normalOrZero32(a) || isZeroBits(b, 32) || !normalOrZero32(b)) return 0;
  const x = <f64>reinterpret<f32>(<u32>a), y = <f64>reinterpret<f32>(<u32>b);
  const r = <f32>(x / y);
  if (x != 0 && !okResult32(r)) return 0;
  if (<f64>r * y != x) raiseFP(FPSR_IXC); // exact product of two f32 values
  fastOk = true;
  return <u64>reinterpret<u32>(r);
}

function fastSqrt(a: u64, N: i32): u64 {
  fastOk = false;
  if ((a >> (N - 1)) != 0) return 0; // negative (or -0): general path
  if (N == 64) {
    const e = exp64(a);
    if (e < 1023 - 800 || e >= 1023 + 800) return 0;
    const x = reinterpret<f64>(a);
    const r = Math.sqrt(x);
    const p = r * r;
    if (p != x || twoProductErr(r, r, p) != 0) raiseFP(FPSR_IXC);
    fastOk = true;
    return reinterpret<u64>(r);
  }
  const e = exp32(a);
  if (e < 1 || e >= 255) return 0;
  const x = <f64>reinterpret<f32>(<u32>a);
  const r = <f32>Math.sqrt(x);
  if (<f64>r * <f64>r != x) raiseFP(FPSR_IXC);
  fastOk = true;
  return <u64>reinterpret<u32>(r);
}

// ---- arithmetic ------------------------------------------------------------------

// FPAdd / FPSub (negB flips op2's sign for everything but NaN propagation).
export function fpAdd(a: u64, b: u64, N: i32, negB: bool): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && N != 16) {
    const r = fastAdd(a, negB ? b ^ (<u64>1 << (N - 1)) : b, N);
    if (fastOk) return r;
  }
  unpack(a, N, true);
  const ca = uCls, sa = uSign; let ea = uExp; let ma = uSig;
  unpack(b, N, true);
  const cb = uCls; let eb = uExp; let mb = uSig;
  const sb = negB ? uSign ^ 1 : uSign;
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, a, cb, b, N);
  const rm = fpcrRounding();
  if (ca == C_INF && cb == C_INF && sa != sb) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if (ca == C_INF) return infinity(sa, N);
  if (cb == C_INF) return infinity(sb, N);
  if (ca == C_ZERO && cb == C_ZERO) return zero(sa == sb ? sa : (rm == RM ? 1 : 0), N);
  if (ca == C_ZERO) return roundPack(sb, eb, mb, N, rm, true);
  if (cb == C_ZERO) return roundPack(sa, ea, ma, N, rm, true);
  // normalise both to msb at bit 61, then align
  let sh = 61 - (63 - <i32>clz(ma)); ma <<= <u64>sh; ea -= sh;
  sh = 61 - (63 - <i32>clz(mb)); mb <<= <u64>sh; eb -= sh;
  let sign = sa;
  let big = ma, small = mb, e = ea, d = ea - eb;
  let sBig = sa, sSmall = sb;
  if (d < 0) { big = mb; small = ma; e = eb; d = -d; sBig = sb; sSmall = sa; }
  small = shrJam64(small, d);
  let s: u64;
  if (sBig == sSmall) { s = big + small; sign = sBig; }
  else if (big >= small) { s = big - small; sign = sBig; }
  else { s = small - big; sign = sSmall; }
  if (s == 0) return zero(rm == RM ? 1 : 0, N);
  return roundPack(sign, e, s, N, rm, true);
}

export function fpMul(a: u64, b: u64, N: i32): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && N != 16) {
    const r = fastMul(a, b, N);
    if (fastOk) return r;
  }
  unpack(a, N, true);
  const ca = uCls, sa = uSign, ea = uExp, ma = uSig;
  unpack(b, N, true);
  const cb = uCls, sb = uSign, eb = uExp, mb = uSig;
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, a, cb, b, N);
  const sign = sa ^ sb;
  if ((ca == C_INF && cb == C_ZERO) || (ca == C_ZERO && cb == C_INF)) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if (ca == C_INF || cb == C_INF) return infinity(sign, N);
  if (ca == C_ZERO || cb == C_ZERO) return zero(sign, N);
  mul64(ma, mb);
  const s = jam64(rHi, rLo);
  return roundPack(sign, ea + eb + jamAdj, s, N, fpcrRounding(), true);
}

// FMULX: as FPMul but infinity * zero gives 2.0 with the product's sign.
export function fpMulX(a: u64, b: u64, N: i32): u64 {
  unpack(a, N, true);
  const ca = uCls, sa = uSign;
  unpack(b, N, true);
  const cb = uCls, sb = uSign;
  if (!isNaNcls(ca) && !isNaNcls(cb) &&
      ((ca == C_INF && cb == C_ZERO) || (ca == C_ZERO && cb == C_INF))) {
    const F = fracBits(N);
    return ((sa ^ sb) << (N - 1)) | (<u64>((1 << (expBits(N) - 1))) << F); // 2.0
  }
  return fpMul(a, b, N);
}

export function fpDiv(a: u64, b: u64, N: i32): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && N != 16) {
    const r = fastDiv(a, b, N);
    if (fastOk) return r;
  }
  unpack(a, N, true);
  const ca = uCls, sa = uSign; let ea = uExp; let ma = uSig;
  unpack(b, N, true);
  const cb = uCls, sb = uSign; let eb = uExp; let mb = uSig;
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, a, cb, b, N);
  const sign = sa ^ sb;
  if ((ca == C_INF && cb == C_INF) || (ca == C_ZERO && cb == C_ZERO)) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if (ca == C_INF) return infinity(sign, N);
  if (cb == C_ZERO) { raiseFP(FPSR_DZC); return infinity(sign, N); }
  if (ca == C_ZERO || cb == C_INF) return zero(sign, N);
  let sh = 52 - (63 - <i32>clz(ma)); ma <<= <u64>sh; ea -= sh;
  sh = 52 - (63 - <i32>clz(mb)); mb <<= <u64>sh; eb -= sh;
  const n = fracBits(N) + 4;
  let q: u64 = 0;
  let rem = ma;
  for (let i = 0; i < n; i++) {
    q <<= 1;
    if (rem >= mb) { rem -= mb; q |= 1; }
    rem <<= 1;
  }
  q = (q << 1) | (rem != 0 ? 1 : 0);
  return roundPack(sign, ea - eb - n, q, N, fpcrRounding(), true);
}

export function fpSqrt(a: u64, N: i32): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && N != 16) {
    const r = fastSqrt(a, N);
    if (fastOk) return r;
  }
  unpack(a, N, true);
  const ca = uCls, sa = uSign; let e = uExp; let m = uSig;
  if (isNaNcls(ca)) return processNaN(ca, a, N);
  if (ca == C_ZERO) return zero(sa, N);
  if (sa != 0) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if (ca == C_INF) return infinity(0, N);
  if ((e & 1) != 0) { m <<= 1; e -= 1; }
  const T = fracBits(N) + 4; // root bits
  const p = 63 - <i32>clz(m);
  let s = 2 * T - 2 - p;
  if ((s & 1) != 0) s += 1;
  shl128(0, m, s);
  const rh = rHi, rl = rLo;
  let root: u64 = 0;
  let rem: u64 = 0;
  for (let j = T - 1; j >= 0; j--) {
    const bitpos = 2 * j;
    let two: u64;
    if (bitpos >= 64) two = (rh >> <u64>(bitpos - 64)) & 3;
    else two = (rl >> <u64>bitpos) & 3;
    rem = (rem << 2) | two;
    const trial = (root << 2) | 1;
    if (rem >= trial) { rem -= trial; root = (root << 1) | 1; } else root <<= 1;
  }
  root = (root << 1) | (rem != 0 ? 1 : 0);
  return roundPack(0, ((e - s) >> 1) - 1, root, N, fpcrRounding(), true);
}

// FPMulAdd: addend + op1 * op2 with a single rounding. Callers negate
// operands by flipping sign bits first (FMSUB/FNMADD/FNMSUB/FMLS).
export function fpMulAdd(c: u64, a: u64, b: u64, N: i32, halve: i32 = 0): u64 {
  unpack(c, N, true);
  const cc = uCls, sc = uSign; let ec = uExp; const mc = uSig;
  unpack(a, N, true);
  const ca = uCls, sa = uSign, ea = uExp, ma = uSig;
  unpack(b, N, true);
  const cb = uCls, sb = uSign, eb = uExp, mb = uSig;
  const infA = ca == C_INF, infB = cb == C_INF, zeroA = ca == C_ZERO, zeroB = cb == C_ZERO;
  const infzero = (infA && zeroB) || (zeroA && infB);
  // FPProcessNaNs3 with the addend first; a quiet-NaN addend with inf*0 is
  // an Invalid Operation giving the default NaN.
  if (isNaNcls(cc) || isNaNcls(ca) || isNaNcls(cb)) {
    if (cc == C_QNAN && infzero) { raiseFP(FPSR_IOC); return defaultNaN(N); }
    if (cc == C_SNAN) return processNaN(cc, c, N);
    if (ca == C_SNAN) return processNaN(ca, a, N);
    if (cb == C_SNAN) return processNaN(cb, b, N);
    if (cc == C_QNAN) return processNaN(cc, c, N);
    if (ca == C_QNAN) return processNaN(ca, a, N);
    return processNaN(cb, b, N);
  }
  const rm = fpcrRounding();
  const sp = sa ^ sb;
  const infP = infA || infB, zeroP = zeroA || zeroB;
  const infC = cc == C_INF, zeroC = cc == C_ZERO;
  if (infzero || (infC && infP && sc != sp)) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if ((infC && sc == 0) || (infP && sp == 0)) return infinity(0, N);
  if (infC || infP) return infinity(1, N);
  if (zeroC && zeroP) return zero(sc == sp ? sc : (rm == RM ? 1 : 0), N);
  if (zeroP) return roundPack(sc, ec - halve, mc, N, rm, true);
  mul64(ma, mb);
  let ph = rHi, pl = rLo;
  let ep = ea + eb;
  if (zeroC) {
    const s = jam64(ph, pl);
    return roundPack(sp, ep + jamAdj - halve, s, N, rm, true);
  }
  // normalise both to msb at bit 125
  let sh = clz128(ph, pl) - 2;
  shl128(ph, pl, sh); ph = rHi; pl = rLo; ep -= sh;
  sh = 125 - (63 - <i32>clz(mc));
  shl128(0, mc, sh);
  let ch = rHi, cl = rLo;
  ec -= sh;
  let bh = ph, bl = pl, xh = ch, xl = cl, e = ep, d = ep - ec;
  let sBig = sp, sSmall = sc;
  if (d < 0) { bh = ch; bl = cl; xh = ph; xl = pl; e = ec; d = -d; sBig = sc; sSmall = sp; }
  shrJam128(xh, xl, d); xh = rHi; xl = rLo;
  let hi: u64, lo: u64, sign: u64;
  if (sBig == sSmall) {
    lo = bl + xl; hi = bh + xh + (lo < bl ? 1 : 0); sign = sBig;
  } else if (bh > xh || (bh == xh && bl >= xl)) {
    lo = bl - xl; hi = bh - xh - (bl < xl ? 1 : 0); sign = sBig;
  } else {
    lo = xl - bl; hi = xh - bh - (xl < bl ? 1 : 0); sign = sSmall;
  }
  if (hi == 0 && lo == 0) return zero(rm == RM ? 1 : 0, N);
  const s = jam64(hi, lo);
  return roundPack(sign, e + jamAdj - halve, s, N, rm, true);
}

function isInfZero(a: u64, b: u64, N: i32): bool {
  unpack(a, N, true);
  const ca = uCls;
  unpack(b, N, true);
  const cb = uCls;
  return (ca == C_INF && cb == C_ZERO) || (ca == C_ZERO && cb == C_INF);
}

@inline function constFP(N: i32, biasedExp: u64, fracTop: u64): u64 {
  // fracTop: the top fraction bits as a 2-bit field (for 1.5 = 0b10)
  return (biasedExp << fracBits(N)) | (fracTop << (fracBits(N) - 2));
}

// FPRecipStepFused: 2 - a*b, fused; infinity*0 gives 2.0.
export function fpRecipStep(a: u64, b: u64, N: i32): u64 {
  const na = fpNeg(a, N);
  unpack(na, N, true); const ca = uCls;
  unpack(b, N, true); const cb = uCls;
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, na, cb, b, N);
  if (isInfZero(na, b, N)) return constFP(N, (<u64>1 << (expBits(N) - 1)), 0);
  return fpMulAdd(constFP(N, (<u64>1 << (expBits(N) - 1)), 0), na, b, N);
}

// FPRSqrtStepFused: (3 - a*b) / 2 with one rounding; infinity*0 gives 1.5.
export function fpRSqrtStep(a: u64, b: u64, N: i32): u64 {
  const na = fpNeg(a, N);
  unpack(na, N, true); const ca = uCls;
  unpack(b, N, true); const cb = uCls;
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, na, cb, b, N);
  const bias = (<u64>1 << (expBits(N) - 1)) - 1;
  if (isInfZero(na, b, N)) return constFP(N, bias, 2);
  return fpMulAdd(constFP(N, bias + 1, 2), na, b, N, 1);
}

// ---- comparisons and min/max -------------------------------------------------------

// Numeric value of an unpacked (non-NaN) operand as f64, for ordering only.
@inline function orderValue(cls: i32, bits: u64, N: i32): f64 {
  if (cls == C_ZERO) return 0.0;
  if (N == 64) return reinterpret<f64>(bits);
  if (N == 32) return <f64>reinterpret<f32>(<u32>bits);
  // half: build an f64 from the fields
  const sign = (bits >> 15) & 1, ef = <i32>((bits >> 10) & 31), fr = <f64>(bits & 1023);
  let v = ef == 0 ? fr * Math.pow(2, -24) : (ef == 31 ? Infinity : (1024 + fr) * Math.pow(2, <f64>(ef - 25)));
  return sign != 0 ? -v : v;
}

// FPCompare: returns NZCV in bits 3..0.
export function fpCompare(a: u64, b: u64, N: i32, signalAll: bool): u32 {
  unpack(a, N, true);
  const ca = uCls;
  unpack(b, N, true);
  const cb = uCls;
  if (isNaNcls(ca) || isNaNcls(cb)) {
    if (signalAll || ca == C_SNAN || cb == C_SNAN) raiseFP(FPSR_IOC);
    return 0b0011;
  }
  const va = orderValue(ca, a, N), vb = orderValue(cb, b, N);
  if (va == vb) return 0b0110;
  return va < vb ? 0b1000 : 0b0010;
}

// FPCompareEQ/GE/GT for the vector and scalar compares: kind 0 EQ, 1 GE, 2 GT.
export function fpCompareOp(a: u64, b: u64, N: i32, kind: i32): bool {
  unpack(a, N, true);
  const ca = uCls;
  unpack(b, N, true);
  const cb = uCls;
  if (isNaNcls(ca) || isNaNcls(cb)) {
    if (kind != 0 || ca == C_SNAN || cb == C_SNAN) raiseFP(FPSR_IOC);
    return false;
  }
  const va = orderValue(ca, a, N), vb = orderValue(cb, b, N);
  if (kind == 0) return va == vb;
  if (kind == 1) return va >= vb;
  return va > vb;
}

// FPMax/FPMin (isMax), FPMaxNum/FPMinNum (num).
export function fpMinMax(a: u64, b: u64, N: i32, isMax: bool, num: bool): u64 {
  unpack(a, N, true);
  let ca = uCls, sa = uSign;
  unpack(b, N, true);
  let cb = uCls, sb = uSign;
  let ra = a, rb = b;
  if (num) {
    // a quiet NaN against a number is replaced by the infinity that loses
    if (ca == C_QNAN && !isNaNcls(cb)) { ca = C_INF; sa = isMax ? 1 : 0; ra = infinity(sa, N); }
    else if (cb == C_QNAN && !isNaNcls(ca)) { cb = C_INF; sb = isMax ? 1 : 0; rb = infinity(sb, N); }
  }
  if (isNaNcls(ca) || isNaNcls(cb)) return processNaNs(ca, a, cb, b, N);
  if (ca == C_ZERO && cb == C_ZERO) return zero(isMax ? (sa & sb) : (sa | sb), N);
  const va = orderValue(ca, ra, N), vb = orderValue(cb, rb, N);
  const pickA = isMax ? va > vb : va < vb;
  if (pickA) return ca == C_ZERO ? zero(sa, N) : ra;
  return cb == C_ZERO ? zero(sb, N) : rb;
}

// ---- rounding to integral and conversions ------------------------------------------

// Integer part of |value| under rounding, and whether it was inexact
// (riInexact). ip is saturated to 2^64-1 when it cannot fit (riHuge).
let riInexact: bool = false;
let riHuge: bool = false;
function roundToIntMag(sign: u64, exp: i32, sig: u64, rm: i32): u64 {
  riInexact = false;
  riHuge = false;
  if (exp >= 0) {
    if (exp + (64 - <i32>clz(sig)) > 64) { riHuge = true; return 0xffff_ffff_ffff_ffff; }
    return sig << <u64>exp;
  }
  const sh = -exp;
  let ip: u64 = 0;
  let rem: u64 = sig;
  let half: u64 = 0;
  let remGtHalf = false, remEqHalf = false;
  if (sh >= 64) {
    // sig < 2^54, so |value| < 2^-10: below one half, nonzero
    ip = 0;
    remGtHalf = false; remEqHalf = false;
  } else {
    ip = sig >> <u64>sh;
    rem = sig & ((<u64>1 << <u64>sh) - 1);
    half = <u64>1 << <u64>(sh - 1);
    remGtHalf = rem > half;
    remEqHalf = rem == half;
  }
  const nz = rem != 0;
  riInexact = nz;
  let up = false;
  if (rm == RN) up = remGtHalf || (remEqHalf && (ip & 1) != 0);
  else if (rm == RP) up = nz && sign == 0;
  else if (rm == RM) up = nz && sign != 0;
  else if (rm == RA) up = remGtHalf || remEqHalf;
  if (up) ip++;
  return ip;
}

// FPRoundInt (FRINT*): exact = FRINTX (raises Inexact).
export function fpRoundInt(a: u64, N: i32, rm: i32, exact: bool): u64 {
  unpack(a, N, true);
  const c = uCls, sign = uSign, e = uExp, m = uSig;
  if (isNaNcls(c)) return processNaN(c, a, N);
  if (c == C_INF) return infinity(sign, N);
  if (c == C_ZERO) return zero(sign, N);
  if (e >= 0) return a;
  const ip = roundToIntMag(sign, e, m, rm);
  if (exact && riInexact) raiseFP(FPSR_IXC);
  if (ip == 0) return zero(sign, N);
  return roundPack(sign, 0, ip, N, RZ, false); // exact
}

// FPToFixed: to an M-bit (32/64) integer, fbits fraction bits. Result is the
// M-bit pattern zero-extended into a u64.
export function fpToFixed(a: u64, N: i32, fbits: i32, unsigned: bool, rm: i32, M: i32): u64 {
  unpack(a, N, true);
  const c = uCls, sign = uSign, e = uExp, m = uSig;
  const mask: u64 = M == 64 ? 0xffff_ffff_ffff_ffff : (<u64>1 << <u64>M) - 1;
  const maxS: u64 = (<u64>1 << <u64>(M - 1)) - 1;
  if (isNaNcls(c)) { raiseFP(FPSR_IOC); return 0; }
  if (c == C_ZERO) return 0;
  let ip: u64;
  let huge = false;
  let inexact = false;
  if (c == C_INF) { huge = true; ip = 0; }
  else {
    ip = roundToIntMag(sign, e + fbits, m, rm);
    huge = riHuge;
    inexact = riInexact;
  }
  if (unsigned) {
    if (sign != 0) {
      if (ip != 0 || huge) { raiseFP(FPSR_IOC); return 0; }
    } else if (huge || ip > mask) { raiseFP(FPSR_IOC); return mask; }
    if (inexact) raiseFP(FPSR_IXC);
    return ip;
  }
  if (sign == 0) {
    if (huge || ip > maxS) { raiseFP(FPSR_IOC); return maxS; }
    if (inexact) raiseFP(FPSR_IXC);
    return ip;
  }
  if (huge || ip > maxS + 1) { raiseFP(FPSR_IOC); return (maxS + 1) & mask; }
  if (inexact) raiseFP(FPSR_IXC);
  return (0 - ip) & mask;
}

// FixedToFP: M-bit integer x (signed or not) with fbits fraction bits.
export function fixedToFP(x: u64, M: i32, signed: bool, fbits: i32, N: i32, rm: i32): u64 {
  let v = x;
  if (M < 64) {
    const sh = <u64>(64 - M);
    v = signed ? <u64>((<i64>(x << sh)) >> <i64>sh) : ((x << sh) >> sh);
  }
  let sign: u64 = 0;
  if (signed && <i64>v < 0) { sign = 1; v = 0 - v; }
  if (v == 0) return 0;
  return roundPack(sign, -fbits, v, N, rm, true);
}

// FPConvert between precisions (FCVT). Half-precision sides are never
// flushed (FPUnpackCV / FPRoundCV).
export function fpConvert(a: u64, from: i32, to: i32, rm: i32 = -1): u64 {
  // FPCR.AHP selects the alternative half-precision format for either side
  altHP = (fpcr & (1 << 26)) != 0;
  const r = fpConvertBody(a, from, to, rm < 0 ? fpcrRounding() : rm);
  altHP = false;
  return r;
}

function fpConvertBody(a: u64, from: i32, to: i32, rm: i32): u64 {
  unpack(a, from, from != 16);
  const c = uCls, sign = uSign, e = uExp, m = uSig;
  const ahpOut = to == 16 && altHP;
  if (isNaNcls(c)) {
    if (ahpOut) { raiseFP(FPSR_IOC); return zero(sign, 16); }
    if (c == C_SNAN) raiseFP(FPSR_IOC);
    if (fpcrDN()) return defaultNaN(to);
    // FPConvertNaN: keep the sign and the top fraction bits, set quiet
    const Ff = fracBits(from), Ft = fracBits(to);
    let frac = a & ((<u64>1 << Ff) - 1);
    frac = Ft >= Ff ? frac << <u64>(Ft - Ff) : frac >> <u64>(Ff - Ft);
    return infinity(sign, to) | frac | (<u64>1 << (Ft - 1));
  }
  if (c == C_INF) {
    if (ahpOut) { raiseFP(FPSR_IOC); return (sign << 15) | 0x7fff; }
    return infinity(sign, to);
  }
  if (c == C_ZERO) return zero(sign, to);
  return roundPack(sign, e, m, to, rm, to != 16);
}

// ---- estimates (FRECPE, FRSQRTE, FRECPX, URECPE, URSQRTE) ---------------------------
// The 8-bit estimate tables of the Arm ARM (no FEAT_RPRES), computed as the
// pseudocode defines them.

// a in 256..511 (0.5 <= x < 1 in 1/512 steps) -> 256..511
export function recipEstimate(a: u32): u32 {
  const b = (<u32>1 << 19) / (a * 2 + 1);
  return (b + 1) >> 1;
}
// a in 128..511 (0.25 <= x < 1) -> 256..511
export function rsqrtEstimate(a0: u32): u32 {
  let a: u64 = a0 < 256 ? <u64>a0 * 2 + 1 : (((<u64>a0 >> 1) << 1) + 1) * 2;
  let b: u64 = 512;
  while (a * (b + 1) * (b + 1) < (<u64>1 << 28)) b++;
  return <u32>((b + 1) >> 1);
}

// 52-bit fraction and raw exponent field of a format-N pattern.
@inline function frac52(a: u64, N: i32): u64 { return (a & ((<u64>1 << fracBits(N)) - 1)) << <u64>(52 - fracBits(N)); }
@inline function expField(a: u64, N: i32): i32 { return <i32>((a >> fracBits(N)) & ((<u64>1 << expBits(N)) - 1)); }

export function fpRecipEstimate(a: u64, N: i32): u64 {
  unpack(a, N, true);
  const c = uCls, sign = uSign;
  if (isNaNcls(c)) return processNaN(c, a, N);
  if (c == C_INF) return zero(sign, N);
  if (c == C_ZERO) { raiseFP(FPSR_DZC); return infinity(sign, N); }
  const F = fracBits(N);
  // |value| < 2^-(bias+1): the reciprocal overflows
  const bias = (1 << (expBits(N) - 1)) - 1;
  let exp = expField(a, N);
  let fraction = frac52(a, N);
  if (exp == 0 && (fraction >> 50) == 0) {
    const rm = fpcrRounding();
    const ovInf = rm == RN || (rm == RP && sign == 0) || (rm == RM && sign != 0);
    raiseFP(FPSR_OFC | FPSR_IXC);
    return ovInf ? infinity(sign, N) : maxNormal(sign, N);
  }
  if (fpcrFZ(N) && exp >= 2 * bias - 1) { // |value| >= 2^(bias-1): result would be denormal
    raiseFP(FPSR_UFC);
    return zero(sign, N);
  }
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) { exp = -1; fraction = (fraction << 2) & 0xf_ffff_ffff_ffff; }
    else fraction = (fraction << 1) & 0xf_ffff_ffff_ffff;
  }
  const scaled = <u32>(256 | (fraction >> 44));
  let resultExp = 2 * bias - 1 - exp; // 253 - exp for single, 2045 - exp for double
  const est = <u64>recipEstimate(scaled);
  let f: u64 = (est & 0xff) << 44;
  if (resultExp == 0) f = (<u64>1 << 51) | (f >> 1);
  else if (resultExp == -1) { f = (<u64>1 << 50) | (f >> 2); resultExp = 0; }
  return (sign << (N - 1)) | (<u64>resultExp << F) | (f >> <u64>(52 - F));
}

export function fpRSqrtEstimate(a: u64, N: i32): u64 {
  unpack(a, N, true);
  const c = uCls, sign = uSign;
  if (isNaNcls(c)) return processNaN(c, a, N);
  if (c == C_ZERO) { raiseFP(FPSR_DZC); return infinity(sign, N); }
  if (sign != 0) { raiseFP(FPSR_IOC); return defaultNaN(N); }
  if (c == C_INF) return zero(0, N);
  const F = fracBits(N);
  const bias = (1 << (expBits(N) - 1)) - 1;
  let exp = expField(a, N);
  let fraction = frac52(a, N);
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) { fraction = (fraction << 1) & 0xf_ffff_ffff_ffff; exp--; }
    fraction = (fraction << 1) & 0xf_ffff_ffff_ffff;
  }
  // even biased exponent = odd true exponent: the mantissa scales to [0.5, 1)
  const scaled: u32 = (exp & 1) == 0 ? <u32>(256 | (fraction >> 44)) : <u32>(128 | (fraction >> 45));
  // (380 - exp) / 2 for single, (3068 - exp) / 2 for double: 3*bias - 1 - exp
  const resultExp = (3 * bias - 1 - exp) >> 1;
  const est = <u64>rsqrtEstimate(scaled);
  return (<u64>resultExp << F) | ((est & 0xff) << <u64>(F - 8));
}

export function fpRecpX(a: u64, N: i32): u64 {
  unpack(a, N, true);
  const c = uCls, sign = uSign;
  if (isNaNcls(c)) return processNaN(c, a, N);
  const F = fracBits(N);
  const emaxField = (<u64>1 << expBits(N)) - 1;
  const exp = <u64>expField(a, N);
  if (exp == 0) return (sign << (N - 1)) | ((emaxField - 1) << F);
  return (sign << (N - 1)) | ((~exp & emaxField) << F);
}

@inline export function fpNeg(a: u64, N: i32): u64 { return a ^ (<u64>1 << (N - 1)); }
@inline export function fpAbs(a: u64, N: i32): u64 { return a & ~(<u64>1 << (N - 1)); }

// ---- double-precision entry points of the scalar fast dispatch (fp.ts) ------------
// fastAdd/fastMul/fastDiv for N = 64 written out inline, so the decoder's
// leaf for FADD/FSUB/FMUL/FDIV (D) reaches native arithmetic without a
// call. On a miss they call the general function, which re-checks the same
// conditions first (raising nothing when they fail) and so produces the same
// bits and flags as if it had been called directly.

@inline export function fpAdd64(a: u64, b: u64, negB: bool): u64 {
  const nb = negB ? b ^ 0x8000_0000_0000_0000 : b;
  if ((fpcr & 0x00c0_0000) == 0 && addOperand64(a) && addOperand64(nb)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(nb);
    const s = x + y;
    if (s == 0 || okResult64(s)) {
      if ((fpsr & FPSR_IXC) == 0) { // sticky: once set, exactness needs no test
        const t = s - x;
        if ((x - (s - t)) + (y - t) != 0) raiseFP(FPSR_IXC);
      }
      return reinterpret<u64>(s);
    }
  }
  return fpAdd(a, b, 64, negB);
}

@inline export function fpMul64(a: u64, b: u64): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && mulOperand64(a) && mulOperand64(b)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const p = x * y;
    if ((fpsr & FPSR_IXC) == 0 && twoProductErr(x, y, p) != 0) raiseFP(FPSR_IXC);
    return reinterpret<u64>(p);
  }
  return fpMul(a, b, 64);
}

@inline export function fpDiv64(a: u64, b: u64): u64 {
  if ((fpcr & 0x00c0_0000) == 0 && mulOperand64(b) && (mulOperand64(a) || isZeroBits(a, 64))) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const q = x / y;
    if (x != 0 && (fpsr & FPSR_IXC) == 0) {
      const p = q * y;
      if (p != x || twoProductErr(q, y, p) != 0) raiseFP(FPSR_IXC);
    }
    return reinterpret<u64>(q);
  }
  return fpDiv(a, b, 64);
}

// FPCompare for N = 64 without unpacking when FPCR.FZ is 0 and neither
// operand is a NaN: f64 ordering is the architecture's (+0 == -0, denormals
// by value) and no flag is raised. Anything else goes to fpCompare.
@inline export function fpCompare64(a: u64, b: u64, signalAll: bool): u32 {
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  if ((fpcr & (1 << 24)) == 0 && x == x && y == y) {
    if (x == y) return 0b0110;
    return x < y ? 0b1000 : 0b0010;
  }
  return fpCompare(a, b, 64, signalAll);
}

// FixedToFP (fbits 0, N = 64, FPCR rounding) for a 64-bit integer: exact,
// flag-free native conversion when |value| <= 2^53, else the general path.
@inline export function intToFP64(x: u64, signed: bool): u64 {
  if (signed) {
    const v = <i64>x;
    if (v >= -0x20_0000_0000_0000 && v <= 0x20_0000_0000_0000) return reinterpret<u64>(<f64>v);
  } else if (x <= 0x20_0000_0000_0000) {
    return reinterpret<u64>(<f64>x);
  }
  return fixedToFP(x, 64, signed, 0, 64, fpcrRounding());
}

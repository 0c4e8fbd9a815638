// Data processing: immediate (Arm ARM C4.1.2) and register (C4.1.6) groups.
// One handler per encoding name; W and X forms share a body through `sf`,
// computing in u64 and truncating/flag-testing at the data size.

import * as S from "./state";
import { xreg, setXreg, xregSP, setXregSP, condHolds } from "./cpu";

// ---- shared helpers ---------------------------------------------------------

@inline function trunc(v: u64, sf: u32): u64 { return sf != 0 ? v : v & 0xffffffff; }

// AddWithCarry at 32 or 64 bits; sets NZCV when `flags`.
@inline export function addWithCarry(a: u64, b: u64, c: u64, sf: u32, flags: bool): u64 {
  if (sf != 0) {
    const s1 = a + b;
    const r = s1 + c;
    if (flags) {
      const cf: u32 = (s1 < a || r < s1) ? 1 : 0;
      const vf: u32 = <u32>((((a ^ r) & (b ^ r)) >> 63) & 1);
      S.nzcv = (<u32>(r >> 63) << 31) | (<u32>(r == 0) << 30) | (cf << 29) | (vf << 28);
    }
    return r;
  }
  const a32 = a & 0xffffffff, b32 = b & 0xffffffff;
  const r64 = a32 + b32 + c;
  const r = r64 & 0xffffffff;
  if (flags) {
    const cf = <u32>(r64 >> 32) & 1;
    const vf = <u32>((((a32 ^ r) & (b32 ^ r)) >> 31) & 1);
    S.nzcv = (<u32>(r >> 31) << 31) | (<u32>(r == 0) << 30) | (cf << 29) | (vf << 28);
  }
  return r;
}

@inline function setNZ(r: u64, sf: u32): void {
  const n: u32 = sf != 0 ? <u32>(r >> 63) : <u32>(r >> 31) & 1;
  S.nzcv = (n << 31) | (<u32>(r == 0) << 30);
}

// DecodeBitMasks (Arm ARM shared pseudocode). Returns false when reserved.
let bmW: u64 = 0, bmT: u64 = 0;
function decodeBitMasks(n: u32, imms: u32, immr: u32, immediate: bool): bool {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const len = 31 - clz<u32>(combined);
  if (len < 1) return false;
  const levels: u32 = (1 << len) - 1;
  if (immediate && (imms & levels) == levels) return false;
  const s = imms & levels, r = immr & levels;
  const esize: u32 = 1 << len;
  const d = (s - r) & (esize - 1);
  const emask: u64 = esize == 64 ? 0xffffffffffffffff : ((<u64>1 << esize) - 1);
  let welem: u64 = s + 1 == 64 ? 0xffffffffffffffff : ((<u64>1 << (s + 1)) - 1);
  const telem: u64 = d + 1 == 64 ? 0xffffffffffffffff : ((<u64>1 << (d + 1)) - 1);
  if (r != 0) welem = ((welem >> r) | (welem << (esize - r))) & emask;
  let w = welem, t = telem;
  for (let e = esize; e < 64; e <<= 1) { w |= w << e; t |= t << e; }
  bmW = w; bmT = t;
  return true;
}

// DecodeBitMasks precomputed for every (N, immr, imms): 16 bytes (wmask, tmask)
// per entry, filled once when the module starts. Which (N, immr, imms) are reserved is
// the decoding table's business (a64.decode): no handler sees those.
const BM_TABLE: usize = memory.data(8192 * 16, 16);
for (let i: u32 = 0; i < 8192; i++) {
  const n = i >> 12, immr = (i >> 6) & 0x3f, imms = i & 0x3f;
  if (decodeBitMasks(n, imms, immr, false)) {
    store<u64>(BM_TABLE + (<usize>i << 4), bmW);
    store<u64>(BM_TABLE + (<usize>i << 4), bmT, 8);
  }
}

@inline function shiftReg(v: u64, type: u32, amt: u32, sf: u32): u64 {
  if (sf != 0) {
    switch (type) {
      case 0: return v << amt;
      case 1: return v >> amt;
      case 2: return <u64>(<i64>v >> amt);
      default: return rotr<u64>(v, amt);
    }
  }
  const w = <u32>v;
  switch (type) {
    case 0: return <u64>(w << amt);
    case 1: return <u64>(w >> amt);
    case 2: return <u64>(<u32>(<i32>w >> amt));
    default: return <u64>rotr<u32>(w, amt);
  }
}

@inline function extendReg(v: u64, option: u32, shift: u32): u64 {
  let x: u64;
  switch (option) {
    case 0: x = v & 0xff; break;
    case 1: x = v & 0xffff; break;
    case 2: x = v & 0xffffffff; break;
    case 3: x = v; break;
    case 4: x = <u64>(<i64><i8>v); break;
    case 5: x = <u64>(<i64><i16>v); break;
    case 6: x = <u64>(<i64><i32>v); break;
    default: x = v;
  }
  return x << shift;
}

// ---- C4.1.2 data processing -- immediate --------------------------------------

export function ADR(insn: u32): void {
  const imm = <i64>(<i32>((((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3)) << 11) >> 11);
  const rd = insn & 31;
  if ((insn >> 31) != 0) {
    setXreg(rd, (S.pc & ~<u64>0xfff) + <u64>(imm << 12));
  } else {
    setXreg(rd, S.pc + <u64>imm);
  }
}

// ADD/ADDS/SUB/SUBS (immediate); bit 22 shifts imm12 by 12
export function ADD_imm(insn: u32): void {
  const sf = insn >> 31, sub = (insn >> 30) & 1, setf = (insn >> 29) & 1;
  let imm = <u64>((insn >> 10) & 0xfff);
  if ((insn >> 22) & 1) imm <<= 12;
  const a = xregSP((insn >> 5) & 31);
  const r = sub != 0 ? addWithCarry(a, trunc(~imm, sf), 1, sf, setf != 0)
                     : addWithCarry(a, imm, 0, sf, setf != 0);
  if (setf != 0) setXreg(insn & 31, r); else setXregSP(insn & 31, trunc(r, sf));
}

// AND/ORR/EOR/ANDS (immediate)
export function LOGICAL_imm(insn: u32): void {
  // the table (a64.decode) leaves out N = 1 at 32 bits and the reserved masks
  const sf = insn >> 31, opc = (insn >> 29) & 3;
  const bi = (insn >> 10) & 0x1fff; // N:immr:imms
  const imm = trunc(load<u64>(BM_TABLE + (<usize>bi << 4)), sf);
  const a = xreg((insn >> 5) & 31);
  let r: u64;
  switch (opc) {
    case 0: r = a & imm; break;
    case 1: r = a | imm; break;
    case 2: r = a ^ imm; break;
    default: r = a & imm;
  }
  r = trunc(r, sf);
  if (opc == 3) { setNZ(r, sf); setXreg(insn & 31, r); }
  else setXregSP(insn & 31, r);
}

// MOVN/MOVZ/MOVK
export function MOVE_wide(insn: u32): void {
  const sf = insn >> 31, opc = (insn >> 29) & 3, hw = (insn >> 21) & 3;
  const sh = <u64>(hw * 16);
  const imm = <u64>((insn >> 5) & 0xffff) << sh;
  const rd = insn & 31;
  let r: u64;
  if (opc == 0) r = ~imm;
  else if (opc == 2) r = imm;
  else r = (xreg(rd) & ~(<u64>0xffff << sh)) | imm;
  setXreg(rd, trunc(r, sf));
}

// SBFM/BFM/UBFM
export function BITFIELD(insn: u32): void {
  // the table gives opc != 3, N == sf and (32-bit) immr, imms < 32: the masks always exist
  const sf = insn >> 31, opc = (insn >> 29) & 3;
  const immr = (insn >> 16) & 0x3f, imms = (insn >> 10) & 0x3f;
  const bi = (insn >> 10) & 0x1fff; // N:immr:imms
  const bmW = load<u64>(BM_TABLE + (<usize>bi << 4)), bmT = load<u64>(BM_TABLE + (<usize>bi << 4), 8);
  const rd = insn & 31;
  const src = xreg((insn >> 5) & 31);
  const dst: u64 = opc == 1 ? xreg(rd) : 0;
  const rot = sf != 0 ? rotr<u64>(src, immr) : <u64>rotr<u32>(<u32>src, immr);
  const bot = (dst & ~bmW) | (rot & bmW);
  let top: u64;
  if (opc == 0) top = ((src >> imms) & 1) != 0 ? 0xffffffffffffffff : 0;
  else top = dst;
  setXreg(rd, trunc((top & ~bmT) | (bot & bmT), sf));
}

export function EXTR(insn: u32): void {
  const sf = insn >> 31;
  const lsb = (insn >> 10) & 0x3f;
  const hi = xreg((insn >> 5) & 31), lo = xreg((insn >> 16) & 31);
  let r: u64;
  if (sf != 0) r = lsb == 0 ? lo : (lo >> lsb) | (hi << (64 - lsb));
  else r = lsb == 0 ? lo & 0xffffffff : (((lo & 0xffffffff) >> lsb) | (hi << (32 - lsb))) & 0xffffffff;
  setXreg(insn & 31, r);
}

// ---- C4.1.6 data processing -- register --------------------------------------------

export function LOGICAL_shift(insn: u32): void {
  const sf = insn >> 31, opc = (insn >> 29) & 3, type = (insn >> 22) & 3, inv = (insn >> 21) & 1;
  const amt = (insn >> 10) & 0x3f;
  let b = shiftReg(xreg((insn >> 16) & 31), type, amt, sf);
  if (inv) b = ~b;
  const a = xreg((insn >> 5) & 31);
  let r: u64;
  switch (opc) {
    case 0: r = a & b; break;
    case 1: r = a | b; break;
    case 2: r = a ^ b; break;
    default: r = a & b;
  }
  r = trunc(r, sf);
  if (opc == 3) setNZ(r, sf);
  setXreg(insn & 31, r);
}

export function ADD_shift(insn: u32): void {
  const sf = insn >> 31, sub = (insn >> 30) & 1, setf = (insn >> 29) & 1, type = (insn >> 22) & 3;
  const amt = (insn >> 10) & 0x3f;
  const b = shiftReg(xreg((insn >> 16) & 31), type, amt, sf);
  const a = xreg((insn >> 5) & 31);
  const r = sub != 0 ? addWithCarry(a, trunc(~b, sf), 1, sf, setf != 0) : addWithCarry(a, b, 0, sf, setf != 0);
  setXreg(insn & 31, trunc(r, sf));
}

export function ADD_ext(insn: u32): void {
  const sf = insn >> 31, sub = (insn >> 30) & 1, setf = (insn >> 29) & 1;
  const option = (insn >> 13) & 7, sh = (insn >> 10) & 7;
  const b = trunc(extendReg(xreg((insn >> 16) & 31), option, sh), sf);
  const a = xregSP((insn >> 5) & 31);
  const r = sub != 0 ? addWithCarry(a, trunc(~b, sf), 1, sf, setf != 0) : addWithCarry(a, b, 0, sf, setf != 0);
  if (setf != 0) setXreg(insn & 31, trunc(r, sf)); else setXregSP(insn & 31, trunc(r, sf));
}

// ADC/ADCS/SBC/SBCS
export function ADC(insn: u32): void {
  const sf = insn >> 31, sub = (insn >> 30) & 1, setf = (insn >> 29) & 1;
  let b = xreg((insn >> 16) & 31);
  if (sub) b = trunc(~b, sf);
  const r = addWithCarry(xreg((insn >> 5) & 31), b, <u64>((S.nzcv >> 29) & 1), sf, setf != 0);
  setXreg(insn & 31, trunc(r, sf));
}

// CCMN/CCMP (register and immediate)
export function CCMP(insn: u32): void {
  const sf = insn >> 31, sub = (insn >> 30) & 1;
  if (condHolds((insn >> 12) & 15)) {
    const a = xreg((insn >> 5) & 31);
    const b: u64 = (insn & (1 << 11)) != 0 ? <u64>((insn >> 16) & 31) : xreg((insn >> 16) & 31);
    if (sub) addWithCarry(a, trunc(~b, sf), 1, sf, true);
    else addWithCarry(a, b, 0, sf, true);
  } else {
    S.nzcv = (insn & 15) << 28;
  }
}

// CSEL/CSINC/CSINV/CSNEG
export function CSEL(insn: u32): void {
  const sf = insn >> 31, op = (insn >> 30) & 1, op2 = (insn >> 10) & 1;
  let r: u64;
  if (condHolds((insn >> 12) & 15)) r = xreg((insn >> 5) & 31);
  else {
    r = xreg((insn >> 16) & 31);
    if (op != 0) r = ~r;
    if (op2 != 0) r = r + 1;
  }
  setXreg(insn & 31, trunc(r, sf));
}

// UDIV/SDIV (o1 = bit 10): x / 0 = 0, INT_MIN / -1 = INT_MIN
export function DIV(insn: u32): void {
  const sf = insn >> 31;
  const a = xreg((insn >> 5) & 31), b = xreg((insn >> 16) & 31);
  let r: u64;
  if ((insn & (1 << 10)) == 0) { // UDIV
    if (sf) r = b == 0 ? 0 : a / b;
    else { const b32 = <u32>b; r = b32 == 0 ? 0 : <u64>(<u32>a / b32); }
  } else if (sf) { // SDIV
    const x = <i64>a, y = <i64>b;
    r = y == 0 ? 0 : (y == -1 ? <u64>(0 - x) : <u64>(x / y));
  } else {
    const x = <i32>a, y = <i32>b;
    r = y == 0 ? 0 : (y == -1 ? <u64>(<u32>(0 - x)) : <u64>(<u32>(x / y)));
  }
  setXreg(insn & 31, trunc(r, sf));
}

// LSLV/LSRV/ASRV/RORV: the amount is Rm modulo the data size
export function SHIFT_var(insn: u32): void {
  const sf = insn >> 31;
  const a = xreg((insn >> 5) & 31), b = xreg((insn >> 16) & 31);
  setXreg(insn & 31, trunc(shiftReg(a, (insn >> 10) & 3, sf != 0 ? <u32>(b & 63) : <u32>(b & 31), sf), sf));
}

// CRC32 lookup tables, one per polynomial: 256 u32 entries each, the bit-reflected
// polynomials 0x04C11DB7 (CRC32, reflected 0xEDB88320) and 0x1EDC6F41 (CRC32C, reflected
// 0x82F63B78). Entry i is i shifted through eight reflected-polynomial division steps.
// Filled once when the module starts.
const CRC_TABLE: usize = memory.data(2 * 256 * 4, 16);
for (let t: u32 = 0; t < 2; t++) {
  const poly: u32 = t == 0 ? 0xedb88320 : 0x82f63b78;
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1;
    store<u32>(CRC_TABLE + (<usize>((t << 8) | i) << 2), c);
  }
}

// CRC32B/H/W/X, CRC32CB/CH/CW/CX (opcode 010 C sz): Wd = CRC of the low 32 bits of Wn
// updated with the low 8 << sz bits of Rm, least significant byte first, no pre/post
// inversion (the Arm ARM's BitReverse(Poly32Mod2(...)) formulation in reflected form).
// sz == 3 needs sf == 1 and sz < 3 needs sf == 0 (the table has only those).
export function CRC32(insn: u32): void {
  const sz = (insn >> 10) & 3, c = (insn >> 12) & 1;
  let acc = <u32>xreg((insn >> 5) & 31);
  let val = xreg((insn >> 16) & 31);
  const tab = CRC_TABLE + (<usize>c << 10);
  for (let n: u32 = 1 << sz; n > 0; n--) {
    acc = (acc >> 8) ^ load<u32>(tab + (<usize>((acc ^ <u32>val) & 0xff) << 2));
    val >>= 8;
  }
  setXreg(insn & 31, <u64>acc);
}

// RBIT, REV16, REV32/REV (W), REV (X, sf = 1 only), CLZ, CLS: opcode 0-5 (the table has only those)
export function DP_1src(insn: u32): void {
  const sf = insn >> 31, opcode = (insn >> 10) & 0x3f;
  const a = xreg((insn >> 5) & 31);
  let r: u64;
  switch (opcode) {
    case 0: { // RBIT
      let x = a;
      x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
      x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
      x = ((x >> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
      x = bswap<u64>(x);
      r = sf != 0 ? x : x >> 32;
      break;
    }
    case 1: // REV16
      r = ((a >> 8) & 0x00ff00ff00ff00ff) | ((a & 0x00ff00ff00ff00ff) << 8);
      break;
    case 2: // REV32 (X) / REV (W)
      r = (<u64>bswap<u32>(<u32>(a >> 32)) << 32) | <u64>bswap<u32>(<u32>a);
      break;
    case 3: // REV (X)
      r = bswap<u64>(a);
      break;
    case 4: // CLZ
      r = sf != 0 ? clz<u64>(a) : <u64>clz<u32>(<u32>a);
      break;
    default: // CLS
      if (sf != 0) r = clz<u64>(a ^ <u64>(<i64>a >> 1)) - 1;
      else { const w = <u32>a; r = <u64>(clz<u32>(w ^ <u32>(<i32>w >> 1)) - 1); }
  }
  setXreg(insn & 31, trunc(r, sf));
}

function umulh(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32, bLo = b & 0xffffffff, bHi = b >> 32;
  const p0 = aLo * bLo, p1 = aLo * bHi, p2 = aHi * bLo, p3 = aHi * bHi;
  const mid = (p0 >> 32) + (p1 & 0xffffffff) + (p2 & 0xffffffff);
  return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

// MADD/MSUB (o0 = bit 15)
export function MADD(insn: u32): void {
  const sf = insn >> 31;
  const p = xreg((insn >> 5) & 31) * xreg((insn >> 16) & 31), c = xreg((insn >> 10) & 31);
  setXreg(insn & 31, trunc(((insn >> 15) & 1) != 0 ? c - p : c + p, sf));
}

// SMADDL/SMSUBL (U = bit 23 clear), UMADDL/UMSUBL (set)
export function MADDL(insn: u32): void {
  const a = xreg((insn >> 5) & 31), b = xreg((insn >> 16) & 31), c = xreg((insn >> 10) & 31);
  const p: u64 = ((insn >> 23) & 1) != 0 ? (a & 0xffffffff) * (b & 0xffffffff) : <u64>(<i64><i32>a * <i64><i32>b);
  setXreg(insn & 31, ((insn >> 15) & 1) != 0 ? c - p : c + p);
}

// SMULH (U = bit 23 clear), UMULH (set)
export function MULH(insn: u32): void {
  const a = xreg((insn >> 5) & 31), b = xreg((insn >> 16) & 31);
  let r = umulh(a, b);
  if (((insn >> 23) & 1) == 0) r = r - ((<i64>a < 0) ? b : 0) - ((<i64>b < 0) ? a : 0);
  setXreg(insn & 31, r);
}

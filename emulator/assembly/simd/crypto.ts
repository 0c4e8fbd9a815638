// Cryptographic extensions of Advanced SIMD the Cortex-A72 has: AES
// (AESE/AESD/AESMC/AESIMC), SHA1 and SHA256 (SHA512, SHA3, SM3 and SM4 are not
// on this CPU: UNDEFINED, left out of the decoding table). AES, SHA_2reg and
// SHA_3reg are the decoding table's handlers (crypto AES, two- and three-register SHA).

import { checkFpEnabled } from "../cpu";
import { vaddr } from "./regs";
import { RES, rd, rn, rm, getE, setR, clearRes, commit } from "./lanes";

// ---- AES (FEAT_AES): AESE, AESD, AESMC, AESIMC ----------------------------------------------
// The S-boxes are computed once from their definition (FIPS-197: inverse in
// GF(2^8) followed by the affine map), not typed in.

const SBOX: usize = memory.data(256);
const INV_SBOX: usize = memory.data(256);
let sboxReady = false;

@inline function xtime(b: u32): u32 { return ((b << 1) ^ ((b & 0x80) != 0 ? 0x1b : 0)) & 0xff; }
function gmul(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i = 0; i < 8; i++) { if ((b & 1) != 0) r ^= a; a = xtime(a); b >>= 1; }
  return r;
}
function buildSbox(): void {
  for (let x: u32 = 0; x < 256; x++) {
    // x^254 = x^-1 in GF(2^8) (0 maps to 0)
    let inv: u32 = 1, base = x, e: u32 = 254;
    while (e != 0) { if ((e & 1) != 0) inv = gmul(inv, base); base = gmul(base, base); e >>= 1; }
    if (x == 0) inv = 0;
    let sb = inv;
    for (let k = 1; k <= 4; k++) sb ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
    sb ^= 0x63;
    store<u8>(SBOX + x, <u8>sb);
    store<u8>(INV_SBOX + sb, <u8>x);
  }
  sboxReady = true;
}

// AESE (opcode 00100), AESD (00101), AESMC (00110), AESIMC (00111): decoding table AES
export function AES(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 12) & 31;
  if (!sboxReady) buildSbox();
  const n = rn(insn), d = rd(insn);
  clearRes();
  const st: usize = RES;
  if (opc == 0b00100 || opc == 0b00101) {
    // AESE: SubBytes(ShiftRows(d ^ n)); AESD: InvSubBytes(InvShiftRows(d ^ n)).
    // Byte i is row i%4, column i/4.
    const dec = opc == 0b00101;
    for (let r: u32 = 0; r < 4; r++) {
      for (let c: u32 = 0; c < 4; c++) {
        const srcCol = dec ? (c + 4 - r) & 3 : (c + r) & 3;
        const b = <u32>(getE(d, r + 4 * srcCol, 1) ^ getE(n, r + 4 * srcCol, 1));
        store<u8>(st + r + 4 * c, load<u8>((dec ? INV_SBOX : SBOX) + b));
      }
    }
  } else {
    const inv = opc == 0b00111;
    for (let c: u32 = 0; c < 4; c++) {
      const a0 = <u32>getE(n, 4 * c, 1), a1 = <u32>getE(n, 4 * c + 1, 1);
      const a2 = <u32>getE(n, 4 * c + 2, 1), a3 = <u32>getE(n, 4 * c + 3, 1);
      if (!inv) {
        store<u8>(st + 4 * c, <u8>(gmul(a0, 2) ^ gmul(a1, 3) ^ a2 ^ a3));
        store<u8>(st + 4 * c + 1, <u8>(a0 ^ gmul(a1, 2) ^ gmul(a2, 3) ^ a3));
        store<u8>(st + 4 * c + 2, <u8>(a0 ^ a1 ^ gmul(a2, 2) ^ gmul(a3, 3)));
        store<u8>(st + 4 * c + 3, <u8>(gmul(a0, 3) ^ a1 ^ a2 ^ gmul(a3, 2)));
      } else {
        store<u8>(st + 4 * c, <u8>(gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9)));
        store<u8>(st + 4 * c + 1, <u8>(gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13)));
        store<u8>(st + 4 * c + 2, <u8>(gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11)));
        store<u8>(st + 4 * c + 3, <u8>(gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14)));
      }
    }
  }
  commit(d, 16);
}

// ---- SHA1 / SHA256 (FEAT_SHA1, FEAT_SHA256) -------------------------------------------------

@inline function ror32(x: u32, r: u32): u32 { return (x >> r) | (x << (32 - r)); }
@inline function rol32(x: u32, r: u32): u32 { return (x << r) | (x >> (32 - r)); }
@inline function shaChoose(x: u32, y: u32, z: u32): u32 { return ((y ^ z) & x) ^ z; }
@inline function shaMajority(x: u32, y: u32, z: u32): u32 { return (x & y) | ((x | y) & z); }
@inline function shaParity(x: u32, y: u32, z: u32): u32 { return x ^ y ^ z; }

const SX: usize = memory.data(16, 16);
const SY: usize = memory.data(16, 16);
@inline function w32(p: usize, i: u32): u32 { return load<u32>(p + <usize>(i * 4)); }
@inline function sw32(p: usize, i: u32, v: u32): void { store<u32>(p + <usize>(i * 4), v); }

// SHA256hash(X, Y, W, part1)
function sha256hash(wReg: u32, part1: bool): void {
  for (let e: u32 = 0; e < 4; e++) {
    const y0 = w32(SY, 0), y1 = w32(SY, 1), y2 = w32(SY, 2), y3 = w32(SY, 3);
    const x0 = w32(SX, 0), x1 = w32(SX, 1), x2 = w32(SX, 2), x3 = w32(SX, 3);
    const chs = shaChoose(y0, y1, y2);
    const maj = shaMajority(x0, x1, x2);
    const t = y3 + (ror32(y0, 6) ^ ror32(y0, 11) ^ ror32(y0, 25)) + chs + <u32>getE(wReg, e, 4);
    const nx3 = t + x3;
    const ny3 = t + (ror32(x0, 2) ^ ror32(x0, 13) ^ ror32(x0, 22)) + maj;
    // ROL(Y:X, 32): the new top word of Y (ny3) enters X<31:0>, that of X (nx3) enters Y<31:0>
    sw32(SY, 0, nx3); sw32(SY, 1, y0); sw32(SY, 2, y1); sw32(SY, 3, y2);
    sw32(SX, 0, ny3); sw32(SX, 1, x0); sw32(SX, 2, x1); sw32(SX, 3, x2);
  }
  memory.copy(RES, part1 ? SX : SY, 16);
}

// SHA1C, SHA1P, SHA1M (opcode 000-010), SHA1SU0 (011), SHA256H, SHA256H2 (10x), SHA256SU1 (110)
export function SHA_3reg(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 12) & 7;
  const n = rn(insn), m = rm(insn), d = rd(insn);
  clearRes();
  if (opc <= 2) { // SHA1C / SHA1P / SHA1M
    memory.copy(SX, vaddr(d), 16);
    let y = <u32>getE(n, 0, 4);
    for (let e: u32 = 0; e < 4; e++) {
      const x0 = w32(SX, 0), x1 = w32(SX, 1), x2 = w32(SX, 2), x3 = w32(SX, 3);
      const t = opc == 0 ? shaChoose(x1, x2, x3) : (opc == 1 ? shaParity(x1, x2, x3) : shaMajority(x1, x2, x3));
      y = y + rol32(x0, 5) + t + <u32>getE(m, e, 4);
      // X<63:32> = ROL(X<63:32>, 30); then (Y:X) = ROL(Y:X, 32)
      const nx1 = rol32(x1, 30);
      sw32(SX, 0, y); sw32(SX, 1, x0); sw32(SX, 2, nx1); sw32(SX, 3, x2);
      y = x3;
    }
    memory.copy(RES, SX, 16);
  } else if (opc == 3) { // SHA1SU0
    const d0 = getE(d, 0, 8), d1 = getE(d, 1, 8), n0 = getE(n, 0, 8);
    store<u64>(RES, d1 ^ d0 ^ getE(m, 0, 8));
    store<u64>(RES + 8, n0 ^ d1 ^ getE(m, 1, 8));
  } else if (opc != 6) { // SHA256H / SHA256H2
    memory.copy(SX, vaddr(opc == 4 ? d : n), 16);
    memory.copy(SY, vaddr(opc == 4 ? n : d), 16);
    sha256hash(m, opc == 4);
  } else { // SHA256SU1
    // T0 = Vm<31:0> : Vn<127:32>; T1 = Vm<127:64>
    const r0 = su1(<u32>getE(m, 2, 4)) + <u32>getE(d, 0, 4) + <u32>getE(n, 1, 4);
    const r1 = su1(<u32>getE(m, 3, 4)) + <u32>getE(d, 1, 4) + <u32>getE(n, 2, 4);
    const r2 = su1(r0) + <u32>getE(d, 2, 4) + <u32>getE(n, 3, 4);
    const r3 = su1(r1) + <u32>getE(d, 3, 4) + <u32>getE(m, 0, 4);
    sw32(RES, 0, r0); sw32(RES, 1, r1); sw32(RES, 2, r2); sw32(RES, 3, r3);
  }
  commit(d, 16);
}

@inline function su1(x: u32): u32 { return ror32(x, 17) ^ ror32(x, 19) ^ (x >> 10); }

// SHA1H (opcode 00000), SHA1SU1 (00001), SHA256SU0 (00010): decoding table SHA_2reg
export function SHA_2reg(insn: u32): void {
  if (!checkFpEnabled()) return;
  const opc = (insn >> 12) & 31;
  const n = rn(insn), d = rd(insn);
  if (opc == 0) { // SHA1H Sd, Sn
    sw32(RES, 0, rol32(<u32>getE(n, 0, 4), 30));
    commit(d, 4);
    return;
  }
  if (opc == 1) { // SHA1SU1
    const t0 = <u32>getE(d, 0, 4) ^ <u32>getE(n, 1, 4);
    const t1 = <u32>getE(d, 1, 4) ^ <u32>getE(n, 2, 4);
    const t2 = <u32>getE(d, 2, 4) ^ <u32>getE(n, 3, 4);
    const t3 = <u32>getE(d, 3, 4);
    sw32(RES, 0, rol32(t0, 1)); sw32(RES, 1, rol32(t1, 1)); sw32(RES, 2, rol32(t2, 1));
    sw32(RES, 3, rol32(t3, 1) ^ rol32(t0, 2));
  } else if (opc == 2) { // SHA256SU0: T = Vn<31:0> : Vd<127:32>
    const t0 = <u32>getE(d, 1, 4), t1 = <u32>getE(d, 2, 4), t2 = <u32>getE(d, 3, 4), t3 = <u32>getE(n, 0, 4);
    sw32(RES, 0, su0(t0) + <u32>getE(d, 0, 4));
    sw32(RES, 1, su0(t1) + <u32>getE(d, 1, 4));
    sw32(RES, 2, su0(t2) + <u32>getE(d, 2, 4));
    sw32(RES, 3, su0(t3) + <u32>getE(d, 3, 4));
  }
  commit(d, 16);
}

@inline function su0(x: u32): u32 { return ror32(x, 7) ^ ror32(x, 18) ^ (x >> 3); }


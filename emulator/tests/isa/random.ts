// Seeded randomness and the random initial states (registers, flags, FPCR, V registers, data).
import { WINDOW, WINDOW_SIZE, type CaseState } from './harness.ts';

// xoshiro128** (Blackman/Vigna): small, fast, good enough for test generation.
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    // splitmix32-style seeding so that neighbouring seeds give unrelated streams
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b) >>> 0;
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (t ^ (t >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }
  u32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bit(pTrue = 0.5): boolean {
    return this.u32() / 0x1_0000_0000 < pTrue;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const INTERESTING64: bigint[] = [
  0n, 1n, 2n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n,
  0x8000_0000_0000_0001n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_8000_0000n,
  0xffff_ffff_7fff_ffffn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 63n, 64n, 31n, 32n, 0x5555_5555_5555_5555n,
  0xaaaa_aaaa_aaaa_aaaan, 0x0123_4567_89ab_cdefn,
];

export function randomX(rng: Rng): bigint {
  const k = rng.int(10);
  if (k < 5) return rng.u64();
  if (k < 8) return rng.pick(INTERESTING64);
  if (k < 9) return BigInt(rng.range(-300, 300));
  return BigInt(rng.u32()); // 32-bit value, upper half clear
}

const F64: bigint[] = [
  0x0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff4000000000000n, 0x7ff0000000000001n, 0x7ff8000000000123n,
  0x0000000000000001n, 0x800fffffffffffffn, 0x0010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn,
  0x3fe0000000000000n, 0x3ff8000000000000n, 0x4000000000000000n, 0x4004000000000000n, 0xc004000000000000n,
  0x400c000000000000n, 0x4330000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x41e0000000000000n,
  0x41dfffffffc00000n, 0xc1e0000000000000n, 0x43f0000000000000n, 0x3ca0000000000000n, 0x3fefffffffffffffn,
  0x3e70000000000000n, 0x47efffffe0000000n, 0x380fffffe0000000n,
];
const F32: number[] = [
  0x0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00000,
  0x7f800001, 0x7fc00123, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f000000, 0x3fc00000,
  0x40000000, 0x40200000, 0xc0200000, 0x40600000, 0x4b000000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000,
  0x4effffff, 0x3f7fffff, 0x33800000, 0x477fe000, 0x387fc000, 0x38800000,
];

function randomF64(rng: Rng): bigint {
  if (rng.bit(0.5)) return rng.pick(F64);
  // a value of moderate magnitude with a random fraction (exercises rounding)
  const sign = rng.bit() ? 1n : 0n;
  const exp = BigInt(1023 + rng.range(-70, 70));
  const frac = rng.u64() & 0xf_ffff_ffff_ffffn;
  return (sign << 63n) | (exp << 52n) | frac;
}
function randomF32(rng: Rng): number {
  if (rng.bit(0.5)) return rng.pick(F32);
  const sign = rng.bit() ? 1 : 0;
  const exp = 127 + rng.range(-40, 40);
  return ((sign << 31) | (exp << 23) | (rng.u32() & 0x7fffff)) >>> 0;
}

export function randomV(rng: Rng): Uint8Array {
  const v = new Uint8Array(512);
  const dv = new DataView(v.buffer);
  for (let r = 0; r < 32; r++) {
    const o = r * 16;
    switch (rng.int(5)) {
      case 0:
        for (let i = 0; i < 16; i += 4) dv.setUint32(o + i, rng.u32(), true);
        break;
      case 1:
        dv.setBigUint64(o, randomF64(rng), true);
        dv.setBigUint64(o + 8, randomF64(rng), true);
        break;
      case 2:
        for (let i = 0; i < 16; i += 4) dv.setUint32(o + i, randomF32(rng), true);
        break;
      case 3: // small integers in every lane size: saturating and narrowing ops need them
        for (let i = 0; i < 16; i++) dv.setUint8(o + i, rng.pick([0, 1, 0x7f, 0x80, 0xff, 0xfe, rng.u32() & 0xff]));
        break;
      default:
        for (let i = 0; i < 16; i += 2) dv.setUint16(o + i, rng.pick([0, 0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x0001, 0x03ff, 0x7bff, 0x8000, rng.u32() & 0xffff]), true);
    }
  }
  return v;
}

export function randomFPCR(rng: Rng): number {
  if (rng.bit(0.4)) return 0;
  let v = rng.int(4) << 22; // RMode
  if (rng.bit(0.25)) v |= 1 << 24; // FZ
  if (rng.bit(0.25)) v |= 1 << 25; // DN
  if (rng.bit(0.15)) v |= 1 << 26; // AHP
  return v;
}

export interface StateOptions {
  v?: boolean;
  data?: boolean;
}

export function randomState(rng: Rng, opt: StateOptions): CaseState {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(randomX(rng));
  let data: Uint8Array | null = null;
  if (opt.data) {
    data = new Uint8Array(WINDOW_SIZE);
    const w = new Uint32Array(data.buffer);
    for (let i = 0; i < w.length; i++) w[i] = rng.u32();
  }
  return {
    x,
    // SP: random for register-only cases; memory cases point it into the window.
    sp: opt.data ? BigInt(WINDOW + 512) : randomX(rng),
    nzcv: (rng.int(16) << 28) >>> 0,
    fpcr: opt.v ? randomFPCR(rng) : 0,
    // sticky cumulative flags (IOC..IXC, IDC, QC) already set must stay set
    fpsr: opt.v && rng.bit(0.3) ? (rng.u32() & 0x0800009f) >>> 0 : 0,
    v: opt.v ? randomV(rng) : null,
    data,
  };
}

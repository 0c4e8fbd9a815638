// Differential tests of the kernel's lib/sha512.c and lib/ed25519.c, built for
// the host with gcc (ASan, UBSan) and clang (UBSan), which must agree with
// each other (cryptotool.c, cryptoharness.ts): SHA-512 against Node's crypto,
// Ed25519 verification against @noble/ed25519's default verify (ZIP-215
// rules), on random inputs and on the edge cases of the strictness rules in
// docs/MODEL-FORMAT.md. Every input is generated from fixed seeds.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ed from '@noble/ed25519';
import { buildCryptotool, cryptotool, hex, Rng } from './cryptoharness.ts';

ed.hashes.sha512 = (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest());

const { n: L, p: P } = ed.Point.CURVE();
const G = ed.Point.BASE;
const I = ed.Point.ZERO;
type Point = InstanceType<typeof ed.Point>;

// ed25519_verify's reason codes (defs.h)
const OK = 0, EPUB = -2, ES = -3, ER = -4, EMISMATCH = -5, ENONCANON = -6, EWEAK = -7;

const le = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
};
const le32 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, v >>= 8n) b[i] = Number(v & 255n);
  return b;
};
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
};
const withS = (sig: Uint8Array, s: bigint): Uint8Array => cat(sig.subarray(0, 32), le32(s));
const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
};

const decoded = new Map<string, boolean>();
function decodes(b: Uint8Array, zip215 = true): boolean {
  const key = `${zip215} ${hex(b)}`;
  let ok = decoded.get(key);
  if (ok === undefined) {
    try {
      ed.Point.fromBytes(b, zip215); // zip215 = true: what verify's default decoding does
      ok = true;
    } catch {
      ok = false;
    }
    decoded.set(key, ok);
  }
  return ok;
}

interface Case { group: string; pub: Uint8Array; msg: Uint8Array; sig: Uint8Array }

/** noble's verdict, and the reason code ed25519_verify must give (its checks in its order). */
function oracle(c: Case): { ok: boolean; code: number } {
  const ok = ed.verify(c.sig, c.msg, c.pub);
  let code = OK;
  if (ok) code = OK;
  else if (!decodes(c.pub)) code = EPUB;
  else if (le(c.sig.subarray(32)) >= L) code = ES;
  else if (!decodes(c.sig.subarray(0, 32))) code = ER;
  else if (!ok) code = EMISMATCH;
  return { ok, code };
}

/** Runs every case through both and returns the kernel's codes by group; fails on any disagreement. */
function compare(cases: Case[]): Map<string, number[]> {
  const answers = cryptotool(cases.map((c) => `v ${hex(c.pub)} ${hex(c.sig)} ${hex(c.msg)}`));
  const bad: string[] = [];
  const byGroup = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const code = Number(answers[i].split(' ')[0]);
    const want = oracle(c);
    if ((code === OK) !== want.ok || code !== want.code) {
      bad.push(`${c.group}: pub ${hex(c.pub)} sig ${hex(c.sig)} msg ${hex(c.msg).slice(0, 40)}: ` +
        `kernel ${answers[i]}, noble ${want.ok ? 'accepts' : 'refuses'} (want code ${want.code})`);
    }
    byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), code]);
  });
  expect(bad.slice(0, 10), `${bad.length} of ${cases.length} cases disagree`).toEqual([]);
  return byGroup;
}

/** The eight points of order dividing 8: [L]Q for a Q of full order 8L, and its multiples. */
function torsionPoints(): Point[] {
  for (let y = 3n; ; y++) {
    let q: Point;
    try {
      q = ed.Point.fromBytes(le32(y), true);
    } catch {
      continue;
    }
    const t = q.multiply(L - 1n, false).add(q);
    if (t.multiply(4n, false).is0()) continue;
    return [I, ...[1n, 2n, 3n, 4n, 5n, 6n, 7n].map((k) => t.multiply(k, false))];
  }
}

/** Every encoding noble's default decoding maps to a torsion point: canonical, x = 0 with the sign bit, y >= p. */
function torsionEncodings(points: Point[]): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  const add = (b: Uint8Array) => out.set(hex(b), b);
  for (const pt of points) {
    const { x, y } = pt.toAffine();
    const signs = x === 0n ? [0, 0x80] : [Number(x & 1n) << 7];
    for (const yy of y < 19n ? [y, y + P] : [y]) {
      for (const s of signs) {
        const b = le32(yy);
        b[31] |= s;
        add(b);
      }
    }
  }
  return [...out.values()];
}

beforeAll(() => {
  buildCryptotool();
});

describe('SHA-512 (kernel lib/sha512.c) against Node crypto', () => {
  it('agrees on every length 0..1100 and on 3000 random lengths, fed whole and in random pieces', () => {
    const rng = new Rng(512);
    const msgs: Uint8Array[] = [];
    for (let n = 0; n <= 1100; n++) msgs.push(rng.bytes(n));
    for (let i = 0; i < 3000; i++) msgs.push(rng.bytes(rng.below(i % 10 === 0 ? 70_000 : 3000)));
    msgs.push(rng.bytes(1 << 20), new Uint8Array(3 << 20).fill(0x61));
    const reqs = msgs.map((m, i) => `h ${hex(m)} ${i % 2 ? 1 + rng.below(1e9) : 0}`);
    const got = cryptotool(reqs);
    const bad = msgs.filter((m, i) => got[i] !== createHash('sha512').update(m).digest('hex')).map((m) => m.length);
    expect(bad, 'lengths whose digest differs').toEqual([]);
  });

  it('gives the RFC 6234 digests', () => {
    const got = cryptotool(['h - 0', `h ${Buffer.from('abc').toString('hex')} 0`]);
    expect(got).toEqual([
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    ]);
  });
});

describe('Ed25519 verify (kernel lib/ed25519.c) against @noble/ed25519 verify', () => {
  const rng = new Rng(25519);
  const keys = Array.from({ length: 1000 }, (_, i) => {
    const sk = rng.bytes(32);
    const msg = rng.bytes(i % 50 === 0 ? 2000 + rng.below(3000) : rng.below(200));
    return { sk, pub: ed.getPublicKey(sk), msg, sig: ed.sign(msg, sk) };
  });
  const torsion = torsionPoints();
  const torsionEnc = torsionEncodings(torsion);

  it('agrees on 1000 valid signatures and on each with a flipped bit in R, S, A or the message', () => {
    const cases: Case[] = [];
    for (const k of keys) {
      cases.push({ group: 'valid', pub: k.pub, msg: k.msg, sig: k.sig });
      cases.push({ group: 'R bit', pub: k.pub, msg: k.msg, sig: flip(k.sig, rng.below(256)) });
      cases.push({ group: 'S bit', pub: k.pub, msg: k.msg, sig: flip(k.sig, 256 + rng.below(256)) });
      cases.push({ group: 'A bit', pub: flip(k.pub, rng.below(256)), msg: k.msg, sig: k.sig });
      const msg = k.msg.length ? flip(k.msg, rng.below(k.msg.length * 8)) : Uint8Array.of(rng.below(256));
      cases.push({ group: 'msg bit', pub: k.pub, msg, sig: k.sig });
    }
    const codes = compare(cases);
    expect(new Set(codes.get('valid'))).toEqual(new Set([OK]));
    for (const g of ['R bit', 'S bit', 'A bit', 'msg bit']) expect(codes.get(g)!.includes(OK), g).toBe(false);
    // flipping one of the top three bits of S always lands at or above L
    expect(codes.get('S bit')!.includes(ES)).toBe(true);
  });

  it('refuses S >= L and only S < L (S = L, L + 1, S + L, 2^253, 2^255, 2^256 - 1; L - 1 and 0 reach the equation)', () => {
    const cases: Case[] = [];
    for (const k of keys.slice(0, 60)) {
      const s = le(k.sig.subarray(32));
      for (const v of [L, L + 1n, L + 2n, L + 19n, s + L, s + 2n * L, 1n << 253n, (1n << 255n) + s, (1n << 256n) - 1n])
        cases.push({ group: 'S >= L', pub: k.pub, msg: k.msg, sig: withS(k.sig, v) });
      for (const v of [L - 1n, 0n, s ^ 1n])
        cases.push({ group: 'S < L wrong', pub: k.pub, msg: k.msg, sig: withS(k.sig, v) });
    }
    const codes = compare(cases);
    expect(new Set(codes.get('S >= L'))).toEqual(new Set([ES]));
    expect(new Set(codes.get('S < L wrong'))).toEqual(new Set([EMISMATCH]));
  });

  it('accepts small-order A and R in every encoding noble decodes (identity, x = 0 with the sign bit, y >= p)', () => {
    expect(torsionEnc.length).toBe(14);
    for (const e of torsionEnc) expect(decodes(e), hex(e)).toBe(true);
    const cases: Case[] = [];
    for (const a of torsionEnc) {
      for (const r of torsionEnc) {
        const msg = rng.bytes(rng.below(40));
        cases.push({ group: 'torsion S=0', pub: a, msg, sig: cat(r, le32(0n)) });
        cases.push({ group: 'torsion S=1', pub: a, msg, sig: cat(r, le32(1n)) });
        cases.push({ group: 'torsion S=L', pub: a, msg, sig: cat(r, le32(L)) });
      }
      // a torsion key with a real signature of another key
      const k = keys[rng.below(keys.length)];
      cases.push({ group: 'torsion key, other sig', pub: a, msg: k.msg, sig: k.sig });
    }
    const codes = compare(cases);
    expect(new Set(codes.get('torsion S=0'))).toEqual(new Set([OK]));
    expect(new Set(codes.get('torsion S=1'))).toEqual(new Set([EMISMATCH]));
    expect(new Set(codes.get('torsion S=L'))).toEqual(new Set([ES]));
  });

  it('agrees on all 38 encodings with y in [p, 2^255) and on y < 64 and p - 64 <= y < p, as A and as R', () => {
    const cases: Case[] = [];
    const k = keys[0];
    const ys: bigint[] = [];
    for (let t = 0n; t < 64n; t++) ys.push(t, P - 1n - t);
    for (let t = 0n; t < 19n; t++) ys.push(P + t);
    for (const y of ys) {
      for (const sign of [0, 0x80]) {
        const e = le32(y);
        e[31] |= sign;
        const g = y >= P ? 'y>=p' : 'edge y';
        cases.push({ group: `${g} as A`, pub: e, msg: k.msg, sig: cat(torsionEnc[0], le32(0n)) });
        cases.push({ group: `${g} as A`, pub: e, msg: k.msg, sig: k.sig });
        cases.push({ group: `${g} as R`, pub: torsionEnc[0], msg: k.msg, sig: cat(e, le32(0n)) });
        cases.push({ group: `${g} as R`, pub: k.pub, msg: k.msg, sig: cat(e, k.sig.subarray(32)) });
      }
    }
    const codes = compare(cases);
    // some of them are points (accepted as such), some are not
    expect(codes.get('y>=p as A')!.includes(EPUB)).toBe(true);
    expect(codes.get('y>=p as A')!.includes(OK)).toBe(true);
    expect(codes.get('y>=p as R')!.includes(ER)).toBe(true);
  });

  it('is cofactored: accepts signatures under A + T and with R + T for a torsion point T', () => {
    const cases: Case[] = [];
    keys.slice(0, 140).forEach((k, i) => {
      const { scalar, point } = ed.utils.getExtendedPublicKey(k.sk);
      const t = torsion[1 + (i % 7)];
      const r = (le(rng.bytes(40)) % (L - 1n)) + 1n;
      const mixedA = i % 2 === 0;
      const A = mixedA ? point.add(t).toBytes() : point.toBytes();
      const R = mixedA ? G.multiply(r).toBytes() : G.multiply(r).add(t).toBytes();
      const kk = le(ed.hashes.sha512!(cat(R, A, k.msg))) % L;
      const S = (r + kk * scalar) % L;
      cases.push({ group: mixedA ? 'A + T' : 'R + T', pub: A, msg: k.msg, sig: cat(R, le32(S)) });
    });
    const codes = compare(cases);
    expect(new Set(codes.get('A + T'))).toEqual(new Set([OK]));
    expect(new Set(codes.get('R + T'))).toEqual(new Set([OK]));
  });

  it('agrees on random keys, R values and signatures (points and non-points)', () => {
    const cases: Case[] = [];
    for (let i = 0; i < 600; i++) {
      const k = keys[i];
      const e = rng.bytes(32);
      cases.push({ group: 'random A', pub: e, msg: k.msg, sig: k.sig });
      cases.push({ group: 'random R', pub: k.pub, msg: k.msg, sig: cat(e, k.sig.subarray(32)) });
      const sig = rng.bytes(64);
      sig[63] &= 0x0f; // S mostly below L so the R and equation checks are reached
      cases.push({ group: 'random sig', pub: rng.bytes(32), msg: rng.bytes(rng.below(64)), sig });
    }
    const codes = compare(cases);
    expect(codes.get('random A')!.includes(EPUB) && codes.get('random A')!.includes(EMISMATCH)).toBe(true);
    expect(codes.get('random R')!.includes(ER) && codes.get('random R')!.includes(EMISMATCH)).toBe(true);
  });

  it('ed25519_check_key refuses what is not a point, non-canonical encodings and small-order keys, as noble classifies them', () => {
    const pubs: Uint8Array[] = [...torsionEnc, ...keys.slice(0, 200).map((k) => k.pub)];
    for (let i = 0; i < 300; i++) pubs.push(rng.bytes(32));
    for (let t = 0n; t < 64n; t++) {
      for (const y of [t, P - 1n - t, ...(t < 19n ? [P + t] : [])]) {
        for (const sign of [0, 0x80]) {
          const e = le32(y);
          e[31] |= sign;
          pubs.push(e);
        }
      }
    }
    keys.slice(0, 50).forEach((k, i) => pubs.push(ed.Point.fromBytes(k.pub).add(torsion[1 + (i % 7)]).toBytes()));
    const want = pubs.map((b): number => {
      if (!decodes(b)) return EPUB;
      if (!decodes(b, false)) return ENONCANON; // noble's strict (RFC 8032) decoding
      return ed.Point.fromBytes(b).isSmallOrder() ? EWEAK : OK;
    });
    const got = cryptotool(pubs.map((b) => `k ${hex(b)}`)).map((a) => Number(a.split(' ')[0]));
    const bad = pubs.map((b, i) => `${hex(b)}: kernel ${got[i]}, want ${want[i]}`).filter((_, i) => got[i] !== want[i]);
    expect(bad.slice(0, 10), `${bad.length} of ${pubs.length} keys disagree`).toEqual([]);
    for (const code of [OK, EPUB, ENONCANON, EWEAK]) expect(want.includes(code), `some key gives ${code}`).toBe(true);
    expect(got.slice(torsionEnc.length, torsionEnc.length + 200).every((c) => c === OK), 'real keys pass').toBe(true);
  });
});

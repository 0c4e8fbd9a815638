// Scalar floating point against qemu-aarch64: every FPCR rounding mode with
// FZ and DN on and off, random operands biased towards NaNs, infinities,
// denormals, boundaries and cancelling pairs. Zero mismatches expected.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildUnit, differential, FPCR_MODES, type SimdUnit, type Spec } from './harness';

let unit: SimdUnit;
beforeAll(async () => { unit = await buildUnit(); });

const S = (asm: string): Spec => ({ asm, lanes: 32 });
const D = (asm: string): Spec => ({ asm, lanes: 64 });
const H = (asm: string): Spec => ({ asm, lanes: 16 });

function both(tmpl: string): Spec[] {
  return [S(tmpl.replaceAll('R', 's')), D(tmpl.replaceAll('R', 'd'))];
}

// records per instruction and FPCR mode (FP_CASES overrides, e.g. for soak runs)
const N = Number(process.env.FP_CASES ?? 300);

async function check(specs: Spec[], seed: number, fpcrs = FPCR_MODES) {
  const r = await differential(unit, specs, N, seed, fpcrs);
  expect(r.undef).toEqual([]);
  expect(r.mismatches).toEqual([]);
  expect(r.compared).toBe(specs.length * fpcrs.length * N);
}
// the 16 modes again with FPCR.AHP (alternative half precision) set
const WITH_AHP = [...FPCR_MODES, ...FPCR_MODES.map((m) => m | (1 << 26))];

describe('scalar FP vs qemu-aarch64', () => {
  it('arithmetic: FADD FSUB FMUL FDIV FNMUL FSQRT', async () => {
    await check([
      ...both('fadd R0, R1, R2'), ...both('fsub R0, R1, R2'), ...both('fmul R0, R1, R2'),
      ...both('fdiv R0, R1, R2'), ...both('fnmul R0, R1, R2'), ...both('fsqrt R0, R1'),
    ], 1);
  });
  it('fused: FMADD FMSUB FNMADD FNMSUB', async () => {
    await check([
      ...both('fmadd R0, R1, R2, R3'), ...both('fmsub R0, R1, R2, R3'),
      ...both('fnmadd R0, R1, R2, R3'), ...both('fnmsub R0, R1, R2, R3'),
    ], 2);
  });
  it('min/max, abs, neg, mov', async () => {
    await check([
      ...both('fmax R0, R1, R2'), ...both('fmin R0, R1, R2'), ...both('fmaxnm R0, R1, R2'),
      ...both('fminnm R0, R1, R2'), ...both('fabs R0, R1'), ...both('fneg R0, R1'), ...both('fmov R0, R1'),
    ], 3);
  });
  it('compares: FCMP FCMPE (and #0.0), FCCMP FCCMPE, FCSEL', async () => {
    await check([
      ...both('fcmp R1, R2'), ...both('fcmpe R1, R2'), ...both('fcmp R1, #0.0'), ...both('fcmpe R1, #0.0'),
      ...both('fccmp R1, R2, #5, eq'), ...both('fccmpe R1, R2, #10, gt'), ...both('fccmp R1, R2, #3, hi'),
      ...both('fcsel R0, R1, R2, ge'), ...both('fcsel R0, R1, R2, vs'),
    ], 4);
  });
  // (FRINT32/64 and half precision arithmetic are not on this CPU: UNDEFINED, unit.test.ts)
  it('round to integral: FRINTN/P/M/Z/A/X/I', async () => {
    await check([...['n', 'p', 'm', 'z', 'a', 'x', 'i'].flatMap((m) => both(`frint${m} R0, R1`))], 5);
  });
  it('precision conversions: FCVT between H, S and D', async () => {
    await check([
      S('fcvt d0, s1'), D('fcvt s0, d1'), S('fcvt h0, s1'), D('fcvt h0, d1'), H('fcvt s0, h1'), H('fcvt d0, h1'),
    ], 6, WITH_AHP);
  });
  it('FP to integer: FCVT{N,P,M,Z,A}{S,U} to W and X, fixed-point FCVTZS/ZU', async () => {
    const specs: Spec[] = [];
    for (const m of ['n', 'p', 'm', 'z', 'a']) for (const u of ['s', 'u']) for (const r of ['w', 'x']) {
      specs.push(S(`fcvt${m}${u} ${r}0, s1`), D(`fcvt${m}${u} ${r}0, d1`));
    }
    specs.push(S('fcvtzs w0, s1, #1'), S('fcvtzu w0, s1, #32'), D('fcvtzs x0, d1, #17'), D('fcvtzu x0, d1, #64'),
      D('fcvtzs w0, d1, #31'), S('fcvtzu x0, s1, #3'));
    await check(specs, 7);
  });
  it('integer to FP: SCVTF/UCVTF from W and X, fixed-point', async () => {
    const specs: Spec[] = [];
    for (const u of ['s', 'u']) for (const r of ['w', 'x']) for (const f of ['s', 'd']) {
      specs.push({ asm: `${u}cvtf ${f}0, ${r}1`, lanes: 0, xin: true });
      specs.push({ asm: `${u}cvtf ${f}0, ${r}1, #${r === 'w' ? 7 : 40}`, lanes: 0, xin: true });
    }
    specs.push({ asm: 'scvtf d0, x1, #64', lanes: 0, xin: true }, { asm: 'ucvtf s0, w1, #32', lanes: 0, xin: true });
    await check(specs, 8);
  });
  it('FMOV: immediate, general <-> FP, top half of Q', async () => {
    await check([
      { asm: 'fmov s0, w1', lanes: 0 }, { asm: 'fmov d0, x1', lanes: 0 }, { asm: 'fmov w0, s1', lanes: 32 },
      { asm: 'fmov x0, d1', lanes: 64 }, { asm: 'fmov v0.d[1], x1', lanes: 0 }, { asm: 'fmov x0, v1.d[1]', lanes: 0 },
      { asm: 'fmov s0, #1.0', lanes: 0 }, { asm: 'fmov d0, #-0.125', lanes: 0 }, { asm: 'fmov s0, #31.0', lanes: 0 },
      { asm: 'fmov d0, #0.1875', lanes: 0 }, { asm: 'fmov d0, #-15.5', lanes: 0 },
    ], 9);
  });
});

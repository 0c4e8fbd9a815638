// Advanced SIMD against qemu-aarch64: integer and FP vector forms, the
// scalar AdvSIMD forms, permutes, moves and immediates. FP forms run under
// every FPCR mode (rounding x FZ x DN); integer forms under one.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildUnit, differential, FPCR_MODES, type SimdUnit, type Spec } from './harness';

let unit: SimdUnit;
beforeAll(async () => { unit = await buildUnit(); });

const I = (asm: string): Spec => ({ asm, lanes: 0 });
const IX = (asm: string): Spec => ({ asm, lanes: 0, xin: true });
const S = (asm: string): Spec => ({ asm, lanes: 32 });
const D = (asm: string): Spec => ({ asm, lanes: 64 });
// records per instruction and FPCR mode (FP_CASES overrides, e.g. for soak runs)
const N = Number(process.env.FP_CASES ?? 300);

async function check(specs: Spec[], seed: number, fpcrs = [0]) {
  const n = fpcrs.length === 1 ? N * 4 : N; // integer forms run under one FPCR value
  const r = await differential(unit, specs, n, seed, fpcrs);
  expect(r.undef).toEqual([]);
  expect(r.mismatches).toEqual([]);
  expect(r.compared).toBe(specs.length * fpcrs.length * n);
}

const arr = ['8b', '16b', '4h', '8h', '2s', '4s', '2d'];
const arrNo2d = arr.filter((a) => a !== '2d');

describe('Advanced SIMD vs qemu-aarch64', () => {
  it('moves: DUP, INS, UMOV, SMOV, MOV, MOVI/MVNI/ORR/BIC immediate, FMOV vector', async () => {
    await check([
      I('dup v0.16b, v1.b[9]'), I('dup v0.4h, v1.h[7]'), I('dup v0.4s, v1.s[3]'), I('dup v0.2d, v1.d[1]'),
      IX('dup v0.8b, w1'), IX('dup v0.8h, w1'), IX('dup v0.2s, w1'), IX('dup v0.2d, x1'),
      IX('mov v0.b[5], w1'), IX('mov v0.h[6], w1'), IX('mov v0.s[1], w1'), IX('mov v0.d[1], x1'),
      I('mov v0.b[15], v1.b[3]'), I('mov v0.h[0], v1.h[7]'), I('mov v0.s[2], v1.s[0]'), I('mov v0.d[0], v1.d[1]'),
      I('umov w0, v1.b[11]'), I('umov w0, v1.h[3]'), I('mov w0, v1.s[3]'), I('mov x0, v1.d[1]'),
      I('smov w0, v1.b[2]'), I('smov x0, v1.h[5]'), I('smov x0, v1.s[1]'),
      I('mov v0.16b, v1.16b'), I('mov v0.8b, v1.8b'), I('mov s0, v1.s[3]'), I('mov d0, v1.d[1]'), I('mov b0, v1.b[7]'),
      I('movi v0.16b, #0xa5'), I('movi v0.4s, #0x12, lsl #24'), I('movi v0.4h, #0x80, lsl #8'), I('movi v0.2s, #0x4d, msl #16'),
      I('movi v0.2d, #0xff00ff0000ffff00'), I('movi d0, #0x00ff00ff00ff00ff'), I('mvni v0.4s, #0x12, lsl #8'),
      I('mvni v0.8h, #0x34'), I('mvni v0.2s, #0x7, msl #8'), I('orr v0.4s, #0x5a, lsl #16'), I('bic v0.8h, #0xff'),
      I('orr v0.4h, #0x1, lsl #8'), I('bic v0.2s, #0x80, lsl #24'),
      I('fmov v0.4s, #1.0'), I('fmov v0.2s, #-3.5'), I('fmov v0.2d, #0.25'),
    ], 21);
  });
  it('integer three-same: ADD SUB MUL MLA MLS logic compares min/max ABD shifts pairwise', async () => {
    const ops: string[] = [];
    for (const a of arr) {
      ops.push(`add v0.${a}, v1.${a}, v2.${a}`, `sub v0.${a}, v1.${a}, v2.${a}`, `cmeq v0.${a}, v1.${a}, v2.${a}`,
        `cmgt v0.${a}, v1.${a}, v2.${a}`, `cmge v0.${a}, v1.${a}, v2.${a}`, `cmhi v0.${a}, v1.${a}, v2.${a}`,
        `cmhs v0.${a}, v1.${a}, v2.${a}`, `cmtst v0.${a}, v1.${a}, v2.${a}`, `ushl v0.${a}, v1.${a}, v2.${a}`,
        `sshl v0.${a}, v1.${a}, v2.${a}`, `addp v0.${a}, v1.${a}, v2.${a}`);
    }
    for (const a of arrNo2d) {
      ops.push(`umax v0.${a}, v1.${a}, v2.${a}`, `umin v0.${a}, v1.${a}, v2.${a}`, `smax v0.${a}, v1.${a}, v2.${a}`,
        `smin v0.${a}, v1.${a}, v2.${a}`, `uabd v0.${a}, v1.${a}, v2.${a}`, `sabd v0.${a}, v1.${a}, v2.${a}`,
        `saba v0.${a}, v1.${a}, v2.${a}`, `mul v0.${a}, v1.${a}, v2.${a}`, `mla v0.${a}, v1.${a}, v2.${a}`,
        `mls v0.${a}, v1.${a}, v2.${a}`, `umaxp v0.${a}, v1.${a}, v2.${a}`, `sminp v0.${a}, v1.${a}, v2.${a}`,
        `shadd v0.${a}, v1.${a}, v2.${a}`, `uhsub v0.${a}, v1.${a}, v2.${a}`);
    }
    for (const a of ['8b', '16b']) {
      for (const op of ['and', 'orr', 'orn', 'bic', 'eor', 'bsl', 'bit', 'bif']) ops.push(`${op} v0.${a}, v1.${a}, v2.${a}`);
    }
    ops.push('add d0, d1, d2', 'sub d0, d1, d2', 'cmeq d0, d1, d2', 'cmhi d0, d1, d2', 'cmge d0, d1, d2', 'cmtst d0, d1, d2',
      'ushl d0, d1, d2', 'sshl d0, d1, d2');
    await check(ops.map(I).map((s) => ({ ...s, lanes: 0 as const })), 22);
  });
  it('integer two-reg misc, across lanes, long/wide/narrow, shifts by immediate', async () => {
    const ops: string[] = [];
    for (const a of arr) {
      ops.push(`cmeq v0.${a}, v1.${a}, #0`, `cmgt v0.${a}, v1.${a}, #0`, `cmge v0.${a}, v1.${a}, #0`, `cmle v0.${a}, v1.${a}, #0`,
        `cmlt v0.${a}, v1.${a}, #0`, `abs v0.${a}, v1.${a}`, `neg v0.${a}, v1.${a}`);
    }
    ops.push('cnt v0.8b, v1.8b', 'cnt v0.16b, v1.16b', 'not v0.16b, v1.16b', 'rbit v0.8b, v1.8b', 'rev64 v0.4s, v1.4s',
      'rev64 v0.16b, v1.16b', 'rev32 v0.8h, v1.8h', 'rev16 v0.16b, v1.16b', 'clz v0.4s, v1.4s', 'clz v0.8b, v1.8b',
      'cls v0.8h, v1.8h', 'cls v0.2s, v1.2s', 'uaddlp v0.4s, v1.8h', 'saddlp v0.2d, v1.4s', 'uadalp v0.8h, v1.16b',
      'sadalp v0.4h, v1.8b', 'xtn v0.8b, v1.8h', 'xtn2 v0.4s, v1.2d', 'xtn v0.4h, v1.4s', 'shll v0.8h, v1.8b, #8',
      'shll2 v0.2d, v1.4s, #32', 'abs d0, d1', 'neg d0, d1', 'cmeq d0, d1, #0', 'cmlt d0, d1, #0', 'cmge d0, d1, #0');
    ops.push('addv b0, v1.16b', 'addv h0, v1.4h', 'addv s0, v1.4s', 'umaxv b0, v1.8b', 'uminv h0, v1.8h', 'smaxv s0, v1.4s',
      'sminv b0, v1.16b', 'uaddlv h0, v1.16b', 'saddlv s0, v1.8h', 'uaddlv d0, v1.4s', 'addp d0, v1.2d');
    ops.push('uaddl v0.8h, v1.8b, v2.8b', 'saddl2 v0.4s, v1.8h, v2.8h', 'uaddw v0.2d, v1.2d, v2.2s', 'ssubw2 v0.8h, v1.8h, v2.16b',
      'usubl v0.4s, v1.4h, v2.4h', 'umull v0.2d, v1.2s, v2.2s', 'smull2 v0.8h, v1.16b, v2.16b', 'umlal v0.4s, v1.4h, v2.4h',
      'smlsl2 v0.2d, v1.4s, v2.4s', 'uabdl v0.8h, v1.8b, v2.8b', 'sabal2 v0.4s, v1.8h, v2.8h');
    ops.push('shl v0.16b, v1.16b, #3', 'shl v0.2d, v1.2d, #63', 'ushr v0.4s, v1.4s, #32', 'ushr v0.8h, v1.8h, #1',
      'sshr v0.2d, v1.2d, #64', 'sshr v0.8b, v1.8b, #5', 'usra v0.4h, v1.4h, #7', 'ssra v0.4s, v1.4s, #31',
      'urshr v0.2d, v1.2d, #64', 'urshr v0.2d, v1.2d, #3', 'srshr v0.2d, v1.2d, #1', 'srshr v0.8h, v1.8h, #16', 'ursra v0.16b, v1.16b, #8',
      'sri v0.4s, v1.4s, #9', 'sli v0.8h, v1.8h, #15', 'sri v0.2d, v1.2d, #64',
      'ushll v0.8h, v1.8b, #0', 'ushll2 v0.4s, v1.8h, #5', 'sshll v0.2d, v1.2s, #31', 'sshll2 v0.8h, v1.16b, #0',
      'shrn v0.8b, v1.8h, #3', 'shrn2 v0.4s, v1.2d, #32', 'rshrn v0.4h, v1.4s, #16', 'rshrn2 v0.4s, v1.2d, #1',
      'shl d0, d1, #17', 'ushr d0, d1, #64', 'sshr d0, d1, #12', 'usra d0, d1, #1', 'sli d0, d1, #40', 'sri d0, d1, #3',
      'srshr d0, d1, #63', 'urshr d0, d1, #64');
    await check(ops.map(I), 23);
  });
  it('saturating, rounding, doubling and crypto integer forms (QC in FPSR)', async () => {
    const ops: string[] = [];
    for (const a of arr) {
      for (const op of ['sqadd', 'uqadd', 'sqsub', 'uqsub', 'srshl', 'urshl', 'sqshl', 'uqshl', 'sqrshl', 'uqrshl']) {
        ops.push(`${op} v0.${a}, v1.${a}, v2.${a}`);
      }
      ops.push(`sqabs v0.${a}, v1.${a}`, `sqneg v0.${a}, v1.${a}`, `suqadd v0.${a}, v1.${a}`, `usqadd v0.${a}, v1.${a}`);
    }
    for (const a of arrNo2d) ops.push(`srhadd v0.${a}, v1.${a}, v2.${a}`, `urhadd v0.${a}, v1.${a}, v2.${a}`);
    ops.push('sqdmulh v0.8h, v1.8h, v2.8h', 'sqrdmulh v0.4s, v1.4s, v2.4s', 'sqdmulh v0.2s, v1.2s, v2.2s', 'sqrdmulh v0.4h, v1.4h, v2.4h',
      'sqxtn v0.8b, v1.8h', 'sqxtn2 v0.8h, v1.4s', 'uqxtn v0.2s, v1.2d', 'uqxtn2 v0.16b, v1.8h', 'sqxtun v0.4h, v1.4s', 'sqxtun2 v0.4s, v1.2d',
      'sqshrn v0.8b, v1.8h, #3', 'uqshrn2 v0.8h, v1.4s, #16', 'sqrshrn v0.2s, v1.2d, #32', 'uqrshrn v0.4h, v1.4s, #1',
      'sqshrun v0.8b, v1.8h, #8', 'sqrshrun2 v0.4s, v1.2d, #7', 'sqshlu v0.4s, v1.4s, #5', 'sqshlu v0.2d, v1.2d, #63',
      'sqshl v0.16b, v1.16b, #7', 'uqshl v0.8h, v1.8h, #0', 'uqshl v0.2d, v1.2d, #33',
      'sqadd b0, b1, b2', 'uqadd h0, h1, h2', 'sqsub s0, s1, s2', 'uqsub d0, d1, d2', 'sqshl d0, d1, d2', 'uqrshl s0, s1, s2',
      'srshl d0, d1, d2', 'urshl d0, d1, d2', 'sqdmulh h0, h1, h2', 'sqrdmulh s0, s1, s2', 'sqabs b0, b1', 'sqneg d0, d1',
      'suqadd h0, h1', 'usqadd s0, s1', 'sqxtn b0, h1', 'uqxtn s0, d1', 'sqxtun h0, s1', 'sqshrn s0, d1, #9', 'uqrshrn b0, h1, #4',
      'sqshlu d0, d1, #3', 'sqshl s0, s1, #31', 'uqshl b0, b1, #1',
      'addhn v0.8b, v1.8h, v2.8h', 'raddhn2 v0.8h, v1.4s, v2.4s', 'subhn v0.2s, v1.2d, v2.2d', 'rsubhn2 v0.4s, v1.2d, v2.2d',
      'raddhn v0.2s, v1.2d, v2.2d', 'pmul v0.16b, v1.16b, v2.16b', 'pmull v0.8h, v1.8b, v2.8b', 'pmull2 v0.8h, v1.16b, v2.16b',
      'sqdmull v0.4s, v1.4h, v2.4h', 'sqdmull2 v0.2d, v1.4s, v2.4s', 'sqdmlal v0.2d, v1.2s, v2.2s', 'sqdmlsl2 v0.4s, v1.8h, v2.8h',
      'sqdmull s0, h1, h2', 'sqdmlal d0, s1, s2', 'sqdmlsl s0, h1, h2',
      'sqdmull v0.4s, v1.4h, v2.h[7]', 'sqdmlal2 v0.2d, v1.4s, v2.s[3]', 'sqdmlsl v0.4s, v1.4h, v15.h[1]', 'sqdmull d0, s1, v2.s[1]',
      'sqdmulh v0.8h, v1.8h, v2.h[2]', 'sqrdmulh v0.2s, v1.2s, v2.s[0]', 'sqdmulh s0, s1, v2.s[3]', 'sqrdmulh h0, h1, v2.h[6]',
      'sqrdmulh v0.8h, v1.8h, v9.h[3]', 'sqdmulh v0.2s, v1.2s, v31.s[1]', 'sqdmlal s0, h1, v2.h[7]', 'sqdmlsl d0, s1, v31.s[3]',
      'sqdmlal2 v0.4s, v1.8h, v15.h[4]', 'sqdmull2 v0.4s, v1.8h, v3.h[3]',
      'sqshrun h0, s1, #5', 'sqrshrun b0, h1, #8', 'sqrshrun2 v0.16b, v1.8h, #1', 'sqrshrn2 v0.16b, v1.8h, #2', 'uqshrn s0, d1, #32',
      'uqrshrn2 v0.4s, v1.2d, #31', 'sqshl d0, d1, #63', 'uqshl h0, h1, #15', 'sqshlu b0, b1, #7', 'sqshlu v0.8b, v1.8b, #0',
      'aese v0.16b, v1.16b', 'aesd v0.16b, v2.16b', 'aesmc v0.16b, v1.16b', 'aesimc v0.16b, v3.16b',
      'sha1c q0, s1, v2.4s', 'sha1p q0, s1, v2.4s', 'sha1m q0, s3, v2.4s', 'sha1su0 v0.4s, v1.4s, v2.4s', 'sha1h s0, s1',
      'sha1su1 v0.4s, v1.4s', 'sha256h q0, q1, v2.4s', 'sha256h2 q0, q1, v2.4s', 'sha256su0 v0.4s, v1.4s',
      'sha256su1 v0.4s, v1.4s, v2.4s', 'pmull v0.1q, v1.1d, v2.1d', 'pmull2 v0.1q, v1.2d, v2.2d',
      'sha1m q0, s2, v3.4s', 'sha256h2 q0, q3, v1.4s', 'sha256su1 v0.4s, v3.4s, v1.4s');
    await check(ops.map(I), 28);
  });
  it('permutes, EXT, TBL/TBX, multiply by element', async () => {
    const ops: string[] = [];
    for (const a of arr) for (const op of ['zip1', 'zip2', 'uzp1', 'uzp2', 'trn1', 'trn2']) ops.push(`${op} v0.${a}, v1.${a}, v2.${a}`);
    ops.push('ext v0.16b, v1.16b, v2.16b, #7', 'ext v0.8b, v1.8b, v2.8b, #3', 'ext v0.16b, v1.16b, v2.16b, #0',
      'tbl v0.16b, {v1.16b}, v2.16b', 'tbl v0.8b, {v1.16b, v2.16b}, v3.8b', 'tbx v0.16b, {v1.16b, v2.16b, v3.16b}, v2.16b',
      'tbx v0.8b, {v1.16b}, v2.8b', 'tbl v0.16b, {v30.16b, v31.16b, v0.16b, v1.16b}, v2.16b',
      'mul v0.8h, v1.8h, v2.h[7]', 'mul v0.2s, v1.2s, v3.s[1]', 'mla v0.4s, v1.4s, v2.s[3]', 'mls v0.4h, v1.4h, v15.h[2]',
      'umull v0.4s, v1.4h, v2.h[5]', 'smull2 v0.2d, v1.4s, v2.s[2]', 'umlal2 v0.4s, v1.8h, v3.h[0]', 'smlsl v0.2d, v1.2s, v2.s[1]',
      'umlsl2 v0.2d, v1.4s, v2.s[3]', 'smlal v0.4s, v1.4h, v3.h[7]', 'mla v0.8h, v1.8h, v15.h[6]', 'mul v0.4s, v1.4s, v31.s[2]',
      'mls v0.2s, v1.2s, v17.s[0]', 'umull2 v0.4s, v1.8h, v8.h[1]',
      'srsra d0, d1, #7', 'ursra v0.2d, v1.2d, #64', 'srsra v0.8b, v1.8b, #3', 'ssra d0, d1, #64', 'sli v0.2d, v1.2d, #0',
      'sri v0.16b, v1.16b, #8', 'shl v0.4h, v1.4h, #15', 'ushr v0.2s, v1.2s, #32');
    await check(ops.map(I), 24);
  });
  it('FP vector arithmetic, compares, min/max, pairwise, by element (all FPCR modes)', async () => {
    const ops: Spec[] = [];
    for (const [a, mk] of [['2s', S], ['4s', S], ['2d', D]] as const) {
      for (const op of ['fadd', 'fsub', 'fmul', 'fdiv', 'fmla', 'fmls', 'fmax', 'fmin', 'fmaxnm', 'fminnm', 'fabd', 'fmulx',
        'fcmeq', 'fcmge', 'fcmgt', 'facge', 'facgt', 'faddp', 'fmaxp', 'fminnmp', 'frecps', 'frsqrts']) {
        ops.push(mk(`${op} v0.${a}, v1.${a}, v2.${a}`));
      }
    }
    ops.push(S('fmul v0.4s, v1.4s, v2.s[3]'), S('fmla v0.2s, v1.2s, v3.s[1]'), D('fmls v0.2d, v1.2d, v2.d[1]'),
      D('fmulx v0.2d, v1.2d, v2.d[0]'), S('fmul s0, s1, v2.s[2]'), D('fmla d0, d1, v2.d[1]'), S('fmls s0, s1, v3.s[0]'),
      S('fabd s0, s1, s2'), D('fcmeq d0, d1, d2'), S('fcmgt s0, s1, s2'), D('facge d0, d1, d2'), S('fmulx s0, s1, s2'),
      D('frecps d0, d1, d2'), S('frsqrts s0, s1, s2'),
      S('faddp s0, v1.2s'), D('faddp d0, v1.2d'), S('fmaxnmp s0, v1.2s'), D('fminp d0, v1.2d'),
      S('fmaxnmv s0, v1.4s'), S('fminnmv s0, v1.4s'), S('fmaxv s0, v1.4s'), S('fminv s0, v1.4s'));
    ops.push(S('fmulx s0, s1, v2.s[3]'), D('fmul d0, d1, v2.d[1]'), S('fmla v0.4s, v1.4s, v31.s[2]'), S('fmulx v0.4s, v1.4s, v2.s[1]'),
      D('fmls d0, d1, v17.d[0]'), S('fmul v0.2s, v1.2s, v16.s[3]'));
    await check(ops, 25, FPCR_MODES.map((m, i) => ((i >> 1) & 1 ? m | (1 << 19) : m)));
  });
  it('FP vector two-reg misc and conversions (all FPCR modes)', async () => {
    const ops: Spec[] = [];
    for (const [a, mk, r] of [['2s', S, 's'], ['4s', S, 's'], ['2d', D, 'd']] as const) {
      for (const op of ['fabs', 'fneg', 'fsqrt', 'frintn', 'frintm', 'frintp', 'frintz', 'frinta', 'frintx', 'frinti',
        'fcvtns', 'fcvtms', 'fcvtas', 'fcvtps', 'fcvtzs', 'fcvtnu', 'fcvtmu', 'fcvtau', 'fcvtpu', 'fcvtzu']) {
        ops.push(mk(`${op} v0.${a}, v1.${a}`));
      }
      for (const op of ['fcmeq', 'fcmgt', 'fcmge', 'fcmle', 'fcmlt']) ops.push(mk(`${op} v0.${a}, v1.${a}, #0.0`));
      ops.push(I(`scvtf v0.${a}, v1.${a}`), I(`ucvtf v0.${a}, v1.${a}`));
      ops.push(I(`scvtf v0.${a}, v1.${a}, #5`), I(`ucvtf v0.${a}, v1.${a}, #${r === 'd' ? 64 : 32}`),
        mk(`fcvtzs v0.${a}, v1.${a}, #3`), mk(`fcvtzu v0.${a}, v1.${a}, #1`));
    }
    ops.push(S('fcvtzs s0, s1'), D('fcvtzu d0, d1'), S('fcvtns s0, s1'), D('fcvtau d0, d1'), I('scvtf s0, s1'), I('ucvtf d0, d1'),
      S('fcmeq s0, s1, #0.0'), D('fcmlt d0, d1, #0.0'), S('fcvtzs s0, s1, #7'), I('ucvtf d0, d1, #13'),
      D('fcvtn v0.2s, v1.2d'), D('fcvtn2 v0.4s, v1.2d'), S('fcvtl v0.2d, v1.2s'), S('fcvtl2 v0.2d, v1.4s'),
      S('fcvtn v0.4h, v1.4s'), S('fcvtn2 v0.8h, v1.4s'), { asm: 'fcvtl v0.4s, v1.4h', lanes: 16 }, { asm: 'fcvtl2 v0.4s, v1.8h', lanes: 16 });
    ops.push(D('fcvtxn v0.2s, v1.2d'), D('fcvtxn2 v0.4s, v1.2d'), D('fcvtxn s0, d1'));
    ops.push(S('frecpe v0.4s, v1.4s'), D('frecpe v0.2d, v1.2d'), S('frsqrte v0.2s, v1.2s'), D('frsqrte v0.2d, v1.2d'),
      S('frecpe s0, s1'), D('frsqrte d0, d1'), S('frecpx s0, s1'), D('frecpx d0, d1'), I('urecpe v0.4s, v1.4s'), I('ursqrte v0.2s, v1.2s'));
    await check(ops, 26, FPCR_MODES);
    // half-precision conversions again with FPCR.AHP
    await check([S('fcvtn v0.4h, v1.4s'), { asm: 'fcvtl2 v0.4s, v1.8h', lanes: 16 }], 27,
      FPCR_MODES.map((m) => m | (1 << 26)));
  });
});

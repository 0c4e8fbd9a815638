// The reference forward pass: against an independent Float32Array step-by-step computation,
// against an independent C implementation compiled for the host (the kernel's language), and
// exp_ref, argmax and confidence edge cases.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGolden } from '../src/data.ts';
import { ACT_IDENTITY, ACT_RELU, ACT_SOFTMAX, encodeGolden, encodeModel, type Model } from '../src/format.ts';
import { argmax, expRef, infer, pow2, softmaxConfidence } from '../src/forward.ts';
import { Prng } from '../src/prng.ts';
import { BASELINE_TRAINING, SLOW_EXTRA_LAYERS, SLOW_WIDTH, trainModel, widen } from '../src/samples.ts';
import { randomModel } from './helpers.ts';

/** The same forward pass written with Float32Array stores as the only rounding (no Math.fround). */
function forwardF32(model: Model, input: ArrayLike<number>): Float32Array[] {
  const t = new Float32Array(2); // t[0] = product, t[1] = accumulator
  let x = Float32Array.from(input);
  const outs: Float32Array[] = [];
  for (const l of model.layers) {
    const y = new Float32Array(l.out);
    for (let o = 0; o < l.out; o++) {
      t[1] = l.biases[o];
      for (let i = 0; i < l.in; i++) {
        t[0] = l.weights[o * l.in + i] * x[i];
        t[1] = t[1] + t[0];
      }
      y[o] = l.activation === ACT_RELU ? (t[1] > 0 ? t[1] : 0) : t[1];
    }
    outs.push(y);
    x = y;
  }
  return outs;
}

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(0)));

describe('forward pass', () => {
  const golden = buildGolden();
  const small = trainModel({ seed: 11, policy: 'reference', ...BASELINE_TRAINING, samples: 2000, epochs: 3 });

  it('equals an independent Float32Array computation bit for bit on every golden input (trained and random models)', () => {
    for (const model of [small, randomModel(5), randomModel(6, [7, 64, 3, 33, 5])]) {
      for (const x of golden.inputs) {
        const r = infer(model, x);
        const ref = forwardF32(model, x);
        expect(r.activations.length).toBe(model.layers.length);
        r.activations.forEach((a, k) => expect(bitsOf(a)).toEqual(bitsOf(ref[k])));
        expect(bitsOf(r.logits)).toEqual(bitsOf(ref[ref.length - 1]));
      }
    }
  });

  it('is deterministic and returns action, confidence and probabilities that fit together', () => {
    for (const x of golden.inputs.slice(0, 50)) {
      const a = infer(small, x);
      const b = infer(small, x);
      expect(bitsOf(a.logits)).toEqual(bitsOf(b.logits));
      expect(a.action).toBe(argmax(a.logits));
      expect(a.confidence).toBe(Math.min(1000, Math.floor(a.probabilities[a.action] * 1000)));
      const sum = a.probabilities.reduce((s, p) => s + p, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
      expect(a.confidence).toBeGreaterThanOrEqual(200); // the top of 5 is at least 1/5
    }
  });

  it('matches an independent C implementation (clang, -ffp-contract=off) bit for bit on the whole golden set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwdref-'));
    const exe = join(dir, 'forward_ref');
    execFileSync('clang-19', ['-std=c11', '-O2', '-ffp-contract=off', '-o', exe, join(__dirname, 'c', 'forward_ref.c'), '-lm']);
    const gpath = join(dir, 'golden.bin');
    writeFileSync(gpath, encodeGolden(golden));
    const fnv = (acts: Float32Array[]) => {
      let h = 2166136261;
      for (const a of acts) for (const byte of new Uint8Array(a.buffer.slice(0))) h = Math.imul(h ^ byte, 16777619) >>> 0;
      return h;
    };
    const wide = widen(small, SLOW_WIDTH / 4, SLOW_EXTRA_LAYERS); // the slow sample's shape, narrower to keep the test short
    for (const model of [small, randomModel(9), wide]) {
      const mpath = join(dir, 'model.bin');
      writeFileSync(mpath, encodeModel(model));
      const lines = execFileSync(exe, [mpath, gpath], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
      expect(lines.length).toBe(golden.inputs.length);
      golden.inputs.forEach((x, n) => {
        const r = infer(model, x);
        const mine = [r.action, r.confidence, ...bitsOf(r.logits).map((v) => v.toString(16).padStart(8, '0')), fnv(r.activations).toString(16).padStart(8, '0')].join(' ');
        expect(mine).toBe(lines[n]);
      });
    }
  });

  it('relu turns -0 and NaN into +0; identity hidden layers pass values through', () => {
    const m: Model = {
      inputDim: 2,
      layers: [
        { in: 2, out: 3, activation: ACT_RELU, weights: Float32Array.of(-1, 0, 0, 0, 3e38, 3e38), biases: Float32Array.of(0, -0, -Infinity) },
        { in: 3, out: 2, activation: ACT_IDENTITY, weights: Float32Array.of(1, 1, 1, 1, 1, 1), biases: Float32Array.of(0, 0) },
        { in: 2, out: 2, activation: ACT_SOFTMAX, weights: Float32Array.of(1, 0, 0, 1), biases: Float32Array.of(0, 0) },
      ],
    };
    // unit 0: -1*0 = -0, acc = 0 + -0 = +0; unit 1: -0 + 0 = +0; unit 2: -Inf + Inf = NaN -> relu -> +0
    const r = infer(m, [0, 1]);
    expect(Object.is(r.activations[0][0], 0)).toBe(true);
    expect(Object.is(r.activations[0][1], 0)).toBe(true);
    expect(Object.is(r.activations[0][2], 0)).toBe(true);
    const r2 = infer(m, [-2, 0]);
    expect(r2.activations[0][0]).toBe(2);
    expect(Array.from(r2.activations[1])).toEqual([2, 2]);
  });

  it('the action is the lowest index among equal logits; confidence is floor(1000 p)', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([0, 0, 0])).toBe(0);
    expect(argmax([NaN, 5, 1])).toBe(0); // the documented scan: NaN at index 0 is never beaten
    expect(argmax([1, NaN, 5])).toBe(2);
    expect(softmaxConfidence([0, 0, 0, 0, 0], 0).confidence).toBe(200);
    expect(softmaxConfidence([0, 0, 0], 0).confidence).toBe(333);
    expect(softmaxConfidence([100, 0, 0, 0, 0], 0).confidence).toBe(1000);
    // p = 1/(1+e^-1) = 0.7310585786 -> 731
    expect(softmaxConfidence([1, 0], 0).confidence).toBe(731);
  });

  it('non-finite logits give confidence 0 (documented), never an exception', () => {
    expect(softmaxConfidence([Infinity, 0, 0], 0).confidence).toBe(0);
    expect(softmaxConfidence([1, NaN, 0], 0).confidence).toBe(0);
    const big: Model = {
      inputDim: 1,
      layers: [{ in: 1, out: 2, activation: ACT_SOFTMAX, weights: Float32Array.of(3e38, 1), biases: Float32Array.of(3e38, 0) }],
    };
    const r = infer(big, [1]); // 3e38 + 3e38 overflows to +Inf
    expect(r.logits[0]).toBe(Infinity);
    expect(r.action).toBe(0);
    expect(r.confidence).toBe(0);
  });

  it('refuses an input of the wrong length', () => {
    expect(() => infer(small, [1, 2, 3])).toThrow(/7/);
  });
});

describe('exp_ref', () => {
  // exp_ref is defined for reproducibility, not for the last bit: its degree-11 Taylor polynomial
  // on |r| <= ln2/2 leaves a relative error up to r^12/12! ~ 6.3e-15 (about 30 ulp).
  it('is exact at 0 and within 1e-14 relative of Math.exp over [-708, 0]', () => {
    expect(expRef(0)).toBe(1);
    expect(expRef(-0)).toBe(1);
    const rng = new Prng(99);
    for (let n = 0; n < 20000; n++) {
      const x = n < 10000 ? -rng.float() * 40 : -rng.float() * 708;
      const got = expRef(x);
      const want = Math.exp(x);
      expect(Math.abs(got - want) / want, `x=${x}`).toBeLessThan(1e-14);
    }
  });
  it('is 0 below -708 and follows the documented range reduction', () => {
    expect(expRef(-708.0001)).toBe(0);
    expect(expRef(-1e308)).toBe(0);
    expect(expRef(-708)).toBeGreaterThan(0);
    expect(expRef(-Math.LN2)).toBeCloseTo(0.5, 15);
  });
  it('pow2 builds 2^k from the exponent bits', () => {
    expect(pow2(0)).toBe(1);
    expect(pow2(-1022)).toBe(2 ** -1022);
    expect(pow2(10)).toBe(1024);
    expect(() => pow2(-1023)).toThrow();
  });
});

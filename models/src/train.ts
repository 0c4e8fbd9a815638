// The trainer: a dense ReLU MLP with a softmax output, trained with Adam on mini-batches and the
// cross-entropy loss, in binary64, then rounded to f32 once for model.bin.
//
// Deterministic: the only randomness is our seeded PRNG (weight init and shuffling), and the only
// floating-point operations are + - * / and Math.sqrt (correctly rounded everywhere) and exp_ref,
// so the same seed and settings give the same bytes on every JS engine.

import { ACT_RELU, ACT_SOFTMAX, type Model } from './format.ts';
import { expRef } from './forward.ts';
import { Prng } from './prng.ts';
import type { Dataset } from './data.ts';

export interface TrainOptions {
  dims: number[]; // [input, hidden..., output], e.g. [7, 32, 16, 5]
  seed: number;
  epochs: number;
  batch: number;
  learningRate: number;
  /** The rate falls linearly per epoch from learningRate to this (default: learningRate). */
  finalLearningRate?: number;
  /** Train only the output layer (the hidden layers keep their seeded random weights). */
  readoutOnly?: boolean;
  onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

interface DLayer {
  n: number;
  m: number;
  W: Float64Array;
  b: Float64Array;
  gW: Float64Array;
  gb: Float64Array;
  mW: Float64Array;
  vW: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
}

export function train(data: Dataset, opts: TrainOptions): Model {
  const { dims, seed } = opts;
  const rng = new Prng(seed);
  const layers: DLayer[] = [];
  for (let k = 0; k + 1 < dims.length; k++) {
    const n = dims[k];
    const m = dims[k + 1];
    const limit = Math.sqrt(6 / n); // He-uniform: variance 2/n for ReLU
    const W = new Float64Array(m * n);
    for (let i = 0; i < W.length; i++) W[i] = rng.range(-limit, limit);
    layers.push({
      n, m, W, b: new Float64Array(m),
      gW: new Float64Array(m * n), gb: new Float64Array(m),
      mW: new Float64Array(m * n), vW: new Float64Array(m * n),
      mb: new Float64Array(m), vb: new Float64Array(m),
    });
  }
  const L = layers.length;
  const N = data.inputs.length;
  const order = Array.from({ length: N }, (_, i) => i);
  const acts: Float64Array[] = [new Float64Array(dims[0]), ...layers.map((l) => new Float64Array(l.m))];
  const deltas: Float64Array[] = layers.map((l) => new Float64Array(l.m));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let pow1 = 1; // beta^step by repeated products: Math.pow is not specified to the last bit
  let pow2 = 1;
  const firstTrained = opts.readoutOnly ? L - 1 : 0;

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    // Fisher-Yates with our PRNG
    for (let i = N - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const lr1 = opts.finalLearningRate ?? opts.learningRate;
    const rate = opts.epochs > 1 ? opts.learningRate + ((lr1 - opts.learningRate) * epoch) / (opts.epochs - 1) : opts.learningRate;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < N; start += opts.batch) {
      const end = Math.min(N, start + opts.batch);
      for (let k = firstTrained; k < L; k++) {
        layers[k].gW.fill(0);
        layers[k].gb.fill(0);
      }
      for (let s = start; s < end; s++) {
        const idx = order[s];
        const x = data.inputs[idx];
        const y = data.labels[idx];
        acts[0].set(x);
        for (let k = 0; k < L; k++) {
          const { n, m, W, b } = layers[k];
          const inp = acts[k];
          const out = acts[k + 1];
          for (let o = 0; o < m; o++) {
            let acc = b[o];
            const row = o * n;
            for (let i = 0; i < n; i++) acc += W[row + i] * inp[i];
            out[o] = k < L - 1 && acc < 0 ? 0 : acc;
          }
        }
        // softmax cross-entropy on the logits
        const z = acts[L];
        let mx = z[0];
        let best = 0;
        for (let i = 1; i < z.length; i++) if (z[i] > mx) { mx = z[i]; best = i; }
        if (best === y) correct++;
        let sum = 0;
        const dOut = deltas[L - 1];
        for (let i = 0; i < z.length; i++) {
          dOut[i] = expRef(z[i] - mx);
          sum += dOut[i];
        }
        for (let i = 0; i < z.length; i++) dOut[i] /= sum;
        lossSum += -logApprox(dOut[y]);
        dOut[y] -= 1;
        // backward
        for (let k = L - 1; k >= firstTrained; k--) {
          const { n, m, W, gW, gb } = layers[k];
          const d = deltas[k];
          const inp = acts[k];
          for (let o = 0; o < m; o++) {
            const dv = d[o];
            if (dv === 0) continue;
            gb[o] += dv;
            const row = o * n;
            for (let i = 0; i < n; i++) gW[row + i] += dv * inp[i];
          }
          if (k > firstTrained) {
            const dPrev = deltas[k - 1];
            for (let i = 0; i < n; i++) {
              if (inp[i] <= 0) {
                dPrev[i] = 0;
                continue;
              }
              let acc = 0;
              for (let o = 0; o < m; o++) acc += d[o] * W[o * n + i];
              dPrev[i] = acc;
            }
          }
        }
      }
      // Adam
      pow1 *= beta1;
      pow2 *= beta2;
      const scale = 1 / (end - start);
      const c1 = 1 - pow1;
      const c2 = 1 - pow2;
      const lr = rate;
      for (let k = firstTrained; k < L; k++) {
        const l = layers[k];
        adam(l.W, l.gW, l.mW, l.vW, scale, lr, beta1, beta2, c1, c2, eps);
        adam(l.b, l.gb, l.mb, l.vb, scale, lr, beta1, beta2, c1, c2, eps);
      }
    }
    opts.onEpoch?.(epoch, lossSum / N, correct / N);
  }
  return {
    inputDim: dims[0],
    layers: layers.map((l, k) => ({
      in: l.n,
      out: l.m,
      activation: k === L - 1 ? ACT_SOFTMAX : ACT_RELU,
      weights: Float32Array.from(l.W),
      biases: Float32Array.from(l.b),
    })),
  };
}

function adam(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, scale: number, lr: number,
  b1: number, b2: number, c1: number, c2: number, eps: number): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * scale;
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}

/** Natural log for the loss report only (never feeds the weights). */
function logApprox(p: number): number {
  return Math.log(Math.max(p, 1e-300));
}

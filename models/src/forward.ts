// The reference forward pass (docs/MODEL-FORMAT.md "The forward pass"): f32 dense layers with
// every product and sum rounded to f32 separately (Math.fround, no fused multiply-add), the
// action as the first index of the largest logit, and the probabilities in binary64 through
// exp_ref, a fixed polynomial exp that C and TypeScript both compute bit for bit.

import { ACT_RELU, ACT_SOFTMAX, type Model } from './format.ts';

export interface Inference {
  logits: Float32Array; // the output layer's acc values
  activations: Float32Array[]; // every layer's outputs, in order (the last one equals logits)
  probabilities: Float64Array; // binary64 softmax of the logits
  action: number;
  confidence: number; // 0..1000
}

const f = Math.fround;

/** Run one input through the model. Throws if the input does not have input_dim values. */
export function infer(model: Model, input: ArrayLike<number>): Inference {
  if (input.length !== model.inputDim) throw new Error(`input has ${input.length} values, the model takes ${model.inputDim}`);
  let x = Float32Array.from(input);
  const activations: Float32Array[] = [];
  for (const layer of model.layers) {
    const { in: n, out: m, weights: W, biases: b } = layer;
    const y = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      let acc = b[o];
      const row = o * n;
      for (let i = 0; i < n; i++) acc = f(acc + f(W[row + i] * x[i]));
      if (layer.activation === ACT_RELU) acc = acc > 0 ? acc : 0; // NaN and -0 become +0
      y[o] = acc;
    }
    activations.push(y);
    x = y;
  }
  const last = model.layers[model.layers.length - 1];
  const logits = activations[activations.length - 1];
  if (last.activation !== ACT_SOFTMAX) throw new Error('the last layer is not softmax');
  const action = argmax(logits);
  const { probabilities, confidence } = softmaxConfidence(logits, action);
  return { logits, activations, probabilities, action, confidence };
}

/** The lowest index among the largest logits (a strict > scan from index 0). */
export function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
  return best;
}

/**
 * Binary64 softmax and the integer confidence. When any logit is not finite (a model with huge
 * finite weights can overflow f32), every probability is NaN and the confidence is 0.
 */
export function softmaxConfidence(z: ArrayLike<number>, action: number): { probabilities: Float64Array; confidence: number } {
  const n = z.length;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(z[i])) {
      p.fill(NaN);
      return { probabilities: p, confidence: 0 };
    }
  }
  let m = z[0];
  for (let i = 1; i < n; i++) if (z[i] > m) m = z[i];
  let s = 0;
  for (let i = 0; i < n; i++) {
    p[i] = expRef(z[i] - m);
    s += p[i];
  }
  for (let i = 0; i < n; i++) p[i] = p[i] / s;
  const confidence = Math.min(1000, Math.floor(p[action] * 1000));
  return { probabilities: p, confidence };
}

// c_n = 1 / n!, each the binary64 quotient of 1 by the exactly representable n!
const EXP_COEF: number[] = (() => {
  const c: number[] = [];
  let fact = 1;
  for (let n = 0; n <= 11; n++) {
    if (n > 0) fact *= n;
    c.push(1 / fact);
  }
  return c;
})();

const LOG2E = 1.4426950408889634;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/** exp_ref(x) for binary64 x <= 0, exactly as MODEL-FORMAT.md defines it. */
export function expRef(x: number): number {
  if (x < -708) return 0;
  const k = Math.floor(x * LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = EXP_COEF[11];
  for (let n = 10; n >= 0; n--) p = p * r + EXP_COEF[n];
  return p * pow2(k);
}

/** 2^k for an integer k in [-1022, 1023], built from its exponent bits. */
export function pow2(k: number): number {
  if (!Number.isInteger(k) || k < -1022 || k > 1023) throw new Error(`pow2: exponent ${k} out of range`);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, (k + 1023) << 20, false);
  dv.setUint32(4, 0, false);
  return dv.getFloat64(0, false);
}

/** Accuracy of a model on labelled inputs, plus per-action counts. */
export function evaluate(model: Model, inputs: ArrayLike<number>[], labels: number[], numActions: number) {
  let correct = 0;
  const perAction = Array.from({ length: numActions }, () => ({ total: 0, correct: 0 }));
  const predictions: number[] = [];
  for (let n = 0; n < inputs.length; n++) {
    const a = infer(model, inputs[n]).action;
    predictions.push(a);
    perAction[labels[n]].total++;
    if (a === labels[n]) {
      correct++;
      perAction[labels[n]].correct++;
    }
  }
  return { accuracy: correct / inputs.length, correct, total: inputs.length, perAction, predictions };
}

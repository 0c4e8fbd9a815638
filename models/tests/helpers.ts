// Shared fixtures for the models tests: a small trained model and a hand-made one.
import { ACT_RELU, ACT_SOFTMAX, encodeModel, type Model } from '../src/format.ts';
import { Prng } from '../src/prng.ts';

/** A random 7-6-4-5 model (not trained): enough to exercise every byte of the format. */
export function randomModel(seed = 7, dims = [7, 6, 4, 5]): Model {
  const rng = new Prng(seed);
  return {
    inputDim: dims[0],
    layers: dims.slice(1).map((out, k) => ({
      in: dims[k],
      out,
      activation: k === dims.length - 2 ? ACT_SOFTMAX : ACT_RELU,
      weights: Float32Array.from({ length: out * dims[k] }, () => rng.range(-1, 1)),
      biases: Float32Array.from({ length: out }, () => rng.range(-0.5, 0.5)),
    })),
  };
}

export function randomModelBytes(seed = 7): Uint8Array {
  return encodeModel(randomModel(seed));
}

export function setU16(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint16(off, v, true);
  return c;
}
export function setU32(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(off, v, true);
  return c;
}
export function setF32(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setFloat32(off, v, true);
  return c;
}

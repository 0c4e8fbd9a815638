// The sample versions of the seed bundle, the platform's golden set, and the bundle itself.
// Every sample is rebuilt from its seed here, so `npm run models -- bundle` reproduces
// models/dist/seed-bundle.tar byte for byte (Ed25519 signatures are deterministic too).

import { buildGolden, drawDataset, GOLDEN_PER_ACTION, GOLDEN_SEED } from './data.ts';
import {
  ACT_RELU, ACT_SOFTMAX, KIND_GOLDEN, KIND_MODEL, architectureOf, encodeGolden, encodeModel, hex, layerDims,
  paramCount, type GoldenSet, type Layer, type Model,
} from './format.ts';
import { evaluate } from './forward.ts';
import { sha256, type SecretKey } from './keys.ts';
import { encodeManifest, signFiles, type GoldenManifest, type ModelManifest } from './package.ts';
import { POLICIES, NUM_ACTIONS, INPUT_DIM } from './task.ts';
import { train } from './train.ts';
import { writeTar, type TarEntry } from './ustar.ts';

export const GOLDEN_NAME = 'golden';
export const DEFAULT_VERSION = 'v1.0.0';

export interface TrainSpec {
  seed: number;
  policy: string;
  dims: number[];
  samples: number;
  epochs: number;
  batch: number;
  learningRate: number;
  finalLearningRate: number;
}

export const BASELINE_TRAINING: Omit<TrainSpec, 'seed' | 'policy'> = {
  dims: [7, 32, 16, 5],
  samples: 30000,
  epochs: 50,
  batch: 16,
  learningRate: 0.005,
  finalLearningRate: 0.0001,
};

/** The dataset of a training run is drawn with seed + DATA_SEED_OFFSET; the weights use seed. */
export const DATA_SEED_OFFSET = 0x10000;

export function trainModel(spec: TrainSpec): Model {
  const policy = POLICIES[spec.policy];
  if (!policy) throw new Error(`unknown policy "${spec.policy}" (known: ${Object.keys(POLICIES).join(', ')})`);
  const data = drawDataset(spec.seed + DATA_SEED_OFFSET, spec.samples, policy);
  return train(data, {
    dims: spec.dims, seed: spec.seed, epochs: spec.epochs, batch: spec.batch,
    learningRate: spec.learningRate, finalLearningRate: spec.finalLearningRate,
  });
}

/**
 * Net2Net-style (Chen, Goodfellow, Shlens 2016) function-preserving growth of a 2-hidden-layer
 * ReLU MLP: every hidden unit is replicated `width / units` times (outgoing weights divided by the
 * replica count, a power of two, so each share is exact), and `extra` averaging layers are
 * inserted after the second hidden layer (each unit the mean of its own replicas, which are equal,
 * so ReLU passes it through). The result computes the same function as `base` up to f32 rounding
 * order, with width*width multiply-adds per extra layer: a real, accurate, slow model.
 */
export function widen(base: Model, width: number, extra: number): Model {
  if (base.layers.length !== 3) throw new Error('widen: expects a model with two hidden layers');
  const [l0, l1, l2] = base.layers;
  const r0 = width / l0.out;
  const r1 = width / l1.out;
  for (const r of [r0, r1]) if (!Number.isInteger(r) || (r & (r - 1)) !== 0) throw new Error('widen: width must be a power-of-two multiple of each hidden width');
  const unit0 = (u: number) => u % l0.out; // replica u of base unit u % out
  const unit1 = (u: number) => u % l1.out;
  const L0: Layer = { in: l0.in, out: width, activation: ACT_RELU, weights: new Float32Array(width * l0.in), biases: new Float32Array(width) };
  for (let u = 0; u < width; u++) {
    const j = unit0(u);
    L0.weights.set(l0.weights.subarray(j * l0.in, (j + 1) * l0.in), u * l0.in);
    L0.biases[u] = l0.biases[j];
  }
  const L1: Layer = { in: width, out: width, activation: ACT_RELU, weights: new Float32Array(width * width), biases: new Float32Array(width) };
  for (let u = 0; u < width; u++) {
    const j = unit1(u);
    for (let v = 0; v < width; v++) L1.weights[u * width + v] = l1.weights[j * l1.in + unit0(v)] / r0;
    L1.biases[u] = l1.biases[j];
  }
  const layers: Layer[] = [L0, L1];
  for (let e = 0; e < extra; e++) {
    const M: Layer = { in: width, out: width, activation: ACT_RELU, weights: new Float32Array(width * width), biases: new Float32Array(width) };
    for (let u = 0; u < width; u++) for (let v = 0; v < width; v++) if (unit1(u) === unit1(v)) M.weights[u * width + v] = 1 / r1;
    layers.push(M);
  }
  const Lout: Layer = { in: width, out: l2.out, activation: ACT_SOFTMAX, weights: new Float32Array(l2.out * width), biases: Float32Array.from(l2.biases) };
  for (let a = 0; a < l2.out; a++) for (let v = 0; v < width; v++) Lout.weights[a * width + v] = l2.weights[a * l2.in + unit1(v)] / r1;
  layers.push(Lout);
  return { inputDim: base.inputDim, layers };
}

export type Fate = 'healthy' | 'fails accuracy gate' | 'fails latency gate' | 'refused at load';

export interface SampleSpec {
  version: string;
  created: string;
  description: string;
  fate: Fate;
  expected: string; // what the kernel must do with it, for docs and tests
  build: (ctx: BuildContext) => SampleBuild;
}

export interface SampleBuild {
  model: Model;
  training: Record<string, unknown>;
  signer?: 'dev' | 'untrusted';
  /** Tamper with the signed files (the package is signed first, then this runs). */
  tamper?: (files: { data: Uint8Array; manifest: Uint8Array; sig: Uint8Array }) => { data: Uint8Array; manifest: Uint8Array; sig: Uint8Array };
  /** Publish another version's three files unchanged under this name. */
  replayOf?: string;
}

export interface BuildContext {
  golden: GoldenSet;
  model(version: string): Model; // a sample model built earlier (memoized)
  training(version: string): Record<string, unknown>; // its training facts
}

function trained(spec: TrainSpec, golden: GoldenSet): { model: Model; training: Record<string, unknown> } {
  const model = trainModel(spec);
  return {
    model,
    training: {
      seed: spec.seed,
      samples: spec.samples,
      epochs: spec.epochs,
      policy: spec.policy,
      golden_accuracy: round4(evaluate(model, golden.inputs, golden.labels, NUM_ACTIONS).accuracy),
      optimizer: `adam batch ${spec.batch} lr ${spec.learningRate}->${spec.finalLearningRate}`,
    },
  };
}

export const SLOW_WIDTH = 512;
export const SLOW_EXTRA_LAYERS = 2;

export const SAMPLES: SampleSpec[] = [
  {
    version: 'v1.0.0',
    created: '2026-11-01T00:00:00Z',
    description: 'baseline: trained on the reference policy (the bundle default)',
    fate: 'healthy',
    expected: 'imports, passes every gate, activated as the default',
    build: ({ golden }) => trained({ seed: 1, policy: 'reference', ...BASELINE_TRAINING }, golden),
  },
  {
    version: 'v1.1.0',
    created: '2026-11-15T00:00:00Z',
    description: 'retrained candidate: same recipe, another seed; mostly agrees with v1.0.0',
    fate: 'healthy',
    expected: 'imports, passes every gate; swap to it succeeds',
    build: ({ golden }) => trained({ seed: 2, policy: 'reference', ...BASELINE_TRAINING }, golden),
  },
  {
    version: 'v2.0.0-shifted',
    created: '2026-11-20T00:00:00Z',
    description: 'candidate trained on a shifted policy: fails the accuracy gate, diverges live',
    fate: 'fails accuracy gate',
    expected: 'imports (validly signed); health fails the accuracy gate (< 95% on the golden set); swap refused',
    build: ({ golden }) => trained({ seed: 3, policy: 'shifted', ...BASELINE_TRAINING }, golden),
  },
  {
    version: 'v1.2.0-slow',
    created: '2026-11-22T00:00:00Z',
    description: 'v1.0.0 grown to 7-512-512-512-512-5 (same function, ~900x the multiply-adds): too slow',
    fate: 'fails latency gate',
    expected: 'imports (validly signed, accurate, 3.2 MB < 10 MB); health fails the p99 < 1 ms latency gate; swap refused',
    build: (ctx) => {
      const model = widen(ctx.model('v1.0.0'), SLOW_WIDTH, SLOW_EXTRA_LAYERS);
      return {
        model,
        training: {
          seed: 1,
          samples: BASELINE_TRAINING.samples,
          epochs: BASELINE_TRAINING.epochs,
          policy: 'reference',
          golden_accuracy: round4(evaluate(model, ctx.golden.inputs, ctx.golden.labels, NUM_ACTIONS).accuracy),
          grown_from: 'v1.0.0',
        },
      };
    },
  },
  {
    version: 'v1.0.1-badsig',
    created: '2026-11-02T00:00:00Z',
    description: 'v1.0.0 weights, signature bytes flipped after signing',
    fate: 'refused at load',
    expected: 'refused: bad signature (the Ed25519 signature does not verify)',
    build: (ctx) => ({
      model: ctx.model('v1.0.0'),
      training: ctx.training('v1.0.0'),
      tamper: (f) => {
        const sig = f.sig.slice();
        sig[16] ^= 0x01; // first byte of R
        sig[79] ^= 0x01; // last byte of S
        return { ...f, sig };
      },
    }),
  },
  {
    version: 'v1.0.2-untrusted',
    created: '2026-11-03T00:00:00Z',
    description: 'v1.0.0 weights, validly signed by the untrusted test key',
    fate: 'refused at load',
    expected: 'refused: untrusted key (key id of the untrusted test key is not compiled in)',
    build: (ctx) => ({
      model: ctx.model('v1.0.0'),
      training: ctx.training('v1.0.0'),
      signer: 'untrusted',
    }),
  },
  {
    version: 'v1.0.3-corrupt',
    created: '2026-11-04T00:00:00Z',
    description: 'v1.0.0 weights, model.bin truncated after signing',
    fate: 'refused at load',
    expected: 'refused: size mismatch (model.bin is shorter than the manifest says; its SHA-256 and the signature no longer match either)',
    build: (ctx) => ({
      model: ctx.model('v1.0.0'),
      training: ctx.training('v1.0.0'),
      tamper: (f) => ({ ...f, data: f.data.slice(0, 2000) }),
    }),
  },
  {
    version: 'v1.0.4-replay',
    created: '2026-11-01T00:00:00Z',
    description: "v1.0.0's three files, unchanged, published under another version name",
    fate: 'refused at load',
    expected: 'refused: manifest version mismatch ("v1.0.0" in a package named v1.0.4-replay; the signature binds the name too)',
    build: (ctx) => ({ model: ctx.model('v1.0.0'), training: {}, replayOf: 'v1.0.0' }),
  },
];

export interface BuiltPackage {
  version: string;
  spec: SampleSpec;
  model: Model;
  files: { data: Uint8Array; manifest: Uint8Array; sig: Uint8Array };
}

export interface Bundle {
  tar: Uint8Array;
  golden: { set: GoldenSet; files: { data: Uint8Array; manifest: Uint8Array; sig: Uint8Array } };
  packages: BuiltPackage[];
  bundleJson: Uint8Array;
}

export function modelManifest(version: string, created: string, description: string, model: Model, data: Uint8Array,
  signer: string, training: Record<string, unknown>): ModelManifest {
  return {
    format: 1,
    version,
    created,
    architecture: architectureOf(model),
    layers: layerDims(model),
    parameters: paramCount(model.layers),
    size: data.length,
    sha256: hex(sha256(data)),
    signer,
    description,
    training: training as ModelManifest['training'],
  };
}

/** Write and sign a model package's three files. */
export function packageModel(version: string, created: string, description: string, model: Model,
  training: Record<string, unknown>, key: SecretKey) {
  const data = encodeModel(model);
  const manifest = encodeManifest(modelManifest(version, created, description, model, data, key.id, training));
  return { data, manifest, sig: signFiles(KIND_MODEL, version, data, manifest, key) };
}

export function packageGolden(set: GoldenSet, key: SecretKey) {
  const data = encodeGolden(set);
  const m: GoldenManifest = {
    format: 1,
    version: GOLDEN_NAME,
    created: '2026-11-01T00:00:00Z',
    size: data.length,
    sha256: hex(sha256(data)),
    signer: key.id,
    description: `platform golden set: ${GOLDEN_PER_ACTION} inputs per action labelled by the reference policy, PRNG seed 0x${GOLDEN_SEED.toString(16)}`,
    count: set.inputs.length,
    input_dim: INPUT_DIM,
    num_actions: NUM_ACTIONS,
  };
  const manifest = encodeManifest(m);
  return { data, manifest, sig: signFiles(KIND_GOLDEN, GOLDEN_NAME, data, manifest, key) };
}

export function buildBundle(keys: { dev: SecretKey; untrusted: SecretKey }, samples = SAMPLES): Bundle {
  const goldenSet = buildGolden();
  const goldenFiles = packageGolden(goldenSet, keys.dev);
  const models = new Map<string, Model>();
  const trainings = new Map<string, Record<string, unknown>>();
  const built = new Map<string, BuiltPackage>();
  const ctx: BuildContext = {
    golden: goldenSet,
    model(version) {
      const m = models.get(version);
      if (!m) throw new Error(`sample ${version} must be built before the samples that use it`);
      return m;
    },
    training(version) {
      const t = trainings.get(version);
      if (!t) throw new Error(`sample ${version} must be built before the samples that use it`);
      return { ...t };
    },
  };
  const packages: BuiltPackage[] = [];
  for (const spec of samples) {
    const b = spec.build(ctx);
    models.set(spec.version, b.model);
    trainings.set(spec.version, b.training);
    let files;
    if (b.replayOf) {
      const src = built.get(b.replayOf);
      if (!src) throw new Error(`replay of unknown sample ${b.replayOf}`);
      files = { ...src.files };
    } else {
      files = packageModel(spec.version, spec.created, spec.description, b.model, b.training, b.signer === 'untrusted' ? keys.untrusted : keys.dev);
      if (b.tamper) files = b.tamper(files);
    }
    const pkg = { version: spec.version, spec, model: b.model, files };
    built.set(spec.version, pkg);
    packages.push(pkg);
  }
  const bundleJson = new TextEncoder().encode(
    JSON.stringify({ format: 1, default: DEFAULT_VERSION, golden: GOLDEN_NAME, packages: packages.map((p) => p.version) }) + '\n',
  );
  const entries: TarEntry[] = [
    { name: 'bundle.json', data: bundleJson },
    { name: `${GOLDEN_NAME}/golden.bin`, data: goldenFiles.data },
    { name: `${GOLDEN_NAME}/manifest.json`, data: goldenFiles.manifest },
    { name: `${GOLDEN_NAME}/golden.sig`, data: goldenFiles.sig },
  ];
  for (const p of packages) {
    entries.push({ name: `${p.version}/model.bin`, data: p.files.data });
    entries.push({ name: `${p.version}/manifest.json`, data: p.files.manifest });
    entries.push({ name: `${p.version}/model.sig`, data: p.files.sig });
  }
  return { tar: writeTar(entries), golden: { set: goldenSet, files: goldenFiles }, packages, bundleJson };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

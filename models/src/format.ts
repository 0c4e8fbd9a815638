// model.bin, golden.bin and model.sig: writers and strict readers for docs/MODEL-FORMAT.md (v1).
//
// The readers are the reference for what the kernel must refuse: every rule of the doc is checked,
// in an order that never reads past the end of the buffer and never sizes an allocation from an
// unchecked field, and each refusal names the rule that failed (FormatError.rule).

import { INPUT_DIM, NUM_ACTIONS } from './task.ts';

export const MODEL_MAGIC = 'SISM';
export const GOLDEN_MAGIC = 'SISD';
export const SIG_MAGIC = 'SISS';
export const FORMAT_VERSION = 1;
export const HEADER_FIXED = 32;
export const LAYER_ENTRY = 8;
export const MAX_LAYERS = 8;
export const MAX_DIM = 1024;
export const SIG_SIZE = 80;
export const GOLDEN_HEADER = 16;
export const MAX_GOLDEN = 65536;

export const ACT_IDENTITY = 0;
export const ACT_RELU = 1;
export const ACT_SOFTMAX = 2;
export const ACTIVATION_NAMES = ['identity', 'relu', 'softmax'];

export class FormatError extends Error {
  constructor(
    readonly rule: string,
    readonly detail: string,
  ) {
    super(`${rule}: ${detail}`);
    this.name = 'FormatError';
  }
}

export interface Layer {
  in: number;
  out: number;
  activation: number;
  weights: Float32Array; // out*in, row-major W[o][i] at o*in + i
  biases: Float32Array; // out
}

export interface Model {
  inputDim: number;
  layers: Layer[];
}

export function paramCount(shapes: { in: number; out: number }[]): number {
  let n = 0;
  for (const l of shapes) n += l.out * l.in + l.out;
  return n;
}

export function headerSize(numLayers: number): number {
  return HEADER_FIXED + LAYER_ENTRY * numLayers;
}

/** Describe an architecture the way manifests do: "mlp 7-32-16-5 relu/softmax". */
export function architectureOf(model: Model): string {
  const dims = [model.inputDim, ...model.layers.map((l) => l.out)];
  const acts = [...new Set(model.layers.map((l) => ACTIVATION_NAMES[l.activation]))];
  return `mlp ${dims.join('-')} ${acts.join('/')}`;
}

export function layerDims(model: Model): number[] {
  return [model.inputDim, ...model.layers.map((l) => l.out)];
}

/** Serialize a model. Refuses (throws FormatError) anything the reader would refuse. */
export function encodeModel(model: Model): Uint8Array {
  const L = model.layers.length;
  const params = paramCount(model.layers);
  const hs = headerSize(L);
  const buf = new Uint8Array(hs + 4 * params);
  const dv = new DataView(buf.buffer);
  buf.set(ascii(MODEL_MAGIC), 0);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, hs, true);
  dv.setUint32(8, 0, true);
  dv.setUint16(12, L, true);
  dv.setUint16(14, model.inputDim, true);
  dv.setUint32(16, params, true);
  dv.setUint32(20, 4 * params, true);
  let off = hs;
  model.layers.forEach((l, k) => {
    if (l.weights.length !== l.in * l.out || l.biases.length !== l.out) {
      throw new FormatError('layer arrays', `layer ${k}: ${l.weights.length} weights and ${l.biases.length} biases for ${l.in}x${l.out}`);
    }
    const e = HEADER_FIXED + LAYER_ENTRY * k;
    dv.setUint16(e, l.in, true);
    dv.setUint16(e + 2, l.out, true);
    dv.setUint8(e + 4, l.activation);
    for (const w of l.weights) {
      dv.setFloat32(off, w, true);
      off += 4;
    }
    for (const b of l.biases) {
      dv.setFloat32(off, b, true);
      off += 4;
    }
  });
  decodeModel(buf); // the writer never produces a file the reader refuses
  return buf;
}

export interface DecodeOptions {
  /** Also require the v1 decision task's shape: 7 inputs, 5 outputs. */
  task?: boolean;
}

/** Parse and validate model.bin. Throws FormatError naming the first rule that fails. */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): Model {
  const dv = view(bytes);
  if (bytes.length < HEADER_FIXED) throw new FormatError('truncated header', `${bytes.length} bytes, the fixed header is ${HEADER_FIXED}`);
  if (!hasMagic(bytes, MODEL_MAGIC)) {
    if (hasMagic(bytes, GOLDEN_MAGIC)) throw new FormatError('bad magic', 'this is a golden set (SISD), not a model (SISM)');
    throw new FormatError('bad magic', `expected "SISM", found ${hex(bytes.subarray(0, 4))}`);
  }
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw new FormatError('unsupported format version', `version ${version}, this reader knows ${FORMAT_VERSION}`);
  const flags = dv.getUint32(8, true);
  if (flags !== 0) throw new FormatError('unknown flags', `flags 0x${flags.toString(16)}`);
  const L = dv.getUint16(12, true);
  if (L < 1 || L > MAX_LAYERS) throw new FormatError('num_layers out of range', `${L} layers (1..${MAX_LAYERS})`);
  const hs = dv.getUint16(6, true);
  if (hs !== headerSize(L)) throw new FormatError('header_size mismatch', `header_size ${hs}, ${L} layers need ${headerSize(L)}`);
  for (let i = 24; i < 32; i++) if (bytes[i] !== 0) throw new FormatError('reserved bytes not zero', `header byte ${i} is ${bytes[i]}`);
  const inputDim = dv.getUint16(14, true);
  if (inputDim < 1 || inputDim > MAX_DIM) throw new FormatError('input_dim out of range', `input_dim ${inputDim} (1..${MAX_DIM})`);
  if (bytes.length < hs) throw new FormatError('truncated header', `${bytes.length} bytes, the header with its layer table is ${hs}`);

  const shapes: { in: number; out: number; activation: number }[] = [];
  for (let k = 0; k < L; k++) {
    const e = HEADER_FIXED + LAYER_ENTRY * k;
    const lin = dv.getUint16(e, true);
    const lout = dv.getUint16(e + 2, true);
    const act = dv.getUint8(e + 4);
    for (let i = e + 5; i < e + 8; i++) if (bytes[i] !== 0) throw new FormatError('reserved bytes not zero', `layer ${k} entry byte ${i - e} is ${bytes[i]}`);
    if (lin < 1 || lin > MAX_DIM || lout < 1 || lout > MAX_DIM) throw new FormatError('layer shape out of range', `layer ${k} is ${lin}x${lout} (1..${MAX_DIM} each)`);
    const expectIn = k === 0 ? inputDim : shapes[k - 1].out;
    if (lin !== expectIn) throw new FormatError('layer chain inconsistent', `layer ${k} has in=${lin}, expected ${expectIn}`);
    if (act > ACT_SOFTMAX) throw new FormatError('unknown activation', `layer ${k} activation ${act}`);
    if (act === ACT_SOFTMAX && k !== L - 1) throw new FormatError('softmax not last', `layer ${k} of ${L} is softmax`);
    if (k === L - 1 && act !== ACT_SOFTMAX) throw new FormatError('last layer not softmax', `layer ${k} activation ${ACTIVATION_NAMES[act]}`);
    shapes.push({ in: lin, out: lout, activation: act });
  }
  const params = paramCount(shapes);
  const pc = dv.getUint32(16, true);
  if (pc !== params) throw new FormatError('param_count mismatch', `header says ${pc}, the layer table gives ${params}`);
  const pb = dv.getUint32(20, true);
  if (pb !== 4 * params) throw new FormatError('payload_bytes mismatch', `header says ${pb}, expected ${4 * params}`);
  if (bytes.length !== hs + pb) throw new FormatError('file size mismatch', `${bytes.length} bytes, header + payload is ${hs + pb}`);
  if (opts.task) {
    if (inputDim !== INPUT_DIM) throw new FormatError('not a v1 task model', `input_dim ${inputDim}, the v1 task has ${INPUT_DIM}`);
    if (shapes[L - 1].out !== NUM_ACTIONS) throw new FormatError('not a v1 task model', `${shapes[L - 1].out} outputs, the v1 task has ${NUM_ACTIONS}`);
  }

  let off = hs;
  const layers: Layer[] = shapes.map((s, k) => {
    const weights = new Float32Array(s.in * s.out);
    for (let i = 0; i < weights.length; i++, off += 4) {
      const w = dv.getFloat32(off, true);
      if (!Number.isFinite(w)) throw new FormatError('non-finite parameter', `layer ${k} weight ${i} is ${w}`);
      weights[i] = w;
    }
    const biases = new Float32Array(s.out);
    for (let i = 0; i < biases.length; i++, off += 4) {
      const b = dv.getFloat32(off, true);
      if (!Number.isFinite(b)) throw new FormatError('non-finite parameter', `layer ${k} bias ${i} is ${b}`);
      biases[i] = b;
    }
    return { ...s, weights, biases };
  });
  return { inputDim, layers };
}

// ---- golden.bin ----

export interface GoldenSet {
  inputDim: number;
  numActions: number;
  inputs: Float32Array[]; // each inputDim long
  labels: number[];
}

export function goldenRecordSize(inputDim: number): number {
  return 4 * inputDim + 4;
}

export function encodeGolden(g: GoldenSet): Uint8Array {
  const N = g.inputs.length;
  const rec = goldenRecordSize(g.inputDim);
  const buf = new Uint8Array(GOLDEN_HEADER + N * rec);
  const dv = new DataView(buf.buffer);
  buf.set(ascii(GOLDEN_MAGIC), 0);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, g.inputDim, true);
  dv.setUint16(8, g.numActions, true);
  dv.setUint32(12, N, true);
  for (let n = 0; n < N; n++) {
    const o = GOLDEN_HEADER + n * rec;
    if (g.inputs[n].length !== g.inputDim) throw new FormatError('golden record', `record ${n} has ${g.inputs[n].length} features`);
    for (let i = 0; i < g.inputDim; i++) dv.setFloat32(o + 4 * i, g.inputs[n][i], true);
    dv.setUint32(o + 4 * g.inputDim, g.labels[n], true);
  }
  decodeGolden(buf);
  return buf;
}

export function decodeGolden(bytes: Uint8Array, opts: DecodeOptions = {}): GoldenSet {
  const dv = view(bytes);
  if (bytes.length < GOLDEN_HEADER) throw new FormatError('truncated header', `${bytes.length} bytes, the golden header is ${GOLDEN_HEADER}`);
  if (!hasMagic(bytes, GOLDEN_MAGIC)) {
    if (hasMagic(bytes, MODEL_MAGIC)) throw new FormatError('bad magic', 'this is a model (SISM), not a golden set (SISD)');
    throw new FormatError('bad magic', `expected "SISD", found ${hex(bytes.subarray(0, 4))}`);
  }
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw new FormatError('unsupported format version', `version ${version}, this reader knows ${FORMAT_VERSION}`);
  const inputDim = dv.getUint16(6, true);
  const numActions = dv.getUint16(8, true);
  if (inputDim < 1 || inputDim > MAX_DIM) throw new FormatError('input_dim out of range', `input_dim ${inputDim} (1..${MAX_DIM})`);
  if (numActions < 1 || numActions > MAX_DIM) throw new FormatError('num_actions out of range', `num_actions ${numActions} (1..${MAX_DIM})`);
  if (dv.getUint16(10, true) !== 0) throw new FormatError('reserved bytes not zero', 'golden header bytes 10..11');
  const N = dv.getUint32(12, true);
  if (N < 1 || N > MAX_GOLDEN) throw new FormatError('count out of range', `count ${N} (1..${MAX_GOLDEN})`);
  const rec = goldenRecordSize(inputDim);
  if (bytes.length !== GOLDEN_HEADER + N * rec) throw new FormatError('file size mismatch', `${bytes.length} bytes, ${N} records need ${GOLDEN_HEADER + N * rec}`);
  if (opts.task && (inputDim !== INPUT_DIM || numActions !== NUM_ACTIONS)) {
    throw new FormatError('not a v1 task golden set', `${inputDim} features and ${numActions} actions, the v1 task has ${INPUT_DIM} and ${NUM_ACTIONS}`);
  }
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (let n = 0; n < N; n++) {
    const o = GOLDEN_HEADER + n * rec;
    const x = new Float32Array(inputDim);
    for (let i = 0; i < inputDim; i++) {
      x[i] = dv.getFloat32(o + 4 * i, true);
      if (!Number.isFinite(x[i])) throw new FormatError('non-finite feature', `record ${n} feature ${i} is ${x[i]}`);
    }
    const lab = dv.getUint32(o + 4 * inputDim, true);
    if (lab >= numActions) throw new FormatError('label out of range', `record ${n} label ${lab} (0..${numActions - 1})`);
    inputs.push(x);
    labels.push(lab);
  }
  return { inputDim, numActions, inputs, labels };
}

// ---- model.sig / golden.sig and the signed message ----

export const SIG_ALG_ED25519 = 1;
export const KIND_MODEL = 1;
export const KIND_GOLDEN = 2;
export const SIG_DOMAIN = 'SIS-MODEL-SIG-v1';

export interface SigFile {
  keyId: Uint8Array; // 8 bytes
  signature: Uint8Array; // 64 bytes, R || S
}

export function encodeSig(s: SigFile): Uint8Array {
  if (s.keyId.length !== 8 || s.signature.length !== 64) throw new FormatError('sig fields', 'key id must be 8 bytes and the signature 64');
  const buf = new Uint8Array(SIG_SIZE);
  const dv = new DataView(buf.buffer);
  buf.set(ascii(SIG_MAGIC), 0);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, SIG_ALG_ED25519, true);
  buf.set(s.keyId, 8);
  buf.set(s.signature, 16);
  return buf;
}

export function decodeSig(bytes: Uint8Array): SigFile {
  if (bytes.length !== SIG_SIZE) throw new FormatError('signature file size', `${bytes.length} bytes, a signature file is exactly ${SIG_SIZE}`);
  const dv = view(bytes);
  if (!hasMagic(bytes, SIG_MAGIC)) throw new FormatError('bad magic', `expected "SISS", found ${hex(bytes.subarray(0, 4))}`);
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw new FormatError('unsupported format version', `signature version ${version}`);
  const alg = dv.getUint16(6, true);
  if (alg !== SIG_ALG_ED25519) throw new FormatError('unknown signature algorithm', `algorithm ${alg}, only 1 (Ed25519) is known`);
  return { keyId: bytes.slice(8, 16), signature: bytes.slice(16, 80) };
}

/** The exact bytes a package's Ed25519 signature covers. */
export function signedMessage(kind: number, name: string, dataSha256: Uint8Array, manifestSha256: Uint8Array): Uint8Array {
  if (kind !== KIND_MODEL && kind !== KIND_GOLDEN) throw new FormatError('signature kind', `kind ${kind}`);
  const nameBytes = ascii(name);
  if (nameBytes.length < 1 || nameBytes.length > 32) throw new FormatError('name length', `name is ${nameBytes.length} bytes (1..32)`);
  if (dataSha256.length !== 32 || manifestSha256.length !== 32) throw new FormatError('digest length', 'SHA-256 digests are 32 bytes');
  const msg = new Uint8Array(16 + 2 + nameBytes.length + 64);
  msg.set(ascii(SIG_DOMAIN), 0);
  msg[16] = kind;
  msg[17] = nameBytes.length;
  msg.set(nameBytes, 18);
  msg.set(dataSha256, 18 + nameBytes.length);
  msg.set(manifestSha256, 18 + nameBytes.length + 32);
  return msg;
}

// ---- version names ----

export const RESERVED_NAMES = ['active', 'shadow', 'rollback', 'golden', 'registry.json', 'history.jsonl'];

/** Why a version name is refused, or null when it is valid (MODEL-FORMAT.md "Version names"). */
export function versionNameProblem(name: string, opts: { allowReserved?: boolean } = {}): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty name';
  if (name.length > 32) return `name is ${name.length} bytes (at most 32)`;
  if (!/^[A-Za-z0-9._+-]+$/.test(name)) return 'name has a byte outside A-Z a-z 0-9 . _ + -';
  if (!/^[A-Za-z0-9]/.test(name)) return 'name must start with a letter or digit';
  if (name.includes('..')) return 'name contains ".."';
  if (!opts.allowReserved && RESERVED_NAMES.includes(name)) return `"${name}" is reserved by the registry`;
  return null;
}

// ---- helpers ----

export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new FormatError('not ASCII', JSON.stringify(s));
    out[i] = c;
  }
  return out;
}

// hex/fromHex without Node's Buffer: the dashboard runs this module in the browser.
export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error(`not lowercase hex: ${JSON.stringify(s.slice(0, 20))}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hasMagic(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < 4) return false;
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

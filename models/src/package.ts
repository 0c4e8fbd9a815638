// Model packages and the golden set as files: manifest.json, signing, and the full verification a
// loader performs (docs/MODEL-FORMAT.md). verifyPackage() checks in the order the kernel's loader
// does, stops at the first failure and names it; its reasons are what docs/MODELS.md lists as the
// expected fate of each bad sample.

import {
  FormatError, KIND_GOLDEN, KIND_MODEL, decodeGolden, decodeModel, decodeSig, encodeSig, hex,
  signedMessage, versionNameProblem, type GoldenSet, type Model,
} from './format.ts';
import { keyIdBytes, sha256, sign, verifySignature, type PublicKey, type SecretKey } from './keys.ts';

export const MANIFEST_MAX = 4096;

export interface TrainingFacts {
  seed: number;
  samples: number;
  epochs: number;
  policy: string;
  golden_accuracy: number;
  [extra: string]: unknown;
}

export interface ModelManifest {
  format: 1;
  version: string;
  created: string;
  architecture: string;
  layers: number[];
  parameters: number;
  size: number;
  sha256: string;
  signer: string;
  description: string;
  training: TrainingFacts;
}

export interface GoldenManifest {
  format: 1;
  version: string;
  created: string;
  size: number;
  sha256: string;
  signer: string;
  description: string;
  count: number;
  input_dim: number;
  num_actions: number;
}

/** Manifest bytes as we write them: 2-space JSON, members in the doc's order, one final newline. */
export function encodeManifest(m: object): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(m, null, 2) + '\n');
  if (bytes.length > MANIFEST_MAX) throw new FormatError('manifest too large', `${bytes.length} bytes (at most ${MANIFEST_MAX})`);
  return bytes;
}

type Check = [string, (v: unknown) => boolean];
const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isStr = (v: unknown) => typeof v === 'string';
const isHex = (n: number) => (v: unknown) => typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(v);
const COMMON: Check[] = [
  ['format', (v) => v === 1],
  ['version', isStr],
  ['created', isStr],
  ['size', isInt],
  ['sha256', isHex(64)],
  ['signer', isHex(16)],
  ['description', isStr],
];
const MODEL_MEMBERS: Check[] = [
  ...COMMON,
  ['architecture', isStr],
  ['layers', (v) => Array.isArray(v) && v.length >= 2 && v.every(isInt)],
  ['parameters', isInt],
  ['training', (v) => typeof v === 'object' && v !== null && !Array.isArray(v)],
];
const GOLDEN_MEMBERS: Check[] = [...COMMON, ['count', isInt], ['input_dim', isInt], ['num_actions', isInt]];

/** Parse and check a manifest's members (unknown members are ignored, as the doc says). */
export function parseManifest(bytes: Uint8Array, kind: number): Record<string, unknown> {
  if (bytes.length > MANIFEST_MAX) throw new FormatError('manifest too large', `${bytes.length} bytes (at most ${MANIFEST_MAX})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError('manifest not UTF-8', 'invalid UTF-8');
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new FormatError('manifest not JSON', (e as Error).message);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new FormatError('manifest not an object', 'the manifest must be a JSON object');
  const m = obj as Record<string, unknown>;
  for (const [key, ok] of kind === KIND_GOLDEN ? GOLDEN_MEMBERS : MODEL_MEMBERS) {
    if (!(key in m)) throw new FormatError('manifest member missing', `no "${key}"`);
    if (!ok(m[key])) throw new FormatError('manifest member invalid', `"${key}" is ${JSON.stringify(m[key])}`);
  }
  return m;
}

export interface PackageFiles {
  name: string; // the folder name
  data: Uint8Array; // model.bin or golden.bin
  manifest: Uint8Array;
  sig: Uint8Array;
}

/** Sign a package's files under `name` (kind 1 model, 2 golden set): the model.sig bytes. */
export function signFiles(kind: number, name: string, data: Uint8Array, manifest: Uint8Array, key: SecretKey): Uint8Array {
  const msg = signedMessage(kind, name, sha256(data), sha256(manifest));
  return encodeSig({ keyId: keyIdBytes(key.publicKey), signature: sign(msg, key) });
}

export type Verdict =
  | { ok: true; kind: number; keyId: string; manifest: Record<string, unknown>; model?: Model; golden?: GoldenSet }
  | { ok: false; rule: string; reason: string };

/**
 * Everything a loader checks, in this order: the name; the manifest; the signature file; the
 * manifest's version, size, sha256 and signer against the folder and the files; the key is
 * trusted; the Ed25519 signature over the signed message; the data file's format.
 */
export function verifyPackage(kind: number, p: PackageFiles, trusted: PublicKey[]): Verdict {
  const fail = (rule: string, reason: string): Verdict => ({ ok: false, rule, reason });
  const nameProblem = versionNameProblem(p.name, { allowReserved: kind === KIND_GOLDEN });
  if (nameProblem) return fail('invalid name', nameProblem);
  let manifest: Record<string, unknown>;
  let sig;
  try {
    manifest = parseManifest(p.manifest, kind);
    sig = decodeSig(p.sig);
  } catch (e) {
    if (e instanceof FormatError) return fail(e.rule, e.detail);
    throw e;
  }
  if (manifest.version !== p.name) return fail('manifest version mismatch', `manifest says "${manifest.version}", the package is "${p.name}"`);
  if (manifest.size !== p.data.length) return fail('size mismatch', `manifest says ${manifest.size} bytes, the file has ${p.data.length}`);
  const digest = sha256(p.data);
  if (manifest.sha256 !== hex(digest)) return fail('sha256 mismatch', `manifest says ${manifest.sha256}, the file hashes to ${hex(digest)}`);
  const sigId = hex(sig.keyId);
  if (manifest.signer !== sigId) return fail('signer mismatch', `manifest says signer ${manifest.signer}, the signature is by ${sigId}`);
  const key = trusted.find((k) => k.id === sigId);
  if (!key) return fail('untrusted key', `key ${sigId} is not a trusted key`);
  const msg = signedMessage(kind, p.name, digest, sha256(p.manifest));
  if (!verifySignature(sig.signature, msg, key.publicKey)) return fail('bad signature', `the Ed25519 signature does not verify with key ${sigId}`);
  try {
    if (kind === KIND_MODEL) return { ok: true, kind, keyId: sigId, manifest, model: decodeModel(p.data, { task: true }) };
    const golden = decodeGolden(p.data, { task: true });
    for (const [member, value] of [['count', golden.inputs.length], ['input_dim', golden.inputDim], ['num_actions', golden.numActions]] as const) {
      if (manifest[member] !== value) return fail('manifest member mismatch', `manifest says ${member} ${manifest[member]}, golden.bin has ${value}`);
    }
    return { ok: true, kind, keyId: sigId, manifest, golden };
  } catch (e) {
    if (e instanceof FormatError) return fail(e.rule, e.detail);
    throw e;
  }
}

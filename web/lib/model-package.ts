// Model packages from the browser (docs/MODEL-FORMAT.md): check an uploaded
// package, sign a bare model.bin with the user's key, and add a package to the
// import disk's ustar bundle. Built on models/src (the same format, manifest,
// signing and ustar code as the CLI), so the bytes are the ones the CLI makes.
import { FormatError, KIND_MODEL, decodeModel, decodeSig, hex, versionNameProblem } from '../../models/src/format.ts';
import { encodeManifest, signFiles, verifyPackage, type PackageFiles } from '../../models/src/package.ts';
import { modelManifest } from '../../models/src/samples.ts';
import type { PublicKey, SecretKey } from '../../models/src/keys.ts';
import { readTar, writeTar, type TarEntry } from '../../models/src/ustar.ts';

export class PackageError extends Error {}

export interface CheckedPackage extends PackageFiles {
  keyId: string;
  /**
   * The signer is none of the keys the dashboard knows (the stock kernel's and
   * the user's): its signature could not be checked here, only the kernel
   * (built to trust it, or not: ENOKEY) can.
   */
  unknownSigner: boolean;
}

const FILES = ['model.bin', 'manifest.json', 'model.sig'] as const;

/** Names the browser sees for a file: "NAME/model.bin" inside a tar, or the bare file name. */
export interface InputFile {
  name: string;
  data: Uint8Array;
}

/**
 * A package from what the user dropped: one .tar holding NAME/{model.bin,
 * manifest.json,model.sig}, or those three files (NAME then comes from the
 * manifest's version). The kernel's checks, in its order (verifyPackage):
 * a bad name, manifest, hash or signature, or a file that is not a model, is
 * refused with the reason. A signer the dashboard does not know is let
 * through marked unknownSigner (the kernel decides whether it trusts it).
 */
export function checkPackage(input: InputFile[], trusted: PublicKey[], extraKeys: PublicKey[] = []): CheckedPackage {
  if (!input.length) throw new PackageError('no file given');
  let files: InputFile[] = input;
  let name: string | null = null;
  if (input.length === 1 && /\.tar$/i.test(input[0].name)) {
    let entries: TarEntry[];
    try {
      entries = readTar(input[0].data);
    } catch (e) {
      throw new PackageError(`${input[0].name}: not a ustar archive (${(e as Error).message})`);
    }
    const dirs = new Set(entries.map((e) => e.name.split('/')[0]));
    if (dirs.size !== 1 || entries.some((e) => e.name.split('/').length !== 2)) {
      throw new PackageError(`${input[0].name}: a package archive holds one folder NAME/ with ${FILES.join(', ')} (found ${entries.map((e) => e.name).join(', ') || 'nothing'})`);
    }
    name = [...dirs][0];
    files = entries.map((e) => ({ name: e.name.split('/')[1], data: e.data }));
  }
  const get = (f: string) => files.find((x) => x.name === f)?.data;
  const missing = FILES.filter((f) => !get(f));
  if (missing.length) {
    if (files.length === 1 && files[0].name.endsWith('.bin')) {
      throw new PackageError(`${files[0].name} alone is a bare model: use "Sign and add" with your key instead`);
    }
    throw new PackageError(`not a model package: missing ${missing.join(', ')} (a package is ${FILES.join(' + ')}, or one .tar of NAME/ with them)`);
  }
  const data = get('model.bin')!;
  const manifest = get('manifest.json')!;
  const sig = get('model.sig')!;
  if (name === null) {
    try {
      name = String(JSON.parse(new TextDecoder().decode(manifest)).version);
    } catch (e) {
      throw new PackageError(`manifest.json is not JSON: ${(e as Error).message}`);
    }
  }
  const verdict = verifyPackage(KIND_MODEL, { name, data, manifest, sig }, [...trusted, ...extraKeys]);
  if (verdict.ok) return { name, data, manifest, sig, keyId: verdict.keyId, unknownSigner: false };
  if (verdict.rule !== 'untrusted key') throw new PackageError(`${name}: refused: ${verdict.rule}: ${verdict.reason}`);
  // Everything before the key check passed; the format check comes after it, so make it here.
  try {
    decodeModel(data, { task: true });
  } catch (e) {
    if (e instanceof FormatError) throw new PackageError(`${name}: refused: ${e.message}`);
    throw e;
  }
  return { name, data, manifest, sig, keyId: hex(decodeSig(sig).keyId), unknownSigner: true };
}

/** Signs a bare model.bin as package `version` with `key` (manifest made as the CLI makes it). */
export function signBareModel(data: Uint8Array, version: string, key: SecretKey, opts: { description?: string; created?: string; fileName?: string } = {}): PackageFiles {
  const problem = versionNameProblem(version);
  if (problem) throw new PackageError(`version "${version}": ${problem}`);
  let model;
  try {
    model = decodeModel(data, { task: true });
  } catch (e) {
    if (e instanceof FormatError) throw new PackageError(`${opts.fileName ?? 'the file'} is not a model.bin this platform runs: ${e.message}`);
    throw e;
  }
  const created = opts.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const manifest = encodeManifest(modelManifest(version, created, opts.description ?? `${opts.fileName ?? 'model.bin'}, signed in the browser`, model, data, key.id,
    { source: 'uploaded model.bin, signed in the dashboard', file: opts.fileName ?? 'model.bin' }));
  return { name: version, data, manifest, sig: signFiles(KIND_MODEL, version, data, manifest, key) };
}

/**
 * The import disk with one more package: NAME/{model.bin,manifest.json,model.sig}
 * appended and NAME added to bundle.json's packages. Refuses a name the bundle
 * already has.
 */
export function addToBundle(tar: Uint8Array, p: PackageFiles): Uint8Array {
  const entries = readTar(tar);
  const b = entries.find((e) => e.name === 'bundle.json');
  if (!b) throw new PackageError('the import disk has no bundle.json');
  const bundle = JSON.parse(new TextDecoder().decode(b.data)) as { format: number; default: string; golden: string; packages: string[] };
  if (bundle.packages.includes(p.name) || entries.some((e) => e.name.startsWith(`${p.name}/`))) {
    throw new PackageError(`the import disk already has a package named ${p.name}: choose another version name`);
  }
  bundle.packages.push(p.name);
  const out: TarEntry[] = entries.map((e) => (e.name === 'bundle.json' ? { name: e.name, data: new TextEncoder().encode(JSON.stringify(bundle)) } : e));
  out.push({ name: `${p.name}/model.bin`, data: p.data }, { name: `${p.name}/manifest.json`, data: p.manifest }, { name: `${p.name}/model.sig`, data: p.sig });
  return writeTar(out);
}

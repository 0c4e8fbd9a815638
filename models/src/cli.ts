// npm run models -- <command>: keygen | sign | verify | train | bundle | keys | inspect
// Exit codes: 0 success, 1 the operation failed (a refused package, a file that differs), 2 usage.

import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGolden } from './data.ts';
import {
  ACTIVATION_NAMES, FormatError, KIND_GOLDEN, KIND_MODEL, decodeGolden, decodeModel, paramCount, versionNameProblem,
} from './format.ts';
import { evaluate } from './forward.ts';
import {
  DEV_PUBLIC, DEV_SECRET, DEV_WARNING, UNTRUSTED_SECRET, formatPublicKey, formatSecretKey, generateKey, loadPublicKey,
  loadSecretKey, sha256, trustedKeysC, type PublicKey,
} from './keys.ts';
import { encodeManifest, parseManifest, signFiles, verifyPackage, type PackageFiles } from './package.ts';
import { BASELINE_TRAINING, buildBundle, packageModel, trainModel } from './samples.ts';
import { NUM_ACTIONS, POLICIES } from './task.ts';
import { readTar } from './ustar.ts';
import { hex } from './format.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_BUNDLE = resolve(HERE, '..', 'dist', 'seed-bundle.tar');

class UsageError extends Error {}
class Failure extends Error {}

const HELP: Record<string, string> = {
  main: `usage: npm run models -- <command> [options]

commands:
  keygen   make an Ed25519 key pair for signing models
  sign     sign a model package (or the golden set) in place
  verify   verify a package folder or a bundle (.tar) as the kernel's loader does
  train    train a model on the reference (or shifted) policy and write its package
  bundle   build the seed bundle (models/dist/seed-bundle.tar), reproducibly
  keys     list trusted keys; --c prints them as a C table for the kernel
  inspect  describe a model.bin or golden.bin

npm run models -- <command> --help shows a command's options.
Exit codes: 0 success, 1 the operation failed, 2 usage error.`,
  keygen: `usage: npm run models -- keygen --name NAME [--out DIR] [--note TEXT] [--force]
  Writes DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub. DIR defaults to the current folder.
  Refuses to overwrite existing files unless --force.`,
  sign: `usage: npm run models -- sign DIR [--key FILE] [--name NAME]
  Signs DIR/model.bin + DIR/manifest.json (or DIR/golden.bin for a golden set) into DIR/model.sig
  (DIR/golden.sig). NAME defaults to the folder's name and must equal the manifest's version.
  The manifest's size and sha256 must match the data file; its signer is set to the key's id.
  --key defaults to models/keys/dev.key (${DEV_WARNING}).`,
  verify: `usage: npm run models -- verify PATH [--trust FILE]...
  PATH is a package folder (VERSION/ or golden/) or a bundle .tar. Checks what the kernel checks:
  name, manifest, signature file, size/sha256/signer, trusted key, Ed25519 signature, format.
  --trust adds a public key file; without it the trusted keys are models/keys/dev.pub only.
  For a bundle, every package is listed with its verdict and golden-set accuracy; the exit code
  is 0 when the bundle is well formed and its golden set and default package verify.`,
  train: `usage: npm run models -- train --version V [--out DIR] [--seed N] [--policy reference|shifted]
                       [--arch 7-32-16-5] [--samples N] [--epochs N] [--key FILE | --unsigned]
                       [--description TEXT] [--created ISO8601]
  Trains deterministically (same options, same bytes) and writes DIR/V/{model.bin,manifest.json,model.sig}.
  DIR defaults to the current folder; --key defaults to models/keys/dev.key.`,
  bundle: `usage: npm run models -- bundle [--out FILE] [--check]
  Builds the seed bundle from the sample definitions (models/src/samples.ts) into FILE
  (default models/dist/seed-bundle.tar). --check builds it in memory and compares with FILE:
  exit 1 when they differ.`,
  keys: `usage: npm run models -- keys [--trust FILE]... [--c]
  Lists the trusted keys with their ids (default: models/keys/dev.pub). --c prints the table as C.`,
  inspect: `usage: npm run models -- inspect FILE
  Prints the header and layers of a model.bin, or the counts of a golden.bin.`,
};

function out(s: string): void {
  process.stdout.write(s + '\n');
}
function warn(s: string): void {
  process.stderr.write(s + '\n');
}

function readIf(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Failure(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function trustList(files: string[] | undefined): PublicKey[] {
  const list = files && files.length ? files : [DEV_PUBLIC];
  return list.map((f) => {
    try {
      return loadPublicKey(f);
    } catch (e) {
      throw new Failure(`trusted key ${f}: ${(e as Error).message}`);
    }
  });
}

function loadKey(path: string | undefined) {
  const p = path ?? DEV_SECRET;
  try {
    const k = loadSecretKey(p);
    if (k.note) warn(`note: signing with ${basename(p)} (${k.note})`);
    return k;
  } catch (e) {
    throw new Failure(`signing key ${p}: ${(e as Error).message}`);
  }
}

// node:util parseArgs with strict checking; values are read per command (strings, booleans, lists).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;
function parse(args: string[], options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>, cmd: string): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${HELP[cmd]}`);
  }
}

function intOpt(v: string | undefined, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > 0xffffffff) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

function packageKind(dir: string): { kind: number; dataName: string; sigName: string } {
  if (existsSync(join(dir, 'golden.bin'))) return { kind: KIND_GOLDEN, dataName: 'golden.bin', sigName: 'golden.sig' };
  return { kind: KIND_MODEL, dataName: 'model.bin', sigName: 'model.sig' };
}

function cmdKeygen(args: string[]): number {
  const { values } = parse(args, { name: { type: 'string' }, out: { type: 'string' }, note: { type: 'string' }, force: { type: 'boolean' } }, 'keygen');
  if (values.help) return help('keygen');
  if (!values.name) throw new UsageError(`keygen needs --name\n\n${HELP.keygen}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/.test(values.name)) throw new UsageError(`--name must be 1-32 of A-Z a-z 0-9 . _ + -, got "${values.name}"`);
  const dir = values.out ?? '.';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Failure(`output folder ${dir} does not exist`);
  const keyPath = join(dir, `${values.name}.key`);
  const pubPath = join(dir, `${values.name}.pub`);
  for (const p of [keyPath, pubPath]) if (existsSync(p) && !values.force) throw new Failure(`${p} exists; not overwriting it (use --force)`);
  const k = generateKey(values.name, values.note ?? '');
  writeFileSync(keyPath, formatSecretKey(k), { mode: 0o600 });
  writeFileSync(pubPath, formatPublicKey(k));
  out(`key id ${k.id}`);
  out(`secret: ${keyPath} (keep it private)`);
  out(`public: ${pubPath} (give it to the kernel build to trust it: docs/MODELS.md "Trusting a key")`);
  return 0;
}

function cmdSign(args: string[]): number {
  const { values, positionals } = parse(args, { key: { type: 'string' }, name: { type: 'string' } }, 'sign');
  if (values.help) return help('sign');
  if (positionals.length !== 1) throw new UsageError(`sign needs exactly one package folder\n\n${HELP.sign}`);
  const dir = positionals[0];
  const { kind, dataName, sigName } = packageKind(dir);
  const name = values.name ?? basename(resolve(dir));
  const problem = versionNameProblem(name, { allowReserved: kind === KIND_GOLDEN });
  if (problem) throw new Failure(`invalid version name "${name}": ${problem}`);
  const key = loadKey(values.key);
  const data = readIf(join(dir, dataName));
  let manifestBytes = readIf(join(dir, 'manifest.json'));
  try {
    if (kind === KIND_MODEL) decodeModel(data, { task: true });
    else decodeGolden(data, { task: true });
  } catch (e) {
    if (e instanceof FormatError) throw new Failure(`${join(dir, dataName)}: refused: ${e.message}`);
    throw e;
  }
  let manifest: Record<string, unknown>;
  try {
    manifest = parseManifest(manifestBytes, kind);
  } catch (e) {
    if (e instanceof FormatError) throw new Failure(`${join(dir, 'manifest.json')}: ${e.message}`);
    throw e;
  }
  if (manifest.version !== name) throw new Failure(`manifest version "${manifest.version}" is not the package name "${name}"`);
  if (manifest.size !== data.length) throw new Failure(`manifest size ${manifest.size} is not ${dataName}'s ${data.length} bytes`);
  const digest = hex(sha256(data));
  if (manifest.sha256 !== digest) throw new Failure(`manifest sha256 ${manifest.sha256} is not ${dataName}'s ${digest}`);
  if (manifest.signer !== key.id) {
    warn(`manifest signer ${manifest.signer} -> ${key.id}`);
    manifestBytes = encodeManifest({ ...manifest, signer: key.id });
    writeFileSync(join(dir, 'manifest.json'), manifestBytes);
  }
  writeFileSync(join(dir, sigName), signFiles(kind, name, data, manifestBytes, key));
  out(`signed ${name} (${kind === KIND_MODEL ? 'model package' : 'golden set'}) with key ${key.id}: ${join(dir, sigName)}`);
  return 0;
}

function describeVerdict(v: ReturnType<typeof verifyPackage>, goldenSet?: ReturnType<typeof decodeGolden>): string {
  if (!v.ok) return `REFUSED: ${v.rule} (${v.reason})`;
  if (v.model && goldenSet) {
    const e = evaluate(v.model, goldenSet.inputs, goldenSet.labels, NUM_ACTIONS);
    return `ok: key ${v.keyId}, ${paramCount(v.model.layers)} parameters, golden accuracy ${(e.accuracy * 100).toFixed(1)}%`;
  }
  if (v.golden) return `ok: golden set, key ${v.keyId}, ${v.golden.inputs.length} inputs`;
  return `ok: key ${v.keyId}`;
}

function cmdVerify(args: string[]): number {
  const { values, positionals } = parse(args, { trust: { type: 'string', multiple: true } }, 'verify');
  if (values.help) return help('verify');
  if (positionals.length !== 1) throw new UsageError(`verify needs exactly one path\n\n${HELP.verify}`);
  const trusted = trustList(values.trust as string[] | undefined);
  const path = positionals[0];
  if (!existsSync(path)) throw new Failure(`${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const { kind, dataName, sigName } = packageKind(path);
    const files: PackageFiles = {
      name: basename(resolve(path)),
      data: readIf(join(path, dataName)),
      manifest: readIf(join(path, 'manifest.json')),
      sig: readIf(join(path, sigName)),
    };
    const v = verifyPackage(kind, files, trusted);
    out(`${files.name}: ${describeVerdict(v, v.ok && kind === KIND_MODEL ? buildGolden() : undefined)}`);
    return v.ok ? 0 : 1;
  }
  let entries;
  try {
    entries = readTar(readIf(path));
  } catch (e) {
    throw new Failure(`${path}: ${(e as Error).message}`);
  }
  const files = new Map(entries.map((e) => [e.name, e.data]));
  const bj = files.get('bundle.json');
  if (!bj) throw new Failure(`${path}: no bundle.json`);
  let bundle: { format?: unknown; default?: unknown; golden?: unknown; packages?: unknown };
  try {
    bundle = JSON.parse(new TextDecoder().decode(bj));
  } catch (e) {
    throw new Failure(`${path}: bundle.json: ${(e as Error).message}`);
  }
  if (bundle.format !== 1 || typeof bundle.default !== 'string' || typeof bundle.golden !== 'string' || !Array.isArray(bundle.packages)) {
    throw new Failure(`${path}: bundle.json must be {"format":1,"default":V,"golden":NAME,"packages":[...]}`);
  }
  const get = (dir: string, f: string) => files.get(`${dir}/${f}`) ?? new Uint8Array(0);
  const gName = bundle.golden;
  const gv = verifyPackage(KIND_GOLDEN, { name: gName, data: get(gName, 'golden.bin'), manifest: get(gName, 'manifest.json'), sig: get(gName, 'golden.sig') }, trusted);
  out(`${gName}: ${describeVerdict(gv)}`);
  const goldenSet = gv.ok ? gv.golden : undefined;
  let defaultOk = false;
  for (const name of bundle.packages as unknown[]) {
    if (typeof name !== 'string') {
      out(`${JSON.stringify(name)}: REFUSED (not a name)`);
      continue;
    }
    const v = verifyPackage(KIND_MODEL, { name, data: get(name, 'model.bin'), manifest: get(name, 'manifest.json'), sig: get(name, 'model.sig') }, trusted);
    out(`${name}: ${describeVerdict(v, goldenSet)}${name === bundle.default ? ' [default]' : ''}`);
    if (name === bundle.default) defaultOk = v.ok;
  }
  if (!goldenSet) warn(`the golden set does not verify`);
  if (!defaultOk) warn(`the default package ${bundle.default} does not verify`);
  return goldenSet && defaultOk ? 0 : 1;
}

function cmdTrain(args: string[]): number {
  const { values } = parse(args, {
    version: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, policy: { type: 'string' },
    arch: { type: 'string' }, samples: { type: 'string' }, epochs: { type: 'string' }, key: { type: 'string' },
    unsigned: { type: 'boolean' }, description: { type: 'string' }, created: { type: 'string' },
  }, 'train');
  if (values.help) return help('train');
  if (!values.version) throw new UsageError(`train needs --version\n\n${HELP.train}`);
  const problem = versionNameProblem(values.version);
  if (problem) throw new UsageError(`invalid version name "${values.version}": ${problem}`);
  const policy = values.policy ?? 'reference';
  if (!POLICIES[policy]) throw new UsageError(`--policy must be one of ${Object.keys(POLICIES).join(', ')}`);
  let dims = BASELINE_TRAINING.dims;
  if (values.arch) {
    if (!/^\d+(-\d+)+$/.test(values.arch)) throw new UsageError(`--arch must look like 7-32-16-5, got "${values.arch}"`);
    dims = values.arch.split('-').map(Number);
    if (dims[0] !== 7 || dims[dims.length - 1] !== NUM_ACTIONS) throw new UsageError('--arch must start with 7 inputs and end with 5 actions');
    if (dims.length > 9 || dims.some((d) => d < 1 || d > 1024)) throw new UsageError('--arch: at most 8 layers, each 1..1024 wide');
  }
  if (values.unsigned && values.key) throw new UsageError('--key and --unsigned exclude each other');
  const created = values.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(created)) throw new UsageError(`--created must be like 2026-11-01T00:00:00Z`);
  const spec = {
    ...BASELINE_TRAINING,
    dims,
    seed: intOpt(values.seed, 'seed', 1),
    policy,
    samples: intOpt(values.samples, 'samples', BASELINE_TRAINING.samples, 1),
    epochs: intOpt(values.epochs, 'epochs', BASELINE_TRAINING.epochs, 1),
  };
  const dir = join(values.out ?? '.', values.version);
  const key = values.unsigned ? undefined : loadKey(values.key);
  const t0 = Date.now();
  const model = trainModel(spec);
  const golden = buildGolden();
  const acc = evaluate(model, golden.inputs, golden.labels, NUM_ACTIONS).accuracy;
  const training = {
    seed: spec.seed, samples: spec.samples, epochs: spec.epochs, policy, golden_accuracy: Math.round(acc * 10000) / 10000,
    optimizer: `adam batch ${spec.batch} lr ${spec.learningRate}->${spec.finalLearningRate}`,
  };
  const description = values.description ?? `trained on the ${policy} policy, seed ${spec.seed}`;
  const signer = key ?? { id: '0000000000000000', publicKey: new Uint8Array(32), secret: new Uint8Array(32), name: '', note: '' };
  const files = packageModel(values.version, created, description, model, training, signer);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.bin'), files.data);
  writeFileSync(join(dir, 'manifest.json'), files.manifest);
  if (key) writeFileSync(join(dir, 'model.sig'), files.sig);
  out(`trained ${values.version} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dims.join('-')}, ${paramCount(model.layers)} parameters, golden accuracy ${(acc * 100).toFixed(1)}%`);
  out(key ? `wrote ${dir}/{model.bin,manifest.json,model.sig} (signed by ${key.id})` : `wrote ${dir}/{model.bin,manifest.json} (unsigned: npm run models -- sign ${dir} --key FILE)`);
  return 0;
}

function cmdBundle(args: string[]): number {
  const { values } = parse(args, { out: { type: 'string' }, check: { type: 'boolean' } }, 'bundle');
  if (values.help) return help('bundle');
  const file = values.out ?? DEFAULT_BUNDLE;
  const b = buildBundle({ dev: loadKey(DEV_SECRET), untrusted: loadSecretKey(UNTRUSTED_SECRET) });
  if (values.check) {
    const have = existsSync(file) ? new Uint8Array(readFileSync(file)) : new Uint8Array(0);
    if (Buffer.compare(Buffer.from(have), Buffer.from(b.tar)) !== 0) {
      out(`${file} differs from a fresh build (${have.length} vs ${b.tar.length} bytes; sha256 ${hex(sha256(have))} vs ${hex(sha256(b.tar))})`);
      return 1;
    }
    out(`${file} is up to date (${b.tar.length} bytes, sha256 ${hex(sha256(b.tar))})`);
    return 0;
  }
  writeFileSync(file, b.tar);
  out(`wrote ${file}: ${b.tar.length} bytes, sha256 ${hex(sha256(b.tar))}`);
  for (const p of b.packages) out(`  ${p.version.padEnd(18)} ${p.spec.fate}`);
  return 0;
}

function cmdKeys(args: string[]): number {
  const { values } = parse(args, { trust: { type: 'string', multiple: true }, c: { type: 'boolean' } }, 'keys');
  if (values.help) return help('keys');
  const keys = trustList(values.trust as string[] | undefined);
  if (values.c) {
    process.stdout.write(trustedKeysC(keys));
    return 0;
  }
  for (const k of keys) out(`${k.id}  ${k.name}${k.note ? `  (${k.note})` : ''}`);
  return 0;
}

function cmdInspect(args: string[]): number {
  const { values, positionals } = parse(args, {}, 'inspect');
  if (values.help) return help('inspect');
  if (positionals.length !== 1) throw new UsageError(`inspect needs exactly one file\n\n${HELP.inspect}`);
  const data = readIf(positionals[0]);
  try {
    if (data.length >= 4 && String.fromCharCode(...data.subarray(0, 4)) === 'SISD') {
      const g = decodeGolden(data);
      const counts = new Array(g.numActions).fill(0);
      for (const l of g.labels) counts[l]++;
      out(`golden set: ${g.inputs.length} inputs of ${g.inputDim} features, ${g.numActions} actions; per action: ${counts.join(' ')}`);
      return 0;
    }
    const m = decodeModel(data);
    out(`model: input_dim ${m.inputDim}, ${m.layers.length} layers, ${paramCount(m.layers)} parameters, ${data.length} bytes`);
    m.layers.forEach((l, k) => out(`  layer ${k}: ${l.in} -> ${l.out} ${ACTIVATION_NAMES[l.activation]}`));
    return 0;
  } catch (e) {
    if (e instanceof FormatError) throw new Failure(`${positionals[0]}: refused: ${e.message}`);
    throw e;
  }
}

function help(cmd: string): number {
  out(HELP[cmd]);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => number> = {
  keygen: cmdKeygen, sign: cmdSign, verify: cmdVerify, train: cmdTrain, bundle: cmdBundle, keys: cmdKeys, inspect: cmdInspect,
};

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    out(HELP.main);
    return cmd ? 0 : 2;
  }
  const fn = COMMANDS[cmd];
  try {
    if (!fn) throw new UsageError(`unknown command "${cmd}"\n\n${HELP.main}`);
    return fn(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      warn(`models: ${e.message}`);
      return 2;
    }
    if (e instanceof Failure) {
      warn(`models: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}

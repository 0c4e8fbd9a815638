// The model lifecycle table: what `modelctl` and the boot-time registry must do
// on any machine (QEMU: model-qemu.test.ts; the emulator:
// emulator/tests/machine/models.test.ts). A case names an import disk (the
// seed bundle, or a hostile bundle built here with the models/ tools and the
// development key), what to type in each boot, and host checks between the
// commands: debugfs reads /models on the system disk (the oracle for
// registry.json, the active/shadow/rollback symlinks and history.jsonl) and
// e2fsck -fn must stay clean. Every failing operation is wrapped in
// `unchanged`: the registry, the symlinks, history.jsonl and the list of
// /models are read before and after, and must be identical.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, truncateSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROMPT } from './serial-machine.ts';
import { runCase, type Check, type Step } from './shell-cases.ts';
import type { BootFn } from './storage-cases.ts';
import { checkRegistry, isEvent, parseEvents, type Registry, type SisEvent } from '../../emulator/src/events.ts';
import { readTar, writeTar, type TarEntry } from '../../models/src/ustar.ts';
import { decodeGolden, decodeModel, encodeModel, KIND_GOLDEN, KIND_MODEL, type Model } from '../../models/src/format.ts';
import { infer } from '../../models/src/forward.ts';
import { DEV_SECRET, loadSecretKey } from '../../models/src/keys.ts';
import { encodeManifest, signFiles } from '../../models/src/package.ts';
import { createHash } from 'node:crypto';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SEED_BUNDLE = path.resolve(HERE, '../../models/dist/seed-bundle.tar');
const SYSTEM_MIB = 32;

// ---- host oracle ----

function run(cmd: string, args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'latin1', maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** A file's contents through debugfs, or null if it does not exist. */
export function dfsCat(img: string, p: string): string | null {
  const r = run('debugfs', ['-R', `cat ${p}`, img]);
  if (/File not found|not found by ext2_lookup/.test(r.err)) return null;
  if (r.status !== 0) throw new Error(`debugfs cat ${p}: ${r.err}`);
  return r.out;
}

/** A symlink's target through debugfs (fast links only: ours are short), or null. */
export function dfsLink(img: string, p: string): string | null {
  const r = run('debugfs', ['-R', `stat ${p}`, img]);
  if (/File not found|not found by ext2_lookup/.test(r.err)) return null;
  const m = /Fast link dest: "([^"]*)"/.exec(r.out);
  if (!m) throw new Error(`${p} is not a fast symlink:\n${r.out}${r.err}`);
  return m[1];
}

export function dfsLs(img: string, dir: string): string[] {
  const r = run('debugfs', ['-R', `ls -p ${dir}`, img]);
  return r.out.split('\n').map((l) => l.split('/')).filter((f) => f.length >= 6 && f[5] !== '.' && f[5] !== '..')
    .map((f) => f[5]).sort();
}

export function fsckClean(img: string): void {
  const r = run('e2fsck', ['-fn', img]);
  if (r.status !== 0) throw new Error(`e2fsck -fn: status ${r.status}\n${r.out}${r.err}`);
}

export interface ModelsState {
  registry: string | null;
  active: string | null;
  shadow: string | null;
  rollback: string | null;
  history: string | null;
  dirs: string[];
}

export function modelsState(img: string): ModelsState {
  return {
    registry: dfsCat(img, '/models/registry.json'),
    active: dfsLink(img, '/models/active'),
    shadow: dfsLink(img, '/models/shadow'),
    rollback: dfsLink(img, '/models/rollback'),
    history: dfsCat(img, '/models/history.jsonl'),
    dirs: dfsLs(img, '/models'),
  };
}

export function registryOf(img: string): Registry {
  const t = dfsCat(img, '/models/registry.json');
  if (t === null) throw new Error('no /models/registry.json');
  return checkRegistry(JSON.parse(t), 'registry.json');
}

export function historyOf(img: string): Record<string, unknown>[] {
  return (dfsCat(img, '/models/history.jsonl') ?? '').split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

function eq(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/** The registry and symlinks must agree: every role's symlink names the role's version. */
export function checkConsistent(img: string): Registry {
  const s = modelsState(img);
  const r = registryOf(img);
  eq('active symlink', s.active, r.active);
  eq('shadow symlink', s.shadow, r.shadow);
  eq('rollback symlink', s.rollback, r.rollback);
  for (const m of r.models) if (!s.dirs.includes(m.version)) throw new Error(`${m.version} is registered but /models/${m.version} is missing`);
  return r;
}

// ---- bundles ----

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function seedEntries(): TarEntry[] {
  return readTar(new Uint8Array(readFileSync(SEED_BUNDLE)));
}

function entry(es: TarEntry[], name: string): Uint8Array {
  const e = es.find((x) => x.name === name);
  if (!e) throw new Error(`no ${name} in the seed bundle`);
  return e.data;
}

/** A package signed with the development key under `version` (manifest fields filled in). */
export function signedPackage(version: string, model: Model | Uint8Array, over: Record<string, unknown> = {}, kind = KIND_MODEL): TarEntry[] {
  const key = loadSecretKey(DEV_SECRET);
  const data = model instanceof Uint8Array ? model : encodeModel(model);
  const manifest = encodeManifest({
    format: 1, version, created: '2026-11-01T00:00:00Z', architecture: 'test', layers: [], parameters: 0,
    size: data.length, sha256: sha256(data), signer: key.id, description: 'built by model-cases.ts',
    training: { seed: 0, samples: 0, epochs: 0, policy: 'reference', golden_accuracy: 0 }, ...over,
  });
  const sig = signFiles(kind, version, data, manifest, key);
  return [
    { name: `${version}/model.bin`, data }, { name: `${version}/manifest.json`, data: manifest },
    { name: `${version}/model.sig`, data: sig },
  ];
}

/**
 * The hostile bundle: the seed's golden set and v1.0.0 (the default), plus
 * packages that must each be refused for one reason.
 */
export function hostileBundle(): Uint8Array {
  const seed = seedEntries();
  const base = (n: string) => entry(seed, `v1.0.0/${n}`);
  const es: TarEntry[] = seed.filter((e) => e.name.startsWith('golden/') || e.name.startsWith('v1.0.0/'));
  const v100 = decodeModel(base('model.bin'));
  // Replay: v1.0.0's signed files under another name, its manifest's version rewritten to match.
  const man = JSON.parse(new TextDecoder().decode(base('manifest.json')));
  man.version = 'v9.9.9-replay';
  es.push({ name: 'v9.9.9-replay/model.bin', data: base('model.bin') },
    { name: 'v9.9.9-replay/manifest.json', data: encodeManifest(man) },
    { name: 'v9.9.9-replay/model.sig', data: base('model.sig') });
  // Over the memory gate: 7-1024-1024-1024-1024-5 (about 12.6 MB of weights), validly signed.
  const big: Model = { inputDim: 7, layers: [[7, 1024], [1024, 1024], [1024, 1024], [1024, 1024], [1024, 5]].map(([i, o], k, a) => ({
    in: i, out: o, activation: k + 1 === a.length ? 2 : 1, weights: new Float32Array(i * o), biases: new Float32Array(o),
  })) };
  es.push(...signedPackage('v7.0.0-huge', big));
  // One weight byte flipped after signing: SHA-256 mismatch.
  const flipped = signedPackage('v7.0.1-flipped', v100);
  flipped[0] = { ...flipped[0], data: Uint8Array.from(flipped[0].data, (b, i) => (i === 200 ? b ^ 0x40 : b)) };
  es.push(...flipped);
  // A model signed as a golden set (kind 2): the signature does not verify as a model.
  es.push(...signedPackage('v7.0.2-kind', v100, {}, KIND_GOLDEN));
  // A layer chain that does not fit (the header checks, before any allocation).
  const bad = encodeModel(v100);
  bad[32 + 8] = 9; // layer 1's `in` != layer 0's `out`
  es.push(...signedPackage('v7.0.3-chain', bad));
  // Hostile names in bundle.json (their folders are not even looked at).
  const bundle = { format: 1, default: 'v1.0.0', golden: 'golden',
    packages: ['v1.0.0', 'v9.9.9-replay', 'v7.0.0-huge', 'v7.0.1-flipped', 'v7.0.2-kind', 'v7.0.3-chain', '../x', 'a/b', 'v\u0001x', 'active', 'x'.repeat(33)] };
  es.unshift({ name: 'bundle.json', data: new TextEncoder().encode(JSON.stringify(bundle)) });
  return writeTar(es);
}

// ---- cases ----

export type MStep =
  | Step
  /** A host check on the system disk (between commands: the kernel has committed). */
  | { host: (img: string) => void }
  /** A command that must fail and change nothing on the disk. */
  | { unchanged: string; expect: Check[] };

export interface ModelBoot {
  /** Checks on the boot log (everything before the first prompt). */
  boot?: Check[];
  /** Host edit of the system disk before this boot. */
  before?: (img: string) => void;
  steps: MStep[];
  end: 'poweroff' | 'cut';
}

export interface ModelCase {
  name: string;
  /** The import disk's bytes (default: the seed bundle). */
  importDisk?: () => Uint8Array;
  boots: ModelBoot[];
  after?: (img: string, events: SisEvent[]) => void;
}

const exactly = (want: string): Check => (a) => (a === want ? null : `expected ${JSON.stringify(want)}`);
const lines = (...l: string[]) => exactly(l.map((x) => x + '\n').join(''));
const HEALTH_PASS = /^ {2}p99 latency: \d+ us \(\d+ ns, 500 inferences; gate < 1000 us\)\n {2}memory: +4080 bytes \(3 KiB; gate < 10 MB\)\n/m;

const SHIFTED = goldenCorrect('v2.0.0-shifted');
const SHIFTED_GATE = `health gate: accuracy ${pct(SHIFTED, 500)} \\(${SHIFTED}\\/500\\) is not above 95% \\(EINVAL\\)`;
const BASE = goldenCorrect('v1.0.0');
const CAND = goldenCorrect('v1.1.0');
const BASE_SHA = sha256(entry(seedEntries(), 'v1.0.0/model.bin'));

const PROVISION_LOG = [
  'models: no registry on the system disk: provisioning from the import disk\n',
  'models: golden set imported: 500 inputs\n',
  'models: imported v1.0.0\nmodels: imported v1.1.0\nmodels: imported v2.0.0-shifted\nmodels: imported v1.2.0-slow\n',
  'models: rejected v1.0.1-badsig: bad signature: bad R (key dev) (EBADMSG)\n',
  'models: rejected v1.0.2-untrusted: signed by untrusted key aba67ed50781f02d (ENOKEY)\n',
  'models: rejected v1.0.3-corrupt: model.bin is 2000 bytes, the manifest says 3532 (EBADMSG)\n',
  'models: rejected v1.0.4-replay: manifest.json: version "v1.0.0" is not the package name (EINVAL)\n',
  new RegExp(`^models: active v1\\.0\\.0 \\(p99 \\d+ us, accuracy ${pct(BASE, 500)}\\)$`, 'm'),
];

const SEED_MODELS = ['v1.0.0', 'v1.1.0', 'v1.2.0-slow', 'v2.0.0-shifted'];


/**
 * What `modelctl infer V FROM COUNT` must print, computed with the
 * TypeScript reference forward pass (models/src/forward.ts) on the seed's
 * golden set: the per-input lines, then the summary with the SHA-256 of
 * every activation's f32 bits and of the (action, confidence) pairs.
 */
export function referenceInfer(version: string, from: number, count: number): string {
  const seed = seedEntries();
  const model = decodeModel(entry(seed, `${version}/model.bin`));
  const golden = decodeGolden(entry(seed, 'golden/golden.bin'));
  const acts = createHash('sha256');
  const res = createHash('sha256');
  const out: string[] = [];
  let correct = 0;
  const hex = (f: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(f);
    return b.readUInt32LE().toString(16).padStart(8, '0');
  };
  golden.inputs.forEach((x, i) => {
    const r = infer(model, x);
    if (r.action === golden.labels[i]) correct++;
    for (const layer of r.activations) acts.update(new Uint8Array(layer.buffer, layer.byteOffset, layer.byteLength));
    const ac = Buffer.alloc(8);
    ac.writeUInt32LE(r.action, 0);
    ac.writeUInt32LE(r.confidence, 4);
    res.update(ac);
    if (i >= from && i - from < count) out.push(`${i} ${r.action} ${r.confidence}` + r.activations.map((l) => ' |' + [...l].map((v) => ' ' + hex(v)).join('')).join(''));
  });
  out.push(`infer ${version}: ${golden.inputs.length} inputs, ${correct} correct, activations sha256 ${acts.digest('hex')}, actions sha256 ${res.digest('hex')}`);
  return out.join('\n') + '\n';
}

/** Correct actions of a seed model on the golden set, by the TypeScript reference. */
export function goldenCorrect(version: string): number {
  const seed = seedEntries();
  const model = decodeModel(entry(seed, `${version}/model.bin`));
  const golden = decodeGolden(entry(seed, 'golden/golden.bin'));
  return golden.inputs.filter((x, i) => infer(model, x).action === golden.labels[i]).length;
}

function pct(n: number, of: number): string {
  return `${Math.floor((n * 100) / of)}\\.${String(Math.floor((n * 10000) / of) % 100).padStart(2, '0')}%`;
}



const ACTIONS = ['none', 'reclaim_caches', 'throttle_workload', 'shed_load', 'backoff_io'];
const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What `modelctl compare A B` must print (but the p99 figures), from the TypeScript reference. */
export function referenceCompare(a: string, b: string): Check[] {
  const seed = seedEntries();
  const ma = decodeModel(entry(seed, `${a}/model.bin`));
  const mb = decodeModel(entry(seed, `${b}/model.bin`));
  const golden = decodeGolden(entry(seed, 'golden/golden.bin'));
  const n = golden.inputs.length;
  let agree = 0;
  const per = ACTIONS.map(() => [0, 0, 0]);
  let worst: { i: number; d: number; ra: ReturnType<typeof infer>; rb: ReturnType<typeof infer> }[] = [];
  golden.inputs.forEach((x, i) => {
    const ra = infer(ma, x), rb = infer(mb, x), l = golden.labels[i];
    per[l][0]++;
    if (ra.action === l) per[l][1]++;
    if (rb.action === l) per[l][2]++;
    if (ra.action === rb.action) { agree++; return; }
    let d = 0;
    for (let k = 0; k < ACTIONS.length; k++) d += Math.abs(ra.probabilities[k] - rb.probabilities[k]);
    worst.push({ i, d: Math.trunc(d * 500000) >>> 0, ra, rb });
  });
  worst = worst.sort((p, q) => q.d - p.d || p.i - q.i).slice(0, 5);
  const p2 = (k: number, of: number) => { const q = of ? Math.floor((k * 10000) / of) : 0; return `${Math.floor(q / 100)}.${String(q % 100).padStart(2, '0')}%`; };
  const checks: Check[] = [new RegExp(`^compare ${esc(a)} ${esc(b)} on the golden set \\(${n} inputs\\):\n {2}agreement: +${agree}\\/${n} \\(${esc(p2(agree, n))}\\)\n`)];
  ACTIONS.forEach((name, k) => checks.push(new RegExp(`^ {2}${name} \\(${per[k][0]}\\) +${esc(p2(per[k][1], per[k][0]))} +${esc(p2(per[k][2], per[k][0]))}$`, 'm')));
  const acc = (m: Model) => golden.inputs.filter((x, i) => infer(m, x).action === golden.labels[i]).length;
  checks.push(new RegExp(`^ {2}accuracy +${esc(p2(acc(ma), n))} +${esc(p2(acc(mb), n))}$`, 'm'), /^ {2}p99 latency +\d+ us +\d+ us$/m);
  if (worst.length) checks.push(/^ {2}most disagreement \(total variation distance\):$/m);
  for (const w of worst) {
    checks.push(`    #${w.i} label ${ACTIONS[golden.labels[w.i]]}: ${a} ${ACTIONS[w.ra.action]} (${w.ra.confidence}), ${b} ${ACTIONS[w.rb.action]} (${w.rb.confidence}), distance 0.${String(Math.floor(w.d / 1000)).padStart(3, '0')}\n`);
  }
  return checks;
}

const inferStep = (v: string, from: number, count: number): MStep => ({
  command: `modelctl infer ${v} ${from} ${count}`,
  expect: [(a) => {
    const want = referenceInfer(v, from, count);
    if (a === want) return null;
    const al = a.split('\n'), wl = want.split('\n');
    const k = wl.findIndex((l, i) => l !== al[i]);
    return `differs from the TypeScript reference at line ${k}:\n kernel    ${al[k]}\n reference ${wl[k]}`;
  }],
});

export const MODEL_CASES: ModelCase[] = [
  {
    // v1.2.0-slow (3 million parameters) is left out: 500 of its inferences take minutes in the emulator.
    name: 'inference: outputs and every activation equal the TypeScript reference forward pass on the whole golden set, bit for bit',
    boots: [{
      steps: [inferStep('v1.0.0', 0, 40), inferStep('v1.1.0', 100, 20), inferStep('v2.0.0-shifted', 480, 20),
        { command: 'modelctl infer v1.0.0 x', expect: [/^usage: modelctl /] }],
      end: 'poweroff',
    }],
  },
  {
    name: 'first boot provisions the registry from the seed bundle; list, status, history, keys; the next boot verifies the active model',
    boots: [{
      boot: PROVISION_LOG,
      steps: [
        { command: 'modelctl list', expect: [/^Model Registry:\n {2}Version +Status +Loaded At +Health\n/,
          new RegExp(`^ {2}v1\\.0\\.0 +Active +\\d+ +P99=\\d+us Mem=3KB Acc=${pct(BASE, 500)}$`, 'm'), /^ {2}v1\.1\.0 +Available +\d+ +Not checked$/m,
          /^ {2}v1\.2\.0-slow +Available +\d+ +Not checked$/m, /^ {2}v2\.0\.0-shifted +Available +\d+ +Not checked$/m,
          (a) => (a.split('\n').length === 8 ? null : 'four models listed')] },
        { command: 'modelctl status', expect: [(a) => (a.includes(`sha256 ${BASE_SHA.slice(0, 16)}...`) ? null : 'sha256 of v1.0.0'), /^active: +v1\.0\.0\nshadow: +none\nrollback: +none\nloaded: +v1\.0\.0, 869 parameters, 4080 bytes on the heap, sha256 [0-9a-f]{16}\.\.\.\ngolden: +golden, 500 inputs, verified\nmodels: +4\n$/] },
        { command: 'modelctl history', expect: [/^1 \S+Z import +- -> v1\.0\.0 ok \(first boot: bundle\)\n2 .* -> v1\.1\.0 ok .*\n3 .* -> v2\.0\.0-shifted ok .*\n4 .* -> v1\.2\.0-slow ok .*\n5 \S+Z activate +- -> v1\.0\.0 ok \(first boot: bundle default\)\n$/] },
        { command: 'modelctl history --last 1', expect: [/^5 \S+Z activate +- -> v1\.0\.0 ok/] },
        { command: 'modelctl keys', expect: [lines('trusted keys (compiled in):',
          '  0ee8dd0c6caa834f  dev          DEVELOPMENT ONLY - never use for production',
          '    public 30b87428b1ca3553ec383578697168cc3b674ee56e7e2541a4da72be0e01d95c')] },
        { command: 'modelctl load v1.1.0', expect: [/^verified v1\.1\.0: sha256 [0-9a-f]{64}\n {2}signer 0ee8dd0c6caa834f \(dev\) DEVELOPMENT ONLY\n {2}3 layers, 869 parameters, mlp 7-32-16-5 relu\/softmax, 4080 bytes on the heap\n {2}read and verified in \d+ us\n$/] },
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('models', r.models.map((m) => [m.version, m.status]), SEED_MODELS.map((v) => [v, v === 'v1.0.0' ? 'active' : 'available']));
          eq('roles', [r.active, r.shadow, r.rollback], ['v1.0.0', null, null]);
          const seed = seedEntries();
          for (const m of r.models) eq(`${m.version} hash`, m.hash, 'sha256:' + sha256(entry(seed, `${m.version}/model.bin`)));
          eq('v1.0.0 health', r.models[0].health?.passed, true);
          eq('health.json', JSON.parse(dfsCat(img, '/models/v1.0.0/health.json') ?? 'null')?.test_accuracy, BASE / 500);
          eq('files', dfsLs(img, '/models/v1.1.0'), ['manifest.json', 'model.bin', 'model.sig']);
          eq('copied model.bin', dfsCat(img, '/models/v1.1.0/model.bin') === Buffer.from(entry(seed, 'v1.1.0/model.bin')).toString('latin1'), true);
          eq('golden', dfsLs(img, '/models/golden'), ['golden.bin', 'golden.sig', 'manifest.json']);
          eq('history', historyOf(img).map((h) => [h.operation, h.from, h.to, h.result]),
            [...SEED_MODELS.slice(0, 1), 'v1.1.0', 'v2.0.0-shifted', 'v1.2.0-slow'].map((v) => ['import', null, v, 'ok']).concat([['activate', null, 'v1.0.0', 'ok']]));
        } },
      ],
      end: 'poweroff',
    }, {
      boot: ['models: registry: 4 models, active v1.0.0, rollback none\n', 'models: golden set verified: 500 inputs\n',
        'models: active v1.0.0 verified (signer dev)\n'],
      steps: [{ command: 'modelctl status', expect: [/^active: +v1\.0\.0\n/] }],
      end: 'poweroff',
    }],
    after(img, events) {
      fsckClean(img);
      const reg = events.filter((e) => isEvent(e, 'registry'));
      eq('registry events', reg.map((e) => e.op), ['provision']);
      eq('registry event = registry.json', (reg[0] as { registry: unknown }).registry, registryOf(img));
      const h = events.filter((e) => isEvent(e, 'health'));
      eq('health event', h.map((e) => [e.version, e.passed, e.test_accuracy, e.count]), [['v1.0.0', true, BASE / 500, 500]]);
      eq('boot events', events.filter((e) => isEvent(e, 'boot')).length, 2);
    },
  },
  {
    name: 'swap, health, compare, rollback, remove, import: outputs, registry, symlinks and history after each',
    boots: [{
      steps: [
        { command: 'modelctl swap v1.1.0', expect: [/^Swapping to model version: v1\.1\.0\n/, HEALTH_PASS,
          new RegExp(`^ {2}accuracy: +${pct(CAND, 500)} \\(${CAND}\\/500 golden inputs; gate > 95%\\)\n {2}result: +pass \\(\\d+ us\\)\nModel swap complete: v1\\.1\\.0 \\(\\d+ us, \\d+ counter ticks\\)\nPrevious model saved to rollback: v1\\.0\\.0\n$`, 'm')] },
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('roles after swap', [r.active, r.rollback], ['v1.1.0', 'v1.0.0']);
          eq('statuses', r.models.map((m) => m.status), ['rollback', 'active', 'available', 'available']);
          const h = historyOf(img).at(-1)!;
          eq('history line', [h.operation, h.from, h.to, h.reason, h.result], ['swap', 'v1.0.0', 'v1.1.0', 'modelctl swap', 'ok']);
          if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(h.time))) throw new Error(`history time ${h.time}`);
        } },
        { command: 'modelctl health', expect: [/^health v1\.1\.0:\n/, HEALTH_PASS, /result: +pass/] },
        { command: 'modelctl health v2.0.0-shifted', expect: [/^health v2\.0\.0-shifted:\n/,
          new RegExp(`^ {2}accuracy: +${pct(SHIFTED, 500)} \\(${SHIFTED}\\/500 golden inputs; gate > 95%\\)\n {2}result: +FAIL, gate accuracy \\(\\d+ us\\)\nmodelctl: health v2\\.0\\.0-shifted: ${SHIFTED_GATE}\n$`, 'm')] },
        { host(img) {
          const r = checkConsistent(img);
          const m = r.models.find((x) => x.version === 'v2.0.0-shifted')!;
          eq('failed health recorded', [m.status, m.health?.passed, m.health?.failed_gate, m.health?.correct], ['failed', false, 'accuracy', SHIFTED]);
          eq('health.json', JSON.parse(dfsCat(img, '/models/v2.0.0-shifted/health.json') ?? '{}').failed_gate, 'accuracy');
        } },
        { command: 'modelctl compare v1.0.0 v1.1.0', expect: referenceCompare('v1.0.0', 'v1.1.0') },
        { command: 'modelctl rollback', expect: [/^Rolling back to last known good model: v1\.0\.0\n/, /^Rollback complete: active v1\.0\.0 \(\d+ us\)\n$/m] },
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('roles after rollback', [r.active, r.rollback], ['v1.0.0', null]);
          const h = historyOf(img).at(-1)!;
          eq('history line', [h.operation, h.from, h.to, h.result], ['rollback', 'v1.1.0', 'v1.0.0', 'ok']);
        } },
        { command: 'modelctl remove v2.0.0-shifted', expect: [exactly('removed v2.0.0-shifted\n')] },
        { command: 'modelctl import', expect: [/^import disk: bundle default v1\.0\.0, golden set golden, 8 packages\n {2}v1\.0\.0 +verified \(dev\), imported\n {2}v1\.1\.0 +verified \(dev\), imported\n {2}v2\.0\.0-shifted +verified \(dev\)\n/,
          /^ {2}v1\.0\.2-untrusted rejected: signed by untrusted key aba67ed50781f02d \(ENOKEY\)$/m] },
        { command: 'modelctl import v2.0.0-shifted', expect: [exactly('imported v2.0.0-shifted\n')] },
        { command: 'modelctl import --all', expect: [/^modelctl: import v1\.0\.1-badsig: bad signature: bad R \(key dev\) \(EBADMSG\)\n/m,
          /^modelctl: import v1\.0\.4-replay: manifest\.json: version "v1\.0\.0" is not the package name \(EINVAL\)\nnothing to import\n$/m] },
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('models', r.models.map((m) => m.version), SEED_MODELS);
          eq('history tail', historyOf(img).slice(-2).map((h) => [h.operation, h.from, h.to]), [['remove', 'v2.0.0-shifted', null], ['import', null, 'v2.0.0-shifted']]);
        } },
        { command: 'modelctl history --last 3', expect: [/^\d+ \S+ rollback +v1\.1\.0 -> v1\.0\.0 ok \(modelctl rollback\)\n\d+ \S+ remove +v2\.0\.0-shifted -> - ok \(modelctl remove\)\n\d+ \S+ import +- -> v2\.0\.0-shifted ok \(modelctl import\)\n$/] },
      ],
      end: 'poweroff',
    }],
    after(img, events) {
      fsckClean(img);
      eq('registry events', events.filter((e) => isEvent(e, 'registry')).map((e) => e.op), ['provision', 'swap', 'health', 'health', 'rollback', 'remove', 'import']);
      const last = events.filter((e) => isEvent(e, 'registry')).at(-1) as { registry: Registry };
      eq('last registry event = registry.json', last.registry, registryOf(img));
      eq('health events', events.filter((e) => isEvent(e, 'health')).map((e) => [e.version, e.passed]),
        [['v1.0.0', true], ['v1.1.0', true], ['v1.1.0', true], ['v2.0.0-shifted', false], ['v1.0.0', true]]);
    },
  },
  {
    name: 'every refused operation names its reason and changes nothing (registry, symlinks, history, e2fsck)',
    boots: [{
      steps: [
        { command: 'modelctl swap v1.1.0', expect: [/Model swap complete: v1\.1\.0/] },
        { unchanged: 'modelctl swap v2.0.0-shifted', expect: [/^ {2}result: +FAIL, gate accuracy/m, new RegExp(`^modelctl: swap v2\\.0\\.0-shifted: ${SHIFTED_GATE}\n$`, 'm')] },
        { unchanged: 'modelctl swap v1.2.0-slow', expect: [/^ {2}memory: +3187120 bytes/m, /^ {2}accuracy: +not measured \(the latency gate failed first\)$/m,
          /^modelctl: swap v1\.2\.0-slow: health gate: p99 latency \d+ us is not below 1000 us \(timing stopped early\) \(ETIMEDOUT\)\n$/m] },
        { unchanged: 'modelctl swap v1.1.0', expect: [exactly('modelctl: swap v1.1.0: v1.1.0 is already active (EALREADY)\n')] },
        { unchanged: 'modelctl swap v9.0.0', expect: [exactly('modelctl: swap v9.0.0: v9.0.0 is not in the registry (modelctl import v9.0.0) (ENOENT)\n')] },
        ...['../x', 'a/b', '..', 'x..y', '.hidden', 'active', 'registry.json', 'x'.repeat(33), 'v1:0', '-lead', 'v1*'].map((n): MStep => ({
          unchanged: `modelctl swap ${n}`,
          expect: [exactly(`modelctl: swap ${n}: invalid version name "${n.replace(/[^\x20-\x7e]/g, (c) => [...Buffer.from(c, 'latin1')].map((b) => '\\x' + b.toString(16)).join(''))}" (EINVAL)\n`)],
        })),
        { unchanged: 'modelctl remove v1.1.0', expect: [exactly('modelctl: remove v1.1.0: v1.1.0 is the active model (EBUSY)\n')] },
        { unchanged: 'modelctl remove v1.0.0', expect: [exactly('modelctl: remove v1.0.0: v1.0.0 is the rollback model (EBUSY)\n')] },
        { unchanged: 'modelctl remove ../v1.0.0', expect: [exactly('modelctl: remove ../v1.0.0: invalid version name "../v1.0.0" (EINVAL)\n')] },
        { unchanged: 'modelctl import v1.0.1-badsig', expect: [exactly('modelctl: import v1.0.1-badsig: bad signature: bad R (key dev) (EBADMSG)\n')] },
        { unchanged: 'modelctl import v1.0.2-untrusted', expect: [exactly('modelctl: import v1.0.2-untrusted: signed by untrusted key aba67ed50781f02d (ENOKEY)\n')] },
        { unchanged: 'modelctl import v1.0.3-corrupt', expect: [exactly('modelctl: import v1.0.3-corrupt: model.bin is 2000 bytes, the manifest says 3532 (EBADMSG)\n')] },
        { unchanged: 'modelctl import v1.0.4-replay', expect: [exactly('modelctl: import v1.0.4-replay: manifest.json: version "v1.0.0" is not the package name (EINVAL)\n')] },
        { unchanged: 'modelctl import v1.0.0', expect: [exactly('modelctl: import v1.0.0: v1.0.0 is already in the registry (EEXIST)\n')] },
        { unchanged: 'modelctl import nope', expect: [exactly('modelctl: import nope: nope is not in the import disk\'s bundle (ENOENT)\n')] },
        { unchanged: 'modelctl load ../x', expect: [exactly('modelctl: load ../x: invalid version name "../x" (EINVAL)\n')] },
        { unchanged: 'modelctl bogus', expect: [/^usage: modelctl list \| load V \| swap V/] },
        { command: 'modelctl rollback', expect: [/Rollback complete: active v1\.0\.0/] },
        { unchanged: 'modelctl rollback', expect: [exactly('modelctl: rollback: no rollback slot (no last known good model) (ENOENT)\n')] },
      ],
      end: 'poweroff',
    }],
  },
  {
    name: 'a hostile bundle: replayed signature, memory gate, flipped byte, kind confusion, bad layer chain, hostile names; the default still activates',
    importDisk: hostileBundle,
    boots: [{
      boot: ['models: imported v1.0.0\n',
        'models: rejected v9.9.9-replay: bad signature: signature mismatch (key dev) (EBADMSG)\n',
        /^models: rejected v7\.0\.0-huge: model\.bin: needs \d+ bytes, over the 10 MB memory gate \(ENOMEM\)$/m,
        /^models: rejected v7\.0\.1-flipped: model\.bin SHA-256 [0-9a-f]{16}\.\.\. does not match the manifest's [0-9a-f]{16}\.\.\. \(EBADMSG\)$/m,
        'models: rejected v7.0.2-kind: bad signature: signature mismatch (key dev) (EBADMSG)\n',
        'models: rejected v7.0.3-chain: model.bin: layer chain inconsistent (in != previous out) (EINVAL)\n',
        'models: rejected ../x: invalid version name "../x" (EINVAL)\n',
        'models: rejected a/b: invalid version name "a/b" (EINVAL)\n',
        'models: rejected v\\x01x: invalid version name "v\\x01x" (EINVAL)\n',
        'models: rejected active: invalid version name "active" (EINVAL)\n',
        `models: rejected ${'x'.repeat(33)}: invalid version name "${'x'.repeat(33)}" (EINVAL)\n`,
        new RegExp(`^models: active v1\\.0\\.0 \\(p99 \\d+ us, accuracy ${pct(BASE, 500)}\\)$`, 'm')],
      steps: [
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('only the good package', r.models.map((m) => m.version), ['v1.0.0']);
          eq('/models', dfsLs(img, '/models'), ['active', 'golden', 'history.jsonl', 'registry.json', 'v1.0.0']);
        } },
        { unchanged: 'modelctl import v9.9.9-replay', expect: [exactly('modelctl: import v9.9.9-replay: bad signature: signature mismatch (key dev) (EBADMSG)\n')] },
      ],
      end: 'poweroff',
    }],
  },
  {
    name: 'an active model that no longer verifies: the boot falls back to the last known good and says so loudly',
    boots: [{
      steps: [{ command: 'modelctl swap v1.1.0', expect: [/Model swap complete: v1\.1\.0/] }],
      end: 'poweroff',
    }, {
      before(img) {
        // Flip one byte of the active model's weights on the disk (debugfs -w: write a new file over it).
        const bin = Buffer.from(dfsCat(img, '/models/v1.1.0/model.bin')!, 'latin1');
        bin[500] ^= 1;
        const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-flip-'));
        try {
          const f = path.join(dir, 'model.bin');
          writeFileSync(f, bin);
          for (const req of ['rm /models/v1.1.0/model.bin', `write ${f} /models/v1.1.0/model.bin`]) {
            const r = run('debugfs', ['-w', '-R', req, img]);
            if (r.status !== 0) throw new Error(`debugfs -w ${req}: ${r.err}`);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      boot: [/^models: \*\*\* active model v1\.1\.0 failed verification: model\.bin SHA-256 [0-9a-f]{16}\.\.\. does not match the manifest's [0-9a-f]{16}\.\.\. \(EBADMSG\) \*\*\*$/m,
        'models: *** FELL BACK to last known good v1.0.0 ***\n'],
      steps: [
        { command: 'modelctl status', expect: [/^active: +v1\.0\.0\nshadow: +none\nrollback: +none\nloaded: +v1\.0\.0,/] },
        { host(img) {
          fsckClean(img);
          const r = checkConsistent(img);
          eq('roles', [r.active, r.rollback], ['v1.0.0', null]);
          const h = historyOf(img).at(-1)!;
          eq('history', [h.operation, h.from, h.to, h.result], ['boot-fallback', 'v1.1.0', 'v1.0.0', 'ok']);
        } },
        { unchanged: 'modelctl rollback', expect: [exactly('modelctl: rollback: no rollback slot (no last known good model) (ENOENT)\n')] },
      ],
      end: 'poweroff',
    }],
    after(img, events) {
      const rb = events.filter((e) => isEvent(e, 'rollback'));
      eq('rollback event', rb.map((e) => [e.from, e.to]), [['v1.1.0', 'v1.0.0']]);
      const logs = events.filter((e) => isEvent(e, 'log') && e.level === 'error').map((e) => (isEvent(e, 'log') ? e.msg : ""));
      if (!logs.some((m) => /^models: active model v1\.1\.0 failed verification/.test(m))) throw new Error(`no error log event: ${JSON.stringify(logs)}`);
      eq('registry event', events.filter((e) => isEvent(e, 'registry')).at(-1)?.op, 'boot-fallback');
    },
  },
];

// ---- the runner ----

/** Runs one case: fresh 32 MiB system disk, the import disk, an event console. */
export async function runModelCase(c: ModelCase, boot: BootFn, timeoutMs = 120_000): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-models-'));
  try {
    const sys = path.join(dir, 'system.img');
    writeFileSync(sys, '');
    truncateSync(sys, SYSTEM_MIB << 20);
    const imp = path.join(dir, 'import.img');
    const bytes = c.importDisk ? c.importDisk() : new Uint8Array(readFileSync(SEED_BUNDLE));
    writeFileSync(imp, bytes);
    if (bytes.length % 512) truncateSync(imp, Math.ceil(bytes.length / 512) * 512);
    const events: string[] = [];
    for (const b of c.boots) {
      b.before?.(sys);
      const { machine: m, events: ev } = await boot([{ path: sys, readonly: false }, { path: imp, readonly: true }], true);
      try {
        const log = m.output.slice(0, m.output.indexOf(PROMPT)).replace(/\r\n/g, '\n');
        for (const chk of b.boot ?? []) {
          const err = typeof chk === 'string' ? (log.includes(chk) ? null : `boot log lacks ${JSON.stringify(chk)}`)
            : chk instanceof RegExp ? (chk.test(log) ? null : `boot log does not match ${chk}`) : chk(log);
          if (err) throw new Error(`${c.name}: ${err}\n--- boot log ---\n${log}`);
        }
        for (const s of b.steps) {
          if ('host' in s) {
            s.host(sys);
          } else if ('unchanged' in s) {
            const before = modelsState(sys);
            await runCase(m, { name: c.name, fresh: true, steps: [{ command: s.unchanged, expect: s.expect }] }, timeoutMs);
            eq(`/models after \`${s.unchanged}\``, modelsState(sys), before);
            fsckClean(sys);
          } else {
            await runCase(m, { name: c.name, fresh: true, steps: [s] }, timeoutMs);
          }
        }
        if (b.end === 'poweroff') {
          await runCase(m, { name: c.name, fresh: true, steps: [{ type: 'poweroff\r', until: 'sis: powering off', expect: [] }, { exitCode: 0 }] }, timeoutMs);
        }
        events.push(...ev());
      } finally {
        await m.kill();
      }
    }
    c.after?.(sys, parseEvents(events.join('\n')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

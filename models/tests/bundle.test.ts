// The seed bundle: rebuilt from the sample definitions it must equal the committed file byte for
// byte; GNU tar reads it; every sample has the accuracy and the fate docs/MODELS.md promises.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../src/cli.ts';
import { decodeGolden, decodeModel, FormatError, KIND_GOLDEN, KIND_MODEL, paramCount } from '../src/format.ts';
import { evaluate, infer } from '../src/forward.ts';
import { DEV_PUBLIC, DEV_SECRET, UNTRUSTED_PUBLIC, UNTRUSTED_SECRET, loadPublicKey, loadSecretKey } from '../src/keys.ts';
import { verifyPackage } from '../src/package.ts';
import { buildBundle, type Bundle } from '../src/samples.ts';
import { REFERENCE_POLICY, label } from '../src/task.ts';
import { BUNDLE_MTIME, readTar } from '../src/ustar.ts';

let bundle: Bundle;
const trusted = [loadPublicKey(DEV_PUBLIC)];

beforeAll(() => {
  bundle = buildBundle({ dev: loadSecretKey(DEV_SECRET), untrusted: loadSecretKey(UNTRUSTED_SECRET) });
}, 600_000);

const pkg = (v: string) => {
  const p = bundle.packages.find((x) => x.version === v);
  if (!p) throw new Error(`no sample ${v}`);
  return p;
};
const verdict = (v: string) => verifyPackage(KIND_MODEL, { name: v, ...pkg(v).files }, trusted);
const accuracies = new Map<string, number>();
const accuracy = (v: string) => {
  if (!accuracies.has(v)) accuracies.set(v, evaluate(decodeModel(pkg(v).files.data), bundle.golden.set.inputs, bundle.golden.set.labels, 5).accuracy);
  return accuracies.get(v)!;
};

describe('seed bundle', () => {
  it('a fresh build equals the committed models/dist/seed-bundle.tar byte for byte', () => {
    const committed = readFileSync(DEFAULT_BUNDLE);
    expect(committed.length).toBe(bundle.tar.length);
    expect(Buffer.from(bundle.tar).equals(committed)).toBe(true);
  });

  it('GNU tar lists bundle.json, the golden set and every package in order, and extracts the same bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const file = join(dir, 'b.tar');
    writeFileSync(file, bundle.tar);
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    const expected = ['bundle.json', 'golden/golden.bin', 'golden/manifest.json', 'golden/golden.sig'];
    for (const p of bundle.packages) expected.push(`${p.version}/model.bin`, `${p.version}/manifest.json`, `${p.version}/model.sig`);
    expect(names).toEqual(expected);
    const x = join(dir, 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xf', file, '-C', x]);
    for (const e of readTar(bundle.tar)) expect(Buffer.from(readFileSync(join(x, e.name))).equals(Buffer.from(e.data)), e.name).toBe(true);
    expect(bundle.tar.length % 512).toBe(0);
    // GNU tar archiving the extracted files with the documented fields writes the same bytes
    for (const n of names) chmodSync(join(x, n), 0o644);
    const again = join(dir, 'gnu.tar');
    execFileSync('tar', ['--format=ustar', '-b', '1', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${BUNDLE_MTIME}`,
      '--mode=0644', '-C', x, '-cf', again, ...names]);
    expect(Buffer.from(readFileSync(again)).equals(Buffer.from(bundle.tar))).toBe(true);
  });

  it('bundle.json names the default, the golden set and every package', () => {
    const j = JSON.parse(new TextDecoder().decode(bundle.bundleJson));
    expect(j).toEqual({
      format: 1, default: 'v1.0.0', golden: 'golden',
      packages: ['v1.0.0', 'v1.1.0', 'v2.0.0-shifted', 'v1.2.0-slow', 'v1.0.1-badsig', 'v1.0.2-untrusted', 'v1.0.3-corrupt', 'v1.0.4-replay'],
    });
  });

  it('the golden set verifies (kind 2), is balanced, and its labels are the reference policy', () => {
    const g = bundle.golden.files;
    const v = verifyPackage(KIND_GOLDEN, { name: 'golden', ...g }, trusted);
    expect(v.ok).toBe(true);
    const set = decodeGolden(g.data, { task: true });
    expect(set.inputs.length).toBe(500);
    const counts = new Array(5).fill(0);
    set.labels.forEach((l, i) => {
      counts[l]++;
      expect(label(REFERENCE_POLICY, set.inputs[i])).toBe(l);
    });
    expect(counts).toEqual([100, 100, 100, 100, 100]);
  });

  it('healthy samples verify and pass the accuracy gate; the shifted one fails it', () => {
    for (const v of ['v1.0.0', 'v1.1.0', 'v2.0.0-shifted', 'v1.2.0-slow']) expect(verdict(v).ok, v).toBe(true);
    expect(accuracy('v1.0.0')).toBeGreaterThan(0.95);
    expect(accuracy('v1.1.0')).toBeGreaterThan(0.95);
    expect(accuracy('v1.2.0-slow')).toBeGreaterThan(0.95);
    expect(accuracy('v2.0.0-shifted')).toBeLessThan(0.95);
    for (const v of ['v1.0.0', 'v1.1.0', 'v2.0.0-shifted', 'v1.2.0-slow']) {
      const m = JSON.parse(new TextDecoder().decode(pkg(v).files.manifest));
      expect(m.training.golden_accuracy, v).toBe(Math.round(accuracy(v) * 10000) / 10000);
      expect(m.parameters).toBe(paramCount(decodeModel(pkg(v).files.data).layers));
      expect(pkg(v).files.manifest.length).toBeLessThanOrEqual(4096);
    }
  });

  it('the retrained candidate mostly agrees with the baseline; the shifted one diverges', () => {
    const agree = (a: string, b: string) => {
      const ma = decodeModel(pkg(a).files.data);
      const mb = decodeModel(pkg(b).files.data);
      const xs = bundle.golden.set.inputs;
      return xs.filter((x) => infer(ma, x).action === infer(mb, x).action).length / xs.length;
    };
    expect(agree('v1.0.0', 'v1.1.0')).toBeGreaterThan(0.95);
    expect(agree('v1.0.0', 'v2.0.0-shifted')).toBeLessThan(0.9);
    expect(agree('v1.0.0', 'v1.2.0-slow')).toBeGreaterThan(0.99);
  });

  it('the slow sample is under the memory gate and the heap but has ~800k multiply-adds per inference', () => {
    const data = pkg('v1.2.0-slow').files.data;
    const m = decodeModel(data, { task: true });
    const macs = m.layers.reduce((s, l) => s + l.in * l.out, 0);
    expect(macs).toBeGreaterThan(780_000);
    expect(data.length).toBeLessThan(10 * 1024 * 1024);
    expect(data.length).toBeLessThan(4 * 1024 * 1024);
    const base = decodeModel(pkg('v1.0.0').files.data);
    expect(base.layers.reduce((s, l) => s + l.in * l.out, 0) * 700).toBeLessThan(macs);
  });

  it('each bad sample is refused for exactly its documented reason', () => {
    const fate = (v: string) => {
      const r = verdict(v);
      return r.ok ? 'ok' : r.rule;
    };
    expect(fate('v1.0.1-badsig')).toBe('bad signature');
    expect(fate('v1.0.2-untrusted')).toBe('untrusted key');
    expect(fate('v1.0.3-corrupt')).toBe('size mismatch');
    expect(fate('v1.0.4-replay')).toBe('manifest version mismatch');
    // the untrusted one is otherwise valid: trusting its key makes it verify
    const withUntrusted = verifyPackage(KIND_MODEL, { name: 'v1.0.2-untrusted', ...pkg('v1.0.2-untrusted').files }, [...trusted, loadPublicKey(UNTRUSTED_PUBLIC)]);
    expect(withUntrusted.ok).toBe(true);
    // the bad signature is on otherwise intact files (the data equals the baseline's)
    expect(Buffer.from(pkg('v1.0.1-badsig').files.data).equals(Buffer.from(pkg('v1.0.0').files.data))).toBe(true);
    // the corrupt model.bin is refused by the format reader too
    expect(() => decodeModel(pkg('v1.0.3-corrupt').files.data)).toThrow(FormatError);
    // the replay is v1.0.0's files exactly
    for (const k of ['data', 'manifest', 'sig'] as const) {
      expect(Buffer.from(pkg('v1.0.4-replay').files[k]).equals(Buffer.from(pkg('v1.0.0').files[k]))).toBe(true);
    }
  });
});

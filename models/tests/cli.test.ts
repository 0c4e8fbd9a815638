// npm run models: the commands as a user runs them (a real process, exit codes, messages).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';

const ROOT = resolve(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'models', 'src', 'cli.ts');

/** A real process, as `npm run models --` starts it (slow: a few of these only). */
function spawnCli(...args: string[]) {
  const r = spawnSync(TSX, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same main() in this process, with stdout and stderr captured. */
function run(...args: string[]) {
  let out = '';
  let err = '';
  const so = process.stdout.write;
  const se = process.stderr.write;
  process.stdout.write = ((c: string | Uint8Array) => ((out += c.toString()), true)) as typeof so;
  process.stderr.write = ((c: string | Uint8Array) => ((err += c.toString()), true)) as typeof se;
  try {
    return { code: main(args), out, err };
  } finally {
    process.stdout.write = so;
    process.stderr.write = se;
  }
}

describe('npm run models as a process', () => {
  it('exits 2 on a usage error and 0 on success, printing to stderr and stdout', () => {
    const u = spawnCli('frobnicate');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command "frobnicate"/);
    const k = spawnCli('keys');
    expect(k.code).toBe(0);
    expect(k.out).toMatch(/^0ee8dd0c6caa834f {2}dev/m);
  });
});

describe('npm run models', () => {
  it('usage errors exit 2 with a message; --help exits 0', () => {
    expect(run().code).toBe(2);
    const h = run('--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/keygen.*\n.*sign/s);
    expect(run('sign', '--help').out).toMatch(/DEVELOPMENT ONLY/);
    const bad = run('verify', '--nope', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--nope/);
    expect(run('keygen').err).toMatch(/needs --name/);
    expect(run('train', '--version', 'v1', '--arch', '7-x-5').code).toBe(2);
    expect(run('train', '--version', '../x').err).toMatch(/invalid version name/);
  });

  it('keygen, train --unsigned, sign and verify with a user key; the dev key does not trust it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-cli-'));
    const k = run('keygen', '--name', 'alice', '--out', dir);
    expect(k.code).toBe(0);
    const id = /key id ([0-9a-f]{16})/.exec(k.out)![1];
    expect(readFileSync(join(dir, 'alice.pub'), 'utf8')).toContain(`id: ${id}`);
    const again = run('keygen', '--name', 'alice', '--out', dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists; not overwriting/);

    const t = run('train', '--version', 'v0.1.0', '--out', dir, '--samples', '400', '--epochs', '1', '--unsigned', '--created', '2026-11-01T00:00:00Z');
    expect(t.code, t.err).toBe(0);
    const pkg = join(dir, 'v0.1.0');
    expect(existsSync(join(pkg, 'model.sig'))).toBe(false);
    const s = run('sign', pkg, '--key', join(dir, 'alice.key'));
    expect(s.code, s.err).toBe(0);
    expect(s.err).toMatch(new RegExp(`signer 0000000000000000 -> ${id}`));
    const ok = run('verify', pkg, '--trust', join(dir, 'alice.pub'));
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(new RegExp(`v0.1.0: ok: key ${id}, 869 parameters, golden accuracy`));
    const no = run('verify', pkg);
    expect(no.code).toBe(1);
    expect(no.out).toMatch(new RegExp(`REFUSED: untrusted key \\(key ${id} is not a trusted key\\)`));

    // tamper with model.bin: refused, exit 1
    const bin = readFileSync(join(pkg, 'model.bin'));
    bin[bin.length - 1] ^= 1;
    writeFileSync(join(pkg, 'model.bin'), bin);
    const t2 = run('verify', pkg, '--trust', join(dir, 'alice.pub'));
    expect(t2.code).toBe(1);
    expect(t2.out).toMatch(/REFUSED: sha256 mismatch \(manifest says [0-9a-f]{64}, the file hashes to [0-9a-f]{64}\)/);
    // signing refuses a manifest that does not describe model.bin
    const s2 = run('sign', pkg, '--key', join(dir, 'alice.key'));
    expect(s2.code).toBe(1);
    expect(s2.err).toMatch(/manifest sha256/);
    // signing with a public key file is a clear error
    const s3 = run('sign', pkg, '--key', join(dir, 'alice.pub'));
    expect(s3.code).toBe(1);
    expect(s3.err).toMatch(/public key; signing needs the secret/);
    // inspect a truncated model.bin: refused by rule
    writeFileSync(join(dir, 'short.bin'), bin.subarray(0, 100));
    const i = run('inspect', join(dir, 'short.bin'));
    expect(i.code).toBe(1);
    expect(i.err).toMatch(/refused: file size mismatch/);
    expect(run('verify', join(dir, 'missing')).err).toMatch(/does not exist/);
  });

  it('verify lists the seed bundle with every verdict; keys --c prints the trusted-key table', () => {
    const v = run('verify', join(ROOT, 'models', 'dist', 'seed-bundle.tar'));
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/^v1\.0\.0: ok: .*\[default\]$/m);
    expect(v.out).toMatch(/^v1\.0\.1-badsig: REFUSED: bad signature \(the Ed25519 signature does not verify/m);
    expect(v.out).toMatch(/^v1\.0\.2-untrusted: REFUSED: untrusted key \(key aba67ed50781f02d is not a trusted key\)/m);
    expect(v.out).toMatch(/^v1\.0\.3-corrupt: REFUSED: size mismatch \(manifest says 3532 bytes, the file has 2000\)/m);
    expect(v.out).toMatch(/^v1\.0\.4-replay: REFUSED: manifest version mismatch \(manifest says "v1\.0\.0"/m);
    const k = run('keys', '--c');
    expect(k.code).toBe(0);
    expect(k.out).toContain('DEVELOPMENT ONLY - never use for production');
    expect(k.out).toContain('/* id 0ee8dd0c6caa834f */');
    expect(k.out).toContain('{ 0x0e, 0xe8, 0xdd, 0x0c, 0x6c, 0xaa, 0x83, 0x4f }');
    expect(k.out).not.toContain('aba67ed50781f02d');
    expect(run('keys').out).toMatch(/^0ee8dd0c6caa834f {2}dev/m);
  });
});

// The ustar writer against GNU tar: GNU tar lists and extracts our archives, and GNU tar's own
// ustar output for the same files (numeric owner 0, mode 0644, fixed mtime, blocking factor 1)
// is byte-for-byte our output.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/prng.ts';
import { BUNDLE_MTIME, readTar, tarHeader, writeTar, type TarEntry } from '../src/ustar.ts';

function sampleEntries(): TarEntry[] {
  const rng = new Prng(3);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(0, 255));
  return [
    { name: 'bundle.json', data: new TextEncoder().encode('{"format":1}\n') },
    { name: 'empty', data: new Uint8Array(0) },
    { name: 'v1.0.0/model.bin', data: bytes(512) },
    { name: 'v1.0.0/manifest.json', data: bytes(513) },
    { name: 'golden/golden.bin', data: bytes(16016) },
    { name: 'd/' + 'n'.repeat(98), data: bytes(3) }, // exactly 100 bytes: fills the name field, no NUL
  ];
}

describe('ustar writer', () => {
  const entries = sampleEntries();
  const tar = writeTar(entries);

  it('is what GNU tar itself writes for the same files (--format=ustar, numeric owner 0, mode 0644, fixed mtime)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ustar-'));
    for (const e of entries) {
      mkdirSync(join(dir, dirname(e.name)), { recursive: true });
      writeFileSync(join(dir, e.name), e.data);
      chmodSync(join(dir, e.name), 0o644);
    }
    const out = join(dir, 'gnu.tar');
    execFileSync('tar', ['--format=ustar', '-b', '1', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${BUNDLE_MTIME}`,
      '--mode=0644', '-C', dir, '-cf', out, ...entries.map((e) => e.name)]);
    const gnu = new Uint8Array(readFileSync(out));
    expect(gnu.length).toBe(tar.length);
    expect(Buffer.from(gnu).equals(Buffer.from(tar))).toBe(true);
  });

  it('GNU tar lists and extracts it to the same files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ustar-x-'));
    const file = join(dir, 'a.tar');
    writeFileSync(file, tar);
    const list = execFileSync('tar', ['-tvf', file, '--numeric-owner', '--utc'], { encoding: 'utf8' }).trim().split('\n');
    expect(list.length).toBe(entries.length);
    list.forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${entries[i].data.length} 2026-11-01 00:00 `));
      expect(line.endsWith(' ' + entries[i].name)).toBe(true);
    });
    const x = join(dir, 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xf', file, '-C', x]);
    for (const e of entries) expect(Buffer.from(readFileSync(join(x, e.name))).equals(Buffer.from(e.data)), e.name).toBe(true);
  });

  it('reads back its own output and refuses damaged headers', () => {
    expect(readTar(tar).map((e) => [e.name, e.data.length])).toEqual(entries.map((e) => [e.name, e.data.length]));
    const bad = tar.slice();
    bad[0] ^= 1;
    expect(() => readTar(bad)).toThrow(/checksum/);
    expect(() => readTar(tar.slice(0, 4096 + 512 + 100))).toThrow(/past the end/); // inside golden/golden.bin
    expect(() => readTar(tar.slice(0, tar.length - 1024))).toThrow(/two zero blocks/);
  });

  it('ends with two zero blocks, pads data to 512, and refuses what ustar cannot hold here', () => {
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(tar.length - 1024).every((b) => b === 0)).toBe(true);
    expect(() => tarHeader('x'.repeat(101), 1)).toThrow(/1..100/);
    expect(() => tarHeader('', 1)).toThrow();
    expect(() => tarHeader('caf\u00e9', 1)).toThrow(/ASCII/);
    expect(() => tarHeader('big', 8 ** 11)).toThrow(/does not fit/);
    expect(() => writeTar([{ name: 'a', data: new Uint8Array(1) }, { name: 'a', data: new Uint8Array(1) }])).toThrow(/duplicate/);
    const h = tarHeader('a', 10);
    expect(String.fromCharCode(...h.subarray(148, 156))).toMatch(/^[0-7]{6}\0 $/);
  });
});

// The read-only ext4 reader against filesystems made by e2fsprogs
// (mke2fs -t ext4 -d DIR): every file, directory and symlink of the source
// tree must read back exactly, for 4 KiB and 1 KiB blocks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ext4Error, Ext4Reader, sparseReadAt } from './ext4.ts';

const MKE2FS = ['/sbin/mke2fs', '/usr/sbin/mke2fs'].find((p) => { try { readFileSync(p); return true; } catch { return false; } });
const work = mkdtempSync(join(tmpdir(), 'sis-ext4r-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pseudo(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

function makeTree(dir: string) {
  mkdirSync(join(dir, 'models/v1.0.0'), { recursive: true });
  mkdirSync(join(dir, 'models/v1.1.0'), { recursive: true });
  mkdirSync(join(dir, 'many'), { recursive: true });
  writeFileSync(join(dir, 'models/registry.json'), '{"format":1,"models":[],"active":null,"shadow":null,"rollback":null}\n');
  writeFileSync(join(dir, 'models/history.jsonl'), '{"operation":"provision"}\n{"operation":"swap"}\n');
  writeFileSync(join(dir, 'models/v1.0.0/model.bin'), pseudo(3532, 1));
  writeFileSync(join(dir, 'models/v1.1.0/model.bin'), pseudo(3_178_588, 2)); // many blocks
  writeFileSync(join(dir, 'empty'), '');
  symlinkSync('v1.0.0', join(dir, 'models/active')); // fast symlink, relative
  symlinkSync('/models/v1.1.0', join(dir, 'models/abs')); // absolute
  symlinkSync('x'.repeat(70) + '/../models', join(dir, 'long')); // slow symlink (> 60 bytes)
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, `many/file-${i}`), `${i}\n`); // a multi-block (htree) directory
}

const made = new Map<number, { reader: Ext4Reader; path: string }>();
function image(blockSize: number): { reader: Ext4Reader; path: string } {
  const had = made.get(blockSize);
  if (had) return had;
  const src = join(work, `src-${blockSize}`);
  makeTree(src);
  const path = join(work, `fs-${blockSize}.img`);
  execFileSync(MKE2FS!, ['-q', '-F', '-t', 'ext4', '-b', String(blockSize), '-L', 'sis-test', '-d', src, path, '16M'], { stdio: 'pipe' });
  const bytes = new Uint8Array(readFileSync(path));
  const r = { reader: new Ext4Reader((o, n) => bytes.subarray(o, o + n), bytes.length), path };
  made.set(blockSize, r);
  return r;
}

describe.skipIf(!MKE2FS)('ext4 reader against mke2fs -d', () => {
  for (const bs of [4096, 1024]) {
    it(`reads files, directories and symlinks (${bs}-byte blocks)`, () => {
      const { reader } = image(bs);
      expect(reader.blockSize).toBe(bs);
      expect(reader.volumeName).toBe('sis-test');
      expect(reader.journalClean()).toBe(true);
      const src = join(work, `src-${bs}`);
      expect(reader.readText('/models/registry.json')).toBe(readFileSync(join(src, 'models/registry.json'), 'utf8'));
      expect(reader.readText('/models/history.jsonl').split('\n').filter(Boolean)).toHaveLength(2);
      expect(Buffer.from(reader.readFile('/models/v1.0.0/model.bin')).equals(readFileSync(join(src, 'models/v1.0.0/model.bin')))).toBe(true);
      expect(Buffer.from(reader.readFile('/models/v1.1.0/model.bin')).equals(readFileSync(join(src, 'models/v1.1.0/model.bin')))).toBe(true);
      expect(reader.readFile('/empty')).toHaveLength(0);
      // Symlinks: the target text, and followed.
      expect(reader.readLink(reader.lookup('/models/active', true))).toBe('v1.0.0');
      expect(reader.readFile('/models/active/model.bin')).toHaveLength(3532);
      expect(reader.readFile('/models/abs/model.bin')).toHaveLength(3_178_588);
      expect(reader.readLink(reader.lookup('/long', true))).toBe('x'.repeat(70) + '/../models');
      expect(reader.list('/models').map((e) => e.name).sort()).toEqual(['abs', 'active', 'history.jsonl', 'registry.json', 'v1.0.0', 'v1.1.0']);
      const many = reader.list('/many').map((e) => e.name);
      expect(many).toHaveLength(300);
      expect(reader.readText('/many/file-299')).toBe('299\n');
      expect(reader.exists('/models/shadow')).toBe(false);
      expect(reader.exists('/models/active')).toBe(true);
    });
  }

  it('refuses what is not ext4 and paths that do not exist, with the reason', () => {
    const zeros = new Uint8Array(1 << 20);
    expect(() => new Ext4Reader((o, n) => zeros.subarray(o, o + n), zeros.length)).toThrow(/no superblock magic/);
    expect(() => new Ext4Reader((o, n) => zeros.subarray(o, o + n), 1000)).toThrow(Ext4Error);
    const { reader } = image(4096);
    expect(() => reader.readFile('/models/nothing')).toThrow(/no such file/);
    expect(() => reader.readFile('/models')).toThrow(/not a regular file/);
    expect(() => reader.list('/models/registry.json')).toThrow(/not a directory/);
  });

  it('reads through a sparse block map the same as the flat image', () => {
    const { path } = image(4096);
    const bytes = new Uint8Array(readFileSync(path));
    const blocks = new Map<number, Uint8Array>();
    for (let b = 0; b < bytes.length / 4096; b++) {
      const d = bytes.subarray(b * 4096, (b + 1) * 4096);
      if (d.some((x) => x !== 0)) blocks.set(b, d.slice());
    }
    const r = new Ext4Reader(sparseReadAt(4096, blocks), bytes.length);
    expect(r.readText('/models/registry.json')).toContain('"format":1');
    expect(Buffer.from(r.readFile('/models/v1.1.0/model.bin')).equals(readFileSync(join(work, 'src-4096/models/v1.1.0/model.bin')))).toBe(true);
  });
});

// Images made by Debian's mke2fs -t ext4 -d DIR are read by our driver with
// identical contents: files, directories, fast and slow symlinks, large
// files, sparse files with multi-level extent trees, htree directories.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { symlinkSync, openSync, writeSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { buildFstool, tmp, sparseImage, mke2fs, extract, readTree, pattern, e2fsck, fstool, debugfs,
         mkdirSync, writeFileSync, rmSync, join, writeScript } from './fsharness';

let work: string;
let src: string;

function makeSource(dir: string): void {
  mkdirSync(join(dir, 'models/v1'), { recursive: true });
  mkdirSync(join(dir, 'empty-dir'));
  writeFileSync(join(dir, 'models/v1/weights.bin'), pattern(3 * 1024 * 1024 + 123, 1));
  writeFileSync(join(dir, 'models/registry.json'), '{"active":"v1"}\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'one-block'), pattern(1024, 2));
  symlinkSync('v1/weights.bin', join(dir, 'models/fast-link'));
  symlinkSync('/' + 'deep/'.repeat(30) + 'target', join(dir, 'slow-link'));
  // sparse: 400 islands of data separated by holes -> >4*84 extents at 1 KiB,
  // an extent tree of depth 2 (depth 1 at 4 KiB)
  const fd = openSync(join(dir, 'sparse'), 'w');
  for (let i = 0; i < 400; i++) writeSync(fd, pattern(700, 100 + i), 0, 700, i * 16384 + (i % 3) * 100);
  closeSync(fd);
  // a big directory (made into an htree by e2fsck -D below)
  mkdirSync(join(dir, 'many'));
  for (let i = 0; i < 400; i++) writeFileSync(join(dir, `many/file-with-a-longish-name-${i}`), `n${i}`);
}

function sameTree(a: Map<string, any>, b: Map<string, any>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of a) {
    const w = b.get(k);
    expect(w.type, k).toBe(v.type);
    if (v.type === 'file') expect(Buffer.compare(w.data, v.data), k).toBe(0);
    if (v.type === 'link') expect(w.target, k).toBe(v.target);
  }
}

beforeAll(() => {
  buildFstool();
  work = tmp();
  src = join(work, 'src');
  mkdirSync(src);
  makeSource(src);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('mke2fs -d images read by our driver', () => {
  for (const [label, size] of [['1 KiB blocks (64 MiB)', 64 << 20], ['4 KiB blocks (600 MiB, sparse file)', 600 << 20]] as const) {
    it(`reads ${label} with identical contents`, async () => {
      const img = join(work, `img-${size}.img`);
      mke2fs(img, size, src);
      // build hash indexes for large directories, like a long-lived disk has
      execFileSync('e2fsck', ['-fyD', img], { stdio: 'pipe' });
      expect((await e2fsck(img)).status).toBe(0);
      const bs = /Block size:\s+(\d+)/.exec(debugfs(img, 'stats'))![1];
      expect(bs).toBe(size < (512 << 20) ? '1024' : '4096');
      expect(debugfs(img, 'stat /sparse')).toMatch(/ETB1|\(ETB0\)/);
      expect(debugfs(img, 'stat /many')).toMatch(/Flags: 0x81000/);
      const { tree, run } = extract(img);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      sameTree(readTree(src), tree);
    });
  }

  it('modifies an mke2fs image (htree dir, uninit groups) and e2fsck stays clean', async () => {
    const img = join(work, 'mod.img');
    mke2fs(img, 64 << 20, src);
    execFileSync('e2fsck', ['-fyD', img], { stdio: 'pipe' });
    const script = writeScript(work, 'mod.txt', [
      'write /many/new-entry hello', 'rm /many/file-with-a-longish-name-7',
      'mv /models/v1/weights.bin /models/w', 'pattern /models/v1/weights.bin 500000 9',
      'mkdir /many/sub', 'truncate /sparse 100000', 'rm /slow-link', 'symlink ' + 'x'.repeat(200) + ' /slow2',
      'pwrite /uninit-group-file 0 4000000 3', 'sync']);
    const r = fstool('run', img, script);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fsck = await e2fsck(img);
    expect(fsck.stdout + fsck.stderr).not.toMatch(/Fix\?|Clear\?|Salvage\?/);
    expect(fsck.status).toBe(0);
    expect(debugfs(img, 'cat /many/new-entry')).toBe('hello');
    expect(debugfs(img, 'stat /many')).not.toMatch(/Flags: 0x81000/); // index cleared
    expect(debugfs(img, 'stat /models/w')).toMatch(/Size: 3145851/);
    const { tree } = extract(img);
    expect(Buffer.compare(tree.get('models/v1/weights.bin')!.data!, pattern(500000, 9))).toBe(0);
    expect(tree.get('slow2')!.target).toBe('x'.repeat(200));
    expect(tree.get('sparse')!.data!.length).toBe(100000);
    expect(tree.has('many/file-with-a-longish-name-7')).toBe(false);
    expect(tree.get('uninit-group-file')!.data!.equals(pattern(4000000, 3))).toBe(true);
  });

  it('refuses unknown incompat features and names them; ro_compat ones mount read-only', () => {
    const img = join(work, 'feat.img');
    sparseImage(img, 16 << 20);
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-O', 'inline_data', img], { stdio: 'pipe' });
    let r = fstool('run', img, writeScript(work, 'nop.txt', ['df']));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unsupported incompat features: inline_data/);
    mke2fs(img, 16 << 20);
    execFileSync('tune2fs', ['-O', 'quota', img], { stdio: 'pipe' });
    r = fstool('run', img, writeScript(work, 'ro.txt', ['expect 30', 'mkdir /x', 'df']));
    expect(r.stderr).toMatch(/read-only: unsupported ro_compat features: quota/);
    expect(r.status).toBe(0);
  });
});

// Our mkfs and our writes, checked by e2fsck -fn and debugfs.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { buildFstool, tmp, sparseImage, fstool, e2fsck, debugfs, extract, pattern, writeScript, rmSync, join } from './fsharness';

let work: string;
beforeAll(() => { buildFstool(); work = tmp(); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

function mkfs(name: string, bytes: number, bs?: number): string {
  const img = join(work, name);
  sparseImage(img, bytes);
  const r = fstool('mkfs', img, ...(bs ? [String(bs)] : []));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return img;
}

async function clean(img: string): Promise<void> {
  const r = await e2fsck(img);
  expect(r.stdout + r.stderr).not.toMatch(/Fix\?|Clear\?|Salvage\?|Optimize\?/);
  expect(r.status).toBe(0);
}

describe('mkfs', () => {
  for (const [size, bs] of [[8 << 20, 1024], [64 << 20, 1024], [600 << 20, 4096], [2 * 1024 ** 3, 4096]] as const) {
    it(`formats ${size / 2 ** 20} MiB with ${bs}-byte blocks into a filesystem e2fsck accepts`, async () => {
      const img = mkfs(`mkfs-${size}.img`, size);
      await clean(img);
      const stats = debugfs(img, 'stats');
      expect(stats).toMatch(new RegExp(`Block size:\\s+${bs}\\n`));
      for (const f of ['has_journal', 'ext_attr', 'dir_index', 'filetype', 'extent', '64bit', 'flex_bg',
                       'sparse_super', 'large_file', 'huge_file', 'dir_nlink', 'extra_isize', 'metadata_csum'])
        expect(stats).toMatch(new RegExp(`Filesystem features:.*\\b${f}\\b`));
      expect(stats).toMatch(/Journal backup:\s+inode blocks/);
      expect(debugfs(img, 'ls -l /')).toMatch(/lost\+found/);
    });
  }
  it('refuses a device too small to hold a journal, leaving it untouched', () => {
    const img = join(work, 'tiny.img');
    sparseImage(img, 1 << 20);
    const r = fstool('mkfs', img);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mkfs: EINVAL/);
  });
});

describe('scripted writes', () => {
  for (const bs of [1024, 4096]) {
    it(`leaves a ${bs}-byte-block image that e2fsck accepts and debugfs reads back`, async () => {
      const img = mkfs(`w-${bs}.img`, bs === 1024 ? 32 << 20 : 64 << 20, bs);
      const lines = [
        'mkdir /models', 'mkdir /models/v1', 'mkdir /incidents', 'mkdir /otel',
        'write /models/registry.json {"active":"v1"}',
        'pattern /models/v1/weights.bin 1000000 11',
        'symlink v1 /models/active',
        'symlink /models/' + 'long-path-component/'.repeat(5) + 'end /models/slowlink',
        'write /incidents/tmp incident 1',
        'mv /incidents/tmp /incidents/0001.json',
        'write /otel/a aaaa', 'write /otel/b bbbb', 'mv /otel/a /otel/b',
        'pattern /big 3000000 12', 'truncate /big 1234567', 'truncate /big 2000000',
        'pwrite /holes 0 100 1', 'pwrite /holes 50000 100 2', 'pwrite /holes 10000000 100 3',
        'mkdir /gone', 'write /gone/x x', 'rm /gone/x', 'rmdir /gone',
        'expect 2', 'cat /nope', 'expect 17', 'mkdir /models', 'expect 39', 'rmdir /models',
        'expect 21', 'rm /models', 'expect 20', 'rmdir /models/registry.json',
        'expect 22', 'mv /models /models/v1/inside',
        'mkdir /d2', 'mv /models/v1 /d2/v1', 'mv /d2/v1 /models/v1',
        'remount', 'append /otel/b +more', 'fsync /otel/b',
        'write /models/target old', 'symlink target /models/vl', 'write /models/vl new-through-link',
        'symlink /models/v1 /dirlink', 'write /dirlink/via-dir-link x', 'truncate /models/vl 8',
        'expect 2', 'write /models/dangling-target-missing/x y',
      ];
      for (let i = 0; i < 150; i++) lines.push(`write /incidents/i${i} incident number ${i}`);
      for (let i = 0; i < 150; i += 2) lines.push(`rm /incidents/i${i}`);
      lines.push('sync');
      const r = fstool('run', img, writeScript(work, `w-${bs}.txt`, lines));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      await clean(img);
      expect(debugfs(img, 'cat /models/registry.json')).toBe('{"active":"v1"}');
      expect(debugfs(img, 'cat /otel/b')).toBe('aaaa+more');
      expect(debugfs(img, 'cat /models/target')).toBe('new-thro');
      expect(debugfs(img, 'cat /models/v1/via-dir-link')).toBe('x');
      expect(debugfs(img, 'stat /models/vl')).toMatch(/Fast link dest: "target"/);
      expect(debugfs(img, 'cat /incidents/i149')).toBe('incident number 149');
      expect(debugfs(img, 'ls -l /models')).toMatch(/v1/);
      expect(debugfs(img, 'stat /models/active')).toMatch(/Fast link dest: "v1"/);
      expect(debugfs(img, 'stat /big')).toMatch(/Size: 2000000/);
      const { tree, run } = extract(img);
      expect(run.status).toBe(0);
      expect(tree.get('models/v1/weights.bin')!.data!.equals(pattern(1000000, 11))).toBe(true);
      const big = tree.get('big')!.data!;
      expect(big.subarray(0, 1234567).equals(pattern(3000000, 12).subarray(0, 1234567))).toBe(true);
      expect(big.subarray(1234567).every((x) => x === 0)).toBe(true);
      expect(tree.get('holes')!.data!.length).toBe(10000100);
      expect(tree.get('models/slowlink')!.target).toBe('/models/' + 'long-path-component/'.repeat(5) + 'end');
      expect(tree.has('incidents/i0')).toBe(false);
      expect(tree.has('incidents/i1')).toBe(true);
      expect(tree.has('gone')).toBe(false);
    });
  }

  it('a failed operation changes nothing (disk full mid-write)', async () => {
    const img = mkfs('full.img', 8 << 20);
    const before = fstool('run', img, writeScript(work, 'pre.txt', ['write /keep kept', 'sync']));
    expect(before.status).toBe(0);
    const r = fstool('run', img, writeScript(work, 'full.txt', [
      'expect 28', 'pattern /huge 20000000 1', 'write /after ok', 'sync', 'stat /keep']));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await clean(img);
    const { tree } = extract(img);
    expect(tree.has('huge')).toBe(false);
    expect(tree.get('after')!.data!.toString()).toBe('ok');
  });
});

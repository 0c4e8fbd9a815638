// Valid filesystems the driver must never call corrupt, and mkfs at its
// limits: bigalloc images (read-only, the feature named), ext2/ext3 block
// maps (direct, single, double and triple indirect, read-only), symlinks of
// 1024-4095 bytes (read, created, refused past the block size), a directory
// of 10000 entries, and mkfs's size limits, lazy groups and progress.
// Oracles: mke2fs -d for the images, sha256 and readlink on the host copy,
// e2fsck -fn and debugfs for what we write.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { symlinkSync, openSync, writeSync, closeSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buildFstool, tmp, sparseImage, extract, readTree, pattern, e2fsck, fstool, debugfs,
         mkdirSync, writeFileSync, rmSync, join, writeScript } from './fsharness';

let work: string;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const linkOf = (n: number, c = 'q') => '/' + c.repeat(n - 1);
/** fstool's stdout without the driver's own mount notes ("ext4: mounted read-only: ..."). */
const out = (s: string) => s.split('\n').filter((l) => !l.startsWith('ext4: ')).join('\n');

function sameTree(a: Map<string, any>, b: Map<string, any>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [k, v] of a) {
    const w = b.get(k);
    expect(w.type, k).toBe(v.type);
    if (v.type === 'file') expect(Buffer.compare(w.data, v.data), k).toBe(0);
    if (v.type === 'link') expect(w.target, k).toBe(v.target);
  }
}

function mkimg(name: string, size: string, args: string[], src?: string): string {
  const img = join(work, name);
  rmSync(img, { force: true });
  execFileSync('mke2fs', ['-q', '-F', ...args, ...(src ? ['-d', src] : []), img, size], { stdio: 'pipe' });
  return img;
}

beforeAll(() => {
  buildFstool();
  work = tmp('sis-ext4-formats-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bigalloc images mount read-only, naming the feature', () => {
  for (const bs of [1024, 4096]) {
    it(`${bs}-byte blocks: contents identical, writes refused, image unchanged`, async () => {
      const src = join(work, `big-src-${bs}`);
      mkdirSync(join(src, 'd'), { recursive: true });
      writeFileSync(join(src, 'd/data.bin'), pattern(700_000, 31));
      writeFileSync(join(src, 'hello'), 'hello bigalloc\n');
      symlinkSync(linkOf(bs - 1), join(src, 'longest-link'));
      symlinkSync('hello', join(src, 'fast'));
      const img = mkimg(`bigalloc-${bs}.img`, '64M', ['-t', 'ext4', '-O', 'bigalloc', '-b', String(bs)], src);
      expect(debugfs(img, 'stats')).toMatch(/Filesystem features:.*bigalloc/);
      const before = sha(img);
      const { tree, run } = extract(img);
      expect(run.stderr).toBe('note: read-only: unsupported ro_compat features: bigalloc\n');
      expect(run.status).toBe(0);
      sameTree(readTree(src), tree);
      const r = fstool('run', img, writeScript(work, 'ro.txt', ['expect 30', 'write /x y', 'expect 30', 'mkdir /d2',
        'readlink /longest-link']));
      expect(r.status, r.stderr).toBe(0);
      expect(out(r.stdout)).toBe('line 2: EROFS: filesystem is mounted read-only\n' +
        'line 4: EROFS: filesystem is mounted read-only\n' + `/longest-link -> ${linkOf(bs - 1)}\n`);
      expect(sha(img)).toBe(before);
      expect((await e2fsck(img)).status).toBe(0);
    });
  }
});

describe('symlinks of 60 to 4095 bytes', () => {
  it('reads long links made by mke2fs -d (1 KiB and 4 KiB blocks)', () => {
    for (const [bs, lens] of [[1024, [59, 60, 1000, 1023]], [4096, [1023, 1024, 2048, 4095]]] as const) {
      const src = join(work, `links-${bs}`);
      mkdirSync(src, { recursive: true });
      for (const n of lens) symlinkSync(linkOf(n, String.fromCharCode(97 + (n % 26))), join(src, `l${n}`));
      const img = mkimg(`links-${bs}.img`, '16M', ['-t', 'ext4', '-b', String(bs)], src);
      const { tree, run } = extract(img);
      expect(run.stderr).toBe('');
      sameTree(readTree(src), tree);
    }
  });

  it('creates links up to the block size less one, refuses longer ones with ENAMETOOLONG, e2fsck clean', async () => {
    for (const bs of [1024, 4096]) {
      const img = mkimg(`mklinks-${bs}.img`, '16M', ['-t', 'ext4', '-b', String(bs)]);
      const lines = ['symlinkn 60 /l60', `symlinkn ${bs - 1} /lmax`, 'expect 36', `symlinkn ${bs} /ltoo`,
        'expect 36', 'symlinkn 4096 /l4096', 'readlink /lmax', 'sync'];
      if (bs === 4096) lines.splice(2, 0, 'symlinkn 1024 /l1024', 'symlinkn 2000 /l2000');
      const r = fstool('run', img, writeScript(work, `mklinks-${bs}.txt`, lines));
      expect(r.status, r.stderr).toBe(0);
      const max = bs - 1;
      expect(r.stdout).toContain(`: ENAMETOOLONG: symlink target of ${bs} bytes (at most ${max} here)\n`);
      expect(r.stdout).toContain(`/lmax -> ${linkOf(max, 'a')}\n`);
      const fsck = await e2fsck(img);
      expect(fsck.status, fsck.stdout).toBe(0);
      expect(debugfs(img, 'cat /lmax')).toBe(linkOf(max, 'a'));
      if (bs === 4096) expect(debugfs(img, 'cat /l2000')).toBe(linkOf(2000, 'a'));
      expect(debugfs(img, 'stat /l60')).toMatch(/Size: 60\b/);
      expect(debugfs(img, 'ls /')).not.toMatch(/ltoo|l4096/);
    }
  });
});

describe('block-mapped files (ext2, ext3, ext4 without extents) are read', () => {
  let src: string;
  beforeAll(() => {
    src = join(work, 'bmap-src');
    mkdirSync(join(src, 'dir'), { recursive: true });
    writeFileSync(join(src, 'small'), 'eleven blocks or fewer\n');
    writeFileSync(join(src, 'single.bin'), pattern(200_000, 41));      // single indirect at 1 KiB
    writeFileSync(join(src, 'double.bin'), pattern(5_000_000, 42));    // double indirect (past 12 + bs/4 blocks)
    // data beyond 12 + 256 + 256^2 blocks of 1 KiB: triple indirect, sparse
    const fd = openSync(join(src, 'triple.bin'), 'w');
    writeSync(fd, pattern(5000, 43), 0, 5000, 80 << 20);
    writeSync(fd, pattern(3000, 44), 0, 3000, 1 << 20);
    closeSync(fd);
    // a directory of ~25 blocks at 1 KiB: its own blocks are mapped through an indirect block
    for (let i = 0; i < 700; i++) writeFileSync(join(src, `dir/entry-with-a-longer-name-${i}`), `e${i}\n`);
    symlinkSync('/' + 's'.repeat(300), join(src, 'slow-link'));
    symlinkSync('small', join(src, 'fast-link'));
  });

  for (const [label, args] of [
    ['ext2, 1 KiB blocks', ['-t', 'ext2', '-b', '1024']],
    ['ext2, 4 KiB blocks', ['-t', 'ext2', '-b', '4096']],
    ['ext4 -O ^extent (journal mapped by blocks too)', ['-t', 'ext4', '-O', '^extent,^64bit', '-b', '1024']],
  ] as const) {
    it(`${label}: identical contents, read-only with the reason, image unchanged`, async () => {
      const img = mkimg(`bmap-${label.replace(/\W+/g, '-')}.img`, '160M', [...args], src);
      if (args[3] === '1024') {
        expect(debugfs(img, 'stat /triple.bin')).toMatch(/\(TIND\)/);
        expect(debugfs(img, 'stat /dir')).toMatch(/\(IND\)/);
      }
      expect(debugfs(img, 'stat /double.bin')).toMatch(/\(DIND\)/);
      const before = sha(img);
      const { tree, run } = extract(img);
      expect(run.stderr).toBe('note: read-only: no extent feature: block-mapped files are read, not written\n');
      expect(run.status).toBe(0);
      sameTree(readTree(src), tree);
      const r = fstool('run', img, writeScript(work, 'bm-ro.txt', ['expect 30', 'write /x y', 'cat /small']));
      expect(r.status, r.stderr).toBe(0);
      expect(out(r.stdout)).toBe('line 2: EROFS: filesystem is mounted read-only\neleven blocks or fewer\n\n');
      expect(sha(img)).toBe(before);
      expect((await e2fsck(img)).status).toBe(0);
    });
  }

  it('ext3 upgraded to extents: old files read; changing them fails with a message naming the inode, changing nothing', async () => {
    const img = mkimg('ext3-up.img', '32M', ['-t', 'ext3'], src);
    execFileSync('tune2fs', ['-O', 'extent', img], { stdio: 'pipe' });
    const ino = /Inode: (\d+)/.exec(debugfs(img, 'stat /double.bin'))![1];
    const { tree } = extract(img);
    sameTree(readTree(src), tree);
    const r = fstool('run', img, writeScript(work, 'ext3.txt', ['expect 95', 'rm /double.bin', 'expect 95',
      'truncate /double.bin 10', 'write /new.txt new files get extents', 'sync']));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`line 2: EOPNOTSUPP: inode ${ino} uses block maps (ext2/ext3 format), which are read-only here\n` +
      `line 4: EOPNOTSUPP: inode ${ino} uses block maps (ext2/ext3 format), which are read-only here\n`);
    const fsck = await e2fsck(img);
    expect(fsck.status, fsck.stdout).toBe(0);
    expect(debugfs(img, 'cat /new.txt')).toBe('new files get extents');
    expect(debugfs(img, 'stat /new.txt')).toMatch(/EXTENTS/);
    const after = extract(img).tree;
    expect(Buffer.compare(after.get('double.bin')!.data!, pattern(5_000_000, 42))).toBe(0);
  });
});

describe('a directory of 10000 entries (mke2fs -d is quadratic in them: 10000 take seconds)', () => {
  it('is read whole: readdir gives every name, lookups find them', () => {
    const src = join(work, 'bigdir');
    mkdirSync(join(src, 'big'), { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < 10000; i++) names.push(`n${String((i * 7919) % 10000).padStart(5, '0')}`);
    for (const n of names) writeFileSync(join(src, 'big', n), '');
    const img = mkimg('bigdir.img', '64M', ['-t', 'ext4', '-N', '12000'], src);
    const sample = names.filter((_, i) => i % 500 === 0);
    const r = fstool('run', img, writeScript(work, 'bigdir.txt', ['readdir /big', ...sample.map((n) => `stat /big/${n}`)]));
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const listed = lines.slice(0, lines.length - sample.length);
    expect(listed.filter((n) => n !== '.' && n !== '..').sort()).toEqual([...names].sort());
    expect(lines.slice(-sample.length).map((l) => l.split(' ')[0])).toEqual(sample.map((n) => `/big/${n}`));
  });
});

describe('mkfs at its limits', () => {
  it('names the minimum size and writes nothing on a disk too small', () => {
    const img = join(work, 'small.img');
    for (const [mib, ok] of [[3, false], [4, true]] as const) {
      sparseImage(img, mib << 20);
      const r = fstool('mkfs', img);
      if (ok) { expect(r.status, r.stderr).toBe(0); continue; }
      expect(r.stderr).toBe('mkfs: EINVAL: the disk is 3072 KiB, ext4 needs at least 4096 KiB\n');
      expect(r.status).toBe(1);
      expect(readFileSync(img).equals(Buffer.alloc(3 << 20))).toBe(true);
    }
    expect(execFileSync('e2fsck', ['-fn', img], { encoding: 'utf8', stdio: 'pipe' })).toMatch(/11\/\d+ files/);
  });

  it('formats 1 TiB writing only what it must (lazy groups), with progress, e2fsck clean', async () => {
    const img = join(work, 'tb.img');
    sparseImage(img, 2 ** 40);
    const r = fstool('mkfs', img, '0', 'progress');
    expect(r.status, r.stderr).toBe(0);
    const reports = r.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(reports.length).toBeGreaterThan(10);
    const total = reports[0][2];
    for (let i = 1; i < reports.length; i++) expect(reports[i][1]).toBeGreaterThanOrEqual(reports[i - 1][1]);
    expect(reports.at(-1)!.slice(1)).toEqual([total, total]);
    // what mkfs says it writes is what the host file holds, and a small fraction of the disk:
    // the journal (128 MiB), bitmaps of the groups holding metadata, the GDT copies
    const allocated = statSync(img).blocks * 512;
    expect(allocated).toBeLessThanOrEqual(total + (1 << 20));
    expect(total).toBeLessThan(160 << 20);
    const fsck = await e2fsck(img);
    expect(fsck.status, fsck.stdout).toBe(0);
    const groups = execFileSync('dumpe2fs', [img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    expect((groups.match(/^Group \d+:/gm) ?? []).length).toBe(8192);
    expect((groups.match(/\[INODE_UNINIT, BLOCK_UNINIT\]/g) ?? []).length).toBeGreaterThan(8000);
    // the lazy groups work: a file written into the middle of the disk (its group gets real bitmaps)
    const s = fstool('run', img, writeScript(work, 'tb.txt', ['mkdir /m', 'pattern /m/f 3000000 5', 'sync']));
    expect(s.status, s.stderr).toBe(0);
    expect((await e2fsck(img)).status).toBe(0);
    rmSync(img, { force: true });
  });
});

// Seeded metadata corruption of ext4 images, and the check that the kernel
// survives each one: it reaches the prompt, `ls /` and `cat` answer,
// `poweroff` ends the machine, all within instruction bounds, and no crash
// report. Metadata locations come from debugfs (the oracle), not from our
// own parsing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/devices/overlay-block-store.ts';
import { Driver, mke2fs, scratchDir } from './harness.ts';

export interface Region {
  kind: string;
  offset: number;
  length: number;
}

function debugfs(image: Uint8Array, request: string): string {
  const f = scratchDir(`dbg-${process.pid}-${Math.random().toString(36).slice(2)}.img`);
  writeFileSync(f, image);
  try {
    const r = spawnSync('debugfs', ['-R', request, f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`debugfs ${request}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(f, { force: true });
  }
}

/** The metadata regions of an ext4 image, by kind. */
export function metadataRegions(image: Uint8Array, dirs: string[]): Region[] {
  const stats = debugfs(image, 'stats');
  const num = (re: RegExp) => {
    const m = re.exec(stats);
    if (!m) throw new Error(`debugfs stats: no ${re}`);
    return Number(m[1]);
  };
  const bs = num(/^Block size:\s+(\d+)/m);
  const isz = num(/^Inode size:\s+(\d+)/m);
  const dsz = /^Group descriptor size:\s+(\d+)/m.exec(stats) ? num(/^Group descriptor size:\s+(\d+)/m) : 32;
  const groups = [...stats.matchAll(/Group\s+(\d+): block bitmap at (\d+), inode bitmap at (\d+), inode table at (\d+)/g)];
  const firstData = bs === 1024 ? 1 : 0;
  const regions: Region[] = [
    { kind: 'superblock', offset: 1024, length: 0x180 }, // the fields in use; the rest is mostly padding
    { kind: 'group descriptors', offset: (firstData + 1) * bs, length: groups.length * dsz },
  ];
  const g0 = groups[0];
  regions.push({ kind: 'block bitmap', offset: Number(g0[2]) * bs, length: bs });
  regions.push({ kind: 'inode bitmap', offset: Number(g0[3]) * bs, length: bs });
  regions.push({ kind: 'inode table', offset: Number(g0[4]) * bs, length: 16 * isz }); // inodes 1..16: root, journal, lost+found, our files
  const blocks = (spec: string) =>
    debugfs(image, `blocks ${spec}`)
      .trim()
      .split(/\s+/)
      .filter((x) => /^\d+$/.test(x))
      .map(Number);
  for (const d of ['<2>', ...dirs]) for (const b of blocks(d)) regions.push({ kind: 'directory block', offset: b * bs, length: bs });
  const journal = blocks('<8>').slice(0, 8);
  for (const b of journal) regions.push({ kind: 'journal block', offset: b * bs, length: bs });
  return regions;
}

// crc32c (Castagnoli, reflected 0x82F63B78), for re-sealing the superblock checksum.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
export function crc32c(data: Uint8Array, crc = 0xffffffff): number {
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/**
 * Corrupts a copy of `image` (seeded): one region, one of bit flips, a
 * random/zero/all-ones 32-bit field, or a zeroed run. Half the superblock
 * corruptions re-seal the superblock checksum so they get past it and test
 * the field checks behind it. Returns the image and a description.
 */
export function corrupt(image: Uint8Array, regions: Region[], seed: number): { image: Uint8Array; what: string; kind: string; resealed: boolean } {
  const rnd = seededRandom(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const kinds = [...new Set(regions.map((r) => r.kind))];
  const kind = kinds[pick(kinds.length)];
  const inKind = regions.filter((r) => r.kind === kind);
  const region = inKind[pick(inKind.length)];
  const img = image.slice();
  const dv = new DataView(img.buffer);
  const mode = pick(4);
  let what: string;
  if (mode === 0) {
    const n = 1 + pick(4);
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = region.offset + pick(region.length);
      img[o] ^= 1 << pick(8);
      at.push(o);
    }
    what = `${n} bit flip(s) in the ${kind} at ${at.join(',')}`;
  } else if (mode === 1 || mode === 2) {
    const o = region.offset + (pick(region.length) & ~3);
    const v = mode === 1 ? Math.floor(rnd() * 2 ** 32) : [0, 0xffffffff, 0x7fffffff, 1][pick(4)];
    dv.setUint32(o, v >>> 0, true);
    what = `u32 at ${o} in the ${kind} set to 0x${(v >>> 0).toString(16)}`;
  } else {
    const len = 16 << pick(4);
    const o = region.offset + pick(Math.max(1, region.length - len));
    img.fill(0, o, Math.min(o + len, region.offset + region.length));
    what = `${len} bytes zeroed at ${o} in the ${kind}`;
  }
  // A zeroed run over zeros or a field set to its own value changes nothing:
  // make every corruption a real change.
  const before = image.subarray(region.offset, region.offset + region.length);
  const after = img.subarray(region.offset, region.offset + region.length);
  if (Buffer.compare(before, after) === 0) {
    const o = region.offset + pick(region.length);
    img[o] ^= 0xff;
    what += ` (no change: byte ${o} inverted instead)`;
  }
  let resealed = false;
  if (kind === 'superblock' && rnd() < 0.5) {
    dv.setUint32(1024 + 0x3fc, ~crc32c(img.subarray(1024, 1024 + 0x3fc)) >>> 0, true);
    what += ' (checksum re-sealed)';
    resealed = true;
  }
  return { image: img, what, kind, resealed };
}

export interface SurviveResult {
  ok: boolean;
  problem?: string;
  /** The kernel said something is wrong (mount refused, I/O error, read-only...). */
  reported: boolean;
  mounted: boolean;
}

const ERROR_WORDS = /error|corrupt|checksum|invalid|bad |refus|not mounted|read-only|EIO|EUCLEAN|EFSCORRUPTED|unsupported|cannot/i;

/** Boots the image; the kernel must not crash or hang. */
export async function survives(image: Uint8Array, files: string[], bound = 150_000_000): Promise<SurviveResult> {
  const d = await Driver.create(image);
  try {
    if (!(await d.boot(bound))) return { ok: false, problem: `no prompt within ${bound} instructions (${d.exit?.reason ?? 'running'}): ${d.out.slice(-400)}`, reported: false, mounted: false };
    const bootText = d.out;
    const mounted = /blk0 mounted at \//.test(bootText);
    let reported = !mounted || ERROR_WORDS.test(bootText.split('\n').filter((l) => /^(storage|ext4|sis: warning)/.test(l)).join('\n'));
    const ls = await d.command('ls /', bound);
    if (ls === null) return { ok: false, problem: `ls / did not answer: ${d.out.slice(-400)}`, reported, mounted };
    if (ERROR_WORDS.test(ls)) reported = true;
    for (const f of files) {
      const c = await d.command(`cat ${f}`, bound);
      if (c === null) return { ok: false, problem: `cat ${f} did not answer: ${d.out.slice(-400)}`, reported, mounted };
      if (ERROR_WORDS.test(c)) reported = true;
    }
    if (d.crashed) return { ok: false, problem: `crash report: ${d.out.slice(d.out.indexOf('***'), d.out.indexOf('***') + 800)}`, reported, mounted };
    const off = await d.poweroff(bound);
    if (d.crashed) return { ok: false, problem: `crash report at poweroff: ${d.out.slice(d.out.indexOf('***'), d.out.indexOf('***') + 800)}`, reported, mounted };
    if (off?.code !== 0) return { ok: false, problem: `poweroff: ${JSON.stringify(off)}: ${d.out.slice(-400)}`, reported, mounted };
    return { ok: true, reported, mounted };
  } finally {
    if (!d.exit) d.stop();
  }
}

/** A kernel-made image: blank disk formatted by the kernel, files written by the shell, clean poweroff. */
export async function kernelImage(mib: number): Promise<{ image: Uint8Array; files: string[]; dirs: string[] }> {
  const d = await Driver.create(new Uint8Array(mib << 20));
  if (!(await d.boot())) throw new Error(`no prompt: ${d.out.slice(-400)}`);
  const long = '/models/' + 'x'.repeat(80); // a slow symlink target (> 60 bytes)
  for (const c of ['mkdir /models', 'write /models/a model-a weights', 'write /reg registry v1', `ln -s ${long} /slow`, 'ln -s /models/a /cur', 'mkdir /spans', 'write /spans/s1 spans', 'sync']) {
    const r = await d.command(c);
    if (r === null || ERROR_WORDS.test(r)) throw new Error(`\`${c}\`: ${r}`);
  }
  const off = await d.poweroff();
  if (off?.code !== 0) throw new Error(`poweroff: ${JSON.stringify(off)}`);
  return { image: d.disk.snapshot(), files: ['/reg', '/models/a', '/cur'], dirs: ['/models', '/spans'] };
}

/** An image made by Debian's mke2fs -t ext4 -d DIR. */
export function mke2fsImage(mib: number): { image: Uint8Array; files: string[]; dirs: string[] } {
  const dir = scratchDir(`tree-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'spans'));
  writeFileSync(join(dir, 'reg'), 'registry v1\n');
  writeFileSync(join(dir, 'models/a'), 'model-a weights\n'.repeat(130)); // 2080 bytes: three 1 KiB blocks
  for (let i = 0; i < 40; i++) writeFileSync(join(dir, `spans/batch-${i}`), `span ${i}\n`);
  symlinkSync('/models/a', join(dir, 'cur'));
  const image = mke2fs(mib, dir);
  rmSync(dir, { recursive: true, force: true });
  return { image, files: ['/reg', '/models/a', '/cur'], dirs: ['/models', '/spans'] };
}

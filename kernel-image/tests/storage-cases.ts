// The storage command table: what the SIS kernel must do with its disks on
// any machine. Like shell-cases.ts it holds no QEMU specifics: a case says
// which disks to attach (built on the host with mke2fs or left blank), what
// to type in each boot, and what the host tools (e2fsck, debugfs - the
// oracle) must find on the disk afterwards. A machine runs it through
// runStorageCase() with its own boot function (QEMU: storage-qemu.test.ts;
// the emulator once it has virtio-blk and virtio-console).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync, symlinkSync, truncateSync, openSync, writeSync, closeSync, readSync, existsSync, renameSync, copyFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PROMPT, type SerialMachine } from './serial-machine.ts';
import { runCase, type Check, type Step } from './shell-cases.ts';

export interface DiskSpec {
  /** Build the image inside `dir` and return its path. */
  build(dir: string): string;
  readonly?: boolean;
}

export interface BootSpec {
  /** Checks on the boot log (everything before the first prompt). */
  boot?: Check[];
  steps: Step[];
  /** 'poweroff' types poweroff and wants status 0; 'cut' pulls the plug after the last step. */
  end: 'poweroff' | 'cut';
}

export interface StorageContext {
  images: string[];
  /** Event stream lines (virtio console) of every boot, in order. */
  events: string[];
}

export interface StorageCase {
  name: string;
  disks: DiskSpec[];
  /** Attach the virtio event console. */
  console?: boolean;
  boots: BootSpec[];
  /** The machine must not write to its disks (checked byte for byte). */
  untouched?: boolean;
  /** Host checks once the last boot has ended. */
  after?: (ctx: StorageContext) => void;
}

export interface BootedMachine {
  machine: SerialMachine;
  /** Event lines written so far (empty if the machine has no console). */
  events(): string[];
}

export type BootFn = (disks: { path: string; readonly: boolean }[], console: boolean) => Promise<BootedMachine>;

// ---- host oracle helpers ----

export function e2fsck(img: string): { status: number; output: string } {
  const r = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: (r.stdout ?? '') + (r.stderr ?? '') };
}

export function debugfs(img: string, request: string): string {
  const r = spawnSync('debugfs', ['-R', request, img], { encoding: 'latin1' });
  if (r.status !== 0) throw new Error(`debugfs -R '${request}' failed: ${r.stderr}`);
  return r.stdout;
}

function expectClean(img: string): void {
  const r = e2fsck(img);
  if (r.status !== 0) throw new Error(`e2fsck -fn ${img}: status ${r.status}\n${r.output}`);
}

function expectEq(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/** Names in a directory as debugfs sees them (without . and ..), sorted. */
export function debugfsNames(img: string, dir: string): string[] {
  return debugfs(img, `ls -p ${dir}`)
    .split('\n')
    .map((l) => l.split('/'))
    .filter((f) => f.length >= 6 && f[5] !== '.' && f[5] !== '..')
    .map((f) => f[5])
    .sort();
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Deterministic bytes (xorshift32), so every run builds the same tree. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

function textOf(n: number, seed: number): string {
  const r = prng(seed);
  const words = ['sis', 'kernel', 'ext4', 'journal', 'extent', 'inode', 'block', 'model', 'shadow', 'trace'];
  let s = '';
  while (s.length < n) s += words[r() % words.length] + (r() % 9 === 0 ? '\n' : ' ');
  return s.slice(0, n - 1) + '\n';
}

function bytesOf(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(r(), i < n - 3 ? i : n - 4);
  return b;
}

// ---- disks ----

export const blankDisk = (mib: number): DiskSpec => ({
  build(dir) {
    const p = path.join(dir, `blank-${mib}.img`);
    writeFileSync(p, '');
    truncateSync(p, mib << 20);
    return p;
  },
});

/** The tree the mke2fs cases copy in; also the expectations. */
export interface HostTree {
  texts: Record<string, string>;
  binaries: Record<string, Buffer>;
  links: Record<string, string>;
  dirs: string[];
}

export function hostTree(): HostTree {
  const texts: Record<string, string> = {
    '/hello.txt': 'hello from the host\n',
    '/docs/readme.md': textOf(3000, 7),
    '/docs/nested/deeper/note.txt': textOf(1500, 11),
    '/empty.txt': '',
  };
  const binaries: Record<string, Buffer> = {
    '/bin/small.dat': bytesOf(777, 3),
    '/bin/large.dat': bytesOf(300_000, 5),
  };
  for (let i = 0; i < 120; i++) texts[`/many/file-${String(i).padStart(3, '0')}.txt`] = `file ${i}\n`;
  const links = { '/fast-link': 'hello.txt', '/slow-link': '/docs/' + 'n'.repeat(70) + '/target' };
  return { texts, binaries, links, dirs: ['/docs', '/docs/nested', '/docs/nested/deeper', '/bin', '/many'] };
}

export const mke2fsDisk = (size: string, blockSize: 1024 | 4096): DiskSpec => ({
  build(dir) {
    const src = path.join(dir, `tree-${blockSize}`);
    const t = hostTree();
    for (const d of t.dirs) mkdirSync(path.join(src, d), { recursive: true });
    for (const [p, s] of Object.entries(t.texts)) writeFileSync(path.join(src, p), s);
    for (const [p, b] of Object.entries(t.binaries)) writeFileSync(path.join(src, p), b);
    for (const [p, target] of Object.entries(t.links)) symlinkSync(target, path.join(src, p));
    const img = path.join(dir, `mke2fs-${blockSize}.img`);
    const r = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', src, img, size], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mke2fs failed: ${r.stderr}`);
    const bs = /Block size:\s+(\d+)/.exec(spawnSync('dumpe2fs', ['-h', img], { encoding: 'utf8' }).stdout)?.[1];
    if (Number(bs) !== blockSize) throw new Error(`mke2fs chose ${bs}-byte blocks for ${size}, want ${blockSize}`);
    return img;
  },
});

/** A 4 MiB mke2fs image with tune2fs -O FEATURE applied (e2fsprogs keeps the checksums right). */
export const tunedDisk = (feature: string): DiskSpec => ({
  build(dir) {
    const img = path.join(dir, `tuned-${feature}.img`);
    for (const [cmd, args] of [['mke2fs', ['-q', '-F', '-t', 'ext4', img, '4M']], ['tune2fs', ['-O', feature, img]]] as const) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    }
    return img;
  },
});

/** An mke2fs image whose primary superblock checksum no longer matches (a byte of the label flipped). */
export const corruptSuperblockDisk: DiskSpec = {
  build(dir) {
    const img = path.join(dir, 'corrupt.img');
    const r = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'sis', img, '4M'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mke2fs failed: ${r.stderr}`);
    const fd = openSync(img, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 1024 + 0x78); // s_volume_name[0]
    b[0] ^= 0x20;
    writeSync(fd, b, 0, 1, 1024 + 0x78);
    closeSync(fd);
    return img;
  },
};


/** mke2fs ARGS -d (a tree written by `fill`) of SIZE; throws with mke2fs's words if it fails. */
function mke2fsWith(dir: string, name: string, size: string, args: string[], fill: (src: string) => void): string {
  const src = path.join(dir, `${name}-src`);
  mkdirSync(src, { recursive: true });
  fill(src);
  const img = path.join(dir, `${name}.img`);
  const r = spawnSync('mke2fs', ['-q', '-F', ...args, '-d', src, img, size], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mke2fs ${args.join(' ')} failed: ${r.stderr}`);
  return img;
}

/** A relative symlink target of exactly n bytes that resolves to `file` ("././.../file"). */
export function dotLink(n: number, file: string): string {
  const pad = n - file.length;
  if (pad < 0 || pad % 2) throw new Error(`dotLink: ${n} - ${file.length} must be even and >= 0`);
  return './'.repeat(pad / 2) + file;
}

const LINK_TEXT = 'reached through a long symlink\n';

/** bigalloc (clusters of 16 blocks) with a file, a long link (block size - 1 bytes) and a fast one. */
export const bigallocDisk = (bs: 1024 | 4096): DiskSpec => ({
  build: (dir) => mke2fsWith(dir, `bigalloc-${bs}`, '32M', ['-t', 'ext4', '-O', 'bigalloc', '-b', String(bs)], (src) => {
    writeFileSync(path.join(src, 'hello.txt'), LINK_TEXT);
    writeFileSync(path.join(src, 'data.bin'), bytesOf(200_000, 9));
    symlinkSync(dotLink(bs - 1, 'hello.txt'), path.join(src, 'long-link'));
  }),
});

/** Block-mapped (ext2, or ext3 with -t ext3) files: one past 12 + 256 blocks needs a double indirect block. */
export const blockMappedDisk = (fsType: 'ext2' | 'ext3'): DiskSpec => ({
  build: (dir) => {
    const img = mke2fsWith(dir, fsType, '16M', ['-t', fsType, '-b', '1024'], (src) => {
      writeFileSync(path.join(src, 'hello.txt'), 'hello from a block map\n');
      writeFileSync(path.join(src, 'double.bin'), bytesOf(1_500_000, 21));
      symlinkSync('/' + 'b'.repeat(199), path.join(src, 'slow-link'));
    });
    if (fsType === 'ext3') {
      // extents on, old files keep their block maps: a writable disk with files we cannot change
      const r = spawnSync('tune2fs', ['-O', 'extent', img], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tune2fs failed: ${r.stderr}`);
    }
    return img;
  },
});

export const BIG_DIR_ENTRIES = 10_000;
export const bigDirNames = (): string[] =>
  Array.from({ length: BIG_DIR_ENTRIES }, (_, i) => `e${String((i * 7919) % BIG_DIR_ENTRIES).padStart(5, '0')}`);

/** /big with 10000 empty files. mke2fs -d takes seconds for it (quadratic), so one build is kept in the temp dir. */
export const bigDirDisk: DiskSpec = {
  build(dir) {
    const cached = path.join(os.tmpdir(), `sis-bigdir-${BIG_DIR_ENTRIES}-v1.img`);
    if (!existsSync(cached)) {
      const img = mke2fsWith(dir, 'bigdir', '32M', ['-t', 'ext4', '-N', String(BIG_DIR_ENTRIES + 2000)], (src) => {
        mkdirSync(path.join(src, 'big'));
        for (const n of bigDirNames()) writeFileSync(path.join(src, 'big', n), '');
        writeFileSync(path.join(src, 'small.txt'), 'small\n');
      });
      const part = `${cached}.${process.pid}`;
      copyFileSync(img, part);
      renameSync(part, cached);
    }
    const img = path.join(dir, 'bigdir.img');
    copyFileSync(cached, img);
    return img;
  },
};

/** Names that would drive a terminal if printed raw (ESC sequences, newline, BEL, C1 CSI, invalid UTF-8). */
export const HOSTILE_NAMES: Buffer[] = [
  Buffer.from('esc\x1b[31mred'), Buffer.from('new\nline'), Buffer.from('back\\slash'), Buffer.from('tab\there'),
  Buffer.from('bell\x07'), Buffer.from('caf\u00e9'), Buffer.from('c1\u009b2J'), Buffer.from([0x62, 0x61, 0x64, 0xff]),
  Buffer.from('plain'),
];
export const HOSTILE_TARGET = '\x1b]0;pwned\x07\x1b[2J';

export const hostileNamesDisk: DiskSpec = {
  build: (dir) => mke2fsWith(dir, 'hostile', '8M', ['-t', 'ext4'], (src) => {
    // Buffer paths: the invalid UTF-8 name must reach the disk as its bytes
    for (const n of HOSTILE_NAMES) writeFileSync(Buffer.concat([Buffer.from(src + '/'), n]), 'x\n');
    symlinkSync(HOSTILE_TARGET, path.join(src, 'evil-link'));
    mkdirSync(path.join(src, 'd\x1b[1m'));
  }),
};

/** GNU ls -b in C.UTF-8 (the oracle for our escaping; it also escapes spaces, which we do not and the names avoid). */
export function lsB(dir: string, args: string[] = []): Buffer {
  const r = spawnSync('ls', ['-1b', ...args], { cwd: dir, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  if (r.status !== 0) throw new Error(`ls -b failed: ${r.stderr}`);
  return r.stdout;
}

/** An answer equal to `bytes` however the machine's serial output decodes non-ASCII bytes (UTF-8 or Latin-1). */
const bytesExactly = (bytes: Buffer) => (a: string): string | null =>
  a === bytes.toString('utf8') || a === bytes.toString('latin1') ? null : `expected ${JSON.stringify(bytes.toString('utf8'))}`;

// ---- checks ----

const exactly = (want: string): Check => (a) => (a === want ? null : `expected ${JSON.stringify(want)}`);
const SLOW_TARGET = '/' + 'l'.repeat(70) + '/target';

const fileOps: Step[] = [
  { command: 'mkdir /d', expect: [exactly('')] },
  { command: 'write /d/a first version', expect: [exactly('')] },
  { command: 'write /d/b second version', expect: [exactly('')] },
  { command: 'mv /d/b /d/a', expect: [exactly('')] },
  { command: 'cat /d/a', expect: [exactly('second version\n')] },
  { command: 'ln -s /d/a /fast', expect: [exactly('')] },
  { command: `ln -s ${SLOW_TARGET} /slow`, expect: [exactly('')] },
  { command: 'write /gone bye', expect: [exactly('')] },
  { command: 'rm /gone', expect: [exactly('')] },
  { command: 'mkdir /e', expect: [exactly('')] },
  { command: 'rmdir /e', expect: [exactly('')] },
  { command: 'write d/c relative path works', expect: [exactly('')] },
  { command: 'ls /', expect: [exactly('d\nfast\nlost+found\nslow\n')] },
  { command: 'ls -l /d', expect: [/^-rw-r--r-- +1 +15 a\n-rw-r--r-- +1 +20 c\n$/] },
  { command: 'ls -l /fast', expect: [/^lrwxrwxrwx +1 +4 \/fast -> \/d\/a\n$/] },
  { command: 'stat /slow', expect: [/^type: +symbolic link$/m, `target: ${SLOW_TARGET}\n`, /^size: +78 bytes/m] },
  { command: 'sync', expect: [exactly('')] },
];

const badPaths: Step[] = [
  { command: 'ls /nope', expect: [exactly('ls: /nope: No such file or directory (ENOENT)\n')] },
  { command: 'cat /d', expect: [exactly('cat: /d: Is a directory (EISDIR)\n')] },
  { command: 'cat /d/a/x', expect: [exactly('cat: /d/a/x: Not a directory (ENOTDIR)\n')] },
  { command: 'mkdir /d', expect: [exactly('mkdir: /d: File exists (EEXIST)\n')] },
  { command: 'mkdir /no/such', expect: [exactly('mkdir: /no/such: No such file or directory (ENOENT)\n')] },
  { command: 'rmdir /d', expect: [exactly('rmdir: /d: Directory not empty (ENOTEMPTY)\n')] },
  { command: 'rmdir /d/a', expect: [exactly('rmdir: /d/a: Not a directory (ENOTDIR)\n')] },
  { command: 'rm /d', expect: [exactly('rm: /d: Is a directory (EISDIR)\n')] },
  { command: 'rm /nope', expect: [exactly('rm: /nope: No such file or directory (ENOENT)\n')] },
  { command: 'mv /nope /x', expect: [exactly('mv: /nope: No such file or directory (ENOENT)\n')] },
  { command: 'ln -s /x /d', expect: [exactly('ln: /d: File exists (EEXIST)\n')] },
  { command: 'write /d', expect: [exactly('write: /d: Is a directory (EISDIR)\n')] },
  { command: 'ls -x /', expect: [exactly('usage: ls [-l] [PATH]\n')] },
  { command: 'ln /a /b', expect: [exactly('usage: ln -s TARGET LINK\n')] },
  { command: 'diskctl format', expect: [exactly("diskctl: format erases everything on blk0; run 'diskctl format --yes' to do it\n")] },
  { command: 'diskctl', expect: [exactly('usage: diskctl info | diskctl format --yes\n')] },
];

/** Run `series` twice with `mem` after each: heap bytes in use must not grow (no leak per command). */
function noLeak(series: Step[]): Step[] {
  let first = -1;
  const inUse = (a: string) => Number(/^in use: +(\d+) bytes$/m.exec(a)?.[1] ?? NaN);
  return [
    ...series,
    { command: 'mem', expect: [(a) => { first = inUse(a); return Number.isNaN(first) ? 'no in-use line' : null; }] },
    ...series,
    { command: 'mem', expect: [(a) => (inUse(a) === first ? null : `heap in use grew from ${first} to ${inUse(a)} bytes`)] },
  ];
}

function checkFileOpsImage(img: string): void {
  expectClean(img);
  expectEq('debugfs cat /d/a', debugfs(img, 'cat /d/a'), 'second version\n');
  expectEq('debugfs cat /d/c', debugfs(img, 'cat /d/c'), 'relative path works\n');
  expectEq('debugfs ls /', debugfsNames(img, '/'), ['d', 'fast', 'lost+found', 'slow']);
  expectEq('debugfs ls /d', debugfsNames(img, '/d'), ['a', 'c']);
  const fast = debugfs(img, 'stat /fast');
  if (!fast.includes('Fast link dest: "/d/a"')) throw new Error(`/fast is not a fast symlink to /d/a:\n${fast}`);
  expectEq('slow symlink target', debugfs(img, 'cat /slow'), SLOW_TARGET);
  if (!/EXTENTS/.test(debugfs(img, 'stat /slow'))) throw new Error('/slow is not a slow (extent) symlink');
}

function parseBoot(events: string[]): Record<string, unknown> {
  const boots = events.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.t === 'boot');
  if (!boots.length) throw new Error(`no boot event in ${JSON.stringify(events)}`);
  return boots[0];
}


/** ls -b of a host copy of the hostile tree (made once, when a check first needs it). */
let hostileLs: { root: Buffer; link: Buffer } | null = null;
function hostileListing(): { root: Buffer; link: Buffer } {
  if (hostileLs) return hostileLs;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-hostile-'));
  try {
    for (const n of HOSTILE_NAMES) writeFileSync(Buffer.concat([Buffer.from(dir + '/'), n]), 'x\n');
    symlinkSync(HOSTILE_TARGET, path.join(dir, 'evil-link'));
    mkdirSync(path.join(dir, 'd\x1b[1m'));
    mkdirSync(path.join(dir, 'lost+found'));
    const long = lsB(dir, ['-l', 'evil-link']).toString('latin1');
    hostileLs = { root: lsB(dir), link: Buffer.from(long.slice(long.indexOf(' -> ') + 4), 'latin1') };
    return hostileLs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const blankBytes = (name: string, bytes: number): DiskSpec => ({
  build(dir) {
    const p = path.join(dir, `${name}.img`);
    writeFileSync(p, '');
    truncateSync(p, bytes);
    return p;
  },
});

const heapInUse = (a: string) => Number(/^in use: +(\d+) bytes$/m.exec(a)?.[1] ?? NaN);
let heapBefore = NaN;

const MIN_SIZE_MSG = 'the disk is 3072 KiB, ext4 needs at least 4096 KiB (EINVAL)';
const BLOCK_MAP_MSG = /^rm: \/double\.bin: Operation not supported \(EOPNOTSUPP\): inode \d+ uses block maps \(ext2\/ext3 format\), which are read-only here\n$/;

export const STORAGE_CASES: StorageCase[] = [
  {
    name: 'no disk: the file commands say no filesystem is mounted, the shell works',
    disks: [],
    boots: [{
      boot: ['storage: no system disk (blk0), no filesystem mounted'],
      steps: [
        { command: 'ls', expect: [exactly('ls: no filesystem mounted: no system disk (blk0)\n')] },
        { command: 'write /x y', expect: [exactly('write: no filesystem mounted: no system disk (blk0)\n')] },
        { command: 'diskctl info', expect: [exactly('no disks\n/: no filesystem mounted: no system disk (blk0)\n')] },
        { command: 'diskctl format --yes', expect: [exactly('diskctl: format blk0 failed: No such device (ENODEV)\n')] },
      ],
      end: 'poweroff',
    }],
  },
  {
    name: 'a blank disk is formatted at first boot; e2fsck accepts it; the boot event is valid JSON',
    disks: [blankDisk(16), { ...blankDisk(1), readonly: true }],
    console: true,
    boots: [{
      boot: ['storage: blk0 is blank: formatting it as ext4\n', 'storage: blk0 mounted at / (ext4)\n', 'event console on'],
      steps: [
        { command: 'diskctl info', expect: ['blk0: 32768 sectors (16384 KiB), read-write, system disk\n',
          'blk1: 2048 sectors (1024 KiB), read-only, import disk (raw)\n',
          '/: ext4 on blk0, read-write\n', '/: formatted at this boot (blk0 was blank)\n'] },
        { command: 'ls -l /', expect: [/^drwx------ +2 +\d+ lost\+found\n$/] },
        { command: 'df', expect: [/^blk0 +16384 +\d+ +\d+ +\d+% +\d+ +\d+ +\/\n/m] },
        { command: 'write /x erased soon', expect: [exactly('')] },
        { command: 'diskctl format', expect: [/run 'diskctl format --yes' to do it\n$/] },
        { command: 'cat /x', expect: [exactly('erased soon\n')] },
        { command: 'diskctl format --yes', expect: [exactly('storage: blk0 mounted at / (ext4)\ndiskctl: blk0 formatted and mounted at /\n')] },
        { command: 'ls /', expect: [exactly('lost+found\n')] },
      ],
      end: 'poweroff',
    }],
    after({ images, events }) {
      expectClean(images[0]);
      expectEq('debugfs ls /', debugfsNames(images[0], '/'), ['lost+found']);
      const boot = parseBoot(events);
      expectEq('boot event v', boot.v, 1);
      if (typeof boot.ts_us !== 'number' || boot.ts_us <= 0) throw new Error(`bad ts_us ${boot.ts_us}`);
      if (!/^\d+\.\d+\.\d+$/.test(String(boot.version))) throw new Error(`bad version ${boot.version}`);
      if (!Array.isArray(boot.features)) throw new Error('features is not an array');
      expectEq('boot event ram', boot.ram, 128 << 20);
      expectEq('boot event disks', boot.disks, [{ n: 0, sectors: 32768, ro: false }, { n: 1, sectors: 2048, ro: true }]);
      expectEq('import disk untouched', readFileSync(images[1]).equals(Buffer.alloc(1 << 20)), true);
      expectEq('boot event rootfs', boot.rootfs, { mounted: true, formatted: true });
    },
  },
  {
    name: 'scripted file operations leave an image e2fsck accepts, with the expected files',
    disks: [blankDisk(32)],
    boots: [{
      steps: [...fileOps, ...badPaths,
        { command: 'fsbench 256', expect: [/^fsbench: write 262144 bytes \d+ us\nfsbench: fsync \d+ us\nfsbench: read 262144 bytes \d+ us\nfsbench: append\+fsync 16 x 512 bytes \d+ us, \d+ us each\n$/] },
        { command: 'fsbench 3', expect: [/^usage: fsbench \[KiB\]/] },
        // the requests above completed through the disk's interrupt, not by polling alone
        { command: 'virtio', expect: [/^slot \d+ +0x[0-9a-f]{8} irq \d+: block \(id 2\).*, interrupts [1-9]\d*$/m] }],
      end: 'poweroff',
    }],
    after: ({ images }) => checkFileOpsImage(images[0]),
  },
  {
    name: 'a change the shell acknowledged survives a power cut (no unmount, no sync)',
    disks: [blankDisk(32)],
    boots: [
      { steps: fileOps.filter((s) => !('command' in s) || s.command !== 'sync'), end: 'cut' },
      {
        boot: ['storage: blk0 mounted at / (ext4)\n'],
        steps: [
          { command: 'cat /d/a', expect: [exactly('second version\n')] },
          { command: 'ls /', expect: [exactly('d\nfast\nlost+found\nslow\n')] },
        ],
        end: 'poweroff',
      },
    ],
    after: ({ images }) => checkFileOpsImage(images[0]),
  },
  ...([['8M', 1024], ['600M', 4096]] as const).map(([size, bs]): StorageCase => {
    const t = hostTree();
    const steps: Step[] = [];
    for (const [p, s] of Object.entries(t.texts)) if (!p.startsWith('/many/')) steps.push({ command: `cat ${p}`, expect: [exactly(s)] });
    for (const [p, b] of Object.entries(t.binaries)) steps.push({ command: `sha256 ${p}`, expect: [exactly(`${sha256(b)}  ${p}\n`)] });
    steps.push({ command: 'cat /many/file-077.txt', expect: [exactly('file 77\n')] });
    steps.push({ command: 'ls /many', expect: [exactly(Object.keys(t.texts).filter((p) => p.startsWith('/many/')).map((p) => p.slice(6)).sort().join('\n') + '\n')] });
    steps.push({ command: 'ls /', expect: [exactly('bin\ndocs\nempty.txt\nfast-link\nhello.txt\nlost+found\nmany\nslow-link\n')] });
    steps.push({ command: 'ls -l /fast-link', expect: [/-> hello\.txt\n$/] });
    steps.push({ command: 'ls -l /slow-link', expect: [`-> ${t.links['/slow-link']}\n`] });
    steps.push({ command: 'cat /fast-link', expect: [exactly(t.texts['/hello.txt'])] });
    steps.push({ command: 'cat /slow-link', expect: [exactly('cat: /slow-link: No such file or directory (ENOENT)\n')] });
    steps.push({ command: 'ls -l /bin', expect: [/^-rw-r--r-- +1 +300000 large\.dat\n-rw-r--r-- +1 +777 small\.dat\n$/] });
    steps.push({ command: 'write /docs/added.txt added by sis', expect: [exactly('')] });
    steps.push(...noLeak([
      { command: 'ls -l /docs', expect: [] }, { command: 'sha256 /bin/small.dat', expect: [] },
      { command: 'cat /nope/x', expect: ['ENOENT'] }, { command: 'write /tmp.txt x y', expect: [exactly('')] },
      { command: 'mv /tmp.txt /tmp2.txt', expect: [exactly('')] }, { command: 'ln -s /tmp2.txt /tmp.lnk', expect: [exactly('')] },
      { command: 'cat /tmp.lnk', expect: [exactly('x y\n')] }, { command: 'rm /tmp.lnk', expect: [exactly('')] },
      { command: 'rm /tmp2.txt', expect: [exactly('')] }, { command: 'mkdir /t', expect: [exactly('')] },
      { command: 'rmdir /t', expect: [exactly('')] }, { command: 'stat /many', expect: [] }, { command: 'df', expect: [] },
    ]));
    return {
      name: `an image made by mke2fs -t ext4 -d (${size}, ${bs}-byte blocks) reads back identically`,
      disks: [mke2fsDisk(size, bs)],
      boots: [{ boot: ['storage: blk0 mounted at / (ext4)\n'], steps, end: 'poweroff' }],
      after({ images }) {
        expectClean(images[0]);
        expectEq('added file', debugfs(images[0], 'cat /docs/added.txt'), 'added by sis\n');
        expectEq('host file unchanged', debugfs(images[0], 'cat /docs/readme.md'), t.texts['/docs/readme.md']);
      },
    };
  }),
  {
    name: 'a corrupt superblock is refused with a reason; the shell still works; the disk is untouched',
    disks: [corruptSuperblockDisk],
    console: true,
    untouched: true,
    boots: [{
      boot: [/storage: blk0 not mounted: mount refused: .*checksum.* \(EUCLEAN\)\n/i],
      steps: [
        { command: 'ls /', expect: [/^ls: no filesystem mounted: mount refused: .*checksum.* \(EUCLEAN\)\n$/i] },
        { command: 'diskctl info', expect: [/^\/: no filesystem mounted: mount refused/m] },
        { command: 'echo still alive', expect: [exactly('still alive\n')] },
      ],
      end: 'poweroff',
    }],
    after({ events }) {
      const all = events.map((l) => JSON.parse(l) as Record<string, unknown>);
      const log = all.find((e) => e.t === 'log');
      if (!log || log.level !== 'error' || !/^blk0 not mounted: mount refused: .*checksum/.test(String(log.msg)))
        throw new Error(`no error log event for the refused mount: ${JSON.stringify(all)}`);
      const boot = parseBoot(events);
      if (!/^mount refused: .*checksum.*\(EUCLEAN\)$/.test(String((boot.rootfs as Record<string, unknown>)?.reason)))
        throw new Error(`boot event rootfs: ${JSON.stringify(boot.rootfs)}`);
    },
  },
  {
    name: 'an unknown incompat feature (encrypt) is refused with the reason',
    disks: [tunedDisk('encrypt')],
    untouched: true,
    boots: [{
      boot: ['storage: blk0 not mounted: mount refused: unsupported incompat features: encrypt (EOPNOTSUPP)\n'],
      steps: [{ command: 'cat /x', expect: [exactly('cat: no filesystem mounted: mount refused: unsupported incompat features: encrypt (EOPNOTSUPP)\n')] }],
      end: 'poweroff',
    }],
  },
  {
    name: 'an unknown ro_compat feature (quota) mounts read-only and says why',
    disks: [tunedDisk('quota')],
    untouched: true,
    boots: [{
      boot: [/storage: blk0 mounted at \/ \(ext4, read-only: [^)]*quota[^)]*\)\n/],
      steps: [
        { command: 'ls /', expect: [exactly('lost+found\n')] },
        { command: 'write /x y', expect: [exactly('write: /x: Read-only file system (EROFS)\n')] },
        { command: 'mkdir /d', expect: [exactly('mkdir: /d: Read-only file system (EROFS)\n')] },
        { command: 'df', expect: [/ \/ \(read-only\)\n$/] },
      ],
      end: 'poweroff',
    }],
  },

  // ---- issue 7: valid disks never called corrupt, hostile names, mkfs limits ----
  ...([1024, 4096] as const).map((bs): StorageCase => ({
    name: `a bigalloc image (${bs}-byte blocks) mounts read-only naming the feature; a ${bs - 1}-byte symlink reads`,
    disks: [bigallocDisk(bs)],
    untouched: true,
    boots: [{
      boot: ['ext4: mounted read-only: unsupported ro_compat features: bigalloc\n',
        'storage: blk0 mounted at / (ext4, read-only: unsupported ro_compat features: bigalloc)\n'],
      steps: [
        { command: 'cat /hello.txt', expect: [exactly(LINK_TEXT)] },
        { command: 'sha256 /data.bin', expect: [exactly(`${sha256(bytesOf(200_000, 9))}  /data.bin\n`)] },
        { command: 'cat /long-link', expect: [exactly(LINK_TEXT)] },
        { command: 'ls -l /long-link', expect: [exactly(`lrwxrwxrwx   1 ${String(bs - 1).padStart(10)} /long-link -> ${dotLink(bs - 1, 'hello.txt')}\n`)] },
        { command: 'stat /long-link', expect: [`target: ${dotLink(bs - 1, 'hello.txt')}\n`, `size:   ${bs - 1} bytes`] },
        { command: 'write /x y', expect: [exactly('write: /x: Read-only file system (EROFS)\n')] },
        { command: 'diskctl info', expect: ['/: ext4 on blk0, read-only (read-only: unsupported ro_compat features: bigalloc)\n'] },
      ],
      end: 'poweroff',
    }],
    after: ({ images }) => expectClean(images[0]),
  })),
  {
    name: 'an ext2 image: block-mapped files (double indirect) read identically, mounted read-only saying why',
    disks: [blockMappedDisk('ext2')],
    untouched: true,
    boots: [{
      boot: ['storage: blk0 mounted at / (ext2, read-only: no extent feature: block-mapped files are read, not written)\n'],
      steps: [
        { command: 'cat /hello.txt', expect: [exactly('hello from a block map\n')] },
        { command: 'sha256 /double.bin', expect: [exactly(`${sha256(bytesOf(1_500_000, 21))}  /double.bin\n`)] },
        { command: 'ls -l /slow-link', expect: [`-> /${'b'.repeat(199)}\n`] },
        { command: 'ls /', expect: [exactly('double.bin\nhello.txt\nlost+found\nslow-link\n')] },
        { command: 'rm /hello.txt', expect: [exactly('rm: /hello.txt: Read-only file system (EROFS)\n')] },
      ],
      end: 'poweroff',
    }],
    after: ({ images }) => expectClean(images[0]),
  },
  {
    name: 'ext3 upgraded to extents: block-mapped files read; changing one fails naming the inode; new files work',
    disks: [blockMappedDisk('ext3')],
    boots: [{
      boot: ['storage: blk0 mounted at / (ext4)\n'],
      steps: [
        { command: 'sha256 /double.bin', expect: [exactly(`${sha256(bytesOf(1_500_000, 21))}  /double.bin\n`)] },
        { command: 'rm /double.bin', expect: [BLOCK_MAP_MSG] },
        { command: 'write /new.txt made with extents', expect: [exactly('')] },
        { command: 'cat /new.txt', expect: [exactly('made with extents\n')] },
      ],
      end: 'poweroff',
    }],
    after({ images }) {
      expectClean(images[0]);
      const out = `${images[0]}.double.bin`;
      debugfs(images[0], `dump /double.bin ${out}`);
      expectEq('block-mapped file kept', sha256(readFileSync(out)), sha256(bytesOf(1_500_000, 21)));
      expectEq('new file', debugfs(images[0], 'cat /new.txt'), 'made with extents\n');
    },
  },
  {
    name: `ls of a directory of ${BIG_DIR_ENTRIES} entries lists every name, sorted, in bounded memory`,
    disks: [bigDirDisk],
    boots: [{
      steps: [
        { command: 'ls /big', timeoutMs: 180_000, expect: [exactly(bigDirNames().sort().join('\n') + '\n')] },
        // -l looks each entry up by its inode number: linear in the directory, not quadratic
        { command: 'ls -l /big', timeoutMs: 180_000, expect: [exactly(bigDirNames().sort().map((n) => `-rw-r--r--   1          0 ${n}\n`).join(''))] },
        { command: 'ls -l /', expect: [/^drwxr-xr-x +2 +\d+ big\n/, /\n-rw-r--r-- +1 +6 small\.txt\n$/] },
        // the block cache is full now (512 blocks): another listing must give back all it takes
        { command: 'mem', expect: [(m) => { heapBefore = heapInUse(m); return Number.isNaN(heapBefore) ? 'no in-use line' : null; }] },
        { command: 'ls -l /big', timeoutMs: 180_000, expect: [] },
        { command: 'mem', expect: [(m) => (heapInUse(m) === heapBefore ? null : `heap in use ${heapInUse(m)}, was ${heapBefore}`)] },
      ],
      end: 'poweroff',
    }],
    after: ({ images }) => expectClean(images[0]),
  },
  {
    name: 'names, link targets and paths are printed escaped (GNU ls -b style), never raw to the terminal',
    disks: [hostileNamesDisk],
    boots: [{
      steps: [
        { command: 'ls /', expect: [(a) => bytesExactly(hostileListing().root)(a)] },
        { command: 'ls -l /evil-link', expect: [(a) => bytesExactly(Buffer.concat([
          Buffer.from(`lrwxrwxrwx   1 ${String(Buffer.byteLength(HOSTILE_TARGET)).padStart(10)} /evil-link -> `), hostileListing().link]))(a)] },
        { command: 'stat /evil-link', expect: [(a) => (a.includes(`target: ${hostileListing().link.toString('latin1')}`) ? null : 'stat target not escaped like ls -b')] },
        { command: 'ls -l /', expect: [/ d\\033\[1m\n/, / esc\\033\[31mred\n/, / new\\nline\n/, / bad\\377\n/, / c1\\302\\2332J\n/,
          / evil-link -> \\033\]0;pwned\\a\\033\[2J\n/, (a) => (/[\x00-\x09\x0b-\x1f\x7f]/.test(a) ? 'a control byte reached the terminal' : null)] },
        { command: 'cat /no\\such', expect: [exactly('cat: /no\\\\such: No such file or directory (ENOENT)\n')] },
        { command: 'cat /plain', expect: [exactly('x\n')] },
      ],
      end: 'poweroff',
    }],
    after: ({ images }) => expectClean(images[0]),
  },
  {
    name: 'a 3 MiB disk is not formatted: the boot log and diskctl name the minimum size; the disk is untouched',
    disks: [blankBytes('three-mib', 3 << 20)],
    untouched: true,
    boots: [{
      boot: [`storage: blk0: format failed: ${MIN_SIZE_MSG}\n`],
      steps: [
        { command: 'ls /', expect: [exactly(`ls: no filesystem mounted: format failed: ${MIN_SIZE_MSG}\n`)] },
        { command: 'diskctl format --yes', expect: [exactly(`storage: blk0: format failed: ${MIN_SIZE_MSG}\ndiskctl: format blk0 failed: ${MIN_SIZE_MSG}\n`)] },
      ],
      end: 'poweroff',
    }],
  },
  {
    name: 'a blank 1 TiB disk is formatted with progress, writing only the metadata it needs; e2fsck accepts it',
    disks: [blankBytes('one-tib', 2 ** 40)],
    boots: [{
      boot: [/^storage: blk0 is blank: formatting it as ext4\n(storage: formatting blk0: \d+% \(\d+ of \d+ MiB written\)\n){10}storage: blk0 mounted at \/ \(ext4\)\n/m,
        'storage: formatting blk0: 100% (138 of 138 MiB written)\n'],
      steps: [
        { command: 'df', expect: [/^blk0 +1073741824 /m] },
        { command: 'write /x on a big disk', expect: [exactly('')] },
      ],
      end: 'poweroff',
    }],
    after({ images }) {
      expectClean(images[0]);
      expectEq('file', debugfs(images[0], 'cat /x'), 'on a big disk\n');
      const written = statSync(images[0]).blocks * 512;
      if (written > 160 * 2 ** 20) throw new Error(`formatting 1 TiB wrote ${written} bytes`);
    },
  },
];

/** Run one storage case: build its disks in `dir`, boot, type, check the images. */
export async function runStorageCase(c: StorageCase, dir: string, boot: BootFn): Promise<void> {
  const images = c.disks.map((d) => d.build(dir));
  const before = c.untouched ? images.map((p) => sha256(readFileSync(p))) : [];
  const events: string[] = [];
  for (const b of c.boots) {
    const { machine: m, events: ev } = await boot(images.map((p, i) => ({ path: p, readonly: !!c.disks[i].readonly })), !!c.console);
    try {
      const log = m.output.slice(0, m.output.indexOf(PROMPT)).replace(/\r\n/g, '\n');
      for (const chk of b.boot ?? []) {
        const err = typeof chk === 'string' ? (log.includes(chk) ? null : `boot log lacks ${JSON.stringify(chk)}`)
          : chk instanceof RegExp ? (chk.test(log) ? null : `boot log does not match ${chk}`) : chk(log);
        if (err) throw new Error(`${err}\n--- boot log ---\n${log}`);
      }
      await runCase(m, { name: c.name, fresh: true, steps: b.steps });
      if (b.end === 'poweroff') {
        await runCase(m, { name: c.name, fresh: true, steps: [{ type: 'poweroff\r', until: 'sis: powering off', expect: [] }, { exitCode: 0 }] });
      }
      events.push(...ev());
    } finally {
      await m.kill();
    }
  }
  if (c.untouched) {
    const after = images.map((p) => sha256(readFileSync(p)));
    expectEq('disk bytes after a refused mount', after, before);
  }
  c.after?.({ images, events });
}

// The storage command table: what the SIS kernel must do with its disks on
// any machine. Like shell-cases.ts it holds no QEMU specifics: a case says
// which disks to attach (built on the host with mke2fs or left blank), what
// to type in each boot, and what the host tools (e2fsck, debugfs - the
// oracle) must find on the disk afterwards. A machine runs it through
// runStorageCase() with its own boot function (QEMU: storage-qemu.test.ts;
// the emulator once it has virtio-blk and virtio-console).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, symlinkSync, truncateSync, openSync, writeSync, closeSync, readSync } from 'node:fs';
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

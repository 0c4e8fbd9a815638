// Host harness for the kernel's ext4 code: builds tests/fs/fstool (the C
// driver, ASan+UBSan) and wraps it, mke2fs, e2fsck and debugfs for the tests.
import { execFileSync, spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
// One build per source state, shared by the test files (built under a
// temporary name and renamed, so parallel workers never see half a binary).
function sourceHash(): string {
  const h = createHash('sha256');
  const fsDir = join(here, '../../src/fs');
  for (const f of readdirSync(fsDir).sort()) h.update(f).update(readFileSync(join(fsDir, f)));
  for (const f of ['fstool.c', 'Makefile']) h.update(f).update(readFileSync(join(here, f)));
  return h.digest('hex').slice(0, 16);
}
export let FSTOOL = '';
const execFileP = promisify(execFile);

export function buildFstool(): string {
  FSTOOL = join(tmpdir(), `sis-fstool-${sourceHash()}`);
  if (!existsSync(FSTOOL)) {
    const part = `${FSTOOL}.${process.pid}`;
    execFileSync('make', ['-s', '-B', '-C', here, `OUT=${part}`], { stdio: 'pipe' });
    renameSync(part, FSTOOL);
  }
  return FSTOOL;
}

export function tmp(prefix = 'sis-ext4-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Run { status: number; stdout: string; stderr: string }

export function fstool(...args: string[]): Run {
  const r = spawnSync(FSTOOL, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function fstoolAsync(...args: string[]): Promise<Run> {
  try {
    const r = await execFileP(FSTOOL, args, { encoding: "utf8", timeout: 500_000, maxBuffer: 64 << 20 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { status: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
  }
}

/** e2fsck with the given flags; returns exit status and output. */
export async function e2fsck(img: string, flags = '-fn'): Promise<Run> {
  try {
    const r = await execFileP('e2fsck', [flags, img], { encoding: 'utf8' });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { status: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function debugfs(img: string, req: string): string {
  return execFileSync('debugfs', ['-R', req, img], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}

export function sparseImage(path: string, bytes: number): void {
  rmSync(path, { force: true });
  execFileSync('truncate', ['-s', String(bytes), path]);
}

export function mke2fs(img: string, bytes: number, srcDir?: string): void {
  sparseImage(img, bytes);
  const args = ['-q', '-F', '-t', 'ext4'];
  if (srcDir) args.push('-d', srcDir);
  execFileSync('mke2fs', [...args, img], { stdio: 'pipe' });
}

/** The same generator as fstool's `pattern` command. */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b[i] = x & 0xff;
  }
  return b;
}

export interface TreeEntry { type: 'dir' | 'file' | 'link'; data?: Buffer; target?: string }

/** Read a host directory tree into a map path -> entry (lost+found ignored). */
export function readTree(root: string): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (rel === '' && name === 'lost+found') continue;
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      if (st.isDirectory()) { out.set(p, { type: 'dir' }); walk(p); }
      else if (st.isSymbolicLink()) out.set(p, { type: 'link', target: readlinkSync(join(root, p)) });
      else out.set(p, { type: 'file', data: readFileSync(join(root, p)) });
    }
  };
  walk('');
  return out;
}

/** Mount IMG with our driver (replaying the journal) and copy it out. */
export function extract(img: string): { tree: Map<string, TreeEntry>; run: Run } {
  const dir = tmp('sis-ext4-x-');
  const run = fstool('extract', img, dir);
  const tree = run.status === 0 ? readTree(dir) : new Map<string, TreeEntry>();
  rmSync(dir, { recursive: true, force: true });
  return { tree, run };
}

export async function extractAsync(img: string): Promise<{ tree: Map<string, TreeEntry>; run: Run }> {
  const dir = tmp('sis-ext4-x-');
  const run = await fstoolAsync('extract', img, dir);
  const tree = run.status === 0 ? readTree(dir) : new Map<string, TreeEntry>();
  rmSync(dir, { recursive: true, force: true });
  return { tree, run };
}

export function writeScript(dir: string, name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

export { mkdirSync, writeFileSync, rmSync, join };

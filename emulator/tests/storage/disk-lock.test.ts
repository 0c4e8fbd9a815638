// Issue 7 item 3: one writer per disk. `npm run vm` takes a write lock on
// --disk and a shared lock on --import (emulator/src/disk-lock.ts); a second
// writer is refused with the holder's pid and command, the same file cannot be
// both disks, options cannot be repeated, and the lock of a killed process is
// taken over. e2fsck and debugfs check that the holder's disk came through.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runVm, TSX } from '../vm-cli.ts';
import { haveCore } from '../../src/node-files.ts';
import { KERNEL_PATH, kernelFsMissing, mke2fs, PROMPT } from './harness.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');

const dir = mkdtempSync(join(tmpdir(), 'sis-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vm = (args: string[], input: string) => runVm(['--kernel', KERNEL_PATH, ...args], input);
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const blank = (name: string, mib = 16) => {
  const f = join(dir, name);
  writeFileSync(f, '');
  truncateSync(f, mib << 20);
  return f;
};

/** A running `npm run vm` whose stdin we type into, one command per prompt. */
function startVm(args: string[]) {
  const p = spawn(TSX, [CLI, '--kernel', KERNEL_PATH, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const prompts = () => out.split(PROMPT).length - 1;
  const until = async (pred: () => boolean, what: string, ms = 90_000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error(`vm: no ${what} after ${ms} ms; stdout tail:\n${out.slice(-400)}\nstderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    p,
    exited,
    out: () => out,
    err: () => err,
    booted: () => until(() => prompts() >= 1, 'prompt'),
    /** Types one command and waits for the next prompt. */
    async command(line: string) {
      const n = prompts();
      p.stdin.write(line + '\n');
      await until(() => prompts() > n, `prompt after '${line}'`);
    },
    async finish() {
      p.stdin.end('poweroff\n');
      return exited;
    },
  };
}

/** The lock entries of an image (disk-lock.ts: IMAGE.lock/MODE-PID-RAND). */
function entries(image: string): { mode: string; pid: number; cmd: string; since: string }[] {
  const d = realpathSync(image) + '.lock';
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((n) => !n.startsWith('tmp-'))
    .map((n) => JSON.parse(readFileSync(join(d, n), 'utf8')));
}

const refusal = (what: string, path: string, want: string, e: { pid: number; cmd: string; since: string }, held: string) =>
  `vm: ${what} ${path}: Failed to get "${want}" lock: pid ${e.pid} (${e.cmd}) has it open ${held} since ${e.since}. Is another process using the image?\n`;

const fsck = (f: string) => spawnSync('e2fsck', ['-fn', f], { encoding: 'utf8' });
const debugLs = (f: string) => spawnSync('debugfs', ['-R', 'ls -p /', f], { encoding: 'utf8' }).stdout;

describe('vm option checks (no boot)', () => {
  it('a repeated --disk, --import, --events or --mem is a usage error (64), the disks untouched', async () => {
    const a = blank('rep-a.img');
    const b = blank('rep-b.img');
    const before = [sha(a), sha(b)];
    const cases: [string[], string][] = [
      [['--disk', a, '--disk', b], 'vm: option --disk given twice: give each option once\n'],
      [['--disk', a, '--import', b, '--import', b], 'vm: option --import given twice: give each option once\n'],
      [['--disk', a, '--events', '-', '--events=-'], 'vm: option --events given twice: give each option once\n'],
      [['--mem', '64', '--mem=128'], 'vm: option --mem given twice: give each option once\n'],
    ];
    for (const [args, msg] of cases) {
      const r = await vm(args, 'poweroff\n');
      expect([r.code, r.stderr, r.stdout], args.join(' ')).toEqual([64, msg, '']);
    }
    expect([sha(a), sha(b)]).toEqual(before);
    expect(entries(a)).toEqual([]);
  });

  it('the same file as --disk and --import is refused (64) by device and inode: same path, a symlink, a hard link', async () => {
    const d = blank('same.img');
    const before = sha(d);
    const sym = join(dir, 'same-sym.img');
    symlinkSync(d, sym);
    const hard = join(dir, 'same-hard.img');
    linkSync(d, hard);
    const { dev, ino } = statSync(d, { bigint: true });
    for (const other of [d, sym, hard, resolve(dir, '.', 'same.img')]) {
      const r = await vm(['--disk', d, '--import', other], 'poweroff\n');
      expect(r.stderr).toBe(
        `vm: --disk ${d} and --import ${other} are the same file (device ${dev}, inode ${ino}): ` +
          'a disk cannot be both the read-write system disk and the read-only import disk\n',
      );
      expect([r.code, r.stdout]).toEqual([64, '']);
    }
    const ev = await vm(['--disk', d, '--events', hard], 'poweroff\n');
    expect([ev.code, ev.stderr]).toEqual([64, `vm: --events ${hard} and --disk ${d} are the same file: events would be appended to the disk\n`]);
    expect(sha(d)).toBe(before);
    expect(entries(d)).toEqual([]);
  });
});

describe('the lock protocol under contention', () => {
  it('of 6 processes asking for the write lock at the same moment exactly one wins; the losers name a holder', async () => {
    const f = blank('race.img', 1);
    const helper = fileURLToPath(new URL('./lock-race.ts', import.meta.url));
    const procs = Array.from({ length: 6 }, () => spawn(TSX, [helper, f, 'write'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const exits = procs.map((p) => new Promise((r) => p.on('exit', r)));
    const lines = procs.map((p) => {
      let out = '';
      const waiters: (() => void)[] = [];
      p.stdout.on('data', (d) => {
        out += d;
        waiters.splice(0).forEach((w) => w());
      });
      return async (n: number) => {
        while (out.split('\n').length <= n) await new Promise<void>((r) => waiters.push(r));
        return out.split('\n')[n - 1];
      };
    });
    await Promise.all(lines.map((l) => l(1))); // every contender has started
    for (const p of procs) p.stdin.write('g'); // go: all within a millisecond or so
    const results: { won: boolean; pid: number; message?: string }[] = (await Promise.all(lines.map((l) => l(2)))).map((l) => JSON.parse(l));
    for (const p of procs) p.stdin.end(); // the winner releases
    await Promise.all(exits);
    const winners = results.filter((x) => x.won);
    expect(winners, JSON.stringify(results)).toHaveLength(1);
    for (const l of results.filter((x) => !x.won)) {
      // either the winner, or a contender that was still backing off
      expect(l.message).toMatch(/^disk .*race\.img: Failed to get "write" lock: pid \d+ \(.*lock-race\.ts .*\) has it open read-write since /);
    }
    expect(entries(f)).toEqual([]); // all released
  }, 60_000);
});

const missing = kernelFsMissing();

describe.skipIf(missing !== null)(`two vms, one disk (${missing ?? 'kernel has the filesystem commands'})`, () => {
  it('a second vm on a disk in use is refused with the holder named; the first keeps every file, e2fsck clean', async () => {
    const disk = blank('shared-use.img', 32);
    const a = startVm(['--disk', disk]);
    await a.booted();
    for (let i = 0; i < 10; i++) await a.command(`write /a${String(i).padStart(2, '0')} first half`);
    const [holder] = entries(disk);
    expect(holder).toMatchObject({ mode: 'write', pid: expect.any(Number), cmd: expect.stringContaining(`--disk ${disk}`) });
    expect(() => process.kill(holder.pid, 0)).not.toThrow();

    const b = await vm(['--disk', disk], 'write /b nope\npoweroff\n');
    expect(b.stderr).toBe(refusal('disk', disk, 'write', holder, 'read-write'));
    expect([b.code, b.stdout]).toEqual([1, '']);
    // as an import disk (shared lock) it is refused too, while it is being written
    const other = blank('other.img');
    const c = await vm(['--disk', other, '--import', disk], 'poweroff\n');
    expect(c.stderr).toBe(refusal('import disk', disk, 'shared', holder, 'read-write'));
    expect(c.code).toBe(1);

    for (let i = 10; i < 20; i++) await a.command(`write /a${i} second half`);
    expect(await a.finish()).toBe(0);
    expect(a.err()).toBe('');
    expect(entries(disk)).toEqual([]);
    expect(existsSync(realpathSync(disk) + '.lock')).toBe(false);
    const r = fsck(disk);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const names = debugLs(disk)
      .split('\n')
      .map((l) => l.split('/')[5])
      .filter((n) => n?.startsWith('a') || n === 'b');
    expect(names.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `a${String(i).padStart(2, '0')}`));
  });

  it('import disks take shared locks: two readers at once are fine, a writer is refused naming the first reader', async () => {
    const imp = join(dir, 'ro.img');
    writeFileSync(imp, mke2fs(8));
    const impHash = sha(imp);
    const a = startVm(['--disk', blank('r1.img'), '--import', imp]);
    await a.booted();
    const first = entries(imp);
    expect(first).toHaveLength(1);
    expect(first[0].mode).toBe('shared');
    const b = await vm(['--disk', blank('r2.img'), '--import', imp], 'blk\npoweroff\n');
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^blk1: .*read-only/m);
    const w = await vm(['--disk', imp], 'poweroff\n');
    expect(w.stderr).toBe(refusal('disk', imp, 'write', first[0], 'read-only'));
    expect(w.code).toBe(1);
    expect(await a.finish()).toBe(0);
    expect(sha(imp)).toBe(impHash);
    expect(entries(imp)).toEqual([]);
  });

  it('the lock of a killed vm (SIGKILL) is stale: the next vm takes it over with a message; SIGTERM releases it', async () => {
    const disk = blank('stale.img', 32);
    const a = startVm(['--disk', disk]);
    await a.booted();
    await a.command('write /kept before the kill');
    await a.command('sync');
    const [dead] = entries(disk);
    process.kill(dead.pid, 'SIGKILL'); // the node process itself, not the tsx wrapper
    await a.exited;
    expect(entries(disk)).toEqual([dead]); // left behind

    const b = await vm(['--disk', disk], 'cat /kept\nwrite /after recovered\npoweroff\n');
    expect(b.stderr).toBe(`vm: disk ${disk}: took over a stale write lock of pid ${dead.pid} (${dead.cmd}), which is no longer running\n`);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^before the kill\r?$/m);
    expect(entries(disk)).toEqual([]);
    const r = fsck(disk);
    expect(r.status, r.stdout + r.stderr).toBe(0);

    const c = startVm(['--disk', disk]);
    await c.booted();
    const [live] = entries(disk);
    process.kill(live.pid, 'SIGTERM');
    await c.exited;
    expect(entries(disk)).toEqual([]);
    const d = await vm(['--disk', disk], 'cat /after\npoweroff\n');
    expect([d.code, d.stderr]).toEqual([0, '']);
    expect(d.stdout).toMatch(/^recovered\r?$/m);
  });
});

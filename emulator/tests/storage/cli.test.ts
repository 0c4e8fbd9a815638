// `npm run vm` with disks: --disk (blk0, read-write, a blank file is
// formatted by the kernel), --import (blk1, read-only), --events (the
// virtio-console JSON Lines). e2fsck and debugfs check what the guest left;
// bad disk files are refused with exit 1 before anything is written.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVm } from '../vm-cli.ts';
import { haveCore } from '../../src/node-files.ts';
import { KERNEL_PATH, kernelFsMissing, mke2fs } from './harness.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');

const dir = mkdtempSync(join(tmpdir(), 'sis-vm-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vm = (args: string[], input: string, timeoutMs?: number) => runVm(['--kernel', KERNEL_PATH, ...args], input, timeoutMs);

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('vm --disk/--import/--events: bad files', () => {
  it('a missing disk: exit 1, a clear message, no events file created', async () => {
    const ev = join(dir, 'never.jsonl');
    const r = await vm(['--disk', join(dir, 'missing.img'), '--events', ev], 'poweroff\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open disk .*missing\.img: no such file/);
    expect(r.stdout).toBe('');
    expect(existsSync(ev)).toBe(false);
  });

  it('a disk that is not a whole number of sectors, or empty, or a directory: exit 1, file unchanged', async () => {
    const odd = join(dir, 'odd.img');
    writeFileSync(odd, new Uint8Array(1000).fill(7));
    const before = sha(odd);
    let r = await vm(['--disk', odd], 'poweroff\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/size 1000 is not a multiple of 512 bytes/);
    expect(sha(odd)).toBe(before);
    const empty = join(dir, 'empty.img');
    writeFileSync(empty, '');
    r = await vm(['--disk', empty], 'poweroff\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty file/);
    r = await vm(['--disk', dir], 'poweroff\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a regular file/);
  });

  it('--no-disk with --import and options without a value are usage errors (64)', async () => {
    let r = await vm(['--no-disk', '--import', join(dir, 'x.img')], '');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--no-disk cannot go with --disk or --import/);
    r = await vm(['--events'], '');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--events needs a value/);
  });
});

const missing = kernelFsMissing();

describe('vm without --disk', () => {
  it('boots a fresh in-memory system disk with the seed bundle as the import disk: a provisioned registry; --no-disk has neither', async () => {
    let r = await vm([], 'modelctl status\ndiskctl info\npoweroff\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^storage: blk0 is blank: formatting it as ext4\r?$/m);
    expect(r.stdout).toMatch(/^models: active v1\.0\.0 \(p99 \d+ us, accuracy \d+\.\d\d%\)\r?$/m);
    expect(r.stdout).toMatch(/^active: +v1\.0\.0\r?$/m);
    expect(r.stdout).toMatch(/^blk0: 131072 sectors \(65536 KiB\), read-write, system disk\r?$/m);
    expect(r.stdout).toMatch(/^blk1: \d+ sectors \(\d+ KiB\), read-only, import disk \(raw\)\r?$/m);
    r = await vm(['--no-disk'], 'diskctl info\npoweroff\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no disks\r?$/m);
  });
});

describe.skipIf(missing !== null)(`vm with disks (${missing ?? 'kernel has the filesystem commands'})`, () => {
  it('formats a blank --disk, keeps what the shell wrote, e2fsck clean; --import is read-only blk1; --events gets JSON Lines', async () => {
    const disk = join(dir, 'system.img');
    writeFileSync(disk, '');
    truncateSync(disk, 16 << 20);
    const imp = join(dir, 'import.img');
    writeFileSync(imp, mke2fs(8));
    const impHash = sha(imp);
    const ev = join(dir, 'events.jsonl');
    writeFileSync(ev, '{"v":1,"t":"earlier"}\n'); // appended to, not truncated
    const r = await vm(['--disk', disk, '--import', imp, '--events', ev], 'write /hello from the cli\ndiskctl info\nblk\npoweroff\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/blk0 is blank: formatting it as ext4/);
    expect(r.stdout).toMatch(/^blk0: .*virtio slot 31.*read-write/m);
    expect(r.stdout).toMatch(/^blk1: .*virtio slot 30.*read-only/m);
    expect(sha(imp), 'the import disk is untouched').toBe(impHash);
    const fsck = spawnSync('e2fsck', ['-fn', disk], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const cat = spawnSync('debugfs', ['-R', 'cat /hello', disk], { encoding: 'utf8' });
    expect(cat.stdout).toBe('from the cli\n');
    const lines = readFileSync(ev, 'utf8').split('\n').filter(Boolean);
    expect(lines[0]).toBe('{"v":1,"t":"earlier"}');
    const events = lines.slice(1).map((l) => JSON.parse(l));
    const boot = events.find((e) => e.t === 'boot');
    expect(boot).toMatchObject({ v: 1, rootfs: { mounted: true, formatted: true } });
    expect(boot.disks).toHaveLength(2);

    // The same disk again: mounted as it is (not formatted), the file still there.
    const r2 = await vm(['--disk', disk, '--events', '-'], 'cat /hello\npoweroff\n');
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).not.toMatch(/formatting/);
    expect(r2.stdout).toMatch(/from the cli/);
    expect(r2.stderr).toMatch(/^\{"v":1,"t":"boot".*"formatted":false/m);
  });
});

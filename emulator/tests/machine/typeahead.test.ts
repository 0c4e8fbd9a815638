// Typed-ahead input on the emulator (issue 7, item 1), the same script and
// checks as kernel-image/tests/typeahead-qemu.test.ts on QEMU: thousands of
// commands typed before the prompt all run, in order, on a blank disk. Also
// through `npm run vm` with the script piped in (the CLI pauses stdin while
// the 64 KiB input queue is full, so a pipe is back-pressured, never
// overrun), and through the worker protocol, whose `input` reports an
// overrun instead of dropping bytes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkTypeAheadDisk, checkTypeAheadOutput, runTypeAhead, typeAheadScript } from '../../../kernel-image/tests/typeahead-cases.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { CORE_WASM_PATH, DEFAULT_KERNEL_PATH, haveCore, haveKernel, REPO_ROOT } from '../../src/node-files.ts';
import type { FromWorker, ToWorker } from '../../src/protocol.ts';
import { runVm } from '../vm-cli.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');
/** The kernel under test: SIS_KERNEL overrides the committed image (to show a test fails on an old one). */
const KERNEL_PATH = process.env.SIS_KERNEL ? path.resolve(REPO_ROOT, process.env.SIS_KERNEL) : DEFAULT_KERNEL_PATH;

function blankDisk(dir: string): string {
  const disk = path.join(dir, 'disk.img');
  writeFileSync(disk, '');
  truncateSync(disk, 32 << 20);
  return disk;
}

describe('typed-ahead input on the emulator', () => {
  it('2400 commands typed before the prompt on a blank disk: every one runs, in order, and the disk is clean', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-typeahead-'));
    const disk = blankDisk(dir);
    const s = typeAheadScript(2400);
    const store = new FileBlockStore(disk, false);
    try {
      const m = await EmulatorMachine.start({ kernel: readFileSync(KERNEL_PATH), virtio: { 31: new VirtioBlk(store, 'sis-system') } });
      try {
        await runTypeAhead(m, s, 150_000);
      } finally {
        await m.kill();
      }
      store.close();
      expect(m.output).toContain('storage: blk0 is blank: formatting it as ext4');
      expect(checkTypeAheadOutput(m.output, s)).toEqual([]);
      expect(checkTypeAheadDisk(disk, s)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('npm run vm with 3200 commands (~140 KB) piped in: every one runs; stdin waits while the queue is full', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-typeahead-cli-'));
    const disk = blankDisk(dir);
    const s = typeAheadScript(3200);
    expect(s.text.length).toBeGreaterThan(2 * 65536); // the queue fills and drains more than once
    try {
      const r = await runVm(['--kernel', KERNEL_PATH, '--disk', disk, '--timeout', '150'], s.text, 170_000);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(checkTypeAheadOutput(r.stdout, s)).toEqual([]);
      expect(checkTypeAheadDisk(disk, s)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('the worker: an input that does not fit the queue is refused whole, reported, and nothing typed is lost', async () => {
    const msgs: FromWorker[] = [];
    const fakeSelf: { postMessage: (m: FromWorker) => void; onmessage: ((ev: { data: ToWorker }) => Promise<void>) | null } = {
      postMessage: (m) => msgs.push(m),
      onmessage: null,
    };
    (globalThis as unknown as { self: typeof fakeSelf }).self = fakeSelf;
    await import('../../src/worker.ts');
    let nextId = 1;
    const request = async (name: string, params: unknown) => {
      const id = nextId++;
      await fakeSelf.onmessage!({ data: { kind: 'request', id, name, params } as ToWorker });
      const reply = msgs.find((m) => m.kind === 'reply' && m.id === id);
      if (!reply || reply.kind !== 'reply') throw new Error(`no reply to ${name}`);
      return reply;
    };
    const uart = () => msgs.filter((m) => m.kind === 'uart').map((m) => Buffer.from((m as { data: Uint8Array }).data).toString('latin1')).join('');
    const until = async (cond: () => boolean, what: string) => {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > 60_000) throw new Error(`timed out waiting for ${what}; output:\n${uart().slice(-600)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const wasm = readFileSync(CORE_WASM_PATH);
    const started = await request('start', {
      kernel: readFileSync(KERNEL_PATH).buffer.slice(0),
      wasm: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length),
      clock: 'virtual',
      inputQueueBytes: 4096,
    });
    expect(started.ok).toBe(true);
    try {
      await until(() => uart().includes('sis> '), 'the prompt');
      const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `echo w-${from + i}\n`).join('');
      const enc = (t: string) => new TextEncoder().encode(t);
      // 3000 bytes fit the 4096-byte queue; the next 3000 do not, while the guest still has most of the first.
      const first = await request('input', { data: enc(lines(0, 300).slice(0, 3000)) });
      expect(first).toMatchObject({ ok: true, value: { capacity: 4096 } });
      const pendingAfterFirst = (first as { value: { pending: number } }).value.pending;
      expect(pendingAfterFirst).toBeGreaterThan(1096); // the guest reads far slower than this
      const rejected = await request('input', { data: enc('x'.repeat(3000)) });
      expect(rejected.ok).toBe(false);
      expect((rejected as { error: string }).error).toMatch(/^UART input overrun: 3000 bytes do not fit \(the input queue holds \d+ of 4096 bytes\); nothing was queued$/);
      const ev = msgs.find((m) => m.kind === 'inputOverrun');
      expect(ev).toMatchObject({ kind: 'inputOverrun', rejected: 3000, capacity: 4096 });
      await until(() => msgs.some((m) => m.kind === 'inputDrained'), 'inputDrained');
      // The rest of the script after the drain; none of the refused x's ever reach the shell.
      const all = lines(0, 300);
      const rest = all.slice(3000) + 'echo w-done\n';
      for (let i = 0; i < rest.length; i += 2000) {
        let r = await request('input', { data: enc(rest.slice(i, i + 2000)) });
        while (!r.ok) {
          await new Promise((res) => setTimeout(res, 20));
          r = await request('input', { data: enc(rest.slice(i, i + 2000)) });
        }
      }
      await until(() => uart().includes('\r\nw-done\r\n'), 'w-done');
      const out = uart().replace(/\r\n/g, '\n');
      const printed = out.split('\n').filter((l) => /^w-\d+$/.test(l));
      expect(printed).toEqual(Array.from({ length: 300 }, (_, i) => `w-${i}`));
      expect(out).not.toContain('xxx');
    } finally {
      await request('stop', {});
    }
  }, 120_000);
});

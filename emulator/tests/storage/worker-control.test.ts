// The worker's additive requests for the dashboard, run in Node with a
// stand-in `self`: the import disk attached read-only in slot 30 (the kernel
// lists the seed bundle from it), `status` (guest uptime), `pause` (the run
// loop stops, instructions stop retiring, no exit), `resume`, and `stop` of a
// paused machine.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_WASM_PATH, haveCore, REPO_ROOT } from '../../src/node-files.ts';
import type { FromWorker, MachineStatus, ToWorker } from '../../src/protocol.ts';
import { kernel, kernelFsMissing } from './harness.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');

const msgs: FromWorker[] = [];
const fakeSelf: { postMessage: (m: FromWorker) => void; onmessage: ((ev: { data: ToWorker }) => Promise<void>) | null } = {
  postMessage: (m) => msgs.push(m),
  onmessage: null,
};

let nextId = 1;
async function request(name: string, params: unknown = {}): Promise<unknown> {
  const id = nextId++;
  await fakeSelf.onmessage!({ data: { kind: 'request', id, name, params } as ToWorker });
  const reply = msgs.find((m) => m.kind === 'reply' && m.id === id);
  if (!reply || reply.kind !== 'reply') throw new Error(`no reply to ${name}`);
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

const uart = () => msgs.filter((m) => m.kind === 'uart').map((m) => Buffer.from((m as { data: Uint8Array }).data).toString('latin1')).join('');

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; output:\n${uart().slice(-600)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const missing = kernelFsMissing();

describe.skipIf(missing !== null)('worker: import disk, status, pause and resume', () => {
  it('attaches the import disk, reports uptime, pauses without an exit and resumes', async () => {
    (globalThis as unknown as { self: typeof fakeSelf }).self = fakeSelf;
    await import('../../src/worker.ts');
    const wasm = readFileSync(CORE_WASM_PATH);
    const bundle = readFileSync(resolve(REPO_ROOT, 'models/dist/seed-bundle.tar'));
    await request('start', {
      kernel: kernel().slice().buffer,
      wasm: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length),
      clock: 'virtual',
      disk: { image: new ArrayBuffer(64 << 20), blockSize: 4096 },
      importDisk: { image: bundle.buffer.slice(bundle.byteOffset, bundle.byteOffset + bundle.length) },
      events: true,
    });
    await until(() => uart().includes('sis> '), 'the prompt');
    const s1 = (await request('status')) as MachineStatus;
    expect(s1.paused).toBe(false);
    expect(s1.uptimeUs).toBeGreaterThan(0);
    expect(s1.stats.instret).toBeGreaterThan(0);

    await request('input', { data: new TextEncoder().encode('modelctl import\r') });
    await until(() => /import disk: bundle default v1\.0\.0, golden set golden, 8 packages/.test(uart()), 'the import listing');

    await request('pause');
    expect(msgs.some((m) => m.kind === 'paused')).toBe(true);
    const p1 = (await request('status')) as MachineStatus;
    expect(p1.paused).toBe(true);
    await request('input', { data: new TextEncoder().encode('echo while-paused\r') });
    await new Promise((r) => setTimeout(r, 400));
    const p2 = (await request('status')) as MachineStatus;
    expect(p2.stats.instret).toBe(p1.stats.instret); // nothing runs while paused
    expect(uart()).not.toMatch(/\nwhile-paused/);
    expect(msgs.some((m) => m.kind === 'exit')).toBe(false);
    await request('pause'); // a second pause is a no-op

    await request('resume');
    expect(msgs.some((m) => m.kind === 'resumed')).toBe(true);
    await until(() => /\nwhile-paused/.test(uart()), 'the input typed while paused');
    const r1 = (await request('status')) as MachineStatus;
    expect(r1.paused).toBe(false);
    expect(r1.stats.instret).toBeGreaterThan(p2.stats.instret);

    await request('pause');
    const exit = await request('stop');
    expect(exit).toMatchObject({ code: 4 });
    expect(msgs.filter((m) => m.kind === 'exit')).toHaveLength(1);
    await expect(request('status')).rejects.toThrow(/not running/);
    await expect(request('resume')).rejects.toThrow(/not running/);
  });
});

// The Web Worker's disk and event channel, run in Node with a stand-in
// `self`: a blank disk is formatted by the kernel, each guest FLUSH arrives
// as a `diskFlush` event with the blocks written since the previous one, and
// a second machine started from the base image plus exactly those persisted
// blocks sees the file - the dashboard's IndexedDB persistence in small.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_WASM_PATH, haveCore } from '../../src/node-files.ts';
import type { FromWorker, ToWorker } from '../../src/protocol.ts';
import { kernel, kernelFsMissing } from './harness.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');

const msgs: FromWorker[] = [];
const fakeSelf: { postMessage: (m: FromWorker) => void; onmessage: ((ev: { data: ToWorker }) => Promise<void>) | null } = {
  postMessage: (m) => msgs.push(m),
  onmessage: null,
};

let nextId = 1;
async function request(name: string, params: unknown): Promise<unknown> {
  const id = nextId++;
  await fakeSelf.onmessage!({ data: { kind: 'request', id, name, params } as ToWorker });
  const reply = msgs.find((m) => m.kind === 'reply' && m.id === id);
  if (!reply || reply.kind !== 'reply') throw new Error(`no reply to ${name}`);
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

const uart = () =>
  msgs
    .filter((m) => m.kind === 'uart')
    .map((m) => Buffer.from((m as { data: Uint8Array }).data).toString('latin1'))
    .join('');

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; output:\n${uart().slice(-600)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const missing = kernelFsMissing();

describe.skipIf(missing !== null)(`worker with a disk (${missing ?? 'kernel has the filesystem commands'})`, () => {
  it('formats, reports flushes with their blocks, and boots again from base + persisted blocks', async () => {
    (globalThis as unknown as { self: typeof fakeSelf }).self = fakeSelf;
    await import('../../src/worker.ts');
    const wasm = readFileSync(CORE_WASM_PATH);
    const base = new Uint8Array(8 << 20);
    const start = (blocks?: [number, ArrayBuffer][]) =>
      request('start', {
        kernel: kernel().slice().buffer,
        wasm: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length),
        clock: 'virtual',
        disk: { image: base.slice().buffer, blockSize: 4096, blocks },
        events: true,
      });

    await start();
    await until(() => uart().includes('sis> '), 'the prompt');
    expect(uart()).toMatch(/blk0 is blank: formatting it as ext4/);
    const from = uart().length;
    await request('input', { data: new TextEncoder().encode('write /persisted kept across boots\nsync\n') });
    await until(() => /sync\r?\n(.|\n)*sis> /.test(uart().slice(from)), 'sync to answer');
    await request('stop', {});

    const flushes = msgs.filter((m): m is Extract<FromWorker, { kind: 'diskFlush' }> => m.kind === 'diskFlush');
    expect(flushes.length).toBeGreaterThan(0);
    expect(flushes.map((f) => f.seq)).toEqual(flushes.map((_, i) => i + 1));
    const persisted = new Map<number, Uint8Array>();
    for (const f of flushes) {
      expect(f.blockSize).toBe(4096);
      for (const b of f.blocks) {
        expect(b.data.length).toBe(4096);
        persisted.set(b.block, b.data);
      }
    }
    const events = Buffer.from(
      Uint8Array.from(msgs.filter((m) => m.kind === 'events').flatMap((m) => [...(m as { data: Uint8Array }).data])),
    ).toString('utf8');
    expect(JSON.parse(events.split('\n')[0])).toMatchObject({ v: 1, t: 'boot' });

    // A new machine from the base image and the persisted blocks only.
    msgs.length = 0;
    await start([...persisted].map(([b, d]) => [b, d.slice().buffer]));
    await until(() => uart().includes('sis> '), 'the second prompt');
    expect(uart()).not.toMatch(/formatting/);
    const from2 = uart().length;
    await request('input', { data: new TextEncoder().encode('cat /persisted\n') });
    await until(() => uart().slice(from2).includes('kept across boots'), 'the file');
    await request('stop', {});
    // A bad persisted block is refused as data, with nothing started.
    msgs.length = 0;
    await expect(start([[1 << 20, new ArrayBuffer(4096)]])).rejects.toThrow(/outside the disk/);
    await expect(request('stats', {})).rejects.toThrow(/not running/);
  });
});

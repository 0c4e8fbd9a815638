// EmulatorClient against a scripted worker double: requests become promises
// matched by id (in any reply order), errors arrive as data, events reach
// subscribers, and terminate() rejects what is still pending.
import { describe, expect, it } from 'vitest';
import { EmulatorClient, type WorkerLike } from '../../src/client.ts';
import type { FromWorker, Request, ToWorker } from '../../src/protocol.ts';

class FakeWorker implements WorkerLike {
  sent: Request[] = [];
  transfers: Transferable[][] = [];
  terminated = false;
  private onMsg: ((ev: MessageEvent<FromWorker>) => void)[] = [];
  private onErr: ((ev: ErrorEvent) => void)[] = [];
  postMessage(msg: ToWorker, transfer: Transferable[] = []) {
    this.sent.push(msg);
    this.transfers.push(transfer);
  }
  addEventListener(type: 'message' | 'error', fn: (ev: never) => void) {
    if (type === 'message') this.onMsg.push(fn as (ev: MessageEvent<FromWorker>) => void);
    else this.onErr.push(fn as (ev: ErrorEvent) => void);
  }
  terminate() {
    this.terminated = true;
  }
  emit(msg: FromWorker) {
    for (const f of this.onMsg) f({ data: msg } as MessageEvent<FromWorker>);
  }
  fail(message: string) {
    for (const f of this.onErr) f({ message } as ErrorEvent);
  }
}

describe('EmulatorClient', () => {
  it('matches replies to requests by id, in any order', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const stats = c.stats();
    const input = c.input('hi');
    expect(w.sent.map((r) => [r.id, r.name])).toEqual([[1, 'stats'], [2, 'input']]);
    expect((w.sent[1].params as { data: Uint8Array }).data).toEqual(new TextEncoder().encode('hi'));
    w.emit({ kind: 'reply', id: 2, ok: true, value: null });
    w.emit({ kind: 'reply', id: 1, ok: true, value: { instret: 5 } });
    await expect(input).resolves.toBeNull();
    await expect(stats).resolves.toEqual({ instret: 5 });
  });

  it('rejects with the error sent back as data', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const p = c.reset();
    w.emit({ kind: 'reply', id: 1, ok: false, error: 'the machine is not running' });
    await expect(p).rejects.toThrow('the machine is not running');
  });

  it('transfers the start buffers', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const kernel = new ArrayBuffer(8);
    const wasm = new ArrayBuffer(8);
    void c.start({ kernel, wasm, clock: 'virtual' });
    expect(w.transfers[0]).toEqual([kernel, wasm]);
    expect(w.sent[0]).toMatchObject({ kind: 'request', name: 'start', params: { clock: 'virtual' } });
  });

  it('decodes UART output across chunk boundaries and feeds waitFor and listeners', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const seen: number[] = [];
    const off = c.on('uart', (e) => seen.push(e.data.length));
    const prompt = c.waitFor('sis> ');
    const bytes = new TextEncoder().encode('héllo\nsis> ');
    w.emit({ kind: 'uart', data: bytes.subarray(0, 2) }); // splits the é
    w.emit({ kind: 'uart', data: bytes.subarray(2) });
    await expect(prompt).resolves.toBe(6); // a string index: é is one character
    expect(c.output).toBe('héllo\nsis> ');
    off();
    w.emit({ kind: 'uart', data: new Uint8Array([0x41]) });
    expect(seen).toEqual([2, bytes.length - 2]);
  });

  it('waitFor rejects when the machine exits first', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const p = c.waitFor('never');
    const stats = { instret: 0, mips: 0, runMs: 0, idleMs: 0, resets: 0, guestErrors: 0, undefinedInsns: 0, uartBytesOut: 0 };
    w.emit({ kind: 'exit', exit: { code: 2, reason: 'guest halted after a crash' }, stats });
    await expect(p).rejects.toThrow(/guest halted/);
    expect(c.lastExit?.code).toBe(2);
  });

  it('rejects pending requests when the worker fails or is terminated', async () => {
    const w = new FakeWorker();
    const c = new EmulatorClient(w);
    const a = c.stats();
    w.fail('boom');
    await expect(a).rejects.toThrow(/emulator worker failed: boom/);
    const b = c.stats();
    c.terminate();
    await expect(b).rejects.toThrow(/terminated/);
    expect(w.terminated).toBe(true);
  });
});

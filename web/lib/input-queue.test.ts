// The host-side input queue against a fake worker that keeps the worker's
// rules (emulator/src/worker.ts and pl011.ts): a bounded queue that refuses a
// whole request that does not fit, with an `inputOverrun` event before the
// refusal and one `inputDrained` once the queue has emptied after it; replies
// arrive asynchronously; the guest reads at its own pace.
import { describe, expect, it } from 'vitest';
import type { InputResult } from '../../emulator/src/protocol.ts';
import { InputQueue } from './input-queue.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

class FakeWorker {
  pending: number[] = [];
  /** Everything the guest has read, in order. */
  read: number[] = [];
  requests = 0;
  refusals = 0;
  private overrunOpen = false;
  queue!: InputQueue;
  /** Fail every request with this message instead (a machine that is not running). */
  failWith: string | null = null;
  /** Post `inputDrained` before the refusal's reply when the queue is already empty (the worker can). */
  drainBeforeReply = false;

  constructor(readonly capacity: number) {}

  async input(data: Uint8Array): Promise<InputResult> {
    this.requests++;
    await tick();
    if (this.failWith) throw new Error(this.failWith);
    if (this.pending.length + data.length > this.capacity) {
      this.refusals++;
      this.queue.overrun(this.capacity);
      if (!this.overrunOpen) {
        this.overrunOpen = true;
        if (this.drainBeforeReply && this.pending.length === 0) {
          this.overrunOpen = false;
          this.queue.drained(this.capacity);
        }
      }
      throw new RangeError(`UART input overrun: ${data.length} bytes do not fit (the input queue holds ${this.pending.length} of ${this.capacity} bytes); nothing was queued`);
    }
    this.pending.push(...data);
    return { pending: this.pending.length, capacity: this.capacity };
  }

  /** The guest reads up to n bytes. */
  guestReads(n: number): void {
    this.read.push(...this.pending.splice(0, n));
    if (this.overrunOpen && this.pending.length === 0) {
      this.overrunOpen = false;
      setTimeout(() => this.queue.drained(this.capacity), 0);
    }
  }
}

function setup(capacity: number, cap?: number) {
  const w = new FakeWorker(capacity);
  const queued: number[] = [];
  const errors: string[] = [];
  w.queue = new InputQueue(w, { onQueued: (n) => queued.push(n), onError: (e) => errors.push(e.message) }, cap);
  return { w, q: w.queue, queued, errors };
}

/** Lets the guest read `perStep` bytes per step until everything sent has arrived. */
async function runGuest(w: FakeWorker, q: InputQueue, perStep: number, want: number): Promise<void> {
  for (let i = 0; i < 100_000 && (w.read.length < want || !q.idle); i++) {
    w.guestReads(perStep);
    await tick();
  }
}

function bytesOf(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

/** A small seeded generator (xorshift32), so a failure can be replayed. */
function rng(seed: number) {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('InputQueue', () => {
  it('a paste three times the worker queue arrives whole and in order, with keys typed meanwhile after it', async () => {
    const { w, q, queued, errors } = setup(1024);
    let text = '';
    for (let i = 0; text.length < 3000; i++) text += `echo line-${i}\r`;
    q.push('\r'); // its answer tells the queue the worker's size
    await runGuest(w, q, 1, 1);
    q.push(text);
    expect(q.queued).toBe(text.length - 1024); // the first 1 KiB is on its way; the rest waits here
    q.push('x');
    q.push('y\r');
    await runGuest(w, q, 97, 1 + text.length + 3);
    expect(w.read).toEqual(bytesOf('\r' + text + 'xy\r'));
    expect(w.refusals).toBeGreaterThan(0); // the worker did refuse, and the queue sent again
    expect(errors).toEqual([]);
    expect(queued.at(-1)).toBe(0);
    expect(Math.max(...queued)).toBeGreaterThan(0);
  });

  it('random pushes against a guest reading at random speeds: nothing lost, order kept', async () => {
    for (const seed of [1, 7, 42, 1234]) {
      const r = rng(seed);
      const { w, q, errors } = setup(256);
      const sent: number[] = [];
      for (let step = 0; step < 400; step++) {
        if (r() < 0.3) {
          const n = 1 + Math.floor(r() * (r() < 0.1 ? 900 : 20));
          const chunk = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
          q.push(chunk);
          sent.push(...chunk);
        }
        w.guestReads(Math.floor(r() * 40));
        await tick();
      }
      await runGuest(w, q, 64, sent.length);
      expect(w.read.length).toBe(sent.length);
      expect(w.read).toEqual(sent);
      expect(errors).toEqual([]);
      expect(q.queued).toBe(0);
    }
  });

  it('once the worker has said its queue size, never sends more in one request', async () => {
    const { w, q } = setup(100);
    const seen: number[] = [];
    const real = w.input.bind(w);
    w.input = (d: Uint8Array) => {
      seen.push(d.length);
      return real(d);
    };
    q.push(new Uint8Array(1000).fill(65));
    await runGuest(w, q, 30, 1000);
    expect(seen[0]).toBe(1000); // the size is not known before the first answer (the default is 64 KiB)
    expect(Math.max(...seen.slice(1))).toBeLessThanOrEqual(100);
    expect(w.read.length).toBe(1000);
  });

  it('learns a smaller worker queue from the overrun and splits the refused bytes to fit', async () => {
    const { w, q } = setup(300);
    w.drainBeforeReply = true; // the worker may report the drain before the refusal's reply
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    q.push(data); // sent as 64 KiB (the default), refused: the real queue is 300 bytes
    await runGuest(w, q, 50, 5000);
    expect(w.read).toEqual([...data]);
  });

  it('refuses input past its cap with a clear error, and keeps what it held', async () => {
    const { w, q } = setup(64, 1000);
    q.push(new Uint8Array(64).fill(1)); // in flight
    q.push(new Uint8Array(900).fill(2)); // held
    expect(q.queued).toBe(900);
    expect(() => q.push(new Uint8Array(101).fill(3))).toThrow(/input queue is full: 900 bytes are still waiting .* limit of 1000 bytes; nothing of this input was sent/);
    expect(q.queued).toBe(900); // unchanged
    q.push(new Uint8Array(100).fill(4)); // exactly up to the cap still fits
    await runGuest(w, q, 32, 1064);
    expect(w.read).toEqual([...new Array(64).fill(1), ...new Array(900).fill(2), ...new Array(100).fill(4)]);
    expect(() => new InputQueue(w, {}, 0)).toThrow(/positive whole number/);
  });

  it('holds everything while paused and sends it in order on resume', async () => {
    const { w, q } = setup(64);
    q.pause();
    q.push('echo a\r');
    q.push('echo b\r');
    await tick();
    expect(w.requests).toBe(0);
    expect(q.queued).toBe(14);
    q.resume();
    await runGuest(w, q, 8, 14);
    expect(w.read).toEqual(bytesOf('echo a\recho b\r'));
  });

  it('another failure (no machine yet) is reported once, drops what was held, and later input goes through', async () => {
    const { w, q, errors } = setup(64);
    w.failWith = 'the machine is not running';
    q.push('abc');
    q.push('def'); // held behind the request in flight
    await tick();
    await tick();
    expect(errors).toEqual(['the machine is not running']);
    expect(q.queued).toBe(0);
    w.failWith = null;
    q.push('ghi');
    await runGuest(w, q, 8, 3);
    expect(w.read).toEqual(bytesOf('ghi'));
  });

  it('after close, input is refused and nothing more is sent', async () => {
    const { w, q } = setup(32);
    q.push(new Uint8Array(20).fill(1));
    q.push(new Uint8Array(20).fill(2)); // held behind the request in flight
    q.close();
    expect(q.queued).toBe(0);
    expect(() => q.push('x')).toThrow(/machine is off/);
    await runGuest(w, q, 8, 20);
    expect(w.read).toEqual(new Array(20).fill(1)); // only the request already in flight
    expect(w.requests).toBe(1);
  });
});

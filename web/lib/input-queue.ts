// The terminal's host-side input queue. The emulator's UART keeps at most
// 64 KiB of input waiting for the guest and refuses a whole `input` request
// that does not fit (protocol.ts, InputResult): a long paste would fail. So the
// page keeps what the worker has not taken yet here, in order, and sends it on
// as the guest reads:
//
// - One `input` request at a time, of at most the worker's queue capacity.
//   Bytes typed while a request is in flight wait here and go out together
//   with the next one, so two requests can never overtake each other.
// - A refused request ("UART input overrun", nothing of it queued) goes back to
//   the front and waits for the worker's `inputDrained` event (its queue is
//   empty again), then is sent again: nothing is lost, the order is kept.
// - Bounded: input that would take the bytes held here past `cap` (16 MiB by
//   default) is refused whole with a clear error, and changes nothing.
import type { InputResult } from '../../emulator/src/protocol.ts';

/** What the queue sends through (EmulatorClient, or a test double). */
export interface InputSink {
  input(data: Uint8Array): Promise<InputResult>;
}

/** The most bytes the page holds for the guest. */
export const HOST_INPUT_CAP = 16 * 1024 * 1024;
/** The worker's input queue size until it tells us otherwise (StartParams.inputQueueBytes' default). */
export const DEFAULT_WORKER_CAPACITY = 65536;

const OVERRUN = 'UART input overrun';

export interface InputQueueHooks {
  /** The bytes held here changed (not counting a request in flight). */
  onQueued?(bytes: number): void;
  /** A request failed for another reason than an overrun (e.g. the machine is not running yet): what was held is dropped. */
  onError?(e: Error): void;
}

export class InputQueue {
  private chunks: Uint8Array[] = [];
  private held = 0;
  private inFlight = false;
  /** A request was refused; waiting for `inputDrained`. */
  private waitingDrain = false;
  /** `inputDrained` arrived while a request was in flight (it may be that request's answer). */
  private drainedMeanwhile = false;
  private paused = false;
  private capacity = DEFAULT_WORKER_CAPACITY;
  private closed = false;

  constructor(
    private readonly sink: InputSink,
    private readonly hooks: InputQueueHooks = {},
    readonly cap = HOST_INPUT_CAP,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`input queue cap ${cap}: give a positive whole number of bytes`);
  }

  /** Bytes held here, waiting to be sent (a request in flight not counted). */
  get queued(): number {
    return this.held;
  }

  /** True while nothing is held and no request is in flight. */
  get idle(): boolean {
    return this.held === 0 && !this.inFlight;
  }

  /**
   * Queues bytes for the guest, after everything queued before. Throws (and
   * queues nothing) if they would take the queue past its cap or it is closed.
   */
  push(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.closed) throw new Error('the machine is off: nothing was sent');
    if (!bytes.length) return;
    if (this.held + bytes.length > this.cap) {
      throw new Error(`the terminal's input queue is full: ${this.held} bytes are still waiting for the guest and ${bytes.length} more would pass its limit of ${this.cap} bytes; nothing of this input was sent`);
    }
    this.chunks.push(bytes.slice());
    this.setHeld(this.held + bytes.length);
    this.pump();
  }

  /** The worker's `inputOverrun` event: learn its queue size. */
  overrun(capacity: number): void {
    if (capacity > 0) this.capacity = capacity;
  }

  /** The worker's `inputDrained` event: its queue is empty, send the rest. */
  drained(capacity: number): void {
    if (capacity > 0) this.capacity = capacity;
    if (this.inFlight) {
      this.drainedMeanwhile = true;
      return;
    }
    this.waitingDrain = false;
    this.pump();
  }

  /** Holds the bytes here (the machine is paused) until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** The machine is gone: drop what is held; later pushes throw. */
  close(): void {
    this.closed = true;
    this.chunks = [];
    this.setHeld(0);
  }

  private setHeld(n: number): void {
    this.held = n;
    this.hooks.onQueued?.(n);
  }

  /** Removes up to n bytes from the front, as one array. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.held));
    let o = 0;
    while (o < out.length) {
      const c = this.chunks[0];
      const k = Math.min(c.length, out.length - o);
      out.set(k === c.length ? c : c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.setHeld(this.held - out.length);
    return out;
  }

  private pump(): void {
    if (this.closed || this.paused || this.inFlight || this.waitingDrain || !this.held) return;
    const bytes = this.take(this.capacity);
    this.inFlight = true;
    this.drainedMeanwhile = false;
    this.sink.input(bytes).then(
      (r) => {
        this.inFlight = false;
        if (r.capacity > 0) this.capacity = r.capacity;
        this.pump();
      },
      (e: unknown) => {
        this.inFlight = false;
        if (this.closed) return;
        const err = e instanceof Error ? e : new Error(String(e));
        if (err.message.startsWith(OVERRUN)) {
          // Refused whole: back to the front, in one piece; sent again once the worker has drained.
          this.chunks.unshift(bytes);
          this.setHeld(this.held + bytes.length);
          this.waitingDrain = !this.drainedMeanwhile;
          this.drainedMeanwhile = false;
          this.pump();
          return;
        }
        // Not a full queue: the worker cannot take input at all, so what is held would fail the same way.
        this.chunks = [];
        this.setHeld(0);
        this.hooks.onError?.(err);
      },
    );
  }
}

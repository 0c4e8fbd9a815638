// EmulatorClient: the only code that talks to the emulator worker. Turns the
// protocol's requests into promises (id -> resolver map) and its events into
// callbacks. The dashboard builds on this class.
import type { FromWorker, InputResult, MachineStatus, Requests, RequestName, StartParams, ToWorker, WorkerEvent } from './protocol.ts';
import type { MachineExit, MachineStats } from './machine.ts';

/** The part of a Worker the client needs (a real Worker, or a test double). */
export interface WorkerLike {
  postMessage(msg: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', fn: (ev: ErrorEvent) => void): void;
  terminate(): void;
}

type Listener<E extends WorkerEvent['kind']> = (ev: Extract<WorkerEvent, { kind: E }>) => void;

export class EmulatorClient {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Map<WorkerEvent['kind'], Set<(e: WorkerEvent) => void>>();
  private decoder = new TextDecoder();
  /** Everything the guest wrote to UART0, decoded as UTF-8. */
  output = '';
  lastExit: MachineExit | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => this.onMessage(ev.data));
    worker.addEventListener('error', (ev: ErrorEvent) => {
      const err = new Error(`emulator worker failed: ${ev.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private onMessage(msg: FromWorker): void {
    if (msg.kind === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
      return;
    }
    if (msg.kind === 'uart') this.output += this.decoder.decode(msg.data, { stream: true });
    if (msg.kind === 'exit') this.lastExit = msg.exit;
    this.listeners.get(msg.kind)?.forEach((fn) => fn(msg));
  }

  private request<K extends RequestName>(name: K, params: Requests[K][0], transfer: Transferable[] = []): Promise<Requests[K][1]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'request', id, name, params } as ToWorker, transfer);
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends WorkerEvent['kind']>(kind: E, fn: Listener<E>): () => void {
    let set = this.listeners.get(kind);
    if (!set) this.listeners.set(kind, (set = new Set()));
    const f = fn as (e: WorkerEvent) => void;
    set.add(f);
    return () => set.delete(f);
  }

  /** Boots the machine. The buffers are transferred to the worker (they become unusable here). */
  start(params: StartParams) {
    const transfer: Transferable[] = [params.kernel, params.wasm];
    if (params.disk) transfer.push(params.disk.image, ...(params.disk.blocks ?? []).map(([, b]) => b));
    if (params.initrd) transfer.push(params.initrd);
    if (params.importDisk) transfer.push(params.importDisk.image);
    return this.request('start', params, transfer);
  }

  /**
   * Types text (or bytes) into UART0. Resolves with the input queue's state;
   * rejects ("UART input overrun: ...", nothing queued) if the bytes do not
   * fit in the queue - wait for `inputDrained`, then send again.
   */
  input(data: string | Uint8Array): Promise<InputResult> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    return this.request('input', { data: bytes });
  }

  stop(): Promise<MachineExit | null> {
    return this.request('stop', {});
  }

  reset() {
    return this.request('reset', {});
  }

  stats(): Promise<MachineStats> {
    return this.request('stats', {});
  }

  /** Stops the run loop, keeping the machine (a `paused` event follows). */
  pause() {
    return this.request('pause', {});
  }

  resume() {
    return this.request('resume', {});
  }

  /** Statistics, guest uptime and the paused flag. */
  status(): Promise<MachineStatus> {
    return this.request('status', {});
  }

  /** Resolves when `pattern` appears in the output at or after `from`. */
  waitFor(pattern: string | RegExp, from = 0, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const find = () => {
        const tail = this.output.slice(from);
        const i = typeof pattern === 'string' ? tail.indexOf(pattern) : tail.search(pattern);
        return i < 0 ? -1 : from + i;
      };
      const now = find();
      if (now >= 0) return resolve(now);
      const offUart = this.on('uart', () => {
        const i = find();
        if (i >= 0) {
          cleanup();
          resolve(i);
        }
      });
      const offExit = this.on('exit', (e) => {
        cleanup();
        reject(new Error(`machine exited (${e.exit.reason}) before ${String(pattern)} appeared`));
      });
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timeout waiting for ${String(pattern)}`));
      }, timeoutMs);
      function cleanup() {
        offUart();
        offExit();
        clearTimeout(timer);
      }
    });
  }

  /** Ends the worker; pending requests reject. */
  terminate(): void {
    this.worker.terminate();
    const err = new Error('emulator worker terminated');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

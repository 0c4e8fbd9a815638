// The machine: the emulator in its Web Worker (through EmulatorClient) with
// the system disk, the import disk and the event console attached. Owns the
// power state, the status bar figures and typing into UART0.
import { EmulatorClient } from '../../emulator/src/client.ts';
import type { MachineExit } from '../../emulator/src/machine.ts';
import type { ClockName } from '../../emulator/src/core.ts';
import type { CpuMode } from '../../emulator/src/jit/jit.ts';
import type { SisEvent } from '../../emulator/src/events.ts';
import { EventStream } from '../lib/event-stream.ts';
import { speedBetween, type Speed, type SpeedSample } from '../lib/speed.ts';
import { InputQueue } from '../lib/input-queue.ts';
import type { ErrorLog } from './errors.svelte.ts';

export type PowerState = 'off' | 'booting' | 'running' | 'paused' | 'powered off' | 'crashed' | 'failed';

export interface BootImages {
  wasm: ArrayBuffer;
  kernel: ArrayBuffer;
  importDisk: ArrayBuffer;
  disk: { sizeBytes: number; blockSize: number; blocks: Map<number, Uint8Array> };
  /**
   * The guest clock. The dashboard uses `virtual` (one tick per instruction,
   * paced to the wall clock when idle): the kernel's health gates then measure
   * the model, not how loaded this host happens to be.
   */
  clock: ClockName;
  /** The CPU mode: the interpreter, or the translator to WebAssembly. */
  cpu: CpuMode;
}

export interface MachineHooks {
  onFlush(blockSize: number, blocks: { block: number; data: Uint8Array }[]): void;
  onEvent(e: SisEvent): void;
}

const PROMPT = 'sis> ';
/** A kernel that has not printed its prompt by then has failed to boot (said in the UI; the machine keeps running). */
export const BOOT_DEADLINE_MS = 180_000;

export class MachineSession {
  power = $state<PowerState>('off');
  /** Guest seconds since boot, from the generic timer (null when off). */
  uptimeUs = $state<number | null>(null);
  /** Host ms from power-on to the first prompt. */
  bootMs = $state<number | null>(null);
  speed = $state<Speed | null>(null);
  lastExit = $state<MachineExit | null>(null);
  /** Plain words for the status bar when something is wrong. */
  problem = $state<string | null>(null);
  /** Event lines that did not parse (counted and logged). */
  badEvents = $state(0);
  eventCount = $state(0);
  /** Typed or pasted bytes the page holds until the emulator's UART queue takes them (lib/input-queue.ts). */
  queuedInput = $state(0);

  private client: EmulatorClient | null = null;
  private inputQueue: InputQueue | null = null;
  private uartListeners = new Set<(bytes: Uint8Array) => void>();
  private resetListeners = new Set<() => void>();
  /** UART bytes of the current power cycle, for a terminal that attaches late. */
  private transcript: Uint8Array[] = [];
  private events = new EventStream();
  private poll: ReturnType<typeof setInterval> | null = null;
  private last: SpeedSample | null = null;
  private bootStarted = 0;
  private promptSeen = false;
  private tail = '';
  private bootTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly errors: ErrorLog,
    private readonly hooks: MachineHooks,
    private readonly makeWorker: () => Worker,
  ) {}

  get on(): boolean {
    return this.power === 'booting' || this.power === 'running' || this.power === 'paused';
  }

  /** Subscribes to UART0 output; replays what this power cycle printed so far. */
  attachTerminal(fn: (bytes: Uint8Array) => void, onReset: () => void): () => void {
    for (const b of this.transcript) fn(b);
    this.uartListeners.add(fn);
    this.resetListeners.add(onReset);
    return () => {
      this.uartListeners.delete(fn);
      this.resetListeners.delete(onReset);
    };
  }

  async powerOn(images: BootImages): Promise<void> {
    if (this.on) throw new Error('the machine is already on');
    this.power = 'booting';
    this.problem = null;
    this.lastExit = null;
    this.bootMs = null;
    this.uptimeUs = null;
    this.speed = null;
    this.promptSeen = false;
    this.tail = '';
    this.transcript = [];
    this.events.reset();
    for (const fn of this.resetListeners) fn();
    const client = new EmulatorClient(this.makeWorker());
    this.client = client;
    this.inputQueue?.close();
    const queue = new InputQueue(client, {
      onQueued: (n) => (this.queuedInput = n),
      onError: (e) => this.errors.report('typing into the terminal', e),
    });
    this.inputQueue = queue;
    client.on('inputOverrun', (e) => queue.overrun(e.capacity));
    client.on('inputDrained', (e) => queue.drained(e.capacity));
    client.on('uart', (e) => this.onUart(e.data));
    client.on('events', (e) => this.onEvents(e.data));
    client.on('diskFlush', (e) => this.hooks.onFlush(e.blockSize, e.blocks));
    client.on('exit', (e) => this.onExit(e.exit));
    client.on('paused', () => {
      this.power = 'paused';
      queue.pause();
    });
    client.on('resumed', () => {
      this.power = this.promptSeen ? 'running' : 'booting';
      queue.resume();
    });
    client.on('reset', () => {
      this.promptSeen = false;
      this.bootStarted = performance.now();
      this.power = 'booting';
      this.events.reset();
    });
    client.on('guestError', (e) => console.warn(`guest error: ${e.message}`));
    const blocks: [number, ArrayBuffer][] = [...images.disk.blocks].map(([b, d]) => [b, d.slice().buffer as ArrayBuffer]);
    this.bootStarted = performance.now();
    try {
      await client.start({
        wasm: images.wasm,
        kernel: images.kernel,
        clock: images.clock,
        cpu: images.cpu,
        disk: { image: new ArrayBuffer(images.disk.sizeBytes), blockSize: images.disk.blockSize, blocks },
        importDisk: { image: images.importDisk },
        events: true,
      });
    } catch (e) {
      this.power = 'failed';
      this.problem = `the emulator refused to start: ${(e as Error).message}`;
      client.terminate();
      this.client = null;
      queue.close();
      this.inputQueue = null;
      throw new Error(this.problem);
    }
    this.bootTimer = setTimeout(() => {
      if (!this.promptSeen && this.on) {
        this.problem = `the kernel has not reached the ${PROMPT.trim()} prompt after ${BOOT_DEADLINE_MS / 1000} s: it failed to boot (see the terminal)`;
        this.errors.report('booting the kernel', this.problem);
      }
    }, BOOT_DEADLINE_MS);
    this.last = null;
    this.poll = setInterval(() => void this.sample(), 1000);
  }

  private onUart(data: Uint8Array): void {
    this.transcript.push(data);
    for (const fn of this.uartListeners) fn(data);
    if (!this.promptSeen) {
      this.tail = (this.tail + new TextDecoder().decode(data)).slice(-64);
      if (this.tail.includes(PROMPT)) {
        this.promptSeen = true;
        this.bootMs = performance.now() - this.bootStarted;
        if (this.power === 'booting') this.power = 'running';
        for (const w of this.promptWaiters.splice(0)) w();
      }
    }
  }

  private onEvents(data: Uint8Array): void {
    const r = this.events.push(data);
    for (const err of r.errors) {
      this.badEvents++;
      console.warn(`event channel: ${err.message}: ${err.line}`);
    }
    for (const e of r.events) {
      this.eventCount++;
      this.hooks.onEvent(e);
    }
  }

  private onExit(exit: MachineExit): void {
    this.lastExit = exit;
    this.stopPolling();
    this.client?.terminate();
    this.client = null;
    // The bytes still held were for the machine that ended: they are dropped with it.
    this.inputQueue?.close();
    this.inputQueue = null;
    this.uptimeUs = null;
    this.speed = null;
    if (exit.code === 0) {
      this.power = 'powered off';
    } else if (exit.code === 2) {
      this.power = 'crashed';
      this.problem = `the kernel stopped: ${exit.reason}`;
    } else if (exit.code === 4) {
      this.power = 'off';
    } else {
      this.power = 'failed';
      this.problem = `the emulator stopped: ${exit.reason}`;
      this.errors.report('running the machine', this.problem);
    }
    if (!this.promptSeen && exit.code !== 4) {
      this.errors.report('booting the kernel', `the machine stopped before the kernel reached its prompt (${exit.reason})`);
    }
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.poll = null;
    this.bootTimer = null;
  }

  private async sample(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const s = await c.status();
      const now: SpeedSample = { at: performance.now(), instret: s.stats.instret, runMs: s.stats.runMs };
      this.uptimeUs = s.uptimeUs;
      if (s.paused) this.speed = null;
      else if (this.last) this.speed = speedBetween(this.last, now);
      this.last = now;
    } catch {
      /* the machine stopped between two samples: the exit event says so */
    }
  }

  /**
   * Keystrokes or pasted text to UART0, in order: what the emulator's queue
   * cannot take yet waits here (queuedInput), also while paused.
   */
  input(data: string | Uint8Array): void {
    if (!this.inputQueue) return;
    try {
      this.inputQueue.push(data);
    } catch (e) {
      this.errors.report('typing into the terminal', e);
    }
  }

  /**
   * Types a shell command as a user would, so it shows in the terminal:
   * Ctrl-U first clears whatever half-typed line is there.
   */
  type(command: string): void {
    if (!this.client) {
      this.errors.report(`running "${command}"`, new Error('the machine is off: power it on first'));
      return;
    }
    if (this.power === 'paused') {
      this.errors.report(`running "${command}"`, new Error('the machine is paused: resume it first'));
      return;
    }
    this.input(`\x15${command}\r`);
  }

  async pause(): Promise<void> {
    await this.client?.pause();
  }

  async resume(): Promise<void> {
    await this.client?.resume();
  }

  /** Ends the machine without a shutdown (the disk keeps what was flushed). */
  async stop(): Promise<void> {
    const c = this.client;
    if (!c) return;
    await c.stop().catch(() => undefined);
    if (this.client === c) this.onExit({ code: 4, reason: 'stopped by the host' });
  }

  /** This power cycle's UART output as text (tests and the docs' screenshots read it). */
  transcriptText(): string {
    const d = new TextDecoder();
    return this.transcript.map((b) => d.decode(b, { stream: true })).join('') + d.decode();
  }

  private promptWaiters: (() => void)[] = [];

  /** Resolves when this power cycle's first prompt has been seen. */
  whenPrompt(): Promise<void> {
    if (this.promptSeen) return Promise.resolve();
    return new Promise((r) => this.promptWaiters.push(r));
  }

  /** True once the prompt has been seen (for callers that need the shell). */
  get atPrompt(): boolean {
    return this.promptSeen;
  }
}

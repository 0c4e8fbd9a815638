// The worker protocol, declared once for both sides (worker.ts and client.ts).
//
// Requests carry an id; the worker answers each with exactly one `reply`
// (ok with a value, or an error as data). Events (`uart`, `exit`, `reset`,
// `undefined`, `guestError`, `events`, `diskFlush`, `inputOverrun`,
// `inputDrained`, `paused`, `resumed`) are pushed by the worker at any time.

import type { ClockName } from './core.ts';
import type { MachineExit, MachineStats } from './machine.ts';
import type { CpuMode } from './jit/jit.ts';

export interface StartParams {
  /** The kernel file. */
  kernel: ArrayBuffer;
  /** core.wasm bytes. */
  wasm: ArrayBuffer;
  memMiB?: number;
  append?: string;
  /** An initrd/initramfs (QEMU's -initrd). */
  initrd?: ArrayBuffer;
  /** Seed for the DTB's /chosen rng-seed/kaslr-seed (decimal or 0x hex string, or a BigInt); default: random. */
  seed?: string | bigint;
  clock?: ClockName;
  /** CPU mode: jit (default: translate hot code to WebAssembly) or interp; see docs/EMULATOR.md. */
  cpu?: CpuMode;
  /**
   * The system disk (the kernel's blk0, virtio slot 31): a base image in an
   * OverlayBlockStore, plus blocks persisted earlier (e.g. from IndexedDB),
   * laid over it before the boot. Each guest FLUSH then arrives as a
   * `diskFlush` event with the blocks written since the previous one.
   */
  disk?: { image: ArrayBuffer; blockSize?: number; blocks?: [number, ArrayBuffer][] };
  /** Attach the event console (virtio slot 29): its bytes arrive as `events` events. */
  events?: boolean;
  /** Bytes of UART input that may wait for the guest (default 65536). */
  inputQueueBytes?: number;
  /** The import disk (the kernel's blk1, virtio slot 30), read-only: e.g. a model bundle (ustar). */
  importDisk?: { image: ArrayBuffer };
}

/**
 * The UART input queue after an `input` request: bytes still waiting for
 * the guest, and the queue's size. An `input` that does not fit fails with
 * an error starting "UART input overrun" (nothing of it is queued) and an
 * `inputOverrun` event; `inputDrained` follows once the queue is empty.
 */
export interface InputResult {
  pending: number;
  capacity: number;
}

/** What `status` answers: the statistics plus the guest's clock and whether the run loop is paused. */
export interface MachineStatus {
  stats: MachineStats;
  /** Guest microseconds since boot (the generic timer's counter). */
  uptimeUs: number;
  paused: boolean;
}

/** Request name -> [params, result]. */
export interface Requests {
  start: [StartParams, { ramBytes: number; entry: number; dtb: number }];
  input: [{ data: Uint8Array }, InputResult];
  stop: [Record<string, never>, MachineExit | null];
  reset: [Record<string, never>, null];
  stats: [Record<string, never>, MachineStats];
  /** Stops the run loop at the next slice boundary, keeping the machine (no `exit` event). */
  pause: [Record<string, never>, null];
  /** Runs a paused machine on. */
  resume: [Record<string, never>, null];
  status: [Record<string, never>, MachineStatus];
}
export type RequestName = keyof Requests;

export type Request = {
  [K in RequestName]: { kind: 'request'; id: number; name: K; params: Requests[K][0] };
}[RequestName];

export type Reply =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string };

export type WorkerEvent =
  /** UART0 output, batched (at most 16 ms); posted before any later event, so the guest's order holds across channels. */
  | { kind: 'uart'; data: Uint8Array }
  | { kind: 'exit'; exit: MachineExit; stats: MachineStats }
  | { kind: 'reset' }
  /** pc: the 64-bit guest PC as a hex string ("0xffff800008021d74"): exact, and JSON-safe. */
  | { kind: 'undefined'; pc: string; insn: number }
  | { kind: 'guestError'; message: string }
  /** Bytes from the kernel's event channel (JSON Lines). */
  | { kind: 'events'; data: Uint8Array }
  /** A guest FLUSH completed: the blocks written since the previous one, with their contents. */
  | { kind: 'diskFlush'; seq: number; blockSize: number; blocks: { block: number; data: Uint8Array }[] }
  /** An `input` request did not fit in the UART input queue: none of its `rejected` bytes were queued. */
  | { kind: 'inputOverrun'; rejected: number; pending: number; capacity: number }
  /** After an overrun: the input queue has emptied (the guest read everything), send again. */
  | { kind: 'inputDrained'; capacity: number }
  /** The run loop stopped on a `pause` request (the machine is kept). */
  | { kind: 'paused'; stats: MachineStats }
  | { kind: 'resumed' };

export type FromWorker = Reply | WorkerEvent;
export type ToWorker = Request;

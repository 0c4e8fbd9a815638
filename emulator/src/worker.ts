// The emulator in a Web Worker: one Machine, driven by the requests of
// protocol.ts. UART output is batched into one `uart` event per slice-ish
// (at most every 16 ms) so the page is not flooded with messages; the batch is
// flushed before any other event, so the page sees the two channels in the
// order the guest wrote them (a command's printed result before its event).
/// <reference lib="webworker" />
import { InputOverrunError, Machine, type MachineExit } from './machine.ts';
import { OverlayBlockStore } from './devices/overlay-block-store.ts';
import { MemoryBlockStore, VirtioBlk } from './devices/virtio-blk.ts';
import { VirtioConsole } from './devices/virtio-console.ts';
import type { VirtioBackend } from './devices/virtio-mmio.ts';
import type { FromWorker, Reply, Request, Requests, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let machine: Machine | null = null;
let running: Promise<MachineExit> | null = null;
/** Set while a `pause` request stops the run loop: its "stopped" exit is a pause, not an end. */
let pausing = false;
let paused = false;
let uartChunks: Uint8Array[] = [];
let flushScheduled = false;
/** An inputOverrun was reported and its inputDrained is not sent yet. */
let overrunOpen = false;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  if (msg.kind !== 'uart') flushUart();
  self.postMessage(msg, transfer);
}

function flushUart(): void {
  flushScheduled = false;
  if (!uartChunks.length) return;
  const total = uartChunks.reduce((n, c) => n + c.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const c of uartChunks) {
    data.set(c, o);
    o += c.length;
  }
  uartChunks = [];
  post({ kind: 'uart', data }, [data.buffer]);
}

/** Runs the machine until it ends (an `exit` event) or a pause (a `paused` event). */
function runLoop(m: Machine): void {
  running = m.run().then((exit) => {
    flushUart();
    const wasPause = pausing && exit.code === 4;
    pausing = false;
    if (wasPause) {
      paused = true;
      post({ kind: 'paused', stats: m.stats() });
      return exit;
    }
    post({ kind: 'exit', exit, stats: m.stats() });
    machine = null;
    running = null;
    return exit;
  });
}

const handlers: { [K in keyof Requests]: (p: Requests[K][0]) => Promise<Requests[K][1]> } = {
  async start(p) {
    if (machine) throw new Error('the machine is already started');
    const virtio: Record<number, VirtioBackend> = {};
    if (p.disk) {
      const store = new OverlayBlockStore(new Uint8Array(p.disk.image), {
        blockSize: p.disk.blockSize,
        onFlush: (r) => {
          const blocks = r.blocks.map((block) => ({ block, data: r.read(block) }));
          post({ kind: 'diskFlush', seq: r.seq, blockSize: r.blockSize, blocks }, blocks.map((b) => b.data.buffer as ArrayBuffer));
        },
      });
      store.load((p.disk.blocks ?? []).map(([b, d]) => [b, new Uint8Array(d)]));
      virtio[31] = new VirtioBlk(store, 'sis-system');
    }
    if (p.importDisk) virtio[30] = new VirtioBlk(new MemoryBlockStore(new Uint8Array(p.importDisk.image), true), 'sis-import');
    if (p.events) virtio[29] = new VirtioConsole((data) => post({ kind: 'events', data: data.slice() }));
    const m = await Machine.create({
      virtio,
      kernel: new Uint8Array(p.kernel),
      wasm: p.wasm,
      memMiB: p.memMiB,
      append: p.append,
      ...(p.initrd ? { initrd: new Uint8Array(p.initrd) } : {}),
      ...(p.seed !== undefined ? { seed: BigInt(p.seed) } : {}),
      clock: p.clock ?? 'realtime',
      inputQueueBytes: p.inputQueueBytes,
      // Unset: the Machine's default (SIS_CPU in Node, else the translator).
      cpu: p.cpu,
      onUart: (bytes) => {
        uartChunks.push(bytes);
        if (!flushScheduled) {
          flushScheduled = true;
          setTimeout(flushUart, 16);
        }
      },
      onReset: () => post({ kind: 'reset' }),
      onUndefined: (pc, insn) => post({ kind: 'undefined', pc: '0x' + pc.toString(16), insn }),
      onGuestError: (message) => post({ kind: 'guestError', message }),
    });
    machine = m;
    paused = false;
    runLoop(m);
    return { ramBytes: m.ramBytes, entry: 0x4000_0000 + m.plan.entryOffset, dtb: 0x4000_0000 + m.plan.dtbOffset };
  },
  async input(p) {
    const m = machine;
    if (!m) throw new Error('the machine is not running');
    try {
      m.input(p.data);
    } catch (e) {
      if (!(e instanceof InputOverrunError)) throw e;
      post({ kind: 'inputOverrun', rejected: e.rejected, pending: e.pending, capacity: e.capacity });
      if (!overrunOpen) {
        overrunOpen = true;
        void m.whenInputRoom(m.inputCapacity).then(() => {
          overrunOpen = false;
          if (machine === m && m.pendingInput === 0) post({ kind: 'inputDrained', capacity: m.inputCapacity });
        });
      }
      throw e;
    }
    return { pending: m.pendingInput, capacity: m.inputCapacity };
  },
  async stop() {
    if (!machine || !running) return null;
    if (paused) {
      // A paused machine has no run loop left to stop: end it here.
      const m = machine;
      machine = null;
      running = null;
      paused = false;
      const exit: MachineExit = { code: 4, reason: 'stopped by the host' };
      post({ kind: 'exit', exit, stats: m.stats() });
      return exit;
    }
    machine.stop();
    return running;
  },
  async pause() {
    if (!machine || !running) throw new Error('the machine is not running');
    if (paused) return null;
    pausing = true;
    machine.stop();
    await running;
    return null;
  },
  async resume() {
    if (!machine) throw new Error('the machine is not running');
    if (!paused) return null;
    paused = false;
    runLoop(machine);
    post({ kind: 'resumed' });
    return null;
  },
  async status() {
    if (!machine) throw new Error('the machine is not running');
    return { stats: machine.stats(), uptimeUs: machine.uptimeUs(), paused };
  },
  async reset() {
    if (!machine) throw new Error('the machine is not running');
    machine.reset();
    return null;
  },
  async stats() {
    if (!machine) throw new Error('the machine is not running');
    return machine.stats();
  },
};

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const req = ev.data as Request;
  let reply: Reply;
  try {
    const value = await (handlers[req.name] as (p: unknown) => Promise<unknown>)(req.params);
    reply = { kind: 'reply', id: req.id, ok: true, value };
  } catch (e) {
    reply = { kind: 'reply', id: req.id, ok: false, error: (e as Error)?.message ?? String(e) };
  }
  post(reply);
};

// The machine: the wasm core plus the host devices, the loader and the clock
// policy, run in time slices. Runs the same in Node and in a Web Worker.
//
// Run loop: call core.run(budget) until ~SLICE_MS of host time has passed,
// then yield to the event loop (so input, stop requests and the worker's
// messages get through). Between run() calls the UART is refilled from host
// input and the RTC alarm is polled.
//
// UART input: host bytes wait in the PL011's bounded queue (inputQueueBytes,
// default 64 KiB) until the FIFO has room; input() throws InputOverrunError
// for bytes that do not fit (nothing is queued) and whenInputRoom() says when
// to send more. While the guest is reading (it emptied the FIFO since the
// last refill) core calls are short (INPUT_BUDGET), so it gets each next
// character soon after the last; a guest that stops reading (flow control)
// gets full-length calls and the bytes simply wait.
//
// Idle (the guest is in WFI/WFE with nothing pending):
// - realtime clock: sleep until the earliest of the core's timer deadline,
//   the RTC alarm, or host input (capped at MAX_SLEEP_MS), so an idle guest
//   costs no host CPU;
// - virtual clock: the core has already jumped over armed timer deadlines, so
//   Idle means the guest waits for input; the machine waits for input.
//   A guest with a periodic tick never reaches Idle, though: its WFIs keep
//   skipping to the next tick. So the machine paces skipped time: guest time
//   skipped in WFI may run at most `idleSpeedup` times faster than host time
//   (default 1: an idle guest's clock keeps up with the wall clock, as on
//   QEMU), and the machine sleeps (waking at once on input) when it is
//   ahead. The guest sees exactly the same counter values either way - pacing
//   only decides how long the host waits between slices.
// A guest that idles with no timer armed and no interrupt able to reach the
// CPU (the core's idleState(); for a core without it: no timer armed after
// the kernel's halt line "sis: machine halted after a crash") is halted:
// run() settles with a "guest halted" exit instead of sleeping forever.
//
// Run loop, virtual clock: run() budgets adapt (MIN_BUDGET..VIRTUAL_MAX_BUDGET)
// so one core call cannot skip much idle guest time; see pace().
//
// PSCI SYSTEM_RESET reboots like QEMU: devices reset, RAM cleared, kernel and
// DTB reloaded, CPU at the entry point. SYSTEM_OFF ends the run with code 0.

import { buildVirtDtb, dtbSeeds, RAM_BASE, RTC_BASE, RTC_SPI, UART0_BASE, UART0_SPI, VIRTIO_BASE, VIRTIO_SLOTS, VIRTIO_SPI0, VIRTIO_STRIDE } from './dtb.ts';
import { planKernel, type KernelPlan } from './loader.ts';
import { CNTFRQ, ClockMode, type ClockName, type CoreExports, CoreAbort, instantiateCore, readAsString, StopReason, PSCI } from './core.ts';
import { MmioBus, type IrqLine } from './devices/bus.ts';
import { Pl011 } from './devices/pl011.ts';
export { DEFAULT_INPUT_QUEUE, InputOverrunError } from './devices/pl011.ts';
import { Pl031 } from './devices/pl031.ts';
import { VirtioMmio, type VirtioBackend } from './devices/virtio-mmio.ts';
import { RamMemory } from './devices/virtqueue.ts';
import { CPU_MODES, JitLink, cpuFromEnv, thresholdFromEnv, type CpuMode, type Jit, type JitProfile } from './jit/jit.ts';

export const HALT_LINE = 'sis: machine halted after a crash';

const SLICE = 200_000; // instructions per core.run() call
const SLICE_MS = 20; // host time before yielding to the event loop
const MAX_SLEEP_MS = 250;
const PACE_SLACK_MS = 20;
const MIN_BUDGET = 256;
// Caps how much guest time the first run() after a busy stretch can skip (a
// WFI loop retires few instructions per skip) at the cost of a few more
// core calls per slice for a busy guest.
const VIRTUAL_MAX_BUDGET = 16_384;
const MAX_LEAD_MS = 1000;
const INPUT_BUDGET = 256;
const MiB = 1 << 20;

/**
 * RAM sizes a machine accepts, in MiB. The low bound is the smallest RAM the
 * SIS kernel boots in (found by experiment): its 8 MiB heap goes after the
 * kernel and must not overlap the device tree, which the loader puts at
 * RAM/2 rounded up to 2 MiB. The kernel now takes 2.7 MiB with its static
 * buffers (the 1024-trace ring among them), so its heap cannot fit below the
 * tree and goes right after it: 10 MiB + the tree's 8 KiB + 8 MiB, which
 * needs 19 MiB of RAM; with 18 MiB the kernel panics "no room for the
 * 8 MiB heap". The high bound is the wasm32 limit: one memory of at most
 * 65536 pages (4 GiB) holds the core's own state (256 KiB) and guest RAM, so
 * 4096 MiB cannot fit; 4095 is the largest whole number of MiB that does.
 */
export const MEM_MIN_MIB = 19;
export const MEM_MAX_MIB = 4095;
export const MEM_DEFAULT_MIB = 128;

export interface MachineOptions {
  /** The kernel file: a Linux arm64 Image (checked strictly), or with `raw` any raw binary. */
  kernel: Uint8Array;
  /** Load `kernel` as a raw binary at RAM + 0x80000 (no Image header needed or looked at). */
  raw?: boolean;
  /** core.wasm bytes or a compiled module. */
  wasm: BufferSource | WebAssembly.Module;
  memMiB?: number;
  /** Kernel command line (/chosen/bootargs). */
  append?: string;
  /** An initrd/initramfs (QEMU's -initrd): loaded where QEMU puts it, announced in /chosen. */
  initrd?: Uint8Array;
  /**
   * Seed for the DTB's /chosen rng-seed and kaslr-seed (a deterministic boot); without it they
   * come from the host's random source, as on QEMU.
   */
  seed?: bigint;
  clock?: ClockName;
  /**
   * CPU mode: `interp` (the interpreter only) or `jit` (hot blocks translated to
   * WebAssembly; same results and instruction counts). Default: SIS_CPU, else jit.
   */
  cpu?: CpuMode;
  /** jit: block starts reached this many times are translated (default 256; SIS_JIT_THRESHOLD). */
  jitThreshold?: number;
  /** jit: keep per-block hit counts and time spent in translated code (see profile()). */
  profile?: boolean;
  /** Virtual clock: the RTC's seconds at boot (default: the host's wall clock at create). */
  rtcEpoch?: number;
  /**
   * Virtual clock: how many times faster than the host's clock guest time
   * skipped in WFI may run (default 1; Infinity = no pacing, skip at once).
   */
  idleSpeedup?: number;
  /** virtio backends by slot (the storage issue adds blk and console). */
  virtio?: Record<number, VirtioBackend>;
  /** Bytes of host UART input that may wait for the guest (default 64 KiB). */
  inputQueueBytes?: number;
  onUart?: (bytes: Uint8Array) => void;
  onGuestError?: (message: string) => void;
  /** `pc` is the guest PC as a 64-bit BigInt. */
  onUndefined?: (pc: bigint, insn: number) => void;
  onReset?: () => void;
}

export interface MachineExit {
  /**
   * 0 after PSCI SYSTEM_OFF; 1 host error; 2 guest halted/crashed; 4 stopped
   * by the host; 5 runUntil() reached its instruction count (or the guest
   * went idle waiting for input before it).
   */
  code: number;
  reason: string;
  /** The PSCI function id for power-off. */
  psci?: number;
}

/** Why a debugged machine paused (see Machine.attachDebugger). */
export type DebugStop =
  | { kind: 'break' } // a breakpoint, PC on it
  | { kind: 'watch'; addr: bigint; access: 'write' | 'read' | 'access' } // PC after the instruction
  | { kind: 'step' }
  | { kind: 'interrupt' } // debugInterrupt() (GDB's Ctrl-C), or attached with `waitAtStart`
  | { kind: 'exited'; code: number }; // the guest powered off (or the machine stopped) while debugged

/** What the debugger wants next after a DebugStop. */
export type DebugAction = 'continue' | 'step';

export interface Debugger {
  /** The machine is paused (core state may be read and written) until resume() is called. */
  onStop(stop: DebugStop): void;
}

/** ESR_EL1.EC names (Arm ARM D17.2.37) for the classes this core raises. */
const EXCEPTION_CLASS: Record<number, string> = {
  0x00: 'unknown reason: undefined instruction',
  0x01: 'WFI/WFE trap',
  0x07: 'SIMD/FP access trap',
  0x0e: 'illegal execution state',
  0x15: 'SVC',
  0x16: 'HVC',
  0x18: 'system register trap',
  0x20: 'instruction abort from EL0',
  0x21: 'instruction abort at EL1',
  0x22: 'PC alignment fault',
  0x24: 'data abort from EL0',
  0x25: 'data abort at EL1',
  0x30: 'breakpoint from EL0',
  0x31: 'breakpoint at EL1',
  0x32: 'software step from EL0',
  0x33: 'software step at EL1',
  0x34: 'watchpoint from EL0',
  0x35: 'watchpoint at EL1',
  0x3c: 'BRK',
};
export const EXIT = { poweroff: 0, hostError: 1, guestHalted: 2, stopped: 4, limit: 5 } as const;

export interface MachineStats {
  instret: number;
  /** Millions of instructions per second of host time spent running (not sleeping). */
  mips: number;
  runMs: number;
  idleMs: number;
  resets: number;
  guestErrors: number;
  undefinedInsns: number;
  uartBytesOut: number;
  /** --cpu jit: instructions retired in translated code (absent in interp mode). */
  translated?: number;
  /** --cpu jit: blocks translated so far, and the host milliseconds translating and compiling them took. */
  compiledBlocks?: number;
  compileMs?: number;
}

const hostNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((r) => setImmediate(r))
    : (() => {
        const ch = new MessageChannel();
        const queue: (() => void)[] = [];
        ch.port1.onmessage = () => queue.shift()?.();
        return () =>
          new Promise<void>((r) => {
            queue.push(r);
            ch.port2.postMessage(0);
          });
      })();

export class Machine {
  readonly bus: MmioBus;
  readonly uart: Pl011;
  readonly rtc: Pl031;
  readonly virtio: VirtioMmio[] = [];
  readonly ramBytes: number;
  readonly plan: KernelPlan;
  readonly dtb: Uint8Array;
  readonly clock: ClockName;
  readonly cpu: CpuMode;
  private jit: Jit | null = null;
  private readonly jitLink = new JitLink();

  private core!: CoreExports;
  private ramView: Uint8Array | null = null;
  private running = false;
  private booted = false;
  private stopRequested = false;
  /** runUntil(): stop when instret reaches this (null: no limit). */
  private until: number | null = null;
  private wake: (() => void) | null = null;
  private haltLineSeen = false;
  private tail = ''; // last output characters, to spot HALT_LINE across chunks
  private runMs = 0;
  private idleMs = 0;
  private resets = 0;
  private guestErrors = 0;
  private undefinedInsns = 0;
  private uartBytesOut = 0;
  private uartBuf: number[] = [];
  private rtcBase: number;
  private lastGuestError = '';
  // Virtual-clock pacing (see the top of this file).
  private paceLeadMs = 0;
  private paceSkipped = 0;
  private paceAt = 0;
  /** Instructions per core.run(); smaller while pacing so one call cannot skip much guest time. */
  private budget = SLICE;
  private readonly idleSpeedup: number;
  private debuggerHooks: Debugger | null = null;
  private debugInterruptRequested = false;
  private resumeDebug: ((a: DebugAction) => void) | null = null;
  /** whenInputRoom() callers: resolved once the queue has room for `bytes` (or the run ends). */
  private roomWaiters: { bytes: number; resolve: () => void }[] = [];
  /** The most recent undefined instruction reported by the core. */
  lastUndefined: { pc: bigint; insn: number } | null = null;

  private constructor(private readonly opts: MachineOptions) {
    const memMiB = opts.memMiB ?? MEM_DEFAULT_MIB;
    if (!Number.isInteger(memMiB) || memMiB < MEM_MIN_MIB || memMiB > MEM_MAX_MIB) {
      throw new RangeError(`memory size ${memMiB} MiB: give a whole number of MiB from ${MEM_MIN_MIB} to ${MEM_MAX_MIB}`);
    }
    this.ramBytes = memMiB * MiB;
    this.clock = opts.clock ?? 'realtime';
    this.cpu = opts.cpu ?? cpuFromEnv();
    if (!CPU_MODES.includes(this.cpu)) throw new RangeError(`cpu "${this.cpu}": use interp or jit`);
    this.idleSpeedup = opts.idleSpeedup ?? 1;
    // Paced virtual clock: small budgets, grown within a few calls for a busy guest.
    if (this.clock === 'virtual' && this.idleSpeedup !== Infinity) this.budget = MIN_BUDGET;
    if (!(this.idleSpeedup > 0)) throw new RangeError(`idleSpeedup ${opts.idleSpeedup}: must be positive`);
    if (!(this.clock in ClockMode)) throw new RangeError(`clock "${this.clock}": use realtime or virtual`);
    const initrdSize = opts.initrd?.length ?? 0;
    const dtbConfig = { ramBytes: this.ramBytes, bootargs: opts.append ?? '', seeds: dtbSeeds(opts.seed) };
    // The DTB's size does not depend on the initrd's address: plan with a placeholder, then build it.
    const sizing = buildVirtDtb({ ...dtbConfig, ...(opts.initrd ? { initrd: { start: 0, end: 0 } } : {}) });
    this.plan = planKernel(opts.kernel, this.ramBytes, sizing.length, { raw: opts.raw, initrdSize }); // throws LoaderError
    const initrdStart = RAM_BASE + this.plan.initrdOffset;
    this.dtb = buildVirtDtb({ ...dtbConfig, ...(opts.initrd ? { initrd: { start: initrdStart, end: initrdStart + initrdSize } } : {}) });
    this.rtcBase = opts.rtcEpoch ?? Date.now() / 1000;

    const guestError = (m: string) => {
      this.guestErrors++;
      this.lastGuestError = m;
      opts.onGuestError?.(m);
    };
    this.bus = new MmioBus(guestError);
    this.uart = new Pl011(this.spi(UART0_SPI), (b) => this.uartOut(b), guestError, opts.inputQueueBytes);
    this.rtc = new Pl031(this.spi(RTC_SPI), () => this.rtcSeconds(), guestError);
    this.bus.map(UART0_BASE, 0x1000, this.uart);
    this.bus.map(RTC_BASE, 0x1000, this.rtc);
    const mem = new RamMemory(() => this.ram, RAM_BASE, (a, l) => this.jit?.invalidate(a, l));
    for (let n = 0; n < VIRTIO_SLOTS; n++) {
      // UART bytes the guest wrote before a notify reach onUart before the device acts on it.
      const t = new VirtioMmio(n, this.spi(VIRTIO_SPI0 + n), mem, opts.virtio?.[n] ?? null, guestError, () => this.flushUart());
      this.virtio.push(t);
      this.bus.map(VIRTIO_BASE + VIRTIO_STRIDE * n, VIRTIO_STRIDE, t);
    }
  }

  /** Builds the machine and loads the kernel; throws LoaderError/RangeError on bad input. */
  static async create(opts: MachineOptions): Promise<Machine> {
    const m = new Machine(opts);
    m.core = await instantiateCore(opts.wasm, {
      mmioRead: (a, s) => m.bus.read(a, s),
      mmioWrite: (a, s, v) => m.bus.write(a, s, v),
      hostNowTicks: () => (hostNow() / 1000) * CNTFRQ,
      reportUndefined: (pc, insn) => {
        m.undefinedInsns++;
        m.lastUndefined = { pc, insn };
        opts.onUndefined?.(pc, insn);
      },
    }, m.jitLink);
    try {
      m.core.init(m.ramBytes);
    } catch (e) {
      // The engine's own limit (a 32-bit browser, a memory cap): say so plainly.
      if (e instanceof CoreAbort) throw new RangeError(`cannot allocate ${m.ramBytes / MiB} MiB of guest RAM: ${e.message}`);
      throw e;
    }
    m.jit = m.jitLink.attach(m.core, m.cpu, { threshold: opts.jitThreshold ?? thresholdFromEnv(), profile: opts.profile });
    m.core.setClockMode(ClockMode[m.clock]);
    m.boot();
    return m;
  }

  private spi(spi: number): IrqLine {
    const intid = 32 + spi;
    return { set: (level: boolean) => this.core?.setIrqLine(intid, level ? 1 : 0) };
  }

  /**
   * Attaches a debugger (the GDB stub): breakpoints and watchpoints stop the machine and call
   * `onStop`; `waitAtStart` pauses before the first instruction (QEMU's -S).
   */
  attachDebugger(d: Debugger, waitAtStart = false): void {
    if (!this.core.debugAddBreak) throw new Error('this core.wasm has no debugger support');
    this.debuggerHooks = d;
    if (waitAtStart) this.debugInterruptRequested = true;
  }

  /** Detaches the debugger: breakpoints and watchpoints are removed and a paused machine runs on. */
  detachDebugger(): void {
    this.core.debugClear?.();
    this.debuggerHooks = null;
    this.debugInterruptRequested = false;
    this.resume('continue');
  }

  /** Pauses a running debugged machine at the next slice boundary (GDB's Ctrl-C). */
  debugInterrupt(): void {
    if (!this.debuggerHooks) return;
    this.debugInterruptRequested = true;
    this.wake?.();
  }

  /** Ends a debug pause: run on, or execute one instruction and pause again. */
  resume(action: DebugAction): void {
    const r = this.resumeDebug;
    this.resumeDebug = null;
    r?.(action);
  }

  /** True while paused for the debugger. */
  get debugPaused(): boolean {
    return this.resumeDebug !== null;
  }

  /**
   * The debug pause: reports `stop`, then waits for resume(); a step runs one instruction and
   * reports again. Returns a stop reason the run loop must handle (PowerOff, Reset) or Budget.
   */
  private async debugPause(stop: DebugStop): Promise<number> {
    const core = this.core;
    for (;;) {
      this.flushUart();
      const hooks = this.debuggerHooks;
      if (!hooks) return StopReason.Budget;
      const t0 = hostNow();
      const action = await new Promise<DebugAction>((resolve) => {
        this.resumeDebug = resolve;
        hooks.onStop(stop);
      });
      this.idleMs += hostNow() - t0;
      if (this.stopRequested) return StopReason.Budget;
      core.debugSkipOnce!();
      if (action === 'continue') return StopReason.Budget;
      this.uart.refill();
      const r = core.run(1);
      this.flushUart();
      if (r === StopReason.PowerOff) return r;
      if (r === StopReason.Reset) this.reset();
      stop = r === StopReason.Debug ? this.debugStopOf() : { kind: 'step' };
    }
  }

  private debugStopOf(): DebugStop {
    const core = this.core;
    if (core.debugStopKind!() === 2) {
      const k = core.debugWatchKind!();
      return { kind: 'watch', addr: BigInt.asUintN(64, core.debugWatchAddr!()), access: k === 1 ? 'write' : k === 2 ? 'read' : 'access' };
    }
    return { kind: 'break' };
  }

  /** Guest RAM (re-created if the wasm memory grew). */
  get ram(): Uint8Array {
    const buf = this.core.memory.buffer;
    if (!this.ramView || this.ramView.buffer !== buf) {
      // u32 exports arrive signed: RAM of 2 GiB and more would read negative
      this.ramView = new Uint8Array(buf, this.core.ramPtr() >>> 0, this.core.ramSize() >>> 0);
    }
    return this.ramView;
  }

  get coreExports(): CoreExports {
    return this.core;
  }

  private boot(): void {
    this.core.reset();
    this.bus.reset();
    const ram = this.ram;
    if (this.booted) ram.fill(0); // core.init() hands over zeroed RAM the first time
    this.booted = true;
    ram.set(this.opts.kernel, this.plan.loadOffset);
    if (this.opts.initrd) ram.set(this.opts.initrd, this.plan.initrdOffset);
    ram.set(this.dtb, this.plan.dtbOffset);
    this.core.setX(0, BigInt(RAM_BASE + this.plan.dtbOffset));
    for (let i = 1; i <= 3; i++) this.core.setX(i, 0n);
    this.core.setPC(BigInt(RAM_BASE + this.plan.entryOffset));
    this.haltLineSeen = false;
    this.tail = '';
  }

  /** PSCI SYSTEM_RESET or a host request: reboot from the image. */
  reset(): void {
    this.resets++;
    this.boot();
    this.opts.onReset?.();
  }

  private rtcSeconds(): number {
    if (this.clock === 'realtime') return Date.now() / 1000;
    // Virtual: boot epoch + the system counter (deterministic for a given epoch).
    const cnt = this.core.counterTicks ? this.core.counterTicks() : Number(this.core.getSysreg(3, 3, 14, 0, 1)); // CNTPCT_EL0
    return this.rtcBase + cnt / CNTFRQ;
  }

  private uartOut(b: number): void {
    this.uartBytesOut++;
    this.uartBuf.push(b);
    if (this.uartBuf.length >= 4096) this.flushUart();
  }

  private flushUart(): void {
    if (!this.uartBuf.length) return;
    const bytes = Uint8Array.from(this.uartBuf);
    this.uartBuf = [];
    if (!this.haltLineSeen) {
      this.tail = (this.tail + String.fromCharCode(...bytes)).slice(-256);
      if (this.tail.includes(HALT_LINE)) this.haltLineSeen = true;
    }
    this.opts.onUart?.(bytes);
  }

  /**
   * Types into UART0: queued until the guest reads it, never dropped. Throws
   * InputOverrunError (and queues nothing) if the bytes do not fit in the
   * input queue; see inputRoom and whenInputRoom().
   */
  input(bytes: Uint8Array | string): void {
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    this.uart.input(b);
    this.wake?.();
  }

  /** Host bytes waiting for the guest. */
  get pendingInput(): number {
    return this.uart.pendingInput;
  }

  /** How many more bytes input() accepts now. */
  get inputRoom(): number {
    return this.uart.inputRoom;
  }

  /** The input queue's size in bytes. */
  get inputCapacity(): number {
    return this.uart.inputCapacity;
  }

  /**
   * Resolves once the input queue has room for `bytes` more bytes (at most
   * its capacity), or when run() ends.
   */
  whenInputRoom(bytes = 1): Promise<void> {
    const want = Math.min(Math.max(1, bytes), this.uart.inputCapacity);
    if (this.uart.inputRoom >= want) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ bytes: want, resolve }));
  }

  private checkRoom(all = false): void {
    if (!this.roomWaiters.length) return;
    const room = this.uart.inputRoom;
    const ready = this.roomWaiters.filter((w) => all || room >= w.bytes);
    if (!ready.length) return;
    this.roomWaiters = this.roomWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  stats(): MachineStats {
    const instret = this.core.instret();
    return {
      instret,
      mips: this.runMs > 0 ? instret / this.runMs / 1000 : 0,
      runMs: this.runMs,
      idleMs: this.idleMs,
      resets: this.resets,
      guestErrors: this.guestErrors,
      undefinedInsns: this.undefinedInsns,
      uartBytesOut: this.uartBytesOut,
      ...(this.jit ? { translated: this.jit.translatedInsns(), compiledBlocks: this.jit.compiledBlocks, compileMs: this.jit.compiledMs } : {}),
    };
  }

  /** jit mode: the translator's figures (blocks, hits, compile time, invalidations, time split); null in interp mode. */
  profile(): (JitProfile & { runMs: number; msInterp: number }) | null {
    if (!this.jit) return null;
    const p = this.jit.stats();
    return { ...p, runMs: this.runMs, msInterp: Math.max(0, this.runMs - p.msInJit - p.compileMs) };
  }

  /** Guest microseconds since boot: the generic timer's counter (CNTPCT_EL0). */
  uptimeUs(): number {
    const cnt = this.core.counterTicks ? this.core.counterTicks() : Number(this.core.getSysreg(3, 3, 14, 0, 1));
    return (cnt / CNTFRQ) * 1e6;
  }

  /** Asks a running run() to settle with code 4 ("stopped") at the next slice boundary. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
    this.resume('continue'); // a debug pause ends too
  }

  /**
   * Runs until power-off, a halted guest, a host error or stop(). Settles
   * with the exit; never rejects.
   */
  async run(): Promise<MachineExit> {
    return this.runWith(null);
  }

  /**
   * The power-cut tool: runs until `instret` instructions have retired since
   * create() and stops dead there (exit code 5, EXIT.limit), between two
   * instructions, with every device request either completed or not started
   * (virtio-blk completes requests synchronously on notify). Also stops with
   * code 5 if the guest goes idle waiting for input first, and like run() on
   * power-off, a halt or stop(). Can be called again to go on.
   */
  async runUntil(instret: number): Promise<MachineExit> {
    if (!Number.isFinite(instret) || instret < 0) throw new RangeError(`runUntil(${instret}): give an instruction count`);
    return this.runWith(instret);
  }

  private async runWith(until: number | null): Promise<MachineExit> {
    if (this.running) throw new Error('machine is already running');
    this.running = true;
    this.stopRequested = false;
    this.until = until;
    try {
      return await this.loop();
    } catch (e) {
      const msg = e instanceof CoreAbort ? e.message : `host error: ${(e as Error)?.stack ?? e}`;
      return { code: EXIT.hostError, reason: msg };
    } finally {
      this.flushUart();
      this.running = false;
      this.checkRoom(true);
    }
  }

  private async loop(): Promise<MachineExit> {
    const core = this.core;
    for (;;) {
      if (this.stopRequested) return this.exitDebugged({ code: EXIT.stopped, reason: 'stopped by the host' });
      if (this.debugInterruptRequested && this.debuggerHooks) {
        this.debugInterruptRequested = false;
        const after = await this.debugPause({ kind: 'interrupt' });
        if (after === StopReason.PowerOff) return this.exitDebugged({ code: EXIT.poweroff, reason: 'psci system_off', psci: core.psciReason() >>> 0 });
        continue;
      }
      const t0 = hostNow();
      let r: number = StopReason.Budget;
      let idling = false; // the last run() skipped time in WFI and the guest is ahead
      do {
        // Host input waits and the guest has read what the last refill gave it
        // (a guest without FIFOs takes one character per refill): short calls,
        // so it gets each next character as soon as it has read the last
        // instead of one per slice. A guest not reading gets full calls.
        const reading = this.readingInput();
        this.uart.refill();
        this.rtc.poll();
        let budget = reading ? Math.min(this.budget, INPUT_BUDGET) : this.budget;
        if (this.until !== null) {
          const left = this.until - core.instret();
          if (left <= 0) {
            this.runMs += hostNow() - t0;
            return { code: EXIT.limit, reason: `instruction limit ${this.until} reached` };
          }
          budget = Math.min(budget, left);
        }
        r = core.run(budget);
        idling = this.pace() > 0 && this.paceLeadMs >= PACE_SLACK_MS;
      } while (r === StopReason.Budget && hostNow() - t0 < SLICE_MS && !idling);
      this.runMs += hostNow() - t0;
      this.flushUart();
      this.checkRoom();

      switch (r) {
        case StopReason.Budget:
          if (idling && !this.readingInput()) {
            await this.sleep(Math.min(this.paceLeadMs, MAX_SLEEP_MS));
            this.pace();
          } else {
            await yieldToEventLoop();
          }
          break;
        case StopReason.PowerOff:
          return this.exitDebugged({ code: EXIT.poweroff, reason: 'psci system_off', psci: core.psciReason() >>> 0 });
        case StopReason.Debug: {
          const after = await this.debugPause(this.debugStopOf());
          if (after === StopReason.PowerOff) return this.exitDebugged({ code: EXIT.poweroff, reason: 'psci system_off', psci: core.psciReason() >>> 0 });
          break;
        }
        case StopReason.Reset:
          this.reset();
          await yieldToEventLoop();
          break;
        case StopReason.Trap:
          return { code: EXIT.hostError, reason: `host error: unexpected host trap 0x${(core.lastTrap() >>> 0).toString(16)}` };
        case StopReason.Halted: {
          const why = core.lastError ? readAsString(core.memory, core.lastError()) : 'no reason given';
          return { code: EXIT.hostError, reason: `host error: core halted: ${why}` };
        }
        case StopReason.ExceptionLoop:
          return this.exitDebugged({ code: EXIT.guestHalted, reason: this.exceptionLoopReport() });
        case StopReason.Idle: {
          const deadline = core.timerDeadline();
          if (this.guestHalted()) {
            return { code: EXIT.guestHalted, reason: this.haltLineSeen ? 'guest halted after a crash' : 'guest halted (idle with nothing able to wake it)' };
          }
          if (this.until !== null && this.clock === 'virtual' && !this.readingInput()) {
            return { code: EXIT.limit, reason: 'idle, waiting for input, before the instruction limit' };
          }
          await this.idle(deadline);
          break;
        }
        default:
          return { code: EXIT.hostError, reason: `host error: core returned unknown stop reason ${r}` };
      }
    }
  }

  /** Tells an attached debugger that the run ended (GDB's W packet). */
  private exitDebugged(exit: MachineExit): MachineExit {
    this.debuggerHooks?.onStop({ kind: 'exited', code: exit.code });
    return exit;
  }

  /**
   * The core stopped a guest that takes the same synchronous exception over
   * and over without finishing a handler (see cpu.ts, EXC_LOOP_LIMIT): one
   * line with the exception class, ELR, ESR and FAR.
   */
  private exceptionLoopReport(): string {
    const core = this.core;
    const sr = (crn: number, crm: number, op2: number) => BigInt.asUintN(64, core.getSysreg(3, 0, crn, crm, op2));
    const esr = sr(5, 2, 0);
    const elr = sr(4, 0, 1);
    const far = sr(6, 0, 0);
    const ec = Number(esr >> 26n) & 0x3f;
    const n = core.exceptionLoopCount ? core.exceptionLoopCount() >>> 0 : 0;
    const h = (v: bigint) => '0x' + v.toString(16);
    return (
      `guest stuck in an exception loop: the same synchronous exception ${n} times in a row with no progress, ` +
      `EC 0x${ec.toString(16).padStart(2, '0')} (${EXCEPTION_CLASS[ec] ?? 'unknown class'}), ` +
      `ESR ${h(esr)}, ELR ${h(elr)}, FAR ${h(far)}`
    );
  }

  /**
   * Idle with no timer armed and no device interrupt able to reach the CPU
   * (the core's idleState(), or, for a core without it, the kernel's halt
   * line on the UART): nothing can ever wake the guest.
   */
  private guestHalted(): boolean {
    const core = this.core;
    if (core.idleState) return (core.idleState() & 7) === 0;
    return core.timerDeadline() < 0 && this.haltLineSeen;
  }

  /**
   * Virtual clock: accounts the guest time skipped in WFI since the last call
   * against the host time that passed (the lead, kept between 0 and
   * MAX_LEAD_MS), and adapts the run() budget so that one call skips about
   * PACE_SLACK_MS. Returns the skipped time (host-paced ms) of this call.
   */
  private pace(): number {
    const core = this.core;
    if (this.clock !== 'virtual' || !core.counterTicks || this.idleSpeedup === Infinity) return 0;
    const skipped = core.counterTicks() - core.instret();
    const now = hostNow();
    if (this.paceAt === 0 || skipped < this.paceSkipped) {
      // first call, or the counter restarted (reset)
      this.paceAt = now;
      this.paceSkipped = skipped;
      return 0;
    }
    const skippedMs = (((skipped - this.paceSkipped) / CNTFRQ) * 1000) / this.idleSpeedup;
    this.paceLeadMs = Math.min(MAX_LEAD_MS, Math.max(0, this.paceLeadMs + skippedMs - (now - this.paceAt)));
    this.paceSkipped = skipped;
    this.paceAt = now;
    if (skippedMs > PACE_SLACK_MS) {
      this.budget = Math.max(MIN_BUDGET, Math.floor((this.budget * PACE_SLACK_MS) / skippedMs));
    } else if (skippedMs < PACE_SLACK_MS / 4) {
      this.budget = Math.min(VIRTUAL_MAX_BUDGET, this.budget * 2);
    }
    return skippedMs;
  }

  /** Sleeps up to `ms`, waking early on input or stop(). */
  private async sleep(ms: number): Promise<void> {
    const t0 = hostNow();
    await new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      function done() {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
    this.idleMs += hostNow() - t0;
  }

  /** Host input waits and the guest has taken what the FIFO held (it is reading). */
  private readingInput(): boolean {
    return this.uart.pendingInput > 0 && this.uart.rxHasRoom;
  }

  private async idle(timerDeadlineMs: number): Promise<void> {
    if (this.readingInput()) {
      // Input is waiting for FIFO room: the guest will see it after the next refill.
      await yieldToEventLoop();
      return;
    }
    let ms = this.clock === 'realtime' ? MAX_SLEEP_MS : Infinity;
    if (this.clock === 'realtime') {
      if (timerDeadlineMs >= 0) ms = Math.min(ms, timerDeadlineMs);
      const alarm = this.rtc.nextAlarmMs();
      if (alarm >= 0) ms = Math.min(ms, alarm);
    }
    await this.sleep(ms);
  }

  /** The most recent guest error message (bad MMIO offsets etc.), for diagnostics. */
  get lastGuestErrorMessage(): string {
    return this.lastGuestError;
  }
}

/**
 * Feeds a byte stream to a machine's UART0 with back-pressure: what fits goes
 * into the input queue, the rest is held here (in order) and goes in as the
 * guest makes room, so the queue never overruns. `pause`/`resume` tell the
 * source to stop and go on reading (the CLI pauses stdin: then at most one
 * chunk of it is held here); without them everything pushed is held.
 */
export class InputFeeder {
  private held: Uint8Array[] = [];
  private waiting = false;

  constructor(
    private readonly machine: Pick<Machine, 'input' | 'inputRoom' | 'inputCapacity' | 'whenInputRoom'>,
    private readonly source: { pause(): void; resume(): void } = { pause() {}, resume() {} },
  ) {}

  /** Bytes pushed but not yet in the machine's input queue. */
  get heldBytes(): number {
    return this.held.reduce((n, c) => n + c.length, 0);
  }

  push(bytes: Uint8Array): void {
    if (!bytes.length) return;
    this.held.push(bytes);
    if (!this.waiting) this.pump();
  }

  private pump(): void {
    const m = this.machine;
    while (this.held.length) {
      const chunk = this.held[0];
      const n = Math.min(chunk.length, m.inputRoom);
      if (n > 0) m.input(chunk.subarray(0, n));
      if (n === chunk.length) {
        this.held.shift();
        continue;
      }
      this.held[0] = chunk.subarray(n);
      this.waiting = true;
      this.source.pause();
      // Go on once half the queue (or all the rest) fits, not after every byte.
      void m.whenInputRoom(Math.min(this.held[0].length, Math.ceil(m.inputCapacity / 2))).then(() => {
        this.waiting = false;
        this.pump();
      });
      return;
    }
    this.source.resume();
  }
}

export { PSCI, StopReason };

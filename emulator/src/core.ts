// The wasm core as the host sees it: instantiation, the typed export surface
// of emulator/CORE-API.md, and the import object that wires the core to the
// host's MMIO bus and clock. Works in Node and in a Web Worker (no Node APIs).

export const StopReason = {
  Budget: 0,
  Idle: 1,
  PowerOff: 2,
  Reset: 3,
  Trap: 4,
  Halted: 5,
  /** The guest took the same synchronous exception over and over with no progress (exceptionLoopCount). */
  ExceptionLoop: 6,
  /** A host breakpoint or watchpoint (the debugger's; see debugStopKind). */
  Debug: 7,
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export const ClockMode = { virtual: 0, realtime: 1 } as const;
export type ClockName = keyof typeof ClockMode;

export const CNTFRQ = 62_500_000;

export const PSCI = {
  VERSION: 0x8400_0000,
  SYSTEM_OFF: 0x8400_0008,
  SYSTEM_RESET: 0x8400_0009,
  FEATURES: 0x8400_000a,
} as const;

/** The core's exports (CORE-API.md). u64 values are BigInt, as AssemblyScript exports them. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  init(ramBytes: number): void;
  ramPtr(): number;
  ramSize(): number;
  reset(): void;
  setPC(v: bigint): void;
  getPC(): bigint;
  setX(n: number, v: bigint): void;
  getX(n: number): bigint;
  getSP(el: number): bigint;
  setSP(el: number, v: bigint): void;
  getNZCV(): number;
  setNZCV(v: number): void;
  getPSTATE(): number;
  setPSTATE(v: number): void;
  getSysreg(op0: number, op1: number, crn: number, crm: number, op2: number): bigint;
  setSysreg(op0: number, op1: number, crn: number, crm: number, op2: number, v: bigint): void;
  run(budget: number): number;
  instret(): number;
  setIrqLine(intid: number, level: number): void;
  setClockMode(mode: number): void;
  timerDeadline(): number;
  setHostTraps(mask: number): void;
  lastTrap(): number;
  psciReason(): number;
  lastUndefined(): number;
  lastUndefinedPC(): bigint;
  /**
   * Reserved in CORE-API.md (returns 0: the core has no Halted path yet); if it
   * ever returns non-zero the host reads it as an AssemblyScript string pointer.
   */
  lastError?(): number;
  /**
   * CORE-API.md "Idle": bit0 a timer is armed, bit1 the GIC can deliver an SPI
   * from a host device, bit2 an IRQ is pending at the CPU; 0 after Idle means
   * halted forever. Optional so an older core still runs (the host then falls
   * back to the kernel's halt line).
   */
  idleState?(): number;
  /** After StopReason.ExceptionLoop: identical synchronous exceptions taken in a row with no progress. */
  exceptionLoopCount?(): number;
  /** The guest system counter in ticks (CNTVCT_EL0); used for pacing and the virtual RTC. */
  counterTicks?(): number;
  // Host debugger (CORE-API.md "Host debugger"); optional so an older core still runs without --gdb.
  debugAddBreak?(va: bigint): number;
  debugRemoveBreak?(va: bigint): number;
  debugAddWatch?(va: bigint, len: bigint, kind: number): number;
  debugRemoveWatch?(va: bigint, len: bigint, kind: number): number;
  debugClear?(): void;
  debugSkipOnce?(): void;
  debugStopKind?(): number;
  debugWatchAddr?(): bigint;
  debugWatchKind?(): number;
  debugTranslate?(va: bigint): number;
  getV?(n: number, half: number): bigint;
  setV?(n: number, half: number, v: bigint): void;
  getFPSR?(): number;
  setFPSR?(v: number): void;
  getFPCR?(): number;
  setFPCR?(v: number): void;
  /** Translator interface (CORE-API.md "Translator"); see emulator/src/jit/jit.ts. */
  jitInvalidateRange?(pa: number, len: number): void;
}

export interface CoreHost {
  mmioRead(addr: number, size: number): number;
  mmioWrite(addr: number, size: number, value: number): void;
  /** Host time in 62.5 MHz ticks (realtime clock). */
  hostNowTicks(): number;
  /** `pc` is the full 64-bit guest address (never through a JS number: kernel VAs exceed 2^53). */
  reportUndefined(pc: bigint, insn: number): void;
}

const REQUIRED: (keyof CoreExports)[] = [
  'memory', 'init', 'ramPtr', 'ramSize', 'reset', 'setPC', 'getPC', 'setX', 'getX', 'getPSTATE',
  'setPSTATE', 'run', 'instret', 'setIrqLine', 'setClockMode', 'timerDeadline', 'psciReason',
];

export class CoreAbort extends Error {}

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4). */
export function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const buf = memory.buffer;
  const len = new Uint32Array(buf, ptr - 4, 1)[0] >>> 1;
  return String.fromCharCode(...new Uint16Array(buf, ptr, Math.min(len, 4096)));
}

export async function instantiateCore(
  wasm: BufferSource | WebAssembly.Module,
  host: CoreHost,
  /** The translator's late binding (emulator/src/jit/jit.ts); without it the core never translates. */
  jit?: { jitCompile: (host: number, lo: number, hi: number, ctx: number) => number },
): Promise<CoreExports> {
  let memory: WebAssembly.Memory | undefined;
  const env = {
    jitCompile: jit ? jit.jitCompile : () => -1,
    mmioRead: (addr: number, size: number) => host.mmioRead(addr >>> 0, size) | 0,
    mmioWrite: (addr: number, size: number, value: number) => host.mmioWrite(addr >>> 0, size, value >>> 0),
    hostNowTicks: () => host.hostNowTicks(),
    reportUndefined: (pcLo: number, pcHi: number, insn: number) =>
      host.reportUndefined((BigInt(pcHi >>> 0) << 32n) | BigInt(pcLo >>> 0), insn >>> 0),
    abort: (msg: number, file: number, line: number, col: number) => {
      const m = memory ? readAsString(memory, msg) : '?';
      const f = memory ? readAsString(memory, file) : '?';
      throw new CoreAbort(`core abort: ${m} at ${f}:${line}:${col}`);
    },
    // AssemblyScript's `trace` and `seed`, in case the core build references them.
    trace: () => {},
    seed: () => Date.now(),
  };
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const instance = await WebAssembly.instantiate(module, { env });
  const exports = instance.exports as unknown as CoreExports;
  const missing = REQUIRED.filter((k) => !(k in exports));
  if (missing.length) throw new Error(`core.wasm lacks exports: ${missing.join(', ')}`);
  memory = exports.memory;
  return exports;
}

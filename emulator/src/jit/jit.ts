// The host side of the translator (issue 12): compiles the blocks the core asks for
// (env.jitCompile), instantiates them against the core's memory, globals and helpers,
// puts them in the core's function table and keeps the code cache bounded. Runs the same
// in Node and in a Web Worker (synchronous WebAssembly.Module/Instance; a worker has no
// size limit on synchronous compilation). Design: translate.ts and emulator/assembly/jit.ts.

import { MAX_REGION_BLOCKS, translateRegion, type Layout } from './translate.ts';

export type CpuMode = 'interp' | 'jit';
export const CPU_MODES: CpuMode[] = ['interp', 'jit'];

/** Translate a block once its start has been reached this many times (per block start). */
export const DEFAULT_THRESHOLD = 1024;
/** Code cache bounds: blocks (table slots) and module bytes; either full -> flush everything. */
const MAX_BLOCKS = 32768;
const MAX_CODE_BYTES = 32 << 20;

/** The core exports the translator uses (CORE-API.md "Translator"). */
export interface JitCoreExports {
  memory: WebAssembly.Memory;
  table: WebAssembly.Table;
  jitPC: WebAssembly.Global;
  jitNZCV: WebAssembly.Global;
  jitSP0: WebAssembly.Global;
  jitSP1: WebAssembly.Global;
  jitInstret: WebAssembly.Global;
  jitStatus: WebAssembly.Global;
  jitFastRd: WebAssembly.Global;
  jitFastWr: WebAssembly.Global;
  jitCPACR: WebAssembly.Global;
  jitFPCR: WebAssembly.Global;
  jitFPSR: WebAssembly.Global;
  jitRd: (...a: never[]) => unknown;
  jitWr: (...a: never[]) => unknown;
  jitWrPair: (...a: never[]) => unknown;
  jitExec: (...a: never[]) => unknown;
  jitSetMode(on: number, threshold: number, profile: number): void;
  jitInstall(host: number, lo: number, hi: number, ctx: number, packed: number): void;
  jitFlushAll(): void;
  jitInvalidateRange(pa: number, len: number): void;
  jitLayout(what: number): number;
  jitStat(what: number): number;
}

export interface JitOptions { threshold?: number; profile?: boolean }

interface BlockInfo { vpc: bigint; ctx: number; insns: number; bytes: number; loop: boolean }

/**
 * `cpu` from the environment (SIS_CPU=interp|jit) for the CLI, harnesses, machines and the
 * worker; `jit` (the translator, the default since every suite passes in both modes) if unset.
 * In a browser there is no environment, so the page's own `?cpu=` decides.
 */
export function cpuFromEnv(): CpuMode {
  const v = typeof process !== 'undefined' ? process.env?.SIS_CPU : undefined;
  if (v === undefined || v === '') return 'jit';
  if (v !== 'interp' && v !== 'jit') throw new RangeError(`SIS_CPU=${v}: use interp or jit`);
  return v;
}
/** SIS_JIT_THRESHOLD (tests use 1 or 2 to translate everything that repeats). */
export function thresholdFromEnv(): number | undefined {
  const v = typeof process !== 'undefined' ? process.env?.SIS_JIT_THRESHOLD : undefined;
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new RangeError(`SIS_JIT_THRESHOLD=${v}: give 1..65535`);
  return n;
}

/**
 * Late binding for the core's `env.jitCompile` import: the import object needs it before
 * the core exists; `attach` connects a Jit after instantiation.
 */
export class JitLink {
  jit: Jit | null = null;
  readonly jitCompile = (host: number, lo: number, hi: number, ctx: number): number =>
    this.jit ? this.jit.compile(host >>> 0, lo >>> 0, hi >>> 0, ctx) : -1;
  /** mode 'jit': turn translation on for this core; 'interp': leave it off. Returns the Jit or null. */
  attach(core: unknown, mode: CpuMode, opts: JitOptions = {}): Jit | null {
    if (mode === 'interp') return null;
    const ex = core as JitCoreExports;
    if (!ex.table || !ex.jitSetMode) throw new Error('this core.wasm has no translator interface (rebuild it: npm run build:wasm)');
    this.jit = new Jit(ex, opts);
    return this.jit;
  }
}

export interface JitProfile {
  compiles: number;
  modules: number;
  rejected: number;
  blocksLive: number;
  flushes: number;
  codeBytes: number;
  compileMs: number;
  /** compileMs split: the translator (A64 -> wasm bytes), WebAssembly.Module, instance + table. */
  translateMs: number;
  moduleMs: number;
  instanceMs: number;
  insnsTranslated: number;
  blocksRun: number;
  insnsInJit: number;
  invalidatedBlocks: number;
  invalidatedPages: number;
  msInJit: number;
  top: { vpc: string; insns: number; hits: number; loop: boolean }[];
}

export class Jit {
  private readonly imports: WebAssembly.Imports;
  private readonly lay: Layout;
  private readonly base: number;
  private next: number;
  private readonly blocks: (BlockInfo | undefined)[] = [];
  private codeBytes = 0;
  private flushes = 0;
  private compileMs = 0;
  private translateMs = 0;
  private moduleMs = 0;
  private instanceMs = 0;
  private compiles = 0;
  private modules = 0;
  private insnsTranslated = 0;
  private readonly profile: boolean;
  private maxBlocks: number;

  constructor(private readonly ex: JitCoreExports, opts: JitOptions = {}) {
    this.lay = { regs: ex.jitLayout(0), tlb: ex.jitLayout(1), vregs: ex.jitLayout(6) };
    this.imports = {
      c: {
        m: ex.memory, rd: ex.jitRd, wr: ex.jitWr, wrp: ex.jitWrPair, ex: ex.jitExec,
        pc: ex.jitPC, nzcv: ex.jitNZCV, sp0: ex.jitSP0, sp1: ex.jitSP1, ic: ex.jitInstret,
        status: ex.jitStatus, fastRd: ex.jitFastRd, fastWr: ex.jitFastWr,
        cpacr: ex.jitCPACR, fpcr: ex.jitFPCR, fpsr: ex.jitFPSR,
      },
    };
    this.base = ex.table.length;
    this.next = this.base;
    this.maxBlocks = Math.min(MAX_BLOCKS, ex.jitLayout(5) - this.base);
    this.profile = !!opts.profile;
    ex.jitSetMode(1, opts.threshold ?? DEFAULT_THRESHOLD, this.profile ? 1 : 0);
  }

  /** env.jitCompile: (table slot << 10) | instructions, or -1 if the first instruction is not translatable. */
  compile(host: number, lo: number, hi: number, ctx: number): number {
    const t0 = performance.now();
    const vpc = (BigInt(hi) << 32n) | BigInt(lo);
    const pageHost = host & ~0xfff;
    const page = new Uint32Array(this.ex.memory.buffer, pageHost, 1024);
    const region = translateRegion(page, (host & 0xfff) >>> 2, vpc, ctx, this.lay);
    const t1 = performance.now();
    this.translateMs += t1 - t0;
    if (!region) {
      this.compileMs += t1 - t0;
      return -1;
    }
    if (this.next + MAX_REGION_BLOCKS > this.base + this.maxBlocks || this.codeBytes + region.bytes.length > MAX_CODE_BYTES) this.flush();
    const t2 = performance.now();
    const mod = new WebAssembly.Module(region.bytes as BufferSource);
    const t3 = performance.now();
    this.moduleMs += t3 - t2;
    const inst = new WebAssembly.Instance(mod, this.imports);
    const table = this.ex.table;
    const need = this.next + region.blocks.length;
    if (need > table.length) table.grow(need - table.length);
    let answer = -1;
    region.blocks.forEach((b, i) => {
      const slot = this.next++;
      table.set(slot, inst.exports[`f${i}`] as WebAssembly.ExportValue as never);
      this.blocks[slot] = { vpc: b.vpc, ctx, insns: b.insns, bytes: i === 0 ? region.bytes.length : 0, loop: b.loop };
      const packed = slot * 1024 + b.insns;
      if (i === 0) answer = packed;
      else this.ex.jitInstall(pageHost + b.index * 4, Number(b.vpc & 0xffffffffn), Number(b.vpc >> 32n), ctx, packed);
      this.insnsTranslated += b.insns;
    });
    this.codeBytes += region.bytes.length;
    this.compiles += region.blocks.length;
    this.modules++;
    const t4 = performance.now();
    this.instanceMs += t4 - t3;
    this.compileMs += t4 - t0;
    return answer;
  }

  /** Lowers the code cache's block bound (tests: fill it without translating 32768 blocks). */
  limitBlocks(n: number): void {
    if (!(Number.isInteger(n) && n >= 2 * MAX_REGION_BLOCKS)) throw new RangeError(`limitBlocks(${n}): give a whole number >= ${2 * MAX_REGION_BLOCKS}`);
    this.maxBlocks = Math.min(this.maxBlocks, n);
  }

  /** Drops every translated block (code cache full). */
  flush(): void {
    this.ex.jitFlushAll();
    for (let i = this.base; i < this.next; i++) {
      this.ex.table.set(i, null);
      this.blocks[i] = undefined;
    }
    this.next = this.base;
    this.codeBytes = 0;
    this.flushes++;
  }

  /** The host wrote guest-physical [pa, pa + len) behind the CPU's back (DMA, loader). */
  invalidate(pa: number, len: number): void {
    this.ex.jitInvalidateRange(pa, len);
  }

  /** Blocks translated so far (a flush does not reset it). */
  get compiledBlocks(): number {
    return this.compiles;
  }

  /** Host milliseconds spent translating and compiling so far. */
  get compiledMs(): number {
    return this.compileMs;
  }

  /** Instructions retired in translated code since the last reset. */
  translatedInsns(): number {
    return this.ex.jitStat(1);
  }

  stats(topN = 10): JitProfile {
    const ex = this.ex;
    const hits = new Uint32Array(ex.memory.buffer, ex.jitLayout(4), ex.jitLayout(5));
    const live: { slot: number; b: BlockInfo }[] = [];
    for (let i = this.base; i < this.next; i++) { const b = this.blocks[i]; if (b) live.push({ slot: i, b }); }
    live.sort((a, b) => hits[b.slot] - hits[a.slot]);
    return {
      compiles: this.compiles,
      modules: this.modules,
      rejected: ex.jitStat(5),
      blocksLive: live.length,
      flushes: this.flushes,
      codeBytes: this.codeBytes,
      compileMs: this.compileMs,
      translateMs: this.translateMs,
      moduleMs: this.moduleMs,
      instanceMs: this.instanceMs,
      insnsTranslated: this.insnsTranslated,
      blocksRun: ex.jitStat(0),
      insnsInJit: ex.jitStat(1),
      invalidatedBlocks: ex.jitStat(2),
      invalidatedPages: ex.jitStat(3),
      msInJit: (ex.jitStat(6) / 62_500_000) * 1000,
      top: live.slice(0, topN).map(({ slot, b }) => ({ vpc: '0x' + b.vpc.toString(16), insns: b.insns, hits: hits[slot], loop: b.loop })),
    };
  }
}

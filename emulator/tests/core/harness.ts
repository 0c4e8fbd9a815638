// Test harness for the wasm core: assembles A64 snippets with llvm-mc-19
// (the encoding oracle), loads them into guest RAM and runs them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { JitLink, cpuFromEnv, thresholdFromEnv, type CpuMode, type Jit } from '../../src/jit/jit.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const WASM = join(here, '..', '..', 'build', 'core.wasm');
export const RAM = 0x4000_0000n;

export const Stop = { Budget: 0, Idle: 1, PowerOff: 2, Reset: 3, Trap: 4, Halted: 5 } as const;

const cache = new Map<string, Uint8Array>();

/** Assemble A64 source (GNU syntax) to a flat binary placed at `base`. */
export function assemble(src: string, base = 0x4000_0000): Uint8Array {
  const key = createHash('sha1').update(src + base).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'core-asm-'));
  try {
    writeFileSync(join(dir, 'a.s'), `.text\n.globl _start\n_start:\n${src}\n`);
    execFileSync('llvm-mc-19', ['-triple=aarch64', '-mattr=+v8a', '-filetype=obj', '-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    execFileSync('ld.lld-19', ['-o', join(dir, 'a.elf'), `-Ttext=0x${base.toString(16)}`, '-e', '_start', join(dir, 'a.o')]);
    execFileSync('llvm-objcopy-19', ['-O', 'binary', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    const bin = new Uint8Array(readFileSync(join(dir, 'a.bin')));
    cache.set(key, bin);
    return bin;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Core {
  [k: string]: any;
  memory: WebAssembly.Memory;
}

export interface Machine {
  core: Core;
  /** The translator (jit mode), else null. */
  jit: Jit | null;
  ram: () => Uint8Array;
  undefs: { pc: bigint; insn: number }[];
  mmio: { op: 'r' | 'w'; addr: number; size: number; value: number }[];
  now: { ticks: number };
  load(bin: Uint8Array, addr?: bigint): void;
  run(budget?: number): number;
  x(n: number): bigint;
  sysreg(name: keyof typeof SR): bigint;
  setSysreg(name: keyof typeof SR, v: bigint): void;
}

/** op0, op1, CRn, CRm, op2 */
export const SR = {
  SCTLR_EL1: [3, 0, 1, 0, 0], TCR_EL1: [3, 0, 2, 0, 2], TTBR0_EL1: [3, 0, 2, 0, 0], TTBR1_EL1: [3, 0, 2, 0, 1],
  MAIR_EL1: [3, 0, 10, 2, 0], VBAR_EL1: [3, 0, 12, 0, 0], ESR_EL1: [3, 0, 5, 2, 0], FAR_EL1: [3, 0, 6, 0, 0],
  ELR_EL1: [3, 0, 4, 0, 1], SPSR_EL1: [3, 0, 4, 0, 0], PAR_EL1: [3, 0, 7, 4, 0], CPACR_EL1: [3, 0, 1, 0, 2],
  MIDR_EL1: [3, 0, 0, 0, 0], CNTV_CTL_EL0: [3, 3, 14, 3, 1], CNTV_CVAL_EL0: [3, 3, 14, 3, 2],
  CNTVCT_EL0: [3, 3, 14, 0, 2], NZCV: [3, 3, 4, 2, 0], DAIF: [3, 3, 4, 2, 1],
} as const;

let wasmModule: WebAssembly.Module | undefined;

/** The CPU mode of makeMachine(): SIS_CPU (default jit); in jit mode SIS_JIT_THRESHOLD or 2. */
export const CPU: CpuMode = cpuFromEnv();

export function makeMachine(ramMiB = 16, cpu: CpuMode = CPU): Machine {
  if (!existsSync(WASM)) throw new Error(`${WASM} missing: run npm run build:wasm`);
  wasmModule ??= new WebAssembly.Module(readFileSync(WASM));
  const undefs: Machine['undefs'] = [];
  const mmio: Machine['mmio'] = [];
  const now = { ticks: 0 };
  let memory!: WebAssembly.Memory;
  const link = new JitLink();
  const inst = new WebAssembly.Instance(wasmModule, {
    env: {
      jitCompile: link.jitCompile,
      mmioRead: (addr: number, size: number) => { mmio.push({ op: 'r', addr, size, value: 0 }); return 0; },
      mmioWrite: (addr: number, size: number, value: number) => { mmio.push({ op: 'w', addr, size, value }); },
      hostNowTicks: () => now.ticks,
      reportUndefined: (lo: number, hi: number, insn: number) => {
        undefs.push({ pc: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), insn: insn >>> 0 });
      },
      abort: (_m: number, _f: number, line: number, col: number) => { throw new Error(`core abort at ${line}:${col}`); },
    },
  });
  const core = inst.exports as unknown as Core;
  memory = core.memory;
  core.init(ramMiB * 1024 * 1024);
  const jit = link.attach(core, cpu, { threshold: thresholdFromEnv() ?? 2 });
  core.setHostTraps(4); // HLT stops run() with Stop.Trap
  const ram = () => new Uint8Array(memory.buffer, core.ramPtr(), core.ramSize());
  const m: Machine = {
    core, jit, ram, undefs, mmio, now,
    load(bin, addr = RAM) { ram().set(bin, Number(addr - RAM)); core.jitInvalidateRange(Number(addr), bin.length); },
    run(budget = 1_000_000) { return core.run(budget); },
    x(n) { return BigInt.asUintN(64, core.getX(n)); },
    sysreg(name) { const [a, b, c, d, e] = SR[name]; return BigInt.asUintN(64, core.getSysreg(a, b, c, d, e)); },
    setSysreg(name, v) { const [a, b, c, d, e] = SR[name]; core.setSysreg(a, b, c, d, e, v); },
  };
  return m;
}

/** Assemble `src` at RAM base, run it until HLT (or budget), return the machine. */
export function runAsm(src: string, opts: { budget?: number; setup?: (m: Machine) => void; cpu?: CpuMode } = {}): { m: Machine; stop: number } {
  const m = makeMachine(16, opts.cpu);
  m.load(assemble(src));
  m.core.setPC(RAM);
  m.core.setX(31, RAM + 0x80_0000n); // SP_EL1 in the middle of RAM
  opts.setup?.(m);
  const stop = m.run(opts.budget ?? 1_000_000);
  return { m, stop };
}

export const hex = (v: bigint | number) => '0x' + v.toString(16);

/**
 * A vector table (place it at a 4 KiB boundary) whose every entry records its
 * offset in x20, ESR/ELR/SPSR/FAR in x21-x24, and stops with HLT #0; SETUP
 * points VBAR_EL1 at it.
 */
export const VECTORS = `
  .balign 0x1000
vectors:
  .irp off, 0x000,0x080,0x100,0x180,0x200,0x280,0x300,0x380,0x400,0x480,0x500,0x580,0x600,0x680,0x700,0x780
  .balign 0x80
  mov x20, #\\off
  mrs x21, esr_el1
  mrs x22, elr_el1
  mrs x23, spsr_el1
  mrs x24, far_el1
  hlt #0
  .endr
`;
export const SETUP = `
  adr x0, vectors
  msr vbar_el1, x0
  isb
`;

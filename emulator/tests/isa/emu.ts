// Running a batch image in the emulator core (emulator/build/core.wasm), per CORE-API.md:
// the ELF's PT_LOAD segments are copied into RAM, the host builds an identity map (2 MiB
// blocks, Normal write-back memory, EL0 read/write/execute except the vector table's block),
// sets SCTLR/TCR/MAIR/TTBR0/CPACR/VBAR as Linux would for a user process, and runs the image at
// EL0 with host traps on SVC (the image's write/exit syscalls) and BRK (the EL1 vector table:
// any exception the case takes lands there, and becomes a "fault" outcome).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CTL, OUT, VECTORS, recordSize } from './harness.ts';
import type { Outcome } from './compare.ts';
import type { Case, Runner } from './campaign.ts';
import { JitLink, cpuFromEnv, thresholdFromEnv } from '../../src/jit/jit.ts';

export const CORE_WASM = process.env.ISA_CORE ?? fileURLToPath(new URL('../../build/core.wasm', import.meta.url));

const RAM_BASE = 0x4000_0000;
const RAM_SIZE = 128 << 20;
const PT_L1 = RAM_BASE + RAM_SIZE - 0x10000; // page tables at the top of RAM
const PT_L2 = PT_L1 + 0x1000;
const STACK_TOP = PT_L1 - 0x1000; // argc/argv for _start
const BUDGET_PER_CASE = 100_000; // a case runs a few hundred instructions; more means a hang

const STOP = { Budget: 0, Idle: 1, PowerOff: 2, Reset: 3, Trap: 4, Halted: 5 } as const;

// sysreg (op0, op1, CRn, CRm, op2)
const SCTLR_EL1 = [3, 0, 1, 0, 0] as const;
const CPACR_EL1 = [3, 0, 1, 0, 2] as const;
const TTBR0_EL1 = [3, 0, 2, 0, 0] as const;
const TCR_EL1 = [3, 0, 2, 0, 2] as const;
const MAIR_EL1 = [3, 0, 10, 2, 0] as const;
const VBAR_EL1 = [3, 0, 12, 0, 0] as const;
const ESR_EL1 = [3, 0, 5, 2, 0] as const;
const FAR_EL1 = [3, 0, 6, 0, 0] as const;
const ELR_EL1 = [3, 0, 4, 0, 1] as const;
const CNTKCTL_EL1 = [3, 0, 14, 1, 0] as const;

interface CoreExports {
  memory: WebAssembly.Memory;
  init(ramBytes: number): void;
  ramPtr(): number;
  reset(): void;
  setPC(v: bigint): void;
  getPC(): bigint;
  setX(n: number, v: bigint): void;
  getX(n: number): bigint;
  setSP(el: number, v: bigint): void;
  setPSTATE(v: number): void;
  setSysreg(op0: number, op1: number, crn: number, crm: number, op2: number, v: bigint): void;
  getSysreg(op0: number, op1: number, crn: number, crm: number, op2: number): bigint;
  run(budget: number): number;
  setHostTraps(mask: number): void;
  lastTrap(): number;
  lastUndefined(): number;
  lastError?(): number;
}

export class Core {
  ex: CoreExports;
  undefinedSeen: { pc: bigint; insn: number }[] = [];
  constructor(wasm: Buffer) {
    const mod = new WebAssembly.Module(new Uint8Array(wasm));
    const link = new JitLink();
    const env: Record<string, (...a: number[]) => number | void> = {
      jitCompile: link.jitCompile,
      mmioRead: () => 0,
      mmioWrite: () => {},
      hostNowTicks: () => 0,
      reportUndefined: (lo: number, hi: number, insn: number) => {
        if (this.undefinedSeen.length < 1000) this.undefinedSeen.push({ pc: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), insn: insn >>> 0 });
      },
      abort: (msg: number, file: number, line: number, col: number) => {
        throw new Error(`core.wasm abort at ${this.str(file)}:${line}:${col}: ${this.str(msg)}`);
      },
      seed: () => 1,
      trace: () => {},
    };
    const missing = WebAssembly.Module.imports(mod).filter((i) => i.module !== 'env' || !(i.name in env));
    if (missing.length) throw new Error(`core.wasm imports the host does not provide: ${missing.map((i) => `${i.module}.${i.name}`).join(', ')}`);
    this.ex = new WebAssembly.Instance(mod, { env }).exports as unknown as CoreExports;
    this.ex.init(RAM_SIZE);
    // SIS_CPU=jit: translate every block start at its first visit (SIS_JIT_THRESHOLD to change)
    link.attach(this.ex, cpuFromEnv(), { threshold: thresholdFromEnv() ?? 1 });
  }
  // AssemblyScript strings: UTF-16, length in bytes at ptr - 4
  private str(ptr: number): string {
    if (!ptr) return '';
    const m = new Uint8Array(this.ex.memory.buffer);
    const len = new DataView(m.buffer).getUint32(ptr - 4, true);
    return Buffer.from(m.subarray(ptr, ptr + len)).toString('utf16le');
  }
  ram(): Uint8Array {
    return new Uint8Array(this.ex.memory.buffer, this.ex.ramPtr(), RAM_SIZE);
  }
}

export function loadElf(ram: Uint8Array, elf: Buffer): bigint {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1 || elf.readUInt16LE(18) !== 183) throw new Error('loadElf: not a little-endian ELF64 AArch64 image');
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (elf.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const off = Number(elf.readBigUInt64LE(p + 8));
    const paddr = Number(elf.readBigUInt64LE(p + 24));
    const filesz = Number(elf.readBigUInt64LE(p + 32));
    const memsz = Number(elf.readBigUInt64LE(p + 40));
    if (paddr < RAM_BASE || paddr + memsz > PT_L1) throw new Error(`loadElf: segment 0x${paddr.toString(16)}+0x${memsz.toString(16)} outside the usable RAM`);
    ram.set(elf.subarray(off, off + filesz), paddr - RAM_BASE);
    ram.fill(0, paddr - RAM_BASE + filesz, paddr - RAM_BASE + memsz);
  }
  return elf.readBigUInt64LE(24);
}

// Identity map of RAM with 2 MiB blocks: TTBR0 -> L1 (1 GiB per entry) -> L2.
function buildPageTables(ram: Uint8Array) {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, PT_L1 - RAM_BASE, PT_L1 - RAM_BASE + 0x2000);
  dv.setBigUint64(PT_L1 - RAM_BASE + 8 * 1, BigInt(PT_L2) | 3n, true); // L1[1] = 0x4000_0000 GiB -> table
  for (let i = 0; i < RAM_SIZE >> 21; i++) {
    const pa = BigInt(RAM_BASE + i * 0x20_0000);
    const AF = 1n << 10n;
    const SH_INNER = 3n << 8n;
    const attrs = AF | SH_INNER | 1n; // block, AttrIndx 0 (MAIR attr0: Normal WB)
    // Vector table block: EL1-only, executable at EL1 (a region writable at EL0 never is)
    const perm = pa === BigInt(VECTORS) ? 1n << 54n /* UXN */ : (1n << 6n) /* AP=01: EL0 RW */ | (1n << 53n) /* PXN */;
    dv.setBigUint64(PT_L2 - RAM_BASE + 8 * i, pa | attrs | perm, true);
  }
}

const SIGNAL_FOR_EC: Record<number, string> = { 0x00: 'SIGILL', 0x0e: 'SIGILL', 0x22: 'SIGBUS', 0x26: 'SIGBUS', 0x20: 'SIGSEGV', 0x21: 'SIGSEGV', 0x18: 'SIGILL', 0x07: 'SIGILL' };
function faultName(esr: bigint): string {
  const ec = Number((esr >> 26n) & 0x3fn);
  if (ec === 0x24 || ec === 0x25) {
    const dfsc = Number(esr & 0x3fn);
    return dfsc === 0x21 ? 'SIGBUS' : 'SIGSEGV';
  }
  return SIGNAL_FOR_EC[ec] ?? `EC_0x${ec.toString(16)}`;
}

export function emuRunner(): Runner | string {
  if (!existsSync(CORE_WASM)) return `${CORE_WASM} not built (npm run build:wasm)`;
  let core: Core;
  try {
    core = new Core(readFileSync(CORE_WASM));
  } catch (e) {
    return `core.wasm does not load: ${(e as Error).message}`;
  }
  return async (elf: Buffer, _path: string, cases: Case[]) => runInCore(core, elf, cases);
}

const sr = (c: Core, r: readonly number[], v: bigint) => c.ex.setSysreg(r[0], r[1], r[2], r[3], r[4], v);
const gr = (c: Core, r: readonly number[]) => c.ex.getSysreg(r[0], r[1], r[2], r[3], r[4]);

export function runInCore(core: Core, elf: Buffer, cases: Case[]): Outcome[] {
  const ex = core.ex;
  ex.reset();
  const ram = core.ram();
  const entry = loadElf(ram, elf);
  buildPageTables(ram);
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  dv.setBigUint64(STACK_TOP - RAM_BASE, 1n, true); // argc = 1
  dv.setBigUint64(STACK_TOP - RAM_BASE + 8, 0n, true); // argv[0] = NULL
  sr(core, MAIR_EL1, 0xffn);
  // T0SZ=25 (39-bit VA), IRGN0/ORGN0 WB, SH0 inner, TG0 4K, EPD1, IPS 40 bits
  sr(core, TCR_EL1, 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n) | (2n << 32n));
  sr(core, TTBR0_EL1, BigInt(PT_L1));
  sr(core, CPACR_EL1, 3n << 20n);
  sr(core, VBAR_EL1, BigInt(VECTORS));
  sr(core, CNTKCTL_EL1, 3n); // EL0PCTEN, EL0VCTEN as Linux
  // M, C, I, DZE, UCT, nTWI, nTWE, UCI, plus the v8.0 RES1 bits (11, 20, 22, 23, 28, 29)
  const sctlr = (1n << 0n) | (1n << 2n) | (1n << 12n) | (1n << 14n) | (1n << 15n) | (1n << 16n) | (1n << 18n) | (1n << 26n) | (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);
  sr(core, SCTLR_EL1, sctlr);
  ex.setSP(0, BigInt(STACK_TOP));
  ex.setPSTATE(0x3c0); // EL0t, DAIF masked
  ex.setPC(entry);
  ex.setHostTraps(0b11); // SVC and BRK stop `run`

  const out: Outcome[] = [];
  const counter = () => Number(dv.getBigUint64(CTL - RAM_BASE, true));
  const nextCase = dv.getBigUint64(CTL - RAM_BASE + 16, true);
  const skip = (why: string) => {
    out.push({ fault: why });
    dv.setBigUint64(CTL - RAM_BASE, BigInt(out.length), true);
    ex.setPSTATE(0x3c0);
    ex.setPC(nextCase);
  };
  for (;;) {
    core.undefinedSeen.length = 0;
    const stop = ex.run(BUDGET_PER_CASE);
    // The harness bumps the counter after each record's write(), so at any stop the counter
    // names the case being run.
    const idx = counter();
    if (idx !== out.length || idx > cases.length) {
      // the case counter in RAM is corrupt: the rest of the batch cannot be attributed
      while (out.length < cases.length) out.push({ fault: `HARNESS (case counter corrupted: ${idx} after ${out.length} records)` });
      return out;
    }
    if (stop === STOP.Trap) {
      const insn = ex.lastTrap() >>> 0;
      if (((insn & 0xffe0001f) >>> 0) === 0xd4000001) {
        // SVC: the image's syscalls
        const nr = Number(ex.getX(8));
        if (nr === 64) {
          const buf = Number(ex.getX(1));
          const len = Number(ex.getX(2));
          if (idx >= cases.length) return out; // cannot happen unless ncases was overwritten
          if (buf !== OUT || len !== recordSize(cases[idx])) {
            // the core went wrong inside the harness code itself: blame the case, resume
            skip(`HARNESS (write(buf=0x${buf.toString(16)}, len=${len}) instead of len ${recordSize(cases[idx])}: the core mis-executed the harness after this case)`);
            continue;
          }
          out.push({ record: Buffer.from(ram.subarray(buf - RAM_BASE, buf - RAM_BASE + len)) });
          ex.setX(0, BigInt(len));
          continue;
        }
        if (nr === 93) {
          while (out.length < cases.length) out.push({ fault: `HARNESS (image exited with status ${ex.getX(0)} after ${out.length} of ${cases.length} cases)` });
          return out;
        }
        skip(`HARNESS (unexpected syscall ${nr})`);
        continue;
      }
      if (((insn & 0xffe0001f) >>> 0) === 0xd4200000) {
        // BRK from the EL1 vector table: the case took an exception
        const esr = gr(core, ESR_EL1);
        const far = gr(core, FAR_EL1);
        const elr = gr(core, ELR_EL1);
        const und = core.undefinedSeen.length ? ` undefined 0x${core.undefinedSeen[0].insn.toString(16).padStart(8, '0')}` : '';
        skip(`${faultName(esr)} (vector 0x${(((insn >>> 5) & 0xffff) - 0x100).toString(16)} ESR 0x${esr.toString(16)} FAR 0x${far.toString(16)} ELR 0x${elr.toString(16)}${und})`);
        continue;
      }
      skip(`HARNESS (unexpected trap 0x${insn.toString(16)})`);
      continue;
    }
    if (stop === STOP.Budget) {
      // a hang (or a runaway case): count it as a fault and move on
      skip(`HANG (pc 0x${ex.getPC().toString(16)} after ${BUDGET_PER_CASE} instructions)`);
      continue;
    }
    // Halted (a broken invariant in the core), or a machine-level stop no case should cause
    skip(`HALTED (run() returned ${stop} at pc 0x${ex.getPC().toString(16)})`);
  }
}

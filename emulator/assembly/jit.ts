// The translator's side of the core (issue 12): tiering, the block cache, the
// dispatcher and the slow-path helpers that translated code calls. The
// translator itself (A64 -> WebAssembly) is TypeScript in emulator/src/jit/;
// the design is in docs/EMULATOR.md "CPU modes" and emulator/src/jit/translate.ts.
//
// Sharing: translated blocks are separate wasm modules that import this core's
// memory (guest RAM, X registers in S.REGS, the TLB), its mutable globals (PC,
// NZCV, SP_EL0/SP_EL1, the instruction count, fastRd/fastWr, jitStatus) and the
// helpers below; the host puts each block's function into the core's exported
// function table and the dispatcher calls it with call_indirect (a direct
// wasm-to-wasm call, no JavaScript on the hot path).
//
// Block cache: direct-mapped on the host address of the block's first
// instruction (= its guest-physical address), tagged with that address, the
// block's VA and its context (EL, SPSel). An entry is used only while the fetch
// page cache (mem.ts codeTag) maps the current PC's page, so the lookup always
// goes through the current stage-1 translation: TTBR/TCR/SCTLR changes and TLBI
// need no invalidation here. A block never crosses a 4 KiB page.
//
// Invalidation: a page holding translated code is marked in `codePages` (one
// byte per RAM page) and in every TLB entry that maps it (P_CODE), so guest
// stores to it leave the fast path; physWrite() then drops every block of the
// page (codeWritten). Host writes (loader, virtio DMA) call jitInvalidateRange.
// reset() drops everything. A page invalidated too often is no longer
// translated (data and code sharing a page would otherwise recompile forever).
//
// Exact counting: a block is entered only when its length fits in what is
// left of the interpreter's chunk, so timers and interrupts are evaluated at
// exactly the same instruction counts as in the interpreter. Helpers that can
// fault get the PC and the instruction count of the access's instruction and
// set them as the interpreter would (fault: PC at the vector, the attempt
// counted; jitStatus says the block must leave).

import * as S from "./state";
import * as M from "./mem";
import { stepOne, execInsn } from "./cpu";
import { VREGS } from "./simd/regs";

@external("env", "jitCompile")
declare function jitCompile(host: u32, vpcLo: u32, vpcHi: u32, ctx: u32): i32;
@external("env", "hostNowTicks")
declare function hostNowTicks(): f64;

export let jitOn: bool = false;
export let jitThreshold: u32 = 1024;
export let jitProfile: bool = false;
// set by helpers: 0 carry on, 1 the access faulted (exception taken, PC and count set),
// 2 the instruction completed but the block must leave after it (PC and count set)
export let jitStatus: i32 = 0;
let codeChanged: bool = false;

// ---- block cache ----------------------------------------------------------------
const BLK_BITS: u32 = 16;
const BLK_SIZE: u32 = 1 << BLK_BITS;
// entry (32 bytes): host u32 (0 = empty), ctx u32, vpc u64, fn i32 (-1 = not translatable), n u32, pad
export const MAX_FN: u32 = 32768;
// allocated when translation is first turned on (2 MiB + 128 KiB + 128 KiB: not in interp mode)
let BLK: usize = 0;
let HOT: usize = 0;  // per cache entry: times its start was reached untranslated (u16)
let HITS: usize = 0; // per table slot (profile)

let codePages: usize = 0;   // one byte per RAM page: 1 = holds translated code
let pageInval: usize = 0;   // invalidations per RAM page (saturating)
const INVAL_LIMIT: u8 = 16;

// statistics (profile)
export let statBlocksRun: u64 = 0;
export let statInsnsJit: u64 = 0;
export let statInvalidations: u64 = 0;
export let statPageInval: u64 = 0;
export let statCompiles: u64 = 0;
export let statRejected: u64 = 0;
export let ticksInJit: f64 = 0;

// Before init() (no RAM yet) translation stays off.
export function jitSetMode(on: u32, threshold: u32, profile: u32): void {
  jitThreshold = threshold == 0 ? 1 : threshold;
  jitProfile = profile != 0;
  if (on != 0 && codePages == 0 && M.ramBytes != 0) {
    // The translator's tables, taken from memory.grow past guest RAM like RAM itself (mem.ts
    // allocRam): the stub runtime's bump allocator would hand out blocks beyond its initial
    // memory that overlap RAM. Grown memory is zero.
    const pages = <usize>(M.ramBytes >> 12);
    const blkBytes = <usize>(BLK_SIZE * 32), hotBytes = <usize>(BLK_SIZE * 2), hitBytes = <usize>(MAX_FN * 4);
    const total = 2 * pages + blkBytes + hotBytes + hitBytes;
    const before = memory.grow(<i32>((total + 0xffff) >> 16));
    if (before < 0) return; // the engine refused: translation stays off
    const base = <usize>before << 16;
    BLK = base;
    HOT = BLK + blkBytes;
    HITS = HOT + hotBytes;
    codePages = HITS + hitBytes;
    pageInval = codePages + pages;
  }
  jitOn = on != 0 && codePages != 0;
  jitFlushAll();
}

export function jitFlushAll(): void {
  if (BLK == 0) return;
  memory.fill(BLK, 0, <usize>(BLK_SIZE * 32));
  memory.fill(HOT, 0, <usize>(BLK_SIZE * 2));
  if (codePages != 0) memory.fill(codePages, 0, <usize>(M.ramBytes >> 12));
  M.tlbClearCode();
}

// reset(): also forget how often pages were rewritten
export function jitReset(): void {
  if (pageInval != 0) memory.fill(pageInval, 0, <usize>(M.ramBytes >> 12));
  jitFlushAll();
  statBlocksRun = 0; statInsnsJit = 0; statInvalidations = 0; statPageInval = 0;
  statCompiles = 0; statRejected = 0; ticksInJit = 0;
  if (HITS != 0) memory.fill(HITS, 0, <usize>(MAX_FN * 4));
}

// P_CODE for a TLB fill of this physical page
@inline export function codeBit(pa: u64): u32 {
  if (codePages == 0 || !M.isRam(pa)) return 0;
  return load<u8>(codePages + <usize>((pa - M.RAM_BASE) >> 12)) != 0 ? M.P_CODE : 0;
}

// a guest or host write hit RAM page `pa`: drop its blocks if it has any
@inline export function noteWrite(pa: u64): void {
  if (codePages != 0) {
    const pg = <usize>((pa - M.RAM_BASE) >> 12);
    if (load<u8>(codePages + pg) != 0) codeWritten(pg);
  }
}

function codeWritten(pg: usize): void {
  store<u8>(codePages + pg, 0);
  const c = load<u8>(pageInval + pg);
  if (c < 255) store<u8>(pageInval + pg, c + 1);
  statPageInval++;
  // a block starting at host address h sits in entry (h >> 2) & (BLK_SIZE - 1): the page's
  // blocks can only be in the 1024 entries from its first word's (BLK_SIZE >= 1024)
  const lo = <u32>(M.ramBase + (pg << 12));
  const first = (lo >> 2) & (BLK_SIZE - 1);
  for (let i: u32 = 0; i < 1024; i++) {
    const e = BLK + <usize>(((first + i) & (BLK_SIZE - 1)) * 32);
    if (load<u32>(e) - lo < 4096) { store<u32>(e, 0); statInvalidations++; }
  }
  codeChanged = true;
}

// Host wrote guest-physical [pa, pa + len) (loader, virtio DMA).
export function jitInvalidateRange(pa: f64, len: f64): void {
  if (codePages == 0 || len <= 0) return;
  let a = <u64>pa;
  const end = <u64>(pa + len);
  a &= ~<u64>0xfff;
  while (a < end) {
    if (M.isRam(a)) noteWrite(a);
    a += 0x1000;
  }
}

// ---- the dispatcher: run() calls this instead of its own loop in jit mode -----------

@inline function ctxNow(): u32 {
  return S.curEL == 0 ? 0 : 1 | (S.spSel << 1);
}

export function runChunkJit(chunkEnd: u64): void {
  let probe = true;
  while (S.instretCount < chunkEnd) {
    const pc = S.pc;
    let interpNext = false;
    if (probe && ((pc & ~<u64>0xffc) == M.codeTag || M.fetchProbe(pc))) {
      const host = <u32>(M.codeHost + <usize>(pc & 0xffc));
      const e = BLK + <usize>(((host >> 2) & (BLK_SIZE - 1)) * 32);
      const ctx = ctxNow();
      if (load<u32>(e) == host && load<u64>(e, 8) == pc && load<u32>(e, 4) == ctx) {
        const fn = load<i32>(e, 16);
        const left = chunkEnd - S.instretCount;
        if (fn >= 0 && <u64>load<u32>(e, 20) <= left) {
          jitStatus = 0;
          codeChanged = false;
          statBlocksRun++;
          const before = S.instretCount;
          if (jitProfile) {
            const hp = HITS + (<usize>fn << 2);
            store<u32>(hp, load<u32>(hp) + 1);
            const t0 = hostNowTicks();
            call_indirect<void>(<u32>fn, left);
            ticksInJit += hostNowTicks() - t0;
          } else {
            call_indirect<void>(<u32>fn, left);
          }
          statInsnsJit += S.instretCount - before;
          if (S.irqCheck) return;
          continue;
        }
        interpNext = true; // untranslatable first instruction, or the chunk is too short
      } else {
        const h = HOT + <usize>(((host >> 2) & (BLK_SIZE - 1)) * 2);
        const c = <u32>load<u16>(h) + 1;
        if (c >= jitThreshold) {
          store<u16>(h, 0);
          if (compileAt(pc, host, ctx, e)) continue;
          interpNext = true;
        } else {
          store<u16>(h, <u16>c);
        }
      }
    }
    stepOne();
    probe = interpNext || S.pc != pc + 4;
    if (S.irqCheck) return;
  }
}

function compileAt(pc: u64, host: u32, ctx: u32, e: usize): bool {
  const pg = <usize>((<u64>host - <u64>M.ramBase) >> 12);
  if (load<u8>(pageInval + pg) >= INVAL_LIMIT) return false;
  const r = jitCompile(host, <u32>pc, <u32>(pc >> 32), ctx);
  store<u32>(e, host);
  store<u32>(e, ctx, 4);
  store<u64>(e, pc, 8);
  if (r < 0) {
    statRejected++;
    store<i32>(e, -1, 16);
    store<u32>(e, 0, 20);
    return false;
  }
  statCompiles++;
  store<i32>(e, r >> 10, 16);
  store<u32>(e, <u32>r & 1023, 20);
  if (load<u8>(codePages + pg) == 0) {
    store<u8>(codePages + pg, 1);
    M.tlbMarkCode(M.RAM_BASE + (<u64>pg << 12));
  }
  return true;
}

// The host translated more blocks of the same page along with the requested one (a region):
// enter them in the cache too. `packed` as jitCompile's answer.
export function jitInstall(host: u32, vpcLo: u32, vpcHi: u32, ctx: u32, packed: i32): void {
  const e = BLK + <usize>(((host >> 2) & (BLK_SIZE - 1)) * 32);
  store<u32>(e, host);
  store<u32>(e, ctx, 4);
  store<u64>(e, (<u64>vpcHi << 32) | <u64>vpcLo, 8);
  store<i32>(e, packed >> 10, 16);
  store<u32>(e, <u32>packed & 1023, 20);
}

// ---- helpers called by translated code ----------------------------------------------

@inline function afterAccess(pc: u64, ic: u64): void {
  if (M.memFault) {
    M.memFault = false;
    S.pc = S.npc;
    S.instretCount = ic + 1;
    jitStatus = 1;
  } else if (S.irqCheck || codeChanged) {
    S.pc = pc + 4;
    S.instretCount = ic + 1;
    if (jitStatus == 0) jitStatus = 2;
  }
}

// Load of `size` bytes (zero-extended) by the instruction at `pc`, the ic-th counted.
export function jitRd(va: u64, size: u32, pc: u64, ic: u64): u64 {
  S.pc = pc; S.npc = pc + 4; S.instretCount = ic;
  const v = M.readMem(va, size, 0);
  afterAccess(pc, ic);
  return v;
}

export function jitWr(va: u64, size: u32, v: u64, pc: u64, ic: u64): void {
  S.pc = pc; S.npc = pc + 4; S.instretCount = ic;
  M.writeMem(va, size, v, 0);
  afterAccess(pc, ic);
}

// STP: both halves or neither (as ldst.ts PAIR)
export function jitWrPair(va: u64, bytes: u32, a: u64, b: u64, pc: u64, ic: u64): void {
  S.pc = pc; S.npc = pc + 4; S.instretCount = ic;
  if (M.probeWrite(va, bytes * 2, 0)) {
    M.writeMem(va, bytes, a, 0);
    if (!M.memFault) M.writeMem(va + <u64>bytes, bytes, b, 0);
  }
  afterAccess(pc, ic);
}

// Any instruction the translator does not translate itself but which cannot branch or change
// PSTATE except by an exception (SIMD&FP, the rarer data-processing and load/store forms): the
// interpreter's handler runs it. The block has stored the registers the encoding can name.
export function jitExec(insn: u32, pc: u64, ic: u64): void {
  S.pc = pc; S.npc = pc + 4; S.instretCount = ic;
  const exc = S.excCount;
  execInsn(insn);
  M.memFault = false;
  if (S.excCount != exc) {
    S.pc = S.npc;
    S.instretCount = ic + 1;
    jitStatus = 1;
  } else if (S.irqCheck || codeChanged) {
    S.pc = pc + 4;
    S.instretCount = ic + 1;
    if (jitStatus == 0) jitStatus = 2;
  }
}

// ---- layout for the translator and the profiler ---------------------------------------
export function jitLayout(what: u32): u32 {
  switch (what) {
    case 0: return <u32>S.REGS;
    case 1: return <u32>M.tlbAddr();
    case 2: return <u32>BLK;
    case 3: return BLK_SIZE;
    case 4: return <u32>HITS;
    case 5: return MAX_FN;
    case 6: return <u32>VREGS;
    default: return 0;
  }
}
export function jitStat(what: u32): f64 {
  switch (what) {
    case 0: return <f64>statBlocksRun;
    case 1: return <f64>statInsnsJit;
    case 2: return <f64>statInvalidations;
    case 3: return <f64>statPageInval;
    case 4: return <f64>statCompiles;
    case 5: return <f64>statRejected;
    case 6: return ticksInJit;
    default: return 0;
  }
}

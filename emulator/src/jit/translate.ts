// The A64 -> WebAssembly translator (issue 12): one guest basic block -> one wasm function.
//
// Design (see also emulator/assembly/jit.ts for the core's side and docs/EMULATOR.md):
// - Shared state. The block's module imports the core's linear memory (guest RAM, the X
//   registers at S.REGS, the software TLB) and the core's mutable globals: PC, NZCV,
//   SP_EL0/SP_EL1, the instruction count, fastRd/fastWr (imported for the layout of the
//   import list; the TLB comparators below replaced them) and jitStatus. Within a
//   block the X registers, the SP and NZCV live in wasm locals: loaded in the prologue
//   (every register the block touches), stored back at every exit.
// - Block = straight-line code from a block start to the first branch (included), an
//   instruction this translator does not handle (excluded: the interpreter runs it), the end
//   of the 4 KiB page or MAX_INSNS. A block whose final direct branch goes back to its own
//   start becomes a wasm loop that runs whole iterations while they fit in the budget.
// - Cache key (core): guest-physical address of the first instruction, its VA and the
//   context ctx = EL | SPSel << 1 (the SP the block names). Translation depends on nothing
//   else: loads and stores look the TLB up at run time.
// - Loads and stores: inline TLB-hit fast path, one compare of the entry's comparator for the
//   block's EL, the access direction and whether it is aligned (mem.ts jitTags: tag where
//   readMem/writeMem's fast path would take the access: Device only aligned, not SCTLR.A,
//   stores not to pages with translated code; else 0) with the page of the access's last
//   byte + 1 (so page crossings miss);
//   otherwise a call to the core's jitRd/jitWr/jitWrPair with the
//   instruction's PC and count. The helper takes faults as the interpreter does; jitStatus 1
//   = faulted (exception taken, PC and count set: leave without writing this
//   instruction's registers), 2 = done but leave after this instruction (an interrupt may
//   be pending, or translated code was overwritten).
// - Exact counts: every exit sets the instruction count to entry + instructions retired;
//   the core enters a block only if one pass of it fits in the chunk the interpreter would
//   run before re-evaluating timers and interrupts; loops check the budget per iteration.
// Decoding: the front end asks the decoder generated from the decoding table
// (emulator/decode/a64.decode -> decode.gen.ts, the same table the interpreter's dispatch
// comes from) for the instruction's pattern and emits code for the patterns it translates;
// each emitter mirrors the interpreter's handler of that name (dp.ts, ldst.ts, system.ts).
// Unallocated encodings never reach an emitter: they end the block and the interpreter
// raises UNDEFINED.

import * as D from './decode.gen.ts';
import { F } from './decode.gen.ts';
import { Code, I32, I64, Op, OneFunctionModule, PlanCode, encodeModule, type FuncType, type Import } from './wasm.ts';

export const MAX_INSNS = 128;

// locals
const BUDGET = 0;
const X = (r: number) => 1 + r; // x0..x30 -> 1..31
const SP = 32;
const BASE = 33;
const DONE = 34;
const VA = 35;
const T0 = 36, T1 = 37, T2 = 38, T3 = 39;
const NZ = 40, E = 41, PERM = 42, HOST = 43;
// lazy flags: the operands and result of the last ADDS/SUBS whose NZCV is not computed yet
const FA = 44, FB = 45, FR = 46;
// ST: jitStatus as the last load/store helper left it (0 on the fast paths: locals start at 0
// and a block leaves as soon as it is not)
const ST = 47;
// the low 64 bits (the D register) of V0..V31, for the V registers the block's native FP code uses
const DV = (r: number) => 48 + r;
// the "native FP allowed" conditions, evaluated once at block entry (see fpState)
const FPEN = 80, FPARITH = 81, FPCMP = 82;
const LOCALS: [number, typeof I32 | typeof I64][] = [[39, I64], [4, I32], [3, I64], [1, I32], [32, I64], [3, I32]];
// a block without native SIMD&FP code (usesFp) names none of DV, FPEN, FPARITH, FPCMP
const LOCALS_INT = LOCALS.slice(0, 4);

// imports: functions 0..2, globals 0..7
const F_RD = 0, F_WR = 1, F_WRP = 2, F_EXEC = 3;
const IMPORTED_FUNCS = 4;
const G_PC = 0, G_NZCV = 1, G_SP0 = 2, G_SP1 = 3, G_IC = 4, G_STATUS = 5; // 6, 7: fastRd, fastWr (unused)
const G_CPACR = 8, G_FPCR = 9, G_FPSR = 10;

const TYPES: FuncType[] = [
  { params: [I64], results: [] }, // block(budget)
  { params: [I64, I32, I64, I64], results: [I64] }, // jitRd(va, size, pc, ic)
  { params: [I64, I32, I64, I64, I64], results: [] }, // jitWr(va, size, v, pc, ic)
  { params: [I64, I32, I64, I64, I64, I64], results: [] }, // jitWrPair(va, bytes, a, b, pc, ic)
  { params: [I32, I64, I64], results: [] }, // jitExec(insn, pc, ic)
];
export const IMPORTS: Import[] = [
  { module: 'c', name: 'rd', kind: 'func', type: 1 },
  { module: 'c', name: 'wr', kind: 'func', type: 2 },
  { module: 'c', name: 'wrp', kind: 'func', type: 3 },
  { module: 'c', name: 'ex', kind: 'func', type: 4 },
  { module: 'c', name: 'm', kind: 'memory', min: 0 },
  { module: 'c', name: 'pc', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'nzcv', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'sp0', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'sp1', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'ic', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'status', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'fastRd', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'fastWr', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'cpacr', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'fpcr', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'fpsr', kind: 'global', type: I32, mutable: true },
];

export interface Layout { regs: number; tlb: number; vregs: number }
const TLB_MASK = 511, TLB_SHIFT = 7; // 128-byte entries (mem.ts)
// an entry's comparators (mem.ts jitTags), each a pair (aligned access, any alignment): EL1
// read, EL1 write, EL0 read, EL0 write; the addend
const TLB_RD1 = 24, TLB_WR1 = 40, TLB_RD0 = 56, TLB_WR0 = 72, TLB_ADDEND = 88;
const M64 = (1n << 64n) - 1n;

// DecodeBitMasks (Arm ARM shared pseudocode); null when reserved.
export function decodeBitMasks(n: number, imms: number, immr: number, immediate: boolean): { w: bigint; t: bigint } | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return null;
  const levels = (1 << len) - 1;
  if (immediate && (imms & levels) === levels) return null;
  const s = imms & levels, r = immr & levels;
  const esize = 1 << len;
  const d = (s - r) & (esize - 1);
  const emask = (1n << BigInt(esize)) - 1n;
  let welem = (1n << BigInt(s + 1)) - 1n;
  const telem = (1n << BigInt(d + 1)) - 1n;
  if (r !== 0) welem = ((welem >> BigInt(r)) | (welem << BigInt(esize - r))) & emask;
  let w = welem, t = telem;
  for (let e = esize; e < 64; e <<= 1) { w |= w << BigInt(e); t |= t << BigInt(e); }
  return { w: w & M64, t: t & M64 };
}


let template: OneFunctionModule | undefined;

export interface Translation { bytes: Uint8Array; insns: number; loop: boolean }

/** Translates the block at guest VA `vpc` (its words from `words[index]` on). null: nothing translatable. */
export function translateBlock(words: Uint32Array, index: number, vpc: bigint, ctx: number, lay: Layout): Translation | null {
  // pass 1 finds the block's extent and the registers it touches; pass 2 emits with them
  const g1 = new Gen(words, index, vpc, ctx, lay, null);
  g1.run();
  if (g1.n === 0) return null;
  const g2 = new Gen(words, index, vpc, ctx, lay, g1);
  g2.run();
  template ??= new OneFunctionModule(TYPES, IMPORTS, 0, 'f', LOCALS);
  const bytes = template.module(g2.c);
  return { bytes, insns: g2.n, loop: g2.loop };
}

export const MAX_REGION_BLOCKS = 8;
const MAX_REGION_INSNS = 384;
export interface RegionBlock { vpc: bigint; index: number; insns: number; loop: boolean }
export interface Region { bytes: Uint8Array; blocks: RegionBlock[] }

/**
 * A region: the block at `vpc` plus the blocks reachable from it by static control flow within
 * the same 4 KiB page (branch targets, fall-throughs, the instruction after a call or after an
 * instruction left to the interpreter), breadth first, up to MAX_REGION_BLOCKS. One module,
 * one exported function per block (`f0` = the requested one); a block whose direct branch or
 * fall-through lands on another block of the region calls it with a tail call when the budget
 * allows (chaining: no return to the dispatcher). Since all blocks share the page, the page's
 * invalidation drops all of them. null: the first instruction is not translatable.
 */
export function translateRegion(words: Uint32Array, index: number, vpc: bigint, ctx: number, lay: Layout): Region | null {
  const pageBase = vpc - BigInt(index * 4);
  const plans: Gen[] = [];
  const seen = new Set<bigint>();
  const queue = [vpc];
  let insns = 0;
  while (queue.length && plans.length < MAX_REGION_BLOCKS && insns < MAX_REGION_INSNS) {
    const v = queue.shift()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const idx = Number(v - pageBase) / 4;
    if (!(idx >= 0 && idx < 1024)) continue;
    const g = new Gen(words, idx, v, ctx, lay, null);
    g.run();
    if (g.n === 0) {
      if (!plans.length) return null;
      continue;
    }
    plans.push(g);
    insns += g.n;
    for (const s of g.successors) if (!seen.has(s)) queue.push(s);
  }
  const chain = new Map<bigint, { fn: number; n: number }>();
  plans.forEach((p, i) => chain.set(p.startPC, { fn: IMPORTED_FUNCS + i, n: p.n }));
  const funcs = plans.map((p, i) => {
    const g = new Gen(words, p.startIndex, p.startPC, ctx, lay, p, chain);
    g.run();
    return { type: 0, export: `f${i}`, locals: p.usesFp ? LOCALS : LOCALS_INT, body: g.c };
  });
  return {
    bytes: encodeModule(TYPES, IMPORTS, funcs),
    blocks: plans.map((p) => ({ vpc: p.startPC, index: p.startIndex, insns: p.n, loop: p.loop })),
  };
}

/**
 * Patterns an unknown-to-the-translator instruction may run through the interpreter inside a
 * block (jitExec): every allocated pattern except the branch, exception-generating and the
 * system ones that change PC, PSTATE or translation state or need the dispatcher (they end the
 * block instead). MRS, CLREX, DC ZVA and DC CVAC/CVAU/CIVAC stay inside: they write at most a
 * general register, the exclusive monitor or memory, and may fault or trap, which jitExec
 * handles like any other instruction (DC ZVA writing translated code leaves the block).
 */
const VIA_INTERPRETER: boolean[] = D.PATTERN_NAMES.map((_, id) => id !== D.UNDEF);
for (const id of [
  D.B_BL, D.CBZ, D.TBZ, D.B_cond, D.BR, D.BLR, D.RET, D.ERET, D.SVC, D.HVC, D.BRK, D.HLT,
  D.HINT, D.DSB, D.DMB, D.ISB, D.MSR_SPSel, D.MSR_DAIF, D.MSR_reg,
  D.TLBI, D.AT, D.IC_ALL, D.DC_SW, D.IC_IVAU,
]) VIA_INTERPRETER[id] = false;

class Gen {
  readonly c: Code;
  n = 0; // instructions in the block
  loop = false;
  touched = new Set<number>(); // 0..30, 31 = SP, 32 = NZCV
  written = new Set<number>();
  /**
   * D registers in locals. The low 64 bits of every V register the block's native SIMD&FP code
   * names (vtouched) live in DV locals: loaded in the prologue, the ones it may change (vwritten)
   * stored at every exit; before the interpreter runs an instruction that may read them they are
   * stored, after one that may write them reloaded. Bits 127:64 stay in the core: a D write
   * must zero them, which is done by a store of 0 the first time the main path writes the
   * register (zeroHi: known zero in the core since the block's, i.e. the iteration's, start and
   * no interpreted instruction since that may have written the register).
   */
  vtouched = new Set<number>();
  vwritten = new Set<number>();
  private zeroHi = new Set<number>();
  /** Pass 1: the block has native FP code (the prologue evaluates the FP conditions). */
  usesFp = false;
  /** The index of the last double FCMP/FCMPE translated natively (its operands in T0/T1). */
  private fcmpAt = -2;
  private pc = 0n; // VA of the instruction being translated
  private k = 0; // its index in the block
  private ended = false;
  private readonly spGlobal: number;
  private readonly el1: boolean;
  /** Pass 1: likely next block starts (direct targets, fall-throughs, return points). */
  readonly successors: bigint[] = [];
  /**
   * Lazy flags. After ADDS/SUBS/CMP/CMN on the main path the NZ local is not computed: FA, FB and
   * FR hold a, b and the result, `pend` says which (1 add, 2 subtract; `pendSf` the size).
   * Conditions that a comparison answers directly (EQ/NE; for a subtraction also CS/CC, HI/LS,
   * GE/LT, GT/LE) use them; every other reader of NZ, every helper call and every exit first
   * computes NZ (syncFlags). Code on one side of a branch only computes, it never changes
   * `pend`, so the state stays right for the code after the branch.
   */
  private pend = 0;
  private pendSf = 0;
  /** Pass 1: the block's first flag access: a read (incl. a helper or an exit) or a full write. */
  flagFirst: 'none' | 'read' | 'write' = 'none';

  constructor(
    private readonly words: Uint32Array,
    private readonly index: number,
    private readonly vpc: bigint,
    ctx: number,
    private readonly lay: Layout,
    private readonly first: Gen | null,
    /** Blocks of the same module by start VA: direct exits to them are chained. */
    private readonly chain: Map<bigint, { fn: number; n: number }> | null = null,
  ) {
    // pass 1 emits into a sink (its bytes were never used); pass 2 starts with room for a typical block
    this.c = first ? new Code(1024) : new PlanCode(0);
    this.spGlobal = (ctx & 1) !== 0 && (ctx & 2) !== 0 ? G_SP1 : G_SP0;
    this.el1 = (ctx & 1) !== 0;
  }
  get startPC(): bigint { return this.vpc; }
  get startIndex(): number { return this.index; }

  run(): void {
    const c = this.c;
    const f = this.first;
    if (f) {
      c.gget(G_IC).set(BASE);
      for (const r of f.touched) {
        if (r < 31) c.i32(this.lay.regs + 8 * r).mem(Op.i64_load).set(X(r));
        else if (r === 31) c.gget(this.spGlobal).set(SP);
        else c.gget(G_NZCV).set(NZ);
      }
      for (const r of f.vtouched) c.i32(this.lay.vregs + 16 * r).mem(Op.i64_load).set(DV(r));
      if (f.usesFp) this.fpState();
      this.loop = f.loop;
      // every exit branches to the end of this block, where one epilogue writes registers back
      c.block();
      this.exitDepth = c.depth;
      if (this.loop) { c.loop(); this.loopDepth = c.depth; }
    }
    const limit = f ? f.n : Math.min(MAX_INSNS, 1024 - (this.index & 1023));
    for (this.k = 0; this.k < limit && !this.ended; this.k++) {
      this.pc = this.vpc + BigInt(4 * this.k);
      const insn = this.words[this.index + this.k] >>> 0;
      const save = this.c.len, saveDepth = this.c.depth;
      const savePend = this.pend, savePendSf = this.pendSf, saveFirst = this.flagFirst;
      if (!this.insn(insn)) {
        this.c.len = save;
        this.c.depth = saveDepth;
        this.pend = savePend; this.pendSf = savePendSf; this.flagFirst = saveFirst;
        if (!this.viaInterpreter(insn)) break;
      }
      this.n = this.k + 1;
    }
    if (!this.ended) {
      // the next instruction: another block (page end, length limit) or one for the interpreter,
      // after which the dispatcher looks a block up at the instruction after it
      const next = this.vpc + BigInt(4 * this.n);
      this.successors.push(next, next + 4n);
      this.exitTo(next, this.n);
    }
    if (f) {
      if (this.loop) c.end();
      c.end();
      this.writeback();
      c.op(Op.return);
    }
  }
  private exitDepth = 0;
  private loopDepth = 0;
  /** Branch to the shared epilogue (write back, return). */
  private leave(): void {
    if (this.first) this.c.br(this.c.depth - this.exitDepth);
  }

  /**
   * An instruction without a translation here that cannot branch or change PSTATE other than by
   * taking an exception (every allocated pattern outside the branch/exception/system group,
   * VIA_INTERPRETER): the core's
   * interpreter runs it (jitExec). The general registers its encoding can name (fields 4:0,
   * 9:5, 14:10, 20:16), SP and NZCV are stored before and reloaded after.
   */
  private viaInterpreter(insn: number): boolean {
    const id = D.decode(insn);
    if (!VIA_INTERPRETER[id]) return false;
    if (this.fpNative(insn, id) || this.simdLoadStore(insn, id)) return true;
    const c = this.c;
    const f = this.first;
    // scalar FP data processing that names only SIMD&FP registers (and maybe NZCV): no X sync
    const fpOnly = id === D.FP_2src || id === D.FP_3src || id === D.FP_1src || id === D.FP_imm;
    const fpFlags = id === D.FP_cmp || id === D.FP_ccmp || id === D.FP_csel;
    if (fpOnly || fpFlags) {
      this.flagsWritten();
      const d = insn & 31;
      const native = (insn >>> 21) === 0x0f3 && ((insn >>> 10) & 3) === 2 && ((insn >>> 12) & 15) <= 3;
      if (native) this.fpArith(insn); // the native path, then `else`: the interpreter's
      this.syncFlags();
      if (f) c.get(NZ).gset(G_NZCV); // an FP trap saves PSTATE
      // these read at most the V registers in fields 9:5, 20:16 and 14:10 and write at most Vd
      // (not FCMP/FCCMP, whose bits 4:0 name none); Vd is stored too, so that reloading it is
      // right also when the instruction traps and writes nothing
      const writesD = id !== D.FP_cmp && id !== D.FP_ccmp;
      this.storeV([(insn >>> 5) & 31, (insn >>> 16) & 31, (insn >>> 10) & 31, ...(writesD ? [d] : [])]);
      c.i32(insn | 0).i64(this.pc); this.ic(); c.call(F_EXEC);
      if (writesD) this.loadV([d]);
      this.refreshArith();
      this.checkFault();
      if (f && fpFlags) c.gget(G_NZCV).set(NZ);
      if (fpFlags) this.flagsFull();
      this.checkStatus();
      if (native) { c.end(); this.zeroUpper(d); } else if (writesD) this.zeroHi.delete(d);
      return true;
    }
    const regs = new Set([insn & 31, (insn >>> 5) & 31, (insn >>> 10) & 31, (insn >>> 16) & 31]);
    for (const r of regs) {
      if (r === 31) continue;
      this.touch(r);
      this.written.add(r);
      if (f) c.i32(this.lay.regs + 8 * r).get(X(r)).mem(Op.i64_store);
    }
    this.touch(31); this.written.add(31);
    this.flagsWritten();
    this.syncFlags();
    if (f) c.get(SP).gset(this.spGlobal).get(NZ).gset(G_NZCV);
    // any V register may be read or written (vector forms, multi-register loads and stores)
    if (f) this.storeV(f.vwritten);
    c.i32(insn | 0).i64(this.pc); this.ic(); c.call(F_EXEC);
    if (f) this.loadV(f.vtouched);
    this.zeroHi.clear();
    this.refreshArith();
    this.checkFault();
    for (const r of regs) if (r !== 31 && f) c.i32(this.lay.regs + 8 * r).mem(Op.i64_load).set(X(r));
    if (f) c.gget(this.spGlobal).set(SP).gget(G_NZCV).set(NZ);
    this.flagsFull();
    this.checkStatus();
    return true;
  }

  /**
   * LDR/STR of B/H/S/D/Q registers (unsigned offset, unscaled, pre/post-index) and LDP/STP/LDNP/
   * STNP of S/D/Q with the inline TLB-hit fast path (fastCheck over the whole access; Device
   * memory only when every 8-byte part is aligned, as the interpreter's 8-byte accesses need),
   * exactly as simd/loadstore.ts does them: a load zeroes the rest of the register, a pair load
   * with Rt == Rt2 leaves the second value. Otherwise (a miss, a fault, SIMD&FP disabled) the
   * interpreter runs the instruction. false: not one of these forms (nothing emitted).
   * Bits 63:0 of the registers are the DV locals, bits 127:64 (Q) are in the core.
   */
  private simdLoadStore(insn: number, id: number): boolean {
    const rn = F.rn(insn), t = F.rt(insn);
    let bytes: number, load: boolean, pair = false, imm: number, mode: 'off' | 'pre' | 'post' = 'off';
    if (id === D.V_LDST_uimm || id === D.V_LDST_unscaled || id === D.V_LDST_post || id === D.V_LDST_pre) {
      const size = F.size(insn), opc = F.lsopc(insn);
      if (opc >= 2 && size !== 0) return false;
      bytes = opc >= 2 ? 16 : 1 << size;
      load = (opc & 1) === 1;
      if (id === D.V_LDST_uimm) imm = F.imm12(insn) * bytes;
      else {
        imm = F.imm9(insn);
        mode = id === D.V_LDST_post ? 'post' : id === D.V_LDST_pre ? 'pre' : 'off';
      }
    } else if (id === D.V_PAIR) {
      const opc = F.popc(insn);
      if (opc === 3) return false;
      bytes = 4 << opc;
      load = F.l(insn) === 1;
      pair = true;
      const type = F.type(insn); // 00 no-allocate pair, 01 post-index, 10 offset, 11 pre-index
      imm = F.imm7(insn) * bytes;
      mode = type === 1 ? 'post' : type === 3 ? 'pre' : 'off';
    } else return false;
    const c = this.c;
    const f = this.first;
    const V = this.lay.vregs;
    const regs = pair ? [t, F.rt2(insn)] : [t];
    this.getXSP(rn); c.set(T1); // base
    c.get(T1);
    if (mode !== 'post' && imm) c.i64(imm).op(Op.i64_add);
    c.set(VA);
    // SIMD&FP enabled at this EL, and a TLB hit for the whole access
    this.fpEnabled();
    this.fastCheck(bytes * regs.length, !load, Math.min(bytes, 8));
    c.op(Op.i32_and).if();
    regs.forEach((r, i) => {
      const off = i * bytes;
      for (let part = 0; part < (bytes === 16 ? 2 : 1); part++) {
        const at = off + 8 * part, n = bytes === 16 ? 8 : bytes;
        if (part === 0) {
          if (load) { this.hostAddr(); c.mem(Gen.loadOp(n), at); this.setD(r); }
          else { this.hostAddr(); this.getD(r); c.mem(Gen.storeOp(n), at); }
        } else if (load) { c.i32(V + 16 * r); this.hostAddr(); c.mem(Gen.loadOp(n), at).mem(Op.i64_store, 8 * part); }
        else { this.hostAddr(); c.i32(V + 16 * r).mem(Gen.loadOp(n), 8 * part).mem(Gen.storeOp(n), at); }
      }
    });
    if (mode === 'post') { c.get(T1).i64(imm).op(Op.i64_add); this.setXSP(rn); }
    else if (mode === 'pre') { c.get(VA); this.setXSP(rn); }
    c.else();
    // the interpreter: it reads the base from the core and writes it back there
    if (f) {
      if (rn === 31) c.get(SP).gset(this.spGlobal);
      else c.i32(this.lay.regs + 8 * rn).get(X(rn)).mem(Op.i64_store);
    }
    this.beforeHelper();
    this.storeV(regs); // for a load too: a faulting one writes nothing, and they are reloaded
    c.i32(insn | 0).i64(this.pc); this.ic(); c.call(F_EXEC);
    if (load) this.loadV(regs);
    this.checkFault();
    if (f && mode !== 'off') {
      if (rn === 31) c.gget(this.spGlobal).set(SP);
      else c.i32(this.lay.regs + 8 * rn).mem(Op.i64_load).set(X(rn));
    }
    this.checkStatus();
    c.end();
    // a load of B/H/S/D zeroes the rest of the register, a Q load writes bits 127:64
    if (load) for (const r of regs) { if (bytes < 16) this.zeroUpper(r); else this.zeroHi.delete(r); }
    return true;
  }

  /** i32 1 on the stack if SIMD&FP is enabled at this EL (cpu.ts checkFpEnabled), else 0. */
  private fpEnabled(): void {
    this.usesFp = true;
    this.c.get(FPEN);
  }

  /**
   * The conditions of the native FP paths, evaluated at block entry (the prologue) into locals
   * instead of at every instruction: FPEN = SIMD&FP enabled at this EL (CPACR_EL1.FPEN as
   * cpu.ts checkFpEnabled), FPCMP = FPEN and FPCR.FZ clear, FPARITH = FPEN, FPCR.RMode = RN,
   * FPCR.FZ clear and FPSR.IXC set. Why they stay valid within the block:
   * - CPACR_EL1 and FPCR are written only by MSR (MSR_reg), a system instruction: it ends the
   *   block (not VIA_INTERPRETER). The EL (which CPACR.FPEN is tested against) changes only by
   *   taking an exception or ERET, and an exception leaves the block (jitStatus 1).
   * - FPSR is written by MSR too, and otherwise only by FP instructions the interpreter runs
   *   (jitExec), which only set cumulative flags: IXC can become set, never clear. So FPARITH
   *   can only change from 0 to 1 within a block; refreshArith re-evaluates it after every
   *   interpreted instruction, so native code runs exactly when the per-instruction test would
   *   allow it. The native paths themselves never change FPSR (they run only where no flag can
   *   be raised, or IXC, already set, is the only one).
   * - Loads and stores through jitRd/jitWr/jitWrPair do not touch these registers.
   */
  private fpState(): void {
    const c = this.c;
    c.gget(G_CPACR).i64(20).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(3).op(Op.i32_and).tee(HOST).i32(3).op(Op.i32_eq);
    if (this.el1) c.get(HOST).i32(1).op(Op.i32_eq).op(Op.i32_or);
    c.set(FPEN);
    c.get(FPEN).gget(G_FPCR).i32(1 << 24).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and).set(FPCMP);
    this.arithState();
  }
  private arithState(): void {
    const c = this.c;
    c.get(FPEN).gget(G_FPCR).i32(0x01c00000).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
    c.gget(G_FPSR).i32(16).op(Op.i32_and).i32(0).op(Op.i32_ne).op(Op.i32_and).set(FPARITH);
  }
  /** After an interpreted instruction: it may have set FPSR.IXC (fpState). */
  private refreshArith(): void {
    if (this.first?.usesFp) this.arithState();
  }

  // ---- V registers in locals (see vtouched) ---------------------------------------
  private getD(r: number): void { this.vtouched.add(r); this.c.get(DV(r)); }
  private setD(r: number): void { this.vtouched.add(r); this.vwritten.add(r); this.c.set(DV(r)); }
  /** Before the interpreter reads V registers `regs`: store the locals the block may have changed. */
  private storeV(regs: Iterable<number>): void {
    const f = this.first;
    if (!f) return;
    for (const r of new Set(regs)) if (f.vwritten.has(r)) this.c.i32(this.lay.vregs + 16 * r).get(DV(r)).mem(Op.i64_store);
  }
  /**
   * After the interpreter may have written V registers `regs`: reload their locals. They must
   * have been stored before (storeV), as an instruction that faults or traps writes nothing.
   */
  private loadV(regs: Iterable<number>): void {
    const f = this.first;
    if (!f) return;
    for (const r of new Set(regs)) if (f.vtouched.has(r)) this.c.i32(this.lay.vregs + 16 * r).mem(Op.i64_load).set(DV(r));
  }
  /** Main path, after a write of Dr (or a smaller register) on every path: bits 127:64 become 0. */
  private zeroUpper(r: number): void {
    if (this.zeroHi.has(r)) return;
    this.zeroHi.add(r);
    if (this.first) this.c.i32(this.lay.vregs + 16 * r).i64(0).mem(Op.i64_store, 8);
  }

  /**
   * The other hot double-precision forms of simd/fp.ts's execScalarFpFast natively, where that
   * leaf computes natively and cannot set FPSR: FCSEL, FCMP/FCMPE (FPCR.FZ clear, no NaN
   * operand: no flag can be raised), SCVTF/UCVTF Dd from Wn (always exact) or Xn (|value| <=
   * 2^53: exact), FMOV Dd, Xn and FMOV Xd, Dn; each only while SIMD&FP is enabled at this EL.
   * Otherwise (a trap to take, a NaN, an inexact conversion) the interpreter runs the
   * instruction, with the general registers it names and NZCV stored first. false: not one of
   * these forms (nothing emitted).
   */
  private fpNative(insn: number, id: number): boolean {
    // the table's pattern first (FCSEL, FCMP/FCMPE, FP<->integer, FMOV general); the bit tests pick the
    // double-precision forms within it
    if (id !== D.FP_csel && id !== D.FP_cmp && id !== D.FP_int && id !== D.FMOV_gen) return false;
    const hi = insn >>> 21;
    const d = insn & 31, n = (insn >>> 5) & 31, m = (insn >>> 16) & 31;
    const sel = (insn >>> 10) & 3;
    let kind: 'fcsel' | 'fcmp' | 'cvtw' | 'cvtx' | 'toD' | 'toX';
    if (hi === 0x0f3 && sel === 3) kind = 'fcsel';
    else if (hi === 0x0f3 && sel === 0 && (insn & 0xfc07) === 0x2000) kind = 'fcmp';
    else if (hi === 0x0f3 && sel === 0 && (insn & 0x1efc00) === 0x020000) kind = 'cvtw';
    else if (hi === 0x4f3 && (insn & 0xfc00) === 0 && (m === 2 || m === 3)) kind = 'cvtx';
    else if (hi === 0x4f3 && (insn & 0xfc00) === 0 && m === 7) kind = 'toD';
    else if (hi === 0x4f3 && (insn & 0xfc00) === 0 && m === 6) kind = 'toX';
    else return false;
    const c = this.c;
    const f = this.first;
    const unsigned = (insn & 0x10000) !== 0;
    const notNaN = (l: number) => { c.get(l).op(Op.f64_reinterpret_i64).get(l).op(Op.f64_reinterpret_i64).op(Op.f64_eq); };
    // i32 on the stack: 1 = done natively (the result is in a local: T2 for a D register), 0 = not
    this.usesFp = true;
    const writesD = kind !== 'fcmp' && kind !== 'toX';
    switch (kind) {
      case 'fcsel': {
        const cond = (insn >>> 12) & 15, base = cond >> 1;
        this.getD(n); this.getD(m);
        if (this.fcmpAt === this.k - 1 && base !== 3 && base !== 7) {
          // right after a double FCMP/FCMPE: its operands are still in T0/T1. With FPCMP (FP on,
          // FZ clear) its NZCV is the IEEE comparison of them (equal 0110, less 1000, greater
          // 0010, unordered 0011, whether computed natively or by the interpreter), so the
          // condition is one f64 comparison (each form below is also right when unordered)
          c.get(FPCMP).if(I32);
          c.get(T0).op(Op.f64_reinterpret_i64).get(T1).op(Op.f64_reinterpret_i64);
          // EQ: a == b; CS: !(a < b); MI: a < b; HI: !(a <= b); GE: a >= b; GT: a > b
          c.op([Op.f64_eq, Op.f64_lt, Op.f64_lt, 0, Op.f64_le, Op.f64_ge, Op.f64_gt][base]);
          if ((base === 1 || base === 4) !== ((cond & 1) === 1)) c.op(Op.i32_eqz);
          c.else();
          this.condition(cond);
          c.end();
        } else this.condition(cond);
        c.op(Op.select).set(T2);
        c.get(FPEN);
        break;
      }
      case 'fcmp':
        this.flagsWritten();
        this.fcmpAt = this.k;
        this.getD(n); c.set(T0);
        if (insn & 8) c.i64(0).set(T1);
        else { this.getD(m); c.set(T1); }
        c.get(FPCMP);
        notNaN(T0); c.op(Op.i32_and); notNaN(T1); c.op(Op.i32_and);
        break;
      case 'cvtw':
        this.getX(n);
        c.op(Op.i32_wrap_i64).op(unsigned ? Op.f64_convert_i32_u : Op.f64_convert_i32_s).op(Op.i64_reinterpret_f64).set(T2);
        c.get(FPEN);
        break;
      case 'cvtx': {
        this.getX(n); c.set(T0);
        c.get(T0).op(unsigned ? Op.f64_convert_i64_u : Op.f64_convert_i64_s).op(Op.i64_reinterpret_f64).set(T2);
        c.get(FPEN);
        // exactly representable: |x| <= 2^53 (signed), x <= 2^53 (unsigned)
        if (unsigned) c.get(T0).i64(1n << 53n).op(Op.i64_le_u);
        else c.get(T0).i64(1n << 53n).op(Op.i64_add).i64(1n << 54n).op(Op.i64_le_u);
        c.op(Op.i32_and);
        break;
      }
      case 'toD':
        this.getX(n); c.set(T2);
        c.get(FPEN);
        break;
      case 'toX':
        c.get(FPEN);
        break;
    }
    c.if();
    if (kind === 'fcmp') {
      // NZCV: equal 0110, less 1000, greater 0010 (no NaN here: never unordered)
      c.i32(0x60000000);
      c.i32(0x80000000 | 0).i32(0x20000000);
      c.get(T0).op(Op.f64_reinterpret_i64).get(T1).op(Op.f64_reinterpret_i64).op(Op.f64_lt);
      c.op(Op.select);
      c.get(T0).op(Op.f64_reinterpret_i64).get(T1).op(Op.f64_reinterpret_i64).op(Op.f64_eq);
      c.op(Op.select);
      c.set(NZ);
    } else if (kind === 'toX') {
      this.getD(n);
      this.setX(d);
    } else {
      c.get(T2); this.setD(d);
    }
    c.else();
    // the interpreter: it reads the source X register and NZCV from the core (a trap saves PSTATE)
    if (kind === 'cvtw' || kind === 'cvtx' || kind === 'toD') {
      if (n !== 31 && f) c.i32(this.lay.regs + 8 * n).get(X(n)).mem(Op.i64_store);
    }
    this.beforeHelper();
    // the sources, and the destination (reloaded after, also if the instruction traps)
    this.storeV(kind === 'fcsel' ? [n, m, d] : kind === 'fcmp' ? [n, m] : kind === 'toX' ? [n] : [d]);
    c.i32(insn | 0).i64(this.pc); this.ic(); c.call(F_EXEC);
    if (writesD) this.loadV([d]);
    this.refreshArith();
    this.checkFault();
    if (kind === 'fcmp' && f) c.gget(G_NZCV).set(NZ);
    if (kind === 'toX' && d !== 31 && f) c.i32(this.lay.regs + 8 * d).mem(Op.i64_load).set(X(d));
    this.checkStatus();
    c.end();
    if (kind === 'fcmp') this.flagsFull(); // NZ written on both paths
    if (writesD) this.zeroUpper(d);
    return true;
  }

  /**
   * FMUL/FDIV/FADD/FSUB (scalar, double) natively where the result says no flag but IXC can be
   * raised and FPSR.IXC is already set (so inexactness changes nothing): FPCR rounding RN and
   * FZ clear and FP enabled (FPARITH, see fpState), and the f64 result finite with |r| greater
   * than the smallest normal, or (FADD/FSUB) zero. Then the operands were finite (an infinite
   * or NaN operand gives an infinite or NaN result, except x/inf = 0), nonzero for FMUL/FDIV
   * (0 * x and 0 / x are 0, x / 0 infinite), and the exact result was neither tiny (before
   * rounding: |exact| > |r| - ulp/2 >= 2^-1022) nor overflowing, so no IOC/DZC/OFC/UFC/IDC;
   * and the value is the IEEE round-to-nearest one, as FPMul/FPDiv/FPAdd give. A zero FADD/FSUB
   * result is exact (sums of doubles below 2^-1022 are), with IEEE's sign rules (the Arm ARM's
   * too). Emits the test, `if` and the native path; the caller emits `else`, the interpreter's
   * path and `end`. The result is computed before the test (wasm float arithmetic has no side
   * effects).
   */
  private fpArith(insn: number): void {
    const c = this.c;
    const d = insn & 31, n = (insn >>> 5) & 31, m = (insn >>> 16) & 31, opc = (insn >>> 12) & 15;
    const ABS = 0x7fffffffffffffffn, LO = 0x0010000000000001n, INF = 0x7ff0000000000000n;
    this.usesFp = true;
    this.getD(n); c.op(Op.f64_reinterpret_i64);
    this.getD(m); c.op(Op.f64_reinterpret_i64);
    c.op([Op.f64_mul, Op.f64_div, Op.f64_add, Op.f64_sub][opc]).op(Op.i64_reinterpret_f64).tee(T2);
    // |r| in (2^-1022, inf): one unsigned comparison
    c.i64(ABS).op(Op.i64_and).tee(T3).i64(LO).op(Op.i64_sub).i64(INF - LO).op(Op.i64_lt_u);
    if (opc >= 2) c.get(T3).op(Op.i64_eqz).op(Op.i32_or); // or an (exact) zero sum
    c.get(FPARITH).op(Op.i32_and);
    c.if();
    c.get(T2); this.setD(d);
    c.else();
  }

  // ---- registers ------------------------------------------------------------------
  private touch(r: number): void { this.touched.add(r); }
  private getX(r: number): void {
    if (r === 31) this.c.i64(0);
    else { this.touch(r); this.c.get(X(r)); }
  }
  private getXSP(r: number): void {
    if (r === 31) { this.touch(31); this.c.get(SP); } else this.getX(r);
  }
  private setX(r: number): void {
    if (r === 31) this.c.op(Op.drop);
    else { this.touch(r); this.written.add(r); this.c.set(X(r)); }
  }
  private setXSP(r: number): void {
    if (r === 31) { this.touch(31); this.written.add(31); this.c.set(SP); } else this.setX(r);
  }
  private flagsRead(): void { this.touch(32); }
  private flagsWritten(): void { this.touch(32); this.written.add(32); }
  private trunc32(): void { this.c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u); }
  private truncIf(sf: number): void { if (!sf) this.trunc32(); }

  // ---- exits --------------------------------------------------------------------------
  private writeback(): void {
    const f = this.first;
    if (!f) return;
    for (const r of f.written) {
      if (r < 31) this.c.i32(this.lay.regs + 8 * r).get(X(r)).mem(Op.i64_store);
      else if (r === 31) this.c.get(SP).gset(this.spGlobal);
      else this.c.get(NZ).gset(G_NZCV);
    }
    for (const r of f.vwritten) this.c.i32(this.lay.vregs + 16 * r).get(DV(r)).mem(Op.i64_store);
  }
  /** Instruction count after `count` instructions of this pass. */
  private count(count: number): void {
    this.c.get(BASE).get(DONE).op(Op.i64_add);
    if (count) this.c.i64(count).op(Op.i64_add);
  }
  private exitTo(target: bigint, count: number): void {
    this.syncFlags();
    this.c.i64(target).gset(G_PC);
    this.count(count);
    this.c.gset(G_IC);
    const next = this.chain?.get(target);
    if (next && this.first) {
      // chain: call the target block directly if one pass of it fits in the budget left
      this.c.get(BUDGET).get(DONE).op(Op.i64_sub);
      if (count) this.c.i64(count).op(Op.i64_sub);
      this.c.tee(T0).i64(next.n).op(Op.i64_ge_u).if();
      this.writeback();
      this.c.get(T0).op(Op.return_call); this.c.u32(next.fn);
      this.c.end();
    }
    this.leave();
  }
  /** Leave with the PC already on the stack (indirect branch). */
  private exitToStack(count: number): void {
    this.c.gset(G_PC);
    this.syncFlags();
    this.count(count);
    this.c.gset(G_IC);
    this.leave();
  }
  /** A helper set PC and the count (jitStatus != 0): leave. */
  private exitHelper(): void {
    this.syncFlags();
    this.leave();
  }
  private beforeHelper(): void {
    this.syncFlags();
    if (this.first?.written.has(32)) this.c.get(NZ).gset(G_NZCV);
  }
  private checkFault(): void {
    this.c.gget(G_STATUS).i32(1).op(Op.i32_eq).if();
    this.exitHelper();
    this.c.end();
  }
  private checkStatus(): void {
    this.c.gget(G_STATUS).if();
    this.exitHelper();
    this.c.end();
  }
  /** In a load/store's slow path after checkFault: remember jitStatus for checkStatusLocal. */
  private noteStatus(): void {
    this.c.gget(G_STATUS).set(ST);
  }
  /** checkStatus for loads and stores: the fast paths call no helper, so only ST can say leave. */
  private checkStatusLocal(): void {
    this.c.get(ST).if();
    this.exitHelper();
    this.c.end();
  }
  /** A direct branch to `target` taken (end of the block). */
  private branchTo(target: bigint): void {
    if (this.first && this.loop && target === this.vpc) {
      // next iteration if it fits in the budget
      const n = this.k + 1;
      // NZ must be right at the loop's start unless the block writes all flags before any use
      if (this.first.flagFirst !== 'write') this.syncFlags();
      this.c.get(DONE).i64(n).op(Op.i64_add).set(DONE);
      this.c.get(DONE).i64(n).op(Op.i64_add).get(BUDGET).op(Op.i64_le_u).br_if(this.c.depth - this.loopDepth);
      this.exitTo(target, 0);
      return;
    }
    this.exitTo(target, this.k + 1);
  }
  private endWithBranch(target: bigint): void {
    this.ended = true;
    this.successors.push(target);
    if (!this.first && target === this.vpc) this.loop = true;
  }

  // ---- flags --------------------------------------------------------------------------
  private condition(cond: number): void {
    // NZ on stack -> i32 0/1 whether cond holds
    const c = this.c;
    this.flagsRead();
    const base = cond >> 1;
    if (base === 7) { c.i32(1); return; }
    this.flagEvent(false);
    if (this.pend && (base === 0 || (this.pend === 2 && (base === 1 || base >= 4)))) {
      // answered by the pending comparison itself (for a - b: C = a >= b unsigned, HI = a > b
      // unsigned, GE = a >= b signed, GT = a > b signed; Z = the result is zero)
      const w = !this.pendSf;
      if (base === 0) c.get(FR).op(Op.i64_eqz);
      else if (base === 1) c.get(FA).get(FB).op(Op.i64_ge_u);
      else if (base === 4) c.get(FA).get(FB).op(Op.i64_gt_u);
      else {
        c.get(FA); if (w) c.op(Op.i32_wrap_i64);
        c.get(FB); if (w) c.op(Op.i32_wrap_i64);
        c.op(base === 5 ? (w ? Op.i32_ge_s : Op.i64_ge_s) : (w ? Op.i32_gt_s : Op.i64_gt_s));
      }
      if (cond & 1) c.op(Op.i32_eqz);
      return;
    }
    this.settleFlags();
    switch (base) {
      case 0: c.get(NZ).i32(30).op(Op.i32_shr_u).i32(1).op(Op.i32_and); break; // EQ
      case 1: c.get(NZ).i32(29).op(Op.i32_shr_u).i32(1).op(Op.i32_and); break; // CS
      case 2: c.get(NZ).i32(31).op(Op.i32_shr_u); break; // MI
      case 3: c.get(NZ).i32(28).op(Op.i32_shr_u).i32(1).op(Op.i32_and); break; // VS
      case 4: c.get(NZ).i32(0x60000000).op(Op.i32_and).i32(0x20000000).op(Op.i32_eq); break; // HI
      case 5: c.get(NZ).get(NZ).i32(3).op(Op.i32_shl).op(Op.i32_xor).i32(31).op(Op.i32_shr_u).op(Op.i32_eqz); break; // GE
      case 6: // GT: N == V and Z == 0
        c.get(NZ).get(NZ).i32(3).op(Op.i32_shl).op(Op.i32_xor).i32(31).op(Op.i32_shr_u).op(Op.i32_eqz);
        c.get(NZ).i32(30).op(Op.i32_shr_u).i32(1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
        break;
    }
    if (cond & 1) c.op(Op.i32_eqz);
  }
  /** NZ := NZCV from a, b (not inverted) and r (locals) of an add or subtract. */
  private emitAddFlags(a: number, b: number, r: number, sf: number, sub: boolean): void {
    const c = this.c;
    const top = sf ? 63 : 31;
    c.get(r).i64(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and).i32(31).op(Op.i32_shl);
    c.get(r).op(Op.i64_eqz).i32(30).op(Op.i32_shl).op(Op.i32_or);
    if (sub) c.get(a).get(b).op(Op.i64_ge_u);
    else c.get(r).get(a).op(Op.i64_lt_u);
    c.i32(29).op(Op.i32_shl).op(Op.i32_or);
    c.get(a).get(b).op(Op.i64_xor);
    if (!sub) c.i64(-1).op(Op.i64_xor);
    c.get(a).get(r).op(Op.i64_xor).op(Op.i64_and).i64(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and);
    c.i32(28).op(Op.i32_shl).op(Op.i32_or).set(NZ);
  }
  /**
   * Flags of a (T0) +/- b (T1) = r (T2). lazy (main path only): remembered in FA/FB/FR,
   * computed when something needs them; otherwise computed now.
   */
  private addFlags(sf: number, sub: boolean, lazy: boolean): void {
    this.flagsWritten();
    if (!lazy) { this.emitAddFlags(T0, T1, T2, sf, sub); return; }
    this.flagEvent(true);
    this.c.get(T0).set(FA).get(T1).set(FB).get(T2).set(FR);
    this.pend = sub ? 2 : 1;
    this.pendSf = sf;
  }
  /** Pass 1: note the block's first flag access. */
  private flagEvent(write: boolean): void {
    if (!this.first && this.flagFirst === 'none') this.flagFirst = write ? 'write' : 'read';
  }
  /** NZ is about to be read (or stored, or the block leaves): compute pending flags into it. */
  private syncFlags(): void {
    this.flagEvent(false);
    if (this.pend && this.first) this.emitAddFlags(FA, FB, FR, this.pendSf, this.pend === 2);
  }
  /** syncFlags on the main path: NZ is right from here on. */
  private settleFlags(): void {
    this.syncFlags();
    this.pend = 0;
  }
  /** NZ was written in full on every path (FCMP, a reload from the core): nothing pending. */
  private flagsFull(): void { this.pend = 0; }
  /** a (T0) +/- b (T1) at the data size -> T2 (truncated), flags if setf (lazily on the main path). */
  private addSub(sf: number, sub: boolean, setf: boolean, lazy = true): void {
    const c = this.c;
    c.get(T0).get(T1).op(sub ? Op.i64_sub : Op.i64_add);
    this.truncIf(sf);
    c.set(T2);
    if (setf) this.addFlags(sf, sub, lazy);
  }
  private setNZ(sf: number): void {
    // r in T2 (main path: NZ is complete afterwards)
    const c = this.c;
    this.flagsWritten();
    this.flagEvent(true);
    this.pend = 0;
    c.get(T2).i64(sf ? 63 : 31).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and).i32(31).op(Op.i32_shl);
    c.get(T2).op(Op.i64_eqz).i32(30).op(Op.i32_shl).op(Op.i32_or).set(NZ);
  }
  private shift(type: number, amt: number, sf: number): void {
    // value (i64) on stack -> shifted at the data size (zero-extended for W)
    const c = this.c;
    if (sf) {
      if (amt === 0) return;
      c.i64(amt).op([Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr][type]);
      return;
    }
    c.op(Op.i32_wrap_i64);
    if (amt) c.i32(amt).op([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][type]);
    c.op(Op.i64_extend_i32_u);
  }

  // ---- decode ---------------------------------------------------------------------------
  private insn(insn: number): boolean {
    switch (D.decode(insn)) {
      // no effect on this single CPU (system.ts): NOP, YIELD, the unallocated hints (incl. the
      // PAC and BTI hints Linux puts in every function), DMB, DSB, ISB. WFE, WFI, SEV, SEVL wait
      // or set the event register: they end the block.
      case D.HINT: { const h = (insn >>> 5) & 0x7f; return h < 2 || h > 5; }
      case D.DMB: case D.DSB: case D.ISB: return true;
      case D.ADR: return this.ADR(insn);
      case D.ADD_imm: return this.ADD_imm(insn);
      case D.LOGICAL_imm: return this.LOGICAL_imm(insn);
      case D.MOVE_wide: return this.MOVE_wide(insn);
      case D.BITFIELD: return this.BITFIELD(insn);
      case D.EXTR: return this.EXTR(insn);
      case D.LOGICAL_shift: return this.LOGICAL_shift(insn);
      case D.ADD_shift: return this.ADD_shift(insn);
      case D.ADD_ext: return this.ADD_ext(insn);
      case D.MADD: return this.MADD(insn);
      case D.MADDL: return this.MADDL(insn);
      case D.MULH: return this.MULH(insn);
      case D.ADC: return this.ADC(insn);
      case D.CCMP: return this.CCMP(insn);
      case D.CSEL: return this.CSEL(insn);
      case D.SHIFT_var: return this.SHIFT_var(insn);
      case D.DIV: return this.DIV(insn);
      case D.B_BL: return this.B_BL(insn);
      case D.CBZ: return this.CBZ(insn);
      case D.TBZ: return this.TBZ(insn);
      case D.B_cond: return this.B_cond(insn);
      case D.BR: case D.RET: case D.BLR: return this.BR(insn, D.decode(insn) === D.BLR);
      case D.LDR_lit: return this.LDR_lit(insn);
      case D.PAIR: return this.PAIR(insn);
      case D.LDST_uimm: return this.LDST_uimm(insn);
      case D.LDST_unscaled: return this.LDST_imm9(insn, 0);
      case D.LDST_post: return this.LDST_imm9(insn, 1);
      case D.LDST_pre: return this.LDST_imm9(insn, 3);
      case D.LDST_reg: return this.LDST_reg(insn);
      default: return false; // the interpreter runs it (viaInterpreter) or the block ends
    }
  }

  private ADR(insn: number): boolean {
    const imm = BigInt(F.adrimm(insn));
    const v = F.adrp(insn) ? (this.pc & ~0xfffn) + (imm << 12n) : this.pc + imm;
    this.c.i64(BigInt.asIntN(64, v));
    this.setX(F.rd(insn));
    return true;
  }

  private ADD_imm(insn: number): boolean { // ADD/ADDS/SUB/SUBS (immediate)
    const c = this.c;
    const sf = F.sf(insn), sub = F.op(insn) !== 0, setf = F.setf(insn) !== 0, rd = F.rd(insn);
    const imm = F.imm12(insn) * (F.sh(insn) ? 4096 : 1);
    this.getXSP(F.rn(insn));
    if (!setf) { // no flags: straight on the stack (the low 32 bits of a sum need only the operands' low 32)
      if (imm) c.i64(imm).op(sub ? Op.i64_sub : Op.i64_add);
      this.truncIf(sf);
      this.setXSP(rd);
      return true;
    }
    if (!sf) this.trunc32();
    c.set(T0);
    c.i64(imm).set(T1);
    this.addSub(sf, sub, setf);
    c.get(T2);
    if (setf) this.setX(rd); else this.setXSP(rd);
    return true;
  }

  private LOGICAL_imm(insn: number): boolean { // the table has only valid masks
    const c = this.c;
    const sf = F.sf(insn), opc = F.opc(insn), rd = F.rd(insn);
    const bm = decodeBitMasks(F.n(insn), F.imms(insn), F.immr(insn), true)!;
    const imm = sf ? bm.w : bm.w & 0xffffffffn;
    this.getX(F.rn(insn));
    c.i64(BigInt.asIntN(64, imm));
    c.op([Op.i64_and, Op.i64_or, Op.i64_xor, Op.i64_and][opc]);
    this.truncIf(sf);
    if (opc === 3) { c.set(T2); this.setNZ(sf); c.get(T2); this.setX(rd); }
    else this.setXSP(rd);
    return true;
  }

  private MOVE_wide(insn: number): boolean { // MOVN/MOVZ/MOVK
    const c = this.c;
    const sf = F.sf(insn), opc = F.opc(insn), rd = F.rd(insn);
    const sh = BigInt(F.hw(insn) * 16);
    const imm = BigInt(F.imm16(insn)) << sh;
    const mask = sf ? M64 : 0xffffffffn;
    if (opc === 0) c.i64(BigInt.asIntN(64, ~imm & mask));
    else if (opc === 2) c.i64(imm);
    else {
      this.getX(rd);
      c.i64(BigInt.asIntN(64, ~(0xffffn << sh) & mask)).op(Op.i64_and).i64(imm).op(Op.i64_or);
    }
    this.setX(rd);
    return true;
  }

  private BITFIELD(insn: number): boolean { // SBFM/BFM/UBFM
    const c = this.c;
    const sf = F.sf(insn), opc = F.opc(insn), rd = F.rd(insn), rn = F.rn(insn);
    const immr = F.immr(insn), imms = F.imms(insn);
    const bm = decodeBitMasks(F.n(insn), imms, immr, false)!;
    const W = bm.w, T = bm.t;
    // rot = ROR(src, immr) at the data size -> T1
    this.getX(rn);
    if (sf) { if (immr) c.i64(immr).op(Op.i64_rotr); }
    else { c.op(Op.i32_wrap_i64); if (immr) c.i32(immr).op(Op.i32_rotr); c.op(Op.i64_extend_i32_u); }
    c.set(T1);
    if (opc === 2) { // UBFM: rot & W & T
      c.get(T1).i64(BigInt.asIntN(64, W & T)).op(Op.i64_and);
    } else if (opc === 0) { // SBFM: (top & ~T) | (rot & W & T), top = replicate src<imms>
      this.getX(rn);
      c.i64(63 - imms).op(Op.i64_shl).i64(63).op(Op.i64_shr_s).i64(BigInt.asIntN(64, ~T & M64)).op(Op.i64_and);
      c.get(T1).i64(BigInt.asIntN(64, W & T)).op(Op.i64_and).op(Op.i64_or);
    } else { // BFM: bot = (dst & ~W) | (rot & W); (dst & ~T) | (bot & T)
      this.getX(rd);
      c.set(T0);
      c.get(T0).i64(BigInt.asIntN(64, ~W & M64)).op(Op.i64_and).get(T1).i64(BigInt.asIntN(64, W)).op(Op.i64_and).op(Op.i64_or);
      c.i64(BigInt.asIntN(64, T)).op(Op.i64_and);
      c.get(T0).i64(BigInt.asIntN(64, ~T & M64)).op(Op.i64_and).op(Op.i64_or);
    }
    this.truncIf(sf);
    this.setX(rd);
    return true;
  }

  private EXTR(insn: number): boolean {
    const c = this.c;
    const sf = F.sf(insn), lsb = F.imms(insn), rm = F.rm(insn), rn = F.rn(insn);
    if (sf) {
      if (lsb === 0) this.getX(rm);
      else {
        this.getX(rm); c.i64(lsb).op(Op.i64_shr_u);
        this.getX(rn); c.i64(64 - lsb).op(Op.i64_shl).op(Op.i64_or);
      }
    } else {
      this.getX(rm); this.trunc32();
      if (lsb !== 0) {
        c.i64(lsb).op(Op.i64_shr_u);
        this.getX(rn); c.i64(32 - lsb).op(Op.i64_shl).op(Op.i64_or);
        this.trunc32();
      }
    }
    this.setX(F.rd(insn));
    return true;
  }

  private LOGICAL_shift(insn: number): boolean {
    const c = this.c;
    const sf = F.sf(insn), opc = F.opc(insn);
    this.getX(F.rn(insn));
    this.getX(F.rm(insn));
    this.shift(F.shift(insn), F.imm6(insn), sf);
    if (F.inv(insn)) c.i64(-1).op(Op.i64_xor);
    c.op([Op.i64_and, Op.i64_or, Op.i64_xor, Op.i64_and][opc]);
    this.truncIf(sf);
    if (opc === 3) { c.set(T2); this.setNZ(sf); c.get(T2); }
    this.setX(F.rd(insn));
    return true;
  }

  private ADD_shift(insn: number): boolean {
    const c = this.c;
    const sf = F.sf(insn);
    if (F.setf(insn) === 0) { // no flags: straight on the stack
      this.getX(F.rn(insn));
      this.getX(F.rm(insn)); this.shift(F.shift(insn), F.imm6(insn), sf);
      c.op(F.op(insn) !== 0 ? Op.i64_sub : Op.i64_add);
      this.truncIf(sf);
      this.setX(F.rd(insn));
      return true;
    }
    this.getX(F.rn(insn)); this.truncIf(sf); c.set(T0);
    this.getX(F.rm(insn)); this.shift(F.shift(insn), F.imm6(insn), sf); c.set(T1);
    this.addSub(sf, F.op(insn) !== 0, true);
    c.get(T2);
    this.setX(F.rd(insn));
    return true;
  }

  private ADD_ext(insn: number): boolean {
    const c = this.c;
    const sf = F.sf(insn), setf = F.setf(insn) !== 0, sh = F.imm3(insn), rd = F.rd(insn);
    this.getXSP(F.rn(insn));
    if (setf) { this.truncIf(sf); c.set(T0); }
    this.getX(F.rm(insn));
    switch (F.option(insn)) {
      case 0: c.i64(0xff).op(Op.i64_and); break;
      case 1: c.i64(0xffff).op(Op.i64_and); break;
      case 2: this.trunc32(); break;
      case 4: c.op(Op.i64_extend8_s); break;
      case 5: c.op(Op.i64_extend16_s); break;
      case 6: c.op(Op.i64_extend32_s); break;
      default: break;
    }
    if (sh) c.i64(sh).op(Op.i64_shl);
    if (!setf) { // no flags: straight on the stack
      c.op(F.op(insn) !== 0 ? Op.i64_sub : Op.i64_add);
      this.truncIf(sf);
      this.setXSP(rd);
      return true;
    }
    this.truncIf(sf);
    c.set(T1);
    this.addSub(sf, F.op(insn) !== 0, setf);
    c.get(T2);
    if (setf) this.setX(rd); else this.setXSP(rd);
    return true;
  }

  private MADD(insn: number): boolean { // MADD/MSUB
    const c = this.c;
    this.getX(F.ra(insn));
    this.getX(F.rn(insn)); this.getX(F.rm(insn)); c.op(Op.i64_mul);
    c.op(F.o0(insn) ? Op.i64_sub : Op.i64_add);
    this.truncIf(F.sf(insn));
    this.setX(F.rd(insn));
    return true;
  }

  private MADDL(insn: number): boolean { // SMADDL/SMSUBL, UMADDL/UMSUBL
    const c = this.c;
    const ext = F.u(insn) ? Op.i64_extend_i32_u : Op.i64_extend_i32_s;
    this.getX(F.ra(insn));
    this.getX(F.rn(insn)); c.op(Op.i32_wrap_i64).op(ext);
    this.getX(F.rm(insn)); c.op(Op.i32_wrap_i64).op(ext);
    c.op(Op.i64_mul).op(F.o0(insn) ? Op.i64_sub : Op.i64_add);
    this.setX(F.rd(insn));
    return true;
  }

  private MULH(insn: number): boolean { // UMULH/SMULH: bits 127:64 of the 128-bit product
    // from 32-bit halves: a1:a0 * b1:b0 = a1b1 << 64 + (a0b1 + a1b0) << 32 + a0b0; SMULH is the
    // unsigned high half minus b if a < 0 and minus a if b < 0 (mod 2^64)
    const c = this.c;
    this.getX(F.rn(insn)); c.set(T0);
    this.getX(F.rm(insn)); c.set(T1);
    const lo = (l: number) => c.get(l).i64(0xffffffff).op(Op.i64_and);
    const hi = (l: number) => c.get(l).i64(32).op(Op.i64_shr_u);
    lo(T0); hi(T1); c.op(Op.i64_mul).set(T2); // a0 * b1
    hi(T0); lo(T1); c.op(Op.i64_mul).set(T3); // a1 * b0
    hi(T0); hi(T1); c.op(Op.i64_mul);
    hi(T2); c.op(Op.i64_add);
    hi(T3); c.op(Op.i64_add);
    lo(T0); lo(T1); c.op(Op.i64_mul).i64(32).op(Op.i64_shr_u); // carries into bit 64 of the middle sum
    lo(T2); c.op(Op.i64_add);
    lo(T3); c.op(Op.i64_add);
    c.i64(32).op(Op.i64_shr_u).op(Op.i64_add);
    if (!F.u(insn)) {
      c.get(T0).i64(63).op(Op.i64_shr_s).get(T1).op(Op.i64_and).op(Op.i64_sub);
      c.get(T1).i64(63).op(Op.i64_shr_s).get(T0).op(Op.i64_and).op(Op.i64_sub);
    }
    this.setX(F.rd(insn));
    return true;
  }

  private ADC(insn: number): boolean { // ADC/ADCS/SBC/SBCS: Rn + (Rm or NOT Rm) + C
    const c = this.c;
    const sf = F.sf(insn), setf = F.setf(insn) !== 0, top = sf ? 63 : 31;
    this.getX(F.rn(insn)); this.truncIf(sf); c.set(T0);
    this.getX(F.rm(insn)); if (F.op(insn)) c.i64(-1).op(Op.i64_xor);
    this.truncIf(sf); c.set(T1);
    this.flagsRead();
    this.settleFlags(); // the carry in is C of the flags as they are
    c.get(NZ).i32(29).op(Op.i32_shr_u).i32(1).op(Op.i32_and).op(Op.i64_extend_i32_u).set(T3);
    c.get(T0).get(T1).op(Op.i64_add).get(T3).op(Op.i64_add).set(T2); // W: the 33-bit sum
    if (setf) {
      this.flagsWritten();
      this.flagEvent(true);
      this.pend = 0;
      // C: the carry out of bit 63 (r < a, or r == a with a carry in) or of bit 31 (bit 32 of the W sum)
      if (sf) {
        c.get(T2).get(T0).op(Op.i64_lt_u);
        c.get(T3).op(Op.i32_wrap_i64).get(T2).get(T0).op(Op.i64_eq).op(Op.i32_and).op(Op.i32_or);
      } else {
        c.get(T2).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
      }
      c.i32(29).op(Op.i32_shl);
      if (!sf) { c.get(T2); this.trunc32(); c.set(T2); }
      c.get(T2).i64(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and).i32(31).op(Op.i32_shl).op(Op.i32_or);
      c.get(T2).op(Op.i64_eqz).i32(30).op(Op.i32_shl).op(Op.i32_or);
      c.get(T0).get(T2).op(Op.i64_xor).get(T1).get(T2).op(Op.i64_xor).op(Op.i64_and);
      c.i64(top).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1).op(Op.i32_and).i32(28).op(Op.i32_shl).op(Op.i32_or);
      c.set(NZ);
    } else if (!sf) { c.get(T2); this.trunc32(); c.set(T2); }
    c.get(T2);
    this.setX(F.rd(insn));
    return true;
  }

  private CCMP(insn: number): boolean { // CCMN/CCMP
    const c = this.c;
    const sf = F.sf(insn), rm = F.rm(insn);
    this.condition(F.cond(insn));
    c.if();
    this.getX(F.rn(insn)); this.truncIf(sf); c.set(T0);
    if (F.ccimm(insn)) c.i64(rm); else { this.getX(rm); this.truncIf(sf); }
    c.set(T1);
    this.addSub(sf, F.op(insn) !== 0, true, false);
    c.else();
    c.i32((F.nzcv(insn) << 28) | 0).set(NZ);
    c.end();
    this.flagsFull();
    return true;
  }

  private CSEL(insn: number): boolean { // CSEL/CSINC/CSINV/CSNEG
    const c = this.c;
    this.getX(F.rn(insn));
    this.getX(F.rm(insn));
    if (F.op(insn)) c.i64(-1).op(Op.i64_xor);
    if (F.o2(insn)) c.i64(1).op(Op.i64_add);
    this.condition(F.cond(insn));
    c.op(Op.select);
    this.truncIf(F.sf(insn));
    this.setX(F.rd(insn));
    return true;
  }

  private SHIFT_var(insn: number): boolean { // LSLV/LSRV/ASRV/RORV
    const c = this.c;
    const type = F.shtype(insn), rn = F.rn(insn), rm = F.rm(insn);
    if (F.sf(insn)) {
      this.getX(rn); this.getX(rm); c.i64(63).op(Op.i64_and);
      c.op([Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr][type]);
    } else {
      this.getX(rn); c.op(Op.i32_wrap_i64);
      this.getX(rm); c.op(Op.i32_wrap_i64).i32(31).op(Op.i32_and);
      c.op([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][type]).op(Op.i64_extend_i32_u);
    }
    this.setX(F.rd(insn));
    return true;
  }

  private DIV(insn: number): boolean { // UDIV/SDIV (x / 0 = 0; INT_MIN / -1 = INT_MIN)
    const c = this.c;
    const sf = F.sf(insn), signed = F.o1(insn) !== 0;
    this.getX(F.rn(insn)); if (!sf) { if (signed) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s); else this.trunc32(); } c.set(T0);
    this.getX(F.rm(insn)); if (!sf) { if (signed) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s); else this.trunc32(); } c.set(T1);
    c.get(T1).op(Op.i64_eqz).if(I64).i64(0).else();
    if (signed) {
      c.get(T1).i64(-1).op(Op.i64_eq).if(I64).i64(0).get(T0).op(Op.i64_sub).else();
      if (sf) c.get(T0).get(T1).op(Op.i64_div_s).end();
      else c.get(T0).op(Op.i32_wrap_i64).get(T1).op(Op.i32_wrap_i64).op(Op.i32_div_s).op(Op.i64_extend_i32_s).end();
    } else if (sf) {
      c.get(T0).get(T1).op(Op.i64_div_u);
    } else { // a 32-bit divide (cheaper on the host)
      c.get(T0).op(Op.i32_wrap_i64).get(T1).op(Op.i32_wrap_i64).op(Op.i32_div_u).op(Op.i64_extend_i32_u);
    }
    c.end();
    this.truncIf(sf);
    this.setX(F.rd(insn));
    return true;
  }

  private B_BL(insn: number): boolean {
    const target = this.pc + BigInt(F.imm26(insn) * 4);
    if (F.link(insn)) { this.c.i64(this.pc + 4n); this.setX(30); this.successors.push(this.pc + 4n); }
    this.endWithBranch(target);
    this.branchTo(target);
    return true;
  }

  private condBranch(test: () => void, target: bigint): void {
    this.endWithBranch(target);
    test();
    this.c.if();
    this.branchTo(target);
    this.c.end();
    this.successors.push(this.pc + 4n);
    this.exitTo(this.pc + 4n, this.k + 1);
  }

  private CBZ(insn: number): boolean { // CBZ, CBNZ
    const c = this.c;
    const nz = F.nz(insn);
    this.condBranch(() => {
      this.getX(F.rt(insn));
      if (!F.sf(insn)) this.trunc32();
      c.op(Op.i64_eqz);
      if (nz) c.op(Op.i32_eqz);
    }, this.pc + BigInt(F.imm19(insn) * 4));
    return true;
  }

  private TBZ(insn: number): boolean { // TBZ, TBNZ
    const c = this.c;
    const nz = F.nz(insn);
    this.condBranch(() => {
      this.getX(F.rt(insn));
      c.i64(F.tbzbit(insn)).op(Op.i64_shr_u).i64(1).op(Op.i64_and).op(Op.i32_wrap_i64);
      if (!nz) c.op(Op.i32_eqz);
    }, this.pc + BigInt(F.imm14(insn) * 4));
    return true;
  }

  private B_cond(insn: number): boolean {
    const target = this.pc + BigInt(F.imm19(insn) * 4);
    const cond = F.bcond(insn);
    if ((cond >> 1) === 7) { this.endWithBranch(target); this.branchTo(target); return true; }
    this.condBranch(() => this.condition(cond), target);
    return true;
  }

  private BR(insn: number, link: boolean): boolean { // BR, BLR, RET
    const c = this.c;
    this.ended = true;
    this.getX(F.rn(insn));
    if (link) { c.set(T0); c.i64(this.pc + 4n); this.setX(30); c.get(T0); }
    this.exitToStack(this.k + 1);
    return true;
  }

  // ---- loads and stores ------------------------------------------------------------------

  private ic(): void { this.count(this.k); }

  /**
   * The fast-path condition for an access of `size` bytes at VA (i32 0/1 on the stack): the
   * entry's comparator for this EL and direction (mem.ts jitTags), the aligned one when VA is
   * a multiple of `unit` (the alignment Device memory needs), equals the page of the access's
   * last byte + 1. It holds the entry's tag only where readMem/writeMem's fast path would take
   * the access (permission, RAM, not watched, Device only aligned, SCTLR.A clear, stores: no
   * translated code), so one compare also rejects accesses crossing into the next page.
   */
  private fastCheck(size: number, write: boolean, unit = size): void {
    const c = this.c;
    const at = this.el1 ? (write ? TLB_WR1 : TLB_RD1) : (write ? TLB_WR0 : TLB_RD0);
    c.get(VA).op(Op.i32_wrap_i64).i32(12).op(Op.i32_shr_u).i32(TLB_MASK).op(Op.i32_and)
      .i32(TLB_SHIFT).op(Op.i32_shl).i32(this.lay.tlb).op(Op.i32_add).tee(E);
    if (unit > 1) { // + 8 (the any-alignment comparator) when VA is not a multiple of unit
      c.get(VA).op(Op.i32_wrap_i64).i32(unit - 1).op(Op.i32_and).i32(0).op(Op.i32_ne).i32(3).op(Op.i32_shl).op(Op.i32_add);
    }
    c.mem(Op.i64_load, at);
    c.get(VA);
    if (size > 1) c.i64(size - 1).op(Op.i64_add);
    c.i64(12).op(Op.i64_shr_u).i64(1).op(Op.i64_add).op(Op.i64_eq);
  }
  /** The host address of VA after a fastCheck hit (i32 on the stack): VA + the entry's addend. */
  private hostAddr(): void {
    this.c.get(VA).op(Op.i32_wrap_i64).get(E).mem(Op.i32_load, TLB_ADDEND).op(Op.i32_add);
  }
  private static loadOp(size: number): number {
    return size === 8 ? Op.i64_load : size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u;
  }
  private static storeOp(size: number): number {
    return size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8;
  }
  /** Load `size` bytes at VA -> i64 on the stack (zero-extended); leaves on a fault. */
  private load(size: number): void {
    const c = this.c;
    this.fastCheck(size, false);
    c.if(I64);
    this.hostAddr(); c.mem(Gen.loadOp(size));
    c.else();
    this.beforeHelper();
    c.get(VA).i32(size).i64(this.pc); this.ic(); c.call(F_RD);
    this.checkFault();
    this.noteStatus();
    c.end();
  }
  /** Store T0 (`size` bytes) at VA; leaves on a fault. */
  private store(size: number): void {
    const c = this.c;
    this.fastCheck(size, true);
    c.if();
    this.hostAddr(); c.get(T0).mem(Gen.storeOp(size));
    c.else();
    this.beforeHelper();
    c.get(VA).i32(size).get(T0).i64(this.pc); this.ic(); c.call(F_WR);
    this.checkFault();
    this.noteStatus();
    c.end();
  }
  private extend(bits: number, toW: boolean): void {
    const c = this.c;
    c.op(bits === 8 ? Op.i64_extend8_s : bits === 16 ? Op.i64_extend16_s : Op.i64_extend32_s);
    if (toW) this.trunc32();
  }

  private LDST_uimm(insn: number): boolean { // unsigned offset
    const off = F.imm12(insn) << F.size(insn);
    this.getXSP(F.rn(insn));
    if (off) this.c.i64(off).op(Op.i64_add);
    this.c.set(VA);
    return this.single(insn, -1, 0);
  }

  /** op4 0: unscaled, 1: post-index, 3: pre-index (2, LDTR/STTR, is left to the interpreter). */
  private LDST_imm9(insn: number, op4: number): boolean {
    const imm = F.imm9(insn), rn = F.rn(insn);
    this.getXSP(rn);
    this.c.set(T1); // base
    this.c.get(T1);
    if (op4 !== 1 && imm) this.c.i64(imm).op(Op.i64_add);
    this.c.set(VA);
    return this.single(insn, op4 === 0 ? -1 : rn, imm);
  }

  private LDST_reg(insn: number): boolean { // register offset (UXTW, LSL, SXTW, SXTX)
    const option = F.option(insn), size = F.size(insn);
    this.getXSP(F.rn(insn));
    this.getX(F.rm(insn));
    if (option === 2) this.trunc32();
    else if (option === 6) this.c.op(Op.i64_extend32_s);
    if (F.sc(insn) && size) this.c.i64(size).op(Op.i64_shl);
    this.c.op(Op.i64_add).set(VA);
    return this.single(insn, -1, 0);
  }

  /** LDR/STR at VA; writeback rn = base (T1) + imm when wb >= 0. The table has only allocated size:opc pairs. */
  private single(insn: number, wb: number, imm: number): boolean {
    const c = this.c;
    const size = F.size(insn), opc = F.lsopc(insn), rt = F.rt(insn);
    const bytes = 1 << size;
    if (opc === 2 && size === 3) return true; // PRFM: no access
    if (opc === 0) {
      this.getX(rt); c.set(T0);
      this.store(bytes);
    } else {
      this.load(bytes);
      if (opc === 2) this.extend(bytes * 8, false);
      else if (opc === 3) this.extend(bytes * 8, true);
      this.setX(rt);
    }
    if (wb >= 0) { c.get(T1).i64(imm).op(Op.i64_add); this.setXSP(wb); }
    this.checkStatusLocal();
    return true;
  }

  private LDR_lit(insn: number): boolean {
    const opc = F.popc(insn);
    if (opc === 3) return true; // PRFM (literal)
    const va = this.pc + BigInt(F.imm19(insn) * 4);
    const bytes = opc === 1 ? 8 : 4;
    this.c.i64(BigInt.asIntN(64, va)).set(VA);
    this.load(bytes);
    if (opc === 2) this.extend(32, false);
    this.setX(F.rt(insn));
    this.checkStatusLocal();
    return true;
  }

  private PAIR(insn: number): boolean { // STP/LDP/STNP/LDNP/LDPSW (the table has only those)
    const c = this.c;
    const opc = F.popc(insn), type = F.type(insn), l = F.l(insn);
    const bytes = opc === 2 ? 8 : 4;
    const imm = F.imm7(insn) * bytes;
    const rn = F.rn(insn), rt = F.rt(insn), rt2 = F.rt2(insn);
    this.getXSP(rn); c.set(T1); // base
    c.get(T1);
    if (type !== 1 && imm) c.i64(imm).op(Op.i64_add);
    c.set(VA);
    if (l) {
      this.fastCheck(bytes * 2, false, bytes);
      c.if();
      this.hostAddr(); c.mem(Gen.loadOp(bytes)).set(T0);
      this.hostAddr(); c.mem(Gen.loadOp(bytes), bytes).set(T2);
      c.else();
      this.beforeHelper();
      c.get(VA).i32(bytes).i64(this.pc); this.ic(); c.call(F_RD).set(T0);
      this.checkFault();
      c.get(VA).i64(bytes).op(Op.i64_add).i32(bytes).i64(this.pc); this.ic(); c.call(F_RD).set(T2);
      this.checkFault();
      this.noteStatus();
      c.end();
      c.get(T0); if (opc === 1) this.extend(32, false); this.setX(rt);
      c.get(T2); if (opc === 1) this.extend(32, false); this.setX(rt2);
    } else {
      this.getX(rt); c.set(T0);
      this.getX(rt2); c.set(T2);
      this.fastCheck(bytes * 2, true, bytes);
      c.if();
      this.hostAddr(); c.get(T0).mem(Gen.storeOp(bytes));
      this.hostAddr(); c.get(T2).mem(Gen.storeOp(bytes), bytes);
      c.else();
      this.beforeHelper();
      c.get(VA).i32(bytes).get(T0).get(T2).i64(this.pc); this.ic(); c.call(F_WRP);
      this.checkFault();
      this.noteStatus();
      c.end();
    }
    if (type === 1) { c.get(T1).i64(imm).op(Op.i64_add); this.setXSP(rn); }
    else if (type === 3) { c.get(VA); this.setXSP(rn); }
    this.checkStatusLocal();
    return true;
  }
}

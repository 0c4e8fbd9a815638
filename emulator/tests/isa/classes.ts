// Random instruction classes: per-class templates whose fields are randomised. Field layouts are
// those of the Arm ARM (A64 encoding index); anything a template can produce that llvm-mc calls
// unallocated is dropped later (campaign.ts), so templates may be loose about reserved values
// but must never produce an encoding whose behaviour legitimately differs between correct
// implementations (CONSTRAINED UNPREDICTABLE forms are excluded here, explicitly).
import { WINDOW, type CaseState } from './harness.ts';
import type { Rng } from './random.ts';

// Register roles in memory cases: bases point into the data window, index registers hold
// small offsets, and no instruction of a memory case may write either set.
export const BASES = [24, 25, 26, 27, 28];
export const INDEXES = [21, 22, 23];
const DATA_REGS = [...Array(21).keys(), 29, 30, 31]; // 31 = XZR/WZR as Rt

export interface GenCtx {
  rng: Rng;
  state: CaseState;
  pos: number; // position of this instruction in the case's sequence
}

export interface InsnClass {
  name: string;
  v: boolean; // needs the V registers (loaded, compared)
  data: boolean; // accesses the data window
  maxLen: number; // instructions per case: 1..maxLen
  gen(ctx: GenCtx): number[]; // one or more words (a unit that must stay together)
}

const r5 = (rng: Rng) => rng.int(32);
const u = (w: number) => w >>> 0;

// ---- data processing, integer -----------------------------------------------------------

const dp: InsnClass[] = [
  {
    name: 'dp-addsub-imm', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(2) << 30) | (rng.int(2) << 29) | (0b100010 << 23) | (rng.int(2) << 22) | (rng.int(4096) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-logic-imm', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      const n = sf ? rng.int(2) : 0;
      return [u((sf << 31) | (rng.int(4) << 29) | (0b100100 << 23) | (n << 22) | (rng.int(64) << 16) | (rng.int(64) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-movewide', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      return [u((sf << 31) | (rng.pick([0, 2, 3]) << 29) | (0b100101 << 23) | (rng.int(sf ? 4 : 2) << 21) | (rng.int(65536) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-bitfield', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      const m = sf ? 64 : 32;
      return [u((sf << 31) | (rng.int(3) << 29) | (0b100110 << 23) | (sf << 22) | (rng.int(m) << 16) | (rng.int(m) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-extr', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      return [u((sf << 31) | (0b100111 << 23) | (sf << 22) | (r5(rng) << 16) | (rng.int(sf ? 64 : 32) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-adr', v: false, data: false, maxLen: 2,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(4) << 29) | (0b10000 << 24) | (rng.int(1 << 19) << 5) | r5(rng))],
  },
  {
    name: 'dp-logic-reg', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      return [u((sf << 31) | (rng.int(4) << 29) | (0b01010 << 24) | (rng.int(4) << 22) | (rng.int(2) << 21) | (r5(rng) << 16) | (rng.int(sf ? 64 : 32) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-addsub-shift', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      return [u((sf << 31) | (rng.int(4) << 29) | (0b01011 << 24) | (rng.int(3) << 22) | (r5(rng) << 16) | (rng.int(sf ? 64 : 32) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-addsub-ext', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(4) << 29) | (0b01011001 << 21) | (r5(rng) << 16) | (rng.int(8) << 13) | (rng.int(5) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-adc', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(4) << 29) | (0b11010000 << 21) | (r5(rng) << 16) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-condcmp', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(2) << 30) | (1 << 29) | (0b11010010 << 21) | (r5(rng) << 16) | (rng.int(16) << 12) | (rng.int(2) << 11) | (r5(rng) << 5) | rng.int(16))],
  },
  {
    name: 'dp-condsel', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (rng.int(2) << 30) | (0b11010100 << 21) | (r5(rng) << 16) | (rng.int(16) << 12) | (rng.int(2) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-3src', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => {
      // op54=00; op31:o0 in MADD MSUB SMADDL SMSUBL SMULH UMADDL UMSUBL UMULH
      const [op31, o0, x] = rng.pick([[0, 0, 0], [0, 1, 0], [1, 0, 1], [1, 1, 1], [2, 0, 1], [5, 0, 1], [5, 1, 1], [6, 0, 1]] as const);
      const sf = x ? 1 : rng.int(2);
      return [u((sf << 31) | (0b11011 << 24) | (op31 << 21) | (r5(rng) << 16) | (o0 << 15) | (r5(rng) << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'dp-2src', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (0b11010110 << 21) | (r5(rng) << 16) | (rng.pick([2, 3, 8, 9, 10, 11]) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-1src', v: false, data: false, maxLen: 4,
    gen: ({ rng }) => [u((rng.int(2) << 31) | (1 << 30) | (0b11010110 << 21) | (rng.int(6) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'dp-crc32', v: false, data: false, maxLen: 4,
    // CRC32B/H/W/X, CRC32CB/CH/CW/CX: opcode 010 C sz, sf = 1 exactly for sz == 3 (the other
    // combinations are unallocated; directed.ts checks they fault)
    gen: ({ rng }) => {
      const sz = rng.int(4);
      const sf = sz === 3 ? 1 : 0;
      return [u((sf << 31) | (0b11010110 << 21) | (r5(rng) << 16) | (0b010 << 13) | (rng.int(2) << 12) | (sz << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
];

// ---- loads and stores ---------------------------------------------------------------------

// (size, V, opc) -> scale (log2 bytes); null where the combination never transfers data.
function lsScale(size: number, v: number, opc: number): number {
  return v && opc >= 2 ? 4 : size;
}
function pickLs(rng: Rng, allowV: boolean): { size: number; v: number; opc: number } {
  const v = allowV ? 1 : 0;
  if (v) {
    const q = rng.bit(0.2);
    return q ? { size: 0, v, opc: 2 + rng.int(2) } : { size: rng.int(4), v, opc: rng.int(2) };
  }
  const size = rng.int(4);
  return { size, v, opc: rng.int(size === 3 ? 3 : size === 2 ? 3 : 4) };
}
function isLoad(v: number, opc: number): boolean {
  return v ? (opc & 1) === 1 : opc !== 0;
}
const dataReg = (rng: Rng) => rng.pick(DATA_REGS);
// A base for an access with (possibly) writeback; SP only without writeback.
const baseReg = (rng: Rng, allowSp: boolean) => (allowSp && rng.bit(0.15) ? 31 : rng.pick(BASES));

// Sets index register `r` so that Extend(Rm, option) << shift lies within [-64, 64].
function setIndex(ctx: GenCtx, r: number, option: number, shift: number) {
  const { rng, state } = ctx;
  const lim = 64 >> shift;
  const signed = option === 6 || option === 7 || option === 3;
  const val = signed ? rng.range(-lim, lim) : rng.range(0, lim);
  const garbage = BigInt(rng.u32()) << 32n;
  if (option === 2) state.x[r] = garbage | BigInt(val); // UXTW: upper half must be ignored
  else if (option === 6) state.x[r] = garbage | BigInt(val >>> 0); // SXTW
  else state.x[r] = BigInt.asUintN(64, BigInt(val));
}

function lsUimm(ctx: GenCtx, v: boolean): number {
  const { rng } = ctx;
  const { size, v: vb, opc } = pickLs(rng, v);
  const sc = lsScale(size, vb, opc);
  const imm12 = rng.int((128 >> sc) + 1);
  return u((size << 30) | (0b111 << 27) | (vb << 26) | (0b01 << 24) | (opc << 22) | (imm12 << 10) | (baseReg(rng, true) << 5) | (vb ? r5(rng) : dataReg(rng)));
}
function lsImm9(ctx: GenCtx, v: boolean): number {
  const { rng } = ctx;
  const { size, v: vb, opc } = pickLs(rng, v);
  const op2 = rng.pick(vb ? [0, 1, 3] : [0, 1, 2, 3]);
  const wb = op2 === 1 || op2 === 3;
  const rn = baseReg(rng, !wb);
  const imm9 = rng.range(-64, 64) & 0x1ff;
  return u((size << 30) | (0b111 << 27) | (vb << 26) | (opc << 22) | (imm9 << 12) | (op2 << 10) | (rn << 5) | (vb ? r5(rng) : dataReg(rng)));
}
function lsRegOff(ctx: GenCtx, v: boolean): number {
  const { rng } = ctx;
  const { size, v: vb, opc } = pickLs(rng, v);
  const option = rng.pick([2, 3, 6, 7]);
  const s = rng.int(2);
  const rm = INDEXES[ctx.pos % INDEXES.length];
  setIndex(ctx, rm, option, s ? lsScale(size, vb, opc) : 0);
  return u((size << 30) | (0b111 << 27) | (vb << 26) | (opc << 22) | (1 << 21) | (rm << 16) | (option << 13) | (s << 12) | (0b10 << 10) | (baseReg(rng, true) << 5) | (vb ? r5(rng) : dataReg(rng)));
}
function lsPair(ctx: GenCtx, v: boolean): number {
  const { rng } = ctx;
  const vb = v ? 1 : 0;
  const opc = vb ? rng.int(3) : rng.pick([0, 1, 2]);
  const l = opc === 1 && !vb ? 1 : rng.int(2);
  const sc = vb ? 2 + opc : opc === 2 ? 3 : 2;
  const type = rng.pick([0, 1, 2, 3]); // 000 no-allocate, 001 post, 010 offset, 011 pre
  const wb = type === 1 || type === 3;
  const rn = baseReg(rng, !wb);
  const imm7 = rng.range(-(64 >> sc), 64 >> sc) & 0x7f;
  let rt: number;
  let rt2: number;
  do {
    rt = vb ? r5(rng) : dataReg(rng);
    rt2 = vb ? r5(rng) : dataReg(rng);
  } while (l && rt === rt2); // LDP with Rt == Rt2 is CONSTRAINED UNPREDICTABLE
  return u((opc << 30) | (0b101 << 27) | (vb << 26) | (type << 23) | (l << 22) | (imm7 << 15) | (rt2 << 10) | (rn << 5) | rt);
}
function lsLiteral(ctx: GenCtx, v: boolean): number {
  const { rng } = ctx;
  const vb = v ? 1 : 0;
  const opc = vb ? rng.int(3) : rng.int(4);
  const imm19 = rng.range(-64, 64) & 0x7ffff;
  return u((opc << 30) | (0b011 << 27) | (vb << 26) | (imm19 << 5) | (vb ? r5(rng) : dataReg(rng)));
}
// LD1..LD4 / ST1..ST4, multiple and single structures, without offset or post-indexed by
// the transfer size (Rm = 31).
function lsStruct(ctx: GenCtx): number {
  const { rng } = ctx;
  const q = rng.int(2);
  const l = rng.int(2);
  const post = rng.int(2);
  const rn = rng.pick(BASES);
  if (rng.bit()) {
    const opcode = rng.pick([0b0000, 0b0010, 0b0100, 0b0110, 0b0111, 0b1000, 0b1010]);
    return u((q << 30) | (0b0011000 << 23) | (post << 23) | (l << 22) | (post ? 31 << 16 : 0) | (opcode << 12) | (rng.int(4) << 10) | (rn << 5) | r5(rng));
  }
  const r = rng.int(2);
  const opcode = rng.int(8) & (l ? 7 : 5); // 110/111 (LDnR) are loads only
  return u((q << 30) | (0b0011010 << 23) | (post << 23) | (l << 22) | (r << 21) | (post ? 31 << 16 : 0) | (opcode << 13) | (rng.int(2) << 12) | (rng.int(4) << 10) | (rn << 5) | r5(rng));
}

// Exclusive pairs LDXR..STXR on one aligned base, plus lone STXR (fails: monitor open),
// and load-acquire / store-release.
function lsExclusive(ctx: GenCtx): number[] {
  const { rng } = ctx;
  const rn = 24; // 16-byte aligned base (see placeBases)
  const pair = rng.bit(0.3);
  const size = pair ? 2 + rng.int(2) : rng.int(4);
  const o1 = pair ? 1 : 0;
  let rt = dataReg(rng);
  let rt2 = pair ? dataReg(rng) : 31;
  while (pair && rt === rt2) rt2 = dataReg(rng);
  const rs = (() => {
    let s: number;
    do s = dataReg(rng);
    while (s === rt || (pair && s === rt2) || s === 31);
    return s;
  })();
  const ld = u((size << 30) | (0b001000 << 24) | (1 << 22) | (o1 << 21) | (31 << 16) | (rng.int(2) << 15) | (rt2 << 10) | (rn << 5) | rt);
  // the store writes different registers than the load read into (any data register)
  let st2 = pair ? dataReg(rng) : 31;
  let st1 = dataReg(rng);
  while (st1 === rs) st1 = dataReg(rng);
  while (pair && st2 === rs) st2 = dataReg(rng);
  const st = u((size << 30) | (0b001000 << 24) | (o1 << 21) | (rs << 16) | (rng.int(2) << 15) | (st2 << 10) | (rn << 5) | st1);
  const k = rng.int(5);
  if (k === 0) return [st]; // no reservation: must fail with status 1
  if (k === 1) {
    // load-acquire / store-release (LDAR/STLR), no exclusivity
    return [u((rng.int(4) << 30) | (0b001000 << 24) | (1 << 23) | (rng.int(2) << 22) | (31 << 16) | (1 << 15) | (31 << 10) | (rn << 5) | dataReg(rng))]; // aligned base: LDAR/STLR alignment-fault otherwise
  }
  return [ld, st];
}

// Bases x24..x28 point near the middle of the window (x24 16-byte aligned, the others not
// necessarily); SP 16-byte aligned. Offsets above are bounded so that three instructions with
// writeback stay inside the window.
export function placeBases(ctx: GenCtx) {
  const { rng, state } = ctx;
  BASES.forEach((r, i) => {
    state.x[r] = BigInt(WINDOW + 448 + 16 * rng.int(9) + (i === 0 ? 0 : rng.int(16)));
  });
  state.sp = BigInt(WINDOW + 512);
}

const ls: InsnClass[] = [
  { name: 'ls-uimm', v: false, data: true, maxLen: 3, gen: (c) => [lsUimm(c, false)] },
  { name: 'ls-imm9', v: false, data: true, maxLen: 3, gen: (c) => [lsImm9(c, false)] },
  { name: 'ls-regoff', v: false, data: true, maxLen: 3, gen: (c) => [lsRegOff(c, false)] },
  { name: 'ls-pair', v: false, data: true, maxLen: 3, gen: (c) => [lsPair(c, false)] },
  { name: 'ls-literal', v: false, data: false, maxLen: 3, gen: (c) => [lsLiteral(c, false)] },
  { name: 'ls-exclusive', v: false, data: true, maxLen: 1, gen: (c) => lsExclusive(c) },
  { name: 'ls-simd-uimm', v: true, data: true, maxLen: 3, gen: (c) => [lsUimm(c, true)] },
  { name: 'ls-simd-imm9', v: true, data: true, maxLen: 3, gen: (c) => [lsImm9(c, true)] },
  { name: 'ls-simd-regoff', v: true, data: true, maxLen: 3, gen: (c) => [lsRegOff(c, true)] },
  { name: 'ls-simd-pair', v: true, data: true, maxLen: 3, gen: (c) => [lsPair(c, true)] },
  { name: 'ls-simd-literal', v: true, data: false, maxLen: 3, gen: (c) => [lsLiteral(c, true)] },
  { name: 'ls-simd-struct', v: true, data: true, maxLen: 3, gen: (c) => [lsStruct(c)] },
];

// ---- scalar floating point ------------------------------------------------------------------

const ftype = (rng: Rng) => rng.int(2); // single, double (half precision arithmetic is v8.2)
const fp: InsnClass[] = [
  {
    name: 'fp-2src', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b11110 << 24) | (ftype(rng) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(9) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'fp-1src', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => {
      const ty = rng.pick([0, 1, 3]); // FCVT from half is v8.0
      const opc = ty === 3 ? rng.pick([4, 5]) : rng.pick([0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15]);
      return [u((0b11110 << 24) | (ty << 22) | (1 << 21) | (opc << 15) | (0b10000 << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'fp-3src', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b11111 << 24) | (ftype(rng) << 22) | (rng.int(2) << 21) | (r5(rng) << 16) | (rng.int(2) << 15) | (r5(rng) << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'fp-cmp', v: true, data: false, maxLen: 2,
    gen: ({ rng }) => {
      const op2 = rng.pick([0, 8, 16, 24]);
      const rm = op2 & 8 ? 0 : r5(rng);
      return [u((0b11110 << 24) | (ftype(rng) << 22) | (1 << 21) | (rm << 16) | (0b1000 << 10) | (r5(rng) << 5) | op2)];
    },
  },
  {
    name: 'fp-ccmp', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b11110 << 24) | (ftype(rng) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(16) << 12) | (0b01 << 10) | (r5(rng) << 5) | (rng.int(2) << 4) | rng.int(16))],
  },
  {
    name: 'fp-csel', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b11110 << 24) | (ftype(rng) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(16) << 12) | (0b11 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'fp-int', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => {
      // FCVT{N,P,M,Z,A}{S,U}, {S,U}CVTF, FMOV general <-> FP (incl. the top half of V)
      const sf = rng.int(2);
      let ty = ftype(rng);
      let rmode = rng.int(4);
      let opcode = rng.int(8);
      if (opcode >= 2 && opcode <= 5) rmode = 0;
      if (opcode >= 6) {
        rmode = 0;
        ty = sf;
        if (rng.bit(0.25)) {
          ty = 2;
          rmode = 1;
        }
      }
      return [u((sf << 31) | (0b11110 << 24) | (ty << 22) | (1 << 21) | (rmode << 19) | (opcode << 16) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'fp-fixed', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => {
      const sf = rng.int(2);
      const [rmode, opcode] = rng.pick([[0, 2], [0, 3], [3, 0], [3, 1]] as const);
      const scale = sf ? rng.range(0, 63) : rng.range(32, 63);
      return [u((sf << 31) | (0b11110 << 24) | (ftype(rng) << 22) | (rmode << 19) | (opcode << 16) | (scale << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'fp-imm', v: true, data: false, maxLen: 2,
    gen: ({ rng }) => [u((0b11110 << 24) | (ftype(rng) << 22) | (1 << 21) | (rng.int(256) << 13) | (0b100 << 10) | r5(rng))],
  },
];

// ---- Advanced SIMD ---------------------------------------------------------------------------
// These templates randomise opcode fields wholesale and rely on the llvm-mc filter.

const q = (rng: Rng) => rng.int(2);
const simd: InsnClass[] = [
  {
    name: 'simd-3same', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b01110 << 24) | (rng.int(4) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(32) << 11) | (1 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-3diff', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b01110 << 24) | (rng.int(4) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(16) << 12) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-2misc', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b01110 << 24) | (rng.int(4) << 22) | (0b10000 << 17) | (rng.int(32) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-across', v: true, data: false, maxLen: 3,
    // (S|U)ADDLV, (S|U)MAXV, (S|U)MINV, ADDV, FMAXNMV/FMINNMV, FMAXV/FMINV
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b01110 << 24) | (rng.int(4) << 22) | (0b11000 << 17) | (rng.pick([3, 10, 26, 27, 12, 15]) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-copy', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => {
      // DUP (element, general), INS (general, element), SMOV, UMOV
      const op = rng.bit(0.25) ? 1 : 0;
      const imm4 = op ? rng.int(16) : rng.pick([0, 1, 3, 5, 7]);
      return [u((q(rng) << 30) | (op << 29) | (0b01110000 << 21) | (rng.range(1, 31) << 16) | (imm4 << 11) | (1 << 10) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'simd-modimm', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b0111100000 << 19) | (rng.int(8) << 16) | (rng.int(16) << 12) | (1 << 10) | (rng.int(32) << 5) | r5(rng))],
  },
  {
    name: 'simd-shift', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b011110 << 23) | (rng.range(1, 15) << 19) | (rng.int(8) << 16) | (rng.int(32) << 11) | (1 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-perm', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (0b001110 << 24) | (rng.int(4) << 22) | (r5(rng) << 16) | (rng.int(8) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-ext-tbl', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => {
      const qq = q(rng);
      if (rng.bit()) return [u((qq << 30) | (0b101110 << 24) | (r5(rng) << 16) | (rng.int(qq ? 16 : 8) << 11) | (r5(rng) << 5) | r5(rng))];
      return [u((qq << 30) | (0b001110 << 24) | (r5(rng) << 16) | (rng.int(4) << 13) | (rng.int(2) << 12) | (r5(rng) << 5) | r5(rng))];
    },
  },
  {
    name: 'simd-elem', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((q(rng) << 30) | (rng.int(2) << 29) | (0b01111 << 24) | (rng.int(4) << 22) | (rng.int(4) << 20) | (rng.int(16) << 16) | (rng.int(16) << 12) | (rng.int(2) << 11) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-3same', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b01 << 30) | (rng.int(2) << 29) | (0b11110 << 24) | (rng.int(4) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.int(32) << 11) | (1 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-3diff', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b01 << 30) | (0b011110 << 24) | (rng.int(4) << 22) | (1 << 21) | (r5(rng) << 16) | (rng.pick([9, 11, 13]) << 12) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-2misc', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b01 << 30) | (rng.int(2) << 29) | (0b11110 << 24) | (rng.int(4) << 22) | (0b10000 << 17) | (rng.int(32) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-pair', v: true, data: false, maxLen: 3,
    // ADDP, FMAXNMP/FMINNMP, FADDP, FMAXP/FMINP
    gen: ({ rng }) => [u((0b01 << 30) | (rng.int(2) << 29) | (0b11110 << 24) | (rng.int(4) << 22) | (0b11000 << 17) | (rng.pick([27, 12, 13, 15]) << 12) | (0b10 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-shift', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b01 << 30) | (rng.int(2) << 29) | (0b111110 << 23) | (rng.range(1, 15) << 19) | (rng.int(8) << 16) | (rng.int(32) << 11) | (1 << 10) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-elem', v: true, data: false, maxLen: 3,
    // FMLA, FMLS, FMUL(X), SQDMLAL, SQDMLSL, SQDMULL, SQDMULH, SQRDMULH by element
    gen: ({ rng }) => [u((0b01 << 30) | (rng.int(2) << 29) | (0b11111 << 24) | (rng.int(4) << 22) | (rng.int(4) << 20) | (rng.int(16) << 16) | (rng.pick([1, 3, 5, 7, 9, 11, 12, 13]) << 12) | (rng.int(2) << 11) | (r5(rng) << 5) | r5(rng))],
  },
  {
    name: 'simd-scalar-copy', v: true, data: false, maxLen: 3,
    gen: ({ rng }) => [u((0b01011110000 << 21) | (rng.range(1, 31) << 16) | (1 << 10) | (r5(rng) << 5) | r5(rng))],
  },
];

// Sequences mixing register-only classes, so results flow between integer, FP and SIMD
// instructions (flags from FCMP into CSEL, FMOV between files, ...).
const regOnly = [...dp, ...fp, ...simd];
const mix: InsnClass = {
  name: 'mix-reg', v: true, data: false, maxLen: 4,
  gen: (ctx) => ctx.rng.pick(regOnly).gen(ctx),
};

// Sequences mixing the data-window classes (integer and SIMD&FP, all addressing modes).
const memMix = ls.filter((c) => c.data && c.name !== 'ls-exclusive');
const mixMem: InsnClass = {
  name: 'mix-mem', v: true, data: true, maxLen: 3,
  gen: (ctx) => ctx.rng.pick(memMix).gen(ctx),
};

export const CLASSES: InsnClass[] = [...dp, ...ls, ...fp, ...simd, mix, mixMem];

// Mnemonics that may come out of a loose template but must not be run: they branch, trap,
// depend on the implementation or belong to optional extensions llvm-mc still accepts.
const FORBIDDEN = new Set(['udf', 'b', 'bl', 'br', 'blr', 'ret', 'svc', 'hvc', 'smc', 'brk', 'hlt', 'sys', 'sysl', 'msr', 'mrs', 'hint', 'nop', 'yield', 'wfe', 'wfi', 'sev', 'sevl', 'dmb', 'dsb', 'isb', 'clrex', 'bti']);
export function forbidden(dis: string): boolean {
  const m = dis.split(' ')[0];
  if (FORBIDDEN.has(m) || m.startsWith('b.') || /^(aes|sha)/.test(m)) return true;
  return /^pmull2? .*\.1q/.test(dis); // 64-bit polynomial multiply is the crypto extension
}

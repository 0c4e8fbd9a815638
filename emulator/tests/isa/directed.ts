// Directed cases: hand-picked assembly snippets for every instruction class, with inputs chosen
// to hit the edges (carries, overflow, divide by zero, INT_MIN / -1, shift amounts >= width,
// every condition code against every flag combination, every addressing mode, NaNs, infinities,
// denormals, every rounding mode). Snippets are plain assembly (llvm-mc assembles them with the
// batch); labels inside snippets are numeric (2..9) and used with f/b suffixes.
import { WINDOW, type CaseState } from './harness.ts';
import { placeBases } from './classes.ts';
import { Rng, randomState } from './random.ts';
import type { Case } from './campaign.ts';

interface Opts {
  x?: Record<number, bigint | number>;
  sp?: bigint | number;
  nzcv?: number;
  fpcr?: number;
  v?: boolean;
  data?: boolean;
  vregs?: Record<number, [bigint, bigint]>; // [low, high] 64-bit halves
  fault?: string; // the signal qemu-aarch64 must die with (the emulator must fault alike)
  known?: string; // a documented deliberate difference (see Case.knownDiff)
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function mk(cls: string, name: string, asm: string[], o: Opts = {}): Case {
  const rng = new Rng(hash(name));
  const state: CaseState = randomState(rng, { v: !!o.v, data: !!o.data });
  if (o.data) placeBases({ rng, state, pos: 0 });
  for (const [k, v] of Object.entries(o.x ?? {})) state.x[Number(k)] = BigInt.asUintN(64, BigInt(v));
  if (o.sp !== undefined) state.sp = BigInt(o.sp);
  state.nzcv = o.nzcv ?? 0;
  if (o.fpcr !== undefined) state.fpcr = o.fpcr;
  if (o.vregs && state.v) {
    const dv = new DataView(state.v.buffer);
    for (const [k, [lo, hi]] of Object.entries(o.vregs)) {
      dv.setBigUint64(Number(k) * 16, BigInt.asUintN(64, lo), true);
      dv.setBigUint64(Number(k) * 16 + 8, BigInt.asUintN(64, hi), true);
    }
  }
  return { cls, id: name, asm, words: [], state, dis: asm, expectFault: o.fault, knownDiff: o.known };
}

const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];
const EDGE = [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x123456789abcdef0n];

function dataProcessing(): Case[] {
  const c: Case[] = [];
  const pairs: [bigint, bigint][] = [];
  for (const a of EDGE) for (const b of EDGE) pairs.push([a, b]);
  // add/sub/adds/subs/adc/sbc with every edge pair and both carry values, 64 and 32 bit
  pairs.forEach(([a, b], i) => {
    for (const op of ['adds', 'subs', 'adcs', 'sbcs', 'add', 'sub', 'adc', 'sbc']) {
      c.push(mk('d-addsub', `${op}-x-${i}`, [`${op} x0, x1, x2`], { x: { 1: a, 2: b }, nzcv: i & 1 ? 0x20000000 : 0 }));
      c.push(mk('d-addsub', `${op}-w-${i}`, [`${op} w0, w1, w2`], { x: { 1: a, 2: b }, nzcv: i & 2 ? 0x20000000 : 0 }));
    }
    for (const op of ['udiv', 'sdiv', 'lslv', 'lsrv', 'asrv', 'rorv', 'mul', 'smulh', 'umulh']) {
      c.push(mk('d-muldiv-shift', `${op}-x-${i}`, [`${op} x0, x1, x2`], { x: { 1: a, 2: b } }));
      if (op !== 'smulh' && op !== 'umulh') c.push(mk('d-muldiv-shift', `${op}-w-${i}`, [`${op} w0, w1, w2`], { x: { 1: a, 2: b } }));
    }
    c.push(mk('d-muldiv-shift', `madd-smaddl-${i}`, ['madd x0, x1, x2, x3', 'msub x4, x1, x2, x3', 'smaddl x5, w1, w2, x3', 'umsubl x6, w1, w2, x3', 'madd w7, w1, w2, w3', 'smsubl x8, w1, w2, x3', 'umaddl x9, w1, w2, x3'], { x: { 1: a, 2: b, 3: EDGE[i % EDGE.length] } }));
    c.push(mk('d-bits', `bits-${i}`, ['clz x0, x1', 'cls x3, x1', 'rbit x4, x1', 'rev x5, x1', 'rev16 x6, x1', 'rev32 x7, x1', 'clz w8, w2', 'cls w9, w2', 'rbit w10, w2', 'rev w11, w2', 'rev16 w12, w2'], { x: { 1: a, 2: b } }));
  });
  // shifted and extended register operands
  for (const sh of ['lsl #0', 'lsl #1', 'lsl #31', 'lsl #63', 'lsr #1', 'lsr #63', 'asr #7', 'asr #63']) {
    for (const op of ['add', 'subs', 'and', 'orr', 'eor', 'bics', 'orn', 'eon', 'ands']) c.push(mk('d-addsub', `${op}-sh-${sh}`, [`${op} x0, x1, x2, ${sh}`], { x: { 1: 0xfedcba9876543210n, 2: 0x8000000000000001n } }));
    if (!sh.startsWith('asr') || true) c.push(mk('d-logic', `ror-${sh}`, [`and x0, x1, x2, ror #${sh.split('#')[1]}`, `orr w3, w1, w2, ror #${Number(sh.split('#')[1]) & 31}`], { x: { 1: -1n, 2: 0x8000000000000001n } }));
  }
  for (const ext of ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx']) {
    for (const amt of [0, 1, 4]) {
      const rm = ext.endsWith('x') ? 'x2' : 'w2';
      c.push(mk('d-addsub', `ext-${ext}-${amt}`, [`add x0, x1, ${rm}, ${ext} #${amt}`, `subs x3, x1, ${rm}, ${ext} #${amt}`, `add x4, sp, ${rm}, ${ext} #${amt}`, `add sp, x1, ${rm}, ${ext} #${amt}`, `cmn w1, w2, ${ext.replace(/x$/, 'w')} #${amt}`], { x: { 1: 0x1234567890abcdefn, 2: 0xfffffffffff8f0f8n }, sp: 0x40001000 }));
    }
  }
  // immediates: shifted, to and from SP
  c.push(mk('d-addsub', 'imm-sp', ['add sp, sp, #0x10', 'add x0, sp, #0xfff', 'sub sp, x1, #1, lsl #12', 'adds x2, sp, #4', 'sub x3, sp, #0', 'cmp sp, #8', 'mov x4, sp'], { sp: 0x4000_0ff0, x: { 1: 0x10 } }));
  c.push(mk('d-addsub', 'imm-w', ['adds w0, w1, #0xfff', 'subs w2, w1, #1, lsl #12', 'cmn w1, #1', 'add wsp, w1, #3', 'mov w3, wsp'], { x: { 1: 0x7ffff000 } }));
  // logical immediates: many bitmask patterns, every element size
  const masks = ['0x5555555555555555', '0xaaaaaaaaaaaaaaaa', '0x3333333333333333', '0x0f0f0f0f0f0f0f0f', '0x00ff00ff00ff00ff', '0x0000ffff0000ffff', '0x00000000ffffffff', '0x1', '0x8000000000000000', '0x7fffffffffffffff', '0xfffffffffffffffe', '0x1010101010101010', '0x8181818181818181', '0xffff0000ffff0000', '0x00000000000ffff0', '0xfffff00000000fff', '0x6666666666666666', '0x7ffe7ffe7ffe7ffe'];
  for (const m of masks) {
    for (const op of ['and', 'orr', 'eor', 'ands']) c.push(mk('d-logic', `imm-${op}-${m}`, [`${op} x0, x1, #${m}`], { x: { 1: 0x0123456789abcdefn }, nzcv: 0xf0000000 }));
  }
  for (const m of ['0x55555555', '0xf0f0f0f0', '0x1', '0x80000000', '0x7fffffff', '0x0000ffff', '0x00ff00ff', '0xfffffffe']) {
    c.push(mk('d-logic', `imm-w-${m}`, [`and w0, w1, #${m}`, `orr w2, w1, #${m}`, `eor w3, w1, #${m}`, `ands w4, w1, #${m}`, `orr wsp, w1, #${m}`, `mov w5, wsp`], { x: { 1: 0xfedcba9876543210n } }));
  }
  // move wide
  c.push(mk('d-movewide', 'mov', ['movz x0, #0xffff, lsl #48', 'movn x1, #0x1234, lsl #16', 'movk x2, #0xbeef, lsl #32', 'movz w3, #0x8000, lsl #16', 'movn w4, #0', 'movk w5, #0x1234, lsl #16', 'movn x6, #0'], { x: { 2: -1n, 5: -1n } }));
  // ADR / ADRP are PC-relative: both runs execute at the same address
  c.push(mk('d-adr', 'adr', ['adr x0, .', 'adr x1, . + 0xfffff', 'adr x2, . - 0x100000', 'adrp x3, .', 'adrp x4, . + 0x12345000', 'adrp x5, . - 0x40000000']));
  // bitfield and extract
  for (const [i, v] of EDGE.entries()) {
    c.push(mk('d-bitfield', `bf-${i}`, ['sbfx x0, x1, #3, #17', 'ubfx x2, x1, #60, #4', 'bfi x3, x1, #8, #16', 'bfxil x4, x1, #56, #8', 'lsl x5, x1, #63', 'asr x6, x1, #63', 'sxtb x7, w1', 'sxth w8, w1', 'sxtw x9, w1', 'uxtb w10, w1', 'uxth w11, w1', 'sbfiz w12, w1, #31, #1', 'ubfiz x13, x1, #1, #63', 'bfm w14, w1, #31, #0', 'sbfm x15, x1, #62, #1'], { x: { 1: v, 3: 0xaaaaaaaaaaaaaaaan, 4: 0x5555555555555555n, 14: 0x12345678n } }));
    c.push(mk('d-bitfield', `extr-${i}`, ['extr x0, x1, x2, #1', 'extr x3, x1, x2, #63', 'extr w4, w1, w2, #17', 'ror x5, x1, #13', 'ror w6, w1, #31', 'extr x7, x1, x2, #0'], { x: { 1: v, 2: 0x8000000000000001n } }));
  }
  // conditional compare and select: every condition, every flag combination
  for (let f = 0; f < 16; f++) {
    const sel: string[] = [];
    CONDS.forEach((cond, k) => sel.push(`csel x${k}, x20, x21, ${cond}`));
    c.push(mk('d-condsel', `csel-${f}`, sel, { nzcv: f << 28, x: { 20: 0x20, 21: 0x21 } }));
    const inc = CONDS.map((cond, k) => `${['csinc', 'csinv', 'csneg'][k % 3]} ${k & 1 ? 'w' : 'x'}${k}, ${k & 1 ? 'w' : 'x'}20, ${k & 1 ? 'w' : 'x'}21, ${cond}`);
    c.push(mk('d-condsel', `csinc-${f}`, inc, { nzcv: f << 28, x: { 20: 0x7fffffff, 21: -0x8000000000000000n } }));
    c.push(mk('d-condsel', `cset-${f}`, CONDS.slice(0, 14).map((cond, k) => `${k & 1 ? 'csetm' : 'cset'} x${k}, ${cond}`), { nzcv: f << 28 }));
    for (const cond of CONDS) {
      c.push(mk('d-condcmp', `ccmp-${f}-${cond}`, [`ccmp x1, x2, #${15 - f}, ${cond}`, 'mrs x3, nzcv', `ccmn w1, #31, #${f}, ${cond}`, 'mrs x4, nzcv', `ccmp x2, #0, #5, ${cond}`], { nzcv: f << 28, x: { 1: 5, 2: 5 + (f & 3) - 1 } }));
    }
  }
  return c;
}

function branches(): Case[] {
  const c: Case[] = [];
  for (let f = 0; f < 16; f++) {
    for (const cond of CONDS) c.push(mk('d-branch', `b.${cond}-${f}`, [`b.${cond} 2f`, 'mov x0, #1', 'b 3f', '2: mov x0, #2', '3: nop'], { nzcv: f << 28 }));
  }
  for (const v of [0n, 1n, -1n, 0x100000000n, 0x80000000n]) {
    const n = v.toString(16);
    c.push(mk('d-branch', `cbz-${n}`, ['mov x9, #0', 'cbz x1, 2f', 'orr x9, x9, #1', '2: cbnz x1, 3f', 'orr x9, x9, #2', '3: cbz w1, 4f', 'orr x9, x9, #4', '4: cbnz w1, 5f', 'orr x9, x9, #8', '5: nop'], { x: { 1: v } }));
    c.push(mk('d-branch', `tbz-${n}`, ['mov x9, #0', 'tbz x1, #0, 2f', 'orr x9, x9, #1', '2: tbnz x1, #63, 3f', 'orr x9, x9, #2', '3: tbz w1, #31, 4f', 'orr x9, x9, #4', '4: tbnz x1, #32, 5f', 'orr x9, x9, #8', '5: nop'], { x: { 1: v } }));
  }
  c.push(mk('d-branch', 'bl-ret', ['bl 2f', 'b 3f', '2: mov x1, x30', 'ret', '3: adr x2, 4f', 'blr x2', 'b 5f', '4: add x3, x30, #1', 'ret x30', '5: adr x4, 6f', 'br x4', 'mov x5, #1', '6: nop']));
  c.push(mk('d-branch', 'ret-reg', ['adr x7, 2f', 'ret x7', 'mov x0, #1', '2: b 3f', 'mov x0, #2', '3: nop'], { x: { 0: 0 } }));
  return c;
}

function loadsStores(): Case[] {
  const c: Case[] = [];
  const W = (n: number) => WINDOW + n;
  const mem = (name: string, asm: string[], x: Record<number, bigint | number> = {}, v = false, fault?: string) => c.push(mk(v ? 'd-ls-simd' : 'd-ls', name, asm, { data: true, x: { 24: W(512), 25: W(515), ...x }, sp: W(512), v, fault }));
  mem('uimm', ['ldr x0, [x24]', 'ldr w1, [x24, #4]', 'ldrh w2, [x25, #2]', 'ldrb w3, [x24, #255]', 'ldrsb x4, [x24, #1]', 'ldrsb w5, [x24, #3]', 'ldrsh x6, [x25]', 'ldrsh w7, [x24, #6]', 'ldrsw x8, [x24, #8]', 'str x0, [x24, #16]', 'strh w0, [x25, #32]', 'strb w0, [x24, #40]', 'str w0, [sp, #48]', 'ldr x9, [sp, #56]']);
  mem('unscaled', ['ldur x0, [x25, #-1]', 'ldur w1, [x25, #-256]', 'ldurh w2, [x24, #255]', 'ldursb x3, [x24, #-7]', 'ldursh w4, [x25, #1]', 'ldursw x5, [x24, #-13]', 'stur x0, [x25, #17]', 'sturb w1, [x24, #-3]', 'sturh w2, [x24, #-5]', 'stur w0, [x25, #-200]']);
  mem('pre-post', ['ldr x0, [x24, #8]!', 'ldr w1, [x25], #-4', 'str x0, [x26, #-16]!', 'strb w1, [x27], #255', 'ldrsh x2, [x28, #-3]!', 'ldrsw x3, [x25, #7]!', 'str w3, [sp, #-16]!', 'ldr x4, [sp], #32', 'mov x5, sp']);
  mem('unpriv', ['ldtr x0, [x24, #8]', 'sttr w0, [x25, #-8]', 'ldtrsb x1, [x24, #1]', 'ldtrh w2, [x25, #-1]', 'sttrb w1, [x24, #100]']);
  for (const [ext, rm] of [['uxtw', 'w21'], ['lsl', 'x21'], ['sxtw', 'w21'], ['sxtx', 'x21']]) {
    for (const sh of [false, true]) {
      const idx = ext === 'uxtw' || ext === 'lsl' ? 0xffffffff00000010n : 0xfffffffffffffff0n;
      const x21 = ext === 'lsl' ? 0x10n : idx;
      const s = (k: number) => (sh ? ` #${k}` : ext === 'lsl' ? '' : '');
      const e = (k: number) => (ext === 'lsl' && !sh ? '' : `, ${ext}${s(k)}`);
      mem(`regoff-${ext}-${sh}`, [`ldr x0, [x24, ${rm}${e(3)}]`, `ldr w1, [x25, ${rm}${e(2)}]`, `ldrh w2, [x24, ${rm}${e(1)}]`, `ldrb w3, [x24, ${rm}${ext === 'lsl' ? (sh ? ', lsl #0' : '') : `, ${ext}${sh ? ' #0' : ''}`}]`, `ldrsw x4, [x24, ${rm}${e(2)}]`, `str x0, [x26, ${rm}${e(3)}]`, `strh w0, [x27, ${rm}${e(1)}]`, `prfm pldl1keep, [x24, ${rm}${e(3)}]`], { 21: x21 });
    }
  }
  mem('regoff-simd', ['ldr q0, [x24, x21, lsl #4]', 'ldr d1, [x24, w21, sxtw #3]', 'str s1, [x25, x21]', 'ldr h2, [x24, x21, lsl #1]', 'str b0, [x24, w21, uxtw]'], { 21: 2 }, true);
  mem('pairs', ['ldp x0, x1, [x24]', 'ldp w2, w3, [x25, #-8]', 'ldpsw x4, x5, [x24, #16]', 'stp x0, x1, [x26, #-16]!', 'ldp x6, x7, [x27], #16', 'stp w4, w5, [x28, #252]', 'ldnp x8, x9, [x24, #32]', 'stnp w1, w2, [x25, #-32]', 'ldpsw x10, x11, [x25], #-8', 'stp x0, x1, [sp, #-32]!', 'ldp x12, x13, [sp], #16', 'mov x14, sp']);
  mem('pairs-simd', ['ldp q0, q1, [x24]', 'ldp d2, d3, [x25, #-16]!', 'stp s2, s3, [x26], #8', 'stp q0, q1, [x27, #-64]', 'ldnp q4, q5, [x24, #32]', 'stnp d0, d1, [x25, #8]', 'ldp s6, s7, [sp, #-8]'], {}, true);
  mem('simd-single', ['ldr q0, [x24]', 'ldr d1, [x25, #8]', 'ldr s2, [x24, #-4]!', 'ldr h3, [x25], #2', 'ldr b4, [x24, #1]', 'str q0, [x26, #16]', 'stur d1, [x27, #-3]', 'str h3, [x28], #-2', 'ldur q5, [x25, #-17]'], {}, true);
  mem('simd-struct', ['ld1 {v0.16b}, [x24]', 'ld1 {v1.4s, v2.4s}, [x25], #32', 'ld2 {v3.8h, v4.8h}, [x24]', 'ld3 {v5.2s, v6.2s, v7.2s}, [x26], #24', 'ld4 {v8.4s, v9.4s, v10.4s, v11.4s}, [x27]', 'st1 {v0.2d, v1.2d}, [x28]', 'st2 {v3.4h, v4.4h}, [x26], #16', 'ld1 {v12.s}[1], [x24]', 'ld1r {v13.8b}, [x25]', 'ld2 {v14.h, v15.h}[7], [x24], #4', 'st4 {v8.b, v9.b, v10.b, v11.b}[15], [x27], #4', 'ld4r {v16.2d, v17.2d, v18.2d, v19.2d}, [x28]', 'st3 {v5.s, v6.s, v7.s}[3], [x24]'], {}, true);
  mem('literal', ['ldr x0, 2f', 'ldr w1, 2f', 'ldrsw x2, 2f', 'ldr q3, 2f', 'ldr d4, 2f', 'ldr s5, 2f', 'prfm pldl1keep, 2f', 'b 3f', '.p2align 4', '2: .quad 0x8899aabbccddeeff, 0xf0e0d0c0b0a09080', '3: nop'], {}, true);
  mem('exclusive', ['ldxr x0, [x24]', 'stxr w1, x0, [x24]', 'ldaxr w2, [x24]', 'stlxr w3, w2, [x24]', 'ldxrb w4, [x24]', 'stxrb w5, w4, [x24]', 'ldaxrh w6, [x24]', 'stlxrh w7, w6, [x24]', 'ldxp x8, x9, [x24]', 'stxp w10, x9, x8, [x24]', 'ldaxp w11, w12, [x24]', 'stlxp w13, w12, w11, [x24]', 'stxr w14, x0, [x24]']);
  mem('exclusive-fail', ['stxr w1, x0, [x24]', 'ldxr x2, [x24]', 'clrex', 'stxr w3, x2, [x24]', 'ldxr w4, [x24]', 'stxr w5, w4, [x24, #0]']);
  mem('acq-rel', ['ldar x0, [x24]', 'stlr x1, [x24]', 'ldarb w2, [x24]', 'stlrb w3, [x24]', 'ldarh w4, [x24]', 'stlrh w5, [x24]', 'ldar w6, [x24]', 'stlr w7, [x24]', 'ldr x8, [x24]']);
  mem('prefetch', ['prfm pldl1keep, [x24]', 'prfm pstl3strm, [x25, #8]', 'prfum plil2keep, [x25, #-3]', 'prfm #31, [x24]', 'ldr x0, [x24]']);
  // alignment faults of exclusives: qemu raises SIGBUS, the emulator must fault too
  mem('exclusive-unaligned', ['ldxr x0, [x25]'], {}, false, 'SIGBUS');
  mem('ldar-unaligned', ['ldar w0, [x25]'], {}, false, 'SIGBUS');
  return c;
}

function system(): Case[] {
  const c: Case[] = [];
  c.push(mk('d-sys', 'nzcv', ['mrs x0, nzcv', 'msr nzcv, x1', 'mrs x2, nzcv', 'cset x3, hi'], { nzcv: 0xa0000000, x: { 1: 0x6fffffff } }));
  c.push(mk('d-sys', 'tpidr', ['msr tpidr_el0, x1', 'mrs x2, tpidr_el0', 'mrs x3, tpidrro_el0'], { x: { 1: 0x123456789abcdef0n } }));
  c.push(mk('d-sys', 'fpcr-fpsr', ['mrs x0, fpcr', 'msr fpcr, x1', 'mrs x2, fpcr', 'msr fpsr, x3', 'mrs x4, fpsr', 'msr fpcr, xzr'], { v: true, fpcr: 0x00c00000, x: { 1: 0x07c00000, 3: 0xf800009f } }));
  c.push(mk('d-sys', 'barriers-hints', ['dmb ish', 'dsb sy', 'isb', 'nop', 'yield', 'clrex', 'mov x0, #7']));
  // DC ZVA zeroes one DCZID_EL0-sized block around an address inside the window
  c.push(mk('d-sys', 'dc-zva', ['mrs x0, dczid_el0', 'add x1, x24, #70', 'dc zva, x1'], { data: true }));
  c.push(mk('d-sys', 'cache-maint', ['dc civac, x24', 'dc cvau, x25', 'ic ivau, x24', 'dsb ish', 'isb', 'dc cvac, x26'], { data: true }));
  // identification registers visible at EL0 (implementation defined; the core should model
  // the CPU qemu is run with, a Cortex-A57)
  c.push(mk('d-sys-id', 'ctr', ['mrs x0, ctr_el0']));
  c.push(mk('d-sys-id', 'dczid', ['mrs x0, dczid_el0']));
  c.push(mk('d-sys-id', 'cntfrq', ['mrs x0, cntfrq_el0']));
  // CRC32/CRC32C (optional in v8.0, implemented by the core and the Cortex-A57 qemu models;
  // crc32c is what ext4 metadata checksums use): every size of both polynomials over edge
  // accumulators and data (upper bits of Wn and of Rm beyond the size must be ignored),
  // chained so each result feeds the next, and the write to WZR / read of XZR.
  const crcOps = ['crc32b', 'crc32h', 'crc32w', 'crc32x', 'crc32cb', 'crc32ch', 'crc32cw', 'crc32cx'];
  for (const [i, v] of EDGE.entries()) {
    c.push(mk('d-crc32', `crc32-${i}`, crcOps.map((op, k) => `${op} w${3 + k}, w1, ${k % 4 === 3 ? 'x2' : 'w2'}`), { x: { 1: v, 2: EDGE[(i + 3) % EDGE.length] } }));
    c.push(mk('d-crc32', `crc32-chain-${i}`, ['crc32x w0, w1, x2', 'crc32cw w3, w0, w1', 'crc32ch w0, w0, w3', 'crc32b w4, w0, w2', 'crc32cx w5, w4, x1', 'crc32w w6, w5, w5', 'crc32cb wzr, w6, w2', 'crc32cx w7, w6, xzr'], { x: { 1: EDGE[(i + 7) % EDGE.length], 2: v } }));
  }
  // sf must be 1 exactly for the X forms: the other combinations are unallocated
  c.push(mk('d-sys', 'crc32x-sf0', ['.inst 0x1ac24c20'], { fault: 'SIGILL' }));
  c.push(mk('d-sys', 'crc32cw-sf1', ['.inst 0x9ac25820'], { fault: 'SIGILL' }));
  // UNDEFINED at EL0: both must raise SIGILL / an Unknown-reason exception
  c.push(mk('d-sys', 'udf', ['udf #0'], { fault: 'SIGILL' }));
  c.push(mk('d-sys', 'el1-sysreg', ['mrs x0, sctlr_el1'], { fault: 'SIGILL' }));
  c.push(mk('d-sys', 'el1-msr', ['msr vbar_el1, x0'], { fault: 'SIGILL' }));
  c.push(mk('d-sys', 'unallocated', ['.inst 0x00000001'], { fault: 'SIGILL' }));
  c.push(mk('d-sys', 'v8.1-ldadd', ['.inst 0xf8200020'], { fault: 'SIGILL' })); // LSE atomics are not v8.0
  c.push(mk('d-sys', 'eret-el0', ['eret'], { fault: 'SIGILL' }));
  return c;
}

const D = {
  one: 0x3ff0000000000000n, mone: 0xbff0000000000000n, zero: 0n, mzero: 0x8000000000000000n, inf: 0x7ff0000000000000n,
  minf: 0xfff0000000000000n, qnan: 0x7ff8000000000000n, snan: 0x7ff4000000000000n, dmin: 1n, dmax: 0x000fffffffffffffn,
  nmin: 0x0010000000000000n, max: 0x7fefffffffffffffn, half: 0x3fe0000000000000n, two5: 0x4004000000000000n, mtwo5: 0xc004000000000000n,
  big: 0x43e0000000000000n, third: 0x3fd5555555555555n,
};
const S = {
  one: 0x3f800000n, zero: 0n, mzero: 0x80000000n, inf: 0x7f800000n, minf: 0xff800000n, qnan: 0x7fc00000n, snan: 0x7fa00000n,
  dmin: 1n, nmin: 0x00800000n, max: 0x7f7fffffn, two5: 0x40200000n, mtwo5: 0xc0200000n, big: 0x4f000000n, third: 0x3eaaaaabn,
};

function floatingPoint(): Case[] {
  const c: Case[] = [];
  const dv = Object.values(D);
  const sv = Object.values(S);
  const rmodes = [0, 1, 2, 3].map((r) => r << 22);
  // scalar double and single arithmetic over a grid of interesting inputs, each rounding mode,
  // with and without flush-to-zero / default NaN
  let n = 0;
  for (let i = 0; i < dv.length; i++) {
    for (let j = 0; j < dv.length; j += 1) {
      const fpcr = rmodes[n % 4] | (n % 7 === 0 ? 1 << 24 : 0) | (n % 5 === 0 ? 1 << 25 : 0);
      n++;
      const s1 = sv[i % sv.length];
      const s2 = sv[j % sv.length];
      c.push(mk('d-fp', `fp-d-${i}-${j}`, ['fadd d0, d1, d2', 'fsub d3, d1, d2', 'fmul d4, d1, d2', 'fdiv d5, d1, d2', 'fmax d6, d1, d2', 'fminnm d7, d1, d2', 'fnmul d8, d1, d2', 'fmadd d9, d1, d2, d10', 'fnmsub d11, d1, d2, d10', 'fsqrt d12, d1', 'fcmp d1, d2', 'mrs x0, nzcv', 'fcmpe d2, #0.0', 'mrs x1, nzcv', 'fccmp d1, d2, #3, ne', 'fcsel d13, d1, d2, lt'], { v: true, fpcr, vregs: { 1: [dv[i], -1n], 2: [dv[j], 5n], 10: [D.third, 0n] } }));
      c.push(mk('d-fp', `fp-s-${i}-${j}`, ['fadd s0, s1, s2', 'fsub s3, s1, s2', 'fmul s4, s1, s2', 'fdiv s5, s1, s2', 'fmin s6, s1, s2', 'fmaxnm s7, s1, s2', 'fmsub s9, s1, s2, s10', 'fnmadd s11, s1, s2, s10', 'fsqrt s12, s1', 'fcmpe s1, s2', 'mrs x0, nzcv', 'fabs s13, s1', 'fneg s14, s2'], { v: true, fpcr, vregs: { 1: [s1 | (0x12345678n << 32n), 0n], 2: [s2, 0n], 10: [S.third, 0n] } }));
    }
  }
  // conversions in every rounding mode
  for (const [k, val] of dv.entries()) {
    for (const rm of rmodes) {
      c.push(mk('d-fp-cvt', `cvt-d-${k}-${rm}`, ['fcvtzs x0, d1', 'fcvtzu x1, d1', 'fcvtns w2, d1', 'fcvtau x3, d1', 'fcvtms w4, d1', 'fcvtps x5, d1', 'fcvt s2, d1', 'fcvt h3, d1', 'frintx d4, d1', 'frinti d5, d1', 'frinta d6, d1', 'frintn d7, d1', 'fcvtzs w6, d1, #16', 'ucvtf d8, x1', 'scvtf s9, w2', 'fmov x7, d1', 'fmov d10, x3', 'fcvtzs x8, d1, #3', 'ucvtf d11, w4, #7'], { v: true, fpcr: rm, vregs: { 1: [val, 0n] } }));
    }
  }
  for (const [k, val] of sv.entries()) {
    c.push(mk('d-fp-cvt', `cvt-s-${k}`, ['fcvtzs x0, s1', 'fcvtzu w1, s1', 'fcvt d2, s1', 'fcvt h3, s1', 'fcvt s4, h3', 'fcvt d5, h3', 'frintm s6, s1', 'frintp s7, s1', 'frintz s8, s1', 'fmov w2, s1', 'fmov s9, w2', 'scvtf d10, x0', 'ucvtf s11, x0'], { v: true, fpcr: k % 3 === 0 ? 1 << 26 : 0, vregs: { 1: [val, 0n] } }));
  }
  c.push(mk('d-fp-mov', 'fmov-imm', ['fmov d0, #1.0', 'fmov s1, #-0.125', 'fmov d2, #31.0', 'fmov v3.4s, #2.5', 'fmov v4.2d, #-1.5', 'fmov d5, d1', 'fmov v6.d[1], x2', 'fmov x3, v1.d[1]', 'fmov s7, wzr', 'fmov d8, xzr'], { v: true, x: { 2: 0x1122334455667788n } }));
  c.push(mk('d-simd', 'movi', ['movi v0.16b, #0xab', 'movi v1.4h, #0x12, lsl #8', 'movi v2.4s, #0x34, lsl #24', 'movi v3.2s, #0x56, msl #16', 'movi d4, #0xff00ff0000ffff00', 'movi v5.2d, #0xffffffff00000000', 'mvni v6.8h, #0x7f', 'mvni v7.4s, #1, msl #8', 'orr v8.4s, #0x80, lsl #16', 'bic v9.8h, #0xff'], { v: true }));
  c.push(mk('d-simd', 'dup-ins-umov', ['dup v0.16b, w1', 'dup v1.8h, w1', 'dup v2.2d, x1', 'dup v3.4s, v10.s[3]', 'dup b4, v10.b[15]', 'ins v5.s[2], w1', 'ins v6.b[7], v10.b[3]', 'mov v7.d[1], v10.d[0]', 'umov w2, v10.b[9]', 'umov x3, v10.d[1]', 'smov x4, v10.h[3]', 'smov w5, v10.b[15]', 'mov w6, v10.s[1]'], { v: true, x: { 1: 0xfedcba9876543210n }, vregs: { 10: [0x8899aabbccddeeffn, 0x0011223344556677n] } }));
  c.push(mk('d-simd', 'int-vector', ['add v0.16b, v10.16b, v11.16b', 'sub v1.8h, v10.8h, v11.8h', 'mul v2.4s, v10.4s, v11.4s', 'cmeq v3.2d, v10.2d, v11.2d', 'cmgt v4.16b, v10.16b, v11.16b', 'uqadd v5.8b, v10.8b, v11.8b', 'sqsub v6.4h, v10.4h, v11.4h', 'and v7.16b, v10.16b, v11.16b', 'bsl v8.16b, v10.16b, v11.16b', 'addv s12, v10.4s', 'umaxv b13, v10.16b', 'ushr v14.2d, v10.2d, #7', 'shl v15.8h, v10.8h, #3', 'sshll v16.8h, v10.8b, #2', 'xtn v17.8b, v10.8h', 'uzp1 v18.4s, v10.4s, v11.4s', 'zip2 v19.16b, v10.16b, v11.16b', 'ext v20.16b, v10.16b, v11.16b, #5', 'tbl v21.16b, {v10.16b, v11.16b}, v12.16b', 'cnt v22.16b, v10.16b', 'uaddlv h23, v10.16b', 'sqrdmulh v24.8h, v10.8h, v11.h[5]', 'fmla v25.4s, v10.4s, v11.s[1]'], { v: true, vregs: { 10: [0x80ff7f0001fe8081n, 0x7fff8000ffff0001n], 11: [0x01ff807f7f80ff01n, 0x8000800080008000n] } }));
  return c;
}

let cache: Case[] | null = null;
export function directedCases(): Case[] {
  if (!cache) cache = [...dataProcessing(), ...branches(), ...loadsStores(), ...system(), ...floatingPoint()];
  // fresh copies: cases carry mutable state buffers
  return cache.slice();
}

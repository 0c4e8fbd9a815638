// Differential harness for the SIMD/FP unit: the same instruction runs over
// the same register states in qemu-aarch64 (QEMU's softfloat is the oracle)
// and in our AssemblyScript code (compiled with test doubles for the core's
// cpu.ts/mem.ts), and the results are compared bit for bit.
//
// Record layout shared by both sides:
//   in  (88 bytes): V0 V1 V2 V3 (16 each), X0, X1, NZCV
//   out (40 bytes): V0, X0, FPSR (low 32 bits; the high 32 bits carry the
//                   signal the instruction raised: 4 SIGILL, 11 SIGSEGV, which
//                   our side reports as 11 for a memory fault), NZCV
// Encodings come from llvm-mc (the encoding oracle), so a wrong decoder
// cannot agree with itself.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
export const IN_REC = 88;
export const OUT_REC = 40;
export const MAX_BATCH = 65536;

const work = join(tmpdir(), 'sis-simd-tests');
mkdirSync(work, { recursive: true });

// ---- encodings ---------------------------------------------------------------

export function encode(lines: string[]): number[] {
  const src = lines.join('\n') + '\n';
  const out = execFileSync('llvm-mc-19', ['--triple=aarch64', '-mattr=+fullfp16,+rdm,+dotprod,+i8mm,+sha3,+fptoint,+aes,+sha2,+complxnum,+fp16fml', '--show-encoding'], {
    input: src,
    encoding: 'utf8',
  });
  const encs: number[] = [];
  for (const m of out.matchAll(/encoding: \[0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2}),0x([0-9a-f]{2})\]/g)) {
    encs.push(parseInt(m[4] + m[3] + m[2] + m[1], 16) >>> 0);
  }
  if (encs.length !== lines.length) throw new Error(`llvm-mc encoded ${encs.length} of ${lines.length} lines`);
  return encs;
}

// ---- the qemu-aarch64 side -------------------------------------------------------

// Each table entry is 16 bytes: the instruction under test, a second one
// (NOP, or a load that reads back what a store wrote), RET, padding.
function guestSource(insns: number[], insns2: number[]): string {
  const table = insns.map((w, i) => `  .inst 0x${w.toString(16).padStart(8, '0')}\n  .inst 0x${insns2[i].toString(16).padStart(8, '0')}\n  ret\n  nop`).join('\n');
  return `
  .text
  .globl _start
_start:
  // the shared data window: mmap(MEM_BASE, MEM_SIZE, RW, PRIVATE|ANON|FIXED)
  mov x0, #${MEM_BASE}
  mov x1, #${MEM_SIZE}
  mov x2, #3
  mov x3, #0x32
  mov x4, #-1
  mov x5, #0
  mov x8, #222
  svc #0
  // fill word i with i * 0x9e3779b1 (memPattern below)
  mov x9, #${MEM_BASE}
  mov w10, #0
  movz w11, #0x79b1
  movk w11, #0x9e37, lsl #16
3:
  mul w12, w10, w11
  str w12, [x9, x10, lsl #2]
  add w10, w10, #1
  cmp w10, #${MEM_SIZE / 4}
  b.lo 3b
  // SIGILL and SIGSEGV handler: record the signal number and skip the
  // instruction (decode fuzzing; faulting accesses)
  adrp x0, sigact
  add x1, x0, :lo12:sigact
  adr x2, on_sigill
  adr x3, sig_restorer
  mov x4, #0x4
  movk x4, #0x400, lsl #16
  stp x2, x4, [x1]
  stp x3, xzr, [x1, #16]
  mov x0, #4
  mov x2, #0
  mov x3, #8
  mov x8, #134
  svc #0
  adrp x0, sigact
  add x1, x0, :lo12:sigact
  mov x0, #11
  mov x2, #0
  mov x3, #8
  mov x8, #134
  svc #0
  adrp x19, inbuf
  add x19, x19, :lo12:inbuf
  adrp x20, outbuf
  add x20, x20, :lo12:outbuf
  adrp x21, table
  add x21, x21, :lo12:table
batch:
  mov x0, x19
  mov x1, #16
  bl readfull
  cmp x0, #16
  b.ne done
  ldr w22, [x19]
  ldr w23, [x19, #4]
  ldr w24, [x19, #8]
  mov x25, #${IN_REC}
  mul x1, x24, x25
  mov x0, x19
  bl readfull
  mov x26, x19
  mov x27, x20
  add x28, x21, x22, lsl #4
  mov x25, x24
loop:
  cbz x25, flush
  ldp q0, q1, [x26]
  ldp q2, q3, [x26, #32]
  ldp x0, x1, [x26, #64]
  ldr x2, [x26, #80]
  msr nzcv, x2
  msr fpcr, x23
  msr fpsr, xzr
  adrp x9, sigflag
  str wzr, [x9, :lo12:sigflag]
  blr x28
  mrs x2, fpsr
  mrs x3, nzcv
  str q0, [x27]
  str x0, [x27, #16]
  stp x2, x3, [x27, #24]
  adrp x9, sigflag
  ldr w9, [x9, :lo12:sigflag]
  str w9, [x27, #28]
  add x26, x26, #${IN_REC}
  add x27, x27, #${OUT_REC}
  sub x25, x25, #1
  b loop
flush:
  mov x1, x20
  mov x2, #${OUT_REC}
  mul x2, x2, x24
  bl writefull
  b batch
done:
  mov x0, #0
  mov x8, #93
  svc #0
readfull:
  mov x9, x0
  mov x10, x1
  mov x11, #0
1:
  cmp x11, x10
  b.ge 2f
  mov x0, #0
  add x1, x9, x11
  sub x2, x10, x11
  mov x8, #63
  svc #0
  cmp x0, #0
  b.le 2f
  add x11, x11, x0
  b 1b
2:
  mov x0, x11
  ret
on_sigill:
  // x2 = ucontext; uc_mcontext.pc is at offset 440 on arm64 Linux
  ldr x9, [x2, #440]
  add x9, x9, #4
  str x9, [x2, #440]
  adrp x10, sigflag
  str w0, [x10, :lo12:sigflag]
  ret
sig_restorer:
  mov x8, #139
  svc #0
writefull:
  mov x9, x1
  mov x10, x2
  mov x11, #0
1:
  cmp x11, x10
  b.ge 2f
  mov x0, #1
  add x1, x9, x11
  sub x2, x10, x11
  mov x8, #64
  svc #0
  cmp x0, #0
  b.le 2f
  add x11, x11, x0
  b 1b
2:
  ret
  .p2align 4
table:
${table}
  .bss
  .p2align 4
sigact:
  .space 32
sigflag:
  .space 16
inbuf:
  .space ${IN_REC * MAX_BATCH}
outbuf:
  .space ${OUT_REC * MAX_BATCH}
`;
}

export const MEM_BASE = 0x1000_0000; // = tests/fp/double/mem.ts BASE
export const MEM_SIZE = 1 << 20;

export function buildGuest(insns: number[], insns2: number[]): string {
  const src = guestSource(insns, insns2);
  const h = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const elf = join(work, `guest-${h}.elf`);
  if (!existsSync(elf)) {
    const s = join(work, `guest-${h}.S`);
    writeFileSync(s, src);
    execFileSync('clang-19', ['--target=aarch64-linux-gnu', '-nostdlib', '-static', '-fuse-ld=lld', '-o', elf, s]);
  }
  return elf;
}

export interface Batch {
  index: number; // instruction index in the guest table
  fpcr: number;
  records: Buffer; // n * IN_REC
}

export function runQemu(elf: string, batches: Batch[]): Buffer {
  const parts: Buffer[] = [];
  for (const b of batches) {
    const n = b.records.length / IN_REC;
    if (n > MAX_BATCH) throw new Error('batch too large');
    const h = Buffer.alloc(16);
    h.writeUInt32LE(b.index, 0);
    h.writeUInt32LE(b.fpcr >>> 0, 4);
    h.writeUInt32LE(n, 8);
    parts.push(h, b.records);
  }
  const r = spawnSync('qemu-aarch64', ['-cpu', 'max', elf], { input: Buffer.concat(parts), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`qemu-aarch64 failed: ${r.status} ${r.stderr}`);
  return r.stdout;
}

// ---- the wasm side ----------------------------------------------------------------

export interface SimdUnit {
  exports: any;
  memory: WebAssembly.Memory;
  run(insn: number, insn2: number, fpcr: number, records: Buffer): { out: Buffer; undef: number };
}

// Compile the SIMD sources with the doubles into one wasm; cached by a hash
// of every source so the test files running in parallel share one build.
export async function buildUnit(): Promise<SimdUnit> {
  const simdSrc = join(repo, 'emulator/assembly/simd');
  const doubles = join(here, 'double');
  const files = [
    ...readdirSync(simdSrc).filter((f) => f.endsWith('.ts')).sort().map((f) => [join(simdSrc, f), join('simd', f)]),
    ...readdirSync(doubles).filter((f) => f.endsWith('.ts')).sort().map((f) => [join(doubles, f), f]),
  ];
  const h = createHash('sha256');
  for (const [src, rel] of files) h.update(rel).update(readFileSync(src));
  const key = h.digest('hex').slice(0, 16);
  const wasmPath = join(work, `unit-${key}.wasm`);
  if (!existsSync(wasmPath)) {
    const dir = join(work, `unit-src-${key}-${process.pid}`);
    mkdirSync(join(dir, 'simd'), { recursive: true });
    for (const [src, rel] of files) cpSync(src, join(dir, rel));
    const tmp = `${wasmPath}.${process.pid}.tmp`;
    execFileSync(process.execPath, [join(repo, 'node_modules/assemblyscript/bin/asc.js'), join(dir, 'entry.ts'),
      '-o', tmp, '-O3', '--runtime', 'stub'], { stdio: 'pipe' });
    renameSync(tmp, wasmPath);
  }
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
    env: { abort: () => { throw new Error('abort in simd unit'); } },
  });
  const ex = instance.exports as any;
  const memory = ex.memory as WebAssembly.Memory;
  ex.fillMem();
  const inPtr = Number(ex.bufPtr(MAX_BATCH * (IN_REC + OUT_REC)));
  const outPtr = inPtr + MAX_BATCH * IN_REC;
  return {
    exports: ex,
    memory,
    run(insn, insn2, fpcr, records) {
      const n = records.length / IN_REC;
      new Uint8Array(memory.buffer, inPtr, records.length).set(records);
      const undef = ex.runCases(insn >>> 0, insn2 >>> 0, fpcr >>> 0, n, inPtr, outPtr);
      const out = Buffer.from(new Uint8Array(memory.buffer, outPtr, n * OUT_REC));
      return { out, undef };
    },
  };
}

// ---- inputs ------------------------------------------------------------------------

// Deterministic PRNG (xorshift128+ on BigInt-free 32-bit halves).
export class Rng {
  private s: number[];
  constructor(seed: number) { this.s = [seed | 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162]; for (let i = 0; i < 20; i++) this.u32(); }
  u32(): number {
    const s = this.s;
    let t = s[3];
    let x = s[0];
    s[3] = s[2]; s[2] = s[1]; s[1] = x;
    t ^= t << 11; t ^= t >>> 8;
    s[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return s[0];
  }
  below(n: number): number { return this.u32() % n; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
}

// An interesting float of width N, left in outHi:outLo (outHi is 0 below
// 64 bits). nearHi:nearLo (another operand) biases the exponent and
// fraction so that additions cancel and round. Plain numbers, no BigInt or
// allocation: this runs for millions of lanes.
// Results of interestingBits (module state, to avoid allocating per lane).
let outHi = 0;
let outLo = 0;
const EXP_BITS = { 16: 5, 32: 8, 64: 11 } as const;
const FRAC_BITS = { 16: 10, 32: 23, 64: 52 } as const;

function put(N: number, F: number, sign: number, e: number, fHi: number, fLo: number): void {
  if (N === 64) { outHi = ((sign << 31) | (e << 20) | (fHi & 0xfffff)) >>> 0; outLo = fLo >>> 0; return; }
  outHi = 0;
  outLo = ((sign << (N - 1)) | (e << F) | (fLo & ((1 << F) - 1))) >>> 0;
}

export function interestingBits(r: Rng, N: 16 | 32 | 64, nearHi = -1, nearLo = 0): void {
  const E = EXP_BITS[N], F = FRAC_BITS[N];
  const emax = (1 << E) - 1;
  const bias = (1 << (E - 1)) - 1;
  const sign = r.below(2);
  const fHi = r.u32() & 0xfffff;
  const fLo = r.u32();
  const k = r.below(24);
  switch (k) {
    case 0: put(N, F, sign, 0, 0, 0); return;
    case 1: put(N, F, sign, emax, 0, 0); return;
    case 2: // quiet NaN
      if (N === 64) put(N, F, sign, emax, fHi | 0x80000, fLo); else put(N, F, sign, emax, 0, fLo | (1 << (F - 1)));
      return;
    case 3: // signalling NaN: quiet bit clear, payload nonzero
      if (N === 64) put(N, F, sign, emax, fHi & 0x7ffff, fLo | 1); else put(N, F, sign, emax, 0, (fLo & ((1 << (F - 1)) - 1)) | 1);
      return;
    case 4: case 5: put(N, F, sign, 0, fHi, (fHi | fLo) === 0 ? 1 : fLo); if (N !== 64 && (outLo & ((1 << F) - 1)) === 0) outLo |= 1; return;
    case 6: put(N, F, sign, 1, fHi, fLo); return;
    case 7: put(N, F, sign, emax - 1, fHi, fLo); return;
    case 8: put(N, F, sign, bias, 0, 0); return;
    case 9: { // small integers and halves
      const v = r.below(2) ? r.below(64) + 0.5 : r.below(1 << 12);
      const b = floatBits(sign ? -v : v, N);
      outHi = Number(b >> 32n); outLo = Number(b & 0xffffffffn);
      return;
    }
    case 10: { // near integer-conversion boundaries
      const p = BOUNDS[r.below(10)];
      const e = bias + p + r.below(3) - 1;
      const kind = r.below(3);
      if (e >= emax) { put(N, F, sign, emax - 1, fHi, fLo); return; }
      if (kind === 0) put(N, F, sign, e, 0, 0);
      else if (kind === 1) put(N, F, sign, e, 0xfffff, 0xffffffff);
      else put(N, F, sign, e, fHi, fLo);
      return;
    }
    case 11: case 12: case 13: case 14: case 15: case 16: {
      if (nearHi >= 0) {
        const ne = N === 64 ? (nearHi >>> 20) & 0x7ff : (nearLo >>> F) & emax;
        if (ne !== emax) {
          let e = ne + r.below(7) - 3;
          if (e < 0) e = 0;
          if (e >= emax) e = emax - 1;
          if (r.below(3) === 0) put(N, F, sign, e, nearHi & 0xfffff, (nearLo + r.below(5) - 2) >>> 0);
          else put(N, F, sign, e, fHi, fLo);
          return;
        }
      }
      put(N, F, sign, 1 + r.below(emax - 1), fHi, fLo);
      return;
    }
    case 17: case 18: put(N, F, sign, r.below(Math.min(3 * F, emax - 1)), fHi, fLo); return;
    case 19: { // mid exponents, few fraction bits (exact results)
      let e = bias + r.below(40) - 20;
      if (e < 1) e = 1;
      if (e >= emax) e = emax - 1;
      if (N === 64) put(N, F, sign, e, fHi & 0xf0000, 0); else put(N, F, sign, e, 0, fLo & (0xf << (F - 4)));
      return;
    }
    default:
      if (N === 64) { outHi = r.u32(); outLo = r.u32(); } else { outHi = 0; outLo = (r.u32() & (N === 32 ? 0xffffffff : 0xffff)) >>> 0; }
  }
}
const BOUNDS = [31, 32, 63, 64, 15, 16, 52, 53, 23, 24];

// BigInt form, for tests that want one value.
export function interestingFloat(r: Rng, N: 16 | 32 | 64): bigint {
  interestingBits(r, N);
  return (BigInt(outHi) << 32n) | BigInt(outLo);
}

export function floatBits(v: number, N: 16 | 32 | 64): bigint {
  const b = Buffer.alloc(8);
  if (N === 64) { b.writeDoubleLE(v); return b.readBigUInt64LE(); }
  if (N === 32) { b.writeFloatLE(v); return BigInt(b.readUInt32LE()); }
  // half: via float32 fields, values used here are exact in half
  b.writeFloatLE(v);
  const x = b.readUInt32LE();
  const s = (x >>> 31) << 15;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  if (((x >>> 23) & 0xff) === 0) return BigInt(s);
  if (e >= 31) return BigInt(s | 0x7c00);
  if (e <= 0) return BigInt(s);
  return BigInt(s | (e << 10) | ((x >>> 13) & 0x3ff));
}

export function interestingInt(r: Rng): bigint {
  const k = r.below(8);
  const mask64 = (1n << 64n) - 1n;
  switch (k) {
    case 0: return BigInt(r.below(256)) - 128n & mask64;
    case 1: { const p = BigInt(r.below(64)); return ((1n << p) + BigInt(r.below(5)) - 2n) & mask64; }
    case 2: { const p = BigInt(r.below(64)); return (-(1n << p) + BigInt(r.below(5)) - 2n) & mask64; }
    case 3: return r.u64() >> BigInt(r.below(64));
    default: return r.u64();
  }
}

// Fill a 128-bit register image with lanes of width N.
const EDGE_BYTES = [0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff];

export function fillVec(r: Rng, buf: Buffer, off: number, N: 16 | 32 | 64 | 0, near?: Buffer): void {
  if (N === 0) {
    // integer lanes: plain random, a copy of the neighbour (equal lanes for
    // compares), or bytes from the signed/unsigned edge values
    const k = r.below(4);
    if (k === 0 && near) { near.copy(buf, off, 0, 16); if (r.below(2)) buf[off + r.below(16)] ^= 1 << r.below(8); return; }
    if (k === 1) { for (let i = 0; i < 16; i++) buf[off + i] = EDGE_BYTES[r.below(8)]; return; }
    for (let k = 0; k < 16; k += 4) buf.writeUInt32LE(r.u32(), off + k);
    return;
  }
  const lanes = 128 / N;
  for (let i = 0; i < lanes; i++) {
    if (!near) interestingBits(r, N);
    else if (N === 64) interestingBits(r, N, near.readUInt32LE(i * 8 + 4), near.readUInt32LE(i * 8));
    else if (N === 32) interestingBits(r, N, 0, near.readUInt32LE(i * 4));
    else interestingBits(r, N, 0, near.readUInt16LE(i * 2));
    if (N === 64) { buf.writeUInt32LE(outLo, off + i * 8); buf.writeUInt32LE(outHi, off + i * 8 + 4); }
    else if (N === 32) buf.writeUInt32LE(outLo, off + i * 4);
    else buf.writeUInt16LE(outLo & 0xffff, off + i * 2);
  }
}

export interface Spec {
  asm: string;
  lanes: 16 | 32 | 64 | 0; // float width used to fill V1..V3 (0 = random bits)
  xin?: boolean; // fill X0/X1 with interesting integers
  mem?: boolean; // X0/X1 are addresses inside the shared data window
  asm2?: string; // a second instruction run after the first (default NOP)
}

export function makeRecords(r: Rng, spec: Spec, n: number): Buffer {
  const b = Buffer.alloc(n * IN_REC);
  for (let i = 0; i < n; i++) {
    const o = i * IN_REC;
    fillVec(r, b, o, spec.lanes);
    fillVec(r, b, o + 16, spec.lanes);
    fillVec(r, b, o + 32, spec.lanes, r.below(2) ? b.subarray(o + 16, o + 32) : undefined);
    fillVec(r, b, o + 48, spec.lanes, r.below(2) ? b.subarray(o + 16, o + 32) : undefined);
    if (spec.mem) {
      for (const k of [64, 72]) {
        let a = 4096 + r.below(MEM_SIZE - 8192);
        if (r.below(2)) a &= ~15;
        b.writeBigUInt64LE(BigInt(MEM_BASE + a), o + k);
      }
    } else if (spec.xin) {
      b.writeBigUInt64LE(interestingInt(r), o + 64);
      b.writeBigUInt64LE(interestingInt(r), o + 72);
    } else {
      for (let k = 64; k < 80; k += 4) b.writeUInt32LE(r.u32(), o + k);
    }
    b.writeUInt32LE((r.below(16) << 28) >>> 0, o + 80);
  }
  return b;
}

export const FPCR_MODES: number[] = (() => {
  const m: number[] = [];
  for (let rmode = 0; rmode < 4; rmode++) for (const fz of [0, 1]) for (const dn of [0, 1]) m.push((rmode << 22) | (fz << 24) | (dn << 25));
  return m;
})();

export interface Mismatch { asm: string; fpcr: number; input: string; qemu: string; ours: string }

function hex(b: Buffer): string { return b.toString('hex'); }

// Run every spec under every FPCR mode, n records each; return mismatches
// (at most `limit`) and the number of records compared.
export async function differential(unit: SimdUnit, specs: Spec[], n: number, seed: number, fpcrs = FPCR_MODES,
  limit = 20): Promise<{ compared: number; mismatches: Mismatch[]; undef: string[] }> {
  const insns = encode(specs.map((s) => s.asm));
  const insns2 = encode(specs.map((s) => s.asm2 ?? 'nop'));
  const elf = buildGuest(insns, insns2);
  const r = new Rng(seed);
  const batches: Batch[] = [];
  for (let i = 0; i < specs.length; i++) {
    for (const f of fpcrs) batches.push({ index: i, fpcr: f, records: makeRecords(r, specs[i], n) });
  }
  const q = runQemu(elf, batches);
  unit.exports.fillMem(); // a fresh guest process starts from the pattern too
  let off = 0;
  let compared = 0;
  const mismatches: Mismatch[] = [];
  const undef: string[] = [];
  for (const b of batches) {
    const cnt = b.records.length / IN_REC;
    const expect = q.subarray(off, off + cnt * OUT_REC);
    off += cnt * OUT_REC;
    const { out, undef: u } = unit.run(insns[b.index], insns2[b.index], b.fpcr, b.records);
    if (u > 0) { undef.push(specs[b.index].asm); continue; }
    if (expect.equals(out)) { compared += cnt; continue; }
    for (let i = 0; i < cnt; i++) {
      compared++;
      const e = expect.subarray(i * OUT_REC, (i + 1) * OUT_REC);
      const o = out.subarray(i * OUT_REC, (i + 1) * OUT_REC);
      if (!e.equals(o) && mismatches.length < limit) {
        mismatches.push({ asm: specs[b.index].asm, fpcr: b.fpcr, input: hex(b.records.subarray(i * IN_REC, (i + 1) * IN_REC)), qemu: hex(e), ours: hex(o) });
      }
    }
  }
  if (off !== q.length) throw new Error(`qemu output length ${q.length}, expected ${off}`);
  return { compared, mismatches, undef: [...new Set(undef)] };
}

// ---- decode fuzzing ---------------------------------------------------------------------

export interface FuzzResult {
  tried: number;
  acceptedIllegal: string[]; // we executed, QEMU raised SIGILL: a decoder bug
  unimplemented: string[];   // QEMU executed, we raised UNDEF: missing coverage
  mismatches: Mismatch[];
  compared: number;
}

// Random words from the SIMD&FP data-processing space (op0 = x111) with
// Rd = 0 and Rn in 0..1 (so every general-register source or destination is
// X0/X1, which the harness sets), Rm in 0..3 half of the time and free
// otherwise (V4-V31 are zero on both sides and stay so: Rd is always 0).
export function randomSimdWords(r: Rng, n: number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    let w = r.u32();
    w = (w & ~(7 << 25)) | (7 << 25);     // bits 27:25 = 111
    w = (w & ~0x3ff) | (r.below(2) << 5); // Rd = 0, Rn = 0..1
    if (r.below(2)) w = (w & ~(31 << 16)) | (r.below(4) << 16);
    out.push(w >>> 0);
  }
  return out;
}

// Random words from the SIMD&FP load/store space (V bit set): register
// (immediate, register offset), pair, and structure forms. Rn is X0 or X1
// (addresses inside the data window), Rt is V0 where it is the only
// destination; register offsets and post-index registers are X0, X1 or XZR,
// so every address is known on both sides. Accesses outside the window fault
// on both sides (SIGSEGV there, memFault here) and are compared as such.
// LDR (literal) is left out: it is PC-relative and the PCs differ.
export function randomLdStWords(r: Rng, n: number): number[] {
  const out: number[] = [];
  const xreg3 = () => [0, 1, 31][r.below(3)];
  while (out.length < n) {
    let w = r.u32();
    const cls = r.below(3);
    if (cls === 0) {        // size 111 V 0x opc ...: single register
      w = (w & ~(0x3b << 24)) | (0x3c << 24);
      if (((w >>> 21) & 1) && !((w >>> 24) & 1)) w = (w & ~(31 << 16)) | (xreg3() << 16);
      w &= ~31;
    } else if (cls === 1) { // opc 101 V 0 ...: pair
      w = (w & ~(0x3e << 24)) | (0x2c << 24);
      w = (w & ~(31 << 10)) | ((1 + r.below(31)) << 10); // Rt2 != Rt
      w &= ~31;
    } else {                // 0 Q 00110 x ...: structures
      w = (w & ~(0xbf << 24)) | ((r.below(2) ? 0x0c : 0x0d) << 24);
      if ((w >>> 23) & 1) w = (w & ~(31 << 16)) | (xreg3() << 16);   // post-index register
      else if (r.below(4)) w &= ~(31 << 16);                        // else mostly the allocated Rm = 0
      w = (w & ~31) | [0, 31, 30, 29][r.below(4)];
    }
    w = (w & ~(31 << 5)) | (r.below(2) << 5);
    out.push(w >>> 0);
  }
  return out;
}

export async function fuzzDecode(unit: SimdUnit, words: number[], perInsn: number, seed: number, mem = false): Promise<FuzzResult> {
  const r = new Rng(seed);
  const nops = words.map(() => 0xd503201f);
  const elf = buildGuest(words, nops);
  const batches: Batch[] = words.map((w, i) => ({
    index: i,
    fpcr: FPCR_MODES[r.below(FPCR_MODES.length)],
    records: makeRecords(r, { asm: '', lanes: ([0, 16, 32, 64] as const)[r.below(4)], xin: r.below(2) === 0, mem }, perInsn),
  }));
  const q = runQemu(elf, batches);
  unit.exports.fillMem();
  const res: FuzzResult = { tried: words.length, acceptedIllegal: [], unimplemented: [], mismatches: [], compared: 0 };
  let off = 0;
  for (const b of batches) {
    const cnt = b.records.length / IN_REC;
    const expect = Buffer.from(q.subarray(off, off + cnt * OUT_REC));
    off += cnt * OUT_REC;
    const w = words[b.index];
    const hexw = w.toString(16).padStart(8, '0');
    const illegal = expect.readUInt32LE(28) === 4;
    const { out, undef } = unit.run(w, 0xd503201f, b.fpcr, b.records);
    if (illegal) {
      if (undef === 0) res.acceptedIllegal.push(hexw);
      continue;
    }
    if (undef > 0) { res.unimplemented.push(hexw); continue; }
    for (let i = 0; i < cnt; i++) {
      res.compared++;
      const e = expect.subarray(i * OUT_REC, (i + 1) * OUT_REC);
      const o = out.subarray(i * OUT_REC, (i + 1) * OUT_REC);
      if (!e.equals(o) && res.mismatches.length < 20) {
        res.mismatches.push({ asm: hexw, fpcr: b.fpcr, input: b.records.subarray(i * IN_REC, (i + 1) * IN_REC).toString('hex'), qemu: e.toString('hex'), ours: o.toString('hex') });
      }
    }
  }
  return res;
}

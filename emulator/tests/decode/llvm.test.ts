// The decoding table (emulator/decode/a64.decode) against llvm-mc's A64 disassembler, with the
// features our ID registers advertise (FP, AdvSIMD, CRC32, AES+PMULL, SHA1, SHA256; Armv8.0).
// - The generated decoder (decode.gen.ts, the same tree the interpreter's dispatch is emitted
//   from) agrees with a plain first-match reading of the table on every word sampled here.
// - Random encodings of every pattern disassemble as valid instructions, with a mnemonic the
//   pattern's asm= list allows.
// - Random encodings no pattern takes (uniform words, one-bit near misses of every pattern,
//   the UNALLOC carve-outs) are invalid for llvm-mc, except for the EXCEPTIONS below:
//   encodings llvm decodes that this CPU does not implement, each with its reason.
// The whole SIMD&FP space is table-driven and sampled like the rest,
// with llvm's Armv8.0 features: half precision arithmetic (FEAT_FP16) and FRINT32/64 are invalid
// for it and UNDEFINED here, as on the Cortex-A72 our ID registers describe.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTable, type Pattern } from '../../scripts/decodetree.ts';
import { TABLE } from '../../scripts/gen-decode.ts';
import * as D from '../../src/jit/decode.gen.ts';

const LLVM_MC = process.env.ISA_LLVM_MC ?? 'llvm-mc-19';
const MATTR = '+v8a,+fp-armv8,+neon,+crc,+aes,+sha2';

interface Exception { mask: number; value: number; why: string }
// Encodings llvm-mc accepts that the table leaves unallocated on purpose.
const EXCEPTIONS: Exception[] = [
  { mask: 0xffff0000, value: 0x00000000, why: 'UDF: the permanently undefined instruction; llvm names it, the CPU raises UNDEFINED for it, which is what it is for' },
  { mask: 0xffe0001f, value: 0xd4000003, why: 'SMC: no EL3 on this CPU (ID_AA64PFR0.EL3 = 0), so SMC is UNDEFINED' },
  { mask: 0xffe0001f, value: 0xd4a00001, why: 'DCPS1: no Debug state (no external debugger), UNDEFINED in Non-debug state' },
  { mask: 0xffe0001e, value: 0xd4a00002, why: 'DCPS2, DCPS3: as DCPS1' },
  { mask: 0xffffffff, value: 0xd6bf03e0, why: 'DRPS: UNDEFINED in Non-debug state' },
  { mask: 0xffd80000, value: 0xd5000000, why: 'op0 = 00 (hints, barriers, PSTATE) outside the encodings the Arm ARM allocates (e.g. Rt != 31): llvm prints them as a generic msr/mrs S0_op1_Cn_Cm_op2, which cannot name op0 = 0 registers' },
  { mask: 0xfff80000, value: 0xd5280000, why: 'SYSL: no implemented system instruction has a result' },
  { mask: 0xfff80000, value: 0xd5080000, why: 'SYS: llvm prints every op1/CRn/CRm/op2 as a generic "sys"; only the operations this CPU has are in the table' },
];
const excepted = (w: number) => EXCEPTIONS.find((e) => ((w & e.mask) >>> 0) === e.value);

let seed = 0x2026_1202;
const rand = () => { // xorshift32: repeatable samples
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed;
};

const table = parseTable(readFileSync(TABLE, 'utf8'));
const id = (name: string) => (name === 'UNALLOC' ? D.UNDEF : D.PATTERN_NAMES.indexOf(name));
const matches = (p: Pattern, w: number) => ((w & p.mask) >>> 0) === p.value;
/** The table read literally: the first pattern that matches (groups are ordered). */
function firstMatch(w: number): Pattern | undefined {
  return table.patterns.find((p) => matches(p, w));
}
const sample = (p: Pattern) => (((rand() & ~p.mask) | p.value) >>> 0);

/** llvm-mc on many words: for each, null (invalid) or the mnemonic. */
function disassemble(words: number[]): (string | null)[] {
  const input = words.map((w) => [0, 8, 16, 24].map((s) => '0x' + ((w >>> s) & 0xff).toString(16)).join(' ')).join('\n') + '\n';
  const r = spawnSync(LLVM_MC, ['--disassemble', '-triple=aarch64', `-mattr=${MATTR}`], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  const stdout = r.stdout, stderr = r.stderr; // invalid words: a warning on stderr naming the line
  const invalid = new Set<number>();
  for (const m of stderr.matchAll(/^<stdin>:(\d+):\d+: warning: invalid instruction encoding/gm)) invalid.add(Number(m[1]) - 1);
  const out = stdout.split('\n').filter((l) => l.startsWith('\t') && !l.startsWith('\t.text'));
  const res: (string | null)[] = [];
  let k = 0;
  for (let i = 0; i < words.length; i++) {
    if (invalid.has(i)) res.push(null);
    else res.push(out[k++].trim().split(/\s+/)[0]);
  }
  expect(k).toBe(out.length);
  return res;
}

const asmOk = (globs: string[], m: string) => globs.some((g) => (g.endsWith('*') ? m.startsWith(g.slice(0, -1)) : m === g));
const hex = (w: number) => '0x' + w.toString(16).padStart(8, '0');

describe('decoding table vs llvm-mc', () => {
  const allocated = table.patterns.filter((p) => p.name !== 'UNALLOC');

  it('every pattern has an asm= list (the mnemonics llvm-mc may print for it)', () => {
    expect(allocated.filter((p) => !p.asm).map((p) => `${p.name} (line ${p.line})`)).toEqual([]);
  });

  it('random encodings of every pattern are valid for llvm-mc, with the mnemonics the pattern names', () => {
    const words: number[] = [];
    const want: Pattern[] = [];
    for (const p of allocated) {
      for (let i = 0; i < 48; i++) {
        const w = sample(p);
        const f = firstMatch(w)!;
        expect(D.decode(w), `${hex(w)} (${p.name} line ${p.line})`).toBe(id(f.name));
        if (f !== p) continue; // taken by a more specific member of its group
        words.push(w); want.push(p);
      }
    }
    const got = disassemble(words);
    const bad: string[] = [];
    got.forEach((m, i) => {
      const p = want[i];
      if (m === null) bad.push(`${hex(words[i])} ${p.name} (line ${p.line}): invalid for llvm-mc`);
      else if (!asmOk(p.asm!, m)) bad.push(`${hex(words[i])} ${p.name} (line ${p.line}): llvm-mc says ${m}`);
    });
    expect(bad.slice(0, 40)).toEqual([]);
    expect(words.length).toBeGreaterThan(3000);
  });

  it('encodings no pattern takes are invalid for llvm-mc (near misses, UNALLOC carve-outs, random words)', () => {
    const words: number[] = [];
    const add = (w: number) => {
      const f = firstMatch(w);
      expect(D.decode(w), hex(w)).toBe(f ? id(f.name) : D.UNDEF);
      if (f && f.name !== 'UNALLOC') return;
      if (excepted(w)) return;
      words.push(w);
    };
    for (const p of table.patterns) {
      for (let i = 0; i < 48; i++) {
        const w = sample(p);
        if (p.name === 'UNALLOC') { add(w); continue; }
        // flip one of the pattern's fixed bits
        const fixed: number[] = [];
        for (let b = 0; b < 32; b++) if (p.mask & (1 << b)) fixed.push(b);
        add((w ^ (1 << fixed[rand() % fixed.length])) >>> 0);
      }
    }
    for (let i = 0; i < 6000; i++) add(rand());
    // and 4000 more from the SIMD&FP data-processing space (op0 = x111), the densest hand-decoded part once
    for (let i = 0; i < 4000; i++) add(((rand() & ~0x0e00_0000) | 0x0e00_0000) >>> 0);
    const got = disassemble(words);
    const bad: string[] = [];
    got.forEach((m, i) => { if (m !== null) bad.push(`${hex(words[i])}: UNDEFINED here, llvm-mc says ${m}`); });
    if (bad.length) console.log([...new Set(bad.map((b) => b.split(' ').pop()))].join(' '));
    expect(bad.slice(0, 40)).toEqual([]);
    expect(words.length).toBeGreaterThan(3000);
  });

  it('each exception is needed: llvm-mc accepts a sample of it', () => {
    const words = EXCEPTIONS.map((e) => {
      let w: number;
      do w = (((rand() & ~e.mask) | e.value) >>> 0); while (firstMatch(w));
      return w;
    });
    const got = disassemble(words);
    expect(got.map((m, i) => (m === null ? `${hex(words[i])} (${EXCEPTIONS[i].why}) is invalid for llvm-mc too` : null)).filter(Boolean)).toEqual([]);
    for (const w of words) expect(D.decode(w)).toBe(D.UNDEF);
  });
});

// The decoding table's generator (emulator/scripts/decodetree.ts, gen-decode.ts): the
// committed decoders are exactly what the table gives, and malformed or ambiguous tables are
// refused with a message that names the line and the problem.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, generateAS, generateTS, parseTable } from '../../scripts/decodetree.ts';
import { AS_OUT, SIMD_OUT, TS_OUT, generateAll } from '../../scripts/gen-decode.ts';
import * as D from '../../src/jit/decode.gen.ts';

describe('generated decoders', () => {
  it('are byte-identical to what the committed table generates', () => {
    const { as, ts, simd } = generateAll();
    expect(readFileSync(SIMD_OUT, 'utf8') === simd, 'emulator/assembly/simd/decode.gen.ts is stale: run npx tsx emulator/scripts/gen-decode.ts').toBe(true);
    expect(readFileSync(AS_OUT, 'utf8') === as, 'emulator/assembly/decode.gen.ts is stale: run npx tsx emulator/scripts/gen-decode.ts').toBe(true);
    expect(readFileSync(TS_OUT, 'utf8') === ts, 'emulator/src/jit/decode.gen.ts is stale: run npx tsx emulator/scripts/gen-decode.ts').toBe(true);
  });

  it('decode a few known words to their patterns, and fields with sign extension', () => {
    expect(D.decode(0x91000420)).toBe(D.ADD_imm); // add x0, x1, #1
    expect(D.decode(0x8b020020)).toBe(D.ADD_shift); // add x0, x1, x2
    expect(D.decode(0x17ffffff)).toBe(D.B_BL); // b .-4
    expect(D.F.imm26(0x17ffffff)).toBe(-1);
    expect(D.decode(0xd65f03c0)).toBe(D.RET);
    expect(D.decode(0xf9400020)).toBe(D.LDST_uimm); // ldr x0, [x1]
    expect(D.decode(0x00000000)).toBe(D.UNDEF); // udf #0
    expect(D.decode(0x92400000 | (0x3f << 10) | (1 << 22))).toBe(D.UNDEF); // and x0, x0, reserved mask (N = 1, imms = 111111)
    expect(D.decode(0x1e602820)).toBe(D.FP_2src); // fadd d0, d1, d0
    expect(D.decode(0x1ee02820)).toBe(D.UNDEF); // fadd h0, h1, h0: FEAT_FP16, not on this CPU
    expect(D.decode(0x1e6843e0)).toBe(D.UNDEF); // frint32z d0, d31: FEAT_FRINTTS, not on this CPU
    expect(D.decode(0x1ee2c020)).toBe(D.FP_1src); // fcvt d0, h1: Armv8.0
    expect(D.decode(0x4e60d420)).toBe(D.THREE_SAME_fp); // fadd v0.2d, v1.2d, v0.2d
    expect(D.decode(0x0e60d420)).toBe(D.UNDEF); // fadd with D lanes and Q 0: reserved
    expect(D.decode(0x4e401420)).toBe(D.UNDEF); // fadd v0.8h, v1.8h, v0.8h: FEAT_FP16, not on this CPU
    expect(D.decode(0x4ee28420)).toBe(D.THREE_SAME_int); // add v0.2d, v1.2d, v2.2d
    expect(D.decode(0x4ee29c20)).toBe(D.UNDEF); // mul with D lanes: reserved
    expect(D.decode(0x4ee2e020)).toBe(D.PMULL); // pmull2 v0.1q, v1.2d, v2.2d (FEAT_PMULL)
    expect(D.F.tbzbit(0xb6f80000)).toBe(63); // tbz x0, #63
  });
});

const field = (body: string) => `%rd 0:5\n${body}\n`;
const refused = (text: string): string => {
  try {
    const t = parseTable(text);
    generateTS(t);
    generateAS(t, new Map(t.names.map((n) => [n, './x'])));
  } catch (e) {
    if (e instanceof DecodeError) return e.message;
    throw e;
  }
  throw new Error('table accepted');
};

describe('the generator refuses bad tables', () => {
  it('a pattern that is not 32 bits wide', () => {
    expect(refused('A 0000 1111 0000 1111 0000 1111 0000 111')).toBe('a64.decode:1: the bit pattern is 31 bits wide, not 32');
    expect(refused('A 0000 1111 0000 1111 0000 1111 0000 11110')).toMatch(/^a64\.decode:1: the bit pattern is 33 bits wide, not 32$/);
    expect(refused('A 0000 1111 0000 1111 0000 1111 0000 111 x:2')).toMatch(/field x runs past bit 0/);
  });

  it('two patterns outside a group that match one encoding, with an example', () => {
    const msg = refused('A 1--- ---- ---- ---- ---- ---- ---- ----\nB ---- ---- ---- ---- ---- ---- ---- ---1');
    expect(msg).toBe('a64.decode:2: B overlaps A (line 1), e.g. on 0x80000001; put both in one { } group, more specific pattern first, or make them disjoint');
  });

  it('overlap is allowed inside a group, first match first, but not a member that can never match', () => {
    const t = parseTable('{\n  A 1--- ---- ---- ---- ---- ---- ---- ---1\n  B 1--- ---- ---- ---- ---- ---- ---- ----\n}');
    const ts = generateTS(t);
    expect(ts).toContain('export const A = 1;');
    expect(refused('{\n  B 1--- ---- ---- ---- ---- ---- ---- ----\n  A 1--- ---- ---- ---- ---- ---- ---- ---1\n}'))
      .toBe('a64.decode:3: A never matches: B (line 2) comes first in the group and matches all of it');
    expect(refused('{\n  A 1--- ---- ---- ---- ---- ---- ---- ---1\n  B 1--- ---- ---- ---- ---- ---- ---- ----\n}\nC ---- ---- ---- ---- ---- ---- ---- ---1'))
      .toMatch(/^a64\.decode:5: C overlaps A \(line 2\)/);
  });

  it('fields: redefinition, unexplained bits, unknown names', () => {
    expect(parseTable(field('A 0000 0000 0000 0000 0000 0000 000 rd:5')).patterns[0].fields).toEqual(['rd']); // the same definition again is fine
    expect(refused(field('A 0000 0000 0000 0000 0000 0000 0000 rd:4'))).toBe('a64.decode:2: field rd redefined as 0:4 (line 1 defines it as 0:5)');
    expect(refused('A 0000 0000 0000 0000 0000 0000 000. ....')).toBe("a64.decode:1: bit 4 is '.' but no field of A covers it");
    expect(refused('A 0000 0000 0000 0000 0000 0000 000. .... %nope')).toBe('a64.decode:1: unknown field %nope');
    expect(refused('A 0000 0000 0000 0000 0000 0000 0000 0000 @nope')).toBe('a64.decode:1: unknown format @nope');
  });

  it('groups and UNALLOC', () => {
    expect(refused('{\nA 0--- ---- ---- ---- ---- ---- ---- ----')).toBe('a64.decode:1: group not closed');
    expect(refused('}')).toBe('a64.decode:1: closing brace without an open group');
    expect(refused('UNALLOC 0--- ---- ---- ---- ---- ---- ---- ----')).toMatch(/^a64\.decode:1: UNALLOC carves an unallocated encoding out of a pattern/);
  });

  it('a handler the core does not export', () => {
    const t = parseTable('A 0--- ---- ---- ---- ---- ---- ---- ----');
    expect(() => generateAS(t, new Map())).toThrow('pattern A: no handler `export function A(insn: u32): void` in emulator/assembly');
  });

  it('formats merge with patterns; a clash is refused', () => {
    const t = parseTable('@f .... .... .... .... .... .... ... rd:5\nA 1--- ---- ---- ---- ---- ---- --- ..... @f');
    expect(t.patterns[0].mask >>> 0).toBe(0x80000000);
    expect(t.patterns[0].fields).toEqual(['rd']);
    expect(refused('@f 0... .... .... .... .... .... .... ....\nA 1--- ---- ---- ---- ---- ---- ---- ---- @f')).toBe('a64.decode:2: bit 31 is 1 in the pattern but 0 in format @f');
  });
});

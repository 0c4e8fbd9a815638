// Decode fuzzing against qemu-aarch64: random words from the whole SIMD&FP
// data-processing space, and from the SIMD&FP load/store space. QEMU (-cpu max) decides what is allocated: a word
// it rejects with SIGILL must raise UNDEF here too (never execute silently),
// and every word both sides execute must give the same V0/X0/FPSR/NZCV.
// Words QEMU executes but we do not implement (FP16 arithmetic, dot
// products, crypto, ...) are counted, not failed: they raise UNDEF.

import { describe, expect, it } from 'vitest';
import { buildUnit, fuzzDecode, randomLdStWords, randomSimdWords, Rng } from './harness';

const WORDS = Number(process.env.FP_FUZZ_WORDS ?? 6000);

describe('SIMD&FP decode fuzzing vs qemu-aarch64', () => {
  it('unallocated words raise UNDEF and executed words match', async () => {
    const unit = await buildUnit();
    const r = await fuzzDecode(unit, randomSimdWords(new Rng(0x5151), WORDS), 4, 99);
    expect(r.acceptedIllegal).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.compared).toBeGreaterThan(WORDS / 10); // a fair share was executed and compared
    console.log(`decode fuzz: ${r.tried} words, ${r.compared} records compared, ${r.unimplemented.length} executed by QEMU but UNDEF here`);
  });

  it('load/store words with the V bit: same registers, writeback, memory and faults', async () => {
    // X0/X1 point into the shared data window; accesses that leave it fault
    // on both sides (SIGSEGV in the guest, memFault here) and must agree.
    const unit = await buildUnit();
    const r = await fuzzDecode(unit, randomLdStWords(new Rng(0x1d57), WORDS), 4, 98, true);
    expect(r.acceptedIllegal).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.unimplemented).toEqual([]);
    expect(r.compared).toBeGreaterThan(WORDS);
  });
});

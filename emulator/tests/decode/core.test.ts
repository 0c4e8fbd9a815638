// The interpreter's generated dispatch (emulator/assembly/decode.gen.ts, compiled into
// emulator/build/core.wasm) against the translator's (emulator/src/jit/decode.gen.ts, checked
// against llvm-mc in llvm.test.ts): both come from one table through one generator, and here
// the core itself runs thousands of words - pattern samples, one-bit near misses, random words -
// one instruction each from reset (EL1, MMU and FP off), and raises UNDEFINED exactly for
// the words the TypeScript decoder calls unallocated. Patterns whose handlers may still raise
// UNDEFINED for run-time reasons (the system-register map of MRS/MSR, HLT without a host trap)
// and the SIMD&FP data-processing space (a hand-written sub-decoder) are checked one way only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTable } from '../../scripts/decodetree.ts';
import { TABLE } from '../../scripts/gen-decode.ts';
import * as D from '../../src/jit/decode.gen.ts';

const RUNTIME_UNDEF = new Set([D.MRS, D.MSR_reg, D.HLT]);

describe('interpreter dispatch', () => {
  it('raises UNDEFINED exactly where the table has no pattern', () => {
    let undefs = 0;
    const mod = new WebAssembly.Module(readFileSync(new URL('../../build/core.wasm', import.meta.url)));
    const core = new WebAssembly.Instance(mod, {
      env: {
        mmioRead: () => 0, mmioWrite: () => {}, hostNowTicks: () => 0, reportUndefined: () => { undefs++; },
        jitCompile: () => -1, abort: () => { throw new Error('core abort'); },
      },
    }).exports as Record<string, (...a: (number | bigint)[]) => number>;
    core.init(16 << 20);
    const mem = () => new DataView((core.memory as unknown as WebAssembly.Memory).buffer);
    const ram = core.ramPtr();

    let seed = 0x5eed_0001;
    const rand = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
    const table = parseTable(readFileSync(TABLE, 'utf8'));
    const words: number[] = [];
    for (const p of table.patterns) {
      for (let i = 0; i < 24; i++) {
        const w = ((rand() & ~p.mask) | p.value) >>> 0;
        words.push(w);
        const fixed: number[] = [];
        for (let b = 0; b < 32; b++) if (p.mask & (1 << b)) fixed.push(b);
        words.push((w ^ (1 << fixed[rand() % fixed.length])) >>> 0);
      }
    }
    for (let i = 0; i < 4000; i++) words.push(rand());

    const wrong: string[] = [];
    let checked = 0, raisedCount = 0;
    for (const w of words) {
      const id = D.decode(w);
      core.reset();
      core.setPC(0x4000_0000n);
      mem().setUint32(ram, w, true);
      const before = undefs;
      core.run(1);
      const raised = undefs !== before;
      if (RUNTIME_UNDEF.has(id) && raised) continue;
      checked++;
      if (raised) raisedCount++;
      if (raised !== (id === D.UNDEF)) {
        wrong.push(`0x${w.toString(16).padStart(8, '0')}: ${D.PATTERN_NAMES[id]}, core ${raised ? 'raised' : 'did not raise'} UNDEFINED`);
      }
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(checked).toBeGreaterThan(8000);
    // both outcomes well represented
    expect(raisedCount).toBeGreaterThan(2000);
    expect(checked - raisedCount).toBeGreaterThan(2000);
  });
});

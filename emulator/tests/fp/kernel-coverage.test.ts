// Every SIMD&FP encoding in the kernel images that are built (clang -O2
// output, disassembled by llvm-objdump) must be implemented: none may raise
// UNDEF in our unit. Semantics are covered by the differential tests; this
// catches a form the kernel starts using that the unit does not decode.
// Skips when no kernel has been built yet (make -C kernel-image).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildUnit } from './harness';

const here = dirname(fileURLToPath(import.meta.url));
const objRoot = resolve(here, '../../../kernel-image/build/obj');
const elfs = existsSync(objRoot)
  ? readdirSync(objRoot).map((d) => join(objRoot, d, 'sis-kernel.elf')).filter((p) => existsSync(p))
  : [];

function simdEncodings(elf: string): Map<number, string> {
  const out = execFileSync('llvm-objdump-19', ['-d', elf], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const found = new Map<number, string>();
  for (const line of out.split('\n')) {
    // "40082060: ad400440     ldp q0, q1, [x2]" (the word as one number)
    const m = /^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+(\S+)(.*)$/.exec(line);
    if (!m || m[2].startsWith('.') || m[2] === '<unknown>') continue;
    const w = parseInt(m[1], 16) >>> 0;
    const dp = ((w >>> 25) & 7) === 7;
    const ldst = ((w >>> 25) & 5) === 4 && ((w >>> 26) & 1) === 1;
    if (dp || ldst) found.set(w, `${m[2]}${m[3]}`.trim());
  }
  return found;
}

describe('kernel SIMD&FP coverage', () => {
  it.skipIf(elfs.length === 0)('every SIMD&FP instruction in the built kernels decodes', async () => {
    const unit = await buildUnit();
    const ex = unit.exports;
    const missing: string[] = [];
    let total = 0;
    for (const elf of elfs) {
      for (const [w, text] of simdEncodings(elf)) {
        total++;
        const before = ex.undefs();
        ex.execSimd(w);
        if (ex.undefs() !== before) missing.push(`${w.toString(16).padStart(8, '0')} ${text}`);
      }
    }
    expect(total).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});

// Generates the decoders from the A64 decoding table (emulator/decode/a64.decode):
//   emulator/assembly/decode.gen.ts  (interpreter dispatch, AssemblyScript)
//   emulator/src/jit/decode.gen.ts   (translator front end, TypeScript)
//   emulator/assembly/simd/decode.gen.ts  (the same dispatch for the SIMD&FP unit's own
//     patterns alone, for the FP suite, which builds simd/ without the rest of the core)
// Usage: npx tsx emulator/scripts/gen-decode.ts [--check]
//   --check: write nothing; exit 1 if a generated file differs from what the table gives.
// build-wasm runs it before compiling the core. Errors in the table exit 1 with the line.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecodeError, generateAS, generateTS, parseTable, subTable } from './decodetree.ts';

const emu = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TABLE = join(emu, 'decode', 'a64.decode');
export const AS_OUT = join(emu, 'assembly', 'decode.gen.ts');
export const TS_OUT = join(emu, 'src', 'jit', 'decode.gen.ts');
export const SIMD_OUT = join(emu, 'assembly', 'simd', 'decode.gen.ts');

/** Handler name -> module path (as imported from emulator/assembly/decode.gen.ts). */
export function handlerModules(): Map<string, string> {
  const dir = join(emu, 'assembly');
  const found = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.gen.ts')) {
        const mod = './' + relative(dir, p).replace(/\.ts$/, '');
        for (const m of readFileSync(p, 'utf8').matchAll(/^export function ([A-Za-z0-9_]+)\(insn: u32\): void/gm)) found.set(m[1], mod);
      }
    }
  };
  walk(dir);
  return found;
}

export function generateAll(): { as: string; ts: string; simd: string } {
  const t = parseTable(readFileSync(TABLE, 'utf8'));
  const modules = handlerModules();
  const inSimd = (n: string) => (modules.get(n) ?? '').startsWith('./simd/');
  const simd = generateAS(subTable(t, inSimd), modules, {
    cpu: '../cpu', fn: 'decodeSimd', rel: (m) => m.replace('./simd/', './'),
    what: 'The SIMD&FP unit\'s patterns alone (the FP suite runs simd/ without the core); the core uses ../decode.gen.ts.',
  });
  return { as: generateAS(t, modules), ts: generateTS(t), simd };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { as, ts, simd } = generateAll();
    if (process.argv.includes('--check')) {
      let bad = false;
      for (const [path, text] of [[AS_OUT, as], [TS_OUT, ts], [SIMD_OUT, simd]]) {
        if (readFileSync(path, 'utf8') !== text) { console.error(`gen-decode: ${relative(process.cwd(), path)} is stale; run npx tsx emulator/scripts/gen-decode.ts`); bad = true; }
      }
      process.exit(bad ? 1 : 0);
    }
    writeFileSync(AS_OUT, as);
    writeFileSync(TS_OUT, ts);
    writeFileSync(SIMD_OUT, simd);
  } catch (e) {
    if (e instanceof DecodeError) { console.error(`gen-decode: ${e.message}`); process.exit(1); }
    throw e;
  }
}

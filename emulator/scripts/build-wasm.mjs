// Build the emulator core: AssemblyScript (emulator/assembly) -> emulator/build/core.wasm.
// Usage: node emulator/scripts/build-wasm.mjs [--debug] [--wat]
//   --debug: unoptimised build with names and a source map (core-debug.wasm)
//   --wat: also write the text format
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const emu = join(here, '..');
const root = join(emu, '..');
const build = join(emu, 'build');
const args = process.argv.slice(2);
mkdirSync(build, { recursive: true });

const asc = join(root, 'node_modules', '.bin', 'asc');
const debug = args.includes('--debug');
const out = join(build, debug ? 'core-debug.wasm' : 'core.wasm');

// the decoders come from the decoding table (emulator/decode/a64.decode)
try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(here, 'gen-decode.ts')], { stdio: 'inherit', cwd: root });
} catch {
  process.stderr.write('build-wasm: gen-decode failed (its errors are above)\n');
  process.exit(1);
}

const ascArgs = [join(emu, 'assembly', 'index.ts'), '--runtime', 'stub', '-o', out, '--initialMemory', '8', '--noAssert', '--exportTable'];
if (debug) ascArgs.push('--debug', '-O0', '--sourceMap'); else ascArgs.push('-O3', '--converge');
if (args.includes('--wat')) ascArgs.push('-t', out.replace(/\.wasm$/, '.wat'));
try {
  execFileSync(asc, ascArgs, { stdio: 'inherit', cwd: root });
} catch {
  process.stderr.write('build-wasm: asc failed (its errors are above)\n');
  process.exit(1);
}
console.log(`build-wasm: ${out}`);

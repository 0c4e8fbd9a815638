// npm start: serves the dashboard (web/) with Vite on http://127.0.0.1:5173.
// Rebuilds the wasm core first, but only when a source under
// emulator/assembly/ is newer than emulator/build/core.wasm, and says which.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'emulator', 'build', 'core.wasm');
const kernel = join(root, 'kernel-image', 'dist', 'sis-kernel.img');

/** The newest file under dir: [path, mtimeMs]. */
function newest(dir) {
  let best = ['', 0];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const c = e.isDirectory() ? newest(p) : [p, statSync(p).mtimeMs];
    if (c[1] > best[1]) best = c;
  }
  return best;
}

const [src, srcTime] = newest(join(root, 'emulator', 'assembly'));
if (!existsSync(core)) {
  console.log('start: no emulator/build/core.wasm yet: building the wasm core (npm run build:wasm)...');
} else if (srcTime > statSync(core).mtimeMs) {
  console.log(`start: ${relative(root, src)} changed since the last wasm build: rebuilding the core (npm run build:wasm)...`);
} else {
  console.log('start: the wasm core is up to date (emulator/build/core.wasm), not rebuilding');
}
if (!existsSync(core) || srcTime > statSync(core).mtimeMs) {
  const r = spawnSync(process.execPath, [join(root, 'emulator', 'scripts', 'build-wasm.mjs')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error('start: the wasm build failed (see above); not starting the server');
    process.exit(1);
  }
}
if (!existsSync(kernel)) {
  console.error('start: no kernel-image/dist/sis-kernel.img: build it with npm run kernel');
  process.exit(1);
}
console.log('start: serving the dashboard with Vite (Ctrl-C stops it)');
const vite = spawn(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
vite.on('exit', (code) => process.exit(code ?? 0));

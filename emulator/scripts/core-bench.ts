// Core speed measurement: boots the kernel in-process with a given core.wasm
// (default emulator/build/core.wasm), waits for the prompt, runs the kernel's
// `bench N` command and prints instructions, host ms and MIPS for the boot
// and for the command. Several wasm files may be given to compare builds back
// to back in one run. The host may be shared: the CPU-time figure (this
// process's user+system time) is steadier than wall time. Usage:
//   npx tsx emulator/scripts/core-bench.ts [--iters N] [--cpu interp,jit] [a.wasm b.wasm ...]
// (--cpu: the CPU modes to run, each after the other; default interp)
import { readFileSync } from 'node:fs';
import { Machine } from '../src/machine.ts';
import { DEFAULT_KERNEL_PATH } from '../src/node-files.ts';
import type { CpuMode } from '../src/jit/jit.ts';

const args = process.argv.slice(2);
let iters = 200000;
const wasms: string[] = [];
let cpus: CpuMode[] = ['interp'];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--iters') iters = Number(args[++i]);
  else if (args[i] === '--cpu') cpus = args[++i].split(',') as CpuMode[];
  else wasms.push(args[i]);
}
if (!wasms.length) wasms.push(new URL('../build/core.wasm', import.meta.url).pathname);
const kernel = readFileSync(DEFAULT_KERNEL_PATH);

async function one(path: string, cpu: CpuMode): Promise<void> {
  let out = '';
  const dec = new TextDecoder();
  const wasm = await WebAssembly.compile(readFileSync(path));
  const m = await Machine.create({ kernel, wasm, clock: 'realtime', cpu, onUart: (b) => { out += dec.decode(b, { stream: true }); } });
  const done = m.run();
  const waitFor = async (re: RegExp, from: number) => {
    for (;;) {
      if (re.test(out.slice(from))) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const t0 = performance.now();
  await waitFor(/sis> $/, 0);
  const bootMs = performance.now() - t0;
  const bootI = m.stats().instret;
  const mark = out.length;
  const i0 = m.stats().instret, r0 = m.stats().runMs;
  m.input(`bench ${iters}\n`);
  const c0 = performance.now();
  const u0 = process.cpuUsage();
  await waitFor(/sis> $/, mark + 1);
  const ms = performance.now() - c0;
  const u = process.cpuUsage(u0);
  const cpuMs = (u.user + u.system) / 1000;
  const n = m.stats().instret - i0;
  const runMs = m.stats().runMs - r0;
  const lines = out.slice(mark).split('\n').filter((l) => l.startsWith('bench:'));
  console.log(`${path} (--cpu ${cpu})\n  boot: ${(bootI / 1e6).toFixed(1)} M insns in ${bootMs.toFixed(0)} ms\n  bench ${iters}: ${(n / 1e6).toFixed(1)} M insns in ${ms.toFixed(0)} ms wall (${runMs.toFixed(0)} ms running, ${cpuMs.toFixed(0)} ms CPU) = ${(n / runMs / 1000).toFixed(1)} MIPS wall, ${(n / cpuMs / 1000).toFixed(1)} MIPS per CPU-second\n  ${lines.join('\n  ')}`);
  m.stop();
  await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
}
for (const w of wasms) for (const c of cpus) await one(w, c);
process.exit(0);

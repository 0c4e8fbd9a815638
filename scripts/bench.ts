// `npm run bench`: the same kernel on our emulator and on QEMU TCG, measured
// in one run. For each machine: wall time from start to the first `sis> `,
// then the kernel's own `bench N` command (integer, memory and floating-point
// loops that print their guest time). The emulator runs with the realtime
// clock so its guest microseconds are host microseconds, comparable with
// QEMU's. Prints emulator MIPS and the emulator/QEMU time ratios. Measures,
// never asserts. Options: --iters N (default 200000), --kernel FILE,
// --no-qemu.
import { readFileSync } from 'node:fs';
import { PROMPT, runCommand, type SerialMachine } from '../kernel-image/tests/serial-machine.ts';
import { bootQemu } from '../kernel-image/tests/qemu-machine.ts';
import { EmulatorMachine } from '../emulator/src/serial-machine.ts';
import { DEFAULT_KERNEL_PATH } from '../emulator/src/node-files.ts';

interface Result {
  bootMs: number;
  loops: Record<string, number>; // guest microseconds per loop
  checks: Record<string, string>;
  commandMs: number;
  instructions?: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const iters = Number(arg('--iters') ?? 200_000);
const kernelPath = arg('--kernel') ?? DEFAULT_KERNEL_PATH;
const withQemu = !process.argv.includes('--no-qemu');
if (!Number.isInteger(iters) || iters < 1) {
  console.error('bench: --iters wants a positive whole number');
  process.exit(64);
}

function parseBench(answer: string): Pick<Result, 'loops' | 'checks'> {
  const loops: Record<string, number> = {};
  const checks: Record<string, string> = {};
  for (const m of answer.matchAll(/^bench: (\w+) \d+ iters (\d+) us check (0x[0-9a-f]+)$/gm)) {
    loops[m[1]] = Number(m[2]);
    checks[m[1]] = m[3];
  }
  if (!Object.keys(loops).length) throw new Error(`no bench lines in the answer:\n${answer}`);
  return { loops, checks };
}

async function measure(name: string, start: () => Promise<SerialMachine>, instret?: (m: SerialMachine) => number): Promise<Result> {
  process.stderr.write(`bench: booting ${name}...\n`);
  const t0 = performance.now();
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 120_000 });
    const bootMs = performance.now() - t0;
    process.stderr.write(`bench: ${name}: bench ${iters}...\n`);
    const i0 = instret?.(m);
    const c0 = performance.now();
    const answer = await runCommand(m, `bench ${iters}`, 600_000);
    const commandMs = performance.now() - c0;
    const instructions = i0 === undefined ? undefined : instret!(m) - i0;
    return { bootMs, commandMs, instructions, ...parseBench(answer) };
  } finally {
    await m.kill();
  }
}

const emuKernel = readFileSync(kernelPath);
const emu = await measure(
  'emulator',
  () => EmulatorMachine.start({ kernel: emuKernel, clock: 'realtime' }),
  (m) => (m as EmulatorMachine).machine.stats().instret,
);
const qemu = withQemu ? await measure('QEMU', () => bootQemu({ image: kernelPath })) : null;

const f = (x: number, d = 0) => x.toFixed(d).padStart(10);
const lines: string[] = [];
lines.push(`SIS bench, ${iters} iterations, kernel ${kernelPath}`);
lines.push(`${'measure'.padEnd(22)}${'emulator'.padStart(10)}${'QEMU'.padStart(10)}${'emu/QEMU'.padStart(10)}`);
const row = (label: string, e: number, q: number | undefined, unit: string) =>
  lines.push(`${(label + ' (' + unit + ')').padEnd(22)}${f(e)}${q === undefined ? '         -' : f(q)}${q ? f(e / q, 2) : '         -'}`);
row('boot to prompt', emu.bootMs, qemu?.bootMs, 'ms');
for (const k of Object.keys(emu.loops)) row(`bench ${k}`, emu.loops[k], qemu?.loops[k], 'us');
const total = (r: Result) => Object.values(r.loops).reduce((a, b) => a + b, 0);
row('bench total', total(emu), qemu ? total(qemu) : undefined, 'us');
lines.push('');
if (emu.instructions !== undefined) {
  lines.push(`emulator: ${(emu.instructions / 1e6).toFixed(1)} M instructions in ${emu.commandMs.toFixed(0)} ms for the bench command = ${(emu.instructions / emu.commandMs / 1000).toFixed(1)} MIPS`);
}
if (qemu) {
  const same = Object.keys(emu.checks).every((k) => emu.checks[k] === qemu.checks[k]);
  lines.push(`check values ${same ? 'identical' : 'DIFFER'} on both machines`);
}
console.log(lines.join('\n'));

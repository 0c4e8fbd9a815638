// A deterministic scripted session (Node): boots the kernel under the virtual clock with fixed
// run() budgets, types each line of a script when the prompt appears, and stops at power-off.
// Input is injected only at instruction counts that depend on the guest alone (the machine
// is run in steps of `step` instructions with runUntil), so the UART output and the final
// instruction count are a function of the kernel, the script and the CPU's semantics - the
// same in `interp` and `jit` mode. Used by the equivalence test and the bench.
import { readFileSync } from 'node:fs';
import { Machine } from '../machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule } from '../node-files.ts';
import type { CpuMode } from './jit.ts';

export interface ScriptResult { output: string; instret: number; exit: string; ms: number; machine: Machine }

export async function runScript(lines: string[], cpu: CpuMode, opts: { step?: number; maxInstret?: number; jitThreshold?: number; profile?: boolean; kernel?: Uint8Array } = {}): Promise<ScriptResult> {
  const step = opts.step ?? 100_000;
  const max = opts.maxInstret ?? 2_000_000_000;
  let out = '';
  const dec = new TextDecoder();
  const m = await Machine.create({
    kernel: opts.kernel ?? readFileSync(DEFAULT_KERNEL_PATH),
    wasm: await loadCoreModule(),
    clock: 'virtual',
    idleSpeedup: Infinity,
    rtcEpoch: 1_700_000_000,
    cpu,
    jitThreshold: opts.jitThreshold,
    profile: opts.profile,
    onUart: (b) => { out += dec.decode(b, { stream: true }); },
  });
  const t0 = performance.now();
  let next = 0;
  let seen = 0; // prompts answered
  let until = 0;
  for (;;) {
    until += step;
    if (until > max) throw new Error(`script did not finish in ${max} instructions; output tail:\n${out.slice(-400)}`);
    const exit = await m.runUntil(until);
    let count = 0;
    for (let i = out.indexOf('sis> '); i >= 0; i = out.indexOf('sis> ', i + 1)) count++;
    if (count > seen && next < lines.length) {
      seen = count;
      m.input(lines[next++] + '\n');
    }
    if (exit.code !== 5) return { output: out, instret: m.stats().instret, exit: exit.reason, ms: performance.now() - t0, machine: m };
  }
}

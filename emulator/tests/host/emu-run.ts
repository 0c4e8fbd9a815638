// Runs a raw guest program on the emulator (virtual clock) until it powers
// off and returns what it printed on UART0: the emulator side of the
// differential tests whose QEMU side is qemu-run.ts. `cpu` defaults to
// SIS_CPU (else the translator), as for every Machine.
import type { CpuMode } from '../../src/jit/jit.ts';
import { Machine } from '../../src/machine.ts';
import { loadCoreModule } from '../../src/node-files.ts';

export interface EmuRunOptions {
  cpu?: CpuMode;
  /** jit: translate block starts reached this often (1: everything, at its first visit). */
  jitThreshold?: number;
}

export async function runOnEmulator(program: Uint8Array, memMiB = 128, opts: EmuRunOptions = {}): Promise<string> {
  return (await runOnEmulatorStats(program, memMiB, opts)).out;
}

/** As runOnEmulator, with the instruction count and (jit) how many of them ran translated. */
export async function runOnEmulatorStats(
  program: Uint8Array,
  memMiB = 128,
  opts: EmuRunOptions = {},
): Promise<{ out: string; instret: number; translated?: number }> {
  let out = '';
  const m = await Machine.create({
    kernel: program,
    raw: true,
    wasm: await loadCoreModule(),
    memMiB,
    clock: 'virtual',
    ...(opts.cpu ? { cpu: opts.cpu } : {}),
    ...(opts.jitThreshold !== undefined ? { jitThreshold: opts.jitThreshold } : {}),
    onUart: (b) => (out += new TextDecoder().decode(b)),
  });
  const t = setTimeout(() => m.stop(), 60_000);
  const exit = await m.run();
  clearTimeout(t);
  if (exit.code !== 0) throw new Error(`emulator: ${exit.reason}\n${out.slice(-400)}`);
  const st = m.stats();
  return { out, instret: st.instret, ...(st.translated !== undefined ? { translated: st.translated } : {}) };
}

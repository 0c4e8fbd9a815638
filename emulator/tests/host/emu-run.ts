// Runs a raw guest program on the emulator (virtual clock) until it powers
// off and returns what it printed on UART0: the emulator side of the
// differential tests whose QEMU side is qemu-run.ts.
import { Machine } from '../../src/machine.ts';
import { loadCoreModule } from '../../src/node-files.ts';

export async function runOnEmulator(program: Uint8Array, memMiB = 128): Promise<string> {
  let out = '';
  const m = await Machine.create({
    kernel: program,
    wasm: await loadCoreModule(),
    memMiB,
    clock: 'virtual',
    onUart: (b) => (out += new TextDecoder().decode(b)),
  });
  const t = setTimeout(() => m.stop(), 60_000);
  const exit = await m.run();
  clearTimeout(t);
  if (exit.code !== 0) throw new Error(`emulator: ${exit.reason}\n${out.slice(-400)}`);
  return out;
}


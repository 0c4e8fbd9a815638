// Minimal console page: boots the kernel in the emulator worker through
// EmulatorClient, shows UART0 in a <pre>, sends lines typed in the input.
/// <reference types="vite/client" />
import { EmulatorClient } from '../emulator/src/client.ts';
import coreUrl from '../emulator/build/core.wasm?url';
import kernelUrl from '../kernel-image/dist/sis-kernel.img?url';

const term = document.getElementById('term') as HTMLPreElement;
const status = document.getElementById('status') as HTMLSpanElement;
const form = document.getElementById('form') as HTMLFormElement;
const line = document.getElementById('line') as HTMLInputElement;

const client = new EmulatorClient(new Worker(new URL('../emulator/src/worker.ts', import.meta.url), { type: 'module' }));

client.on('uart', () => {
  term.textContent = client.output.replace(/\r\n/g, '\n');
  term.scrollTop = term.scrollHeight;
});
client.on('exit', (e) => {
  status.textContent = `stopped: ${e.exit.reason} (${e.stats.instret.toLocaleString()} instructions)`;
});
client.on('undefined', (e) => {
  console.warn(`undefined instruction 0x${e.insn.toString(16).padStart(8, '0')} at ${e.pc}`);
});

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  client.input(line.value + '\r').catch((e) => { status.textContent = `input refused: ${(e as Error).message}`; });
  line.value = '';
});

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

async function main() {
  const params = new URLSearchParams(location.search);
  // ?kernel=URL&initrd=URL boot a user-supplied kernel (and initramfs) instead of the SIS kernel
  const initrdUrl = params.get('initrd');
  const [wasm, kernel, initrd] = await Promise.all([
    fetchBytes(coreUrl),
    fetchBytes(params.get('kernel') ?? kernelUrl),
    initrdUrl ? fetchBytes(initrdUrl) : Promise.resolve(undefined),
  ]);
  const mem = params.get('mem');
  await client.start({
    wasm,
    kernel,
    ...(initrd ? { initrd } : {}),
    ...(mem ? { memMiB: Number(mem) } : {}),
    ...(params.get('seed') ? { seed: params.get('seed')! } : {}),
    clock: params.get('clock') === 'virtual' ? 'virtual' : 'realtime',
    // The translator unless ?cpu=interp asks for the interpreter only.
    cpu: params.get('cpu') === 'interp' ? 'interp' : 'jit',
    append: params.get('append') ?? '',
  });
  status.textContent = 'running';
  setInterval(async () => {
    if (client.lastExit) return;
    try {
      const s = await client.stats();
      const jit =
        s.translated !== undefined
          ? `, ${((100 * s.translated) / Math.max(1, s.instret)).toFixed(0)}% translated (${s.compiledBlocks} blocks compiled in ${s.compileMs!.toFixed(0)} ms)`
          : '';
      status.textContent = `running - ${(s.instret / 1e6).toFixed(1)} M instructions, ${s.mips.toFixed(0)} MIPS${jit}`;
    } catch {
      /* stopped meanwhile */
    }
  }, 1000);
}

main().catch((e) => {
  status.textContent = `error: ${(e as Error).message}`;
});

// Debian's arm64 cloud kernel with a busybox initramfs, booted to the shell prompt on QEMU
// (`-M virt -cpu cortex-a72`) or on the emulator (in-process Machine), then a scripted session
// and `poweroff -f`. Shared by linux.test.ts (same session output on both) and `npm run bench`
// (wall time to the prompt on both, side by side).
import { spawn, spawnSync } from 'node:child_process';
import { Machine } from '../../src/machine.ts';
import { loadCoreModule } from '../../src/node-files.ts';
import type { CpuMode } from '../../src/jit/jit.ts';
import { makeConsole, runSession } from './session.ts';

export const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;
// nokaslr: QEMU's kaslr-seed is random, and the kernel's page-table pages (so MemTotal) depend on it
export const APPEND = 'console=ttyAMA0 panic=-1 nokaslr';
export const MEM = 256;

export interface LinuxRun {
  outputs: string[];
  /** Wall time from start to the first shell prompt. */
  promptMs: number;
}

/** QEMU with the kernel and initrd files; `code` is its exit status after `poweroff -f`. */
export async function linuxOnQemu(kernel: string, initrd: string, commands: string[]): Promise<LinuxRun & { code: number | null | 'timeout' }> {
  const t0 = Date.now();
  const q = spawn('qemu-system-aarch64', ['-M', 'virt', '-cpu', 'cortex-a72', '-m', `${MEM}M`, '-nographic', '-net', 'none',
    '-kernel', kernel, '-initrd', initrd, '-append', APPEND], { stdio: ['pipe', 'pipe', 'pipe'] });
  const c = makeConsole((s) => q.stdin.write(s));
  q.stdout.on('data', (d) => c.push(d.toString('latin1')));
  const exited = new Promise<number | null>((r) => q.on('exit', r));
  try {
    const { outputs, promptAt } = await runSession(c, commands, 120_000);
    c.write('poweroff -f\n');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    return { outputs, promptMs: promptAt - t0, code };
  } finally {
    q.kill('SIGKILL');
  }
}

/** The emulator (virtual clock unless told, fixed seed); `exit` is run()'s answer after `poweroff -f`. */
export async function linuxOnEmulator(kernel: Uint8Array, initrd: Uint8Array, commands: string[], opts: { cpu?: CpuMode; clock?: 'virtual' | 'realtime' } = {}) {
  const t0 = Date.now();
  let m!: Machine;
  const c = makeConsole((s) => m.input(s));
  m = await Machine.create({ kernel, initrd, wasm: await loadCoreModule(), memMiB: MEM, append: APPEND, clock: opts.clock ?? 'virtual', seed: 1n,
    cpu: opts.cpu, onUart: (b) => c.push(Buffer.from(b).toString('latin1')) });
  const running = m.run();
  try {
    const { outputs, promptAt } = await runSession(c, commands, 600_000);
    c.write('poweroff -f\n');
    const exit = await Promise.race([running, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
    return { outputs, promptMs: promptAt - t0, exit, instret: m.stats().instret, undefinedInsns: m.stats().undefinedInsns, profile: m.profile() };
  } finally {
    m.stop();
  }
}

// Runs a raw guest program on QEMU 7.2 (`-M virt -cpu cortex-a72`, loaded and
// entered at RAM + 0x80000 at EL1, as the emulator's loader does) and returns
// what it printed on UART0. The program should end with PSCI SYSTEM_OFF.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveQemuSystem = spawnSync('qemu-system-aarch64', ['--version']).status === 0;

/**
 * Resolves with UART0's output when QEMU exits (the guest powered off). With
 * `untilTimeout`, QEMU is expected to run until `timeoutMs` (a guest that
 * halts for good): it is then killed and the output so far is the result.
 */
export function runOnQemu(
  program: Uint8Array,
  opts: { memMiB?: number; extra?: string[]; timeoutMs?: number; untilTimeout?: boolean } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sis-qemu-run-'));
  const file = join(dir, 'prog.bin');
  writeFileSync(file, program);
  return new Promise((resolve, reject) => {
    const q = spawn('qemu-system-aarch64', [
      '-M', 'virt', '-cpu', 'cortex-a72', '-m', `${opts.memMiB ?? 128}M`, '-display', 'none',
      '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-kernel', file, ...(opts.extra ?? []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    q.stdout.on('data', (d) => (out += d));
    q.stderr.on('data', (d) => (err += d));
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      q.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    q.on('exit', (code) => {
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      if (opts.untilTimeout) {
        if (timedOut) resolve(out);
        else reject(new Error(`qemu exited (${code}) before the timeout: ${err}\n${out.slice(-400)}`));
      } else if (code === 0) resolve(out);
      else reject(new Error(`qemu exited with ${code}: ${err}\n${out.slice(-400)}`));
    });
  });
}

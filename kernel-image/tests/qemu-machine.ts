// SerialMachine on the reference platform: qemu-system-aarch64 -M virt,
// UART0 on the process's stdin/stdout. The QEMU line is the one
// scripts/qemu-run.sh uses, minus the interactive monitor. A machine that
// outlives its deadline (or the test process) is killed, never left behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PROMPT, type MachineExit, type SerialMachine } from './serial-machine.ts';

export const KERNEL_IMAGE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../dist/sis-kernel.img',
);

export const QEMU = 'qemu-system-aarch64';
export const QEMU_MACHINE_ARGS = [
  '-M', 'virt', '-cpu', 'cortex-a72', '-m', '128M', '-nographic', '-net', 'none',
];

export interface QemuOptions {
  image?: string;
  /** Extra QEMU arguments (e.g. -append, -drive). */
  args?: string[];
  /** Kill the machine after this long whatever happens (default 120 s). */
  deadlineMs?: number;
  /**
   * Start the machine through another command line instead of QEMU directly,
   * e.g. ['bash', 'scripts/qemu-run.sh']; `args` are appended to it.
   */
  launcher?: string[];
}

interface Waiter {
  check(): boolean;
  fail(err: Error): void;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class QemuMachine implements SerialMachine {
  private text = '';
  private waiters = new Set<Waiter>();
  private proc: ChildProcess;
  private done: MachineExit | null = null;
  private killedByUs = false;
  private stderr = '';
  readonly exited: Promise<MachineExit>;

  constructor(opts: QemuOptions = {}) {
    const [cmd, ...args] = opts.launcher
      ? [...opts.launcher, ...(opts.args ?? [])]
      : [QEMU, ...QEMU_MACHINE_ARGS, '-monitor', 'none', '-serial', 'stdio',
        '-kernel', opts.image ?? KERNEL_IMAGE, ...(opts.args ?? [])];
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this.proc);
    this.proc.stdout!.setEncoding('latin1');
    this.proc.stdout!.on('data', (chunk: string) => {
      this.text += chunk;
      for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
    this.proc.stdin!.on('error', () => {}); // writes racing with exit
    const deadline = setTimeout(() => void this.kill(), opts.deadlineMs ?? 120_000);
    this.exited = new Promise((resolve) => {
      this.proc.once('error', (err) => {
        this.finish({ code: 127, reason: `cannot start ${cmd}: ${err.message}` }, resolve, deadline);
      });
      this.proc.once('exit', (code, signal) => {
        const exit: MachineExit =
          this.killedByUs ? { code: code ?? 137, reason: 'killed' }
          : code === 0 ? { code: 0, reason: 'psci system_off' }
          : { code: code ?? 128, reason: signal ? `signal ${signal}` : `qemu exit ${code}: ${this.stderr.trim()}` };
        this.finish(exit, resolve, deadline);
      });
    });
  }

  private finish(exit: MachineExit, resolve: (e: MachineExit) => void, deadline: NodeJS.Timeout) {
    if (this.done) return;
    clearTimeout(deadline);
    live.delete(this.proc);
    this.done = exit;
    resolve(exit);
    for (const w of [...this.waiters]) {
      if (!w.check()) w.fail(this.error(`machine exited (${exit.reason}, status ${exit.code})`));
    }
    this.waiters.clear();
  }

  get output(): string {
    return this.text;
  }

  write(text: string): void {
    if (!this.done) this.proc.stdin!.write(Buffer.from(text, 'latin1'));
  }

  private error(what: string): Error {
    const tail = this.text.slice(-800);
    return new Error(`${what}; output tail:\n${tail}`);
  }

  waitFor(
    pattern: string | RegExp,
    opts: { from?: number; timeoutMs?: number } = {},
  ): Promise<{ index: number; end: number; match: string }> {
    const from = opts.from ?? 0;
    const re = typeof pattern === 'string' ? null : new RegExp(pattern.source, pattern.flags.replace('g', ''));
    const find = () => {
      const hay = this.text.slice(from);
      if (re) {
        const m = re.exec(hay);
        return m ? { index: from + m.index, end: from + m.index + m[0].length, match: m[0] } : null;
      }
      const i = hay.indexOf(pattern as string);
      return i < 0 ? null : { index: from + i, end: from + i + (pattern as string).length, match: pattern as string };
    };
    return new Promise((resolve, reject) => {
      const first = find();
      if (first) return resolve(first);
      if (this.done) return reject(this.error(`machine exited before ${String(pattern)} appeared`));
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(this.error(`timed out after ${opts.timeoutMs ?? 20_000} ms waiting for ${String(pattern)}`));
      }, opts.timeoutMs ?? 20_000);
      const waiter: Waiter = {
        check: () => {
          const hit = find();
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          }
          return hit !== null;
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.add(waiter);
    });
  }

  async kill(): Promise<void> {
    if (this.done) return;
    this.killedByUs = true;
    this.proc.kill('SIGTERM');
    const hard = setTimeout(() => this.proc.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(hard);
  }
}

/** Boot a fresh QEMU machine and wait for the first shell prompt. */
export async function bootQemu(opts: QemuOptions = {}): Promise<QemuMachine> {
  const m = new QemuMachine(opts);
  try {
    await m.waitFor(PROMPT, { timeoutMs: 30_000 });
  } catch (err) {
    await m.kill();
    throw err;
  }
  return m;
}

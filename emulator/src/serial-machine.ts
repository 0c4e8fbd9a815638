// EmulatorMachine: the emulator behind kernel-image/tests/serial-machine.ts's
// SerialMachine interface, in-process, so the shell command table runs
// against it exactly as it runs against QEMU. Virtual clock by default:
// deterministic runs, and a shell waiting for input costs no host CPU.
import { readFileSync } from 'node:fs';
import type { MachineExit, SerialMachine } from '../../kernel-image/tests/serial-machine.ts';
import { InputFeeder, Machine, type MachineOptions } from './machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule } from './node-files.ts';

export interface EmulatorMachineOptions extends Partial<Omit<MachineOptions, 'kernel' | 'wasm'>> {
  kernelPath?: string;
  kernel?: Uint8Array;
}

interface Waiter {
  pattern: string | RegExp;
  from: number;
  resolve: (m: { index: number; end: number; match: string }) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class EmulatorMachine implements SerialMachine {
  private out = '';
  private readonly decoder = new TextDecoder();
  private waiters = new Set<Waiter>();
  private exitInfo: MachineExit | null = null;
  readonly exited: Promise<MachineExit>;
  readonly undefinedInsns: { pc: bigint; insn: number }[] = [];
  /** Like a pipe to QEMU: what the UART input queue cannot take yet waits here. */
  private readonly feeder: InputFeeder;

  private constructor(readonly machine: Machine) {
    this.feeder = new InputFeeder(machine);
    this.exited = machine.run().then((e) => {
      this.out += this.decoder.decode();
      this.exitInfo = { code: e.code, reason: e.reason };
      for (const w of [...this.waiters]) this.check(w);
      for (const w of [...this.waiters]) this.fail(w, `machine exited (${e.reason}) before`);
      return this.exitInfo;
    });
  }

  static async start(opts: EmulatorMachineOptions = {}): Promise<EmulatorMachine> {
    const kernel = opts.kernel ?? readFileSync(opts.kernelPath ?? DEFAULT_KERNEL_PATH);
    let self: EmulatorMachine | undefined;
    const pendingOut: Uint8Array[] = [];
    const undef: { pc: bigint; insn: number }[] = [];
    const machine = await Machine.create({
      clock: 'virtual',
      ...opts,
      kernel,
      wasm: await loadCoreModule(),
      onUart: (bytes) => {
        if (self) self.onOutput(bytes);
        else pendingOut.push(bytes);
        opts.onUart?.(bytes);
      },
      onUndefined: (pc, insn) => {
        (self?.undefinedInsns ?? undef).push({ pc, insn });
        opts.onUndefined?.(pc, insn);
      },
    });
    self = new EmulatorMachine(machine);
    self.undefinedInsns.push(...undef);
    for (const b of pendingOut) self.onOutput(b);
    return self;
  }

  get output(): string {
    return this.out;
  }

  write(text: string): void {
    this.feeder.push(new TextEncoder().encode(text));
  }

  private onOutput(bytes: Uint8Array): void {
    this.out += this.decoder.decode(bytes, { stream: true });
    for (const w of [...this.waiters]) this.check(w);
  }

  private check(w: Waiter): void {
    const tail = this.out.slice(w.from);
    let index = -1;
    let match = '';
    if (typeof w.pattern === 'string') {
      index = tail.indexOf(w.pattern);
      match = w.pattern;
    } else {
      const m = new RegExp(w.pattern.source, w.pattern.flags.replace('g', '')).exec(tail);
      if (m) {
        index = m.index;
        match = m[0];
      }
    }
    if (index < 0) return;
    this.waiters.delete(w);
    clearTimeout(w.timer);
    w.resolve({ index: w.from + index, end: w.from + index + match.length, match });
  }

  private fail(w: Waiter, why: string): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
    const tail = this.out.slice(-600);
    w.reject(new Error(`${why} ${String(w.pattern)} appeared; output tail:\n${tail}`));
  }

  waitFor(pattern: string | RegExp, opts: { from?: number; timeoutMs?: number } = {}) {
    return new Promise<{ index: number; end: number; match: string }>((resolve, reject) => {
      const w: Waiter = {
        pattern,
        from: opts.from ?? 0,
        resolve,
        reject,
        timer: setTimeout(() => this.fail(w, `timed out after ${opts.timeoutMs ?? 20_000} ms before`), opts.timeoutMs ?? 20_000),
      };
      this.waiters.add(w);
      this.check(w);
      if (this.waiters.has(w) && this.exitInfo) this.fail(w, `machine exited (${this.exitInfo.reason}) before`);
    });
  }

  async kill(): Promise<void> {
    this.machine.stop();
    await this.exited;
  }
}

// Storage test harness: the kernel in the emulator on a disk held in an
// OverlayBlockStore, driven through the shell with runUntil() steps so a test
// can stop the machine dead at chosen instruction counts (power cuts), plus
// e2fsck on disk images. Everything in-process; e2fsck is the oracle.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { EXIT, Machine, type MachineExit } from '../../src/machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule, REPO_ROOT } from '../../src/node-files.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import { OverlayBlockStore } from '../../src/devices/overlay-block-store.ts';

/** The kernel under test: SIS_KERNEL overrides the committed image. */
export const KERNEL_PATH = process.env.SIS_KERNEL ? resolve(REPO_ROOT, process.env.SIS_KERNEL) : DEFAULT_KERNEL_PATH;
export const PROMPT = 'sis> ';
export const CRASH_MARK = '*** SIS KERNEL CRASH ***';
const CHUNK = 50_000;

let kernelBytes: Uint8Array | null = null;
export function kernel(): Uint8Array {
  kernelBytes ??= readFileSync(KERNEL_PATH);
  return kernelBytes;
}

/** Why the storage workload tests cannot run with this kernel, or null. */
export function kernelFsMissing(): string | null {
  let k: Uint8Array;
  try {
    k = kernel();
  } catch {
    return `no kernel image at ${KERNEL_PATH}`;
  }
  const text = Buffer.from(k).toString('latin1');
  for (const cmd of ['diskctl', 'ln -s TARGET LINK', 'mv FROM TO']) {
    if (!text.includes(cmd)) return `the kernel at ${KERNEL_PATH} has no \`${cmd.split(' ')[0]}\` shell command yet (filesystem commands not landed)`;
  }
  return null;
}

export interface BootOptions {
  /** Called at each stop instant of `stops` (ascending instruction counts). */
  stops?: number[];
  onStop?: (instret: number, d: Driver) => void;
  events?: (bytes: Uint8Array) => void;
  readOnlyImport?: Uint8Array;
}

/** A booted kernel on a disk, driven in runUntil() steps. */
export class Driver {
  out = '';
  exit: MachineExit | null = null;
  /** Stop instants still ahead (ascending); more can be added with addStops(). */
  private stops: number[];

  private constructor(
    readonly machine: Machine,
    readonly disk: OverlayBlockStore,
    private readonly opts: BootOptions,
  ) {
    this.stops = [...(opts.stops ?? [])];
  }

  /** Adds stop instants (instruction counts) at which onStop is called. */
  addStops(list: number[]): void {
    this.stops.push(...list);
    this.stops.sort((a, b) => a - b);
  }

  get pendingStops(): number {
    return this.stops.length;
  }

  /** Creates the machine (virtual clock, no pacing: deterministic and fast). */
  static async create(image: Uint8Array, opts: BootOptions = {}): Promise<Driver> {
    const disk = new OverlayBlockStore(image, { blockSize: 1024 });
    let d: Driver | null = null;
    const virtio: Record<number, VirtioBlk | VirtioConsole> = { 31: new VirtioBlk(disk, 'sis-system') };
    if (opts.readOnlyImport) virtio[30] = new VirtioBlk(new OverlayBlockStore(opts.readOnlyImport, { readOnly: true }), 'sis-import');
    if (opts.events) virtio[29] = new VirtioConsole(opts.events);
    const machine = await Machine.create({
      kernel: kernel(),
      wasm: await loadCoreModule(),
      clock: 'virtual',
      idleSpeedup: Infinity,
      rtcEpoch: 1_767_225_600, // 2026-01-01: fixed, so runs repeat exactly; in the past for e2fsck
      virtio,
      onUart: (b) => {
        if (d) d.out += Buffer.from(b).toString('latin1');
      },
    });
    d = new Driver(machine, disk, opts);
    return d;
  }

  get instret(): number {
    return this.machine.stats().instret;
  }

  get crashed(): boolean {
    return this.out.includes(CRASH_MARK);
  }

  /** Runs until `done()` or `maxInsns` more instructions; false if the limit hit first. */
  async runWhile(done: () => boolean, maxInsns: number): Promise<boolean> {
    const limit = this.instret + maxInsns;
    while (!done()) {
      if (this.exit) return false;
      const now = this.instret;
      if (now >= limit) return false;
      let target = Math.min(limit, now + CHUNK);
      if (this.stops.length) target = Math.min(target, this.stops[0]);
      const e = await this.machine.runUntil(Math.max(target, now + 1));
      while (this.stops.length && this.stops[0] <= this.instret) this.opts.onStop?.(this.stops.shift()!, this);
      if (e.code !== EXIT.limit) {
        this.exit = e;
        return done();
      }
    }
    return true;
  }

  /** Boots to the first prompt. */
  async boot(maxInsns = 200_000_000): Promise<boolean> {
    return this.runWhile(() => this.out.includes(PROMPT), maxInsns);
  }

  /** Types a command and returns its answer (text between the echo and the next prompt), or null. */
  async command(cmd: string, maxInsns = 200_000_000): Promise<string | null> {
    const from = this.out.length;
    this.machine.input(cmd + '\n');
    const find = () => {
      const echo = this.out.indexOf(cmd, from);
      if (echo < 0) return -1;
      return this.out.indexOf('\n' + PROMPT, echo + cmd.length);
    };
    if (!(await this.runWhile(() => find() >= 0, maxInsns))) return null;
    const echoEnd = this.out.indexOf('\n', this.out.indexOf(cmd, from));
    return this.out.slice(echoEnd + 1, find() + 1).replace(/\r/g, '');
  }

  /** Types poweroff and runs to the exit; returns it (null if it did not come within maxInsns). */
  async poweroff(maxInsns = 200_000_000): Promise<MachineExit | null> {
    this.machine.input('poweroff\n');
    await this.runWhile(() => this.exit !== null, maxInsns);
    return this.exit;
  }

  /** Stops a machine that is not going to power off (never leaves anything running). */
  stop(): void {
    this.machine.stop();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'sis-storage-'));
// vitest may end its workers without an 'exit' event: clean up after each file too.
const cleanScratch = () => rmSync(scratch, { recursive: true, force: true });
process.once('exit', cleanScratch);
afterAll(cleanScratch);
let seq = 0;

/** e2fsck with the given flags on a copy of `image`; its exit status and output. */
export function e2fsck(image: Uint8Array, flags = '-fn'): { code: number; output: string } {
  const f = join(scratch, `img-${process.pid}-${seq++}.img`);
  writeFileSync(f, image);
  try {
    const r = spawnSync('e2fsck', [flags, f], { encoding: 'utf8', env: { ...process.env, E2FSCK_CONFIG: '/dev/null' } });
    return { code: r.status ?? -1, output: (r.stdout ?? '') + (r.stderr ?? '') };
  } finally {
    rmSync(f, { force: true });
  }
}

/**
 * e2fsck -fy on a copy of `image` (it replays the journal and repairs):
 * its exit status, output and the resulting image.
 */
export function e2fsckRepair(image: Uint8Array): { code: number; output: string; image: Uint8Array } {
  const f = join(scratch, `fix-${process.pid}-${seq++}.img`);
  writeFileSync(f, image);
  try {
    const r = spawnSync('e2fsck', ['-fy', f], { encoding: 'utf8', env: { ...process.env, E2FSCK_CONFIG: '/dev/null' } });
    return { code: r.status ?? -1, output: (r.stdout ?? '') + (r.stderr ?? ''), image: new Uint8Array(readFileSync(f)) };
  } finally {
    rmSync(f, { force: true });
  }
}

/** mke2fs -t ext4 (Debian defaults) into a fresh image of `mib` MiB, optionally from a directory. */
export function mke2fs(mib: number, dir?: string): Uint8Array {
  const f = join(scratch, `mk-${process.pid}-${seq++}.img`);
  try {
    const args = ['-q', '-F', '-t', 'ext4', ...(dir ? ['-d', dir] : []), f, `${mib}M`];
    const r = spawnSync('mke2fs', args, { encoding: 'utf8', env: { ...process.env, E2FSPROGS_FAKE_TIME: '1767225600', MKE2FS_CONFIG: '/etc/mke2fs.conf' } });
    if (r.status !== 0) throw new Error(`mke2fs failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(f));
  } finally {
    rmSync(f, { force: true });
  }
}

/** A directory to build mke2fs -d trees in. */
export function scratchDir(name: string): string {
  return join(scratch, name);
}

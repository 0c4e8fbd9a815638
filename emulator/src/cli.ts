// `npm run vm -- [options]`: boots a kernel in the emulator with the terminal
// attached to UART0, like `qemu-system-aarch64 -nographic`.
//
// stdout carries the guest's UART output and nothing else; every message of
// our own goes to stderr. See docs/EMULATOR.md for options and exit codes.
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { DiskLock } from './disk-lock.ts';
import { FileBlockStore } from './devices/file-block-store.ts';
import { OverlayBlockStore } from './devices/overlay-block-store.ts';
import { SECTOR, VirtioBlk } from './devices/virtio-blk.ts';
import { VirtioConsole } from './devices/virtio-console.ts';
import type { VirtioBackend } from './devices/virtio-mmio.ts';
import { LoaderError } from './loader.ts';
import { InputFeeder, Machine, MEM_DEFAULT_MIB, MEM_MAX_MIB, MEM_MIN_MIB, type MachineExit } from './machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule, REPO_ROOT } from './node-files.ts';
import { resolve } from 'node:path';
import type { ClockName } from './core.ts';
import { GdbStub } from './gdb/stub.ts';
import { cpuFromEnv, type CpuMode, type JitProfile } from './jit/jit.ts';

export const EXIT_CODES = {
  poweroff: 0,
  hostError: 1,
  guestHalted: 2,
  timeout: 3,
  usage: 64,
} as const;

const USAGE = `usage: npm run vm -- [options]

  --kernel FILE            arm64 kernel Image (default: kernel-image/dist/sis-kernel.img)
  --raw                    load --kernel as a raw binary at RAM + 0x80000 instead
  --append ARGS            kernel command line (/chosen/bootargs)
  --initrd FILE            initrd/initramfs, loaded where QEMU's -initrd puts it
  --seed N                 the DTB's /chosen rng-seed and kaslr-seed from N (a 64-bit
                           integer) instead of the host's random source
  --mem MIB                RAM size in MiB, ${MEM_MIN_MIB}..${MEM_MAX_MIB} (default ${MEM_DEFAULT_MIB})
  --clock realtime|virtual guest clock (default: realtime on a terminal, virtual on a pipe)
  --timeout SECONDS        stop with exit code 3 after this much host time
  --disk FILE              system disk (the kernel's blk0, virtio slot 31), read-write;
                           a raw image, a whole number of 512-byte sectors; an all-zero
                           file is formatted as ext4 by the kernel at boot
                           Without --disk: a fresh 64 MiB in-memory disk, gone at exit
  --import FILE            import disk (the kernel's blk1, slot 30), read-only. Without
                           --import: the seed bundle, models/dist/seed-bundle.tar
  --no-disk                no system disk and no import disk
  --events FILE            the kernel's event channel (virtio console, slot 29): JSON Lines
                           appended to FILE as they arrive; - writes them to stderr
  --gdb PORT               GDB remote stub on 127.0.0.1:PORT (QEMU's -gdb tcp::PORT);
                           a client connecting stops the guest
  --gdb-wait               with --gdb: wait for GDB before the first instruction (QEMU's -S)
  --cpu interp|jit         CPU: hot code translated to WebAssembly (jit, the default;
                           SIS_CPU sets another) or the interpreter only (interp); same
                           output and instruction counts
  --profile                in jit mode: print the translator's profile to stderr at exit
  --help                   this text

Each option at most once. --disk is locked for writing and --import for
reading (FILE.lock/ next to the image): a disk another vm writes is refused.

On a terminal: Ctrl-A x quits, Ctrl-A h shows the keys, Ctrl-A Ctrl-A sends Ctrl-A.
Exit status: 0 guest powered off (PSCI SYSTEM_OFF) or Ctrl-A x; 1 host error
(bad image, bad, missing or locked disk, emulator fault); 2 guest halted after a
crash or stuck in an exception loop; 3 timeout; 64 usage error.
`;

export interface CliOptions {
  kernel: string;
  raw: boolean;
  append: string;
  memMiB: number;
  clock: ClockName;
  timeoutS: number | null;
  /** null: a fresh in-memory disk (unless noDisk). */
  disk: string | null;
  /** null: the seed bundle (unless noDisk). */
  importDisk: string | null;
  events: string | null;
  initrd: string | null;
  seed: bigint | null;
  gdbPort: number | null;
  gdbWait: boolean;
  cpu: CpuMode;
  profile: boolean;
  noDisk: boolean;
}

/** The import disk when --import is not given (the seed bundle, models/). */
export const SEED_BUNDLE = resolve(REPO_ROOT, 'models/dist/seed-bundle.tar');
/** Size of the fresh in-memory system disk when --disk is not given. */
export const MEMORY_DISK_MIB = 64;

export class UsageError extends Error {}

const MAX_UNDEF_REPORTS = 20;

/** The default --cpu: SIS_CPU, else jit; a bad SIS_CPU is a usage error like a bad --cpu. */
function envCpu(): CpuMode {
  try {
    return cpuFromEnv();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses argv (without node/script); throws UsageError with a message for the user. */
export function parseArgs(argv: string[], stdinIsTty: boolean): CliOptions | 'help' {
  const o: CliOptions = {
    kernel: DEFAULT_KERNEL_PATH,
    raw: false,
    append: '',
    memMiB: MEM_DEFAULT_MIB,
    clock: stdinIsTty ? 'realtime' : 'virtual',
    timeoutS: null,
    disk: null,
    importDisk: null,
    events: null,
    initrd: null,
    seed: null,
    gdbPort: null,
    gdbWait: false,
    cpu: envCpu(),
    profile: false,
    noDisk: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    // Each option once: a second --disk is a mistake, not "the last one wins".
    if (arg.startsWith('-') && arg !== '--help' && arg !== '-h') {
      if (seen.has(arg)) throw new UsageError(`option ${arg} given twice: give each option once`);
      seen.add(arg);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) throw new UsageError(`option ${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--kernel':
        o.kernel = next();
        break;
      case '--raw':
        if (value !== undefined) throw new UsageError('--raw takes no value');
        o.raw = true;
        break;
      case '--append':
        o.append = next();
        break;
      case '--mem': {
        const v = next();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < MEM_MIN_MIB || n > MEM_MAX_MIB) {
          throw new UsageError(
            `--mem ${v}: give a whole number of MiB from ${MEM_MIN_MIB} (the smallest RAM the SIS kernel boots in) to ${MEM_MAX_MIB} (the wasm32 limit)`,
          );
        }
        o.memMiB = n;
        break;
      }
      case '--clock': {
        const v = next();
        if (v !== 'realtime' && v !== 'virtual') throw new UsageError(`--clock ${v}: use realtime or virtual`);
        o.clock = v;
        break;
      }
      case '--timeout': {
        const v = next();
        const n = Number(v);
        if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--timeout ${v}: give a positive number of seconds`);
        o.timeoutS = n;
        break;
      }
      case '--disk':
        o.disk = next();
        break;
      case '--import':
        o.importDisk = next();
        break;
      case '--events':
        o.events = next();
        break;
      case '--initrd':
        o.initrd = next();
        if (o.initrd === '') throw new UsageError('--initrd needs a file name');
        break;
      case '--gdb': {
        const v = next();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`--gdb ${v}: give a TCP port from 1 to 65535`);
        o.gdbPort = n;
        break;
      }
      case '--gdb-wait':
        if (value !== undefined) throw new UsageError('--gdb-wait takes no value');
        o.gdbWait = true;
        break;
      case '--seed': {
        const v = next();
        if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(v) || BigInt(v) >= 2n ** 64n) {
          throw new UsageError(`--seed ${v}: give an integer from 0 to 2^64-1 (decimal or 0x hex)`);
        }
        o.seed = BigInt(v);
        break;
      }
      case '--cpu': {
        const v = next();
        if (v !== 'interp' && v !== 'jit') throw new UsageError(`--cpu ${v}: use interp or jit`);
        o.cpu = v;
        break;
      }
      case '--profile':
        if (value !== undefined) throw new UsageError('--profile takes no value');
        o.profile = true;
        break;
      case '--no-disk':
        o.noDisk = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  if (o.gdbWait && o.gdbPort === null) throw new UsageError('--gdb-wait needs --gdb PORT');
  if (o.profile && o.cpu !== 'jit') throw new UsageError('--profile needs --cpu jit, the default (it profiles the translator)');
  if (o.noDisk && (o.importDisk !== null || o.disk !== null)) {
    throw new UsageError('--no-disk cannot go with --disk or --import');
  }
  for (const [name, v] of [['--disk', o.disk], ['--import', o.importDisk], ['--events', o.events]] as const) {
    if (v === '') throw new UsageError(`${name} needs a file name`);
  }
  return o;
}

/** Virtio slots of the storage devices: QEMU fills slots from 31 down in command-line order. */
export const DISK_SLOT = 31;
export const IMPORT_SLOT = 30;
export const EVENTS_SLOT = 29;

/**
 * Opens the disks (checking them before anything is written anywhere) and
 * the events sink; throws Error with a message for the user (UsageError when
 * the same file is named twice), LockError when another process holds a disk.
 * The system disk gets a write (exclusive) lock, the import disk a shared one
 * (see disk-lock.ts); `onNote` hears about stale locks taken over.
 */
export function openStorage(
  o: CliOptions,
  onNote: (message: string) => void = () => {},
): { virtio: Record<number, VirtioBackend>; close: () => void } {
  const stores: FileBlockStore[] = [];
  const locks: DiskLock[] = [];
  const closeAll = () => {
    for (const s of stores) s.close();
    for (const l of locks) l.release();
  };
  let eventsFd: number | null = null;
  try {
    const check = (path: string, what: string) => {
      let st;
      try {
        st = statSync(path, { bigint: true });
      } catch (e) {
        throw new Error(`cannot open ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      if (!st.isFile()) throw new Error(`${what} ${path}: not a regular file`);
      if (st.size === 0n) throw new Error(`${what} ${path}: empty file (create one with e.g. truncate -s 64M ${path})`);
      if (st.size % BigInt(SECTOR)) throw new Error(`${what} ${path}: size ${st.size} is not a multiple of ${SECTOR} bytes`);
      return st;
    };
    const open = (path: string, readOnly: boolean, what: string, id: { dev: bigint; ino: bigint }, lock = true) => {
      if (lock) {
        const l = DiskLock.acquire(path, readOnly ? 'shared' : 'write', what, onNote);
        if (l) locks.push(l);
      }
      let s: FileBlockStore;
      try {
        s = new FileBlockStore(path, readOnly);
      } catch (e) {
        throw new Error(`cannot open ${what} ${path}${readOnly ? '' : ' for writing'}: ${(e as Error).message}`);
      }
      stores.push(s);
      // the file we locked is the file we opened (not replaced in between)
      if (s.dev !== id.dev || s.ino !== id.ino) throw new Error(`${what} ${path}: the file was replaced while it was being opened`);
      return s;
    };
    const disk = o.disk !== null ? check(o.disk, 'disk') : null;
    const imp = o.importDisk !== null ? check(o.importDisk, 'import disk') : null;
    const same = (a: { dev: bigint; ino: bigint }, b: { dev: bigint; ino: bigint }) => a.dev === b.dev && a.ino === b.ino;
    if (disk && imp && same(disk, imp)) {
      throw new UsageError(
        `--disk ${o.disk} and --import ${o.importDisk} are the same file (device ${disk.dev}, inode ${disk.ino}): ` +
          'a disk cannot be both the read-write system disk and the read-only import disk',
      );
    }
    if (o.events !== null && o.events !== '-') {
      let ev;
      try {
        ev = statSync(o.events, { bigint: true });
      } catch {
        ev = null; // created below
      }
      for (const [name, d, path] of [['--disk', disk, o.disk], ['--import', imp, o.importDisk]] as const) {
        if (ev && d && same(ev, d)) throw new UsageError(`--events ${o.events} and ${name} ${path} are the same file: events would be appended to the disk`);
      }
    }
    const virtio: Record<number, VirtioBackend> = {};
    if (!o.noDisk) {
      const system = o.disk !== null && disk ? open(o.disk, false, 'disk', disk) : new OverlayBlockStore(new Uint8Array(MEMORY_DISK_MIB << 20));
      virtio[DISK_SLOT] = new VirtioBlk(system, 'sis-system');
      // The default import disk is the installed seed bundle, only ever read: it is not locked
      // (no lock directory in the source tree, no stale locks of killed vms to report).
      const importPath = o.importDisk ?? SEED_BUNDLE;
      virtio[IMPORT_SLOT] = new VirtioBlk(
        open(importPath, true, 'import disk', imp ?? check(importPath, 'import disk'), o.importDisk !== null),
        'sis-import',
      );
    }
    if (o.events !== null) {
      let write: (b: Uint8Array) => void;
      if (o.events === '-') {
        write = (b) => process.stderr.write(b);
      } else {
        try {
          eventsFd = openSync(o.events, 'a');
        } catch (e) {
          throw new Error(`cannot open events file ${o.events}: ${(e as Error).message}`);
        }
        const fd = eventsFd;
        write = (b) => writeSync(fd, b);
      }
      virtio[EVENTS_SLOT] = new VirtioConsole(write);
    }
    return {
      virtio,
      close: () => {
        closeAll();
        if (eventsFd !== null) closeSync(eventsFd);
      },
    };
  } catch (e) {
    closeAll();
    throw e;
  }
}

async function main(): Promise<number> {
  const stdin = process.stdin;
  const isTty = !!stdin.isTTY;
  let opts: CliOptions | 'help';
  try {
    opts = parseArgs(process.argv.slice(2), isTty);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`vm: ${e.message}\n`);
    return EXIT_CODES.usage;
  }
  if (opts === 'help') {
    process.stderr.write(USAGE);
    return 0;
  }

  let kernel: Uint8Array;
  try {
    if (!statSync(opts.kernel).isFile()) throw new Error('not a regular file');
    kernel = readFileSync(opts.kernel);
  } catch (e) {
    process.stderr.write(`vm: cannot read kernel ${opts.kernel}: ${(e as Error).message}\n`);
    return EXIT_CODES.hostError;
  }

  let initrd: Uint8Array | undefined;
  if (opts.initrd !== null) {
    try {
      if (!statSync(opts.initrd).isFile()) throw new Error('not a regular file');
      initrd = readFileSync(opts.initrd);
    } catch (e) {
      process.stderr.write(`vm: cannot read initrd ${opts.initrd}: ${(e as Error).message}\n`);
      return EXIT_CODES.hostError;
    }
  }

  let storage: ReturnType<typeof openStorage>;
  try {
    storage = openStorage(opts, (note) => process.stderr.write(`vm: ${note}\n`));
  } catch (e) {
    process.stderr.write(`vm: ${(e as Error).message}\n`);
    return e instanceof UsageError ? EXIT_CODES.usage : EXIT_CODES.hostError;
  }

  let machine: Machine;
  const undefSeen = new Set<string>();
  try {
    machine = await Machine.create({
      kernel,
      raw: opts.raw,
      wasm: await loadCoreModule(),
      memMiB: opts.memMiB,
      append: opts.append,
      ...(initrd ? { initrd } : {}),
      ...(opts.seed !== null ? { seed: opts.seed } : {}),
      clock: opts.clock,
      cpu: opts.cpu,
      profile: opts.profile,
      virtio: storage.virtio,
      onUart: (bytes) => process.stdout.write(bytes),
      onUndefined: (pc, insn) => {
        // Each distinct (pc, encoding) once, and at most MAX_UNDEF_REPORTS: a
        // guest stuck in a fault loop must not flood the terminal.
        const key = `${pc}:${insn}`;
        if (undefSeen.has(key) || undefSeen.size > MAX_UNDEF_REPORTS) return;
        undefSeen.add(key);
        process.stderr.write(
          undefSeen.size > MAX_UNDEF_REPORTS
            ? `vm: more undefined instructions; not reporting further ones\n`
            : `vm: undefined instruction 0x${insn.toString(16).padStart(8, '0')} at pc 0x${pc.toString(16)} (raised in the guest)\n`,
        );
      },
    });
  } catch (e) {
    const msg = e instanceof LoaderError || e instanceof RangeError ? e.message : String((e as Error)?.message ?? e);
    process.stderr.write(`vm: ${opts.kernel}: ${msg}\n`);
    storage.close();
    return EXIT_CODES.hostError;
  }

  let gdb: GdbStub | null = null;
  if (opts.gdbPort !== null) {
    gdb = new GdbStub(machine, { port: opts.gdbPort, wait: opts.gdbWait, log: (m) => process.stderr.write(`vm: ${m}\n`) });
    try {
      await gdb.listen();
    } catch (e) {
      process.stderr.write(`vm: cannot listen for gdb on 127.0.0.1:${opts.gdbPort}: ${(e as Error).message}\n`);
      storage.close();
      return EXIT_CODES.hostError;
    }
    process.stderr.write(`vm: gdb stub on 127.0.0.1:${opts.gdbPort}${opts.gdbWait ? ' (waiting for gdb)' : ''}\n`);
  }

  let quitByUser = false;
  let timedOut = false;
  // Back-pressure: a pipe is paused while the guest's input queue is full, so it
  // is read no faster than the guest takes it and never overruns. A terminal
  // keeps being read (Ctrl-A x must always work); what the queue cannot take
  // yet waits in the feeder - a paste, not an endless stream.
  const feeder = isTty ? new InputFeeder(machine) : new InputFeeder(machine, { pause: () => stdin.pause(), resume: () => stdin.resume() });
  const feed = (bytes: Uint8Array) => feeder.push(bytes);
  if (isTty) {
    stdin.setRawMode(true);
    let escape = false;
    stdin.on('data', (chunk: Buffer) => {
      const pass: number[] = [];
      for (const b of chunk) {
        if (escape) {
          escape = false;
          if (b === 0x78 /* x */) {
            quitByUser = true;
            machine.stop();
            return;
          } else if (b === 0x68 /* h */) {
            process.stderr.write('\r\nC-a h    print this help\r\nC-a x    exit emulator\r\nC-a C-a  sends C-a\r\n');
          } else if (b === 0x01) pass.push(0x01);
          continue;
        }
        if (b === 0x01) escape = true;
        else pass.push(b);
      }
      if (pass.length) feed(Uint8Array.from(pass));
    });
  } else {
    stdin.on('data', (chunk: Buffer) => feed(new Uint8Array(chunk)));
    stdin.on('error', () => {});
  }
  stdin.resume();

  const timer =
    opts.timeoutS !== null
      ? setTimeout(() => {
          timedOut = true;
          machine.stop();
        }, opts.timeoutS * 1000)
      : undefined;

  const exit: MachineExit = await machine.run();
  if (timer) clearTimeout(timer);
  gdb?.close();
  if (opts.profile) {
    const p = machine.profile();
    if (p) process.stderr.write(formatProfile(p, machine.stats().instret));
  }
  storage.close();
  if (isTty) stdin.setRawMode(false);
  stdin.pause();

  if (quitByUser) {
    process.stderr.write('\r\nvm: terminated\n');
    return EXIT_CODES.poweroff;
  }
  if (gdb?.killed) {
    process.stderr.write('vm: killed by gdb\n');
    return EXIT_CODES.poweroff;
  }
  if (timedOut) {
    process.stderr.write(`\nvm: timeout after ${opts.timeoutS} s (guest still running)\n`);
    return EXIT_CODES.timeout;
  }
  switch (exit.code) {
    case 0:
      return EXIT_CODES.poweroff;
    case 2:
      process.stderr.write(`vm: ${exit.reason}\n`);
      return EXIT_CODES.guestHalted;
    default:
      process.stderr.write(`vm: ${exit.reason}\n`);
      return EXIT_CODES.hostError;
  }
}

/** The --profile report (stderr). */
export function formatProfile(p: JitProfile & { runMs: number; msInterp: number }, instret: number): string {
  const pct = (a: number, b: number) => (b > 0 ? ((100 * a) / b).toFixed(1) : '0.0');
  const lines = [
    'vm: translator profile',
    `  instructions      ${instret} retired, ${p.insnsInJit} (${pct(p.insnsInJit, instret)}%) in translated code`,
    `  blocks            ${p.compiles} translated (${p.insnsTranslated} instructions) in ${p.modules} modules, ${p.rejected} starts not translatable, ${p.blocksLive} live, ${p.flushes} cache flushes`,
    `  block runs        ${p.blocksRun}`,
    `  compile time      ${p.compileMs.toFixed(1)} ms (${p.insnsTranslated ? ((p.compileMs * 1000) / p.insnsTranslated).toFixed(2) : '0'} us per translated instruction): translator ${p.translateMs.toFixed(1)}, WebAssembly.Module ${p.moduleMs.toFixed(1)}, instance + table ${p.instanceMs.toFixed(1)} ms`,
    `  code cache        ${p.codeBytes} bytes of wasm`,
    `  invalidations     ${p.invalidatedBlocks} blocks on ${p.invalidatedPages} page writes`,
    `  time              ${p.runMs.toFixed(1)} ms running: ${p.msInJit.toFixed(1)} ms in translated code (timed per block), ${p.compileMs.toFixed(1)} ms compiling, ${p.msInterp.toFixed(1)} ms interpreter and devices`,
    '  hottest blocks (pc, instructions, runs):',
    ...p.top.map((b) => `    ${b.vpc} ${b.insns}${b.loop ? ' loop' : ''} ${b.hits}`),
  ];
  return lines.join('\n') + '\n';
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  main().then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (e) => {
      process.stderr.write(`vm: host error: ${(e as Error)?.stack ?? e}\n`);
      process.exit(EXIT_CODES.hostError);
    },
  );
}

// `npm run vm -- [options]`: boots a kernel in the emulator with the terminal
// attached to UART0, like `qemu-system-aarch64 -nographic`.
//
// stdout carries the guest's UART output and nothing else; every message of
// our own goes to stderr. See docs/EMULATOR.md for options and exit codes.
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { FileBlockStore } from './devices/file-block-store.ts';
import { SECTOR, VirtioBlk } from './devices/virtio-blk.ts';
import { VirtioConsole } from './devices/virtio-console.ts';
import type { VirtioBackend } from './devices/virtio-mmio.ts';
import { LoaderError } from './loader.ts';
import { Machine, type MachineExit } from './machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule } from './node-files.ts';
import type { ClockName } from './core.ts';
import { GdbStub } from './gdb/stub.ts';

export const EXIT_CODES = {
  poweroff: 0,
  hostError: 1,
  guestHalted: 2,
  timeout: 3,
  usage: 64,
} as const;

const USAGE = `usage: npm run vm -- [options]

  --kernel FILE            kernel Image or raw binary (default: kernel-image/dist/sis-kernel.img)
  --append ARGS            kernel command line (/chosen/bootargs)
  --initrd FILE            initrd/initramfs, loaded where QEMU's -initrd puts it
  --seed N                 the DTB's /chosen rng-seed and kaslr-seed from N (a 64-bit
                           integer) instead of the host's random source
  --mem MIB                RAM size in MiB, 16..2048 (default 128)
  --clock realtime|virtual guest clock (default: realtime on a terminal, virtual on a pipe)
  --timeout SECONDS        stop with exit code 3 after this much host time
  --disk FILE              system disk (the kernel's blk0, virtio slot 31), read-write;
                           a raw image, a whole number of 512-byte sectors; an all-zero
                           file is formatted as ext4 by the kernel at boot
  --import FILE            import disk (the kernel's blk1, slot 30), read-only; needs --disk
  --events FILE            the kernel's event channel (virtio console, slot 29): JSON Lines
                           appended to FILE as they arrive; - writes them to stderr
  --gdb PORT               GDB remote stub on 127.0.0.1:PORT (QEMU's -gdb tcp::PORT);
                           a client connecting stops the guest
  --gdb-wait               with --gdb: wait for GDB before the first instruction (QEMU's -S)
  --help                   this text

On a terminal: Ctrl-A x quits, Ctrl-A h shows the keys, Ctrl-A Ctrl-A sends Ctrl-A.
Exit status: 0 guest powered off (PSCI SYSTEM_OFF) or Ctrl-A x; 1 host error
(bad image, bad or missing disk, emulator fault); 2 guest halted after a crash;
3 timeout; 64 usage error.
`;

export interface CliOptions {
  kernel: string;
  append: string;
  memMiB: number;
  clock: ClockName;
  timeoutS: number | null;
  disk: string | null;
  importDisk: string | null;
  events: string | null;
  initrd: string | null;
  seed: bigint | null;
  gdbPort: number | null;
  gdbWait: boolean;
}

export class UsageError extends Error {}

const MAX_UNDEF_REPORTS = 20;

/** Parses argv (without node/script); throws UsageError with a message for the user. */
export function parseArgs(argv: string[], stdinIsTty: boolean): CliOptions | 'help' {
  const o: CliOptions = {
    kernel: DEFAULT_KERNEL_PATH,
    append: '',
    memMiB: 128,
    clock: stdinIsTty ? 'realtime' : 'virtual',
    timeoutS: null,
    disk: null,
    importDisk: null,
    events: null,
    initrd: null,
    seed: null,
    gdbPort: null,
    gdbWait: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
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
      case '--append':
        o.append = next();
        break;
      case '--mem': {
        const v = next();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 16 || n > 2048) throw new UsageError(`--mem ${v}: give a whole number of MiB from 16 to 2048`);
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
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  if (o.gdbWait && o.gdbPort === null) throw new UsageError('--gdb-wait needs --gdb PORT');
  if (o.importDisk !== null && o.disk === null) {
    throw new UsageError('--import needs --disk: the import disk is blk1, after the system disk blk0');
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
 * the events sink; throws Error with a message for the user.
 */
export function openStorage(o: CliOptions): { virtio: Record<number, VirtioBackend>; close: () => void } {
  const stores: FileBlockStore[] = [];
  const closeAll = () => {
    for (const s of stores) s.close();
  };
  let eventsFd: number | null = null;
  try {
    const open = (path: string, readOnly: boolean, what: string) => {
      let st;
      try {
        st = statSync(path);
      } catch (e) {
        throw new Error(`cannot open ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      if (!st.isFile()) throw new Error(`${what} ${path}: not a regular file`);
      if (st.size === 0) throw new Error(`${what} ${path}: empty file (create one with e.g. truncate -s 64M ${path})`);
      if (st.size % SECTOR) throw new Error(`${what} ${path}: size ${st.size} is not a multiple of ${SECTOR} bytes`);
      try {
        const s = new FileBlockStore(path, readOnly);
        stores.push(s);
        return s;
      } catch (e) {
        throw new Error(`cannot open ${what} ${path}${readOnly ? '' : ' for writing'}: ${(e as Error).message}`);
      }
    };
    const virtio: Record<number, VirtioBackend> = {};
    if (o.disk !== null) virtio[DISK_SLOT] = new VirtioBlk(open(o.disk, false, 'disk'), 'sis-system');
    if (o.importDisk !== null) virtio[IMPORT_SLOT] = new VirtioBlk(open(o.importDisk, true, 'import disk'), 'sis-import');
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
    storage = openStorage(opts);
  } catch (e) {
    process.stderr.write(`vm: ${(e as Error).message}\n`);
    return EXIT_CODES.hostError;
  }

  let machine: Machine;
  const undefSeen = new Set<string>();
  try {
    machine = await Machine.create({
      kernel,
      wasm: await loadCoreModule(),
      memMiB: opts.memMiB,
      append: opts.append,
      ...(initrd ? { initrd } : {}),
      ...(opts.seed !== null ? { seed: opts.seed } : {}),
      clock: opts.clock,
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
      if (pass.length) machine.input(Uint8Array.from(pass));
    });
  } else {
    stdin.on('data', (chunk: Buffer) => machine.input(new Uint8Array(chunk)));
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

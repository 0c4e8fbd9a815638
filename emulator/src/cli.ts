// `npm run vm -- [options]`: boots a kernel in the emulator with the terminal
// attached to UART0, like `qemu-system-aarch64 -nographic`.
//
// stdout carries the guest's UART output and nothing else; every message of
// our own goes to stderr. See docs/EMULATOR.md for options and exit codes.
import { readFileSync, statSync } from 'node:fs';
import { LoaderError } from './loader.ts';
import { Machine, type MachineExit } from './machine.ts';
import { DEFAULT_KERNEL_PATH, loadCoreModule } from './node-files.ts';
import type { ClockName } from './core.ts';

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
  --mem MIB                RAM size in MiB, 16..2048 (default 128)
  --clock realtime|virtual guest clock (default: realtime on a terminal, virtual on a pipe)
  --timeout SECONDS        stop with exit code 3 after this much host time
  --disk FILE, --import FILE, --events FILE
                           reserved for the storage devices (not yet supported)
  --help                   this text

On a terminal: Ctrl-A x quits, Ctrl-A h shows the keys, Ctrl-A Ctrl-A sends Ctrl-A.
Exit status: 0 guest powered off (PSCI SYSTEM_OFF) or Ctrl-A x; 1 host error
(bad option value, bad image, emulator fault); 2 guest halted after a crash;
3 timeout; 64 usage error.
`;

export interface CliOptions {
  kernel: string;
  append: string;
  memMiB: number;
  clock: ClockName;
  timeoutS: number | null;
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
      case '--import':
      case '--events':
        next();
        throw new UsageError(`${arg} is not yet supported (it arrives with the storage devices)`);
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  return o;
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

  let machine: Machine;
  const undefSeen = new Set<string>();
  try {
    machine = await Machine.create({
      kernel,
      wasm: await loadCoreModule(),
      memMiB: opts.memMiB,
      append: opts.append,
      clock: opts.clock,
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
    return EXIT_CODES.hostError;
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
  if (isTty) stdin.setRawMode(false);
  stdin.pause();

  if (quitByUser) {
    process.stderr.write('\r\nvm: terminated\n');
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

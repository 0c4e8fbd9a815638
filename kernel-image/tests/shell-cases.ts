// The shell's command/expectation table: what the SIS kernel must answer on
// any machine. Pure data plus small predicates over SerialMachine, with no
// QEMU specifics, so the emulator runs this very table (issue 3) and is held
// to exactly what QEMU shows. docs/SHELL.md documents the same behaviour.

import { PROMPT, runCommand, type SerialMachine } from './serial-machine.ts';
import { benchChecks } from './bench-reference.ts';

/** A check on a command's answer: substring, regex, or a predicate returning an error or null. */
export type Check = string | RegExp | ((answer: string) => string | null);

export type Step =
  /**
   * Type `command` + Enter, wait for the next prompt, check the answer (runCommand).
   * `timeoutMs` overrides the case's wait for a step that is slow by nature (not by load).
   */
  | { command: string; expect: Check[]; timeoutMs?: number }
  /** Type raw keystrokes, wait for `until` (from the start of this step), check the text in between. */
  | { type: string; until: string | RegExp; expect: Check[] }
  /** The machine must stop with this process-style status. */
  | { exitCode: number };

export interface ShellCase {
  name: string;
  /** Needs a machine of its own (it crashes, powers off or reboots it). */
  fresh: boolean;
  steps: Step[];
}

/** Every command `help` must list, in table order. */
export const COMMANDS = [
  'help', 'version', 'uptime', 'date', 'mem', 'echo', 'dtb', 'virtio', 'blk',
  'ls', 'cat', 'stat', 'sha256', 'mkdir', 'rm', 'rmdir', 'mv', 'ln', 'write', 'sync', 'df', 'diskctl', 'fsbench',
  'modelctl', 'autoctl', 'tracectl', 'stress', 'chaos', 'sleep', 'shadowctl', 'otelctl', 'driftctl', 'selftest', 'bench', 'crash', 'reboot', 'poweroff',
];

export const HALTED = 'sis: machine halted after a crash';
const HEX16 = '0x[0-9a-f]{16}';

const exactly = (want: string): Check => (a) => (a === want ? null : `expected ${JSON.stringify(want)}`);

const allRegisters: Check = (a) => {
  for (let i = 0; i <= 30; i++) {
    if (!new RegExp(`x${i}\\s+${HEX16}`).test(a)) return `register x${i} missing`;
  }
  return /sp\s+0x[0-9a-f]{16}/.test(a) ? null : 'sp missing';
};

/** At least `min` backtrace frames, every one past #0 inside the kernel image. */
const backtrace = (min: number): Check => (a) => {
  const frames = [...a.matchAll(/^\s+#(\d+)\s+0x([0-9a-f]{16})/gm)];
  if (frames.length < min) return `backtrace has ${frames.length} frames, want >= ${min}`;
  for (const f of frames.slice(1)) {
    const addr = parseInt(f[2], 16);
    if (addr < 0x4008_0000 || addr >= 0x4010_0000) return `frame #${f[1]} 0x${f[2]} is outside the kernel`;
  }
  return null;
};

const crashCase = (kind: string, checks: Check[]): ShellCase => ({
  name: `crash ${kind} gives a decoded crash report and halts`,
  fresh: true,
  steps: [{
    type: `crash ${kind}\r`,
    until: HALTED,
    expect: ['*** SIS KERNEL CRASH ***', /ELR: 0x[0-9a-f]{16}  FAR: 0x[0-9a-f]{16}  SPSR: 0x[0-9a-f]{8}/,
      allRegisters, ...checks],
  }],
});

const longLine = (n: number) => 'echo ' + 'a'.repeat(n - 5);

export const SHELL_CASES: ShellCase[] = [
  {
    name: 'help lists every command, generated from one table',
    fresh: false,
    steps: [
      {
        command: 'help',
        expect: [
          (a) => {
            const listed = [...a.matchAll(/^ {2}(\S+) +\S/gm)].map((m) => m[1]);
            return JSON.stringify(listed) === JSON.stringify(COMMANDS) ? null : `help lists ${listed.join(',')}`;
          },
        ],
      },
      { command: 'help crash', expect: [/^usage: crash \[data\|write\|undef\|align\|brk\|jump\|svc\|el0\|panic\]\n/] },
      { command: 'help nope', expect: [exactly("sis: help: no command 'nope'\n")] },
    ],
  },
  {
    name: 'version shows semantic version, source hash, features, compiler',
    fresh: false,
    steps: [{
      command: 'version',
      expect: [/^SIS kernel \d+\.\d+\.\d+\n/, /^source: sha256:[0-9a-f]{64}$/m,
        /^features: (ai-ops model-lifecycle shadow-mode otel decision-traces|none)$/m, /^compiler: clang 19\./m],
    }],
  },
  {
    name: 'mem reports the 8 MiB heap and its statistics',
    fresh: false,
    steps: [{
      command: 'mem',
      expect: [/^heap: +8 MiB \(8388608 bytes\) at 0x[0-9a-f]{8}$/m, /^in use: +\d+ bytes$/m,
        /^peak: +\d+ bytes$/m, /^allocations: \d+, frees: \d+, failures: \d+$/m, /^ram: +128 MiB at 0x40000000$/m],
    }],
  },
  {
    name: 'echo joins its arguments with single spaces',
    fresh: false,
    steps: [
      { command: 'echo hello   world', expect: [exactly('hello world\n')] },
      { command: 'echo', expect: [exactly('\n')] },
    ],
  },
  {
    name: 'date is an ISO 8601 UTC timestamp from the PL031',
    fresh: false,
    steps: [{
      command: 'date',
      expect: [/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ\n$/,
        (a) => (Date.parse(a.trim()) > Date.parse('2020-01-01T00:00:00Z') ? null : 'date before 2020')],
    }],
  },
  {
    name: 'uptime counts up from the generic timer',
    fresh: false,
    steps: [{ command: 'uptime', expect: [/^up \d+\.\d{6} s, \d+ timer ticks at 100 Hz\n$/] }],
  },
  {
    name: 'dtb lists the devices found in the device tree',
    fresh: false,
    steps: [{
      command: 'dtb',
      expect: [/^uart +arm,pl011 +0x09000000 size 0x1000 +irq 33$/m,
        /^rtc +arm,pl031 +0x09010000 size 0x1000 +irq 34$/m,
        /^gic +arm,cortex-a15-gic +0x08000000 size 0x10000 +\+ 0x08010000 size 0x10000$/m,
        /^timer +arm,armv8-timer +irq 27$/m, /^virtio +virtio,mmio +0x0a000000 size 0x200 +irq 48$/m,
        /^memory: 0x40000000 size 0x8000000$/m, /^psci: hvc, version 1\.\d+$/m, /^bootargs: ".*"$/m],
    }],
  },
  {
    name: 'virtio lists the transports and the devices attached',
    fresh: false,
    steps: [
      {
        command: 'virtio',
        expect: [/^virtio: 32 transports, \d+ with a device\n/,
          (a) => {
            const n = Number(/with a device/.test(a) ? /, (\d+) with/.exec(a)![1] : -1);
            const slots = a.match(/^slot /gm)?.length ?? 0;
            return n === slots ? null : `${n} devices announced, ${slots} listed`;
          }],
      },
      { command: 'virtio x', expect: [exactly('usage: virtio\n')] },
    ],
  },
  {
    name: 'blk lists the disks and rejects bad requests',
    fresh: false,
    steps: [
      { command: 'blk', expect: [/^blk: \d+ disk\(s\)\n/] },
      { command: 'blk read 3 0', expect: [exactly('sis: blk: read failed: no such disk (-19)\n')] },
      { command: 'blk read 0', expect: [/^usage: blk \[read DISK SECTOR/] },
      { command: 'blk frob 0', expect: [/^usage: blk \[read DISK SECTOR/] },
    ],
  },
  {
    name: 'selftest passes in the kernel',
    fresh: false,
    steps: [
      { command: 'selftest', expect: [/^selftest: \d+ passed, 0 failed$/m, (a) => (a.includes('FAIL') ? 'a self test failed' : null)] },
      { command: 'selftest nope', expect: [exactly("sis: selftest: no test named 'nope'\n")] },
    ],
  },
  {
    name: 'bench prints timed loops whose checks match the host reference',
    fresh: false,
    steps: [
      {
        command: 'bench 3000',
        expect: [(a) => {
          const want = benchChecks(3000);
          for (const k of ['int', 'mem', 'fp'] as const) {
            const re = new RegExp(`^bench: ${k} 3000 iters \\d+ us check (0x[0-9a-f]{16})$`, 'm');
            const m = re.exec(a);
            if (!m) return `no ${k} line`;
            if (m[1] !== want[k]) return `${k} check ${m[1]}, host reference ${want[k]}`;
          }
          return null;
        }],
      },
      { command: 'bench 0', expect: [/^usage: bench \[iterations\]/] },
      { command: 'bench x1', expect: [/^usage: bench \[iterations\]/] },
    ],
  },
  {
    name: 'an unknown command gives a clear error',
    fresh: false,
    steps: [
      { command: 'xyz', expect: [exactly("sis: unknown command 'xyz' (try 'help')\n")] },
      { command: '', expect: [exactly('')] },
      { command: 'echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16', expect: [exactly('sis: too many arguments (max 16)\n')] },
      { command: 'crash bogus', expect: [/^usage: crash \[/] },
      { command: 'version extra', expect: [exactly('usage: version\n')] },
    ],
  },
  {
    name: 'lines up to 255 bytes run; longer lines are rejected and the shell goes on',
    fresh: false,
    steps: [
      { command: longLine(255), expect: [exactly('a'.repeat(250) + '\n')] },
      { command: longLine(256), expect: [exactly('sis: line too long (max 255 bytes)\n')] },
      { command: 'x'.repeat(1000), expect: [exactly('sis: line too long (max 255 bytes)\n')] },
      { command: 'echo still alive', expect: [exactly('still alive\n')] },
    ],
  },
  {
    name: 'a burst of typed-ahead lines is answered line by line, nothing lost',
    fresh: false,
    steps: [{
      type: Array.from({ length: 20 }, (_, i) => `echo burst${i + 1}\r`).join(''),
      until: 'burst20\r\nsis> ',
      expect: [(a) => {
        for (let i = 1; i <= 20; i++) if (!a.includes(`\nburst${i}\n`)) return `burst${i} missing`;
        return null;
      }],
    }],
  },
  {
    name: 'line editing: backspace, Ctrl-U, Ctrl-C, history',
    fresh: false,
    steps: [
      { command: 'echox\x7f hi', expect: [exactly('hi\n')] },
      { command: 'echo b\x08\x08\x08\x08\x08\x08\x08echo c', expect: [exactly('c\n')] },
      { command: 'garbage\x15echo after ctrl-u', expect: [exactly('after ctrl-u\n')] },
      { type: 'echo never\x03', until: PROMPT, expect: ['^C\n', (a) => (a.includes('never\nnever') ? 'line ran' : null)] },
      { command: 'echo one', expect: [exactly('one\n')] },
      { command: 'echo two', expect: [exactly('two\n')] },
      { command: '\x1b[A\x1b[A', expect: [exactly('one\n')] },
      { command: '\x1b[A\x1b[A\x1b[A\x1b[B', expect: [exactly('two\n')] },
      { command: 'echo crlf\r\necho next', expect: [exactly('crlf\n')] },
    ],
  },
  {
    name: 'escape sequences never swallow Enter, Ctrl-C, Ctrl-U or Backspace; tabs separate arguments',
    fresh: false,
    steps: [
      // An unfinished CSI, then Enter: the Enter still ends the (empty) line, and the next line
      // is read from its first byte (issue 7: this gave "unknown command 'elp'"). One step, typed
      // together, waiting for its own last line (the previous case's last line may still answer).
      {
        type: '\x1b[12\rhelp version\r',
        until: /and compiler\r\nsis> /,
        expect: ['\nsis> help version\nusage: version\nkernel version, source hash, features and compiler\nsis> ',
          (a) => (a.includes('unknown command') ? 'a line went wrong' : null)],
      },
      { command: 'help version', expect: [exactly('usage: version\nkernel version, source hash, features and compiler\n')] },
      { type: 'echo a\x1b[5\x03', until: PROMPT, expect: [exactly('echo a^C\nsis> ')] },
      { command: 'echo a\x1b[3\x15echo b', expect: [exactly('b\n')] },
      { command: 'echo ab\x1b[\x7f', expect: [exactly('a\n')] },
      { type: 'echo c\x1bO\r', until: PROMPT, expect: [exactly('echo c\nc\nsis> ')] },
      // A CSI holds at most 16 parameter bytes; the 17th and what follows are typed.
      { command: 'echo z\x1b[' + '1'.repeat(16) + '234', expect: [exactly('z234\n')] },
      { command: 'echo z\x1b[' + '1'.repeat(15) + '~y', expect: [exactly('zy\n')] },
      // ESC + a printable byte (Alt-x) is dropped whole; ESC ESC starts over; unknown finals are ignored.
      { command: '\x1bxecho alt', expect: [exactly('alt\n')] },
      { command: 'echo q\x1b\x1b[C\x1b[3~\x1bOP', expect: [exactly('q\n')] },
      // A tab is stored and echoed as a space.
      { type: 'echo\tx\r', until: PROMPT, expect: [exactly('echo x\nx\nsis> ')] },
      { command: 'echo\ta\t\tb\t', expect: [exactly('a b\n')] },
      { command: 'echo\t\x7fy', expect: [exactly("sis: unknown command 'echoy' (try 'help')\n")] },
    ],
  },
  crashCase('data', ['exception: Data Abort (same EL)', 'ESR: 0x96000005 (EC 0x25',
    'fault: translation fault, level 1 on read', /FAR: 0x00000000dead0000/, backtrace(4),
    /#0 +0x[0-9a-f]{16} crash_data\+0x[0-9a-f]+ \(faulting pc\)\n +#1 +0x[0-9a-f]{16} cmd_crash\+0x[0-9a-f]+\n +#2 +0x[0-9a-f]{16} shell_run\+0x[0-9a-f]+\n +#3 +0x[0-9a-f]{16} kmain\+0x/]),
  crashCase('write', ['exception: Data Abort (same EL)', 'fault: translation fault, level 2 on write',
    /FAR: 0x0000000000000010/, backtrace(4)]),
  crashCase('undef', ['exception: Unknown reason (undefined instruction)', 'ESR: 0x02000000 (EC 0x00', backtrace(4),
    / crash_undef\+0x[0-9a-f]+ \(faulting pc\)/]),
  crashCase('align', ['exception: Data Abort (same EL)', 'fault: alignment fault on read', /FAR: 0x[0-9a-f]{15}[13579bdf]/]),
  crashCase('brk', ['exception: BRK instruction (AArch64)', 'ESR: 0xf2005157', 'immediate: 0x5157']),
  crashCase('jump', ['exception: Instruction Abort (same EL)', 'fault: translation fault, level 1\n',
    /ELR: 0x00000000dead0000  FAR: 0x00000000dead0000/, backtrace(3)]),
  crashCase('svc', ['exception: SVC instruction (AArch64)', 'ESR: 0x56000042', 'immediate: 0x0042']),
  crashCase('el0', ['vector: synchronous exception from lower EL (AArch64)',
    'exception: Instruction Abort (lower EL)', 'fault: permission fault, level 2', /SPSR: 0x00000000/,
    /sp_el0 0x[0-9a-f]{16}/]),
  {
    name: 'panic prints its reason and a backtrace, and halts',
    fresh: true,
    steps: [{
      type: 'crash panic\r',
      until: HALTED,
      expect: ['panic: crash: panic requested from the shell\nbacktrace (frame pointers):\n', backtrace(4),
        /#0 +0x[0-9a-f]{16} crash_panic\+0x[0-9a-f]+ \(panic called here\)\n +#1 +0x[0-9a-f]{16} cmd_crash\+0x[0-9a-f]+\n +#2 +0x[0-9a-f]{16} shell_run\+0x[0-9a-f]+\n +#3 +0x[0-9a-f]{16} kmain\+0x/,
        (a) => (a.includes('*** SIS KERNEL CRASH ***') ? 'a panic is not an exception: no crash report' : null)],
    }],
  },
  {
    name: 'poweroff stops the machine with status 0',
    fresh: true,
    steps: [{ type: 'poweroff\r', until: 'sis: powering off', expect: [] }, { exitCode: 0 }],
  },
  {
    name: 'reboot restarts the kernel to a new prompt',
    fresh: true,
    steps: [
      { type: 'reboot\r', until: /sis: rebooting\r?\n[\s\S]*SIS kernel [\s\S]*sis> /, expect: [] },
      { command: 'echo back', expect: [exactly('back\n')] },
    ],
  },
];

function check(answer: string, checks: Check[], what: string): void {
  const errors: string[] = [];
  for (const c of checks) {
    if (typeof c === 'string') {
      if (!answer.includes(c)) errors.push(`missing ${JSON.stringify(c)}`);
    } else if (c instanceof RegExp) {
      if (!c.test(answer)) errors.push(`no match for ${c}`);
    } else {
      const e = c(answer);
      if (e) errors.push(e);
    }
  }
  if (errors.length) throw new Error(`${what}: ${errors.join('; ')}\n--- answer ---\n${answer}`);
}

/** Run one case on a machine already at its prompt. */
export async function runCase(m: SerialMachine, c: ShellCase, timeoutMs = 20_000): Promise<void> {
  for (const step of c.steps) {
    if ('command' in step) {
      const answer = await runCommand(m, step.command, step.timeoutMs ?? timeoutMs);
      check(answer, step.expect, JSON.stringify(step.command));
    } else if ('type' in step) {
      const from = m.output.length;
      m.write(step.type);
      const hit = await m.waitFor(step.until, { from, timeoutMs });
      check(m.output.slice(from, hit.end).replace(/\r\n/g, '\n'), step.expect, JSON.stringify(step.type));
    } else {
      const exit = await Promise.race([
        m.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('machine did not stop')), timeoutMs)),
      ]);
      if (exit.code !== step.exitCode) throw new Error(`exit status ${exit.code} (${exit.reason}), want ${step.exitCode}`);
    }
  }
}

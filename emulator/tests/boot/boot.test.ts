// Booting the committed kernel in Node: to the prompt in-process, and through
// the CLI the way scripts use it (stdin a pipe), including its failure paths.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CLI, runVm, TSX } from '../vm-cli.ts';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { DEFAULT_KERNEL_PATH, haveCore, haveKernel } from '../../src/node-files.ts';
import { type CliOptions, parseArgs, UsageError } from '../../src/cli.ts';
import { cpuFromEnv } from '../../src/jit/jit.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');


const vm = runVm;

describe('boot in Node', () => {
  it('reaches the prompt with no undefined instructions', async () => {
    const t0 = performance.now();
    const m = await EmulatorMachine.start();
    try {
      await m.waitFor(PROMPT, { timeoutMs: 60_000 });
      const ms = performance.now() - t0;
      const s = m.machine.stats();
      // A figure for the record (docs/EMULATOR.md), never an assertion.
      console.log(`boot to prompt: ${ms.toFixed(0)} ms, ${s.instret} instructions, ${s.mips.toFixed(1)} MIPS`);
      expect(m.output).toMatch(/SIS kernel \d+\.\d+\.\d+/);
      expect(m.undefinedInsns).toEqual([]);
    } finally {
      await m.kill();
    }
  });
});

describe('an idle kernel', () => {
  for (const clock of ['realtime', 'virtual'] as const) {
    it(`does not keep a host core busy at the prompt (${clock} clock)`, async () => {
      const m = await EmulatorMachine.start({ clock });
      try {
        await m.waitFor(PROMPT, { timeoutMs: 60_000 });
        await new Promise((r) => setTimeout(r, 300)); // let the boot's last slice settle
        const before = m.machine.stats();
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        await new Promise((r) => setTimeout(r, 2000));
        const cpuMs = (() => {
          const c = process.cpuUsage(cpu0);
          return (c.user + c.system) / 1000;
        })();
        const wall = performance.now() - wall0;
        const after = m.machine.stats();
        console.log(`idle ${clock}: ${cpuMs.toFixed(0)} ms CPU in ${wall.toFixed(0)} ms, ${after.instret - before.instret} instructions`);
        // The kernel's 100 Hz tick keeps running (so instructions do retire),
        // but the host sleeps between ticks instead of spinning.
        expect(after.instret).toBeGreaterThan(before.instret);
        expect(cpuMs).toBeLessThan(wall * 0.25);
      } finally {
        await m.kill();
      }
    });
  }
});

describe('npm run vm with a pipe', () => {
  it("printf 'help\\npoweroff\\n' | npm run vm: the answers on stdout, exit 0", async () => {
    const r = await vm([], 'help\npoweroff\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(PROMPT);
    expect(r.stdout).toMatch(/^ {2}poweroff /m);
    expect(r.stdout).toContain('sis: powering off');
  });

  it('--cpu jit --profile vs --cpu interp: the same answers, the profile on stderr, exit 0', async () => {
    const [a, b] = await Promise.all([vm(['--cpu', 'interp'], 'help\necho x\npoweroff\n'), vm(['--cpu', 'jit', '--profile'], 'help\necho x\npoweroff\n')]);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toMatch(/^vm: translator profile\n {2}instructions {6}\d+ retired, \d+ \([\d.]+%\) in translated code\n/);
    expect(b.stderr).toMatch(/blocks {12}[1-9]\d* translated/);
    expect(b.stderr).toMatch(/hottest blocks/);
  });

  it('crash undef: the kernel crash report on stdout, a message on stderr, exit 2', async () => {
    const r = await vm([], 'crash undef\n');
    expect(r.stdout).toContain('*** SIS KERNEL CRASH ***');
    expect(r.stdout).toContain('exception: Unknown reason (undefined instruction)');
    expect(r.stdout).toContain('sis: machine halted after a crash');
    expect(r.stderr).toMatch(/undefined instruction 0x[0-9a-f]{8} at pc 0x[0-9a-f]+/);
    expect(r.stderr).toMatch(/guest halted/);
    expect(r.code).toBe(2);
  });

  it('--append reaches /chosen/bootargs', async () => {
    const r = await vm(['--append', 'sis.from=cli'], 'dtb\npoweroff\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bootargs: "sis\.from=cli"\r?$/m);
  });

  it('--timeout stops a machine that never powers off: exit 3', async () => {
    const r = await vm(['--timeout', '2'], '');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/timeout after 2 s/);
  });
});

describe('npm run vm failure paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sis-cli-'));
  const file = (name: string, bytes: Uint8Array) => {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };

  it('a truncated Image: clear error, exit 1, nothing on stdout', async () => {
    const b = new Uint8Array(0x3c);
    new DataView(b.buffer).setUint32(0x38, 0x644d5241, true);
    const r = await vm(['--kernel', file('trunc.img', b)], '');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/arm64 Image is truncated: 60 bytes, shorter than its 64-byte header/);
  });

  it('an empty file and a missing file', async () => {
    const r1 = await vm(['--kernel', file('empty.img', new Uint8Array(0))], '');
    expect([r1.code, r1.stderr]).toEqual([1, expect.stringMatching(/kernel image is empty/)]);
    const r2 = await vm(['--kernel', join(dir, 'nope.img')], '');
    expect([r2.code, r2.stderr]).toEqual([1, expect.stringMatching(/cannot read kernel .*nope\.img/)]);
  });

  it('an Image whose header claims more than RAM', async () => {
    const b = new Uint8Array(128);
    const v = new DataView(b.buffer);
    v.setBigUint64(8, 0x80000n, true);
    v.setBigUint64(16, 256n << 20n, true);
    v.setUint32(0x38, 0x644d5241, true);
    const r = await vm(['--kernel', file('big.img', b), '--mem', '64'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not fit in RAM/);
  });

  it('bad options: usage error with exit 64', async () => {
    const r = await vm(['--mem', 'lots'], '');
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vm: --mem lots: give a whole number of MiB/);
  });
});

// Issue 7 item 10: files that used to run garbage at 100% CPU until --timeout.
describe('npm run vm: kernels that are not a bootable Image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sis-badk-'));
  const real = new Uint8Array(readFileSync(DEFAULT_KERNEL_PATH));
  const file = (name: string, bytes: Uint8Array) => {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };
  // 1 MiB of pseudo-random bytes, the same every run (xorshift32).
  const noise = new Uint8Array(1 << 20);
  for (let i = 0, x = 0x2545f491; i < noise.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    new DataView(noise.buffer).setUint32(i, x >>> 0, true);
  }
  const textOffset = real.slice();
  new DataView(textOffset.buffer).setBigUint64(8, 0x1fffffn, true);
  const refused: [string, Uint8Array, string][] = [
    ['1 MiB of random bytes', noise, 'kernel image is not an arm64 Image: no "ARM\\x64" magic at offset 0x38 (load a raw binary with --raw)'],
    ['a 10-byte prefix of the Image', real.subarray(0, 10), 'kernel image is truncated or not an arm64 Image: 10 bytes, shorter than the 64-byte Image header (load a raw binary with --raw)'],
    ['a 64-byte prefix of the Image', real.subarray(0, 64), 'arm64 Image is truncated: the header branches to the entry code at 0x40, past the end of the file (64 bytes)'],
    ['text_offset 0x1fffff', textOffset, 'arm64 Image header is malformed: text_offset 0x1fffff is not a multiple of 4 KiB (the kernel must start on a page boundary)'],
  ];
  for (const [name, bytes, message] of refused) {
    it(`${name}: refused at once, exit 1`, async () => {
      const f = file(name.replace(/\W+/g, '-'), bytes);
      const r = await vm(['--kernel', f, '--timeout', '60'], '');
      expect(r.stderr).toBe(`vm: ${f}: ${message}\n`);
      expect([r.code, r.stdout]).toEqual([1, '']);
    });
  }
  const loop = /^vm: guest stuck in an exception loop: the same synchronous exception 1000 times in a row with no progress, EC 0x[0-9a-f]{2} \([^)]+\), ESR 0x[0-9a-f]+, ELR 0x[0-9a-f]+, FAR 0x[0-9a-f]+$/m;
  it('the same files with --raw run, and the exception loop they end in stops them: exit 2', async () => {
    const r = await vm(['--raw', '--kernel', file('noise.bin', noise), '--timeout', '60'], '');
    expect(r.stderr).toMatch(loop);
    expect(r.code).toBe(2);
    const r2 = await vm(['--raw', '--kernel', file('prefix10.bin', real.subarray(0, 10)), '--timeout', '60'], '');
    // b 0x40 into zeroed RAM: UDF #0, then the vector at VBAR 0 (no RAM) faults for ever
    expect(r2.stderr).toBe(
      'vm: undefined instruction 0x00000000 at pc 0x40080040 (raised in the guest)\n' +
        'vm: guest stuck in an exception loop: the same synchronous exception 1000 times in a row with no progress, ' +
        'EC 0x21 (instruction abort at EL1), ESR 0x86000010, ELR 0x200, FAR 0x200\n',
    );
    expect([r2.code, r2.stdout]).toEqual([2, '']);
  });
  it("every 'crash' kind still ends in the kernel's report and a halt, not the loop detector", async () => {
    for (const kind of ['data', 'write', 'undef', 'align', 'brk', 'jump', 'svc', 'el0', 'panic']) {
      const r = await vm([], `crash ${kind}\n`);
      expect(r.stdout, kind).toContain('sis: machine halted after a crash');
      expect(r.stderr, kind).toMatch(/vm: guest halted after a crash\n$/);
      expect(r.stderr, kind).not.toMatch(/exception loop/);
      expect(r.code, kind).toBe(2);
    }
  }, 300_000);
});

// Issue 7 item 4: the whole --mem range boots.
describe('npm run vm --mem', () => {
  for (const mem of [19, 2048, 4095]) {
    it(`--mem ${mem}: boots, the kernel sees ${mem} MiB and runs commands`, async () => {
      const r = await vm(['--mem', String(mem)], 'mem\necho ok\npoweroff\n');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`boot: ram ${mem} MiB at 0x40000000`);
      expect(r.stdout).toMatch(/^ok\r?$/m);
    });
  }
  it('--mem 18: a usage error naming the range (the kernel cannot place its heap in 18 MiB)', async () => {
    const r = await vm(['--mem', '18'], '');
    expect(r.stderr).toBe('vm: --mem 18: give a whole number of MiB from 19 (the smallest RAM the SIS kernel boots in) to 4095 (the wasm32 limit)\n');
    expect([r.code, r.stdout]).toEqual([64, '']);
  });
});

describe.skipIf(spawnSync('script', ['--version']).status !== 0)('npm run vm on a terminal', () => {
  it('Ctrl-A h lists the keys and Ctrl-A x quits with status 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sis-tty-'));
    const loop = join(dir, 'loop.bin');
    writeFileSync(loop, Uint8Array.from([0, 0, 0, 0x14])); // b .
    // script(1) gives the CLI a pseudo-terminal, so it takes the raw-mode path.
    const p = spawn('script', ['-qfec', `${TSX} ${CLI} --raw --kernel ${loop}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.on('exit', r));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await new Promise((r) => setTimeout(r, 3000)); // tsx start-up, then raw mode
    p.stdin.write('\x01h');
    await until(/C-a x +exit emulator/);
    p.stdin.write('\x01x');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('no exit'), 30_000))]);
    if (code === 'no exit') p.kill('SIGKILL');
    expect(out).toMatch(/C-a x +exit emulator/);
    expect(out).toMatch(/vm: terminated/);
    expect(code).toBe(0);
  });
});

describe('CLI option parsing', () => {
  it('defaults to the translator; SIS_CPU picks another default, a bad one is a usage error', () => {
    try {
      vi.stubEnv('SIS_CPU', '');
      expect(parseArgs([], false)).toMatchObject({ cpu: 'jit', profile: false });
      expect(parseArgs(['--profile'], false)).toMatchObject({ cpu: 'jit', profile: true });
      vi.stubEnv('SIS_CPU', 'interp');
      expect(parseArgs([], false)).toMatchObject({ cpu: 'interp' });
      expect(parseArgs(['--cpu', 'jit'], false)).toMatchObject({ cpu: 'jit' });
      expect(() => parseArgs(['--profile'], false)).toThrow(/--profile needs --cpu jit/);
      vi.stubEnv('SIS_CPU', 'fast');
      expect(() => parseArgs([], false)).toThrow(UsageError);
      expect(() => parseArgs([], false)).toThrow(/SIS_CPU=fast: use interp or jit/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('accepts the documented options in both spellings', () => {
    expect(parseArgs(['--kernel', 'k', '--append=a b', '--mem', '256', '--clock', 'realtime', '--timeout=1.5'], false)).toEqual({
      kernel: 'k', raw: false, append: 'a b', memMiB: 256, clock: 'realtime', timeoutS: 1.5, disk: null, importDisk: null, events: null,
      initrd: null, seed: null, gdbPort: null, gdbWait: false, cpu: cpuFromEnv(), profile: false, noDisk: false,
    });
    expect(parseArgs(['--initrd=r.cpio', '--seed', '0x10', '--gdb', '1234', '--gdb-wait'], false)).toMatchObject({
      initrd: 'r.cpio', seed: 16n, gdbPort: 1234, gdbWait: true,
    });
    expect(parseArgs(['--cpu', 'jit', '--profile'], false)).toMatchObject({ cpu: 'jit', profile: true });
    expect(parseArgs(['--cpu=interp'], false)).toMatchObject({ cpu: 'interp', profile: false });
    expect(parseArgs(['--disk=d.img', '--import', 'i.img', '--events', '-'], false)).toMatchObject({ disk: 'd.img', importDisk: 'i.img', events: '-' });
  });
  it('defaults the clock to realtime on a terminal and virtual on a pipe', () => {
    expect((parseArgs([], true) as CliOptions).clock).toBe('realtime');
    expect((parseArgs([], false) as CliOptions).clock).toBe('virtual');
    expect(parseArgs(['--help'], false)).toBe('help');
  });
  it('rejects bad values, unknown options and bad storage options', () => {
    const bad: [string[], RegExp][] = [
      [['--bogus'], /unknown option --bogus/],
      [['--mem', '8'], /from 19 \(the smallest RAM the SIS kernel boots in\) to 4095 \(the wasm32 limit\)/],
      [['--mem', '18'], /from 19 /],
      [['--mem', '4096'], /to 4095 /],
      [['--raw=yes'], /--raw takes no value/],
      [['--mem', '1.5'], /whole number/],
      [['--clock', 'fast'], /realtime or virtual/],
      [['--timeout', '-1'], /positive number/],
      [['--timeout', 'abc'], /positive number/],
      [['--kernel'], /needs a value/],
      [['--no-disk', '--import', 'x.img'], /--no-disk cannot go with --disk or --import/],
      [['--disk'], /needs a value/],
      [['--disk='], /--disk needs a file name/],
      [['--events'], /needs a value/],
      [['--initrd='], /--initrd needs a file name/],
      [['--seed', '-1'], /--seed -1: give an integer/],
      [['--seed', '0x1' + '0'.repeat(16)], /give an integer from 0 to 2\^64-1/],
      [['--gdb', '0'], /--gdb 0: give a TCP port/],
      [['--gdb-wait=1'], /--gdb-wait takes no value/],
      [['--cpu', 'fast'], /--cpu fast: use interp or jit/],
      [['--cpu'], /needs a value/],
      [['--cpu', 'interp', '--profile'], /--profile needs --cpu jit/],
      [['--cpu', 'jit', '--profile=1'], /takes no value/],
    ];
    for (const [args, re] of bad) expect(() => parseArgs(args, false), args.join(' ')).toThrow(re);
    expect(() => parseArgs(['--bogus'], false)).toThrow(UsageError);
  });
});

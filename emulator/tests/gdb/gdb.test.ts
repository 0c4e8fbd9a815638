// Debian's gdb-multiarch against `npm run vm -- --gdb PORT --gdb-wait`: the
// SIS kernel with its symbols (the ELF the Image is made from), a software
// breakpoint in the `echo` command's handler and a hardware watchpoint on a
// shell global; the command typed on the UART (stdin); registers and memory
// inspected, a single step, continue; the command completes and the guest's
// power-off ends the GDB session. With the interpreter and with the
// translator (--cpu jit: the shell runs translated until the breakpoint).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL_PATH, haveCore, REPO_ROOT } from '../../src/node-files.ts';
import { CLI, runVm, TSX } from '../vm-cli.ts';

const haveGdb = spawnSync('gdb-multiarch', ['--version']).status === 0;

/** The kernel ELF matching the committed Image (built if missing). */
function kernelElf(): string {
  const objRoot = join(REPO_ROOT, 'kernel-image/build/obj');
  const find = () =>
    existsSync(objRoot) ? readdirSync(objRoot).filter((d) => d.startsWith('dist-')).map((d) => join(objRoot, d, 'sis-kernel.elf')).filter(existsSync) : [];
  if (!find().length) execFileSync('make', ['-C', join(REPO_ROOT, 'kernel-image')], { stdio: 'ignore' });
  const elf = find()[0];
  const bin = join(mkdtempSync(join(tmpdir(), 'sis-gdb-')), 'k.bin');
  execFileSync('llvm-objcopy-19', ['-O', 'binary', elf, bin]);
  if (!readFileSync(bin).equals(readFileSync(DEFAULT_KERNEL_PATH))) throw new Error(`${elf} is not the ELF of ${DEFAULT_KERNEL_PATH}: run npm run kernel`);
  return elf;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe.skipIf(!haveCore() || !haveGdb)('gdb-multiarch with npm run vm --gdb', () => {
  for (const cpu of ['interp', 'jit'] as const) it(`breaks in a shell command handler, inspects, steps, watches, continues (--cpu ${cpu})`, async () => {
    const elf = kernelElf();
    const port = await freePort();
    const vm = spawn(TSX, [CLI, '--gdb', String(port), '--gdb-wait', '--clock', 'virtual', '--timeout', '150', '--cpu', cpu], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    vm.stdout.on('data', (d) => (stdout += d));
    vm.stderr.on('data', (d) => (stderr += d));
    const vmExit = new Promise<number | null>((r) => vm.on('exit', r));
    // typed now, read by the guest's shell once it is up
    vm.stdin.end('echo hello world\npoweroff\n');
    for (let i = 0; i < 300 && !stderr.includes('waiting for gdb'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(`gdb stub on 127.0.0.1:${port} (waiting for gdb)`);
    expect(stdout).toBe(''); // nothing ran before gdb said so

    const script = join(mkdtempSync(join(tmpdir(), 'sis-gdb-')), 'cmds.gdb');
    writeFileSync(script, [
      'set pagination off',
      'set confirm off',
      `target remote 127.0.0.1:${port}`,
      'info registers pc',
      'break cmd_echo',
      'watch *(int*)&hist_count',
      'continue',
      'continue',
      'info registers x0',
      'x/s *(char**)($x1+8)',
      'x/s *(char**)($x1+16)',
      'p/x $sp',
      'p $v0.d.u[0]',
      'stepi',
      'info registers pc',
      'delete',
      'continue',
    ].join('\n') + '\n');
    const gdb = spawnSync('gdb-multiarch', ['-nx', '-batch', '-x', script, elf], { encoding: 'utf8', timeout: 150_000 });
    const out = gdb.stdout + gdb.stderr;
    const killer = setTimeout(() => vm.kill('SIGKILL'), 20_000); // the vm exits on the guest's poweroff
    const code = await vmExit;
    clearTimeout(killer);

    expect(out).toMatch(/pc\s+0x40080000\s+0x40080000 <_start_image>/); // stopped at the entry (-S)
    expect(out).toMatch(/Breakpoint 1 at 0x[0-9a-f]+/);
    expect(out).toMatch(/Hardware watchpoint 2: \*\(int\*\)&hist_count\s+Old value = 0\s+New value = 1/);
    expect(out).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in cmd_echo \(\)/);
    expect(out).toMatch(/x0\s+0x3\s+3/); // argc of "echo hello world"
    expect(out).toMatch(/:\s+"hello"/);
    expect(out).toMatch(/:\s+"world"/);
    expect(out).toMatch(/\$1 = 0x[0-9a-f]+/);
    expect(out).toMatch(/\$2 = \d+/);
    const bp = /Breakpoint 1, 0x([0-9a-f]+) in cmd_echo/.exec(out)![1];
    const after = /pc\s+0x([0-9a-f]+)\s+0x[0-9a-f]+ <cmd_echo\+\d+>/.exec(out); // after stepi
    expect(after).not.toBeNull();
    expect(BigInt('0x' + after![1])).toBe(BigInt('0x' + bp) + 4n);
    expect(out).toMatch(/\[Inferior 1 \(Remote target\) exited normally\]/);
    expect(stdout).toContain('sis> echo hello world\r\nhello world');
    expect(stdout).toContain('sis: powering off');
    expect(code).toBe(0);
  }, 180_000);

  it('refuses bad --gdb options', async () => {
    const a = await runVm(['--gdb', '70000'], '');
    expect(a.code).toBe(64);
    expect(a.stderr).toMatch(/--gdb 70000: give a TCP port/);
    const b = await runVm(['--gdb-wait'], '');
    expect(b.code).toBe(64);
    expect(b.stderr).toMatch(/--gdb-wait needs --gdb PORT/);
  });
});

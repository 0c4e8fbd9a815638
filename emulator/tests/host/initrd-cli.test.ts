// `npm run vm -- --initrd FILE` against QEMU's -initrd: a guest program finds
// the initrd through the DTB QEMU/we hand it (x0 -> /chosen is too much for a
// few lines of assembly, so it reads the fixed address QEMU uses for 128 MiB,
// RAM + 64 MiB) and prints its first and its last aligned word; both must print the same.
// Also the refusals: an unreadable initrd, one too big for RAM, a bad --seed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { assemble, haveLlvm, POWEROFF } from './asm.ts';
import { haveQemuSystem, runOnQemu } from './qemu-run.ts';
import { runVm } from '../vm-cli.ts';

const SIZE = 123_457;
const PROGRAM = `
  ldr x20, =0x44000000
  ldr x0, [x20]
  bl emit
  ldr x9, =${(SIZE & ~7) - 8} // aligned: MMU-off data accesses must be
  ldr x0, [x20, x9]
  bl emit
  ${POWEROFF}
emit:
  mov x6, #60
  mov x1, #0x09000000
2: lsr x7, x0, x6
  and x7, x7, #15
  cmp x7, #10
  add x8, x7, #48
  add x7, x7, #87
  csel x7, x8, x7, lo
  str w7, [x1]
  subs x6, x6, #4
  b.ge 2b
  mov w7, #10
  str w7, [x1]
  ret
  .ltorg
`;

describe.skipIf(!haveCore() || !haveLlvm || !haveQemuSystem)('npm run vm --initrd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sis-initrd-'));
  const prog = join(dir, 'prog.bin');
  const initrd = join(dir, 'initrd.img');

  it('puts the initrd where QEMU does', async () => {
    const program = assemble(PROGRAM);
    writeFileSync(prog, program);
    writeFileSync(initrd, new Uint8Array(SIZE).map((_, i) => (i * 37 + 11) & 0xff));
    const q = await runOnQemu(program, { extra: ['-initrd', initrd] });
    const r = await runVm(['--kernel', prog, '--raw', '--initrd', initrd, '--seed', '7', '--timeout', '60'], '');
    expect(q.split('\n').length).toBe(3);
    expect(r.stdout).toBe(q);
    expect(r.code).toBe(0);
  }, 120_000);

  it('refuses a missing initrd, one too big for RAM, and a bad --seed', async () => {
    writeFileSync(prog, assemble(PROGRAM));
    const missing = await runVm(['--kernel', prog, '--raw', '--initrd', join(dir, 'nope')], '');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/vm: cannot read initrd .*nope/);
    const big = join(dir, 'big.img');
    writeFileSync(big, new Uint8Array(11 << 20));
    const tooBig = await runVm(['--kernel', prog, '--raw', '--mem', '19', '--initrd', big], '');
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/initrd does not fit in RAM/);
    const seed = await runVm(['--kernel', prog, '--raw', '--seed', 'x12'], '');
    expect(seed.code).toBe(64);
    expect(seed.stderr).toMatch(/--seed x12: give an integer/);
  }, 120_000);
});

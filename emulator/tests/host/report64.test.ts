// Host reports carry 64-bit guest values exactly: a guest runs with the MMU on
// and hits an undefined instruction at a kernel-style address above 2^53
// (0xffff800008021d74, the address from issue 11, which a JS number rounds to
// 0xffff800008022000). The machine callback, ELR_EL1 as the guest reads it, and
// the CLI's report must all say the same address.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { assemble, haveLlvm, POWEROFF, PUTS } from './asm.ts';
import { runVm } from '../vm-cli.ts';

const HIGH_PC = 0xffff800008021d74n;

// TTBR0: identity map, L1[0] device (UART), L1[1] normal (RAM). TTBR1:
// L0[0x100] -> L1[0] -> L2[0x40] = 2 MiB block at PA 0x40600000, so
// VA 0xffff800008021d74 is PA 0x40621d74 (holding UDF #0).
const PROGRAM = `
  ldr x9, =0x40621d74
  str wzr, [x9]
  adr x9, l0lo
  adr x10, l1lo
  orr x11, x10, #3
  str x11, [x9]
  mov x11, #0x405
  str x11, [x10]
  ldr x11, =0x40000701
  str x11, [x10, #8]
  adr x9, l0hi
  adr x10, l1hi
  orr x11, x10, #3
  str x11, [x9, #0x800]
  adr x12, l2hi
  orr x11, x12, #3
  str x11, [x10]
  ldr x11, =0x40600701
  str x11, [x12, #0x200]
  mov x11, #0xff
  msr mair_el1, x11
  ldr x11, =(16 | (16 << 16) | (2 << 30) | (5 << 32))
  msr tcr_el1, x11
  adr x9, l0lo
  msr ttbr0_el1, x9
  adr x9, l0hi
  msr ttbr1_el1, x9
  adr x9, vectors
  msr vbar_el1, x9
  isb
  mrs x11, sctlr_el1
  orr x11, x11, #1
  msr sctlr_el1, x11
  isb
  ldr x2, =0xffff800008021d74
  br x2
  .ltorg
  .balign 0x800
vectors:
  .skip 0x200
  mrs x4, elr_el1
  ldr x5, =0xffff800008021d74
  adr x2, bad
  cmp x4, x5
  b.ne 1f
  adr x2, good
1: bl puts
  ${POWEROFF}
  ${PUTS}
  .ltorg
good: .asciz "elr ok\\n"
bad: .asciz "elr wrong\\n"
  .balign 4096
l0lo: .skip 4096
l1lo: .skip 4096
l0hi: .skip 4096
l1hi: .skip 4096
l2hi: .skip 4096
`;

describe.skipIf(!haveCore() || !haveLlvm)('64-bit values in host reports', () => {
  it('reports an undefined instruction at a kernel VA exactly (Machine)', async () => {
    const undef: { pc: bigint; insn: number }[] = [];
    let out = '';
    const m = await Machine.create({
      kernel: assemble(PROGRAM),
      raw: true,
      wasm: await loadCoreModule(),
      clock: 'virtual',
      onUart: (b) => (out += new TextDecoder().decode(b)),
      onUndefined: (pc, insn) => undef.push({ pc, insn }),
    });
    const t = setTimeout(() => m.stop(), 20_000);
    const exit = await m.run();
    clearTimeout(t);
    expect(exit.code).toBe(0);
    expect(out).toBe('elr ok\n');
    expect(undef).toEqual([{ pc: HIGH_PC, insn: 0 }]);
    expect(m.lastUndefined).toEqual({ pc: HIGH_PC, insn: 0 });
    expect(BigInt.asUintN(64, m.coreExports.lastUndefinedPC())).toBe(HIGH_PC);
  });

  it('prints the exact PC in the CLI report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sis-report64-'));
    const file = join(dir, 'prog.bin');
    writeFileSync(file, assemble(PROGRAM));
    const r = await runVm(['--kernel', file, '--raw', '--clock', 'virtual', '--timeout', '60'], '');
    expect(r.stdout).toBe('elr ok\n');
    expect(r.stderr).toContain('vm: undefined instruction 0x00000000 at pc 0xffff800008021d74 (raised in the guest)');
    expect(r.code).toBe(0);
  }, 120_000);
});

// Our device tree read by the real kernel on the reference machine: QEMU
// boots the kernel with `-dtb` pointing at our blob, and the kernel's `dtb`
// command must list the same devices as with QEMU's own tree.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bootQemu, type QemuMachine } from '../../../kernel-image/tests/qemu-machine.ts';
import { PROMPT, runCommand } from '../../../kernel-image/tests/serial-machine.ts';
import { buildVirtDtb } from '../../src/dtb.ts';
import { haveKernel } from '../../src/node-files.ts';

const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;

async function dtbAnswer(args: string[]): Promise<string> {
  const m: QemuMachine = await bootQemu({ args });
  try {
    await m.waitFor(PROMPT, { timeoutMs: 60_000 });
    expect(m.output).not.toMatch(/warning/);
    return await runCommand(m, 'dtb');
  } finally {
    await m.kill();
  }
}

describe.skipIf(!haveQemu || !haveKernel())('the kernel reads our device tree', () => {
  it('lists the same devices on QEMU with our tree as with QEMU\'s', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sis-dtbk-')), 'ours.dtb');
    writeFileSync(f, buildVirtDtb({ ramBytes: 128 << 20, bootargs: 'from=ours' }));
    const ours = await dtbAnswer(['-dtb', f, '-append', 'from=ours']);
    const theirs = await dtbAnswer(['-append', 'from=ours']);
    expect(ours).toMatch(/^uart +arm,pl011/m);
    // The first line gives the blob's size, which differs (QEMU pads its own
    // to 1 MiB); every device line must be identical.
    const body = (a: string) => a.split('\n').filter((l) => !/^dtb: /.test(l));
    expect(ours).toMatch(/^dtb: 0x44000000, \d+ bytes, model "linux,dummy-virt"$/m);
    expect(body(ours)).toEqual(body(theirs));
  });
});

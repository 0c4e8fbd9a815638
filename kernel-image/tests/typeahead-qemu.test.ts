// Typed-ahead input on the reference machine, QEMU virt (issue 7, items 1
// and 2): thousands of commands written to the UART before the prompt all
// run (QEMU's PL011 stops reading its chardev while the holding register is
// full, so the kernel's flow control back-pressures the pipe), and input
// already waiting at boot never stalls the UART.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNEL_IMAGE, QemuMachine } from './qemu-machine.ts';
import { checkTypeAheadDisk, checkTypeAheadOutput, runTypeAhead, typeAheadScript } from './typeahead-cases.ts';

/** The kernel under test: SIS_KERNEL overrides the committed image (to show a test fails on an old one). */
const IMAGE = process.env.SIS_KERNEL ? path.resolve(process.env.SIS_KERNEL) : KERNEL_IMAGE;
if (!existsSync(IMAGE)) throw new Error(`no kernel image at ${IMAGE}: run npm run kernel`);
const QEMU_RUN = path.resolve(path.dirname(KERNEL_IMAGE), '../../scripts/qemu-run.sh');
/** Boots with input waiting (item 2); SIS_BOOT_LOOPS changes the count. */
const BOOT_LOOPS = Number(process.env.SIS_BOOT_LOOPS ?? 20);

describe('typed-ahead input on QEMU virt', () => {
  it('2400 commands typed before the prompt on a blank disk: every one runs, in order, and the disk is clean', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-typeahead-'));
    const disk = path.join(dir, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 32 << 20);
    const s = typeAheadScript(2400);
    try {
      const m = new QemuMachine({
        image: IMAGE,
        deadlineMs: 170_000,
        args: ['-global', 'virtio-mmio.force-legacy=false',
          '-drive', `if=none,file=${disk},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0'],
      });
      try {
        await runTypeAhead(m, s, 150_000);
      } finally {
        await m.kill();
      }
      expect(m.output).toContain('storage: blk0 is blank: formatting it as ext4');
      expect(checkTypeAheadOutput(m.output, s)).toEqual([]);
      expect(checkTypeAheadDisk(disk, s)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it(`input waiting at boot never stalls the UART (${BOOT_LOOPS} boots through scripts/qemu-run.sh)`, async () => {
    const line = 'echo ' + 'a'.repeat(44);
    const failures: string[] = [];
    for (let i = 0; i < BOOT_LOOPS; i++) {
      // qemu-run.sh boots SIS_KERNEL too when it is set (the environment is inherited).
      const m = new QemuMachine({ launcher: ['bash', QEMU_RUN], deadlineMs: 30_000 });
      try {
        m.write(`${line}\npoweroff\n`); // in the pipe before QEMU has even started the guest
        const exit = await m.exited;
        const text = m.output.replace(/\r\n/g, '\n');
        if (exit.code !== 0 || !text.includes(`sis> ${line}\n${'a'.repeat(44)}\nsis> poweroff\n`)) {
          failures.push(`boot ${i}: exit ${exit.code} (${exit.reason}); output tail ${JSON.stringify(text.slice(-120))}`);
        }
      } finally {
        await m.kill();
      }
    }
    expect(failures).toEqual([]);
  }, 20_000 + BOOT_LOOPS * 30_000);
});

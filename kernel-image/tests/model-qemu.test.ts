// The model lifecycle table (model-cases.ts) on the reference machine, QEMU
// virt: the system disk as blk0, the import disk as a read-only blk1, the
// event console as a virtconsole port writing to a file (as
// storage-qemu.test.ts attaches them).
import { describe, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootQemu, KERNEL_IMAGE } from './qemu-machine.ts';
import { MODEL_CASES, runModelCase } from './model-cases.ts';
import type { BootFn } from './storage-cases.ts';

if (!existsSync(KERNEL_IMAGE)) throw new Error(`no kernel image at ${KERNEL_IMAGE}: run npm run kernel`);

function qemuArgs(disks: { path: string; readonly: boolean }[], eventsFile: string): string[] {
  const args = ['-global', 'virtio-mmio.force-legacy=false'];
  disks.forEach((d, i) => {
    args.push('-drive', `if=none,file=${d.path},format=raw,id=d${i}${d.readonly ? ',readonly=on' : ''}`,
      '-device', `virtio-blk-device,drive=d${i}`);
  });
  args.push('-device', 'virtio-serial-device', '-chardev', `file,id=ev,path=${eventsFile}`, '-device', 'virtconsole,chardev=ev');
  return args;
}

describe('SIS model lifecycle on QEMU virt', () => {
  for (const c of MODEL_CASES) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-models-qemu-'));
      let n = 0;
      const boot: BootFn = async (disks) => {
        const eventsFile = path.join(dir, `events-${n++}.jsonl`);
        const machine = await bootQemu({ args: qemuArgs(disks, eventsFile), deadlineMs: 300_000 });
        return {
          machine,
          events: () => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l) : []),
        };
      };
      try {
        await runModelCase(c, boot);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 300_000);
  }
});

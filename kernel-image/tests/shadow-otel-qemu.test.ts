// The shadow/OTel/drift table (shadow-otel-cases.ts) on the reference machine, QEMU virt,
// attached as model-qemu.test.ts attaches its disks and event console.
import { describe, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootQemu, KERNEL_IMAGE } from './qemu-machine.ts';
import { runModelCase } from './model-cases.ts';
import { EMULATOR_ONLY, opsCases } from './shadow-otel-cases.ts';
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

const only = process.env.SIS_SHADOW_CASE;

describe('SIS shadow, OTLP export and drift on QEMU virt', () => {
  for (const c of opsCases()) {
    if (only && !c.name.includes(only)) continue;
    if (EMULATOR_ONLY.has(c.name)) continue;   // timing-exact scenarios: the emulator's virtual clock only
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-shadow-qemu-'));
      let n = 0;
      const boot: BootFn = async (disks) => {
        const eventsFile = path.join(dir, `events-${n++}.jsonl`);
        const machine = await bootQemu({ args: qemuArgs(disks, eventsFile), deadlineMs: 600_000 });
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
    }, 600_000);
  }
});

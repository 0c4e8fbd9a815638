// The decision loop's table (ops-cases.ts) on the reference machine, QEMU
// virt: the system disk as blk0, the seed bundle read-only as blk1, the
// event console as a virtconsole port writing to a file.
import { describe, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootQemu, KERNEL_IMAGE } from './qemu-machine.ts';
import { OPS_CASES, ROOT, SEED_BUNDLE, type OpsBootFn } from './ops-cases.ts';

if (!existsSync(KERNEL_IMAGE)) throw new Error(`no kernel image at ${KERNEL_IMAGE}: run npm run kernel`);
const NOFEAT = path.join(ROOT, 'kernel-image/build/nofeat/sis-kernel.img');

describe('SIS decision loop, traces and incidents on QEMU virt', () => {
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', path.join(ROOT, 'kernel-image'), 'FEATURES=', 'OUT=build/nofeat'], { stdio: 'pipe' });
  }, 300_000);
  for (const c of OPS_CASES.filter((x) => x.on.includes('qemu'))) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-ops-qemu-'));
      let n = 0;
      const booted: { kill(): Promise<void> }[] = [];   // a failing case must not leave machines running
      const boot: OpsBootFn = async (spec) => {
        const eventsFile = path.join(dir, `events-${n++}.jsonl`);
        const args = ['-global', 'virtio-mmio.force-legacy=false',
          '-drive', `if=none,file=${spec.system},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
          '-drive', `if=none,file=${SEED_BUNDLE},format=raw,id=d1,readonly=on`, '-device', 'virtio-blk-device,drive=d1',
          '-device', 'virtio-serial-device', '-chardev', `file,id=ev,path=${eventsFile}`, '-device', 'virtconsole,chardev=ev'];
        const machine = await bootQemu({ image: spec.image === 'nofeat' ? NOFEAT : KERNEL_IMAGE, args, deadlineMs: c.timeoutMs });
        booted.push(machine);
        return { machine, events: () => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l) : []) };
      };
      try {
        await c.run(boot, dir, 'qemu');
      } finally {
        for (const m of booted) await m.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    }, c.timeoutMs);
  }
});

// The storage table (kernel-image/tests/storage-cases.ts) on the emulator, run
// exactly as kernel-image/tests/storage-qemu.test.ts runs it on QEMU: the same
// disks, file operations and e2fsck/debugfs checks. Disks are virtio-blk on
// file-backed stores in the slots QEMU would give them (31 down, blk0 first),
// the event console comes after them.
import { describe, it } from 'vitest';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStorageCase, STORAGE_CASES, type BootFn } from '../../../kernel-image/tests/storage-cases.ts';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import type { VirtioBackend } from '../../src/devices/virtio-mmio.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

describe('SIS storage on the emulator', () => {
  for (const c of STORAGE_CASES) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-storage-'));
      let bootNo = 0;
      const boot: BootFn = async (disks, console) => {
        const stores = disks.map((d) => new FileBlockStore(d.path, d.readonly));
        const virtio: Record<number, VirtioBackend> = {};
        stores.forEach((s, i) => {
          virtio[31 - i] = new VirtioBlk(s, `sis-disk-${i}`);
        });
        const eventsFile = console ? path.join(dir, `events-${bootNo++}.jsonl`) : null;
        let eventsFd: number | null = null;
        if (eventsFile) {
          const fd = openSync(eventsFile, 'a');
          eventsFd = fd;
          virtio[31 - disks.length] = new VirtioConsole((b) => writeSync(fd, b));
        }
        const release = () => {
          for (const s of stores) s.close();
          if (eventsFd !== null) closeSync(eventsFd);
          eventsFd = null;
        };
        let machine: EmulatorMachine;
        try {
          machine = await EmulatorMachine.start({ virtio });
        } catch (e) {
          release();
          throw e;
        }
        void machine.exited.then(release);
        try {
          await machine.waitFor(PROMPT, { timeoutMs: 60_000 });
        } catch (e) {
          await machine.kill();
          throw e;
        }
        return {
          machine,
          events: () => (eventsFile && existsSync(eventsFile)
            ? readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l.length > 0) : []),
        };
      };
      try {
        await runStorageCase(c, dir, boot);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// The shadow/OTel/drift table (kernel-image/tests/shadow-otel-cases.ts) on the
// emulator (virtual clock), run exactly as kernel-image/tests/shadow-otel-qemu.test.ts runs it on
// QEMU: the system disk in slot 31 (blk0), the import disk read-only in slot
// 30 (blk1), the event console in slot 29, file-backed so debugfs and
// e2fsck read the same bytes between commands.
import { describe, it } from 'vitest';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runModelCase } from '../../../kernel-image/tests/model-cases.ts';
import { opsCases } from '../../../kernel-image/tests/shadow-otel-cases.ts';
import type { BootFn } from '../../../kernel-image/tests/storage-cases.ts';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import type { VirtioBackend } from '../../src/devices/virtio-mmio.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

const only = process.env.SIS_SHADOW_CASE;

describe('SIS shadow, OTLP export and drift on the emulator', () => {
  for (const c of opsCases()) {
    if (only && !c.name.includes(only)) continue;
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-emu-shadow-'));
      let n = 0;
      const boot: BootFn = async (disks) => {
        const stores = disks.map((d) => new FileBlockStore(d.path, d.readonly));
        const virtio: Record<number, VirtioBackend> = {};
        stores.forEach((s, i) => {
          virtio[31 - i] = new VirtioBlk(s, `sis-disk-${i}`);
        });
        const eventsFile = path.join(dir, `events-${n++}.jsonl`);
        let fd: number | null = openSync(eventsFile, 'a');
        const evFd = fd;
        virtio[31 - disks.length] = new VirtioConsole((b) => writeSync(evFd, b));
        const release = () => {
          for (const s of stores) s.close();
          if (fd !== null) closeSync(fd);
          fd = null;
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
          await machine.waitFor(PROMPT, { timeoutMs: 120_000 });
        } catch (e) {
          await machine.kill();
          throw e;
        }
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

// One boot function for the machine tables that run with file-backed disks and
// the event console (the model lifecycle and shadow/OTel/drift tables), laid out
// as their QEMU runners lay it out: the system disk in slot 31 (blk0), the
// import disk read-only in slot 30 (blk1), the event console after them; files,
// so debugfs and e2fsck read the same bytes between commands. Each boot appends
// its events to its own file in `dir`.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BootFn } from '../../../kernel-image/tests/storage-cases.ts';
import { PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { FileBlockStore } from '../../src/devices/file-block-store.ts';
import { VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import type { VirtioBackend } from '../../src/devices/virtio-mmio.ts';

export function fileDiskBoot(dir: string): BootFn {
  let n = 0;
  return async (disks) => {
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
}

// The storage table (storage-cases.ts) on the reference machine, QEMU virt:
// modern virtio-mmio transports, the disks as virtio-blk devices in table
// order (blk0 first), the event console as a virtconsole port on a
// virtio-serial device writing to a file. Each case gets fresh machines and
// a fresh temporary directory.

import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootQemu, KERNEL_IMAGE } from './qemu-machine.ts';
import { runStorageCase, STORAGE_CASES, type BootFn } from './storage-cases.ts';
import { runCommand } from './serial-machine.ts';

if (!existsSync(KERNEL_IMAGE)) throw new Error(`no kernel image at ${KERNEL_IMAGE}: run npm run kernel`);

/** The QEMU arguments for disks (blk0, blk1, ...) and the event console. */
export function storageArgs(disks: { path: string; readonly: boolean }[], eventsFile: string | null): string[] {
  const args = ['-global', 'virtio-mmio.force-legacy=false'];
  disks.forEach((d, i) => {
    args.push('-drive', `if=none,file=${d.path},format=raw,id=d${i}${d.readonly ? ',readonly=on' : ''}`,
      '-device', `virtio-blk-device,drive=d${i}`);
  });
  if (eventsFile) {
    args.push('-device', 'virtio-serial-device', '-chardev', `file,id=ev,path=${eventsFile}`,
      '-device', 'virtconsole,chardev=ev');
  }
  return args;
}

describe('SIS storage on QEMU virt', () => {
  for (const c of STORAGE_CASES) {
    it(c.name, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-storage-'));
      let bootNo = 0;
      const boot: BootFn = async (disks, console) => {
        const eventsFile = console ? path.join(dir, `events-${bootNo++}.jsonl`) : null;
        const machine = await bootQemu({ args: storageArgs(disks, eventsFile) });
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

  it('the event console sends JSON Lines and reads (and ignores) what the host sends', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-evsock-'));
    const sock = path.join(dir, 'ev.sock');
    let received = '';
    const connected = new Promise<net.Socket>((resolve) => {
      const server = net.createServer((c) => {
        c.setEncoding('utf8');
        c.on('data', (d: string) => (received += d));
        server.close();
        resolve(c);
      });
      server.listen(sock);
    });
    await new Promise((r) => setTimeout(r, 50));
    const m = await bootQemu({
      args: ['-global', 'virtio-mmio.force-legacy=false', '-device', 'virtio-serial-device',
        '-chardev', `socket,id=ev,path=${sock},server=off`, '-device', 'virtconsole,chardev=ev'],
    });
    try {
      const c = await connected;
      c.write('{"v":1,"t":"hello"}\n');
      let answer = '';
      for (let i = 0; i < 50 && !/ 20 bytes received/.test(answer); i++) {
        answer = await runCommand(m, 'virtio');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(answer).toMatch(/^slot \d+ +0x0a00[0-9a-f]{4} irq \d+: console \(id 3\).*, interrupts [1-9]\d*$/m);
      expect(answer).toMatch(/^ {2}event console: 1 lines \(\d+ bytes\) sent, 20 bytes received \(ignored\)$/m);
      const lines = received.split('\n').filter((l) => l);
      expect(lines).toHaveLength(1);
      const boot = JSON.parse(lines[0]);
      expect(boot).toMatchObject({ v: 1, t: 'boot', ram: 128 << 20, disks: [], rootfs: { mounted: false, reason: 'no system disk (blk0)' } });
      expect(received.endsWith('\n')).toBe(true);
      m.write('poweroff\r');
      expect((await m.exited).code).toBe(0);
      c.destroy();
    } finally {
      await m.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The kernel's virtio-blk driver against our transport and block backend:
// the devices appear in `virtio`, a sector written by the guest lands in the
// host's store, flush reaches it, a read-only disk refuses writes, and the
// guest's checksum of the whole disk matches one computed on the host.
import { describe, expect, it } from 'vitest';
import { runCommand, PROMPT } from '../../../kernel-image/tests/serial-machine.ts';
import { EmulatorMachine } from '../../src/serial-machine.ts';
import { MemoryBlockStore, VirtioBlk } from '../../src/devices/virtio-blk.ts';
import { VirtioConsole } from '../../src/devices/virtio-console.ts';
import { haveCore, haveKernel } from '../../src/node-files.ts';

if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

function fnv1a32(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return h >>> 0;
}

describe('virtio disks under the kernel', () => {
  it('lists, reads, writes, flushes and checksums; read-only refuses writes', async () => {
    const system = new Uint8Array(1 << 20);
    system.set(new TextEncoder().encode('hello disk'), 512 * 3);
    const ro = new Uint8Array(64 * 512).fill(0x42);
    const sys = new MemoryBlockStore(system);
    const m = await EmulatorMachine.start({
      virtio: {
        0: new VirtioBlk(sys, 'sis-system'),
        1: new VirtioBlk(new MemoryBlockStore(ro, true), 'sis-import'),
        2: new VirtioConsole(() => {}),
      },
    });
    try {
      await m.waitFor(PROMPT, { timeoutMs: 60_000 });
      const list = await runCommand(m, 'virtio');
      expect(list).toMatch(/^slot 0 +0x0a000000 irq 48: block \(id 2\)/m);
      expect(list).toMatch(/^slot 1 +0x0a000200 irq 49: block \(id 2\)/m);
      expect(list).toMatch(/^slot 2 +0x0a000400 irq 50: console \(id 3\)/m);
      expect(list).toMatch(/capacity 2048 sectors of 512 bytes/);
      // The kernel numbers disks in its own probe order: map blkN to slots.
      const disks = await runCommand(m, 'blk');
      const slotOf = new Map([...disks.matchAll(/^blk(\d+): virtio slot (\d+),.*(read-write|read-only)/gm)].map((x) => [Number(x[2]), x[1]]));
      expect(disks).toMatch(new RegExp(`^blk${slotOf.get(1)}: virtio slot 1, 64 sectors.*read-only`, 'm'));
      const S = slotOf.get(0)!;
      const R = slotOf.get(1)!;
      expect(await runCommand(m, `blk read ${S} 3`)).toMatch(/^000: 68 65 6c 6c 6f 20 64 69 73 6b 00/m);
      expect(await runCommand(m, `blk write ${S} 5 written-by-guest`)).toMatch(/write ok/);
      expect(new TextDecoder().decode(system.subarray(5 * 512, 5 * 512 + 16))).toBe('written-by-guest');
      const flushes = sys.flushes;
      expect(await runCommand(m, `blk flush ${S}`)).toMatch(/flush ok/);
      expect(sys.flushes).toBe(flushes + 1);
      expect(await runCommand(m, `blk sum ${S}`)).toContain(`fnv1a32 0x${fnv1a32(system).toString(16).padStart(8, '0')}`);
      expect(await runCommand(m, `blk sum ${R}`)).toContain(`fnv1a32 0x${fnv1a32(ro).toString(16).padStart(8, '0')}`);
      const refused = await runCommand(m, `blk write ${R} 0 nope`);
      expect(refused).not.toMatch(/write ok/);
      expect(ro.every((b) => b === 0x42)).toBe(true);
    } finally {
      await m.kill();
    }
  });
});

// The oracle for the loader: QEMU's own CPU state at the first kernel
// instruction. Each kernel below is a one-instruction loop (b .); QEMU runs it
// for a moment and its monitor reports PC (the load address) and X0 (the DTB).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planKernel } from '../../src/loader.ts';
import { buildVirtDtb, dtbSeeds, RAM_BASE } from '../../src/dtb.ts';

const MiB = 1 << 20;
const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;

function image(textOffset: number, imageSize: number): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000000, true);
  v.setBigUint64(8, BigInt(textOffset), true);
  v.setBigUint64(16, BigInt(imageSize), true);
  v.setUint32(0x38, 0x644d5241, true);
  return b;
}

async function qemuEntry(kernel: Uint8Array, memMiB: number, initrd?: Uint8Array): Promise<{ pc: number; x0: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sis-loader-'));
  const file = join(dir, 'k');
  writeFileSync(file, kernel);
  if (initrd) writeFileSync(join(dir, 'initrd'), initrd);
  const q = spawn('qemu-system-aarch64', [
    '-M', 'virt', '-cpu', 'cortex-a72', '-m', `${memMiB}M`, '-display', 'none', '-serial', 'none',
    '-net', 'none', '-monitor', 'stdio', '-kernel', file, ...(initrd ? ['-initrd', join(dir, 'initrd')] : []),
  ]);
  let out = '';
  q.stdout.on('data', (d) => (out += d));
  // Ask until the CPU has left QEMU's boot stub at the bottom of RAM (on a
  // loaded machine that can take a while); the kernel's `b .` keeps it there.
  const deadline = Date.now() + 20_000;
  let pcs: RegExpMatchArray[] = [];
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    q.stdin.write('info registers\n');
    await new Promise((r) => setTimeout(r, 100));
    pcs = [...out.matchAll(/PC=([0-9a-f]+)/g)];
    if (pcs.length && parseInt(pcs[pcs.length - 1][1], 16) >= 0x4000_1000) break;
  }
  q.stdin.write('quit\n');
  await new Promise((r) => q.on('exit', r));
  out = out.slice(pcs.length ? pcs[pcs.length - 1].index : 0);
  const pc = /PC=([0-9a-f]+)/.exec(out);
  const x0 = /X00=([0-9a-f]+)/.exec(out);
  if (!pc || !x0) throw new Error('no register dump from QEMU:\n' + out);
  return { pc: parseInt(pc[1], 16), x0: parseInt(x0[1], 16) };
}

describe.skipIf(!haveQemu)('loader matches QEMU -kernel', () => {
  const cases: [string, Uint8Array, number, number?][] = [
    ['raw binary, 128 MiB', Uint8Array.from([0, 0, 0, 0x14]), 128],
    ['Image text_offset 0x80000', image(0x80000, 0x10000), 128],
    ['Image text_offset 0', image(0, 0x10000), 128],
    ['Image image_size 0', image(0x200000, 0), 128],
    ['raw binary, 64 MiB', Uint8Array.from([0, 0, 0, 0x14]), 64],
    ['raw binary, 512 MiB', Uint8Array.from([0, 0, 0, 0x14]), 512],
    ['Image whose image_size reaches past half of RAM', image(0x80000, 20 * MiB), 32],
    // with an initrd the DTB follows it (QEMU's -initrd), at the Machine's DTB size with seeds
    ['raw binary + 5 MiB initrd, 128 MiB', Uint8Array.from([0, 0, 0, 0x14]), 128, 5 * MiB + 3],
    ['Image past half of RAM + 1 MiB initrd, 32 MiB', image(0x80000, 20 * MiB), 32, MiB],
  ];
  for (const [name, kernel, mem, initrdSize] of cases) {
    it(name, async () => {
      const initrd = initrdSize === undefined ? undefined : new Uint8Array(initrdSize);
      const dtbSize = buildVirtDtb({
        ramBytes: mem * MiB, bootargs: '',
        ...(initrd ? { initrd: { start: 0, end: 0 }, seeds: dtbSeeds(0n) } : {}),
      }).length;
      const p = planKernel(kernel, mem * MiB, dtbSize, { raw: name.startsWith('raw'), initrdSize: initrd?.length ?? 0 });
      const q = await qemuEntry(kernel, mem, initrd);
      expect(RAM_BASE + p.entryOffset).toBe(q.pc);
      expect(RAM_BASE + p.dtbOffset).toBe(q.x0);
    });
  }
});

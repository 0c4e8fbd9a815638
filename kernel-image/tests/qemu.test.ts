// The shell command table (shell-cases.ts) on the reference machine, QEMU virt.
// Cases that keep the machine alive share one boot; the others (crashes,
// poweroff, reboot) each get a fresh machine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootQemu, KERNEL_IMAGE, QEMU, QEMU_MACHINE_ARGS, QemuMachine } from './qemu-machine.ts';
import { HALTED, runCase, SHELL_CASES } from './shell-cases.ts';
import { runCommand } from './serial-machine.ts';

if (!existsSync(KERNEL_IMAGE)) throw new Error(`no kernel image at ${KERNEL_IMAGE}: run npm run kernel`);

describe('SIS shell on QEMU virt', () => {
  let shared: QemuMachine;
  beforeAll(async () => {
    shared = await bootQemu();
  });
  afterAll(async () => {
    await shared?.kill();
  });

  it('boots to the prompt with the devices from the DTB and no warnings', () => {
    expect(shared.output).toMatch(/SIS kernel \d+\.\d+\.\d+ \(features: /);
    expect(shared.output).toMatch(/boot: mmu on, heap 8 MiB/);
    expect(shared.output).not.toMatch(/warning/);
  });

  for (const c of SHELL_CASES.filter((c) => !c.fresh)) {
    it(c.name, async () => {
      await runCase(shared, c);
    });
  }

  for (const c of SHELL_CASES.filter((c) => c.fresh)) {
    it(c.name, async () => {
      const m = await bootQemu();
      try {
        await runCase(m, c);
        if (m.output.includes(HALTED)) {
          // Halted means halted: the shell must not answer any more.
          const before = m.output.length;
          m.write('echo alive\r');
          await expect(m.waitFor('alive', { from: before, timeoutMs: 1_000 })).rejects.toThrow(/timed out/);
        }
      } finally {
        await m.kill();
      }
    });
  }

  it('date agrees with the host clock (QEMU starts the PL031 at host UTC)', async () => {
    const answer = (await runCommand(shared, 'date')).trim();
    expect(Math.abs(Date.parse(answer) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('scripts/qemu-run.sh shows the prompt, answers help, and poweroff exits 0', async () => {
    const script = path.resolve(path.dirname(KERNEL_IMAGE), '../../scripts/qemu-run.sh');
    const m = await bootQemu({ launcher: ['bash', script] });
    try {
      expect(await runCommand(m, 'help')).toMatch(/^ {2}poweroff /m);
      // Without SIS_DISK/SIS_IMPORT: a fresh system disk and the seed bundle, so a provisioned registry.
      expect(m.output).toMatch(/^storage: blk0 is blank: formatting it as ext4\r?$/m);
      expect(m.output).toMatch(/^models: active v1\.0\.0 \(p99 \d+ us, accuracy \d+\.\d\d%\)\r?$/m);
      m.write('poweroff\r');
      expect(await m.exited).toEqual({ code: 0, reason: 'psci system_off' });
    } finally {
      await m.kill();
    }
  });

  it('the no-feature build (make FEATURES=) boots and says so', async () => {
    const kdir = path.resolve(path.dirname(KERNEL_IMAGE), '..');
    execFileSync('make', ['-s', '-C', kdir, 'FEATURES=', 'OUT=build/nofeat'], { stdio: 'pipe' });
    const m = await bootQemu({ image: path.join(kdir, 'build/nofeat/sis-kernel.img') });
    try {
      expect(m.output).toMatch(/SIS kernel \d+\.\d+\.\d+ \(features: none\)/);
      expect(await runCommand(m, 'version')).toMatch(/^features: none$/m);
      expect(await runCommand(m, 'modelctl list')).toBe("sis: unknown command 'modelctl' (try 'help')\n");
    } finally {
      await m.kill();
    }
  });

  it('boots when entered at EL2 (virtualization=on) and powers off through PSCI over SMC', async () => {
    const m = await bootQemu({ args: ['-M', 'virtualization=on'] });
    try {
      expect(await runCommand(m, 'dtb')).toMatch(/^psci: smc, version 1\.\d+$/m);
      expect(await runCommand(m, 'selftest')).toMatch(/^selftest: \d+ passed, 0 failed$/m);
      m.write('poweroff\r');
      expect((await m.exited).code).toBe(0);
    } finally {
      await m.kill();
    }
  });

  it('virtio finds a modern virtio-blk disk and its capacity', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-virtio-'));
    const disk = path.join(dir, 'disk.img');
    writeFileSync(disk, Buffer.alloc(3 << 20)); // 3 MiB = 6144 sectors
    const drive = ['-drive', `if=none,file=${disk},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0'];
    try {
      const modern = await bootQemu({ args: ['-global', 'virtio-mmio.force-legacy=false', ...drive] });
      try {
        const a = await runCommand(modern, 'virtio');
        expect(a).toMatch(/^virtio: 32 transports, 1 with a device$/m);
        expect(a).toMatch(/^slot \d+ +0x0a00[0-9a-f]{4} irq \d+: block \(id 2\), vendor 0x[0-9a-f]{8}, features 0x[0-9a-f]*1[0-9a-f]{8}, interrupts \d+$/m);
        expect(a).toMatch(/^ {2}capacity 6144 sectors of 512 bytes \(3072 KiB\)$/m);
      } finally {
        await modern.kill();
      }
      const legacy = await bootQemu({ args: drive });
      try {
        expect(await runCommand(legacy, 'virtio')).toMatch(/block \(id 2\).*version 1 \(legacy\): not supported/);
      } finally {
        await legacy.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps what was typed before the shell started', async () => {
    const m = new QemuMachine();
    try {
      m.write('echo typed early\r');
      await m.waitFor(/sis> echo typed early\r\ntyped early\r\nsis> /);
    } finally {
      await m.kill();
    }
  });

  it('blk reads, writes, flushes and checksums a virtio-blk disk like the host sees it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-blk-'));
    const disk = path.join(dir, 'disk.img');
    const ro = path.join(dir, 'ro.img');
    const image = Buffer.alloc(3 << 20);
    for (let i = 0; i < image.length; i += 4) image.writeUInt32LE((i * 2654435761) >>> 0, i);
    image.write('SIS-SECTOR-5\0', 5 * 512, 'latin1');
    writeFileSync(disk, image);
    writeFileSync(ro, Buffer.alloc(64 << 10));
    const fnv1a32 = (b: Buffer) => {
      let h = 0x811c9dc5;
      for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
      return '0x' + h.toString(16).padStart(8, '0');
    };
    try {
      const m = await bootQemu({
        args: ['-global', 'virtio-mmio.force-legacy=false',
          '-drive', `if=none,file=${disk},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
          '-drive', `if=none,file=${ro},format=raw,id=d1,readonly=on`, '-device', 'virtio-blk-device,drive=d1'],
      });
      try {
        expect(m.output).toContain('boot: 2 virtio device(s), 2 disk(s)');
        const list = await runCommand(m, 'blk');
        expect(list).toMatch(/^blk0: virtio slot \d+, 6144 sectors \(3072 KiB\), read-write, flush$/m);
        expect(list).toMatch(/^blk1: virtio slot \d+, 128 sectors \(64 KiB\), read-only/m);
        expect(await runCommand(m, 'blk read 0 5')).toMatch(/^000: 53 49 53 2d 53 45 43 54 4f 52 2d 35 00 .*SIS-SECTOR-5\./);
        expect(await runCommand(m, 'blk sum 0')).toBe(`blk0: 6144 sectors, fnv1a32 ${fnv1a32(image)}\n`);
        expect(await runCommand(m, 'blk read 0 6144')).toBe('sis: blk: read failed: sector out of range (-22)\n');
        expect(await runCommand(m, 'blk write 1 0 nope')).toBe('sis: blk: write failed: read-only disk (-30)\n');
        expect(await runCommand(m, 'blk write 0 9 hello-from-sis')).toBe('blk0: write ok\n');
        expect(await runCommand(m, 'blk flush 0')).toBe('blk0: flush ok\n');
        m.write('poweroff\r');
        expect((await m.exited).code).toBe(0);
      } finally {
        await m.kill();
      }
      const after = readFileSync(disk);
      expect(after.subarray(9 * 512, 10 * 512)).toEqual(
        Buffer.concat([Buffer.from('hello-from-sis', 'latin1'), Buffer.alloc(512 - 14)]));
      image.fill(0, 9 * 512, 10 * 512).write('hello-from-sis', 9 * 512, 'latin1');
      expect(fnv1a32(after)).toBe(fnv1a32(image)); // nothing else changed
      expect(readFileSync(ro).equals(Buffer.alloc(64 << 10))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a device missing from the DTB falls back to the QEMU virt default, with a warning', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sis-dtb-'));
    const dtb = path.join(dir, 'virt.dtb');
    try {
      // QEMU's own tree for this machine, with the RTC's compatible made unrecognisable.
      execFileSync(QEMU, [...QEMU_MACHINE_ARGS.map((a) => (a === 'virt' ? `virt,dumpdtb=${dtb}` : a))], { stdio: 'pipe' });
      const blob = readFileSync(dtb);
      const at = blob.indexOf('arm,pl031\0');
      expect(at).toBeGreaterThan(0);
      blob.write('arm,pl03x', at, 'latin1');
      writeFileSync(dtb, blob);
      const m = await bootQemu({ args: ['-dtb', dtb] });
      try {
        expect(m.output).toContain("sis: warning: no rtc in the device tree, assuming QEMU virt's arm,pl031 at 0x09010000");
        expect(await runCommand(m, 'dtb')).toMatch(/^rtc +arm,pl031 +0x09010000 size 0x1000 +irq 34$/m);
        expect(await runCommand(m, 'date')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n$/);
      } finally {
        await m.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds bootargs passed with -append', async () => {
    const m = await bootQemu({ args: ['-append', 'sis.test=1 quiet'] });
    try {
      expect(await runCommand(m, 'dtb')).toMatch(/^bootargs: "sis\.test=1 quiet"$/m);
    } finally {
      await m.kill();
    }
  });
});

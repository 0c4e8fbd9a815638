// Linux to userspace: Debian's arm64 cloud kernel (6.1) with a busybox
// initramfs boots to a shell on QEMU 7.2 (`-M virt -cpu cortex-a72`) and on
// the emulator (virtual clock, in-process Machine), and a scripted session
// over the PL011 console prints the same on both: kernel, CPU features from
// the ID registers, PSCI, timer and PMU probing, a busybox checksum,
// shell arithmetic; then `poweroff -f` (PSCI SYSTEM_OFF) ends both.
// The packages are fetched with apt-get into a cache (see debian.ts; set
// SIS_LINUX_CACHE to keep it between runs). Wall times to the prompt are
// printed, not asserted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveCore } from '../../src/node-files.ts';
import { haveQemu, linuxOnEmulator, linuxOnQemu } from './boot.ts';
import { fetchDebianLinux, haveApt } from './debian.ts';
import { busyboxInitramfs } from './initramfs.ts';

const COMMANDS = [
  'echo hello from $(uname -m)',
  'uname -sr',
  'cat /proc/cmdline',
  "grep -E '^(Features|CPU implementer|CPU architecture|CPU variant|CPU part|CPU revision|BogoMIPS)' /proc/cpuinfo",
  'cat /sys/devices/system/cpu/online',
  'ls /sys/class/tty | grep AMA',
  "dmesg | grep -E 'psci|perfevents|arch_timer: cp15|GIC: Using' | cut -d']' -f2-",
  // (not MemTotal: QEMU's device tree has devices ours lacks - PCIe, flash, fw-cfg, PL061 - and
  // unflattening it costs 8 KiB more of RAM)
  'grep -c ^processor /proc/cpuinfo',
  'cat /proc/sys/kernel/osrelease /proc/sys/kernel/ostype',
  'md5sum /bin/busybox',
  'echo $((6 * 7))',
  'i=0; while [ $i -lt 500 ]; do i=$((i + 1)); done; echo $i',
];

describe.skipIf(!haveCore() || !haveQemu || !haveApt)('Debian Linux to a busybox shell', () => {
  it('boots and runs the same shell session on QEMU and on the emulator', async () => {
    const deb = fetchDebianLinux();
    const dir = mkdtempSync(join(tmpdir(), 'sis-linux-'));
    const initrd = busyboxInitramfs(deb.busybox);
    writeFileSync(join(dir, 'Image'), deb.kernel);
    writeFileSync(join(dir, 'initrd'), initrd);
    let q: Awaited<ReturnType<typeof linuxOnQemu>>;
    try {
      q = await linuxOnQemu(join(dir, 'Image'), join(dir, 'initrd'), COMMANDS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const e = await linuxOnEmulator(deb.kernel, initrd, COMMANDS);
    console.log(`linux ${deb.kernelVersion}: prompt after ${q.promptMs} ms on QEMU, ${e.promptMs} ms on the emulator (${e.instret} instructions); ${e.undefinedInsns} undefined-instruction traps on the emulator`);
    expect(q.outputs[0]).toBe('hello from aarch64\n');
    expect(q.outputs[1]).toBe(`Linux ${deb.kernelVersion}\n`);
    expect(q.code).toBe(0);
    expect(e.outputs).toEqual(q.outputs);
    expect(e.exit).toMatchObject({ code: 0 });
  }, 900_000);
});

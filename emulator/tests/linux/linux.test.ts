// Linux to userspace: Debian's arm64 cloud kernel (6.1) with a busybox
// initramfs boots to a shell on QEMU 7.2 (`-M virt -cpu cortex-a72`) and on
// the emulator (virtual clock, in-process Machine), and a scripted session
// over the PL011 console prints the same on both: kernel, CPU features from
// the ID registers, PSCI, timer and PMU probing, a busybox checksum,
// shell arithmetic; then `poweroff -f` (PSCI SYSTEM_OFF) ends both.
// The packages are fetched with apt-get into a cache (see debian.ts; set
// SIS_LINUX_CACHE to keep it between runs). Wall times to the prompt are
// printed, not asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine.ts';
import { haveCore, loadCoreModule } from '../../src/node-files.ts';
import { fetchDebianLinux, haveApt } from './debian.ts';
import { busyboxInitramfs } from './initramfs.ts';
import { makeConsole, runSession } from './session.ts';

const haveQemu = spawnSync('qemu-system-aarch64', ['--version']).status === 0;
// nokaslr: QEMU's kaslr-seed is random, and the kernel's page-table pages (so MemTotal) depend on it
const APPEND = 'console=ttyAMA0 panic=-1 nokaslr';
const MEM = 256;

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

async function onQemu(kernel: string, initrd: string) {
  const t0 = Date.now();
  const q = spawn('qemu-system-aarch64', ['-M', 'virt', '-cpu', 'cortex-a72', '-m', `${MEM}M`, '-nographic', '-net', 'none',
    '-kernel', kernel, '-initrd', initrd, '-append', APPEND], { stdio: ['pipe', 'pipe', 'pipe'] });
  const c = makeConsole((s) => q.stdin.write(s));
  q.stdout.on('data', (d) => c.push(d.toString('latin1')));
  const exited = new Promise<number | null>((r) => q.on('exit', r));
  try {
    const { outputs, promptAt } = await runSession(c, COMMANDS, 120_000);
    c.write('poweroff -f\n');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    return { outputs, promptMs: promptAt - t0, code };
  } finally {
    q.kill('SIGKILL');
  }
}

async function onEmulator(kernel: Uint8Array, initrd: Uint8Array) {
  const t0 = Date.now();
  let m!: Machine;
  const c = makeConsole((s) => m.input(s));
  m = await Machine.create({ kernel, initrd, wasm: await loadCoreModule(), memMiB: MEM, append: APPEND, clock: 'virtual', seed: 1n,
    onUart: (b) => c.push(Buffer.from(b).toString('latin1')) });
  const running = m.run();
  try {
    const { outputs, promptAt } = await runSession(c, COMMANDS, 600_000);
    c.write('poweroff -f\n');
    const exit = await Promise.race([running, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
    return { outputs, promptMs: promptAt - t0, exit, instret: m.stats().instret, undefinedInsns: m.stats().undefinedInsns };
  } finally {
    m.stop();
  }
}

describe.skipIf(!haveCore() || !haveQemu || !haveApt)('Debian Linux to a busybox shell', () => {
  it('boots and runs the same shell session on QEMU and on the emulator', async () => {
    const deb = fetchDebianLinux();
    const dir = mkdtempSync(join(tmpdir(), 'sis-linux-'));
    const initrd = busyboxInitramfs(deb.busybox);
    writeFileSync(join(dir, 'Image'), deb.kernel);
    writeFileSync(join(dir, 'initrd'), initrd);
    const q = await onQemu(join(dir, 'Image'), join(dir, 'initrd'));
    const e = await onEmulator(deb.kernel, initrd);
    console.log(`linux ${deb.kernelVersion}: prompt after ${q.promptMs} ms on QEMU, ${e.promptMs} ms on the emulator (${e.instret} instructions); ${e.undefinedInsns} undefined-instruction traps on the emulator`);
    expect(q.outputs[0]).toBe('hello from aarch64\n');
    expect(q.outputs[1]).toBe(`Linux ${deb.kernelVersion}\n`);
    expect(q.code).toBe(0);
    expect(e.outputs).toEqual(q.outputs);
    expect(e.exit).toMatchObject({ code: 0 });
  }, 900_000);
});

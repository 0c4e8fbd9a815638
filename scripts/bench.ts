// `npm run bench`: the same kernel on our emulator and on QEMU TCG, measured
// in one run. For each machine: wall time from start to the first `sis> `,
// then the kernel's own `bench N` command (integer, memory and floating-point
// loops that print their guest time). The emulator runs with the realtime
// clock so its guest microseconds are host microseconds, comparable with
// QEMU's. Prints emulator MIPS and the emulator/QEMU time ratios. Measures,
// never asserts. Options: --iters N (default 200000), --kernel FILE,
// --no-qemu, --fs-kib N (default 1024), --cpu interp,jit (the emulator's CPU
// modes to measure, default both; the storage rows use the first),
// --no-browser (skip the browser section), --only browser (only the browser
// section, with QEMU's `bench N` for its ratios unless --no-qemu), --no-linux
// (skip the Linux section).
//
// Linux (before the browser): Debian's arm64 cloud kernel with a busybox
// initramfs (fetched with apt-get into a cache, emulator/tests/linux/debian.ts)
// boots to the shell prompt on QEMU and on the emulator in each CPU mode, on the
// realtime clock like QEMU; wall time from start to the prompt, and for the
// emulator the instructions it took and the translator's compile time.
//
// Browser (scripts/bench-browser.ts, last): the built site in Debian Chromium:
// bundle size, the dashboard's boot to `sis> ` from a cold and a warm load,
// host CPU of the idle tab, the longest main-thread task while the agent
// decides every 10 ms, and the kernel's `bench N` in the console page with
// ?cpu=interp and ?cpu=jit beside QEMU's total from the same run.
//
// Per mode: boot to prompt, each loop's guest time, the bench total, host CPU
// time of the bench command (steadier than wall time on a shared machine), MIPS
// per loop (each loop's instruction count comes from one extra virtual-clock
// run, where guest ticks are instructions), and for jit the translator's
// figures (blocks, compile time per translated instruction, code cache bytes).
// Also the cost of one Ed25519 signature verification (what a model import,
// swap or boot check pays), from the `selftest: ed25519: one verify takes T us`
// line of `selftest ed25519`.
//
// Storage: both machines boot again with a blank 64 MiB system disk (the
// kernel formats it) and run the kernel's `fsbench KIB` command, which
// prints, in guest time (microseconds):
//   fsbench: write N bytes T us               (sequential, 4 KiB chunks)
//   fsbench: fsync T us                       (of that file)
//   fsbench: read N bytes T us                (sequential, checked)
//   fsbench: append+fsync K x 512 bytes T us, E us each
// A kernel without `fsbench` gets a note instead of the storage rows.
//
// Models: both machines boot a third time with a blank 32 MiB system disk
// and the seed bundle as the import disk (the kernel provisions its
// registry), then `modelctl swap v1.1.0`, `modelctl health` (3 times, the
// median) and `modelctl rollback`; the guest microseconds are the kernel's
// own figures (swap and rollback: the whole operation; health: the check).
// Instructions: the emulator counts them exactly (the whole command); QEMU
// has no counter, so a fourth QEMU boot runs with -icount shift=0 (one
// virtual nanosecond per instruction) and its guest nanoseconds are given
// as its instruction count (waits for the disk included). Seed targets:
// swap < 100 ms, health < 50 ms.
//
// Decision loop: both machines boot again (blank 32 MiB disk + seed bundle),
// run the autonomy loop at a 10 ms interval for 5 s of guest time with a
// light workload (`stress mem 2048 256`, `stress cpu 10`), and report the
// kernel's own figures: the mean and max cost of one trace_record() (the
// ring copy; seed target < 10 us) from `tracectl stats`, and of a whole
// decision tick (telemetry to the decision event, the workload's own work
// excluded) from `autoctl status`. Instructions: the emulator's virtual
// clock counts one counter tick per retired instruction, so its guest ns /
// 16 (62.5 MHz) is the instruction count of the measured code; QEMU with
// -icount shift=0 runs one instruction per guest ns.
import { readFileSync } from 'node:fs';
import { PROMPT, runCommand, type SerialMachine } from '../kernel-image/tests/serial-machine.ts';
import { bootQemu } from '../kernel-image/tests/qemu-machine.ts';
import { EmulatorMachine } from '../emulator/src/serial-machine.ts';
import { DEFAULT_KERNEL_PATH } from '../emulator/src/node-files.ts';
import { MemoryBlockStore, VirtioBlk } from '../emulator/src/devices/virtio-blk.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CpuMode } from '../emulator/src/jit/jit.ts';
import { runScript } from '../emulator/src/jit/script-run.ts';
import { benchBrowser, browserLines } from './bench-browser.ts';
import { haveQemu, linuxOnEmulator, linuxOnQemu } from '../emulator/tests/linux/boot.ts';
import { fetchDebianLinux, haveApt } from '../emulator/tests/linux/debian.ts';
import { busyboxInitramfs } from '../emulator/tests/linux/initramfs.ts';

interface Result {
  bootMs: number;
  loops: Record<string, number>; // guest microseconds per loop
  checks: Record<string, string>;
  commandMs: number;
  instructions?: number;
  verifyUs?: number; // one Ed25519 verify, guest microseconds
  cpuMs?: number;
  profile?: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const iters = Number(arg('--iters') ?? 200_000);
const kernelPath = arg('--kernel') ?? DEFAULT_KERNEL_PATH;
const withQemu = !process.argv.includes('--no-qemu');
const fsKiB = Number(arg('--fs-kib') ?? 1024);
const cpus = (arg('--cpu') ?? 'interp,jit').split(',') as CpuMode[];
if (!cpus.length || cpus.some((c) => c !== 'interp' && c !== 'jit')) {
  console.error('bench: --cpu wants interp, jit or interp,jit');
  process.exit(64);
}
const FS_DISK_MIB = 64;
if (!Number.isInteger(iters) || iters < 1) {
  console.error('bench: --iters wants a positive whole number');
  process.exit(64);
}
const only = arg('--only');
if (process.argv.includes('--only') && only !== 'browser') {
  console.error('bench: --only wants browser (the one section that runs alone)');
  process.exit(64);
}
const withBrowser = !process.argv.includes('--no-browser');
const withLinux = !process.argv.includes('--no-linux');
if (only === 'browser' && !withBrowser) {
  console.error('bench: --only browser and --no-browser leave nothing to measure');
  process.exit(64);
}
const browserLog = (s: string) => process.stderr.write(`${s}\n`);
// The site is built with the committed kernel; --kernel changes only the Node and QEMU rows.
const browserKernelNote = () => (kernelPath === DEFAULT_KERNEL_PATH ? [] : [`  (the browser ran the site's kernel, ${DEFAULT_KERNEL_PATH}, not ${kernelPath})`]);
/** QEMU's `bench iters` total on the site's kernel (what the tab runs), run again for each call: the tab pages' references. */
async function qemuReference(): Promise<number> {
  const m = await bootQemu({ image: DEFAULT_KERNEL_PATH });
  try {
    await m.waitFor(PROMPT, { timeoutMs: 120_000 });
    return Object.values(parseBench(await runCommand(m, `bench ${iters}`, 600_000)).loops).reduce((a, b) => a + b, 0);
  } finally {
    await m.kill();
  }
}
const browserReference = withQemu ? qemuReference : undefined;
if (only === 'browser') {
  // QEMU's bench total (same iterations, this run) for the browser rows' ratios.
  const q = withQemu ? await measure('QEMU', () => bootQemu({ image: kernelPath })) : null;
  const qTotal = q ? Object.values(q.loops).reduce((a, b) => a + b, 0) : undefined;
  const b = await benchBrowser({ iters, cpus, log: browserLog, reference: browserReference });
  console.log([`SIS bench (browser only), ${iters} iterations`, ...browserLines(b, iters, qTotal, {}, q?.checks), ...browserKernelNote()].join('\n'));
  process.exit(0);
}

function parseBench(answer: string): Pick<Result, 'loops' | 'checks'> {
  const loops: Record<string, number> = {};
  const checks: Record<string, string> = {};
  for (const m of answer.matchAll(/^bench: (\w+) \d+ iters (\d+) us check (0x[0-9a-f]+)$/gm)) {
    loops[m[1]] = Number(m[2]);
    checks[m[1]] = m[3];
  }
  if (!Object.keys(loops).length) throw new Error(`no bench lines in the answer:\n${answer}`);
  return { loops, checks };
}

async function measure(name: string, start: () => Promise<SerialMachine>, instret?: (m: SerialMachine) => number, profile?: (m: SerialMachine) => string | undefined): Promise<Result> {
  process.stderr.write(`bench: booting ${name}...\n`);
  const t0 = performance.now();
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 120_000 });
    const bootMs = performance.now() - t0;
    process.stderr.write(`bench: ${name}: bench ${iters}...\n`);
    const i0 = instret?.(m);
    const c0 = performance.now();
    const u0 = process.cpuUsage();
    const answer = await runCommand(m, `bench ${iters}`, 600_000);
    const commandMs = performance.now() - c0;
    const u = process.cpuUsage(u0);
    const instructions = i0 === undefined ? undefined : instret!(m) - i0;
    const cpuMs = (u.user + u.system) / 1000;
    const prof = profile?.(m); // before the selftest below adds its own translations
    const verify = /^selftest: ed25519: one verify takes (\d+) us/m.exec(await runCommand(m, 'selftest ed25519', 120_000));
    return { bootMs, commandMs, instructions, cpuMs, profile: prof, verifyUs: verify ? Number(verify[1]) : undefined, ...parseBench(answer) };
  } finally {
    await m.kill();
  }
}

const emuKernel = readFileSync(kernelPath);
const emus: Record<string, Result> = {};
for (const cpu of cpus) {
  emus[cpu] = await measure(
    `emulator --cpu ${cpu}`,
    () => EmulatorMachine.start({ kernel: emuKernel, clock: 'realtime', cpu }),
    (m) => (m as EmulatorMachine).machine.stats().instret,
    (m) => {
      const p = (m as EmulatorMachine).machine.profile();
      if (!p) return undefined;
      return `jit: ${p.compiles} blocks translated (${p.insnsTranslated} instructions) in ${p.compileMs.toFixed(0)} ms = ${p.insnsTranslated ? ((p.compileMs * 1000) / p.insnsTranslated).toFixed(1) : '-'} us per translated instruction; code cache ${(p.codeBytes / 1024).toFixed(0)} KiB of wasm; ${(100 * p.insnsInJit / Math.max(1, m && (m as EmulatorMachine).machine.stats().instret)).toFixed(1)}% of all instructions ran translated`;
    },
  );
}
const emu = emus[cpus[0]];
// instructions per loop: guest ticks under the virtual clock are instructions (bench has no WFI)
process.stderr.write(`bench: counting each loop's instructions (virtual clock)...\n`);
const counted = parseBench((await runScript([`bench ${iters}`, 'poweroff'], 'jit', { kernel: emuKernel })).output);
const loopInsns: Record<string, number> = Object.fromEntries(Object.entries(counted.loops).map(([k, us]) => [k, (us * 62.5)]));
const qemu = withQemu ? await measure('QEMU', () => bootQemu({ image: kernelPath })) : null;

interface FsResult {
  writeKiBs: number;
  readKiBs: number;
  bigFsyncUs: number;
  fsyncUs: number;
}

/** Boots with a blank disk and runs `fsbench`; null (with a note) if the kernel has none. */
async function measureFs(name: string, start: () => Promise<SerialMachine>): Promise<FsResult | string> {
  process.stderr.write(`bench: ${name}: booting with a blank ${FS_DISK_MIB} MiB disk...\n`);
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 120_000 });
    const help = await runCommand(m, 'help', 30_000);
    if (!/^\s*fsbench\b/m.test(help)) return 'this kernel has no `fsbench` shell command';
    const answer = await runCommand(m, `fsbench ${fsKiB}`, 600_000);
    const w = /^fsbench: write (\d+) bytes (\d+) us$/m.exec(answer);
    const big = /^fsbench: fsync (\d+) us$/m.exec(answer);
    const r = /^fsbench: read (\d+) bytes (\d+) us$/m.exec(answer);
    const y = /^fsbench: append\+fsync (\d+) x \d+ bytes (\d+) us/m.exec(answer);
    if (!w || !big || !r || !y) return `unexpected fsbench output: ${JSON.stringify(answer.slice(0, 300))}`;
    const kibs = (bytes: string, us: string) => Number(bytes) / 1024 / (Math.max(1, Number(us)) / 1e6);
    return { writeKiBs: kibs(w[1], w[2]), readKiBs: kibs(r[1], r[2]), bigFsyncUs: Number(big[1]), fsyncUs: Number(y[2]) / Number(y[1]) };
  } finally {
    await m.kill();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'sis-bench-'));
let emuFs: FsResult | string;
let qemuFs: FsResult | string | null = null;
try {
  emuFs = await measureFs('emulator', () =>
    EmulatorMachine.start({ kernel: emuKernel, clock: 'realtime', cpu: cpus[0], virtio: { 31: new VirtioBlk(new MemoryBlockStore(new Uint8Array(FS_DISK_MIB << 20))) } }),
  );
  if (withQemu && typeof emuFs !== 'string') {
    const img = join(scratch, 'disk.img');
    writeFileSync(img, new Uint8Array(FS_DISK_MIB << 20));
    qemuFs = await measureFs('QEMU', () =>
      bootQemu({
        image: kernelPath,
        args: ['-global', 'virtio-mmio.force-legacy=false', '-drive', `if=none,file=${img},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0'],
      }),
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

interface ModelResult {
  swapUs: number;
  healthUs: number;
  rollbackUs: number;
  insns?: { swap: number; health: number; rollback: number };
}

async function measureModels(name: string, start: () => Promise<SerialMachine>, instret?: (m: SerialMachine) => number): Promise<ModelResult | string> {
  process.stderr.write(`bench: ${name}: models (blank disk + seed bundle)...\n`);
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 300_000 });
    if (!/models: active v1\.0\.0/.test(m.output)) return `the kernel did not activate v1.0.0 from the seed bundle: ${m.output.split('\n').filter((l) => l.includes('models: ***')).join(' | ')}`;
    const timed = async (cmd: string) => {
      const i0 = instret?.(m) ?? 0;
      const a = await runCommand(m, cmd, 600_000);
      return { a, insns: (instret?.(m) ?? 0) - i0 };
    };
    const swap = await timed('modelctl swap v1.1.0');
    const sw = /^Model swap complete: v1\.1\.0 \((\d+) us/m.exec(swap.a);
    if (!sw) return `unexpected swap output: ${JSON.stringify(swap.a.slice(0, 300))}`;
    const hs: { us: number; insns: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await timed('modelctl health');
      const r = /^ {2}result: +pass \((\d+) us\)$/m.exec(h.a);
      if (!r) return `unexpected health output: ${JSON.stringify(h.a.slice(0, 300))}`;
      hs.push({ us: Number(r[1]), insns: h.insns });
    }
    hs.sort((x, y) => x.us - y.us);
    const rb = await timed('modelctl rollback');
    const rr = /^Rollback complete: active v1\.0\.0 \((\d+) us\)$/m.exec(rb.a);
    if (!rr) return `unexpected rollback output: ${JSON.stringify(rb.a.slice(0, 300))}`;
    return {
      swapUs: Number(sw[1]), healthUs: hs[1].us, rollbackUs: Number(rr[1]),
      insns: instret ? { swap: swap.insns, health: hs[1].insns, rollback: rb.insns } : undefined,
    };
  } finally {
    await m.kill();
  }
}

const bundlePath = join(import.meta.dirname, '..', 'models', 'dist', 'seed-bundle.tar');
const bundle = (() => {
  const b = readFileSync(bundlePath);
  const out = new Uint8Array(Math.ceil(b.length / 512) * 512);
  out.set(b);
  return out;
})();
const MODEL_DISK_MIB = 32;
const emuModelMachine = (clock: 'realtime' | 'virtual') => () => EmulatorMachine.start({
  kernel: emuKernel, clock,
  virtio: { 31: new VirtioBlk(new MemoryBlockStore(new Uint8Array(MODEL_DISK_MIB << 20))), 30: new VirtioBlk(new MemoryBlockStore(bundle.slice(), true)) },
});
const emuInstret = (m: SerialMachine) => (m as EmulatorMachine).machine.stats().instret;
// Realtime: what a user at `npm run vm` sees (host jitter included: on a loaded host the latency
// gate can fail). Virtual: deterministic, the counter advances with retired instructions.
const emuModels = await measureModels('emulator', emuModelMachine('realtime'), emuInstret);
const emuModelsVirtual = await measureModels('emulator (virtual clock)', emuModelMachine('virtual'), emuInstret);
let qemuModels: ModelResult | string | null = null;
let qemuIcount: ModelResult | string | null = null;
if (withQemu) {
  const dir = mkdtempSync(join(tmpdir(), 'sis-bench-models-'));
  try {
    const boot = (extra: string[]) => {
      const img = join(dir, `disk-${extra.length}.img`);
      writeFileSync(img, new Uint8Array(MODEL_DISK_MIB << 20));
      return bootQemu({
        image: kernelPath, deadlineMs: 600_000,
        args: [...extra, '-global', 'virtio-mmio.force-legacy=false', '-drive', `if=none,file=${img},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
          '-drive', `if=none,file=${bundlePath},format=raw,id=d1,readonly=on`, '-device', 'virtio-blk-device,drive=d1'],
      });
    };
    qemuModels = await measureModels('QEMU', () => boot([]));
    qemuIcount = await measureModels('QEMU -icount shift=0', () => boot(['-icount', 'shift=0']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LoopResult { recMean: number; recMax: number; tickMean: number; tickMax: number; decisions: number }

async function measureLoop(name: string, start: () => Promise<SerialMachine>): Promise<LoopResult | string> {
  process.stderr.write(`bench: ${name}: decision loop (10 ms interval, 5 s)...\n`);
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 300_000 });
    for (const c of ['stress mem 2048 256', 'stress cpu 10', 'autoctl interval 10', 'autoctl on', 'sleep 5000', 'autoctl off']) await runCommand(m, c, 600_000);
    const st = await runCommand(m, 'autoctl status');
    const tr = await runCommand(m, 'tracectl stats');
    const t = /^tick: last \d+ ns, max (\d+) ns, mean (\d+) ns$/m.exec(st);
    const d = /^decisions: (\d+)/m.exec(st);
    const r = /^record: last \d+ ns, max (\d+) ns, mean (\d+) ns$/m.exec(tr);
    if (!t || !d || !r) return `unexpected output: ${st} ${tr}`;
    return { tickMax: +t[1], tickMean: +t[2], decisions: +d[1], recMax: +r[1], recMean: +r[2] };
  } finally {
    await m.kill();
  }
}

const emuLoop = await measureLoop('emulator (virtual clock)', emuModelMachine('virtual'));
let qemuLoop: LoopResult | string | null = null;
let qemuLoopIcount: LoopResult | string | null = null;
if (withQemu) {
  const dir = mkdtempSync(join(tmpdir(), 'sis-bench-loop-'));
  try {
    const boot = (extra: string[]) => {
      const img = join(dir, `disk-${extra.length}.img`);
      writeFileSync(img, new Uint8Array(MODEL_DISK_MIB << 20));
      return bootQemu({
        image: kernelPath, deadlineMs: 600_000,
        args: [...extra, '-global', 'virtio-mmio.force-legacy=false', '-drive', `if=none,file=${img},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
          '-drive', `if=none,file=${bundlePath},format=raw,id=d1,readonly=on`, '-device', 'virtio-blk-device,drive=d1'],
      });
    };
    qemuLoop = await measureLoop('QEMU', () => boot([]));
    qemuLoopIcount = await measureLoop('QEMU -icount shift=0', () => boot(['-icount', 'shift=0']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- ops: shadow overhead per decision and OTel batch export (seed: < 500 us, < 10 ms) ----
interface OpsResult {
  shadowMeanNs: number;       // shadowctl status: the whole shadow hook, mean per decision
  shadowMaxNs: number;
  batchUs: number;            // otelctl status: the last full 100-span batch, encode + write + commit
  batchTicks: number;
  encodeTicks: number;       // of which: the OTLP/JSON encoding
  batchBytes: number;
  tickMeanNs: [number, number];   // autoctl status: mean decision tick without / with the shadow
  insnsPerDecision?: [number, number];
  flushInsns?: { spans: number; insns: number };
}

async function measureOps(name: string, start: () => Promise<SerialMachine>, instret?: (m: SerialMachine) => number): Promise<OpsResult | string> {
  process.stderr.write(`bench: ${name}: shadow and OTel (seed bundle, 10 ms decisions)...\n`);
  const m = await start();
  try {
    await m.waitFor(PROMPT, { timeoutMs: 300_000 });
    const decisions = async () => Number(/^decisions: (\d+)/m.exec(await runCommand(m, 'autoctl', 60_000))?.[1] ?? NaN);
    const tickMean = async () => Number(/^tick: .*mean (\d+) ns$/m.exec(await runCommand(m, 'autoctl', 60_000))?.[1] ?? NaN);
    const phase = async () => {
      const d0 = await decisions();
      const i0 = instret?.(m) ?? 0;
      await runCommand(m, 'sleep 3000', 600_000);
      const i1 = instret?.(m) ?? 0;
      const d1 = await decisions();
      return (i1 - i0) / Math.max(1, d1 - d0);
    };
    await runCommand(m, 'autoctl interval 10');
    await runCommand(m, 'autoctl on');
    const plain = await phase();
    const tick0 = await tickMean();
    const en = await runCommand(m, 'shadowctl enable v1.1.0');
    if (!/Shadow agent enabled/.test(en)) return `shadowctl enable: ${en.slice(0, 200)}`;
    await runCommand(m, 'shadowctl mode compare');
    const withShadow = await phase();
    const tick1 = await tickMean();
    const st = await runCommand(m, 'shadowctl status');
    const ov = /^ {2}Overhead: +last \d+ ns, mean (\d+) ns, max (\d+) ns per decision$/m.exec(st);
    if (!ov) return `shadowctl status: ${st.slice(0, 300)}`;
    const ot = await runCommand(m, 'otelctl status');
    const last = /^last: +(\d+) bytes in (\d+) us \((\d+) counter ticks; encoding (\d+) ticks/m.exec(ot);
    if (!last) return `otelctl status: ${ot.slice(0, 300)}`;
    await runCommand(m, 'autoctl off');
    const pend = Number(/^pending: +(\d+) spans$/m.exec(await runCommand(m, 'otelctl status'))?.[1] ?? 0);
    const i0 = instret?.(m) ?? 0;
    await runCommand(m, 'otelctl flush', 120_000);
    const flushInsns = (instret?.(m) ?? 0) - i0;
    return {
      shadowMeanNs: Number(ov[1]), shadowMaxNs: Number(ov[2]),
      batchUs: Number(last[2]), batchTicks: Number(last[3]), encodeTicks: Number(last[4]), batchBytes: Number(last[1]), tickMeanNs: [tick0, tick1],
      insnsPerDecision: instret ? [plain, withShadow] : undefined,
      flushInsns: instret && pend ? { spans: pend, insns: flushInsns } : undefined,
    };
  } finally {
    await m.kill();
  }
}

const emuOps = await measureOps('emulator (virtual clock)', emuModelMachine('virtual'), emuInstret);
let qemuOps: OpsResult | string | null = null;
let qemuOpsIcount: OpsResult | string | null = null;
if (withQemu) {
  const dir = mkdtempSync(join(tmpdir(), 'sis-bench-ops-'));
  try {
    const boot = (extra: string[]) => {
      const img = join(dir, `disk-${extra.length}.img`);
      writeFileSync(img, new Uint8Array(MODEL_DISK_MIB << 20));
      return bootQemu({
        image: kernelPath, deadlineMs: 600_000,
        args: [...extra, '-global', 'virtio-mmio.force-legacy=false', '-drive', `if=none,file=${img},format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
          '-drive', `if=none,file=${bundlePath},format=raw,id=d1,readonly=on`, '-device', 'virtio-blk-device,drive=d1'],
      });
    };
    qemuOps = await measureOps('QEMU', () => boot([]));
    qemuOpsIcount = await measureOps('QEMU -icount shift=0', () => boot(['-icount', 'shift=0']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LinuxResult {
  version: string;
  emu: Record<string, { promptMs: number; instret: number; compileMs?: number }>;
  qemuMs?: number;
}

/** Boots Debian's kernel to the busybox prompt on each machine; a string says why not. */
async function measureLinux(): Promise<LinuxResult | string> {
  if (!haveApt) return "no apt-get here to fetch Debian's arm64 kernel and busybox";
  process.stderr.write('bench: linux: fetching the Debian kernel and busybox (cached)...\n');
  const deb = fetchDebianLinux();
  const initrd = busyboxInitramfs(deb.busybox);
  const out: LinuxResult = { version: deb.kernelVersion, emu: {} };
  for (const cpu of cpus) {
    process.stderr.write(`bench: linux: emulator --cpu ${cpu} to the shell prompt...\n`);
    const e = await linuxOnEmulator(deb.kernel, initrd, [], { cpu, clock: 'realtime' });
    out.emu[cpu] = { promptMs: e.promptMs, instret: e.instret, compileMs: e.profile?.compileMs };
  }
  if (withQemu && haveQemu) {
    const dir = mkdtempSync(join(tmpdir(), 'sis-bench-linux-'));
    try {
      writeFileSync(join(dir, 'Image'), deb.kernel);
      writeFileSync(join(dir, 'initrd'), initrd);
      process.stderr.write('bench: linux: QEMU to the shell prompt...\n');
      out.qemuMs = (await linuxOnQemu(join(dir, 'Image'), join(dir, 'initrd'), [])).promptMs;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
const linux = withLinux ? await measureLinux() : null;

const f = (x: number, d = 0) => x.toFixed(d).padStart(10);
const lines: string[] = [];
lines.push(`SIS bench, ${iters} iterations, kernel ${kernelPath}`);
lines.push(`${'measure'.padEnd(28)}${cpus.map((c) => c.padStart(10)).join('')}${'QEMU'.padStart(10)}${cpus.map((c) => `${c}/QEMU`.padStart(12)).join('')}`);
const rowN = (label: string, es: number[], q: number | undefined, unit: string) =>
  lines.push(`${(label + ' (' + unit + ')').padEnd(28)}${es.map((e) => f(e)).join('')}${q === undefined ? '         -' : f(q)}${es.map((e) => (q ? f(e / q, 2).padStart(12) : '           -')).join('')}`);
const row = (label: string, e: number, q: number | undefined, unit: string, d = 0) =>
  lines.push(`${(label + ' (' + unit + ')').padEnd(28)}${f(e, d)}${q === undefined ? '         -' : f(q, d)}${q ? f(e / q, 2) : '         -'}`);
const all = cpus.map((c) => emus[c]);
rowN('boot to prompt', all.map((r) => r.bootMs), qemu?.bootMs, 'ms');
for (const k of Object.keys(emu.loops)) rowN(`bench ${k}`, all.map((r) => r.loops[k]), qemu?.loops[k], 'us');
const total = (r: Result) => Object.values(r.loops).reduce((a, b) => a + b, 0);
rowN('bench total', all.map(total), qemu ? total(qemu) : undefined, 'us');
if (all.every((r) => r.verifyUs !== undefined)) rowN('ed25519 verify', all.map((r) => r.verifyUs!), qemu?.verifyUs, 'us');
lines.push('');
for (const c of cpus) {
  const r = emus[c];
  if (r.instructions !== undefined) {
    lines.push(`emulator --cpu ${c}: ${(r.instructions / 1e6).toFixed(1)} M instructions in ${r.commandMs.toFixed(0)} ms wall, ${r.cpuMs!.toFixed(0)} ms CPU for the bench command = ${(r.instructions / r.commandMs / 1000).toFixed(1)} MIPS wall, ${(r.instructions / r.cpuMs! / 1000).toFixed(1)} MIPS per CPU-second`);
  }
  lines.push(`  MIPS per loop: ${Object.keys(r.loops).map((k) => `${k} ${(loopInsns[k] / r.loops[k]).toFixed(1)}`).join(', ')}`);
  if (r.profile) lines.push(`  ${r.profile}`);
}
if (qemu) lines.push(`QEMU MIPS per loop (same instruction counts): ${Object.keys(qemu.loops).map((k) => `${k} ${(loopInsns[k] / qemu.loops[k]).toFixed(1)}`).join(', ')}`);
if (typeof emuFs === 'string') {
  lines.push(`storage: not measured: ${emuFs}`);
} else {
  const q = qemuFs && typeof qemuFs !== 'string' ? qemuFs : undefined;
  lines.push(`storage (fsbench ${fsKiB} KiB on a blank ${FS_DISK_MIB} MiB disk, guest time):`);
  const rowInv = (label: string, e: number, qv: number | undefined, unit: string) =>
    lines.push(`${(label + ' (' + unit + ')').padEnd(28)}${f(e)}${qv === undefined ? '         -' : f(qv)}${qv ? f(qv / e, 2) : '         -'}`);
  rowInv('seq write', emuFs.writeKiBs, q?.writeKiBs, 'KiB/s');
  rowInv('seq read', emuFs.readKiBs, q?.readKiBs, 'KiB/s');
  row(`fsync ${fsKiB} KiB file`, emuFs.bigFsyncUs, q?.bigFsyncUs, 'us');
  row('append+fsync', emuFs.fsyncUs, q?.fsyncUs, 'us');
  if (typeof qemuFs === 'string') lines.push(`QEMU storage: ${qemuFs}`);
  lines.push('(throughput ratio column: QEMU/emulator, so > 1 means the emulator is slower, like the time ratios)');
}
{
  // Models: the emulator on its virtual clock (deterministic; realtime below) against QEMU.
  const v = typeof emuModelsVirtual !== 'string' ? emuModelsVirtual : undefined;
  const q = qemuModels && typeof qemuModels !== 'string' ? qemuModels : undefined;
  const qi = qemuIcount && typeof qemuIcount !== 'string' ? qemuIcount : undefined;
  const r = typeof emuModels !== 'string' ? emuModels : undefined;
  lines.push('models (seed bundle, guest time; seed targets swap < 100 ms, health < 50 ms; emulator on its virtual clock):');
  if (v) {
    row('model swap', v.swapUs, q?.swapUs, 'us');
    row('health check', v.healthUs, q?.healthUs, 'us');
    row('rollback', v.rollbackUs, q?.rollbackUs, 'us');
    if (v.insns) {
      row('model swap', v.insns.swap / 1e6, qi ? qi.swapUs / 1000 : undefined, 'M insns', 2);
      row('health', v.insns.health / 1e6, qi ? qi.healthUs / 1000 : undefined, 'M insns', 2);
      row('rollback', v.insns.rollback / 1e6, qi ? qi.rollbackUs / 1000 : undefined, 'M insns', 2);
      lines.push('(emulator: exact count for the whole command; QEMU: -icount shift=0 guest ns of the operation, disk waits included)');
    }
  } else {
    lines.push(`emulator (virtual clock): not measured: ${emuModelsVirtual}`);
  }
  if (typeof qemuModels === 'string') lines.push(`QEMU models: ${qemuModels}`);
  if (typeof qemuIcount === 'string') lines.push(`QEMU -icount models: ${qemuIcount}`);
  lines.push(r ? `emulator, realtime clock: swap ${r.swapUs} us, health ${r.healthUs} us, rollback ${r.rollbackUs} us`
    : `emulator, realtime clock: ${emuModels}`);
}
{
  const e = typeof emuLoop !== 'string' ? emuLoop : undefined;
  const q = qemuLoop && typeof qemuLoop !== 'string' ? qemuLoop : undefined;
  const qi = qemuLoopIcount && typeof qemuLoopIcount !== 'string' ? qemuLoopIcount : undefined;
  lines.push('decision loop (10 ms interval, 5 s guest time; seed target: trace record < 10 us; emulator on its virtual clock):');
  if (e) {
    row('trace record mean', e.recMean / 1000, q ? q.recMean / 1000 : undefined, 'us', 2);
    row('trace record max', e.recMax / 1000, q ? q.recMax / 1000 : undefined, 'us', 2);
    row('decision tick mean', e.tickMean / 1000, q ? q.tickMean / 1000 : undefined, 'us', 1);
    row('decision tick max', e.tickMax / 1000, q ? q.tickMax / 1000 : undefined, 'us', 1);
    row('trace record mean', e.recMean / 16, qi?.recMean, 'insns');
    row('decision tick mean', e.tickMean / 16, qi?.tickMean, 'insns');
    lines.push(`(decisions made: emulator ${e.decisions}${q ? `, QEMU ${q.decisions}` : ''}; instructions: emulator guest ns / 16, QEMU -icount shift=0 guest ns)`);
  } else {
    lines.push(`emulator: not measured: ${emuLoop}`);
  }
  if (typeof qemuLoop === 'string') lines.push(`QEMU loop: ${qemuLoop}`);
  if (typeof qemuLoopIcount === 'string') lines.push(`QEMU -icount loop: ${qemuLoopIcount}`);
}
{
  const v = typeof emuOps !== 'string' ? emuOps : undefined;
  const q = qemuOps && typeof qemuOps !== 'string' ? qemuOps : undefined;
  const qi = qemuOpsIcount && typeof qemuOpsIcount !== 'string' ? qemuOpsIcount : undefined;
  lines.push('ops (guest time; seed targets shadow overhead < 500 us per decision, OTel batch < 10 ms; emulator on its virtual clock):');
  if (v) {
    row('shadow overhead mean', v.shadowMeanNs / 1000, q ? q.shadowMeanNs / 1000 : undefined, 'us', 1);
    row('shadow overhead max', v.shadowMaxNs / 1000, q ? q.shadowMaxNs / 1000 : undefined, 'us', 1);
    row('decision tick, no shadow', v.tickMeanNs[0] / 1000, q ? q.tickMeanNs[0] / 1000 : undefined, 'us', 1);
    row('decision tick, shadow', v.tickMeanNs[1] / 1000, q ? q.tickMeanNs[1] / 1000 : undefined, 'us', 1);
    row('OTel batch (100 spans)', v.batchUs / 1000, q ? q.batchUs / 1000 : undefined, 'ms', 2);
    row('  of which encoding', v.encodeTicks / 62500, q ? q.encodeTicks / 62500 : undefined, 'ms', 2);
    lines.push(`  batch size ${v.batchBytes} bytes (emulator), ${q ? q.batchBytes : '-'} bytes (QEMU)`);
    // Instructions: the emulator's virtual clock counts one tick per retired instruction (62.5 MHz
    // ticks, 16 ns each); QEMU -icount shift=0 runs one guest ns per instruction.
    row('shadow overhead mean', v.shadowMeanNs / 16 / 1000, qi ? qi.shadowMeanNs / 1000 : undefined, 'k insns', 1);
    row('decision tick, shadow', v.tickMeanNs[1] / 16 / 1000, qi ? qi.tickMeanNs[1] / 1000 : undefined, 'k insns', 1);
    row('OTel batch (100 spans)', v.batchTicks / 1e6, qi ? qi.batchTicks * 16 / 1e6 : undefined, 'M insns', 2);
    row('  of which encoding', v.encodeTicks / 1e6, qi ? qi.encodeTicks * 16 / 1e6 : undefined, 'M insns', 2);
    if (v.insnsPerDecision) {
      const [a, b] = v.insnsPerDecision;
      lines.push(`  emulator, retired instructions per decision over 3 s of decisions (loop, OTel, drift, idle): ${(a / 1000).toFixed(1)} k without the shadow, ${(b / 1000).toFixed(1)} k with it`);
    }
    if (v.flushInsns) lines.push(`  emulator: otelctl flush of ${v.flushInsns.spans} pending spans = ${(v.flushInsns.insns / 1e6).toFixed(2)} M instructions (whole command)`);
  } else {
    lines.push(`emulator ops: not measured: ${emuOps}`);
  }
  if (typeof qemuOps === 'string') lines.push(`QEMU ops: ${qemuOps}`);
  if (typeof qemuOpsIcount === 'string') lines.push(`QEMU -icount ops: ${qemuOpsIcount}`);
}
if (qemu) {
  const same = cpus.every((c) => Object.keys(emus[c].checks).every((k) => emus[c].checks[k] === qemu.checks[k]));
  lines.push(`check values ${same ? 'identical' : 'DIFFER'} on both machines`);
}
if (typeof linux === 'string') {
  lines.push(`linux: not measured: ${linux}`);
} else if (linux) {
  lines.push(`linux ${linux.version} + busybox initramfs to the shell prompt (wall time, realtime clock):`);
  rowN('linux boot to prompt', cpus.map((c) => linux.emu[c].promptMs), linux.qemuMs, 'ms');
  lines.push(`  emulator: ${cpus.map((c) => `${c} ${(linux.emu[c].instret / 1e6).toFixed(0)} M instructions${linux.emu[c].compileMs !== undefined ? `, ${linux.emu[c].compileMs!.toFixed(0)} ms compiling` : ''}`).join('; ')}`);
}
if (withBrowser) {
  const b = await benchBrowser({ iters, cpus, log: browserLog, reference: browserReference });
  lines.push(...browserLines(b, iters, qemu ? total(qemu) : undefined, Object.fromEntries(cpus.map((c) => [c, total(emus[c])])), qemu?.checks), ...browserKernelNote());
}
console.log(lines.join('\n'));

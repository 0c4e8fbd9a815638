// The decision loop's test table (issue 9): the autonomy loop, the trace
// ring, incident bundles, chaos and reward, safe mode, retention, a soak and
// the all-features-off kernel. Every case runs on any machine: QEMU
// (ops-qemu.test.ts) and the emulator (emulator/tests/machine/ops.test.ts,
// on the virtual clock). A case gets a boot function that starts a machine
// on a system disk (and the seed bundle as the import disk) with the event
// console attached, and checks the shell's answers, the event stream and,
// between boots, the disk through debugfs and e2fsck (the oracles).
// Incident bundles are validated against docs/schemas/incident-bundle.v1.json
// with ajv.

import { spawnSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { runCommand, type SerialMachine } from './serial-machine.ts';
import { debugfs, debugfsNames, e2fsck } from './storage-cases.ts';
import { parseEvents, type SisEvent, type DecisionEvent, type ApprovalEvent, type PendingEvent, type IncidentEvent, type SafeModeEvent } from '../../emulator/src/events.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const SEED_BUNDLE = path.join(ROOT, 'models/dist/seed-bundle.tar');
export const SCHEMA = path.join(ROOT, 'docs/schemas/incident-bundle.v1.json');

export interface OpsBooted {
  machine: SerialMachine;
  /** Event lines of this boot so far. */
  events(): string[];
}
export interface OpsBootSpec {
  system: string;
  /** The kernel build: the default image or the all-features-off one. */
  image?: 'default' | 'nofeat';
}
export type OpsBootFn = (spec: OpsBootSpec) => Promise<OpsBooted>;

export interface OpsCase {
  name: string;
  /** Machines it can run on. */
  on: ('qemu' | 'emulator')[];
  /** Emulator: pace idle time to the host clock (the case's timing rules depend on guest time between commands). */
  paced?: boolean;
  /** Host time it may take. */
  timeoutMs: number;
  run(boot: OpsBootFn, dir: string, where: 'qemu' | 'emulator'): Promise<void>;
}

// ---- helpers ----

function fail(msg: string): never {
  throw new Error(msg);
}
function expect(cond: unknown, msg: string): asserts cond {
  if (!cond) fail(msg);
}

async function cmd(m: SerialMachine, c: string, timeoutMs = 120_000): Promise<string> {
  return runCommand(m, c, timeoutMs);
}

export interface LoopStatus {
  on: boolean;
  interval: number;
  decider: string;
  decisions: number;
  missed: number;
  executed: number;
  overridden: number;
  queued: number;
  tickMean: number;
  tickMax: number;
  pending: number;
}

export function parseStatus(a: string): LoopStatus {
  const head = /^autoctl: (on|off), interval (\d+) ms, decider (\S+)$/m.exec(a) ?? fail(`autoctl status: ${a}`);
  const d = /^decisions: (\d+), missed ticks: (\d+), actions executed: (\d+), overridden: (\d+), queued: (\d+)$/m.exec(a) ?? fail(a);
  const t = /^tick: last \d+ ns, max (\d+) ns, mean (\d+) ns$/m.exec(a) ?? fail(a);
  const p = /pending (\d+)\/16$/m.exec(a) ?? fail(a);
  return {
    on: head[1] === 'on', interval: +head[2], decider: head[3], decisions: +d[1], missed: +d[2], executed: +d[3],
    overridden: +d[4], queued: +d[5], tickMax: +t[1], tickMean: +t[2], pending: +p[1],
  };
}

async function status(m: SerialMachine): Promise<LoopStatus> {
  return parseStatus(await cmd(m, 'autoctl status'));
}

/** Let the loop run until it has made at least `n` decisions in all. */
export async function runUntil(m: SerialMachine, n: number): Promise<LoopStatus> {
  for (;;) {
    const s = await status(m);
    if (s.decisions >= n) return s;
    const ms = Math.min(60_000, Math.max(s.interval, Math.ceil((n - s.decisions) * s.interval * 1.02)));
    expect((await cmd(m, `sleep ${ms}`, 600_000)) === '', 'sleep prints nothing');
  }
}

/** Let the loop make `k` more decisions from now. */
async function runMore(m: SerialMachine, k: number): Promise<LoopStatus> {
  return runUntil(m, (await status(m)).decisions + k);
}

/** Trace ids of `tracectl list` in the order printed. */
export function listIds(a: string): number[] {
  return a.split('\n').map((l) => /^ {2}(\d+)\s/.exec(l)).filter((x) => x).map((x) => +x![1]);
}

interface Shown {
  mem: number; misses: number; cpu: number; latency: number; tasks: number;
  ioErrors: number; chaos: boolean; chosen: string; confidence: number;
  executed: boolean; executedAction: string; overridden: boolean; reason: string; approval: string;
  pendingId: number | null; health: number; reward: number | null; checks: { name: string; value: number; threshold: number; pass: boolean }[];
  raw: Record<string, number>; text: string;
}

export function parseShow(a: string): Shown {
  const tel = /^telemetry: mem (\d+)%, misses (\d+), cpu (\d+)%, latency (\d+) ms, heap \d+ bytes, tasks (\d+)/m.exec(a) ?? fail(`show: ${a}`);
  const io = /^io: \d+ requests, mean \d+ us, (\d+) errors; missed ticks \d+(; chaos applied)?/m.exec(a) ?? fail(a);
  const ch = /^chosen: (\S+) \(\d\), confidence (\d+)/m.exec(a) ?? fail(a);
  const out = /^outcome: executed (yes|no), action (\S+), overridden (yes|no)(?: reason (\S+))?, approval (\S+)(?: \(pending id (\d+)\))?$/m.exec(a) ?? fail(a);
  const h = /^health (\d+), reward (-?\d+|not yet known)$/m.exec(a) ?? fail(a);
  const checks = [...a.matchAll(/^ {2}(\w+)\s+value (-?[\d.]+) threshold (-?[\d.]+) (pass|FAIL)$/gm)]
    .map((x) => ({ name: x[1], value: +x[2], threshold: +x[3], pass: x[4] === 'pass' }));
  const raw: Record<string, number> = {};
  for (const x of a.matchAll(/^ {2}(\w+)\s+(-?[\d.]+) -> ([\d.]+)$/gm)) raw[x[1]] = +x[2];
  return {
    mem: +tel[1], misses: +tel[2], cpu: +tel[3], latency: +tel[4], tasks: +tel[5], ioErrors: +io[1], chaos: !!io[2],
    chosen: ch[1], confidence: +ch[2], executed: out[1] === 'yes', executedAction: out[2], overridden: out[3] === 'yes',
    reason: out[4] ?? '', approval: out[5], pendingId: out[6] ? +out[6] : null, health: +h[1],
    reward: h[2] === 'not yet known' ? null : +h[2], checks, raw, text: a,
  };
}

async function show(m: SerialMachine, id: number): Promise<Shown> {
  return parseShow(await cmd(m, `tracectl show ${id}`));
}

/** One command at a time: the shell reads one line after another. */
async function showAll(m: SerialMachine, ids: number[]): Promise<Shown[]> {
  const out: Shown[] = [];
  for (const id of ids) out.push(await show(m, id));
  return out;
}

async function newestId(m: SerialMachine): Promise<number> {
  return listIds(await cmd(m, 'tracectl list --last 1'))[0] ?? fail('no traces');
}

function events(b: OpsBooted): SisEvent[] {
  return parseEvents(b.events().join('\n'));
}

function ofType<T extends SisEvent>(evs: SisEvent[], t: string): T[] {
  return evs.filter((e) => e.t === t) as T[];
}

export function freshDisk(dir: string, name: string, mib: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, mib << 20);
  return p;
}

function fsckClean(img: string): void {
  const r = e2fsck(img);
  expect(r.status === 0, `e2fsck -fn: status ${r.status}\n${r.output}`);
}

function catFile(img: string, p: string): string {
  return debugfs(img, `cat ${p}`);
}

let ajvValidate: ValidateFunction | null = null;
export function validateBundle(b: unknown): void {
  if (!ajvValidate) ajvValidate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  const v = ajvValidate;
  if (!v(b)) fail(`bundle fails the schema: ${JSON.stringify(v.errors).slice(0, 1500)}`);
}

async function poweroff(b: OpsBooted): Promise<void> {
  b.machine.write('poweroff\r');
  const e = await b.machine.exited;
  expect(e.code === 0, `poweroff: exit ${e.code} ${e.reason}`);
}

// ---- the cases ----

export const OPS_CASES: OpsCase[] = [
  {
    name: 'trace ring: 1500 decisions at 10 ms, newest first after wrap-around, O(1) find, clear, bad input',
    on: ['qemu', 'emulator'],
    timeoutMs: 300_000,
    async run(boot, dir) {
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32) });
      const m = b.machine;
      expect(/autoctl: off, interval 500 ms/.test(await cmd(m, 'autoctl status')), 'the loop starts off, at 500 ms');
      expect((await cmd(m, 'autoctl interval 9')).includes('expected 10..60000 ms'), 'interval bound');
      expect((await cmd(m, 'autoctl interval 60001')).includes('expected 10..60000 ms'), 'interval bound');
      expect((await cmd(m, 'autoctl interval 10')) === 'autoctl: interval 10 ms\n', 'interval 10');
      await cmd(m, 'autoctl on');
      await runUntil(m, 1500);
      await cmd(m, 'autoctl off');
      const s = await status(m);
      expect(!s.on && s.decisions >= 1500, `decisions ${s.decisions}`);
      const st = await cmd(m, 'tracectl stats');
      const held = /traces: (\d+) held of 1024, recorded (\d+), overwritten (\d+), cleared (\d+)/.exec(st) ?? fail(st);
      const ids = /ids: oldest (\d+), newest (\d+)/.exec(st) ?? fail(st);
      const n = s.decisions;
      expect(+held[1] === 1024 && +held[2] === n && +held[3] === n - 1024 && +held[4] === 0, `stats ${st}`);
      expect(+ids[1] === n - 1023 && +ids[2] === n, `ids ${st}`);
      const list = listIds(await cmd(m, 'tracectl list --last 1024'));
      expect(list.length === 1024, `list length ${list.length}`);
      list.forEach((id, i) => expect(id === n - i, `list[${i}] = ${id}, want ${n - i}`));
      const ten = listIds(await cmd(m, 'tracectl list'));
      expect(JSON.stringify(ten) === JSON.stringify(list.slice(0, 10)), 'default list: the newest 10');
      const oldest = await show(m, n - 1023);
      expect(oldest.reward !== null, 'the oldest held trace has its reward');
      expect((await cmd(m, `tracectl show ${n - 1024}`)).includes(`trace ${n - 1024} is not in the ring`), 'overwritten');
      expect((await cmd(m, `tracectl show ${n + 1}`)).includes('is not in the ring'), 'future id');
      expect((await cmd(m, 'tracectl show abc')).includes("'abc' is not a trace id"), 'bad id');
      expect((await cmd(m, 'tracectl list --last 0')).includes('--last N with N 1..1024'), 'bad N');
      expect((await cmd(m, 'tracectl list --last 1025')).includes('--last N with N 1..1024'), 'bad N');
      expect((await cmd(m, 'tracectl frob')).startsWith('usage: tracectl'), 'usage');
      // the event stream has every decision, in order
      const dec = ofType<DecisionEvent>(events(b), 'decision');
      expect(dec.length === n, `decision events ${dec.length}, decisions ${n}`);
      dec.forEach((e, i) => expect(e.id === i + 1, `decision event ${i} has id ${e.id}`));
      for (let i = 1; i < dec.length; i++) expect(dec[i].prev_id === i && typeof dec[i].prev_reward === 'number', `prev reward of ${i + 1}`);
      // clear: nothing held, ids continue
      expect((await cmd(m, 'tracectl clear')) === 'tracectl: cleared 1024 trace(s)\n', 'clear');
      expect(listIds(await cmd(m, 'tracectl list')).length === 0, 'empty after clear');
      expect((await cmd(m, `tracectl show ${n}`)).includes('is not in the ring'), 'cleared');
      await cmd(m, 'autoctl on');
      await runUntil(m, n + 3);
      await cmd(m, 'autoctl off');
      const after = listIds(await cmd(m, 'tracectl list --last 1024'));
      expect(after.length >= 3 && after[after.length - 1] === n + 1, `after clear: ${after}`);
      const st2 = await cmd(m, 'tracectl stats');
      expect(new RegExp(`cleared 1024`).test(st2), st2);
      await poweroff(b);
    },
  },
  {
    name: 'incident bundles: schema (ajv), real model info, heap, 100 log lines read not drained, build config, numbering across reboots',
    on: ['qemu', 'emulator'],
    timeoutMs: 300_000,
    async run(boot, dir) {
      const sys = freshDisk(dir, 'sys.img', 32);
      let b = await boot({ system: sys });
      let m = b.machine;
      const version = await cmd(m, 'version');
      const source = (/^source: (sha256:[0-9a-f]{64})$/m.exec(version) ?? fail(version))[1];
      const features = (/^features: (.*)$/m.exec(version) ?? fail(version))[1].split(' ');
      const date = (/^(\d{4})-(\d\d)-(\d\d)T/.exec(await cmd(m, 'date')) ?? fail('date')).slice(1).join('');
      await cmd(m, 'autoctl interval 50');
      await cmd(m, 'stress mem 6500 2048');
      await cmd(m, 'autoctl on');
      await runUntil(m, 30);
      await cmd(m, 'autoctl off');
      await cmd(m, 'dtb');
      await cmd(m, 'dtb');
      await cmd(m, 'help');
      await cmd(m, 'echo marker-one');
      const top = listIds(await cmd(m, 'tracectl list --last 3'));
      const e1 = await cmd(m, `tracectl export ${top.join(' ')}`);
      expect(new RegExp(`^tracectl: incident INC-${date}-001: 3 trace\\(s\\), \\d+ bytes, written to /incidents/INC-${date}-001.json\\n$`).test(e1), e1);
      const e2 = await cmd(m, `tracectl export ${top[2]}`);
      expect(e2.includes(`INC-${date}-002`), e2);
      const bad = await cmd(m, 'tracectl export 999999');
      expect(bad.includes('trace 999999 is not in the ring'), bad);
      const badList = await cmd(m, 'ls /incidents');
      expect(badList === `.seq\nINC-${date}-001.json\nINC-${date}-002.json\n`, `a refused export writes nothing: ${badList}`);
      const inc = ofType<IncidentEvent>(events(b), 'incident');
      expect(inc.length === 2 && inc[0].id === `INC-${date}-001` && inc[0].result === 'written' && inc[0].traces === 3, JSON.stringify(inc));
      await poweroff(b);
      fsckClean(sys);

      const reg = JSON.parse(catFile(sys, '/models/registry.json'));
      const v1 = reg.models.find((x: { version: string }) => x.version === 'v1.0.0');
      const b1 = JSON.parse(catFile(sys, `/incidents/INC-${date}-001.json`));
      const b2 = JSON.parse(catFile(sys, `/incidents/INC-${date}-002.json`));
      for (const x of [b1, b2]) validateBundle(x);
      expect(JSON.stringify(b1.traces.map((t: { trace_id: number }) => t.trace_id)) === JSON.stringify(top), 'bundle traces are the ones asked for');
      expect(b1.model_info.version === 'v1.0.0' && b1.model_info.hash === v1.hash && b1.model_info.loaded_at === v1.loaded_at, `model_info ${JSON.stringify(b1.model_info)} vs registry`);
      for (const t of b1.traces) {
        expect(t.model_hash === v1.hash && t.model_version === 'v1.0.0' && t.decider === 'model', 'trace model');
        expect(t.hidden_activations.length === 2 && t.hidden_activations[0].length === 32 && t.hidden_activations[1].length === 16, 'hidden 32+16');
        const sum = t.predictions.reduce((a: number, p: number) => a + p, 0);
        expect(Math.abs(sum - 1) < 1e-4, `probabilities sum ${sum}`);
        expect(t.telemetry.mem_pressure === Math.floor(t.raw_features[0]), 'mem_pressure raw');
        expect(Object.values(t.stages_ns as Record<string, number>).some((x) => x > 0) && t.total_ns > 0, 'stage timings');
      }
      expect(b1.config.source_hash === source && JSON.stringify(b1.config.features) === JSON.stringify(features[0] === 'none' ? [] : features), 'config');
      const hs = b1.system_snapshot.heap_stats;
      expect(hs.size === 8 << 20 && hs.allocated > 0 && hs.peak >= hs.allocated, `heap ${JSON.stringify(hs)}`);
      const logs1 = b1.system_snapshot.logs.map((l: { text: string }) => l.text);
      const logs2 = b2.system_snapshot.logs.map((l: { text: string }) => l.text);
      expect(logs1.length === 100 && logs2.length === 100, `100 log lines: ${logs1.length}, ${logs2.length}`);
      expect(logs1.includes('marker-one') && logs2.includes('marker-one'), 'the log is read, not drained');
      expect(logs2.some((l: string) => l.startsWith(`tracectl: incident INC-${date}-001`)), 'the second bundle has the first export line');

      // the counter survives a reboot
      b = await boot({ system: sys });
      m = b.machine;
      await cmd(m, 'autoctl interval 10');
      await cmd(m, 'autoctl on');
      await runUntil(m, 2);
      await cmd(m, 'autoctl off');
      const e3 = await cmd(m, 'tracectl export 1');
      expect(e3.includes(`INC-${date}-003`), `after reboot: ${e3}`);
      await poweroff(b);
      validateBundle(JSON.parse(catFile(sys, `/incidents/INC-${date}-003.json`)));
      expect(catFile(sys, '/incidents/.seq') === `${date} 003\n`, 'the counter file');
      fsckClean(sys);
    },
  },
  {
    name: 'chaos moves the telemetry and the reward; the actions act back on the workload',
    on: ['qemu', 'emulator'],
    timeoutMs: 300_000,
    async run(boot, dir) {
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32) });
      const m = b.machine;
      await cmd(m, 'autoctl interval 200');
      await cmd(m, 'autoctl on');
      let s = await runUntil(m, 5);
      const base = await show(m, await newestId(m));
      // (a loaded host can stall QEMU: deadline misses are real measurements, so not asserted zero)
      expect(base.latency === 0 && base.mem < 10 && base.ioErrors === 0 && !base.chaos, `calm: ${base.text}`);
      // CPU load
      await cmd(m, 'stress cpu 70');
      s = await runMore(m, 4);
      await cmd(m, 'autoctl off');
      const cpu = await show(m, await newestId(m));
      const work = +(/^last tick: cpu (\d+) us/m.exec(await cmd(m, 'stress')) ?? fail('stress'))[1];
      // the busy work is 70% of the interval scaled by the throttle (which the agent may have lowered)
      expect(work > 0 && cpu.cpu >= Math.floor((work / 2000) * 0.9) && cpu.cpu > base.cpu, `stress cpu 70: cpu ${cpu.cpu}%, work ${work} us per 200 ms`);
      await cmd(m, 'autoctl on');
      await cmd(m, 'stress cpu 0');
      for (let i = 0; i < 20 && !/throttle 100%/.test(await cmd(m, 'stress')); i++) s = await runMore(m, 5);    /* the throttle recovers */
      expect(/throttle 100%/.test(await cmd(m, 'stress')), 'the throttle recovers');
      // IRQs masked: deadline misses, throttling halves the IRQ-off time
      const idBefore = await newestId(m);
      await cmd(m, 'stress irqoff 200');
      s = await runMore(m, 8);
      await cmd(m, 'autoctl off');
      const recent = await showAll(m, listIds(await cmd(m, 'tracectl list --last 64')).filter((id) => id > idBefore));
      const throttled = recent.find((t) => t.misses >= 10 && t.executedAction === 'throttle_workload');
      expect(throttled, `irqoff 200: no throttle at >= 10 misses: ${recent.map((t) => `${t.misses}/${t.executedAction}`)}`);
      expect(throttled!.checks.some((c) => c.name === 'throttle_floor' && c.threshold === 10 && c.pass), 'throttle check recorded');
      expect(recent.some((t) => t.reward !== null && t.reward < 0) || recent.some((t) => t.health < 1000), 'misses hurt health');
      const wl = await cmd(m, 'stress');
      expect(/throttle (\d+)%/.test(wl) && +/throttle (\d+)%/.exec(wl)![1] < 100, `the throttle acted on the workload: ${wl}`);
      await cmd(m, 'stress irqoff 0');
      // slow, then failing disk: the workload's request latency and I/O errors
      await cmd(m, 'stress io 8');
      await cmd(m, 'chaos disk slow 40');
      await cmd(m, 'autoctl on');
      s = await runMore(m, 4);
      const slow = await show(m, await newestId(m));
      expect(slow.latency >= 100, `disk slow 40: latency ${slow.latency} ms`);
      await cmd(m, 'chaos disk fail 50');
      s = await runMore(m, 3);
      const failing = await show(m, await newestId(m));
      expect(failing.ioErrors > 0, `disk fail 50: io errors ${failing.ioErrors}`);
      // noise: the model sees other values than were measured
      await cmd(m, 'chaos off');
      await cmd(m, 'stress io 0');
      await cmd(m, 'chaos noise 20');
      s = await runMore(m, 2);
      const noisy = await show(m, await newestId(m));
      expect(noisy.chaos && noisy.raw.cpu_usage !== noisy.cpu, `noise: ${noisy.text}`);
      await cmd(m, 'chaos shift network_latency 700');
      s = await runMore(m, 2);
      const shifted = await show(m, await newestId(m));
      expect(shifted.raw.network_latency >= 500 && shifted.chosen === 'backoff_io', `shift: ${shifted.text}`);
      expect((await cmd(m, 'chaos shift nosuch 1')).includes("no feature 'nosuch'"), 'bad feature');
      expect((await cmd(m, 'chaos disk slow 101')).includes('expected a number 0..100'), 'bad chaos');
      expect((await cmd(m, 'stress cpu 96')).includes('expected a number 0..95'), 'bad stress');
      await cmd(m, 'autoctl off');
      await poweroff(b);
    },
  },
  {
    name: 'heap pressure: the agent reclaims; in safe mode nothing runs, an approval executes exactly the pending action, safe off returns to normal',
    on: ['qemu', 'emulator'],
    paced: true,
    timeoutMs: 300_000,
    async run(boot, dir) {
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32) });
      const m = b.machine;
      await cmd(m, 'autoctl interval 100');
      await cmd(m, 'stress mem 7000 1024');
      expect((await cmd(m, 'autoctl safe on')) === 'autoctl: safe mode on: every action waits for approval\n', 'safe on');
      await cmd(m, 'autoctl on');
      let s = await runUntil(m, 12);
      await cmd(m, 'autoctl off');
      const pend = await cmd(m, 'autoctl pending');
      const rows = [...pend.matchAll(/^ {2}(\d+)\s+(\d+)\s+(\S+)\s+(\d+)/gm)].map((x) => ({ id: +x[1], trace: +x[2], action: x[3] }));
      const p1 = rows.find((r) => r.action === 'reclaim_caches') ?? fail(`no reclaim pending: ${pend}`);
      const p2 = rows.find((r) => r !== p1) ?? fail(`one pending: ${pend}`);
      const t1 = await show(m, p1.trace);
      expect(!t1.executed && t1.overridden && t1.reason === 'safe_mode' && t1.approval === 'pending' && t1.pendingId === p1.id, `pending trace: ${t1.text}`);
      const calm = await showAll(m, listIds(await cmd(m, 'tracectl list --last 12')));
      expect(calm.every((t) => t.chosen === 'none' ? t.executed : !t.executed), 'in safe mode only none runs');
      const worst = Math.min(...calm.map((t) => t.health));
      expect(worst < 1000, `heap pressure lowers health (${worst})`);
      const wl0 = await cmd(m, 'stress');
      const cache0 = +(/cache (\d+) bytes/.exec(wl0) ?? fail(`stress: ${wl0}`))[1];
      expect(cache0 > 0, 'the workload holds cache');
      const execBefore = (await status(m)).executed;
      const ap = await cmd(m, `autoctl approve ${p1.id}`);
      expect(ap === `autoctl: approved ${p1.id} (trace ${p1.trace}): ${p1.action}: freed ${cache0} bytes of cache\n`, `approve: ${ap}`);
      expect(+(/cache (\d+) bytes/.exec(await cmd(m, 'stress')) ?? fail('stress'))[1] === 0, 'the approved reclaim freed the cache');
      expect((await status(m)).executed === execBefore + 1, 'exactly one action executed');
      const t1b = await show(m, p1.trace);
      expect(t1b.executed && t1b.executedAction === p1.action && t1b.approval === 'approved', `approved trace: ${t1b.text}`);
      expect((await cmd(m, `autoctl approve ${p1.id}`)).includes(`no pending action ${p1.id}`), 'approve twice');
      const idsOf = (a: string) => [...a.matchAll(/^ {2}(\d+)\s+(\d+)\s+(\S+)/gm)].map((x) => x.slice(1, 4).join(' ')).join(',');
      const before = idsOf(await cmd(m, 'autoctl pending'));
      expect((await cmd(m, 'autoctl approve 9999')).includes('no pending action 9999'), 'approve unknown');
      expect((await cmd(m, 'autoctl deny x')).includes("'x' is not a pending id"), 'deny bad');
      expect(idsOf(await cmd(m, 'autoctl pending')) === before, 'failed approvals change nothing');
      expect((await cmd(m, `autoctl deny ${p2.id}`)) === `autoctl: denied ${p2.id} (trace ${p2.trace}): ${p2.action}\n`, 'deny');
      const t2 = await show(m, p2.trace);
      expect(!t2.executed && t2.approval === 'denied' && t2.reason === 'denied', `denied trace: ${t2.text}`);
      const left = rows.length - 2;
      expect((await cmd(m, 'autoctl safe off')) === `autoctl: safe mode off (${left} pending expired)\n`, 'safe off');
      expect((await cmd(m, 'autoctl pending')) === 'autoctl: no pending actions\n', 'queue empty');
      const evs = events(b);
      const pe = ofType<PendingEvent>(evs, 'pending');
      const apv = ofType<ApprovalEvent>(evs, 'approval');
      expect(pe.some((e) => e.id === p1.id && e.trace_id === p1.trace && e.action === p1.action), 'pending event');
      expect(apv.some((e) => e.id === p1.id && e.result === 'approved') && apv.some((e) => e.id === p2.id && e.result === 'denied'), 'approval events');
      expect(apv.filter((e) => e.result === 'expired').length >= left, 'expired events');
      const sm = ofType<SafeModeEvent>(evs, 'safe_mode');
      expect(sm.length === 2 && sm[0].on === true && sm[1].on === false, `safe_mode events ${JSON.stringify(sm)}`);
      const inSafe = ofType<DecisionEvent>(evs, 'decision').filter((e) => e.action !== 'none');
      expect(inSafe.some((e) => e.reason === 'safe_mode') && inSafe.every((e) => e.executed === '' && (e.reason === 'safe_mode' || e.reason!.startsWith('policy:'))), 'safe-mode decisions queue');
      // back to normal: the agent reclaims by itself
      const n0 = (await status(m)).decisions;    // the loop is off: exact
      await cmd(m, 'autoctl on');
      s = await runUntil(m, n0 + 15);
      await cmd(m, 'autoctl off');
      const dec = ofType<DecisionEvent>(events(b), 'decision').filter((e) => e.id > n0);
      expect(dec.every((e) => e.reason !== 'safe_mode'), 'no safe_mode after safe off');
      expect(dec.some((e) => e.executed === 'reclaim_caches'), `the agent reclaims: ${dec.map((e) => e.action)}`);
      await poweroff(b);
    },
  },
  {
    name: 'retention: /incidents keeps 50 bundles, oldest removed first; a full disk drops the bundle, the loop runs on',
    on: ['qemu', 'emulator'],
    timeoutMs: 600_000,
    async run(boot, dir) {
      const sys = freshDisk(dir, 'sys.img', 32);
      let b = await boot({ system: sys });
      let m = b.machine;
      const date = (/^(\d{4})-(\d\d)-(\d\d)T/.exec(await cmd(m, 'date')) ?? fail('date')).slice(1).join('');
      await cmd(m, 'autoctl interval 10');
      await cmd(m, 'autoctl on');
      await runUntil(m, 40);
      await cmd(m, 'autoctl off');
      const id = listIds(await cmd(m, 'tracectl list --last 1'))[0];
      for (let i = 1; i <= 55; i++) {
        const a = await cmd(m, `tracectl export ${id}`);
        expect(a.includes(`INC-${date}-${String(i).padStart(3, '0')}`) && (i <= 50) === !a.includes('retention removed'), `export ${i}: ${a}`);
      }
      const names = (await cmd(m, 'ls /incidents')).split('\n').filter((x) => x.startsWith('INC-'));
      const want = Array.from({ length: 50 }, (_, i) => `INC-${date}-${String(i + 6).padStart(3, '0')}.json`);
      expect(JSON.stringify(names) === JSON.stringify(want), `kept: ${names[0]}..${names[names.length - 1]} (${names.length})`);
      await poweroff(b);
      fsckClean(sys);
      expect(JSON.stringify(debugfsNames(sys, '/incidents').filter((x) => x.startsWith('INC-'))) === JSON.stringify(want), 'debugfs agrees');

      // fill the disk on the host, leaving room for about two big bundles
      const stats = debugfs(sys, 'stats');
      const free = +(/Free blocks:\s+(\d+)/.exec(stats) ?? fail(stats))[1];
      const bs = +(/Block size:\s+(\d+)/.exec(stats) ?? fail(stats))[1];
      const filler = path.join(dir, 'filler');
      writeFileSync(filler, Buffer.alloc(Math.max(0, free * bs - 300 * 1024), 0x5a));
      const w = spawnSync('debugfs', ['-w', '-R', `write ${filler} /filler`, sys], { encoding: 'utf8' });
      expect(w.status === 0, `debugfs write: ${w.stderr}`);
      rmSync(filler);
      fsckClean(sys);

      b = await boot({ system: sys });
      m = b.machine;
      await cmd(m, 'autoctl interval 10');
      await cmd(m, 'autoctl on');
      let s = await runUntil(m, 40);
      const last32 = listIds(await cmd(m, 'tracectl list --last 32'));
      const ids = `${last32[31]}-${last32[0]}`;
      let dropped = 0;
      const answers: string[] = [];
      for (let i = 0; i < 12 && dropped < 2; i++) {
        const a = await cmd(m, `tracectl export ${ids}`);
        answers.push(a);
        if (a.includes('dropped')) {
          expect(/bundle INC-\d{8}-\d{3} dropped: ENOSPC/.test(a), `a full disk: ${a}`);
          dropped++;
        }
      }
      expect(dropped === 2, `the disk filled up: ${answers.join('')}${await cmd(m, 'df')}`);
      const s2 = await runUntil(m, s.decisions + 20);
      expect(s2.decisions >= s.decisions + 20, 'the loop runs on');
      s = s2;
      await cmd(m, 'autoctl off');
      expect((await cmd(m, 'echo alive')) === 'alive\n', 'the shell runs on');
      const inc = ofType<IncidentEvent>(events(b), 'incident');
      expect(inc.filter((e) => e.result === 'dropped' && e.error === 'ENOSPC').length === 2, `dropped events ${JSON.stringify(inc.slice(-3))}`);
      await poweroff(b);
      fsckClean(sys);
      const kept = debugfsNames(sys, '/incidents').filter((x) => x.startsWith('INC-'));
      expect(kept.length <= 50, `bounded: ${kept.length}`);
      for (const k of kept) validateBundle(JSON.parse(catFile(sys, `/incidents/${k}`)));
    },
  },
  {
    name: 'answers for hosts: tracectl show --json, annotate and replay send trace, annotation and replay events; refusals say why',
    on: ['qemu', 'emulator'],
    timeoutMs: 300_000,
    async run(boot, dir) {
      const sys = freshDisk(dir, 'sys.img', 32);
      const b = await boot({ system: sys });
      const m = b.machine;
      await cmd(m, 'autoctl interval 50');
      await cmd(m, 'stress mem 6500 2048');
      await cmd(m, 'autoctl on');
      await runUntil(m, 12);
      await cmd(m, 'autoctl off');
      const top = listIds(await cmd(m, 'tracectl list --last 2'));
      const [id, older] = top;
      const answer = <T extends SisEvent>(t: string): T => (ofType<T>(events(b), t).at(-1) ?? fail(`no ${t} event`));
      type Answer = SisEvent & { id: number; ok: boolean; error?: string; [k: string]: unknown };

      // show --json: one line of JSON on the console, the same object in a trace event
      const text = await cmd(m, `tracectl show ${id} --json`);
      expect(text.endsWith('\n') && text.trim().split('\n').length === 1, `one line: ${text.slice(0, 200)}`);
      const shown = JSON.parse(text);
      const tev = answer<Answer>('trace');
      expect(tev.ok === true && tev.id === id && JSON.stringify(tev.trace) === JSON.stringify(shown), `trace event ${JSON.stringify(tev).slice(0, 200)}; members that differ: ${Object.keys(shown).filter((k) => JSON.stringify(shown[k]) !== JSON.stringify((tev.trace as Record<string, unknown>)?.[k])).join(', ')}`);
      const human = parseShow(await cmd(m, `tracectl show ${id}`));
      expect(shown.trace_id === id && shown.chosen_action_name === human.chosen && shown.confidence === human.confidence
        && shown.health === human.health && shown.reward === human.reward && shown.was_overridden === human.overridden, 'JSON and text agree');
      const olderShown = JSON.parse(await cmd(m, `tracectl show ${older} --json`));
      expect(typeof olderShown.reward === 'number', 'the older trace has its reward');

      // refusals: the console line and the event's error are the same words
      for (const [c, t, want] of [
        [`tracectl show ${id + 500} --json`, 'trace', `tracectl: show: trace ${id + 500} is not in the ring`],
        ['tracectl show abc --json', 'trace', "tracectl: show: 'abc' is not a trace id"],
        [`tracectl annotate ${id} meh`, 'annotation', "tracectl: annotate: label must be good or bad, not 'meh'"],
        [`tracectl annotate ${id + 500} good`, 'annotation', `tracectl: annotate: trace ${id + 500} is not in the ring`],
        [`tracectl replay ${id} v9.9.9`, 'replay', 'tracectl: replay: v9.9.9: '],
        [`tracectl replay ${id} ../x`, 'replay', "tracectl: replay: '../x' is not a model version"],
      ] as const) {
        const out = await cmd(m, c);
        const e = answer<Answer>(t);
        expect(e.ok === false && typeof e.error === 'string' && e.error.startsWith(want) && out.startsWith(e.error), `${c}: ${out} / ${JSON.stringify(e)}`);
      }
      expect((await cmd(m, `tracectl show ${id} --jsn`)).startsWith('usage: tracectl'), 'an unknown flag is a usage error');

      // annotate: the event after the commit, with the line's offset in the file
      expect((await cmd(m, `tracectl annotate ${id} bad reclaim "too" late`)).startsWith(`tracectl: trace ${id} annotated bad`), 'annotate');
      const a1 = answer<Answer>('annotation');
      expect(a1.ok && a1.id === id && a1.label === 'bad' && a1.note === 'reclaim "too" late' && a1.path === '/feedback/annotations.jsonl' && a1.offset === 0, JSON.stringify(a1));
      await cmd(m, `tracectl annotate ${older} good`);
      const a2 = answer<Answer>('annotation');
      expect(a2.ok && a2.id === older && a2.label === 'good' && a2.note === '' && (a2.offset as number) > 0, JSON.stringify(a2));

      // replay: on its own model the decision is the same, confidence and all
      const r1Text = await cmd(m, `tracectl replay ${id} v1.0.0`);
      const r1 = answer<Answer>('replay');
      const rec = r1.recorded as { model: string; action: string; confidence: number };
      const rep = r1.replayed as { action: string; confidence: number };
      expect(r1.ok && r1.id === id && r1.version === 'v1.0.0' && r1.hash === shown.model_hash && r1.same === true
        && rec.model === 'v1.0.0' && rec.action === shown.chosen_action_name && rec.confidence === shown.confidence
        && rep.action === rec.action && rep.confidence === rec.confidence, JSON.stringify(r1));
      expect(r1Text.includes(`replay of trace ${id} on v1.0.0 ${shown.model_hash}:`) && r1Text.includes('decision same'), r1Text);
      await cmd(m, `tracectl replay ${id} reference`);
      const r2 = answer<Answer>('replay');
      expect(r2.ok && r2.version === 'reference' && r2.hash === null && (r2.replayed as { confidence: number }).confidence === 1000
        && r2.same === ((r2.replayed as { action: string }).action === rec.action), JSON.stringify(r2));

      // the bundle holds the very object show --json printed
      expect((await cmd(m, `tracectl export ${id}`)).includes('written to'), 'export');
      const inc = answer<IncidentEvent>('incident');
      await poweroff(b);
      fsckClean(sys);
      const bundle = JSON.parse(catFile(sys, inc.path));
      validateBundle(bundle);
      expect(JSON.stringify(bundle.traces[0]) === JSON.stringify(shown), 'show --json is the bundle trace object');
      const lines = catFile(sys, '/feedback/annotations.jsonl').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.length === 2 && lines[0].trace_id === id && lines[0].label === 'bad' && lines[0].note === 'reclaim "too" late'
        && lines[1].trace_id === older && lines[1].label === 'good' && lines[0].timestamp_us === shown.timestamp_us, JSON.stringify(lines));
    },
  },
  {
    name: 'soak: many decisions under a changing workload, heap in use flat, every buffer bounded',
    on: ['qemu', 'emulator'],
    // SIS_SOAK_DECISIONS=1000000 for the long manual run (about 3 ms of host time per decision)
    timeoutMs: Math.max(900_000, Number(process.env.SIS_SOAK_DECISIONS ?? 0) * 10),
    async run(boot, dir, where) {
      const total = where === 'qemu' ? 3000 : Number(process.env.SIS_SOAK_DECISIONS ?? 10_000);
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32) });
      const m = b.machine;
      const inUse = async () => +(/^in use:\s+(\d+) bytes$/m.exec(await cmd(m, 'mem')) ?? fail('mem'))[1];
      // The ext4 metadata cache keeps the blocks it has read, up to its bound, on the heap: it grows
      // while the disk's working set does (the /otel and /incidents directories spread to new blocks)
      // and is reported by `diskctl info`; everything else must not move at all.
      const cache = async () => {
        const c = /^\/: metadata cache: (\d+) blocks of (\d+) bytes \(at most (\d+) clean kept\)$/m.exec(await cmd(m, 'diskctl info')) ?? fail('diskctl info');
        return { blocks: +c[1], bs: +c[2], max: +c[3] };
      };
      await cmd(m, 'autoctl interval 10');
      await cmd(m, 'autoctl on');
      const phases = ['stress mem 5000 512', 'stress cpu 20', 'stress tasks 40', 'stress io 4', 'chaos noise 10', 'chaos disk slow 2'];
      let s = await status(m);
      const step = async (i: number, until: number) => {
        await cmd(m, phases[i % phases.length]);
        if (i % phases.length === phases.length - 1) {
          await cmd(m, 'stress off');
          await cmd(m, 'chaos off');
        }
        if (i % 3 === 2) await cmd(m, `autoctl safe ${i % 2 ? 'on' : 'off'}`);
        s = await runUntil(m, until);
      };
      // Warm up with one whole cycle of the phases first: some structures are made once, at their
      // first use (the OTel document buffer at the first batch, the drift baseline after the
      // model's first 100 decisions), and the journal's transaction arrays grow to the largest
      // transaction seen; from then on the heap in use must not move, the metadata cache aside.
      // The exporter's retention (kernels with otel) changes the disk's working set once /otel is
      // full and the oldest batches start being removed: warm up past that point too.
      const removed = async () => {
        const o = /^files: +\d+ in \/otel, (\d+) removed by retention/m.exec(await cmd(m, 'otelctl status'));
        return o ? +o[1] : null;
      };
      for (let i = 0; i < 2 * phases.length; i++) await step(i, s.decisions + 40);
      for (let i = 0, r = await removed(); r !== null && r < 8 && i < 200; i++, r = await removed()) await step(i, s.decisions + 100);
      await cmd(m, 'autoctl safe off');
      await cmd(m, 'stress off');
      await cmd(m, 'chaos off');
      s = await runUntil(m, s.decisions + 5);
      const heap0 = await inUse();
      const cache0 = await cache();
      const start = s.decisions;
      for (let i = 0; s.decisions < start + total; i++) await step(i, Math.min(start + total, s.decisions + Math.ceil(total / 12)));
      await cmd(m, 'autoctl safe off');
      await cmd(m, 'stress off');
      await cmd(m, 'chaos off');
      await runUntil(m, s.decisions + 5);
      await cmd(m, 'autoctl off');
      const heap1 = await inUse();
      const cache1 = await cache();
      const grown = cache1.blocks - cache0.blocks;
      // each cached block: its data plus a small header (struct buf and two allocation headers, < 256 bytes)
      const allowed = grown * (cache1.bs + 256);
      expect(cache1.blocks <= cache1.max + 64, `metadata cache ${cache1.blocks} blocks, bound ${cache1.max} clean`);
      expect(heap1 - heap0 >= 0 && heap1 - heap0 <= allowed && (grown > 0 || heap1 === heap0),
        `heap in use ${heap0} -> ${heap1} after ${s.decisions} decisions (metadata cache ${cache0.blocks} -> ${cache1.blocks} blocks of ${cache1.bs} bytes)`);
      const st = await cmd(m, 'tracectl stats');
      expect(/traces: 1024 held of 1024/.test(st), st);
      expect(parseStatus(await cmd(m, 'autoctl status')).pending === 0, 'queue drained');
      const dec = ofType<DecisionEvent>(events(b), 'decision');
      const fin = await status(m);
      expect(dec.length === fin.decisions, `decision events ${dec.length} vs ${fin.decisions}`);
      console.log(`soak on ${where}: ${fin.decisions} decisions, missed ${fin.missed}, tick mean ${fin.tickMean} ns max ${fin.tickMax} ns, heap in use ${heap0} -> ${heap1}, metadata cache ${cache0.blocks} -> ${cache1.blocks} blocks`);
      await poweroff(b);
    },
  },
  {
    name: 'every Phase 7 feature off: the loop runs on the reference policy, no tracectl',
    on: ['emulator', 'qemu'],
    timeoutMs: 300_000,
    async run(boot, dir) {
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32), image: 'nofeat' });
      const m = b.machine;
      expect(/^features: none$/m.test(await cmd(m, 'version')), 'nofeat image');
      expect((await cmd(m, 'tracectl list')).includes("unknown command 'tracectl'"), 'no tracectl');
      await cmd(m, 'autoctl interval 50');
      await cmd(m, 'stress mem 7000 2048');
      await cmd(m, 'autoctl on');
      await runUntil(m, 20);
      await cmd(m, 'autoctl off');
      const s = await status(m);
      expect(s.decider === 'reference', `decider ${s.decider}`);
      const dec = ofType<DecisionEvent>(events(b), 'decision');
      expect(dec.length === s.decisions && dec.every((e) => e.model === 'reference'), `reference decisions: ${dec.length} events, ${s.decisions} decisions, ${JSON.stringify(dec[0])}`);
      expect(dec.some((e) => e.executed === 'reclaim_caches'), 'the reference policy reclaims under heap pressure');
      await poweroff(b);
    },
  },
  {
    name: 'docs/SHELL-COMMANDS.md has one section per command of the shell, in help order',
    on: ['emulator', 'qemu'],
    timeoutMs: 120_000,
    async run(boot, dir) {
      const b = await boot({ system: freshDisk(dir, 'sys.img', 32) });
      const help = await cmd(b.machine, 'help');
      const listed = help.split('\n').map((l) => /^ {2}(\S+)\s/.exec(l)).filter((x) => x).map((x) => x![1]);
      const doc = readFileSync(path.join(ROOT, 'docs/SHELL-COMMANDS.md'), 'utf8');
      const headings = [...doc.matchAll(/^## `([a-z0-9]+)`/gm)].map((x) => x[1]);
      expect(JSON.stringify(headings) === JSON.stringify(listed), `help: ${listed.join(',')}\ndoc:  ${headings.join(',')}`);
      for (const c of listed) {
        const usage = (/^usage: (.*)$/m.exec(await cmd(b.machine, `help ${c}`)) ?? fail(`help ${c}`))[1];
        expect(doc.includes('`' + usage + '`'), `SHELL-COMMANDS.md lacks the usage line of ${c}: ${usage}`);
      }
      await poweroff(b);
    },
  },
];

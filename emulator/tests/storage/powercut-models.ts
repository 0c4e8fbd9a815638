// Power cuts during the model lifecycle: the kernel provisions its registry
// from the seed bundle, then a workload of `modelctl swap v1.1.0`,
// `modelctl rollback` and `modelctl import v2.0.0-shifted` runs (after
// `modelctl remove v2.0.0-shifted` in the setup, so there is something to
// import). Run 1 measures, for each command, the instruction window from its
// first disk write to its prompt (the health check before it is pure
// computation: a cut there leaves the disk as it was) and records the
// /models state (registry.json, the active/shadow/rollback symlinks,
// history.jsonl) before and after it. Run 2, identical (virtual clock,
// fixed RTC epoch), is stopped at CUTS instants spread over those windows;
// each cut disk (half of them also losing a seeded subset of the writes
// since the last flush, a volatile write cache) is
//   - replayed by e2fsck -fy, which must repair nothing else, then -fn clean;
//   - booted in a fresh machine with the same import disk: the kernel
//     replays its journal, loads the registry and must report the active
//     model verified (no fallback, no loud error), then power off;
//   - read back with debugfs: the registry, the symlinks and the history
//     must be exactly the state before the command or exactly the state
//     after it, every role's symlink agreeing with the registry;
//   - checked once more with e2fsck -fn after that boot.
// Many instants leave byte-identical disks (nothing reaches the disk until
// the journal commit); the machine is deterministic, so each distinct image
// is checked once per command and its verdict applies to every cut that
// produced it (the report gives both counts).
// PARTS test files (powercut-models-N.test.ts) interleave their instants.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Driver, e2fsck, e2fsckRepair } from './harness.ts';
import { checkConsistent, modelsState, SEED_BUNDLE, type ModelsState } from '../../../kernel-image/tests/model-cases.ts';

const TOTAL_CUTS = Number(process.env.SIS_MODEL_POWERCUTS ?? 210);
const DISK_MIB = 12;
const SETUP = ['modelctl remove v2.0.0-shifted'];
const WORKLOAD = ['modelctl swap v1.1.0', 'modelctl rollback', 'modelctl import v2.0.0-shifted'];
const STEP = 20_000;

function importDisk(): Uint8Array {
  const b = readFileSync(SEED_BUNDLE);
  const out = new Uint8Array(Math.ceil(b.length / 512) * 512);
  out.set(b);
  return out;
}

/**
 * The state a cut must keep atomic, without the figures that legitimately
 * differ between two runs (times, measured latencies): each model's
 * identity, signature, status and health verdict; the three roles as the
 * registry and as the symlinks say; each history line's transition.
 */
interface RoleState {
  models: unknown[] | null;
  registryRoles: unknown[] | null;
  links: (string | null)[];
  history: unknown[];
}

function roles(s: ModelsState): RoleState {
  const reg = s.registry === null ? null : JSON.parse(s.registry);
  return {
    models: reg ? reg.models.map((m: Record<string, any>) => [m.version, m.hash, m.signature, m.signer, m.status, m.health?.passed ?? null]) : null,
    registryRoles: reg ? [reg.active, reg.shadow, reg.rollback] : null,
    links: [s.active, s.shadow, s.rollback],
    history: (s.history ?? '').split('\n').filter((l) => l).map((l) => {
      const h = JSON.parse(l);
      return [h.operation, h.from, h.to, h.reason, h.result];
    }),
  };
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'sis-model-cuts-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
let seq = 0;

/** debugfs needs a file: the state of an image, and its consistency check. */
function stateOf(image: Uint8Array): { state: RoleState; problem: string | null } {
  const f = path.join(scratch, `s-${process.pid}-${seq++}.img`);
  writeFileSync(f, image);
  try {
    let problem: string | null = null;
    try {
      checkConsistent(f);
    } catch (e) {
      problem = (e as Error).message;
    }
    return { state: roles(modelsState(f)), problem };
  } finally {
    rmSync(f, { force: true });
  }
}

async function setup(d: Driver): Promise<void> {
  if (!(await d.boot(2_000_000_000))) throw new Error(`no prompt on the blank disk:\n${d.out.slice(-800)}`);
  if (!/models: active v1\.0\.0 \(p99/.test(d.out)) throw new Error(`provisioning did not activate v1.0.0:\n${d.out.slice(-1500)}`);
  for (const c of SETUP) {
    const r = await d.command(c);
    if (r === null || /modelctl:/.test(r)) throw new Error(`setup \`${c}\` failed: ${r}`);
  }
}

function checkWithE2fsck(image: Uint8Array): string[] {
  const fix = e2fsckRepair(image);
  const repairs = fix.output.split('\n').filter((l) => /\? yes/.test(l));
  if (fix.code > 1 || repairs.length) return [`e2fsck -fy on the cut image (exit ${fix.code}) repaired more than the journal:\n${fix.output}`];
  const after = e2fsck(fix.image);
  return after.code === 0 ? [] : [`e2fsck -fn after e2fsck's own journal replay: exit ${after.code}:\n${after.output}`];
}

async function checkCut(image: Uint8Array, imp: Uint8Array, before: RoleState, after: RoleState): Promise<{ problems: string[]; side: 'old' | 'new' | '?' }> {
  const problems = checkWithE2fsck(image);
  const d = await Driver.create(image, { readOnlyImport: imp });
  let side: 'old' | 'new' | '?' = '?';
  try {
    if (!(await d.boot(2_000_000_000))) return { problems: [`no prompt after the cut: ${d.out.slice(-600)}`], side };
    if (!/^models: active \S+ verified \(signer dev\)\r?$/m.test(d.out)) problems.push(`the next boot did not verify an active model:\n${d.out.split('\n').filter((l) => l.startsWith('models')).join('\n')}`);
    if (/\*\*\*/.test(d.out)) problems.push(`loud boot message: ${d.out.split('\n').filter((l) => l.includes('***')).join(' | ')}`);
    const off = await d.poweroff();
    if (off?.code !== 0) problems.push(`poweroff did not end the machine: ${JSON.stringify(off)}`);
    const img = d.disk.snapshot();
    const fsck = e2fsck(img);
    if (fsck.code !== 0) problems.push(`e2fsck -fn after the boot: exit ${fsck.code}:\n${fsck.output}`);
    const { state, problem } = stateOf(img);
    if (problem) problems.push(`registry and symlinks disagree: ${problem}`);
    const js = JSON.stringify(state);
    side = js === JSON.stringify(before) ? 'old' : js === JSON.stringify(after) ? 'new' : '?';
    if (side === '?') {
      const diff = (ref: RoleState) => (Object.keys(state) as (keyof RoleState)[]).filter((k) => state[k] !== ref[k])
        .map((k) => `${k}: ${JSON.stringify(state[k])?.slice(-300)} vs ${JSON.stringify(ref[k])?.slice(-300)}`).join('; ');
      problems.push(`/models is neither the old nor the new state: against old: ${diff(before)}; against new: ${diff(after)}`);
    }
    return { problems, side };
  } finally {
    if (!d.exit) d.stop();
  }
}

export function modelPowercutTest(part: number, parts: number): void {
  const CUTS = Math.round(TOTAL_CUTS / parts);
  describe(`model lifecycle power cuts, part ${part + 1} of ${parts}`, () => {
    it(`${CUTS} cut instants during swap, rollback and import: e2fsck clean, old or new state, the next boot verifies`, async () => {
      const blank = new Uint8Array(DISK_MIB << 20);
      const imp = importDisk();

      // Run 1: each command's write window, and the state before and after it.
      const r1 = await Driver.create(blank, { readOnlyImport: imp });
      await setup(r1);
      const windows: { from: number; to: number }[] = [];
      const states: RoleState[] = [stateOf(r1.disk.snapshot()).state];
      for (const c of WORKLOAD) {
        const w0 = r1.disk.counts.writes;
        const start = r1.instret;
        const promptAt = r1.out.length;
        r1.machine.input(c + '\n');
        let firstWrite = -1;
        const done = () => r1.out.indexOf('\nsis> ', promptAt) >= 0;
        while (!done()) {
          await r1.runWhile(() => done() || (firstWrite < 0 && r1.disk.counts.writes > w0), STEP);
          if (firstWrite < 0 && r1.disk.counts.writes > w0) firstWrite = Math.max(start, r1.instret - STEP);
          if (r1.exit) throw new Error(`run 1 ended during ${c}`);
        }
        expect(r1.out.slice(promptAt), c).not.toMatch(/modelctl: /);
        windows.push({ from: (firstWrite < 0 ? start : firstWrite) - start, to: r1.instret - start });
        states.push(stateOf(r1.disk.snapshot()).state);
      }
      r1.stop();
      for (let i = 0; i < WORKLOAD.length; i++) expect(JSON.stringify(states[i + 1]), `${WORKLOAD[i]} changes /models`).not.toBe(JSON.stringify(states[i]));
      const total = windows.reduce((a, w) => a + (w.to - w.from), 0);

      // Run 2: the same, stopped at CUTS instants in those windows.
      const cuts: { instret: number; image: Uint8Array; dropSeed: number | null; cmd: number }[] = [];
      let cmd = 0;
      let taken = 0;
      const r2 = await Driver.create(blank, {
        readOnlyImport: imp,
        onStop: (instret, d) => {
          const k = taken++;
          const dropSeed = k % 2 ? 0x5eed1000 + k : null;
          cuts.push({ instret, image: dropSeed === null ? d.disk.snapshot() : d.disk.snapshot({ dropUnflushed: dropSeed }), dropSeed, cmd });
        },
      });
      await setup(r2);
      const results: { instret: number; dropSeed: number | null; problems: string[]; side: string; cmd: number }[] = [];
      const seen = new Map<string, { problems: string[]; side: 'old' | 'new' | '?' }>();
      let placed = 0;
      let acc = 0;
      for (const [i, c] of WORKLOAD.entries()) {
        const w = windows[i];
        acc += w.to - w.from;
        const upTo = Math.round((CUTS * acc) / total);
        const n = upTo - placed;
        placed = upTo;
        // Windows are relative to when the command is typed (the runs may differ slightly before it).
        const t = r2.instret;
        r2.addStops(Array.from({ length: n }, (_, j) => t + w.from + Math.floor(((j + (part + 0.5) / parts) * (w.to - w.from)) / n)));
        cmd = i;
        const answer = await r2.command(c, 2_000_000_000);
        expect(answer, c).not.toBeNull();
        await r2.runWhile(() => r2.pendingStops === 0, 1e9);
        for (const cut of cuts.splice(0)) {
          const key = `${cut.cmd}:${createHash('sha256').update(cut.image).digest('hex')}`;
          let r = seen.get(key);
          if (!r) {
            r = await checkCut(cut.image, imp, states[cut.cmd], states[cut.cmd + 1]);
            seen.set(key, r);
          }
          results.push({ instret: cut.instret, dropSeed: cut.dropSeed, cmd: cut.cmd, ...r });
        }
      }
      r2.stop();

      const bad = results.filter((r) => r.problems.length);
      const count = (k: number, side: string) => results.filter((r) => r.cmd === k && r.side === side).length;
      console.log(`model power cuts (part ${part + 1}/${parts}): ${results.length} cuts, ${seen.size} distinct disk images booted; ` +
        WORKLOAD.map((c, k) => `${c}: ${results.filter((r) => r.cmd === k).length} (old ${count(k, 'old')}, new ${count(k, 'new')})`).join('; ') +
        `; ${results.filter((r) => r.dropSeed !== null).length} with a volatile write cache; failures ${bad.length}`);
      expect(results.length).toBe(CUTS);
      expect(bad.map((b) => `cut at ${b.instret} during ${WORKLOAD[b.cmd]}${b.dropSeed !== null ? ` (drop seed ${b.dropSeed})` : ''}: ${b.problems.join('; ')}`)).toEqual([]);
    }, 900_000);
  });
}

// Power cuts: the kernel formats a blank disk, sets up files, then runs a
// scripted workload (write, sync, mv over an existing file, replace a
// symlink with ln -s + mv, more writes). The workload's instruction range is
// measured in a first run; a second, identical run is stopped dead at
// CUTS instants spread over it, and at each the disk as the device had
// completed it (and, for every other cut, a volatile-write-cache variant
// that loses a seeded random subset of the writes since the last flush) is
// booted in a fresh machine: the kernel replays its journal at mount, the
// shell answers, every renamed file is fully old or fully new, poweroff
// works, and `e2fsck -fn` on the resulting image reports no errors. Each cut
// image also goes to e2fsck directly: `e2fsck -fy` may replay our journal
// but must repair nothing else, and `-fn` after its replay must be clean.
//
// The cuts are split over PARTS test files (powercut-N.test.ts) so vitest
// runs them on both cores: part p of P cuts each command at (j + (p+0.5)/P)/n
// of its length, so the parts' instants interleave.
import { describe, expect, it } from 'vitest';
import { Driver, e2fsck, e2fsckRepair, kernelFsMissing } from './harness.ts';

const TOTAL_CUTS = Number(process.env.SIS_POWERCUTS ?? 220);
const DISK_MIB = 8;

const OLD = 'registry-v1 ' + 'a'.repeat(150);
const NEW = 'registry-v2 ' + 'b'.repeat(150);
const CFG_OLD = 'cfg old';
const CFG_NEW = 'cfg new ' + 'c'.repeat(60);

const SETUP = [
  `write /reg ${OLD}`,
  `write /cfg ${CFG_OLD}`,
  'mkdir /models',
  'write /models/a model-a',
  'write /models/b model-b',
  'ln -s /models/a /cur',
  'sync',
];

/** The workload; `marks` name commands whose completion the checks rely on. */
const WORKLOAD = [
  `write /reg.new ${NEW}`,
  'mv /reg.new /reg',
  `write /cfg.tmp ${CFG_NEW}`,
  'sync',
  'mv /cfg.tmp /cfg',
  'ln -s /models/b /cur.tmp',
  'mv /cur.tmp /cur',
  'write /log1 first log line',
  'mkdir /spans',
  'write /spans/s1 span batch one',
  'sync', // index 10: everything above is durable once this answered
  'write /log2 second log line',
  'rm /log1',
  'write /spans/s2 span batch two',
];
const SYNC_ALL = 10;

async function runSetup(d: Driver): Promise<void> {
  if (!(await d.boot())) throw new Error(`no prompt on the blank disk:\n${d.out.slice(-800)}`);
  for (const c of SETUP) {
    const r = await d.command(c);
    if (r === null || /error|cannot|no such/i.test(r)) throw new Error(`setup \`${c}\` failed: ${r}\n${d.out.slice(-800)}`);
  }
}

interface CutCheck {
  instret: number;
  dropSeed: number | null;
  problems: string[];
  replayed: boolean;
}

/**
 * e2fsck itself on the cut image: `-fy` may replay our journal but must
 * repair nothing else (no "...? yes" answers), then `-fn` must be clean.
 */
function checkWithE2fsck(image: Uint8Array): string[] {
  const fix = e2fsckRepair(image);
  const repairs = fix.output.split('\n').filter((l) => /\? yes/.test(l));
  if (fix.code > 1 || repairs.length) return [`e2fsck -fy on the cut image (exit ${fix.code}) repaired more than the journal:\n${fix.output}`];
  const after = e2fsck(fix.image);
  return after.code === 0 ? [] : [`e2fsck -fn after e2fsck's own journal replay: exit ${after.code}:\n${after.output}`];
}

/** Boots a cut image and checks it; returns the problems found. */
async function checkCut(image: Uint8Array, syncedAll: boolean): Promise<{ problems: string[]; replayed: boolean }> {
  const problems: string[] = checkWithE2fsck(image);
  const d = await Driver.create(image);
  try {
    if (!(await d.boot())) return { problems: [`no prompt after the cut: ${d.out.slice(-400)}`], replayed: false };
    const replayed = /replay|recover/i.test(d.out);
    if (!/mounted at \//.test(d.out)) problems.push(`not mounted: ${d.out.split('\n').filter((l) => l.startsWith('storage')).join(' | ')}`);
    const reg = (await d.command('cat /reg'))?.trim();
    if (reg !== OLD && reg !== NEW) problems.push(`/reg is neither old nor new: ${JSON.stringify(reg?.slice(0, 80))}`);
    const cfg = (await d.command('cat /cfg'))?.trim();
    if (cfg !== CFG_OLD && cfg !== CFG_NEW) problems.push(`/cfg is neither old nor new: ${JSON.stringify(cfg?.slice(0, 80))}`);
    const ls = (await d.command('ls -l /')) ?? '';
    const target = /\bcur -> (\S+)/.exec(ls)?.[1];
    if (target !== '/models/a' && target !== '/models/b') problems.push(`/cur is not the old or new symlink: ${JSON.stringify(target)} in ${JSON.stringify(ls)}`);
    const cur = (await d.command('cat /cur'))?.trim();
    if (cur !== (target === '/models/b' ? 'model-b' : 'model-a')) problems.push(`cat /cur gave ${JSON.stringify(cur)} for target ${target}`);
    if (syncedAll) {
      if (reg !== NEW || cfg !== CFG_NEW || target !== '/models/b') problems.push('a completed sync was lost: old contents after it');
      const s1 = (await d.command('cat /spans/s1'))?.trim();
      if (s1 !== 'span batch one') problems.push(`/spans/s1 after the sync: ${JSON.stringify(s1)}`);
    }
    if (d.crashed) problems.push(`kernel crash report:\n${d.out.slice(d.out.indexOf('***'), d.out.indexOf('***') + 600)}`);
    const off = await d.poweroff();
    if (off?.code !== 0) problems.push(`poweroff did not end the machine: ${JSON.stringify(off)}`);
    const fsck = e2fsck(d.disk.snapshot());
    if (fsck.code !== 0) problems.push(`e2fsck -fn exit ${fsck.code}:\n${fsck.output}`);
    return { problems, replayed };
  } finally {
    if (!d.exit) d.stop();
  }
}

export function powercutTest(part: number, parts: number): void {
const CUTS = Math.round(TOTAL_CUTS / parts);
const missing = kernelFsMissing();

describe.skipIf(missing !== null)(`power cuts, part ${part + 1} of ${parts} (${missing ?? 'kernel has the filesystem commands'})`, () => {
  it(`${CUTS} cut instants over a workload: journal replay, e2fsck clean, renames atomic`, async () => {
    const blank = new Uint8Array(DISK_MIB << 20);

    // Run 1: measure each workload command, from typing it to its prompt.
    const r1 = await Driver.create(blank);
    await runSetup(r1);
    const start = r1.instret;
    const spans: number[] = [];
    for (const c of WORKLOAD) {
      const t = r1.instret;
      expect(await r1.command(c), c).not.toBeNull();
      spans.push(r1.instret - t);
    }
    const end = r1.instret;
    expect(e2fsck(r1.disk.snapshot()).code, 'the uncut workload leaves a clean image').toBe(0);
    const total = spans.reduce((a, b) => a + b, 0);

    // Run 2: the same, stopped at CUTS instants spread over the commands in
    // proportion to their length (placed relative to when each command is
    // typed, so small timing differences between the runs do not matter).
    // Each cut image is checked before the run goes on (a cut and going on
    // = two machines from here).
    const cuts: { instret: number; image: Uint8Array; dropSeed: number | null; syncedAll: boolean }[] = [];
    let commandsDone = 0;
    let taken = 0;
    const r2 = await Driver.create(blank, {
      onStop: (instret, d) => {
        const k = taken++;
        const dropSeed = k % 2 ? 0x5eed0000 + k : null;
        const image = dropSeed === null ? d.disk.snapshot() : d.disk.snapshot({ dropUnflushed: dropSeed });
        cuts.push({ instret, image, dropSeed, syncedAll: commandsDone > SYNC_ALL });
      },
    });
    await runSetup(r2);
    const results: CutCheck[] = [];
    let placed = 0;
    for (const [i, c] of WORKLOAD.entries()) {
      const upTo = Math.round((CUTS * spans.slice(0, i + 1).reduce((a, b) => a + b, 0)) / total);
      const n = upTo - placed;
      placed = upTo;
      const t = r2.instret;
      r2.addStops(Array.from({ length: n }, (_, j) => t + 1 + Math.floor(((j + (part + 0.5) / parts) * spans[i]) / n)));
      const answer = await r2.command(c);
      expect(answer, c).not.toBeNull();
      commandsDone++;
      // Cuts placed past this command's end in this run: idle at the prompt.
      await r2.runWhile(() => r2.pendingStops === 0, 1e9);
      for (const cut of cuts.splice(0)) {
        const r = await checkCut(cut.image, cut.syncedAll);
        results.push({ instret: cut.instret, dropSeed: cut.dropSeed, ...r });
      }
    }

    const bad = results.filter((r) => r.problems.length);
    const replays = results.filter((r) => r.replayed).length;
    const dropped = results.filter((r) => r.dropSeed !== null).length;
    console.log(
      `power cuts (part ${part + 1}/${parts}): ${results.length} cuts over instructions ${start}..${end} (${end - start} instructions, every ~${Math.round((end - start) / CUTS)}), ` +
        `${dropped} with a volatile write cache losing unflushed writes; journal replayed at ${replays}; failures ${bad.length}`,
    );
    expect(results.length).toBe(CUTS);
    expect(bad.map((b) => `cut at ${b.instret}${b.dropSeed !== null ? ` (drop seed ${b.dropSeed})` : ''}: ${b.problems.join('; ')}`)).toEqual([]);
  }, 600_000);
});
}

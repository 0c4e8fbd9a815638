// Power cuts: a hot-swap workload is cut at >= 200 instants spread over its
// run, on a device whose volatile write cache loses a random subset of the
// writes not yet flushed. Each cut disk is mounted by our driver (replaying
// the journal) and must then pass e2fsck -fn, hold a prefix of the workload
// no older than the last completed sync, and every rename must be fully old
// or fully new. For every 10th cut e2fsck -fy replays the journal instead,
// and must arrive at exactly the state our replay produced.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildFstool, tmp, sparseImage, fstool, fstoolAsync, e2fsck, extractAsync, readTree, pattern, writeScript, mkdirSync, rmSync, join } from './fsharness';

let work: string;
beforeAll(() => { buildFstool(); work = tmp(); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const K = 24;
const size = (k: number) => 3000 + ((k * 7919) % 40000);
const seed = (k: number) => 1000 + k;

/** The workload and, for each sync/fsync line, the state it commits. */
function workload(): { lines: string[]; committed: { m: number; active: number }[] } {
  const lines = ['mkdir /models', 'mkdir /log', `pattern /models/m ${size(0)} ${seed(0)}`, 'symlink v0 /models/active'];
  const committed: { m: number; active: number }[] = [];
  let m = 0, active = 0;
  const sync = (l: string) => { lines.push(l); committed.push({ m, active }); };
  sync('sync');
  for (let k = 1; k <= K; k++) {
    lines.push(`pattern /models/m.tmp ${size(k)} ${seed(k)}`);
    sync('fsync /models/m.tmp');
    lines.push('mv /models/m.tmp /models/m'); m = k;
    lines.push(`symlink v${k} /models/active.tmp`, 'mv /models/active.tmp /models/active'); active = k;
    lines.push(`write /log/e${k} entry ${k}`);
    if (k % 4 === 0) lines.push(`rm /log/e${k - 2}`);
    // metadata blocks allocated and freed inside one transaction: revoke records
    if (k % 5 === 0) lines.push(`mkdir /scratch${k}`, `write /scratch${k}/f x`, `rm /scratch${k}/f`, `rmdir /scratch${k}`);
    if (k % 4 === 1) {
      for (let h = 0; h < 6; h++) lines.push(`pwrite /sp${k} ${h * 20000} 500 ${h}`);   // > 4 extents: an extent block
      lines.push(`rm /sp${k}`);
    }
    if (k % 3 === 0) sync('sync');
  }
  sync('sync');
  return { lines, committed };
}

describe('power cuts during a hot-swap workload', () => {
  it('every cut leaves a consistent disk with atomic renames', async () => {
    const base = join(work, 'base.img');
    sparseImage(base, 8 << 20);
    expect(fstool('mkfs', base).status).toBe(0);
    const { lines, committed } = workload();
    const script = writeScript(work, 'workload.txt', lines);
    const count = fstool('powercut', base, script, '-1', '1', '/dev/null');
    expect(count.stderr).toBe('');
    const events = JSON.parse(count.stdout).events as number;
    const N = 210;
    const versions = new Map<string, number>();
    for (let k = 0; k <= K; k++) versions.set(pattern(size(k), seed(k)).toString('hex'), k);

    // two campaigns (one per core): each cut runs in a forked child that
    // produces the cut disk, replays it and extracts the tree
    const out = join(work, 'cuts');
    mkdirSync(out);
    const cutOf = (i: number) => Math.max(1, Math.round((i * events) / N));
    const lists = [[], []] as string[][];
    for (let i = 1; i <= N; i++) lists[i % 2].push(`${i} ${cutOf(i)} ${i}`);
    const campaigns = await Promise.all(lists.map((l, k) =>
      fstoolAsync('powercut-campaign', base, script, writeScript(work, `cuts-${k}.txt`, l), out)));
    for (const c of campaigns) expect(c.status, c.stdout + c.stderr).toBe(0);
    const replayedByUs = campaigns.reduce((n, c) => n + (c.stdout.match(/journal replayed/g) ?? []).length, 0);

    let crossChecked = 0;
    const one = async (i: number) => {
      const cut = cutOf(i);
      const info = JSON.parse(readFileSync(join(out, `cut-${i}.json`), 'utf8'));
      expect(info.mount, `cut ${cut}: ${info.error}`).toBe(0);
      const img = join(out, `cut-${i}.img`);
      const fsck = await e2fsck(img);
      expect(fsck.status, `cut ${cut}: ${fsck.stdout}`).toBe(0);
      const tree = readTree(join(out, `tree-${i}`));
      // atomicity: m is exactly one whole version; active names one version
      if (info.syncs > 0 || tree.has('models/m')) {
        const m = versions.get(tree.get('models/m')!.data!.toString('hex'));
        expect(m, `cut ${cut}: /models/m is not a whole version`).not.toBeUndefined();
        const link = tree.get('models/active')!;
        expect(link.type).toBe('link');
        const active = Number(/^v(\d+)$/.exec(link.target!)![1]);
        expect([m!, m! - 1]).toContain(active);                // a prefix of the workload
        if (info.syncs > 0) {
          const floor = committed[info.syncs - 1];
          expect(m!, `cut ${cut}: lost a synced rename`).toBeGreaterThanOrEqual(floor.m);
          expect(active).toBeGreaterThanOrEqual(floor.active);
        }
      }
      if (i % 10 === 0) {
        // e2fsck replays the raw cut disk itself: same result as ours
        const raw = join(out, `raw-${i}.img`);
        const fy = await e2fsck(raw, '-fy');
        expect(fy.status, fy.stdout).toBeLessThanOrEqual(1);
        const again = await e2fsck(raw);
        expect(again.status, again.stdout).toBe(0);
        const theirs = (await extractAsync(raw)).tree;
        expect([...theirs.keys()].sort()).toEqual([...tree.keys()].sort());
        for (const [k, v] of tree) {
          const w = theirs.get(k)!;
          if (v.type === 'file') expect(w.data!.equals(v.data!), k).toBe(true);
          if (v.type === 'link') expect(w.target).toBe(v.target);
        }
        crossChecked++;
      }
    };
    for (let i = 1; i <= N; i += 2) await Promise.all([one(i), i + 1 <= N ? one(i + 1) : Promise.resolve()]);
    console.log(`power cuts: ${N} over ${events} device events; our replay ran ${replayedByUs} times; ${crossChecked} cross-checked with e2fsck -fy`);
    expect(replayedByUs).toBeGreaterThan(20);
  }, 600_000);
});

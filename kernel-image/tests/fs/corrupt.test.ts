// Corruption: 500+ images with random metadata damage (superblock, group
// descriptors, bitmaps and inode tables, extent/directory/journal blocks).
// fstool mounts each in a child process with a 10 s alarm, walks and reads
// every file, then tries a create, a mkdir and a rename: no image may crash
// (ASan/UBSan abort), hang, or fail without a message naming the problem.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { buildFstool, tmp, sparseImage, fstool, fstoolAsync, mke2fs, writeScript, mkdirSync, writeFileSync, rmSync, join, pattern } from './fsharness';

let work: string;
beforeAll(() => { buildFstool(); work = tmp(); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const content = [
  'mkdir /models', 'mkdir /models/v1', 'pattern /models/v1/w 200000 1', 'symlink v1 /models/active',
  'symlink /' + 'p/'.repeat(40) + 'x /slow', 'write /models/registry.json {"a":1}',
  ...Array.from({ length: 12 }, (_, i) => `pwrite /sparse ${i * 30000} 900 ${i}`),
  ...Array.from({ length: 40 }, (_, i) => `write /models/f${i} file ${i}`), 'sync',
];

function summary(stdout: string): { images: number; unnoticed: number; reported: number; failures: number } {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('random metadata corruption', () => {
  it('500+ damaged images: never a crash or hang, errors always named', async () => {
    // base 1: our mkfs and writes
    const ours = join(work, 'ours.img');
    sparseImage(ours, 4 << 20);
    expect(fstool('mkfs', ours).status).toBe(0);
    expect(fstool('run', ours, writeScript(work, 'c.txt', content)).status).toBe(0);
    // base 2: mke2fs -d
    const src = join(work, 'src');
    mkdirSync(join(src, 'd/e'), { recursive: true });
    writeFileSync(join(src, 'd/e/big'), pattern(300000, 3));
    for (let i = 0; i < 30; i++) writeFileSync(join(src, `d/n${i}`), `x${i}`);
    const theirs = join(work, 'theirs.img');
    mke2fs(theirs, 4 << 20, src);
    // base 3: a disk cut after a commit but before its checkpoint: the journal must be replayed
    const script = writeScript(work, 'j.txt', ['pattern /j1 40000 5', 'mkdir /jd', 'write /jd/x y', 'sync', 'write /after z']);
    const count = JSON.parse(fstool('powercut', ours, script, '-1', '1', '/dev/null').stdout).events as number;
    const cutImg = join(work, 'cut.img');
    let found = false;
    for (let cut = count; cut > 0 && !found; cut--) {
      fstool('powercut', ours, script, String(cut), '0', cutImg);
      found = /Journal start:\s+[1-9]/.test(execFileSync('dumpe2fs', ['-h', cutImg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    }
    expect(found).toBe(true);

    const runs = await Promise.all([
      fstoolAsync('corrupt', ours, '200', '1000'),
      fstoolAsync('corrupt', theirs, '170', '2000'),
    ]);
    runs.push(await fstoolAsync('corrupt', cutImg, '140', '3000'));
    let images = 0, reported = 0, failures = 0;
    for (const r of runs) {
      const s = summary(r.stdout);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      images += s.images; reported += s.reported; failures += s.failures;
    }
    console.log(`corruption: ${images} images, ${reported} reported an error, ${images - reported} unaffected, ${failures} failures`);
    expect(images).toBeGreaterThanOrEqual(500);
    expect(failures).toBe(0);
    expect(reported).toBeGreaterThan(images / 2);
  }, 600_000);
});

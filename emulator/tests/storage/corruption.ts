// The body of the corruption tests (two files, so vitest runs them on both cores).
import { expect, it } from 'vitest';
import { corrupt, metadataRegions, survives } from './corrupt.ts';

export function corruptionTest(label: string, make: () => Promise<{ image: Uint8Array; files: string[]; dirs: string[] }>, seeds: number[]): void {
  it(`${seeds.length} randomly corrupted ${label} images: no crash, no hang, errors reported`, async () => {
    const base = await make();
    const baseline = await survives(base.image, base.files);
    expect(baseline, 'the uncorrupted image boots, mounts and powers off').toMatchObject({ ok: true, mounted: true });
    const regions = metadataRegions(base.image, base.dirs);
    const failures: string[] = [];
    let reported = 0;
    let refused = 0;
    const kinds = new Map<string, { n: number; reported: number }>();
    const unnoticed: string[] = [];
    for (const seed of seeds) {
      const { image, what, kind, resealed } = corrupt(base.image, regions, seed);
      const k = kinds.get(kind) ?? { n: 0, reported: 0 };
      kinds.set(kind, k);
      k.n++;
      const r = await survives(image, base.files);
      if (!r.ok) failures.push(`seed ${seed} (${what}): ${r.problem}`);
      if (r.reported) k.reported++;
      if (r.reported) reported++;
      // The superblock is checksummed as a whole: a change the checksum no
      // longer matches must be noticed.
      if (kind === 'superblock' && !resealed && !r.reported) unnoticed.push(`seed ${seed} (${what})`);
      if (!r.mounted) refused++;
    }
    console.log(
      `corruption (${label}): ${seeds.length} images, ${failures.length} crashed or hung; kernel reported errors for ${reported}, ` +
        `refused to mount ${refused}; by region (images/reported): ${[...kinds].map(([k, v]) => `${k} ${v.n}/${v.reported}`).join(', ')}`,
    );
    expect(failures).toEqual([]);
    expect(unnoticed, 'superblock corruptions that break its checksum are reported').toEqual([]);
    // Not every corruption is visible to a boot + ls + cat (bitmaps of free
    // space, journal blocks of a cleanly unmounted disk, unused inodes), but
    // a good share must be.
    expect(reported).toBeGreaterThan(seeds.length / 8);
  }, 900_000);
}

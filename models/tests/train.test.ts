// The trainer and the PRNG: same seed, same bytes; the task's policy and scaling.
import { describe, expect, it } from 'vitest';
import { drawDataset } from '../src/data.ts';
import { encodeModel } from '../src/format.ts';
import { Prng } from '../src/prng.ts';
import { BASELINE_TRAINING, trainModel } from '../src/samples.ts';
import { A, REFERENCE_POLICY, SHIFTED_POLICY, label, referenceAction, scaleFeature, scaleRaw } from '../src/task.ts';

describe('PRNG', () => {
  it('is a pure function of its seed, covers its ranges without bias beyond chance', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.u32())).not.toEqual(sa);
    const r = new Prng(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.int(0, 5)]++;
    for (const n of counts) expect(Math.abs(n - 10000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(() => r.int(5, 4)).toThrow();
  });
});

describe('trainer', () => {
  const spec = { seed: 5, policy: 'reference', ...BASELINE_TRAINING, samples: 3000, epochs: 4 };
  it('same seed and settings give the same model.bin bytes', () => {
    const a = encodeModel(trainModel(spec));
    const b = encodeModel(trainModel(spec));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
  it('another seed gives other bytes', () => {
    const a = encodeModel(trainModel(spec));
    const b = encodeModel(trainModel({ ...spec, seed: 6 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
  it('refuses an unknown policy', () => {
    expect(() => trainModel({ ...spec, policy: 'nope' })).toThrow(/unknown policy/);
  });
});

describe('the decision task', () => {
  it('scales with the documented clamps, one f32 rounding', () => {
    expect(Array.from(scaleRaw([50, 25, 100, 2000, 7_200_000, 4_194_304, 16]))).toEqual([0.5, 0.5, 1, 1, 1, 0.5, 0.25]);
    expect(Array.from(scaleRaw([-5, -1, 0, 0, 0, 0, 0]))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(scaleFeature(0, 95)).toBe(Math.fround(0.95));
    expect(scaleFeature(4, 1)).toBe(Math.fround(1 / 3_600_000));
  });
  it('the reference policy labels each region as MODELS.md says (thresholds inclusive, in priority order)', () => {
    const x = (raw: number[]) => referenceAction(scaleRaw(raw));
    const q = [30, 0, 20, 50, 60_000, 2_500_000, 4];
    const w = (i: number, v: number, base = q) => base.map((b, j) => (j === i ? v : b));
    expect(x(q)).toBe(A.none);
    expect(x(w(0, 79))).toBe(A.none);
    expect(x(w(0, 80))).toBe(A.reclaim_caches);
    expect(x(w(0, 94))).toBe(A.reclaim_caches);
    expect(x(w(0, 95))).toBe(A.shed_load);
    expect(x(w(3, 499))).toBe(A.none);
    expect(x(w(3, 500))).toBe(A.backoff_io);
    expect(x(w(2, 89))).toBe(A.none);
    expect(x(w(2, 90))).toBe(A.throttle_workload);
    expect(x(w(1, 9))).toBe(A.none);
    expect(x(w(1, 10))).toBe(A.throttle_workload);
    expect(x(w(1, 20))).toBe(A.throttle_workload); // many misses but few tasks
    expect(x(w(6, 32, w(1, 20)))).toBe(A.shed_load);
    expect(x(w(6, 31, w(1, 20)))).toBe(A.throttle_workload);
    expect(x(w(3, 800, w(0, 85)))).toBe(A.reclaim_caches); // memory outranks I/O
    expect(x(w(2, 95, w(3, 600)))).toBe(A.backoff_io); // I/O outranks CPU
    expect(x(w(4, 0))).toBe(x(w(4, 3_600_000))); // uptime is ignored
    expect(x(w(5, 8_388_608))).toBe(A.none); // heap_used is not consulted (mem_pressure is)
  });
  it('the shifted policy disagrees with the reference on a large share of inputs', () => {
    const d = drawDataset(77, 5000, REFERENCE_POLICY);
    const differ = d.inputs.filter((x, i) => label(SHIFTED_POLICY, x) !== d.labels[i]).length / d.inputs.length;
    expect(differ).toBeGreaterThan(0.1);
  });
  it('the training mixture covers every action', () => {
    const d = drawDataset(78, 5000, REFERENCE_POLICY);
    const counts = new Array(5).fill(0);
    for (const l of d.labels) counts[l]++;
    for (const n of counts) expect(n).toBeGreaterThan(500);
  });
});

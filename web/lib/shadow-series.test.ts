import { describe, expect, it } from 'vitest';
import { aboveLimit, DivergenceSeries, rateOf, type ShadowSample } from './shadow-series.ts';

/** Samples of a trial from a list of flags: 'l' log (not counted), '.' agreed, 'x' diverged. */
function trial(flags: string, t0 = 1_000_000, step = 10_000): ShadowSample[] {
  let compared = 0, divergences = 0;
  return [...flags].map((f, i) => {
    const counted = f !== 'l';
    if (counted) compared++;
    if (f === 'x') divergences++;
    return { ts_us: t0 + i * step, id: i + 1, counted, diverged: f === 'x', compared, divergences };
  });
}

describe('shadow divergence series', () => {
  it('plots the running counts and the cumulative rate, with gaps while nothing is compared', () => {
    const s = new DivergenceSeries();
    for (const x of trial('ll.x.xx')) s.push(x, 50);
    const d = s.data();
    expect(d.x).toEqual([1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06]);
    expect(d.compared).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(d.divergences).toEqual([0, 0, 0, 1, 1, 2, 3]);
    expect(d.rate).toEqual([null, null, 0, 50, 100 / 3, 50, 60]);
    expect(d.threshold).toEqual(new Array(7).fill(50));
    expect(d.promoteLimit).toEqual(new Array(7).fill(10));
    expect(d.abortRate).toEqual(new Array(7).fill(20));
  });

  it('the window rate covers only the last N counted decisions', () => {
    const s = new DivergenceSeries(600, 4);
    for (const x of trial('xxxx....l.')) s.push(x, 50);
    // counted flags x x x x . . . . (l skipped) .
    expect(s.data().windowRate).toEqual([100, 100, 100, 100, 75, 50, 25, 0, 0, 0]);
  });

  it('restarts the window when the kernel restarts its counts (leaving log mode)', () => {
    const s = new DivergenceSeries(600, 3);
    const first = trial('xxx');
    for (const x of first) s.push(x, 50);
    // compare -> log -> compare: the next sample's counts start again at 1.
    s.push({ ts_us: 2_000_000, id: 10, counted: true, diverged: false, compared: 1, divergences: 0 }, 50);
    expect(s.data().windowRate).toEqual([100, 100, 100, 0]);
    expect(s.data().rate[3]).toBe(0);
  });

  it('keeps the newest maxPoints samples and the threshold each was taken under', () => {
    const s = new DivergenceSeries(3, 10);
    const t = trial('x.x.x');
    t.forEach((x, i) => s.push(x, i < 3 ? 50 : 4));
    expect(s.length).toBe(3);
    const d = s.data();
    expect(d.compared).toEqual([3, 4, 5]);
    expect(d.threshold).toEqual([50, 4, 4]);
    // The window is not cut by the chart's scrolling: all five counted decisions, 3 diverged.
    expect(d.windowRate[2]).toBe(60);
    s.reset();
    expect(s.length).toBe(0);
    expect(s.data().x).toEqual([]);
  });

  it('refuses samples that go back in time or count more divergences than comparisons', () => {
    const s = new DivergenceSeries();
    s.push({ ts_us: 5, id: 1, counted: true, diverged: false, compared: 1, divergences: 0 }, 50);
    expect(() => s.push({ ts_us: 4, id: 2, counted: true, diverged: false, compared: 2, divergences: 0 }, 50)).toThrow(/older/);
    expect(() => s.push({ ts_us: 6, id: 2, counted: true, diverged: true, compared: 2, divergences: 3 }, 50)).toThrow(/3 divergences of 2/);
    expect(s.length).toBe(1);
    expect(() => new DivergenceSeries(1)).toThrow(/maxPoints/);
    expect(() => new DivergenceSeries(10, 0)).toThrow(/window/);
  });

  it('rate and the promote limit follow the kernel (rate in ppm, rounded down, above 100000)', () => {
    expect(rateOf(0, 0)).toBe(0);
    expect(rateOf(8, 2)).toBe(0.25);
    expect(aboveLimit(0, 0)).toBe(false);
    expect(aboveLimit(10, 1)).toBe(false);   // exactly 10%: allowed
    expect(aboveLimit(9, 1)).toBe(true);     // 11.1%
    expect(aboveLimit(30, 4)).toBe(true);    // 13.3%
    expect(aboveLimit(100, 10)).toBe(false);
    expect(aboveLimit(100, 11)).toBe(true);
    // Just above 10% but under 100001 ppm after rounding down: the kernel still allows it.
    expect(aboveLimit(10_000_001, 1_000_001)).toBe(false);
    expect(aboveLimit(1_000_000, 100_001)).toBe(true);
  });
});

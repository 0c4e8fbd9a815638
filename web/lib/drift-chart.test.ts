// Drift maths against the figures docs/EVENTS.md and PHASE7-AI-OPERATIONS.md
// give (the kernel's own examples) and against sequences worked out by hand.
import { describe, expect, it } from 'vitest';
import { bandLines, chartColumns, DriftTracker, levelOf, levelOfMeans, meanMilli, psiBand, SlidingWindow, yRange } from './drift-chart.ts';

describe('levels', () => {
  it('the EVENTS.md example: baseline 987.990, window 831.460 on scale 1000 is a warning', () => {
    expect(levelOfMeans(831.46, 987.99, 1000)).toBe('warning');
    // The same as integer sums of 100 values each.
    expect(levelOf(83146, 100, 98799, 100, 1000)).toBe('warning');
  });

  it('strictly above 10% / 20% of the scale, as the kernel compares', () => {
    expect(levelOf(90000, 100, 100000, 100, 1000)).toBe('ok'); // exactly 100 away
    expect(levelOf(89999, 100, 100000, 100, 1000)).toBe('warning');
    expect(levelOf(80000, 100, 100000, 100, 1000)).toBe('warning'); // exactly 200 away
    expect(levelOf(79999, 100, 100000, 100, 1000)).toBe('alert');
    // reward: scale 2000, so the bands are 200 and 400, either side
    expect(levelOf(20000, 100, 0, 100, 2000)).toBe('ok');
    expect(levelOf(20001, 100, 0, 100, 2000)).toBe('warning');
    expect(levelOf(-40001, 100, 0, 100, 2000)).toBe('alert');
    // windows of different sizes: 1000 per value vs 799 per value over 3
    expect(levelOf(100 * 1000, 100, 3 * 799, 3, 1000)).toBe('alert');
  });

  it('refuses what is not a pair of integer sums', () => {
    expect(() => levelOf(1.5, 1, 1, 1, 1000)).toThrow(/integers/);
    expect(() => levelOf(1, 0, 1, 1, 1000)).toThrow(/at least one/);
  });

  it('means in thousandths round half away from zero (the kernel prints 3 decimals)', () => {
    expect(meanMilli(2, 3)).toBe(667);
    expect(meanMilli(-2, 3)).toBe(-667);
    expect(meanMilli(1, 8)).toBe(125);
    expect(meanMilli(-1, 2000)).toBe(-1); // -0.5 thousandths: away from zero
    expect(meanMilli(5, 0)).toBe(0);
  });

  it('PSI bands: below 0.1 stable, below 0.25 moderate (the docs example 0.105841 is moderate)', () => {
    expect(psiBand(0)).toBe('stable');
    expect(psiBand(0.099999)).toBe('stable');
    expect(psiBand(0.1)).toBe('moderate');
    expect(psiBand(0.105841)).toBe('moderate');
    expect(psiBand(0.25)).toBe('significant');
    expect(() => psiBand(-1)).toThrow(/not a PSI/);
    expect(() => psiBand(NaN)).toThrow(/not a PSI/);
  });
});

describe('band lines and ranges', () => {
  it('baseline +-10% and +-20% of the scale', () => {
    expect(bandLines(800, 1000)).toEqual({ baseline: 800, warnLow: 700, warnHigh: 900, alertLow: 600, alertHigh: 1000 });
    expect(bandLines(-50, 2000)).toEqual({ baseline: -50, warnLow: -250, warnHigh: 150, alertLow: -450, alertHigh: 350 });
  });
  it('the y range keeps the metric range and widens for a band beyond it', () => {
    expect(yRange('confidence', null)).toEqual([0, 1000]);
    expect(yRange('confidence', bandLines(990, 1000))).toEqual([0, 1190]);
    expect(yRange('reward', bandLines(900, 2000))).toEqual([-1000, 1300]);
  });
});

describe('SlidingWindow', () => {
  it('keeps the exact sum of the last N', () => {
    const w = new SlidingWindow(3);
    for (const v of [5, 7, 9, 11, -20]) w.push(v);
    expect([w.n, w.sum, w.full]).toEqual([3, 0, true]);
    expect(() => w.push(0.5)).toThrow(/not an integer/);
  });
});

describe('DriftTracker', () => {
  it('captures the first 100 decisions as the baseline, then a drop of confidence is a warning at 42, an alert at 84', () => {
    const t = new DriftTracker();
    let id = 0;
    for (let i = 0; i < 100; i++) t.observe('v1.0.0', ++id, 990, i === 0 ? undefined : 0);
    expect(t.capturing).toBe(false);
    expect(t.baselines.confidence).toEqual({ source: 'captured', sum: 99000, n: 100 });
    expect(t.baselines.reward).toEqual({ source: 'captured', sum: 0, n: 99 });
    expect(t.level('confidence')).toBe('ok');
    expect(t.level('reward')).toBeNull(); // 99 rewards: the reward window is not full yet
    const levels: string[] = [];
    for (let k = 1; k <= 100; k++) {
      t.observe('v1.0.0', ++id, 750, 0);
      levels.push(t.level('confidence')!);
    }
    // mean = 990 - 2.4k: above 100 away from k = 42, above 200 from k = 84
    expect(levels.indexOf('warning') + 1).toBe(42);
    expect(levels.indexOf('alert') + 1).toBe(84);
    expect(t.currentMilli('confidence')).toBe(750000);
    expect(t.level('reward')).toBe('ok');
  });

  it('rewards: a window of -450 against a baseline of 0 is an alert (scale 2000)', () => {
    const t = new DriftTracker();
    for (let i = 1; i <= 100; i++) t.observe('m', i, 900, 0);
    for (let i = 101; i <= 200; i++) t.observe('m', i, 900, -450);
    expect(t.level('reward')).toBe('alert');
    expect(t.currentMilli('reward')).toBe(-450000);
  });

  it('a new deciding model starts a new capture; an event baseline replaces the captured one', () => {
    const t = new DriftTracker();
    for (let i = 1; i <= 150; i++) t.observe('v1.0.0', i, 990, 0);
    t.observe('v1.1.0', 151, 700, 0);
    expect([t.capturing, t.captured, t.conf.n]).toEqual([true, 1, 1]);
    t.adoptBaseline('confidence', 'v1.1.0', 987.99, true);
    expect(t.baselines.confidence).toEqual({ source: 'event', mean: 987.99, adopted: true });
    for (let i = 152; i <= 251; i++) t.observe('v1.1.0', i, 831, 0);
    expect(t.level('confidence')).toBe('warning');
  });

  it('chart columns: x, the window mean, then baseline and bands (null before a baseline)', () => {
    const t = new DriftTracker(4);
    for (let i = 1; i <= 101; i++) t.observe('m', i, i <= 100 ? 800 : 900, undefined);
    const cols = chartColumns(t.points.confidence, 1000);
    expect(cols[0]).toEqual([98, 99, 100, 101]);
    expect(cols[1]).toEqual([800, 800, 800, 801]);
    expect(cols.slice(2).map((c) => c[0])).toEqual([null, null, null, null, null]);
    expect(cols.slice(2).map((c) => c[2])).toEqual([800, 700, 900, 600, 1000]);
    expect(t.points.confidence.map((p) => p.level)).toEqual([null, null, 'ok', 'ok']);
    expect(t.points.reward).toEqual([]);
  });
});

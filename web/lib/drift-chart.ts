// Drift maths for the dashboard: the confidence and reward windows the
// kernel's drift monitor keeps (docs/PHASE7-AI-OPERATIONS.md, "Drift"),
// rebuilt from the `decision` event stream, their levels against a baseline,
// the 10% / 20% band lines the chart draws, and the PSI bands.
//
// The kernel decides levels on integer sums (|sum_w*n_b - sum_b*n_w| * 10
// against n_w*n_b*scale), never on rounded means, so a window that sits
// exactly on a band edge is classified the same way here as on the machine.
// Everything is pure and synchronous; components only render what it returns.

export type DriftLevel = 'ok' | 'warning' | 'alert';
export type PsiBand = 'stable' | 'moderate' | 'significant';
export type DriftMetric = 'confidence' | 'reward';

/** Decisions in each window and in a baseline capture (the kernel's DRIFT_WINDOW). */
export const DRIFT_WINDOW = 100;
/** Confidence is 0..1000; reward -1000..1000 spans 2000. */
export const SCALE: Record<DriftMetric, number> = { confidence: 1000, reward: 2000 };
/** The confidence baseline `driftctl status` shows before one is captured. */
export const CONFIDENCE_FALLBACK = 800;
/** PSI band edges: below 0.1 stable, below 0.25 moderate, else significant. */
export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;
/** The model's seven inputs, in MODEL-FORMAT.md order (the names `drift` PSI events carry). */
export const FEATURES = ['mem_pressure', 'deadline_misses', 'cpu_usage', 'network_latency', 'uptime_ms', 'heap_used', 'processes_running'] as const;

/**
 * The drift level of a window against a baseline, both given as integer
 * sums and counts. Warning when |mean_w - mean_b| is above 10% of the scale,
 * alert above 20%; strictly above, as the kernel compares.
 */
export function levelOf(sumW: number, nW: number, sumB: number, nB: number, scale: number): DriftLevel {
  if (!Number.isInteger(sumW) || !Number.isInteger(sumB) || !Number.isInteger(nW) || !Number.isInteger(nB)) {
    throw new RangeError('levelOf: sums and counts must be integers');
  }
  if (nW <= 0 || nB <= 0) throw new RangeError('levelOf: a window and a baseline need at least one value each');
  // BigInt: 100 confidences of 1000 times 100 times 1000 stays far below 2^53,
  // but an adopted baseline of any size must not lose precision either.
  let diff = BigInt(sumW) * BigInt(nB) - BigInt(sumB) * BigInt(nW);
  if (diff < 0n) diff = -diff;
  const unit = BigInt(nW) * BigInt(nB) * BigInt(scale);
  if (diff * 10n > unit * 2n) return 'alert';
  if (diff * 10n > unit) return 'warning';
  return 'ok';
}

/** A mean from floats (a baseline an event reported): the same rule on the distance. */
export function levelOfMeans(mean: number, baseline: number, scale: number): DriftLevel {
  const d = Math.abs(mean - baseline);
  if (d * 10 > scale * 2) return 'alert';
  if (d * 10 > scale) return 'warning';
  return 'ok';
}

/** The mean in thousandths rounded half away from zero, as the kernel prints it (3 decimals). */
export function meanMilli(sum: number, n: number): number {
  if (n <= 0) return 0;
  const x = sum * 1000;
  const h = Math.floor(n / 2);
  return x >= 0 ? Math.floor((x + h) / n) : -Math.floor((-x + h) / n);
}

export function psiBand(psi: number): PsiBand {
  if (!Number.isFinite(psi) || psi < 0) throw new RangeError(`psiBand: ${psi} is not a PSI`);
  return psi >= PSI_SIGNIFICANT ? 'significant' : psi >= PSI_MODERATE ? 'moderate' : 'stable';
}

/** The five horizontal lines the chart draws for a baseline: the baseline, +-10% and +-20% of the scale. */
export interface BandLines {
  baseline: number;
  warnLow: number;
  warnHigh: number;
  alertLow: number;
  alertHigh: number;
}

export function bandLines(baseline: number, scale: number): BandLines {
  return {
    baseline,
    warnLow: baseline - scale / 10,
    warnHigh: baseline + scale / 10,
    alertLow: baseline - scale / 5,
    alertHigh: baseline + scale / 5,
  };
}

/**
 * The y range of a chart: the metric's natural range (0..1000, -1000..1000),
 * widened to show the alert band even when the baseline sits near an edge.
 */
export function yRange(metric: DriftMetric, lines: BandLines | null): [number, number] {
  let [lo, hi] = metric === 'confidence' ? [0, 1000] : [-1000, 1000];
  if (lines) {
    lo = Math.min(lo, lines.alertLow);
    hi = Math.max(hi, lines.alertHigh);
  }
  return [lo, hi];
}

/** A sliding window of the last DRIFT_WINDOW integers with its exact sum. */
export class SlidingWindow {
  private values: number[] = [];
  private head = 0;
  sum = 0;

  constructor(readonly size = DRIFT_WINDOW) {}

  get n(): number {
    return this.values.length;
  }

  get full(): boolean {
    return this.values.length === this.size;
  }

  push(v: number): void {
    if (!Number.isInteger(v)) throw new RangeError(`SlidingWindow: ${v} is not an integer`);
    if (this.values.length < this.size) {
      this.values.push(v);
    } else {
      this.sum -= this.values[this.head];
      this.values[this.head] = v;
      this.head = (this.head + 1) % this.size;
    }
    this.sum += v;
  }

  clear(): void {
    this.values = [];
    this.head = 0;
    this.sum = 0;
  }
}

/** A baseline: either captured here from decisions (exact sums) or reported by a drift event (a mean). */
export type Baseline =
  | { source: 'captured'; sum: number; n: number }
  | { source: 'event'; mean: number; adopted: boolean };

export function baselineMean(b: Baseline): number {
  return b.source === 'captured' ? b.sum / b.n : b.mean;
}

/** One point of a metric's chart: the decision it belongs to, the window mean, the level then. */
export interface DriftPoint {
  id: number;
  mean: number;
  baseline: number | null;
  level: DriftLevel | null;
}

/**
 * The kernel's windows, rebuilt decision by decision: confidence from every
 * decision, reward from each decision's `prev_reward` (a decision's reward is
 * known one decision later). A new deciding model starts a new baseline
 * capture of DRIFT_WINDOW decisions, as the kernel does at a model change.
 */
export class DriftTracker {
  version: string | null = null;
  /** Decisions observed (all models). */
  decisions = 0;
  readonly conf = new SlidingWindow();
  readonly reward = new SlidingWindow();
  /** The capture in progress: decisions seen, sums. */
  private cap = { n: 0, confSum: 0, rewardSum: 0, rewardN: 0 };
  baselines: Record<DriftMetric, Baseline | null> = { confidence: null, reward: null };
  /** Points for the charts, oldest first, at most `keep`. */
  points: Record<DriftMetric, DriftPoint[]> = { confidence: [], reward: [] };

  constructor(readonly keep = 600) {}

  get capturing(): boolean {
    return this.baselines.confidence === null && this.version !== null;
  }

  get captured(): number {
    return this.cap.n;
  }

  /** One `decision` event. */
  observe(model: string, id: number, confidence: number, prevReward: number | undefined): void {
    this.decisions++;
    if (model !== this.version) this.startCapture(model);
    this.conf.push(confidence);
    if (prevReward !== undefined) this.reward.push(prevReward);
    if (this.baselines.confidence === null) {
      this.cap.n++;
      this.cap.confSum += confidence;
      if (prevReward !== undefined) {
        this.cap.rewardSum += prevReward;
        this.cap.rewardN++;
      }
      if (this.cap.n === DRIFT_WINDOW) {
        this.baselines.confidence = { source: 'captured', sum: this.cap.confSum, n: this.cap.n };
        this.baselines.reward = this.cap.rewardN ? { source: 'captured', sum: this.cap.rewardSum, n: this.cap.rewardN } : null;
      }
    }
    this.addPoint('confidence', id);
    if (prevReward !== undefined) this.addPoint('reward', id);
  }

  /** A `drift` event's baseline is the kernel's own: it replaces ours (an adopted one, a reset). */
  adoptBaseline(metric: DriftMetric, version: string, mean: number, adopted: boolean): void {
    if (version !== this.version) this.startCapture(version);
    this.baselines[metric] = { source: 'event', mean, adopted };
  }

  /** The level of a metric now, or null until its window is full and a baseline exists. */
  level(metric: DriftMetric): DriftLevel | null {
    const w = metric === 'confidence' ? this.conf : this.reward;
    const b = this.baselines[metric];
    if (!w.full || !b) return null;
    if (b.source === 'captured') return levelOf(w.sum, w.n, b.sum, b.n, SCALE[metric]);
    return levelOfMeans(w.sum / w.n, b.mean, SCALE[metric]);
  }

  /** The window mean in thousandths (as a drift event's `current` is printed), or null when empty. */
  currentMilli(metric: DriftMetric): number | null {
    const w = metric === 'confidence' ? this.conf : this.reward;
    return w.n ? meanMilli(w.sum, w.n) : null;
  }

  private startCapture(version: string): void {
    this.version = version;
    this.conf.clear();
    this.reward.clear();
    this.cap = { n: 0, confSum: 0, rewardSum: 0, rewardN: 0 };
    this.baselines = { confidence: null, reward: null };
  }

  private addPoint(metric: DriftMetric, id: number): void {
    const w = metric === 'confidence' ? this.conf : this.reward;
    const b = this.baselines[metric];
    const pts = this.points[metric];
    pts.push({ id, mean: w.sum / w.n, baseline: b ? baselineMean(b) : null, level: this.level(metric) });
    if (pts.length > this.keep) pts.splice(0, pts.length - this.keep);
  }
}

/**
 * uPlot's columnar data for a metric's points: x (decision ids), the window
 * mean, the baseline and the four band lines (null where no baseline existed).
 */
export function chartColumns(points: DriftPoint[], scale: number): (number | null)[][] {
  const xs: number[] = [];
  const cols: (number | null)[][] = [[], [], [], [], [], []];
  for (const p of points) {
    xs.push(p.id);
    cols[0].push(p.mean);
    if (p.baseline === null) {
      for (let i = 1; i < 6; i++) cols[i].push(null);
    } else {
      const l = bandLines(p.baseline, scale);
      cols[1].push(l.baseline);
      cols[2].push(l.warnLow);
      cols[3].push(l.warnHigh);
      cols[4].push(l.alertLow);
      cols[5].push(l.alertHigh);
    }
  }
  return [xs, ...cols];
}

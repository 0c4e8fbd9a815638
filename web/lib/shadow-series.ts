// The shadow panel's numbers: the divergence series the chart draws, built
// from the decision events' `shadow` member (docs/EVENTS.md), and the rules
// the kernel applies to them (docs/PHASE7-AI-OPERATIONS.md, Shadow and
// canary), written here once so the panel, the chart and the tests agree.
//
// Why per-decision samples and not only the `shadow` events: those come only
// when shadowctl changes something, so the chart would not move between
// commands. Each decision event carries the agent's running counts after it,
// which is what the chart plots; the flags (counted, diverged) feed the
// sliding-window rate, which shows a recent change the cumulative rate hides.

/** shadowctl promote refuses above this rate unless --force. */
export const PROMOTE_LIMIT = 0.1;
/** The automatic abort's rate rule: above this, once MIN_SAMPLE comparisons were made. */
export const ABORT_RATE = 0.2;
export const MIN_SAMPLE = 100;

/** One decision as the shadow saw it (a decision event with its `shadow` member). */
export interface ShadowSample {
  /** Guest microseconds since boot (the event's ts_us). */
  ts_us: number;
  /** The decision's trace id. */
  id: number;
  counted: boolean;
  diverged: boolean;
  /** The agent's running counts after this decision. */
  compared: number;
  divergences: number;
}

/** divergences / compared, 0 when nothing was compared (as the kernel's divergence_rate). */
export function rateOf(compared: number, divergences: number): number {
  return compared > 0 ? divergences / compared : 0;
}

/**
 * Would a plain `shadowctl promote` be refused for its rate? The kernel's own
 * test, in parts per million rounded down: floor(divergences * 1e6 / compared) > 100000.
 */
export function aboveLimit(compared: number, divergences: number): boolean {
  return compared > 0 && Math.floor((divergences * 1_000_000) / compared) > 100_000;
}

/** The chart's columns (uPlot's aligned data): x, then one array per series. */
export interface SeriesData {
  /** Guest seconds since boot. */
  x: number[];
  divergences: number[];
  compared: number[];
  /** Cumulative divergence rate in percent; null while nothing was compared (a gap). */
  rate: (number | null)[];
  /** Rate over the last `window` counted decisions, percent; null while none was counted. */
  windowRate: (number | null)[];
  /** The abort threshold (divergences) at each point, a horizontal line on the count axis. */
  threshold: number[];
  /** The promote-confirmation line (10%) and the abort-rate line (20%), on the rate axis. */
  promoteLimit: number[];
  abortRate: number[];
}

/**
 * The divergence series of one shadow trial. Keeps the newest `maxPoints`
 * samples (older ones scroll off the chart) and a window of the last
 * `window` counted decisions for the recent rate.
 */
export class DivergenceSeries {
  private samples: ShadowSample[] = [];
  private windowRates: (number | null)[] = [];
  private thresholds: number[] = [];
  /** diverged flags of the last `window` counted decisions, oldest first. */
  private recent: boolean[] = [];
  private recentDiverged = 0;

  constructor(
    readonly maxPoints = 600,
    readonly window = 50,
  ) {
    if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`maxPoints must be an integer of at least 2, not ${maxPoints}`);
    if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, not ${window}`);
  }

  get length(): number {
    return this.samples.length;
  }

  get last(): ShadowSample | null {
    return this.samples[this.samples.length - 1] ?? null;
  }

  /** Starts a new trial (shadowctl enable, a reboot). */
  reset(): void {
    this.samples = [];
    this.windowRates = [];
    this.thresholds = [];
    this.recent = [];
    this.recentDiverged = 0;
  }

  /** Adds one decision; `threshold` is the abort threshold in force at it. */
  push(s: ShadowSample, threshold: number): void {
    const prev = this.last;
    if (prev && s.ts_us < prev.ts_us) throw new Error(`shadow sample at ${s.ts_us} us is older than the last one (${prev.ts_us} us)`);
    if (s.divergences > s.compared) throw new Error(`decision ${s.id}: ${s.divergences} divergences of ${s.compared} compared`);
    // The kernel restarts its counts when the mode leaves log: the window
    // restarts with them, so it never mixes two counting periods.
    if (prev && s.compared < prev.compared) {
      this.recent = [];
      this.recentDiverged = 0;
    }
    if (s.counted) {
      this.recent.push(s.diverged);
      if (s.diverged) this.recentDiverged++;
      if (this.recent.length > this.window && this.recent.shift()) this.recentDiverged--;
    }
    this.samples.push(s);
    this.windowRates.push(this.recent.length ? (100 * this.recentDiverged) / this.recent.length : null);
    this.thresholds.push(threshold);
    if (this.samples.length > this.maxPoints) {
      this.samples.shift();
      this.windowRates.shift();
      this.thresholds.shift();
    }
  }

  /** The columns for the chart, oldest first. */
  data(): SeriesData {
    const n = this.samples.length;
    return {
      x: this.samples.map((s) => s.ts_us / 1e6),
      divergences: this.samples.map((s) => s.divergences),
      compared: this.samples.map((s) => s.compared),
      rate: this.samples.map((s) => (s.compared > 0 ? (100 * s.divergences) / s.compared : null)),
      windowRate: this.windowRates.slice(),
      threshold: this.thresholds.slice(),
      promoteLimit: new Array<number>(n).fill(100 * PROMOTE_LIMIT),
      abortRate: new Array<number>(n).fill(100 * ABORT_RATE),
    };
  }
}

// Drift and safe mode as the dashboard shows them, from the event stream only
// (docs/EVENTS.md: decision, drift, safe_mode, pending, approval, rollback):
// - the confidence and reward windows, rebuilt from every `decision` event by
//   DriftTracker (web/lib/drift-chart.ts) so the charts move at each decision,
//   not only when the kernel reports a level change;
// - the kernel's own verdicts (`drift` events), which win over ours: their
//   baseline replaces the one we captured (a promotion adopts one, `driftctl
//   baseline reset` starts a capture we cannot see), and our window mean is
//   checked against theirs at the next decision (the kernel sends the drift
//   event inside the tick, before that tick's decision event);
// - safe mode and the queue of proposed actions (`pending` until `approval`).
// Buttons act by typing the shell command into UART0, so the terminal shows it.
import type { ApprovalEvent, DecisionEvent, DriftEvent, PendingEvent, RollbackEvent, SafeModeEvent, SisEvent } from '../../emulator/src/events.ts';
import { DriftTracker, FEATURES, meanMilli, type DriftLevel, type DriftMetric, type DriftPoint, type PsiBand } from '../lib/drift-chart.ts';

/** A queued entry expires this long after it was queued (AUTO_PENDING_TTL_S). */
export const PENDING_TTL_US = 60_000_000;
/** The charts redraw at most this often. */
const PUBLISH_MS = 250;

type Level = Extract<DriftEvent, { metric: 'confidence' | 'reward' }>;
type Psi = Extract<DriftEvent, { metric: 'psi' }>;

export interface MetricView {
  points: DriftPoint[];
  /** The level from our window and baseline (null until both exist). */
  level: DriftLevel | null;
  baseline: number | null;
  baselineSource: 'captured' | 'event' | 'adopted' | null;
  current: number | null;
  /** The kernel's last drift event for the metric. */
  kernel: Level | null;
}

export interface PsiView {
  feature: string;
  psi: number | null;
  band: PsiBand | null;
}

export interface Settled {
  /** A key unique across boots (queue ids start again at every boot). */
  key: number;
  id: number;
  traceId: number;
  action: string;
  result: ApprovalEvent['result'];
  tsUs: number;
}

export class DriftView {
  private tracker = new DriftTracker();
  /** Drift events whose `current` we compare with our window at the next decision. */
  private toCheck: Level[] = [];
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  private settledKey = 1;

  version = $state<string | null>(null);
  capturing = $state(false);
  captured = $state(0);
  decisions = $state(0);
  confidence = $state.raw<MetricView>(emptyMetric());
  reward = $state.raw<MetricView>(emptyMetric());
  psi = $state.raw<PsiView[]>(FEATURES.map((feature) => ({ feature, psi: null, band: null })));
  /** Comparisons of our window means with the kernel's drift events: agreed, and what disagreed. */
  checksAgreed = $state(0);
  checkProblems = $state<string[]>([]);
  alerts = $state(0);
  lastAlert = $state<Level | null>(null);
  lastRollback = $state.raw<RollbackEvent | null>(null);

  safeMode = $state(false);
  safeReason = $state<string | null>(null);
  safeSinceUs = $state<number | null>(null);
  pending = $state.raw<PendingEvent[]>([]);
  settled = $state.raw<Settled[]>([]);

  constructor(private readonly type: (command: string) => void) {}

  onEvent(e: SisEvent): void {
    switch (e.t) {
      case 'boot':
        this.reset();
        break;
      case 'decision':
        this.onDecision(e as DecisionEvent);
        break;
      case 'drift':
        this.onDrift(e as DriftEvent);
        break;
      case 'safe_mode': {
        const s = e as SafeModeEvent;
        this.safeMode = s.on;
        this.safeReason = s.reason;
        this.safeSinceUs = s.on ? s.ts_us : null;
        break;
      }
      case 'pending': {
        const p = e as PendingEvent;
        this.pending = [...this.pending.filter((x) => x.id !== p.id), p];
        break;
      }
      case 'approval': {
        const a = e as ApprovalEvent;
        this.pending = this.pending.filter((x) => x.id !== a.id);
        this.settled = [{ key: this.settledKey++, id: a.id, traceId: a.trace_id, action: a.action, result: a.result, tsUs: a.ts_us }, ...this.settled].slice(0, 30);
        break;
      }
      case 'rollback':
        if ((e as RollbackEvent).trigger === 'drift') this.lastRollback = e as RollbackEvent;
        break;
    }
  }

  approve(id: number): void {
    this.type(`autoctl approve ${id}`);
  }

  deny(id: number): void {
    this.type(`autoctl deny ${id}`);
  }

  leaveSafeMode(): void {
    this.type('autoctl safe off');
  }

  /** Seconds until a queued entry expires, from the guest's uptime. */
  static expiresIn(p: PendingEvent, uptimeUs: number | null): number | null {
    if (uptimeUs === null) return null;
    return Math.max(0, Math.ceil((p.ts_us + PENDING_TTL_US - uptimeUs) / 1e6));
  }

  private reset(): void {
    this.tracker = new DriftTracker();
    this.toCheck = [];
    this.version = null;
    this.psi = FEATURES.map((feature) => ({ feature, psi: null, band: null }));
    this.checksAgreed = 0;
    this.checkProblems = [];
    this.alerts = 0;
    this.lastAlert = null;
    this.lastRollback = null;
    this.confidence = emptyMetric();
    this.reward = emptyMetric();
    this.safeMode = false; // the kernel boots with safe mode off and an empty queue
    this.safeReason = null;
    this.safeSinceUs = null;
    this.pending = [];
    this.publish();
  }

  private onDecision(d: DecisionEvent): void {
    this.tracker.observe(d.model, d.id, d.confidence, d.prev_reward);
    for (const ev of this.toCheck.splice(0)) this.check(ev);
    this.publishSoon();
  }

  /**
   * At a 10 ms interval the kernel sends 100 decisions a second; redrawing
   * both charts for each would take the page's main thread, so the charts
   * and counters follow at most every PUBLISH_MS (level changes, safe mode and
   * the queue are shown at once).
   */
  private publishSoon(): void {
    if (this.publishTimer !== null) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.publish();
    }, PUBLISH_MS);
  }

  private onDrift(e: DriftEvent): void {
    if (e.metric === 'psi') {
      const p = e as Psi;
      const known = this.psi.some((x) => x.feature === p.feature);
      const row = { feature: p.feature, psi: p.psi, band: p.band };
      this.psi = known ? this.psi.map((x) => (x.feature === p.feature ? row : x)) : [...this.psi, row];
      return;
    }
    const l = e as Level;
    this.tracker.adoptBaseline(l.metric, l.version, l.baseline, l.adopted);
    if (l.metric === 'confidence') this.confidence = { ...this.confidence, kernel: l };
    else this.reward = { ...this.reward, kernel: l };
    if (l.level === 'alert') {
      this.alerts++;
      this.lastAlert = l;
    }
    this.toCheck.push(l);
    this.publish();
  }

  /** The kernel's window mean (3 decimals) against ours, now that its decision is in. */
  private check(ev: Level): void {
    const ours = this.tracker.currentMilli(ev.metric);
    const theirs = Math.round(ev.current * 1000);
    const w = ev.metric === 'confidence' ? this.tracker.conf : this.tracker.reward;
    if (ours === theirs && w.n === ev.window) {
      this.checksAgreed++;
    } else {
      const mine = ours === null ? 'no window' : `${(ours / 1000).toFixed(3)} over ${w.n}`;
      this.checkProblems = [...this.checkProblems, `${ev.metric} at ${ev.ts_us} us: kernel ${ev.current.toFixed(3)} over ${ev.window}, dashboard ${mine}`].slice(-10);
    }
  }

  private publish(): void {
    const t = this.tracker;
    if (this.publishTimer !== null) {
      clearTimeout(this.publishTimer);
      this.publishTimer = null;
    }
    this.decisions = t.decisions;
    this.version = t.version;
    this.capturing = t.capturing;
    this.captured = t.captured;
    this.confidence = this.metricView('confidence', this.confidence.kernel);
    this.reward = this.metricView('reward', this.reward.kernel);
  }

  private metricView(m: DriftMetric, kernel: Level | null): MetricView {
    const t = this.tracker;
    const b = t.baselines[m];
    const w = m === 'confidence' ? t.conf : t.reward;
    return {
      points: t.points[m].slice(),
      level: t.level(m),
      baseline: b ? (b.source === 'captured' ? meanMilli(b.sum, b.n) / 1000 : b.mean) : null,
      baselineSource: b ? (b.source === 'event' ? (b.adopted ? 'adopted' : 'event') : 'captured') : null,
      current: w.n ? meanMilli(w.sum, w.n) / 1000 : null,
      kernel: kernel && kernel.version === t.version ? kernel : null,
    };
  }
}

function emptyMetric(): MetricView {
  return { points: [], level: null, baseline: null, baselineSource: null, current: null, kernel: null };
}


// The shadow agent as the dashboard shows it: which version is in shadow and
// in which mode, its counts, the divergence series for the chart, the last
// automatic abort and the last promotion. Everything comes from the event
// stream (docs/EVENTS.md: shadow, abort, promote, and the decision event's
// `shadow` member); every action types its shadowctl command into the shell.
import type { AbortEvent, DecisionEvent, PromoteEvent, SisEvent, ShadowEvent, ShadowMode } from '../../emulator/src/events.ts';
import { aboveLimit, DivergenceSeries, rateOf, type SeriesData } from '../lib/shadow-series.ts';
import type { MachineSession } from './machine.svelte.ts';
import type { ErrorLog } from './errors.svelte.ts';

export const SHADOW_MODES = ['log', 'compare', 'canary10', 'canary100'] as const;
const THRESHOLD_MAX = 1_000_000;
const DEFAULT_THRESHOLD = 50;

export class ShadowAgentView {
  /** The version in shadow, null when none (after a disable, an abort, a promotion or a boot). */
  version = $state<string | null>(null);
  mode = $state<ShadowMode>('off');
  threshold = $state(DEFAULT_THRESHOLD);
  predictions = $state(0);
  compared = $state(0);
  divergences = $state(0);
  canary = $state(0);
  /** The version the chart's series belongs to (it stays after the trial ends). */
  seriesVersion = $state<string | null>(null);
  /** The chart's columns; replaced as a whole on each decision, so the chart redraws from one value. */
  data = $state.raw<SeriesData>(new DivergenceSeries().data());
  lastAbort = $state.raw<AbortEvent | null>(null);
  lastPromote = $state.raw<PromoteEvent | null>(null);
  /** The promote button is waiting for the user to confirm a forced promotion. */
  confirming = $state(false);

  private readonly series = new DivergenceSeries();

  constructor(
    private readonly machine: MachineSession,
    private readonly errors: ErrorLog,
  ) {}

  get rate(): number {
    return rateOf(this.compared, this.divergences);
  }

  /** A plain `shadowctl promote` would be refused for the rate (the kernel's 10% rule). */
  get needsForce(): boolean {
    return aboveLimit(this.compared, this.divergences);
  }

  onEvent(e: SisEvent): void {
    switch (e.t) {
      case 'boot':
        // A shadow does not survive a reboot (its counts are in memory).
        this.clearAgent();
        this.series.reset();
        this.seriesVersion = null;
        this.publish();
        break;
      case 'shadow':
        this.onShadow(e as ShadowEvent);
        break;
      case 'decision':
        this.onDecision(e as DecisionEvent);
        break;
      case 'abort': {
        const a = e as AbortEvent;
        this.lastAbort = a;
        this.compared = a.compared;
        this.divergences = a.divergences;
        this.clearAgent();
        break;
      }
      case 'promote':
        this.lastPromote = e as PromoteEvent;
        this.clearAgent();
        break;
    }
  }

  private onShadow(e: ShadowEvent): void {
    if (e.op === 'enable') {
      // A new trial: a new series, and the previous abort no longer applies to it.
      this.series.reset();
      this.seriesVersion = e.version;
      this.publish();
      if (this.lastAbort?.version === e.version) this.lastAbort = null;
    }
    this.threshold = e.threshold;
    this.predictions = e.predictions;
    this.compared = e.compared;
    this.divergences = e.divergences;
    this.canary = e.canary;
    if (e.op === 'disable') {
      this.clearAgent();
    } else {
      this.version = e.version;
      this.mode = e.mode;
    }
  }

  private onDecision(e: DecisionEvent): void {
    const s = e.shadow;
    if (!s) return;
    // The decision that fired an abort is sent after the abort event: it is
    // charted, but it must not bring the aborted shadow back as the current one.
    if (s.version === this.version) {
      this.mode = s.mode;
      this.predictions++;
      this.compared = s.compared;
      this.divergences = s.divergences;
      if (s.canary) this.canary++;
    }
    if (this.seriesVersion !== s.version) {
      this.series.reset();
      this.seriesVersion = s.version;
    }
    try {
      this.series.push({ ts_us: e.ts_us, id: e.id, counted: s.counted, diverged: s.diverged, compared: s.compared, divergences: s.divergences }, this.threshold);
    } catch (err) {
      this.errors.report('charting the shadow divergence', err);
      return;
    }
    this.publish();
  }

  private clearAgent(): void {
    this.version = null;
    this.mode = 'off';
    this.confirming = false;
  }

  private publish(): void {
    this.data = this.series.data();
  }

  // ---- actions: each types its command, so the terminal shows it run ----

  enable(version: string): void {
    if (!version) {
      this.errors.report('enabling a shadow', new Error('choose a version from the registry first'));
      return;
    }
    this.machine.type(`shadowctl enable ${version}`);
  }

  setMode(mode: string): void {
    if (!(SHADOW_MODES as readonly string[]).includes(mode)) {
      this.errors.report('setting the shadow mode', new Error(`"${mode}" is not one of ${SHADOW_MODES.join(', ')}`));
      return;
    }
    this.machine.type(`shadowctl mode ${mode}`);
  }

  /** Checks the threshold as the kernel does (an integer 1..1000000) before typing it. */
  setThreshold(text: string): boolean {
    const t = text.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > THRESHOLD_MAX) {
      this.errors.report('setting the abort threshold', new Error(`"${text}" is not a whole number from 1 to ${THRESHOLD_MAX}`));
      return false;
    }
    this.machine.type(`shadowctl threshold ${Number(t)}`);
    return true;
  }

  disable(): void {
    this.machine.type('shadowctl disable');
  }

  status(): void {
    this.machine.type('shadowctl status');
  }

  /** Above the 10% limit, asks in the page first (confirmPromote types --force); below, promotes. */
  promote(): void {
    if (this.needsForce) {
      this.confirming = true;
      return;
    }
    this.machine.type('shadowctl promote');
  }

  confirmPromote(): void {
    if (!this.confirming) return;
    this.confirming = false;
    this.machine.type('shadowctl promote --force');
  }

  cancelPromote(): void {
    this.confirming = false;
  }
}

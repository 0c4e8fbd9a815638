// The decision-trace ring as the dashboard shows it. The ring's slots come
// from `decision` events (each a summary of one trace, in the slot the
// kernel keeps it in); everything else is asked of the kernel by typing its
// command into the shell and reading the answer from the event console
// (docs/EVENTS.md) or, for files, from the system disk after the kernel has
// flushed them:
//   whole trace  `tracectl show ID --json`   -> `trace` event
//   good/bad     `tracectl annotate ID L N`  -> `annotation` event, then the line read from /feedback
//   replay       `tracectl replay ID V`      -> `replay` event
//   bundle       `tracectl export ...`       -> `incident` event, then /incidents/INC-....json read and downloaded
import type { AnnotationEvent, DecisionEvent, IncidentEvent, ReplayEvent, SisEvent, TraceEvent, TraceRecord } from '../../emulator/src/events.ts';
import { exportArguments, firstHeld, RING_SLOTS, slotOf } from '../lib/ring-layout.ts';
import type { SystemDisk } from './disk.svelte.ts';
import type { MachineSession } from './machine.svelte.ts';

/** One slot as a `decision` event described it. */
export interface SlotTrace {
  id: number;
  model: string;
  action: DecisionEvent['action'];
  confidence: number;
  executed: DecisionEvent['executed'];
  overridden: boolean;
  /** "policy:NAME", "safe_mode", or null. */
  reason: string | null;
  health: number;
  /** Known one decision later (the next event's prev_reward). */
  reward: number | null;
}

export interface Annotation {
  label: 'good' | 'bad';
  note: string;
}

export interface ExportResult {
  id: string;
  path: string;
  fileName: string;
  traceIds: number[];
  bytes: number;
}

/** How long the panel waits for the kernel's answer before saying it has none. */
export const ANSWER_TIMEOUT_MS = 60_000;
/** Where the kernel appends annotations (docs/PHASE7-AI-OPERATIONS.md, Feedback and replay). */
export const ANNOTATIONS_FILE = '/feedback/annotations.jsonl';
/** The ring is redrawn at most this often (ms). */
export const DRAW_MS = 100;

type Waiter = { match: (e: SisEvent) => boolean; resolve: (e: SisEvent) => void };

export class TraceRing {
  /** slots[k] is the trace in kernel slot k, or null (empty, or not seen by this page). */
  slots = $state<(SlotTrace | null)[]>(Array(RING_SLOTS).fill(null));
  /** The newest trace id seen this boot (0: none yet). */
  newest = $state(0);
  /** Trace ids picked for an incident bundle. */
  selected = $state<number[]>([]);
  /** This boot's annotations, by trace id (confirmed on the disk). */
  annotations = $state<Record<number, Annotation>>({});

  /** The trace shown in full, and what is happening to it. */
  detail = $state.raw<TraceRecord | null>(null);
  /** Lines of /feedback/annotations.jsonl for the shown trace (any boot: matched by id and timestamp). */
  detailAnnotations = $state<Annotation[]>([]);
  replay = $state.raw<ReplayEvent | null>(null);
  busy = $state<string | null>(null);
  /** The panel's own refusals and the kernel's, in words. */
  problem = $state<string | null>(null);
  lastExport = $state<ExportResult | null>(null);

  private waiters: Waiter[] = [];
  /**
   * Decisions not drawn yet. At the loop's fastest (a decision every 10 ms)
   * redrawing per event would keep the page busy, so they are applied
   * together at most every DRAW_MS.
   */
  private undrawn: DecisionEvent[] = [];
  private drawTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly machine: MachineSession,
    private readonly disk: SystemDisk,
  ) {}

  /** The lowest id the kernel can still hold (it may hold fewer after `tracectl clear`). */
  get first(): number {
    return firstHeld(this.newest);
  }

  get held(): number {
    return this.newest ? this.newest - this.first + 1 : 0;
  }

  /** The trace id in slot k, or null. */
  idAt(slot: number): number | null {
    return this.slots[slot]?.id ?? null;
  }

  onEvent(e: SisEvent): void {
    if (e.t === 'boot') this.reset();
    if (e.t === 'decision') {
      this.undrawn.push(e as DecisionEvent);
      this.drawTimer ??= setTimeout(() => this.draw(), DRAW_MS);
    }
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(e);
      }
    }
  }

  /** Applies the decisions received since the last draw (also before anything reads the slots). */
  draw(): void {
    if (this.drawTimer) clearTimeout(this.drawTimer);
    this.drawTimer = null;
    const batch = this.undrawn;
    this.undrawn = [];
    for (const e of batch) this.onDecision(e);
  }

  private onDecision(e: DecisionEvent): void {
    // ids restart at 1 every boot: a lower id than the newest means a new boot we did not see begin
    if (e.id < this.newest) this.reset();
    this.slots[slotOf(e.id)] = {
      id: e.id, model: e.model, action: e.action, confidence: e.confidence, executed: e.executed,
      overridden: e.overridden, reason: e.reason, health: e.health, reward: null,
    };
    if (e.prev_id !== undefined) {
      const prev = this.slots[slotOf(e.prev_id)];
      if (prev && prev.id === e.prev_id) prev.reward = e.prev_reward ?? null;
    }
    this.newest = e.id;
    // a selected trace the ring has overwritten can no longer be exported
    if (this.selected.some((id) => id < this.first)) this.selected = this.selected.filter((id) => id >= this.first);
  }

  /** A new boot: the kernel's ring is empty and its ids start again. */
  reset(): void {
    if (this.drawTimer) clearTimeout(this.drawTimer);
    this.drawTimer = null;
    this.undrawn = [];
    this.slots = Array(RING_SLOTS).fill(null);
    this.newest = 0;
    this.selected = [];
    this.annotations = {};
    this.detail = null;
    this.detailAnnotations = [];
    this.replay = null;
    this.problem = null;
  }

  toggleSelected(id: number): void {
    if (this.selected.includes(id)) this.selected = this.selected.filter((x) => x !== id);
    else this.selected = [...this.selected, id].sort((a, b) => a - b);
  }

  clearSelection(): void {
    this.selected = [];
  }

  /** Resolves with the first event `match` accepts from now on, or rejects after the timeout. */
  private answer<T extends SisEvent>(what: string, match: (e: SisEvent) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = { match, resolve: (e) => { clearTimeout(timer); resolve(e as T); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no answer from the kernel to ${what} after ${ANSWER_TIMEOUT_MS / 1000} s (see the terminal)`));
      }, ANSWER_TIMEOUT_MS);
      this.waiters.push(w);
    });
  }

  /** Types a command and waits for its answer event; null (with the problem set) when it cannot run. */
  private async ask<T extends SisEvent>(command: string, match: (e: SisEvent) => boolean): Promise<T | null> {
    if (this.machine.power !== 'running') {
      this.problem = 'the machine is not at its prompt: power it on (or resume it) first';
      return null;
    }
    const reply = this.answer<T>(`"${command}"`, match);
    this.machine.type(command);
    return reply;
  }

  private async run<T>(what: string, job: () => Promise<T>): Promise<T | undefined> {
    this.draw();
    if (this.busy) {
      this.problem = `wait: ${this.busy} is still running`;
      return undefined;
    }
    this.busy = what;
    this.problem = null;
    try {
      return await job();
    } catch (e) {
      this.problem = (e as Error).message;
      return undefined;
    } finally {
      this.busy = null;
    }
  }

  /** Shows trace `id` in full: `tracectl show ID --json`, answered by a `trace` event. */
  show(id: number): Promise<void> {
    return this.run(`showing trace ${id}`, async () => {
      this.detail = null;
      this.replay = null;
      this.detailAnnotations = [];
      const e = await this.ask<TraceEvent>(`tracectl show ${id} --json`, (x) => x.t === 'trace' && (x as TraceEvent).id === id);
      if (!e) return;
      if (!e.ok || !e.trace) {
        // e.g. a trace the ring overwrote, or one `tracectl clear` dropped: not shown as if it were there
        const slot = this.slots[slotOf(id)];
        if (slot?.id === id && /not in the ring/.test(e.error ?? '')) this.slots[slotOf(id)] = null;
        this.selected = this.selected.filter((x) => x !== id);
        throw new Error(e.error ?? `trace ${id}: refused`);
      }
      this.detail = e.trace;
      this.detailAnnotations = this.readAnnotations(e.trace);
    }) as Promise<void>;
  }

  /** The annotation lines of this very trace (same id and timestamp: ids repeat across boots). */
  private readAnnotations(t: TraceRecord): Annotation[] {
    let text: string;
    try {
      const r = this.disk.reader();
      if (!r.exists(ANNOTATIONS_FILE)) return [];
      text = r.readText(ANNOTATIONS_FILE);
    } catch {
      return [];
    }
    const out: Annotation[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const a = JSON.parse(line) as { trace_id: number; timestamp_us: number; label: 'good' | 'bad'; note: string };
        if (a.trace_id === t.trace_id && a.timestamp_us === t.timestamp_us) out.push({ label: a.label, note: a.note });
      } catch {
        /* the kernel writes whole lines; a torn last line after a power cut is simply skipped */
      }
    }
    return out;
  }

  /**
   * Marks trace `id` good or bad: `tracectl annotate ID LABEL NOTE`. The
   * shell splits words on blanks and takes no quotes, so the note is one
   * line of printable text (blanks collapse to one space).
   */
  annotate(id: number, label: 'good' | 'bad', note: string): Promise<void> {
    return this.run(`annotating trace ${id}`, async () => {
      const words = note.trim().split(/\s+/).filter((w) => w);
      const clean = words.join(' ');
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x1f\x7f]/.test(clean)) throw new Error('the note must be printable text on one line');
      if (new TextEncoder().encode(clean).length > 199) throw new Error('the note is longer than the kernel keeps (199 bytes)');
      if (words.length > 12) throw new Error(`the note has ${words.length} words; the shell passes at most 12 after "tracectl annotate ID LABEL"`);
      const cmd = `tracectl annotate ${id} ${label}${clean ? ' ' + clean : ''}`;
      const e = await this.ask<AnnotationEvent>(cmd, (x) => x.t === 'annotation' && (x as AnnotationEvent).id === id);
      if (!e) return;
      if (!e.ok) throw new Error(e.error ?? `annotating trace ${id}: refused`);
      // The event comes after the journal commit: the line is on the disk, at e.offset.
      const line = await this.readLineAt(e.path ?? ANNOTATIONS_FILE, e.offset ?? 0);
      if (line.trace_id !== id || line.label !== label) {
        throw new Error(`${e.path} at ${e.offset} holds ${JSON.stringify(line).slice(0, 120)}, not the annotation of trace ${id}`);
      }
      this.annotations = { ...this.annotations, [id]: { label, note: line.note } };
      if (this.detail?.trace_id === id) this.detailAnnotations = this.readAnnotations(this.detail);
    }) as Promise<void>;
  }

  /** Reads one JSON line of a file on the system disk, waiting for the flush that brings it. */
  private async readLineAt(path: string, offset: number): Promise<{ trace_id: number; label: string; note: string }> {
    const bytes = await this.readFlushed(path, (b) => b.length > offset && b.indexOf(10, offset) > offset);
    const end = bytes.indexOf(10, offset);
    return JSON.parse(new TextDecoder().decode(bytes.subarray(offset, end)));
  }

  /**
   * A file from the mirrored system disk once `complete` accepts it. The
   * kernel flushes (VIRTIO_BLK FLUSH) before it sends the event announcing
   * the file, and the worker hands the flushed blocks over before the event,
   * so the first read normally has it; if it does not, wait for the next
   * flushes (at most 10 s) rather than read a half-written file.
   */
  private async readFlushed(path: string, complete: (b: Uint8Array) => boolean): Promise<Uint8Array> {
    const deadline = Date.now() + 10_000;
    let why = '';
    for (;;) {
      const gen = this.disk.generation;
      try {
        const r = this.disk.reader();
        if (r.exists(path)) {
          const b = r.readFile(path);
          if (complete(b)) return b;
          why = `${path} on the disk is incomplete (${b.length} bytes)`;
        } else {
          why = `${path} is not on the disk`;
        }
      } catch (e) {
        why = `reading ${path} from the disk: ${(e as Error).message}`;
      }
      if (Date.now() > deadline) throw new Error(`${why}, 10 s after the kernel announced it`);
      while (this.disk.generation === gen && Date.now() <= deadline) await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Replays trace `id` on `version` (a registry version or "reference"): `tracectl replay ID VERSION`. */
  replayOn(id: number, version: string): Promise<void> {
    return this.run(`replaying trace ${id}`, async () => {
      if (!/^[A-Za-z0-9._-]{1,48}$/.test(version)) throw new Error(`'${version}' is not a model version`);
      this.replay = null;
      const e = await this.ask<ReplayEvent>(`tracectl replay ${id} ${version}`, (x) => x.t === 'replay' && (x as ReplayEvent).id === id);
      if (!e) return;
      if (!e.ok) throw new Error(e.error ?? `replaying trace ${id}: refused`);
      this.replay = e;
    }) as Promise<void>;
  }

  /**
   * Exports the selected traces as an incident bundle and downloads the file
   * the kernel wrote. Refused, typing nothing, when the selection is empty,
   * too large, or holds traces the ring no longer has.
   */
  exportSelected(): Promise<ExportResult | undefined> {
    return this.run('exporting an incident bundle', async () => {
      const ids = [...this.selected];
      const gone = ids.filter((id) => id < this.first || this.slots[slotOf(id)]?.id !== id);
      if (gone.length) throw new Error(`trace ${gone.join(', ')} ${gone.length > 1 ? 'are' : 'is'} no longer in the ring: deselect ${gone.length > 1 ? 'them' : 'it'}`);
      const args = exportArguments(ids);
      const e = await this.ask<IncidentEvent>(`tracectl export ${args.join(' ')}`, (x) => x.t === 'incident');
      if (!e) return undefined;
      if (e.result !== 'written') throw new Error(`the kernel dropped the bundle ${e.id || '(unnumbered)'}: ${e.error ?? 'no reason given'}`);
      const bytes = await this.readFlushed(e.path, (b) => b.length === e.bytes);
      const bundle = JSON.parse(new TextDecoder().decode(bytes)) as { incident_id?: string; traces?: { trace_id: number }[] };
      if (bundle.incident_id !== e.id) throw new Error(`${e.path} holds incident ${bundle.incident_id}, not ${e.id}`);
      const fileName = e.path.slice(e.path.lastIndexOf('/') + 1);
      download(bytes, fileName);
      const result = { id: e.id, path: e.path, fileName, traceIds: (bundle.traces ?? []).map((t) => t.trace_id), bytes: bytes.length };
      this.lastExport = result;
      return result;
    });
  }
}

/** Saves bytes as a file the browser downloads. */
function download(bytes: Uint8Array, name: string): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

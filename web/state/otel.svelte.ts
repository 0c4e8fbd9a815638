// The OpenTelemetry view: every batch the kernel exported (`otel_batch`
// events) and, when the user gave a collector endpoint, its delivery there.
//
// The batch file is read from the mirrored system disk at the moment its
// event arrives: the kernel commits the file before it sends the event, and
// the worker posts the disk's FLUSH before the event (both in guest order),
// so the blocks are in the mirror already. Reading at once also keeps the
// bytes even if retention later removes the file while a retry waits.
// The endpoint is kept in localStorage (one short string; no need for the
// IndexedDB store the disk uses).
import type { OtelBatchEvent, SisEvent } from '../../emulator/src/events.ts';
import { DEFAULT_POLICY, forwardBatch, normalizeEndpoint, type Delivery, type ForwardDeps, type RetryPolicy } from '../lib/otlp-forward.ts';
import type { SystemDisk } from './disk.svelte.ts';

export const ENDPOINT_KEY = 'sis-otlp-endpoint';
/** Rows kept in the table (the kernel keeps at most 64 files anyway). */
const KEEP = 200;

export interface BatchRow {
  /** Row key: events seen this page load, from 1. */
  n: number;
  event: OtelBatchEvent;
  /** null: not forwarded (no endpoint when it came, or the kernel dropped it). */
  delivery: Delivery | null;
  /** The endpoint it went (or goes) to. */
  endpoint: string | null;
}

export class OtelView {
  batches = $state<BatchRow[]>([]);
  endpoint = $state<string | null>(null);
  endpointError = $state<string | null>(null);
  spansWritten = $state(0);
  droppedTotal = $state(0);
  private next = 1;

  constructor(
    private readonly disk: SystemDisk,
    private readonly deps: ForwardDeps = browserDeps(),
    private readonly policy: RetryPolicy = DEFAULT_POLICY,
  ) {
    try {
      const stored = globalThis.localStorage?.getItem(ENDPOINT_KEY);
      if (stored) this.endpoint = normalizeEndpoint(stored);
    } catch {
      /* a stored value that no longer parses is ignored; the field shows empty */
    }
  }

  /** Sets (or with an empty text, clears) the collector endpoint. Bad input changes nothing. */
  setEndpoint(text: string): void {
    if (!text.trim()) {
      this.endpoint = null;
      this.endpointError = null;
      globalThis.localStorage?.removeItem(ENDPOINT_KEY);
      return;
    }
    try {
      const e = normalizeEndpoint(text);
      this.endpoint = e;
      this.endpointError = null;
      globalThis.localStorage?.setItem(ENDPOINT_KEY, e);
    } catch (err) {
      this.endpointError = (err as Error).message;
    }
  }

  onEvent(e: SisEvent): void {
    if (e.t !== 'otel_batch') return;
    const ev = e as OtelBatchEvent;
    this.droppedTotal = ev.dropped_total;
    if (ev.ok) this.spansWritten += ev.spans;
    const row: BatchRow = { n: this.next++, event: ev, delivery: null, endpoint: null };
    this.batches = [row, ...this.batches].slice(0, KEEP);
    if (ev.ok && this.endpoint) this.send(row.n);
  }

  /** Forwards one batch (again): reads its file from the mirrored disk now. */
  send(n: number): void {
    const endpoint = this.endpoint;
    const row = this.batches.find((b) => b.n === n);
    if (!row || !endpoint) return;
    const file = row.event.file;
    if (!row.event.ok || !file || inFlight(row.delivery)) return;
    let body: string;
    try {
      body = this.disk.reader().readText(file);
    } catch (e) {
      this.update(n, { state: 'failed', attempt: 0, reason: `cannot read ${file} from the mirrored disk: ${(e as Error).message}` }, endpoint);
      return;
    }
    this.update(n, { state: 'pending' }, endpoint);
    void forwardBatch(body, endpoint, this.deps, (d) => this.update(n, d, endpoint), this.policy);
  }

  private update(n: number, d: Delivery, endpoint: string): void {
    this.batches = this.batches.map((b) => (b.n === n ? { ...b, delivery: d, endpoint } : b));
  }
}

/** A delivery still running (a second one for the same batch would race it). */
export function inFlight(d: Delivery | null): boolean {
  return d !== null && (d.state === 'pending' || d.state === 'sending' || d.state === 'retrying');
}

function browserDeps(): ForwardDeps {
  return {
    fetch: (url, init) => fetch(url, init),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    origin: globalThis.location?.origin ?? '',
  };
}

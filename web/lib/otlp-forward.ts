// Forwarding the kernel's OTLP/JSON batches to a collector over OTLP/HTTP
// (POST {endpoint}/v1/traces, content-type application/json), from the page.
//
// The kernel never talks to the network: it writes /otel/batch-N.json and
// sends an `otel_batch` event; the dashboard reads the file from the mirrored
// disk and posts it. What may happen on the way, and what we do:
// - 2xx: delivered (a `partialSuccess` with rejected spans is reported, not retried:
//   the OTLP spec says the collector has already decided about those spans);
// - 429, 502, 503, 504: retried with exponential backoff, a bounded number of
//   attempts; a Retry-After on 429/503 replaces the computed delay (bounded too);
// - any other status: the collector refused the batch; its body says why, and
//   sending the same bytes again would be refused again, so no retry;
// - fetch rejects with a TypeError: the browser got no response it may show
//   the page - the collector is down or unreachable, or (most often for a
//   collector that works from curl) CORS stopped it. The browser does not say
//   which, so it is retried like a 503 and then reported with both causes and
//   the headers a collector must send.
// Time is injected (sleep, now) so the tests run the schedule without waiting.

export interface ResponseLike {
  status: number;
  statusText?: string;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<ResponseLike>;

export interface ForwardDeps {
  fetch: FetchLike;
  sleep(ms: number): Promise<void>;
  /** Wall clock in ms (for a Retry-After given as an HTTP date). */
  now(): number;
  /** The page's origin, for the CORS advice. */
  origin: string;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay after the first failed attempt; each further one multiplies it by `factor`. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is cut to it (a collector asking for an hour would stall the page). */
  maxRetryAfterMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** The statuses OTLP/HTTP says a client should retry. */
export const RETRYABLE = new Set([429, 502, 503, 504]);

export type Delivery =
  | { state: 'pending' }
  | { state: 'sending'; attempt: number }
  | { state: 'retrying'; attempt: number; nextDelayMs: number; reason: string }
  | { state: 'delivered'; attempt: number; status: number; rejectedSpans: number; note: string | null }
  | { state: 'failed'; attempt: number; reason: string };

/** The delay after failed attempt `attempt` (1-based): initial * factor^(attempt-1), at most maxDelayMs. */
export function backoffDelay(attempt: number, policy: RetryPolicy = DEFAULT_POLICY): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoffDelay: attempt ${attempt}`);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
}

/** The whole schedule of delays a batch that keeps failing waits through (maxAttempts - 1 of them). */
export function backoffSchedule(policy: RetryPolicy = DEFAULT_POLICY): number[] {
  return Array.from({ length: policy.maxAttempts - 1 }, (_, i) => backoffDelay(i + 1, policy));
}

/**
 * Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP date. Returns ms
 * from now (0 for a date in the past), or null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date always names the weekday and GMT; Date.parse alone would accept "3".
  if (/^[A-Za-z]{3},? .*GMT$/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return Math.max(0, t - nowMs);
  }
  return null;
}

/**
 * The collector's base URL as typed: http(s), no query or fragment, without
 * a trailing slash. The dashboard appends /v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT
 * is used; a URL that already ends in /v1/traces would be posted to
 * /v1/traces/v1/traces, so it is refused with the fix.
 */
export function normalizeEndpoint(text: string): string {
  const t = text.trim();
  if (!t) throw new Error('the endpoint is empty');
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    throw new Error(`"${t}" is not a URL (want e.g. http://localhost:4318)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`"${t}": only http and https collectors (OTLP/HTTP) are supported`);
  if (u.search || u.hash) throw new Error(`"${t}": no query or fragment, just the collector's base URL`);
  if (u.username || u.password) throw new Error(`"${t}": credentials in the URL would be kept in this browser's storage: use a collector without them`);
  const base = (u.origin + u.pathname).replace(/\/+$/, '');
  if (/\/v1\/traces$/.test(base)) throw new Error(`"${t}": give the base URL without /v1/traces (the dashboard adds it): ${base.replace(/\/v1\/traces$/, '')}`);
  return base;
}

export function tracesUrl(endpoint: string): string {
  return `${endpoint}/v1/traces`;
}

/** What to tell the user when fetch rejected with a TypeError. */
export function blockedMessage(url: string, origin: string, detail: string): string {
  return `the browser blocked the request to ${url} (${detail}): most likely CORS - the collector must answer the preflight ` +
    `(OPTIONS) and the POST with "Access-Control-Allow-Origin: ${origin}" (or *) and "Access-Control-Allow-Headers: content-type"; ` +
    'otherwise the collector is not reachable from this browser (down, wrong port, or http from an https page)';
}

/** Checks the body is an OTLP/JSON ExportTraceServiceRequest before it leaves the page; returns its span count. */
export function checkOtlpJson(body: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const rs = (doc as { resourceSpans?: unknown }).resourceSpans;
  if (!Array.isArray(rs)) throw new Error('not OTLP/JSON: no resourceSpans array');
  let spans = 0;
  for (const r of rs) {
    for (const s of (r as { scopeSpans?: { spans?: unknown[] }[] }).scopeSpans ?? []) spans += s.spans?.length ?? 0;
  }
  return spans;
}

function clip(s: string, n = 300): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}...` : one;
}

/** The collector's 2xx body: an ExportTraceServiceResponse, maybe with partialSuccess. */
function partialSuccess(text: string): { rejected: number; message: string | null } {
  if (!text.trim()) return { rejected: 0, message: null };
  try {
    const p = (JSON.parse(text) as { partialSuccess?: { rejectedSpans?: number | string; errorMessage?: string } }).partialSuccess;
    const rejected = Number(p?.rejectedSpans ?? 0);
    return { rejected: Number.isFinite(rejected) ? rejected : 0, message: p?.errorMessage || null };
  } catch {
    return { rejected: 0, message: null }; // a collector that answers 200 with text delivered the batch all the same
  }
}

/**
 * Posts one batch, retrying as described at the top. `onStatus` sees every
 * state change; the final state is also returned. Never throws.
 */
export async function forwardBatch(body: string, endpoint: string, deps: ForwardDeps, onStatus: (d: Delivery) => void,
  policy: RetryPolicy = DEFAULT_POLICY): Promise<Delivery> {
  const finish = (d: Delivery): Delivery => {
    onStatus(d);
    return d;
  };
  try {
    checkOtlpJson(body);
  } catch (e) {
    return finish({ state: 'failed', attempt: 0, reason: `the batch file is ${(e as Error).message}` });
  }
  const url = tracesUrl(endpoint);
  for (let attempt = 1; ; attempt++) {
    onStatus({ state: 'sending', attempt });
    let reason = '';
    let retryAfter: number | null = null;
    let res: ResponseLike | null = null;
    try {
      res = await deps.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch (e) {
      const err = e as Error;
      if (err?.name !== 'TypeError') return finish({ state: 'failed', attempt, reason: `sending failed: ${err?.message ?? String(e)}` });
      reason = blockedMessage(url, deps.origin, err.message);
    }
    if (res) {
      let text = '';
      try {
        text = await res.text();
      } catch {
        /* the status is what matters; an unreadable body is reported as empty */
      }
      if (res.status >= 200 && res.status < 300) {
        const p = partialSuccess(text);
        const note = p.rejected > 0 ? `the collector rejected ${p.rejected} spans${p.message ? `: ${clip(p.message)}` : ''}` : p.message ? clip(p.message) : null;
        return finish({ state: 'delivered', attempt, status: res.status, rejectedSpans: p.rejected, note });
      }
      const what = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${text.trim() ? `: ${clip(text)}` : ' (no body)'}`;
      if (!RETRYABLE.has(res.status)) return finish({ state: 'failed', attempt, reason: `the collector refused the batch: ${what}` });
      reason = `the collector is busy or unavailable: ${what}`;
      if (res.status === 429 || res.status === 503) retryAfter = parseRetryAfter(res.headers.get('retry-after'), deps.now());
    }
    if (attempt >= policy.maxAttempts) return finish({ state: 'failed', attempt, reason: `${reason} (gave up after ${attempt} attempts)` });
    const delay = retryAfter !== null ? Math.min(retryAfter, policy.maxRetryAfterMs) : backoffDelay(attempt, policy);
    onStatus({ state: 'retrying', attempt, nextDelayMs: delay, reason });
    await deps.sleep(delay);
  }
}

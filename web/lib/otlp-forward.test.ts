// The forwarder against a fake fetch and a fake clock: what is sent, the
// backoff schedule, Retry-After, and the words a user reads for each failure.
import { describe, expect, it } from 'vitest';
import {
  backoffDelay, backoffSchedule, checkOtlpJson, DEFAULT_POLICY, forwardBatch, normalizeEndpoint, parseRetryAfter,
  type Delivery, type FetchLike, type ResponseLike,
} from './otlp-forward.ts';

const BODY = JSON.stringify({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: 'sis.autonomy' }, spans: [{ name: 'a' }, { name: 'b' }] }] }] });

function reply(status: number, body = '', headers: Record<string, string> = {}): ResponseLike {
  return { status, ok: status >= 200 && status < 300, statusText: '', headers: { get: (n) => headers[n.toLowerCase()] ?? null }, text: async () => body };
}

/** A fake fetch answering from a script (a response, or an error to throw), recording each call. */
function script(steps: (ResponseLike | Error)[]) {
  const calls: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  const sleeps: number[] = [];
  const states: Delivery[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const s = steps.shift();
    if (!s) throw new Error('fetch called more often than scripted');
    if (s instanceof Error) throw s;
    return s;
  };
  const deps = { fetch, sleep: async (ms: number) => void sleeps.push(ms), now: () => Date.parse('2026-12-02T03:00:00Z'), origin: 'http://127.0.0.1:5173' };
  return { calls, sleeps, states, deps, onStatus: (d: Delivery) => void states.push(d) };
}

describe('backoff', () => {
  it('doubles from 1 s, capped at 30 s; 5 attempts wait 4 times', () => {
    expect(backoffSchedule()).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(6)).toBe(30_000);
    expect(backoffDelay(20)).toBe(30_000);
    expect(backoffSchedule({ ...DEFAULT_POLICY, maxAttempts: 3, initialDelayMs: 500, factor: 3 })).toEqual([500, 1500]);
    expect(() => backoffDelay(0)).toThrow(/attempt 0/);
  });

  it('Retry-After: seconds, an HTTP date, or nothing usable', () => {
    const now = Date.parse('2026-12-02T03:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 02 Dec 2026 03:00:12 GMT', now)).toBe(12_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 02:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-3', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
  });
});

describe('the endpoint field', () => {
  it('keeps a base URL, drops a trailing slash', () => {
    expect(normalizeEndpoint(' http://localhost:4318/ ')).toBe('http://localhost:4318');
    expect(normalizeEndpoint('https://otel.example.org/collector')).toBe('https://otel.example.org/collector');
  });
  it('refuses what would not work, saying why', () => {
    expect(() => normalizeEndpoint('')).toThrow('the endpoint is empty');
    expect(() => normalizeEndpoint('localhost:4318')).toThrow(/only http and https/);
    expect(() => normalizeEndpoint('collector')).toThrow(/is not a URL/);
    expect(() => normalizeEndpoint('ftp://x')).toThrow(/only http and https/);
    expect(() => normalizeEndpoint('http://x:4318/v1/traces')).toThrow(/without \/v1\/traces .*http:\/\/x:4318$/);
    expect(() => normalizeEndpoint('http://x:4318/?a=1')).toThrow(/no query/);
    expect(() => normalizeEndpoint('http://u:p@x:4318')).toThrow(/credentials/);
  });
});

describe('checkOtlpJson', () => {
  it('counts spans and refuses what is not OTLP/JSON', () => {
    expect(checkOtlpJson(BODY)).toBe(2);
    expect(() => checkOtlpJson('{"resourceSpans":')).toThrow(/not JSON/);
    expect(() => checkOtlpJson('{"spans":[]}')).toThrow(/no resourceSpans/);
  });
});

describe('forwardBatch', () => {
  it('posts the batch as it is to ENDPOINT/v1/traces as application/json', async () => {
    const s = script([reply(200, '{}')]);
    const d = await forwardBatch(BODY, 'http://c:4318', s.deps, s.onStatus);
    expect(d).toEqual({ state: 'delivered', attempt: 1, status: 200, rejectedSpans: 0, note: null });
    expect(s.calls).toEqual([{ url: 'http://c:4318/v1/traces', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY } }]);
    expect(s.states.map((x) => x.state)).toEqual(['sending', 'delivered']);
    expect(s.sleeps).toEqual([]);
  });

  it('reports a partial success without retrying', async () => {
    const s = script([reply(200, '{"partialSuccess":{"rejectedSpans":"1","errorMessage":"span b too old"}}')]);
    const d = await forwardBatch(BODY, 'http://c', s.deps, s.onStatus);
    expect(d).toMatchObject({ state: 'delivered', rejectedSpans: 1, note: 'the collector rejected 1 spans: span b too old' });
    expect(s.calls.length).toBe(1);
  });

  it('retries 503 and 502 on the backoff schedule, then delivers', async () => {
    const s = script([reply(503), reply(502, 'bad gateway'), reply(504), reply(202)]);
    const d = await forwardBatch(BODY, 'http://c', s.deps, s.onStatus);
    expect(d).toMatchObject({ state: 'delivered', attempt: 4, status: 202 });
    expect(s.sleeps).toEqual([1000, 2000, 4000]);
    const retries = s.states.filter((x) => x.state === 'retrying');
    expect(retries.map((x) => [x.state === 'retrying' && x.attempt, x.state === 'retrying' && x.nextDelayMs])).toEqual([[1, 1000], [2, 2000], [3, 4000]]);
    expect(retries[1]).toMatchObject({ reason: 'the collector is busy or unavailable: HTTP 502: bad gateway' });
  });

  it('honours Retry-After on 429 and 503 (seconds or a date), bounded; not on 502', async () => {
    const s = script([reply(429, '', { 'retry-after': '7' }), reply(503, '', { 'retry-after': 'Wed, 02 Dec 2026 03:00:03 GMT' }),
      reply(503, '', { 'retry-after': '86400' }), reply(502, '', { 'retry-after': '9' }), reply(200)]);
    await forwardBatch(BODY, 'http://c', s.deps, s.onStatus);
    expect(s.sleeps).toEqual([7000, 3000, DEFAULT_POLICY.maxRetryAfterMs, 8000]);
  });

  it('gives up after maxAttempts, saying so', async () => {
    const s = script([reply(503), reply(503), reply(503), reply(503), reply(503)]);
    const d = await forwardBatch(BODY, 'http://c', s.deps, s.onStatus);
    expect(d).toEqual({ state: 'failed', attempt: 5, reason: 'the collector is busy or unavailable: HTTP 503 (no body) (gave up after 5 attempts)' });
    expect(s.sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(s.calls.length).toBe(5);
  });

  it('a refusal (4xx, 500) is final and quotes the collector', async () => {
    const s = script([reply(400, 'invalid span id\n in span 3')]);
    const d = await forwardBatch(BODY, 'http://c', s.deps, s.onStatus);
    expect(d).toEqual({ state: 'failed', attempt: 1, reason: 'the collector refused the batch: HTTP 400: invalid span id in span 3' });
    const s2 = script([reply(500, 'boom')]);
    expect(await forwardBatch(BODY, 'http://c', s2.deps, s2.onStatus)).toMatchObject({ state: 'failed', reason: /HTTP 500: boom/ });
    expect(s.sleeps.concat(s2.sleeps)).toEqual([]);
  });

  it('a TypeError (CORS, unreachable) is retried, then explained with the header the collector must send', async () => {
    const blocked = () => new TypeError('Failed to fetch');
    const s = script([blocked(), blocked(), blocked(), blocked(), blocked()]);
    const d = await forwardBatch(BODY, 'http://c:4318', s.deps, s.onStatus);
    expect(d.state).toBe('failed');
    const reason = (d as { reason: string }).reason;
    expect(reason).toContain('the browser blocked the request to http://c:4318/v1/traces (Failed to fetch): most likely CORS');
    expect(reason).toContain('"Access-Control-Allow-Origin: http://127.0.0.1:5173"');
    expect(reason).toContain('Access-Control-Allow-Headers: content-type');
    expect(reason).toMatch(/gave up after 5 attempts/);
    expect(s.sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('refuses to send a batch file that is not OTLP/JSON, sending nothing', async () => {
    const s = script([]);
    const d = await forwardBatch('{"x":1}', 'http://c', s.deps, s.onStatus);
    expect(d).toEqual({ state: 'failed', attempt: 0, reason: 'the batch file is not OTLP/JSON: no resourceSpans array' });
    expect(s.calls).toEqual([]);
  });
});

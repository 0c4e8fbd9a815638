// The Drift/safe-mode and OpenTelemetry panels end to end in Debian Chromium:
// chaos on the model's inputs drives a confidence drift alert, the safe-mode
// banner appears, an action approved with the panel's button runs, and the
// banner's way out leaves safe mode; then the kernel's OTLP batches are
// forwarded from the page to collectors run here on 127.0.0.1 (another port
// than the site): one that accepts (CORS answered), one that refuses with 400,
// and one that sends no CORS header. The batches the collector receives are
// checked with the kernel tests' OTLP/JSON field-table decoder.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeOtlpJson } from '../kernel-image/tests/otlp-json.ts';
import { CHROMIUM, openSite, requireBuilt, saveFailure, type SiteSession, uartText } from './site.ts';

requireBuilt();

const BOOT_MS = 240_000;
const LOOP_MS = 240_000;

interface Received { method: string; path: string; headers: IncomingHttpHeaders; body: string }

/** A collector on 127.0.0.1: `mode` decides what it answers. */
function collector(mode: 'accept' | 'refuse' | 'no-cors', origin: string): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const cors = mode === 'no-cors' ? {} : {
    'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type',
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors).end();
      } else if (req.method === 'POST' && req.url === '/v1/traces') {
        if (mode === 'refuse') res.writeHead(400, { ...cors, 'content-type': 'text/plain' }).end('test collector: this batch is refused on purpose');
        else res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404, cors).end();
      }
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    r({ server, url: `http://127.0.0.1:${a.port}`, got });
  }));
}

describe.skipIf(!existsSync(CHROMIUM))('drift and OpenTelemetry panels in Chromium', () => {
  let session: SiteSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';
  const collectors: Server[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    session = await openSite({ viewport: { width: 1500, height: 1000 } }, pageErrors);
    ({ browser, context, page, url } = session);
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.log(`page errors: ${JSON.stringify(pageErrors)}`);
    await saveFailure(page, ctx.task.name);
  });

  afterAll(async () => {
    await session?.close();
    for (const c of collectors) c.close();
  });

  /** Types a command into the shell, as the panels' buttons do. */
  const type = (command: string) => page.evaluate((c) => (globalThis as any).sisDashboard.machine.type(c), command);
  const dash = <T>(fn: string) => page.evaluate((f) => new Function('d', `return (${f})(d)`)((globalThis as any).sisDashboard), fn) as Promise<T>;
  const decisions = () => dash<number>('(d) => d.drift.decisions');
  const events = <T>(t: string) => page.evaluate((tt) => (globalThis as any).sisDashboard.recentEvents.filter((e: { t: string }) => e.t === tt), t) as Promise<T[]>;

  it('chaos drives a drift alert: the banner appears; an approved action runs; safe off clears the banner', async () => {
    await page.goto(url);
    await expect.poll(() => page.getByTestId('power').textContent(), { timeout: BOOT_MS, interval: 500 }).toBe('running');
    expect(await page.getByTestId('safe-banner').count()).toBe(0);
    await type('autoctl interval 10');
    await type('autoctl on');
    // The first 100 decisions of v1.0.0 are its baseline; then the confidence window is judged.
    await expect.poll(() => page.getByTestId('drift-level-confidence').textContent(), { timeout: LOOP_MS, interval: 500 }).toBe('ok');
    expect(await page.getByTestId('drift-capturing').count()).toBe(0);
    expect(Number(await page.getByTestId('drift-chart-confidence').getAttribute('data-points'))).toBeGreaterThanOrEqual(100);
    // As the kernel's drift table does: a shifted latency input makes the model unsure.
    await type('chaos shift network_latency 490');
    await expect.poll(() => page.getByTestId('safe-banner').isVisible(), { timeout: LOOP_MS, interval: 500 }).toBe(true);
    expect(await page.getByTestId('safe-reason').textContent()).toMatch(/drift alert on v1\.0\.0: confidence/);
    expect(await page.getByTestId('drift-level-confidence').textContent()).toBe('alert');
    expect(await page.getByTestId('drift-status').textContent()).toBe('alert');
    // (The event log keeps only the last 200 events: at 10 ms a decision each, the panel's record is the one to read.)
    const alert = await dash<{ metric: string; level: string; baseline: number; current: number; version: string }>('(d) => d.drift.lastAlert');
    expect(alert).toMatchObject({ metric: 'confidence', level: 'alert', version: 'v1.0.0' });
    expect(alert.baseline - alert.current).toBeGreaterThan(200);
    expect(await uartText(page)).toContain('[DRIFT ALERT] drift alert on v1.0.0: confidence: entering safe mode');
    // The dashboard's own window (from decision events) must match what the kernel reported.
    await expect.poll(() => page.getByTestId('drift-check').textContent(), { timeout: 30_000 }).toMatch(/agree with the kernel's drift events \(\d+ checked\)/);

    // A load the model acts on: in safe mode its reclaims are queued, not run.
    await type('chaos off');
    await type('stress mem 7000 1024');
    await expect.poll(() => dash<number>('(d) => d.drift.pending.filter((p) => p.action === "reclaim_caches").length'), { timeout: LOOP_MS, interval: 500 }).toBeGreaterThan(0);
    await type('autoctl off');
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toMatch(/autoctl: off\r?\n/);
    const queued = await dash<{ id: number; trace_id: number; action: string }[]>('(d) => d.drift.pending.map((p) => ({ id: p.id, trace_id: p.trace_id, action: p.action }))');
    const pick = queued.filter((p) => p.action === 'reclaim_caches').at(-1)!;
    expect(await page.getByTestId(`pending-action-${pick.id}`).textContent()).toBe('reclaim_caches');
    expect(await page.getByTestId('safe-pending').textContent()).toBe(String(queued.length));
    await page.getByTestId(`approve-${pick.id}`).click();
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toMatch(new RegExp(`autoctl: approved ${pick.id} \\(trace ${pick.trace_id}\\): reclaim_caches: freed \\d+ bytes of cache`));
    await expect.poll(() => page.getByTestId(`settled-${pick.id}`).textContent(), { timeout: 30_000 }).toContain('approved');
    const approvals = await events<{ id: number; trace_id: number; result: string }>('approval');
    expect(approvals.filter((a) => a.id === pick.id)).toEqual([expect.objectContaining({ trace_id: pick.trace_id, result: 'approved' })]);
    expect(await page.getByTestId(`pending-${pick.id}`).count()).toBe(0);

    // The way out, from the banner: every queued action expires, none runs.
    const left = queued.length - 1;
    await page.getByTestId('safe-off').click();
    await expect.poll(() => page.getByTestId('safe-banner').count(), { timeout: 30_000 }).toBe(0);
    expect(await uartText(page)).toMatch(/autoctl safe off\r?\n/);
    const expired = (await events<{ id: number; result: string }>('approval')).filter((a) => a.result === 'expired' && queued.some((q) => q.id === a.id));
    expect(expired.length).toBe(left);
    expect(await dash<number>('(d) => d.drift.pending.length')).toBe(0);
    await type('stress off');
  });

  /** Runs the loop for a few decisions and flushes; returns the row number of the new ok batch. */
  async function newBatch(): Promise<{ n: number; file: string; spans: number }> {
    const before = await dash<number>('(d) => d.otel.batches.length ? d.otel.batches[0].n : 0');
    const d0 = await decisions();
    await type('autoctl on');
    await expect.poll(decisions, { timeout: LOOP_MS, interval: 300 }).toBeGreaterThan(d0 + 5);
    await type('autoctl off');
    await type('otelctl flush');
    await expect.poll(() => dash<number>('(d) => d.otel.batches.length ? d.otel.batches[0].n : 0'), { timeout: 60_000, interval: 300 }).toBeGreaterThan(before);
    const rows = await dash<{ n: number; file: string; spans: number; ok: boolean }[]>('(d) => d.otel.batches.map((b) => ({ n: b.n, file: b.event.file, spans: b.event.spans, ok: b.event.ok }))');
    const row = rows.find((r) => r.n > before && r.ok)!;
    expect(row, 'an ok batch').toBeTruthy();
    return row;
  }

  it('forwards each batch over OTLP/HTTP to a collector that answers CORS; the body is the kernel\'s batch', async () => {
    const origin = new URL(url).origin;
    const c = await collector('accept', origin);
    collectors.push(c.server);
    // Bad input: refused in words, nothing changes.
    await page.getByTestId('otlp-endpoint').fill(`${c.url}/v1/traces`);
    await page.getByTestId('otlp-save').click();
    expect(await page.getByTestId('otlp-endpoint-error').textContent()).toMatch(/without \/v1\/traces/);
    expect(await dash<string | null>('(d) => d.otel.endpoint')).toBeNull();
    await page.getByTestId('otlp-endpoint').fill(c.url);
    await page.getByTestId('otlp-save').click();
    await expect.poll(() => page.getByTestId('otlp-target').textContent()).toContain(`${c.url}/v1/traces`);
    expect(await page.evaluate(() => localStorage.getItem('sis-otlp-endpoint'))).toBe(c.url);

    const b = await newBatch();
    await expect.poll(() => page.getByTestId(`otel-delivery-${b.n}`).textContent(), { timeout: 60_000, interval: 300 }).toBe('delivered: HTTP 200');
    const posts = c.got.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    expect(posts.every((p) => p.path === '/v1/traces' && p.headers['content-type'] === 'application/json')).toBe(true);
    // A JSON content type is not a CORS-simple request: the browser asked first.
    const preflight = c.got.find((r) => r.method === 'OPTIONS');
    expect(preflight?.headers['access-control-request-method']).toBe('POST');
    expect(preflight?.headers['access-control-request-headers']).toBe('content-type');
    // One POST carries exactly the batch file the kernel wrote (as the disk mirror holds it)...
    const file = await page.evaluate((f) => (globalThis as any).sisDashboard.disk.reader().readText(f), b.file) as string;
    const post = posts.find((p) => p.body === file);
    expect(post, `a POST with the bytes of ${b.file}`).toBeTruthy();
    // ...which is valid OTLP/JSON by the proto field table, with every span of the batch.
    const doc = decodeOtlpJson(post!.body);
    expect(doc.resource['service.name']).toBe('sis-kernel');
    expect(doc.scope.name).toBe('sis.autonomy');
    expect(doc.spans.length).toBe(b.spans);
    const ids = doc.spans.filter((s) => s.name === 'autonomous_decision').map((s) => Number(s.attrs['sis.trace_id']));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1] + 1)).toBe(true);
    const lastDecision = Math.max(...(await events<{ id: number }>('decision')).map((e) => e.id));
    expect(ids.at(-1)!).toBeLessThanOrEqual(lastDecision);
  });

  it('a collector that refuses (400) and one without CORS headers are reported in words', async () => {
    const origin = new URL(url).origin;
    const refusing = await collector('refuse', origin);
    const noCors = await collector('no-cors', origin);
    collectors.push(refusing.server, noCors.server);

    await page.getByTestId('otlp-endpoint').fill(refusing.url);
    await page.getByTestId('otlp-save').click();
    const r = await newBatch();
    await expect.poll(() => page.getByTestId(`otel-delivery-${r.n}`).getAttribute('data-state'), { timeout: 60_000, interval: 300 }).toBe('failed');
    expect(await page.getByTestId(`otel-delivery-${r.n}`).textContent())
      .toBe('failed: the collector refused the batch: HTTP 400 Bad Request: test collector: this batch is refused on purpose');
    // A refusal is final: one POST per batch sent there, no retry.
    const sentThere = `(d) => d.otel.batches.filter((b) => b.endpoint === ${JSON.stringify(refusing.url)}).map((b) => b.delivery.state)`;
    await expect.poll(() => dash<string[]>(sentThere), { timeout: 30_000 }).toSatisfy((xs: string[]) => xs.every((x) => x === 'failed'));
    expect(refusing.got.filter((x) => x.method === 'POST').length).toBe((await dash<string[]>(sentThere)).length);

    await page.getByTestId('otlp-endpoint').fill(noCors.url);
    await page.getByTestId('otlp-save').click();
    const n = await newBatch();
    // Retried on the backoff schedule (1, 2, 4, 8 s), then explained.
    await expect.poll(() => page.getByTestId(`otel-delivery-${n.n}`).getAttribute('data-state'), { timeout: 120_000, interval: 500 }).toBe('failed');
    const text = (await page.getByTestId(`otel-delivery-${n.n}`).textContent())!;
    expect(text).toContain(`the browser blocked the request to ${noCors.url}/v1/traces`);
    expect(text).toContain('most likely CORS');
    expect(text).toContain(`"Access-Control-Allow-Origin: ${origin}"`);
    expect(text).toContain('gave up after 5 attempts');
    // The collector saw the attempts (each a preflight the browser then refused to follow).
    expect(noCors.got.filter((x) => x.method === 'OPTIONS').length).toBeGreaterThanOrEqual(1);
    expect(noCors.got.filter((x) => x.method === 'POST').length).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

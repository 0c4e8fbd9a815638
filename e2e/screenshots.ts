// npm run screenshots: the pictures in docs/DASHBOARD.md, taken from the
// built site in headless Chromium with live data: the kernel boots on a blank
// disk, a swap and a health check run through the panel's buttons, a key is
// generated. Prints the figures it saw (boot to prompt, bundle sizes).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readTar } from '../models/src/ustar.ts';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../emulator/src/node-files.ts';
import { createServer, type Server } from 'node:http';
import { buildSite, launch, serve, uartText } from './site.ts';

const OUT = resolve(REPO_ROOT, 'docs', 'images');

/** An OTLP/HTTP receiver on 127.0.0.1 that takes every batch and answers CORS for the site's origin. */
function startCollector(origin: string): Promise<{ server: Server; url: string; got: { method: string }[] }> {
  const got: { method: string }[] = [];
  const cors = { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type' };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push({ method: req.method ?? '' });
      if (req.method === 'OPTIONS') res.writeHead(204, cors).end();
      else if (req.method === 'POST' && req.url === '/v1/traces') res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{}');
      else res.writeHead(404, cors).end();
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, got })));
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const site = await buildSite();
  for (const f of readdirSync(join(site, 'assets'))) {
    const p = join(site, 'assets', f);
    const size = statSync(p).size;
    const gz = /\.(js|css|wasm)$/.test(f) ? `, ${(gzipSync(readFileSync(p)).length / 1024).toFixed(1)} KiB gzip` : '';
    console.log(`bundle: ${f} ${(size / 1024).toFixed(1)} KiB${gz}`);
  }
  const { server, url } = await serve(site);
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1500, height: 1150 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const power = () => page.getByTestId('power').textContent();
    const until = async (f: () => Promise<boolean>, what: string, ms = 240_000) => {
      const t0 = Date.now();
      while (!(await f())) {
        if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
        await page.waitForTimeout(250);
      }
    };
    await page.goto(url);
    await until(async () => (await power()) === 'running', 'boot (cold: blank disk)');
    console.log(`boot to prompt in the tab, blank disk (format + provision): ${await page.getByTestId('boot-time').textContent()}`);
    await until(async () => (await page.getByTestId('active-version').textContent()) === 'v1.0.0', 'registry');
    await page.getByTestId('swap-v1.1.0').click();
    await until(async () => (await page.getByTestId('status-v1.1.0').textContent()) === 'active', 'swap');
    await page.locator('[data-testid="model-v2.0.0-shifted"] button', { hasText: 'health' }).click();
    await until(async () => (await page.getByTestId('model-v2.0.0-shifted').innerText()).includes('acc'), 'health');
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('modelctl list');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(1500);
    await page.getByTestId('generate-key').click();
    await page.getByTestId('trust-commands').waitFor();
    await page.getByTestId('signing-key').screenshot({ path: join(OUT, 'signing-key.png') });
    // A bare model.bin signed in the browser with dev.key (which the stock kernel trusts), imported.
    await page.getByTestId('key-file').setInputFiles(resolve(REPO_ROOT, 'models/keys/dev.key'));
    await until(async () => (await page.getByTestId('key-name').textContent()) === 'dev', 'dev key');
    const binDir = mkdtempSync(join(tmpdir(), 'sis-shot-'));
    const bin = join(binDir, 'model.bin');
    writeFileSync(bin, readTar(new Uint8Array(readFileSync(resolve(REPO_ROOT, 'models/dist/seed-bundle.tar')))).find((e) => e.name === 'v1.0.0/model.bin')!.data);
    await page.getByTestId('bare-file').setInputFiles(bin);
    await page.getByTestId('bare-version').fill('v3.0.0-browser');
    await page.getByTestId('sign-and-add').click();
    await until(async () => (await page.getByTestId('model-v3.0.0-browser').count()) > 0, 'browser-signed import');
    rmSync(binDir, { recursive: true, force: true });
    await page.getByTestId('upload').screenshot({ path: join(OUT, 'upload.png') });
    await page.reload();
    await until(async () => (await power()) === 'running', 'boot (warm: stored disk)');
    console.log(`boot to prompt in the tab, stored disk: ${await page.getByTestId('boot-time').textContent()}`);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('modelctl status');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(3000);
    for (const [id, file] of [['status-bar', 'status-bar'], ['terminal', 'terminal'], ['registry', 'registry'], ['history', 'history'],
      ['disk', 'disk']] as const) {
      const el = id === 'terminal' ? page.locator('section.terminal') : page.getByTestId(id);
      await el.screenshot({ path: join(OUT, `${file}.png`) });
    }
    /** Types a line into the terminal as a user does, and waits until the shell has answered `re` once more. */
    const term = async (line: string, re: RegExp) => {
      const count = async () => ((await uartText(page)).match(new RegExp(re.source, 'g')) ?? []).length;
      const before = await count();
      await page.locator('.xterm-helper-textarea').focus();
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
      await until(async () => (await count()) > before, `the shell's answer to ${line}`, 60_000);
    };
    const text = async (id: string) => ((await page.getByTestId(id).textContent()) ?? '').replace(/\s+/g, ' ').trim();

    // OpenTelemetry: every batch the kernel writes from now on is forwarded to a collector on
    // 127.0.0.1 (another port than the site's, so the browser asks CORS first: it answers).
    const collector = await startCollector(new URL(url).origin);
    await page.getByTestId('otlp-endpoint').fill(collector.url);
    await page.getByTestId('otlp-save').click();
    await until(async () => (await text('otlp-target')).includes(`${collector.url}/v1/traces`), 'OTLP endpoint set');

    // Shadow: v1.0.0 (production is v1.1.0 since the swap above) beside production, compared decision by decision (the panel's buttons).
    await page.getByTestId('shadow-candidate').selectOption('v1.0.0');
    await page.getByTestId('shadow-enable').click();
    await until(async () => (await text('shadow-version')) === 'v1.0.0', 'shadow enabled');
    await page.getByTestId('shadow-mode-compare').click();
    await until(async () => (await text('shadow-mode')) === 'compare', 'shadow in compare mode');

    // The loop under a memory load: decisions for the ring, the shadow, the drift windows, the spans.
    await term('autoctl interval 20', /autoctl: interval 20 ms/);
    await term('stress mem 6500 2048', /stress: tasks .*mem 6500 KiB/);
    await term('autoctl on', /autoctl: on/);
    const chart = async (a: string) => Number(await page.getByTestId('divergence-chart').getAttribute(a));
    await until(async () => (await chart('data-compared')) >= 150 && (await chart('data-points')) >= 150, 'shadow comparisons', 600_000);
    await page.getByTestId('shadow-panel').screenshot({ path: join(OUT, 'shadow-panel.png') });

    // The trace ring past one lap (the write head has wrapped), a trace shown and marked.
    const newest = async () => Number((await page.getByTestId('ring-newest').textContent())?.slice(1) || 0);
    await until(async () => (await newest()) >= 1300, 'decisions past one lap of the ring', 600_000);
    await term('autoctl off', /autoctl: off/);
    const shown = (await newest()) - 4;
    await page.getByTestId('trace-goto').fill(String(shown));
    await page.getByTestId('trace-goto-show').click();
    await until(async () => (await page.getByTestId('trace-detail').getAttribute('data-id').catch(() => null)) === String(shown), 'trace detail');
    await page.getByTestId('mark-note').fill('acted late');
    await page.getByTestId('mark-bad').click();
    await until(async () => (await page.getByTestId(`annotated-${shown}`).count()) > 0, 'annotation');
    await page.getByTestId('select-shown').click();
    await page.getByTestId('traces').screenshot({ path: join(OUT, 'traces.png') });

    // The last partial batch too, then every row delivered (HTTP 200 from the collector).
    await term('otelctl flush', /flushed \d+ spans|otelctl: nothing to flush|otelctl: flush: /);
    const deliveries = page.locator('[data-testid^="otel-delivery-"]');
    await until(async () => {
      const states = await deliveries.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
      return states.length >= 3 && states.every((s) => s === 'delivered');
    }, 'batches delivered to the collector', 120_000);
    const posts = collector.got.filter((r) => r.method === 'POST').length;
    console.log(`OTLP: ${await deliveries.count()} batches in the panel, ${posts} POSTs received by the collector on ${collector.url}`);
    await page.getByTestId('otel-panel').screenshot({ path: join(OUT, 'otel-panel.png') });

    // Promote the shadow by the panel's button (asks above 10%: then "promote anyway"), so
    // production is v1.0.0, the model the kernel's drift case drives into an alert. No
    // autorollback onto the old model while the alert is pictured.
    await page.getByTestId('shadow-promote').click();
    await until(async () => (await page.getByTestId('shadow-confirm').count()) > 0 || (await page.getByTestId('shadow-promoted').count()) > 0, 'promotion');
    if (await page.getByTestId('shadow-confirm').count()) await page.getByTestId('shadow-confirm-force').click();
    await until(async () => (await text('active-version')) === 'v1.0.0', 'v1.0.0 promoted', 60_000);
    await term('autoctl autorollback off', /autorollback: off/);
    // Drift: a shifted latency input makes the model unsure; the confidence alert enters safe mode.
    // On an idle machine, as in the kernel's own drift case: under the memory load the model
    // stays sure of reclaim_caches whatever the latency input says.
    await term('stress off', /stress: off/);
    console.log(`drift before the shift: ${await text('drift-status')}`);
    await term('chaos shift network_latency 490', /chaos: .*shift network_latency/);
    await term('autoctl interval 10', /autoctl: interval 10 ms/);
    await term('autoctl on', /autoctl: on/);
    await until(async () => (await page.getByTestId('safe-banner').count()) > 0, 'drift alert: safe mode', 600_000);
    console.log(`safe mode: ${await text('safe-reason')}`);
    // Stop at once, so the dip stays among the 600 decisions the drift charts keep.
    await term('autoctl off', /autoctl: off/);
    // A load the model acts on: in safe mode its reclaims wait for an operator.
    await term('chaos off', /chaos: /);
    await term('stress mem 7000 1024', /stress: tasks .*mem 7000 KiB/);
    await term('autoctl on', /autoctl: on/);
    const pending = () => page.locator('[data-testid^="pending-action-"]');
    await until(async () => (await pending().count()) >= 3, 'actions waiting for approval', 600_000);
    await term('autoctl off', /autoctl: off/);
    // One approved by its button: it runs and goes to "Settled"; the rest stay pending.
    const first = (await pending().first().getAttribute('data-testid'))!.replace('pending-action-', '');
    await page.getByTestId(`approve-${first}`).click();
    await until(async () => ((await page.getByTestId(`settled-${first}`).textContent().catch(() => '')) ?? '').includes('approved'), 'approval settled', 60_000);
    await page.getByTestId('drift-panel').screenshot({ path: join(OUT, 'drift-panel.png') });
    await page.getByTestId('safe-banner').screenshot({ path: join(OUT, 'safe-banner.png') });
    console.log(`drift: ${await text('drift-status')}, safe mode: ${await text('safe-reason')}, ${await pending().count()} actions waiting`);
    // The whole page with every panel live.
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    collector.server.close();
    const second = await context.newPage();
    await second.goto(url);
    await second.getByTestId('lock-refused').waitFor();
    await second.screenshot({ path: join(OUT, 'second-tab.png'), clip: { x: 0, y: 0, width: 1500, height: 260 } });
    console.log(`screenshots in ${OUT}`);
  } finally {
    await browser.close();
    server.close();
    rmSync(site, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

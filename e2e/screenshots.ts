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
import { buildSite, launch, serve } from './site.ts';

const OUT = resolve(REPO_ROOT, 'docs', 'images');

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
    await page.screenshot({ path: join(OUT, 'dashboard.png') });
    for (const [id, file] of [['status-bar', 'status-bar'], ['terminal', 'terminal'], ['registry', 'registry'], ['history', 'history'],
      ['disk', 'disk']] as const) {
      const el = id === 'terminal' ? page.locator('section.terminal') : page.getByTestId(id);
      await el.screenshot({ path: join(OUT, `${file}.png`) });
    }
    // The trace ring past one lap (the write head has wrapped), a trace shown and marked.
    for (const line of ['autoctl interval 20', 'stress mem 6500 2048', 'autoctl on']) {
      await page.locator('.xterm-helper-textarea').focus();
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
    }
    const newest = async () => Number((await page.getByTestId('ring-newest').textContent())?.slice(1) || 0);
    await until(async () => (await newest()) >= 1300, 'decisions past one lap of the ring', 600_000);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('autoctl off');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(1500);
    const shown = (await newest()) - 4;
    await page.getByTestId('trace-goto').fill(String(shown));
    await page.getByTestId('trace-goto-show').click();
    await until(async () => (await page.getByTestId('trace-detail').getAttribute('data-id').catch(() => null)) === String(shown), 'trace detail');
    await page.getByTestId('mark-note').fill('acted late');
    await page.getByTestId('mark-bad').click();
    await until(async () => (await page.getByTestId(`annotated-${shown}`).count()) > 0, 'annotation');
    await page.getByTestId('select-shown').click();
    await page.getByTestId('traces').screenshot({ path: join(OUT, 'traces.png') });
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

// The console page (web/console.html: the plain UART console beside the dashboard) in headless Debian Chromium: vite builds web/ into a temp
// folder, a static server serves it on 127.0.0.1, the page boots the kernel in
// the emulator's Web Worker; we wait for the prompt, type `help`, check the
// answer and the statistics, then power the machine off.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { haveCore, haveKernel, REPO_ROOT } from '../../src/node-files.ts';

const CHROMIUM = '/usr/bin/chromium';
if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    let file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    r({ server, url: `http://127.0.0.1:${a.port}/` });
  }));
}

describe.skipIf(!existsSync(CHROMIUM))('console page in Chromium', () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'sis-web-'));
    await build({ configFile: resolve(REPO_ROOT, 'vite.config.ts'), root: resolve(REPO_ROOT, 'web'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    ({ server, url } = await serve(out));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  for (const cpu of ['interp', 'jit']) it(`boots to the prompt in a Web Worker, answers help, powers off (cpu=${cpu})`, async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the page translates by default; ?cpu=interp asks for the interpreter only
    await page.goto(cpu === 'interp' ? `${url}console.html?cpu=interp` : `${url}console.html`);
    const term = page.locator('#term');
    await expect.poll(() => term.textContent(), { timeout: 90_000, interval: 250 }).toContain('sis> ');
    await page.fill('#line', 'help');
    await page.press('#line', 'Enter');
    await expect.poll(() => term.textContent(), { timeout: 30_000, interval: 250 }).toMatch(/^ {2}poweroff /m);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/running - [\d.]+ M instructions/);
    if (cpu === 'jit') {
      // the translator runs in the worker: bench's loops are translated
      await page.fill('#line', 'bench 20000');
      await page.press('#line', 'Enter');
      await expect.poll(() => term.textContent(), { timeout: 60_000, interval: 250 }).toMatch(/bench: fp 20000 iters/);
      await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/, ([1-9]\d|100)% translated \([1-9]\d* blocks compiled in \d+ ms\)$/);
    } else {
      expect(await page.locator('#status').textContent()).not.toMatch(/translated/);
    }
    await page.fill('#line', 'poweroff');
    await page.press('#line', 'Enter');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toMatch(/stopped: psci system_off/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

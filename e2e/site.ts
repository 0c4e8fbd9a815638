// Shared e2e setup: vite builds the dashboard into a temp folder (the same
// static site `npm run build` makes), a tiny static server serves it on
// 127.0.0.1, and Debian's Chromium runs it (never `playwright install`).
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { build } from 'vite';
import { haveCore, haveKernel, REPO_ROOT } from '../emulator/src/node-files.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots of failed tests go here. */
export const FAILURES = resolve(REPO_ROOT, 'e2e', 'failures');

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
};

export function serve(root: string): Promise<{ server: Server; url: string }> {
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

export async function buildSite(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'sis-dash-'));
  await build({ configFile: resolve(REPO_ROOT, 'vite.config.ts'), root: resolve(REPO_ROOT, 'web'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  return out;
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Stops an e2e file early, in words, when what the site is built from is missing. */
export function requireBuilt(): void {
  if (!haveCore()) throw new Error('no emulator/build/core.wasm: run npm run build:wasm');
  if (!haveKernel()) throw new Error('no kernel image: run npm run kernel');
}

/** One e2e file's browser: the built site served, Chromium with one context and one page. */
export interface SiteSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The site's root URL. */
  url: string;
  /** Stops the browser and the server and removes the built site. */
  close(): Promise<void>;
}

/**
 * Builds and serves the site and opens a page in a fresh context (its own
 * IndexedDB); uncaught page errors and a page crash are pushed to `pageErrors`.
 */
export async function openSite(options: BrowserContextOptions, pageErrors: string[]): Promise<SiteSession> {
  const site = await buildSite();
  const { server, url } = await serve(site);
  const browser = await launch();
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('crash', () => pageErrors.push('the page crashed'));
  return {
    browser, context, page, url,
    async close() {
      await browser.close();
      server.close();
      rmSync(site, { recursive: true, force: true });
    },
  };
}

/**
 * The terminal's visible text, as the user sees it (xterm's DOM rows). xterm
 * does not render while it is out of view, and a reload keeps the scroll
 * position, so the terminal is brought into view first, as a user would.
 */
export async function screenText(page: Page): Promise<string> {
  await page.locator('.xterm').scrollIntoViewIfNeeded();
  return page.locator('.xterm-rows').innerText();
}

/** Everything UART0 printed this power cycle (the terminal's scrollback included). */
export async function uartText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { sisDashboard: { machine: { transcriptText(): string } } }).sisDashboard;
    return d.machine.transcriptText();
  });
}

export async function saveFailure(page: Page, name: string): Promise<void> {
  mkdirSync(FAILURES, { recursive: true });
  await page.screenshot({ path: join(FAILURES, `${name.replace(/[^\w.-]+/g, '_')}.png`), fullPage: true }).catch(() => undefined);
}

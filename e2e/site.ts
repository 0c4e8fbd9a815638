// Shared e2e setup: vite builds the dashboard into a temp folder (the same
// static site `npm run build` makes), a tiny static server serves it on
// 127.0.0.1, and Debian's Chromium runs it (never `playwright install`).
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { REPO_ROOT } from '../emulator/src/node-files.ts';

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

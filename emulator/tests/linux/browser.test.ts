// Debian's Linux in the browser: the console page (web/console.html) in headless Debian
// Chromium boots the user-supplied kernel and busybox initramfs given in its
// URL (?kernel=...&initrd=...) in the emulator's Web Worker, reaches the
// shell and answers a command. The wall time to the prompt is printed.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { haveCore, REPO_ROOT } from '../../src/node-files.ts';
import { fetchDebianLinux, haveApt } from './debian.ts';
import { busyboxInitramfs } from './initramfs.ts';

const CHROMIUM = '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

describe.skipIf(!existsSync(CHROMIUM) || !haveCore() || !haveApt)('Debian Linux in the console page', () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';
  let version = '';

  beforeAll(async () => {
    const deb = fetchDebianLinux();
    version = deb.kernelVersion;
    const files: Record<string, Uint8Array> = { '/linux/Image': deb.kernel, '/linux/initrd': busyboxInitramfs(deb.busybox) };
    const out = mkdtempSync(join(tmpdir(), 'sis-web-linux-'));
    await build({ configFile: resolve(REPO_ROOT, 'vite.config.ts'), root: resolve(REPO_ROOT, 'web'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (files[path]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(files[path]);
        return;
      }
      let file = join(out, path);
      if (!file.startsWith(out) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('boots the kernel and initramfs from the URL to a shell that answers', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const q = new URLSearchParams({ kernel: '/linux/Image', initrd: '/linux/initrd', mem: '256', seed: '1', clock: 'virtual', append: 'console=ttyAMA0 panic=-1 nokaslr' });
    const t0 = Date.now();
    await page.goto(`${url}console.html?${q}`);
    const term = page.locator('#term');
    await expect.poll(() => term.textContent(), { timeout: 600_000, interval: 500 }).toMatch(/SIS-INIT-READY[\s\S]*\/ # /);
    console.log(`linux ${version} in Chromium: prompt after ${Date.now() - t0} ms`);
    await page.fill('#line', 'uname -sr');
    await page.press('#line', 'Enter');
    await expect.poll(() => term.textContent(), { timeout: 60_000, interval: 250 }).toContain(`Linux ${version}`);
    await page.fill('#line', 'poweroff -f');
    await page.press('#line', 'Enter');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toMatch(/stopped: psci system_off/);
    expect(errors).toEqual([]);
    await page.close();
  }, 700_000);
});

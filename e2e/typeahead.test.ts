// Typing ahead in the dashboard's terminal, end to end in Debian Chromium: a
// paste of about 200 KB of `echo` lines (three times the emulator's 64 KiB
// UART input queue) goes into xterm as a real paste event. The page holds what
// the worker refuses (web/lib/input-queue.ts), shows "N bytes queued" meanwhile,
// and sends it on as the guest reads: every echo must come back, once, in order,
// and nothing may be reported as an error. Own browser context, own boot.
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, openSite, requireBuilt, saveFailure, screenText, type SiteSession, uartText } from './site.ts';

requireBuilt();

const BOOT_MS = 240_000;
const RUN_MS = 1_200_000; // the guest runs ~5100 commands in the interpreter on a shared host
const LINES = 5100;
const line = (i: number) => `ta-${String(i).padStart(5, '0')} the quick brown fox jumps`;

describe.skipIf(!existsSync(CHROMIUM))('typing ahead in the terminal', () => {
  let session: SiteSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    session = await openSite({ viewport: { width: 1500, height: 1000 } }, pageErrors);
    ({ browser, context, page, url } = session);
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await saveFailure(page, ctx.task.name);
  });

  afterAll(async () => {
    await session?.close();
  });

  it('a 200 KB paste of echo lines: every echo comes back in order, nothing lost', async () => {
    await page.goto(url);
    await expect.poll(() => page.getByTestId('power').textContent(), { timeout: BOOT_MS, interval: 500 }).toBe('running');
    await expect.poll(() => screenText(page), { timeout: 10_000 }).toContain('sis> ');
    const text = Array.from({ length: LINES }, (_, i) => `echo ${line(i)}\n`).join('');
    expect(text.length).toBeGreaterThan(200_000);
    // A real paste: xterm reads the clipboard data of the paste event on its textarea (and turns \n into \r).
    const heldAtOnce = await page.evaluate((t) => {
      const area = document.querySelector('.xterm-helper-textarea') as HTMLTextAreaElement;
      area.focus();
      const data = new DataTransfer();
      data.setData('text/plain', t);
      area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      const d = (globalThis as unknown as { sisDashboard: { machine: { queuedInput: number } } }).sisDashboard;
      return d.machine.queuedInput;
    }, text);
    // The worker takes at most its 64 KiB queue; the rest waits in the page.
    expect(heldAtOnce).toBe(text.length - 65536);
    await expect.poll(() => page.getByTestId('input-queued').textContent(), { timeout: 10_000 }).toMatch(/^[\d,]+ bytes queued$/);

    const echoes = async () => (await uartText(page)).split(/\r?\n/).filter((l) => /^ta-\d{5} /.test(l));
    await expect.poll(async () => (await echoes()).length, { timeout: RUN_MS, interval: 3000 }).toBeGreaterThanOrEqual(LINES);
    const got = await echoes();
    expect(got.length).toBe(LINES);
    const want = Array.from({ length: LINES }, (_, i) => line(i));
    const firstWrong = got.findIndex((l, i) => l !== want[i]);
    expect(firstWrong, `first echo out of place: #${firstWrong}: ${JSON.stringify(got[firstWrong])}`).toBe(-1);

    // The queue has emptied and its note is gone; the shell still answers.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { sisDashboard: { machine: { queuedInput: number } } }).sisDashboard.machine.queuedInput), { timeout: 30_000 }).toBe(0);
    expect(await page.getByTestId('input-queued').count()).toBe(0);
    await page.keyboard.type('echo after-the-paste');
    await page.keyboard.press('Enter');
    await expect.poll(() => uartText(page), { timeout: 60_000 }).toMatch(/\r?\nafter-the-paste\r?\n/);
    expect(await page.getByTestId('errors').count() ? await page.getByTestId('errors').innerText() : '').not.toMatch(/typing into the terminal/);
    expect(pageErrors).toEqual([]);
  }, BOOT_MS + RUN_MS + 120_000);
});

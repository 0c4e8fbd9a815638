// The Shadow and canary panel end to end in Debian Chromium: a candidate
// enabled from the registry in compare mode moves the divergence chart; a
// promotion by the panel's button shows in the registry and survives a reload
// (the reboot from the stored disk); above 10% the promotion asks in the page
// first (cancel types nothing, confirm types --force); a divergent candidate
// in canary mode is aborted by the kernel and the panel says why.
// The divergence comes from the kernel's own chaos knob: with network_latency
// shifted to 500 ms, v1.0.0 and v1.1.0 disagree on the action (the shadow case
// table, kernel-image/tests/shadow-otel-cases.ts, promote case).
// Figures are read from data-testid attributes, never from pixels.
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, openSite, requireBuilt, saveFailure, screenText, type SiteSession, uartText } from './site.ts';

requireBuilt();

const BOOT_MS = 240_000;
const CMD_MS = 60_000;

describe.skipIf(!existsSync(CHROMIUM))('shadow and canary panel in Chromium', () => {
  let session: SiteSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    session = await openSite({ viewport: { width: 1500, height: 1400 } }, pageErrors);
    ({ browser, context, page, url } = session);
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await saveFailure(page, `shadow-${ctx.task.name}`);
  });

  afterAll(async () => {
    await session?.close();
  });

  const testId = (id: string) => page.getByTestId(id);
  /** An element's text with its layout whitespace folded, as a reader sees it. */
  const text = async (id: string) => ((await testId(id).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const chart = async () => {
    const c = testId('divergence-chart');
    return { points: Number(await c.getAttribute('data-points')), compared: Number(await c.getAttribute('data-compared')), divergences: Number(await c.getAttribute('data-divergences')) };
  };
  /** How many times `re` occurs in this power cycle's UART output. */
  const uartCount = async (re: RegExp) => ((await uartText(page)).match(new RegExp(re.source, 'g')) ?? []).length;

  /** Types a command as the panels do and waits until its answer `re` has been printed one more time. */
  async function run(command: string, re: RegExp): Promise<void> {
    const before = await uartCount(re);
    await page.evaluate((c) => (globalThis as unknown as { sisDashboard: { machine: { type(c: string): void } } }).sisDashboard.machine.type(c), command);
    await expect.poll(() => uartCount(re), { timeout: CMD_MS }).toBeGreaterThan(before);
  }

  async function boot(): Promise<void> {
    await expect.poll(() => text('power'), { timeout: BOOT_MS, interval: 500 }).toBe('running');
    await expect.poll(() => screenText(page), { timeout: 10_000 }).toContain('sis> ');
    await expect.poll(() => text('registry-source'), { timeout: 60_000 }).toContain('from the system disk');
  }

  it('a candidate enabled from the registry in compare mode: the divergence chart moves', async () => {
    await page.goto(url);
    await boot();
    expect(await text('shadow-version')).toBe('no shadow');
    await run('autoctl interval 20', /autoctl: interval 20 ms/);
    await run('autoctl on', /autoctl: on/);
    // The candidate list comes from the registry mirror: production is not in it.
    const options = await testId('shadow-candidate').locator('option').allTextContents();
    expect(options).toContain('v1.1.0 (available)');
    expect(options.some((o) => o.startsWith('v1.0.0'))).toBe(false);
    await testId('shadow-candidate').selectOption('v1.1.0');
    await testId('shadow-enable').click();
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toContain('shadowctl enable v1.1.0');
    await expect.poll(() => text('shadow-version'), { timeout: CMD_MS }).toBe('v1.1.0');
    await expect.poll(() => text('shadow-mode'), { timeout: CMD_MS }).toBe('log');
    // In log mode the shadow predicts, nothing is compared: points, but no comparisons.
    await expect.poll(async () => (await chart()).points, { timeout: CMD_MS }).toBeGreaterThan(2);
    expect((await chart()).compared).toBe(0);
    await testId('shadow-mode-compare').click();
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toContain('shadowctl mode compare');
    await expect.poll(() => text('shadow-mode'), { timeout: CMD_MS }).toBe('compare');
    await expect.poll(async () => (await chart()).compared, { timeout: CMD_MS }).toBeGreaterThan(0);
    const a = await chart();
    await expect.poll(async () => (await chart()).points, { timeout: CMD_MS }).toBeGreaterThan(a.points + 5);
    const b = await chart();
    expect(b.compared).toBeGreaterThan(a.compared);
    // The panel's figures and the chart's agree, and the kernel's status says the same.
    expect(Number(await text('shadow-compared'))).toBeGreaterThanOrEqual(b.compared);
    expect(await text('shadow-series')).toMatch(/^\d+ decisions of v1\.1\.0 charted$/);
  });

  it('promote by the button (below 10%: no question): active in the registry, still active after a reload', async () => {
    expect(Number((await text('shadow-rate')).replace('%', ''))).toBeLessThanOrEqual(10);
    await run('autoctl off', /autoctl: off/);
    await testId('shadow-promote').click();
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toMatch(/Promotion complete: v1\.1\.0 is now active/);
    expect(await uartText(page)).not.toContain('shadowctl promote --force');
    expect(await testId('shadow-confirm').count()).toBe(0);
    await expect.poll(() => text('shadow-promoted'), { timeout: CMD_MS }).toMatch(/^Promoted v1\.1\.0 over v1\.0\.0: \d+ divergences of [1-9]\d* compared \(\d+\.\d\d%\), in [\d.]+ ms; rollback slot v1\.0\.0; watching 1000 decisions\.$/);
    expect(await text('shadow-version')).toBe('no shadow');
    await expect.poll(() => text('status-v1.1.0'), { timeout: CMD_MS }).toBe('active');
    expect(await text('active-version')).toBe('v1.1.0');
    await expect.poll(() => text('disk-state'), { timeout: 30_000 }).toBe('saved');
    await page.reload();
    await expect.poll(() => text('status-v1.1.0'), { timeout: 30_000 }).toBe('active'); // the stored mirror, before the boot
    await boot();
    expect(await text('active-version')).toBe('v1.1.0');
    expect(await text('status-v1.1.0')).toBe('active');
    expect(await text('shadow-version')).toBe('no shadow');
    await run('modelctl status', /active: +v1\.1\.0/);
  });

  it('above 10% the promote button asks first: cancel changes nothing, confirm types --force', async () => {
    await run('autoctl interval 20', /autoctl: interval 20 ms/);
    await run('chaos shift network_latency 500', /chaos: .*shift network_latency/);
    await testId('shadow-candidate').selectOption('v1.0.0');
    await testId('shadow-enable').click();
    await expect.poll(() => text('shadow-version'), { timeout: CMD_MS }).toBe('v1.0.0');
    // Out of reach of the automatic abort while the test looks at the rate.
    await testId('shadow-threshold-input').fill('1000000');
    await testId('shadow-threshold-set').click();
    await expect.poll(() => text('shadow-threshold'), { timeout: CMD_MS }).toBe('1000000');
    await testId('shadow-mode-compare').click();
    await expect.poll(() => text('shadow-mode'), { timeout: CMD_MS }).toBe('compare');
    await run('autoctl on', /autoctl: on/);
    const over = async () => {
      const c = await chart();
      return c.divergences >= 3 && c.divergences * 10 > c.compared;
    };
    await expect.poll(over, { timeout: CMD_MS }).toBe(true);
    await run('autoctl off', /autoctl: off/);
    expect(await over()).toBe(true);
    expect(await testId('shadow-rate').getAttribute('class')).toMatch(/\bover\b/);
    expect(await text('shadow-version')).toBe('v1.0.0');
    const promoteTyped = () => uartCount(/shadowctl promote/);
    const typedBefore = await promoteTyped();

    await testId('shadow-promote').click();
    await expect.poll(() => testId('shadow-confirm').isVisible()).toBe(true);
    expect(await text('shadow-confirm')).toMatch(/v1\.0\.0 diverges on \d+\.\d\d% of \d+ decisions, above the 10% limit/);
    await testId('shadow-confirm-cancel').click();
    expect(await testId('shadow-confirm').count()).toBe(0);
    // Nothing was typed: run another command and check no promote went before it.
    await run('modelctl status', /active: +v1\.1\.0/);
    expect(await promoteTyped()).toBe(typedBefore);
    expect(await text('shadow-version')).toBe('v1.0.0');
    expect(await text('active-version')).toBe('v1.1.0');

    await testId('shadow-promote').click();
    await testId('shadow-confirm-force').click();
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toMatch(/Promoting shadow v1\.0\.0 to production \(--force\)/);
    await expect.poll(() => text('shadow-promoted'), { timeout: CMD_MS }).toMatch(/^Promoted v1\.0\.0 over v1\.1\.0 \(forced\): [1-9]\d* divergences of \d+ compared \((\d+\.\d\d)%\)/);
    const forcedRate = Number((await text('shadow-promoted')).match(/\((\d+\.\d\d)%\)/)![1]);
    expect(forcedRate).toBeGreaterThan(10);
    await expect.poll(() => text('status-v1.0.0'), { timeout: CMD_MS }).toBe('active');
  });

  it('a divergent candidate in canary mode is aborted automatically and the panel says why', async () => {
    // Production v1.0.0, chaos still shifting network_latency to 500 ms: v1.1.0 disagrees with it.
    // v1.1.0 is the rollback slot now: no autorollback onto it while the test runs.
    await run('autoctl autorollback off', /autorollback: off/);
    // This time from the registry row's own button.
    expect(await testId('shadow-v1.0.0').isDisabled()).toBe(true);   // production
    await testId('shadow-v1.1.0').click();
    await expect.poll(() => text('shadow-version'), { timeout: CMD_MS }).toBe('v1.1.0');
    await testId('shadow-threshold-input').fill('5');
    await testId('shadow-threshold-set').click();
    await expect.poll(() => text('shadow-threshold'), { timeout: CMD_MS }).toBe('5');
    // Bad input is refused in the page and types nothing. (The event can overtake the
    // terminal's echo: wait for the shell's answer before counting.)
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toContain('Divergence threshold: 5');
    const thresholdsTyped = await uartCount(/shadowctl threshold/);
    await testId('shadow-threshold-input').fill('0');
    await testId('shadow-threshold-set').click();
    await expect.poll(() => page.getByText('"0" is not a whole number from 1 to 1000000').count()).toBeGreaterThan(0);
    expect(await uartCount(/shadowctl threshold/)).toBe(thresholdsTyped);
    await testId('shadow-mode-canary10').click();
    await expect.poll(() => uartText(page), { timeout: CMD_MS }).toMatch(/health gate passed: .*\r?\nShadow mode: canary10/);
    await expect.poll(() => text('shadow-mode'), { timeout: CMD_MS }).toBe('canary10');
    expect(await testId('shadow-abort').count()).toBe(0);
    await run('autoctl on', /autoctl: on/);
    await expect.poll(() => testId('shadow-abort').isVisible(), { timeout: CMD_MS }).toBe(true);
    const reason = await text('shadow-abort-reason');
    const m = reason.match(/^5 divergences reached the threshold 5 \((\d+) decisions compared\)$/);
    expect(m, reason).not.toBeNull();
    expect(await text('shadow-abort')).toMatch(/^Shadow v1\.1\.0 aborted automatically \(canary10, at decision \d+\)/);
    expect(await text('shadow-abort')).toMatch(/Production v1\.0\.0 kept running, untouched\./);
    expect(await text('shadow-version')).toBe('no shadow');
    // The chart's last point is the decision that fired it.
    const c = await chart();
    expect([c.compared, c.divergences]).toEqual([Number(m![1]), 5]);
    // The registry: the shadow role emptied (v1.1.0 keeps its rollback-slot role), a shadow-abort line.
    await expect.poll(() => testId('history').innerText(), { timeout: CMD_MS }).toMatch(/shadow-abort\s+v1\.1\.0 → -\s+shadow abort: 5 divergences reached the threshold 5 /);
    expect(await testId('registry').innerText()).toMatch(/active v1\.0\.0 · shadow none/);
    expect(await text('active-version')).toBe('v1.0.0');
    await run('autoctl off', /autoctl: off/);
    await run('chaos off', /chaos: disk slow 0 ms, disk fail 0%, noise 0%, shift none/);
    expect(pageErrors).toEqual([]);
  });
});

// The dashboard end to end in Debian Chromium, against the built static site:
// boot to the prompt and type with history recall, the registry from the disk,
// a swap by the panel's button that survives a reload, a second tab refused
// the disk, the downloaded disk image checked by e2fsck/debugfs, power on
// after poweroff. One browser context throughout (one origin's IndexedDB).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from '../emulator/src/node-files.ts';
import { readTar } from '../models/src/ustar.ts';
import { CHROMIUM, openSite, requireBuilt, saveFailure, screenText, type SiteSession, uartText } from './site.ts';

requireBuilt();
const E2FSCK = ['/sbin/e2fsck', '/usr/sbin/e2fsck'].find(existsSync);
const DEBUGFS = ['/sbin/debugfs', '/usr/sbin/debugfs'].find(existsSync);

const BOOT_MS = 240_000;

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  let session: SiteSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';
  const work = mkdtempSync(join(tmpdir(), 'sis-e2e-'));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    session = await openSite({ acceptDownloads: true, viewport: { width: 1500, height: 1000 } }, pageErrors);
    ({ browser, context, page, url } = session);
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await saveFailure(page, ctx.task.name);
  });

  afterAll(async () => {
    await session?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const power = () => page.getByTestId('power').textContent();

  it('boots to the prompt; typed keys reach the shell, Up recalls the last line', async () => {
    await page.goto(url);
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
    await expect.poll(() => screenText(page), { timeout: 10_000 }).toContain('sis> '); // xterm renders a frame later
    const bootText = await page.getByTestId('boot-time').textContent();
    console.log(`e2e: boot to the prompt in the tab: ${bootText} (a blank disk: the kernel formats and provisions it)`);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo recall-me-42');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await uartText(page)).match(/\r?\nrecall-me-42\r?\n/g)?.length ?? 0, { timeout: 30_000 }).toBe(1);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await uartText(page)).match(/\r?\nrecall-me-42\r?\n/g)?.length ?? 0, { timeout: 30_000 }).toBe(2);
    // Ctrl-U drops a half-typed line, as on a serial console.
    await page.keyboard.type('echo never-printed');
    await page.keyboard.press('Control+u');
    await page.keyboard.type('echo after-ctrl-u');
    await page.keyboard.press('Enter');
    await expect.poll(async () => uartText(page), { timeout: 30_000 }).toMatch(/\r?\nafter-ctrl-u\r?\n/);
    expect(await uartText(page)).not.toMatch(/\nnever-printed/);
    await expect.poll(() => page.getByTestId('uptime').textContent(), { timeout: 10_000 }).toMatch(/\d+ s/);
  });

  it('the registry panel shows the baseline active, read from the disk', async () => {
    await expect.poll(() => page.getByTestId('registry-source').textContent(), { timeout: 60_000 }).toContain('from the system disk');
    expect(await page.getByTestId('active-version').textContent()).toBe('v1.0.0');
    expect(await page.getByTestId('status-v1.0.0').textContent()).toBe('active');
    await expect.poll(() => page.getByTestId('history').innerText()).toMatch(/import\s+- → v1\.0\.0\s+first boot: bundle/);
  });

  it('swap by the panel button: the command runs in the terminal, v1.1.0 becomes active and stays active after a reload', async () => {
    await page.getByTestId('swap-v1.1.0').click();
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toContain('modelctl swap v1.1.0');
    await expect.poll(() => page.getByTestId('status-v1.1.0').textContent(), { timeout: 60_000 }).toBe('active');
    expect(await page.getByTestId('status-v1.0.0').textContent()).toBe('last known good');
    await expect.poll(() => page.getByTestId('disk-state').textContent(), { timeout: 30_000 }).toBe('saved');
    await page.reload();
    // Before the kernel is back, from the disk in IndexedDB:
    await expect.poll(() => page.getByTestId('status-v1.1.0').textContent(), { timeout: 30_000 }).toBe('active');
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('modelctl status');
    await page.keyboard.press('Enter');
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toMatch(/active: +v1\.1\.0/);
  });

  it('a second tab is refused the disk and says so', async () => {
    const second = await context.newPage();
    try {
      await second.goto(url);
      await expect.poll(() => second.getByTestId('lock-refused').isVisible(), { timeout: 30_000 }).toBe(true);
      expect(await second.getByTestId('lock-refused').innerText()).toMatch(/in use in another tab/);
      expect(await second.getByTestId('power-on').isDisabled()).toBe(true);
      expect(await second.getByTestId('power').textContent()).toBe('off');
    } finally {
      await second.close();
    }
  });

  it.skipIf(!E2FSCK || !DEBUGFS)('after poweroff the downloaded disk image passes e2fsck -fn and debugfs reads the registry; power on again', async () => {
    await page.getByTestId('poweroff').click();
    await expect.poll(power, { timeout: 60_000 }).toBe('powered off');
    await expect.poll(() => page.getByTestId('disk-state').textContent(), { timeout: 30_000 }).toBe('saved');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-disk').click()]);
    expect(download.suggestedFilename()).toBe('sis-system.img');
    const img = join(work, 'sis-system.img');
    await download.saveAs(img);
    const fsck = spawnSync(E2FSCK!, ['-fn', img], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    const reg = execFileSync(DEBUGFS!, ['-R', 'cat /models/registry.json', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(JSON.parse(reg).active).toBe('v1.1.0');
    await page.getByTestId('power-on').click();
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
  });

  it('refuses plainly what a user can get wrong: a non-model file, a public key as the signing key', async () => {
    const junk = join(work, 'holiday.txt');
    writeFileSync(junk, 'not a model at all\n');
    await page.getByTestId('package-files').setInputFiles(junk);
    await expect.poll(() => page.getByTestId('errors').innerText(), { timeout: 10_000 }).toMatch(/uploading a model package: not a model package: missing model\.bin, manifest\.json, model\.sig/);
    await page.getByTestId('key-file').setInputFiles(resolve(REPO_ROOT, 'models/keys/dev.pub'));
    await expect.poll(() => page.getByTestId('errors').innerText(), { timeout: 10_000 }).toMatch(/this is a public key; signing needs the secret key file/);
    const dismiss = page.getByRole('button', { name: 'dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  });

  it('a model.bin signed with a key made in the browser reaches the kernel, which refuses the key it does not trust (ENOKEY)', async () => {
    await page.getByTestId('generate-key').click();
    await expect.poll(() => page.getByTestId('key-id').textContent(), { timeout: 10_000 }).toMatch(/^[0-9a-f]{16}$/);
    const id = (await page.getByTestId('key-id').textContent())!;
    expect(await page.getByTestId('trust-commands').textContent()).toContain('--c > kernel-image/src/model/trusted_keys.h');
    const bin = join(work, 'model.bin');
    writeFileSync(bin, readTar(new Uint8Array(readFileSync(resolve(REPO_ROOT, 'models/dist/seed-bundle.tar')))).find((e) => e.name === 'v1.0.0/model.bin')!.data);
    await page.getByTestId('bare-file').setInputFiles(bin);
    await page.getByTestId('bare-version').fill('v9.0.0-own');
    await page.getByTestId('sign-and-add').click();
    await expect.poll(() => page.getByTestId('upload-note').textContent(), { timeout: 10_000 }).toContain('v9.0.0-own is on the import disk');
    await expect.poll(() => uartText(page), { timeout: BOOT_MS, interval: 500 }).toContain(`modelctl: import v9.0.0-own: signed by untrusted key ${id} (ENOKEY)`);
    expect(await page.getByTestId('import-packages').textContent()).toContain('v9.0.0-own');
  });

  it('a model.bin signed in the browser with a key the kernel trusts (dev.key loaded) imports and lists', async () => {
    await page.getByTestId('key-file').setInputFiles(resolve(REPO_ROOT, 'models/keys/dev.key'));
    await expect.poll(() => page.getByTestId('key-name').textContent(), { timeout: 10_000 }).toBe('dev');
    await page.getByTestId('bare-version').fill('v9.1.0-browser');
    await page.getByTestId('sign-and-add').click();
    await expect.poll(() => uartText(page), { timeout: BOOT_MS, interval: 500 }).toContain('imported v9.1.0-browser');
    await expect.poll(() => page.getByTestId('status-v9.1.0-browser').textContent(), { timeout: 60_000 }).toBe('available');
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('modelctl list');
    await page.keyboard.press('Enter');
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toMatch(/v9\.1\.0-browser +Available/);
  });

  it('pause stops the guest (uptime frozen), resume runs it on', async () => {
    await page.getByTestId('pause').click();
    await expect.poll(power, { timeout: 10_000 }).toBe('paused');
    const frozen = await page.evaluate(async () => {
      const d = (globalThis as unknown as { sisDashboard: { machine: { client: { status(): Promise<{ uptimeUs: number }> } } } }).sisDashboard;
      const a = await d.machine.client.status();
      await new Promise((r) => setTimeout(r, 1500));
      const b = await d.machine.client.status();
      return [a.uptimeUs, b.uptimeUs];
    });
    expect(frozen[1]).toBe(frozen[0]);
    await page.getByTestId('resume').click();
    await expect.poll(power, { timeout: 10_000 }).toBe('running');
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo resumed-ok');
    await page.keyboard.press('Enter');
    await expect.poll(() => uartText(page), { timeout: 30_000 }).toMatch(/\nresumed-ok/);
  });

  it('after a kernel crash the status says so and Power on boots it again', async () => {
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('crash panic');
    await page.keyboard.press('Enter');
    await expect.poll(power, { timeout: 60_000 }).toBe('crashed');
    expect(await page.getByTestId('problem').textContent()).toMatch(/the kernel stopped: guest halted after a crash/);
    await page.getByTestId('power-on').click();
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
  });

  it('a kernel image that cannot boot is reported in words (a separate profile)', async () => {
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      // A gzip-compressed image (a common mistake): the loader refuses it before anything runs.
      await p.route(/sis-kernel-[^/]*\.img$/, (r) => r.fulfill({ status: 200, body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(4092)]) }));
      await p.goto(url);
      await expect.poll(() => p.getByTestId('errors').innerText().catch(() => ''), { timeout: 60_000 }).toMatch(/powering on: the emulator refused to start: kernel image is gzip-compressed/);
      expect(await p.getByTestId('power').textContent()).toBe('failed');
    } finally {
      await other.close();
    }
  });

  it('factory reset (confirmed) wipes the stored disk and restores the seed import disk: provisioned again, baseline active', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('factory-reset').click();
    await expect.poll(() => uartText(page), { timeout: BOOT_MS, interval: 500 }).toContain('blk0 is blank: formatting it as ext4');
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
    await expect.poll(() => page.getByTestId('active-version').textContent(), { timeout: 60_000 }).toBe('v1.0.0');
    expect(await page.getByTestId('model-v9.1.0-browser').count()).toBe(0);
    expect(await page.getByTestId('import-packages').textContent()).not.toContain('v9.');
    expect(pageErrors).toEqual([]);
  });
});

// The trace ring panel end to end in Debian Chromium, against the built
// static site, on its own browser context (its own IndexedDB: a blank disk,
// the kernel formats it): decisions fill the ring, a click shows the whole
// trace, good/bad marks reach /feedback, a replay answers, a selection
// exports an incident bundle that downloads as the kernel's file and
// validates against docs/schemas/incident-bundle.v1.json (ajv); refusals
// say why. The kernel's own text answers (tracectl list, cat) are the
// oracle for what the panel shows.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Ajv } from 'ajv';
import { REPO_ROOT } from '../emulator/src/node-files.ts';
import { polar, slotAngles, slotAt, slotOf, type RingGeometry } from '../web/lib/ring-layout.ts';
import { CHROMIUM, openSite, requireBuilt, saveFailure, type SiteSession, uartText } from './site.ts';

requireBuilt();

const BOOT_MS = 240_000;
/** The ring's drawing (TraceRing.svelte): viewBox 400 x 400. */
const G: RingGeometry = { cx: 200, cy: 200, inner: 120, outer: 178 };

describe.skipIf(!existsSync(CHROMIUM))('trace ring panel in Chromium', () => {
  let session: SiteSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';
  const work = mkdtempSync(join(tmpdir(), 'sis-e2e-traces-'));
  const pageErrors: string[] = [];
  /** The decisions' ids and actions as the kernel listed them (tracectl list). */
  let listed: { id: number; action: string; executed: string }[] = [];

  beforeAll(async () => {
    session = await openSite({ acceptDownloads: true, viewport: { width: 1500, height: 1100 } }, pageErrors);
    ({ browser, context, page, url } = session);
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await saveFailure(page, `traces-${ctx.task.name}`);
  });

  afterAll(async () => {
    await session?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const power = () => page.getByTestId('power').textContent();
  const problem = () => page.getByTestId('trace-problem').textContent().catch(() => '');

  /** Types a line into the terminal as a user does and waits for the prompt after it. */
  async function typeLine(line: string): Promise<string> {
    const before = (await uartText(page)).length;
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    let out = '';
    await expect.poll(async () => {
      const t = (await uartText(page)).slice(before);
      const at = t.indexOf(line);
      if (at < 0) return false;
      const rest = t.slice(at + line.length);
      const p = rest.indexOf('sis> ');
      if (p < 0) return false;
      out = rest.slice(0, p).replace(/\r\n/g, '\n').replace(/^\n/, '');
      return true;
    }, { timeout: 120_000 }).toBe(true);
    return out;
  }

  /**
   * Clicks ring slot k where a user would: a slot is about one pixel wide,
   * and the browser delivers whole-pixel pointer positions, so this walks
   * out along the slot's middle line to the first whole pixel inside the
   * slot, hovers it (the ring then names the slot it points at, as it does
   * for a user) and clicks there.
   */
  async function clickSlot(k: number, modifiers: ('Shift')[] = []): Promise<void> {
    const box = (await page.getByTestId('trace-ring').boundingBox())!;
    const scale = Math.min(box.width, box.height) / 400;
    const ox = box.x + (box.width - 400 * scale) / 2;
    const oy = box.y + (box.height - 400 * scale) / 2;
    const inSlot = (px: number, py: number) => slotAt(G, (px - ox) / scale, (py - oy) / scale) === k;
    let at: { x: number; y: number } | null = null;
    for (let r = G.outer - 1; r > G.inner && !at; r -= 0.5) {
      const c = polar(G, (slotAngles(k).start + slotAngles(k).end) / 2, r);
      const px = Math.round(ox + c.x * scale);
      const py = Math.round(oy + c.y * scale);
      if (inSlot(px, py)) at = { x: px, y: py };
    }
    if (!at) throw new Error(`no whole pixel inside slot ${k}`);
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.getByTestId('ring-hover').textContent(), { timeout: 5_000 }).toMatch(new RegExp(`^\\s*slot ${k}:`));
    for (const m of modifiers) await page.keyboard.down(m);
    await page.mouse.click(at.x, at.y);
    for (const m of modifiers) await page.keyboard.up(m);
  }

  it('boots; decisions fill the ring, each slot coloured by its trace\'s action as the kernel lists them', async () => {
    await page.goto(url);
    await expect.poll(power, { timeout: BOOT_MS, interval: 500 }).toBe('running');
    expect(await page.getByTestId('ring-newest').textContent()).toBe('no traces');
    // heap pressure makes the agent act (and its rate limit override some actions)
    await typeLine('autoctl interval 50');
    await typeLine('stress mem 6500 2048');
    await typeLine('autoctl on');
    await expect.poll(async () => Number((await page.getByTestId('ring-newest').textContent())?.slice(1) || 0), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(40);
    await typeLine('autoctl off');
    const list = await typeLine('tracectl list --last 40');
    listed = list.split('\n').map((l) => /^ {2}(\d+)\s+\d+\s+\S+\s+(\S+)\s+\d+\s+(\S+)/.exec(l)).filter((x) => x).map((x) => ({ id: +x![1], action: x![2], executed: x![3] }));
    expect(listed.length).toBe(40);
    const newest = listed[0].id;
    await expect.poll(() => page.getByTestId('ring-newest').textContent(), { timeout: 10_000 }).toBe(`#${newest}`);
    for (const t of listed) {
      const slot = page.getByTestId(`slot-${slotOf(t.id)}`);
      expect(await slot.getAttribute('data-id')).toBe(String(t.id));
      expect(await slot.getAttribute('data-action')).toBe(t.action);
      // the list prints the override reason (policy:NAME) where nothing ran
      expect(await slot.getAttribute('data-overridden')).toBe(t.executed.startsWith('policy:') ? t.executed : '');
    }
    for (const t of listed) expect(await page.getByTestId(`override-${t.id}`).count()).toBe(t.executed.startsWith('policy:') ? 1 : 0);
    expect(await page.getByTestId(`slot-${slotOf(newest) + 1}`).getAttribute('data-id')).toBe('');
    expect(listed.some((t) => t.action === 'reclaim_caches'), 'the agent reclaimed under heap pressure').toBe(true);
    expect(await page.getByTestId('write-head').count()).toBe(1);
  });

  it('a click on a slot shows the whole trace, the one the kernel printed for tracectl show --json', async () => {
    const t = listed.find((x) => x.action !== 'none') ?? listed[5];
    await clickSlot(slotOf(t.id));
    await expect.poll(() => page.getByTestId('trace-detail').getAttribute('data-id').catch(() => null), { timeout: 60_000 }).toBe(String(t.id));
    const uart = await uartText(page);
    const line = uart.split('\n').find((l) => l.startsWith(`{"trace_id":${t.id},`));
    expect(line, 'the JSON line in the terminal').toBeTruthy();
    const printed = JSON.parse(line!);
    expect(uart).toContain(`tracectl show ${t.id} --json`);
    expect(await page.getByTestId('detail-action').textContent()).toBe(printed.chosen_action_name);
    expect(printed.chosen_action_name).toBe(t.action);
    expect(await page.getByTestId('detail-reward').textContent()).toBe(String(printed.reward ?? 'not yet known'));
    const preds = await page.getByTestId('detail-predictions').innerText();
    for (const p of printed.predictions as number[]) expect(preds).toContain(Number.isInteger(p) ? String(p) : p.toFixed(6));
    if (printed.policy_checks.length) expect(await page.getByTestId('detail-checks').innerText()).toContain(printed.policy_checks[0].check_name);
  });

  it('marks the trace bad with a note: the ring and the detail show it, /feedback has the line', async () => {
    const id = Number(await page.getByTestId('trace-detail').getAttribute('data-id'));
    await page.getByTestId('mark-note').fill('reclaim came too late');
    await page.getByTestId('mark-bad').click();
    await expect.poll(() => page.getByTestId(`annotated-${id}`).getAttribute('data-label').catch(() => null), { timeout: 60_000 }).toBe('bad');
    await expect.poll(() => page.getByTestId('detail-annotations').textContent().catch(() => ''), { timeout: 10_000 }).toMatch(/marked bad: “reclaim came too late”/);
    const file = await typeLine('cat /feedback/annotations.jsonl');
    const lines = file.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ trace_id: id, label: 'bad', note: 'reclaim came too late' });
  });

  it('replays the trace on a version picked from the registry', async () => {
    const id = Number(await page.getByTestId('trace-detail').getAttribute('data-id'));
    const options = await page.getByTestId('replay-version').locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['v1.0.0', 'v1.1.0', 'reference']));
    await page.getByTestId('replay-version').selectOption('v1.0.0');
    await page.getByTestId('replay').click();
    // the deciding model on its own recorded features: the very same decision
    await expect.poll(() => page.getByTestId('replay-result').textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/on v1\.0\.0: .*same decision/);
    expect(await uartText(page)).toMatch(new RegExp(`replay of trace ${id} on v1\\.0\\.0 sha256:[0-9a-f]{64}:`));
  });

  it('refuses an export with nothing selected, typing nothing', async () => {
    const exportsBefore = ((await uartText(page)).match(/tracectl export/g) ?? []).length;
    expect(await page.getByTestId('selected').textContent()).toContain('nothing selected');
    await page.getByTestId('export').click();
    await expect.poll(problem, { timeout: 10_000 }).toMatch(/select at least one trace/);
    expect(((await uartText(page)).match(/tracectl export/g) ?? []).length).toBe(exportsBefore);
  });

  it('exports the selected traces: the download is the kernel\'s bundle, valid against its schema, with exactly those traces', async () => {
    const pick = [listed[3].id, listed[2].id, listed[7].id].sort((a, b) => a - b);
    for (const id of pick) await clickSlot(slotOf(id), ['Shift']);
    await expect.poll(() => page.getByTestId('selected').textContent(), { timeout: 10_000 }).toBe(`selected: ${pick.join(', ')}`);
    for (const id of pick) expect(await page.getByTestId(`picked-${id}`).count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByTestId('export').click()]);
    const name = download.suggestedFilename();
    expect(name).toMatch(/^INC-\d{8}-\d{3}\.json$/);
    const file = join(work, name);
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    const bundle = JSON.parse(text);
    const schema = JSON.parse(readFileSync(resolve(REPO_ROOT, 'docs/schemas/incident-bundle.v1.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(validate(bundle), JSON.stringify(validate.errors)).toBe(true);
    expect(bundle.incident_id).toBe(name.replace(/\.json$/, ''));
    expect(bundle.traces.map((t: { trace_id: number }) => t.trace_id)).toEqual(pick);
    // the command ran in the terminal, as ranges where the ids are neighbours
    const uart = await uartText(page);
    expect(uart).toMatch(/tracectl export [\d -]+/);
    const said = new RegExp(`tracectl: incident ${bundle.incident_id}: 3 trace\\(s\\), (\\d+) bytes, written to /incidents/${name}`).exec(uart);
    expect(said, 'the kernel said it wrote the bundle').toBeTruthy();
    expect(Buffer.byteLength(text)).toBe(Number(said![1]));
    expect(await page.getByTestId('export-result').textContent()).toContain(name);
  });

  it('a trace the ring no longer holds is refused in the kernel\'s words and leaves the ring', async () => {
    const id = listed[1].id;
    expect(await typeLine('tracectl clear')).toMatch(/^tracectl: cleared \d+ trace\(s\)/);
    await clickSlot(slotOf(id));
    await expect.poll(problem, { timeout: 60_000 }).toBe(`tracectl: show: trace ${id} is not in the ring`);
    await expect.poll(() => page.getByTestId(`slot-${slotOf(id)}`).getAttribute('data-id'), { timeout: 10_000 }).toBe('');
    // a typed id that was never recorded: the same refusal
    await page.getByTestId('trace-goto').fill(String(listed[0].id + 5000));
    await page.getByTestId('trace-goto-show').click();
    await expect.poll(problem, { timeout: 60_000 }).toBe(`tracectl: show: trace ${listed[0].id + 5000} is not in the ring`);
    await page.getByTestId('trace-goto').fill('abc');
    await page.getByTestId('trace-goto-show').click();
    await expect.poll(problem, { timeout: 10_000 }).toBe("'abc' is not a trace id (1, 2, 3, ...)");
    expect(pageErrors).toEqual([]);
  });
});

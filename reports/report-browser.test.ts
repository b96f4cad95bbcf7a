/**
 * The HTML report in a real browser: the Debian `chromium` (installed by test/lab/install.sh)
 * driven headless by playwright-core. The report is made by the `report` command itself from a
 * real state store and a config. Screenshots go to $UMS_REPORT_SHOTS (default /tmp) for a person
 * to look at: ums-report-desktop.png, ums-report-phone.png.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { reportCommand } from '../src/commands/report.js';
import { EXIT } from '../src/util/exit-codes.js';
import type { ProgressReport } from './model.js';
import { fixtureStore } from './test-fixture.js';
import { fmtDuration } from './text.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.UMS_REPORT_SHOTS ?? tmpdir();

let browser: Browser;
let cleanup: () => Promise<void>;
let htmlFile: string;
let report: ProgressReport;
let printed = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run test/lab/install.sh as root (Debian package chromium)`);
  // Writes spread over a few seconds, so the throughput chart has several points.
  const fx = await fixtureStore({ pauseMs: 350 });
  cleanup = fx.cleanup;
  const config = join(fx.dir, 'migration.yaml');
  writeFileSync(config, `version: 1
source:
  type: imap
  host: imap.old.example
target:
  host: imap.ums.example
state:
  path: ${JSON.stringify(fx.path)}
mailboxes:
  - source: alice@example.com
    target: alice@ums.example
    sourcePassword: env:NOT_NEEDED
    targetPassword: env:NOT_NEEDED
  - source: frank.not-started-yet@other.org
    sourcePassword: env:NOT_NEEDED
    targetPassword: env:NOT_NEEDED
`);
  htmlFile = join(fx.dir, 'report.html');
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => { printed += String(chunk); return true; }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await reportCommand({ config, out: htmlFile });
    expect(await reportCommand({ config, out: join(fx.dir, 'report.json') })).toBe(EXIT.OK);
  } finally {
    process.stdout.write = write;
  }
  expect(code).toBe(EXIT.OK);
  expect(existsSync(`${htmlFile}.tmp`)).toBe(false);
  report = JSON.parse(readFileSync(join(fx.dir, 'report.json'), 'utf8')) as ProgressReport;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await cleanup?.();
});

/** Opens the report in a fresh page of the given width; records console messages and requests. */
async function open(width: number, height: number, ctx: { timezoneId?: string; javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height }, ...ctx });
  const problems: string[] = [];
  const url = pathToFileURL(htmlFile).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

describe('HTML report in Chromium', () => {
  test('the command printed one line naming the file', () => {
    expect(printed).toBe(`Report written: ${htmlFile} (html, 7 mailboxes)\nReport written: ${htmlFile.replace(/html$/, 'json')} (json, 7 mailboxes)\n`);
  });

  test('desktop: rows with the right numbers, both charts, no console error, no request', async () => {
    const { page, problems } = await open(1280, 900);
    const rows = await page.$$eval('tr.mailbox', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c as HTMLElement).innerText.replace(/\s+/g, ' ').trim())));
    expect(rows).toHaveLength(7);
    const row = (source: string) => rows.find((r) => r[0]?.startsWith(source)) as string[];
    // mailbox, state, progress, time left, errors, items, data, items/s, last change
    expect(row('bob@example.com').slice(0, 7)).toEqual(['bob@example.com → bob@ums.example', '✕ failed', '60%', expect.any(String), '2', '30 / 50 messages', '293.0 KiB / 488.3 KiB']);
    expect(row('alice@example.com').slice(1, 7)).toEqual(['✓ done', '100%', '–', '0', '120 / 120 messages', '1.1 MiB / 1.1 MiB']);
    expect(row('carol@other.org').slice(1, 3)).toEqual(['▶ running', '25%']);
    expect(row('carol@other.org')[5]).toBe('10 / 40 messages');
    expect(row('dave@other.org').slice(1, 8)).toEqual(['○ pending', '0%', '–', '0', '0 / 25 messages', '0 B / 244.1 KiB', '–']);
    expect(row('erin@other.org').slice(1, 3)).toEqual(['✕ failed', '0%']);
    expect(row('erin@other.org')[5]).toBe('0 / 10 messages');
    expect(row('frank.not-started-yet@other.org').slice(1, 3)).toEqual(['○ pending', '0%']);
    expect(row('frank.not-started-yet@other.org').slice(5, 7)).toEqual(['0 / 0 messages', '0 B / unknown']);
    expect(row('=HYPERLINK("http://x","y")<b>@evil.test').slice(1, 3)).toEqual(['✓ done', '80%']);
    expect(row('=HYPERLINK("http://x","y")<b>@evil.test')[4]).toBe('0 1 skipped');
    expect(row('=HYPERLINK("http://x","y")<b>@evil.test')[5]).toBe('4 / 5 messages');
    // Each row's items/s and time left are the model's, formatted.
    for (const m of report.mailboxes) {
      const r = row(m.source);
      expect(r[7]).toBe(m.throughput === null ? '–' : m.throughput < 10 ? m.throughput.toFixed(1) : String(Math.round(m.throughput)));
      if (m.state !== 'done') expect(r[3]).toBe(fmtDuration(m.etaSeconds));
    }
    // The state colours are really applied.
    const colours = await page.$$eval('tr.mailbox .state', (els) => els.map((e) => `${e.textContent?.trim()}=${getComputedStyle(e).backgroundColor}`));
    expect(new Set(colours)).toEqual(new Set(['✓ done=rgb(26, 127, 55)', '✕ failed=rgb(207, 34, 46)', '▶ running=rgb(9, 105, 218)', '○ pending=rgb(110, 119, 129)']));

    // Batch chart: one bar per batch, as wide as its progress.
    expect(await page.locator('#batch-chart svg rect.bar-done').count()).toBe(report.batches.length);
    expect(report.batches.map((b) => b.name)).toEqual(['evil.test', 'example.com', 'other.org']);
    const widths = await page.$$eval('#batch-chart svg', ([svg]) => {
      const track = (svg as SVGSVGElement).getBoundingClientRect().width;
      return [...(svg as SVGSVGElement).querySelectorAll('rect.bar-done')].map((r) => r.getBoundingClientRect().width / track);
    });
    widths.forEach((w, i) => expect(w).toBeCloseTo(report.batches[i]?.progress as number, 2));
    // Throughput chart: one point per bucket, and the line through all of them.
    const points = report.throughput.points.length;
    expect(points).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#throughput-chart svg circle.pt').count()).toBe(points);
    expect(await page.$eval('#throughput-chart polyline.line', (p) => (p as SVGPolylineElement).points.numberOfItems)).toBe(points);
    // Every point is drawn inside the chart.
    const inside = await page.$$eval('#throughput-chart svg.line-chart', ([svg]) => {
      const box = (svg as SVGSVGElement).getBoundingClientRect();
      return [...(svg as SVGSVGElement).querySelectorAll('circle.pt')].every((c) => {
        const b = c.getBoundingClientRect();
        return b.left >= box.left - 0.5 && b.right <= box.right + 0.5 && b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5;
      });
    });
    expect(inside).toBe(true);
    expect(await page.locator('#card-progress .value').innerText()).toBe('65%');
    await page.screenshot({ path: join(SHOTS, 'ums-report-desktop.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  test('phone (390 px): one card per mailbox, nothing scrolls sideways, mailbox, state, %, time left and errors visible', async () => {
    const { page, problems } = await open(390, 844);
    const layout = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      // Only the small problem tables may scroll inside their own box; the mailbox list never.
      const offenders = [...document.querySelectorAll('body *')].filter((el) => {
        if (el.closest('.table-scroll:not(.mailbox-list)')) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5);
      }).map((el) => `${el.tagName.toLowerCase()}.${(el.getAttribute('class') ?? '').replace(/ /g, '.')}`);
      const list = document.querySelector('.mailbox-list') as HTMLElement;
      return {
        vw, docScroll: document.documentElement.scrollWidth, docClient: document.documentElement.clientWidth, bodyWidth: document.body.scrollWidth,
        offenders, list: { scroll: list.scrollWidth, client: list.clientWidth }, head: getComputedStyle(document.querySelector('table.mailboxes thead') as Element).display,
      };
    });
    expect(layout.vw).toBe(390);
    expect(layout.docScroll).toBeLessThanOrEqual(layout.docClient);
    expect(layout.bodyWidth).toBeLessThanOrEqual(390);
    expect(layout.offenders).toEqual([]);
    expect(layout.list.scroll).toBeLessThanOrEqual(layout.list.client);
    expect(layout.head).toBe('none');
    // Every mailbox card shows its five key fields inside the screen, each with its label.
    const cards = await page.$$eval('tr.mailbox', (trs) => trs.map((tr) => {
      const field = (sel: string) => {
        const el = tr.querySelector(sel) as HTMLElement;
        const r = el.getBoundingClientRect();
        const label = getComputedStyle(el, '::before').content;
        return { text: el.innerText.replace(/\s+/g, ' ').trim(), inside: r.width > 0 && r.height > 0 && r.left >= -0.5 && r.right <= 390.5, label };
      };
      return { name: field('th.name'), state: field('.state'), pct: field('td.progress .pct'), eta: field('td.eta'), errors: field('td.errors') };
    }));
    expect(cards).toHaveLength(7);
    for (const c of cards) {
      for (const f of [c.name, c.state, c.pct, c.eta, c.errors]) expect(f).toMatchObject({ inside: true });
      expect(c.eta.label).toBe('"time left"');
      expect(c.errors.label).toBe('"errors"');
      expect(c.pct.text).toMatch(/^\d+%$/);
    }
    expect(cards.find((c) => c.name.text.startsWith('bob@example.com'))).toMatchObject({ state: { text: '✕ failed' }, pct: { text: '60%' }, errors: { text: '2' } });
    // Text stays readable: nothing in the charts is drawn smaller than 11 px.
    const smallest = await page.$$eval('svg text', (ts) => Math.min(...ts.map((t) => parseFloat(getComputedStyle(t).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(11);
    await page.screenshot({ path: join(SHOTS, 'ums-report-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  test('times in the viewer\'s time zone with UTC on hover; in UTC without JavaScript', async () => {
    const local = (iso: string) => {
      const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
      return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
    };
    const utc = (iso: string) => `${new Date(iso).toISOString().slice(0, 10)} ${new Date(iso).toISOString().slice(11, 16)} UTC`;
    const generated = report.generatedAt;
    const { page, problems } = await open(1280, 900, { timezoneId: 'Asia/Tokyo' });
    const first = await page.$eval('header time', (t) => ({ text: t.textContent, title: t.getAttribute('title'), dt: t.getAttribute('datetime') as string }));
    expect(first).toEqual({ text: local(first.dt), title: utc(first.dt), dt: first.dt });
    expect(Math.abs(Date.parse(first.dt) - Date.parse(generated))).toBeLessThan(60_000);
    // Asia/Tokyo is UTC+9: the text is not the UTC one.
    expect(first.text).not.toBe(utc(first.dt).slice(0, -4));
    // Every time of the page was rewritten; the zone is named where the page says which one it uses.
    const all = await page.$$eval('time[data-f="dt"]', (ts) => ts.map((t) => ({ dt: t.getAttribute('datetime') as string, text: t.textContent, title: t.getAttribute('title') })));
    expect(all.length).toBeGreaterThan(7);
    for (const t of all) expect(t).toEqual({ dt: t.dt, text: local(t.dt), title: utc(t.dt) });
    // Chart axis times (time of day) too, with the UTC time as their SVG title.
    const axis = await page.$$eval('#throughput-chart text[data-t]', (ts) => ts.map((t) => ({ t: t.getAttribute('data-t') as string, s: t.hasAttribute('data-s'), text: t.textContent?.replace(/\d\d:\d\d( UTC)?$/, '') })));
    expect(axis.length).toBeGreaterThanOrEqual(2);
    for (const a of axis) expect(a.text?.slice(0, 5)).toBe(local(a.t).slice(11, 16));
    expect(await page.$$eval('[data-zone]', (zs) => zs.map((z) => z.textContent))).toEqual(['Asia/Tokyo time', 'Asia/Tokyo time']);
    expect(problems).toEqual([]);
    await page.close();

    const noJs = await open(1280, 900, { timezoneId: 'Asia/Tokyo', javaScriptEnabled: false });
    expect(await noJs.page.$eval('header time', (t) => t.textContent)).toBe(utc(first.dt));
    expect(await noJs.page.$$eval('[data-zone]', (zs) => zs.map((z) => z.textContent))).toEqual(['UTC', 'UTC']);
    await noJs.page.close();
  });
});

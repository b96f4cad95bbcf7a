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
import { EXIT } from '../src/cli/exit-codes.js';
import type { ProgressReport } from './model.js';
import { fixtureStore } from './test-fixture.js';

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
async function open(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
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
    // mailbox, state, progress, messages, data, msg/s, ETA, errors, last sync
    expect(row('bob@example.com').slice(0, 5)).toEqual(['bob@example.com → bob@ums.example', '✕ failed', '60%', '30 / 50', '292.97 KiB / 488.28 KiB'.replace('292.97', '293.0').replace('488.28', '488.3')]);
    expect(row('bob@example.com')[7]).toBe('2');
    expect(row('alice@example.com').slice(1, 5)).toEqual(['✓ done', '100%', '120 / 120', '1.1 MiB / 1.1 MiB']);
    expect(row('carol@other.org').slice(1, 4)).toEqual(['▶ running', '25%', '10 / 40']);
    expect(row('dave@other.org').slice(1, 7)).toEqual(['○ pending', '0%', '0 / 25', '0 B / 244.1 KiB', '–', '–']);
    expect(row('erin@other.org').slice(1, 4)).toEqual(['✕ failed', '0%', '0 / 10']);
    expect(row('frank.not-started-yet@other.org').slice(1, 4)).toEqual(['○ pending', '0%', '0 / 0']);
    expect(row('=HYPERLINK("http://x","y")<b>@evil.test').slice(1, 4)).toEqual(['✓ done', '80%', '4 / 5']);
    expect(row('=HYPERLINK("http://x","y")<b>@evil.test')[7]).toBe('0 1 skipped');
    // Each row's msg/s and ETA are the model's, formatted.
    for (const m of report.mailboxes) {
      const r = row(m.source);
      expect(r[5]).toBe(m.throughput === null ? '–' : m.throughput < 10 ? m.throughput.toFixed(1) : String(Math.round(m.throughput)));
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

  test('phone (390 px): nothing overflows sideways except inside the table scroller', async () => {
    const { page, problems } = await open(390, 844);
    const layout = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const offenders = [...document.querySelectorAll('body *')].filter((el) => {
        if (el.closest('.table-scroll')) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5);
      }).map((el) => `${el.tagName.toLowerCase()}.${(el.getAttribute('class') ?? '').replace(/ /g, '.')}`);
      const scrollers = [...document.querySelectorAll('.table-scroll')].map((s) => ({
        right: s.getBoundingClientRect().right, scrolls: s.scrollWidth > s.clientWidth,
      }));
      return { vw, docWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth, offenders, scrollers };
    });
    expect(layout.vw).toBe(390);
    expect(layout.docWidth).toBeLessThanOrEqual(390);
    expect(layout.bodyWidth).toBeLessThanOrEqual(390);
    expect(layout.offenders).toEqual([]);
    for (const s of layout.scrollers) expect(s.right).toBeLessThanOrEqual(390);
    // The mailbox table is wider than a phone: it scrolls inside its container.
    expect(layout.scrollers.some((s) => s.scrolls)).toBe(true);
    // Text stays readable: nothing in the charts is drawn smaller than 11 px.
    const smallest = await page.$$eval('svg text', (ts) => Math.min(...ts.map((t) => parseFloat(getComputedStyle(t).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(11);
    await page.screenshot({ path: join(SHOTS, 'ums-report-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

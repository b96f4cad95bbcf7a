/**
 * The report grouped by wave, with groupware kinds, on a 390 px phone in headless Chromium (the
 * Debian `chromium`, as report-browser.test.ts): the wave table and the mailbox list become cards,
 * nothing scrolls sideways, each wave's fields and each kind's counts are visible.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { reportCommand } from '../src/commands/report.js';
import { EXIT } from '../src/util/exit-codes.js';
import { kindsWavesFixture } from './kinds-waves-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;
let cleanup: () => Promise<void>;
let htmlFile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run test/lab/install.sh as root (Debian package chromium)`);
  const fx = await kindsWavesFixture();
  cleanup = fx.cleanup;
  htmlFile = join(fx.dir, 'waves.html');
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    expect(await reportCommand({ config: fx.config, out: htmlFile })).toBe(EXIT.OK);
  } finally {
    process.stdout.write = write;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
});

afterAll(async () => {
  await browser?.close();
  await cleanup?.();
});

test('phone (390 px): wave cards and mailbox cards, no sideways scrolling, every field visible', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(pathToFileURL(htmlFile).href);
  const doc = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(doc.scroll).toBeLessThanOrEqual(doc.client);
  const waves = await page.$$eval('#waves tr.wave', (trs) => trs.map((tr) => [...tr.children].map((c) => {
    const r = c.getBoundingClientRect();
    return { text: (c as HTMLElement).innerText.replace(/\s+/g, ' ').trim(), inside: r.width > 0 && r.left >= -0.5 && r.right <= 390.5, label: getComputedStyle(c, '::before').content };
  })));
  expect(waves.map((w) => w.map((c) => c.text))).toEqual([
    ['w1', '2', '1 running, 1 pending', '70%', '79.1%', expect.stringMatching(/^cut over · 1 switched · 1 held back \d{4}-\d\d-\d\d \d\d:\d\d$/)],
    ['w2', '1', '1 pending', '0%', '–', '–'],
    ['(no wave)', '1', '1 pending', '0%', '–', '–'],
  ]);
  for (const w of waves) {
    for (const c of w) expect(c.inside).toBe(true);
    expect(w.map((c) => c.label)).toEqual(['none', '"mailboxes"', '"states"', '"done"', '"consistency"', '"cutover"']);
  }
  const alice = await page.$eval('tr.mailbox', (tr) => ({
    items: [...tr.querySelectorAll('td.items .kind')].map((k) => (k as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
    data: (tr.querySelector('td.bytes') as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
    right: Math.max(...[...tr.children].map((c) => c.getBoundingClientRect().right)),
  }));
  expect(alice).toEqual({ items: ['10 / 10 messages', '4 / 4 events', '1 / 3 contacts', '2 / 2 tasks'], data: '13.4 KiB / unknown', right: expect.any(Number) });
  expect(alice.right).toBeLessThanOrEqual(390.5);
  expect(await page.$$eval('tr.group th', (ths) => ths.map((t) => t.textContent))).toEqual(['Wave: w1', 'Wave: w2', 'Wave: (no wave)']);
  expect(problems).toEqual([]);
  await page.close();
});

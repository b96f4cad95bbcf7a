/**
 * The report with item kinds apart and waves, made by the `report` command from a real SQLite
 * store and a config with waves (the data: reports/kinds-waves-fixture.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportCommand } from '../src/commands/report.js';
import { EXIT } from '../src/util/exit-codes.js';
import { CSV_COLUMNS } from './csv.js';
import type { ProgressReport } from './model.js';
import { kindsWavesFixture } from './kinds-waves-fixture.js';

let dir: string;
let cleanup: () => Promise<void>;
let report: ProgressReport;
let csv: Record<string, string>[];
let html: string;

beforeAll(async () => {
  let config: string;
  ({ dir, config, cleanup } = await kindsWavesFixture());
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const ext of ['json', 'csv', 'html']) expect(await reportCommand({ config, out: join(dir, `r.${ext}`) })).toBe(EXIT.OK);
  } finally {
    process.stdout.write = write;
  }
  report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as ProgressReport;
  const lines = readFileSync(join(dir, 'r.csv'), 'utf8').slice(1).trim().split('\r\n').map((l) => l.split(','));
  csv = lines.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i] as string])));
  html = readFileSync(join(dir, 'r.html'), 'utf8');
});
afterAll(async () => cleanup());

const mb = (source: string) => report.mailboxes.find((m) => m.source === source);
const row = (source: string) => csv.find((r) => r.source === source) as Record<string, string>;

test('JSON: kinds counted apart, done never above total, unknown sizes null', () => {
  expect(mb('alice@kinds.test')).toMatchObject({
    wave: 'w1', batch: 'w1', state: 'running',
    items: { mail: { done: 10, total: 10 }, events: { done: 4, total: 4 }, contacts: { done: 1, total: 3 }, tasks: { done: 2, total: 2 } },
    bytes: { mail: { done: 10_000, total: 10_000 }, events: { done: 2800, total: null }, contacts: { done: 300, total: null }, tasks: { done: 600, total: 600 } },
  });
  expect(mb('alice@kinds.test')?.progress).toBeCloseTo(17 / 19, 10);
  expect(report.totals.items).toEqual({ mail: { done: 10, total: 15 }, events: { done: 4, total: 4 }, contacts: { done: 1, total: 3 }, tasks: { done: 2, total: 2 } });
  // carol and dave were never listed: their size, and so the total, is unknown.
  expect(mb('carol@kinds.test')?.bytes.mail).toEqual({ done: 0, total: null });
  expect(report.mailboxes.map((m) => [m.source, m.counted])).toEqual([
    ['alice@kinds.test', true], ['bob@kinds.test', true], ['carol@kinds.test', false], ['dave@kinds.test', false],
  ]);
  expect(report.totals.uncounted).toBe(2);
  expect(report.totals.bytes.mail).toEqual({ done: 10_000, total: null });
  expect(report.batches[0]?.bytes.mail).toEqual({ done: 10_000, total: 15_000 });
  expect(report.totals.bytes.events.total).toBeNull();
});

test('CSV: the events, contacts and tasks columns carry the groupware counts; unknown sizes are empty, not 0', () => {
  expect(row('alice@kinds.test')).toMatchObject({
    batch: 'w1', wave: 'w1', mail_done: '10', mail_total: '10', mail_bytes_done: '10000', mail_bytes_total: '10000',
    events_done: '4', events_total: '4', contacts_done: '1', contacts_total: '3', tasks_done: '2', tasks_total: '2',
    events_bytes_done: '2800', events_bytes_total: '', contacts_bytes_total: '', tasks_bytes_done: '600', tasks_bytes_total: '600',
  });
  expect(row('dave@kinds.test')).toMatchObject({ batch: '(no wave)', wave: '', state: 'pending' });
});

test('batches are the waves (no wave last), with states, % done, consistency score and cutover state', () => {
  expect(report.batchGrouping).toBe('wave');
  expect(report.batches.map((b) => [b.name, b.mailboxes, b.states])).toEqual([
    ['w1', 2, { pending: 1, running: 1, done: 0, failed: 0 }],
    ['w2', 1, { pending: 1, running: 0, done: 0, failed: 0 }],
    ['(no wave)', 1, { pending: 1, running: 0, done: 0, failed: 0 }],
  ]);
  const w1 = report.batches[0];
  expect(w1?.progress).toBeCloseTo(17 / 24, 10);
  // Score: items in the UMS / on the source over the scored mailboxes (alice 17+2 done of 19 counted, bob 0 of 5).
  expect(w1?.score).toBeCloseTo((12 + 4 + 1 + 2) / (10 + 4 + 3 + 2 + 5), 10);
  expect(w1?.cutover).toMatchObject({ step: 'done', run: 1, cutOver: 1, held: 1 });
  expect(report.batches[1]?.cutover).toBeUndefined();
});

test('HTML: kinds on their own lines, "unknown" instead of 0 B, a wave table, mailboxes under their wave', () => {
  const alice = /<tr class="mailbox"[^>]*>\s*<th scope="row" class="name"><span class="src">alice@<wbr>kinds[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
  expect(alice).toContain('10 / 10 <small>messages</small>');
  expect(alice).toContain('4 / 4 <small>events</small>');
  expect(alice).toContain('1 / 3 <small>contacts</small>');
  expect(alice).toContain('2 / 2 <small>tasks</small>');
  expect(alice).toMatch(/<td class="num bytes" data-label="data">13\.4 KiB \/ unknown<\/td>/);
  expect(html).toMatch(/id="card-data"><h2>Data copied<\/h2><p class="value">13\.4 KiB<\/p><p class="sub">of unknown \(not every mailbox counted yet\)<\/p>/);
  expect(html).toMatch(/id="card-progress">[\s\S]*?10 of 15 messages<br>4 of 4 events<br>1 of 3 contacts<br>2 of 2 tasks/);
  expect(html.match(/<tr class="group"><th colspan="9" scope="colgroup">Wave: [^<]*<\/th><\/tr>/g)).toEqual([
    '<tr class="group"><th colspan="9" scope="colgroup">Wave: w1</th></tr>',
    '<tr class="group"><th colspan="9" scope="colgroup">Wave: w2</th></tr>',
    '<tr class="group"><th colspan="9" scope="colgroup">Wave: (no wave)</th></tr>',
  ]);
  const waves = /<section id="waves">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  expect(waves).toMatch(/<tr class="wave"><th scope="row">w1<\/th><td class="num" data-label="mailboxes">2<\/td><td data-label="states"><span class="state-text s-running">1 running<\/span>, <span class="state-text s-pending">1 pending<\/span><\/td><td class="num" data-label="done">70%<\/td><td class="num" data-label="consistency">79\.1%<\/td><td data-label="cutover">cut over · 1 switched · <span class="state-text s-failed">1 held back<\/span>/);
  expect(waves).toMatch(/<th scope="row">w2<\/th>[\s\S]*?data-label="consistency">–<\/td><td data-label="cutover">–<\/td>/);
  expect(html).toContain('<h2>Progress per wave</h2>');
  expect(html).not.toMatch(/>0 B</);
  expect(html).toContain('<span class="uncounted">not counted yet: 2 mailboxes (not in these numbers; <code>ums-migrate plan</code> counts them)</span>');
});

test('without waves the report groups by domain and has no wave table', async () => {
  const config = join(dir, 'nowaves.yaml');
  writeFileSync(config, readFileSync(join(dir, 'migration.yaml'), 'utf8').replace(/\n {4}wave: w\d/g, ''));
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    expect(await reportCommand({ config, out: join(dir, 'nw.json') })).toBe(EXIT.OK);
    expect(await reportCommand({ config, out: join(dir, 'nw.html') })).toBe(EXIT.OK);
  } finally {
    process.stdout.write = write;
  }
  const r = JSON.parse(readFileSync(join(dir, 'nw.json'), 'utf8')) as ProgressReport;
  expect(r.batchGrouping).toBe('source-domain');
  expect(r.batches.map((b) => [b.name, b.mailboxes])).toEqual([['kinds.test', 4]]);
  expect(r.mailboxes.every((m) => m.wave === null)).toBe(true);
  expect(readFileSync(join(dir, 'nw.html'), 'utf8')).not.toContain('<section id="waves">');
});

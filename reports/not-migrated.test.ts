/**
 * The report shows the folders a mailbox's last pass did not migrate: per mailbox in the model
 * and the CSV (folders, items), listed with the reason in the HTML; reasons without addresses,
 * hostile names escaped.
 */
import { readNotMigrated, recordPass } from '../src/engine/last-pass.js';
import type { SqliteStateStore } from '../src/state/sqlite.js';
import { CSV_COLUMNS, renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { buildProgressReport, type ProgressReport } from './model.js';
import { fixtureStore, HOSTILE, readInput } from './test-fixture.js';

let store: SqliteStateStore;
let cleanup: () => Promise<void>;
let report: ProgressReport;

beforeAll(async () => {
  ({ store, cleanup } = await fixtureStore());
  const pass = { startedAt: '2025-06-02T12:00:00.000Z', finishedAt: '2025-06-02T12:10:00.000Z', ok: true, interrupted: false };
  await recordPass(store, 'alice@example.com', 'alice@ums.example', {
    ...pass,
    notMigrated: [
      { container: '8226', name: 'archive.pst: Journal', kind: 'mail', items: 12, by: 'source', reason: 'IPF.Journal folder (Outlook journal entries have no counterpart on the UMS): not migrated' },
      { container: 'cal', name: 'Calendar', kind: 'event', items: 40, by: 'target', reason: 'calendars need a groupware target (groupwareTarget in the config)' },
    ],
  });
  await recordPass(store, HOSTILE, 'evil@ums.example', {
    ...pass,
    notMigrated: [{ container: 'x', name: HOSTILE, kind: 'mail', items: null, countError: 'folder of owner@evil.test unreadable', by: 'source', reason: 'unreadable folder: owned by owner@evil.test' }],
  });
  const input = await readInput(store, new Date('2025-06-02T13:00:00Z'));
  report = buildProgressReport({ ...input, notMigrated: await readNotMigrated(store, input.mailboxes) });
});
afterAll(async () => cleanup());

test('per mailbox: folders not migrated and their items; a folder not counted leaves the items unknown', () => {
  const of = (source: string) => report.mailboxes.find((m) => m.source === source)?.notMigrated;
  expect(of('alice@example.com')).toEqual({ folders: 2, items: 52, uncounted: 0 });
  expect(of(HOSTILE)).toEqual({ folders: 1, items: 0, uncounted: 1 });
  expect(of('bob@example.com')).toEqual({ folders: 0, items: 0, uncounted: 0 });
  // the items of folders not migrated are in no other number
  expect(report.mailboxes.find((m) => m.source === 'alice@example.com')?.items.mail.total).toBe(120);
  expect(report.notMigrated?.map((m) => m.source).sort()).toEqual([HOSTILE, 'alice@example.com'].sort());
  expect(JSON.stringify(report.notMigrated)).not.toContain('owner@evil.test');
});

test('CSV: two columns at the end, items empty when a folder could not be counted', () => {
  expect(CSV_COLUMNS.slice(-2)).toEqual(['not_migrated_folders', 'not_migrated_items']);
  const rows = renderCsv(report).replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  const line = (source: string) => rows.find((r) => r.includes(`,${source},`))?.split(',').slice(-2);
  expect(line('alice@example.com')).toEqual(['2', '52']);
  expect(line('bob@example.com')).toEqual(['0', '0']);
  expect(rows.find((r) => r.includes(',evil@ums.example,'))?.split(',').slice(-2)).toEqual(['1', '']);
});

test('HTML: a section listing each folder with its items, who decided and why, escaped', () => {
  const html = renderHtml(report);
  const section = /<section id="not-migrated">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  expect(section).toContain('<h2>Folders not migrated</h2>');
  expect(section).toContain('<td>archive.pst: Journal</td><td>messages</td><td class="num">12</td><td>the source cannot migrate it</td>');
  expect(section).toContain('<td>Calendar</td><td>events</td><td class="num">40</td><td>no target for its kind</td>');
  expect(section).toContain('<td class="num">not counted</td>');
  expect(section).not.toContain('<b>');
  expect(section).toContain('&lt;b&gt;');
  expect(section).not.toContain('owner@evil.test');
});

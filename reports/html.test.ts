import { createHash } from 'node:crypto';
import type { SqliteStateStore } from '../src/state/sqlite.js';
import { esc, renderHtml } from './html.js';
import { LOCAL_TIME_SCRIPT, LOCAL_TIME_SCRIPT_HASH } from './local-time.js';
import { buildProgressReport, type ProgressReport } from './model.js';
import { fixtureStore, readInput } from './test-fixture.js';

let store: SqliteStateStore;
let cleanup: () => Promise<void>;
let report: ProgressReport;
let html: string;

beforeAll(async () => {
  ({ store, cleanup } = await fixtureStore());
  report = buildProgressReport(await readInput(store, new Date('2025-06-02T13:00:00Z')));
  html = renderHtml(report);
});
afterAll(async () => cleanup());

/** The page without its one script (the time-zone script, allowed by its hash): what is left must run nothing. */
const withoutTimeScript = (page: string) => {
  expect(page.split('<script').length - 1).toBe(1);
  expect(page).toContain(`<script>${LOCAL_TIME_SCRIPT}</script>`);
  return page.replace(`<script>${LOCAL_TIME_SCRIPT}</script>`, '');
};

describe('renderHtml', () => {
  test('esc', () => {
    expect(esc(`<a href="x" onclick='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  test('user data is escaped everywhere (mailbox names, batch names, reasons)', () => {
    const hostile = buildProgressReport({
      generatedAt: new Date('2025-06-02T13:00:00Z'), containers: [], throughput: [],
      mailboxes: [{ id: 1, source: '<script>alert(1)</script>@"><img src=x onerror=alert(2)>', target: `t'><svg onload=alert(3)>`,
        containers: 1, containersDone: 0, containersFailed: 1, totalItems: 1, totalBytes: 1, doneItems: 0, doneBytes: 0,
        failedItems: 1, skippedItems: 0, updatedAt: '2025-06-02T12:00:00.000Z' }],
      problems: [{ mailbox: 'x', containerId: 'INBOX', path: 'INBOX', itemId: '1', size: 1, status: 'failed', reason: 'NO </td><script>x()</script>', updatedAt: '' }],
    });
    const out = withoutTimeScript(renderHtml(hostile));
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/<img/i);
    expect(out).not.toMatch(/<svg onload/i);
    expect(out).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    expect(out.replace(/<wbr>/g, '')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(out.replace(/<wbr>/g, '')).toContain('t&#39;&gt;&lt;svg onload=alert(3)&gt;');
    expect(out).toContain('NO &lt;/td&gt;&lt;script&gt;x()&lt;/script&gt;');
  });

  test('the last groupware reconcile: each collection equal or differs, with its counts; hostile names escaped', () => {
    const c = { sourceCount: 3, targetCount: 3, matched: 3, missing: 0, extra: 0, changed: 0, unreadable: 0, instancesCompared: 40, instancesMissing: 0, instancesExtra: 0, instancesChanged: 0 };
    const out = withoutTimeScript(renderHtml(buildProgressReport({
      generatedAt: new Date('2025-06-02T13:00:00Z'), containers: [], throughput: [], mailboxes: [], problems: [],
      groupwareReconcile: { window: { from: '2023-06-02', to: '2030-06-02' }, mailboxes: [
        { source: 'alice', target: 'alice', checkedAt: '2025-06-02T12:00:00.000Z', collections: [
          { ...c, target: 'calendar:Kalender' }, { ...c, target: 'calendar:<script>x()</script>', changed: 1, instancesMissing: 1, instancesExtra: 1 },
        ] },
        { source: 'bob', target: 'bob', checkedAt: '2025-06-02T12:00:00.000Z', error: 'login failed', collections: [] },
      ] },
    })));
    const section = /<section id="groupware-reconcile">[\s\S]*?<\/section>/.exec(out)?.[0] ?? '';
    expect(section).toContain('Calendars, task lists and address books');
    expect(section).toContain('occurrences from 2023-06-02 to 2030-06-02');
    expect(section).toMatch(/calendar:Kalender<\/td><td><span class="state-text s-done">equal/);
    expect(section).toMatch(/calendar:&lt;script&gt;x\(\)&lt;\/script&gt;<\/td><td><span class="state-text s-failed">differs<\/span><\/td><td class="reason">3 of 3 UIDs matched \(3 in the UMS\), 1 changed<br>40 occurrences compared, 1 missing, 1 extra<\/td>/);
    expect(section).toContain('not reconciled');
    expect(out).not.toMatch(/<script/i);
    expect(renderHtml(buildProgressReport({ generatedAt: new Date(), containers: [], throughput: [], mailboxes: [], problems: [] }))).not.toContain('groupware-reconcile');
  });

  test('self-contained: only the time-zone script (by its hash), no external reference, a CSP that forbids fetching', () => {
    const rest = withoutTimeScript(html);
    expect(rest).not.toMatch(/<script|<link|<iframe|<object|<embed|<img|@import|url\(/i);
    expect(rest).not.toMatch(/\s(src|href|xlink:href|action)=/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
    expect(csp.split('; ')).toEqual(["default-src 'none'", "style-src 'unsafe-inline'", 'img-src data:', `script-src ${LOCAL_TIME_SCRIPT_HASH}`, "base-uri 'none'", "form-action 'none'"]);
    expect(LOCAL_TIME_SCRIPT_HASH).toBe(`'sha256-${createHash('sha256').update(LOCAL_TIME_SCRIPT).digest('base64')}'`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // The hostile login of the fixture, as text.
    expect(html).toContain('=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)&lt;b&gt;@<wbr>evil<wbr>.test');
    expect(html).not.toContain('<b>@evil');
  });

  test('cards, charts and table rows', () => {
    expect(html).toContain('<section class="card" id="card-progress"><h2>Overall progress</h2><p class="value">65%</p>');
    expect(html).toMatch(/164 of 250 messages/);
    expect(html).toMatch(/id="card-mailboxes"><h2>Mailboxes done<\/h2><p class="value">2<small> \/ 6<\/small>/);
    expect(html).toMatch(/<section class="card bad" id="card-errors"><h2>Errors<\/h2><p class="value">3<\/p>/);
    expect(html.match(/class="bar bar-done"/g)).toHaveLength(3);
    expect(html.match(/<tr class="mailbox"/g)).toHaveLength(6);
    expect(html.match(/<tr class="group"/g)).toHaveLength(3);
    expect(html).toContain('<span class="state s-failed"><span aria-hidden="true">✕</span> failed</span>');
    expect(html).toContain('NO [OVERQUOTA] Mailbox is full for &lt;address&gt;');
  });

  test('a size the source does not tell: "unknown", never 0 B', () => {
    const out = renderHtml(buildProgressReport({
      generatedAt: new Date('2025-06-02T13:00:00Z'), throughput: [], problems: [],
      mailboxes: [{ id: 1, source: 'p@x', target: 'p', containers: 1, containersDone: 0, containersFailed: 0, totalItems: 7, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, updatedAt: null }],
      containers: [{ mailboxId: 1, containerId: 'k', path: 'archive.pst/Kalender', name: 'archive.pst: Kalender', kind: 'event', bytesKnown: false, inInventory: true, targetRef: 'calendar:Kalender',
        status: 'pending', lastError: null, updatedAt: '2025-06-02T12:00:00.000Z', totalItems: 7, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 }],
    }));
    expect(out).toMatch(/id="card-data"><h2>Data copied<\/h2><p class="value">0 B<\/p><p class="sub">of unknown \(the source does not tell every size\)<\/p>/);
    expect(out).toContain('<td class="num bytes" data-label="data">0 B / unknown</td>');
    expect(out).toContain('0 / 7 <small>events</small>');
    expect(out).not.toContain('/ 0 B');
  });

  test('an empty report renders without charts', () => {
    const out = renderHtml(buildProgressReport({ generatedAt: new Date('2025-06-02T13:00:00Z'), mailboxes: [], containers: [], problems: [], throughput: [] }));
    expect(out).toContain('No mailbox in the state store yet');
    expect(out).toContain('Nothing copied yet.');
    expect(out).toContain('No mailbox yet: nothing has run and the config lists none.');
    expect(out).not.toContain('<svg');
  });
});

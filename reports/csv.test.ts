import type { SqliteStateStore } from '../src/state/sqlite.js';
import { CSV_COLUMNS, csvCell, renderCsv } from './csv.js';
import { buildProgressReport, type ProgressReport } from './model.js';
import { fixtureStore, HOSTILE, readInput } from './test-fixture.js';

let store: SqliteStateStore;
let cleanup: () => Promise<void>;
let report: ProgressReport;
let csv: string;

beforeAll(async () => {
  ({ store, cleanup } = await fixtureStore());
  report = buildProgressReport(await readInput(store, new Date('2025-06-02T13:00:00Z')));
  csv = renderCsv(report);
});
afterAll(async () => cleanup());

/** A strict RFC 4180 parser (CRLF records, quoted fields with doubled quotes). */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    if (c === '\n' || c === '\r' || c === '"') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    field += c; i++;
  }
  if (field !== '' || row.length > 0) throw new Error('last record has no CRLF');
  return rows;
}

describe('renderCsv', () => {
  test('UTF-8 BOM, CRLF only, one header and one row per mailbox, every row complete', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const rows = parse(csv.slice(1));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + 6);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
  });

  test('values, with ISO 8601 times and empty unknowns', () => {
    const rows = parse(csv.slice(1));
    const header = rows[0] as string[];
    const get = (source: string) => {
      const r = rows.find((x) => x[1] === source);
      if (!r) throw new Error(`no row for ${source}`);
      return Object.fromEntries(header.map((h, i) => [h, r[i]]));
    };
    expect(get('bob@example.com')).toMatchObject({
      batch: 'example.com', target: 'bob@ums.example', state: 'failed', progress_percent: '60',
      folders_done: '0', folders_failed: '0', folders_total: '1',
      mail_done: '30', mail_total: '50', mail_bytes_done: '300000', mail_bytes_total: '500000',
      events_done: '0', events_total: '0', failed_items: '2', skipped_items: '0', errors: '2',
      generated_at: '2025-06-02T13:00:00.000Z',
    });
    expect(get('bob@example.com').last_sync).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(get('bob@example.com').items_per_second).toMatch(/^\d+(\.\d+)?$/);
    expect(get('dave@other.org')).toMatchObject({ state: 'pending', items_per_second: '', eta_seconds: '', first_activity: '', mail_total: '25' });
    expect(get('alice@example.com')).toMatchObject({ state: 'done', progress_percent: '100', eta_seconds: '0', mail_done: '120' });
  });

  test('a login that looks like a formula is neutralised and quoted', () => {
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y"")<b>@evil.test"`);
    const rows = parse(csv.slice(1));
    expect(rows.find((r) => r[2] === 'evil@ums.example')?.[1]).toBe(`'${HOSTILE}`);
  });

  test('csvCell', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+49 30 123')).toBe("'+49 30 123");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('Зоя@пример.рф')).toBe('Зоя@пример.рф');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(1.5)).toBe('1.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });
});

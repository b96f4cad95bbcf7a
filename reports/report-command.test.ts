import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportCommand, reportFormat } from '../src/commands/report.js';
import { EXIT } from '../src/util/exit-codes.js';
import { fmtDuration } from './text.js';
import type { ProgressReport } from './model.js';
import { fixtureStore } from './test-fixture.js';

/** Runs the command with stdout and stderr captured. */
async function run(opts: Parameters<typeof reportCommand>[0]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  try {
    return { code: await reportCommand(opts), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

function config(dir: string, statePath: string): string {
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, `version: 1
source: { type: imap, host: imap.old.example }
target: { host: imap.ums.example }
state: { path: ${JSON.stringify(statePath)} }
mailboxes:
  - { source: alice@example.com, target: alice@ums.example, sourcePassword: env:X, targetPassword: env:X }
  - { source: zoe@new.example, sourcePassword: env:X, targetPassword: env:X }
`);
  return file;
}

describe('report command', () => {
  test('format from --format, else from the file extension, else html', () => {
    expect(reportFormat('r.CSV')).toBe('csv');
    expect(reportFormat('r.json')).toBe('json');
    expect(reportFormat('r.htm')).toBe('html');
    expect(reportFormat('report')).toBe('html');
    expect(reportFormat('r.csv', 'json')).toBe('json');
    expect(() => reportFormat('r', 'pdf')).toThrow(/unknown report format "pdf"/);
  });

  test('writes CSV and JSON from the store, adds configured mailboxes not started yet, leaves no .tmp', async () => {
    const fx = await fixtureStore();
    try {
      const cfg = config(fx.dir, fx.path);
      const csvFile = join(fx.dir, 'progress.csv');
      writeFileSync(csvFile, 'old content');
      const csv = await run({ config: cfg, out: csvFile });
      expect(csv).toMatchObject({ code: EXIT.OK, out: `Report written: ${csvFile} (csv, 7 mailboxes)\n` });
      expect(csv.err).not.toMatch(/ums-migrate/);
      expect(existsSync(`${csvFile}.tmp`)).toBe(false);
      const text = readFileSync(csvFile, 'utf8');
      expect(text.startsWith('\uFEFFbatch,source,')).toBe(true);
      expect(text.split('\r\n')).toHaveLength(1 + 7 + 1);
      expect(text).toContain('\r\nnew.example,zoe@new.example,zoe@new.example,pending,0,0,0,0,');

      const jsonFile = join(fx.dir, 'out.data');
      expect((await run({ config: cfg, out: jsonFile, format: 'json' })).code).toBe(EXIT.OK);
      const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as ProgressReport;
      expect(report.schemaVersion).toBe(2);
      expect(report.totals).toMatchObject({ mailboxes: 7, states: { pending: 2, running: 1, done: 2, failed: 2 }, items: { mail: { done: 164, total: 250 } } });
      expect(Object.keys(report)).toEqual(['schemaVersion', 'generatedAt', 'batchGrouping', 'totals', 'batches', 'throughput', 'mailboxes', 'problemReasons', 'cutoverScores']);
    } finally {
      await fx.cleanup();
    }
  });

  test('no state store yet: every configured mailbox is pending, and no store is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ums-report-'));
    try {
      const statePath = join(dir, 'state', 'state.sqlite');
      const out = join(dir, 'r.json');
      expect((await run({ config: config(dir, statePath), out })).code).toBe(EXIT.OK);
      expect(existsSync(statePath)).toBe(false);
      const report = JSON.parse(readFileSync(out, 'utf8')) as ProgressReport;
      expect(report.mailboxes.map((m) => [m.source, m.state, m.id])).toEqual([['alice@example.com', 'pending', 0], ['zoe@new.example', 'pending', 0]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that cannot be written: exit 1 with the reason, nothing left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ums-report-'));
    try {
      const r = await run({ config: config(dir, join(dir, 'none.sqlite')), out: join(dir, 'missing-dir', 'r.html') });
      expect(r.code).toBe(EXIT.ERROR);
      expect(r.err).toMatch(/^ums-migrate: cannot write .*missing-dir\/r\.html: ENOENT/);
      expect(r.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('durations', () => {
    expect([fmtDuration(null), fmtDuration(0), fmtDuration(59), fmtDuration(90), fmtDuration(3599), fmtDuration(3600), fmtDuration(5400),
      fmtDuration(86399), fmtDuration(86400), fmtDuration(2 * 86400 + 5 * 3600)]).toEqual(
      ['–', '0 s', '59 s', '2 min', '1 h', '1 h', '1 h 30 min', '1 d', '1 d', '2 d 5 h']);
  });
});

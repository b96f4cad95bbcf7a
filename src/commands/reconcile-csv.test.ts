/**
 * reconcile --format csv: every field through the progress CSV's formula guard (issue 13 item
 * 12's rule). Folder names, server explanations and subjects come from outside; a leading tab or
 * CR before "=" is read as a formula by spreadsheets, and the command's own guard missed both.
 */
import { toCsv, type MailboxReconciliation } from './reconcile.js';

const HOSTILE = ['\t=HYPERLINK("http://evil.example","x")', '\r=1+1', '=cmd|\' /C calc\'!A0', '+1', '-1', '@SUM(1)'];

function rowsOf(csv: string): string[] {
  return csv.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l !== '');
}

test('a folder name, explanation or subject starting with =, +, -, @, tab or CR is written as text', () => {
  const results: MailboxReconciliation[] = HOSTILE.map((h, i) => ({
    source: `user${i}`, target: `user${i}`, collections: [], notMigrated: [],
    folders: [{
      target: 'INBOX', sources: [h], sourceCount: 1, targetCount: 0, sourceBytes: 1, targetBytes: 0, matched: 0,
      diffs: [{ kind: 'missing', folder: h, id: '7', size: 1, explanation: h, subject: h }],
    }],
  }));
  const rows = rowsOf(toCsv(results, true)).slice(1);
  expect(rows).toHaveLength(HOSTILE.length);
  for (const row of rows) {
    // Every field that holds the hostile text starts with the guard quote, inside or outside CSV quoting.
    const fields = row.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, ''));
    const hostile = fields.filter((f) => HOSTILE.some((h) => f.replace(/""/g, '"').endsWith(h)));
    expect(hostile).toHaveLength(3); // folder, explanation, subject
    for (const f of hostile) expect(f.startsWith("'")).toBe(true);
  }
});

test('a folder not migrated is a row of its own: its name, the items and who decided why, guarded too', () => {
  const results: MailboxReconciliation[] = [{
    source: 'alice', target: 'alice', collections: [], folders: [],
    notMigrated: [
      { container: '8226', name: 'archive.pst: Journal', kind: 'mail', items: 12, by: 'source', reason: 'IPF.Journal folder: not migrated' },
      { container: 'x', name: HOSTILE[0] as string, kind: 'mail', items: null, countError: 'unreadable', by: 'source', reason: 'unreadable folder' },
    ],
  }];
  const rows = rowsOf(toCsv(results, false)).slice(1);
  expect(rows[0]).toBe('alice,,not-migrated,archive.pst: Journal,,,,,,12 items; the source cannot migrate it: IPF.Journal folder: not migrated');
  expect(rows[1]).toMatch(/^alice,,not-migrated,"'\t=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",,,,,,not counted \(unreadable\); the source cannot migrate it: unreadable folder$/);
});

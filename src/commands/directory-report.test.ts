/**
 * The human directory-sync report, printed or written with --out: entry DNs, logins and reasons
 * come from the source and UMS directories, so their control and bidi characters are escaped in
 * the text itself (the --out file was written raw; only the terminal path escaped them).
 */
import type { DirectorySyncReport } from '../directory/sync.js';
import { formatDirectoryReport } from './directory.js';

const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

test('entry names, reasons and orphans are escaped in the report text; one problem per line', () => {
  const report: DirectorySyncReport = {
    mode: 'full', dryRun: false, read: { entries: 2, users: 2, groups: 0, contacts: 0, retried: 0, regrouped: 0 },
    adds: 0, modifies: 0, deletes: 0, unchanged: 0, applied: [], ldif: '', checkpoint: { before: null, after: null },
    errors: [{ entry: `cn=Evil${HOSTILE},dc=corp`, reason: `login "e${HOSTILE}" has LDAP metacharacters\nforged line` }],
    warnings: [{ entry: `cn=W${HOSTILE}`, reason: `odd\u2028value` }],
    orphans: [`uid=gone${HOSTILE},ou=people`],
    deprovision: { disabled: [], deleted: [], pending: [], ignored: [], notCreated: [], reenabled: [] },
  };
  const text = formatDirectoryReport(report);
  expect(text.replace(/\n/g, '')).not.toMatch(RAW);
  expect(text).toContain('  error   cn=Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e,dc=corp: login "e\\x1b]0;pwned');
  expect(text).toContain('metacharacters\\x0aforged line\n');
  expect(text).toContain('  warning cn=W\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e: odd\\u2028value\n');
  expect(text).toContain('uid=gone\\x1b]0;pwned');
  expect(text.split('\n').filter((l) => l.startsWith('forged'))).toEqual([]);
});

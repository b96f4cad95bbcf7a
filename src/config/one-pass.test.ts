/**
 * `validate` in one pass: a config with one problem of every kind gets all of them in one run, in
 * file order — not syntax first, then the schema, then files, then the CSV's duplicates.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatIssues, validateConfigText } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-one-pass-'));

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not found: ${needle}`);
  return i + 1;
}

function validate(text: string, env: NodeJS.ProcessEnv = {}) {
  return validateConfigText(Buffer.from(text), { baseDir: dir, env, file: path.join(dir, 'migration.yaml') });
}

describe('validate reports every kind of problem in one run, in file order', () => {
  writeFileSync(path.join(dir, 'users.csv'), [
    'source,target,targetPassword',
    'carol@old.example,carol@ums.example,env:CAROL',
    'dave@old.example',
    'alice@old.example,alice2@ums.example,env:CAROL',
    'erin@old.example,erin@ums.example,hunter2',
    '',
  ].join('\n'));
  const text = [
    'version: 1',
    'logging:',
    '  level: info',
    '  level: debug',
    'source:',
    '  type: imap',
    '  host: imap.old.example',
    '  port: abc',
    '  auth: { mode: master, masterUser: admin, masterPassword: env:MASTER_UNSET }',
    'target:',
    '  host: imap.ums.example',
    '  caFile: ./no-such-ca.pem',
    '  password: env:UMS_PW',
    'mailboxes:',
    '  - source: alice@old.example',
    '    targetPassword: env:ALICE_UNSET',
    '  - source: bob@old.example',
    '    target: bob smith',
    '    targetPassword: env:CAROL',
    'userMap: users.csv',
    'filters:',
    '  maxMessageSize: huge',
    '',
  ].join('\n');

  test('all of them, each at its line, syntax and CSV rows included', () => {
    const r = validate(text, { CAROL: 'c' });
    expect(r.config).toBeUndefined();
    const at = (needle: string) => lineOf(text, needle);
    expect(r.issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [at('level: debug'), '', 'YAML syntax: Map keys must be unique'],
      [at('port: abc'), 'source.port', 'expected a number, got "abc"'],
      [at('auth: { mode'), 'source.auth.masterPassword', 'env var MASTER_UNSET is not set'],
      [at('caFile: ./no-such-ca'), 'target.caFile', `cannot read CA file ${path.join(dir, 'no-such-ca.pem')}: ENOENT`],
      [at('password: env:UMS_PW'), 'target.password', expect.stringMatching(/^unknown key "password": passwords are per mailbox: targetPassword under mailboxes/)],
      [at('targetPassword: env:ALICE_UNSET'), 'mailboxes[0].targetPassword', 'env var ALICE_UNSET is not set'],
      [at('bob smith'), 'mailboxes[1].target', 'must not contain spaces or control characters'],
      [at('userMap:'), 'userMap', 'users.csv:3: expected 2–3 columns, got 1'],
      [at('userMap:'), 'userMap', 'users.csv:4: source: duplicate source "alice@old.example" (also mailboxes[0])'],
      [at('userMap:'), 'userMap', 'users.csv:5: targetPassword: inline secrets are not allowed; use env:NAME or file:/path'],
      [at('maxMessageSize'), 'filters.maxMessageSize', 'expected a positive size in bytes or with KB/MB/GB, got "huge"'],
    ]);
    expect(formatIssues(r.issues, 'migration.yaml')).not.toContain('hunter2');
  });

  test('a YAML syntax error does not hide the problems after it; keys it may have swallowed are not called missing', () => {
    const broken = [
      'version: 1',
      'source:',
      '  type: imap',
      '  host: "imap.old.example',
      'target:',
      '  host: imap.ums.example',
      '',
    ].join('\n');
    const r = validate(broken);
    // The quote runs to the end: target is inside the broken string, and no "required" follows.
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^YAML syntax: Missing closing "quote/)]);

    const later = [
      'version: 1',
      'source:',
      '  type: imap',
      '  host: imap.old.example',
      '  port: abc',
      'target:',
      '  host: imap.ums.example',
      'folders:',
      '  include: [a, b',
      'mailboxes:',
      '  - source: a@x',
      '    sourcePassword: env:A',
      '    targetPassword: env:A',
      '',
    ].join('\n');
    const r2 = validate(later, { A: 'a' });
    expect(r2.issues.map((i) => [i.line, i.path])).toEqual([
      [lineOf(later, 'port: abc'), 'source.port'],
      [expect.any(Number), ''],
    ]);
    expect(r2.issues[1]!.message).toMatch(/^YAML syntax: /);
  });

  test('a byte that is not UTF-8 does not hide the rest of the file', () => {
    const bytes = Buffer.concat([
      Buffer.from('version: 1\n# caf'), Buffer.from([0xe9]), Buffer.from('\nsource:\n  type: imap\n  host: h\n  port: abc\ntarget:\n  host: t\n  auth: { mode: master, masterUser: m, masterPassword: env:M }\nmailboxes:\n  - source: a\n'),
    ]);
    const r = validateConfigText(bytes, { baseDir: dir, env: { M: 'm' } });
    expect(r.issues.map((i) => [i.line, i.path])).toEqual([[2, ''], [6, 'source.port']]);
    expect(r.issues[0]!.message).toMatch(/^not UTF-8 \(byte 0xE9/);
  });
});

describe('hints for the common mistakes', () => {
  const base = (target: string, mailbox = '  - source: a\n    targetPassword: env:A') =>
    `version: 1\nsource:\n  type: imap\n  host: s\n  auth: { mode: master, masterUser: m, masterPassword: env:M }\ntarget:\n${target}\nmailboxes:\n${mailbox}\n`;
  const messages = (text: string) => validate(text, { A: 'a', M: 'm' }).issues.map((i) => `${i.path}: ${i.message}`);

  test('a password where the config has none points to the real key names', () => {
    expect(messages(base('  host: t\n  password: env:X'))).toEqual([
      'target.password: unknown key "password": passwords are per mailbox: targetPassword under mailboxes (or the userMap\'s targetPassword column)' +
        ', or one login for all with target.auth.mode: master and target.auth.masterPassword; each is a secret reference (env:NAME or file:PATH)',
    ]);
    // The missing key is placed at `auth:`, before the unknown one on the same line.
    expect(messages(base('  host: t\n  auth: { mode: master, masterUser: m, password: env:M }'))).toEqual([
      'target.auth.masterPassword: required when mode is master',
      'target.auth.password: unknown key "password": did you mean "masterPassword"?',
    ]);
    expect(messages(base('  host: t', '  - source: a\n    password: env:A'))).toEqual([
      'mailboxes[0].password: unknown key "password": did you mean "sourcePassword" or "targetPassword"?',
    ]);
    expect(messages(base('  host: t\n  user: admin'))).toEqual([
      expect.stringMatching(/^target\.user: unknown key "user": logins are per mailbox .*target\.auth\.masterUser with auth\.mode: master$/),
    ]);
  });

  test('a user map separated by ";" (Excel in many locales) says so, once', () => {
    writeFileSync(path.join(dir, 'semicolon.csv'), 'source;target;targetPassword\r\na;a;env:A\r\nb;b;env:A\r\n');
    expect(messages(base('  host: t', '  []').replace('mailboxes:\n  []', 'userMap: semicolon.csv'))).toEqual([
      'userMap: semicolon.csv:1: looks like \';\'-separated ("source;target;targetPassword"): use \',\' between the columns (in Excel: save as "CSV UTF-8 (comma delimited)")',
    ]);
  });
});

/** `ums-migrate validate`, `--version` and the help texts, through the real CLI. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../test/support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-validate-cli-'));
const repo = fileURLToPath(new URL('../..', import.meta.url));

test('a missing config file: its full path, and how to start one from the example', async () => {
  const r = await runCli(['validate', '-c', path.join(dir, 'nope', 'migration.yaml')]);
  expect(r.code).toBe(2);
  // The example as a path that works from the current directory (the test runs in the repository).
  const example = path.relative(process.cwd(), path.join(repo, 'migration.example.yaml'));
  expect(r.stderr).toBe(`cannot read config file ${path.join(dir, 'nope', 'migration.yaml')}: no such file (ENOENT); to start one from the documented example: `
    + `cp ${example.startsWith('..') ? path.join(repo, 'migration.example.yaml') : example} ${path.join(dir, 'nope', 'migration.yaml')}, then edit it (or give another file with -c FILE)\n`);
  // Other commands say the same (loadConfig).
  const status = await runCli(['status', '-c', path.join(dir, 'nope.yaml')]);
  expect(status.code).toBe(2);
  expect(status.stderr).toContain(`cannot read config file ${path.join(dir, 'nope.yaml')}: no such file (ENOENT); to start one from the documented example: cp `);
});

test('every problem in one run, in file order, with the count; exit 2', async () => {
  writeFileSync(path.join(dir, 'users.csv'), 'source;target;targetPassword\nc;c;env:C\n');
  const file = path.join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1',
    'source: { type: imap, host: s, port: abc }',
    'target:',
    '  host: t',
    '  password: env:X',
    'userMap: users.csv',
    'concurrency: { tasks: 0 }',
    'filters: {}',
    'filters: {}',
    '',
  ].join('\n'));
  const r = await runCli(['validate', '-c', file]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').map((l) => l.replace(file, 'F'))).toEqual([
    'F:2:38 error source.port: expected a number, got "abc"',
    expect.stringMatching(/^F:5:3 error target\.password: unknown key "password": passwords are per mailbox: targetPassword under mailboxes/),
    'F:6:10 error userMap: users.csv:1: looks like \';\'-separated ("source;target;targetPassword"): use \',\' between the columns (in Excel: save as "CSV UTF-8 (comma delimited)")',
    'F:7:23 error concurrency.tasks: must be at least 1, got 0',
    'F:9:1 error YAML syntax: Map keys must be unique',
    'F: 5 errors',
    '',
  ]);
});

test('--version prints package.json\'s version; --help names every source kind; report --help marks --out required', async () => {
  const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
  const v = await runCli(['--version']);
  expect([v.code, v.stdout]).toEqual([0, `${version}\n`]);
  const help = await runCli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).not.toMatch(/soon/);
  expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/from Exchange \(EWS\), IMAP servers, PST\/\.msg files and Kopano into the UMS/);
  const report = await runCli(['report', '--help']);
  expect(report.stdout).toMatch(/-o, --out <file>\s+required: the file to write/);
});

test('every secret reference that does not resolve is an error at its path, whatever its section or auth mode; no value is printed', async () => {
  const file = path.join(dir, 'secrets.yaml');
  writeFileSync(file, [
    'version: 1',
    'source:',
    '  type: ews',
    '  url: https://mail.old.example/EWS/Exchange.asmx',
    '  auth: { mode: oauth2, tenant: contoso.onmicrosoft.com, clientId: app, clientSecret: env:UMS_T_NO_CLIENT_SECRET }',
    'target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: "file:no-master.pw" } }',
    'state: { driver: postgres, url: env:UMS_T_NO_STATE_URL }',
    'mailboxes:',
    '  - source: alice@old.example',
    'directory:',
    '  source: { url: ldaps://dc1.corp.example, bindDn: svc@corp.example, bindPassword: env:UMS_T_BIND, base: "DC=corp,DC=example" }',
    '  target: { url: ldaps://ldap.ums.example, bindDn: "cn=admin,dc=ums", bindPassword: env:UMS_T_NO_LDAP_BIND, base: "dc=ums" }',
    '',
  ].join('\n'));
  const r = await runCli(['validate', '-c', file], { UMS_T_BIND: 'resolved-bind-secret-4711' });
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n').map((l) => l.replace(file, 'F'))).toEqual([
    'F:5:87 error source.auth.clientSecret: env var UMS_T_NO_CLIENT_SECRET is not set',
    `F:6:92 error target.auth.masterPassword: cannot read secret file ${path.join(dir, 'no-master.pw')}: ENOENT`,
    'F:7:33 error state.url: env var UMS_T_NO_STATE_URL is not set',
    'F:12:85 error directory.target.bindPassword: env var UMS_T_NO_LDAP_BIND is not set',
    'F: 4 errors',
    '',
  ]);
  expect(r.stdout + r.stderr).not.toContain('resolved-bind-secret-4711');
});

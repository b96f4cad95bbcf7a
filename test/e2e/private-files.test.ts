/**
 * Every file the CLI writes that holds logins, addresses, folder names or server texts is created
 * 0600 (umask 022 here), and whole files are written through an exclusively created temporary
 * file: a symlink planted at `<out>.tmp` (or at `<out>` itself) never redirects the write into
 * another file. Through the real CLI: report, reconcile --out, directory sync --dry-run --out
 * (slapd lab), routing generate and publish (postmap, no running Postfix), the audit mirror, the
 * state database and the run lock record.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freshUmsOu, slapdClient, startSlapd, UMS_SUFFIX } from '../lab/slapd.js';
import { runCli } from '../support/cli.js';

let dir: string;
let victim: string;
let umask: number;
const VICTIM_TEXT = 'precious, not to be overwritten\n';
const mode = (file: string) => statSync(file).mode & 0o777;

/** Plants `<out>.tmp` → victim, the attack on the earlier fixed temporary name. */
function plantTmpSymlink(out: string): void {
  symlinkSync(victim, `${out}.tmp`);
}

function expectVictimUntouched(): void {
  expect(readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
  expect(mode(victim)).toBe(0o644);
}

const BASE_CONFIG = [
  'version: 1',
  'state: { path: ./state/state.sqlite }',
  'source: { type: imap, host: 127.0.0.1, port: 1, allowInsecure: true }',
  'target: { host: 127.0.0.1, port: 1, allowInsecure: true }',
  'mailboxes: [{ source: alice, sourcePassword: env:UMS_TEST_PW, targetPassword: env:UMS_TEST_PW }]',
];
const env = { UMS_TEST_PW: 'pw', UMS_OPERATOR: 'files-test' };

beforeAll(() => {
  umask = process.umask(0o022); // children inherit it: without an explicit mode, files would be 0644
});
afterAll(() => {
  process.umask(umask);
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ums-files-'));
  victim = path.join(dir, 'victim.txt');
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o644 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(extra: string[] = []): string {
  const file = path.join(dir, 'migration.yaml');
  writeFileSync(file, [...BASE_CONFIG, ...extra, ''].join('\n'));
  return file;
}

test('report --out (html, csv, json): 0600, and a planted <out>.tmp or <out> symlink does not redirect the write', async () => {
  const cfg = config();
  for (const name of ['progress.html', 'progress.csv', 'progress.json']) {
    const out = path.join(dir, name);
    plantTmpSymlink(out);
    const r = await runCli(['report', '-c', cfg, '--out', out], env);
    expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
    expect(lstatSync(out).isFile()).toBe(true);
    expect(mode(out)).toBe(0o600);
    expectVictimUntouched();
    expect(readFileSync(out, 'utf8')).toContain('alice');
  }
  // A symlink at the destination itself is replaced, not written through.
  const out = path.join(dir, 'linked.html');
  symlinkSync(victim, out);
  expect((await runCli(['report', '-c', cfg, '--out', out], env)).code).toBe(0);
  expect(lstatSync(out).isFile()).toBe(true);
  expect(mode(out)).toBe(0o600);
  expectVictimUntouched();
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp') && !n.startsWith('progress.'))).toEqual([]);
});

test('reconcile --out: 0600 through the exclusive temporary file, also when every mailbox failed', async () => {
  const out = path.join(dir, 'reconcile.json');
  plantTmpSymlink(out);
  const r = await runCli(['reconcile', '-c', config(), '--format', 'json', '--out', out], env);
  expect(r.code).toBe(1); // the servers are not there: each mailbox is an error entry
  expect(r.stdout).toContain(`reconciliation written to ${out}`);
  expect(mode(out)).toBe(0o600);
  expect(JSON.parse(readFileSync(out, 'utf8'))[0]).toMatchObject({ source: 'alice' });
  expectVictimUntouched();
});

test('routing generate and publish: maps, postmap files, Exchange plan, warnings, manifest, audit mirror, state and lock record are 0600', async () => {
  mkdirSync(path.join(dir, 'pf'));
  writeFileSync(path.join(dir, 'pf', 'main.cf'), '');
  writeFileSync(path.join(dir, 'book.csv'), 'type,key,login,mail,proxyAddresses,legacyExchangeDN,members\nuser,g1,alice,alice@corp.example,,,\n');
  const cfg = config([
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    '  exchangeHost: "[exchange.corp.example]:25"',
    '  umsTransport: "lmtp:unix:private/courier-lmtp"',
    '  postfixConfigDir: ./pf',
    '  addressBook: { file: ./book.csv }',
  ]);
  const review = path.join(dir, 'review');
  const gen = await runCli(['routing', 'generate', '-c', cfg, '--out', review], env);
  expect(gen.code).toBe(0);
  const generated = Object.fromEntries(readdirSync(review).map((n) => [n, mode(path.join(review, n))]));
  expect(generated).toEqual({
    transport: 0o600, relay_recipients: 0o600, virtual: 0o600, 'exchange-plan.csv': 0o600, 'exchange-plan.ps1': 0o600, 'warnings.txt': 0o600,
  });

  expect((await runCli(['cutover', '--user', 'alice', '--force', '-c', cfg], env)).code).toBe(0); // never migrated: forced past the gate
  const pub = await runCli(['routing', 'publish', '-c', cfg], env);
  expect(pub.code).toBe(0);
  const v1 = path.join(dir, 'routing', 'versions', 'v000001');
  const published = Object.fromEntries(readdirSync(v1).map((n) => [n, mode(path.join(v1, n))]));
  expect(Object.keys(published).sort()).toEqual([
    'exchange-changes.ps1', 'exchange-plan.csv', 'exchange-plan.ps1', 'manifest.json', 'relay_recipients', 'relay_recipients.db',
    'transport', 'transport.db', 'virtual', 'virtual.db', 'warnings.txt',
  ]);
  expect(Object.values(published).every((m) => m === 0o600)).toBe(true);
  const state = path.join(dir, 'state');
  expect(mode(path.join(state, 'routing-audit.jsonl'))).toBe(0o600);
  expect(mode(path.join(state, 'state.sqlite'))).toBe(0o600);
  expect(existsSync(path.join(dir, 'routing', '.publish.lock'))).toBe(false); // released
  expect(mode(path.join(dir, 'routing', '.publish.lock.fcntl'))).toBe(0o600);
});

test('directory sync --dry-run --out: the LDIF is 0600 and a planted <out>.tmp symlink does not redirect it', async () => {
  const slapd = await startSlapd();
  const client = await slapdClient(slapd);
  let sourceOu: string;
  let targetOu: string;
  try {
    sourceOu = await freshUmsOu(client, 'files-src');
    targetOu = await freshUmsOu(client, 'files-dst');
    await client.add(`uid=fiona,${sourceOu}`, {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'fiona', cn: 'Fiona', sn: 'F', mail: 'fiona@corp.example',
    });
  } finally {
    await client.unbind();
  }
  writeFileSync(path.join(dir, 'ldap-pw'), slapd.password, { mode: 0o600 });
  const endpointLines = (base: string) => [
    `    url: ${slapd.url}`, `    bindDn: ${slapd.bindDn(UMS_SUFFIX)}`, '    bindPassword: file:./ldap-pw', `    caFile: ${slapd.caFile}`, `    base: "${base}"`,
  ];
  const cfg = config(['directory:', '  source:', '    kind: ldap', ...endpointLines(sourceOu), '  target:', ...endpointLines(targetOu)]);
  const out = path.join(dir, 'plan.ldif');
  plantTmpSymlink(out);
  const r = await runCli(['directory', 'sync', '--dry-run', '-c', cfg, '--out', out], env);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(mode(out)).toBe(0o600);
  expect(readFileSync(out, 'utf8')).toContain('fiona');
  expectVictimUntouched();
}, 120_000);

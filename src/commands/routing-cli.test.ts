/**
 * The cutover and routing commands through the real CLI, without a running Postfix (postmap only,
 * with an empty main.cf in a private config dir): per-item errors, the publish guards, versions
 * and rollback, the generated files. Mail flow with a real Postfix: test/e2e/routing-postfix.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../test/support/cli.js';

let dir: string;
const config = () => path.join(dir, 'migration.yaml');
const cli = (...args: string[]) => runCli([...args, '-c', config()], { UMS_OPERATOR: 'ops-test' });

const BOOK = [
  'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
  'user,g1,alice,alice@corp.example,smtp:a.smith@corp.example,,',
  'user,g2,bob,bob@corp.example,,,',
  'user,g3,carol,carol@corp.example,,,',
  'group,grp,,team@corp.example,,,alice;bob',
  '',
].join('\n');

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ums-routing-cli-'));
  mkdirSync(path.join(dir, 'pf'));
  writeFileSync(path.join(dir, 'pf', 'main.cf'), '');
  writeFileSync(path.join(dir, 'book.csv'), BOOK);
  writeFileSync(config(), [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'mailboxes: [{ source: alice, sourcePassword: env:UNUSED, targetPassword: env:UNUSED }]',
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    '  exchangeHost: "[exchange.corp.example]:25"',
    '  umsTransport: "lmtp:unix:private/courier-lmtp"',
    '  postfixConfigDir: ./pf',
    '  keepVersions: 2',
    '  addressBook: { file: ./book.csv }',
    '',
  ].join('\n'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('cutover: unknown names are reported one by one, the others are cut over (exit 3); repeat and undo', async () => {
  const r = await cli('cutover', '--user', 'alice', '--user', 'zoe', '--user', 'BOB@corp.example', '--force'); // never migrated: past the gate only forced
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^2 user\(s\) cut over: alice, bob\n/);
  expect(r.stderr).toContain('error: --user: "zoe": no user with this key, login or address in the address book; not cut over');
  const again = await cli('cutover', '--user', 'a.smith@corp.example');
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('0 user(s) cut over\nalready cut over: alice\nmaps (not yet published): no change\n');
  const undo = await cli('cutover', '--user', 'bob', '--undo', '--json');
  expect(undo.code).toBe(0);
  expect(JSON.parse(undo.stdout).audit).toMatchObject({ action: 'undo', who: 'ops-test', users: ['bob'] });
  const usage = await cli('cutover');
  expect(usage.code).toBe(1);
  expect(usage.stderr).toContain('cutover needs exactly one of --user (repeatable), --batch FILE or --wave NAME');
});

test('generate writes the maps and the Exchange plan for review, and changes nothing live', async () => {
  await cli('cutover', '--user', 'alice', '--force');
  const r = await cli('routing', 'generate', '--out', path.join(dir, 'review'));
  expect(r.code).toBe(0);
  expect(readFileSync(path.join(dir, 'review', 'virtual'), 'utf8')).toContain('a.smith@corp.example\talice@ums.corp.example\n');
  expect(readFileSync(path.join(dir, 'review', 'exchange-plan.csv'), 'utf8')).toBe('login,primary,targetAddress\r\nalice,alice@corp.example,alice@ums.corp.example\r\n');
  expect(existsSync(path.join(dir, 'routing', 'current'))).toBe(false);
});

test('publish: versions with postmap files, no-change publish skipped, rollback walks back, old versions pruned', async () => {
  const v1 = await cli('routing', 'publish');
  expect(v1.code).toBe(0);
  expect(v1.stdout).toContain('postfix: not running');
  expect(existsSync(path.join(dir, 'routing', 'versions', 'v000001', 'transport.db'))).toBe(true);
  expect((await cli('routing', 'publish')).stdout).toBe('no change since v000001: nothing published\n');
  await cli('cutover', '--user', 'alice', '--force');
  expect((await cli('routing', 'publish')).stdout).toMatch(/^published v000002 \(previous: v000001\)/);
  await cli('cutover', '--user', 'bob', '--force');
  expect((await cli('routing', 'publish')).stdout).toMatch(/^published v000003 \(previous: v000002\)/);
  // keepVersions 2: v000001 is gone, the current version and its predecessor stay.
  expect(existsSync(path.join(dir, 'routing', 'versions', 'v000001'))).toBe(false);
  const back = await cli('routing', 'rollback');
  expect(back.code).toBe(0);
  expect(back.stdout).toMatch(/^rolled back v000003 → v000002/);
  expect(readlinkSync(path.join(dir, 'routing', 'current'))).toBe(path.join('versions', 'v000002'));
  const again = await cli('routing', 'rollback');
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('previous version v000001 is not readable (ENOENT); nothing changed');
  const check = await cli('routing', 'check', 'bob@corp.example');
  expect(check.stdout).toContain('bob@corp.example → ums');
  expect(check.stdout).toContain('published maps (v000002): transport=relay:[exchange.corp.example]:25 relay_recipients=OK virtual=(none)');
  expect(check.stdout).toContain('NOT PUBLISHED YET');
});

test('publish refuses an address book with problems or a mass removal unless --force', async () => {
  expect((await cli('routing', 'publish')).code).toBe(0);
  writeFileSync(path.join(dir, 'book.csv'), 'type,key,login,mail,proxyAddresses,legacyExchangeDN,members\nuser,,,x@corp.example,,,\n');
  const r = await cli('routing', 'publish');
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('not published (use --force after checking):\n  the address book has 1 problem(s); rows left out would lose their addresses\n  5 of 5 published recipients would be removed\n');
  expect(r.stderr).toContain('error: book.csv:2: user without a login; row left out');
  const forced = await cli('routing', 'publish', '--force');
  expect(forced.code).toBe(0);
  expect(forced.stdout).toMatch(/^published v000002/);
});

test('warnings.txt (generated and published) shows an address book value\'s control and bidi characters escaped, one warning per line', async () => {
  const hostile = 'ev\x1b[2J\x07il\u009b2J\u202eo\nforged line'; // no ';': it separates proxyAddresses
  writeFileSync(path.join(dir, 'book.csv'), `${BOOK}user,g9,dave,dave@corp.example,"smtp:${hostile}@corp.example",,\n`);
  const gen = await cli('routing', 'generate', '--out', path.join(dir, 'review'));
  expect(gen.code).toBe(0);
  const pub = await cli('routing', 'publish', '--force');
  expect(pub.code).toBe(0);
  for (const file of [path.join(dir, 'review', 'warnings.txt'), path.join(dir, 'routing', 'current', 'warnings.txt')]) {
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('smtp:ev\\x1b[2J\\x07il\\x9b2J\\u202eo\\x0aforged line@corp.example');
    // eslint-disable-next-line no-control-regex
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(text.split('\n').filter((l) => l.startsWith('forged line'))).toEqual([]);
  }
});

test('a config without routing: names the missing section', async () => {
  writeFileSync(config(), readFileSync(config(), 'utf8').replace(/routing:[\s\S]*$/, ''));
  const r = await cli('routing', 'check', 'alice@corp.example');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no routing: section (see migration.example.yaml)');
});

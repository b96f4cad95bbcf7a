/**
 * The routing commands leave a trail: JSON lines in `logging.file` (command, operator, start,
 * end with the exit code, one line per audit entry), and refused attempts are audited with the
 * names they held back and why (a publish stopped by its guards, a rollback with no earlier
 * version). Through the real CLI, with postmap and an empty main.cf (no running Postfix).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../test/support/cli.js';
import { SqliteStateStore } from '../state/sqlite.js';
import type { RoutingAuditEntry } from '../state/store.js';

let dir: string;
const config = () => path.join(dir, 'migration.yaml');
const logFile = () => path.join(dir, 'logs', 'ums.log');
const cli = (...args: string[]) => runCli([...args, '-c', config()], { UMS_OPERATOR: 'ops-log' });

const BOOK = [
  'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
  'user,g1,alice,alice@corp.example,smtp:a.smith@corp.example,,',
  'user,g2,bob,bob@corp.example,,,',
  'user,g3,carol,carol@corp.example,,,',
  'user,g4,Room 1,room1@corp.example,,,',
  '',
].join('\n');

function writeConfig(logging: string): void {
  writeFileSync(config(), [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'mailboxes: [{ source: alice, sourcePassword: env:UNUSED, targetPassword: env:UNUSED }]',
    logging,
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    '  exchangeHost: "[exchange.corp.example]:25"',
    '  postfixConfigDir: ./pf',
    '  addressBook: { file: ./book.csv }',
    '',
  ].join('\n'));
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ums-routing-log-'));
  mkdirSync(path.join(dir, 'pf'));
  writeFileSync(path.join(dir, 'pf', 'main.cf'), '');
  writeFileSync(path.join(dir, 'book.csv'), BOOK);
  writeConfig('logging: { file: ./logs/ums.log }');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const logLines = (): Record<string, unknown>[] => readFileSync(logFile(), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

async function audit(): Promise<RoutingAuditEntry[]> {
  const store = new SqliteStateStore(path.join(dir, 'state', 'state.sqlite'));
  try {
    return await store.routingAudit();
  } finally {
    await store.close();
  }
}

test('publish, a publish refused by its guards and a refused rollback: logged to logging.file and audited with the refused names', async () => {
  const first = await cli('routing', 'publish');
  expect(first.code).toBe(0);
  // The room with a space in its login is in the address book: nothing to refuse.
  expect(first.stderr).not.toContain('Room 1');

  // Most recipients gone from the address book: refused, and the refusal is audited.
  writeFileSync(path.join(dir, 'book.csv'), 'type,key,login,mail,proxyAddresses,legacyExchangeDN,members\nuser,g1,alice,alice@corp.example,,,\n');
  const refused = await cli('routing', 'publish');
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/audit #2 by ops-log/);

  const back = await cli('routing', 'rollback');
  expect(back.code).toBe(1);

  const entries = await audit();
  expect(entries.map((e) => [e.action, e.who, e.users, e.refused.map((r) => r.name)])).toEqual([
    ['publish', 'ops-log', [], []],
    ['publish', 'ops-log', [], ['routing maps']],
    ['rollback', 'ops-log', [], ['v000001']],
  ]);
  expect(entries[1]!.refused[0]!.reason).toBe('not published: 4 of 5 published recipients would be removed');
  expect(entries[2]!.refused[0]!.reason).toMatch(/no earlier version|previous version/);

  const lines = logLines();
  const pick = (l: Record<string, unknown>) => [l.command, l.operator, l.msg, l.exitCode ?? null];
  expect(lines.map(pick)).toEqual([
    ['routing publish', 'ops-log', 'routing publish started', null],
    ['routing publish', 'ops-log', 'audit #1: publish', null],
    ['routing publish', 'ops-log', 'routing publish finished', 0],
    ['routing publish', 'ops-log', 'routing publish started', null],
    ['routing publish', 'ops-log', 'audit #2: publish, 1 refused', null],
    ['routing publish', 'ops-log', 'routing publish finished', 3],
    ['routing rollback', 'ops-log', 'routing rollback started', null],
    ['routing rollback', 'ops-log', 'audit #3: rollback, 1 refused', null],
    ['routing rollback', 'ops-log', 'routing rollback failed', null],
  ]);
  expect(lines[4]).toMatchObject({ level: 40, audit: { seq: 2, action: 'publish', users: [], refused: [{ name: 'routing maps', reason: 'not published: 4 of 5 published recipients would be removed' }] } });
  expect(lines[8]).toMatchObject({ level: 50, err: expect.stringMatching(/v000001/) });
});

test('generate and check are logged too; without logging.file only warnings and errors reach stderr as log lines', async () => {
  expect((await cli('routing', 'generate')).code).toBe(0);
  expect((await cli('routing', 'check', 'room1@corp.example')).code).toBe(0);
  expect(logLines().map((l) => l.msg)).toEqual([
    'routing generate started', 'maps generated for review', 'routing generate finished',
    'routing check started', 'routing checked', 'routing check finished',
  ]);
  expect(logLines()[4]).toMatchObject({ address: 'room1@corp.example', system: 'exchange' });

  writeConfig('');
  const quiet = await cli('routing', 'generate');
  expect(quiet.code).toBe(0);
  expect(quiet.stderr).not.toMatch(/"msg"/);
  expect((await cli('routing', 'publish')).code).toBe(0);
  writeFileSync(path.join(dir, 'book.csv'), 'type,key,login,mail,proxyAddresses,legacyExchangeDN,members\nuser,g1,alice,alice@corp.example,,,\n');
  const refused = await cli('routing', 'publish');
  expect(refused.code).toBe(3);
  const logged = refused.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logged.map((l) => [l.level, l.msg])).toEqual([[40, 'audit #2: publish, 1 refused'], [40, 'routing publish finished']]);
});

test('the audit mirror (routing-audit.jsonl) writes C1, DEL and bidi characters of a name as \\u escapes: nothing raw, the value exact', async () => {
  // A name carrying a CSI (U+009B), a DEL and a right-to-left override, as an AD name can: refused (no such user), audited with the name.
  const odd = 'mal\u009b31mlory\u007f\u202eexe.txt';
  const r = await cli('cutover', '--user', odd);
  expect(r.code).toBe(3);
  const text = readFileSync(path.join(dir, 'state', 'routing-audit.jsonl'), 'utf8');
  expect(text).not.toMatch(/[\u007f-\u009f\u202e]/);
  expect(text).toContain('mal\\u009b31mlory\\u007f\\u202eexe.txt');
  const mirrored = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RoutingAuditEntry);
  expect(mirrored.map((e) => [e.action, e.users, e.refused.map((x) => x.name)])).toEqual([['cutover', [], [odd]]]);
  expect(mirrored).toEqual(await audit());
});

/**
 * The gated `cutover`, `approve`, and the consistency score in `status` and `report`, through the
 * real CLI against a real SQLite state store seeded the way runs leave it (no mail server needed:
 * the gate reads only the store). Postfix and real migrations: test/e2e/cutover-waves.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../test/support/cli.js';
import { loadConfig } from '../config/load.js';
import { recordPass } from '../engine/last-pass.js';
import { directoryCheckpointName, emptyDirectoryState, saveDirectoryState, type StateUser } from '../directory/state.js';
import { SqliteStateStore } from '../state/sqlite.js';

let dir: string;
const config = () => path.join(dir, 'migration.yaml');
const cli = (...args: string[]) => runCli([...args, '-c', config()], { UMS_OPERATOR: 'pm-anna' });
const statePath = () => path.join(dir, 'state', 'state.sqlite');

const BOOK = [
  'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
  'user,g1,alice,alice@corp.example,,,',
  'user,g2,bob,bob@corp.example,,,',
  'user,g3,carol,carol@corp.example,,,',
  'user,g4,dave,dave@corp.example,,,',
  'user,g5,erin,erin@corp.example,,,',
  '',
].join('\n');

const HOUR = 3_600_000;

/** A mailbox as a run leaves it: one folder, `done` items copied, the failed ones with the server's words, the pass recorded. */
async function seed(store: SqliteStateStore, login: string, opts: { failed?: string[]; passStarted?: Date; targetRef?: string; folder?: string }): Promise<void> {
  const id = await store.mailboxId({ source: login, target: login });
  const folder = opts.folder ?? 'INBOX';
  await store.openContainer(id, folder, folder, opts.targetRef ?? 'INBOX');
  const failed = opts.failed ?? [];
  await store.setContainerTotals(id, folder, { items: 3 + failed.length, bytes: 300 });
  await store.commitBatch(id, folder, [
    ...['1', '2', '3'].map((itemId) => ({ itemId, status: 'done' as const, size: 100, targetId: itemId, targetEpoch: '1' })),
    ...failed.map((itemId) => ({ itemId, status: 'failed' as const, size: 100, reason: 'NO [ALERT] You exceeded your mail quota.' })),
  ], { epoch: '7', cursor: '9', scope: '', token: 't', targetRef: opts.targetRef ?? 'INBOX' });
  await store.setContainerStatus(id, folder, 'done');
  const started = opts.passStarted ?? new Date(Date.now() - HOUR);
  await recordPass(store, login, login, { startedAt: started.toISOString(), finishedAt: new Date(started.getTime() + 60_000).toISOString(), ok: true, interrupted: false });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ums-cutover-gate-'));
  mkdirSync(path.join(dir, 'pf'));
  writeFileSync(path.join(dir, 'pf', 'main.cf'), '');
  writeFileSync(path.join(dir, 'book.csv'), BOOK);
  writeFileSync(path.join(dir, 'users.csv'), 'source,target,sourcePassword,targetPassword,wave\nalice,,env:UNUSED,env:UNUSED,w1\nbob,,env:UNUSED,env:UNUSED,w1\ncarol,,env:UNUSED,env:UNUSED,w2\ndave,,env:UNUSED,env:UNUSED,w2\nerin,,env:UNUSED,env:UNUSED,w2\n');
  writeFileSync(config(), [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'userMap: ./users.csv',
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    '  exchangeHost: "[exchange.corp.example]:25"',
    '  postfixConfigDir: ./pf',
    '  addressBook: { file: ./book.csv }',
    '',
  ].join('\n'));
  const store = new SqliteStateStore(statePath());
  await store.migrate();
  await seed(store, 'alice', {});
  await seed(store, 'bob', { failed: ['4', '5'] });
  // carol: never migrated. dave: last pass two days ago. erin: a calendar nobody reconciled.
  await seed(store, 'dave', { passStarted: new Date(Date.now() - 48 * HOUR) });
  await seed(store, 'erin', { folder: 'Calendar', targetRef: 'calendar:Calendar' });
  await store.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function audit() {
  const store = new SqliteStateStore(statePath());
  try {
    return await store.routingAudit();
  } finally {
    await store.close();
  }
}

test('a user whose mailbox was never migrated is refused with the reason (exit 3), and the refusal is audited with the name', async () => {
  const r = await cli('cutover', '--user', 'carol');
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^0 user\(s\) cut over\n/);
  expect(r.stderr).toContain('error: carol: not cut over: mailbox carol was never migrated: fix that and run `ums-migrate run -m carol`\n');
  const [entry] = await audit();
  expect(entry).toMatchObject({ action: 'cutover', who: 'pm-anna', users: [], refused: [{ name: 'carol', reason: 'mailbox carol was never migrated: fix that and run `ums-migrate run -m carol`' }] });
});

test('each user is gated on its own: the complete mailbox is cut over, the others are refused with their reasons', async () => {
  const r = await cli('cutover', '--user', 'alice', '--user', 'bob', '--user', 'dave', '--user', 'erin', '--user', 'nobody');
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^1 user\(s\) cut over: alice\n/);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  expect(errors).toEqual([
    'error: --user: "nobody": no user with this key, login or address in the address book; not cut over',
    'error: bob: not cut over: 2 failed item(s) of bob without an approval (`ums-migrate status --problems`): fix them and run `ums-migrate retry --failed -m bob`, or approve them with `ums-migrate approve --mailbox bob --reason "…"`',
    expect.stringMatching(/^error: dave: not cut over: the last pass of dave started 48 h ago \(.*\), more than cutover\.maxDeltaAgeHours \(24 h\): run `ums-migrate sync -m dave`/),
    'error: erin: not cut over: erin has 1 calendar/task/address book collection(s) (calendar:Calendar) that no reconcile has compared: run `ums-migrate reconcile -m erin`',
  ]);
  const [entry] = await audit();
  expect(entry?.users).toEqual(['alice']);
  expect(entry?.refused.map((x) => x.name)).toEqual(['nobody', 'bob', 'dave', 'erin']);
});

test('approve records the current failures in the audit log; the gate then passes, until a new item fails', async () => {
  const a = await cli('approve', '--mailbox', 'bob', '--reason', 'two old newsletters over quota, accepted by the owner');
  expect(a.code).toBe(0);
  expect(a.stdout).toContain('approved for cutover: 2 failed and 0 skipped item(s) of bob → bob: two old newsletters over quota, accepted by the owner\n');
  const approval = (await audit()).find((e) => e.action === 'approve');
  expect(approval).toMatchObject({ who: 'pm-anna', users: ['bob'], detail: { mailbox: { source: 'bob', target: 'bob' }, reason: 'two old newsletters over quota, accepted by the owner', failed: 2, skipped: 0 } });
  expect((approval?.detail as { items: string[] }).items).toHaveLength(2);

  // A third item fails after the approval: not covered.
  const store = new SqliteStateStore(statePath());
  const id = (await store.findMailbox({ source: 'bob', target: 'bob' }))!;
  await store.commitBatch(id, 'INBOX', [{ itemId: '6', status: 'failed', size: 100, reason: 'NO too big' }], { epoch: '7', cursor: '10', scope: '', token: 't2', targetRef: 'INBOX' });
  await store.close();
  const refused = await cli('cutover', '--user', 'bob');
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/error: bob: not cut over: 1 failed item\(s\) of bob since the approval #1 of \S+ /);

  const again = await cli('approve', '--mailbox', 'bob', '--reason', 'and the third one');
  expect(again.code).toBe(0);
  const ok = await cli('cutover', '--user', 'bob');
  expect({ code: ok.code, stdout: ok.stdout.split('\n')[0], stderr: ok.stderr }).toEqual({ code: 0, stdout: '1 user(s) cut over: bob', stderr: '' });

  const bad = await cli('approve', '--mailbox', 'zoe', '--reason', 'x');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--mailbox "zoe": no configured mailbox has this source or UMS login');
  expect((await cli('approve', '--mailbox', 'alice', '--reason', 'x')).stdout).toBe('alice has no failed or skipped items and no folder left behind: nothing to approve\n');
});

test('--force cuts over anyway and the audit entry names every gate check that was skipped', async () => {
  const r = await cli('cutover', '--user', 'carol', '--user', 'dave', '--force');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^2 user\(s\) cut over: carol, dave\n/);
  expect(r.stdout).toContain('forced (gate checks skipped, audited): carol: mailbox carol was never migrated');
  const [entry] = await audit();
  expect(entry?.users).toEqual(['carol', 'dave']);
  const forced = (entry?.detail as { forced: { login: string; skipped: { check: string }[] }[] }).forced;
  expect(forced.map((f) => [f.login, f.skipped.map((s) => s.check)])).toEqual([['carol', ['mailbox']], ['dave', ['delta-age']]]);
});

test('--wave takes the members from the userMap\'s wave column', async () => {
  const r = await cli('cutover', '--wave', 'w1');
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^1 user\(s\) cut over: alice\n/);
  expect(r.stderr).toContain('error: bob: not cut over: 2 failed item(s)');
  const [entry] = await audit();
  expect(entry?.batch).toBe('wave:w1');
  const none = await cli('cutover', '--wave', 'w9');
  expect(none.stderr).toContain('error: no configured mailbox is in wave "w9" (waves: "w1", "w2")');
});

test('status and the report show the consistency score per type and the approval', async () => {
  await cli('approve', '--mailbox', 'bob', '--reason', 'quota <ok> by bob@corp.example');
  const st = await cli('status');
  expect(st.code).toBe(0);
  // carol's mailbox is configured but holds nothing in the store: listed, never silently left out
  expect(st.stdout).toMatch(/\nConfigured but not migrated yet \(1\):\nsource\s+target\s+last attempt\n[- ]+\ncarol\s+carol\s+never run\n/);
  const table = st.stdout.slice(st.stdout.indexOf('Consistency score for cutover'));
  expect(table).toMatch(/\nalice\s+100%\s+3\/3\s+-\s+-\s+-\s+0\s+0\s+-\n/);
  expect(table).toMatch(/\nbob\s+60%\s+3\/5\s+-\s+-\s+-\s+2\s+0\s+approved #1 \S+ \S+ by pm-anna: quota <ok> by bob@corp\.example\n/);
  expect(table).toMatch(/\nerin\s+100%\s+-\s+3\/3\s+-\s+-\s+0\s+0\s+-\n/);
  const json = JSON.parse((await cli('status', '--json')).stdout) as { scores: { source: string; unapproved: number; reasons: unknown[] }[] };
  const store = new SqliteStateStore(statePath());
  await recordPass(store, 'carol', 'carol', { startedAt: '2026-12-01T08:00:00.000Z', finishedAt: '2026-12-01T08:00:01.000Z', ok: false, interrupted: false, error: 'source login refused: AUTHENTICATIONFAILED' });
  await store.close();
  expect((await cli('status')).stdout).toMatch(/\ncarol\s+carol\s+2026-12-01T08:00:00\.000Z: source login refused: AUTHENTICATIONFAILED\n/);
  expect(json.scores.find((s) => s.source === 'bob')).toMatchObject({ unapproved: 0, reasons: [{ status: 'failed', reason: 'NO [ALERT] You exceeded your mail quota.', count: 2 }] });

  expect((await cli('report', '--out', path.join(dir, 'r.html'))).code).toBe(0);
  const html = readFileSync(path.join(dir, 'r.html'), 'utf8');
  const section = html.slice(html.indexOf('<section id="cutover-readiness">'), html.indexOf('</section>', html.indexOf('<section id="cutover-readiness">')));
  expect(section).toContain('<td>bob</td><td>60%</td><td>3 of 5 messages</td><td>2 / 0</td><td class="reason">2 failed: NO [ALERT] You exceeded your mail quota.</td><td><span class="state-text s-done">approved</span></td>');
  expect(section).toContain('by pm-anna: quota &lt;ok&gt; by &lt;address&gt;</td>'); // escaped, no address
  expect(section).toContain('<td>erin</td><td>100%</td><td>3 of 3 events</td>');
  expect((await cli('report', '--out', path.join(dir, 'r.json'))).code).toBe(0);
  const report = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as { cutoverScores: { source: string; approval: { reason: string } | null }[] };
  expect(report.cutoverScores.find((s) => s.source === 'bob')?.approval?.reason).toBe('quota <ok> by <address>');
});

test('a driven wave whose final delta fails leaves everyone on Exchange with the reason, publishes nothing, and has nothing to roll back', async () => {
  writeFileSync(config(), readFileSync(config(), 'utf8')
    .replace('source: { type: imap, host: imap.old.example }', 'source: { type: imap, host: 127.0.0.1, port: 1 }\nretry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }'));
  writeFileSync(path.join(dir, 'wave-a.csv'), 'login,note\nalice,first\nzoe,unknown\n');
  const r = await runCli(['cutover', '--batch', path.join(dir, 'wave-a.csv'), '--final-sync', '-c', config()], { UMS_OPERATOR: 'pm-anna', UNUSED: 'x' });
  expect(r.code).toBe(3);
  expect(r.stdout).toContain('wave wave-a.csv (run 1): 1 member(s)\nproblem: wave-a.csv:3: "zoe": no user with this key, login or address in the address book; not in the wave\nfinal delta of 1 mailbox(es)…\n');
  expect(r.stdout).toContain('nothing of this wave to publish (maps stay unpublished)\nwave wave-a.csv (run 1) done: cut over nobody\n');
  expect(r.stderr).toMatch(/^left on Exchange: alice: the last pass of alice \(started \S+\) failed: .*ECONNREFUSED.*: fix that and run `ums-migrate sync -m alice`$/m);
  expect(existsSync(path.join(dir, 'routing', 'current'))).toBe(false);
  const steps = (await audit()).filter((e) => e.batch === 'wave:wave-a.csv').map((e) => `${e.action}:${(e.detail as { step?: string }).step ?? ''}`);
  expect(steps).toEqual(['wave:started', 'wave:final-sync', 'wave:gated', 'cutover:', 'wave:done']);
  const back = await cli('cutover', '--batch', path.join(dir, 'wave-a.csv'), '--rollback');
  expect(back.code).toBe(1);
  expect(back.stderr).toContain('wave "wave-a.csv" has published nothing (its step: done): nothing to roll back');
});

test('with a directory section, a user the directory sync refused or never wrote has no UMS account: refused with that reason', async () => {
  writeFileSync(config(), `${readFileSync(config(), 'utf8')}directory:
  source: { url: ldaps://dc1.corp.example, bindDn: svc@corp.example, bindPassword: env:UNUSED, base: "OU=Staff,DC=corp,DC=example" }
  target: { url: ldaps://ldap.ums.example, bindDn: "cn=admin,dc=ums", bindPassword: env:UNUSED, base: "dc=ums" }
`);
  const loaded = await loadConfig(config());
  const state = emptyDirectoryState();
  const user = (login: string, extra: Partial<StateUser>): StateUser => ({ dn: `CN=${login},OU=Staff,DC=corp,DC=example`, login, proxyAddresses: [`SMTP:${login}@corp.example`], disabled: false, type: 'user', ...extra });
  state.users = {
    g1: user('alice', { umsLogin: 'alice', umsDn: 'uid=alice,dc=ums' }),
    g2: user('bob', { refused: 'address bob@corp.example is already held by uid=robert,dc=ums' }),
  };
  const store = new SqliteStateStore(statePath());
  await saveDirectoryState(store, directoryCheckpointName(loaded.config.directory!), state);
  await store.close();
  const r = await cli('cutover', '--user', 'alice', '--user', 'bob', '--user', 'erin');
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^1 user\(s\) cut over: alice\n/);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  expect(errors[0]).toBe('error: bob: not cut over: the directory sync refused bob: address bob@corp.example is already held by uid=robert,dc=ums: fix that in the source directory and run `ums-migrate directory sync`; 2 failed item(s) of bob without an approval (`ums-migrate status --problems`): fix them and run `ums-migrate retry --failed -m bob`, or approve them with `ums-migrate approve --mailbox bob --reason "…"`');
  expect(errors[1]).toMatch(/^error: erin: not cut over: the directory sync has no account for erin: without a UMS account its mail would bounce; run `ums-migrate directory sync`/);
});

test('a folder the last pass could not migrate: status lists it, the gate refuses, approve lists it, then the gate passes', async () => {
  const store = new SqliteStateStore(statePath());
  const started = new Date(Date.now() - HOUR);
  await recordPass(store, 'alice', 'alice', {
    startedAt: started.toISOString(), finishedAt: new Date(started.getTime() + 60_000).toISOString(), ok: true, interrupted: false,
    notMigrated: [
      { container: '8226', name: 'archive.pst: Journal', kind: 'mail', items: 5, by: 'source', reason: 'IPF.Journal folder: Outlook journal entries have no counterpart on the UMS' },
      { container: 'junk', name: 'Junk', kind: 'mail', items: 80, by: 'config', reason: 'excluded by pattern "Junk"' },
    ],
  });
  await store.close();
  const status = await cli('status');
  expect(status.stdout).toContain('Folders not migrated (2, 85 items; not in the totals above):');
  expect(status.stdout).toMatch(/alice\s+archive\.pst: Journal\s+mail\s+5 items\s+the source cannot migrate it\s+IPF\.Journal folder/);
  expect(status.stdout).toMatch(/alice\s+37\.5%\s+3\/8\s/); // 3 copied of 3 + 5 journal entries; Junk left out on purpose
  const problems = await cli('status', '--problems');
  expect(problems.stdout).toMatch(/alice\s+archive\.pst: Journal\s+\(whole folder\)\s+-\s+skipped\s+folder not migrated \(5 items\): IPF\.Journal folder/);
  expect(problems.stdout).not.toMatch(/Junk\s+\(whole folder\)/);

  const refused = await cli('cutover', '--user', 'alice');
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('error: alice: not cut over: 1 folder(s) of alice not migrated (archive.pst: Journal) without an approval');
  const approved = await cli('approve', '--mailbox', 'alice', '--reason', 'the journal stays in the archived PST');
  expect(approved.stdout).toMatch(/^approved for cutover: 0 failed and 0 skipped item\(s\) and 1 folder\(s\) not migrated of alice → alice: the journal stays in the archived PST\n/);
  const ok = await cli('cutover', '--user', 'alice');
  expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
});

/**
 * Split-domain coexistence end to end: a real Postfix (test/lab/postfix.sh, 127.0.0.1:12525) with
 * the maps `ums-migrate routing publish` writes, and two SMTP sinks in this process standing for
 * the UMS (127.0.0.1:12526, the UMS delivery transport) and Exchange (127.0.0.1:12527, the relay
 * host). Mail to primary addresses, aliases, IMCEAEX-encapsulated addresses and groups is sent
 * before a batch cutover, after it was recorded but not yet published, after publishing, and
 * after a rollback. Each message must reach exactly the right sink(s), exactly once per final
 * recipient; unknown recipients are refused at RCPT TO; the queue ends empty (nothing deferred,
 * nothing bounced) and the log shows neither bounces nor loops.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { SMTPServer } from 'smtp-server';
import { encodeImceaex } from '../../mappings/directory/imceaex.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { labDir } from '../lab/lab.js';
import { maillog, POSTFIX_HOST, POSTFIX_PORT, postfixConfigDir, startPostfix, stopPostfix, waitForEmptyQueue } from '../lab/postfix.js';
import { runCli } from '../support/cli.js';

const UMS_PORT = 12526;
const EXCHANGE_PORT = 12527;
const DN_ALICE = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';
const IMCEA_ALICE = encodeImceaex(DN_ALICE, 'corp.example');

const work = path.join(labDir(), 'routing-e2e');
const mapDir = path.join(work, 'maps');
const configFile = path.join(work, 'migration.yaml');
const env = { UMS_OPERATOR: 'tester' };

type Sink = 'ums' | 'exchange';
interface Delivery { sink: Sink; rcpt: string; messageId: string }
const deliveries: Delivery[] = [];
const sinks: SMTPServer[] = [];

function startSink(sink: Sink, port: number): Promise<void> {
  const server = new SMTPServer({
    name: `${sink}-sink.test`, // not Postfix's myhostname, so Postfix's loop check stays quiet
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const messageId = /^Message-ID:\s*(\S+)/im.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '?';
        for (const r of session.envelope.rcptTo) deliveries.push({ sink, rcpt: r.address.toLowerCase(), messageId });
        callback();
      });
    },
  });
  sinks.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** Sends one message to one recipient as an outside sender; the RCPT TO reply code when refused. */
async function send(rcpt: string, messageId: string): Promise<{ accepted: true } | { accepted: false; code: number; response: string }> {
  const conn = new SMTPConnection({ host: POSTFIX_HOST, port: POSTFIX_PORT, ignoreTLS: true, name: 'mx.outside.example', connectionTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    conn.once('error', reject);
    conn.connect(() => resolve());
  });
  const raw = `From: sender@outside.example\r\nTo: <${rcpt}>\r\nSubject: routing test\r\nMessage-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello\r\n`;
  try {
    return await new Promise((resolve, reject) => {
      conn.send({ from: 'sender@outside.example', to: [rcpt] }, raw, (err, info) => {
        if (err) {
          const e = err as Error & { responseCode?: number; response?: string; rejectedErrors?: { responseCode?: number; response?: string }[] };
          const first = e.rejectedErrors?.[0];
          if (first?.responseCode !== undefined) resolve({ accepted: false, code: first.responseCode, response: first.response ?? '' });
          else reject(err);
        } else if (info.rejected.length > 0) {
          reject(new Error(`unexpected partial rejection: ${JSON.stringify(info)}`));
        } else resolve({ accepted: true });
      });
    });
  } finally {
    conn.quit();
  }
}

type Expect = { to: string; sinks: string[] } | { to: string; reject: number };

/** Sends every case, waits until Postfix has delivered everything, and compares where each message landed. */
async function phase(name: string, cases: Expect[]): Promise<void> {
  deliveries.length = 0;
  const ids = new Map<string, Expect>();
  for (const [i, c] of cases.entries()) {
    const id = `<${name}-${i}@routing.test>`;
    const r = await send(c.to, id);
    if ('reject' in c) expect({ to: c.to, code: r.accepted ? 'accepted' : r.code }).toEqual({ to: c.to, code: c.reject });
    else {
      expect({ to: c.to, accepted: r.accepted }).toEqual({ to: c.to, accepted: true });
      ids.set(id, c);
    }
  }
  await waitForEmptyQueue();
  const got = new Map<string, string[]>();
  for (const d of deliveries) got.set(d.messageId, [...(got.get(d.messageId) ?? []), `${d.sink}:${d.rcpt}`].sort());
  const expected = new Map([...ids].map(([id, c]) => [id, [...(c as { sinks: string[] }).sinks].sort()]));
  expect(Object.fromEntries([...got].map(([id, v]) => [`${ids.get(id)?.to ?? 'unexpected'} ${id}`, v])))
    .toEqual(Object.fromEntries([...expected].map(([id, v]) => [`${ids.get(id)!.to} ${id}`, v])));
}

function postmapQ(map: string, key: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('/usr/sbin/postmap', ['-c', postfixConfigDir(), '-q', key, `hash:${path.join(mapDir, 'current', map)}`], (err, stdout, stderr) => {
      if (!err) resolve(stdout.trim());
      else if (err.code === 1 && stderr.trim() === '') resolve(undefined);
      else reject(new Error(`postmap -q ${key}: ${stderr}`));
    });
  });
}

async function cli(...args: string[]): Promise<string> {
  const r = await runCli([...args, '-c', configFile], env);
  if (r.code !== 0) throw new Error(`ums-migrate ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const ex = (...rcpts: string[]) => rcpts.map((r) => `exchange:${r.toLowerCase()}`);
const ums = (...rcpts: string[]) => rcpts.map((r) => `ums:${r.toLowerCase()}`);

/** Nobody cut over (and the same after the rollback). */
const allOnExchange: Expect[] = [
  { to: 'alice@corp.example', sinks: ex('alice@corp.example') },
  { to: 'A.Smith@Corp.Example', sinks: ex('a.smith@corp.example') },
  { to: IMCEA_ALICE, sinks: ex(IMCEA_ALICE) },
  { to: 'bob@corp.example', sinks: ex('bob@corp.example') },
  { to: 'sales@corp.example', sinks: ex('alice@corp.example', 'bob@corp.example', 'dave@corp.example') },
  { to: 'all@corp.example', sinks: ex('alice@corp.example', 'bob@corp.example', 'dave@corp.example', 'carol@corp.example') },
  { to: 'nobody@corp.example', reject: 550 },
  { to: 'alice@ums.corp.example', reject: 550 },
  { to: 'someone@elsewhere.example', reject: 554 },
];

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755); // Postfix's daemons (user postfix) read the maps below it
  writeFileSync(path.join(work, 'address-book.csv'), [
    'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
    `user,guid-alice,alice,alice@corp.example,SMTP:alice@corp.example;smtp:a.smith@corp.example,${DN_ALICE},`,
    'user,guid-bob,bob,,SMTP:Bob@corp.example;smtp:robert@corp.example,,',
    'user,guid-carol,carol,carol@corp.example,,,',
    'user,guid-dave,dave,dave@corp.example,SMTP:dave@corp.example;smtp:support@corp.example,,',
    'group,grp-sales,,sales@corp.example,,,alice;bob@corp.example;dave',
    'group,grp-all,,all@corp.example,,,sales@corp.example;carol',
    '',
  ].join('\n'));
  writeFileSync(path.join(work, 'wave1.csv'), 'user,note\nalice,first wave\nRobert@corp.example,by alias\n');
  writeFileSync(configFile, [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'mailboxes: [{ source: alice, sourcePassword: env:UNUSED, targetPassword: env:UNUSED }]',
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    `  exchangeHost: "[127.0.0.1]:${EXCHANGE_PORT}"`,
    `  umsTransport: "smtp:[127.0.0.1]:${UMS_PORT}"`,
    '  mapDir: ./maps',
    `  postfixConfigDir: ${postfixConfigDir()}`,
    '  addressBook: { file: ./address-book.csv }',
    '',
  ].join('\n'));
  await startSink('ums', UMS_PORT);
  await startSink('exchange', EXCHANGE_PORT);
  // Postfix first (its main.cf points below <mapDir>/current, still missing), then the first
  // version (nobody cut over), published with a reload.
  await startPostfix(mapDir, ['corp.example', 'ums.corp.example']);
  const first = await cli('routing', 'publish');
  expect(first).toMatch(/^published v000001 \(previous: none\)/);
  expect(first).toContain('postfix: reloaded');
}, 120_000);

afterAll(async () => {
  await stopPostfix().catch(() => undefined);
  await Promise.all(sinks.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

test('before, during and after a batch cutover, and after a rollback, every message lands in the right system exactly once', async () => {
  await phase('before', allOnExchange);
  expect(await postmapQ('transport', 'alice@corp.example')).toBe(`relay:[127.0.0.1]:${EXCHANGE_PORT}`);
  expect(await postmapQ('relay_recipients', 'nobody@corp.example')).toBeUndefined();

  // During: the cutover is recorded, but the published maps are unchanged until `routing publish`.
  const cut = await cli('cutover', '--batch', path.join(work, 'wave1.csv'), '--force'); // never migrated: forced past the gate (gated waves: cutover-waves.test.ts)
  expect(cut).toMatch(/^2 user\(s\) cut over: alice, bob\n/);
  expect(await cli('routing', 'check', 'a.smith@corp.example')).toContain('NOT PUBLISHED YET');
  await phase('during', allOnExchange);

  const published = await cli('routing', 'publish');
  expect(published).toMatch(/^published v000002 \(previous: v000001\)/);
  expect(published).toContain('postfix: reloaded');
  await phase('after', [
    { to: 'alice@corp.example', sinks: ums('alice@ums.corp.example') },
    { to: 'A.Smith@Corp.Example', sinks: ums('alice@ums.corp.example') },
    { to: IMCEA_ALICE, sinks: ums('alice@ums.corp.example') },
    { to: 'bob@corp.example', sinks: ums('bob@ums.corp.example') },
    { to: 'robert@corp.example', sinks: ums('bob@ums.corp.example') },
    { to: 'carol@corp.example', sinks: ex('carol@corp.example') },
    { to: 'support@corp.example', sinks: ex('support@corp.example') },
    { to: 'sales@corp.example', sinks: [...ums('alice@ums.corp.example', 'bob@ums.corp.example'), ...ex('dave@corp.example')] },
    { to: 'all@corp.example', sinks: [...ums('alice@ums.corp.example', 'bob@ums.corp.example'), ...ex('dave@corp.example', 'carol@corp.example')] },
    // What Exchange sends once it forwards a cut-over mailbox: delivered on the UMS, never relayed back.
    { to: 'alice@ums.corp.example', sinks: ums('alice@ums.corp.example') },
    { to: 'carol@ums.corp.example', reject: 550 },
    { to: 'nobody@corp.example', reject: 550 },
  ]);
  expect(await postmapQ('transport', 'alice@corp.example')).toBe(`smtp:[127.0.0.1]:${UMS_PORT}`);
  expect(await postmapQ('virtual', 'robert@corp.example')).toBe('bob@ums.corp.example');
  expect(await postmapQ('relay_recipients', 'bob@ums.corp.example')).toBe('OK');
  expect(await postmapQ('relay_recipients', 'carol@ums.corp.example')).toBeUndefined();
  const check = await cli('routing', 'check', IMCEA_ALICE);
  expect(check).toContain('→ ums');
  expect(check).toContain('published maps (v000002): transport=smtp:[127.0.0.1]:12526 relay_recipients=OK virtual=alice@ums.corp.example');
  expect(check).not.toContain('NOT PUBLISHED');
  const changes = readFileSync(path.join(mapDir, 'versions', 'v000002', 'exchange-changes.ps1'), 'utf8');
  expect(changes).toContain("Set-Mailbox -Identity 'alice@corp.example' -ForwardingAddress $null -ForwardingSmtpAddress 'alice@ums.corp.example' -DeliverToMailboxAndForward $false");
  expect(changes).toContain("Set-Mailbox -Identity 'Bob@corp.example' -ForwardingAddress $null -ForwardingSmtpAddress 'bob@ums.corp.example' -DeliverToMailboxAndForward $false");

  const rolled = await cli('routing', 'rollback');
  expect(rolled).toMatch(/^rolled back v000002 → v000001/);
  expect(rolled).toContain("Set-Mailbox -Identity 'alice@corp.example' -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false");
  expect(rolled).toContain('the cutover state still differs from v000001 for alice, bob');
  await phase('rollback', allOnExchange);
  expect(await postmapQ('transport', 'alice@corp.example')).toBe(`relay:[127.0.0.1]:${EXCHANGE_PORT}`);

  const log = maillog();
  expect(log).toContain('status=sent');
  expect(log).not.toMatch(/status=bounced|loops back to myself|mail forwarding loop/);
}, 240_000);

test('the audit log holds every cutover, publish and rollback, mirrored line by line as JSON', async () => {
  const store = new SqliteStateStore(path.join(work, 'state', 'state.sqlite'));
  try {
    const entries = await store.routingAudit();
    expect(entries.map((e) => [e.action, e.who, e.users])).toEqual([
      ['publish', 'tester', []],
      ['cutover', 'tester', ['alice', 'bob']],
      ['publish', 'tester', ['alice', 'bob']],
      ['rollback', 'tester', ['alice', 'bob']],
    ]);
    expect(entries[1]?.batch).toBe('wave1.csv');
    expect(entries[2]?.detail).toMatchObject({ version: 'v000002', previous: 'v000001' });
    expect((entries[2]?.detail as { diff: { transport: { changed: { key: string; to: string }[] } } }).diff.transport.changed)
      .toContainEqual({ key: 'alice@corp.example', from: `relay:[127.0.0.1]:${EXCHANGE_PORT}`, to: `smtp:[127.0.0.1]:${UMS_PORT}` });
    const mirror = readFileSync(path.join(work, 'state', 'routing-audit.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(mirror).toEqual(entries);
    expect((await store.cutovers()).map((c) => [c.login, c.by, c.batch])).toEqual([['alice', 'tester', 'wave1.csv'], ['bob', 'tester', 'wave1.csv']]);
  } finally {
    await store.close();
  }
});

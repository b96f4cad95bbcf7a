/**
 * Postfix map keys that a postmap(1) line cannot hold, with the real Postfix of the lab
 * (test/lab/postfix.sh, 127.0.0.1:12525) and two SMTP sinks in this process for the UMS and
 * Exchange (ports of their own). An address starting with "#" would be a comment line (postmap has
 * no quoting for it): `routing publish` refuses it per address with the reason and publishes the
 * rest; the maps hold no such line; Postfix routes every other address of the same users and
 * refuses the "#" one at RCPT TO. The published maps are 0600 and Postfix reads them all the same.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { SMTPServer } from 'smtp-server';
import { labDir } from '../lab/lab.js';
import { POSTFIX_HOST, POSTFIX_PORT, postfixConfigDir, startPostfix, stopPostfix, waitForEmptyQueue } from '../lab/postfix.js';
import { runCli } from '../support/cli.js';

const UMS_PORT = 12536;
const EXCHANGE_PORT = 12537;
const work = path.join(labDir(), 'routing-keys-e2e');
const mapDir = path.join(work, 'maps');
const configFile = path.join(work, 'migration.yaml');
const env = { UMS_OPERATOR: 'tester' };
const HASH_WHY = 'it starts with "#", which postmap(1) reads as a comment line (Postfix has no quoting for it)';

const deliveries: { sink: string; rcpt: string }[] = [];
const sinks: SMTPServer[] = [];

function startSink(sink: string, port: number): Promise<void> {
  const server = new SMTPServer({
    name: `${sink}-sink.test`, authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) deliveries.push({ sink, rcpt: r.address.toLowerCase() });
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

/** The RCPT TO reply code for `rcpt` (250 when accepted; the message is then sent). */
async function send(rcpt: string): Promise<number> {
  const conn = new SMTPConnection({ host: POSTFIX_HOST, port: POSTFIX_PORT, ignoreTLS: true, name: 'mx.outside.example', connectionTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    conn.once('error', reject);
    conn.connect(() => resolve());
  });
  try {
    return await new Promise((resolve, reject) => {
      conn.send({ from: 'sender@outside.example', to: [rcpt] }, `From: sender@outside.example\r\nSubject: keys\r\n\r\nhello\r\n`, (err) => {
        if (!err) resolve(250);
        else {
          const code = (err as Error & { rejectedErrors?: { responseCode?: number }[] }).rejectedErrors?.[0]?.responseCode;
          if (code !== undefined) resolve(code);
          else reject(err);
        }
      });
    });
  } finally {
    conn.quit();
  }
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

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755);
  writeFileSync(path.join(work, 'address-book.csv'), [
    'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
    'user,guid-gina,gina,gina@corp.example,SMTP:gina@corp.example;smtp:#team@corp.example;smtp:g.x@corp.example,,',
    'user,guid-hans,hans,hans@corp.example,SMTP:hans@corp.example;smtp:#hans@corp.example,,',
    'group,grp-all,,all@corp.example,,,gina;#team@corp.example;hans',
    '',
  ].join('\n'));
  writeFileSync(path.join(work, 'wave.csv'), 'user\ngina\n');
  writeFileSync(configFile, [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'mailboxes: [{ source: gina, sourcePassword: env:UNUSED, targetPassword: env:UNUSED }]',
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
  await startPostfix(mapDir, ['corp.example', 'ums.corp.example']);
}, 120_000);

afterAll(async () => {
  await stopPostfix().catch(() => undefined);
  await Promise.all(sinks.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

test('an address starting with "#" is refused and said so per address; the rest is published and routed by Postfix', async () => {
  const cut = await runCli(['cutover', '--batch', path.join(work, 'wave.csv'), '--force', '-c', configFile], env); // never migrated: forced past the gate
  expect(cut.code).toBe(0);
  const r = await runCli(['routing', 'publish', '-c', configFile], env);
  expect({ code: r.code, stdout: r.stdout }).toMatchObject({ code: 0, stdout: expect.stringMatching(/^published v000001 \(previous: none\)/) });
  expect(r.stdout).toContain('postfix: reloaded');
  expect(r.stderr).toContain(`warning: user gina (guid-gina): address #team@corp.example left out: ${HASH_WHY}\n`);
  expect(r.stderr).toContain(`warning: user hans (guid-hans): address #hans@corp.example left out: ${HASH_WHY}\n`);

  // No entry became a comment: the only "#" lines are the three header lines of each map.
  const current = path.join(mapDir, 'current');
  for (const map of ['transport', 'relay_recipients', 'virtual']) {
    const text = readFileSync(path.join(current, map), 'utf8');
    expect({ map, comments: text.split('\n').filter((l) => /^\s*#/.test(l)).length }).toEqual({ map, comments: 3 });
  }
  // Private, and Postfix reads them all the same (the deliveries below).
  const modes = Object.fromEntries(readdirSync(current).map((n) => [n, statSync(path.join(current, n)).mode & 0o777]));
  expect(Object.values(modes).every((m) => m === 0o600)).toBe(true);
  expect(modes['relay_recipients.db']).toBe(0o600);

  expect(await postmapQ('relay_recipients', '#team@corp.example')).toBeUndefined();
  expect(await postmapQ('virtual', 'g.x@corp.example')).toBe('gina@ums.corp.example');

  deliveries.length = 0;
  expect(await send('#team@corp.example')).toBe(550);
  expect(await send('#hans@corp.example')).toBe(550);
  expect(await send('g.x@corp.example')).toBe(250);
  expect(await send('hans@corp.example')).toBe(250);
  expect(await send('all@corp.example')).toBe(250);
  await waitForEmptyQueue();
  expect(deliveries.map((d) => `${d.sink}:${d.rcpt}`).sort()).toEqual([
    'exchange:hans@corp.example', 'exchange:hans@corp.example', 'ums:gina@ums.corp.example', 'ums:gina@ums.corp.example',
  ].sort());

  const check = await runCli(['routing', 'check', '#team@corp.example', '-c', configFile], env);
  expect(check.code).toBe(0);
  expect(check.stdout).toContain('refused at RCPT TO');
}, 240_000);

/**
 * Issue 13 item 5: a source server that echoes the credentials it received (in a refused LOGIN,
 * a refused AUTHENTICATE PLAIN, and in a later NO) never gets a resolved secret onto stdout,
 * stderr, the log file, the state store or a report, in any of the forms an echo may use
 * (raw, IMAP-quoted, JSON-escaped, URL-encoded, base64 of the SASL PLAIN message).
 *
 * The source is a fake IMAP server written for this (test/support/fake-imap.ts); the target is
 * the lab's Courier-IMAP.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startFakeImap, type FakeImap } from '../support/fake-imap.js';

let lab: Lab;
const fakes: FakeImap[] = [];
beforeAll(async () => { lab = await startLab(); });
afterAll(async () => { await Promise.all(fakes.map((f) => f.close())); });

/** Every form of `secret` an echo could carry, computed here independently of the scrubber. */
function leakForms(secret: string, users: string[]): string[] {
  const forms = [
    secret,
    secret.replace(/[\\"]/g, '\\$&'), // IMAP quoted string
    JSON.stringify(secret).slice(1, -1), // inside a JSON log line
    JSON.stringify(secret.replace(/[\\"]/g, '\\$&')).slice(1, -1), // an IMAP echo inside a JSON log line
    encodeURIComponent(secret),
  ];
  // SASL PLAIN (authzid \0 authcid \0 password) for every pairing, and HTTP Basic (user:password).
  for (const authcid of users) {
    for (const authzid of ['', ...users]) forms.push(Buffer.from(`${authzid}\0${authcid}\0${secret}`).toString('base64'));
    forms.push(Buffer.from(`${authcid}:${secret}`).toString('base64'));
  }
  return [...new Set(forms)];
}

function leaks(where: string, text: string | Buffer, forms: string[]): string[] {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') + text.toString('utf8') : text;
  return forms.filter((f) => s.includes(f)).map((f) => `${where} holds ${JSON.stringify(f)}`);
}

function labTarget(): string[] {
  return ['target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`];
}

async function targetUsers(n: number, password: string): Promise<string[]> {
  const users = Array.from({ length: n }, () => uniqueLogin('echo'));
  for (const u of users) await addTargetUser(u, password);
  return users;
}

/** Everything the process left behind: outputs, then every file in the directory (log, state + WAL, reports). */
function allLeaks(dir: string, runs: Record<string, CliResult>, forms: string[]): string[] {
  const found: string[] = [];
  for (const [name, r] of Object.entries(runs)) found.push(...leaks(`${name} stdout`, r.stdout, forms), ...leaks(`${name} stderr`, r.stderr, forms));
  for (const f of readdirSync(dir)) {
    if (f === 'tpw') continue; // the target password file itself
    found.push(...leaks(f, readFileSync(join(dir, f)), forms));
  }
  return found;
}

test('LOGIN echoed in a NO, and a password echoed in a later NO, reach no output, log, state or report', async () => {
  const alicePw = 'Al1ce "quoted" \\ pass+word/=';
  const bobPw = 'b0b-S3cret%pw';
  const targetPw = 'tgt-pw-echo-1';
  const bobPlain = Buffer.from(`\0bob\0${bobPw}`).toString('base64');
  const fake = await startFakeImap({
    users: { bob: bobPw },
    folders: [
      { name: 'INBOX', messages: [{ uid: 1, body: 'Message-ID: <echo-1@test>\nSubject: hello\n\nbody\n' }] },
      // A folder the server refuses to open, quoting the last login in every encoding it knows.
      { name: 'Leaky', messages: [{ uid: 7, body: 'Subject: x\n\ny\n' }], openNo: `last login "bob" "${bobPw}" plain=${bobPlain} url=${encodeURIComponent(bobPw)}` },
    ],
  });
  fakes.push(fake);
  const [ta, tb] = await targetUsers(2, targetPw);
  const dir = mkdtempSync(join(tmpdir(), 'ums-echo-'));
  writeFileSync(join(dir, 'tpw'), `${targetPw}\n`, { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  level: debug', '  file: ./run.log',
    'source:', '  type: imap', '  host: 127.0.0.1', `  port: ${fake.port}`, '  tls: none', '  allowInsecure: true',
    ...labTarget(),
    'retry:', '  attempts: 1',
    'mailboxes:',
    `  - { source: alice, target: ${ta}, sourcePassword: env:ECHO_ALICE_PW, targetPassword: file:./tpw }`,
    `  - { source: bob, target: ${tb}, sourcePassword: env:ECHO_BOB_PW, targetPassword: file:./tpw }`,
    '',
  ].join('\n'));
  const env = { ECHO_ALICE_PW: alicePw, ECHO_BOB_PW: bobPw };

  const runs: Record<string, CliResult> = {};
  runs.plan = await runCli(['plan', '-c', file], env);
  runs.planJson = await runCli(['plan', '-c', file, '--json'], env);
  runs.run = await runCli(['run', '-c', file], env);
  runs.runJson = await runCli(['run', '-c', file, '--json'], env);
  runs.status = await runCli(['status', '-c', file, '--problems', '--folders'], env);
  runs.statusJson = await runCli(['status', '-c', file, '--problems', '--folders', '--json'], env);
  for (const out of ['report.html', 'report.json', 'report.csv']) runs[out] = await runCli(['report', '-c', file, '--out', join(dir, out)], env);

  expect(allLeaks(dir, runs, [...leakForms(alicePw, ['alice']), ...leakForms(bobPw, ['bob']), ...leakForms(targetPw, [ta!, tb!])])).toEqual([]);
  // The hostile server did echo (the refusal and the folder error are there, redacted), and the run went on.
  expect(fake.commands.some((c) => /^\S+ LOGIN "?alice/.test(c))).toBe(true);
  expect(runs.plan.stdout).toMatch(/bad login user "alice" pass "\[redacted\]"/);
  expect(runs.run.code).toBe(3);
  expect(runs.run.stdout).toMatch(/Leaky.*last login "bob" "\[redacted\]" plain=\S*\[redacted\]\S* url=\[redacted\]/);
  expect(runs.statusJson.stdout).toContain('[redacted]');
  expect(readFileSync(join(dir, 'run.log'), 'utf8')).toContain('[redacted]');
}, 180_000);

test('AUTHENTICATE PLAIN echoed in base64 (master login with authzid) reaches no output or log', async () => {
  const masterPw = 'M4ster!pw "x"';
  const targetPw = 'tgt-pw-echo-2';
  const fake = await startFakeImap({ users: {}, folders: [{ name: 'INBOX' }], authPlain: true });
  fakes.push(fake);
  const [ta] = await targetUsers(1, targetPw);
  const dir = mkdtempSync(join(tmpdir(), 'ums-echo-'));
  writeFileSync(join(dir, 'tpw'), `${targetPw}\n`, { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  level: debug', '  file: ./run.log',
    'source:', '  type: imap', '  host: 127.0.0.1', `  port: ${fake.port}`, '  tls: none', '  allowInsecure: true',
    '  auth:', '    mode: master', '    masterUser: admin', '    masterPassword: env:ECHO_MASTER_PW', '    masterStyle: authzid',
    ...labTarget(),
    'retry:', '  attempts: 1',
    'mailboxes:',
    `  - { source: carol, target: ${ta}, targetPassword: file:./tpw }`,
    '',
  ].join('\n'));
  const env = { ECHO_MASTER_PW: masterPw };
  const runs: Record<string, CliResult> = {};
  runs.plan = await runCli(['plan', '-c', file], env);
  runs.run = await runCli(['run', '-c', file, '--json'], env);

  expect(allLeaks(dir, runs, [...leakForms(masterPw, ['admin', 'carol']), ...leakForms(targetPw, [ta!])])).toEqual([]);
  expect(fake.commands.some((c) => /AUTHENTICATE PLAIN/i.test(c))).toBe(true);
  expect(runs.plan.stdout).toMatch(/bad login \S*\[redacted\]/);
  expect(runs.run.code).toBe(3);
}, 120_000);

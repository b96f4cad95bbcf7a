/**
 * A lying IMAP source (test/support/fake-imap.ts with its answers rewritten) into the lab's
 * Courier through the CLI: a FETCH that answers with another UID, RFC822.SIZE too small, too
 * large and larger than the body sent, an INTERNALDATE that is no date, a system flag that does
 * not exist and 300 keywords, a Message-ID with escapes, UIDs in SEARCH that do not exist, a BYE
 * in the middle of a session, UIDVALIDITY 0, folder names `..`, `~root`, `%`, `*`. Each message is
 * copied exactly, or failed/skipped with a reason, never silently cut or swapped; counts add up;
 * human output stays clean.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { contentHash } from '../../mappings/content-hash.js';
import { addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startFakeImap, type FakeFolder, type FakeImap } from '../support/fake-imap.js';
import { expectCleanHuman, expectNoSecret, NAME_ATTACKS, TERMINAL_ATTACKS } from './payloads.js';

const SOURCE_PW = 'src-Lying-imap-pw-3';
const TARGET_PW = 'tgt-Lying-imap-pw-4';
const body = (n: number, extra = ''): string => `From: a@example.org\r\nSubject: case ${n}\r\nMessage-ID: <lie.${n}@x>\r\n${extra}\r\nbody of case ${n} ${'.'.repeat(200)}\r\n`;

/** Each INBOX case: its UID, what the server does, and what must come of it. */
const CASES: { uid: number; name: string; expect: 'copied' | 'failed' | 'skipped'; flags?: string[]; extra?: string }[] = [
  { uid: 1, name: 'an honest message', expect: 'copied' },
  { uid: 2, name: 'FETCH BODY[] answered with another UID', expect: 'failed' },
  { uid: 3, name: 'RFC822.SIZE far smaller than the message', expect: 'copied' },
  { uid: 4, name: 'RFC822.SIZE of 90 GB', expect: 'skipped' },
  { uid: 5, name: 'BODY[] shorter than its RFC822.SIZE (cut by the server)', expect: 'failed' },
  { uid: 6, name: 'INTERNALDATE that is no date', expect: 'copied' },
  { uid: 7, name: 'a system flag that does not exist (copied without it, said so)', expect: 'copied', flags: ['\\Seen', '\\Bogus', '$Forwarded'] },
  { uid: 8, name: '300 keywords', expect: 'copied', flags: Array.from({ length: 300 }, (_, i) => `kw${i}`) },
  { uid: 9, name: 'Message-ID with terminal escapes', expect: 'copied', extra: `X-Note: x\r\nMessage-ID: <esc${TERMINAL_ATTACKS.titleChange}@x>\r\n` },
];
const FOLDERS = [NAME_ATTACKS.dotdot, NAME_ATTACKS.tildeRoot, NAME_ATTACKS.percent, NAME_ATTACKS.star, 'Flaky', 'ZeroValidity'];
/** STATUS says UIDVALIDITY 0, EXAMINE another: the folder fails as a whole, saying so (every run, as long as the server lies). */
const FOLDER_FAILS = new Set(['ZeroValidity']);

/** The server's lies, by what it is about to send. */
let byeSent = false;
function rewrite(data: Buffer): Buffer {
  let s = data.toString('latin1');
  if (/^\* \d+ FETCH \(UID 2 /.test(s) && s.includes('BODY[] {')) s = s.replace('UID 2 ', 'UID 77 ');
  if (/^\* \d+ FETCH \(UID 3 /.test(s)) s = s.replace(/RFC822\.SIZE \d+/, 'RFC822.SIZE 1');
  if (/^\* \d+ FETCH \(UID 4 /.test(s)) s = s.replace(/RFC822\.SIZE \d+/, 'RFC822.SIZE 99999999999');
  if (/^\* \d+ FETCH \(UID 5 /.test(s) && s.includes('BODY[] {')) {
    const m = /BODY\[\] \{(\d+)\}\r\n/.exec(s) as RegExpExecArray;
    const cut = Math.floor(Number(m[1]) / 2);
    const start = (m.index ?? 0) + m[0].length;
    s = `${s.slice(0, m.index)}BODY[] {${cut}}\r\n${s.slice(start, start + cut)})\r\n`;
  }
  if (/^\* \d+ FETCH \(UID 6 /.test(s)) s = s.replace(/INTERNALDATE "[^"]*"/, 'INTERNALDATE "99-Foo-9999 99:99:99 +9999"');
  if (/^\* SEARCH/.test(s) && s.includes(' 1 2 3')) s = s.replace('\r\n', ' 4294967295 4000000000\r\n');
  if (/^\* STATUS "ZeroValidity"/.test(s)) s = s.replace(/UIDVALIDITY \d+/, 'UIDVALIDITY 0');
  if (/^\* OK \[UIDVALIDITY \d+\]/.test(s) && !byeSent && currentFolder === 'Flaky') {
    byeSent = true;
    return Buffer.from('* BYE server shutting down\r\n');
  }
  return Buffer.from(s, 'latin1');
}
let currentFolder = '';

let lab: Lab;
let fake: FakeImap;
let target: string;
let dir: string;
let run: CliResult;
let status: { mailboxes: { totalItems: number; doneItems: number; failedItems: number; skippedItems: number }[]; problems: { path: string; itemId: string; status: string; reason: string }[] };
const human: Record<string, CliResult> = {};
let copied: Map<string, number>;

beforeAll(async () => {
  lab = await startLab();
  const folders: FakeFolder[] = [
    { name: 'INBOX', messages: CASES.map((c) => ({ uid: c.uid, body: body(c.uid, c.extra), flags: c.flags })) },
    ...FOLDERS.map((name, i) => ({ name, uidValidity: 10 + i, messages: [{ uid: 1, body: body(100 + i) }] })),
  ];
  fake = await startFakeImap({ users: { liar: SOURCE_PW }, folders, rewrite });
  // Which folder a connection is opening, for the BYE (the fake serves one folder per EXAMINE line).
  const commands = fake.commands;
  const push = commands.push.bind(commands);
  commands.push = (...lines: string[]) => {
    for (const l of lines) { const m = /^\S+ (?:EXAMINE|SELECT) "?([^"]*)"?/i.exec(l); if (m) currentFolder = m[1] ?? ''; }
    return push(...lines);
  };
  target = uniqueLogin('liar');
  await addTargetUser(target, TARGET_PW);
  dir = mkdtempSync(join(tmpdir(), 'hostile-imap-'));
  writeFileSync(join(dir, 'spw'), `${SOURCE_PW}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'tpw'), `${TARGET_PW}\n`, { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  file: ./run.log',
    'source:', '  type: imap', '  host: 127.0.0.1', `  port: ${fake.port}`, '  tls: none', '  allowInsecure: true',
    'target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`,
    'retry:', '  attempts: 3', '  baseDelayMs: 10', '  maxDelayMs: 50',
    'mailboxes:', '  - source: liar', `    target: ${target}`, '    sourcePassword: file:./spw', '    targetPassword: file:./tpw', '',
  ].join('\n'));
  run = await runCli(['run', '-c', file, '--json']);
  status = JSON.parse((await runCli(['status', '-c', file, '--json', '--problems'])).stdout) as typeof status;
  human.status = await runCli(['status', '-c', file, '--problems', '--folders']);
  copied = await targetHashes();
}, 120_000);
afterAll(async () => { await fake?.close(); });

async function targetHashes(): Promise<Map<string, number>> {
  const client = new ImapFlow({ host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') }, auth: { user: target, pass: TARGET_PW }, logger: false });
  await client.connect();
  const out = new Map<string, number>();
  try {
    for (const f of await client.list()) {
      const mb = await client.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists === 0) continue;
      for await (const m of client.fetch('1:*', { source: true })) out.set(contentHash(m.source as Buffer), (out.get(contentHash(m.source as Buffer)) ?? 0) + 1);
    }
  } finally {
    await client.logout();
  }
  return out;
}

test('the run finishes and its counts add up: every message the source listed is copied, failed or skipped (or its folder failed, saying why)', () => {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 3, stderr: '' });
  const r = JSON.parse(run.stdout) as { copied: number; failed: number; skipped: number; failedMailboxes: number; failedContainers: number };
  const failed = (JSON.parse(run.stdout) as { mailboxes: { error?: string; containers: { source: string; ok: boolean; error?: string }[] }[] }).mailboxes
    .flatMap((mb) => [mb.error ?? '', ...mb.containers.filter((c) => !c.ok).map((c) => `${c.source}: ${c.error}`)]).filter((x) => x !== '');
  expect(failed).toEqual([expect.stringMatching(/^ZeroValidity: source epoch \(UIDVALIDITY\) of ZeroValidity changed during the run \(0 → \d+\)/)]);
  expect(r.copied + r.failed + r.skipped).toBe(CASES.length + FOLDERS.length - FOLDER_FAILS.size);
  const m = status.mailboxes[0];
  expect((m?.doneItems ?? 0) + (m?.failedItems ?? 0) + (m?.skippedItems ?? 0)).toBe(CASES.length + FOLDERS.length - FOLDER_FAILS.size);
});

describe('each lie ends in an exact copy or a reason, never a silent wrong copy', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const problem = status.problems.find((p) => p.path === 'INBOX' && p.itemId === String(c.uid));
    const exact = (copied.get(contentHash(Buffer.from(body(c.uid, c.extra)))) ?? 0) === 1;
    if (c.expect === 'copied') expect({ exact, problem: problem?.status === 'done' ? undefined : problem?.reason }).toEqual({ exact: true, problem: undefined });
    else expect({ exact, status: problem?.status, reason: problem?.reason ?? '' }).toEqual({ exact: false, status: c.expect, reason: expect.stringMatching(/\S{10}/) });
  });
  test('the flag that does not exist is named in the copied message\'s note', () => {
    expect(status.problems.find((p) => p.path === 'INBOX' && p.itemId === '7')).toMatchObject({ status: 'done', reason: expect.stringContaining('\\Bogus not carried') });
  });
  test('nothing but the listed messages arrives (no UID 77, no phantom UIDs from SEARCH)', () => {
    expect([...copied.values()].reduce((a, b) => a + b, 0)).toBe((JSON.parse(run.stdout) as { copied: number }).copied);
  });
  test.each(FOLDERS)('folder %j: its message is copied (or the folder failed, saying why)', (name) => {
    expect(copied.get(contentHash(Buffer.from(body(100 + FOLDERS.indexOf(name))))) ?? 0).toBe(FOLDER_FAILS.has(name) ? 0 : 1);
  });
});

test('status output is clean, and no password is in any output, log or state file', () => {
  expectCleanHuman(human.status?.stdout ?? '', 'status stdout');
  for (const r of [run, human.status as CliResult]) expectNoSecret(r.stdout + r.stderr, [SOURCE_PW, TARGET_PW], 'output');
  for (const f of ['run.log', 'state.sqlite']) expectNoSecret(readFileSync(join(dir, f)), [SOURCE_PW, TARGET_PW], f);
});

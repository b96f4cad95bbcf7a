/**
 * End to end through the real CLI into Courier: a kopano-tree export and a .msg tree holding
 * what real trees hold besides items — winmail.dat, *.tnef, unknown files, a second file for one
 * item, a FIFO named like an item, links to /etc/passwd and to another user's file, a directory
 * loop. The run finishes (a FIFO used to block it forever: a hang fails by this file's jest
 * timeout), nothing outside the user's directory reaches the UMS, every entry appears in `plan`,
 * `status --json` and the JSON report with its reason, the counts add up (seen = copied + failed +
 * skipped), and `reconcile` finds no difference (ignored entries are not messages). EML without a
 * Date header, and .msg files without a delivery or submit time, get the Received date, or the
 * file's mtime, as INTERNALDATE on the UMS. A kopano-backup user directory with a FIFO where a
 * folder's `items` file should be, a folder linked to another user's backup and a loop: the run
 * finishes and the plan lists each as a folder not migrated, with the reason.
 * Needs the lab and the shared .msg fixtures (UMS_FIXTURES_DIR).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { writeKopanoBackup } from '../../connectors/kopano/test-support.js';
import { generateMsg } from '../../connectors/msg/test-msg.js';
import { fixturesDir } from '../../connectors/pst/readpst-oracle.js';
import { addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { spawnCli, type CliResult } from '../support/cli.js';

const password = 'pw-e2e-trees';
const MTIME = new Date('2021-03-04T05:06:07Z');
const msgFixtures = join(fixturesDir(), 'pst', 'msg');
let lab: Lab;
let dir: string;
const children: ChildProcess[] = [];

function cli(args: string[]): Promise<CliResult> {
  const { child, done } = spawnCli(args);
  children.push(child);
  return done;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const eml = (subject: string, headers: string[]) => `From: a@example.org\r\nSubject: ${subject}\r\n${headers.map((h) => `${h}\r\n`).join('')}Message-ID: <${subject}@example.org>\r\n\r\nbody\r\n`;

function config(name: string, source: string[], login: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    'version: 1',
    'state:', `  path: ./${name}.sqlite`,
    'logging:', `  file: ./${name}.log`,
    'source:', ...source.map((l) => `  ${l}`),
    'target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`,
    'mailboxes:', `  - source: ${login}`, '    targetPassword: file:./pw',
    '',
  ].join('\n'));
  return file;
}

interface Problem { path: string; itemId: string; status: string; reason: string }
interface Status { mailboxes: { totalItems: number; doneItems: number; failedItems: number; skippedItems: number }[]; problems: Problem[] }
interface PlanFolder { source: string; id?: string; included: boolean; reason?: string; messages?: number; notMigrated?: { id: string; reason: string }[]; notes: string[] }

/** plan → run → status → report → reconcile for one config; returns what the checks need. */
async function migrate(file: string): Promise<{ plan: PlanFolder[]; status: Status; report: { problemReasons: { status: string; reason: string }[] } }> {
  const plan = await cli(['plan', '-c', file, '--json']);
  expect([plan.code, plan.stderr]).toEqual([0, expect.any(String)]);
  const run = await cli(['run', '-c', file]);
  expect([run.code, run.signal, run.stderr]).toEqual([0, null, expect.any(String)]);
  const status = await cli(['status', '-c', file, '--json', '--problems']);
  expect(status.code).toBe(0);
  const out = `${file}.report.json`;
  const rep = await cli(['report', '-c', file, '--out', out]);
  expect([rep.code, rep.stderr]).toEqual([0, '']);
  const reconcile = await cli(['reconcile', '-c', file, '--format', 'json']);
  expect([reconcile.code, reconcile.stderr]).toEqual([0, '']);
  return {
    plan: (JSON.parse(plan.stdout) as { folders: PlanFolder[] }[])[0]!.folders,
    status: JSON.parse(status.stdout) as Status,
    report: JSON.parse(readFileSync(out, 'utf8')) as { problemReasons: { status: string; reason: string }[] },
  };
}

function expectCountsAddUp(s: Status, seen: number, copied: number): void {
  const [m] = s.mailboxes;
  expect(m).toMatchObject({ totalItems: seen, doneItems: copied, failedItems: 0, skippedItems: seen - copied });
}

async function umsMessages(login: string): Promise<Map<string, { date: Date; source: string }>> {
  const client = new ImapFlow({ host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') }, auth: { user: login, pass: password }, logger: false });
  await client.connect();
  const out = new Map<string, { date: Date; source: string }>();
  try {
    for (const f of await client.list()) {
      const mb = await client.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists === 0) continue;
      for await (const m of client.fetch('1:*', { envelope: true, internalDate: true, source: true })) {
        out.set(m.envelope?.subject ?? '?', { date: new Date(m.internalDate as Date), source: (m.source as Buffer).toString('latin1') });
      }
    }
  } finally {
    await client.logout();
  }
  return out;
}

beforeAll(async () => {
  if (!existsSync(msgFixtures)) throw new Error(`.msg fixtures not found at ${msgFixtures} (set UMS_FIXTURES_DIR)`);
  lab = await startLab();
  dir = mkdtempSync(join(tmpdir(), 'ums-e2e-trees-'));
  writeFileSync(join(dir, 'pw'), `${password}\n`, { mode: 0o600 });
}, 300_000);

test('kopano-tree: the run finishes, only the user\'s own items arrive, every other entry is listed with its reason everywhere', async () => {
  const login = uniqueLogin('ktree');
  await addTargetUser(login, password);
  const u = join(dir, 'export', login);
  const put = (rel: string, data: string) => {
    mkdirSync(join(u, rel, '..'), { recursive: true });
    writeFileSync(join(u, rel), data);
    utimesSync(join(u, rel), MTIME, MTIME);
  };
  mkdirSync(join(dir, 'export', 'other', 'Inbox'), { recursive: true });
  writeFileSync(join(dir, 'export', 'other', 'Inbox', 'B1.eml'), eml('others-secret', ['Date: Tue, 14 Jan 2020 09:14:55 +0100']));
  put('Inbox/A1.eml', eml('dated', ['Date: Tue, 14 Jan 2020 09:14:55 +0100']));
  put('Inbox/A2.eml', eml('received', ['Received: from mx by ums; Mon, 13 Jan 2020 18:02:10 +0100', 'Received: from a by mx; Mon, 13 Jan 2020 09:00:00 -0800']));
  put('Inbox/A3.eml', eml('undated', []));
  put('Inbox/A1.ics', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
  put('Inbox/winmail.dat', 'TNEF');
  put('Inbox/att.tnef', 'TNEF');
  put('Inbox/notes.txt', 'notes');
  execFileSync('mkfifo', [join(u, 'Inbox', '4.eml')]);
  symlinkSync('/etc/passwd', join(u, 'Inbox', 'passwd.eml'));
  symlinkSync('../../other/Inbox/B1.eml', join(u, 'Inbox', 'steal.eml'));
  symlinkSync('..', join(u, 'Inbox', 'loop'));
  const file = config('ktree', ['type: kopano-tree', 'path: ./export'], login);

  const { plan, status, report } = await migrate(file);
  const skipped: [string, RegExp][] = [
    ['4', /^Inbox\/4\.eml: a FIFO \(named pipe\), not a regular file: not read/],
    ['A1.ics', /^Inbox\/A1\.ics: a second file for item A1 \(A1\.eml is migrated\)/],
    ['att.tnef', /^Inbox\/att\.tnef: a TNEF file/],
    ['loop', /^Inbox\/loop: the same directory as \. \(a directory loop/],
    ['notes.txt', /^Inbox\/notes\.txt: not an \.eml, \.ics or \.vcf file/],
    ['passwd', /^Inbox\/passwd\.eml: a symbolic link to \/etc\/passwd, outside the mailbox directory .*: not followed/],
    ['steal', /^Inbox\/steal\.eml: a symbolic link to \.\.\/\.\.\/other\/Inbox\/B1\.eml \(.*\), outside the mailbox directory/],
    ['winmail.dat', /^Inbox\/winmail\.dat: a TNEF file/],
  ];
  const inbox = plan.find((f) => f.source === 'Inbox')!;
  expect(inbox.messages).toBe(3);
  expect(inbox.notMigrated?.map((e) => [e.id, e.reason]).sort()).toEqual(skipped.map(([id, re]) => [id, expect.stringMatching(re)]));
  expect(inbox.notes.join(' ')).toMatch(/8 not migrated \(recorded as skipped\): /);
  expect(status.problems.map((p) => [p.path, p.itemId, p.status, p.reason]).sort()).toEqual(skipped.map(([id, re]) => ['Inbox', id, 'skipped', expect.stringMatching(re)]));
  expect(report.problemReasons.filter((r) => r.status === 'skipped').map((r) => r.reason).sort()).toEqual(skipped.map(([, re]) => expect.stringMatching(re)).sort());
  expectCountsAddUp(status, 11, 3);

  const ums = await umsMessages(login);
  expect([...ums.keys()].sort()).toEqual(['dated', 'received', 'undated']);
  expect([...ums.values()].some((m) => m.source.includes('others-secret') || m.source.includes('root:'))).toBe(false);
  expect(ums.get('dated')!.date.toISOString()).toBe('2020-01-14T08:14:55.000Z');
  expect(ums.get('received')!.date.toISOString()).toBe('2020-01-13T17:02:10.000Z'); // the topmost Received: the delivering hop
  expect(ums.get('undated')!.date.toISOString()).toBe(MTIME.toISOString());
}, 240_000);

test('.msg tree: the run finishes, only the user\'s own files arrive, every other entry is listed with its reason everywhere', async () => {
  const login = uniqueLogin('msgtree');
  await addTargetUser(login, password);
  const u = join(dir, 'msg', login);
  mkdirSync(join(u, 'Sub'), { recursive: true });
  mkdirSync(join(dir, 'msg', 'other'), { recursive: true });
  copyFileSync(join(msgFixtures, 'voteItems.msg'), join(dir, 'msg', 'other', 'secret.msg'));
  copyFileSync(join(msgFixtures, 'msgInMsgInMsg.msg'), join(u, 'm1.msg'));
  copyFileSync(join(msgFixtures, 'nonUnicodeCP932.msg'), join(u, 'Sub', 'm2.msg'));
  for (const n of ['winmail.dat', 'part.tnef', 'Thumbs.db']) writeFileSync(join(u, n), 'x');
  // generated: no delivery, submit, creation or modification time
  writeFileSync(join(u, 'received.msg'), generateMsg({ subject: 'msg-received', body: 'b', transportHeaders: 'Received: from mx by ums; Mon, 13 Jan 2020 18:02:10 +0100\r\nReceived: from a by mx; Mon, 13 Jan 2020 09:00:00 -0800\r\n' }));
  writeFileSync(join(u, 'undated.msg'), generateMsg({ subject: 'msg-undated', body: 'b' }));
  for (const n of ['received.msg', 'undated.msg']) utimesSync(join(u, n), MTIME, MTIME);
  execFileSync('mkfifo', [join(u, 'fifo.msg')]);
  symlinkSync('/etc/passwd', join(u, 'passwd.msg'));
  symlinkSync('../other/secret.msg', join(u, 'steal.msg'));
  symlinkSync('..', join(u, 'Sub', 'loop'));
  const file = config('msgtree', ['type: msg', 'directory: ./msg', 'folders: "{login}"'], login);

  const { plan, status, report } = await migrate(file);
  const skipped: [string, string, RegExp][] = [
    ['INBOX', 'Thumbs.db', /^Thumbs\.db: not a \.msg file/],
    ['INBOX', 'fifo.msg', /^fifo\.msg: a FIFO \(named pipe\), not a regular file: not read/],
    ['INBOX', 'part.tnef', /^part\.tnef: a TNEF file/],
    ['INBOX', 'passwd.msg', /^passwd\.msg: a symbolic link to \/etc\/passwd, outside the mailbox directory/],
    ['INBOX', 'steal.msg', /^steal\.msg: a symbolic link to \.\.\/other\/secret\.msg \(.*\), outside the mailbox directory/],
    ['INBOX', 'winmail.dat', /^winmail\.dat: a TNEF file/],
    ['Sub', 'loop', /^Sub\/loop: the same directory as \. \(a directory loop/],
  ];
  // plan names folders by id (the mailbox's root is "."), status by path (the root's files are INBOX)
  const notMigrated = plan.flatMap((f) => (f.notMigrated ?? []).map((e) => [f.source === '.' ? 'INBOX' : f.source, e.id, e.reason]));
  expect(notMigrated.sort()).toEqual(skipped.map(([f, id, re]) => [f, id, expect.stringMatching(re)]));
  expect(plan.map((f) => [f.source === '.' ? 'INBOX' : f.source, f.messages]).sort()).toEqual([['INBOX', 3], ['Sub', 1]]);
  expect(status.problems.map((p) => [p.path, p.itemId, p.status, p.reason]).sort()).toEqual(skipped.map(([f, id, re]) => [f, id, 'skipped', expect.stringMatching(re)]));
  expect(report.problemReasons.filter((r) => r.status === 'skipped')).toHaveLength(skipped.length);
  expectCountsAddUp(status, 11, 4);
  const ums = await umsMessages(login);
  expect(ums.size).toBe(4);
  expect([...ums.values()].some((m) => /vote/i.test(m.source) || m.source.includes('root:'))).toBe(false);
  expect(ums.get('msg-received')!.date.toISOString()).toBe('2020-01-13T17:02:10.000Z'); // the topmost Received: the delivering hop
  expect(ums.get('msg-undated')!.date.toISOString()).toBe(MTIME.toISOString());
}, 240_000);

test('kopano-backup: a FIFO items file, a folder linked to another user\'s backup and a loop are folders not migrated, with the reason; the run finishes', async () => {
  const login = uniqueLogin('kbackup');
  await addTargetUser(login, password);
  const root = join(dir, 'kbackup');
  const mail = (n: number, subject: string) => ({ sourcekey: `0102030405060708090A0B0C0D0E0F10${n.toString(16).padStart(2, '0').toUpperCase()}00000000`, subject, body: 'body\r\n', from: 'a@example.org' });
  writeKopanoBackup(join(root, 'other'), 'other', [{ sourcekey: 'BB01', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(9, 'others-secret')] }]);
  const u = join(root, login);
  writeKopanoBackup(u, login, [
    { sourcekey: 'AA01', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(1, 'kb-1'), mail(2, 'kb-2')] },
    { sourcekey: 'AA02', path: 'Archive', containerClass: 'IPF.Note', mails: [mail(3, 'kb-3')] },
    { sourcekey: 'AA03', path: 'Piped', containerClass: 'IPF.Note', mails: [mail(4, 'kb-4')] },
  ]);
  unlinkSync(join(u, 'folders', 'AA03', 'items'));
  execFileSync('mkfifo', [join(u, 'folders', 'AA03', 'items')]);
  symlinkSync('../../other/folders/BB01', join(u, 'folders', 'STEAL'));
  mkdirSync(join(u, 'folders', 'AA02', 'folders'));
  symlinkSync('../../AA02', join(u, 'folders', 'AA02', 'folders', 'LOOP'));
  const file = config('kbackup', ['type: kopano-backup', 'path: ./kbackup'], login);

  const { plan } = await migrate(file);
  // by id (the folder's SOURCEKEY; a refused entry's is where it is): plan may show names or ids
  expect(plan.filter((f) => !f.included).map((f) => [f.id ?? f.source, f.reason]).sort()).toEqual([
    ['AA03', 'unreadable folder: folders/AA03/items: a FIFO (named pipe), not a regular file: not read (reading it could block the run or return device data)'],
    ['folders/AA02/folders/LOOP', 'unreadable folder: folders/AA02/folders/LOOP: the same directory as folders/AA02 (a directory loop, or a second link or bind mount to it): not read twice'],
    ['folders/STEAL', expect.stringMatching(/^unreadable folder: folders\/STEAL: a symbolic link to \.\.\/\.\.\/other\/folders\/BB01 \(.*\), outside the mailbox directory .*: not followed/)],
  ]);
  expect(plan.filter((f) => f.included).map((f) => [f.id ?? f.source, f.messages]).sort()).toEqual([['AA01', 2], ['AA02', 1]]);
  const ums = await umsMessages(login);
  expect([...ums.keys()].sort()).toEqual(['kb-1', 'kb-2', 'kb-3']);
}, 240_000);

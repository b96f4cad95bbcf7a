/**
 * Hostile MIME messages and hostile folder names, through the real CLI, Dovecot → Courier: one
 * mailbox holds the whole message corpus (mime-corpus.ts) in INBOX plus one folder per name
 * Dovecot accepts (bidi overrides, C1 controls, wildcards, CSV formulas, `#`…). One run, then
 * status, reconcile and a no-op run. Every message is copied byte for byte (as Courier stores it)
 * or failed with a reason; counts add up; no human output carries a raw control or bidi character;
 * the password is nowhere in the output, the log or the state store.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { contentHash } from '../../mappings/content-hash.js';
import { seedSource, type CorpusMessage } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, targetMaildir, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli, type CliResult } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { hostileMessages, type HostileMessage } from './mime-corpus.js';
import { expectCleanHuman, expectNoSecret, NAME_ATTACKS, TERMINAL_ATTACKS, unsafeSpots } from './payloads.js';

/** Folder names the lab's Dovecot accepts (it refuses C0 controls, `.` and a leading `~`: those come through other sources). */
const FOLDERS: Record<string, string> = {
  rtlOverride: 'invoice\u202efdp_exe',
  isolate: TERMINAL_ATTACKS.isolate,
  c1Next: 'next\u0085line',
  lineSeparator: TERMINAL_ATTACKS.lineSeparator,
  percent: NAME_ATTACKS.percent,
  star: NAME_ATTACKS.star,
  formula: NAME_ATTACKS.formula,
  plusFormula: NAME_ATTACKS.plusFormula,
  hash: NAME_ATTACKS.hash,
  quote: NAME_ATTACKS.quote,
  backslash: NAME_ATTACKS.backslash,
  ampersand: NAME_ATTACKS.ampersand,
  leadingSpace: NAME_ATTACKS.leadingSpace,
  zeroWidth: NAME_ATTACKS.zeroWidth,
  long: NAME_ATTACKS.long,
};
const PASSWORD = 'Hostile-Mail-pw-7Qx2';

interface Problem { mailbox: string; path: string; itemId: string; status: string; reason: string }
interface FolderRow { path: string; targetRef: string; status: string; totalItems: number; doneItems: number; failedItems: number; skippedItems: number; lastError: string | null }
interface MailboxRow { totalItems: number; doneItems: number; failedItems: number; skippedItems: number }

let lab: Lab;
let dir: string;
let file: string;
let target: string;
let cases: HostileMessage[];
let run: CliResult;
let status: { mailboxes: MailboxRow[]; containers: FolderRow[]; problems: Problem[] };
const human: Record<string, CliResult> = {};
/** Content hashes in the target, by folder: how many of each. */
let targetHashes: Map<string, Map<string, number>>;
/** Content hash of each source INBOX message as Dovecot serves it, by UID. */
let sourceHashes: Map<string, Map<string, number>>;
let sourceInbox: Map<string, string>;
/** Content hashes of the files in the target INBOX's Maildir (Courier serves a message with too many MIME parts cut short over IMAP, but stores it whole). */
let storedInbox: Map<string, number>;

function maildirHashes(maildir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const sub of ['cur', 'new']) {
    for (const name of readdirSync(join(maildir, sub))) {
      const h = contentHash(readFileSync(join(maildir, sub, name)));
      out.set(h, (out.get(h) ?? 0) + 1);
    }
  }
  return out;
}

/** Content hashes of every folder (how many of each), and of INBOX by UID. */
async function hashesOf(side: 'source' | 'target', login: string): Promise<{ counts: Map<string, Map<string, number>>; inbox: Map<string, string> }> {
  const ep = lab[side];
  const client = new ImapFlow({ host: ep.host, port: ep.tlsPort, secure: true, tls: { ca: readFileSync(ep.caFile, 'utf8') }, auth: { user: login, pass: PASSWORD }, logger: false });
  await client.connect();
  const counts = new Map<string, Map<string, number>>();
  const inbox = new Map<string, string>();
  try {
    for (const f of await client.list()) {
      const folder = new Map<string, number>();
      counts.set(f.path, folder);
      const mb = await client.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists === 0) continue;
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        const h = contentHash(m.source as Buffer);
        folder.set(h, (folder.get(h) ?? 0) + 1);
        if (f.path === 'INBOX') inbox.set(String(m.uid), h);
      }
    }
  } finally {
    await client.logout();
  }
  return { counts, inbox };
}

const simple = (name: string): Buffer => Buffer.from(`From: a@example.net\r\nSubject: in ${name}\r\nMessage-ID: <folder.${contentHash(Buffer.from(name)).slice(0, 12)}@x>\r\n\r\nhello\r\n`);

beforeAll(async () => {
  lab = await startLab();
  const source = uniqueLogin('hostmime');
  target = uniqueLogin('hostmime');
  await Promise.all([addSourceUser(source, PASSWORD), addTargetUser(target, PASSWORD)]);
  cases = hostileMessages({ fuzz: 10 });
  const corpus: CorpusMessage[] = [
    ...cases.map((c) => ({ folder: ['INBOX'], raw: c.raw, flags: c.flags, internalDate: c.internalDate })),
    ...Object.values(FOLDERS).map((name) => ({ folder: [name], raw: simple(name), flags: [], internalDate: new Date(Date.UTC(2024, 1, 1)) })),
  ];
  await seedSource(lab, source, PASSWORD, corpus, { connections: 2 });
  ({ dir, file } = writeLabConfig(lab, { source, target, password: PASSWORD }, ['concurrency:', '  batchSize: 16']));
  human.plan = await runCli(['plan', '-c', file]);
  run = await runCli(['run', '-c', file, '--json']);
  const st = await runCli(['status', '-c', file, '--json', '--problems', '--folders']);
  status = JSON.parse(st.stdout) as typeof status;
  human.status = await runCli(['status', '-c', file, '--problems', '--folders']);
  human.reconcileSubjects = await runCli(['reconcile', '-c', file, '--show-subjects']);
  human.again = await runCli(['run', '-c', file]);
  targetHashes = (await hashesOf('target', target)).counts;
  const src = await hashesOf('source', source);
  sourceHashes = src.counts;
  sourceInbox = src.inbox;
  storedInbox = maildirHashes(targetMaildir(target));
}, 240_000);

test('the run finishes (0, or 3 with failed items) and its report adds up to the source', () => {
  expect([0, 3]).toContain(run.code);
  const report = JSON.parse(run.stdout) as { copied: number; failed: number; skipped: number; failedMailboxes: number };
  expect(report.failedMailboxes).toBe(0);
  const total = cases.length + Object.keys(FOLDERS).length;
  expect(report.copied + report.failed + report.skipped).toBe(total);
  const m = status.mailboxes[0] as MailboxRow;
  expect({ total: m.totalItems, accounted: m.doneItems + m.failedItems + m.skippedItems }).toEqual({ total, accounted: total });
  expect(status.problems.filter((p) => p.status !== 'done')).toHaveLength(report.failed + report.skipped);
});

describe('each hostile message is copied exactly or failed with a reason', () => {
  test.each(hostileMessages({ fuzz: 10 }).map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const uid = String(i + 1);
    const problem = status.problems.find((p) => p.path === 'INBOX' && p.itemId === uid && p.status !== 'done');
    const served = sourceInbox.get(uid);
    expect({ uid, stored: served !== undefined }).toEqual({ uid, stored: true });
    const copies = Math.max(targetHashes.get('INBOX')?.get(served as string) ?? 0, storedInbox.get(served as string) ?? 0);
    if (problem) {
      expect(problem.reason).toMatch(/\S{3}/);
      expect(copies).toBe(0);
    } else {
      expect(copies).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('each hostile folder name lands in a safe target folder (or fails as a folder, with a reason)', () => {
  test.each(Object.entries(FOLDERS))('%s', (_key, name) => {
    const row = status.containers.find((c) => c.path === name);
    expect(row).toBeDefined();
    const r = row as FolderRow;
    expect(unsafeSpots(r.targetRef)).toEqual([]);
    expect(r.targetRef.split('.').some((seg) => seg === '..' || seg.startsWith('~'))).toBe(false);
    if (r.status === 'failed') {
      expect(r.lastError ?? '').toMatch(/\S{3}/);
    } else {
      expect({ status: r.status, done: r.doneItems }).toEqual({ status: 'done', done: 1 });
      expect(targetHashes.get(r.targetRef)?.get(contentHash(simple(name)))).toBe(1);
      expect(sourceHashes.get(name)?.get(contentHash(simple(name)))).toBe(1);
    }
  });
});

test('human output (plan, status --problems --folders, reconcile, a second run) carries no raw control or bidi character', () => {
  for (const [what, r] of Object.entries(human)) {
    expectCleanHuman(r.stdout, `${what} stdout`);
    expectCleanHuman(r.stderr, `${what} stderr`);
  }
});

test('reconcile (showing subjects) finds both sides equal, a second run copies nothing', () => {
  for (const what of ['reconcileSubjects', 'again']) {
    const r = human[what] as CliResult;
    expect({ what, code: r.code, err: r.stderr, out: r.code === 0 ? '' : r.stdout.slice(-3000) }).toEqual({ what, code: 0, err: '', out: '' });
  }
});

test('the password is in no output, log or state file', () => {
  for (const [what, r] of Object.entries({ ...human, run })) expectNoSecret(r.stdout + r.stderr, [PASSWORD], what);
  for (const f of ['run.log', 'state.sqlite']) expectNoSecret(readFileSync(join(dir, f)), [PASSWORD], f);
});

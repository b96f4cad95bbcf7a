/**
 * The PST source driven by the engine (runJob) into the in-memory target, on the shared fixture
 * PSTs (Unicode, ANSI CP932, password-protected) plus a truncated copy made here: every message of
 * every mail folder is copied exactly once, a re-run copies nothing, a run killed between write
 * and checkpoint is resumed without duplicates, and the MIME written carries what readpst shows
 * (subject, sender, attachments; see mime-oracle.ts).
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR) and readpst (pst-utils); without them the tests
 * fail saying so, unless UMS_SKIP_ORACLE=1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/store.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { classifyFolder } from './container-class.js';
import { PstSource } from './index.js';
import { compareSummaries, readpstSummaries, summarize, type MimeSummary } from './mime-oracle.js';
import { openPst } from './pst-reader.js';
import { fixturesDir, oracleSkipped, oracleUnavailable } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = oracleUnavailable();
const log = pino({ level: 'silent' });
const fixture = (rel: string): string => join(fixturesDir(), 'pst', rel);

const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 4, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  ...over,
});

/** alice's files: several PSTs in her own directory, one of them truncated. */
const ALICE = {
  'outlook.pst': 'unicode/aspose-Outlook.pst',
  'protected.pst': 'unicode/aspose-passwordprotectedPST.pst',
  'cjk.pst': 'unicode/hiraoka-Hello_CJK.pst',
  'cp932.pst': 'ansi/hiraoka-nonUnicodeCP932.pst',
  'nested.pst': 'unicode/hiraoka-msgInMsgInMsg.pst',
};

/** Messages in the folders the source migrates (mail folders), counted with the reader itself. */
async function mailCount(file: string): Promise<number> {
  const r = await openPst(file);
  try {
    let n = 0;
    for await (const f of r.folders()) if (!f.isSearchFolder && classifyFolder(f.containerClass).migrate) n += f.count;
    return n;
  } finally {
    r.close();
  }
}

const allMessages = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages);

maybe('PST source through the engine', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  let dir: string;
  let store: SqliteStateStore;
  let expected: number;
  const job = [{ source: { login: 'alice' }, target: { login: 'alice@ums.example' } }];
  const source = () => new PstSource({ directory: join(dir, 'pst'), files: '{login}/*.pst' }, log);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-pst-'));
    mkdirSync(join(dir, 'pst', 'alice'), { recursive: true });
    for (const [name, rel] of Object.entries(ALICE)) copyFileSync(fixture(rel), join(dir, 'pst', 'alice', name));
    // a copy cut short: its header says the file is longer than it is
    writeFileSync(join(dir, 'pst', 'alice', 'truncated.pst'), readFileSync(fixture('unicode/tika-testPST.pst')).subarray(0, 100_000));
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
    expected = 0;
    for (const rel of Object.values(ALICE)) expected += await mailCount(fixture(rel));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every message once; a re-run copies nothing; the truncated file fails alone, named', async () => {
    const tgt = new MemoryTarget();
    const r1 = await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    expect(r1.failed).toBe(0);
    expect(r1.copied).toBe(expected);
    expect(allMessages(tgt)).toHaveLength(expected);
    const broken = r1.mailboxes[0]!.containers.filter((c) => !c.ok);
    expect(broken).toHaveLength(1);
    expect(broken[0]!.error).toMatch(/truncated\.pst: truncated: the header says the file ends at offset \d+ .*but it has only 100000 bytes/);
    // non-mail folders with items are reported, not dropped silently
    const warnings = r1.mailboxes[0]!.warnings.join('\n');
    expect(warnings).toMatch(/"Calendar" not migrated: IPF\.Appointment folder \(calendar\).*\(1 item in alice\/outlook\.pst\)/);
    expect(warnings).toMatch(/"Contacts" not migrated: IPF\.Contact folder/);
    // well-known folders from the store's entry ids; the items in a store's root land in a folder named after it
    expect([...tgt.folders.keys()]).toEqual(expect.arrayContaining(['INBOX', 'INBOX.Sent', 'INBOX.Trash']));

    const r2 = await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    expect(r2.copied).toBe(0);
    expect(r2.failed).toBe(0);
    expect(allMessages(tgt)).toHaveLength(expected);
    expect(r2.unchangedContainers).toBe(r2.mailboxes[0]!.containers.filter((c) => c.ok).length);
  });

  test('flags and INTERNALDATE come from the message state and delivery time', async () => {
    const tgt = new MemoryTarget();
    await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    const inbox = tgt.folders.get('INBOX')!.messages;
    const byId = await Promise.all(inbox.map(async (m) => ({ m, p: await simpleParser(m.content) })));
    const unread = byId.filter((x) => x.p.subject === 'message 1');
    expect(unread.map((x) => x.m.flags)).toEqual([[]]);
    const read = byId.find((x) => x.p.subject === 'message 2')!;
    expect(read.m.flags).toEqual(['\\Seen']);
    expect(read.m.internalDate.getTime()).toBeLessThanOrEqual(Date.now());
    expect(read.m.internalDate.getUTCFullYear()).toBe(2011);
  });

  test('an item without delivery or submit time is dated by its Date header, else its creation time, never the day of the copy', async () => {
    const tgt = new MemoryTarget();
    await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    const dates = await Promise.all(allMessages(tgt).map(async (m) => ({ subject: (await simpleParser(m.content)).subject, date: m.internalDate.toISOString() })));
    // protected.pst: three items named "Subject" in Deleted Items carry no delivery or submit time; their
    // transport headers' Date says 20 Jan 2017, their creation time (the day they were imported) 6 Feb 2017
    expect(dates.filter((d) => d.subject === 'Subject').map((d) => d.date).sort())
      .toEqual(['2017-01-20T14:06:58.000Z', '2017-01-20T14:10:44.000Z', '2017-01-20T15:09:09.000Z']);
    // no headers at all: the creation time
    expect(dates.filter((d) => d.subject === 'creating an outlook message file').map((d) => d.date).sort())
      .toEqual(['2015-06-26T11:37:41.643Z', '2016-11-18T10:51:28.485Z']);
  });

  test('a run killed between write and checkpoint resumes without a duplicate (the MIME is built the same again)', async () => {
    const tgt = new MemoryTarget();
    const crashing: StateStore = Object.create(store);
    let commits = 0;
    crashing.commitBatch = async (...args) => {
      if (++commits > 3) throw new Error('killed');
      return store.commitBatch(...args);
    };
    await runJob({ store: crashing, sources: source(), targets: tgt, log }, job, options());
    expect(allMessages(tgt).length).toBeGreaterThan(0);
    const r = await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    expect(r.failed).toBe(0);
    expect(r.recovered).toBeGreaterThan(0);
    expect(allMessages(tgt)).toHaveLength(expected);
  });

  test('the MIME written carries what readpst shows of each message', async () => {
    const tgt = new MemoryTarget();
    await runJob({ store, sources: source(), targets: tgt, log }, job, options());
    const ours: MimeSummary[] = [];
    for (const m of allMessages(tgt)) ours.push(await summarize(m.content));
    const theirs: MimeSummary[] = [];
    for (const rel of Object.values(ALICE)) theirs.push(...(await readpstSummaries(fixture(rel))));
    expect(theirs.length).toBeGreaterThan(20);
    expect(compareSummaries(ours, theirs)).toEqual([]);
  });

  test('an item that cannot be read is an error naming the file, folder and node; the others are read', async () => {
    const mb = await source().openMailbox({ login: 'alice' });
    try {
      const inbox = (await mb.containers()).find((c) => c.id.startsWith('alice/outlook.pst:') && c.path.join('/') === 'Inbox')!;
      const page = await mb.changes(inbox, null, 100);
      const out = [];
      for await (const r of mb.read(inbox, [{ id: '12345', size: 0, flags: [] }, ...page.items])) out.push(r);
      const bad = out.find((r) => r.meta.id === '12345');
      expect(bad && 'error' in bad ? bad.error.message : '').toMatch(/alice\/outlook\.pst: node 12345 \(0x3039\) in folder \/Inbox: /);
      expect(out.filter((r) => 'content' in r)).toHaveLength(page.items.length);
    } finally {
      await mb.close();
    }
  });

  test('a file damaged inside: the unreadable items fail, each naming the file, folder and node; the rest is copied', async () => {
    mkdirSync(join(dir, 'pst', 'bob'));
    const damaged = readFileSync(fixture('unicode/aspose-Outlook.pst'));
    damaged.fill(0xab, 100_000, 100_000 + 8192); // inside the first data blocks
    writeFileSync(join(dir, 'pst', 'bob', 'damaged.pst'), damaged);
    const reasons: string[] = [];
    const r = await runJob({
      store, sources: source(), targets: new MemoryTarget(), log,
      onEvent: (e) => { if (e.type === 'item' && e.status === 'failed') reasons.push(e.reason ?? ''); },
    }, [{ source: { login: 'bob' }, target: { login: 'bob' } }], options());
    expect(r.failed).toBeGreaterThan(0);
    expect(r.copied + r.failed).toBe(await mailCount(fixture('unicode/aspose-Outlook.pst')));
    expect(reasons).toHaveLength(r.failed);
    for (const reason of reasons) expect(reason).toMatch(/bob\/damaged\.pst: node \d+ \(0x[0-9a-f]+\) in folder \/(Inbox|Sent Items): /);
  });

  test('a mailbox without files fails with a message naming the pattern', async () => {
    const r = await runJob({ store, sources: source(), targets: new MemoryTarget(), log }, [{ source: { login: 'nobody' }, target: { login: 'nobody' } }], options({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    expect(r.failedMailboxes).toBe(1);
    expect(r.mailboxes[0]!.error).toBe(`no PST file for nobody: nothing matches nobody/*.pst in ${join(dir, 'pst')}`);
  });
});

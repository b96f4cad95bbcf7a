import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { SqliteStateStore } from '../state/sqlite.js';
import type { StateStore } from '../state/store.js';
import type { Container, FlagChanges } from '../model/types.js';
import type { EngineEvent } from './events.js';
import { runJob, type JobOptions } from './job.js';

const log = pino({ level: 'silent' });
const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 3, tasks: 2, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
  ...over,
});
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-engine-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function msg(i: number, extra = ''): string {
  return `Message-ID: <m${i}@example.org>\r\nSubject: message ${i}\r\n\r\nbody ${i}${extra}\r\n`;
}

function seed(src: MemorySource, n: number): void {
  for (let i = 0; i < n; i++) src.add(i % 3 === 0 ? ['Sent Items'] : ['INBOX'], msg(i), { flags: i % 2 ? ['\\Seen'] : ['$Work'], date: new Date(Date.UTC(2020, 0, 1 + i)), messageId: `<m${i}@example.org>` });
}

const all = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages);

describe('engine: exactly-once copy', () => {
  test('copies every message with flags and dates, then a second run copies nothing', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 10);
    const r1 = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r1.copied).toBe(10);
    expect(r1.failed).toBe(0);
    expect([...tgt.folders.keys()].sort()).toEqual(['INBOX', 'INBOX.Sent']);
    const sent = tgt.folders.get('INBOX.Sent')?.messages ?? [];
    expect(sent.map((m) => m.content.toString())).toEqual([msg(0), msg(3), msg(6), msg(9)]);
    expect(sent[0]?.flags).toEqual(['$Work']);
    expect(sent[1]?.internalDate.toISOString()).toBe('2020-01-04T00:00:00.000Z');
    const r2 = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r2.copied).toBe(0);
    expect(r2.unchangedContainers).toBe(2);
    expect(all(tgt)).toHaveLength(10);
  });

  test('a new source message is the only thing the next run copies', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 5);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    src.add(['INBOX'], msg(99), { messageId: '<m99@example.org>' });
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.copied).toBe(1);
    expect(all(tgt)).toHaveLength(6);
  });

  test('a write that landed before the connection dropped is found, not written twice', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 9);
    tgt.fault = (n) => (n % 4 === 0 ? { when: 'after', kind: 'transient' } : n % 5 === 0 ? { when: 'before', kind: 'transient' } : undefined);
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.failed).toBe(0);
    expect(r.copied).toBe(9);
    const bodies = all(tgt).map((m) => m.content.toString()).sort();
    expect(bodies).toEqual(Array.from({ length: 9 }, (_, i) => msg(i)).sort());
  });

  test('a write that lands only after the retry is removed as a late second copy, the first write kept', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 6);
    tgt.fault = (n) => (n === 2 || n === 5 ? { when: 'late', kind: 'transient' } : undefined);
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.failed).toBe(0);
    expect(r.copied).toBe(6);
    expect(r.mailboxes[0]?.containers.reduce((n, c) => n + (c.duplicatesRemoved ?? 0), 0)).toBe(2);
    const bodies = all(tgt).map((m) => m.content.toString()).sort();
    expect(bodies).toEqual(Array.from({ length: 6 }, (_, i) => msg(i)).sort());
    // The items' recorded target ids still point at messages that exist.
    const ids = new Set(all(tgt).map((m) => String(m.uid)));
    const [inbox] = await store.containers();
    expect(inbox).toBeDefined();
    for (const f of tgt.folders.values()) expect(f.messages.every((m) => ids.has(String(m.uid)))).toBe(true);
  });

  test('a crashed run whose write lands after recovery looked: the late copy is swept on a later run', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    src.add(['INBOX'], msg(1), { messageId: '<m1@example.org>' });
    src.add(['INBOX'], msg(2), { messageId: '<m2@example.org>' });
    const crashing: StateStore = Object.create(store);
    crashing.commitBatch = async () => { throw new Error('killed'); };
    // The dead run's first write reaches the server only later; its second write never did.
    tgt.fault = (n) => (n === 1 ? { when: 'late', kind: 'transient' } : n === 2 ? { when: 'before', kind: 'transient' } : undefined);
    await runJob({ store: crashing, sources: src, targets: tgt, log }, job, options({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    tgt.fault = undefined;
    const late = tgt.late.splice(0); // not landed when recovery looks…
    const settle = tgt.settle.bind(tgt);
    let settles = 0;
    tgt.settle = async (ref) => { if (++settles === 2) tgt.late.push(...late); return settle(ref); }; // …lands before the sweep
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.failed).toBe(0);
    expect(all(tgt).map((m) => m.content.toString()).sort()).toEqual([msg(1), msg(2)]);
    expect(r.mailboxes[0]?.containers[0]?.duplicatesRemoved).toBe(1);
  });

  test('later passes write changed flags to the copies; deletions are ignored unless mirrored', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 4);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const inbox = src.folders.get('INBOX');
    if (!inbox) throw new Error('no inbox');
    const [a, b] = inbox.messages;
    if (!a || !b) throw new Error('seed');
    a.flags = ['\\Seen', '\\Flagged', '$Done'];
    inbox.messages = inbox.messages.filter((m) => m !== b);
    inbox.uidNext++; // the source changed: not skipped as unchanged
    const r1 = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r1).toMatchObject({ copied: 0, flagsUpdated: 1, deleted: 0 });
    const copyOf = (body: Buffer) => all(tgt).find((m) => m.content.equals(body));
    expect(copyOf(a.content)?.flags).toEqual(['\\Seen', '\\Flagged', '$Done']);
    expect(copyOf(b.content)).toBeDefined();
    inbox.uidNext++;
    const r2 = await runJob({ store, sources: src, targets: tgt, log }, job, options({ sync: { flags: true, deletions: 'mirror' } }));
    expect(r2).toMatchObject({ copied: 0, flagsUpdated: 0, deleted: 1 });
    expect(copyOf(b.content)).toBeUndefined();
    expect(all(tgt)).toHaveLength(3);
  });

  test('a source that narrows flag changes down (CONDSTORE) has only the rows of the items it names read', async () => {
    class Narrowing extends MemorySource {
      named: string[] = [];
      override async flagChanges(c: Container, since: string | null): Promise<FlagChanges> {
        const all = await super.flagChanges(c, since);
        return { ...all, items: all.items.filter((i) => this.named.includes(i.id)), complete: false };
      }
    }
    const src = new Narrowing();
    const tgt = new MemoryTarget();
    seed(src, 5);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const inbox = src.folders.get('INBOX');
    const m = inbox?.messages[2];
    if (!inbox || !m) throw new Error('seed');
    // The pass after the first scans every flag once (FlagSeq.firstPass); the one after that is narrowed.
    inbox.uidNext++;
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    m.flags = ['\\Flagged'];
    src.named = [String(m.uid)];
    inbox.uidNext++;
    const asked: (string[] | undefined)[] = [];
    const doneItems = store.doneItems.bind(store);
    store.doneItems = (mb, c, e, ids) => { asked.push(ids); return doneItems(mb, c, e, ids); };
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r).toMatchObject({ copied: 0, flagsUpdated: 1 });
    expect(asked).toEqual([[String(m.uid)]]);
    expect(all(tgt).find((x) => x.content.equals(m.content))?.flags).toEqual(['\\Flagged']);
  });

  test('a source without CONDSTORE is scanned for flag changes even when nothing else changed', async () => {
    const src = new MemorySource();
    src.condstore = false;
    const tgt = new MemoryTarget();
    seed(src, 3);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const m = src.folders.get('INBOX')?.messages[0];
    if (!m) throw new Error('seed');
    m.flags = ['\\Seen', '$Later'];
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r).toMatchObject({ copied: 0, flagsUpdated: 1, unchangedContainers: 0 });
    expect(all(tgt).find((x) => x.content.equals(m.content))?.flags).toEqual(['\\Seen', '$Later']);
  });

  test('the first delta after a folder\'s first pass scans every flag; later deltas ask for changes since the last pass', async () => {
    // A server may start tracking modseqs only when a CONDSTORE client first uses the mailbox
    // (Dovecot), so the first pass's sequence is not trusted for CHANGEDSINCE.
    const src = new MemorySource();
    const asked: (string | null)[] = [];
    const flagChanges = src.flagChanges.bind(src);
    src.flagChanges = async (c, since) => {
      asked.push(since);
      return flagChanges(c, since);
    };
    const tgt = new MemoryTarget();
    seed(src, 3);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(asked).toEqual([]);
    src.add(['INBOX'], msg(90), { messageId: '<m90@example.org>' });
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(asked).toEqual([null]);
    src.add(['INBOX'], msg(91), { messageId: '<m91@example.org>' });
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(asked).toHaveLength(2);
    expect(asked[1]).toMatch(/^\d+:\d+:\d+$/); // the plain sequence of the previous pass
  });

  test('a message the target rejects is recorded with the reason and the run goes on', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 6);
    tgt.fault = (_n, item) => (item.content.toString().includes('body 4') ? { when: 'before', kind: 'reject' } : undefined);
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.copied).toBe(5);
    expect(r.failed).toBe(1);
    const problems = await store.problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]?.reason).toContain('rejected (injected)');
    expect(problems[0]?.path).toBe('INBOX');
    // `retry --failed` tries only that item; new source messages wait for the next run.
    tgt.fault = undefined;
    src.add(['INBOX'], msg(77), { messageId: '<m77@example.org>' });
    const retried = await runJob({ store, sources: src, targets: tgt, log }, job, options({ onlyFailed: true }));
    expect(retried.copied).toBe(1);
    expect(all(tgt)).toHaveLength(6);
    expect(await store.problems()).toEqual([]);
    const next = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(next.copied).toBe(1);
    expect(all(tgt)).toHaveLength(7);
  });

  test('a crash between writing and checkpointing is recovered without duplicates, byte-identical copies kept', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    src.add(['INBOX'], msg(1), { messageId: '<m1@example.org>' });
    src.add(['INBOX'], msg(1), { messageId: '<m1@example.org>' }); // byte-identical copy
    src.add(['INBOX'], msg(2, ' other'), { messageId: '<m1@example.org>' }); // shares the Message-ID
    src.add(['INBOX'], 'Subject: no id\r\n\r\nx\r\n');
    // First run dies after the first write of the page has landed, before the commit.
    const crashing: StateStore = Object.create(store);
    crashing.commitBatch = async () => { throw new Error('killed'); };
    tgt.fault = (n) => (n === 2 ? { when: 'after', kind: 'transient' } : undefined);
    const r1 = await runJob({ store: crashing, sources: src, targets: tgt, log }, job, options({ batchSize: 10, writersPerTask: 1, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    expect(r1.failedContainers).toBe(1);
    expect(all(tgt).length).toBeGreaterThanOrEqual(2);
    tgt.fault = undefined;
    const r2 = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r2.failed).toBe(0);
    expect(r2.recovered + r2.copied).toBe(4);
    expect(r2.recovered).toBeGreaterThanOrEqual(2);
    const bodies = all(tgt).map((m) => m.content.toString()).sort();
    expect(bodies).toEqual([msg(1), msg(1), msg(2, ' other'), 'Subject: no id\r\n\r\nx\r\n'].sort());
  });

  test('the pass after a crash recovery counts no flag changes that did not happen, and then counts one that did', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    for (let i = 0; i < 6; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>`, flags: ['\\Seen'] });
    const crashing: StateStore = Object.create(store);
    crashing.commitBatch = async () => { throw new Error('killed'); };
    await runJob({ store: crashing, sources: src, targets: tgt, log }, job, options({ batchSize: 10, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    expect(all(tgt)).toHaveLength(6); // written, never recorded
    const recovery = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(recovery).toMatchObject({ recovered: 6, copied: 0, flagsUpdated: 0 });
    // The next delta scans every flag once: the recovered copies' flags were never recorded, but nothing changed in the source.
    const delta = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(delta).toMatchObject({ copied: 0, flagsUpdated: 0 });
    expect(all(tgt).map((m) => m.flags)).toEqual(Array.from({ length: 6 }, () => ['\\Seen']));
    const first = [...src.folders.values()][0]?.messages[0];
    if (first) first.flags = ['\\Seen', '\\Flagged'];
    const changed = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(changed.flagsUpdated).toBe(1);
  });

  test('a changed UIDVALIDITY re-verifies against the target instead of copying again', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 6);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const inbox = src.folders.get('INBOX');
    if (!inbox) throw new Error('no inbox');
    inbox.uidValidity = 2000;
    inbox.messages.forEach((m, i) => { m.uid = 100 + i; });
    inbox.uidNext = 200;
    src.add(['INBOX'], msg(50), { messageId: '<m50@example.org>' });
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r.copied).toBe(5); // recorded done again: 4 found in the target, 1 new written
    expect(all(tgt)).toHaveLength(7);
  });

  test('a re-verification interrupted after one page goes on verifying, never appends blindly', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 12);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const inbox = src.folders.get('INBOX');
    if (!inbox) throw new Error('no inbox');
    inbox.uidValidity = 3000;
    inbox.messages.forEach((m, i) => { m.uid = 500 + i; });
    inbox.uidNext = 600;
    // Run 2 dies after its first page: the second listing fails for good.
    const changes = src.changes.bind(src);
    let calls = 0;
    src.changes = async (c, cursor, limit) => {
      if (c.id === 'INBOX' && ++calls === 2) throw new Error('source gone (injected)');
      return changes(c, cursor, limit);
    };
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    src.changes = changes;
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(all(tgt)).toHaveLength(12);
  });

  test('a changed folder mapping keeps copied messages where they are and sends new ones to the new folder', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 3);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    src.add(['Sent Items'], msg(40), { messageId: '<m40@example.org>' });
    const renamed = options();
    renamed.folders = { ...renamed.folders, rename: [{ from: 'Sent Items', to: 'Old Sent' }] };
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, renamed);
    expect(r.copied).toBe(1);
    expect(tgt.folders.get('INBOX.Sent')?.messages).toHaveLength(1);
    expect(tgt.folders.get('INBOX.Old Sent')?.messages.map((m) => m.content.toString())).toEqual([msg(40)]);
    const [sent] = (await store.containers()).filter((c) => c.containerId === 'Sent Items');
    expect(sent?.targetRef).toBe('INBOX.Old Sent');
  });

  test('raising maxMessageSize copies what was skipped as too large', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 2);
    src.add(['INBOX'], `Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`);
    const small = await runJob({ store, sources: src, targets: tgt, log }, job, options({ filters: { maxMessageSize: 4096 } }));
    expect(small.skipped).toBe(1);
    const large = await runJob({ store, sources: src, targets: tgt, log }, job, options({ filters: { maxMessageSize: 8192 } }));
    expect(large.copied).toBe(1);
    expect(all(tgt)).toHaveLength(3);
    expect(await store.problems()).toEqual([]);
  });

  test('pre-stage by date, then the rest, and over-size messages reported as skipped', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src, 8);
    src.add(['INBOX'], `Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n`, { date: new Date('2019-06-01T00:00:00Z') });
    const pre = await runJob({ store, sources: src, targets: tgt, log }, job, options({ filters: { before: new Date('2020-01-04T00:00:00Z'), maxMessageSize: 4096 } }));
    expect(pre.copied).toBe(3);
    expect(pre.skipped).toBe(1);
    const rest = await runJob({ store, sources: src, targets: tgt, log }, job, options({ filters: { maxMessageSize: 4096 } }));
    expect(rest.copied).toBe(5);
    expect(all(tgt)).toHaveLength(8);
    const problems = await store.problems();
    expect(problems.map((p) => [p.status, p.reason])).toEqual([['skipped', 'larger than maxMessageSize (5018 > 4096 bytes)']]);
  });
});

describe('engine: what could not be carried is said with the item', () => {
  test('warnings from the source and from the target are recorded as the reason of the copied item and listed with the problems', async () => {
    class WarningSource extends MemorySource {
      override async *read(c: Parameters<MemorySource['read']>[0], items: Parameters<MemorySource['read']>[1]) {
        for await (const r of super.read(c, items)) yield 'content' in r && r.meta.id === '1' ? { ...r, warnings: ['attachment plan.pdf (30 MiB) not carried: over 25 MiB'] } : r;
      }
    }
    class WarningTarget extends MemoryTarget {
      override async put(ref: string, item: Parameters<MemoryTarget['put']>[1]) {
        const r = await super.put(ref, item);
        return item.content.toString().includes('message 2') ? { ...r, warnings: ['PHOTO: base64 of 1,171 characters is not valid; not carried'] } : r;
      }
    }
    const src = new WarningSource();
    for (let i = 1; i <= 3; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
    const r = await runJob({ store, sources: src, targets: new WarningTarget(), log }, job, options());
    expect([r.copied, r.failed]).toEqual([3, 0]);
    expect((await store.problems()).map((p) => [p.itemId, p.status, p.reason])).toEqual([
      ['1', 'done', 'copied with warnings: attachment plan.pdf (30 MiB) not carried: over 25 MiB'],
      ['2', 'done', 'copied with warnings: PHOTO: base64 of 1,171 characters is not valid; not carried'],
    ]);
  });
});

/** A source like EWS SyncFolderItems: a continued listing carries the deletions and flag changes since its cursor. */
class SyncingSource extends MemorySource {
  private journal: { kind: 'flags' | 'delete'; folder: string; id: string }[] = [];
  scans = 0;
  setFlags(folder: string, uid: number, flags: string[]): void {
    const m = this.folders.get(folder)?.messages.find((x) => x.uid === uid);
    if (m) m.flags = flags;
    this.journal.push({ kind: 'flags', folder, id: String(uid) });
  }
  remove(folder: string, uid: number): void {
    const f = this.folders.get(folder);
    if (f) f.messages = f.messages.filter((x) => x.uid !== uid);
    this.journal.push({ kind: 'delete', folder, id: String(uid) });
  }
  pagedDeltas(): boolean { return true; }
  override async stats(c: Parameters<MemorySource['stats']>[0]) {
    return { ...(await super.stats(c)), token: `${this.journal.length}:${Math.random()}`, changeSeq: undefined };
  }
  /** The next listing cannot continue (an expired SyncState): it starts over and says nothing of what went away. */
  expireCursor = false;
  override async changes(c: Parameters<MemorySource['changes']>[0], cursor: string | null, limit: number) {
    if (this.expireCursor) { this.expireCursor = false; cursor = null; }
    const [uid, seq] = cursor === null ? [null, this.journal.length] : cursor.split(':').map(Number) as [number, number];
    const page = await super.changes(c, uid === null ? null : String(uid), limit);
    const since = this.journal.slice(seq).filter((j) => j.folder === c.id);
    const f = this.folders.get(c.id);
    const deltas = cursor === null ? {} : {
      deleted: since.filter((j) => j.kind === 'delete').map((j) => j.id),
      flagged: since.filter((j) => j.kind === 'flags').flatMap((j) => { const m = f?.messages.find((x) => String(x.uid) === j.id); return m ? [{ id: j.id, flags: m.flags }] : []; }),
    };
    return { ...page, ...deltas, cursor: `${page.cursor}:${this.journal.length}` };
  }
  override async flagChanges(c: Parameters<MemorySource['flagChanges']>[0], since: string | null) { this.scans++; return super.flagChanges(c, since); }
  override async allIds(c: Parameters<MemorySource['allIds']>[0]) { this.scans++; return super.allIds(c); }
}

describe('engine: deltas carried by the listing (EWS-like sources)', () => {
  test('a later pass writes flag changes and mirrors deletions from the pages alone: no scan of the folder, nothing twice', async () => {
    const src = new SyncingSource();
    const tgt = new MemoryTarget();
    for (let i = 1; i <= 5; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
    const opts = options({ sync: { flags: true, deletions: 'mirror' } });
    const r1 = await runJob({ store, sources: src, targets: tgt, log }, job, opts);
    expect(r1.copied).toBe(5);
    src.setFlags('INBOX', 2, ['\\Seen']);
    src.remove('INBOX', 3);
    src.setFlags('INBOX', 4, ['\\Flagged']);
    src.setFlags('INBOX', 4, []); // back as it was copied: nothing to write
    src.add(['INBOX'], msg(6), { messageId: '<m6@example.org>' });
    const scansBefore = src.scans;
    const r2 = await runJob({ store, sources: src, targets: tgt, log }, job, opts);
    expect([r2.copied, r2.flagsUpdated, r2.deleted, r2.failed]).toEqual([1, 1, 1, 0]);
    expect(src.scans).toBe(scansBefore);
    const inbox = tgt.folders.get('INBOX')?.messages ?? [];
    expect(inbox.map((m) => m.content.toString()).sort()).toEqual([msg(1), msg(2), msg(4), msg(5), msg(6)].sort());
    expect(inbox.find((m) => m.content.toString() === msg(2))?.flags).toEqual(['\\Seen']);
    const r3 = await runJob({ store, sources: src, targets: tgt, log }, job, opts);
    expect([r3.copied, r3.flagsUpdated, r3.deleted]).toEqual([0, 0, 0]);
    expect(src.scans).toBe(scansBefore);
  });

  test('a continued listing that had to start over (no deltas on its pages) falls back to scanning: the deletion is still mirrored', async () => {
    const src = new SyncingSource();
    const tgt = new MemoryTarget();
    for (let i = 1; i <= 3; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
    const opts = options({ sync: { flags: true, deletions: 'mirror' } });
    await runJob({ store, sources: src, targets: tgt, log }, job, opts);
    src.remove('INBOX', 1);
    src.setFlags('INBOX', 2, ['\\Seen']);
    src.expireCursor = true;
    const scansBefore = src.scans;
    const r2 = await runJob({ store, sources: src, targets: tgt, log }, job, opts);
    expect([r2.copied, r2.flagsUpdated, r2.deleted]).toEqual([0, 1, 1]);
    expect(src.scans).toBeGreaterThan(scansBefore);
    expect((tgt.folders.get('INBOX')?.messages ?? []).map((m) => m.content.toString()).sort()).toEqual([msg(2), msg(3)]);
  });
});

describe('engine: inventory, names, kinds and interruptions (issue 17)', () => {
  const two = [{ source: { login: 'alice' }, target: { login: 'alice' } }, { source: { login: 'bob' }, target: { login: 'bob' } }];
  const seedKinds = (src: MemorySource) => {
    for (let i = 0; i < 5; i++) src.add(['Posteingang', 'Projekte'], msg(i), { messageId: `<m${i}@example.org>` });
    for (let i = 0; i < 2; i++) src.add(['Kalender'], `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e${i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`, { kind: 'event' });
  };

  test('every mailbox is inventoried before anything is copied; folders go by name; kinds are counted apart', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seedKinds(src);
    const events: EngineEvent[] = [];
    const r = await runJob({ store, sources: src, targets: tgt, log, onEvent: (e) => events.push(e) }, two, options());
    const firstItem = events.findIndex((e) => e.type === 'item');
    const announced = events.slice(0, firstItem).flatMap((e) => (e.type === 'inventory' ? [[e.mailbox, e.kinds.map((k) => [k.kind, k.totalItems, k.doneItems])]] : []));
    expect(announced.slice(0, 2)).toEqual([
      ['alice', [['mail', 5, 0], ['event', 2, 0]]],
      ['bob', [['mail', 5, 0], ['event', 2, 0]]],
    ]);
    expect(events.filter((e) => e.type === 'container-start').map((e) => e.type === 'container-start' && [e.name, e.kind])).toEqual(expect.arrayContaining([
      ['Posteingang/Projekte', 'mail'], ['Kalender', 'event'],
    ]));
    expect(r.kinds).toEqual({ mail: { copied: 10, recovered: 0, failed: 0, skipped: 0, bytes: expect.any(Number) }, event: { copied: 4, recovered: 0, failed: 0, skipped: 0, bytes: expect.any(Number) } });
    expect(r.mailboxes.map((m) => [m.source, m.interrupted, m.containers.map((c) => c.name).sort()])).toEqual([
      ['alice', false, ['Kalender', 'Posteingang/Projekte']], ['bob', false, ['Kalender', 'Posteingang/Projekte']],
    ]);
    for (const m of await store.inventory()) {
      expect(m.kinds.map((k) => [k.kind, k.totalItems, k.doneItems])).toEqual([['mail', 5, 5], ['event', 2, 2]]);
    }
    // The next pass announces the done counts: progress continues from them.
    const again: EngineEvent[] = [];
    await runJob({ store, sources: src, targets: tgt, log, onEvent: (e) => again.push(e) }, two, options());
    expect(again[0]).toMatchObject({ type: 'inventory', mailbox: 'alice', kinds: [{ kind: 'mail', totalItems: 5, doneItems: 5 }, { kind: 'event', totalItems: 2, doneItems: 2 }] });
  });

  test('a stop mid-run: the mailboxes not through are "interrupted", and the pending one has its totals in the store', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seedKinds(src);
    const abort = new AbortController();
    let seen = 0;
    const onEvent = (e: EngineEvent) => { if (e.type === 'item' && ++seen === 2) abort.abort(); };
    const r = await runJob({ store, sources: src, targets: tgt, log, onEvent, signal: abort.signal }, two, options({ batchSize: 1, tasks: 1 }));
    expect(r.interrupted).toBe(true);
    expect(r.mailboxes.map((m) => [m.source, m.interrupted, m.ok])).toEqual([['alice', true, true], ['bob', true, true]]);
    const inv = await store.inventory();
    expect(inv.map((m) => [m.source, m.kinds.reduce((n, k) => n + k.totalItems, 0), m.kinds.reduce((n, k) => n + k.doneItems, 0)])).toEqual([['alice', 7, 2], ['bob', 7, 0]]);
    const resumed = await runJob({ store, sources: src, targets: tgt, log }, two, options());
    expect(resumed.interrupted).toBe(false);
    expect(resumed.copied).toBe(12);
  });

  test('a complete pass settles the totals on what it processed: items outside the date window are not "left to do", on later passes either', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    for (let i = 0; i < 5; i++) src.add(['INBOX'], msg(i), { date: new Date(Date.UTC(2020, 0, 1 + i)) });
    const windowed = options({ filters: { maxMessageSize: 1024 * 1024, before: new Date(Date.UTC(2020, 0, 4)) } });
    const first: EngineEvent[] = [];
    await runJob({ store, sources: src, targets: tgt, log, onEvent: (e) => first.push(e) }, job, windowed);
    // never inventoried when the job starts (one mailbox: no inventory before the run), then the pass's probe counts all 5
    expect(first.filter((e) => e.type === 'inventory')).toMatchObject([{ inventoriedAt: null, kinds: [] }, { kinds: [{ totalItems: 5, doneItems: 0 }] }]);
    const totals = async () => (await store.inventory())[0]?.kinds.map((k) => [k.totalItems, k.doneItems]);
    expect(await totals()).toEqual([[3, 3]]);
    const again = await runJob({ store, sources: src, targets: tgt, log }, job, windowed);
    expect(again.unchangedContainers).toBe(1);
    expect(await totals()).toEqual([[3, 3]]);
    src.add(['INBOX'], msg(9), { date: new Date(Date.UTC(2020, 0, 2)) });
    await runJob({ store, sources: src, targets: tgt, log }, job, windowed);
    expect(await totals()).toEqual([[4, 4]]);
    // the window removed: the settled total of the old window does not hold for this pass
    const whole: EngineEvent[] = [];
    await runJob({ store, sources: src, targets: tgt, log, onEvent: (e) => whole.push(e) }, job, options());
    expect(whole.filter((e) => e.type === 'inventory')[1]).toMatchObject({ kinds: [{ totalItems: 6, doneItems: 4 }] });
    expect(await totals()).toEqual([[6, 6]]);
  });

  test('an unchanged pass (nothing new) counts its folders as checked and unchanged, nothing else', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seedKinds(src);
    await runJob({ store, sources: src, targets: tgt, log }, job, options());
    const r = await runJob({ store, sources: src, targets: tgt, log }, job, options());
    expect(r).toMatchObject({ copied: 0, recovered: 0, flagsUpdated: 0, deleted: 0, checkedContainers: 2, unchangedContainers: 2, interrupted: false });
  });
});

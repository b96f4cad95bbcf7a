/**
 * The engine follows what each target container declares (TargetCapabilities): write recovery
 * only where `recovery` is declared, flags only where `setFlags` exists, deletions only where
 * `removeItems` exists, and it says so once when it cannot. The recovery target's own behaviour
 * is job.test.ts's.
 */
import pino from 'pino';
import { SplitMailbox, SplitTarget } from '../../connectors/split-target.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget, type MemoryTargetOptions } from '../../test/support/memory-connectors.js';
import type { StateStore } from '../state/store.js';
import { runJob, type JobOptions } from './job.js';

const state = useTempStateStore('ums-capabilities');
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const once: Partial<JobOptions> = { batchSize: 2, writersPerTask: 1, tasks: 1, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } };

function msg(i: number): string {
  return `Message-ID: <m${i}@example.org>\r\nSubject: message ${i}\r\n\r\nbody ${i}\r\n`;
}

function source(n: number, folder = ['INBOX'], kind?: 'event'): MemorySource {
  const src = new MemorySource();
  for (let i = 0; i < n; i++) src.add(folder, msg(i), { messageId: `<m${i}@example.org>`, flags: ['\\Seen'], kind });
  return src;
}

/** A log that keeps its lines (to check what the run says, and how often). */
function recordingLog(): { log: pino.Logger; lines: { msg: string; target?: string }[] } {
  const lines: { msg: string; target?: string }[] = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as { msg: string }); } }), lines };
}

/** A store whose commits after the first throw: the run dies between writes and their checkpoint. */
function crashingAfterFirstCommit(store: StateStore): StateStore {
  const crashing: StateStore = Object.create(store) as StateStore;
  let commits = 0;
  crashing.commitBatch = async (...args) => {
    if (++commits > 1) throw new Error('killed (simulated crash before the checkpoint)');
    return store.commitBatch(...args);
  };
  return crashing;
}

/** Runs 6 items into `tgt` with a crash after the first checkpoint, then resumes. */
async function crashAndResume(tgt: MemoryTarget) {
  const src = source(6);
  const log = pino({ level: 'silent' });
  const killed = await runJob({ store: crashingAfterFirstCommit(state.store), sources: src, targets: tgt, log }, job, testJobOptions(once));
  expect(killed.failedContainers).toBe(1);
  const written = tgt.folders.get('INBOX')?.messages.length;
  const resumed = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions());
  const bodies = (tgt.folders.get('INBOX')?.messages ?? []).map((m) => m.content.toString()).sort();
  return { written, resumed, bodies, suspects: await state.store.suspects(1, 'INBOX') };
}

describe('write recovery only where the container declares it', () => {
  test('idempotent writes: a crash after the write, before the checkpoint → written again in place, each item once, and no settle, findWritten or suspect', async () => {
    const tgt = new MemoryTarget({ writes: 'idempotent' });
    const r = await crashAndResume(tgt);
    expect(r.written).toBe(4); // two past the checkpoint
    expect({ copied: r.resumed.copied, recovered: r.resumed.recovered, failed: r.resumed.failed }).toEqual({ copied: 4, recovered: 0, failed: 0 });
    expect(r.bodies).toEqual([0, 1, 2, 3, 4, 5].map(msg).sort());
    expect({ calls: tgt.recoveryCalls, suspects: r.suspects.length }).toEqual({ calls: { findWritten: 0, settle: 0 }, suspects: 0 });
  });

  test('recovery: the same crash is found by search (settle, findWritten), nothing written twice', async () => {
    const tgt = new MemoryTarget();
    const r = await crashAndResume(tgt);
    expect({ copied: r.resumed.copied, recovered: r.resumed.recovered, failed: r.resumed.failed }).toEqual({ copied: 2, recovered: 2, failed: 0 });
    expect(r.bodies).toEqual([0, 1, 2, 3, 4, 5].map(msg).sort());
    expect(tgt.recoveryCalls.settle).toBeGreaterThan(0);
    expect(tgt.recoveryCalls.findWritten).toBeGreaterThan(0);
  });

  test('idempotent writes: a connection lost after or during a write → the retry writes it again, one object, no lookup', async () => {
    const tgt = new MemoryTarget({ writes: 'idempotent' });
    tgt.fault = (n) => (n === 2 ? { when: 'after', kind: 'transient' } : n === 4 ? { when: 'late', kind: 'transient' } : undefined);
    const r = await runJob({ store: state.store, sources: source(5), targets: tgt, log: pino({ level: 'silent' }) }, job, testJobOptions());
    expect({ copied: r.copied, failed: r.failed, duplicatesRemoved: r.duplicatesRemoved }).toEqual({ copied: 5, failed: 0, duplicatesRemoved: 0 });
    expect(tgt.folders.get('INBOX')?.messages.map((m) => m.content.toString()).sort()).toEqual([0, 1, 2, 3, 4].map(msg).sort());
    expect({ puts: tgt.puts, calls: tgt.recoveryCalls, suspects: (await state.store.suspects(1, 'INBOX')).length }).toEqual({ puts: 7, calls: { findWritten: 0, settle: 0 }, suspects: 0 });
  });

  test('a changed source epoch re-verifies an idempotent container by writing over, never by search', async () => {
    const tgt = new MemoryTarget({ writes: 'idempotent' });
    const src = source(3);
    const log = pino({ level: 'silent' });
    await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions());
    const inbox = src.folders.get('INBOX');
    if (!inbox) throw new Error('no inbox');
    inbox.uidValidity++;
    const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions());
    expect({ copied: r.copied, failed: r.failed, objects: tgt.folders.get('INBOX')?.messages.length, calls: tgt.recoveryCalls })
      .toEqual({ copied: 3, failed: 0, objects: 3, calls: { findWritten: 0, settle: 0 } });
  });
});

describe('flags and deletions only where the container can take them, said once', () => {
  async function laterPass(opts: MemoryTargetOptions, sync: JobOptions['sync']) {
    const tgt = new MemoryTarget(opts);
    const src = source(4);
    await runJob({ store: state.store, sources: src, targets: tgt, log: pino({ level: 'silent' }) }, job, testJobOptions());
    const inbox = src.folders.get('INBOX');
    if (!inbox) throw new Error('no inbox');
    for (const m of inbox.messages) m.flags = ['\\Seen', '\\Flagged'];
    inbox.messages = inbox.messages.slice(2);
    inbox.uidNext++; // the source changed: not skipped as unchanged
    const asked = { flagChanges: 0, allIds: 0 };
    const [flagChanges, allIds] = [src.flagChanges.bind(src), src.allIds.bind(src)];
    src.flagChanges = (c, since) => { asked.flagChanges++; return flagChanges(c, since); };
    src.allIds = (c) => { asked.allIds++; return allIds(c); };
    const { log, lines } = recordingLog();
    const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions({ sync }));
    return { r, tgt, lines, asked };
  }

  test('a target without setFlags: flag changes are neither written nor counted nor asked for; the run says why once', async () => {
    const { r, tgt, lines, asked } = await laterPass({ setFlags: false }, { flags: true, deletions: 'ignore' });
    expect({ flagsUpdated: r.flagsUpdated, asked: asked.flagChanges }).toEqual({ flagsUpdated: 0, asked: 0 });
    expect(tgt.folders.get('INBOX')?.messages.map((m) => m.flags)).toEqual([['\\Seen'], ['\\Seen'], ['\\Seen'], ['\\Seen']]);
    expect(lines.filter((l) => l.msg.includes('flag changes in the source are not carried over')).map((l) => l.target)).toEqual(['INBOX']);
  });

  test('a target without removeItems: deletions are not mirrored, the copies stay recorded; the run says why once', async () => {
    const { r, tgt, lines, asked } = await laterPass({ removeItems: false }, { flags: true, deletions: 'mirror' });
    expect({ deleted: r.deleted, flagsUpdated: r.flagsUpdated, objects: tgt.folders.get('INBOX')?.messages.length, listed: asked.allIds })
      .toEqual({ deleted: 0, flagsUpdated: 2, objects: 4, listed: 0 });
    expect(lines.filter((l) => l.msg.includes('deletions in the source are not mirrored')).map((l) => l.target)).toEqual(['INBOX']);
    expect((await state.store.doneItems(1, 'INBOX', '1000')).length).toBe(4);
  });

  test('a target with both: flags written and deletions mirrored, nothing said', async () => {
    const { r, lines, asked } = await laterPass({}, { flags: true, deletions: 'mirror' });
    expect({ deleted: r.deleted, flagsUpdated: r.flagsUpdated, asked }).toEqual({ deleted: 2, flagsUpdated: 2, asked: { flagChanges: 1, allIds: 1 } });
    expect(lines.filter((l) => l.msg.includes('not carried over') || l.msg.includes('not mirrored'))).toEqual([]);
  });
});

describe('the groupware router answers per container', () => {
  test('mail refs get the mail side\'s capabilities, collection refs the groupware side\'s', () => {
    const mail = new MemoryTarget();
    const dav = new MemoryTarget({ writes: 'idempotent', setFlags: false });
    const routed = new SplitMailbox(mail, dav);
    expect({ recovery: routed.capabilities('INBOX.Sent').recovery === mail, flags: routed.capabilities('INBOX.Sent').setFlags !== undefined }).toEqual({ recovery: true, flags: true });
    for (const ref of ['calendar:Kalender', 'tasks:Aufgaben', 'addressbook:Kontakte']) {
      const caps = routed.capabilities(ref);
      expect({ ref, recovery: caps.recovery, setFlags: caps.setFlags, removes: typeof caps.removeItems }).toEqual({ ref, recovery: undefined, setFlags: undefined, removes: 'function' });
    }
  });

  test('a crash in a run into both: the mail side recovers by search, the calendar side writes again; each item once', async () => {
    const mail = new MemoryTarget();
    const dav = new MemoryTarget({ writes: 'idempotent', setFlags: false });
    const src = source(4);
    for (let i = 10; i < 14; i++) src.add(['Kalender'], msg(i), { messageId: `<m${i}@example.org>`, kind: 'event' });
    const targets = new SplitTarget(mail, dav);
    const log = pino({ level: 'silent' });
    await runJob({ store: crashingAfterFirstCommit(state.store), sources: src, targets, log }, job, testJobOptions(once));
    const resumed = await runJob({ store: state.store, sources: src, targets, log }, job, testJobOptions());
    expect({ failed: resumed.failed, once: resumed.copied + resumed.recovered }).toEqual({ failed: 0, once: 8 - 2 });
    expect(mail.folders.get('INBOX')?.messages.map((m) => m.content.toString()).sort()).toEqual([0, 1, 2, 3].map(msg).sort());
    expect([...dav.folders.values()].flatMap((f) => f.messages).map((m) => m.content.toString()).sort()).toEqual([10, 11, 12, 13].map(msg).sort());
    expect(dav.recoveryCalls).toEqual({ findWritten: 0, settle: 0 });
  });
});

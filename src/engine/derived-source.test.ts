/**
 * A source that implements only containers, changes, read and close (SourceMailboxCore): the
 * engine derives the rest by listing (derived-source.ts), and nightly deltas still carry flag
 * changes and mirrored deletions, re-runs still copy nothing, and the token still notices changes.
 */
import pino from 'pino';
import type { Account, SourceConnector, SourceMailboxCore } from '../model/types.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { completeSource } from './derived-source.js';
import { runJob } from './job.js';

const log = pino({ level: 'silent' });
const state = useTempStateStore('derived-source');

/** The four methods only, over a MemorySource; counts the listings the engine asks for. */
class MinimalSource implements SourceConnector {
  readonly name = 'minimal';
  listings = 0;
  constructor(readonly inner: MemorySource) {}
  async openMailbox(a: Account): Promise<SourceMailboxCore> {
    const m = await this.inner.openMailbox(a);
    return {
      containers: () => m.containers(),
      changes: (c, cursor, n) => { this.listings++; return m.changes(c, cursor, n); },
      read: (c, items) => m.read(c, items),
      close: () => m.close(),
    };
  }
  async close(): Promise<void> {}
}

const job = [{ source: { login: 'u' }, target: { login: 'u' } }];
const message = (i: number) => `Message-ID: <d${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`;

test('first run, unchanged re-run, then a flag change and a deletion: carried over from derived answers', async () => {
  const data = new MemorySource();
  for (let i = 0; i < 12; i++) data.add(['INBOX'], message(i), { messageId: `<d${i}@example.org>` });
  const source = new MinimalSource(data);
  const target = new MemoryTarget();
  const opts = testJobOptions({ sync: { flags: true, deletions: 'mirror' } });

  const r1 = await runJob({ store: state.store, sources: source, targets: target, log }, job, opts);
  expect([r1.copied, r1.failed]).toEqual([12, 0]);
  expect(target.folders.get('INBOX')?.messages).toHaveLength(12);

  const r2 = await runJob({ store: state.store, sources: source, targets: target, log }, job, opts);
  expect([r2.copied, r2.failed, r2.flagsUpdated, r2.deleted]).toEqual([0, 0, 0, 0]);

  const inbox = data.folders.get('INBOX');
  if (!inbox) throw new Error('no INBOX');
  inbox.messages[3]!.flags = ['\\Seen', '\\Flagged'];
  inbox.messages.splice(7, 1);
  const r3 = await runJob({ store: state.store, sources: source, targets: target, log }, job, opts);
  expect([r3.copied, r3.failed, r3.flagsUpdated, r3.deleted]).toEqual([0, 0, 1, 1]);
  const written = target.folders.get('INBOX')?.messages ?? [];
  expect(written).toHaveLength(11);
  expect(written.find((m) => m.content.toString().includes('Subject: 3'))?.flags.sort()).toEqual(['\\Flagged', '\\Seen']);
});

test('the derived token changes with any item change and stays with none; lookup and allIds answer from the listing', async () => {
  const data = new MemorySource();
  for (let i = 0; i < 5; i++) data.add(['INBOX'], message(i));
  const m = completeSource(await new MinimalSource(data).openMailbox({ login: 'u' }));
  const [inbox] = await m.containers();
  if (!inbox) throw new Error('no INBOX');
  const before = await m.stats(inbox, { withBytes: true });
  expect(before.count).toBe(5);
  expect(before.bytes).toBeGreaterThan(0);
  expect((await m.stats(inbox)).token).toBe(before.token);
  data.folders.get('INBOX')!.messages[0]!.flags = ['\\Seen'];
  const flagged = await m.stats(inbox);
  expect(flagged.token).not.toBe(before.token);
  expect((await m.flagChanges(inbox, null)).complete).toBe(true);
  expect((await m.allIds(inbox)).ids).toEqual(['1', '2', '3', '4', '5']);
  expect((await m.lookup(inbox, ['2', '9'])).items.map((i) => i.id)).toEqual(['2']);
  expect((await m.verify()).ok).toBe(true);
});

test("a source's own answers are used as they are (nothing derived for a whole source)", async () => {
  const whole = new MemorySource();
  expect(completeSource(whole)).toBe(whole);
});

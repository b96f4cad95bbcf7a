/**
 * A read from the source that breaks off (copy-items.ts): the items it gave are written, the rest
 * is read again; tries count only reads that gave nothing. A read that keeps breaking at one item
 * ends with that item alone failed, with a reason that says so (Dovecot drops the connection at a
 * Maildir file whose size is wrong), and the items after it are copied; a source that gives
 * nothing at all fails what is left, after a bounded number of reads.
 */
import pino from 'pino';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { ItemError, TransientError } from '../util/errors.js';
import { runJob } from './job.js';
import { MAX_ADJACENT } from './read-rounds.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const tmp = useTempStateStore('ums-read-faults');
const ATTEMPTS = 3;
const options = testJobOptions({ batchSize: 6, retry: { attempts: ATTEMPTS, baseDelayMs: 1, maxDelayMs: 2 } });

const msg = (i: number) => `Message-ID: <m${i}@example.org>\r\nSubject: message ${i}\r\n\r\nbody ${i}\r\n`;
function source(n: number): MemorySource {
  const src = new MemorySource();
  for (let i = 1; i <= n; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
  return src;
}
const subjects = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages).map((m) => /Subject: (.*)\r/.exec(m.content.toString())?.[1]).sort();
const problems = async () => (await tmp.store.problems()).map((p) => ({ item: p.itemId, reason: p.reason }));

test('a read that breaks at one item every time: that item alone fails, with the reason; the items after it are copied', async () => {
  const src = source(6);
  let reads = 0;
  src.beforeRead = (id) => { reads++; if (id === '3') throw new TransientError('Connection not available'); };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 5, failed: 1 });
  expect(subjects(tgt)).toEqual(['message 1', 'message 2', 'message 4', 'message 5', 'message 6']);
  expect(await problems()).toEqual([{
    item: '3',
    reason: `the source broke off every read of this item, also when read on its own (${ATTEMPTS} tries); the others were read on. `
      + 'The source server\'s log should say why. Last error: Connection not available',
  }]);
  // 1, 2, then item 3 three times with the rest, three times alone, then 4, 5, 6
  expect(reads).toBe(2 + ATTEMPTS + ATTEMPTS + 3);
});

test('two such items in one page: each fails alone, everything else is copied', async () => {
  const src = source(6);
  src.beforeRead = (id) => { if (id === '2' || id === '5') throw new TransientError('connection reset'); };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 4, failed: 2 });
  expect((await problems()).map((p) => p.item).sort()).toEqual(['2', '5']);
});

test('adjacent items the source cannot send: each fails alone, the items after them are copied', async () => {
  const src = source(6);
  src.beforeRead = (id) => { if (id === '3' || id === '4') throw new TransientError('connection reset'); };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 4, failed: 2 });
  expect(subjects(tgt)).toEqual(['message 1', 'message 2', 'message 5', 'message 6']);
  expect((await problems()).map((p) => [p.item, p.reason.slice(0, 48)])).toEqual([['3', 'the source broke off every read of this item, al'], ['4', 'the source broke off every read of this item, al']]);
});

test('an item read on its own that comes before the read breaks off is written once, not failed', async () => {
  const src = source(3);
  const read = src.read.bind(src);
  // Item 2 breaks a read of several items before it is sent; alone, it is sent and then the connection drops.
  src.read = async function* (c, asked) {
    for (const m of asked) {
      if (m.id === '2' && asked.length > 1) throw new TransientError('connection reset');
      yield* read(c, [m]);
      if (m.id === '2') throw new TransientError('connection reset after the message');
    }
  };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 3, failed: 0 });
  expect(subjects(tgt)).toEqual(['message 1', 'message 2', 'message 3']);
});

test('a source that answers a read whole or not at all (EWS): the item at fault is found by halves, not by one read per item before it', async () => {
  const src = source(64);
  const read = src.read.bind(src);
  let broken = 0;
  src.read = async function* (c, asked) {
    if (asked.some((m) => m.id === '50')) { broken++; throw new TransientError('the server failed the whole request'); }
    yield* read(c, asked);
  };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions({ batchSize: 64, retry: { attempts: ATTEMPTS, baseDelayMs: 1, maxDelayMs: 2 } }));
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 63, failed: 1 });
  expect((await problems()).map((p) => [p.item, p.reason.slice(0, 44)])).toEqual([['50', 'the source broke off every read of this item']]);
  // one item alone first (it comes: a whole-or-nothing source), then halves: about 2·log2(64) rounds,
  // where reading one item after another would take 50
  expect(broken).toBeLessThanOrEqual(ATTEMPTS * 2 * Math.log2(64));
});

test('a source that drops the connection after every item still gets everything copied: only reads that give nothing count as tries', async () => {
  const src = source(6);
  let given = 0;
  let dropNext = false;
  src.beforeRead = () => {
    if (dropNext) { dropNext = false; throw new TransientError('connection reset'); }
    dropNext = true;
    given++;
  };
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 6, failed: 0 });
  expect(given).toBe(6); // five drops, more than the three tries, and nothing failed
  expect(subjects(tgt)).toHaveLength(6);
});

test('a source that gives nothing at all: every item fails with the error, after a bounded number of reads', async () => {
  const src = source(6);
  let reads = 0;
  src.beforeRead = () => { reads++; throw new TransientError('Connection not available'); };
  const r = await runJob({ store: tmp.store, sources: src, targets: new MemoryTarget(), log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 0, failed: 6 });
  // the page, then MAX_ADJACENT times an item alone and the rest after it: nothing ever comes, so it is the source
  expect(reads).toBe((1 + 2 * MAX_ADJACENT) * ATTEMPTS);
  // and the first item, read on its own, is not blamed: nothing came after it either
  expect(new Set((await problems()).map((p) => p.reason))).toEqual(new Set(['Connection not available']));
});

test('an error that is not transient fails what is left at once, without reading again', async () => {
  const src = source(4);
  let reads = 0;
  src.beforeRead = (id) => { reads++; if (id === '2') throw new ItemError('the folder was deleted'); };
  const r = await runJob({ store: tmp.store, sources: src, targets: new MemoryTarget(), log }, job, options);
  expect({ copied: r.copied, failed: r.failed }).toEqual({ copied: 1, failed: 3 });
  expect(reads).toBe(2);
});

/**
 * The content-transform hook with `mail.decodeTnef` (memory connectors): off by default (bytes
 * as they are), converted when asked and recorded with the item, a second run copies nothing,
 * reconcile finds every message, and a crash after the write is recovered by the hash of the
 * converted bytes — nothing written twice.
 */
import pino from 'pino';
import { simpleParser } from 'mailparser';
import { outlookMessage, htmlInRtf, lzfu, TAGS, writeTnef } from '../../mappings/tnef/test-support.js';
import { tnefTransform } from '../../mappings/tnef/transform.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { compareFolder, type SourceSideItem } from '../reconcile/compare.js';
import type { StateStore } from '../state/store.js';
import { runJob, type JobOptions } from './job.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const state = useTempStateStore('ums-transform');

const tnef = writeTnef({
  props: [{ tag: TAGS.RTF_COMPRESSED, value: lzfu(htmlInRtf('<html><body><p>Grüße aus Outlook</p></body></html>')) }],
  attachments: [
    { title: 'GRSSE~1.PDF', data: Buffer.from('%PDF grüße'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'Grüße.pdf' }] },
    { title: 'OTCHET.DOC', data: Buffer.from('docx bytes'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'отчёт.docx' }] },
  ],
});
const rich = outlookMessage(tnef);
const damaged = outlookMessage(tnef.subarray(0, tnef.length - 30), { headers: 'Subject: damaged\r\nMessage-ID: <damaged@example.de>\r\n' });
const plain = Buffer.from('Subject: plain\r\nMessage-ID: <plain@example.de>\r\n\r\nno TNEF here\r\n');

function seed(): MemorySource {
  const src = new MemorySource();
  src.add(['INBOX'], rich, { messageId: '<tnef-1@example.de>', date: new Date('2021-03-02T09:00:00Z'), flags: ['\\Seen'] });
  src.add(['INBOX'], damaged, { messageId: '<damaged@example.de>', date: new Date('2021-03-03T09:00:00Z') });
  src.add(['INBOX'], plain, { messageId: '<plain@example.de>', date: new Date('2021-03-04T09:00:00Z') });
  return src;
}

const contents = (t: MemoryTarget) => (t.folders.get('INBOX')?.messages ?? []).map((m) => m.content);
// one writer per folder: messages land in source order
const replaceTnef = await tnefTransform('replace');
const withTnef = (over: Partial<JobOptions> = {}) => testJobOptions({ transform: replaceTnef, writersPerTask: 1, ...over });

async function reconcile(src: MemorySource, tgt: MemoryTarget) {
  const c = (await src.containers())[0]!;
  const page = await src.changes(c, null, 100);
  const sourceItems: SourceSideItem[] = page.items.map((i) => ({ ...i, container: c.id }));
  return compareFolder('INBOX', sourceItems, await tgt.inventory('INBOX'));
}

describe('mail.decodeTnef through the engine', () => {
  test('off (the default): every message arrives byte-identical, TNEF included', async () => {
    const src = seed();
    const tgt = new MemoryTarget();
    const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions({ writersPerTask: 1 }));
    expect([r.copied, r.failed]).toEqual([3, 0]);
    expect(contents(tgt)).toEqual([rich, damaged, plain]);
    expect(await state.store.problems()).toEqual([]);
  });

  test('on: TNEF converted and recorded, a damaged one copied unchanged with the reason, a second run copies nothing, reconcile clean', async () => {
    const src = seed();
    const tgt = new MemoryTarget();
    const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, withTnef());
    expect([r.copied, r.failed]).toEqual([3, 0]);
    const [converted, second, third] = contents(tgt);
    expect([second, third]).toEqual([damaged, plain]);
    const p = await simpleParser(converted!);
    expect([p.messageId, p.html, p.attachments.map((a) => a.filename)]).toEqual(['<tnef-1@example.de>', '<html><body><p>Grüße aus Outlook</p></body></html>', ['Grüße.pdf', 'отчёт.docx']]);
    expect(tgt.folders.get('INBOX')?.messages[0]).toMatchObject({ flags: ['\\Seen'], internalDate: new Date('2021-03-02T09:00:00Z') });
    expect((await state.store.problems()).map((x) => [x.itemId, x.status, x.reason])).toEqual([
      ['1', 'done', 'copied with warnings: converted from TNEF (winmail.dat): HTML body (from RTF) with the plain text part as its text alternative, 2 attachments'],
      ['2', 'done', expect.stringMatching(/^copied with warnings: TNEF part "winmail\.dat" not converted, the message is copied unchanged: truncated TNEF stream/)],
    ]);

    const again = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, withTnef());
    expect([again.copied, again.unchangedContainers]).toEqual([0, 1]);
    expect(contents(tgt)).toHaveLength(3);
    const cmp = await reconcile(src, tgt);
    expect([cmp.matched, cmp.diffs]).toEqual([3, []]);
  });

  test('a write that landed before the connection dropped is found by the converted bytes\' hash, not written twice', async () => {
    const src = seed();
    const tgt = new MemoryTarget();
    tgt.fault = (n) => (n === 1 ? { when: 'after', kind: 'transient' } : undefined);
    const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, withTnef());
    expect([r.copied, r.failed, r.duplicatesRemoved]).toEqual([3, 0, 0]);
    expect(contents(tgt)).toHaveLength(3);
  });

  test('a crash between writing and checkpointing: recovery hashes the converted bytes, finds them, writes nothing twice', async () => {
    const src = seed();
    const tgt = new MemoryTarget();
    const crashing: StateStore = Object.create(state.store);
    crashing.commitBatch = async () => { throw new Error('killed'); };
    const r1 = await runJob({ store: crashing, sources: src, targets: tgt, log }, job, withTnef({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    expect(r1.failedContainers).toBe(1);
    expect(contents(tgt)).toHaveLength(3);
    const r2 = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, withTnef());
    expect([r2.recovered, r2.copied, r2.failed, r2.duplicatesRemoved]).toEqual([3, 0, 0, 0]);
    expect(contents(tgt)).toHaveLength(3);
    expect((await reconcile(src, tgt)).diffs).toEqual([]);
  });
});

/** The order folder tasks start in: the heaviest folder first (inventory.ts heaviestFirst), the report in plan order. */
import pino from 'pino';
import type { FolderPlan } from '../../mappings/folders.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { ContainerStats } from '../model/types.js';
import type { EngineEvent } from './events.js';
import { heaviestFirst, itemsByTarget } from './inventory.js';
import { runJob } from './job.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const job2 = [{ source: { login: 'bob' }, target: { login: 'bob' } }];
const temp = useTempStateStore('ums-task-order');

const folder = (sourceId: string): FolderPlan => ({ sourceId, target: `INBOX.${sourceId}`, included: true }) as FolderPlan;
const probe = (count: number, bytes?: number): ContainerStats => ({ count, ...(bytes !== undefined ? { bytes } : {}), epoch: '1', token: `t${count}` });

describe('heaviestFirst', () => {
  test('orders by bytes where the probe brought them, else by items at a typical size; ties and unprobed folders keep plan order', () => {
    const folders = ['a', 'b', 'c', 'd', 'e', 'f'].map(folder);
    const probes = new Map<string, ContainerStats>([
      ['a', probe(3, 1_000)], // few bytes
      ['b', probe(2)], // 2 items of unknown size: 128 KiB
      ['c', probe(1, 10_000_000)], // one huge item
      ['d', probe(2)], // same weight as b: after it
      // e: its probe failed
      ['f', probe(0, 0)],
    ]);
    expect(heaviestFirst(folders, probes).map((w) => [w.folder.sourceId, w.weight])).toEqual([
      ['c', 10_000_000], ['b', 131_072], ['d', 131_072], ['a', 1_000], ['e', 0], ['f', 0],
    ]);
  });
});

describe('itemsByTarget', () => {
  test('sums the source folders mapped to one target folder; an unprobed folder counts none', () => {
    const folders = [folder('a'), { ...folder('b'), target: 'INBOX.a' }, folder('c'), folder('d')];
    const probes = new Map<string, ContainerStats>([['a', probe(3)], ['b', probe(4)], ['c', probe(5)]]);
    expect(itemsByTarget(folders, probes)).toEqual(new Map([['INBOX.a', 7], ['INBOX.c', 5], ['INBOX.d', 0]]));
  });
});

/** Records what each `ensure` was told of the pass to come. */
class HintedTarget extends MemoryTarget {
  readonly hints: [string, number | undefined][] = [];
  override async ensure(ref: string, hint: { incoming?: number } = {}) {
    this.hints.push([ref, hint.incoming]);
    return super.ensure(ref);
  }
}

describe('engine: folder tasks', () => {
  test('a first pass tells the target how many items may come into each folder (all its source folders); later passes do not', async () => {
    const src = new MemorySource();
    for (let i = 0; i < 3; i++) src.add(['Sent'], `Subject: s${i}\r\n\r\nx\r\n`);
    for (let i = 0; i < 2; i++) src.add(['Sent Items'], `Subject: t${i}\r\n\r\nx\r\n`);
    src.add(['Drafts'], 'Subject: d\r\n\r\nx\r\n');
    const first = new HintedTarget();
    expect((await runJob({ store: temp.store, sources: src, targets: first, log }, job, testJobOptions({ batchSize: 2 }))).failedContainers).toBe(0);
    // the first ensure of each task carries the hint; the ones before each page do not
    expect(first.hints.filter(([, n]) => n !== undefined).sort()).toEqual([['INBOX.Drafts', 1], ['INBOX.Sent', 5], ['INBOX.Sent', 5]]);
    src.add(['Sent'], 'Subject: s3\r\n\r\nx\r\n');
    const second = new HintedTarget();
    second.folders = first.folders;
    expect((await runJob({ store: temp.store, sources: src, targets: second, log }, job, testJobOptions({ batchSize: 2 }))).failedContainers).toBe(0);
    expect(second.hints.filter(([, n]) => n !== undefined)).toEqual([]);
    expect(second.folders.get('INBOX.Sent')?.messages.length).toBe(6);
  });


  test('the hint counts only the source folders on their first pass: one already migrated into the same folder brings only its changes', async () => {
    const src = new MemorySource();
    for (let i = 0; i < 4; i++) src.add(['Sent'], `Subject: s${i}\r\n\r\nx\r\n`);
    const tgt = new HintedTarget();
    await runJob({ store: temp.store, sources: src, targets: tgt, log }, job2, testJobOptions());
    for (let i = 0; i < 2; i++) src.add(['Sent Items'], `Subject: t${i}\r\n\r\nx\r\n`);
    const later = new HintedTarget();
    later.folders = tgt.folders;
    expect((await runJob({ store: temp.store, sources: src, targets: later, log }, job2, testJobOptions())).failedContainers).toBe(0);
    expect(later.hints.filter(([, n]) => n !== undefined)).toEqual([['INBOX.Sent', 2]]);
    expect(later.folders.get('INBOX.Sent')?.messages.length).toBe(6);
  });

  test('the largest folder starts first, whatever its place in the plan; the report keeps the plan order', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    const sizes: [string, number][] = [['Archive', 1], ['Drafts', 2], ['INBOX', 6], ['Projects', 3]];
    for (const [name, n] of sizes) for (let i = 0; i < n; i++) src.add([name], `Subject: ${name} ${i}\r\n\r\n${'x'.repeat(100)}\r\n`);
    const events: EngineEvent[] = [];
    const r = await runJob({ store: temp.store, sources: src, targets: tgt, log, onEvent: (e) => { events.push(e); } }, job, testJobOptions({ tasks: 1 }));
    expect(r.copied).toBe(12);
    const started = events.flatMap((e) => (e.type === 'container-start' ? [e.container] : []));
    expect(started).toEqual(['INBOX', 'Projects', 'Drafts', 'Archive']);
    expect(r.mailboxes[0]?.containers.map((c) => c.source)).toEqual(['Archive', 'Drafts', 'INBOX', 'Projects']);
  });

  test('the folder slots are shared fairly between mailboxes: one mailbox\'s last folders wait for the others\' first', async () => {
    const src = new MemorySource();
    const sizes: [string, number][] = [['INBOX', 5], ['Sent', 4], ['Archive', 3], ['Drafts', 2]];
    for (const [name, n] of sizes) for (let i = 0; i < n; i++) src.add([name], `Subject: ${name} ${i}\r\n\r\n${'x'.repeat(100)}\r\n`);
    const events: EngineEvent[] = [];
    const r = await runJob({ store: temp.store, sources: src, targets: new MemoryTarget(), log, onEvent: (e) => { events.push(e); } },
      [...job, ...job2], testJobOptions({ tasks: 2, mailboxes: 2 }));
    expect(r.copied).toBe(28);
    const started = events.flatMap((e) => (e.type === 'container-start' ? [`${e.mailbox} ${e.container}`] : []));
    expect(started).toHaveLength(8);
    // Whichever mailbox took both free slots first, the next slot went to the other's heaviest
    // folder, not to its own third (first come, first served ran one mailbox's folders all first).
    const [first, second, third] = started.map((s) => s.split(' ')[0]);
    expect(first).toBe(second);
    expect(third).not.toBe(first);
    for (const m of ['alice', 'bob']) expect(started.filter((s) => s.startsWith(`${m} `)).map((s) => s.split(' ')[1])).toEqual(['INBOX', 'Sent', 'Archive', 'Drafts']);
  });
});

/**
 * How a run sets out: folder tasks start heaviest first (inventory.ts heaviestFirst), the report in
 * plan order; mailboxes opened for the inventory before the run are handed to their passes.
 */
import pino from 'pino';
import type { FolderPlan } from '../../mappings/folders.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { ContainerStats } from '../model/types.js';
import type { EngineEvent } from './events.js';
import { heaviestFirst } from './inventory.js';
import { runJob } from './job.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
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

describe('engine: folder tasks', () => {
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
});

describe('engine: mailboxes opened for the inventory before the run', () => {
  const three = [1, 2, 3].map((i) => ({ source: { login: `user${i}` }, target: { login: `user${i}` } }));
  const counted = () => {
    const src = new MemorySource();
    src.add(['INBOX'], 'Subject: one\r\n\r\nbody\r\n');
    src.add(['Sent'], 'Subject: two\r\n\r\nbody\r\n');
    const calls = { open: 0, close: 0, stats: 0 };
    const open = src.openMailbox.bind(src);
    const stats = src.stats.bind(src);
    src.openMailbox = async (a) => { calls.open++; return open(a); };
    src.close = async () => { calls.close++; };
    src.stats = async (c) => { calls.stats++; return stats(c); };
    return { src, calls };
  };

  test('the first mailboxes keep their connections and probes for their pass; the others are opened again when their turn comes', async () => {
    const { src, calls } = counted();
    const r = await runJob({ store: temp.store, sources: src, targets: new MemoryTarget(), log, onEvent: () => undefined }, three, testJobOptions({ mailboxes: 2 }));
    expect(r.failedMailboxes).toBe(0);
    // user1 and user2: opened and probed once; user3: for the inventory, and again for its pass
    expect(calls).toEqual({ open: 4, close: 4, stats: 2 * 2 + 2 * 2 });
  });

  test('a run stopped after the inventory closes the mailboxes it kept open', async () => {
    const { src, calls } = counted();
    const stop = new AbortController();
    const r = await runJob({
      store: temp.store, sources: src, targets: new MemoryTarget(), log, signal: stop.signal,
      onEvent: (e) => { if (e.type === 'inventory') stop.abort(); },
    }, three, testJobOptions({ mailboxes: 2 }));
    expect(r.mailboxes.every((m) => m.interrupted)).toBe(true);
    expect(calls.open).toBe(3);
    expect(calls.close).toBe(3);
  });
});


/** The order folder tasks start in: the heaviest folder first (inventory.ts heaviestFirst), the report in plan order. */
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

/**
 * Conformance tests of the progress reads (ProgressReader in store.ts): mailbox summaries,
 * container rows and problems in bytewise order of names, throughput buckets. Registered by
 * `describeStateStore` (conformance.ts), so every store runs them.
 */
import { beforeEach, expect, test } from '@jest/globals';
import { cp, done, expectCountersMatchRows, inbox, ISO } from './conformance-fixtures.js';
import type { StateStore } from './store.js';

export function describeProgress(getStore: () => StateStore): void {
  let store: StateStore;
  beforeEach(() => {
    store = getStore();
  });

  test('mailboxes(), containers() and problems(): summaries in bytewise order of names', async () => {
    const b = await store.mailboxId({ source: 'b@x', target: 'b@y' });
    const a = await store.mailboxId({ source: 'a@x', target: 'a@y' });
    const z = await store.mailboxId({ source: 'Z@x', target: 'z@y' });
    await store.openContainer(a, 'INBOX', 'INBOX', 'INBOX');
    await store.openContainer(a, 'Sent', 'Sent', 'INBOX.Sent');
    await store.openContainer(b, 'INBOX', 'INBOX', 'INBOX');
    await store.openContainer(b, 'archive', 'archive', 'INBOX.archive');
    await store.setContainerTotals(a, 'INBOX', { items: 10, bytes: 1000 });
    await store.setContainerTotals(a, 'Sent', { items: 5, bytes: 500 });
    await store.setContainerTotals(b, 'INBOX', { items: 2, bytes: 20 });
    await store.commitBatch(a, 'Sent', [{ itemId: '7', status: 'skipped', size: 5, reason: 'too large' }], cp);
    await store.commitBatch(a, 'INBOX', [
      done('1', 100), { itemId: '2', status: 'failed', size: 0, reason: 'NO quota' }, { itemId: '3', status: 'failed', size: 3 },
    ], inbox);
    await store.commitBatch(b, 'INBOX', [done('1', 10)], inbox);
    await store.setContainerStatus(a, 'INBOX', 'done');
    await store.setContainerStatus(a, 'Sent', 'failed', 'folder gone');
    await store.setContainerStatus(b, 'INBOX', 'running');

    const summaries = await store.mailboxes();
    expect(summaries.map((m) => m.source)).toEqual(['Z@x', 'a@x', 'b@x']);
    expect(summaries[1]).toEqual({
      id: a, source: 'a@x', target: 'a@y', containers: 2, containersDone: 1, containersFailed: 1,
      totalItems: 15, totalBytes: 1500, doneItems: 1, doneBytes: 100, failedItems: 2, skippedItems: 1, updatedAt: expect.stringMatching(ISO),
    });
    expect(summaries[2]).toMatchObject({ id: b, containers: 2, containersDone: 0, containersFailed: 0, totalItems: 2, doneItems: 1, doneBytes: 10 });
    expect(summaries[0]).toEqual({
      id: z, source: 'Z@x', target: 'z@y', containers: 0, containersDone: 0, containersFailed: 0,
      totalItems: 0, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, updatedAt: null,
    });

    expect((await store.containers()).map((c) => [c.mailboxId, c.path])).toEqual([[b, 'INBOX'], [b, 'archive'], [a, 'INBOX'], [a, 'Sent']]);
    expect((await store.containers(a)).map((c) => c.path)).toEqual(['INBOX', 'Sent']);

    const problems = await store.problems();
    expect(problems.map((p) => [p.mailbox, p.path, p.itemId, p.status, p.reason])).toEqual([
      ['a@x', 'INBOX', '2', 'failed', 'NO quota'],
      ['a@x', 'INBOX', '3', 'failed', ''],
      ['a@x', 'Sent', '7', 'skipped', 'too large'],
    ]);
    expect(problems[2]).toEqual({
      mailbox: 'a@x', containerId: 'Sent', path: 'Sent', itemId: '7', size: 5, status: 'skipped', reason: 'too large', updatedAt: expect.stringMatching(ISO),
    });
    expect(await store.problems(b)).toEqual([]);
    expect((await store.problems(a)).length).toBe(3);
    for (const [mb, c, epoch] of [[a, 'INBOX', '11'], [a, 'Sent', '11'], [b, 'INBOX', '11']] as const) {
      await expectCountersMatchRows(store, mb, c, epoch);
    }
  });

  test('throughput: done items per time bucket and mailbox', async () => {
    expect(await store.throughput(60)).toEqual([]);
    const a = await store.mailboxId({ source: 'a', target: 'a' });
    const b = await store.mailboxId({ source: 'b', target: 'b' });
    await store.openContainer(a, 'INBOX', 'INBOX', 'INBOX');
    await store.openContainer(b, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(b, 'INBOX', [done('1', 5), done('2', 6), { itemId: '3', status: 'failed', size: 100 }], inbox);
    await store.commitBatch(a, 'INBOX', [done('1', 7), { itemId: '2', status: 'skipped', size: 100 }], inbox);
    const byMailbox = (rows: { mailbox: string; items: number; bytes: number }[]) => {
      const out: Record<string, [number, number]> = {};
      for (const r of rows) {
        const [items, bytes] = out[r.mailbox] ?? [0, 0];
        out[r.mailbox] = [items + r.items, bytes + r.bytes];
      }
      return out;
    };
    const hourly = await store.throughput(3600);
    expect(byMailbox(hourly)).toEqual({ a: [1, 7], b: [2, 11] });
    for (const r of hourly) expect(r.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    const sorted = [...hourly].sort((x, y) => x.at.localeCompare(y.at) || (x.mailbox < y.mailbox ? -1 : x.mailbox > y.mailbox ? 1 : 0));
    expect(hourly).toEqual(sorted);
    const perSecond = await store.throughput(0.2); // less than a second counts as one second
    expect(byMailbox(perSecond)).toEqual({ a: [1, 7], b: [2, 11] });
    for (const r of perSecond) expect(r.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    const now = Date.now();
    for (const r of perSecond) expect(Math.abs(Date.parse(r.at) - now)).toBeLessThan(5 * 60_000);
  });
}

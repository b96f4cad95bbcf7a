/**
 * Conformance tests of the engine's side of the store (CheckpointStore in store.ts): checkpoints
 * committed with their item rows, pending rows, suspects, claims, the flag and deletion delta,
 * the counters under concurrent writers. Registered by `describeStateStore` (conformance.ts), so
 * every store runs them; `getStore()` is the suite's fresh, migrated store and `worker()` another
 * store on the same database.
 */
import { beforeEach, expect, test } from '@jest/globals';
import { cp, done, expectCountersMatchRows, inbox, ISO, pendingRow, suspect } from './conformance-fixtures.js';
import type { ItemResult, StateStore } from './store.js';

export function describeCheckpoints(getStore: () => StateStore, worker: () => Promise<StateStore>): void {
  let store: StateStore;
  beforeEach(() => {
    store = getStore();
  });

  test('a checkpoint and its item rows commit together; pending rows survive until settled', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    expect(await store.openContainer(mb, 'Sent Items', 'Sent Items', 'INBOX.Sent')).toBeNull();
    await store.recordPending(mb, 'Sent Items', [1, 2, 3].map((i) => ({
      itemId: String(i), epoch: '11', size: 100 * i, internalDate: null, messageId: `<${i}@x>`, targetRef: 'INBOX.Sent', watermark: '7:1',
    })));
    expect((await store.pending(mb, 'Sent Items')).map((p) => p.itemId)).toEqual(['1', '2', '3']);
    await store.commitBatch(mb, 'Sent Items', [
      { itemId: '1', status: 'done', size: 100, targetRef: 'INBOX.Sent', targetEpoch: '7', targetId: '1', hash: 'h1' },
      { itemId: '2', status: 'failed', size: 200, reason: 'NO [TOOBIG]' },
      { itemId: '3', status: 'skipped', size: 300, reason: 'too large' },
    ], cp);
    expect(await store.pending(mb, 'Sent Items')).toEqual([]);
    expect(await store.openContainer(mb, 'Sent Items', 'Sent Items', 'INBOX.Sent')).toEqual({ ...cp, flagSeq: null });
    const fin = await store.finished(mb, 'Sent Items', '11', ['1', '2', '3', '4']);
    expect([...fin.entries()]).toEqual([['1', 'done'], ['2', 'failed'], ['3', 'skipped']]);
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '7')).toEqual(new Set(['1']));
    const [row] = await store.containers(mb);
    expect(row).toMatchObject({ doneItems: 1, doneBytes: 100, failedItems: 1, skippedItems: 1 });
    // A failed item retried successfully moves between counters, not into both.
    await store.commitBatch(mb, 'Sent Items', [{ itemId: '2', status: 'done', size: 200, targetRef: 'INBOX.Sent', targetEpoch: '7', targetId: '2' }], cp);
    const [after] = await store.containers(mb);
    expect(after).toMatchObject({ doneItems: 2, doneBytes: 300, failedItems: 0, skippedItems: 1 });
    expect((await store.problems()).map((p) => [p.itemId, p.status, p.reason])).toEqual([['3', 'skipped', 'too large']]);
    const [summary] = await store.mailboxes();
    expect(summary).toMatchObject({ source: 'a', doneItems: 2, skippedItems: 1, containers: 1 });
    const tp = await store.throughput(60);
    expect(tp.reduce((n, r) => n + r.items, 0)).toBe(2);
    expect(tp.reduce((n, r) => n + r.bytes, 0)).toBe(300);
    expect(tp[0]?.mailbox).toBe('a');
    expect(tp[0]?.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
  });

  test('a failed commit changes nothing: no rows, no checkpoint, no counters', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [done('1', 10)], inbox);
    await store.recordPending(mb, 'INBOX', [pendingRow('2'), pendingRow('3')]);
    // The second result breaks a NOT NULL constraint after the first was written in the same transaction.
    // (Not `rejects.toThrow()`: better-sqlite3's error class may come from another jest realm.)
    const failure = await store.commitBatch(mb, 'INBOX', [
      done('2', 20), { itemId: '3', status: 'failed', size: null as unknown as number, reason: 'x' },
    ], { ...inbox, cursor: '9' }).then(() => undefined, (err: unknown) => err);
    expect(String((failure as { message?: unknown } | undefined)?.message)).toMatch(/null/i);
    expect(await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX')).toMatchObject({ cursor: '3' });
    expect((await store.pending(mb, 'INBOX')).map((p) => p.itemId)).toEqual(['2', '3']);
    expect([...(await store.finished(mb, 'INBOX', '11', ['1', '2', '3'])).entries()]).toEqual([['1', 'done']]);
    expect((await store.containers(mb))[0]).toMatchObject({ doneItems: 1, doneBytes: 10, failedItems: 0, skippedItems: 0 });
    // The store is still usable after the rollback.
    await store.commitBatch(mb, 'INBOX', [done('2', 20)], { ...inbox, cursor: '9' });
    expect((await store.containers(mb))[0]).toMatchObject({ doneItems: 2, doneBytes: 30, cursor: '9' });
  });

  test('an empty batch still moves the checkpoint', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [], { ...inbox, cursor: '50', token: 'tok' });
    expect(await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX')).toEqual({ ...inbox, cursor: '50', token: 'tok', flagSeq: null });
  });

  test('pending rows: insertion order, re-recording, settling, dropping, failed items retried', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.recordPending(mb, 'INBOX', [pendingRow('3', { size: 30 }), pendingRow('1'), pendingRow('2', { internalDate: null, messageId: null })]);
    const rows = await store.pending(mb, 'INBOX');
    expect(rows.map((p) => p.itemId)).toEqual(['3', '1', '2']);
    expect(rows[0]).toEqual(pendingRow('3', { size: 30 }));
    expect(rows[2]).toEqual(pendingRow('2', { internalDate: null, messageId: null }));
    expect(await store.pending(mb, 'Sent')).toEqual([]);
    // Recording again moves the watermark and the target; the rest (and the order) stays.
    await store.recordPending(mb, 'INBOX', [pendingRow('3', { size: 999, messageId: '<other@x>', watermark: '8:5', targetRef: 'INBOX.Other' })]);
    const again = await store.pending(mb, 'INBOX');
    expect(again.map((p) => p.itemId)).toEqual(['3', '1', '2']);
    expect(again[0]).toEqual(pendingRow('3', { size: 30, watermark: '8:5', targetRef: 'INBOX.Other' }));
    // Settled rows leave the pending list. dropPending (not found written) turns pending rows, and
    // only those, into failed ones: the next pass retries them.
    await store.commitBatch(mb, 'INBOX', [done('1', 10)], inbox);
    await store.dropPending(mb, 'INBOX', ['2', '1', '2']);
    expect((await store.pending(mb, 'INBOX')).map((p) => p.itemId)).toEqual(['3']);
    expect([...(await store.finished(mb, 'INBOX', '11', ['1', '2', '3'])).entries()]).toEqual([['1', 'done'], ['2', 'failed']]);
    expect((await store.itemRows(mb, 'INBOX', '11', ['2'])).get('2')).toEqual({
      status: 'failed', reason: 'interrupted while being written; retried by the next run', targetId: null,
    });
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual(['2']);
    expect((await store.containers(mb))[0]).toMatchObject({ doneItems: 1, failedItems: 1 });
    // A failed item is pending again while it is retried (and then neither listed nor counted as failed).
    await store.commitBatch(mb, 'INBOX', [{ itemId: '3', status: 'failed', size: 30, reason: 'NO' }], inbox);
    expect(await store.pending(mb, 'INBOX')).toEqual([]);
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual(['3', '2']);
    await store.recordPending(mb, 'INBOX', [pendingRow('3', { watermark: '9:1' }), pendingRow('3', { watermark: '9:2' })]);
    expect((await store.pending(mb, 'INBOX')).map((p) => [p.itemId, p.watermark])).toEqual([['3', '9:2']]);
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual(['2']);
    expect((await store.containers(mb))[0]).toMatchObject({ doneItems: 1, failedItems: 1 });
    await expectCountersMatchRows(store, mb, 'INBOX', '11');
    // dropPending does not look at the epoch: rows of an older epoch are settled too.
    await store.recordPending(mb, 'INBOX', [pendingRow('9', { epoch: '10' })]);
    expect((await store.pending(mb, 'INBOX')).map((p) => [p.itemId, p.epoch])).toEqual([['3', '11'], ['9', '10']]);
    await store.dropPending(mb, 'INBOX', ['9']);
    expect((await store.pending(mb, 'INBOX')).map((p) => p.itemId)).toEqual(['3']);
    expect(await store.failedItems(mb, 'INBOX', '10')).toEqual(['9']);
    await store.recordPending(mb, 'INBOX', []);
    await store.dropPending(mb, 'INBOX', []);
  });

  test('a done item is never turned back into pending', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [{ itemId: '5', status: 'done', size: 1, targetId: '9', targetRef: 'INBOX', targetEpoch: '1' }], { ...cp, targetRef: 'INBOX' });
    await store.recordPending(mb, 'INBOX', [{ itemId: '5', epoch: '11', size: 1, internalDate: null, messageId: null, targetRef: 'INBOX', watermark: '1:1' }]);
    expect(await store.pending(mb, 'INBOX')).toEqual([]);
  });

  test('a skipped item is never turned back into pending either', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [{ itemId: '6', status: 'skipped', size: 1, reason: 'too large' }], inbox);
    await store.recordPending(mb, 'INBOX', [pendingRow('6')]);
    expect(await store.pending(mb, 'INBOX')).toEqual([]);
    expect([...(await store.finished(mb, 'INBOX', '11', ['6'])).entries()]).toEqual([['6', 'skipped']]);
  });

  test('counters follow each item between done, failed and skipped', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    const counters = async () => {
      const [r] = await store.containers(mb);
      return [r?.doneItems, r?.doneBytes, r?.failedItems, r?.skippedItems];
    };
    await store.commitBatch(mb, 'INBOX', [done('1', 100)], inbox);
    expect(await counters()).toEqual([1, 100, 0, 0]);
    // Done again (written anew): counted once, with its new size.
    await store.commitBatch(mb, 'INBOX', [done('1', 150)], inbox);
    expect(await counters()).toEqual([1, 150, 0, 0]);
    await store.commitBatch(mb, 'INBOX', [{ itemId: '1', status: 'skipped', size: 150, reason: 'r' }], inbox);
    expect(await counters()).toEqual([0, 0, 0, 1]);
    // An item twice in one batch: replayed in order.
    await store.commitBatch(mb, 'INBOX', [{ itemId: '5', status: 'failed', size: 5, reason: 'NO' }, done('5', 5)], inbox);
    expect(await counters()).toEqual([1, 5, 0, 1]);
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual([]);
    await store.commitBatch(mb, 'INBOX', [{ itemId: '6', status: 'failed', size: 6, reason: 'NO' }, { itemId: '7', status: 'failed', size: 7, reason: 'NO' }], inbox);
    expect(await counters()).toEqual([1, 5, 2, 1]);
    await store.commitBatch(mb, 'INBOX', [done('7', 7)], inbox);
    expect(await counters()).toEqual([2, 12, 1, 1]);
    // Failed, retried (pending), written: counted as done only.
    await store.recordPending(mb, 'INBOX', [pendingRow('6')]);
    expect(await counters()).toEqual([2, 12, 0, 1]);
    await store.commitBatch(mb, 'INBOX', [done('6', 6)], inbox);
    expect(await counters()).toEqual([3, 18, 0, 1]);
    // Pending, not found written: failed again.
    await store.recordPending(mb, 'INBOX', [pendingRow('8')]);
    expect(await counters()).toEqual([3, 18, 0, 1]);
    await store.dropPending(mb, 'INBOX', ['8']);
    expect(await counters()).toEqual([3, 18, 1, 1]);
    await expectCountersMatchRows(store, mb, 'INBOX', '11');
  });

  test('resetEpoch restarts the cursor and the counters of the container', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [{ itemId: '5', status: 'done', size: 1 }], { ...cp, targetRef: 'INBOX' });
    await store.resetEpoch(mb, 'INBOX', '99', 'verify;x');
    expect(await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX')).toMatchObject({ epoch: '99', cursor: null, token: null });
    expect((await store.containers(mb))[0]?.doneItems).toBe(0);
    expect((await store.finished(mb, 'INBOX', '99', ['5'])).size).toBe(0);
  });

  test('resetEpoch keeps the rows of the old epoch, which no longer count as problems', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [done('5', 1), { itemId: '6', status: 'failed', size: 2, reason: 'NO' }], { ...inbox, token: 'tok' });
    await store.setFlagSeq(mb, 'INBOX', '77');
    await store.resetEpoch(mb, 'INBOX', '99', 'verify;x');
    expect(await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX')).toEqual({ ...inbox, epoch: '99', cursor: null, scope: 'verify;x', token: null, flagSeq: '77' });
    expect((await store.containers(mb))[0]).toMatchObject({ epoch: '99', doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 });
    expect([...(await store.finished(mb, 'INBOX', '11', ['5', '6'])).entries()]).toEqual([['5', 'done'], ['6', 'failed']]);
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual(['6']);
    expect(await store.failedItems(mb, 'INBOX', '99')).toEqual([]);
    expect(await store.problems()).toEqual([]);
    expect(await store.doneItems(mb, 'INBOX', '99')).toEqual([]);
    await expectCountersMatchRows(store, mb, 'INBOX', '99');
  });

  test('suspects: recorded once per item and watermark, in order, cleared one by one', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.recordSuspects(mb, 'INBOX', [suspect('2', '7:1'), suspect('1', '7:1', { internalDate: '2024-01-02T03:04:05.000Z', messageId: null })]);
    // The same item and watermark again is ignored (the first row stays); another watermark is a new row.
    await store.recordSuspects(mb, 'INBOX', [suspect('1', '7:1', { hash: 'other' }), suspect('1', '8:1', { epoch: '12', targetRef: 'INBOX.X', size: 77 })]);
    const rows = await store.suspects(mb, 'INBOX');
    for (const r of rows) expect(r.createdAt).toMatch(ISO);
    expect(rows.map(({ createdAt: _, ...r }) => r)).toEqual([
      suspect('2', '7:1'),
      suspect('1', '7:1', { internalDate: '2024-01-02T03:04:05.000Z', messageId: null }),
      suspect('1', '8:1', { epoch: '12', targetRef: 'INBOX.X', size: 77 }),
    ]);
    expect(await store.suspects(mb, 'Sent')).toEqual([]);
    await store.clearSuspects(mb, 'INBOX', [{ itemId: '1', watermark: '7:1' }, { itemId: '9', watermark: '7:1' }]);
    expect((await store.suspects(mb, 'INBOX')).map((r) => [r.itemId, r.watermark])).toEqual([['2', '7:1'], ['1', '8:1']]);
    await store.clearSuspects(mb, 'INBOX', []);
    await store.recordSuspects(mb, 'INBOX', []);
    await store.clearSuspects(mb, 'INBOX', [{ itemId: '2', watermark: '7:1' }, { itemId: '1', watermark: '8:1' }]);
    expect(await store.suspects(mb, 'INBOX')).toEqual([]);
  });

  test('claimedTargetIds: per mailbox, target folder and target epoch; stale claims of a re-verified container do not count', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    const other = await store.mailboxId({ source: 'b', target: 'b' });
    for (const c of ['Sent', 'Sent2']) await store.openContainer(mb, c, c, 'INBOX.Sent');
    await store.openContainer(other, 'Sent', 'Sent', 'INBOX.Sent');
    const sent = (itemId: string, targetId: string, over: Partial<ItemResult> = {}) => done(itemId, 1, { targetRef: 'INBOX.Sent', targetId, ...over });
    await store.commitBatch(mb, 'Sent', [sent('1', '101')], { ...cp, epoch: '1' });
    await store.commitBatch(mb, 'Sent2', [
      sent('1', '102'),
      sent('2', '103', { targetEpoch: '8' }),
      sent('3', '104', { targetRef: 'INBOX' }),
      { itemId: '4', status: 'failed', size: 1, reason: 'NO' },
    ], { ...cp, epoch: '5' });
    await store.commitBatch(other, 'Sent', [sent('1', '105')], { ...cp, epoch: '1' });
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '7')).toEqual(new Set(['101', '102']));
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '8')).toEqual(new Set(['103']));
    expect(await store.claimedTargetIds(mb, 'INBOX', '7')).toEqual(new Set(['104']));
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '9')).toEqual(new Set());
    // Sent is being re-verified under epoch 2: its claims from epoch 1 are stale.
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '7', { containerId: 'Sent', epoch: '2' })).toEqual(new Set(['102']));
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '7', { containerId: 'Sent', epoch: '1' })).toEqual(new Set(['101', '102']));
    expect(await store.claimedTargetIds(mb, 'INBOX.Sent', '7', { containerId: 'Sent2', epoch: '9' })).toEqual(new Set(['101']));
  });

  test('failedItems, itemRows, targetIds and finished answer in the order asked', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [
      { itemId: '3', status: 'failed', size: 3, reason: 'quota' },
      done('1', 1, { targetId: '11' }),
      { itemId: '2', status: 'failed', size: 2, reason: 'NO' },
      { itemId: '4', status: 'skipped', size: 4, reason: 'too large' },
      done('5', 5, { targetId: undefined, targetRef: undefined, targetEpoch: undefined }),
    ], inbox);
    await store.recordPending(mb, 'INBOX', [pendingRow('6')]);
    expect(await store.failedItems(mb, 'INBOX', '11')).toEqual(['3', '2']);
    expect(await store.failedItems(mb, 'INBOX', '12')).toEqual([]);
    expect([...(await store.itemRows(mb, 'INBOX', '11', ['4', '1', '2', '9', '6', '4'])).entries()]).toEqual([
      ['4', { status: 'skipped', reason: 'too large', targetId: null }],
      ['1', { status: 'done', reason: null, targetId: '11' }],
      ['2', { status: 'failed', reason: 'NO', targetId: null }],
      ['6', { status: 'pending', reason: null, targetId: null }],
    ]);
    expect((await store.itemRows(mb, 'INBOX', '12', ['1'])).size).toBe(0);
    expect([...(await store.targetIds(mb, 'INBOX', '11', ['5', '2', '1', '9'])).entries()]).toEqual([['1', '11']]);
    expect([...(await store.finished(mb, 'INBOX', '11', ['6', '5', '4', '3'])).entries()]).toEqual([['5', 'done'], ['4', 'skipped'], ['3', 'failed']]);
    expect((await store.finished(mb, 'INBOX', '11', [])).size).toBe(0);
  });

  test('doneItems, updateFlags and forgetItems (the flag and deletion delta)', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [
      done('1', 10, { flags: ['\\Seen', '$Label1'] }),
      done('2', 20),
      { itemId: '3', status: 'failed', size: 30, reason: 'NO' },
      done('4', 40, { flags: [], targetEpoch: '8' }),
    ], inbox);
    expect(await store.doneItems(mb, 'INBOX', '11')).toEqual([
      { itemId: '1', size: 10, targetRef: 'INBOX', targetId: 't1', targetEpoch: '7', flags: ['\\Seen', '$Label1'] },
      { itemId: '2', size: 20, targetRef: 'INBOX', targetId: 't2', targetEpoch: '7', flags: null },
      { itemId: '4', size: 40, targetRef: 'INBOX', targetId: 't4', targetEpoch: '8', flags: [] },
    ]);
    expect(await store.doneItems(mb, 'INBOX', '12')).toEqual([]);
    // Only the rows asked for (a narrowed flag delta): done ones, unknown and failed ids left out.
    expect((await store.doneItems(mb, 'INBOX', '11', ['4', '3', '9', '1'])).map((r) => r.itemId).sort()).toEqual(['1', '4']);
    expect(await store.doneItems(mb, 'INBOX', '11', [])).toEqual([]);
    await store.updateFlags(mb, 'INBOX', '11', [{ itemId: '1', flags: ['\\Flagged', '\\Seen'] }, { itemId: '2', flags: [] }, { itemId: '9', flags: ['x'] }]);
    await store.updateFlags(mb, 'INBOX', '11', []);
    expect((await store.doneItems(mb, 'INBOX', '11')).map((r) => [r.itemId, r.flags])).toEqual([['1', ['\\Flagged', '\\Seen']], ['2', []], ['4', []]]);
    // Only done items are forgotten; unknown ids are ignored.
    await store.forgetItems(mb, 'INBOX', '11', ['1', '3', '9', '1']);
    await store.forgetItems(mb, 'INBOX', '11', []);
    expect((await store.doneItems(mb, 'INBOX', '11')).map((r) => r.itemId)).toEqual(['2', '4']);
    expect((await store.containers(mb))[0]).toMatchObject({ doneItems: 2, doneBytes: 60, failedItems: 1 });
    expect([...(await store.finished(mb, 'INBOX', '11', ['1', '3'])).entries()]).toEqual([['3', 'failed']]);
    await expectCountersMatchRows(store, mb, 'INBOX', '11');
  });

  test('openContainer, setFlagSeq, setContainerStatus/Totals and the containers() rows', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    expect(await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX')).toBeNull();
    const [fresh] = await store.containers(mb);
    expect(fresh).toEqual({
      mailboxId: mb, containerId: 'INBOX', path: 'INBOX', name: null, kind: 'mail', bytesKnown: true, inInventory: true, targetRef: 'INBOX', status: 'pending',
      epoch: undefined, cursor: null, scope: undefined, token: null,
      totalItems: 0, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, lastError: null,
      updatedAt: expect.stringMatching(ISO),
    });
    // Registering again updates the path; the target folder moves only with a committed
    // checkpoint, so a changed folder mapping stays visible to the engine until then.
    expect(await store.openContainer(mb, 'INBOX', 'Posteingang', 'INBOX.X')).toBeNull();
    expect((await store.containers(mb))[0]).toMatchObject({ path: 'Posteingang', targetRef: 'INBOX' });
    await store.commitBatch(mb, 'INBOX', [], { ...cp, targetRef: 'INBOX.X', token: 't' });
    expect((await store.containers(mb))[0]).toMatchObject({ targetRef: 'INBOX.X' });
    expect(await store.openContainer(mb, 'INBOX', 'Posteingang', 'INBOX.X')).toEqual({ ...cp, targetRef: 'INBOX.X', token: 't', flagSeq: null });
    await store.setFlagSeq(mb, 'INBOX', '42');
    expect(await store.openContainer(mb, 'INBOX', 'Posteingang', 'INBOX.X')).toMatchObject({ flagSeq: '42' });
    await store.setFlagSeq(mb, 'INBOX', null);
    expect(await store.openContainer(mb, 'INBOX', 'Posteingang', 'INBOX.X')).toMatchObject({ flagSeq: null });
    await store.setContainerTotals(mb, 'INBOX', { items: 12, bytes: 3_000_000_000 });
    await store.setContainerStatus(mb, 'INBOX', 'failed', 'folder is gone');
    expect((await store.containers(mb))[0]).toEqual({
      mailboxId: mb, containerId: 'INBOX', path: 'Posteingang', name: null, kind: 'mail', bytesKnown: true, inInventory: true, targetRef: 'INBOX.X', status: 'failed',
      epoch: '11', cursor: '3', scope: cp.scope, token: 't',
      totalItems: 12, totalBytes: 3_000_000_000, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, lastError: 'folder is gone',
      updatedAt: expect.stringMatching(ISO),
    });
    await store.setContainerStatus(mb, 'INBOX', 'done');
    expect((await store.containers(mb))[0]).toMatchObject({ status: 'done', lastError: null });
  });

  test('concurrent writers on one container: the counters always match the rows', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    const workers = [store, await worker(), await worker()];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const statuses = ['done', 'done', 'failed', 'skipped'] as const;
    // Two lanes per worker: several transactions of one store are in flight at once too.
    const lanes = [...workers, ...workers];
    const plans = lanes.map(() => Array.from({ length: 12 }, () => Array.from({ length: 8 }, () => {
      const id = String(rand(30));
      const status = statuses[rand(statuses.length)] ?? 'done';
      return status === 'done' ? done(id, 1 + rand(1000)) : { itemId: id, status, size: 1 + rand(1000), reason: 'r' };
    })));
    await Promise.all(lanes.map(async (w, i) => {
      for (const batch of plans[i] ?? []) await w.commitBatch(mb, 'INBOX', batch, inbox);
    }));
    await expectCountersMatchRows(store, mb, 'INBOX', '11');
    const finished = await store.finished(mb, 'INBOX', '11', Array.from({ length: 30 }, (_, i) => String(i)));
    const [row] = await store.containers(mb);
    expect((row?.doneItems ?? 0) + (row?.failedItems ?? 0) + (row?.skippedItems ?? 0)).toBe(finished.size);
  });

  test('concurrent workers agree on mailbox ids and share one store', async () => {
    const workers = [store, await worker(), await worker()];
    const ids = await Promise.all(workers.flatMap((w) => [w.mailboxId({ source: 's', target: 't' }), w.mailboxId({ source: 's', target: 't' })]));
    expect(new Set(ids).size).toBe(1);
    const mb = ids[0] as number;
    const last = workers[workers.length - 1] as StateStore;
    await last.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await last.commitBatch(mb, 'INBOX', [done('1', 1)], inbox);
    expect([...(await store.finished(mb, 'INBOX', '11', ['1'])).entries()]).toEqual([['1', 'done']]);
  });
}

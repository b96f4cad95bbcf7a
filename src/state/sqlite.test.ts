import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from './sqlite.js';

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-state-'));
  store = new SqliteStateStore(join(dir, 's.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const cp = { epoch: '11', cursor: '3', scope: 'before=;since=', token: null, targetRef: 'INBOX.Sent' };

describe('sqlite state store', () => {
  test('migrate is idempotent and mailbox ids are stable', async () => {
    await store.migrate();
    const a = await store.mailboxId({ source: 'a@x', target: 'a@y' });
    expect(await store.mailboxId({ source: 'a@x', target: 'a@y' })).toBe(a);
    expect(await store.mailboxId({ source: 'b@x', target: 'b@y' })).not.toBe(a);
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

  test('a done item is never turned back into pending', async () => {
    const mb = await store.mailboxId({ source: 'a', target: 'a' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [{ itemId: '5', status: 'done', size: 1, targetId: '9', targetRef: 'INBOX', targetEpoch: '1' }], { ...cp, targetRef: 'INBOX' });
    await store.recordPending(mb, 'INBOX', [{ itemId: '5', epoch: '11', size: 1, internalDate: null, messageId: null, targetRef: 'INBOX', watermark: '1:1' }]);
    expect(await store.pending(mb, 'INBOX')).toEqual([]);
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
});

/**
 * Conformance tests of the inventory (CheckpointStore.recordInventory, MailboxReader.inventory; issue 17): totals per
 * mailbox and item kind that progress, status and reports measure against. Registered by
 * `describeStateStore` (conformance.ts), so every store runs them.
 */
import { expect, test } from '@jest/globals';
import type { Checkpoint, InventoryEntry, ItemResult, StateStore } from './store.js';
import { ISO } from './conformance-fixtures.js';

const cp = (targetRef: string): Checkpoint => ({ epoch: '1', cursor: null, scope: '', token: null, targetRef });
const done = (itemId: string, size: number): ItemResult => ({ itemId, status: 'done', size });

function entry(containerId: string, over: Partial<InventoryEntry> = {}): InventoryEntry {
  return { containerId, path: containerId, name: containerId, targetRef: `INBOX.${containerId}`, kind: 'mail', items: 0, bytes: 0, ...over };
}

export function describeInventory(store: () => StateStore, worker: () => Promise<StateStore>): void {
  test('a mailbox never inventoried has unknown totals (inventoriedAt null, no kinds), not zeros', async () => {
    const s = store();
    const mb = await s.mailboxId({ source: 'new@x', target: 'new' });
    expect(await s.inventory()).toEqual([{ id: mb, source: 'new@x', target: 'new', inventoriedAt: null, kinds: [] }]);
  });

  test('totals per kind, in the order mail, event, contact, task; names and kinds on the container rows; sizes unknown kept apart', async () => {
    const s = store();
    const mb = await s.mailboxId({ source: 'erin@x', target: 'erin' });
    await s.recordInventory(mb, [
      entry('AAMk=', { path: 'Kalender', name: 'Kalender', kind: 'event', targetRef: 'calendar:Kalender', items: 4, bytes: null }),
      entry('AAMj=', { path: 'Posteingang/Projekte', name: 'Posteingang/Projekte', items: 10, bytes: 1000 }),
      entry('AAMl=', { path: 'Aufgaben', name: 'Aufgaben', kind: 'task', targetRef: 'tasks:Aufgaben', items: 2, bytes: 300 }),
      entry('AAMi=', { path: 'Posteingang', name: 'Posteingang', items: 5, bytes: 500 }),
    ]);
    const [inv] = await (await worker()).inventory();
    expect(inv?.inventoriedAt).toMatch(ISO);
    expect(inv?.kinds).toEqual([
      { kind: 'mail', containers: 2, totalItems: 15, totalBytes: 1500, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 },
      { kind: 'event', containers: 1, totalItems: 4, totalBytes: 0, bytesUnknown: 1, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 },
      { kind: 'task', containers: 1, totalItems: 2, totalBytes: 300, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 },
    ]);
    const rows = await s.containers(mb);
    expect(rows.find((r) => r.containerId === 'AAMk=')).toMatchObject({ name: 'Kalender', kind: 'event', bytesKnown: false, inInventory: true, status: 'pending' });
    expect(rows.find((r) => r.containerId === 'AAMj=')).toMatchObject({ name: 'Posteingang/Projekte', kind: 'mail', bytesKnown: true, totalItems: 10, totalBytes: 1000 });
  });

  test('done never exceeds total: each container clamped to its own totals (items listed after the inventory, sizes grown on the way)', async () => {
    const s = store();
    const mb = await s.mailboxId({ source: 'a@x', target: 'a' });
    await s.recordInventory(mb, [entry('INBOX', { items: 2, bytes: 100 }), entry('Sent', { items: 5, bytes: 500 })]);
    await s.openContainer(mb, 'INBOX', 'INBOX', 'INBOX.INBOX');
    await s.openContainer(mb, 'Sent', 'Sent', 'INBOX.Sent');
    await s.commitBatch(mb, 'INBOX', [done('1', 60), done('2', 60), done('3', 60), { itemId: '4', status: 'failed', size: 1 }], cp('INBOX.INBOX'));
    await s.commitBatch(mb, 'Sent', [done('1', 100), { itemId: '2', status: 'skipped', size: 1, reason: 'too large' }], cp('INBOX.Sent'));
    const [inv] = await s.inventory(mb);
    expect(inv?.kinds).toEqual([
      { kind: 'mail', containers: 2, totalItems: 7, totalBytes: 600, bytesUnknown: 0, doneItems: 3, doneBytes: 200, failedItems: 0, skippedItems: 1 },
    ]);
  });

  test('re-inventory: new counts replace old ones; a known size survives an unchanged count without one; containers not listed leave the totals', async () => {
    const s = store();
    const mb = await s.mailboxId({ source: 'b@x', target: 'b' });
    const other = await s.mailboxId({ source: 'c@x', target: 'c' });
    await s.recordInventory(other, [entry('INBOX', { items: 1, bytes: 1 })]);
    await s.recordInventory(mb, [entry('INBOX', { items: 3, bytes: 300 }), entry('Old', { items: 9, bytes: 900 }), entry('Grows', { items: 1, bytes: 10 })]);
    await s.openContainer(mb, 'Old', 'Old', 'INBOX.Old');
    await s.commitBatch(mb, 'Old', [done('1', 100)], cp('INBOX.Old'));
    await s.recordInventory(mb, [entry('INBOX', { items: 3, bytes: null }), entry('Grows', { items: 2, bytes: null })]);
    const byId = new Map((await s.containers(mb)).map((r) => [r.containerId, r]));
    expect(byId.get('INBOX')).toMatchObject({ totalItems: 3, totalBytes: 300, bytesKnown: true, inInventory: true });
    expect(byId.get('Grows')).toMatchObject({ totalItems: 2, bytesKnown: false });
    expect(byId.get('Old')).toMatchObject({ inInventory: false, doneItems: 1 });
    const inv = await s.inventory();
    expect(inv.map((m) => [m.source, m.kinds])).toEqual([
      ['b@x', [{ kind: 'mail', containers: 2, totalItems: 5, totalBytes: 300, bytesUnknown: 1, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 }]],
      ['c@x', [{ kind: 'mail', containers: 1, totalItems: 1, totalBytes: 1, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 }]],
    ]);
    // listed again: back in the totals, with what was done there
    await s.recordInventory(mb, [entry('Old', { items: 9, bytes: 900 })]);
    expect((await s.inventory(mb))[0]?.kinds[0]).toMatchObject({ containers: 1, totalItems: 9, doneItems: 1, doneBytes: 100 });
    // a pass that measures the size makes it known again
    await s.setContainerTotals(mb, 'Grows', { items: 2, bytes: 20 });
    expect((await s.containers(mb)).find((r) => r.containerId === 'Grows')).toMatchObject({ bytesKnown: true, totalBytes: 20 });
    await s.setContainerTotals(mb, 'Grows', { items: 2, bytes: null });
    expect((await s.containers(mb)).find((r) => r.containerId === 'Grows')).toMatchObject({ bytesKnown: false });
  });

  test('an inventory keeps the target a checkpoint recorded (a changed mapping stays visible to the pass)', async () => {
    const s = store();
    const mb = await s.mailboxId({ source: 'd@x', target: 'd' });
    await s.openContainer(mb, 'X', 'X', 'INBOX.X');
    await s.commitBatch(mb, 'X', [], cp('INBOX.X'));
    await s.recordInventory(mb, [entry('X', { targetRef: 'INBOX.Y', items: 1, bytes: 1 })]);
    expect(await s.openContainer(mb, 'X', 'X', 'INBOX.Y')).toMatchObject({ targetRef: 'INBOX.X' });
  });
}

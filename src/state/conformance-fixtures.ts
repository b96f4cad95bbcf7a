/**
 * Rows, checkpoints and checks shared by the state store conformance suites (conformance.ts and
 * the per-consumer suites it registers).
 */
import { expect } from '@jest/globals';
import type { Checkpoint, ItemResult, PendingRow, StateStore, SuspectRow } from './store.js';

export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const cp: Checkpoint = { epoch: '11', cursor: '3', scope: 'before=;since=', token: null, targetRef: 'INBOX.Sent' };
export const inbox: Checkpoint = { ...cp, targetRef: 'INBOX' };

export function pendingRow(itemId: string, over: Partial<PendingRow> = {}): PendingRow {
  return {
    itemId, epoch: '11', size: 10, internalDate: '2024-01-02T03:04:05.000Z', messageId: `<${itemId}@x>`, targetRef: 'INBOX', watermark: '7:1', ...over,
  };
}

export function done(itemId: string, size: number, over: Partial<ItemResult> = {}): ItemResult {
  return { itemId, status: 'done', size, targetRef: 'INBOX', targetEpoch: '7', targetId: `t${itemId}`, ...over };
}

export function suspect(itemId: string, watermark: string, over: Partial<SuspectRow> = {}): SuspectRow {
  return {
    itemId, epoch: '11', targetRef: 'INBOX', watermark, hash: `h${itemId}`, size: 10, internalDate: null, messageId: `<${itemId}@x>`, ...over,
  };
}

/** The container's counters agree with its rows (in the current epoch). */
export async function expectCountersMatchRows(store: StateStore, mb: number, containerId: string, epoch: string): Promise<void> {
  const row = (await store.containers(mb)).find((c) => c.containerId === containerId);
  const doneRows = await store.doneItems(mb, containerId, epoch);
  const problems = (await store.problems(mb)).filter((p) => p.containerId === containerId);
  expect({
    doneItems: row?.doneItems, doneBytes: row?.doneBytes, failedItems: row?.failedItems, skippedItems: row?.skippedItems,
  }).toEqual({
    doneItems: doneRows.length,
    doneBytes: doneRows.reduce((n, r) => n + r.size, 0),
    failedItems: (await store.failedItems(mb, containerId, epoch)).length,
    skippedItems: problems.filter((p) => p.status === 'skipped').length,
  });
}

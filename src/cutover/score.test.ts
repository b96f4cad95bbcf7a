import type { ContainerRow, FailedItemRow } from '../state/store.js';
import { mailboxScore, readiness } from './score.js';

const m = { source: 'alice', target: 'alice@ums.example' };
const row = (over: Partial<ContainerRow>): ContainerRow => ({
  mailboxId: 1, containerId: 'INBOX', path: 'INBOX', targetRef: 'INBOX', status: 'done', lastError: null, updatedAt: '2026-12-01T00:00:00Z',
  totalItems: 0, doneItems: 0, failedItems: 0, skippedItems: 0, totalBytes: 0, doneBytes: 0,
  ...over,
} as ContainerRow);

describe('mailboxScore and readiness', () => {
  test('a mailbox only planned (inventory counted, nothing passed or copied) is "not migrated", never complete', () => {
    const s = mailboxScore(m, [row({ status: 'pending', totalItems: 37 }), row({ containerId: 'Sent', status: 'pending', totalItems: 0 })], [], undefined);
    expect(s.score).toBeNull();
    expect(readiness(s)).toEqual({ state: 'not migrated', text: 'not migrated' });
  });

  test('a plan of empty folders only is not migrated either', () => {
    expect(mailboxScore(m, [row({ status: 'pending' })], [], undefined).score).toBeNull();
  });

  test('items counted but not copied yet, or a folder not passed yet: in progress, with what is left', () => {
    const half = mailboxScore(m, [row({ totalItems: 10, doneItems: 4 }), row({ containerId: 'Sent', status: 'pending', totalItems: 5 })], [], undefined);
    expect(half.score).toBeCloseTo(4 / 15);
    expect(readiness(half)).toEqual({ state: 'in progress', text: '11 item(s) not copied yet, 1 folder(s) not passed yet' });
    const emptyLeft = mailboxScore(m, [row({ totalItems: 3, doneItems: 3 }), row({ containerId: 'Sent', status: 'failed' })], [], undefined);
    expect(readiness(emptyLeft)).toEqual({ state: 'in progress', text: '1 folder(s) not passed yet' });
  });

  test('all copied, failed or skipped: not approved until an approval covers the problems; complete when nothing failed', () => {
    const problem = (itemId: string): FailedItemRow => ({ mailbox: 'alice', containerId: 'INBOX', path: 'INBOX', itemId, size: 1, status: 'failed', reason: 'quota', updatedAt: '' });
    const failed = mailboxScore(m, [row({ totalItems: 5, doneItems: 3, failedItems: 2 })], [problem('1'), problem('2')], undefined);
    expect(failed.notCopied).toBe(0);
    expect(readiness(failed)).toEqual({ state: 'not approved', text: '2 not approved' });
    const done = mailboxScore(m, [row({ totalItems: 5, doneItems: 5 })], [], undefined);
    expect(done.score).toBe(1);
    expect(readiness(done)).toEqual({ state: 'complete', text: 'complete' });
  });

  test('a folder the source no longer lists counts only for what was copied from it', () => {
    const s = mailboxScore(m, [row({ totalItems: 2, doneItems: 2 }), row({ containerId: 'Old', status: 'pending', totalItems: 9, inInventory: false })], [], undefined);
    expect(s.score).toBe(1);
    expect(readiness(s).state).toBe('complete');
  });
});

test('folders not migrated: their items count on the source and as skipped, each folder is a problem to approve', () => {
  const calendar = { container: 'cal', name: 'Calendar', kind: 'event' as const, items: 4, by: 'target' as const, reason: 'calendars need a groupware target' };
  const junk = { container: 'j', name: 'Junk', kind: 'mail' as const, items: 9, by: 'config' as const, reason: 'excluded by pattern "Junk"' };
  const s = mailboxScore(m, [row({ totalItems: 6, doneItems: 6 })], [], undefined, [calendar, junk]);
  expect(s.byType.events).toEqual({ source: 4, target: 0, failed: 0, skipped: 4 });
  expect(s.byType.mail).toEqual({ source: 6, target: 6, failed: 0, skipped: 0 });
  expect(s.score).toBeCloseTo(6 / 10);
  expect(s.unapproved).toBe(1);
  expect(s.reasons).toEqual([{ status: 'skipped', reason: 'folder not migrated (4 items): calendars need a groupware target', count: 1 }]);
  expect(readiness(s)).toEqual({ state: 'not approved', text: '1 not approved' });
  // the folders the config leaves out alone: complete
  expect(readiness(mailboxScore(m, [row({ totalItems: 6, doneItems: 6 })], [], undefined, [junk]))).toEqual({ state: 'complete', text: 'complete' });
});

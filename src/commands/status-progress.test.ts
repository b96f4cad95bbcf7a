import type { KindTotals, MailboxInventory, MailboxSummary } from '../state/store.js';
import { progressTable } from './status.js';

function summary(id: number, source: string, over: Partial<MailboxSummary> = {}): MailboxSummary {
  return {
    id, source, target: source, containers: 0, containersDone: 0, containersFailed: 0, updatedAt: null,
    totalItems: 0, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, ...over,
  };
}
const kind = (k: Partial<KindTotals> & Pick<KindTotals, 'kind' | 'totalItems'>): KindTotals => ({
  containers: 1, totalBytes: 0, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, ...k,
});

test('status: done of the inventory per mailbox and kind; a mailbox never inventoried is "unknown", and the overall line says so', () => {
  const mailboxes = [
    summary(1, 'erin@x', { containers: 3, containersDone: 1, updatedAt: '2026-01-01T00:00:00.000Z', doneItems: 60 }),
    summary(2, 'finn@x', { containers: 2 }),
    summary(3, 'gail@x'),
  ];
  const inventory: MailboxInventory[] = [
    { id: 1, source: 'erin@x', target: 'erin@x', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [
      kind({ kind: 'mail', totalItems: 100, doneItems: 58, totalBytes: 10_240, doneBytes: 5120 }), kind({ kind: 'event', totalItems: 4, doneItems: 2, bytesUnknown: 1 }),
    ] },
    { id: 2, source: 'finn@x', target: 'finn@x', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 40, totalBytes: 4096 })] },
    { id: 3, source: 'gail@x', target: 'gail@x', inventoriedAt: null, kinds: [] },
  ];
  const text = progressTable(mailboxes, inventory);
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^source\s+target\s+state\s+folders\s+items done\s+mail\s+events\s+failed\s+skipped\s+bytes done\s+updated$/);
  expect(lines.find((l) => l.startsWith('erin@x'))).toMatch(/in progress\s+1\/3\s+60\/104 \(57%\)\s+58\/100\s+2\/4\s+0\s+0\s+5\.0 KiB of at least 10\.0 KiB/);
  expect(lines.find((l) => l.startsWith('finn@x'))).toMatch(/pending\s+0\/2\s+0\/40 \(0%\)\s+0\/40\s+-\s+/);
  expect(lines.find((l) => l.startsWith('gail@x'))).toMatch(/pending\s+0\/0\s+unknown\s+unknown\s+unknown\s+/);
  expect(text).toContain('Overall: 60 of 144 items copied (41% processed), 5.0 KiB of at least 14.0 KiB; 1 mailbox not inventoried yet (unknown totals: run `ums-migrate plan`).');
});

test('status: the overall line says what was copied, failed and skipped, so "28 of 37" never reads as done at 100%', () => {
  const inventory: MailboxInventory[] = [
    { id: 1, source: 'erin@x', target: 'erin@x', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 37, doneItems: 28, failedItems: 6, skippedItems: 3 })] },
  ];
  const text = progressTable([summary(1, 'erin@x', { containers: 1, containersDone: 1, doneItems: 28, failedItems: 6, skippedItems: 3 })], inventory);
  expect(text).toContain('Overall: 28 of 37 items copied, 6 failed, 3 skipped (100% processed), ');
});

test('status: with no mailbox inventoried yet the overall line says nothing was counted, not "100%"', () => {
  const text = progressTable([summary(1, 'gail@x')], [{ id: 1, source: 'gail@x', target: 'gail@x', inventoriedAt: null, kinds: [] }]);
  expect(text).toContain('Overall: 0 of 0 items copied (nothing counted yet), 0 B of 0 B; 1 mailbox not inventoried yet');
});

import type { CollectionComparison } from './groupware-compare.js';
import { collectionEqual, collectionSummary, mergeSummary, parseSummary, summaryRows, type GroupwareReconcileSummary } from './groupware-summary.js';

const equal: CollectionComparison = { target: 'calendar:Kalender', kind: 'calendar', sources: ['Kalender'], sourceCount: 3, targetCount: 3, matched: 3, instancesCompared: 40, diffs: [] };
const shifted: CollectionComparison = {
  ...equal, target: 'calendar:Team', matched: 2,
  diffs: [{ kind: 'changed', uid: 'u@x', instances: [{ kind: 'missing', start: '2027-04-05', allDay: true }, { kind: 'extra', start: '2027-04-04', allDay: true }] }],
};
const window = { from: '2025-01-01', to: '2032-01-01' };

describe('groupware reconcile summary (status, report)', () => {
  test('counts per collection, no UID or summary, and the verdict', () => {
    const s = collectionSummary(shifted);
    expect(s).toEqual({ target: 'calendar:Team', sourceCount: 3, targetCount: 3, matched: 2, missing: 0, extra: 0, changed: 1, unreadable: 0, instancesCompared: 40, instancesMissing: 1, instancesExtra: 1, instancesChanged: 0 });
    expect(JSON.stringify(s)).not.toContain('u@x');
    expect([collectionEqual(collectionSummary(equal)), collectionEqual(s)]).toEqual([true, false]);
  });

  test('reconciling some mailboxes replaces their rows and keeps the others; mail-only mailboxes are left out', () => {
    const first: GroupwareReconcileSummary = { window, mailboxes: [
      { source: 'alice', target: 'alice', checkedAt: '2026-12-01T10:00:00Z', collections: [collectionSummary(shifted)] },
      { source: 'bob', target: 'bob', checkedAt: '2026-12-01T10:00:00Z', collections: [collectionSummary(equal)] },
    ] };
    const again = mergeSummary(first, { window, mailboxes: [
      { source: 'alice', target: 'alice', checkedAt: '2026-12-02T10:00:00Z', collections: [collectionSummary(equal)] },
      { source: 'carol', target: 'carol', checkedAt: '2026-12-02T10:00:00Z', collections: [] },
    ] });
    expect(again.mailboxes.map((m) => [m.source, m.checkedAt, m.collections.every(collectionEqual)])).toEqual([
      ['alice', '2026-12-02T10:00:00Z', true], ['bob', '2026-12-01T10:00:00Z', true],
    ]);
    expect(parseSummary(JSON.stringify(again))).toEqual(again);
    expect(parseSummary('{"broken"')).toBeUndefined();
    expect(summaryRows(first)[0]).toEqual(['alice', 'calendar:Team', 'DIFFERS', '3/3', '0/0/1/0', '40 (1/1/0)', '2026-12-01T10:00:00Z', '']);
  });
});

import type { CollectionComparison } from './groupware-compare.js';
import { collectionsCsvRows, collectionsText, reasonText, redactCollections } from './groupware-format.js';

const cmp: CollectionComparison = {
  target: 'calendar:Calendar', kind: 'calendar', sources: ['Calendar'], sourceCount: 2, targetCount: 1, matched: 1, instancesCompared: 14,
  diffs: [
    { kind: 'missing', uid: 'a@x', sources: ['Calendar/1'], title: 'Secret meeting' },
    {
      kind: 'changed', uid: 'b@x', sources: ['Calendar/2'], targets: ['b.ics'], title: 'Birthday',
      fields: [{ field: 'DTSTART', component: 'master', source: '2027-03-05', target: '2027-03-04', private: false },
        { field: 'SUMMARY', component: 'master', source: 'Birthday', target: 'Bday', private: true }],
      instances: [{ kind: 'missing', start: '2027-03-05', allDay: true, summary: 'Birthday' }, { kind: 'extra', start: '2027-03-04', allDay: true, summary: 'Bday' }],
    },
  ],
};

describe('reconcile/groupware report', () => {
  test('text names each occurrence by its date and hides summaries and personal values unless asked', () => {
    const text = collectionsText([cmp], false).join('\n');
    expect(text).toContain('instance 2027-03-05 (all-day) missing in the UMS');
    expect(text).toContain('instance 2027-03-04 (all-day) extra in the UMS');
    expect(text).toContain('DTSTART: 2027-03-05 → 2027-03-04');
    expect(text).toMatch(/SUMMARY: hash:[0-9a-f]{8} → hash:[0-9a-f]{8}/);
    expect(text).toContain('occurrences: 1 missing in the UMS, 1 extra, 0 changed');
    expect(text).not.toMatch(/Secret|Birthday|Bday/);
    const shown = collectionsText([cmp], true).join('\n');
    expect(shown).toContain('UID a@x "Secret meeting"');
    expect(shown).toContain('SUMMARY: Birthday → Bday');
  });

  test('CSV rows use the mail columns, one per UID, field and occurrence', () => {
    const rows = collectionsCsvRows('alice', [cmp], false);
    expect(rows.map((r) => [r[2], r[4], r[9]])).toEqual([
      ['missing', 'a@x', 'not in the UMS'],
      ['field', 'b@x', 'DTSTART: 2027-03-05 → 2027-03-04'],
      ['field', 'b@x', expect.stringMatching(/^SUMMARY: hash:/)],
      ['occurrence missing', 'b@x', 'instance 2027-03-05 (all-day) missing in the UMS'],
      ['occurrence extra', 'b@x', 'instance 2027-03-04 (all-day) extra in the UMS'],
    ]);
    expect(rows.every((r) => r.length === 10)).toBe(true);
  });

  test('JSON leaves titles and summaries out and hashes personal field values', () => {
    const json = JSON.stringify(redactCollections([cmp], false));
    expect(json).not.toMatch(/Secret|Birthday|Bday/);
    expect(json).toContain('"source":"2027-03-05"');
  });

  test('reasons from the normaliser name objects by summary or name: hashed unless asked', () => {
    const reason = 'Calendar/x.ics (folder Calendar): UID u1 (SUMMARY "Board \\"Q3\\" meeting"): time zone "Mars/Olympus" is unknown; vCard #2 "John Doe": no FN';
    const hidden = reasonText(reason, false);
    expect(hidden).not.toMatch(/Board|John Doe/);
    expect(hidden).toMatch(/^Calendar\/x\.ics \(folder Calendar\): UID u1 \(SUMMARY hash:[0-9a-f]{8}\): time zone "Mars\/Olympus" is unknown; vCard #2 hash:[0-9a-f]{8}: no FN$/);
    expect(reasonText(reason, true)).toBe(reason);
  });
});

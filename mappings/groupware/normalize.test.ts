import { groupwareFormat, normalizeGroupware } from './normalize.js';

describe('normalisation stage (dispatch)', () => {
  it('tells iCalendar from vCard by the first BEGIN line, with a BOM or leading blanks', () => {
    expect(groupwareFormat('\uFEFFBEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe('vcalendar');
    expect(groupwareFormat(Buffer.from('\r\nbegin:vcard\nVERSION:2.1\n'))).toBe('vcard');
    expect(groupwareFormat('From: a@example.org\r\n\r\nbody')).toBeUndefined();
  });

  it('an item with nothing recognisable inside fails with the reason, naming the item', () => {
    expect(normalizeGroupware('BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n', { source: 'alice/Calendar/x.ics' })).toEqual({
      objects: [], failures: [{ what: 'alice/Calendar/x.ics', reason: 'the calendar holds no VEVENT or VTODO' }],
    });
    expect(normalizeGroupware('hello', { source: 'alice/Contacts/y.vcf' }).failures).toEqual([
      { what: 'alice/Contacts/y.vcf', reason: 'neither iCalendar (BEGIN:VCALENDAR) nor vCard (BEGIN:VCARD)' },
    ]);
  });

  it('sends each format to its normaliser: one object per UID, one per card', () => {
    const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:PUBLISH\r\n'
      + 'BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240301T100000Z\r\nEND:VEVENT\r\n'
      + 'BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240302T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const cal = normalizeGroupware(ics, { source: 's' });
    expect(cal.objects.map((o) => [o.kind, o.uid])).toEqual([['event', 'a'], ['event', 'b']]);
    expect(cal.objects.every((o) => !/^METHOD:/m.test(o.text))).toBe(true);
    const cards = normalizeGroupware('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nEND:VCARD\r\n', { source: 's' });
    expect(cards.objects.map((o) => o.kind)).toEqual(['contact', 'contact']);
    expect(new Set(cards.objects.map((o) => o.uid)).size).toBe(2);
  });
});

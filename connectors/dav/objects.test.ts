import { eventIcs, todoIcs, vcard } from '../../test/support/groupware-data.js';
import { describeObject, resourceName } from './objects.js';
import { collectionSlug } from './collections.js';
import { parseTargetId, targetId } from './index.js';

describe('DAV objects', () => {
  test('type, UID and resource name of events, tasks and contacts', () => {
    expect(describeObject(eventIcs('abc-1@example.org', 'Meeting'))).toMatchObject({ type: 'VEVENT', uid: 'abc-1@example.org', name: 'abc-1@example.org.ics', summary: 'Meeting' });
    expect(describeObject(todoIcs('t1', 'Do it'))).toMatchObject({ type: 'VTODO', uid: 't1', name: 't1.ics' });
    expect(describeObject(vcard('c1', 'Ada Lovelace'))).toMatchObject({ type: 'VCARD', uid: 'c1', name: 'c1.vcf', summary: 'Ada Lovelace', contentType: 'text/vcard; charset=utf-8' });
  });

  test('a master with an overridden occurrence is one object; mixed UIDs or types are not', () => {
    const master = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:r1\r\nDTSTART:20260301T090000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n'
      + 'BEGIN:VEVENT\r\nUID:r1\r\nRECURRENCE-ID:20260308T090000Z\r\nDTSTART:20260308T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    expect(describeObject(master).uid).toBe('r1');
    expect(() => describeObject(master.replace('UID:r1\r\nRECURRENCE', 'UID:r2\r\nRECURRENCE'))).toThrow(/one UID, found 2/);
    expect(() => describeObject(master.replace('BEGIN:VEVENT\r\nUID:r1\r\nRECURRENCE-ID:20260308T090000Z\r\nDTSTART:20260308T100000Z\r\nEND:VEVENT', 'BEGIN:VTODO\r\nUID:r1\r\nEND:VTODO')))
      .toThrow(/one component type, found VEVENT and VTODO/);
    expect(() => describeObject('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n')).toThrow(/holds no VEVENT or VTODO/);
    expect(() => describeObject('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n')).toThrow(/vCard has no UID/);
    expect(() => describeObject('garbage')).toThrow(/not valid|expected/);
  });

  test('resource names: safe UIDs as they are, anything else hashed (stable, no spaces)', () => {
    expect(resourceName('040000008200E00074C5B7101A82E008', 'VEVENT')).toBe('040000008200E00074C5B7101A82E008.ics');
    const odd = resourceName('a/b c ü', 'VCARD');
    expect(odd).toMatch(/^h-[0-9a-f]{40}\.vcf$/);
    expect(resourceName('a/b c ü', 'VCARD')).toBe(odd);
    expect(resourceName('.hidden', 'VEVENT')).toMatch(/^h-/);
    expect(resourceName('x'.repeat(300), 'VEVENT')).toMatch(/^h-/);
    expect(resourceName('x.ics', 'VEVENT')).toMatch(/^h-/);
  });

  test('target ids carry name and etag; collection slugs are stable and ASCII', () => {
    expect(parseTargetId(targetId('a.ics', '"e 1"'))).toEqual({ name: 'a.ics', etag: '"e 1"' });
    expect(parseTargetId(targetId('a.ics', null))).toEqual({ name: 'a.ics' });
    expect(collectionSlug('calendar', 'Kalender / Müller')).toMatch(/^calendar-kalender-muller-[0-9a-f]{10}$/);
    expect(collectionSlug('tasks', 'Задачи')).toMatch(/^tasks-x-[0-9a-f]{10}$/);
    expect(collectionSlug('tasks', 'Задачи')).not.toBe(collectionSlug('tasks', 'Заметки'));
  });
});

import ICAL from 'ical.js';
import { weeklyRecurBlob } from '../../connectors/kopano/test-support.js';
import { eventToICalendar, taskToICalendar, contactToVCard, groupToVCard } from '../groupware/index.js';
import { uidFromGlobalObjectId } from './global-object-id.js';
import {
  LID, TAG, toCalendarEvent, toContact, toContactGroup, toTask, type MapiGroupwareItem, type MapiPropertyReader, type PropRef,
} from './groupware-item.js';

type Value = string | number | boolean | Date | Buffer | Buffer[];

/** A property reader over a plain list, typed by the value's JS type (as the PST reader types by PT_*). */
function reader(entries: [PropRef, Value][]): MapiPropertyReader {
  const key = (p: PropRef): string => (typeof p === 'number' ? `t${p}` : `${p[0]}:${p[1]}`);
  const map = new Map(entries.map(([k, v]) => [key(k), v]));
  const get = <T>(p: PropRef, ok: (v: Value) => boolean): T | undefined => {
    const v = map.get(key(p));
    return v !== undefined && ok(v) ? (v as T) : undefined;
  };
  return {
    string: (p) => get(p, (v) => typeof v === 'string'),
    number: (p) => get(p, (v) => typeof v === 'number'),
    bool: (p) => get(p, (v) => typeof v === 'boolean'),
    date: (p) => get(p, (v) => v instanceof Date),
    binary: (p) => get(p, (v) => Buffer.isBuffer(v)),
    binaries: (p) => get(p, (v) => Array.isArray(v)),
  };
}

function item(entries: [PropRef, Value][], over: Partial<MapiGroupwareItem> = {}): MapiGroupwareItem {
  return { label: 'test.pst, Calendar, node 42', fallbackUid: 'fallback-42', props: reader(entries), recipients: [], ...over };
}

/** A GlobalObjectId ([MS-OXOCAL] 2.2.1.27) with the given instance date bytes and data. */
function goid(data: Buffer, instance = [0, 0, 0, 0]): Buffer {
  const head = Buffer.from('040000008200E00074C5B7101A82E008', 'hex');
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([head, Buffer.from(instance), Buffer.alloc(8, 0x11), Buffer.alloc(8), size, data]);
}

function oneOff(name: string, addrType: string, address: string): Buffer {
  const head = Buffer.concat([Buffer.alloc(4), Buffer.from('812B1FA4BEA310199D6E00DD010F5402', 'hex'), Buffer.from([0, 0, 0x00, 0x80])]);
  const z = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf16le');
  return Buffer.concat([head, z(name), z(addrType), z(address)]);
}

describe('MAPI global object id → UID', () => {
  it('takes the UID an iCalendar meeting came with (vCal-Uid), else the clean id in hex', () => {
    expect(uidFromGlobalObjectId(goid(Buffer.from('vCal-Uid\x01\x00\x00\x00abc-123@example.org\0', 'latin1')))).toBe('abc-123@example.org');
    const plain = goid(Buffer.from('0123456789abcdef', 'hex'), [0x07, 0xe8, 0x03, 0x04]);
    const uid = uidFromGlobalObjectId(plain)!;
    expect(uid).toBe(uidFromGlobalObjectId(goid(Buffer.from('0123456789abcdef', 'hex')))); // an occurrence's id names its series
    expect(uid).toMatch(/^040000008200E00074C5B7101A82E00800000000[0-9A-F]+0123456789ABCDEF$/);
    expect(uidFromGlobalObjectId(Buffer.alloc(10))).toBeUndefined();
  });
});

describe('MAPI appointment → neutral event → iCalendar', () => {
  const base: [PropRef, Value][] = [
    [TAG.SUBJECT, '\u0001\u0004RE: Planning'], [TAG.BODY, 'Agenda\r\n\r\n'], [LID.location, 'Room 5'],
    [LID.start, new Date('2024-03-04T09:00:00Z')], [LID.end, new Date('2024-03-04T10:00:00Z')],
    [LID.busyStatus, 3], [TAG.SENSITIVITY, 2], [LID.reminderSet, true], [LID.reminderDelta, 30],
    [LID.globalObjectId, goid(Buffer.from('vCal-Uid\x01\x00\x00\x00meeting-1\0', 'latin1'))],
  ];

  it('maps times, organizer, attendees (organizer row left out), reminder, categories, sensitivity, busy status', () => {
    const ev = toCalendarEvent(item(base, {
      organizer: { name: 'Olga', email: 'olga@example.org' }, categories: ['Work'],
      recipients: [
        { name: 'Olga', email: 'olga@example.org', type: 1, flags: 0x3 },
        { name: 'Ann', email: 'ann@example.org', type: 1, trackStatus: 3 },
        { name: 'Bob', email: 'bob@example.org', type: 2 },
        { name: 'Room 5', email: 'room5@example.org', type: 3, trackStatus: 4 },
      ],
    }));
    expect(ev).toMatchObject({
      uid: 'meeting-1', summary: 'RE: Planning', description: 'Agenda', location: 'Room 5',
      start: { utc: new Date('2024-03-04T09:00:00Z') }, end: { utc: new Date('2024-03-04T10:00:00Z') },
      organizer: { name: 'Olga', email: 'olga@example.org' }, reminderMinutes: 30, categories: ['Work'], sensitivity: 'private', busyStatus: 'oof',
    });
    expect(ev.attendees).toEqual([
      { name: 'Ann', email: 'ann@example.org', role: 'required', status: 'accepted' },
      { name: 'Bob', email: 'bob@example.org', role: 'optional', status: 'needs-action' },
      { name: 'Room 5', email: 'room5@example.org', role: 'resource', status: 'declined' },
    ]);
    const vevent = new ICAL.Component(ICAL.parse(eventToICalendar(ev))).getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstPropertyValue('uid')).toBe('meeting-1');
    expect(vevent.getAllProperties('attendee')).toHaveLength(3);
    expect(String(vevent.getFirstPropertyValue('organizer'))).toBe('mailto:olga@example.org');
  });

  it('makes all-day appointments dates and falls back to the item UID without a global object id', () => {
    const ev = toCalendarEvent(item([[LID.start, new Date('2024-03-09T23:00:00Z')], [LID.end, new Date('2024-03-10T23:00:00Z')], [LID.subType, true]]));
    expect(ev.uid).toBe('fallback-42');
    expect(ev.allDay).toBe(true);
    // no zone known: the nearest midnight (a local midnight east of UTC)
    expect(ev.start).toEqual({ utc: new Date('2024-03-10T00:00:00Z'), date: '2024-03-10' });
    expect(ev.end?.date).toBe('2024-03-11');
    const vevent = new ICAL.Component(ICAL.parse(eventToICalendar(ev))).getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstProperty('dtstart')!.type).toBe('date');
  });

  it('expands a recurring appointment: RRULE, EXDATE for the cancelled occurrence', () => {
    const blob = weeklyRecurBlob({ start: '2024-03-04', days: 0x02 | 0x08, count: 10, deleted: ['2024-03-06'], startOffset: 600, endOffset: 660 });
    const ev = toCalendarEvent(item([...base, [LID.recurring, true], [LID.recur, blob]]));
    expect(ev.recurrence).toMatchObject({ freq: 'WEEKLY', byDay: ['MO', 'WE'], count: 10 });
    // no zone definition: the offset between the pattern's local 10:00 and the 09:00Z start → UTC+1
    expect(ev.start).toEqual({ utc: new Date('2024-03-04T09:00:00Z'), tzid: 'Etc/GMT-1' });
    expect(ev.deletedOccurrences?.map((d) => d.utc.toISOString())).toEqual(['2024-03-06T09:00:00.000Z']);
    const cal = new ICAL.Component(ICAL.parse(eventToICalendar(ev)));
    const vevent = cal.getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstPropertyValue('rrule')!.toString()).toContain('BYDAY=MO,WE');
    expect(vevent.getAllProperties('exdate')).toHaveLength(1);
  });

  it('names the item and the reason for what it cannot map', () => {
    expect(() => toCalendarEvent(item([[TAG.SUBJECT, 'x']]))).toThrow(/test\.pst, Calendar, node 42: appointment without a valid start time/);
    expect(() => toCalendarEvent(item([[LID.start, new Date('2024-03-04T09:00:00Z')], [LID.recurring, true]]))).toThrow(/node 42: recurring, but without a recurrence pattern/);
    expect(() => toCalendarEvent(item([[LID.start, new Date('2024-03-04T09:00:00Z')], [LID.recurring, true], [LID.recur, Buffer.from([1, 2, 3])]])))
      .toThrow(/node 42: unreadable recurrence blob/);
    expect(() => toCalendarEvent(item([[LID.start, new Date('2024-03-04T09:00:00Z')], [LID.end, new Date('2024-03-04T08:00:00Z')]]))).toThrow(/ends .* before it starts/);
  });
});

describe('MAPI task → VTODO', () => {
  it('maps status, percent, dates, priority', () => {
    const t = toTask(item([
      [TAG.SUBJECT, 'Report'], [LID.taskStatus, 1], [LID.percent, 0.25], [LID.taskStart, new Date('2024-03-04T00:00:00Z')],
      [LID.taskDue, new Date('2024-03-08T00:00:00Z')], [TAG.IMPORTANCE, 2],
    ], { categories: ['Q1'] }));
    expect(t).toMatchObject({
      uid: 'fallback-42', summary: 'Report', status: 'in-process', percentComplete: 25, priority: 'high', categories: ['Q1'],
      start: { date: '2024-03-04' }, due: { date: '2024-03-08' },
    });
    const done = toTask(item([[TAG.SUBJECT, 'Done'], [LID.taskComplete, true], [LID.taskCompleted, new Date('2024-03-05T10:00:00Z')], [LID.percent, 0.5]]));
    expect(done).toMatchObject({ status: 'completed', percentComplete: 100, completed: new Date('2024-03-05T10:00:00Z') });
    const vtodo = new ICAL.Component(ICAL.parse(taskToICalendar(done))).getFirstSubcomponent('vtodo')!;
    expect(vtodo.getFirstPropertyValue('status')).toBe('COMPLETED');
    expect(vtodo.getFirstPropertyValue('percent-complete')).toBe(100);
  });
});

describe('MAPI contact and distribution list → vCard', () => {
  it('maps names, e-mails 1–3 (not Exchange DNs), phones, addresses, company, birthday, notes, photo', () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(8)]);
    const c = toContact(item([
      [TAG.DISPLAY_NAME, 'Jane Q. Doe'], [TAG.GIVEN, 'Jane'], [TAG.SURNAME, 'Doe'], [TAG.MIDDLE, 'Q.'],
      [['address', 0x8082], 'SMTP'], [['address', 0x8083], 'jane@example.org'],
      [['address', 0x8092], 'EX'], [['address', 0x8093], '/o=Org/ou=Admin/cn=Recipients/cn=jane'],
      [['address', 0x80a2], 'SMTP'], [['address', 0x80a3], 'jane@home.example'],
      [TAG.BUSINESS_PHONE, '+49 30 1'], [TAG.MOBILE, '+49 170 2'], [TAG.HOME_PHONE, '+49 30 1'],
      [LID.workStreet, 'Main St 1'], [LID.workCity, 'Berlin'], [TAG.HOME_CITY, 'Potsdam'],
      [TAG.COMPANY, 'ACME'], [TAG.TITLE, 'CTO'], [TAG.BIRTHDAY, new Date('1980-05-31T22:00:00Z')], [TAG.BODY, 'Met at FOSDEM\r\n'],
    ], { contactPhoto: { data: png } }));
    expect(c.emails).toEqual([{ address: 'jane@example.org', preferred: true }, { address: 'jane@home.example' }]);
    expect(c.phones).toEqual([{ number: '+49 30 1', kind: 'work' }, { number: '+49 170 2', kind: 'cell' }]);
    expect(c.addresses).toEqual([
      { kind: 'work', street: 'Main St 1', city: 'Berlin', region: undefined, postalCode: undefined, country: undefined },
      { kind: 'home', street: undefined, city: 'Potsdam', region: undefined, postalCode: undefined, country: undefined },
    ]);
    expect(c).toMatchObject({ company: 'ACME', title: 'CTO', birthday: '1980-06-01', notes: 'Met at FOSDEM', photo: { mimeType: 'image/png' } });
    const card = new ICAL.Component(ICAL.parse(contactToVCard(c)));
    expect(card.getFirstPropertyValue('fn')).toBe('Jane Q. Doe');
    expect(card.getAllProperties('email')).toHaveLength(2);
    expect(card.getFirstProperty('photo')).not.toBeNull();
  });

  it('turns a distribution list into a group vCard of its one-off members', () => {
    const g = toContactGroup(item([
      [LID.dlName, 'Team'], [LID.dlOneOffMembers, [oneOff('Ann', 'SMTP', 'ann@example.org'), oneOff('Bob', 'EX', '/o=Org/cn=bob')]],
    ]));
    expect(g).toEqual({ uid: 'fallback-42', displayName: 'Team', members: [{ email: 'ann@example.org', name: 'Ann' }, { email: undefined, name: 'Bob' }], notes: undefined });
    const out = groupToVCard(g);
    expect(out.skipped).toEqual(['Bob']);
    const card = new ICAL.Component(ICAL.parse(out.text));
    expect(card.getAllProperties('x-addressbookserver-member').map((p) => p.getFirstValue())).toEqual(['mailto:ann@example.org']);
    expect(() => toContactGroup(item([]))).toThrow(/node 42: distribution list without a name/);
  });
});

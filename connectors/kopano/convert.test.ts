import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import ICAL from 'ical.js';
import { type KopanoItem, KopanoUserBackup } from './backup-reader.js';
import { classFits, convertItem, kindOfContainerClass } from './item-content.js';
import { type MapiProp, PSETID, PropList } from './mapi-props.js';
import { flatEntryListAddresses } from '../../mappings/mapi/entry-ids.js';
import { toCalendarEvent, toContact, toTask } from './to-groupware.js';
import { TAG, toMailMessage } from '../../mappings/mapi/to-mail.js';
import { fixtureMissing, kopanoFixture, weeklyRecurBlob, prerequisiteMissing } from './test-support.js';

const item = (props: MapiProp[], recipients: MapiProp[][] = []): KopanoItem => ({
  sourcekey: 'AB01', props: new PropList(props), recipients: recipients.map((r) => new PropList(r)), attachments: [],
});
const oneOff = (name: string, type: string, addr: string) => Buffer.concat([
  Buffer.alloc(4), Buffer.from('812B1FA4BEA310199D6E00DD010F5402', 'hex'), Buffer.from([0, 0, 0x00, 0x80]),
  Buffer.from(`${name}\0${type}\0${addr}\0`, 'utf16le'),
]);
const addrText = (a: AddressObject | AddressObject[] | undefined): string => (Array.isArray(a) ? a.map((x) => x.text).join(', ') : a?.text ?? '');

describe('Kopano MAPI properties → neutral models (pure)', () => {
  it('takes SMTP addresses for Exchange-type senders and recipients, by recipient type', () => {
    const m = toMailMessage(item([
      { tag: TAG.SENT_REPRESENTING_NAME, value: 'Bob' }, { tag: TAG.SENT_REPRESENTING_ADDRTYPE, value: 'ZARAFA' },
      { tag: TAG.SENT_REPRESENTING_EMAIL, value: 'bob' }, { tag: TAG.SENT_REPRESENTING_SMTP_ADDRESS, value: 'bob@example.com' },
      { tag: TAG.MESSAGE_FLAGS, value: 1 }, { tag: TAG.LAST_VERB, value: 102 }, { tag: TAG.IMPORTANCE, value: 2 },
    ], [
      [{ tag: TAG.RECIPIENT_TYPE, value: 1 }, { tag: TAG.DISPLAY_NAME, value: 'To One' }, { tag: TAG.ADDRTYPE, value: 'EX' }, { tag: TAG.EMAIL_ADDRESS, value: '/o=x/cn=one' }, { tag: TAG.SMTP_ADDRESS, value: 'one@example.com' }],
      [{ tag: TAG.RECIPIENT_TYPE, value: 2 }, { tag: TAG.ADDRTYPE, value: 'SMTP' }, { tag: TAG.EMAIL_ADDRESS, value: 'cc@example.com' }],
      [{ tag: TAG.RECIPIENT_TYPE, value: 3 }, { tag: TAG.DISPLAY_NAME, value: 'Hidden' }, { tag: TAG.ADDRTYPE, value: 'SMTP' }, { tag: TAG.EMAIL_ADDRESS, value: 'bcc@example.com' }],
    ]));
    expect(m.from).toEqual({ name: 'Bob', address: 'bob@example.com' });
    expect(m.to).toEqual([{ name: 'To One', address: 'one@example.com' }]);
    expect(m.cc).toEqual([{ address: 'cc@example.com' }]);
    expect(m.bcc).toEqual([{ name: 'Hidden', address: 'bcc@example.com' }]);
    expect([m.read, m.answered, m.forwarded, m.importance]).toEqual([true, true, false, 'high']);
  });

  it('turns a recurring appointment into RRULE + EXDATE in its zone; without its pattern it is refused', async () => {
    const appt = (blob?: Buffer) => item([
      { tag: TAG.MESSAGE_CLASS, value: 'IPM.Appointment' }, { tag: TAG.SUBJECT, value: 'Weekly' },
      { tag: 0x80010040, value: new Date('2024-03-04T09:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820d } },
      { tag: 0x80020040, value: new Date('2024-03-04T10:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820e } },
      { tag: 0x8003000b, value: true, named: { guid: PSETID.Appointment, kind: 'id', id: 0x8223 } },
      ...(blob ? [{ tag: 0x80040102, value: blob, named: { guid: PSETID.Appointment, kind: 'id' as const, id: 0x8216 } }] : []),
    ]);
    expect(() => toCalendarEvent(appt())).toThrow(/appointment AB01: recurring, but without a recurrence pattern/);
    const blob = weeklyRecurBlob({ start: '2024-03-04', days: 0x02 | 0x08, count: 10, deleted: ['2024-03-06'], startOffset: 600, endOffset: 660 });
    const ev = toCalendarEvent(appt(blob));
    // No zone definition: the fixed offset between the local pattern and the UTC start (+1 h).
    expect(ev.start).toEqual({ utc: new Date('2024-03-04T09:00:00Z'), tzid: 'Etc/GMT-1' });
    const ics = (await convertItem(appt(blob), 'event')).content.toString('utf8');
    expect(ics).toMatch(/RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE;WKST=MO|RRULE:FREQ=WEEKLY;.*BYDAY=MO,WE/);
    expect(ics).toMatch(/EXDATE/);
  });

  it('rounds all-day appointments to their date whatever the zone offset', () => {
    const ev = toCalendarEvent(item([
      { tag: 0x80010040, value: new Date('2020-03-09T23:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820d } },
      { tag: 0x80020040, value: new Date('2020-03-10T23:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820e } },
      { tag: 0x8003000b, value: true, named: { guid: PSETID.Appointment, kind: 'id', id: 0x8215 } },
    ]));
    expect([ev.allDay, ev.start.date, ev.end?.date]).toEqual([true, '2020-03-10', '2020-03-11']);
  });

  it('reads Reply-To from the one-off entries of PR_REPLY_RECIPIENT_ENTRIES, skipping address-book entry ids', () => {
    const entries = [oneOff('Help Desk', 'SMTP', 'help@example.org'), Buffer.concat([Buffer.alloc(4), Buffer.from('AC21A95040D3EE48B319FBA753304425', 'hex'), Buffer.from([1, 2, 3])])];
    const flat = Buffer.concat([
      Buffer.from(new Uint32Array([entries.length, 0]).buffer),
      ...entries.map((e) => Buffer.concat([Buffer.from(new Uint32Array([e.length]).buffer), e, Buffer.alloc((4 - (e.length % 4)) % 4)])),
    ]);
    expect(flatEntryListAddresses(flat)).toEqual([{ name: 'Help Desk', address: 'help@example.org' }]);
    expect(toMailMessage(item([{ tag: TAG.REPLY_RECIPIENT_ENTRIES, value: flat }])).replyTo).toEqual([{ name: 'Help Desk', address: 'help@example.org' }]);
  });

  it('takes the contact photo attachment', () => {
    const c = toContact({ ...item([{ tag: TAG.DISPLAY_NAME, value: 'Jane' }]), attachments: [
      { props: new PropList([{ tag: 0x7fff000b, value: true }, { tag: TAG.ATTACH_MIME_TAG, value: 'image/png' }]), data: Buffer.from('PNGDATA') },
    ] });
    expect(c.photo).toEqual({ mimeType: 'image/png', data: Buffer.from('PNGDATA') });
  });

  it('turns a distribution list into a group vCard from its one-off members', async () => {
    const dl = item([
      { tag: TAG.MESSAGE_CLASS, value: 'IPM.DistList' }, { tag: TAG.DISPLAY_NAME, value: 'Team' },
      { tag: 0x80011102, value: [oneOff('Jane Doe', 'SMTP', 'jane@example.org'), oneOff('Bob', 'SMTP', 'bob@example.org')], named: { guid: PSETID.Address, kind: 'id', id: 0x8054 } },
    ]);
    const vcf = (await convertItem(dl, 'contact')).content.toString('utf8');
    expect(vcf).toContain('FN:Team');
    expect(vcf).toMatch(/X-ADDRESSBOOKSERVER-KIND:group/);
    expect(vcf).toContain('jane@example.org');
    expect(vcf).toContain('bob@example.org');
  });

  it('maps container classes to kinds and message classes into their containers only', () => {
    expect(['IPF.Note', undefined, 'IPF.Appointment', 'IPF.Contact', 'IPF.Task', 'IPF.StickyNote', 'IPF.Journal'].map(kindOfContainerClass))
      .toEqual(['mail', 'mail', 'event', 'contact', 'task', undefined, undefined]);
    expect(classFits('mail', 'IPM.Note.SMIME')).toBe(true);
    expect(classFits('mail', 'REPORT.IPM.Note.NDR')).toBe(true);
    expect(classFits('mail', 'IPM.StickyNote')).toBe(false);
    expect(classFits('mail', 'IPM.Appointment')).toBe(false);
    expect(classFits('event', 'IPM.Appointment')).toBe(true);
    expect(classFits('contact', 'IPM.DistList')).toBe(true);
    expect(classFits('mail', 'IPM.DistList')).toBe(false);
  });
});

describe('Kopano backup items → MIME / iCalendar / vCard (fixture)', () => {
  const fixture = kopanoFixture();
  if (!fixture) {
    prerequisiteMissing(fixtureMissing());
    return;
  }
  const backup = new KopanoUserBackup(join(fixture, 'testuser'));
  const folder = (p: string) => backup.folders().find((f) => f.path.join('/') === p)!;
  const items = (p: string) => backup.itemIds(folder(p)).map((id) => backup.readItem(folder(p), id));

  it('rebuilds the Inbox mails: transport headers, attachments on overflow pages, HTML body, embedded message, flags', async () => {
    const [report, fwd] = items('Inbox');
    const a = await convertItem(report!, 'mail');
    const pa = await simpleParser(a.content);
    expect(pa.subject).toBe('Quarterly report – draft');
    expect(pa.messageId).toBe('<20200114081455.GA1234@example.org>');
    expect(pa.from?.value[0]).toMatchObject({ name: 'Alice Example', address: 'alice@example.org' });
    expect(pa.headers.get('received')).toBeDefined();
    expect(pa.attachments.map((x) => [x.filename, x.size])).toEqual([['report-q4.csv', 29], ['random.bin', 12288]]);
    expect(a.flags).toEqual(['\\Seen', '\\Answered']); // PR_LAST_VERB_EXECUTED 102 (replied)
    expect(a.internalDate?.toISOString()).toBe('2020-01-14T08:15:02.000Z');

    const b = await convertItem(fwd!, 'mail');
    const pb = await simpleParser(b.content);
    expect(pb.subject).toBe('Fwd: Original message');
    expect(pb.html).toContain('<');
    expect(b.flags).toEqual(['\\Flagged']);
    const embedded = pb.attachments.find((x) => x.contentType === 'message/rfc822');
    expect(embedded).toBeDefined();
    const inner = await simpleParser(embedded!.content);
    expect(inner.subject).toBe('Original message');
    expect(inner.text).toContain('This is the forwarded original.');
  });

  it('rebuilds headers from properties when there are no transport headers (Sent Items)', async () => {
    const [sent] = items('Sent Items');
    const p = await simpleParser((await convertItem(sent!, 'mail')).content);
    expect(p.subject).toBe('Re: Quarterly report – draft');
    expect(addrText(p.to)).toContain('alice@example.org');
    expect(addrText(p.cc).length).toBeGreaterThan(0);
    expect(p.date).toBeInstanceOf(Date);
  });

  it('turns the appointment into a VEVENT with its named properties', async () => {
    const [appt] = items('Calendar');
    const ev = toCalendarEvent(appt!);
    expect(ev).toMatchObject({ summary: 'Team meeting', location: 'Room 101', busyStatus: 'busy', reminderMinutes: 15, categories: ['Work', 'Blue category'] });
    const ics = (await convertItem(appt!, 'event')).content.toString('utf8');
    const vevent = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstPropertyValue('summary')).toBe('Team meeting');
    expect(vevent.getFirstPropertyValue('location')).toBe('Room 101');
    expect((vevent.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString()).toBe('2020-03-10T13:00:00.000Z');
    expect((vevent.getFirstPropertyValue('dtend') as ICAL.Time).toJSDate().toISOString()).toBe('2020-03-10T14:00:00.000Z');
  });

  it('turns the contact into a vCard and the task into a VTODO', async () => {
    const [contact] = items('Contacts');
    expect(toContact(contact!)).toMatchObject({ displayName: 'Jane Doe', givenName: 'Jane', familyName: 'Doe', company: 'ACME GmbH', birthday: '1980-05-17', emails: [{ address: 'jane@example.org' }], categories: ['Customers'] });
    const vcf = (await convertItem(contact!, 'contact')).content.toString('utf8');
    expect(vcf).toMatch(/^BEGIN:VCARD/);
    expect(vcf).toContain('jane@example.org');
    expect(vcf).toContain('+49 170 7654321');
    const [task] = items('Tasks');
    expect(toTask(task!)).toMatchObject({ summary: 'Renew certificates', status: 'in-process', percentComplete: 50, priority: 'high', due: { date: '2020-05-29' } });
    const ics = (await convertItem(task!, 'task')).content.toString('utf8');
    const vtodo = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vtodo')!;
    expect(vtodo.getFirstPropertyValue('percent-complete')).toBe(50);
    expect(vtodo.getFirstPropertyValue('status')).toBe('IN-PROCESS');
  });

  it('a mail item in a calendar container is a per-item error naming the class', async () => {
    const [mail] = items('Inbox');
    await expect(convertItem(mail!, 'event')).rejects.toThrow(/message class "IPM.Note" is not migrated into a event container/);
  });
});

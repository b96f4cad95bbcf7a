/**
 * A reference mailbox for tests, the demo and benchmarks: mail in several folders (localized
 * well-known folders, a nested custom folder), a weekly meeting across the 2024 DST change with
 * one moved and one cancelled occurrence, a single and an all-day event, contacts (one with a
 * photo), a distribution list and tasks; optionally malformed items.
 */
import type { EwsSim } from './server.js';
import { addCalendarItem, addContact, addDistributionList, addMessage, addTask, weekly } from './items.js';
import type { SimItem } from './store.js';

export interface SeededMailbox {
  smtp: string;
  messages: SimItem[];
  meeting: SimItem;
  contacts: SimItem[];
  tasks: SimItem[];
  folders: { inbox: string; sent: string; q3: string; calendar: string; contacts: string; tasks: string };
}

export function mime(i: number, extra = ''): string {
  return `From: Sender ${i} <s${i}@example.net>\r\nTo: alice@example.org\r\nSubject: Nachricht ${i}\r\n`
    + `Message-ID: <m${i}@example.net>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n`
    + `Content-Type: text/plain; charset=utf-8\r\n\r\nBody ${i} ${extra}\r\n`;
}

/** 10:00 Berlin local on a 2024 day, as UTC ISO (CEST from 31 March). */
export function berlin(day: string, hour = 10): string {
  const summer = day >= '2024-03-31' && day < '2024-10-27';
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)), hour - (summer ? 2 : 1))).toISOString().replace('.000Z', 'Z');
}

export function seedMailbox(sim: EwsSim, smtp: string, opts: { locale?: 'en' | 'de' | 'fr'; messages?: number; malformed?: boolean } = {}): SeededMailbox {
  const s = sim.store;
  s.addMailbox(smtp, opts.locale ?? 'de');
  const inbox = s.folder(smtp, 'inbox').id;
  const sent = s.folder(smtp, 'sentitems').id;
  const projects = s.addFolder(smtp, 'Projekte', { parentId: inbox });
  const q3 = s.addFolder(smtp, 'Q3', { parentId: projects.id }).id;
  const calendar = s.folder(smtp, 'calendar').id;
  const contacts = s.folder(smtp, 'contacts').id;
  const tasks = s.folder(smtp, 'tasks').id;
  const messages: SimItem[] = [];
  const n = opts.messages ?? 8;
  for (let i = 0; i < n; i++) {
    const folder = i % 4 === 1 ? sent : i % 4 === 3 ? q3 : inbox;
    messages.push(addMessage(s, smtp, folder, {
      mime: mime(i), subject: `Nachricht ${i}`, received: new Date(Date.UTC(2024, 0, 1 + i, 10)).toISOString(),
      isRead: i % 2 === 0, flagged: i % 3 === 0, categories: i === 0 ? ['Rot', 'Überfällig'] : undefined,
    }));
  }
  const meeting = addCalendarItem(s, smtp, calendar, {
    uid: '040000008200E00074C5B7101A82E00800000000C0FFEE0000000000000000001000000051A8D8F2E1B3A94D9B4D5E6F7A8B9C0D',
    subject: 'Wochenbesprechung', body: 'Agenda folgt', location: 'Raum 1', start: berlin('2024-03-18'), end: berlin('2024-03-18', 11),
    timeZone: 'W. Europe Standard Time', organizer: { email: smtp, name: 'Alice' },
    required: [{ email: 'bob@example.org', name: 'Bob', response: 'Accept' }], optional: [{ email: 'carol@example.org', response: 'Tentative' }],
    reminderMinutes: 15, categories: ['Team'], recurrence: weekly(['Monday'], '2024-03-18', 6),
    modified: [{ originalStart: berlin('2024-04-01'), start: berlin('2024-04-02', 14), end: berlin('2024-04-02', 15), subject: 'Wochenbesprechung (verschoben)' }],
    deleted: [berlin('2024-04-08')], lastModified: '2024-03-10T08:00:00Z',
  });
  addCalendarItem(s, smtp, calendar, { uid: 'single-1@example.org', subject: 'Zahnarzt', start: '2024-05-02T07:00:00Z', end: '2024-05-02T08:00:00Z', timeZone: 'W. Europe Standard Time', sensitivity: 'Private' });
  addCalendarItem(s, smtp, calendar, { uid: 'allday-1@example.org', subject: 'Betriebsausflug', start: '2024-06-06T22:00:00Z', end: '2024-06-07T22:00:00Z', timeZone: 'W. Europe Standard Time', allDay: true, freeBusy: 'OOF' });
  const people = [
    addContact(s, smtp, contacts, {
      displayName: 'Jörg Müller', givenName: 'Jörg', surname: 'Müller', emails: ['joerg@example.de', 'j.mueller@home.example'],
      phones: [{ key: 'BusinessPhone', number: '+49 30 1234' }, { key: 'MobilePhone', number: '+49 170 999' }],
      addresses: [{ key: 'Business', street: 'Hauptstraße 1', city: 'Köln', postalCode: '50667', country: 'Deutschland' }],
      company: 'ACME GmbH', department: 'F&E', jobTitle: 'Leiter', birthday: '1980-02-29T00:00:00Z', notes: 'Zeile 1\nZeile 2', categories: ['VIP'],
      photo: { contentType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]) },
    }),
    addContact(s, smtp, contacts, { displayName: 'Ann Lee', givenName: 'Ann', surname: 'Lee', emails: ['ann@example.com'] }),
  ];
  addDistributionList(s, smtp, contacts, { displayName: 'Team', members: [{ name: 'Ann Lee', email: 'ann@example.com' }, { name: 'Bob', email: 'bob@example.org' }] });
  const todo = [
    addTask(s, smtp, tasks, { subject: 'Bericht schreiben', due: '2024-05-10T00:00:00Z', status: 'InProgress', percentComplete: 50, importance: 'High' }),
    addTask(s, smtp, tasks, { subject: 'Erledigt', status: 'Completed', completed: '2024-04-01T12:00:00Z', start: '2024-03-01T00:00:00Z' }),
  ];
  if (opts.malformed) {
    addMessage(s, smtp, inbox, { mime: undefined, subject: 'no MIME' });
    addMessage(s, smtp, inbox, { mime: mime(99), subject: 'unconvertible', failWith: 'ErrorMimeContentConversionFailed' });
    addCalendarItem(s, smtp, calendar, { uid: 'bad-date@example.org', subject: 'Kaputt', start: 'not-a-date', end: '2024-01-01T00:00:00Z' });
    addContact(s, smtp, contacts, { displayName: 'Bad Birthday', birthday: '31.02.1980' });
  }
  return { smtp, messages, meeting, contacts: people, tasks: todo, folders: { inbox, sent, q3, calendar, contacts, tasks } };
}

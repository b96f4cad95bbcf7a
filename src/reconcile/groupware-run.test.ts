import pino from 'pino';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { openMailboxPair, runJob } from '../engine/job.js';
import type { CollectionComparison } from './groupware-compare.js';
import { windowAround } from './groupware-expand.js';
import { isCollectionRef, reconcileCollection } from './groupware-run.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';

const log = pino({ level: 'silent' });
const options = testJobOptions({ filters: { maxMessageSize: 1024 * 1024 }, batchSize: 3, byteBudget: 1024 * 1024, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
const job = { source: { login: 'alice' }, target: { login: 'alice' } };
const window = windowAround(new Date('2026-06-01T00:00:00Z'), 2, 5);
const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

const weekly = crlf([
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Microsoft Corporation//Outlook 16.0//EN', 'METHOD:PUBLISH',
  'BEGIN:VEVENT', 'UID:standup@example.org', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Standup',
  'DTSTART;TZID=Europe/Berlin:20260105T093000', 'DTEND;TZID=Europe/Berlin:20260105T094500', 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z',
  'EXDATE;TZID=Europe/Berlin:20260107T093000', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:standup@example.org', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260112T093000',
  'SUMMARY:Standup (late)', 'DTSTART;TZID=Europe/Berlin:20260112T110000', 'DTEND;TZID=Europe/Berlin:20260112T111500', 'END:VEVENT',
  'END:VCALENDAR',
]);
const holiday = crlf([
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:holiday@example.org', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Holiday',
  'DTSTART;VALUE=DATE:20250501', 'DTEND;VALUE=DATE:20250502', 'RRULE:FREQ=YEARLY', 'END:VEVENT', 'END:VCALENDAR',
]);
const todo = crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VTODO', 'UID:todo@example.org', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Report', 'DUE;VALUE=DATE:20260310', 'STATUS:NEEDS-ACTION', 'END:VTODO', 'END:VCALENDAR']);
const card = crlf(['BEGIN:VCARD', 'VERSION:3.0', 'UID:jd@example.org', 'FN:John Doe', 'N:Doe;John;;;', 'EMAIL;TYPE=INTERNET:john@example.org', 'TEL;TYPE=WORK:+49 30 1234', 'END:VCARD']);

const tmp = useTempStateStore('ums-gw-rec');

/** Runs reconcile's groupware part the way the command does: every collection of the plan with its source containers. */
async function reconcileAll(src: MemorySource, tgt: MemoryTarget): Promise<CollectionComparison[]> {
  const pair = await openMailboxPair({ sources: src, targets: tgt }, job, options);
  const existing = new Set(await pair.target.list());
  const out: CollectionComparison[] = [];
  for (const f of pair.plan.folders.filter((x) => x.included && isCollectionRef(x.target))) {
    const containers = pair.containers.filter((c) => c.id === f.sourceId);
    out.push(await reconcileCollection(pair.source, pair.target, f.target, containers, existing.has(f.target), { window }));
  }
  return out.sort((a, b) => a.target.localeCompare(b.target));
}

function seed(src: MemorySource): void {
  src.add(['Calendar'], weekly, { kind: 'event' });
  src.add(['Calendar'], holiday, { kind: 'event' });
  src.add(['Tasks'], todo, { kind: 'task' });
  src.add(['Contacts'], card, { kind: 'contact' });
}

describe('reconcile/groupware through the engine', () => {
  test('after a run every calendar, task list and address book is equal, to the occurrence', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src);
    const before = await reconcileAll(src, tgt);
    expect(before.map((c) => [c.target, c.diffs.map((d) => `${d.kind} ${d.uid}`)])).toEqual([
      ['addressbook:Contacts', ['missing jd@example.org']],
      ['calendar:Calendar', ['missing holiday@example.org', 'missing standup@example.org']],
      ['tasks:Tasks', ['missing todo@example.org']],
    ]);
    const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, [job], options);
    expect(r.failed).toBe(0);
    const after = await reconcileAll(src, tgt);
    expect(after.map((c) => [c.target, c.matched, c.diffs])).toEqual([
      ['addressbook:Contacts', 1, []], ['calendar:Calendar', 2, []], ['tasks:Tasks', 1, []],
    ]);
    // Standup: Mondays and Wednesdays of 2026 but one; the holiday 2025 … 2031, on both sides.
    expect(after.find((c) => c.target === 'calendar:Calendar')?.instancesCompared).toBe(2 * (103 + 7));
  });

  test('an object altered in the UMS is named: the shifted day, the lost override and the changed address', async () => {
    const src = new MemorySource();
    const tgt = new MemoryTarget();
    seed(src);
    await runJob({ store: tmp.store, sources: src, targets: tgt, log }, [job], options);
    for (const m of tgt.folders.get('calendar:Calendar')?.messages ?? []) {
      const text = m.content.toString();
      m.content = Buffer.from(text.includes('holiday@') ? text.replace(/20250501/, '20250430').replace(/20250502/, '20250501')
        : text.replace(/BEGIN:VEVENT\r\nUID:standup@example.org\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID[^]*?END:VEVENT\r\n/, ''));
    }
    const contacts = tgt.folders.get('addressbook:Contacts')?.messages[0];
    if (contacts) contacts.content = Buffer.from(contacts.content.toString().replace('john@example.org', 'john@example.com'));
    const result = await reconcileAll(src, tgt);
    const cal = result.find((c) => c.target === 'calendar:Calendar');
    const holidayDiff = cal?.diffs.find((d) => d.uid === 'holiday@example.org');
    expect(holidayDiff?.fields?.map((f) => f.field)).toEqual(['DTEND', 'DTSTART']);
    expect(holidayDiff?.instances?.slice(0, 2)).toEqual([
      { kind: 'extra', start: '2025-04-30', allDay: true, summary: 'Holiday' },
      { kind: 'missing', start: '2025-05-01', allDay: true, summary: 'Holiday' },
    ]);
    const standup = cal?.diffs.find((d) => d.uid === 'standup@example.org');
    expect(standup?.fields?.map((f) => [f.field, f.source, f.target])).toEqual([['RECURRENCE-ID', '2026-01-12T08:30:00Z', undefined]]);
    expect(standup?.instances?.map((i) => `${i.kind} ${i.start}`)).toEqual(['extra 2026-01-12T08:30:00Z', 'missing 2026-01-12T10:00:00Z']);
    const ab = result.find((c) => c.target === 'addressbook:Contacts');
    expect(ab?.diffs.map((d) => [d.kind, d.uid, d.fields?.map((f) => f.field)])).toEqual([['changed', 'jd@example.org', ['EMAIL']]]);
    expect(result.find((c) => c.target === 'tasks:Tasks')?.diffs).toEqual([]);
  });
});

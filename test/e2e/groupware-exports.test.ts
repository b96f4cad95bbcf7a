/**
 * Ordinary calendar and contact exports (test/support/groupware-exports.ts: an Exchange/Outlook
 * export of 100+ events in one VCALENDAR, a Google export, Outlook tasks, vCard 2.1 from Outlook,
 * Apple 3.0, Thunderbird without UIDs) as a kopano-tree → engine → a real CalDAV/CardDAV server.
 * Every object arrives on its own, on the same days and times; the objects that cannot be
 * repaired (an unknown zone, a journal entry) fail alone with the reason; a re-run writes nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ICAL from 'ical.js';
import pino from 'pino';
import { DavTarget, type DavMailbox } from '../../connectors/dav/index.js';
import { resourceName } from '../../connectors/dav/objects.js';
import { SplitTarget } from '../../connectors/split-target.js';
import { KopanoTreeSource } from '../../connectors/kopano/tree-source.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { windowAround } from '../../src/reconcile/groupware-expand.js';
import { reconcileCollection } from '../../src/reconcile/groupware-run.js';
import { DAV_SERVERS } from '../lab/dav-servers.js';
import { observePuts, putViolations } from '../support/caldav-profile.js';
import { exportTree, PHOTO } from '../support/groupware-exports.js';
import { MemoryTarget } from '../support/memory-connectors.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';

const log = pino({ level: 'silent' });
const options = (): JobOptions => testJobOptions({ batchSize: 25, writersPerTask: 4, tasks: 3, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 10 }, sync: { flags: true, deletions: 'ignore' } });

const tmp = useTempStateStore('gw-exports');

async function objectsOf(mb: DavMailbox, ref: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of mb.objects(ref)) out.push(o.content.toString('utf8'));
  return out;
}

function parse(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text));
}

/** Instances of the series in one calendar object: start (UTC, or the date for all-day) and summary. */
function instances(text: string, max = 50): { start: string; summary: string }[] {
  const cal = parse(text);
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  try {
    const vevents = cal.getAllSubcomponents('vevent');
    const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
    for (const v of vevents) if (v.hasProperty('recurrence-id')) master.relateException(v);
    const it = master.iterator();
    const out: { start: string; summary: string }[] = [];
    for (let next = it.next(); next && out.length < max; next = it.next()) {
      const d = master.getOccurrenceDetails(next);
      out.push({ start: d.startDate.isDate ? d.startDate.toString() : d.startDate.toJSDate().toISOString(), summary: d.item.summary });
    }
    return out;
  } finally {
    ICAL.TimezoneService.reset();
  }
}

const uidOf = (text: string): string => {
  const c = parse(text);
  return String((c.name === 'vcard' ? c : c.getFirstSubcomponent('vevent') ?? c.getFirstSubcomponent('vtodo'))?.getFirstPropertyValue('uid'));
};

test.each(DAV_SERVERS)('calendar and contact exports of real clients → $name: every object on its own, same days, failures named, re-run writes nothing', async (entry) => {
  const root = join(tmp.dir, 'tree');
  const { files, expected } = exportTree(100);
  for (const f of files) {
    mkdirSync(dirname(join(root, 'alice', f.path)), { recursive: true });
    writeFileSync(join(root, 'alice', f.path), f.content);
  }
  const lab = await entry.start();
  const user = await lab.createUser('exports');
  const dav = new DavTarget({ url: lab.tlsUrl, allowInsecure: false, tlsVerify: true, maxConnections: 4, ca: readFileSync(lab.caFile, 'utf8') }, log);
  const puts = observePuts(dav.http);
  const targets = new SplitTarget(new MemoryTarget(), dav);
  const src = new KopanoTreeSource(root, log);
  const job = [{ source: { login: 'alice' }, target: user }];
  try {
    const r1 = await runJob({ store: tmp.store, sources: src, targets, log }, job, options());
    expect(r1.mailboxes[0]?.error).toBeUndefined();
    const problems = await tmp.store.problems();
    // Exactly the objects that cannot be repaired fail, each alone, with a reason naming it.
    expect(problems).toHaveLength(expected.failures.length);
    for (const f of expected.failures) {
      const hit = problems.find((p) => p.itemId.startsWith(`${f.file.replace(/^.*\//, '')}#`) && (p.reason ?? '').includes(f.contains));
      expect({ failure: f, found: hit !== undefined, problems: problems.map((p) => `${p.itemId}: ${p.reason}`) }).toMatchObject({ found: true });
    }
    expect(r1.copied).toBe(expected.counts.events + expected.counts.tasks + expected.counts.contacts);

    const mb = (await dav.openMailbox(user)) as DavMailbox;
    const calendar = await objectsOf(mb, 'calendar:Calendar');
    const team = await objectsOf(mb, 'calendar:Team');
    const tasks = await objectsOf(mb, 'tasks:Tasks');
    const contacts = await objectsOf(mb, 'addressbook:Contacts');
    expect(calendar.length + team.length).toBe(expected.counts.events);
    expect(tasks).toHaveLength(expected.counts.tasks);
    expect(contacts).toHaveLength(expected.counts.contacts);
    for (const text of [...calendar, ...team, ...tasks]) {
      expect(text).not.toMatch(/^METHOD:/m);
      const cal = parse(text);
      const uids = new Set(cal.getAllSubcomponents().filter((c) => c.name !== 'vtimezone').map((c) => c.getFirstPropertyValue('uid')));
      expect(uids.size).toBe(1);
      // Every TZID used has its VTIMEZONE in the object.
      const zones = new Set(cal.getAllSubcomponents('vtimezone').map((z) => z.getFirstPropertyValue('tzid')));
      for (const m of text.matchAll(/;TZID=("[^"]*"|[^:;]*)/g)) expect(zones.has((m[1] as string).replace(/^"|"$/g, ''))).toBe(true);
    }
    const byUid = new Map([...calendar, ...team].map((t) => [uidOf(t), t]));

    // Weekly Tuesday 09:00 Berlin across the DST change; 16 March cancelled; 30 March moved to 31 March 14:00.
    expect(instances(byUid.get('weekly-jour-fixe') as string)).toEqual([
      { start: '2027-03-02T08:00:00.000Z', summary: 'Jour fixe' },
      { start: '2027-03-09T08:00:00.000Z', summary: 'Jour fixe' },
      { start: '2027-03-23T08:00:00.000Z', summary: 'Jour fixe' },
      { start: '2027-03-31T12:00:00.000Z', summary: 'Jour fixe (moved)' },
      { start: '2027-04-06T07:00:00.000Z', summary: 'Jour fixe' },
      { start: '2027-04-13T07:00:00.000Z', summary: 'Jour fixe' },
      { start: '2027-04-20T07:00:00.000Z', summary: 'Jour fixe' },
    ]);
    // The all-day series: the moved occurrence attaches (not shown twice), the EXDATE holds.
    expect(instances(byUid.get('allday-rota') as string)).toEqual([
      { start: '2027-04-05', summary: 'Rufbereitschaft' },
      { start: '2027-04-13', summary: 'Rufbereitschaft (getauscht)' },
      { start: '2027-04-26', summary: 'Rufbereitschaft' },
    ]);
    // Zones given by display name and by offset land at the same instants.
    expect(instances(byUid.get('display-name-zone') as string)[0]?.start).toBe('2027-07-05T08:00:00.000Z');
    expect(instances(byUid.get('offset-zone') as string)[0]?.start).toBe('2027-01-10T07:00:00.000Z');
    // Google: the daily standup with its moved occurrence, in New York time.
    expect(instances(byUid.get('7kukuqrfedlm2f9t0vr42q2jsn@google.com') as string).map((i) => i.start)).toEqual([
      '2027-01-04T15:00:00.000Z', '2027-01-05T15:00:00.000Z', '2027-01-06T20:00:00.000Z', '2027-01-07T15:00:00.000Z', '2027-01-08T15:00:00.000Z',
    ]);

    // Contacts: every card has a UID and FN; 2.1 text decoded from its code page; the photo's bytes kept.
    const cards = contacts.map(parse);
    expect(cards.every((c) => !!c.getFirstPropertyValue('uid') && !!c.getFirstPropertyValue('fn'))).toBe(true);
    const juergen = cards.find((c) => String(c.getFirstPropertyValue('fn')).includes('rgen'));
    expect(juergen?.getFirstPropertyValue('fn')).toBe('J\u00fcrgen M\u00fcller');
    const photo = juergen?.getFirstProperty('photo');
    const photoValue = String(photo?.getFirstValue() ?? '');
    expect(Buffer.from(photoValue.replace(/^data:[^,]*,/, ''), 'base64').equals(PHOTO)).toBe(true);

    // A second run: nothing new, nothing written; made-up UIDs are the same as before.
    const uidsBefore = contacts.map(uidOf).sort();
    // reconcile, to the occurrence: every collection equal, except the two objects that could not be
    // repaired, which it names as unreadable on the source side with the reason.
    const sourceMb = await src.openMailbox({ login: 'alice' });
    const containers = await sourceMb.containers();
    const window = windowAround(new Date('2027-06-01T00:00:00Z'), 2, 5);
    const refs: [string, string][] = [['calendar:Calendar', 'Calendar'], ['calendar:Team', 'Team'], ['tasks:Tasks', 'Tasks'], ['addressbook:Contacts', 'Contacts']];
    let compared = 0;
    for (const [ref, id] of refs) {
      const cmp = await reconcileCollection(sourceMb, mb, ref, containers.filter((c) => c.id === id), true, { window });
      compared += cmp.instancesCompared;
      const unexplained = cmp.diffs.filter((d) => d.kind !== 'unreadable');
      expect({ ref, unexplained }).toEqual({ ref, unexplained: [] });
      expect(cmp.matched).toBe(cmp.targetCount);
      const unreadable = cmp.diffs.filter((d) => d.kind === 'unreadable').map((d) => d.reason ?? '');
      expect(unreadable).toEqual(expected.failures.filter((f) => f.file.startsWith(`${id}/`)).map((f) => expect.stringContaining(f.contains)));
    }
    expect(compared).toBeGreaterThan(200);

    // …and it sees damage on the server: the all-day series shifted by one day (as a UTC fall-back
    // would do it) and the moved jour-fixe occurrence lost are each named, to the occurrence.
    const calUrl = new URL((await mb.ensure('calendar:Calendar')).epoch, lab.tlsUrl);
    const rota = byUid.get('allday-rota') as string;
    const shifted = rota.replace(/DTSTART;VALUE=DATE:20270405/, 'DTSTART;VALUE=DATE:20270404').replace(/DTEND;VALUE=DATE:20270406/, 'DTEND;VALUE=DATE:20270405');
    const jour = byUid.get('weekly-jour-fixe') as string;
    const jourCal = parse(jour);
    for (const v of jourCal.getAllSubcomponents('vevent')) if (v.hasProperty('recurrence-id')) jourCal.removeSubcomponent(v);
    const lost = jourCal.toString();
    expect(lost).not.toContain('RECURRENCE-ID');
    for (const [uid, text] of [['allday-rota', shifted], ['weekly-jour-fixe', lost]] as const) {
      const res = await dav.http.request({ method: 'PUT', url: new URL(resourceName(uid, 'VEVENT'), calUrl), headers: { 'Content-Type': 'text/calendar; charset=utf-8' }, body: text }, user);
      expect(res.status).toBeLessThan(300);
    }
    const damaged = await reconcileCollection(sourceMb, mb, 'calendar:Calendar', containers.filter((c) => c.id === 'Calendar'), true, { window });
    const named = new Map(damaged.diffs.filter((d) => d.kind === 'changed').map((d) => [d.uid, d]));
    expect([...named.keys()].sort()).toEqual(['allday-rota', 'weekly-jour-fixe']);
    expect(named.get('allday-rota')?.instances).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'missing', start: expect.stringContaining('2027-04-05'), allDay: true }),
      expect.objectContaining({ kind: 'extra', start: expect.stringContaining('2027-04-04'), allDay: true }),
    ]));
    expect(named.get('weekly-jour-fixe')?.instances).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'missing', start: expect.stringContaining('2027-03-31') }),
      expect.objectContaining({ kind: 'extra', start: expect.stringContaining('2027-03-30') }),
    ]));
    await sourceMb.close();

    // Every object sent passed the CalDAV/CardDAV profile (what sabre/NextCloud enforce, and more).
    expect(putViolations(puts)).toEqual([]);
    const sent = puts.length;
    const r2 = await runJob({ store: tmp.store, sources: src, targets, log }, job, options());
    expect([r2.copied, r2.failed]).toEqual([0, expected.failures.length]);
    expect(puts).toHaveLength(sent);
    expect((await objectsOf(mb, 'addressbook:Contacts')).map(uidOf).sort()).toEqual(uidsBefore);
    await mb.close();
  } finally {
    await src.close();
    await targets.close();
  }
}, 300_000);

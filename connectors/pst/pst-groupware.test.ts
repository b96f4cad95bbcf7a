/**
 * PST calendar and contact items → iCalendar / vCard, on the shared fixture PSTs, checked against
 * readpst (pst-utils) as the oracle: every item of every calendar/contacts folder converts, parses
 * back with ical.js, and carries the summary, start instant and RRULE (events) or the name and
 * e-mail addresses (contacts) readpst finds. The fixtures hold no task folder: tasks are covered
 * by mappings/mapi/groupware-item.test.ts.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR) and readpst; without them the tests fail saying
 * so, unless UMS_SKIP_ORACLE=1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { wallSeries } from '../../mappings/mapi/test-support.js';
import { pstGroupwareContent } from './pst-groupware.js';
import { openPst } from './pst-reader.js';
import { fixturesDir, oracleSkipped, oracleUnavailable } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = oracleUnavailable();

const FILES = [
  'ansi/go-pst-32-bit.pst', 'ansi/hiraoka-contacts97-2002.pst', 'unicode/aspose-Outlook.pst', 'unicode/aspose-SampleContacts.pst',
  'unicode/hiraoka-contacts.pst', 'unicode/java-libpst-dist-list.pst', 'ost/aspose-SampleOstFile.ost',
];

interface Converted { events: ICAL.Component[]; cards: ICAL.Component[]; groups: ICAL.Component[]; texts: string[] }

async function convert(file: string): Promise<Converted> {
  const out: Converted = { events: [], cards: [], groups: [], texts: [] };
  const r = await openPst(file);
  try {
    for await (const f of r.folders()) {
      const kind = /^IPF\.Appointment/i.test(f.containerClass) ? 'event' : /^IPF\.Contact/i.test(f.containerClass) ? 'contact' : /^IPF\.Task/i.test(f.containerClass) ? 'task' : undefined;
      if (!kind) continue;
      for await (const m of r.messages(f)) {
        const { content } = pstGroupwareContent(kind, m.raw, `${file} node ${m.nodeId}`, `pst-${m.nodeId}`);
        const comp = new ICAL.Component(ICAL.parse(content.toString('utf8')));
        if (kind === 'contact') (comp.getFirstPropertyValue('x-addressbookserver-kind') === 'group' ? out.groups : out.cards).push(comp);
        else {
          out.texts.push(content.toString('utf8'));
          out.events.push(...comp.getAllSubcomponents('vevent').filter((v) => !v.hasProperty('recurrence-id')));
        }
      }
    }
  } finally {
    r.close();
  }
  return out;
}

/** readpst's calendar and contact output (one file per folder, several VCALENDAR/VCARD in it). */
function oracle(file: string): { events: ICAL.Component[]; cards: ICAL.Component[] } {
  const dir = mkdtempSync(join(tmpdir(), 'readpst-gw-'));
  try {
    const r = spawnSync('readpst', ['-q', '-r', '-o', dir, file]);
    if (r.status !== 0) throw new Error(`readpst exited ${r.status} on ${file}`);
    const events: ICAL.Component[] = [];
    const cards: ICAL.Component[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) { walk(full); continue; }
        const text = readFileSync(full, 'utf8');
        if (name === 'calendar') {
          for (const cal of text.split(/(?=BEGIN:VCALENDAR)/).filter((s) => s.trim())) events.push(...new ICAL.Component(ICAL.parse(cal)).getAllSubcomponents('vevent'));
        } else if (name === 'contacts') {
          // readpst writes no VERSION line ical.js needs nothing else from
          for (const card of text.split(/(?=BEGIN:VCARD)/).filter((s) => s.trim())) cards.push(new ICAL.Component(ICAL.parse(card)));
        }
      }
    };
    walk(dir);
    return { events, cards };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const startOf = (v: ICAL.Component): string => (v.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString();
const emailsOf = (c: ICAL.Component): string[] => c.getAllProperties('email').map((p) => String(p.getFirstValue()).toLowerCase()).sort();

maybe('PST groupware items → iCalendar / vCard (readpst as oracle)', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }

  test.each(FILES)('%s', async (rel) => {
    const file = join(fixturesDir(), 'pst', rel);
    const ours = await convert(file);
    const theirs = oracle(file);
    expect(ours.events.length + ours.cards.length + ours.groups.length).toBeGreaterThan(0);
    // readpst writes a distribution list as an (empty) contact: compare the contacts only
    expect(ours.events).toHaveLength(theirs.events.length);
    expect(ours.cards.length).toBeGreaterThanOrEqual(theirs.cards.length - ours.groups.length);
    const key = (v: ICAL.Component) => `${String(v.getFirstPropertyValue('summary') ?? '').trim()}@${startOf(v)}`;
    expect(ours.events.map(key).sort()).toEqual(theirs.events.map(key).sort());
    for (const v of ours.events) {
      const same = theirs.events.find((t) => key(t) === key(v))!;
      const rrule = (c: ICAL.Component) => c.getFirstPropertyValue('rrule') as ICAL.Recur | null;
      expect(rrule(v)?.freq).toBe(rrule(same)?.freq);
      // the same weekdays as readpst (which takes them from the pattern, as Outlook shows them)
      expect(rrule(v)?.parts.BYDAY).toEqual(rrule(same)?.parts.BYDAY);
    }
    // every series shown on its own days at its own local time: DTSTART inside its RRULE
    for (const series of ours.texts.flatMap((t) => wallSeries(t))) {
      expect([series.summary, series.offPattern]).toEqual([series.summary, []]);
      if (series.byDay) expect(series.byDay).toContain(series.start.split(' ')[1]);
    }
    // readpst's FN is the "file as" name (and mis-decodes ANSI CJK): compare the addresses
    expect(ours.cards.map((c) => emailsOf(c).join(',')).sort()).toEqual(
      theirs.cards.map((c) => emailsOf(c).join(',')).filter((e) => ours.cards.some((o) => emailsOf(o).join(',') === e)).sort(),
    );
    for (const c of ours.cards) expect(String(c.getFirstPropertyValue('fn') ?? '')).not.toBe('');
  });

  test('a recurring meeting keeps its zone, its cancelled occurrence and its moved one', async () => {
    const ours = await convert(join(fixturesDir(), 'pst', 'unicode/java-libpst-dist-list.pst'));
    const [master] = ours.events;
    expect(master!.getFirstProperty('dtstart')!.getParameter('tzid')).toBe('America/Los_Angeles');
    expect(startOf(master!)).toBe('2016-08-02T15:00:00.000Z');
    expect(master!.getAllProperties('exdate').map((p) => (p.getFirstValue() as ICAL.Time).toJSDate().toISOString())).toEqual(['2016-08-09T15:00:00.000Z']);
    const cal = master!.parent!;
    const moved = cal.getAllSubcomponents('vevent').filter((v) => v.hasProperty('recurrence-id'));
    expect(moved.map((v) => [(v.getFirstPropertyValue('recurrence-id') as ICAL.Time).toJSDate().toISOString(), startOf(v)]))
      .toEqual([['2016-08-23T15:00:00.000Z', '2016-08-23T16:00:00.000Z'], ['2016-08-30T15:00:00.000Z', '2016-08-30T17:00:00.000Z']]);
    // its moved occurrences are stored as hidden attached messages: not user attachments
    expect(ours.texts.join('')).not.toMatch(/^ATTACH/m);
    expect(ours.groups).toHaveLength(1);
    expect(ours.groups[0]!.getAllProperties('x-addressbookserver-member').map((p) => p.getFirstValue()))
      .toEqual(['mailto:contact1@rjohnson.id.au', 'mailto:dist1@rjohnson.id.au', 'mailto:dist2@rjohnson.id.au']);
  });

  test('a mail item in a calendar folder is an error naming its class', async () => {
    const r = await openPst(join(fixturesDir(), 'pst', 'unicode/aspose-Outlook.pst'));
    try {
      for await (const f of r.folders()) {
        if (!/^(IPF\.Note)?$/.test(f.containerClass) || f.count === 0) continue;
        for await (const m of r.messages(f)) {
          expect(() => pstGroupwareContent('event', m.raw, 'x', 'y')).toThrow(/IPM\.Note item in a calendar folder: not an appointment/);
          return;
        }
      }
      throw new Error('no mail item found in aspose-Outlook.pst');
    } finally {
      r.close();
    }
  });
});

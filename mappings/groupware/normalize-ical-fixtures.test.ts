/**
 * The iCalendar normaliser on the real-world .ics files of the shared fixtures (ical/): every
 * file yields objects or named failures, each object holds one UID, no METHOD, exactly the
 * VTIMEZONEs it references, and comes back unchanged when normalised again.
 * Fixtures: $UMS_FIXTURES (or $UMS_FIXTURES_DIR), else <repo>/../shared/fixtures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeICalendar } from './normalize-ical.js';
import { occurrenceDates, parse, uidsOf, zonesOf } from './ical-test-support.js';

const envDir = process.env.UMS_FIXTURES ?? process.env.UMS_FIXTURES_DIR;
const fixtures = envDir ? resolve(envDir) : fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));
const icalDir = join(fixtures, 'ical');
const files = existsSync(icalDir) ? readdirSync(icalDir).filter((f) => f.endsWith('.ics')).sort() : [];
const read = (name: string) => readFileSync(join(icalDir, name));

describe('normalizeICalendar on the real-world fixtures', () => {
  it('finds the fixtures', () => {
    if (files.length === 0) throw new Error(`no .ics fixtures in ${icalDir}: set UMS_FIXTURES to the shared fixtures directory`);
  });

  it.each(files.length > 0 ? files : ['(none)'])('%s: objects or named failures, one UID each, no METHOD, exactly the zones used, idempotent', (name) => {
    const result = normalizeICalendar(read(name), { source: `ical/${name}` });
    expect(result.objects.length + result.failures.length).toBeGreaterThan(0);
    for (const f of result.failures) {
      expect(f.what).not.toBe('');
      expect(f.reason).not.toBe('');
    }
    for (const o of result.objects) {
      expect(uidsOf(o.text)).toEqual([o.uid]);
      expect(o.text).not.toMatch(/^METHOD/im);
      const zones = zonesOf(o.text);
      expect([...zones.defined].sort()).toEqual(zones.referenced);
      const again = normalizeICalendar(o.text, { source: `ical/${name}` });
      expect(again.objects.map((x) => [x.text, x.repairs])).toEqual([[o.text, []]]);
    }
    expect(normalizeICalendar(read(name), { source: `ical/${name}` })).toEqual(result);
  });

  it('splits the Exchange export into one object per UID, all of its events carried', () => {
    const text = read('exchange-recurring_override.ics').toString('utf8');
    const unfolded = text.replace(/\r?\n[ \t]/g, '');
    const uids = new Set([...unfolded.matchAll(/^UID:(.*?)\r?$/gm)].map((m) => m[1]));
    const result = normalizeICalendar(text, { source: 'export.ics' });
    expect(result.failures).toEqual([]);
    expect(result.objects.map((o) => o.uid).sort()).toEqual([...uids].sort());
    const events = result.objects.reduce((n, o) => n + parse(o.text).getAllSubcomponents('vevent').length, 0);
    expect(events).toBe((text.match(/^BEGIN:VEVENT/gm) ?? []).length);
  });

  it("attaches Exchange's moved all-day occurrence instead of showing it twice", () => {
    const raw = read('exchange-allday-moved-occurrence.ics').toString('utf8');
    expect(occurrenceDates(raw.replace(/^METHOD:.*\r?\n/m, ''), 8)).toContain('2026-02-26');
    const [o] = normalizeICalendar(raw, { source: 'moved.ics' }).objects;
    const dates = occurrenceDates(o!.text, 8);
    expect(dates).not.toContain('2026-02-26');
    expect(dates).toEqual(['2026-02-19', '2026-02-24', '2026-02-27', '2026-03-03', '2026-03-05', '2026-03-10', '2026-03-12', '2026-03-17']);
  });

  it('fails the VJOURNAL and VFREEBUSY of the Apple file by name and carries its events and tasks', () => {
    const result = normalizeICalendar(read('apple-ical-vtodo-vjournal-vfreebusy.ics'), { source: 'apple.ics' });
    expect(result.failures.map((f) => f.reason)).toEqual([
      'not migrated: VJOURNAL (journal entries have no CalDAV collection in the UMS)',
      expect.stringMatching(/^not migrated: VFREEBUSY/),
    ]);
    expect(result.objects.map((o) => o.kind).sort()).toEqual(['event', 'event', 'event', 'task']);
  });

  it('repairs the CDO meeting request (spaces in BYDAY, METHOD:REQUEST, no UID)', () => {
    const [o] = normalizeICalendar(read('exchange-cdo-meeting-request.ics'), { source: 'cdo.ics' }).objects;
    expect(o!.derivedUid).toBe(true);
    expect(o!.text).toMatch(/BYDAY=MO,TU,WE,TH,FR/);
    expect(o!.repairs.some((r) => r.startsWith('METHOD:REQUEST removed'))).toBe(true);
  });
});

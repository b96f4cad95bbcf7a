/**
 * Calendar fidelity against the (unkind by default) simulator, through the engine: a zone given
 * only by its display name, an old GMT display name, an EX organizer, an exception listed beside
 * its master. What arrives is checked on the calendar objects the target received.
 */
import ICAL from 'ical.js';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { addCalendarItem, weekly } from './sim/items.js';
import { EwsSim } from './sim/server.js';
import { EwsSource } from './source.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const BOSS = 'boss@example.org';
const server = setupServer();
let sim: EwsSim;
const tmp = useTempStateStore('ews-fid');

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  sim = new EwsSim();
  sim.addUser('svc', 'pw', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
});

const options = testJobOptions({ filters: { maxMessageSize: 10 * 1024 * 1024 }, batchSize: 4 });

function source(): EwsSource {
  return new EwsSource({
    url: sim.url, auth: { mode: 'basic', username: 'svc', password: 'pw' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
    maxConcurrent: 2, retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000,
  }, log, 2);
}

const vevents = (text: string) => new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent');

test('display-name zones keep dates and weekdays, an EX organizer arrives as SMTP, a listed exception is an override of its master', async () => {
  sim.store.addMailbox(ALICE);
  sim.store.addMailbox(BOSS);
  const cal = sim.store.folder(ALICE, 'calendar').id;
  // All-day in Berlin: midnight local is 22:00 UTC the day before.
  addCalendarItem(sim.store, ALICE, cal, { uid: 'allday-1', subject: 'Holiday', start: '2024-05-09T22:00:00Z', end: '2024-05-10T22:00:00Z', allDay: true, timeZone: 'W. Europe Standard Time' });
  // Monday 18:00 Los Angeles (Tuesday 02:00 UTC), only the old display name, one occurrence moved.
  addCalendarItem(sim.store, ALICE, cal, {
    uid: 'weekly-1', subject: 'Standup', start: '2024-01-09T02:00:00Z', end: '2024-01-09T02:30:00Z', timeZoneName: '(GMT-08:00) Pacific Time (US & Canada); Tijuana',
    recurrence: weekly(['Monday'], '2024-01-08', 6),
    modified: [{ originalStart: '2024-01-16T02:00:00Z', start: '2024-01-16T03:00:00Z', end: '2024-01-16T03:30:00Z', subject: 'Standup (moved)' }],
    organizer: { email: BOSS, name: 'The Boss' }, required: [{ email: ALICE, name: 'Alice', response: 'Accept' }, { email: 'ext@partner.example', name: 'Ext' }],
  });
  const src = source();
  const tgt = new MemoryTarget();
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, [{ source: { login: ALICE }, target: { login: ALICE } }], options);
  expect(r.failed).toBe(0);
  const objects = [...tgt.folders.entries()].filter(([k]) => k.startsWith('calendar:')).flatMap(([, f]) => f.messages.map((m) => m.content.toString('utf8')));
  // Two events: the exception listed beside its master is not a third.
  expect(objects).toHaveLength(2);
  const allDay = objects.find((t) => t.includes('UID:allday-1')) as string;
  expect(String(vevents(allDay)[0]?.getFirstPropertyValue('dtstart'))).toBe('2024-05-10');
  const series = objects.find((t) => t.includes('UID:weekly-1')) as string;
  const [master, override] = vevents(series);
  const dtstart = master?.getFirstProperty('dtstart');
  expect([String(dtstart?.getFirstValue()), dtstart?.getParameter('tzid')]).toEqual(['2024-01-08T18:00:00', 'America/Los_Angeles']);
  expect(String(override?.getFirstPropertyValue('recurrence-id'))).toBe('2024-01-15T18:00:00');
  expect(override?.getFirstPropertyValue('summary')).toBe('Standup (moved)');
  // The EX organizer and attendee were resolved (ResolveNames, each DN once); no X.500 DN as mailto.
  expect(master?.getFirstPropertyValue('organizer')).toBe(`mailto:${BOSS}`);
  expect(master?.getAllProperties('attendee').map((a) => a.getFirstValue()).sort()).toEqual([`mailto:${ALICE}`, 'mailto:ext@partner.example']);
  expect(series).not.toMatch(/mailto:\//i);
  expect(sim.requests.filter((q) => q.operation === 'ResolveNames' && !q.busy)).toHaveLength(2);
  await src.close();
});

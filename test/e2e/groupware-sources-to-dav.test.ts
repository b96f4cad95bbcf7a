/**
 * Every source that carries calendars, tasks and contacts, through the engine into both lab DAV
 * servers (Radicale, and Cyrus as the strict one), then `reconcile`'s groupware comparison: 0
 * differences, to the occurrence, and every PUT within the CalDAV/CardDAV profile.
 *
 * - EWS (the unkind simulator): a seeded mailbox plus a display-name-only all-day event, an old GMT
 *   display-name weekly series with a moved occurrence and EX (X.500) organizer and attendee, and a
 *   "Customized Time Zone" meeting given only by its rules.
 * - PST (fixtures, groupware: true): Outlook's appointments, a weekly series, contacts and a list.
 * - .msg folders (fixtures, groupware: true): series with exceptions, an EST appointment, contacts.
 * - kopano-backup (the fixture backup): its appointments, contacts and tasks.
 * (kopano-tree exports: test/e2e/groupware-exports.test.ts.)
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { DavTarget } from '../../connectors/dav/index.js';
import { addCalendarItem, weekly } from '../../connectors/ews/sim/items.js';
import { seedMailbox } from '../../connectors/ews/sim/seed.js';
import { EwsSim } from '../../connectors/ews/sim/server.js';
import { EwsSource } from '../../connectors/ews/source.js';
import { SplitTarget } from '../../connectors/split-target.js';
import { KopanoBackupSource } from '../../connectors/kopano/index.js';
import { fixtureMissing, kopanoFixture } from '../../connectors/kopano/test-support.js';
import { MsgSource } from '../../connectors/msg/index.js';
import { PstSource } from '../../connectors/pst/index.js';
import { fixturesDir, fixturesUnavailable } from '../../connectors/pst/readpst-oracle.js';
import { openMailboxPair, runJob, type MailboxPair } from '../../src/engine/job.js';
import type { Container, SourceConnector } from '../../src/model/types.js';
import type { CollectionComparison } from '../../src/reconcile/groupware-compare.js';
import { isCollectionRef, reconcileCollection } from '../../src/reconcile/groupware-run.js';
import { DAV_SERVERS, type DavLabServer } from '../lab/dav-servers.js';
import { observePuts, putViolations, type ObservedPut } from '../support/caldav-profile.js';
import { MemoryTarget } from '../support/memory-connectors.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';

const log = pino({ level: 'silent' });
const options = testJobOptions();
/** Wide enough for the fixtures (2004…) and the simulator's dates. */
const WINDOW = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2031, 0, 1) };

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());
const tmp = useTempStateStore('gw-sources');

/**
 * Migrates `source` for one mailbox into the mail memory target + the DAV server, then compares
 * every groupware collection as `reconcile` does. Returns the comparisons and the PUTs.
 */
async function migrateAndReconcile(lab: DavLabServer, sources: SourceConnector, login: string): Promise<{ cols: CollectionComparison[]; puts: ObservedPut[]; failed: number }> {
  const user = await lab.createUser('gwsrc');
  const dav = new DavTarget({ url: lab.tlsUrl, allowInsecure: false, tlsVerify: true, maxConnections: 4, ca: readFileSync(lab.caFile, 'utf8') }, log);
  const puts = observePuts(dav.http);
  const targets = new SplitTarget(new MemoryTarget(), dav);
  const job: MailboxPair = { source: { login }, target: user };
  try {
    const r = await runJob({ store: tmp.store, sources, targets, log }, [job], options);
    expect(r.mailboxes[0]?.error).toBeUndefined();
    const pair = await openMailboxPair({ sources, targets }, job, options);
    const cols: CollectionComparison[] = [];
    try {
      const existing = new Set(await pair.target.list());
      const groups = new Map<string, Container[]>();
      for (const f of pair.plan.folders.filter((x) => x.included && isCollectionRef(x.target))) {
        const c = pair.containers.find((x) => x.id === f.sourceId);
        if (c) groups.set(f.target, [...(groups.get(f.target) ?? []), c]);
      }
      for (const [ref, cs] of groups) cols.push(await reconcileCollection(pair.source, pair.target, ref, cs, existing.has(ref), { window: WINDOW }));
    } finally {
      await pair.source.close();
      await pair.target.close();
    }
    return { cols, puts, failed: r.failed };
  } finally {
    await sources.close();
    await targets.close();
  }
}

/** What differs, readable in a failing test's output. */
const differences = (cols: CollectionComparison[]) => cols.flatMap((c) => c.diffs.map((d) => ({ collection: c.target, ...d })));

describe.each(DAV_SERVERS)('every groupware source → $name, reconciled to the occurrence', (entry) => {
  let lab: DavLabServer;
  beforeAll(async () => {
    lab = await entry.start();
  }, 180_000);

  test('EWS: display-name, old GMT and customized zones, EX organizers, moved occurrences', async () => {
    const ALICE = 'alice@example.org';
    const BOSS = 'boss@example.org';
    const sim = new EwsSim();
    sim.addUser('svc', 'pw', { canImpersonate: true });
    server.resetHandlers(...sim.handlers());
    seedMailbox(sim, ALICE);
    sim.store.addMailbox(BOSS);
    const cal = sim.store.folder(ALICE, 'calendar').id;
    addCalendarItem(sim.store, ALICE, cal, { uid: 'allday-x', subject: 'Feiertag', start: '2024-05-09T22:00:00Z', end: '2024-05-10T22:00:00Z', allDay: true, timeZone: 'W. Europe Standard Time' });
    addCalendarItem(sim.store, ALICE, cal, {
      uid: 'weekly-x', subject: 'Standup', start: '2024-01-09T02:00:00Z', end: '2024-01-09T02:30:00Z', timeZoneName: '(GMT-08:00) Pacific Time (US & Canada); Tijuana',
      recurrence: weekly(['Monday'], '2024-01-08', 6),
      modified: [{ originalStart: '2024-01-16T02:00:00Z', start: '2024-01-16T03:00:00Z', end: '2024-01-16T03:30:00Z', subject: 'Standup (moved)' }],
      organizer: { email: BOSS, name: 'The Boss' }, required: [{ email: ALICE, name: 'Alice', response: 'Accept' }],
    });
    // A zone given only by its rules: UTC+03:30 with no DST, which no Windows name is sent for.
    addCalendarItem(sim.store, ALICE, cal, {
      uid: 'custom-x', subject: 'Custom zone', start: '2024-03-04T06:30:00Z', end: '2024-03-04T07:30:00Z', timeZoneName: 'Customized Time Zone',
      timeZoneDefinition: '<t:Periods><t:Period Bias="-PT3H30M" Name="Standard" Id="Std"/></t:Periods><t:TransitionsGroups><t:TransitionsGroup Id="0"><t:Transition><t:To Kind="Period">Std</t:To></t:Transition></t:TransitionsGroup></t:TransitionsGroups><t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions>',
    });
    const src = new EwsSource({
      url: sim.url, auth: { mode: 'basic', username: 'svc', password: 'pw' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
      maxConcurrent: 2, retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000,
    }, log, 2);
    const { cols, puts, failed } = await migrateAndReconcile(lab, src, ALICE);
    expect(failed).toBe(0);
    expect(cols.map((c) => c.target).sort()).toEqual(['addressbook:Kontakte', 'calendar:Kalender', 'tasks:Aufgaben']);
    expect(differences(cols)).toEqual([]);
    expect(cols.reduce((n, c) => n + c.instancesCompared, 0)).toBeGreaterThan(10);
    expect(putViolations(puts)).toEqual([]);
    expect(puts.map((p) => p.body).join('\n')).not.toMatch(/mailto:\//i);
  }, 180_000);

  /** The shared fixtures are needed: without them a test fails saying where it looked. */
  const needFixtures = () => {
    const problem = fixturesUnavailable();
    if (problem) throw new Error(problem);
  };

  test('PST: appointments, a weekly series, contacts and a distribution list', async () => {
    needFixtures();
    mkdirSync(join(tmp.dir, 'pst', 'alice'), { recursive: true });
    for (const [name, rel] of Object.entries({ 'outlook.pst': 'unicode/aspose-Outlook.pst', 'dist-list.pst': 'unicode/java-libpst-dist-list.pst', 'contacts.pst': 'unicode/aspose-SampleContacts.pst' })) {
      copyFileSync(join(fixturesDir(), 'pst', rel), join(tmp.dir, 'pst', 'alice', name));
    }
    const { cols, puts, failed } = await migrateAndReconcile(lab, new PstSource({ directory: join(tmp.dir, 'pst'), files: '{login}/*.pst', groupware: true }, log), 'alice');
    expect(failed).toBe(0);
    expect(cols.length).toBeGreaterThan(0);
    expect(differences(cols)).toEqual([]);
    expect(cols.reduce((n, c) => n + c.matched, 0)).toBeGreaterThan(5);
    expect(putViolations(puts)).toEqual([]);
  }, 180_000);

  test('.msg folders: appointments (a weekly series with exceptions, EST) and contacts', async () => {
    needFixtures();
    const msg = join(fixturesDir(), 'pst', 'msg');
    mkdirSync(join(tmp.dir, 'msg', 'alice', 'Kalender'), { recursive: true });
    mkdirSync(join(tmp.dir, 'msg', 'alice', 'Kontakte'), { recursive: true });
    for (const n of ['A_weekly_1.msg', 'A_monthly_1.msg', 'Appointment_sample_EST.msg', 'Lanch_time_every_friday_in_2023_chgs2.msg']) copyFileSync(join(msg, n), join(tmp.dir, 'msg', 'alice', 'Kalender', n));
    for (const n of ['contactUnicode.msg', 'contactAnsi.msg']) copyFileSync(join(msg, n), join(tmp.dir, 'msg', 'alice', 'Kontakte', n));
    const { cols, puts, failed } = await migrateAndReconcile(lab, new MsgSource({ directory: join(tmp.dir, 'msg'), folders: '{login}', groupware: true }, log), 'alice');
    expect({ failed, problems: (await tmp.store.problems()).map((p) => `${p.itemId}: ${p.reason}`) }).toEqual({ failed: 0, problems: [] });
    expect(cols.map((c) => c.target).sort()).toEqual(['addressbook:Kontakte', 'calendar:Kalender']);
    expect(differences(cols)).toEqual([]);
    expect(cols.reduce((n, c) => n + c.instancesCompared, 0)).toBeGreaterThan(20);
    expect(putViolations(puts)).toEqual([]);
  }, 180_000);

  test('kopano-backup: appointments, contacts and tasks of the fixture backup', async () => {
    const kopano = kopanoFixture();
    if (!kopano) throw new Error(fixtureMissing());
    const { cols, puts } = await migrateAndReconcile(lab, new KopanoBackupSource(kopano, log), 'testuser');
    expect(cols.length).toBeGreaterThan(0);
    expect(cols.reduce((n, c) => n + c.matched, 0)).toBeGreaterThan(0);
    expect(differences(cols)).toEqual([]);
    expect(putViolations(puts)).toEqual([]);
  }, 180_000);
});


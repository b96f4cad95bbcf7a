/**
 * Hostile iCalendar and vCard objects (groupware-corpus.ts) through the engine into the lab's
 * Radicale (real CalDAV/CardDAV), in one run: each item is written as one clean object inside its
 * own collection (no raw control character stored, no resource outside the collection) or fails
 * alone with a reason; counts add up; the reconciliation of the same collections finds nothing the
 * run did not explain; a collection named with terminal escapes gets a clean display name. The
 * recurrence bombs (endless per-second rules) are reconciled against the in-memory target: the
 * expansion is cut, not run forever (Radicale itself spends a minute on one, see test/lab/README.md).
 */
import ICAL from 'ical.js';
import pino from 'pino';
import { DavTarget } from '../../connectors/dav/index.js';
import { davObjectOf } from '../../connectors/dav/objects.js';
import { itemSeed, normalizeGroupware, type NormalizedObject } from '../../mappings/groupware/normalize.js';
import { collectionRef } from '../../mappings/groupware-collections.js';
import { runJob, type JobReport } from '../../src/engine/job.js';
import type { TargetMailbox } from '../../src/model/types.js';
import { windowAround } from '../../src/reconcile/groupware-expand.js';
import { reconcileCollection } from '../../src/reconcile/groupware-run.js';
import type { CollectionComparison } from '../../src/reconcile/groupware-compare.js';
import type { FailedItemRow } from '../../src/state/store.js';
import { createDavUser, startRadicale } from '../lab/radicale.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../support/memory-connectors.js';
import { hostileObjects, type HostileObject } from './groupware-corpus.js';
import { TERMINAL_ATTACKS, unsafeSpots } from './payloads.js';

const log = pino({ level: 'silent' });
const FOLDER = { event: 'Kalender', task: 'Aufgaben', contact: 'Kontakte' } as const;
const REF = { event: collectionRef('calendar', 'Kalender'), task: collectionRef('tasks', 'Aufgaben'), contact: collectionRef('addressbook', 'Kontakte') } as const;
const EVIL_CALENDAR = `Team${TERMINAL_ATTACKS.titleChange}${TERMINAL_ATTACKS.rtlOverride}`;
const cases = hostileObjects().filter((c) => !c.bomb);
const bombs = hostileObjects().filter((c) => c.bomb);
const state = useTempStateStore('hostile-dav');

let report: JobReport;
let problems: FailedItemRow[];
/** Stored objects by collection ref: resource id → text. */
const stored = new Map<string, Map<string, string>>();
const reconciled = new Map<string, CollectionComparison>();
let collections: string[];
/** Source item id of each case (MemorySource UIDs count per folder). */
const itemIds: string[] = [];

// Everything happens once, in the first test's state store (useTempStateStore is per test): one run.
test('one run over every hostile object finishes, and its counts add up', async () => {
  const radicale = await startRadicale();
  const user = await createDavUser('hostile');
  const src = new MemorySource();
  for (const c of cases) itemIds.push(String(src.add([FOLDER[c.kind]], c.text, { kind: c.kind }).uid));
  src.add(['Team', EVIL_CALENDAR.slice(4)], `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//h//EN\r\nBEGIN:VEVENT\r\nUID:evil-cal@x\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`, { kind: 'event' });
  const dav = new DavTarget({ url: radicale.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 }, log);
  const job = [{ source: { login: 'hostile' }, target: user }];
  let mb: TargetMailbox | undefined;
  try {
    report = await runJob({ store: state.store, sources: src, targets: dav, log }, job, testJobOptions({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }));
    problems = (await state.store.problems()).filter((p) => p.status !== 'done');
    mb = await dav.openMailbox(user);
    collections = await mb.list();
    const window = windowAround(new Date('2025-01-01T00:00:00Z'), 2, 5);
    const containers = await src.containers();
    for (const ref of collections) {
      const objects = new Map<string, string>();
      for await (const o of mb.objects?.(ref) ?? []) objects.set(o.id, o.content.toString('utf8'));
      stored.set(ref, objects);
      const from = containers.filter((c) => (c.path[0] === 'Team' ? ref.startsWith('calendar:Team') : ref === REF[c.kind as keyof typeof REF]));
      reconciled.set(ref, await reconcileCollection(src, mb, ref, from, true, { window, maxIterations: 5000 }));
    }
  } finally {
    await mb?.close();
    await dav.close();
  }
  expect(report.failedMailboxes).toBe(0);
  expect(report.failedContainers).toBe(0);
  expect(report.copied + report.failed + report.skipped).toBe(cases.length + 1);
  expect(problems).toHaveLength(report.failed + report.skipped);
  const written = [...stored.values()].reduce((n, m) => n + m.size, 0);
  expect(written).toBe(report.copied);
}, 120_000);

describe('each hostile object is written clean inside its collection, or fails alone with a reason', () => {
  test.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i] as HostileObject;
    const problem = problems.find((p) => p.path === FOLDER[c.kind] && p.itemId === itemIds[i]);
    if (problem) {
      expect({ copy: c.copy === true, reason: problem.reason }).toEqual({ copy: false, reason: expect.stringMatching(/\S{3}/) });
      return;
    }
    // The object the DAV target wrote for this item: its name comes from the normalised UID.
    const [object] = normalizeGroupware(c.text, { source: itemSeed(REF[c.kind], itemIds[i] as string) }).objects;
    expect(object).toBeDefined();
    const name = davObjectOf(object as NormalizedObject).name;
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._@=+-]*\.(ics|vcf)$/);
    const text = [...(stored.get(REF[c.kind]) ?? new Map<string, string>()).entries()].find(([id]) => id.split(' ')[0] === name)?.[1];
    expect({ name, stored: text !== undefined }).toEqual({ name, stored: true });
    // RFC 5545/6350 CONTROL: no C0 but tab (line ends aside), no DEL.
    // eslint-disable-next-line no-control-regex
    const controls = (text ?? '').replace(/\r?\n/g, '').match(/[\x00-\x08\x0a-\x1f\x7f]/g) ?? [];
    expect({ name, controls }).toEqual({ name, controls: [] });
    expect(() => ICAL.parse(text ?? '')).not.toThrow();
  });
});

test('the reconciliation finds no difference but the items the run reported as failed', () => {
  const failed = new Set(problems.map((p) => `${p.path}/${p.itemId}`));
  for (const [ref, r] of reconciled) {
    const unexplained = r.diffs.filter((d) => !((d.kind === 'missing' || d.kind === 'unreadable') && (d.sources ?? []).length > 0 && (d.sources ?? []).every((o) => failed.has(o))));
    expect({ ref, unexplained: unexplained.map((d) => `${d.kind} ${d.uid ?? ''} ${(d.sources ?? []).join(',')} ${d.reason ?? ''} ${JSON.stringify(d.fields ?? [])}`) }).toEqual({ ref, unexplained: [] });
  }
  expect(reconciled.size).toBe(collections.length);
});

test.each(bombs.map((b) => [b.name, b] as const))('recurrence bomb %s: copied, and its reconciliation is cut at the cap', async (_name, bomb) => {
  const src = new MemorySource();
  src.add(['Kalender'], bomb.text, { kind: 'event' });
  const tgt = new MemoryTarget();
  const job = [{ source: { login: 'bomb' }, target: { login: 'bomb' } }];
  const r = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, testJobOptions());
  expect([r.copied, r.failed]).toEqual([1, 0]);
  const [container] = await src.containers();
  const cmp = await reconcileCollection(src, tgt, REF.event, [container!], true, { window: windowAround(new Date('2025-01-01T00:00:00Z'), 2, 5), maxIterations: 5000 });
  expect(cmp.diffs.map((d) => d.kind)).toEqual([]);
  expect(cmp.matched).toBe(1);
});

test('a collection named with terminal escapes and a bidi override gets a clean display name', () => {
  const team = collections.filter((ref) => ref.startsWith('calendar:Team'));
  expect(team).toHaveLength(1);
  expect(unsafeSpots(team[0] as string)).toEqual([]);
});

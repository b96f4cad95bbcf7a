import type { SqliteStateStore } from '../src/state/sqlite.js';
import type { ThroughputRow } from '../src/state/store.js';
import { batchOf, buildProgressReport, redactAddresses, type ProgressReport } from './model.js';
import { fixtureStore, HOSTILE, readInput } from './test-fixture.js';

const NOW = new Date('2025-06-02T13:00:00.000Z');
let store: SqliteStateStore;
let cleanup: () => Promise<void>;
let report: ProgressReport;

beforeAll(async () => {
  ({ store, cleanup } = await fixtureStore());
  report = buildProgressReport(await readInput(store, NOW));
});
afterAll(async () => cleanup());

const mailbox = (source: string) => {
  const m = report.mailboxes.find((x) => x.source === source);
  if (!m) throw new Error(`no mailbox ${source}`);
  return m;
};

describe('buildProgressReport from a real state store', () => {
  test('state per mailbox', () => {
    expect(report.mailboxes.map((m) => [m.source, m.state])).toEqual([
      [HOSTILE, 'done'],
      ['alice@example.com', 'done'],
      ['bob@example.com', 'failed'],
      ['carol@other.org', 'running'],
      ['dave@other.org', 'pending'],
      ['erin@other.org', 'failed'],
    ]);
  });

  test('items, bytes, folders, errors per mailbox', () => {
    expect(mailbox('alice@example.com')).toMatchObject({
      batch: 'example.com', target: 'alice@ums.example',
      folders: { done: 2, failed: 0, total: 2 },
      items: { mail: { done: 120, total: 120 }, events: { done: 0, total: 0 }, contacts: { done: 0, total: 0 }, tasks: { done: 0, total: 0 } },
      bytes: { mail: { done: 1_200_000, total: 1_200_000 } },
      progress: 1, failedItems: 0, skippedItems: 0, errors: 0, etaSeconds: 0,
    });
    expect(mailbox('bob@example.com')).toMatchObject({
      folders: { done: 0, failed: 0, total: 1 }, items: { mail: { done: 30, total: 50 } }, bytes: { mail: { done: 300_000, total: 500_000 } },
      progress: 0.6, failedItems: 2, errors: 2,
    });
    expect(mailbox('carol@other.org')).toMatchObject({ items: { mail: { done: 10, total: 40 } }, progress: 0.25, errors: 0 });
    expect(mailbox('dave@other.org')).toMatchObject({
      items: { mail: { done: 0, total: 25 } }, progress: 0, throughput: null, recentThroughput: null, etaSeconds: null, firstActivityAt: null,
    });
    expect(mailbox('erin@other.org')).toMatchObject({ folders: { done: 0, failed: 1, total: 1 }, errors: 1, etaSeconds: null });
    expect(mailbox(HOSTILE)).toMatchObject({ batch: 'evil.test', items: { mail: { done: 4, total: 5 } }, progress: 0.8, skippedItems: 1, errors: 0 });
  });

  test('throughput and ETA come from the written items', () => {
    const carol = mailbox('carol@other.org');
    expect(carol.throughput).toBeGreaterThan(0);
    expect(carol.recentThroughput).toBeGreaterThan(0);
    // 40 total - 10 done = 30 left at the recent pace.
    expect(carol.etaSeconds).toBe(Math.round(30 / (carol.recentThroughput as number)));
    const lastSync = mailbox('alice@example.com').lastSyncAt as string;
    expect(lastSync).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(lastSync) - Date.now())).toBeLessThan(60_000);
  });

  test('batches group by the domain of the source login', () => {
    expect(report.batchGrouping).toBe('source-domain');
    expect(report.batches.map((b) => [b.name, b.mailboxes, b.items.mail.done, b.items.mail.total, b.states])).toEqual([
      ['evil.test', 1, 4, 5, { pending: 0, running: 0, done: 1, failed: 0 }],
      ['example.com', 2, 150, 170, { pending: 0, running: 0, done: 1, failed: 1 }],
      ['other.org', 3, 10, 75, { pending: 1, running: 1, done: 0, failed: 1 }],
    ]);
    expect(report.batches[1]?.progress).toBeCloseTo(150 / 170, 10);
    expect(report.batches[2]?.errors).toBe(1);
  });

  test('totals', () => {
    const t = report.totals;
    expect(t).toMatchObject({
      mailboxes: 6,
      states: { pending: 1, running: 1, done: 2, failed: 2 },
      folders: { done: 3, failed: 1, total: 7 },
      items: { mail: { done: 164, total: 250 } },
      bytes: { mail: { done: 1_640_000, total: 2_500_000 } },
      failedItems: 2, skippedItems: 1, errors: 3,
    });
    expect(t.progress).toBeCloseTo(164 / 250, 10);
    expect(t.lastSyncAt).toBe(report.mailboxes.map((m) => m.lastSyncAt ?? '').sort().at(-1));
    expect(report.generatedAt).toBe('2025-06-02T13:00:00.000Z');
    expect(report.schemaVersion).toBe(2);
  });

  test('the throughput series holds every written item', () => {
    expect(report.throughput.points.reduce((n, p) => n + p.items, 0)).toBe(164);
    expect(report.throughput.points.reduce((n, p) => n + p.bytes, 0)).toBe(1_640_000);
    expect(report.throughput.bucketSeconds).toBe(1);
  });

  test('problem reasons are counted, with addresses redacted', () => {
    expect(report.problemReasons).toEqual([
      { status: 'failed', reason: 'NO [OVERQUOTA] Mailbox is full for <address>', count: 2, mailboxes: 1 },
      { status: 'skipped', reason: 'larger than filters.maxMessageSize', count: 1, mailboxes: 1 },
    ]);
  });
});

describe('buildProgressReport: rates over active periods (known times)', () => {
  // The store stamps rows with the wall clock, so these series are made with known times; the
  // mailboxes are still the real store's.
  const min = (day: number, hh: number, mm: number) => `2025-06-0${day}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`;
  const rows: ThroughputRow[] = [
    // bob: 2 minutes on day 1, 1 minute on day 2 (the day between is a pause, not active time).
    { mailbox: 'bob@example.com', at: min(1, 10, 0), items: 60, bytes: 600 },
    { mailbox: 'bob@example.com', at: min(1, 10, 1), items: 60, bytes: 600 },
    { mailbox: 'bob@example.com', at: min(2, 10, 0), items: 60, bytes: 600 },
    // carol: 20 minutes on day 2, 30 items a minute, then 90 in the last 10 minutes.
    ...Array.from({ length: 20 }, (_, i): ThroughputRow => ({ mailbox: 'carol@other.org', at: min(2, 12, i), items: i < 10 ? 30 : 90, bytes: 1000 })),
  ];
  let r: ProgressReport;
  beforeAll(async () => {
    r = buildProgressReport({ ...(await readInput(store, NOW)), throughput: rows, bucketSeconds: 60 });
  });

  test('msg/s over the active period, recent pace, ETA', () => {
    const bob = r.mailboxes.find((m) => m.source === 'bob@example.com');
    // 180 items in 180 active seconds; recent = last active period: 60 in 60 s; 50 - 30 = 20 left.
    expect(bob).toMatchObject({ throughput: 1, recentThroughput: 1, etaSeconds: 20, firstActivityAt: '2025-06-01T10:00:00.000Z' });
    const carol = r.mailboxes.find((m) => m.source === 'carol@other.org');
    // 1200 items in 1200 s; the last 600 s: 900 items → 1.5/s; 40 - 10 = 30 left → 20 s.
    expect(carol).toMatchObject({ throughput: 1, recentThroughput: 1.5, etaSeconds: 20 });
  });

  test('totals: all mailboxes together', () => {
    // Active: 120 s (day 1) + 60 s + 1200 s (day 2) = 1380 s for 1380 items. Recent: 1.5/s.
    // Left: bob 20 + carol 30 + dave 25 + erin 10 = 85 → 85 / 1.5 = 56.7 s.
    expect(r.totals).toMatchObject({ throughput: 1, recentThroughput: 1.5, etaSeconds: 57, firstActivityAt: '2025-06-01T10:00:00.000Z' });
  });

  test('the chart series is re-bucketed to at most 60 points, gaps as zeros', () => {
    // 26 h 20 min → 30-minute buckets: day 1 10:00 … day 2 12:00 = 53 points.
    expect(r.throughput.bucketSeconds).toBe(1800);
    expect(r.throughput.points).toHaveLength(53);
    expect(r.throughput.points[0]).toEqual({ at: '2025-06-01T10:00:00.000Z', items: 120, bytes: 1200, itemsPerSecond: 120 / 1800 });
    expect(r.throughput.points[1]).toEqual({ at: '2025-06-01T10:30:00.000Z', items: 0, bytes: 0, itemsPerSecond: 0 });
    expect(r.throughput.points[48]).toMatchObject({ at: '2025-06-02T10:00:00.000Z', items: 60 });
    expect(r.throughput.points[52]).toMatchObject({ at: '2025-06-02T12:00:00.000Z', items: 1200, bytes: 20_000 });
    expect(r.throughput.points[52]?.itemsPerSecond).toBeCloseTo(1200 / 1800, 10);
  });
});

describe('buildProgressReport: edge cases', () => {
  test('an empty store', () => {
    const r = buildProgressReport({ generatedAt: NOW, mailboxes: [], containers: [], problems: [], throughput: [] });
    expect(r.mailboxes).toEqual([]);
    expect(r.batches).toEqual([]);
    expect(r.throughput).toEqual({ bucketSeconds: 1, points: [] });
    expect(r.totals).toMatchObject({ mailboxes: 0, progress: 0, throughput: null, etaSeconds: null, lastSyncAt: null });
  });

  test('a mailbox nothing has counted yet: pending, ETA unknown (not 0)', () => {
    const r = buildProgressReport({
      generatedAt: NOW, containers: [], problems: [], throughput: [],
      mailboxes: [{ id: 0, source: 'new@x.example', target: 'new@x.example', containers: 0, containersDone: 0, containersFailed: 0,
        totalItems: 0, totalBytes: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, updatedAt: null }],
    });
    expect(r.mailboxes[0]).toMatchObject({ state: 'pending', progress: 0, etaSeconds: null, lastSyncAt: null });
    expect(r.totals).toMatchObject({ etaSeconds: null, states: { pending: 1, running: 0, done: 0, failed: 0 } });
  });

  test('batchOf', () => {
    expect(batchOf('Alice@Example.COM')).toBe('example.com');
    expect(batchOf('weird@name@corp.example')).toBe('corp.example');
    expect(batchOf('localuser')).toBe('(no domain)');
    expect(batchOf('trailing@')).toBe('(no domain)');
  });

  test('redactAddresses', () => {
    expect(redactAddresses('NO rejected <john.doe@corp.example>, mail from a.b@c.de: spam')).toBe('NO rejected <address>, mail from <address>: spam');
    expect(redactAddresses('NO [OVERQUOTA] quota exceeded (12 > 10 MB)')).toBe('NO [OVERQUOTA] quota exceeded (12 > 10 MB)');
  });
});

/**
 * Issue 17 for EWS against the simulator (msw, in-process): folders are named by their display
 * names with parents wherever a person reads them (progress events, the job report, the store's
 * inventory), never by the base64 FolderId; mail, events, contacts and tasks are counted apart;
 * a refused login names the account that was refused (the service account when impersonating).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import pino from 'pino';
import type { EngineEvent } from '../../src/engine/events.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { summarise } from '../../src/commands/run.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import type { EwsAuth, EwsEndpoint } from './client.js';
import { seedMailbox } from './sim/seed.js';
import { EwsSim } from './sim/server.js';
import { EwsSource } from './source.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const options: JobOptions = {
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 4, writersPerTask: 2, tasks: 3, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 10 },
};
const job = [{ source: { login: ALICE }, target: { login: ALICE } }];
const FOLDER_ID = /[A-Za-z0-9+/]{24,}={0,2}/;

let sim: EwsSim;
const server = setupServer();
let dir: string;
let store: SqliteStateStore;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(async () => {
  sim = new EwsSim({ busyRate: 0 });
  sim.addUser('svc-migrate', 'S3cret!', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
  dir = mkdtempSync(join(tmpdir(), 'ews-names-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function endpoint(auth: EwsAuth = { mode: 'basic', username: 'svc-migrate', password: 'S3cret!' }, over: Partial<EwsEndpoint> = {}): EwsEndpoint {
  return {
    url: sim.url, auth, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1', maxConcurrent: 4,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000, ...over,
  };
}

test('folders go by their display names with parents in events, the report and the inventory; kinds are counted apart', async () => {
  seedMailbox(sim, ALICE);
  const src = new EwsSource(endpoint(), log, 3);
  const events: EngineEvent[] = [];
  try {
    const r = await runJob({ store, sources: src, targets: new MemoryTarget(), log, onEvent: (e) => events.push(e) }, job, options);
    expect(r.failed).toBe(0);
    const started = events.flatMap((e) => (e.type === 'container-start' ? [[e.name, e.kind]] : []));
    expect(started).toEqual(expect.arrayContaining([['Posteingang/Projekte/Q3', 'mail'], ['Posteingang', 'mail'], ['Kalender', 'event'], ['Kontakte', 'contact'], ['Aufgaben', 'task']]));
    for (const [name] of started) expect(name).not.toMatch(FOLDER_ID);
    // ids stay where tools read them (logs, --json), names everywhere a person reads
    expect(events.some((e) => e.type === 'container-start' && FOLDER_ID.test(e.container))).toBe(true);
    expect(r.mailboxes[0]?.containers.map((c) => c.name)).toContain('Posteingang/Projekte/Q3');
    expect(Object.keys(r.kinds)).toEqual(['mail', 'event', 'contact', 'task']);
    expect(r.kinds.mail?.copied).toBe(8);
    expect(r.kinds.event?.copied).toBeGreaterThan(0);
    expect(r.kinds.contact?.copied).toBeGreaterThan(0);
    expect(r.kinds.task?.copied).toBeGreaterThan(0);
    const [inv] = await store.inventory();
    expect(inv?.kinds.map((k) => [k.kind, k.totalItems === k.doneItems, k.totalItems > 0])).toEqual([
      ['mail', true, true], ['event', true, true], ['contact', true, true], ['task', true, true],
    ]);
    const names = (await store.containers()).map((c) => c.name);
    expect(names).toContain('Posteingang/Projekte/Q3');
    for (const n of names) expect(n).not.toMatch(FOLDER_ID);
    // a delta with nothing new: every folder asked (EWS has no cheap "unchanged"), nothing claimed that did not happen
    const noop = await runJob({ store, sources: src, targets: new MemoryTarget(), log }, job, options);
    expect(noop).toMatchObject({ copied: 0, recovered: 0, flagsUpdated: 0, deleted: 0, failed: 0, unchangedContainers: 0, interrupted: false });
    const text = summarise(noop, { config: 'migration.yaml', command: 'sync' });
    const last = text.split('\n').filter((l) => l !== '').at(-1);
    expect(last).toMatch(/^Nothing new: \d+ folders checked in [\d.]+ s\.$/);
  } finally {
    await src.close();
  }
});

test('a refused login names the account that was refused: the service account when impersonating, else the mailbox', async () => {
  seedMailbox(sim, ALICE);
  const wrong = new EwsSource(endpoint({ mode: 'basic', username: 'svc-migrate', password: 'wrong' }), log, 3);
  try {
    const mbx = await wrong.openMailbox({ login: ALICE });
    await expect(mbx.containers()).rejects.toThrow('Exchange refused the login (HTTP 401) of the account svc-migrate, impersonating alice@example.org');
  } finally {
    await wrong.close();
  }
  sim.addUser(ALICE, 'Own-pw-1');
  const own = new EwsSource(endpoint({ mode: 'user' }, { impersonation: false }), log, 3);
  try {
    const mbx = await own.openMailbox({ login: ALICE, password: 'not-it' });
    await expect(mbx.containers()).rejects.toThrow(/refused the login \(HTTP 401\) of the mailbox alice@example\.org \(its own password\)$/);
  } finally {
    await own.close();
  }
});

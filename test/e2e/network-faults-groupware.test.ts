/**
 * Faults on the network path of EWS → CalDAV/CardDAV, through the lab's proxy (test/lab/netproxy.ts)
 * in front of both servers: the EWS simulator served over loopback HTTP (the source) and Radicale
 * (the UMS groupware server). Connection resets at random byte offsets in PUT bodies and in EWS
 * answers, a clean close in the middle of a PUT, and stalls longer than the request timeout on both
 * sides (an EWS answer that never comes; a PUT whose answer never comes: its outcome unknown, so the
 * retry meets an object that may already be there). The run never hangs and ends with every event,
 * contact and task exactly once in Radicale (one object per UID, with the source's content); a
 * second run writes nothing. The offsets come from a seed printed on failure (UMS_FAULT_SEED).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DavTarget } from '../../connectors/dav/index.js';
import { addCalendarItem, addContact, addTask } from '../../connectors/ews/sim/items.js';
import { seedMailbox } from '../../connectors/ews/sim/seed.js';
import { EwsSim } from '../../connectors/ews/sim/server.js';
import { EwsSource } from '../../connectors/ews/source.js';
import { SplitTarget } from '../../connectors/split-target.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { startNetProxy, type NetFault, type NetProxy } from '../lab/netproxy.js';
import { createDavUser, startRadicale } from '../lab/radicale.js';
import { MemoryTarget } from '../support/memory-connectors.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const TIMEOUT_MS = 3_000;
/** The run fails the test after this long: a hang, not a slow run. */
const HANG_MS = 180_000;
const EXTRA = { events: 40, contacts: 40, tasks: 20 };

const options: JobOptions = {
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 8, writersPerTask: 2, tasks: 3, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 12, baseDelayMs: 100, maxDelayMs: 1000 },
  sync: { flags: true, deletions: 'ignore' },
};

let dir: string;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'nf-dav-')); });
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A mailbox with enough groupware that faults at random offsets land inside the copy. */
function seed(sim: EwsSim): number {
  const seeded = seedMailbox(sim, ALICE);
  const s = sim.store;
  const calendar = s.folder(ALICE, 'calendar').id;
  const contacts = s.folder(ALICE, 'contacts').id;
  const tasks = s.folder(ALICE, 'tasks').id;
  for (let i = 0; i < EXTRA.events; i++) {
    const day = new Date(Date.UTC(2024, 6, 1 + i, 8)).toISOString();
    addCalendarItem(s, ALICE, calendar, {
      uid: `nf-event-${i}@example.org`, subject: `Termin ${i}`, body: 'x'.repeat(400 + i * 37), location: `Raum ${i}`,
      start: day, end: new Date(Date.parse(day) + 3_600_000).toISOString(), timeZone: 'W. Europe Standard Time',
    });
  }
  for (let i = 0; i < EXTRA.contacts; i++) {
    addContact(s, ALICE, contacts, { displayName: `Kontakt ${i}`, givenName: 'Kontakt', surname: String(i), emails: [`k${i}@example.org`], notes: 'n'.repeat(300 + i * 11) });
  }
  for (let i = 0; i < EXTRA.tasks; i++) addTask(s, ALICE, tasks, { subject: `Aufgabe ${i}`, body: 't'.repeat(200 + i * 13), status: 'NotStarted' });
  // seedMailbox's own: 3 calendar items, 2 contacts + 1 list, 2 tasks (its mail goes to the in-memory target)
  void seeded;
  return 3 + 3 + 2 + EXTRA.events + EXTRA.contacts + EXTRA.tasks;
}

test('resets, a close mid-PUT and stalls past the timeout on the EWS and the DAV side: every object exactly once', async () => {
  const seedNo = Number(process.env.UMS_FAULT_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seedNo);
  const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo));

  const radicale = await startRadicale();
  const user = await createDavUser('nfdav');
  const sim = new EwsSim();
  sim.addUser('svc-migrate', 'S3cret!', { canImpersonate: true });
  const objects = seed(sim);
  const served = await sim.listen();
  closers.push(() => served.close());
  const ewsUrl = new URL(served.url);
  const davUrl = new URL(radicale.url);
  const ewsProxy = await startNetProxy({ host: ewsUrl.hostname, port: Number(ewsUrl.port) }, { rttMs: 2 });
  const davProxy = await startNetProxy({ host: davUrl.hostname, port: Number(davUrl.port) }, { rttMs: 2 });
  closers.push(() => ewsProxy.close(), () => davProxy.close());
  const via = (u: URL, p: NetProxy) => Object.assign(new URL(u.toString()), { port: String(p.port) }).toString();

  const store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
  closers.push(() => store.close());
  const source = new EwsSource({
    url: via(ewsUrl, ewsProxy), auth: { mode: 'basic', username: 'svc-migrate', password: 'S3cret!' }, impersonation: true, tlsVerify: true,
    allowInsecure: true, version: 'Exchange2013_SP1', maxConcurrent: 4, retry: { attempts: 12, baseDelayMs: 100, maxDelayMs: 1000 },
    maxBackoffMs: 1000, timeoutMs: TIMEOUT_MS,
  }, log, 3);
  const dav = new DavTarget({ url: via(davUrl, davProxy), allowInsecure: true, tlsVerify: true, maxConnections: 4, timeoutMs: TIMEOUT_MS }, log);
  const targets = new SplitTarget(new MemoryTarget(), dav);
  closers.push(() => source.close(), () => targets.close());
  const job = [{ source: { login: ALICE }, target: user }];

  // One fault at a time, each armed once the one before it fired, while the run goes on.
  const plan: { proxy: NetProxy; side: string; fault: NetFault }[] = [
    // Radicale answers each request on a connection of its own, and an object is 1–2 KB: the DAV
    // offsets fall inside one request (its headers are ~300 bytes, the body follows).
    { proxy: davProxy, side: 'dav', fault: { kind: 'reset', direction: 'toServer', afterBytes: between(400, 1_100) } }, // in a PUT body
    { proxy: ewsProxy, side: 'ews', fault: { kind: 'reset', direction: 'toClient', afterBytes: between(2_000, 40_000) } }, // in an EWS answer
    { proxy: davProxy, side: 'dav', fault: { kind: 'stall', direction: 'toClient', afterBytes: between(20, 120) } }, // a request sent, its answer withheld
    { proxy: davProxy, side: 'dav', fault: { kind: 'close', direction: 'toServer', afterBytes: between(400, 1_100) } }, // FIN mid-PUT
    { proxy: ewsProxy, side: 'ews', fault: { kind: 'stall', direction: 'toClient', afterBytes: between(2_000, 40_000) } }, // an EWS answer that never comes
    { proxy: davProxy, side: 'dav', fault: { kind: 'reset', direction: 'toServer', afterBytes: between(400, 1_100) } },
  ];
  const fired: string[] = [];
  let finished = false;
  let hang: NodeJS.Timeout | undefined;
  const run = Promise.race([
    runJob({ store, sources: source, targets, log }, job, options),
    new Promise<never>((_, reject) => { hang = setTimeout(() => reject(new Error(`the run hung for ${HANG_MS} ms`)), HANG_MS); }),
  ]).finally(() => { finished = true; clearTimeout(hang); });
  for (const step of plan) {
    const conn = await Promise.race([step.proxy.fault(step.fault), run.then(() => undefined, () => undefined)]);
    if (conn === undefined || finished) break;
    fired.push(`${step.side} ${step.fault.kind} ${step.fault.direction} after ${step.fault.afterBytes} bytes (connection ${conn})`);
  }
  const context = () => `seed ${seedNo} (UMS_FAULT_SEED to replay); faults fired: ${fired.join('; ') || 'none'}`;
  const r = await run.catch((err: unknown) => { throw new Error(`${String(err)}; ${context()}`); });
  process.stderr.write(`network-faults-groupware: ${context()}; copied ${r.copied}; forwarded ews ${JSON.stringify(ewsProxy.forwarded)} dav ${JSON.stringify(davProxy.forwarded)} accepted ${ewsProxy.accepted}/${davProxy.accepted}\n`);
  ewsProxy.release();
  davProxy.release();
  expect({ context: context(), error: r.mailboxes[0]?.error, failed: r.failed, problems: await store.problems() })
    .toEqual({ context: context(), error: undefined, failed: 0, problems: [] });
  expect({ context: context(), fired: fired.length >= 4 }).toEqual({ context: context(), fired: true });

  // Exactly once: each collection holds one object per source item, no UID twice.
  const mb = await dav.openMailbox(user);
  const refs = (await mb.list()).filter((ref) => /^(calendar|addressbook|tasks):/.test(ref)).sort();
  const uids: string[] = [];
  let total = 0;
  for (const ref of refs) {
    for await (const o of mb.objects!(ref)) {
      total++;
      const uid = /^UID:(.*)$/m.exec(o.content.toString('utf8'))?.[1]?.trim();
      expect({ ref, id: o.id, hasUid: uid !== undefined }).toEqual({ ref, id: o.id, hasUid: true });
      uids.push(`${ref} ${uid}`);
    }
  }
  expect({ context: context(), total, distinct: new Set(uids).size }).toEqual({ context: context(), total: objects, distinct: objects });
  await mb.close();

  const again = await runJob({ store, sources: source, targets, log }, job, options);
  expect([again.copied, again.failed]).toEqual([0, 0]);
}, 300_000);

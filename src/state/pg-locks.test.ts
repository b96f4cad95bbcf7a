/** The cross-process locks on a real PostgreSQL (test/lab/pg.sh): sessions stand for worker processes. */
import pg from 'pg';
import { createTestDatabase, dropTestDatabase } from '../../test/lab/pg.js';
import { ConnectionPool } from '../util/pool.js';
import { PgLockSession } from './pg-locks.js';

let url: string;
const sessions: PgLockSession[] = [];
const open = async () => {
  const s = await PgLockSession.open(url);
  sessions.push(s);
  return s;
};

beforeAll(async () => {
  url = await createTestDatabase('ums_locks');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await dropTestDatabase(url);
});

test('a mailbox lock is exclusive across sessions and not re-entrant within one', async () => {
  const a = await open();
  const b = await open();
  expect(await a.tryLockMailbox('alice')).toBe(true);
  expect(await a.tryLockMailbox('alice')).toBe(false);
  expect(await b.tryLockMailbox('alice')).toBe(false);
  expect(await b.tryLockMailbox('bob')).toBe(true);
  await a.unlockMailbox('alice');
  expect(await b.tryLockMailbox('alice')).toBe(true);
});

test('a session that dies (its backend terminated, as when the process is SIGKILLed) frees its locks and reports the loss', async () => {
  const a = await open();
  const b = await open();
  const lost = new Promise<string>((resolve) => a.onLost((err) => resolve(err.message)));
  expect(await a.tryLockMailbox('carol')).toBe(true);
  const gate = a.gate('imap.example:993', 2);
  await gate.acquire();
  await gate.acquire();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ums-migrate locks' and pid <> pg_backend_pid() and pid in (select pid from pg_locks where locktype = 'advisory' and granted)");
  } finally {
    await admin.end();
  }
  expect(await lost).toMatch(/lock session/);
  expect(await b.tryLockMailbox('carol')).toBe(true);
  expect(await b.gate('imap.example:993', 2).tryAcquire()).toBe(true);
  await expect(a.tryLockMailbox('dave')).rejects.toThrow(/lock session/);
});

test('server slots cap connections across sessions; a released slot goes to a waiter in another session', async () => {
  const a = await open();
  const b = await open();
  const ga = a.gate('courier:993', 3);
  const gb = b.gate('courier:993', 3);
  expect(await ga.tryAcquire()).toBe(true);
  expect(await ga.tryAcquire()).toBe(true);
  expect(await gb.tryAcquire()).toBe(true);
  expect(await gb.tryAcquire()).toBe(false);
  expect(await ga.tryAcquire()).toBe(false);
  expect(b.gate('other:993', 3) && (await b.gate('other:993', 1).tryAcquire())).toBe(true); // another server has its own slots
  let got = false;
  const waiting = gb.acquire().then(() => { got = true; });
  await new Promise((r) => setTimeout(r, 150));
  expect(got).toBe(false);
  ga.release();
  await waiting;
  expect(a.held().slots['courier:993']).toBe(1);
  expect(b.held().slots['courier:993']).toBe(2);
});

test('concurrent acquisitions in one session never take the same slot twice', async () => {
  const a = await open();
  const b = await open();
  const g = a.gate('dovecot:993', 4);
  const results = await Promise.all(Array.from({ length: 8 }, () => g.tryAcquire()));
  expect(results.filter(Boolean)).toHaveLength(4);
  expect(a.held().slots['dovecot:993']).toBe(4);
  expect(await b.gate('dovecot:993', 4).tryAcquire()).toBe(false);
});

test('connection pools of two processes under one shared cap never exceed it together', async () => {
  const a = await open();
  const b = await open();
  let open_ = 0;
  let peak = 0;
  const mkPool = (s: PgLockSession) => new ConnectionPool<{ ok: boolean }>({
    open: async () => {
      open_++;
      peak = Math.max(peak, open_);
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true };
    },
    close: async () => { open_--; },
    usable: () => true,
    max: 4,
    slots: s.gate('target:993', 3),
  });
  // Like mailboxes: each pool does its work and closes, so a pool waiting for its first slot gets one.
  const pools = [mkPool(a), mkPool(a), mkPool(b), mkPool(b), mkPool(b)];
  await Promise.all(pools.map(async (p) => {
    await Promise.all(Array.from({ length: 10 }, () => p.use(async () => {
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    })));
    await p.close();
  }));
  expect(peak).toBeLessThanOrEqual(3);
  expect(peak).toBeGreaterThanOrEqual(2);
  expect(open_).toBe(0);
  expect(a.held().slots['target:993'] ?? 0).toBe(0);
  expect(b.held().slots['target:993'] ?? 0).toBe(0);
}, 60_000);

/** Two processes (sessions a and b), one pool each under a shared cap of 2 on `server`; `closed`: the connections a pool closed. */
async function twoProcessPools(server: string) {
  const a = await open();
  const b = await open();
  const closed: string[] = [];
  let n = 0;
  const mkPool = (s: PgLockSession, name: string) => new ConnectionPool<{ id: string }>({
    open: async () => ({ id: `${name}${++n}` }), close: async (c) => { closed.push(c.id); }, usable: () => true, max: 4, slots: s.gate(server, 2),
  });
  return { a, b, pa: mkPool(a, 'a'), pb: mkPool(b, 'b'), closed };
}

test('fair share across processes: a pool of another process waiting for its first slot gets one from a pool holding two', async () => {
  const { a, b, pa, pb, closed } = await twoProcessPools('source:993');
  // a takes both slots, then goes idle
  await Promise.all([1, 2].map(() => pa.use(() => new Promise((r) => setTimeout(r, 20)))));
  expect(a.held().slots['source:993']).toBe(2);
  const started = Date.now();
  const got = await pb.use(async (c) => c.id);
  expect(got).toMatch(/^b/);
  // a noticed within a look or two (every second) and gave back one of its two, not both
  expect(Date.now() - started).toBeLessThan(5000);
  expect(closed).toHaveLength(1);
  expect(a.held().slots['source:993']).toBe(1);
  await pa.close();
  await pb.close();
  expect(b.held().slots['source:993'] ?? 0).toBe(0);
}, 20_000);

test('fair share across processes holds while the pool holding the slots stays busy: it does not take back what it gave', async () => {
  const { a, pa, pb } = await twoProcessPools('busy:993');
  let stop = false;
  // three callers keep a's two connections busy, one short command after another
  const load = Promise.all([1, 2, 3].map(async () => {
    while (!stop) await pa.use(() => new Promise((r) => setTimeout(r, 15)));
  }));
  await new Promise((r) => setTimeout(r, 100));
  expect(a.held().slots['busy:993']).toBe(2);
  const started = Date.now();
  const got = await pb.use(async (c) => c.id);
  const waited = Date.now() - started;
  stop = true;
  await load;
  expect(got).toMatch(/^b/);
  expect(waited).toBeLessThan(5000);
  await pa.close();
  await pb.close();
}, 20_000);

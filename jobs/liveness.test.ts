/**
 * Leases on a real PostgreSQL with real graphile-worker runners (no IMAP needed): a worker that
 * stops heart-beating loses its job to another after the lease; a worker that beats keeps it.
 */
import { run, type Runner } from 'graphile-worker';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, dropTestDatabase } from '../test/lab/pg.js';
import { Liveness, LEASE_TABLE } from './liveness.js';
import { QUEUE_SCHEMA, graphileLogger, queueUtils } from './queue.js';

const log = pino({ level: 'silent' });
let url: string;
let db: pg.Pool;

beforeAll(async () => {
  url = await createTestDatabase('ums_lease');
  db = new pg.Pool({ connectionString: url, max: 4 });
  const utils = await queueUtils(url, log);
  await utils.migrate();
  await utils.release();
  await Liveness.ensureTable(db);
});
afterAll(async () => {
  await db.end();
  await dropTestDatabase(url);
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const jobs = async (task: string) => (await db.query(`select attempts, locked_by from ${QUEUE_SCHEMA}.jobs where task_identifier = $1`, [task])).rows as { attempts: number; locked_by: string | null }[];

async function runner(task: string, fn: (workerId: string) => Promise<void>): Promise<Runner> {
  return run({
    connectionString: url, schema: QUEUE_SCHEMA, concurrency: 1, noHandleSignals: true, pollInterval: 100, logger: graphileLogger(log),
    taskList: { [task]: async (_p, helpers) => fn(helpers.job.locked_by as string) },
  });
}

test('a worker whose heartbeat stopped loses its job after the lease; another worker completes it', async () => {
  const task = 'lease_expired';
  const frozen = deferred();
  let idA = '';
  const a = await runner(task, async (id) => { idA = id; await frozen.promise; });
  const utils = await queueUtils(url, log);
  try {
    await utils.addJob(task, {}, { maxAttempts: 5 });
    await until('worker A to take the job', () => idA !== '');
    // A registered once and then froze: its heartbeat never moves again.
    const livenessA = new Liveness(db, utils, { processId: 'A', host: 'host-a', leaseSeconds: 2, heartbeatSeconds: 1 }, log);
    await livenessA.register(idA);
    let ranB = 0;
    const b = await runner(task, async () => { ranB++; });
    const livenessB = new Liveness(db, utils, { processId: 'B', host: 'host-b', leaseSeconds: 2, heartbeatSeconds: 1 }, log);
    try {
      expect(await livenessB.beat()).toEqual([]); // within the lease: nothing is released
      expect(await jobs(task)).toEqual([{ attempts: 1, locked_by: idA }]);
      await new Promise((r) => setTimeout(r, 2300));
      expect(await livenessB.beat()).toEqual([idA]);
      await until('worker B to complete the job', async () => (await jobs(task)).length === 0);
      expect(ranB).toBe(1);
      expect((await db.query(`select worker_id from ${LEASE_TABLE} where worker_id = $1`, [idA])).rowCount).toBe(0);
    } finally {
      await b.stop();
    }
  } finally {
    frozen.resolve();
    await a.stop();
    await utils.release();
  }
}, 60_000);

test('a worker that keeps beating keeps its job, however long it runs', async () => {
  const task = 'lease_kept';
  const done = deferred();
  let idA = '';
  const a = await runner(task, async (id) => { idA = id; await done.promise; });
  const utils = await queueUtils(url, log);
  try {
    await utils.addJob(task, {}, { maxAttempts: 5 });
    await until('worker A to take the job', () => idA !== '');
    const livenessA = new Liveness(db, utils, { processId: 'A', host: 'host-a', leaseSeconds: 2, heartbeatSeconds: 1 }, log);
    await livenessA.register(idA);
    livenessA.start();
    const livenessB = new Liveness(db, utils, { processId: 'B', host: 'host-b', leaseSeconds: 2, heartbeatSeconds: 1 }, log);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(await livenessB.beat()).toEqual([]);
    }
    expect(await jobs(task)).toEqual([{ attempts: 1, locked_by: idA }]);
    done.resolve();
    await until('worker A to complete', async () => (await jobs(task)).length === 0);
    await livenessA.stop();
  } finally {
    done.resolve();
    await a.stop();
    await utils.release();
  }
}, 60_000);

test('a job locked by a worker that never registered a heartbeat is released too (killed between lock and register)', async () => {
  const task = 'lease_unregistered';
  const frozen = deferred();
  let idA = '';
  const a = await runner(task, async (id) => { idA = id; await frozen.promise; });
  const utils = await queueUtils(url, log);
  try {
    await utils.addJob(task, {}, { maxAttempts: 5 });
    await until('worker A to take the job', () => idA !== '');
    const livenessB = new Liveness(db, utils, { processId: 'B', host: 'host-b', leaseSeconds: 2, heartbeatSeconds: 1 }, log);
    await new Promise((r) => setTimeout(r, 2300));
    expect(await livenessB.beat()).toEqual([idA]);
    expect(await jobs(task)).toEqual([{ attempts: 1, locked_by: null }]);
  } finally {
    frozen.resolve();
    await a.stop();
    await utils.release();
  }
}, 60_000);

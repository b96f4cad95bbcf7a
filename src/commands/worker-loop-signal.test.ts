/**
 * A worker asked to stop before it is up (SIGTERM from a scheduler during start-up) stops without
 * taking a job: the stop request is not lost because it came before the worker listened for it.
 * Real PostgreSQL (the lab's); the job's mailbox points at a closed port, so a taken job would
 * show as a failed attempt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, dropTestDatabase } from '../../test/lab/pg.js';
import { enqueueMailboxes, QUEUE_SCHEMA, queueUtils } from '../../jobs/queue.js';
import { runWorker } from './worker-loop.js';

let url: string;
let dir: string;
beforeAll(async () => {
  url = await createTestDatabase('ums_worker_signal');
  dir = mkdtempSync(join(tmpdir(), 'ums-worker-signal-'));
  writeFileSync(join(dir, 'migration.yaml'), [
    'version: 1',
    'state: { driver: postgres, url: env:UMS_STATE_URL }',
    'source: { type: imap, host: 127.0.0.1, port: 1 }',
    'target: { host: 127.0.0.1, port: 1 }',
    `logging: { file: ${join(dir, 'worker.log')} }`,
    'mailboxes:',
    '  - { source: alice, target: alice, sourcePassword: env:UMS_TEST_UNUSED, targetPassword: env:UMS_TEST_UNUSED }',
    '',
  ].join('\n'));
  process.env.UMS_STATE_URL = url;
  process.env.UMS_TEST_UNUSED = 'x';
}, 120_000);
afterAll(async () => {
  await dropTestDatabase(url);
  rmSync(dir, { recursive: true, force: true });
});

test('a stop requested during start-up ends the worker before it takes a job (reason "signal", the job still waiting, untried)', async () => {
  const utils = await queueUtils(url, pino({ level: 'silent' }));
  try {
    expect(await enqueueMailboxes(utils, [{ source: 'alice', target: 'alice' }], { maxAttempts: 5 })).toBe(1);
  } finally {
    await utils.release();
  }
  const stopped = new AbortController();
  stopped.abort(); // the signal arrived while the config was loading and the lock session opening
  const outcome = await runWorker({ config: join(dir, 'migration.yaml'), exitWhenIdle: true, pollIntervalMs: 100 }, stopped.signal);
  expect(outcome).toEqual({ completed: 0, failedAttempts: 0, reason: 'signal' });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const jobs = await c.query(`select key, attempts, locked_at from ${QUEUE_SCHEMA}.jobs`);
    expect(jobs.rows).toEqual([{ key: 'mailbox:alice', attempts: 0, locked_at: null }]);
  } finally {
    await c.end();
  }
}, 60_000);

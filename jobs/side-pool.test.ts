/**
 * The worker's side pool on a real PostgreSQL: an idle connection killed by the server
 * (pg_terminate_backend, as a restart or a proxy would) is logged and replaced; the process
 * does not die of an unhandled 'error' event.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, dropTestDatabase } from '../test/lab/pg.js';
import { sidePool } from './side-pool.js';

let url: string;
beforeAll(async () => { url = await createTestDatabase('ums_sidepool'); });
afterAll(async () => { await dropTestDatabase(url); });

test('an idle connection terminated by the server is logged, and the next query works', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const name = `ums-sidepool-${process.pid}`;
  const pool = sidePool(url, name, log);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1); // the client is now idle in the pool
    const killed = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [name]);
    expect(killed.rows.length).toBe(1);
    for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines.join('')).toContain('an idle PostgreSQL connection broke');
    expect(lines.join('')).toContain(name);
    expect((await pool.query('SELECT 2 AS two')).rows[0].two).toBe(2);
  } finally {
    await admin.end();
    await pool.end();
  }
});

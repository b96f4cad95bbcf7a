/**
 * The worker's own small PostgreSQL pool (leases, idle checks). An idle client whose backend
 * goes away (server restart, pg_terminate_backend, a proxy dropping it) makes the pool emit
 * 'error'; without a listener Node ends the whole worker. Here it is logged and the pool opens
 * a new connection on the next query.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { withTlsDefault } from '../src/util/pg-tls.js';
import { reasonOf } from '../src/util/errors.js';

export function sidePool(url: string, applicationName: string, log: Logger, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString: withTlsDefault(url), max, application_name: applicationName });
  pool.on('error', (err) => {
    log.warn({ err: reasonOf(err), pool: applicationName }, 'an idle PostgreSQL connection broke; the next query opens a new one');
  });
  return pool;
}

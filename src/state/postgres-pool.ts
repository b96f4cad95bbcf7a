/**
 * The connection pool of the PostgreSQL store and its transaction helper: per-pool type parsers
 * (so rows have the SQLite store's shapes) and whole-transaction retries after a deadlock or a
 * serialisation failure. The URL (a secret) is only handed to the pool.
 */
import pg from 'pg';
import { withTlsDefault } from '../util/pg-tls.js';
import { coerceError } from '../util/errors.js';

export type Db = pg.Pool | pg.PoolClient;

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001' /* serialization_failure */, '40P01' /* deadlock_detected */]);
const TX_ATTEMPTS = 5;

const { builtins } = pg.types;
const parseTimestamptz = pg.types.getTypeParser(builtins.TIMESTAMPTZ, 'text') as (v: string) => Date;
/**
 * Per-pool type parsers (the global `pg.types` stays untouched): BIGINT and NUMERIC as JS numbers
 * (ids, sizes and counters stay far below 2^53), TIMESTAMPTZ as an ISO string with milliseconds
 * and `Z`, the shape the SQLite store returns.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === builtins.INT8 || oid === builtins.NUMERIC) return (v: string) => Number(v);
      if (oid === builtins.TIMESTAMPTZ) return (v: string) => parseTimestamptz(v).toISOString();
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Without TLS parameters in `url` it connects with TLS and certificate verification (pg-tls.ts). */
export function statePool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withTlsDefault(url),
    max,
    application_name: 'ums-migrate',
    connectionTimeoutMillis: 30_000,
    types: TYPES,
  });
  // An idle client whose connection broke (server restart): the pool drops it and the next
  // query opens a new one. Without a listener the error would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one client; re-runs it after a deadlock or serialisation failure. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = coerceError(rollbackErr); // the connection is unusable: the pool must not reuse it
      }
      if (attempt < TX_ATTEMPTS && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

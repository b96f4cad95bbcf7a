/**
 * PostgreSQL for tests (the PostgreSQL state store): thin TypeScript front of `test/lab/pg.sh`,
 * which runs Debian's PostgreSQL 15 on 127.0.0.1:15432 with its data in `<lab>/pg`, TLS on (a lab
 * CA of its own, `pgCaFile()`). Every test file gets databases of its own (`createTestDatabase`),
 * so tests never see each other's rows. The URLs returned ask for TLS verified against the lab CA
 * (`?sslmode=verify-full&sslrootcert=…`); `withoutTlsParams` strips that for tests of the defaults.
 * Safe to call from several jest workers at once.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { LAB_SCRIPT } from './lab.js';
import { runLabScript } from './script.js';

export const PG_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'pg.sh');
export const PG_HOST = '127.0.0.1';
export const PG_PORT = 15432;

const runPg = (args: string[]) => runLabScript(PG_SCRIPT, args, { timeoutMs: 180_000 });

let adminUrl: Promise<string> | undefined;

/** Starts the server unless it answers (idempotent); returns the superuser URL (database `postgres`). */
export function startPg(): Promise<string> {
  adminUrl ??= runPg(['up']).catch((err: unknown) => {
    adminUrl = undefined;
    throw err;
  });
  return adminUrl;
}

/** The CA certificate (PEM file) the lab server's certificate is signed with. */
export async function pgCaFile(): Promise<string> {
  const ca = new URL(await startPg()).searchParams.get('sslrootcert');
  if (!ca) throw new Error(`${path.basename(PG_SCRIPT)} printed a URL without sslrootcert`);
  return ca;
}

/** `url` without its query (sslmode, sslrootcert): what a user who leaves TLS to the defaults writes. */
export function withoutTlsParams(url: string): string {
  const u = new URL(url);
  u.search = '';
  return u.toString();
}

/** Stops the server (data is kept). */
export async function stopPg(): Promise<void> {
  adminUrl = undefined;
  await runPg(['down']);
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await startPg() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database with a unique name (starts the server if needed); returns its URL. */
export async function createTestDatabase(prefix = 'ums_test'): Promise<string> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '').slice(0, 30) || 'ums_test';
  const name = `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // template0: never has connections, so concurrent CREATE DATABASE calls cannot collide on it.
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`));
  const url = new URL(await startPg());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by `createTestDatabase` (closing any connection still open to it). */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z0-9_]+$/.test(name) || name === 'postgres') throw new Error(`not a test database: ${name}`);
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/**
 * One `directory sync` at a time per state store and directory pair (mail runs may go on
 * meanwhile): with SQLite a lock file beside the state file (`<state>.lock.directory`, the run
 * lock's kernel-lock scheme); with PostgreSQL a session advisory lock named after the directory
 * checkpoint, as `run`/`sync` hold theirs: it holds across machines and never depends on the
 * directory the command was started from.
 */
import { hostname } from 'node:os';
import type { StateConfig } from '../config/schema.js';
import type { SecretContext } from '../config-blocks/secrets.js';
import { lockPathFor, postgresUrl } from '../state/open.js';
import { acquireRunLock, PgLockHeldError } from '../state/run-lock.js';

/** The advisory lock's name in PostgreSQL (one per directory checkpoint). */
export function directorySyncLockName(checkpointName: string): string {
  return `ums-directory-sync:${checkpointName}`;
}

/** Takes the lock or throws LockHeldError / PgLockHeldError (exit 4); returns its release. */
export async function acquireDirectorySyncLock(state: StateConfig, checkpointName: string, secrets: SecretContext): Promise<() => Promise<void>> {
  if (state.driver === 'sqlite') {
    const release = acquireRunLock(`${lockPathFor(state)}.directory`, 'directory sync');
    return async () => release();
  }
  const url = postgresUrl(state, secrets);
  const { PgLockSession } = await import('../state/pg-locks.js'); // pg is loaded only when the store is PostgreSQL
  const { describePostgresUrl } = await import('../state/postgres.js');
  const locks = await PgLockSession.open(url, `ums-migrate directory sync (pid ${process.pid} on ${hostname()}, since ${new Date().toISOString()})`);
  const name = directorySyncLockName(checkpointName);
  if (!(await locks.tryNamed(name))) {
    const holder = await locks.holderOf(name).catch(() => undefined);
    await locks.close();
    throw new PgLockHeldError(describePostgresUrl(url), holder);
  }
  return async () => {
    await locks.unlockNamed(name).catch(() => undefined);
    await locks.close();
  };
}

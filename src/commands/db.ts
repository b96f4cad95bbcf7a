/**
 * `db migrate`: creates or upgrades the schema of the configured state store (the SQLite file or
 * the PostgreSQL database) and prints its version. Other commands do this too when they open the
 * store; this one lets an admin do it ahead of a run (e.g. once, before several workers start).
 * Connects to no mail server. The PostgreSQL URL is a secret: messages name the server without
 * its password.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { loadConfig } from '../config/load.js';
import { postgresUrl } from '../state/open.js';
import { SQLITE_MIGRATIONS } from '../state/sqlite-schema.js';
import { SqliteStateStore } from '../state/sqlite.js';
import { coerceError } from '../util/errors.js';

export interface DbMigrateOptions {
  config: string;
  json?: boolean;
}

interface MigrateOutcome {
  driver: 'sqlite' | 'postgres';
  /** The file, or the server and database (without password). */
  location: string;
  /** Schema version before (0: none). */
  from: number;
  /** Schema version now. */
  version: number;
  /** The newest version this ums-migrate knows. */
  latest: number;
}

function sqliteVersion(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

export async function dbMigrateCommand(opts: DbMigrateOptions): Promise<number> {
  const { config, baseDir } = await loadConfig(opts.config);
  const state = config.state;
  let outcome: MigrateOutcome;
  if (state.driver === 'sqlite') {
    const from = existsSync(state.path) ? sqliteVersion(state.path) : 0;
    const store = new SqliteStateStore(state.path);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    outcome = { driver: 'sqlite', location: state.path, from, version: sqliteVersion(state.path), latest: SQLITE_MIGRATIONS.length };
  } else {
    const url = postgresUrl(state, { baseDir }); // resolved, TLS policy applied (util/pg-tls.ts)
    const { PostgresStateStore, describePostgresUrl } = await import('../state/postgres.js');
    const { POSTGRES_MIGRATIONS } = await import('../state/postgres-schema.js');
    const location = describePostgresUrl(url);
    const store = new PostgresStateStore(url, { max: 1 });
    try {
      const from = await store.schemaVersion();
      await store.migrate();
      outcome = { driver: 'postgres', location, from, version: await store.schemaVersion(), latest: POSTGRES_MIGRATIONS.length };
    } catch (err) {
      printErr(`ums-migrate db migrate: ${location}: ${coerceError(err).message}\n`);
      return EXIT.ERROR;
    } finally {
      await store.close();
    }
  }
  const newer = outcome.version > outcome.latest;
  if (opts.json) {
    printJson(outcome);
  } else {
    const what = newer ? `newer than this ums-migrate knows (${outcome.latest}): upgrade ums-migrate`
      : outcome.from === 0 ? 'created'
        : outcome.from < outcome.version ? `upgraded from ${outcome.from}` : 'up to date';
    printOut(`state store: ${outcome.driver} ${outcome.location}\nschema version ${outcome.version} (${what})\n`);
  }
  return newer ? EXIT.ERROR : EXIT.OK;
}

import type { StateConfig } from '../config/schema.js';
import { resolveSecret, SecretError, type SecretContext } from '../config-blocks/secrets.js';
import { securePgUrl } from '../util/pg-tls.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore } from './store.js';
import { coerceError } from '../util/errors.js';

/**
 * The URL every connection to a postgres store uses (a secret: never log it): `state.url`
 * resolved, with the TLS policy of pg-tls.ts applied (verify-full by default, `state.caFile` as
 * sslrootcert, plaintext or unverified TLS only with `state.allowInsecure`). Throws SecretError
 * or PgTlsError, both naming the field and never the URL.
 */
export function postgresUrl(cfg: Extract<StateConfig, { driver: 'postgres' }>, secrets: SecretContext): string {
  let raw: string;
  try {
    raw = resolveSecret(cfg.url, secrets);
  } catch (err) {
    throw new SecretError(`state.url: ${coerceError(err).message}`);
  }
  return securePgUrl(raw, { ...(cfg.caFile !== undefined ? { caFile: cfg.caFile } : {}), allowInsecure: cfg.allowInsecure === true }).url;
}

/** Opens (and creates or upgrades) the configured store; `secrets` resolves `state.url` (postgres). */
export async function openStateStore(cfg: StateConfig, secrets: SecretContext): Promise<StateStore> {
  if (cfg.driver === 'postgres') {
    const url = postgresUrl(cfg, secrets);
    const { PostgresStateStore } = await import('./postgres.js'); // pg is loaded only when used
    const pgStore = new PostgresStateStore(url);
    try {
      await pgStore.migrate();
    } catch (err) {
      await pgStore.close();
      throw err;
    }
    return pgStore;
  }
  const store = new SqliteStateStore(cfg.path);
  await store.migrate();
  return store;
}

/** Where a run's lock lives: beside the state file. */
export function lockPathFor(cfg: StateConfig): string {
  return cfg.driver === 'sqlite' ? `${cfg.path}.lock` : '.ums-migrate.lock';
}

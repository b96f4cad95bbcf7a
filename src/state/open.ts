import type { StateConfig } from '../config/schema.js';
import { resolveSecret, SecretError, type SecretContext } from '../config/secrets.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore } from './store.js';

/** The resolved `state.url` of a postgres store (a secret: never log it). */
export function postgresUrl(cfg: Extract<StateConfig, { driver: 'postgres' }>, secrets: SecretContext): string {
  try {
    return resolveSecret(cfg.url, secrets);
  } catch (err) {
    throw new SecretError(`state.url: ${(err as Error).message}`);
  }
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

import type { StateConfig } from '../config/schema.js';
import { FatalError } from '../util/errors.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore } from './store.js';

export async function openStateStore(cfg: StateConfig): Promise<StateStore> {
  if (cfg.driver === 'postgres') {
    throw new FatalError('state.driver postgres is not available in this version yet; use the embedded sqlite store', 'UNSUPPORTED');
  }
  const store = new SqliteStateStore(cfg.path);
  await store.migrate();
  return store;
}

/** Where a run's lock lives: beside the state file. */
export function lockPathFor(cfg: StateConfig): string {
  return cfg.driver === 'sqlite' ? `${cfg.path}.lock` : '.ums-migrate.lock';
}

/**
 * What a connector module's `create` receives besides its config section (connectors/modules.ts):
 * the run's logger, connection budgets and shared caps, and the few run-wide inputs a connector
 * may want. Built once per command (src/commands/context.ts).
 */
import type { Logger } from 'pino';
import type { SlotGate } from '../util/semaphore.js';

export interface ConnectorContext {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Connections one mailbox may use on each side (parallel folders × writers). */
  perMailbox: { source: number; target: number };
  /**
   * The connection cap of one server shared beyond this process (worker mode: PostgreSQL
   * advisory locks, src/state/pg-locks.ts); absent → a cap per process.
   */
  serverSlots?: (server: string, max: number) => SlotGate;
  /** The config's retry policy (connectors that retry requests themselves, e.g. EWS). */
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** legacyExchangeDN (lower case) → SMTP from the directory (routing address book): EX addresses resolved before EWS is asked. */
  legacyDnTable?: ReadonlyMap<string, string>;
}

/**
 * A loaded configuration as `loadConfig` (load.ts) returns it: what features (cutover, routing)
 * may depend on without depending on the loader. Types only.
 */
import type { ConfigIssue } from './issues.js';
import type { MigrationConfig } from './schema.js';
import type { SecretRef, SecretResolver } from '../config-blocks/secrets.js';

export interface MailboxEntry {
  source: string;
  target: string;
  sourcePassword?: SecretRef;
  targetPassword?: SecretRef;
  /** The cutover wave (inline `wave:` or the user map's optional `wave` column). */
  wave?: string;
  /** Where it is defined: 'mailboxes[0]' or 'users.csv:4'. */
  origin: string;
}

export interface LoadedConfig {
  config: MigrationConfig;
  /** Absolute path of the config file. */
  file: string;
  /** Directory relative paths and `file:` refs are resolved against. */
  baseDir: string;
  mailboxes: MailboxEntry[];
  /** Non-fatal issues (e.g. target.maxConnections above Courier's per-IP limit). */
  warnings: ConfigIssue[];
  /** Resolves a secret reference of this config (lazily, when a connector needs it). */
  resolveSecret: SecretResolver;
}

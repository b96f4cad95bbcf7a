/** The resolved types of the config's own sections (schema.ts); the connectors' sections: connectors/<x>/config.ts. */
import type { SecretRef } from '../config-blocks/secrets.js';
import type { GroupwareTargetConfig, SourceConfig, TargetConfig } from '../../connectors/modules.js';
import type { CutoverConfig } from './cutover-schema.js';
import type { DirectoryConfig } from './directory-schema.js';
import type { DiscoverConfig } from './discover-schema.js';
import type { RoutingConfig } from './routing-schema.js';

export type { RoutingConfig } from './routing-schema.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type StateConfig =
  | { driver: 'sqlite'; /** Absolute after loading. */ path: string }
  | {
    driver: 'postgres';
    /** The connection URL (a secret reference). TLS with verification unless allowInsecure permits less (src/util/pg-tls.ts). */
    url: SecretRef;
    /** CA bundle of a private CA for the server's certificate (absolute after loading). */
    caFile?: string;
    /** Required (true) for sslmode=disable (plaintext) and sslmode=no-verify in the URL. */
    allowInsecure: boolean;
  };

export interface LoggingConfig {
  level: LogLevel;
  /** JSON log file (absolute after loading); absent: JSON logs go to stderr. */
  file?: string;
}

/** One mailbox as written under `mailboxes:` (see load.ts MailboxEntry for the merged list). */
export interface MailboxSpec {
  source: string;
  target?: string;
  sourcePassword?: SecretRef;
  targetPassword?: SecretRef;
  /** The cutover wave the mailbox belongs to (`cutover --wave W`). */
  wave?: string;
}

export interface FolderRename {
  /** Source path joined with "/". */
  from: string;
  /** Target path joined with "/" (below the personal namespace). */
  to: string;
}

export interface SpecialUseNames {
  sent: string;
  trash: string;
  junk: string;
  drafts: string;
  archive: string;
}

export interface FoldersConfig {
  /** Globs on the "/"-joined source path: "*" one level, "**" any depth; case-sensitive except INBOX. */
  include: string[];
  exclude: string[];
  rename: FolderRename[];
  specialUse: SpecialUseNames;
  invalidCharReplacement: string;
}

export interface FiltersConfig {
  /** Only messages with INTERNALDATE before this instant. */
  before?: Date;
  /** Only messages with INTERNALDATE on/after this instant. */
  since?: Date;
  /** Bytes; larger messages are reported as skipped. */
  maxMessageSize: number;
}

export interface ConcurrencyConfig {
  mailboxes: number;
  tasks: number;
  writersPerTask: number;
  batchSize: number;
}

/** What later runs (the nightly delta) do with changes in the source after a message was copied. */
export interface SyncConfig {
  /** Propagate flag/keyword changes of copied messages (source wins). */
  flags: boolean;
  /** ignore: messages deleted in the source stay in the UMS. mirror: they are removed there too. */
  deletions: 'ignore' | 'mirror';
}

/** What happens to message content on the way to the UMS (default: copied byte-identical). */
export interface MailConfig {
  /**
   * application/ms-tnef parts (winmail.dat): off = copied as they are; replace = rewritten into
   * ordinary MIME (mappings/tnef); keep-original = rewritten, with winmail.dat attached too.
   */
  decodeTnef: 'off' | 'replace' | 'keep-original';
}

/** `ums-migrate worker`: the PostgreSQL job queue shared by workers on several machines. */
export interface WorkersConfig {
  /** A worker whose heartbeat is older than this is presumed dead; its mailboxes go to others. */
  leaseSeconds: number;
  heartbeatSeconds: number;
  /** Attempts per mailbox job before it stays failed (graphile-worker's exponential backoff between them). */
  maxAttempts: number;
  /** Mailboxes one worker process migrates at once (default: concurrency.mailboxes). */
  concurrency?: number;
}

export interface RetryConfig {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface MigrationConfig {
  version: 1;
  state: StateConfig;
  logging: LoggingConfig;
  source: SourceConfig;
  target: TargetConfig;
  groupwareTarget?: GroupwareTargetConfig;
  /** Inline mailboxes as written (may be empty when a userMap is given). */
  mailboxes: MailboxSpec[];
  /** CSV user map (absolute after loading). */
  userMap?: string;
  folders: FoldersConfig;
  filters: FiltersConfig;
  concurrency: ConcurrencyConfig;
  sync: SyncConfig;
  /** Content rewriting (TNEF decoding); absent in configs built by hand: nothing is rewritten. */
  mail?: MailConfig;
  retry: RetryConfig;
  workers: WorkersConfig;
  /** Split-domain coexistence routing (cutover, routing commands); optional. */
  routing?: RoutingConfig;
  /** What `cutover` checks before moving a user's mail delivery (cutover-schema.ts); optional. */
  cutover?: CutoverConfig;
  /** How `discover` writes the user map from the directory (discover-schema.ts); optional. */
  discover?: DiscoverConfig;
  /** Directory sync (`directory sync`), see directory-schema.ts. */
  directory?: DirectoryConfig;
}

export const DEFAULT_STATE_PATH = './.ums-migrate/state.sqlite';
export const DEFAULT_SPECIAL_USE: SpecialUseNames = {
  sent: 'Sent',
  trash: 'Trash',
  junk: 'Spam',
  drafts: 'Drafts',
  archive: 'Archive',
};

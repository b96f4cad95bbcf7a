/** What every command needs from the config: logger, connectors, mailbox accounts and job options. */
import type { Logger } from 'pino';
import { createSource, createTargets, type ConnectorContext } from '../../connectors/registry.js';
import { tnefTransform } from '../../mappings/tnef/transform.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { mailboxPasswords } from '../config/mailboxes.js';
import { moduleFor } from '../../connectors/modules.js';
import { resolveSecret } from '../config-blocks/secrets.js';
import type { JobOptions, MailboxPair } from '../engine/job.js';
import { createLogger } from '../log.js';
import type { SourceConnector, TargetConnector } from '../model/types.js';
import { legacyDnTableFor } from '../routing/legacy-dn-table.js';
import { FatalError } from '../util/errors.js';

/** Bytes of message content a run may hold in memory at once (shared by all its mailboxes and folder tasks). */
const RUN_BYTE_BUDGET = 16 * 1024 * 1024;

export interface CommandOptions {
  config: string;
  mailbox?: string[];
  concurrency?: number;
  /** Log level override (e.g. quieter on a TTY with a progress line). */
  logLevel?: string;
  /** The config, when the caller loaded it already. */
  loaded?: LoadedConfig;
  /** Per-server connection caps shared beyond this process (worker mode). */
  serverSlots?: ConnectorContext['serverSlots'];
}

export interface CommandContext {
  loaded: LoadedConfig;
  log: Logger;
  sources: SourceConnector;
  targets: TargetConnector;
  jobs: MailboxPair[];
  options: JobOptions;
}

export async function commandContext(opts: CommandOptions): Promise<CommandContext> {
  const loaded = opts.loaded ?? (await loadConfig(opts.config));
  const { config } = loaded;
  const log = createLogger({ level: opts.logLevel ?? config.logging.level, file: config.logging.file });
  const env = process.env;
  const tasks = opts.concurrency ?? config.concurrency.tasks;
  const options: JobOptions = {
    filters: { before: config.filters.before, since: config.filters.since, maxMessageSize: config.filters.maxMessageSize },
    folders: config.folders,
    namespace: config.target.namespace,
    batchSize: config.concurrency.batchSize,
    writersPerTask: config.concurrency.writersPerTask,
    tasks,
    mailboxes: config.concurrency.mailboxes,
    byteBudget: RUN_BYTE_BUDGET,
    retry: config.retry,
    sync: config.sync,
    transform: await tnefTransform(config.mail?.decodeTnef ?? 'off'),
  };
  const perMailbox = {
    source: 'maxConnections' in config.source ? Math.min(config.source.maxConnections, tasks) : tasks,
    target: Math.min(config.target.maxConnections, tasks * config.concurrency.writersPerTask),
  };
  const ctx: ConnectorContext = {
    baseDir: loaded.baseDir, env, log, perMailbox, serverSlots: opts.serverSlots, retry: config.retry,
    // The routing address book's legacyExchangeDN table (CSV, or the directory sync's state with `addressBook: directory`).
    legacyDnTable: moduleFor('source', config.source.type)?.wantsLegacyDnTable ? await legacyDnTableFor(config, loaded.baseDir, log) : undefined,
  };
  const wanted = opts.mailbox && opts.mailbox.length > 0 ? new Set(opts.mailbox) : undefined;
  const entries = loaded.mailboxes.filter((m) => !wanted || wanted.has(m.source) || wanted.has(m.target));
  if (wanted && entries.length === 0) {
    throw new FatalError(`no configured mailbox matches ${[...wanted].join(', ')}`, 'NO_MAILBOX');
  }
  const secret = (ref: string | undefined) => (ref ? resolveSecret(ref, { baseDir: loaded.baseDir, env }) : undefined);
  // The groupware target logs in as the mailbox itself, whatever the IMAP side does (mailboxPasswords).
  const passwords = mailboxPasswords(config);
  const jobs: MailboxPair[] = entries.map((m) => ({
    source: { login: m.source, password: passwords.source ? secret(m.sourcePassword) : undefined },
    target: { login: m.target, password: passwords.target ? secret(m.targetPassword) : undefined },
  }));
  return { loaded, log, sources: await createSource(config.source, ctx), targets: await createTargets(config, ctx), jobs, options };
}

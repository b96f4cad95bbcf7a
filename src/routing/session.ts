/**
 * What the `cutover` and `routing` commands share: the loaded config's `routing:` section, the
 * state store, the address book, the routing model built from them, the command's log
 * (`logging.file`, src/command-log.ts) and the audit log (the store's append-only table, mirrored
 * as JSON lines to `routing.auditFile`). Every audit entry is also a log line (warn when it
 * records refused names).
 *
 * The operator recorded in the audit log is $UMS_OPERATOR when set, else the OS user.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { generateMaps, type PostfixMaps } from '../../mappings/routing/postfix-maps.js';
import { routingModel, type AddressBook, type ModelResult } from '../../mappings/routing/from-directory.js';
import { commandLogger, flushLog, operatorName } from '../command-log.js';
import type { RoutingConfig } from '../config/routing-schema.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { StateConfig } from '../config/schema.js';
import { openStateStore } from '../state/open.js';
import type { CutoverChange, CutoverResult, RoutingAuditEntry, RoutingAuditInput, KeyValueStore, ProgressReader, RoutingStore } from '../state/store.js';
import { FatalError } from '../util/errors.js';
import { appendPrivateFile } from '../util/private-file.js';
import { jsonForTerminal } from '../util/terminal-text.js';
import { loadRoutingAddressBook } from './address-book.js';
import type { PostfixTools } from './postfix.js';

export interface RoutingSession {
  loaded: LoadedConfig;
  routing: RoutingConfig;
  /** Opened and closed by the session (`close`). */
  store: ProgressReader & KeyValueStore & RoutingStore;
  book: AddressBook;
  /** Problems reading the address book (per row). */
  bookProblems: string[];
  /** Warnings about the address book that do not stop a publish. */
  bookNotes: string[];
  tools: PostfixTools;
  auditFile: string;
  operator: string;
  /** The command's log (`logging.file`). */
  log: Logger;
  /** The model for a set of cut-over user keys (default: the store's). */
  model(cutOver?: ReadonlySet<string>): Promise<ModelResult>;
  maps(cutOver?: ReadonlySet<string>): Promise<PostfixMaps & { issues: string[] }>;
  cutOverKeys(): Promise<Set<string>>;
  applyCutover(change: Omit<CutoverChange, 'who'>): Promise<CutoverResult>;
  audit(entry: Omit<RoutingAuditInput, 'who'>): Promise<RoutingAuditEntry>;
  close(): Promise<void>;
}

export { operatorName };

/** One log line per audit entry: what, who, for whom and what was refused (the details stay in the audit). */
export function logAudit(log: Logger, entry: RoutingAuditEntry): void {
  const fields = { audit: { seq: entry.seq, action: entry.action, batch: entry.batch, users: entry.users, refused: entry.refused } };
  if (entry.refused.length > 0) log.warn(fields, `audit #${entry.seq}: ${entry.action}, ${entry.refused.length} refused`);
  else log.info(fields, `audit #${entry.seq}: ${entry.action}`);
}

/** Default audit mirror: beside the SQLite state file, or in the config's directory for PostgreSQL. */
export function defaultAuditFile(state: StateConfig, baseDir: string): string {
  return path.join(state.driver === 'sqlite' ? path.dirname(state.path) : baseDir, 'routing-audit.jsonl');
}

/** `loaded` is `configFile` as `loadConfig` (src/config/load.ts) read it; the caller loads it. */
export async function openRoutingSession(configFile: string, loaded: LoadedConfig, opts: { command?: string } = {}): Promise<RoutingSession> {
  const routing = loaded.config.routing;
  if (routing === undefined) throw new FatalError(`${configFile}: no routing: section (see migration.example.yaml)`, 'NO_ROUTING');
  const store = await openStateStore(loaded.config.state, { baseDir: loaded.baseDir });
  const { book, problems, notes } = await loadRoutingAddressBook(loaded.config, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const auditFile = routing.auditFile ?? defaultAuditFile(loaded.config.state, loaded.baseDir);
  const operator = operatorName();
  const log = commandLogger(loaded.config.logging, opts.command ?? 'routing');
  const settings = { domains: routing.domains, routingSubdomain: routing.routingSubdomain, exchangeHost: routing.exchangeHost, umsTransport: routing.umsTransport };
  const cutOverKeys = async () => new Set((await store.cutovers()).map((c) => c.userKey));
  const model = async (cutOver?: ReadonlySet<string>) => routingModel(settings, book, cutOver ?? (await cutOverKeys()));
  const mirror = async (entry: RoutingAuditEntry) => {
    logAudit(log, entry);
    await mkdir(path.dirname(auditFile), { recursive: true });
    // Created 0600 (logins and addresses); names from AD keep their exact value, C1/DEL/bidi characters as \u escapes (as --json and the log).
    await appendPrivateFile(auditFile, `${jsonForTerminal(JSON.stringify(entry))}\n`);
    return entry;
  };
  return {
    loaded, routing, store, book, bookProblems: problems, bookNotes: notes, auditFile, operator, log,
    tools: {
      mapType: routing.mapType,
      ...(routing.postfixConfigDir !== undefined ? { configDir: routing.postfixConfigDir } : {}),
      ...(routing.postfixBinDir !== undefined ? { binDir: routing.postfixBinDir } : {}),
    },
    model,
    maps: async (cutOver) => {
      const m = await model(cutOver);
      return { ...generateMaps(m.model), issues: m.issues };
    },
    cutOverKeys,
    applyCutover: async (change) => {
      const r = await store.applyCutover({ ...change, who: operator });
      await mirror(r.entry);
      return r;
    },
    audit: async (entry) => mirror(await store.appendRoutingAudit({ ...entry, who: operator })),
    close: async () => {
      await store.close();
      await flushLog(log);
    },
  };
}

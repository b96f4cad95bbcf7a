/**
 * The migration config (migration.yaml): zod schema and the resolved TypeScript types.
 *
 * Every object is strict (unknown keys are errors) and every optional field gets its default
 * here, so consumers see a fully resolved `MigrationConfig`. Paths (state.path, logging.file,
 * caFile, userMap) are kept as written by the schema; `loadConfig`/`validateConfigText` turn them
 * into absolute paths against the config file's directory. Secret fields hold `SecretRef`s, never
 * values: resolve them with `resolveSecret` just before use.
 *
 * Cross-section rules (per-mailbox passwords, at least one mailbox, duplicates, warnings) live in
 * load.ts because they need the CSV user map.
 */
import { z } from 'zod';
import { routingSchema, type RoutingConfig } from './routing-schema.js';
import { cutoverSchema, type CutoverConfig } from './cutover-schema.js';
import { discoverSchema, type DiscoverConfig } from './discover-schema.js';
import type { SecretRef } from './secrets.js';
import { secretRefSchema } from './secret-ref-schema.js';
import { noUrlCredentials } from './url-credentials.js';
import { directorySchema, type DirectoryConfig } from './directory-schema.js';
import { httpPlaintext, IMAP_PLAINTEXT, transportProblems, type TransportSettings } from '../util/transport-policy.js';

export type { RoutingConfig } from './routing-schema.js';

// ---------------------------------------------------------------------------------------------
// Types (resolved, defaults filled)

export type TlsMode = 'implicit' | 'starttls' | 'none';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type MasterStyle = 'authzid' | 'separator';

/** Each mailbox logs in with its own password (`sourcePassword` / `targetPassword`). */
export interface UserAuthConfig {
  mode: 'user';
}

/** One admin/master login for all mailboxes. */
export interface MasterAuthConfig {
  mode: 'master';
  masterUser: string;
  masterPassword: SecretRef;
  /** authzid: SASL PLAIN with the mailbox as authorization id; separator: login "user<sep>master". */
  masterStyle: MasterStyle;
  masterSeparator: string;
}

export type AuthConfig = UserAuthConfig | MasterAuthConfig;

/** Connection settings shared by the IMAP source and the UMS target. */
export interface EndpointConfig {
  host: string;
  /** Defaults to 993 for tls=implicit, 143 otherwise. */
  port: number;
  tls: TlsMode;
  /** Required (true) for tls=none and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA bundle (absolute after loading). */
  caFile?: string;
  /** Connections to this server across the whole run. */
  maxConnections: number;
  auth: AuthConfig;
  /** Seconds a connection may stay silent while a command waits (a stalled link, a hung server) before it is dropped and retried. */
  timeoutSeconds: number;
}

export interface ImapSourceConfig extends EndpointConfig {
  type: 'imap';
}

/** How the EWS source logs in (see migration.example.yaml). */
export type EwsAuthConfig =
  | UserAuthConfig
  /** One service account (Basic or NTLMv2) that impersonates every mailbox. */
  | { mode: 'master'; masterUser: string; masterPassword: SecretRef; method: 'basic' | 'ntlm'; domain?: string }
  /** OAuth2 client credentials (Exchange Online app registration with full_access_as_app). */
  | { mode: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: SecretRef; scope: string };

/** Exchange Web Services (on-premises Exchange or Exchange Online). */
export interface EwsSourceConfig {
  type: 'ews';
  /** https://mail.example.org/EWS/Exchange.asmx */
  url: string;
  auth: EwsAuthConfig;
  /** ExchangeImpersonation for each mailbox (default: on unless auth.mode is user). */
  impersonation: boolean;
  /** RequestServerVersion. */
  exchangeVersion: string;
  /** Required (true) for http:// URLs and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  caFile?: string;
  /** EWS requests in flight across all mailboxes (Exchange's EWSMaxConcurrency is per user: keep it modest). */
  maxConnections: number;
  /** Upper bound for one wait asked for by ErrorServerBusy (BackOffMilliseconds) or Retry-After. */
  maxBackoffMs: number;
  /** Seconds before an unanswered request is given up (and retried). */
  timeoutSeconds: number;
  /** vCard version written for contacts. */
  vcardVersion: '3.0' | '4.0';
}


/** A directory of kopano-backup user directories (`<path>/<login>/`); read from files, no login. */
export interface KopanoBackupSourceConfig {
  type: 'kopano-backup';
  /** Absolute after loading. */
  path: string;
}

/** A tree of Kopano per-item exports (`<path>/<login>/<folder path>/<sourcekey>.eml|.ics|.vcf`); no login. */
export interface KopanoTreeSourceConfig {
  type: 'kopano-tree';
  /** Absolute after loading. */
  path: string;
}

/** Outlook PST/OST files on disk, one or more per mailbox (connectors/pst). */
export interface PstSourceConfig {
  type: 'pst';
  /** Directory holding the files (absolute after loading). */
  directory: string;
  /**
   * Where a mailbox's files are, relative to `directory`: "{login}" stands for the mailbox's
   * source login, "*" for any characters within one path segment. Default: "{login}.pst".
   */
  files: string;
  /** Windows code page of 8-bit strings in ANSI files that declare none (default: guessed per file, else 1252). */
  codepage?: number;
  /**
   * Also migrate calendar, contact and task folders (as iCalendar / vCard items of kind
   * event/contact/task). Off by default: the target must route those kinds to CalDAV/CardDAV.
   */
  groupware: boolean;
}

/** Folders of Outlook .msg files on disk, one directory tree per mailbox (connectors/msg). */
export interface MsgSourceConfig {
  type: 'msg';
  /** Directory holding the mailboxes' folders (absolute after loading). */
  directory: string;
  /** The mailbox's root below `directory`, "{login}" standing for its source login. Default: "{login}". */
  folders: string;
  /** Windows code page of 8-bit strings in ANSI files that declare none. */
  codepage?: number;
  /** Also migrate directories of appointments, contacts or tasks (as calendars, address books, task lists). Off by default. */
  groupware: boolean;
}

/** Discriminated on `type`. */
export type SourceConfig = ImapSourceConfig | EwsSourceConfig | PstSourceConfig | KopanoBackupSourceConfig | KopanoTreeSourceConfig | MsgSourceConfig;
export type SourceType = SourceConfig['type'];

export interface NamespaceOverride {
  prefix: string;
  delimiter: string;
}

export interface TargetConfig extends EndpointConfig {
  type: 'ums-imap';
  /** Overrides the personal namespace discovered with NAMESPACE. */
  namespace?: NamespaceOverride;
  /** ENABLE UTF8=ACCEPT when the server offers it. */
  utf8Accept: boolean;
}

/**
 * The CalDAV/CardDAV server that takes calendars, task lists and address books (optional; without
 * it those containers are planned as not migrated). Logs in as each mailbox's target login with
 * its targetPassword (HTTP Basic over TLS).
 */
export interface GroupwareTargetConfig {
  type: 'dav';
  /** Server root or DAV context path (https://cloud.example.org/remote.php/dav/); RFC 6764 discovery from there. */
  url: string;
  /** Required (true) for http:// URLs and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA bundle (absolute after loading). */
  caFile?: string;
  /** HTTP connections to this server across the whole run. */
  maxConnections: number;
  /** vCard version written (every contact is converted to it). */
  vcardVersion: '3.0' | '4.0';
  /** Attachments of calendar items and tasks up to this size (bytes) are carried inline; larger ones are left out with a warning on the item. */
  maxAttachmentSize: number;
  /** A calendar object or vCard larger than this (bytes) after normalisation fails with the reason. */
  maxObjectSize: number;
}

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

// ---------------------------------------------------------------------------------------------
// Defaults

export const DEFAULT_STATE_PATH = './.ums-migrate/state.sqlite';
export const DEFAULT_MAX_MESSAGE_SIZE = 50 * 1024 * 1024;
export const DEFAULT_SPECIAL_USE: SpecialUseNames = {
  sent: 'Sent',
  trash: 'Trash',
  junk: 'Spam',
  drafts: 'Drafts',
  archive: 'Archive',
};
/** Courier-IMAP's default MAXPERIP. */
export const COURIER_MAX_PER_IP = 20;

/** Field names whose values are secrets (or refs to them): never echoed in messages. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['sourcePassword', 'targetPassword', 'masterPassword', 'url', 'bindPassword', 'clientSecret']);

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Short, value-safe description of a YAML value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

/** Every secret field uses this one schema: validate finds them all through it (secret-ref-schema.ts). */
const secretRef = secretRefSchema;

const nonEmpty = z.string().min(1);

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const login = nonEmpty.refine((s) => !/[\s\p{Cc}]/u.test(s), 'must not contain spaces or control characters');

/** A "/"-joined folder path: no empty segments. */
const folderPath = nonEmpty.superRefine((s, ctx) => {
  if (s.split('/').some((seg) => seg === '')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `empty path segment in ${JSON.stringify(s)} (leading, trailing or double "/")` });
  }
});

const folderGlob = folderPath.superRefine((s, ctx) => {
  for (const seg of s.split('/')) {
    if (seg.includes('**') && seg !== '**') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"**" must be a whole path segment in ${JSON.stringify(s)}` });
      return;
    }
  }
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses "YYYY-MM-DD" (UTC midnight) or an ISO date-time ("2024-01-01T12:00:00+01:00"; without
 * an offset it is taken as UTC). Returns undefined when invalid (including 2024-02-30).
 */
export function parseConfigDate(s: string): Date | undefined {
  const m = ISO_DATE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  const offset = /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const dateField = z.unknown().transform((v, ctx): Date | undefined => {
  if (v === undefined) return undefined;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v;
  const d = typeof v === 'string' ? parseConfigDate(v) : undefined;
  if (d === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected a date (YYYY-MM-DD or ISO date-time), got ${describeValue(v)}`,
    });
    return z.NEVER;
  }
  return d;
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB)?$/i;
const SIZE_FACTOR: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "50MB" → 52428800 (1024-based); a number is bytes. Undefined when invalid. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = SIZE.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  const bytes = Math.floor(Number(m[1]) * (SIZE_FACTOR[unit] ?? 1));
  return bytes > 0 ? bytes : undefined;
}

const sizeField = z.unknown().transform((v, ctx): number => {
  if (v === undefined) return DEFAULT_MAX_MESSAGE_SIZE;
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected a positive size in bytes or with KB/MB/GB, got ${describeValue(v)}`,
    });
    return z.NEVER;
  }
  return n;
});

// ---------------------------------------------------------------------------------------------
// Sections

const authSchema = z
  .object({
    mode: z.enum(['user', 'master']).default('user'),
    masterUser: nonEmpty.optional(),
    masterPassword: secretRef.optional(),
    masterStyle: z.enum(['authzid', 'separator']).default('authzid'),
    masterSeparator: nonEmpty.default('*'),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.mode !== 'master') return;
    if (a.masterUser === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['masterUser'], message: 'required when mode is master' });
    if (a.masterPassword === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['masterPassword'], message: 'required when mode is master' });
  })
  .transform((a): AuthConfig =>
    a.mode === 'master'
      ? { mode: 'master', masterUser: a.masterUser!, masterPassword: a.masterPassword!, masterStyle: a.masterStyle, masterSeparator: a.masterSeparator }
      : { mode: 'user' },
  );

const endpointShape = {
  host: nonEmpty.refine((s) => !/[\s/\p{Cc}\p{Cf}]/u.test(s), 'expected a host name or address (no spaces, control or format characters, no scheme or path)'),
  port: int(1, 65535).optional(),
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit'),
  allowInsecure: z.boolean().default(false),
  tlsVerify: z.boolean().default(true),
  caFile: nonEmpty.optional(),
  auth: authSchema.default({}),
  timeoutSeconds: int(5, 3600).default(300),
};

type EndpointInput = { tls: TlsMode; allowInsecure: boolean; tlsVerify: boolean; port?: number };

/**
 * The TLS rules of one endpoint (the transport policy, src/util/transport-policy.ts): plaintext
 * and unverified certificates need allowInsecure. Also used on the raw document (load.ts) so the
 * rules are reported even when another field of the same endpoint is invalid.
 */
export function endpointProblems(e: { tls?: unknown; allowInsecure?: unknown; tlsVerify?: unknown }): { field: 'tls' | 'tlsVerify'; message: string }[] {
  return transportProblems({ plaintext: e.tls === 'none' ? IMAP_PLAINTEXT : undefined, tlsVerify: e.tlsVerify, allowInsecure: e.allowInsecure })
    .map((p) => ({ field: p.field === 'plaintext' ? 'tls' : 'tlsVerify', message: p.message }));
}

function checkEndpoint(e: EndpointInput, ctx: z.RefinementCtx): void {
  for (const p of endpointProblems(e)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.field], message: p.message });
}

function defaultPort<T extends EndpointInput>(e: T): T & { port: number } {
  return { ...e, port: e.port ?? (e.tls === 'implicit' ? 993 : 143) };
}

const imapSourceSchema = z
  .object({
    type: z.literal('imap'),
    ...endpointShape,
    maxConnections: int(1, 100).default(6),
  })
  .strict();

const ewsAuthSchema = z
  .object({
    mode: z.enum(['user', 'master', 'oauth2']).default('master'),
    method: z.enum(['basic', 'ntlm']).default('basic'),
    domain: nonEmpty.optional(),
    masterUser: nonEmpty.optional(),
    masterPassword: secretRef.optional(),
    tenant: nonEmpty.optional(),
    tokenUrl: z.string().url('expected an https:// URL, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token')
      .refine((u) => /^https?:\/\//i.test(u), 'expected an https:// (or, with allowInsecure, http://) URL').superRefine(noUrlCredentials).optional(),
    clientId: nonEmpty.optional(),
    clientSecret: secretRef.optional(),
    scope: nonEmpty.default('https://outlook.office365.com/.default'),
  })
  .strict()
  .superRefine((a, ctx) => {
    const need = (field: keyof typeof a, why: string) => {
      if (a[field] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required when mode is ${why}` });
    };
    if (a.mode === 'master') { need('masterUser', 'master'); need('masterPassword', 'master'); }
    if (a.mode === 'oauth2') {
      need('clientId', 'oauth2'); need('clientSecret', 'oauth2');
      if (a.tenant === undefined && a.tokenUrl === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tenant'], message: 'tenant or tokenUrl is required when mode is oauth2' });
    }
  })
  .transform((a): EwsAuthConfig => {
    if (a.mode === 'master') {
      return { mode: 'master', masterUser: a.masterUser!, masterPassword: a.masterPassword!, method: a.method, ...(a.domain !== undefined ? { domain: a.domain } : {}) };
    }
    if (a.mode === 'oauth2') {
      const tokenUrl = a.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(a.tenant!)}/oauth2/v2.0/token`;
      return { mode: 'oauth2', tokenUrl, clientId: a.clientId!, clientSecret: a.clientSecret!, scope: a.scope };
    }
    return { mode: 'user' };
  });

const ewsSourceSchema = z
  .object({
    type: z.literal('ews'),
    url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'expected an http(s) URL, e.g. https://mail.example.org/EWS/Exchange.asmx').superRefine(noUrlCredentials),
    auth: ewsAuthSchema,
    impersonation: z.boolean().optional(),
    exchangeVersion: nonEmpty.default('Exchange2013_SP1'),
    allowInsecure: z.boolean().default(false),
    tlsVerify: z.boolean().default(true),
    caFile: nonEmpty.optional(),
    maxConnections: int(1, 100).default(8),
    maxBackoffMs: int(0, 3_600_000).default(300_000),
    timeoutSeconds: int(1, 3600).default(120),
    vcardVersion: z.enum(['3.0', '4.0']).default('3.0'),
  })
  .strict();

const pstSourceSchema = z
  .object({
    type: z.literal('pst'),
    directory: nonEmpty,
    files: nonEmpty
      .refine((s) => s.includes('{login}'), 'must contain {login} (each mailbox needs its own files)')
      .refine((s) => !s.split('/').includes('..'), 'must stay inside the directory (no "..")')
      .default('{login}.pst'),
    codepage: int(1, 65535).optional(),
    groupware: z.boolean().default(false),
  })
  .strict();

const kopanoBackupSourceSchema = z.object({ type: z.literal('kopano-backup'), path: nonEmpty }).strict();
const kopanoTreeSourceSchema = z.object({ type: z.literal('kopano-tree'), path: nonEmpty }).strict();

const msgSourceSchema = z
  .object({
    type: z.literal('msg'),
    directory: nonEmpty,
    folders: nonEmpty
      .refine((s) => s.includes('{login}'), 'must contain {login} (each mailbox needs its own folder)')
      .refine((s) => !s.split('/').includes('..'), 'must stay inside the directory (no "..")')
      .default('{login}'),
    codepage: int(1, 65535).optional(),
    groupware: z.boolean().default(false),
  })
  .strict();

/**
 * The TLS rules of the EWS source (its URL, the OAuth2 token endpoint that receives the client
 * secret, certificate checks): plaintext and unverified certificates need allowInsecure. On the
 * raw document too (load.ts), like endpointProblems.
 */
export function ewsTransportProblems(e: { url?: unknown; allowInsecure?: unknown; tlsVerify?: unknown; auth?: unknown }): { path: string[]; message: string }[] {
  const isHttp = (u: unknown) => typeof u === 'string' && /^http:/i.test(u);
  const auth = e.auth !== null && typeof e.auth === 'object' ? (e.auth as Record<string, unknown>) : {};
  const at = (path: string[], t: TransportSettings) => transportProblems({ ...t, allowInsecure: e.allowInsecure }).map((p) => ({ path, message: p.message }));
  return [
    ...at(['url'], { plaintext: isHttp(e.url) ? httpPlaintext('credentials') : undefined }),
    ...at(['auth', 'tokenUrl'], { plaintext: auth['mode'] === 'oauth2' && isHttp(auth['tokenUrl']) ? httpPlaintext('the client secret') : undefined }),
    ...at(['tlsVerify'], { tlsVerify: e.tlsVerify }),
  ];
}

export const sourceSchema = z
  .discriminatedUnion('type', [imapSourceSchema, ewsSourceSchema, pstSourceSchema, kopanoBackupSourceSchema, kopanoTreeSourceSchema, msgSourceSchema])
  .superRefine((s, ctx) => {
    if (s.type === 'imap') { checkEndpoint(s, ctx); return; }
    if (s.type !== 'ews') return;
    for (const p of ewsTransportProblems(s)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
  })
  .transform((s): SourceConfig => {
    if (s.type === 'imap') return defaultPort(s);
    if (s.type === 'ews') return { ...s, impersonation: s.impersonation ?? s.auth.mode !== 'user' };
    return s;
  });

export const targetSchema = z
  .object({
    type: z.literal('ums-imap').default('ums-imap'),
    ...endpointShape,
    maxConnections: int(1, 100).default(8),
    namespace: z
      .object({
        prefix: z.string(),
        delimiter: z.string().length(1, 'expected a single character'),
      })
      .strict()
      .optional(),
    utf8Accept: z.boolean().default(true),
  })
  .strict()
  .superRefine(checkEndpoint)
  .transform((t): TargetConfig => defaultPort(t));

export const groupwareTargetSchema = z
  .object({
    type: z.literal('dav').default('dav'),
    url: z.string().url('expected an http(s) URL, e.g. https://cloud.example.org/remote.php/dav/').refine((u) => /^https?:\/\//i.test(u), 'expected an https:// (or, with allowInsecure, http://) URL')
      .superRefine(noUrlCredentials),
    allowInsecure: z.boolean().default(false),
    tlsVerify: z.boolean().default(true),
    caFile: nonEmpty.optional(),
    maxConnections: int(1, 100).default(4),
    vcardVersion: z.enum(['3.0', '4.0']).default('3.0'),
    maxAttachmentSize: sizeField.default('1MB'),
    maxObjectSize: sizeField.default('20MB'),
  })
  .strict()
  .superRefine((g, ctx) => {
    const plaintext = /^http:/i.test(g.url) ? httpPlaintext('passwords') : undefined;
    for (const p of transportProblems({ plaintext, tlsVerify: g.tlsVerify, allowInsecure: g.allowInsecure })) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.field === 'plaintext' ? 'url' : 'tlsVerify'], message: p.message });
    }
  });

export const stateSchema = z
  .object({
    driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
    path: nonEmpty.optional(),
    url: secretRef.optional(),
    caFile: nonEmpty.optional(),
    allowInsecure: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.driver === 'postgres' && s.url === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: 'required when driver is postgres' });
    }
  })
  .transform((s): StateConfig => (s.driver === 'postgres'
    ? { driver: 'postgres', url: s.url!, ...(s.caFile !== undefined ? { caFile: s.caFile } : {}), allowInsecure: s.allowInsecure }
    : { driver: 'sqlite', path: s.path ?? DEFAULT_STATE_PATH }));

const loggingSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    file: nonEmpty.optional(),
  })
  .strict();

const mailboxSchema = z
  .object({
    source: login,
    target: login.optional(),
    sourcePassword: secretRef.optional(),
    targetPassword: secretRef.optional(),
    wave: z.string().trim().min(1).optional(),
  })
  .strict();

const specialUseName = folderPath;

const foldersSchema = z
  .object({
    include: z.array(folderGlob).min(1).default(['**']),
    exclude: z.array(folderGlob).default([]),
    rename: z.array(z.object({ from: folderPath, to: folderPath }).strict()).default([]),
    specialUse: z
      .object({
        sent: specialUseName.default(DEFAULT_SPECIAL_USE.sent),
        trash: specialUseName.default(DEFAULT_SPECIAL_USE.trash),
        junk: specialUseName.default(DEFAULT_SPECIAL_USE.junk),
        drafts: specialUseName.default(DEFAULT_SPECIAL_USE.drafts),
        archive: specialUseName.default(DEFAULT_SPECIAL_USE.archive),
      })
      .strict()
      .default({}),
    invalidCharReplacement: z
      .string()
      .min(1)
      .max(8)
      .refine((s) => !/[/.\p{Cc}]/u.test(s), 'must not contain "/", "." or control characters')
      .default('_'),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.rename.forEach((r, i) => {
      const prev = seen.get(r.from);
      if (prev !== undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rename', i, 'from'], message: `duplicate rename of ${JSON.stringify(r.from)} (also folders.rename[${prev}])` });
      } else seen.set(r.from, i);
    });
  });

const filtersSchema = z
  .object({
    before: dateField,
    since: dateField,
    maxMessageSize: sizeField,
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.before !== undefined && f.since !== undefined && f.before.getTime() <= f.since.getTime()) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['before'],
        message: `must be later than filters.since (${f.before.toISOString()} <= ${f.since.toISOString()})`,
      });
    }
  });

const concurrencySchema = z
  .object({
    // Four mailboxes and two folders each at once: fills a WAN link (bench:wan) within the
    // default connection caps (source 6, target 8; Courier allows 20 per IP).
    mailboxes: int(1, 100).default(4),
    tasks: int(1, 1000).default(8),
    writersPerTask: int(1, 100).default(1),
    batchSize: int(1, 5000).default(100),
  })
  .strict();

const syncSchema = z
  .object({
    flags: z.boolean().default(true),
    deletions: z.enum(['ignore', 'mirror']).default('ignore'),
  })
  .strict();

const decodeTnefField = z.unknown().transform((v, ctx): MailConfig['decodeTnef'] => {
  if (v === undefined || v === false || v === 'off') return 'off';
  if (v === true || v === 'replace') return 'replace';
  if (v === 'keep-original') return 'keep-original';
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected off, replace (or true) or keep-original, got ${describeValue(v)}` });
  return z.NEVER;
});

const mailSchema = z
  .object({
    decodeTnef: decodeTnefField,
  })
  .strict();

const retrySchema = z
  .object({
    attempts: int(1, 100).default(5),
    baseDelayMs: int(0, 3_600_000).default(1000),
    maxDelayMs: int(0, 86_400_000).default(60000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.maxDelayMs < r.baseDelayMs) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['maxDelayMs'], message: `must be at least retry.baseDelayMs (${r.baseDelayMs})` });
    }
  });

const workersSchema = z
  .object({
    leaseSeconds: int(5, 3600).default(30),
    heartbeatSeconds: int(1, 600).default(5),
    maxAttempts: int(1, 1000).default(10),
    concurrency: int(1, 100).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.heartbeatSeconds * 2 > w.leaseSeconds) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['heartbeatSeconds'], message: `must be at most half of workers.leaseSeconds (${w.leaseSeconds}), or live workers would look dead` });
    }
  });

const migrationConfigObject = z
  .object({
    version: z.literal(1),
    state: stateSchema.default({}),
    logging: loggingSchema.default({}),
    source: sourceSchema,
    target: targetSchema,
    groupwareTarget: groupwareTargetSchema.optional(),
    mailboxes: z.array(mailboxSchema).default([]),
    userMap: nonEmpty.optional(),
    folders: foldersSchema.default({}),
    filters: filtersSchema.default({}),
    concurrency: concurrencySchema.default({}),
    sync: syncSchema.default({}),
    mail: mailSchema.default({}),
    retry: retrySchema.default({}),
    workers: workersSchema.default({}),
    routing: routingSchema.optional(),
    cutover: cutoverSchema.optional(),
    discover: discoverSchema.optional(),
    directory: directorySchema.optional(),
  })
  .strict();

/** The whole file. Parse the YAML's plain JS value (`doc.toJS()`) with it. */
export const migrationConfigSchema: z.ZodType<MigrationConfig, z.ZodTypeDef, unknown> = migrationConfigObject;

/** The schema of each top-level section (the document has no rule across sections): to parse the valid ones of an invalid document. */
export const migrationConfigSections: Readonly<Record<string, z.ZodTypeAny>> = migrationConfigObject.shape;

// ---------------------------------------------------------------------------------------------
// Schema introspection (for "did you mean" on unknown keys)

/**
 * The schema that reads the value at `path` of the raw document `data` (following `data` through
 * discriminated unions, so `source.auth` is the auth schema of the source's type), if any.
 */
export function schemaAt(path: readonly (string | number)[], data: unknown): z.ZodTypeAny | undefined {
  let schema: z.ZodTypeAny = migrationConfigObject;
  let value: unknown = data;
  let i = 0;
  for (;;) {
    if (i >= path.length) return schema;
    let s = unwrapSchema(schema, value);
    if (!s) return undefined;
    if (s instanceof z.ZodArray && typeof path[i] === 'number') {
      s = s.element as z.ZodTypeAny;
      value = Array.isArray(value) ? value[path[i] as number] : undefined;
    } else if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.ZodTypeAny>)[String(path[i])];
      if (!next) return undefined;
      s = next;
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[String(path[i])] : undefined;
    } else return undefined;
    schema = s;
    i++;
  }
}

/** The object or array schema under effects, defaults, optionals and the union option `value` selects. */
function unwrapSchema(schema: z.ZodTypeAny, value: unknown): z.ZodTypeAny | undefined {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
    else if (s instanceof z.ZodDefault) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodTypeAny;
    else if (s instanceof z.ZodDiscriminatedUnion) {
      const disc = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[s.discriminator as string] : undefined;
      const option = (s.optionsMap as Map<unknown, z.ZodTypeAny>).get(disc);
      if (!option) return undefined;
      s = option;
    } else return s;
  }
}

/** The known keys of the object schema found at `path` (following `data` through unions), if any. */
export function knownKeysAt(path: readonly (string | number)[], data: unknown): string[] | undefined {
  const schema = schemaAt(path, data);
  let value: unknown = data;
  for (const seg of path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  const s = schema && unwrapSchema(schema, value);
  return s instanceof z.ZodObject ? Object.keys(s.shape as object) : undefined;
}

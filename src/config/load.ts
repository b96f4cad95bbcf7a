/**
 * Loading and validating migration.yaml.
 *
 * `validateConfigText` never throws for bad input: it returns every problem it finds as a
 * `ConfigIssue` with the YAML path and line/column. `loadConfig` reads the file, validates it and
 * throws `ConfigError` when there is at least one error.
 *
 * Beyond the schema it merges the inline mailboxes with the CSV user map, defaults each
 * mailbox's target to its source, reports duplicates, checks that each side has the passwords its
 * auth mode needs and (with `checkRefs`) that every secret reference and CA file can be read:
 * every secret field of every section, found through the schema (secret-ref-schema.ts), also in
 * the valid sections of a document with errors elsewhere. Files are decoded as strict UTF-8 (an
 * invalid byte is an error at its line and column, utf8.ts).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { parseCsv } from './csv.js';
import {
  COURIER_MAX_PER_IP,
  describeValue,
  endpointProblems,
  ewsTransportProblems,
  knownKeysAt,
  migrationConfigSchema,
  SECRET_FIELDS,
  type MigrationConfig,
} from './schema.js';
import { caFileProblems, refProblemsOfValidSections, secretProblem, secretRefProblems, stateStoreCheck, stringsIn, type RefProblem } from './ref-checks.js';
import { createSecretResolver, secretRefProblem, type SecretRef, type SecretResolver } from './secrets.js';
import { decodeUtf8, utf8Problem } from './utf8.js';

export interface ConfigIssue {
  /** YAML path, e.g. 'source.port' or 'mailboxes[2].target'; '' for the whole document. */
  path: string;
  /** 1-based line in the config file, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  message: string;
  severity: 'error' | 'warning';
}

/** One mailbox to migrate: inline entries and CSV rows merged, target defaulted. */
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

export interface ValidateOptions {
  /** Directory for relative paths; defaults to the directory of `file`, else the cwd. */
  baseDir?: string;
  /** Environment for `env:` references; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The config file's path (for baseDir and messages). */
  file?: string;
  /** Also check that every used secret reference resolves and CA files are readable (default true). */
  checkRefs?: boolean;
  /** No mailbox (and no userMap file yet) is not an error: `discover` writes the first user map. */
  mailboxesOptional?: boolean;
}

export interface ValidationResult {
  /** Present when there are no errors (paths absolute). */
  config?: MigrationConfig;
  /** Present when there are no errors. */
  mailboxes?: MailboxEntry[];
  /** Errors and warnings, sorted by line. */
  issues: ConfigIssue[];
  /** Where the state store is and how it is reached ("PostgreSQL postgres://u@db:5432/state over TLS, …"), when known. */
  stateStore?: string;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Also check that secret references resolve and CA files are readable (default false: lazy). */
  checkRefs?: boolean;
  /** See ValidateOptions.mailboxesOptional. */
  mailboxesOptional?: boolean;
}

/** Thrown by loadConfig; `.issues` holds all errors and warnings. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], file = 'config') {
    const errors = issues.filter((i) => i.severity === 'error');
    super(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${formatIssues(errors, file)}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

type Seg = string | number;

/** ['mailboxes', 2, 'target'] → 'mailboxes[2].target'. */
export function formatPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** One line per issue: `migration.yaml:12:9 error source.port: expected a number, got "abc"`. */
export function formatIssues(issues: readonly ConfigIssue[], file: string): string {
  return issues
    .map((i) => {
      const loc = i.line === undefined ? file : i.column === undefined ? `${file}:${i.line}` : `${file}:${i.line}:${i.column}`;
      return `${loc} ${i.severity} ${i.path === '' ? '' : `${i.path}: `}${i.message}`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Locating paths in the YAML document

class Issues {
  readonly list: ConfigIssue[] = [];
  constructor(
    private readonly doc: Document | undefined,
    private readonly lc: LineCounter,
  ) {}

  add(segs: readonly Seg[], message: string, severity: 'error' | 'warning' = 'error', atKey = false): void {
    const pos = this.locate(segs, atKey);
    const issue: ConfigIssue = { path: formatPath(segs), message, severity };
    if (pos) {
      issue.line = pos.line;
      issue.column = pos.col;
    }
    this.list.push(issue);
  }

  get hasErrors(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }

  /**
   * Position of the value at `segs` (or of its key with `atKey`, or when the value is empty). A
   * path that does not exist (a missing key) points at the nearest existing ancestor's key.
   */
  private locate(segs: readonly Seg[], atKey: boolean): { line: number; col: number } | undefined {
    if (!this.doc) return undefined;
    let node: unknown = this.doc.contents;
    let offset: number | undefined;
    /** Key of the pair whose value is `node` (undefined for sequence items and the root). */
    let parentKey: number | undefined;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) {
          offset = parentKey ?? offset;
          break;
        }
        const keyStart = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? pair.key.range?.[0] : undefined;
        const value = pair.value;
        const valueRange = isScalar(value) || isMap(value) || isSeq(value) || isAlias(value) ? value.range : undefined;
        const empty = !valueRange || valueRange[0] === valueRange[1];
        if ((atKey && i === segs.length - 1) || empty) {
          offset = keyStart ?? offset;
          if (empty) break;
        } else offset = valueRange[0];
        parentKey = keyStart;
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (!(isScalar(item) || isMap(item) || isSeq(item) || isAlias(item)) || !item.range) {
          offset = parentKey ?? offset;
          break;
        }
        offset = item.range[0];
        parentKey = undefined;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : this.lc.linePos(offset);
  }
}

// ---------------------------------------------------------------------------------------------
// Zod issues → config issues

function getAt(data: unknown, segs: readonly Seg[]): unknown {
  let v = data;
  for (const s of segs) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return v;
}

function isSecretPath(segs: readonly Seg[]): boolean {
  const last = [...segs].reverse().find((s) => typeof s === 'string');
  return last !== undefined && SECRET_FIELDS.has(last);
}

/** describeValue, but for secret fields only the kind of value (an inline secret must not leak). */
function describeAt(value: unknown, segs: readonly Seg[]): string {
  if (!isSecretPath(segs)) return describeValue(value);
  if (value === null || value === undefined) return describeValue(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  date: 'a date',
};

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, known: string[] | undefined): string {
  let msg = `unknown key ${JSON.stringify(key)}`;
  if (!known || known.length === 0) return msg;
  const lower = key.toLowerCase();
  const best = known
    .map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : levenshtein(lower, k.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  if (best && best.d <= Math.max(2, Math.floor(key.length / 3))) msg += ` (did you mean ${JSON.stringify(best.k)}?)`;
  else msg += ` (allowed: ${known.join(', ')})`;
  return msg;
}

function reportZodIssue(issue: z.ZodIssue, raw: unknown, out: Issues): void {
  const segs = issue.path;
  const value = getAt(raw, segs);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) out.add([...segs, key], unknownKeyMessage(key, knownKeysAt(segs, raw)), 'error', true);
      return;
    case 'invalid_type':
      if (issue.received === 'undefined') out.add(segs, 'required');
      else out.add(segs, `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeAt(value, segs)}`);
      return;
    case 'invalid_literal':
      if (segs.length === 1 && segs[0] === 'version') {
        out.add(segs, value === undefined ? 'required (version: 1)' : `unsupported config version ${describeAt(value, segs)}; expected 1`);
      } else {
        out.add(segs, value === undefined ? 'required' : `expected ${JSON.stringify(issue.expected)}, got ${describeAt(value, segs)}`);
      }
      return;
    case 'invalid_enum_value':
      out.add(segs, `expected one of ${issue.options.join(', ')}, got ${describeAt(issue.received, segs)}`);
      return;
    case 'invalid_union_discriminator': {
      const options = issue.options.map(String).join(', ');
      out.add(segs, value === undefined ? `required (one of ${options})` : `expected one of ${options}, got ${describeAt(value, segs)}`);
      return;
    }
    case 'too_small':
      if (issue.exact) break;
      if (issue.type === 'string') out.add(segs, issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`);
      else if (issue.type === 'array') out.add(segs, `must have at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`);
      else out.add(segs, `must be at least ${issue.minimum}, got ${describeAt(value, segs)}`);
      return;
    case 'too_big':
      if (issue.exact) break;
      if (issue.type === 'string') out.add(segs, `must be at most ${issue.maximum} characters`);
      else if (issue.type === 'array') out.add(segs, `must have at most ${issue.maximum} entries`);
      else out.add(segs, `must be at most ${issue.maximum}, got ${describeAt(value, segs)}`);
      return;
    default:
      break;
  }
  out.add(segs, issue.message);
}

// ---------------------------------------------------------------------------------------------
// Checks on the raw document (independent of schema errors)

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function rawWarnings(raw: unknown, out: Issues): void {
  if (!isObj(raw)) return;
  for (const side of ['source', 'target'] as const) {
    const ep = raw[side];
    const auth = isObj(ep) ? ep['auth'] : undefined;
    if (!isObj(auth) || auth['mode'] === 'master') continue;
    for (const key of ['masterUser', 'masterPassword', 'masterStyle', 'masterSeparator']) {
      if (key in auth) out.add([side, 'auth', key], 'ignored unless mode is master', 'warning', true);
    }
  }
  const state = raw['state'];
  if (isObj(state)) {
    if (state['driver'] === 'postgres' && 'path' in state) out.add(['state', 'path'], 'ignored when driver is postgres', 'warning', true);
    for (const key of ['url', 'caFile', 'allowInsecure']) {
      if (state['driver'] !== 'postgres' && key in state) out.add(['state', key], 'ignored unless driver is postgres', 'warning', true);
    }
  }
}

/**
 * The endpoint TLS rules on the raw document, for when the schema could not get that far (zod
 * skips an object's refinements when one of its fields is invalid). Skips what is already reported.
 */
function rawEndpointChecks(raw: unknown, out: Issues): void {
  if (!isObj(raw)) return;
  for (const side of ['source', 'target'] as const) {
    const ep = raw[side];
    if (!isObj(ep)) continue;
    const problems = side === 'source' && ep['type'] === 'ews'
      ? ewsTransportProblems(ep).map((p) => ({ segs: [side, ...p.path], message: p.message }))
      : endpointProblems(ep).map((p) => ({ segs: [side, p.field], message: p.message }));
    for (const p of problems) {
      const path = formatPath(p.segs);
      if (!out.list.some((i) => i.path === path)) out.add(p.segs, p.message);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mailboxes: inline + CSV

/** Where a mailbox came from, for messages. */
type Where = { kind: 'inline'; index: number } | { kind: 'csv'; name: string; line: number };

interface Located {
  entry: MailboxEntry;
  where: Where;
  /** CSV columns present (inline: all). */
  hasColumn: (field: 'sourcePassword' | 'targetPassword') => boolean;
}

function reportMailbox(out: Issues, where: Where, field: string | undefined, message: string, severity: 'error' | 'warning' = 'error'): void {
  if (where.kind === 'inline') out.add(field ? ['mailboxes', where.index, field] : ['mailboxes', where.index], message, severity);
  else out.add(['userMap'], `${where.name}:${where.line}: ${field ? `${field}: ` : ''}${message}`, severity);
}

function displayName(abs: string, baseDir: string): string {
  const rel = path.relative(baseDir, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

// mailboxType (user, shared, room, equipment) is written by `discover` for people; not used here.
const CSV_COLUMNS = ['source', 'target', 'sourcePassword', 'targetPassword', 'wave', 'mailboxType'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

function readUserMap(file: string, baseDir: string, out: Issues, optional = false): Located[] {
  const name = displayName(file, baseDir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    out.add(['userMap'], `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return [];
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    out.add(['userMap'], `${name}:${decoded.line}:${decoded.column}: ${utf8Problem(decoded)}`);
    return [];
  }
  const { records, errors } = parseCsv(decoded.text);
  for (const e of errors) out.add(['userMap'], `${name}:${e.line}: ${e.message}`);
  const header = records.shift();
  if (!header) return [];
  const columns: CsvColumn[] = [];
  let headerOk = true;
  for (const f of header.fields) {
    const col = CSV_COLUMNS.find((c) => c.toLowerCase() === f.trim().toLowerCase());
    if (!col) {
      out.add(['userMap'], `${name}:${header.line}: unknown column ${JSON.stringify(f.trim())} in the header (expected ${CSV_COLUMNS.join(',')})`);
      headerOk = false;
    } else if (columns.includes(col)) {
      out.add(['userMap'], `${name}:${header.line}: duplicate column ${JSON.stringify(col)} in the header`);
      headerOk = false;
    } else columns.push(col);
  }
  if (headerOk && !columns.includes('source')) {
    out.add(['userMap'], `${name}:${header.line}: the header needs a "source" column (expected ${CSV_COLUMNS.join(',')})`);
    headerOk = false;
  }
  if (!headerOk) return [];

  const min = Math.min(2, columns.length);
  const max = columns.length;
  const located: Located[] = [];
  for (const rec of records) {
    const where: Where = { kind: 'csv', name, line: rec.line };
    if (rec.fields.length < min || rec.fields.length > max) {
      const expected = min === max ? `${max} column${max === 1 ? '' : 's'}` : `${min}–${max} columns`;
      out.add(['userMap'], `${name}:${rec.line}: expected ${expected}, got ${rec.fields.length}`);
      continue;
    }
    const row: Partial<Record<CsvColumn, string>> = {};
    columns.forEach((c, i) => {
      const v = rec.fields[i]?.trim();
      if (v !== undefined && v !== '') row[c] = v;
    });
    let ok = true;
    for (const c of ['source', 'target'] as const) {
      const v = row[c];
      if (c === 'source' && v === undefined) {
        reportMailbox(out, where, 'source', 'required');
        ok = false;
      } else if (v !== undefined && /[\s\p{Cc}]/u.test(v)) {
        reportMailbox(out, where, c, 'must not contain spaces or control characters');
        ok = false;
      }
    }
    for (const c of ['sourcePassword', 'targetPassword'] as const) {
      const v = row[c];
      const problem = v === undefined ? undefined : secretRefProblem(v);
      if (problem !== undefined) {
        reportMailbox(out, where, c, problem);
        ok = false;
      }
    }
    if (!ok) continue;
    const entry: MailboxEntry = { source: row.source!, target: row.target ?? row.source!, origin: `${name}:${rec.line}` };
    if (row.sourcePassword !== undefined) entry.sourcePassword = row.sourcePassword as SecretRef;
    if (row.targetPassword !== undefined) entry.targetPassword = row.targetPassword as SecretRef;
    if (row.wave !== undefined) entry.wave = row.wave;
    located.push({ entry, where, hasColumn: (f) => columns.includes(f) });
  }
  return located;
}

function collectMailboxes(config: MigrationConfig, baseDir: string, out: Issues, optional = false): Located[] {
  const all: Located[] = config.mailboxes.map((m, index) => {
    const entry: MailboxEntry = { source: m.source, target: m.target ?? m.source, origin: `mailboxes[${index}]` };
    if (m.sourcePassword !== undefined) entry.sourcePassword = m.sourcePassword;
    if (m.targetPassword !== undefined) entry.targetPassword = m.targetPassword;
    if (m.wave !== undefined) entry.wave = m.wave;
    return { entry, where: { kind: 'inline', index }, hasColumn: () => true };
  });
  if (config.userMap !== undefined) all.push(...readUserMap(config.userMap, baseDir, out, optional));
  return all;
}

function checkMailboxes(config: MigrationConfig, located: Located[], out: Issues, optional = false): void {
  if (located.length === 0 && !out.hasErrors && !optional) {
    out.add(config.userMap !== undefined ? ['userMap'] : ['mailboxes'], 'no mailboxes: list them under mailboxes or in a userMap CSV');
  }
  // Logins compare case-insensitively. A target that merely defaults to a duplicate source is
  // reported once, as the source.
  const dupSource = new Set<MailboxEntry>();
  for (const side of ['source', 'target'] as const) {
    const seen = new Map<string, string>();
    for (const { entry, where } of located) {
      const key = entry[side].toLowerCase();
      const prev = seen.get(key);
      if (prev === undefined) seen.set(key, entry.origin);
      else if (side === 'source' || !dupSource.has(entry) || entry.target !== entry.source) {
        reportMailbox(out, where, side, `duplicate ${side} ${JSON.stringify(entry[side])} (also ${prev})`);
        if (side === 'source') dupSource.add(entry);
      }
    }
  }
  for (const [side, field] of [
    ['source', 'sourcePassword'],
    ['target', 'targetPassword'],
  ] as const) {
    const ep = config[side];
    // The groupware target logs in as each mailbox: it needs targetPassword whatever the IMAP side does.
    const groupware = side === 'target' && config.groupwareTarget !== undefined;
    const mode = groupware ? 'user' : 'auth' in ep ? ep.auth.mode : undefined;
    const why = 'auth' in ep && ep.auth.mode === 'user' ? `${side}.auth.mode is user` : 'groupwareTarget logs in as each mailbox';
    if (mode === 'user') {
      const csvMissingColumn = new Set<string>();
      for (const { entry, where, hasColumn } of located) {
        if (entry[field] !== undefined) continue;
        if (where.kind === 'csv' && !hasColumn(field)) {
          if (!csvMissingColumn.has(where.name)) {
            csvMissingColumn.add(where.name);
            out.add(['userMap'], `${where.name}: no ${field} column, but ${why} (each mailbox needs its own password)`);
          }
          continue;
        }
        reportMailbox(out, where, field, `required because ${why}`);
      }
    } else {
      const why = mode === undefined ? `${side}.type ${ep.type} needs no password` : `${side}.auth.mode is master`;
      const warnedCsv = new Set<string>();
      for (const { entry, where } of located) {
        if (entry[field] === undefined) continue;
        if (where.kind === 'csv') {
          if (warnedCsv.has(where.name)) continue;
          warnedCsv.add(where.name);
          out.add(['userMap'], `${where.name}: ${field} values are ignored because ${why}`, 'warning');
        } else reportMailbox(out, where, field, `ignored because ${why}`, 'warning');
      }
    }
  }
}

function configWarnings(config: MigrationConfig, out: Issues): void {
  if (config.target.maxConnections > COURIER_MAX_PER_IP) {
    out.add(
      ['target', 'maxConnections'],
      `${config.target.maxConnections} is above Courier-IMAP's default limit of ${COURIER_MAX_PER_IP} connections per IP (MAXPERIP); raise it on the server or connections will be refused`,
      'warning',
    );
  }
  if (config.concurrency.writersPerTask > config.target.maxConnections) {
    out.add(
      ['concurrency', 'writersPerTask'],
      `${config.concurrency.writersPerTask} writers per task can never run at once with target.maxConnections ${config.target.maxConnections}`,
      'warning',
    );
  }
}

function addProblems(out: Issues, problems: RefProblem[]): void {
  for (const p of problems) out.add(p.path, p.message);
}

function checkMailboxRefs(config: MigrationConfig, located: Located[], baseDir: string, env: NodeJS.ProcessEnv, out: Issues): void {
  for (const [side, field] of [
    ['source', 'sourcePassword'],
    ['target', 'targetPassword'],
  ] as const) {
    const ep = config[side];
    const userMode = 'auth' in ep && ep.auth.mode === 'user';
    if (!userMode && !(side === 'target' && config.groupwareTarget)) continue;
    for (const { entry, where } of located) {
      const ref = entry[field];
      if (ref === undefined) continue;
      const problem = secretProblem(ref, baseDir, env);
      if (problem) reportMailbox(out, where, field, problem);
    }
  }
}

function resolvePaths(c: MigrationConfig, baseDir: string): MigrationConfig {
  const abs = (p: string) => path.resolve(baseDir, p);
  const out: MigrationConfig = {
    ...c,
    state: c.state.driver === 'sqlite' ? { ...c.state, path: abs(c.state.path) }
      : c.state.caFile !== undefined ? { ...c.state, caFile: abs(c.state.caFile) } : c.state,
    logging: { ...c.logging },
    source: { ...c.source },
    target: { ...c.target },
  };
  if (c.logging.file !== undefined) out.logging.file = abs(c.logging.file);
  if ((out.source.type === 'imap' || out.source.type === 'ews') && out.source.caFile !== undefined) out.source.caFile = abs(out.source.caFile);
  if (out.source.type === 'pst' || out.source.type === 'msg') out.source.directory = abs(out.source.directory);
  if (out.source.type === 'kopano-backup' || out.source.type === 'kopano-tree') out.source.path = abs(out.source.path);
  if (c.target.caFile !== undefined) out.target.caFile = abs(c.target.caFile);
  if (c.groupwareTarget?.caFile !== undefined) out.groupwareTarget = { ...c.groupwareTarget, caFile: abs(c.groupwareTarget.caFile) };
  if (c.userMap !== undefined) out.userMap = abs(c.userMap);
  if (c.routing !== undefined) {
    const r = c.routing;
    out.routing = { ...r, mapDir: abs(r.mapDir), addressBook: r.addressBook.format === 'csv' ? { ...r.addressBook, file: abs(r.addressBook.file) } : r.addressBook };
    if (r.postfixConfigDir !== undefined) out.routing.postfixConfigDir = abs(r.postfixConfigDir);
    if (r.postfixBinDir !== undefined) out.routing.postfixBinDir = abs(r.postfixBinDir);
    if (r.auditFile !== undefined) out.routing.auditFile = abs(r.auditFile);
  }
  return out;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const key = (i: ConfigIssue) => (i.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (i.column ?? 0);
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort((a, b) => key(a.issue) - key(b.issue) || a.n - b.n)
    .map((x) => x.issue);
}

/** YAML parser messages without the source excerpt (it could contain an inline secret). */
function yamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Validates config text; never throws for bad input. Give the file's bytes (not a string decoded
 * leniently) so that a byte that is not UTF-8 is reported at its line and column.
 */
export function validateConfigText(input: string | Uint8Array, opts: ValidateOptions = {}): ValidationResult {
  const baseDir = path.resolve(opts.baseDir ?? (opts.file !== undefined ? path.dirname(path.resolve(opts.file)) : process.cwd()));
  const env = opts.env ?? process.env;
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    const decoded = decodeUtf8(input);
    if (!decoded.ok) return { issues: [{ path: '', line: decoded.line, column: decoded.column, message: utf8Problem(decoded), severity: 'error' }] };
    text = decoded.text;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });

  if (doc.errors.length > 0) {
    const out = new Issues(undefined, lc);
    for (const e of doc.errors) {
      const pos = lc.linePos(e.pos[0]);
      out.list.push({ path: '', line: pos.line, column: pos.col, message: `YAML syntax: ${yamlMessage(e.message)}`, severity: 'error' });
    }
    return { issues: sortIssues(out.list) };
  }

  const out = new Issues(doc, lc);
  for (const w of doc.warnings) {
    const pos = lc.linePos(w.pos[0]);
    out.list.push({ path: '', line: pos.line, column: pos.col, message: `YAML: ${yamlMessage(w.message)}`, severity: 'warning' });
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    out.add([], `YAML: ${yamlMessage((err as Error).message)}`);
    return { issues: sortIssues(out.list) };
  }
  if (raw === null || raw === undefined) {
    out.add([], 'the config is empty');
    return { issues: sortIssues(out.list) };
  }

  rawWarnings(raw, out);
  const parsed = migrationConfigSchema.safeParse(raw);
  const checkRefs = opts.checkRefs ?? true;
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportZodIssue(issue, raw, out);
    rawEndpointChecks(raw, out);
    if (checkRefs) addProblems(out, refProblemsOfValidSections(raw, baseDir, env));
    return { issues: sortIssues(out.list) };
  }

  const config = resolvePaths(parsed.data, baseDir);
  const located = collectMailboxes(config, baseDir, out, opts.mailboxesOptional);
  checkMailboxes(config, located, out, opts.mailboxesOptional);
  configWarnings(config, out);
  let stateStore: string | undefined;
  if (checkRefs) {
    addProblems(out, secretRefProblems(raw, stringsIn(config), baseDir, env));
    checkMailboxRefs(config, located, baseDir, env, out);
    addProblems(out, caFileProblems(config));
    const state = stateStoreCheck(config.state, baseDir, env);
    addProblems(out, state.problems);
    stateStore = state.description;
  }

  const issues = sortIssues(out.list);
  if (out.hasErrors) return { issues };
  return { config, mailboxes: located.map((l) => l.entry), issues, ...(stateStore !== undefined ? { stateStore } : {}) };
}

/** Reads and validates a config file; throws ConfigError when it has errors. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const baseDir = path.dirname(abs);
  const env = opts.env ?? process.env;
  let bytes: Buffer;
  try {
    bytes = await readFile(abs);
  } catch (err) {
    const issue: ConfigIssue = {
      path: '',
      message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      severity: 'error',
    };
    throw new ConfigError([issue], file);
  }
  const result = validateConfigText(bytes, { baseDir, env, file: abs, checkRefs: opts.checkRefs ?? false, ...(opts.mailboxesOptional ? { mailboxesOptional: true } : {}) });
  if (!result.config || !result.mailboxes) throw new ConfigError(result.issues, file);
  return {
    config: result.config,
    file: abs,
    baseDir,
    mailboxes: result.mailboxes,
    warnings: result.issues.filter((i) => i.severity === 'warning'),
    resolveSecret: createSecretResolver({ baseDir, env }),
  };
}

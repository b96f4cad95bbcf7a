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
 * every secret field of every section, found through the schema (config-blocks/secret-ref-schema.ts), also in
 * the valid sections of a document with errors elsewhere. Files are decoded as strict UTF-8 (an
 * invalid byte is an error at its line and column, utf8.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatIssues, formatPath, Issues, reportZodIssue, yamlMessage, type ConfigIssue, type Seg } from './issues.js';
import { checkMailboxes, checkMailboxRefs, collectMailboxes, type MailboxSections } from './mailboxes.js';
import { unreadableConfigMessage } from './package-files.js';
import { COURIER_MAX_PER_IP, migrationConfigSchema, migrationConfigSections, type MailboxSpec, type MigrationConfig, type StateConfig } from './schema.js';
import { schemaAt } from './schema-at.js';
import { moduleFor, moduleForRaw } from '../../connectors/modules.js';
import type { ConnectorRole } from '../config-blocks/connector-module.js';
import { caFileProblems, refProblemsOfInvalidDocument, secretRefProblems, stateStoreCheck, stringsIn, type RefProblem } from './ref-checks.js';
import { createSecretResolver } from '../config-blocks/secrets.js';
import { decodeUtf8, utf8Problem } from './utf8.js';
import { coerceError } from '../util/errors.js';

export { formatIssues, formatPath, type ConfigIssue } from './issues.js';
export type { LoadedConfig, MailboxEntry } from './loaded.js';
import type { LoadedConfig, MailboxEntry } from './loaded.js';

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
    const problems = moduleForRaw(side, ep)?.rawProblems?.(ep) ?? [];
    for (const p of problems) {
      const segs = [side, ...p.path];
      if (!out.has(formatPath(segs))) out.add(segs, p.message);
    }
  }
}

/**
 * The top-level sections that are valid on their own (the schema has no rule across sections),
 * and the valid entries of the inline mailbox list: what the checks after the schema work on
 * when the document as a whole is refused.
 */
function validParts(raw: Record<string, unknown>): { sections: Partial<MigrationConfig>; inline: { index: number; spec: MailboxSpec }[] } {
  const sections: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(migrationConfigSections)) {
    const r = schema.safeParse(raw[key]);
    if (r.success && r.data !== undefined) sections[key] = r.data;
  }
  const valid = sections as Partial<MigrationConfig>;
  let inline: { index: number; spec: MailboxSpec }[] = [];
  if (valid.mailboxes !== undefined) inline = valid.mailboxes.map((spec, index) => ({ index, spec }));
  else if (Array.isArray(raw['mailboxes'])) {
    raw['mailboxes'].forEach((item, index) => {
      const r = schemaAt(['mailboxes', index], raw)?.safeParse(item);
      if (r?.success) inline.push({ index, spec: r.data as MailboxSpec });
    });
  }
  return { sections: valid, inline };
}

/** The CA file written in each endpoint section the schema refused (absolute), to check it all the same. */
function caFilesOfInvalidSections(raw: Record<string, unknown>, valid: Partial<MigrationConfig>, baseDir: string): Partial<Record<'source' | 'target' | 'groupwareTarget', { caFile: string }>> {
  const files: Partial<Record<'source' | 'target' | 'groupwareTarget', { caFile: string }>> = {};
  for (const side of ['source', 'target', 'groupwareTarget'] as const) {
    const section = raw[side];
    const caFile = isObj(section) ? section['caFile'] : undefined;
    if (valid[side] === undefined && typeof caFile === 'string' && caFile !== '') files[side] = { caFile: path.resolve(baseDir, caFile) };
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Checks on the parsed config

function configWarnings(config: Partial<MigrationConfig>, out: Issues): void {
  const { target, concurrency } = config;
  if (target === undefined) return;
  if (target.maxConnections > COURIER_MAX_PER_IP) {
    out.add(
      ['target', 'maxConnections'],
      `${target.maxConnections} is above Courier-IMAP's default limit of ${COURIER_MAX_PER_IP} connections per IP (MAXPERIP); raise it on the server or connections will be refused`,
      'warning',
    );
  }
  if (concurrency !== undefined && concurrency.writersPerTask > target.maxConnections) {
    out.add(
      ['concurrency', 'writersPerTask'],
      `${concurrency.writersPerTask} writers per task can never run at once with target.maxConnections ${target.maxConnections}`,
      'warning',
    );
  }
}

function addProblems(out: Issues, problems: RefProblem[]): void {
  for (const p of problems) out.add(p.path, p.message);
}

/** Relative paths of the (valid) sections made absolute against the config's directory. */
function resolvePaths<C extends Partial<MigrationConfig>>(c: C, baseDir: string): C {
  const abs = (p: string) => path.resolve(baseDir, p);
  const out: C = { ...c };
  if (c.state !== undefined) {
    out.state = c.state.driver === 'sqlite' ? { ...c.state, path: abs(c.state.path) }
      : c.state.caFile !== undefined ? { ...c.state, caFile: abs(c.state.caFile) } : c.state;
  }
  if (c.logging !== undefined) out.logging = { ...c.logging, ...(c.logging.file !== undefined ? { file: abs(c.logging.file) } : {}) };
  if (c.source !== undefined) out.source = moduleFor('source', c.source.type)!.normalise(c.source, abs);
  if (c.target !== undefined) out.target = moduleFor('target', c.target.type)!.normalise(c.target, abs);
  if (c.groupwareTarget !== undefined) out.groupwareTarget = moduleFor('groupware-target', c.groupwareTarget.type)!.normalise(c.groupwareTarget, abs);
  if (c.userMap !== undefined) out.userMap = abs(c.userMap);
  if (c.routing !== undefined) {
    const r = c.routing;
    const routing = { ...r, mapDir: abs(r.mapDir), addressBook: r.addressBook.format === 'csv' ? { ...r.addressBook, file: abs(r.addressBook.file) } : r.addressBook };
    if (r.postfixConfigDir !== undefined) routing.postfixConfigDir = abs(r.postfixConfigDir);
    if (r.postfixBinDir !== undefined) routing.postfixBinDir = abs(r.postfixBinDir);
    if (r.auditFile !== undefined) routing.auditFile = abs(r.auditFile);
    out.routing = routing;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Validates config text; never throws for bad input. Give the file's bytes (not a string decoded
 * leniently) so that a byte that is not UTF-8 is reported at its line and column.
 *
 * One pass reports every problem of every kind, in file order: a byte that is not UTF-8, YAML
 * syntax, the schema (types, unknown keys, ranges), the user-map CSV's rows and duplicates, the
 * passwords each auth mode needs, secret references, CA files and the state store's transport.
 * What follows a problem is still checked as far as it is valid: after a YAML syntax error the
 * parser's best reading of the document (a key it may have lost is not reported missing, and
 * nothing else on the syntax error's line); with schema errors, each section and each inline
 * mailbox that is valid on its own.
 */
export function validateConfigText(input: string | Uint8Array, opts: ValidateOptions = {}): ValidationResult {
  const baseDir = path.resolve(opts.baseDir ?? (opts.file !== undefined ? path.dirname(path.resolve(opts.file)) : process.cwd()));
  const env = opts.env ?? process.env;
  const lc = new LineCounter();
  let text: string;
  let encodingIssue: ConfigIssue | undefined;
  if (typeof input === 'string') text = input;
  else {
    const decoded = decodeUtf8(input);
    if (decoded.ok) text = decoded.text;
    else {
      // Reported, and the rest read with U+FFFD in its place (no config is returned with it).
      encodingIssue = { path: '', line: decoded.line, column: decoded.column, message: utf8Problem(decoded), severity: 'error' };
      text = new TextDecoder('utf-8').decode(input);
    }
  }
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const out = new Issues(doc, lc);
  if (encodingIssue) out.push(encodingIssue);
  for (const e of doc.errors) out.addAt(e.pos[0], `YAML syntax: ${yamlMessage(e.message)}`);
  for (const w of doc.warnings) out.addAt(w.pos[0], `YAML: ${yamlMessage(w.message)}`, 'warning');
  const syntaxErrorAt = doc.errors.map((e) => e.pos[0]);
  const syntaxLines = new Set(syntaxErrorAt.map((o) => lc.linePos(o).line));
  const result = (extra: Partial<ValidationResult> = {}): ValidationResult => {
    const issues = out.sorted().filter((i) => i.path === '' || i.line === undefined || !syntaxLines.has(i.line));
    return { issues, ...(out.hasErrors ? {} : extra) };
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    out.add([], `YAML: ${yamlMessage(coerceError(err).message)}`);
    return result();
  }
  if (raw === null || raw === undefined) {
    if (syntaxErrorAt.length === 0) out.add([], 'the config is empty');
    return result();
  }
  if (!isObj(raw)) {
    out.add([], `expected a mapping of sections (version:, source:, target:, …), got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`);
    return result();
  }

  // A value with a syntax error inside it was misread; a key missing from a mapping that a syntax
  // error starts inside of (or follows) may be one the parser lost.
  const damaged = (segs: readonly Seg[], missing: boolean): boolean => {
    if (syntaxErrorAt.length === 0) return false;
    const node = missing ? (segs.length <= 1 ? doc.contents : doc.getIn(segs.slice(0, -1), true)) : doc.getIn(segs, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (missing) return syntaxErrorAt.some((o) => o >= (range?.[0] ?? 0));
    return range !== undefined && syntaxErrorAt.some((o) => o >= range[0] && o <= range[2]);
  };

  rawWarnings(raw, out);
  const parsed = migrationConfigSchema.safeParse(raw);
  const checkRefs = opts.checkRefs ?? true;
  let sections: Partial<MigrationConfig>;
  let inline: { index: number; spec: MailboxSpec }[];
  if (parsed.success) {
    sections = parsed.data;
    inline = parsed.data.mailboxes.map((spec, index) => ({ index, spec }));
  } else {
    for (const issue of parsed.error.issues) reportZodIssue(issue, raw, out, damaged);
    rawEndpointChecks(raw, out);
    ({ sections, inline } = validParts(raw));
  }
  const config = resolvePaths(sections, baseDir);
  const mailboxSections: MailboxSections = {
    ...(config.source !== undefined ? { source: config.source } : {}),
    ...(config.target !== undefined ? { target: config.target } : {}),
    groupware: raw['groupwareTarget'] !== undefined && raw['groupwareTarget'] !== null,
    inline,
    ...(config.userMap !== undefined ? { userMap: config.userMap } : {}),
  };
  const located = collectMailboxes(mailboxSections, baseDir, out, opts.mailboxesOptional);
  // With syntax errors the list itself may be cut short: "no mailboxes" would be a guess.
  checkMailboxes(mailboxSections, located, out, opts.mailboxesOptional || syntaxErrorAt.length > 0);
  configWarnings(config, out);
  let stateStore: string | undefined;
  if (checkRefs) {
    addProblems(out, parsed.success ? secretRefProblems(raw, stringsIn(config), baseDir, env) : refProblemsOfInvalidDocument(raw, baseDir, env));
    checkMailboxRefs(mailboxSections, located, baseDir, env, out);
    const caFileOf = (side: 'source' | 'target' | 'groupwareTarget', role: ConnectorRole) => {
      const section = config[side];
      const caFile = section !== undefined ? moduleFor(role, section.type)!.caFile?.(section) : undefined;
      return caFile !== undefined ? { [side]: { caFile } } : {};
    };
    addProblems(out, caFileProblems({ ...caFilesOfInvalidSections(raw, config, baseDir), ...caFileOf('source', 'source'), ...caFileOf('target', 'target'), ...caFileOf('groupwareTarget', 'groupware-target') }));
    if (config.state !== undefined) {
      const state = stateStoreCheck(config.state as StateConfig, baseDir, env);
      addProblems(out, state.problems);
      stateStore = state.description;
    }
  }
  if (!parsed.success) return result();
  return result({ config: config as MigrationConfig, mailboxes: located.map((l) => l.entry), ...(stateStore !== undefined ? { stateStore } : {}) });
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
    throw new ConfigError([{ path: '', message: unreadableConfigMessage(abs, err), severity: 'error' }], file);
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

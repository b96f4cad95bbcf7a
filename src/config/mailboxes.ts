/**
 * The mailboxes of a config: the inline `mailboxes:` list merged with the CSV user map, target
 * defaulted to source; duplicates, the passwords each side's auth mode needs, and their secret
 * references. Works on what is valid of a document with errors elsewhere (a broken `source:`
 * does not hide a duplicate in the CSV): each check runs when the sections it needs are valid.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { otherSeparatorProblem, parseCsv } from '../util/csv.js';
import type { Issues } from './issues.js';
import { secretProblem } from './ref-checks.js';
import type { GroupwareTargetConfig, MailboxSpec, SourceConfig, TargetConfig } from './schema.js';
import { moduleFor } from '../../connectors/modules.js';
import { secretRefProblem, type SecretRef } from '../config-blocks/secrets.js';
import { decodeUtf8, utf8Problem } from './utf8.js';
import type { MailboxEntry } from './loaded.js';
import { coerceError } from '../util/errors.js';

/** One mailbox to migrate: inline entries and CSV rows merged, target defaulted. */
/** What the mailbox checks need of the config; a section is absent when it is invalid. */
export interface MailboxSections {
  source?: SourceConfig;
  target?: TargetConfig;
  /** The document has a groupwareTarget (it logs in as each mailbox, valid or not). */
  groupware: boolean;
  /** The valid inline mailboxes, with their index in the list. */
  inline: { index: number; spec: MailboxSpec }[];
  /** The user map, absolute. */
  userMap?: string;
}

/** Where a mailbox came from, for messages. */
type Where = { kind: 'inline'; index: number } | { kind: 'csv'; name: string; line: number };

export interface Located {
  entry: MailboxEntry;
  where: Where;
  /** CSV columns present (inline: all). */
  hasColumn: (field: 'sourcePassword' | 'targetPassword') => boolean;
}

function reportMailbox(out: Issues, where: Where, field: string | undefined, message: string, severity: 'error' | 'warning' = 'error'): void {
  if (where.kind === 'inline') out.add(field ? ['mailboxes', where.index, field] : ['mailboxes', where.index], message, severity);
  else out.add(['userMap'], `${where.name}:${where.line}: ${field ? `${field}: ` : ''}${message}`, severity, false, where.line);
}

function displayName(abs: string, baseDir: string): string {
  const rel = path.relative(baseDir, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

// mailboxType (user, shared, room, equipment) is written by `discover` for people; not used here.
const CSV_COLUMNS = ['source', 'target', 'sourcePassword', 'targetPassword', 'wave', 'mailboxType'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const column = (f: string) => CSV_COLUMNS.find((c) => c.toLowerCase() === f.trim().toLowerCase());

function readUserMap(file: string, baseDir: string, out: Issues, optional = false): Located[] {
  const name = displayName(file, baseDir);
  const add = (line: number, message: string) => out.add(['userMap'], `${name}:${line}: ${message}`, 'error', false, line);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    out.add(['userMap'], `cannot read ${name === file ? file : `${name} (${file})`}: ${(err as NodeJS.ErrnoException).code ?? coerceError(err).message}`);
    return [];
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    out.add(['userMap'], `${name}:${decoded.line}:${decoded.column}: ${utf8Problem(decoded)}`, 'error', false, decoded.line);
    return [];
  }
  const { records, errors } = parseCsv(decoded.text);
  for (const e of errors) add(e.line, e.message);
  const header = records.shift();
  if (!header) return [];
  const separator = otherSeparatorProblem(header.fields, (f) => column(f) !== undefined);
  if (separator !== undefined) {
    add(header.line, separator);
    return [];
  }
  const columns: CsvColumn[] = [];
  let headerOk = true;
  for (const f of header.fields) {
    const col = column(f);
    if (!col) {
      add(header.line, `unknown column ${JSON.stringify(f.trim())} in the header (expected ${CSV_COLUMNS.join(',')})`);
      headerOk = false;
    } else if (columns.includes(col)) {
      add(header.line, `duplicate column ${JSON.stringify(col)} in the header`);
      headerOk = false;
    } else columns.push(col);
  }
  if (headerOk && !columns.includes('source')) {
    add(header.line, `the header needs a "source" column (expected ${CSV_COLUMNS.join(',')})`);
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
      add(rec.line, `expected ${expected}, got ${rec.fields.length}`);
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

/** The inline mailboxes and the user map's rows, each row's problems reported. */
export function collectMailboxes(s: MailboxSections, baseDir: string, out: Issues, optional = false): Located[] {
  const all: Located[] = s.inline.map(({ index, spec: m }) => {
    const entry: MailboxEntry = { source: m.source, target: m.target ?? m.source, origin: `mailboxes[${index}]` };
    if (m.sourcePassword !== undefined) entry.sourcePassword = m.sourcePassword;
    if (m.targetPassword !== undefined) entry.targetPassword = m.targetPassword;
    if (m.wave !== undefined) entry.wave = m.wave;
    return { entry, where: { kind: 'inline', index }, hasColumn: () => true };
  });
  if (s.userMap !== undefined) all.push(...readUserMap(s.userMap, baseDir, out, optional));
  return all;
}

/** Whether each mailbox logs in with its own password on `side` of a parsed section, and why: its connector module says. */
function sectionLogin(side: 'source' | 'target', section: SourceConfig | TargetConfig): { ownPassword: boolean; why: string } {
  return moduleFor(side, section.type)!.mailboxLogin(section, side);
}

/** The per-mailbox passwords a valid config uses (the groupware target's module is asked too: DAV logs in as each mailbox). */
export function mailboxPasswords(c: { source: SourceConfig; target: TargetConfig; groupwareTarget?: GroupwareTargetConfig }): { source: boolean; target: boolean } {
  const groupware = c.groupwareTarget !== undefined && moduleFor('groupware-target', c.groupwareTarget.type)!.mailboxLogin(c.groupwareTarget, 'groupwareTarget').ownPassword;
  return { source: sectionLogin('source', c.source).ownPassword, target: sectionLogin('target', c.target).ownPassword || groupware };
}

/** The auth mode each mailbox logs in with on `side`, or undefined when that section is invalid. */
function loginMode(s: MailboxSections, side: 'source' | 'target'): { mode: 'user' | 'none'; why: string } | undefined {
  // The groupware target logs in as each mailbox: it needs targetPassword whatever the IMAP side
  // does, also when its section is invalid (so no module can be asked).
  if (side === 'target' && s.groupware) {
    const own = s.target && sectionLogin('target', s.target);
    return { mode: 'user', why: own?.ownPassword ? own.why : 'groupwareTarget logs in as each mailbox' };
  }
  const ep = s[side];
  if (ep === undefined) return undefined;
  const { ownPassword, why } = sectionLogin(side, ep);
  return { mode: ownPassword ? 'user' : 'none', why };
}

/** Duplicates, and the passwords each side needs (or ignores). */
export function checkMailboxes(s: MailboxSections, located: Located[], out: Issues, optional = false): void {
  if (located.length === 0 && !optional && !out.hasUnder('mailboxes') && !out.hasUnder('userMap')) {
    out.add(s.userMap !== undefined ? ['userMap'] : ['mailboxes'], 'no mailboxes: list them under mailboxes or in a userMap CSV');
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
  for (const [side, field] of [['source', 'sourcePassword'], ['target', 'targetPassword']] as const) {
    const login = loginMode(s, side);
    if (login === undefined) continue;
    if (login.mode === 'user') {
      const csvMissingColumn = new Set<string>();
      for (const { entry, where, hasColumn } of located) {
        if (entry[field] !== undefined) continue;
        if (where.kind === 'csv' && !hasColumn(field)) {
          if (!csvMissingColumn.has(where.name)) {
            csvMissingColumn.add(where.name);
            out.add(['userMap'], `${where.name}: no ${field} column, but ${login.why} (each mailbox needs its own password)`);
          }
          continue;
        }
        reportMailbox(out, where, field, `required because ${login.why}`);
      }
    } else {
      const warnedCsv = new Set<string>();
      for (const { entry, where } of located) {
        if (entry[field] === undefined) continue;
        if (where.kind === 'csv') {
          if (warnedCsv.has(where.name)) continue;
          warnedCsv.add(where.name);
          out.add(['userMap'], `${where.name}: ${field} values are ignored because ${login.why}`, 'warning');
        } else reportMailbox(out, where, field, `ignored because ${login.why}`, 'warning');
      }
    }
  }
}

/**
 * Every per-mailbox password a side uses resolves (env var set, file readable); when that side's
 * section is invalid (its auth mode unknown), every one written.
 */
export function checkMailboxRefs(s: MailboxSections, located: Located[], baseDir: string, env: NodeJS.ProcessEnv, out: Issues): void {
  for (const [side, field] of [['source', 'sourcePassword'], ['target', 'targetPassword']] as const) {
    if ((loginMode(s, side)?.mode ?? 'user') !== 'user') continue;
    for (const { entry, where } of located) {
      const ref = entry[field];
      if (ref === undefined) continue;
      const problem = secretProblem(ref, baseDir, env);
      if (problem) reportMailbox(out, where, field, problem);
    }
  }
}

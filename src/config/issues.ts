/**
 * Config problems as `validate` prints them: the issue type, placing a YAML path at its line and
 * column, file order, and the wording of schema (zod) errors, with hints for the usual mistakes
 * (a typo'd key, a password where the config has none).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { SECRET_FIELDS } from './schema.js';
import { describeValue } from '../config-blocks/fields.js';
import { knownKeysAt } from './schema-at.js';

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

export type Seg = string | number;

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

/** YAML parser messages without the source excerpt (it could contain an inline secret). */
export function yamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The issues of one validation, placed in the document. `sorted()` gives file order: by line and
 * column, then by the line inside a file the config names (the user-map CSV's rows, all placed
 * at `userMap:`), then in the order found.
 */
export class Issues {
  private readonly items: { issue: ConfigIssue; subLine: number }[] = [];
  constructor(
    private readonly doc: Document | undefined,
    private readonly lc: LineCounter,
  ) {}

  /** An issue at `segs` (its value, or its key with `atKey`); `subLine`: the line in a file named there. */
  add(segs: readonly Seg[], message: string, severity: 'error' | 'warning' = 'error', atKey = false, subLine?: number): void {
    const pos = this.locate(segs, atKey);
    const issue: ConfigIssue = { path: formatPath(segs), message, severity };
    if (pos) {
      issue.line = pos.line;
      issue.column = pos.col;
    }
    this.push(issue, subLine);
  }

  /** An issue at a character offset of the document (YAML syntax, encoding). */
  addAt(offset: number, message: string, severity: 'error' | 'warning' = 'error'): void {
    const pos = this.lc.linePos(offset);
    this.push({ path: '', line: pos.line, column: pos.col, message, severity });
  }

  push(issue: ConfigIssue, subLine = 0): void {
    this.items.push({ issue, subLine });
  }

  has(path: string): boolean {
    return this.items.some((i) => i.issue.path === path);
  }

  /** Any issue at `path` or below it. */
  hasUnder(path: string): boolean {
    return this.items.some(({ issue: { path: p } }) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`));
  }

  get hasErrors(): boolean {
    return this.items.some((i) => i.issue.severity === 'error');
  }

  sorted(): ConfigIssue[] {
    const line = (i: ConfigIssue) => i.line ?? Number.MAX_SAFE_INTEGER;
    return this.items
      .map((x, n) => ({ ...x, n }))
      .sort((a, b) => line(a.issue) - line(b.issue) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.subLine - b.subLine || a.n - b.n)
      .map((x) => x.issue);
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

export function getAt(data: unknown, segs: readonly Seg[]): unknown {
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

const PASSWORD_LIKE = /^(pass(word)?|passwd|pwd|secret)$/i;
const LOGIN_LIKE = /^(user(name)?|login)$/i;
const or = (names: string[]) => names.map((n) => JSON.stringify(n)).join(' or ');

/**
 * Where a password or login written at `segs` belongs: the config's secret fields have names of
 * their own (`targetPassword` per mailbox, `auth.masterPassword`, `bindPassword`…).
 */
function misplacedCredentialHint(key: string, segs: readonly Seg[], known: string[]): string | undefined {
  if (PASSWORD_LIKE.test(key)) {
    const fields = known.filter((k) => /password|secret/i.test(k));
    if (fields.length > 0) return `did you mean ${or(fields)}?`;
    const section = segs.length === 1 ? segs[0] : undefined;
    if (section === 'source' || section === 'target') {
      return `passwords are per mailbox: ${section}Password under mailboxes (or the userMap's ${section}Password column)` +
        `, or one login for all with ${section}.auth.mode: master and ${section}.auth.masterPassword; each is a secret reference (env:NAME or file:PATH)`;
    }
    if (section === 'groupwareTarget') return 'the CalDAV/CardDAV server is logged in to with each mailbox\'s targetPassword (under mailboxes or in the userMap)';
    return undefined;
  }
  if (LOGIN_LIKE.test(key) && segs.length === 1 && (segs[0] === 'source' || segs[0] === 'target')) {
    return `logins are per mailbox (mailboxes[].source / target, or the userMap); one login for all is ${String(segs[0])}.auth.masterUser with auth.mode: master`;
  }
  return undefined;
}

function unknownKeyMessage(key: string, segs: readonly Seg[], known: string[] | undefined): string {
  const msg = `unknown key ${JSON.stringify(key)}`;
  if (!known || known.length === 0) return msg;
  const hint = misplacedCredentialHint(key, segs, known);
  if (hint !== undefined) return `${msg}: ${hint}`;
  const lower = key.toLowerCase();
  const best = known
    .map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : levenshtein(lower, k.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  if (best && best.d <= Math.max(2, Math.floor(key.length / 3))) return `${msg} (did you mean ${JSON.stringify(best.k)}?)`;
  return `${msg} (allowed: ${known.join(', ')})`;
}

/**
 * Adds one zod issue, unless `damaged` says the value (or, for a missing key, the mapping that
 * lacks it) is where a YAML syntax error made the parser lose or misread part of the text.
 */
export function reportZodIssue(issue: z.ZodIssue, raw: unknown, out: Issues, damaged: (segs: readonly Seg[], missing: boolean) => boolean = () => false): void {
  const segs = issue.path;
  const value = getAt(raw, segs);
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys) {
      if (!damaged([...segs, key], false)) out.add([...segs, key], unknownKeyMessage(key, segs, knownKeysAt(segs, raw)), 'error', true);
    }
    return;
  }
  if (damaged(segs, value === undefined)) return;
  switch (issue.code) {
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

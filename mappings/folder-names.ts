/**
 * What a folder name segment may be on the target, and the safe name of one that may not.
 *
 * Every target refuses its hierarchy delimiter and "/" inside a segment, empty segments and
 * outer whitespace. On top of that a target declares what it refuses (`FolderNameRules`); IMAP
 * servers (the UMS's Courier, Dovecot, Cyrus):
 * - "%" and "*" are LIST wildcards: a folder named "*" is listed by every client that asks for
 *   "*", and many servers refuse them;
 * - "." and ".." segments and a leading "~" are path tricks on servers that keep folders as
 *   directories or files (Maildir, mbox: "~" is a home directory, ".." the parent);
 * and for every target, control characters (C0, DEL, C1), line/paragraph separators and the bidi
 * controls (embeddings, overrides, isolates, direction marks) are invisible or reorder what the
 * reader sees ("invoice‮fdp.exe"), so they are never part of a target name.
 *
 * A refused character becomes the replacement (`folders.invalidCharReplacement`, default "_"),
 * a "."/".." segment becomes one replacement per dot, a leading "~" the replacement. The result
 * is readable and deterministic; a name that then meets another folder's name is told apart by a
 * tag of its source name (`taggedName`), so two source folders never become one by sanitising.
 *
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { forTerminal } from '../src/util/terminal-text.js';

/** What a target refuses in one folder name segment, besides its delimiter and "/". */
export interface FolderNameRules {
  /** Characters refused anywhere in a segment, each with why. */
  chars: Readonly<Record<string, string>>;
  /** Whole segments refused, e.g. "..". */
  segments: readonly string[];
  /** Characters a segment must not start with, each with why. */
  leading: Readonly<Record<string, string>>;
}

/** IMAP servers (Courier, Dovecot, Cyrus): wildcards and Maildir/mbox path tricks. */
export const IMAP_FOLDER_NAMES: FolderNameRules = {
  chars: { '%': 'an IMAP LIST wildcard', '*': 'an IMAP LIST wildcard' },
  segments: ['.', '..'],
  leading: { '~': 'a home-directory path on Maildir/mbox servers' },
};

/** Invisible or misleading on every target: C0, DEL, C1, U+2028/U+2029, bidi controls and marks. */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
// eslint-disable-next-line no-control-regex
const CONTROL = /^[\u0000-\u001f\u007f-\u009f\u2028\u2029]$/u;

const q = (s: string): string => JSON.stringify(s);
/** A name quoted for a note or warning: JSON-escaped, and C1, bidi and line/paragraph separators made visible too. */
export const shown = (s: string): string => forTerminal(q(s)).replace(/[\u2028\u2029]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16)}`);

/**
 * The replacement as used: its own refused characters removed (a replacement of "%" or "~" would
 * bring back what it replaces), "_" when nothing is left.
 */
export function safeReplacement(repl: string, delimiter: string, rules: FolderNameRules): string {
  const refused = new Set([...Object.keys(rules.chars), ...Object.keys(rules.leading), '/', '.', delimiter]);
  const kept = [...repl.replace(INVISIBLE, '')].filter((ch) => !refused.has(ch)).join('').trim();
  return kept === '' ? '_' : kept;
}

/** The segment as it can be created on the target, with why it had to change (empty when it did not). */
export function sanitiseSegment(seg: string, delimiter: string, repl: string, rules: FolderNameRules): { name: string; problems: string[] } {
  const problems: string[] = [];
  let name = seg;
  const invisible = name.match(INVISIBLE) ?? [];
  if (invisible.length > 0) {
    name = name.replace(INVISIBLE, repl);
    const controls = invisible.some((ch) => CONTROL.test(ch));
    const bidi = invisible.some((ch) => !CONTROL.test(ch));
    if (controls) problems.push('control characters are not allowed');
    if (bidi) problems.push('bidi control characters (invisible, they reorder the name) are not allowed');
  }
  const trimmed = name.trim();
  if (trimmed !== name && trimmed !== '') problems.push('leading/trailing whitespace trimmed');
  name = trimmed;
  if (delimiter !== '' && name.includes(delimiter)) {
    name = name.split(delimiter).join(repl);
    problems.push(`${q(delimiter)} is the target delimiter`);
  }
  if (name.includes('/')) {
    name = name.split('/').join(repl);
    problems.push('"/" is not allowed inside a folder name');
  }
  for (const [ch, why] of Object.entries(rules.chars)) {
    if (!name.includes(ch)) continue;
    name = name.split(ch).join(repl);
    problems.push(`${q(ch)} is ${why}`);
  }
  if (rules.segments.includes(name)) {
    problems.push(`${q(name)} is a path (parent or current directory), not a folder name`);
    name = name.split('.').join(repl);
  }
  const lead = [...name][0];
  const leadWhy = lead === undefined ? undefined : rules.leading[lead];
  if (lead !== undefined && leadWhy !== undefined) {
    name = repl + name.slice(lead.length);
    problems.push(`a leading ${q(lead)} is ${leadWhy}`);
  }
  if (name === '') {
    name = repl;
    problems.push(seg === '' ? 'the name is empty' : 'the name is only whitespace');
  }
  return { name, problems };
}

/**
 * The sanitised `name` of the source segment `raw`, told apart from another folder's name it
 * would meet: "name (1a2b3c)", the tag taken from the source name (so the same source name
 * always gets the same target name).
 */
export function taggedName(name: string, raw: string): string {
  return `${name} (${createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, 6)})`;
}

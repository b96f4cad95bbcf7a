/**
 * `cutover --user X | --batch file.csv [--undo]`: records in the state store that users' mailboxes
 * are now delivered on the UMS (or, with --undo, on Exchange again), with the operator, time and
 * batch, and writes the audit entry (with the map diff the change causes) in the same
 * transaction. The Postfix maps change only with `routing publish`.
 *
 * Users are named by directory key, login or any SMTP address. The batch file is CSV with a
 * header; the first column named key, login, user or mail names the users (an address book
 * export works as is). Unknown or ambiguous names are reported one by one and the others are
 * still cut over (exit code 3).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mapsDiff, summariseDiff } from '../../mappings/routing/changes.js';
import { findUser, type DirectoryUser } from '../../mappings/routing/from-directory.js';
import { EXIT } from '../cli/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { parseCsv } from '../config/csv.js';
import { utf8TextOf } from '../config/utf8.js';
import { openRoutingSession } from '../routing/session.js';
import { FatalError } from '../util/errors.js';
import { forTerminal } from '../util/terminal-text.js';

export interface CutoverOptions {
  config: string;
  user?: string[];
  batch?: string;
  undo?: boolean;
  json?: boolean;
}

const NAME_COLUMNS = ['key', 'login', 'user', 'mail'];

/** The user names in a batch file, each with its line; problems per line. */
export function parseBatchCsv(text: string, name: string): { refs: { ref: string; at: string }[]; problems: string[] } {
  const { records, errors } = parseCsv(text);
  const problems = errors.map((e) => `${name}:${e.line}: ${e.message}`);
  const [header, ...rows] = records;
  const col = header?.fields.findIndex((f) => NAME_COLUMNS.includes(f.trim().toLowerCase())) ?? -1;
  if (!header || col < 0) {
    problems.push(`${name}: the header row needs a column named ${NAME_COLUMNS.join(', ')}`);
    return { refs: [], problems };
  }
  const refs: { ref: string; at: string }[] = [];
  for (const r of rows) {
    const ref = r.fields[col]?.trim() ?? '';
    if (ref === '') problems.push(`${name}:${r.line}: no ${header.fields[col]!.trim()} value; line skipped`);
    else refs.push({ ref, at: `${name}:${r.line}` });
  }
  return { refs, problems };
}

export async function cutoverCommand(opts: CutoverOptions): Promise<number> {
  const users = opts.user ?? [];
  if ((users.length === 0) === (opts.batch === undefined)) throw new FatalError('cutover needs either --user (repeatable) or --batch FILE', 'USAGE');
  const session = await openRoutingSession(opts.config);
  try {
    const problems = [...session.bookProblems];
    let refs = users.map((ref) => ({ ref, at: '--user' }));
    let batch: string | null = null;
    if (opts.batch !== undefined) {
      batch = path.basename(opts.batch);
      let text: string;
      try {
        text = utf8TextOf(await readFile(opts.batch), batch);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new FatalError(code !== undefined ? `cannot read batch file ${opts.batch}: ${code}` : (err as Error).message, 'NO_BATCH');
      }
      const parsed = parseBatchCsv(text, batch);
      refs = parsed.refs;
      problems.push(...parsed.problems);
    }
    const found: DirectoryUser[] = [];
    for (const { ref, at } of refs) {
      const r = findUser(session.book, ref);
      if ('error' in r) problems.push(`${at}: ${r.error}; not ${opts.undo ? 'undone' : 'cut over'}`);
      else if (!found.includes(r.user)) found.push(r.user);
    }
    const before = await session.cutOverKeys();
    const after = new Set(before);
    for (const u of found) {
      if (opts.undo) after.delete(u.key);
      else after.add(u.key);
    }
    const oldMaps = await session.maps(before);
    const newMaps = await session.maps(after);
    const diff = mapsDiff(oldMaps, newMaps);
    const result = await session.applyCutover({
      users: found.map((u) => ({ userKey: u.key, login: u.login })), cutOver: !opts.undo, batch, detail: { summary: summariseDiff(diff), diff },
    });
    const unchanged = found.filter((u) => !result.changed.includes(u.key)).map((u) => u.login);
    const warnings = newMaps.issues.concat(newMaps.warnings);
    if (opts.json) {
      printJson({ audit: result.entry, unchanged, problems, warnings });
    } else {
      const verb = opts.undo ? 'back on Exchange' : 'cut over';
      // Logins, batch lines and the operator's name come from outside: one value per line, escaped.
      const one = (values: string[]) => values.map(forTerminal).join(', ');
      printOut(`${result.entry.users.length} user(s) ${verb}${result.entry.users.length > 0 ? `: ${one(result.entry.users)}` : ''}\n`);
      if (unchanged.length > 0) printOut(`already ${verb}: ${one(unchanged)}\n`);
      printOut(`maps (not yet published): ${forTerminal(summariseDiff(diff))}\n`);
      printOut(`audit #${result.entry.seq} by ${forTerminal(result.entry.who)}; run \`ums-migrate routing publish\` to apply\n`);
      for (const p of problems) printErr(`error: ${forTerminal(p)}\n`);
      for (const w of warnings) printErr(`warning: ${forTerminal(w)}\n`);
    }
    return problems.length > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    await session.close();
  }
}

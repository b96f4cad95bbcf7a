/**
 * `cutover --user X | --batch file.csv | --wave W [--undo] [--force]`: records in the state store
 * that users' mailboxes are now delivered on the UMS (or, with --undo, on Exchange again), with the
 * operator, time and batch, and writes the audit entry (with the map diff the change causes and
 * every refused name with its reason) in the same transaction. The Postfix maps change only with
 * `routing publish`.
 *
 * A user is cut over only when its mailbox passes the gate (src/cutover/gate.ts: migrated, last
 * pass finished and recent, no unapproved failed or skipped items, groupware reconciled); the
 * others are refused with their reasons (exit 3). `--force` cuts them over anyway, and the audit
 * entry names each gate check that was skipped.
 *
 * `--wave W --final-sync` (or `--batch FILE --final-sync`) drives a whole wave: final delta, gate,
 * cutover, atomic publish, second delta, resumable (src/cutover/wave.ts); `--wave W --rollback`
 * restores the maps from before the wave (src/cutover/wave-rollback.ts).
 *
 * Users are named by directory key, login or any SMTP address. The batch file is CSV with a
 * header; the first column named key, login, user or mail names the users (an address book
 * export works as is). A wave is the `wave` column of the userMap CSV (or `wave:` of a mailbox).
 * Unknown or ambiguous names are reported one by one and the others are still handled (exit 3).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findUser, type DirectoryUser } from '../../mappings/routing/from-directory.js';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { cutoverSettings } from '../config/cutover-schema.js';
import { parseCsv } from '../util/csv.js';
import { utf8TextOf } from '../config/utf8.js';
import { recordCutover } from '../cutover/flip.js';
import { describeFailures, gate, gateInputs, type GateFailure } from '../cutover/gate.js';
import { mailboxFor, waveMembers, type Member } from '../cutover/members.js';
import { driveWave } from '../cutover/wave.js';
import { rollbackWave } from '../cutover/wave-rollback.js';
import type { JobReport } from '../engine/job.js';
import { runLogged } from '../command-log.js';
import { loadConfig } from '../config/load.js';
import { openRoutingSession, type RoutingSession } from '../routing/session.js';
import { acquireRunLock } from '../state/run-lock.js';
import type { RefusedName } from '../state/store.js';
import { coerceError, FatalError } from '../util/errors.js';
import { forTerminal } from '../util/terminal-text.js';

export interface CutoverOptions {
  config: string;
  user?: string[];
  batch?: string;
  wave?: string;
  undo?: boolean;
  force?: boolean;
  finalSync?: boolean;
  rollback?: boolean;
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

// Logins, batch lines, reasons and the operator's name come from outside: escaped one by one.
const one = (values: readonly string[]) => values.map(forTerminal).join(', ');

function usage(opts: CutoverOptions): void {
  const sources = [opts.user !== undefined && opts.user.length > 0, opts.batch !== undefined, opts.wave !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new FatalError('cutover needs exactly one of --user (repeatable), --batch FILE or --wave NAME', 'USAGE');
  if ((opts.finalSync || opts.rollback) && opts.user !== undefined && opts.user.length > 0) throw new FatalError('--final-sync and --rollback work on a wave: use --wave NAME or --batch FILE', 'USAGE');
  if (opts.finalSync && opts.rollback) throw new FatalError('--final-sync and --rollback exclude each other', 'USAGE');
  if (opts.undo && (opts.finalSync || opts.rollback)) throw new FatalError('--undo goes with --user or --batch; a wave is undone with --rollback', 'USAGE');
  if (opts.wave !== undefined && (opts.wave.trim() === '' || /\p{Cc}/u.test(opts.wave))) throw new FatalError(`--wave ${JSON.stringify(opts.wave)}: a wave name is a non-empty text without control characters`, 'USAGE');
}

/** The users named on the command line or in the batch file; problems per name. */
async function namedUsers(session: RoutingSession, opts: CutoverOptions, verb: string): Promise<{ users: DirectoryUser[]; problems: string[]; refused: RefusedName[]; batch: string | null }> {
  const problems: string[] = [];
  const refused: RefusedName[] = [];
  let refs = (opts.user ?? []).map((ref) => ({ ref, at: '--user' }));
  let batch: string | null = null;
  if (opts.batch !== undefined) {
    batch = path.basename(opts.batch);
    let text: string;
    try {
      text = utf8TextOf(await readFile(opts.batch), batch);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new FatalError(code !== undefined ? `cannot read batch file ${opts.batch}: ${code}` : coerceError(err).message, 'NO_BATCH');
    }
    const parsed = parseBatchCsv(text, batch);
    refs = parsed.refs;
    problems.push(...parsed.problems);
  }
  const users: DirectoryUser[] = [];
  for (const { ref, at } of refs) {
    const r = findUser(session.book, ref);
    if ('error' in r) {
      problems.push(`${at}: ${r.error}; not ${verb}`);
      refused.push({ name: ref, reason: r.error });
    } else if (!users.includes(r.user)) users.push(r.user);
  }
  return { users, problems, refused, batch };
}

async function waveRun(session: RoutingSession, opts: CutoverOptions): Promise<number> {
  const wave = opts.wave ?? path.basename(opts.batch!);
  const release = acquireRunLock(path.join(session.routing.mapDir, '.publish.lock'), `cutover wave ${wave}`);
  try {
    if (opts.rollback) {
      const r = await rollbackWave(session, wave);
      if (opts.json) printJson({ wave, from: r.from, to: r.to, reload: r.reload, undone: r.undone, exchangeFile: r.exchangeFile, audit: r.auditSeq });
      else {
        printOut(`wave ${forTerminal(wave)} rolled back: maps ${r.from ?? 'none'} → ${r.to} (the version from before the wave)\npostfix: ${forTerminal(r.reload)}\n`);
        printOut(`back on Exchange: ${r.undone.length > 0 ? one(r.undone) : 'nobody'}\n`);
        printOut(`Exchange side (review, then run): ${forTerminal(r.exchangeFile)}\n${forTerminal(r.exchangePowershell)}`);
        printOut(`audit #${r.auditSeq}\n`);
      }
      return r.reload.startsWith('reload failed') ? EXIT.ERROR : EXIT.OK;
    }
    let batchProblems: string[] = [];
    let batchUsers: DirectoryUser[] = [];
    if (opts.batch !== undefined) {
      const named = await namedUsers(session, opts, 'in the wave');
      batchProblems = named.problems;
      batchUsers = named.users;
    }
    const lines: string[] = [];
    const say = (l: string) => {
      session.log.info({ wave }, l);
      if (opts.json) lines.push(l);
      else printOut(`${forTerminal(l)}\n`);
    };
    const { runCommand } = await import('./run.js');
    const outcome = await driveWave({
      session, configFile: opts.config, say,
      members: () => (opts.batch !== undefined
        ? { members: batchUsers.map((user): Member => ({ user, mailbox: mailboxFor(user, session.loaded.mailboxes) })), problems: batchProblems }
        : waveMembers(wave, session.loaded.mailboxes, session.book)),
      sync: async (sources) => {
        let report: JobReport | undefined;
        const exit = await runCommand({ config: opts.config, mailbox: sources, command: 'sync', onReport: (r) => { report = r; } });
        return { exit, ...(report !== undefined ? { report } : {}) };
      },
    }, wave, { force: opts.force === true });
    const s = outcome.state;
    const login = (k: string) => s.members.find((m) => m.key === k)?.login ?? k;
    if (opts.json) {
      printJson({ wave, run: s.run, step: s.step, resumedFrom: outcome.resumedFrom ?? null, cutOver: s.flipped.map(login), already: s.already.map(login), held: s.held, forced: s.forced, problems: s.problems, finalSync: s.finalSync ?? null, secondDelta: s.secondDelta ?? null, afterSwitch: s.afterSwitch ?? [], versions: s.versions, log: lines });
    } else {
      printOut(`wave ${forTerminal(wave)} (run ${s.run}) ${s.step === 'done' ? 'done' : `stopped after step "${s.step}"`}: cut over ${s.flipped.length > 0 ? one(s.flipped.map(login)) : 'nobody'}`
        + `${s.already.length > 0 ? `; already cut over: ${one(s.already.map(login))}` : ''}\n`);
      for (const f of s.forced) printErr(`forced (gate checks skipped, audited): ${forTerminal(f.login)}: ${forTerminal(describeFailures(f.reasons))}\n`);
      for (const h of s.held) printErr(`left on Exchange: ${forTerminal(h.login)}: ${forTerminal(describeFailures(h.reasons))}\n`);
      for (const h of s.afterSwitch ?? []) printErr(`cut over, but the second delta left: ${forTerminal(h.login)}: ${forTerminal(describeFailures(h.reasons))}\n`);
    }
    return outcome.exit;
  } finally {
    release();
  }
}

export async function cutoverCommand(opts: CutoverOptions): Promise<number> {
  usage(opts);
  const session = await openRoutingSession(opts.config, await loadConfig(opts.config), { command: 'cutover' });
  const fields = {
    users: opts.user ?? null, batch: opts.batch ?? null, wave: opts.wave ?? null, undo: opts.undo === true, force: opts.force === true,
    finalSync: opts.finalSync === true, rollback: opts.rollback === true,
  };
  return runLogged(session.log, 'cutover', fields, async () => {
    try {
      return await (opts.finalSync || opts.rollback ? waveRun(session, opts) : gatedCutover(session, opts));
    } finally {
      await session.close();
    }
  });
}

async function gatedCutover(session: RoutingSession, opts: CutoverOptions): Promise<number> {
  const verb = opts.undo ? 'undone' : 'cut over';
  const named = opts.wave === undefined ? await namedUsers(session, opts, verb) : { users: [], problems: [], refused: [], batch: null };
  const refused = named.refused;
  let { users: found, problems, batch } = named;
  let mailboxes = new Map<string, Member['mailbox']>();
  if (opts.wave !== undefined) {
    const w = waveMembers(opts.wave, session.loaded.mailboxes, session.book);
    found = w.members.map((m) => m.user);
    mailboxes = new Map(w.members.map((m) => [m.user.key, m.mailbox]));
    problems = w.problems;
    batch = `wave:${opts.wave}`;
  }
  problems = [...session.bookProblems, ...problems];
  const forced: { login: string; skipped: GateFailure[] }[] = [];
  let users = found;
  if (!opts.undo) {
    const already = await session.cutOverKeys();
    const candidates = found.filter((u) => !already.has(u.key));
    const entries = candidates.map((u) => ({ user: u, mailbox: mailboxes.get(u.key) ?? mailboxFor(u, session.loaded.mailboxes) }));
    const inputs = await gateInputs(session.store, session.loaded, entries, { now: new Date(), maxDeltaAgeHours: cutoverSettings(session.loaded.config).maxDeltaAgeHours });
    const refusedKeys = new Set<string>();
    candidates.forEach((u, i) => {
      const failures = gate(inputs[i]!);
      if (failures.length === 0) return;
      if (opts.force) forced.push({ login: u.login, skipped: failures });
      else {
        refusedKeys.add(u.key);
        refused.push({ name: u.login, reason: describeFailures(failures) });
        problems.push(`${u.login}: not cut over: ${describeFailures(failures)}`);
      }
    });
    users = found.filter((u) => !refusedKeys.has(u.key));
  }
  const result = await recordCutover(session, users, {
    cutOver: !opts.undo, batch, refused, ...(forced.length > 0 ? { detail: { forced } } : {}),
  });
  const unchanged = users.filter((u) => !result.changed.includes(u.key)).map((u) => u.login);
  if (opts.json) {
    printJson({ audit: result.entry, unchanged, refused, forced, problems, warnings: result.warnings });
  } else {
    const done = opts.undo ? 'back on Exchange' : 'cut over';
    printOut(`${result.entry.users.length} user(s) ${done}${result.entry.users.length > 0 ? `: ${one(result.entry.users)}` : ''}\n`);
    if (unchanged.length > 0) printOut(`already ${done}: ${one(unchanged)}\n`);
    for (const f of forced) printOut(`forced (gate checks skipped, audited): ${forTerminal(f.login)}: ${forTerminal(describeFailures(f.skipped))}\n`);
    printOut(`maps (not yet published): ${forTerminal(result.summary)}\n`);
    printOut(`audit #${result.entry.seq} by ${forTerminal(result.entry.who)}; run \`ums-migrate routing publish\` to apply\n`);
    for (const p of problems) printErr(`error: ${forTerminal(p)}\n`);
    for (const w of result.warnings) printErr(`warning: ${forTerminal(w)}\n`);
  }
  return problems.length > 0 ? EXIT.PARTIAL : EXIT.OK;
}

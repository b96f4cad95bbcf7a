/** `run` / `resume`: migrate (or continue migrating) the configured mailboxes. */
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { ProgressLine } from '../cli/progress.js';
import { runJob, type JobReport } from '../engine/job.js';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { MigrationConfig, StateConfig } from '../config/schema.js';
import type { PgLockSession } from '../state/pg-locks.js';
import { acquireRunLock, PgLockHeldError } from '../state/run-lock.js';
import { lockPathFor, openStateStore, postgresUrl } from '../state/open.js';
import type { StateStore } from '../state/store.js';
import { formatBytes, table } from '../util/format.js';
import { peakRssMb as readPeakRss } from '../util/memory.js';
import { forTerminal } from '../util/terminal-text.js';
import { commandContext, type CommandContext, type CommandOptions } from './context.js';

/** The advisory lock one `run`/`sync` holds on a PostgreSQL state store (workers don't take it). */
const RUN_LOCK = 'ums-run';

export interface RunOptions extends CommandOptions {
  json?: boolean;
  command?: string;
  failed?: boolean;
  /** Called with the report instead of printing it (the wave of `cutover --final-sync`). */
  onReport?: (report: JobReport) => void;
}

export async function runCommand(opts: RunOptions): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const command = opts.command ?? 'run';
  const progress = opts.json || opts.onReport ? undefined : new ProgressLine();
  // Log lines never go between the progress line's redraws: without logging.file they go to a file beside the state.
  const logFile = defaultLogFile(loaded.config, loaded.baseDir, progress?.active === true);
  if (logFile) {
    loaded.config.logging.file = logFile;
    printErr(`Logging to ${forTerminal(logFile)} (logging.file is not set).\n`);
  }
  // PostgreSQL: the run lock, mailbox fences and connection caps are advisory locks shared with workers on other machines.
  const locks = loaded.config.state.driver === 'postgres' ? await pgRunLocks(loaded, command) : undefined;
  let release: () => void | Promise<void> = () => locks?.close();
  let store: StateStore | undefined;
  let ctx: CommandContext;
  try {
    ctx = await commandContext({ ...opts, loaded, serverSlots: locks ? (server, max) => locks.gate(server, max) : undefined });
    if (!locks) {
      const lockFile = lockPathFor(loaded.config.state);
      release = acquireRunLock(lockFile, command, (previous) => ctx.log.warn({ lock: lockFile, previous },
        `run lock taken over: its holder (pid ${previous.pid}, ${previous.command}, since ${previous.started}) is gone (crashed or killed); interrupted writes are recovered`));
    }
    store = await openStateStore(loaded.config.state, { baseDir: loaded.baseDir });
  } catch (err) {
    await release();
    throw err;
  }
  if (opts.failed) ctx.options.onlyFailed = true;
  const abort = new AbortController();
  const stop = (sig: 'SIGINT' | 'SIGTERM') => {
    // A second signal does stop at once (what was being written is recovered by the next run).
    if (abort.signal.aborted) process.exit(EXIT.INTERRUPTED);
    const msg = stopMessage(sig);
    ctx.log.warn({ signal: sig }, msg);
    if (progress?.active) progress.print(`${msg}\n`);
    else printErr(`\n${msg}\n`);
    abort.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    ctx.log.info({ mailboxes: ctx.jobs.length, command: opts.command ?? 'run' }, 'run started');
    const report = await runJob({
      store, sources: ctx.sources, targets: ctx.targets, log: ctx.log, onEvent: progress?.onEvent, signal: abort.signal, fence: locks?.fence(),
    }, ctx.jobs, ctx.options);
    progress?.stop();
    const usage = process.resourceUsage();
    const peakRssMb = readPeakRss();
    const cpuSeconds = Math.round((usage.userCPUTime + usage.systemCPUTime) / 1e4) / 100;
    ctx.log.info({ report: { ...report, mailboxes: undefined }, peakRssMb, cpuSeconds }, 'run finished');
    if (opts.onReport) opts.onReport(report);
    else if (opts.json) printJson({ ...report, peakRssMb, cpuSeconds });
    else printOut(`${summarise(report, { config: opts.config, command, mailboxesChosen: (opts.mailbox?.length ?? 0) > 0 })}\n`);
    if (abort.signal.aborted) return EXIT.INTERRUPTED;
    return report.failed > 0 || report.failedContainers > 0 || report.failedMailboxes > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    progress?.stop();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await store.close();
    await release();
    ctx.log.flush();
  }
}

async function pgRunLocks(loaded: LoadedConfig, command: string): Promise<PgLockSession> {
  const state = loaded.config.state as Extract<StateConfig, { driver: 'postgres' }>;
  const url = postgresUrl(state, { baseDir: loaded.baseDir, env: process.env });
  // pg is loaded only when the store is PostgreSQL (as in state/open.ts).
  const { PgLockSession } = await import('../state/pg-locks.js');
  const { describePostgresUrl } = await import('../state/postgres.js');
  const locks = await PgLockSession.open(url, `ums-migrate ${command} (pid ${process.pid} on ${hostname()}, since ${new Date().toISOString()})`);
  if (!(await locks.tryNamed(RUN_LOCK))) {
    const holder = await locks.holderOf(RUN_LOCK).catch(() => undefined);
    await locks.close();
    throw new PgLockHeldError(describePostgresUrl(url), holder);
  }
  return locks;
}

/** What a stop signal's message says (a second signal stops at once: said for each). */
export function stopMessage(sig: 'SIGINT' | 'SIGTERM'): string {
  return sig === 'SIGINT'
    ? 'Interrupted (Ctrl-C): finishing the current batches and checkpointing; press Ctrl-C again to stop at once (the next run recovers what was being written)'
    : 'SIGTERM: finishing the current batches and checkpointing; a second SIGTERM stops at once (the next run recovers what was being written)';
}

/**
 * Where logs go while the progress line is shown and no logging.file is set: a file beside the
 * state (SQLite) or the config (PostgreSQL), so no log line is printed between redraws.
 */
export function defaultLogFile(config: Pick<MigrationConfig, 'logging' | 'state'>, baseDir: string, progressShown: boolean): string | undefined {
  if (!progressShown || config.logging.file) return undefined;
  return join(config.state.driver === 'sqlite' ? dirname(config.state.path) : baseDir, 'ums-migrate.log');
}

const KIND_NAMES = { mail: ['message', 'messages'], event: ['event', 'events'], contact: ['contact', 'contacts'], task: ['task', 'tasks'] } as const;
const KIND_COLUMN = { mail: 'mail', event: 'events', contact: 'contacts', task: 'tasks' } as const;

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** A word of a shell command line, quoted when it needs it. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * The human run summary (values from outside escaped one by one; printed through printOut): per
 * mailbox its result (ok, interrupted, failed) and what was copied per kind; then only what
 * happened, and for an interrupted run the exact command that continues it.
 */
export function summarise(r: JobReport, how: { config?: string; command?: string; mailboxesChosen?: boolean } = {}): string {
  const kinds = Object.keys(r.kinds) as (keyof typeof KIND_NAMES)[];
  const shownKinds = kinds.length > 0 ? kinds : ['mail' as const];
  const rows = r.mailboxes.map((m) => {
    const n = (k: 'copied' | 'recovered' | 'failed' | 'skipped', kind?: string) => m.containers.filter((c) => !kind || c.kind === kind).reduce((s, c) => s + (c[k] ?? 0), 0);
    const bad = m.containers.filter((c) => !c.ok).length;
    const result = m.error ? `FAILED: ${m.error}` : m.interrupted ? 'interrupted' : bad > 0 ? `${bad} folder(s) failed` : 'ok';
    return [m.source, m.target, result, m.containers.length, ...shownKinds.map((k) => n('copied', k)), n('recovered'), n('failed'), n('skipped')];
  });
  const copied = shownKinds.map((k) => count(r.kinds[k]?.copied ?? 0, ...KIND_NAMES[k] as unknown as [string, string])).join(', ');
  const rate = r.seconds > 0 ? (r.copied / r.seconds).toFixed(1) : '0';
  const happened = [
    r.recovered > 0 ? `${r.recovered} found already written after an interrupted run (crash recovery)` : '',
    r.failed > 0 ? `${r.failed} failed` : '',
    r.skipped > 0 ? `${r.skipped} skipped` : '',
    r.flagsUpdated > 0 ? `${count(r.flagsUpdated, 'flag change', 'flag changes')} carried over` : '',
    r.deleted > 0 ? `${count(r.deleted, 'deletion', 'deletions')} mirrored` : '',
    r.duplicatesRemoved > 0 ? `${count(r.duplicatesRemoved, 'late second copy', 'late second copies')} removed` : '',
    r.unchangedContainers > 0 ? `${r.unchangedContainers} of ${count(r.checkedContainers, 'folder', 'folders')} unchanged since the last pass` : '',
  ].filter((x) => x !== '');
  const nothing = r.copied === 0 && r.recovered === 0 && r.failed === 0 && r.skipped === 0 && r.flagsUpdated === 0 && r.deleted === 0 && r.duplicatesRemoved === 0;
  const lines = [
    table(['source', 'target', 'result', 'folders', ...shownKinds.map((k) => KIND_COLUMN[k]), 'recovered', 'failed', 'skipped'], rows),
    '',
    nothing && !r.interrupted
      ? `Nothing new: ${count(r.checkedContainers, 'folder', 'folders')} checked in ${r.seconds.toFixed(1)} s.`
      : `Copied ${copied} (${formatBytes(r.bytes)}) in ${r.seconds.toFixed(1)} s (${rate} items/s)${happened.length > 0 ? `; ${happened.join('; ')}` : ''}.`,
  ];
  for (const m of r.mailboxes) {
    for (const c of m.containers.filter((x) => !x.ok)) {
      lines.push(`  folder failed: ${forTerminal(m.source)} ${forTerminal(c.name)} → ${forTerminal(c.target)}: ${forTerminal(c.error ?? '')}`);
    }
    for (const w of m.warnings) lines.push(`  warning: ${forTerminal(m.source)}: ${forTerminal(w)}`);
  }
  if (r.failed > 0 || r.skipped > 0) lines.push(`Failed and skipped items, with reasons: ums-migrate status -c ${shellWord(how.config ?? '<config>')} --problems`);
  const unfinished = r.mailboxes.filter((m) => m.interrupted);
  if (unfinished.length > 0) {
    const verb = how.command === 'sync' ? 'sync' : how.command === 'retry' ? 'retry --failed' : 'resume';
    const only = unfinished.length < r.mailboxes.length || how.mailboxesChosen ? unfinished.map((m) => ` -m ${shellWord(m.source)}`).join('') : '';
    lines.push(`Interrupted: ${count(unfinished.length, 'mailbox', 'mailboxes')} not finished (${unfinished.map((m) => forTerminal(m.source)).join(', ')}). Continue with:`);
    lines.push(`  ums-migrate ${verb} -c ${shellWord(how.config ?? '<config>')}${forTerminal(only)}`);
  }
  return lines.join('\n');
}

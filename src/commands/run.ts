/** `run` / `resume`: migrate (or continue migrating) the configured mailboxes. */
import { EXIT } from '../cli/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { ProgressLine } from '../cli/progress.js';
import { runJob, type JobReport } from '../engine/job.js';
import { hostname } from 'node:os';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { StateConfig } from '../config/schema.js';
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
  // PostgreSQL: the run lock, mailbox fences and connection caps are advisory locks shared with workers on other machines.
  const locks = loaded.config.state.driver === 'postgres' ? await pgRunLocks(loaded, command) : undefined;
  let release: () => void | Promise<void> = () => locks?.close();
  let store: StateStore | undefined;
  let ctx: CommandContext;
  try {
    ctx = await commandContext({ ...opts, loaded, serverSlots: locks ? (server, max) => locks.gate(server, max) : undefined });
    if (!locks) release = acquireRunLock(lockPathFor(loaded.config.state), command);
    store = await openStateStore(loaded.config.state, { baseDir: loaded.baseDir });
  } catch (err) {
    await release();
    throw err;
  }
  if (opts.failed) ctx.options.onlyFailed = true;
  const abort = new AbortController();
  const stop = (sig: string) => {
    if (abort.signal.aborted) process.exit(EXIT.INTERRUPTED);
    printErr(`\n${sig}: finishing the current batches and checkpointing (press again to quit at once)\n`);
    abort.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const progress = opts.json || opts.onReport ? undefined : new ProgressLine();
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
    else printOut(`${summarise(report)}\n`);
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

/** The human run summary (values from outside escaped one by one; printed through printOut). */
export function summarise(r: JobReport): string {
  const rows = r.mailboxes.map((m) => {
    const n = (k: 'copied' | 'recovered' | 'failed' | 'skipped') => m.containers.reduce((s, c) => s + (c[k] ?? 0), 0);
    const bad = m.containers.filter((c) => !c.ok).length;
    return [m.source, m.target, m.ok ? 'ok' : m.error ? `FAILED: ${m.error}` : `${bad} folder(s) failed`, m.containers.length, n('copied'), n('recovered'), n('failed'), n('skipped')];
  });
  const rate = r.seconds > 0 ? (r.copied / r.seconds).toFixed(1) : '0';
  const lines = [
    table(['source', 'target', 'result', 'folders', 'copied', 'recovered', 'failed', 'skipped'], rows),
    '',
    `${r.copied} messages (${formatBytes(r.bytes)}) copied in ${r.seconds.toFixed(1)} s (${rate} msg/s); ${r.recovered} recovered from an interrupted run; ` +
      `${r.failed} failed; ${r.skipped} skipped; ${r.flagsUpdated} flag changes and ${r.deleted} deletions carried over; ${r.unchangedContainers} folders unchanged.`,
  ];
  for (const m of r.mailboxes) {
    for (const c of m.containers.filter((x) => !x.ok)) {
      lines.push(`  folder failed: ${forTerminal(m.source)} ${forTerminal(c.source)} → ${forTerminal(c.target)}: ${forTerminal(c.error ?? '')}`);
    }
    for (const w of m.warnings) lines.push(`  warning: ${forTerminal(m.source)}: ${forTerminal(w)}`);
  }
  if (r.failed > 0 || r.skipped > 0) lines.push('Failed and skipped items, with reasons: ums-migrate status -c <config> --problems');
  return lines.join('\n');
}

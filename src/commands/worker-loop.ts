/**
 * `ums-migrate worker`: one process of a fleet that migrates mailboxes taken from the
 * PostgreSQL queue (jobs/queue.ts). Per job: take the mailbox's advisory lock (the fence),
 * run the engine on that one mailbox with the shared state store, release. Connections to
 * each server are capped across the fleet by advisory-lock slots; heartbeats and the sweep
 * in jobs/liveness.ts hand the jobs of a dead worker to the others after the lease.
 *
 * Exactly-once across a dead worker rests on the engine, not on the queue: the next worker
 * resumes the mailbox from the shared checkpoints and recovers what the dead one wrote but
 * had not recorded (pending rows: looked up where the target container declares recovery, written
 * again where its writes are idempotent), as `resume` does after a crash.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { run, type Runner, type Task } from 'graphile-worker';
import pg from 'pg';
import { commandContext, type CommandContext, type CommandOptions } from './context.js';
import { loadConfig } from '../config/load.js';
import { runJob } from '../engine/job.js';
import { postgresUrl, openStateStore } from '../state/open.js';
import { PgLockSession } from '../state/pg-locks.js';
import type { StateStore } from '../state/store.js';
import { FatalError, reasonOf } from '../util/errors.js';
import { Liveness } from '../../jobs/liveness.js';
import { sidePool } from '../../jobs/side-pool.js';
import { graphileLogger, MIGRATE_MAILBOX_TASK, parseMailboxPayload, QUEUE_SCHEMA, queueUtils } from '../../jobs/queue.js';

export interface WorkerOptions extends CommandOptions {
  /** Mailboxes this process migrates at once (default: workers.concurrency, else concurrency.mailboxes). */
  jobs?: number;
  /** Stop once the queue has nothing left that could still run (waiting, retrying or running). */
  exitWhenIdle?: boolean;
  /** How often the queue is polled for new jobs (ms; LISTEN/NOTIFY wakes workers earlier). */
  pollIntervalMs?: number;
}

export interface WorkerOutcome {
  completed: number;
  failedAttempts: number;
  /** Why the worker stopped: idle, a signal, or the lock session was lost. */
  reason: 'idle' | 'signal' | 'lock-session-lost';
}

/** Graceful stop on the first SIGINT/SIGTERM (jobs checkpoint and are retried by others); the second exits at once. */
export async function runWorker(opts: WorkerOptions, signal: AbortSignal): Promise<WorkerOutcome> {
  const loaded = await loadConfig(opts.config);
  const { config } = loaded;
  if (config.state.driver !== 'postgres') {
    throw new FatalError('ums-migrate worker needs the PostgreSQL state store (state.driver: postgres): workers on several machines share one queue and one state', 'CONFIG');
  }
  const url = postgresUrl(config.state, { baseDir: loaded.baseDir, env: process.env });
  const processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const locks = await PgLockSession.open(url, `ums-migrate worker ${processId}`);
  // Connectors whose pools take server slots from the shared advisory locks.
  let ctx: CommandContext;
  try {
    ctx = await commandContext({ ...opts, loaded, serverSlots: (server, max) => locks.gate(server, max) });
  } catch (err) {
    await locks.close();
    throw err;
  }
  const log = ctx.log.child({ worker: processId });
  let store: StateStore | undefined;
  let runner: Runner | undefined;
  const db = sidePool(url, `ums-migrate worker ${processId} (leases)`, log);
  const utils = await queueUtils(url, log);
  const liveness = new Liveness(db, utils, {
    processId, host: hostname(), leaseSeconds: config.workers.leaseSeconds, heartbeatSeconds: config.workers.heartbeatSeconds,
  }, log);
  const stop = new AbortController();
  let reason: WorkerOutcome['reason'] = 'idle';
  const onAbort = () => { reason = 'signal'; stop.abort(); };
  signal.addEventListener('abort', onAbort);
  // a stop asked for while the worker was starting (config, lock session, connectors) is not lost
  if (signal.aborted) onAbort();
  locks.onLost((err) => {
    log.error({ err: err.message }, 'lost the PostgreSQL lock session: stopping (mailbox fences and connection slots are gone)');
    reason = 'lock-session-lost';
    stop.abort();
  });
  const outcome = { completed: 0, failedAttempts: 0 };
  try {
    store = await openStateStore(config.state, { baseDir: loaded.baseDir });
    await utils.migrate();
    await Liveness.ensureTable(db);
    const bySource = new Map(ctx.jobs.map((j) => [j.source.login, j]));
    const task: Task = async (raw, helpers) => {
      const payload = parseMailboxPayload(raw);
      const job = bySource.get(payload.source);
      if (!job) throw new Error(`mailbox ${payload.source} is not in this worker's configuration (${opts.config}); every worker needs the same mailbox list`);
      if (helpers.job.locked_by) await liveness.register(helpers.job.locked_by);
      const mlog = log.child({ mailbox: payload.source, attempt: helpers.job.attempts });
      mlog.info('mailbox job started');
      // The fence (mailbox advisory lock) is taken inside runJob; held by another process → the mailbox fails this attempt.
      const report = await runJob({ store: store as StateStore, sources: ctx.sources, targets: ctx.targets, log: mlog, signal: stop.signal, fence: locks.fence() },
        [job], { ...ctx.options, mailboxes: 1, onlyFailed: payload.onlyFailed });
      const m = report.mailboxes[0];
      mlog.info({ copied: report.copied, recovered: report.recovered, failed: report.failed, skipped: report.skipped, seconds: report.seconds }, 'mailbox job finished');
      if (stop.signal.aborted) throw new Error(`worker ${processId} stopped during mailbox ${payload.source}; checkpointed, another attempt resumes it`);
      if (!m || !m.ok) {
        const folders = (m?.containers ?? []).filter((c) => !c.ok).map((c) => `${c.source}: ${c.error}`);
        throw new Error(`mailbox ${payload.source}: ${m?.error ?? `${folders.length} folder(s) failed: ${folders.join('; ')}`}`);
      }
    };
    if (stop.signal.aborted) return { ...outcome, reason };
    runner = await run({
      connectionString: url, schema: QUEUE_SCHEMA, concurrency: opts.jobs ?? config.workers.concurrency ?? config.concurrency.mailboxes,
      noHandleSignals: true, pollInterval: opts.pollIntervalMs ?? 2000, logger: graphileLogger(log), taskList: { [MIGRATE_MAILBOX_TASK]: task },
    });
    runner.events.on('job:success', () => { outcome.completed++; });
    runner.events.on('job:error', ({ job, error }) => {
      outcome.failedAttempts++;
      log.warn({ job: job.key, attempt: job.attempts, maxAttempts: job.max_attempts, err: reasonOf(error) }, 'mailbox job attempt failed; the queue retries it with backoff');
    });
    liveness.start();
    log.info({ processId, concurrency: opts.jobs ?? config.workers.concurrency ?? config.concurrency.mailboxes }, 'worker started');
    await Promise.race([
      runner.promise,
      new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true })),
      opts.exitWhenIdle ? waitUntilIdle(db, stop.signal, liveness, (wake) => runner?.events.on('job:complete', wake)) : new Promise<void>(() => undefined),
    ]);
    return { ...outcome, reason };
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    try {
      await runner?.stop();
    } catch (err) {
      log.warn({ err: reasonOf(err) }, 'stopping the queue runner failed');
    }
    await liveness.stop();
    await Promise.resolve(utils.release()).catch(() => undefined);
    await db.end().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await locks.close();
    log.info({ ...outcome, reason }, 'worker stopped');
    ctx.log.flush();
  }
}

/**
 * Resolves when no mailbox job could still run: none waiting, retrying or running (jobs failed for
 * good don't count). Asked every second, and at once when one of this worker's jobs has ended
 * (`onJobEnd`: the queue has recorded it by then), so the last worker exits as its last job ends
 * instead of up to two seconds later (a fleet's run is as long as its last worker).
 */
export async function waitUntilIdle(db: pg.Pool, signal: AbortSignal, liveness: Liveness, onJobEnd: (wake: () => void) => void): Promise<void> {
  let wake: (() => void) | undefined;
  // a job that ends while the queue is being asked is not lost: the next wait ends at once
  let ended = false;
  onJobEnd(() => { ended = true; wake?.(); });
  while (!signal.aborted) {
    if (!ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
    wake = undefined;
    ended = false;
    // Sweeping here too: when every other worker is gone, nobody else would free a dead worker's jobs.
    await liveness.beat().catch(() => undefined);
    const r = await db.query<{ n: number }>(`select count(*)::int as n from ${QUEUE_SCHEMA}.jobs
      where task_identifier = $1 and (attempts < max_attempts or locked_at is not null)`, [MIGRATE_MAILBOX_TASK]);
    if ((r.rows[0]?.n ?? 0) === 0) return;
  }
}

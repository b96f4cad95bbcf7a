/** `worker` and `enqueue`: the scale-out mode (several processes on several machines, one PostgreSQL). */
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { enqueueMailboxes, queueRows, queueUtils } from '../../jobs/queue.js';
import { runWorker, type WorkerOptions } from './worker-loop.js';
import { FatalError } from '../util/errors.js';
import { postgresUrl } from '../state/open.js';

export async function workerCommand(opts: WorkerOptions): Promise<number> {
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(EXIT.INTERRUPTED);
    const again = sig === 'SIGINT' ? 'press Ctrl-C again' : 'a second SIGTERM';
    printErr(`\n${sig}: checkpointing running mailboxes and leaving the queue (${again} quits at once; the mailboxes then resume from their last checkpoint)\n`);
    abort.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const outcome = await runWorker(opts, abort.signal);
    printOut(`worker stopped (${outcome.reason}): ${outcome.completed} mailbox job(s) completed, ${outcome.failedAttempts} failed attempt(s)\n`);
    if (outcome.reason === 'signal') return EXIT.INTERRUPTED;
    if (outcome.reason === 'lock-session-lost') return EXIT.ERROR;
    return outcome.failedAttempts > 0 ? EXIT.PARTIAL : EXIT.OK;
  } catch (err) {
    if (err instanceof FatalError && err.code === 'CONFIG') {
      printErr(`ums-migrate: ${err.message}\n`);
      return EXIT.CONFIG;
    }
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

export async function enqueueCommand(opts: { config: string; mailbox?: string[]; failed?: boolean; json?: boolean }): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const { config } = loaded;
  if (config.state.driver !== 'postgres') {
    printErr('ums-migrate: enqueue needs the PostgreSQL state store (state.driver: postgres); with SQLite use `run`\n');
    return EXIT.CONFIG;
  }
  const log = createLogger({ level: config.logging.level, file: config.logging.file });
  const wanted = opts.mailbox && opts.mailbox.length > 0 ? new Set(opts.mailbox) : undefined;
  const mailboxes = loaded.mailboxes.filter((m) => !wanted || wanted.has(m.source) || wanted.has(m.target));
  if (wanted && mailboxes.length === 0) {
    printErr(`ums-migrate: no configured mailbox matches ${[...wanted].join(', ')}\n`);
    return EXIT.ERROR;
  }
  const utils = await queueUtils(postgresUrl(config.state, { baseDir: loaded.baseDir, env: process.env }), log);
  try {
    const n = await enqueueMailboxes(utils, mailboxes, { maxAttempts: config.workers.maxAttempts, onlyFailed: opts.failed });
    const rows = await utils.withPgClient((c) => queueRows((sql) => c.query(sql)));
    const counts = { waiting: 0, running: 0, failed: 0 };
    for (const r of rows ?? []) counts[r.state]++;
    if (opts.json) printJson({ enqueued: n, queue: counts }, 0);
    else printOut(`enqueued ${n} mailbox job(s)${opts.failed ? ' (failed items only)' : ''}; queue: ${counts.waiting} waiting, ${counts.running} running, ${counts.failed} failed for good\n`);
    return EXIT.OK;
  } finally {
    await Promise.resolve(utils.release()).catch(() => undefined);
    log.flush();
  }
}

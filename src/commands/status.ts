/** `status`: per-mailbox progress from the state store (no server is contacted). */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { EXIT } from '../cli/exit-codes.js';
import type { QueueRow } from '../../jobs/queue.js';
import type { LoadedConfig } from '../config/load.js';
import { openStateStore, postgresUrl } from '../state/open.js';
import { GROUPWARE_RECONCILE_KEY, parseSummary, SUMMARY_HEADER, summaryRows } from '../reconcile/groupware-summary.js';
import { formatBytes, table } from '../util/format.js';
import { printJson, printOut } from '../cli/output.js';
import { loadScores, SCORE_HEADER, scoreRows } from '../cutover/score.js';

export async function statusCommand(opts: { config: string; json?: boolean; problems?: boolean; folders?: boolean }): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const { config, baseDir } = loaded;
  if (config.state.driver === 'sqlite' && !existsSync(config.state.path)) {
    printOut(`No run yet: ${config.state.path} does not exist.\n`);
    return EXIT.OK;
  }
  const store = await openStateStore(config.state, { baseDir });
  try {
    const mailboxes = await store.mailboxes();
    const problems = opts.problems ? await store.problems() : [];
    const containers = opts.folders ? await store.containers() : [];
    const queue = await workerQueue(loaded);
    const groupwareReconcile = parseSummary(await store.getCheckpointValue(GROUPWARE_RECONCILE_KEY));
    const scores = await loadScores(store, mailboxes);
    if (opts.json) {
      printJson({ mailboxes, containers, problems, scores, ...(queue ? { queue } : {}), ...(groupwareReconcile ? { groupwareReconcile } : {}) });
      return EXIT.OK;
    }
    const pct = (a: number, b: number) => (b > 0 ? `${Math.min(100, Math.floor((a / b) * 100))}%` : '-');
    printOut(`${table(
      ['source', 'target', 'state', 'folders', 'messages', 'done', 'failed', 'skipped', 'bytes done', 'updated'],
      mailboxes.map((m) => [
        m.source, m.target,
        m.containersFailed > 0 ? 'failed' : m.containers > 0 && m.containersDone === m.containers ? 'done' : m.containers > 0 ? 'in progress' : 'pending',
        `${m.containersDone}/${m.containers}`, m.totalItems, `${m.doneItems} (${pct(m.doneItems, m.totalItems)})`, m.failedItems, m.skippedItems,
        formatBytes(m.doneBytes), m.updatedAt ?? '-',
      ]),
    )}\n`);
    if (opts.folders) {
      const byId = new Map(mailboxes.map((m) => [m.id, m.source]));
      printOut(`\n${table(['mailbox', 'folder', 'target', 'state', 'messages', 'done', 'failed', 'skipped', 'error'],
        containers.map((c) => [byId.get(c.mailboxId) ?? '?', c.path, c.targetRef, c.status, c.totalItems, c.doneItems, c.failedItems, c.skippedItems, c.lastError ?? '']))}\n`);
    }
    if (groupwareReconcile && groupwareReconcile.mailboxes.length > 0) {
      const w = groupwareReconcile.window;
      printOut(`\nCalendars, task lists and address books at the last reconcile (occurrences ${w.from} to ${w.to}; details: ums-migrate reconcile):\n${table(SUMMARY_HEADER, summaryRows(groupwareReconcile))}\n`);
    }
    if (scores.length > 0) {
      printOut(`\nConsistency score for cutover (UMS/source per type; failed and skipped items need \`ums-migrate approve\`):\n${table(SCORE_HEADER, scoreRows(scores))}\n`);
    }
    if (queue && queue.length > 0) {
      printOut(`\nWorker queue (${queue.filter((q) => q.state === 'running').length} running, ${queue.filter((q) => q.state === 'waiting').length} waiting, ${queue.filter((q) => q.state === 'failed').length} failed for good):\n${table(
        ['mailbox', 'job', 'attempts', 'worker', 'next try', 'last error'],
        queue.map((q) => [q.mailbox, q.state, `${q.attempts}/${q.maxAttempts}`, q.lockedBy ?? '', q.state === 'waiting' ? q.runAt : '', q.lastError ?? '']),
      )}\n`);
    }
    if (opts.problems) {
      printOut(problems.length === 0 ? '\nNo failed or skipped items.\n'
        : `\n${table(['mailbox', 'folder', 'uid', 'size', 'status', 'reason'], problems.map((p) => [p.mailbox, p.path, p.itemId, p.size, p.status, p.reason]))}\n`);
    }
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

/** The mailbox jobs of `enqueue`/`worker` (PostgreSQL only; undefined when never used). */
async function workerQueue(loaded: LoadedConfig): Promise<QueueRow[] | undefined> {
  if (loaded.config.state.driver !== 'postgres') return undefined;
  // pg and graphile-worker are loaded only for a PostgreSQL store.
  const { default: pg } = await import('pg');
  const { queueRows } = await import('../../jobs/queue.js');
  const client = new pg.Client({ connectionString: postgresUrl(loaded.config.state, { baseDir: loaded.baseDir, env: process.env }) });
  await client.connect();
  try {
    return await queueRows((sql) => client.query(sql));
  } finally {
    await client.end();
  }
}

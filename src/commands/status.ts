/** `status`: per-mailbox progress from the state store (no server is contacted). */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { EXIT } from '../util/exit-codes.js';
import type { QueueRow } from '../../jobs/queue.js';
import type { LoadedConfig } from '../config/load.js';
import { openStateStore, postgresUrl } from '../state/open.js';
import { GROUPWARE_RECONCILE_KEY, parseSummary, SUMMARY_HEADER, summaryRows } from '../reconcile/groupware-summary.js';
import { formatBytes, table } from '../util/format.js';
import { printJson, printOut } from '../cli/output.js';
import { loadScores, SCORE_HEADER, scoreRows } from '../cutover/score.js';
import { KIND_ORDER } from '../state/inventory.js';
import type { KeyValueStore, KindTotals, MailboxInventory, MailboxSummary } from '../state/store.js';
import { readNotMigrated, readPass, type PassRecord } from '../engine/last-pass.js';
import { copiedOf, folderProblems, itemsOf, NOT_MIGRATED_BY, notMigratedItems, WHOLE_FOLDER, type MailboxNotMigrated } from '../engine/not-migrated.js';
import type { MailboxEntry } from '../config/load.js';
import type { ItemKind } from '../model/types.js';

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
    const inventory = await store.inventory();
    const notMigrated = await readNotMigrated(store, mailboxes);
    const containers = await store.containers(); // the scores need them in any case
    const idOf = new Map(mailboxes.map((m) => [`${m.source}\u0000${m.target}`, m.id]));
    // folders left behind are problems too (the cutover gate asks for them to be approved)
    const itemProblems = opts.problems ? await store.problems() : undefined;
    const problems = itemProblems ? [...itemProblems, ...notMigrated.flatMap((n) => {
      const id = idOf.get(`${n.source}\u0000${n.target}`);
      return folderProblems(n.source, n.folders, copiedOf(containers.filter((c) => c.mailboxId === id)), n.at);
    })] : [];
    const queue = await workerQueue(loaded);
    const groupwareReconcile = parseSummary(await store.getCheckpointValue(GROUPWARE_RECONCILE_KEY));
    const scores = await loadScores(store, mailboxes, { containers, problems: itemProblems, notMigrated });
    const notStarted = await notStartedMailboxes(store, loaded.mailboxes, mailboxes);
    if (opts.json) {
      printJson({ mailboxes, notStarted, notMigrated, inventory, containers: opts.folders ? containers : [], problems, scores, ...(queue ? { queue } : {}), ...(groupwareReconcile ? { groupwareReconcile } : {}) });
      return EXIT.OK;
    }
    printOut(`${progressTable(mailboxes, inventory)}\n`);
    if (notMigrated.length > 0) printOut(`\n${notMigratedTable(notMigrated)}\n`);
    if (notStarted.length > 0) {
      printOut(`\nConfigured but not migrated yet (${notStarted.length}):\n${table(['source', 'target', 'last attempt'],
        notStarted.map((n) => [n.source, n.target, n.lastAttempt ? `${n.lastAttempt.startedAt}: ${n.lastAttempt.error ?? (n.lastAttempt.interrupted ? 'interrupted' : 'did not finish')}` : 'never run']))}\n`);
    }
    if (opts.folders) {
      const byId = new Map(mailboxes.map((m) => [m.id, m.source]));
      printOut(`\n${table(['mailbox', 'folder', 'kind', 'target', 'state', 'items', 'done', 'failed', 'skipped', 'size', 'error'],
        containers.map((c) => [byId.get(c.mailboxId) ?? '?', c.name ?? c.path, KIND_COLUMN[c.kind ?? 'mail'], c.targetRef, c.inInventory === false ? `${c.status} (no longer listed)` : c.status,
          c.totalItems, c.doneItems, c.failedItems, c.skippedItems, c.bytesKnown === false ? 'unknown' : formatBytes(c.totalBytes), c.lastError ?? '']))}\n`);
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
      // folders as people know them (a PST path with its file name), not the store's path or id
      const sourceOf = new Map(mailboxes.map((m) => [m.id, m.source]));
      const folderName = new Map(containers.map((c) => [`${sourceOf.get(c.mailboxId) ?? ''}\u0000${c.containerId}`, c.name ?? c.path]));
      printOut(problems.length === 0 ? '\nNo failed or skipped items.\n'
        : `\n${table(['mailbox', 'folder', 'uid', 'size', 'status', 'reason'], problems.map((p) => [p.mailbox, folderName.get(`${p.mailbox}\u0000${p.containerId}`) ?? p.path, p.itemId, p.itemId === WHOLE_FOLDER ? '-' : p.size, p.status, p.reason]))}\n`);
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

/** A configured mailbox the store holds nothing of (never run, or its login failed before any folder), with its last attempt. */
export interface NotStarted { source: string; target: string; lastAttempt?: PassRecord }

async function notStartedMailboxes(store: Pick<KeyValueStore, 'getCheckpointValue'>, configured: readonly MailboxEntry[], known: readonly MailboxSummary[]): Promise<NotStarted[]> {
  const seen = new Set(known.map((m) => `${m.source}\u0000${m.target}`));
  const out: NotStarted[] = [];
  for (const m of configured) {
    if (seen.has(`${m.source}\u0000${m.target}`)) continue;
    const lastAttempt = await readPass(store, m.source, m.target);
    out.push({ source: m.source, target: m.target, ...(lastAttempt ? { lastAttempt } : {}) });
  }
  return out;
}

/** The folders not migrated: their items are in no total above, so they are listed with their count and reason. */
export function notMigratedTable(list: readonly MailboxNotMigrated[]): string {
  const all = list.flatMap((m) => m.folders);
  const { items, uncounted } = notMigratedItems(all);
  const head = `Folders not migrated (${all.length}, ${items} item${items === 1 ? '' : 's'}${uncounted > 0 ? ` and ${uncounted} folder${uncounted === 1 ? '' : 's'} not counted` : ''}; not in the totals above):`;
  return `${head}\n${table(['mailbox', 'folder', 'kind', 'items', 'why', 'reason'],
    list.flatMap((m) => m.folders.map((f) => [m.source, f.name, KIND_COLUMN[f.kind], itemsOf(f), NOT_MIGRATED_BY[f.by], f.reason])))}`;
}

const KIND_COLUMN: Record<ItemKind, string> = { mail: 'mail', event: 'events', contact: 'contacts', task: 'tasks' };

const pct = (a: number, b: number): string => (b > 0 ? `${Math.min(100, Math.floor((a / b) * 100))}%` : '100%');

/** "done/total" items, or "unknown" for a mailbox never inventoried. */
function itemsCell(k: KindTotals | undefined, known: boolean): string {
  if (!known) return 'unknown';
  if (!k) return '-';
  return `${k.doneItems}/${k.totalItems}`;
}

/**
 * Per mailbox: its state, and against its inventory (plan, or the start of its last pass) the
 * items done of the total, overall and per kind, with failed, skipped and bytes; a mailbox never
 * inventoried says "unknown", and the total line says how many are not counted.
 */
export function progressTable(mailboxes: MailboxSummary[], inventory: MailboxInventory[]): string {
  const inv = new Map(inventory.map((m) => [m.id, m]));
  const kinds = KIND_ORDER.filter((k) => inventory.some((m) => m.kinds.some((t) => t.kind === k && t.totalItems + t.doneItems > 0)));
  const shown = kinds.length > 0 ? kinds : (['mail'] as ItemKind[]);
  const rows = mailboxes.map((m) => {
    const i = inv.get(m.id);
    const known = i !== undefined && i.inventoriedAt !== null;
    const sum = sumAll(i?.kinds ?? []);
    const state = m.containersFailed > 0 ? 'failed' : m.containers > 0 && m.containersDone === m.containers ? 'done' : m.containers > 0 && (m.containersDone > 0 || m.doneItems + m.failedItems + m.skippedItems > 0) ? 'in progress' : 'pending';
    const byKind = new Map((i?.kinds ?? []).map((k) => [k.kind, k]));
    return [
      m.source, m.target, state, `${m.containersDone}/${m.containers}`,
      known ? `${sum.done}/${sum.total} (${pct(sum.done + sum.failed + sum.skipped, sum.total)})` : 'unknown',
      ...shown.map((k) => itemsCell(byKind.get(k), known)),
      m.failedItems, m.skippedItems,
      known ? `${formatBytes(sum.doneBytes)} of ${sum.bytesUnknown ? 'at least ' : ''}${formatBytes(sum.totalBytes)}` : formatBytes(m.doneBytes),
      m.updatedAt ?? '-',
    ];
  });
  const counted = inventory.filter((m) => m.inventoriedAt !== null && mailboxes.some((x) => x.id === m.id));
  const total = sumAll(counted.flatMap((m) => m.kinds));
  const uncounted = mailboxes.length - counted.length;
  const lines = [
    table(['source', 'target', 'state', 'folders', 'items done', ...shown.map((k) => KIND_COLUMN[k]), 'failed', 'skipped', 'bytes done', 'updated'], rows),
    `\nOverall: ${total.done} of ${total.total} items copied${total.failed + total.skipped > 0 ? `, ${total.failed} failed, ${total.skipped} skipped` : ''} (${total.total === 0 && uncounted > 0 ? 'nothing counted yet' : `${pct(total.done + total.failed + total.skipped, total.total)} processed`}), `
      + `${formatBytes(total.doneBytes)} of ${total.bytesUnknown ? 'at least ' : ''}${formatBytes(total.totalBytes)}`
      + `${uncounted > 0 ? `; ${uncounted} mailbox${uncounted === 1 ? '' : 'es'} not inventoried yet (unknown totals: run \`ums-migrate plan\`)` : ''}.`,
  ];
  return lines.join('\n');
}

interface Sum { total: number; done: number; failed: number; skipped: number; totalBytes: number; doneBytes: number; bytesUnknown: boolean }

function sumAll(kinds: KindTotals[]): Sum {
  return kinds.reduce<Sum>((s, k) => ({
    total: s.total + k.totalItems, done: s.done + k.doneItems, failed: s.failed + k.failedItems, skipped: s.skipped + k.skippedItems,
    totalBytes: s.totalBytes + k.totalBytes, doneBytes: s.doneBytes + k.doneBytes, bytesUnknown: s.bytesUnknown || k.bytesUnknown > 0,
  }), { total: 0, done: 0, failed: 0, skipped: 0, totalBytes: 0, doneBytes: 0, bytesUnknown: false });
}

/**
 * `reconcile`: re-reads both sides and compares every target folder with the source folders that
 * map into it, item by item (see src/reconcile/compare). Correct without the state store; when the
 * store exists it explains each difference ("failed: server said …", "not migrated yet").
 * Privacy: items are named by folder, UID, date, size and a hash of their Message-ID; subjects
 * and raw Message-IDs only with --show-subjects.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { EXIT } from '../util/exit-codes.js';
import { humanText, printJsonText, printOut } from '../cli/output.js';
import { closeMailboxPair, openMailboxPair } from '../engine/job.js';
import { judgeItem } from '../engine/filters.js';
import type { Container } from '../model/types.js';
import { compareFolder, type FolderComparison, type ItemDiff, type SourceSideItem } from '../reconcile/compare.js';
import type { CollectionComparison } from '../reconcile/groupware-compare.js';
import { windowAround } from '../reconcile/groupware-expand.js';
import { collectionsCsvRows, collectionsText, redactCollections } from '../reconcile/groupware-format.js';
import { isCollectionRef, reconcileCollection, type GroupwareReconcileOptions } from '../reconcile/groupware-run.js';
import { collectionSummary, GROUPWARE_RECONCILE_KEY, mergeSummary, parseSummary } from '../reconcile/groupware-summary.js';
import { openStateStore } from '../state/open.js';
import type { CheckpointStore, KeyValueStore } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { formatBytes, table } from '../util/format.js';
import { csvCell } from '../../src/util/csv-cell.js';
import { writePrivateFile } from '../util/private-file.js';
import { commandContext, type CommandOptions } from './context.js';
import { countNotMigrated, itemsOf, NOT_MIGRATED_BY, notMigratedOf, type NotMigratedFolder } from '../engine/not-migrated.js';

export interface ReconcileOptions extends CommandOptions {
  format?: 'text' | 'json' | 'csv';
  out?: string;
  showSubjects?: boolean;
  /** Calendars: occurrences are compared from this many years before now (default 2)… */
  yearsBack?: number;
  /** …to this many years after now (default 5). */
  yearsAhead?: number;
}

export interface MailboxReconciliation {
  source: string;
  target: string;
  error?: string;
  folders: FolderComparison[];
  /** Calendars, task lists and address books (matched by UID, events to the occurrence). */
  collections: CollectionComparison[];
  /** Source folders not migrated, counted, with the reason (not compared; they do not change the exit code: the cutover gate asks for their approval). */
  notMigrated: NotMigratedFolder[];
}

const PAGE = 1000;

export async function reconcileCommand(opts: ReconcileOptions): Promise<number> {
  const ctx = await commandContext(opts);
  const state = ctx.loaded.config.state;
  const store = state.driver === 'sqlite' && !existsSync(state.path) ? undefined : await openStateStore(state, { baseDir: ctx.loaded.baseDir });
  const results: MailboxReconciliation[] = [];
  const gw = ctx.loaded.config.groupwareTarget;
  const groupware: GroupwareReconcileOptions = {
    window: windowAround(new Date(), opts.yearsBack ?? 2, opts.yearsAhead ?? 5),
    normalize: gw ? { vcardVersion: gw.vcardVersion, maxAttachmentBytes: gw.maxAttachmentSize, maxObjectBytes: gw.maxObjectSize } : undefined,
  };
  try {
    for (const job of ctx.jobs) {
      const entry: MailboxReconciliation = { source: job.source.login, target: job.target.login, folders: [], collections: [], notMigrated: [] };
      results.push(entry);
      try {
        const pair = await openMailboxPair(ctx, job, ctx.options);
        try {
          entry.notMigrated = await countNotMigrated(pair.source, pair.containers, notMigratedOf(pair.plan.folders, pair.containers), ctx.options.retry, ctx.log);
          const existing = new Set(await pair.target.list());
          const byId = new Map(pair.containers.map((c) => [c.id, c]));
          const groups = new Map<string, Container[]>();
          for (const f of pair.plan.folders.filter((x) => x.included)) {
            const c = byId.get(f.sourceId);
            if (c) groups.set(f.target, [...(groups.get(f.target) ?? []), c]);
          }
          const mailboxId = store ? await store.findMailbox({ source: job.source.login, target: job.target.login }) : undefined;
          for (const [target, containers] of groups) {
            if (isCollectionRef(target)) {
              entry.collections.push(await reconcileCollection(pair.source, pair.target, target, containers, existing.has(target), groupware));
              continue;
            }
            const sourceItems: SourceSideItem[] = [];
            const epochs = new Map<string, string>();
            for (const c of containers) {
              let cursor: string | null = null;
              for (;;) {
                const page = await pair.source.changes(c, cursor, PAGE);
                epochs.set(c.id, page.epoch);
                // entries the source does not migrate (ItemMeta.skip: a file tree's winmail.dat…) are not messages: not compared
                sourceItems.push(...page.items.filter((i) => i.skip === undefined).map((i) => ({ ...i, container: c.id })));
                cursor = page.cursor;
                if (page.done) break;
              }
            }
            const targetItems = existing.has(target) || target.toUpperCase() === 'INBOX' ? await pair.target.inventory(target, { subjects: opts.showSubjects }) : [];
            const cmp = compareFolder(target, sourceItems, targetItems);
            if (opts.showSubjects) {
              // Subjects only of the differing source items, read now and never stored.
              for (const c of containers) {
                const ids = cmp.diffs.filter((d) => d.kind !== 'extra' && d.folder === c.id).map((d) => d.id);
                if (ids.length === 0) continue;
                const { items } = await pair.source.lookup(c, ids, { subjects: true });
                const subjects = new Map(items.map((i) => [i.id, i.subject]));
                for (const d of cmp.diffs) if (d.kind !== 'extra' && d.folder === c.id) d.subject = subjects.get(d.id);
              }
            }
            if (store && mailboxId !== undefined) await explain(store, mailboxId, epochs, cmp.diffs, ctx.options.filters);
            else for (const d of cmp.diffs) if (d.kind === 'missing') d.explanation = explainUnrecorded(d, ctx.options.filters);
            entry.folders.push(cmp);
          }
        } finally {
          await closeMailboxPair(pair);
        }
      } catch (err) {
        entry.error = reasonOf(err);
      }
    }
    if (store) await saveGroupwareSummary(store, results, groupware.window);
  } finally {
    await store?.close();
    ctx.log.flush();
  }
  const text = opts.format === 'json' ? `${JSON.stringify(redact(results, !!opts.showSubjects), null, 2)}\n`
    // The text format is for people (file or terminal): folder names, subjects and server reasons escaped.
    : opts.format === 'csv' ? toCsv(results, !!opts.showSubjects) : humanText(toText(results, !!opts.showSubjects));
  if (opts.out) {
    await writePrivateFile(opts.out, text); // 0600: logins, folder names and server texts
    printOut(`reconciliation written to ${opts.out}\n`);
  } else if (opts.format === 'json') printJsonText(text);
  else process.stdout.write(text);
  if (results.some((r) => r.error)) return EXIT.ERROR;
  return results.some((r) => r.folders.some((f) => f.diffs.length > 0) || r.collections.some((c) => c.diffs.length > 0)) ? EXIT.DIFFERENCES : EXIT.OK;
}

/** The groupware part, counts only, for `status` and the report (see src/reconcile/groupware-summary). */
async function saveGroupwareSummary(store: KeyValueStore, results: MailboxReconciliation[], window: { from: number; to: number }): Promise<void> {
  const checkedAt = new Date().toISOString();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const fresh = {
    window: { from: day(window.from), to: day(window.to) },
    mailboxes: results.map((r) => ({ source: r.source, target: r.target, checkedAt, ...(r.error !== undefined ? { error: r.error } : {}), collections: r.collections.map(collectionSummary) })),
  };
  const merged = mergeSummary(parseSummary(await store.getCheckpointValue(GROUPWARE_RECONCILE_KEY)), fresh);
  await store.setCheckpointValue(GROUPWARE_RECONCILE_KEY, JSON.stringify(merged));
}

async function explain(store: Pick<CheckpointStore, 'itemRows'>, mailboxId: number, epochs: Map<string, string>, diffs: ItemDiff[], filters: Parameters<typeof judgeItem>[1]): Promise<void> {
  for (const d of diffs) {
    if (d.kind === 'extra') {
      d.explanation = 'in the UMS but not in the source: not from this migration, or deleted from the source after it was copied';
      continue;
    }
    const rows = await store.itemRows(mailboxId, d.folder, epochs.get(d.folder) ?? '', [d.id]);
    const row = rows.get(d.id);
    if (d.kind === 'flags') {
      d.explanation = row?.status === 'done' ? 'flags changed on one side after the copy (flag sync follows with the delta sync)' : 'flags differ';
      continue;
    }
    if (!row) d.explanation = explainUnrecorded(d, filters);
    else if (row.status === 'failed') d.explanation = `failed: ${row.reason ?? 'no reason recorded'}`;
    else if (row.status === 'skipped') d.explanation = `skipped: ${row.reason ?? 'no reason recorded'}`;
    else if (row.status === 'pending') d.explanation = 'was being written when a run was interrupted; the next run settles it';
    else d.explanation = `recorded as copied (UMS UID ${row.targetId ?? '?'}) but no longer in the UMS folder: deleted or moved there?`;
  }
}

function explainUnrecorded(d: ItemDiff, filters: Parameters<typeof judgeItem>[1]): string {
  const v = judgeItem({ id: d.id, size: d.size, flags: [], internalDate: d.internalDate }, filters);
  if (!v.copy && !v.record) return 'outside the date window of this config (filters.before / filters.since)';
  return 'not migrated yet (ums-migrate run copies it)';
}

function midLabel(mid: string | undefined, show: boolean): string {
  if (!mid) return '(no Message-ID)';
  return show ? mid : `mid:${createHash('sha256').update(mid).digest('hex').slice(0, 12)}`;
}

function redact(results: MailboxReconciliation[], show: boolean): unknown {
  return results.map((r) => ({
    ...r,
    folders: r.folders.map((f) => ({ ...f, diffs: f.diffs.map((d) => ({ ...d, messageId: midLabel(d.messageId, show), subject: show ? d.subject : undefined })) })),
    collections: redactCollections(r.collections, show),
  }));
}

function toText(results: MailboxReconciliation[], show: boolean): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`== ${r.source} → ${r.target}${r.error ? `: ERROR ${r.error}` : ''}`);
    if (r.folders.length > 0) {
      out.push(table(['UMS folder', 'source folders', 'source', 'UMS', 'matched', 'missing', 'extra', 'flags differ', 'source size'],
        r.folders.map((f) => [f.target, f.sources.join(', '), f.sourceCount, f.targetCount, f.matched,
          f.diffs.filter((d) => d.kind === 'missing').length, f.diffs.filter((d) => d.kind === 'extra').length,
          f.diffs.filter((d) => d.kind === 'flags').length, formatBytes(f.sourceBytes)])).split('\n').map((l) => `   ${l}`).join('\n'));
    }
    for (const f of r.folders) {
      for (const d of f.diffs) {
        const where = d.kind === 'extra' ? `${f.target} UID ${d.id}` : `${d.folder} UID ${d.id}`;
        const flags = d.kind === 'flags' ? ` source [${(d.sourceFlags ?? []).join(' ')}] UMS [${(d.targetFlags ?? []).join(' ')}]` : '';
        const subject = show ? ` "${d.subject ?? ''}"` : '';
        out.push(`   ${d.kind.padEnd(7)} ${where} ${d.internalDate?.toISOString() ?? '-'} ${d.size} B ${midLabel(d.messageId, show)}${subject}${flags}: ${d.explanation ?? ''}`);
      }
    }
    out.push(...collectionsText(r.collections, show));
    for (const f of r.notMigrated) out.push(`   not migrated: ${f.name} (${itemsOf(f)}; ${NOT_MIGRATED_BY[f.by]}): ${f.reason}`);
    const diffs = r.folders.reduce((n, f) => n + f.diffs.length, 0);
    const gwDiffs = r.collections.reduce((n, c) => n + c.diffs.length, 0);
    const equal = r.collections.length === 0 ? 'equal: every source message is in the UMS, flags equal'
      : r.folders.length === 0 ? 'equal: every source object is in the UMS with the same fields and occurrences'
        : 'equal: every source message is in the UMS, flags equal; every source object is in the UMS with the same fields and occurrences';
    const left = r.notMigrated.length > 0 ? ` (the ${r.notMigrated.length} folder(s) not migrated above not compared)` : '';
    out.push(r.error ? '' : `   ${diffs + gwDiffs === 0 ? equal : `${diffs + gwDiffs} difference(s)`}${left}`, '');
  }
  return `${out.join('\n')}\n`;
}

/**
 * The CSV format. Every field through the progress CSV's guard (src/util/csv-cell.ts): its own
 * guard missed a leading tab or CR, which spreadsheets also read as the start of a formula, in
 * folder names, server explanations and (--show-subjects) subjects.
 */
export function toCsv(results: MailboxReconciliation[], show: boolean): string {
  const q = (v: string | undefined) => csvCell(v ?? '');
  const rows = [['mailbox', 'ums_folder', 'kind', 'folder', 'uid', 'ums_uid', 'internal_date', 'size', 'message_id', 'explanation', ...(show ? ['subject'] : [])]];
  for (const r of results) {
    if (r.error) rows.push([r.source, '', 'error', '', '', '', '', '', '', r.error]);
    for (const f of r.folders) {
      for (const d of f.diffs) {
        rows.push([r.source, f.target, d.kind, d.folder, d.id, d.targetId ?? '', d.internalDate?.toISOString() ?? '', String(d.size), midLabel(d.messageId, show), d.explanation ?? '', ...(show ? [d.subject ?? ''] : [])]);
      }
    }
    rows.push(...collectionsCsvRows(r.source, r.collections, show));
    for (const f of r.notMigrated) rows.push([r.source, '', 'not-migrated', f.name, '', '', '', '', '', `${itemsOf(f)}; ${NOT_MIGRATED_BY[f.by]}: ${f.reason}`, ...(show ? [''] : [])]);
  }
  return `\uFEFF${rows.map((r) => r.map(q).join(',')).join('\r\n')}\r\n`;
}

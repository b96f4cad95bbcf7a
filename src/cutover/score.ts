/**
 * The consistency score of a mailbox, from the state store only (no server is contacted): per item
 * type (mail, events, contacts, tasks — a container's type is its target: `calendar:`, `addressbook:`
 * and `tasks:` collections, else mail) the items counted on the source at the last pass against
 * the items in the UMS, the failed and skipped ones with their most common reasons, and whether an
 * admin approved those (approvals.ts). `status` and the report show it; the cutover gate uses the
 * same coverage.
 *
 * score = items in the UMS / items on the source, over all types (null before anything was counted).
 */
import { parseCollectionRef } from '../../mappings/groupware-collections.js';
import type { ContainerRow, FailedItemRow, KeyValueStore, MailboxSummary, ProgressReader, RoutingStore } from '../state/store.js';
import type { ItemKind } from '../model/types.js';
import { readNotMigrated } from '../engine/last-pass.js';
import { copiedOf, folderProblems, itemsLeftBehind, type MailboxNotMigrated, type NotMigratedFolder } from '../engine/not-migrated.js';
import { approvalsOf, coverage, mailboxKey, type Approval } from './approvals.js';

export type ScoreType = 'mail' | 'events' | 'contacts' | 'tasks';
export const SCORE_TYPES: readonly ScoreType[] = ['mail', 'events', 'contacts', 'tasks'];

export interface TypeCounts {
  /** Items on the source at the last pass. */
  source: number;
  /** Items in the UMS. */
  target: number;
  failed: number;
  skipped: number;
}

export interface ReasonCount {
  status: 'failed' | 'skipped';
  reason: string;
  count: number;
}

export interface MailboxScore {
  source: string;
  target: string;
  byType: Record<ScoreType, TypeCounts>;
  /** target / source over all types, 0..1; null when no item was counted yet. */
  score: number | null;
  failed: number;
  skipped: number;
  /** The most common reasons of the failed and skipped items (at most MAX_REASONS). */
  reasons: ReasonCount[];
  /** The latest approval, and how many of today's failed/skipped items it does not list. */
  approval: { seq: number; at: string; who: string; reason: string; approvedItems: number; unapproved: number } | null;
  /** Failed and skipped items no approval covers (0: nothing to approve, or all approved). */
  unapproved: number;
  /** Items counted on the source that are neither in the UMS nor failed nor skipped: not copied yet. */
  notCopied: number;
  /** Folders the source lists whose pass has not finished (pending, running or failed). */
  unfinished: number;
}

export const MAX_REASONS = 5;

export function typeOf(targetRef: string): ScoreType {
  const kind = parseCollectionRef(targetRef)?.kind;
  return kind === 'calendar' ? 'events' : kind === 'addressbook' ? 'contacts' : kind === 'tasks' ? 'tasks' : 'mail';
}

const zero = (): TypeCounts => ({ source: 0, target: 0, failed: 0, skipped: 0 });

/** The type an item kind is counted under (the report's too). */
export const TYPE_OF_KIND: Record<ItemKind, ScoreType> = { mail: 'mail', event: 'events', contact: 'contacts', task: 'tasks' };

/**
 * `notMigrated`: the folders the mailbox's last pass did not migrate (engine/not-migrated.ts); the
 * items of those the source or the target cannot take count as on the source and skipped, and
 * each such folder is a problem to approve (folderProblems).
 */
export function mailboxScore(
  m: Pick<MailboxSummary, 'source' | 'target'>, all: readonly ContainerRow[], itemProblems: readonly FailedItemRow[], approval: Approval | undefined,
  notMigrated: readonly NotMigratedFolder[] = [],
): MailboxScore {
  const byType = { mail: zero(), events: zero(), contacts: zero(), tasks: zero() };
  // a folder migrated before and refused now counts through its row, plus what was never copied
  const copied = copiedOf(all);
  const problems = [...itemProblems, ...folderProblems(m.source, notMigrated, copied)];
  for (const f of notMigrated) {
    if (f.by === 'config') continue;
    const left = itemsLeftBehind(f, copied.get(f.container)) ?? 0;
    byType[TYPE_OF_KIND[f.kind]].source += left;
    byType[TYPE_OF_KIND[f.kind]].skipped += left;
  }
  // a folder the source no longer lists (gone, or excluded now) only counts for what was copied from it
  const containers = all.filter((c) => c.inInventory !== false || c.doneItems > 0);
  const passed = containers.filter((c) => c.status === 'done');
  for (const c of containers) {
    const t = byType[typeOf(c.targetRef)];
    t.source += c.totalItems;
    t.target += c.doneItems;
    t.failed += c.failedItems;
    t.skipped += c.skippedItems;
  }
  const source = SCORE_TYPES.reduce((n, t) => n + byType[t].source, 0);
  const target = SCORE_TYPES.reduce((n, t) => n + byType[t].target, 0);
  const counts = new Map<string, ReasonCount>();
  for (const p of problems) {
    if (p.status !== 'failed' && p.status !== 'skipped') continue;
    const k = `${p.status}\u0000${p.reason}`;
    const r = counts.get(k) ?? { status: p.status, reason: p.reason, count: 0 };
    r.count++;
    counts.set(k, r);
  }
  const cov = coverage(problems, approval);
  return {
    source: m.source, target: m.target, byType,
    // nothing passed and nothing copied: not migrated (a plan's inventory alone is no progress)
    score: passed.length === 0 && target === 0 ? null : source === 0 ? (passed.length === containers.length ? 1 : 0) : Math.min(1, target / source),
    failed: SCORE_TYPES.reduce((n, t) => n + byType[t].failed, 0),
    skipped: SCORE_TYPES.reduce((n, t) => n + byType[t].skipped, 0),
    reasons: [...counts.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)).slice(0, MAX_REASONS),
    approval: approval ? { seq: approval.seq, at: approval.at, who: approval.who, reason: approval.reason, approvedItems: approval.items.length, unapproved: cov.uncovered.length } : null,
    unapproved: cov.uncovered.length,
    notCopied: Math.max(0, SCORE_TYPES.reduce((n, t) => n + byType[t].source - byType[t].target - byType[t].failed - byType[t].skipped, 0)),
    unfinished: containers.length - passed.length,
  };
}

/** What a mailbox's score means for the cutover, for the report: never "complete" while anything is left to copy. */
export function readiness(s: MailboxScore): { state: 'not migrated' | 'in progress' | 'not approved' | 'approved' | 'complete'; text: string } {
  if (s.score === null) return { state: 'not migrated', text: 'not migrated' };
  if (s.notCopied > 0 || s.unfinished > 0) {
    const parts = [
      ...(s.notCopied > 0 ? [`${s.notCopied} item(s) not copied yet`] : []),
      ...(s.unfinished > 0 ? [`${s.unfinished} folder(s) not passed yet`] : []),
    ];
    return { state: 'in progress', text: parts.join(', ') };
  }
  if (s.unapproved > 0) return { state: 'not approved', text: `${s.unapproved} not approved` };
  if (s.failed + s.skipped > 0) return { state: 'approved', text: 'approved' };
  return { state: 'complete', text: 'complete' };
}

/** Scores of every mailbox, from what `status` and `report` read anyway. */
export function mailboxScores(
  mailboxes: readonly MailboxSummary[], containers: readonly ContainerRow[], problems: readonly FailedItemRow[], approvals: ReadonlyMap<string, Approval>,
  notMigrated: readonly MailboxNotMigrated[] = [],
): MailboxScore[] {
  const folders = new Map(notMigrated.map((n) => [mailboxKey(n), n.folders]));
  return mailboxes.map((m) => mailboxScore(
    m, containers.filter((c) => c.mailboxId === m.id), problems.filter((p) => p.mailbox === m.source), approvals.get(mailboxKey(m)), folders.get(mailboxKey(m)),
  ));
}

const pct = (s: number | null) => (s === null ? '-' : `${Math.floor(s * 1000) / 10}%`);
const pair = (t: TypeCounts) => (t.source === 0 && t.target === 0 ? '-' : `${t.target}/${t.source}`);

/** One line per mailbox for `status`: score, UMS/source per type, failed, skipped, approval. */
export function scoreRows(scores: readonly MailboxScore[]): (string | number)[][] {
  return scores.map((s) => [
    s.source, pct(s.score), ...SCORE_TYPES.map((t) => pair(s.byType[t])), s.failed, s.skipped, approvalText(s),
  ]);
}

export const SCORE_HEADER = ['mailbox', 'score', 'mail UMS/source', 'events', 'contacts', 'tasks', 'failed', 'skipped', 'approval'];

export function approvalText(s: MailboxScore): string {
  if (s.approval === null) return s.unapproved > 0 ? `${s.unapproved} not approved` : '-';
  const when = `#${s.approval.seq} ${s.approval.at.slice(0, 16).replace('T', ' ')} by ${s.approval.who}: ${s.approval.reason}`;
  return s.unapproved > 0 ? `${s.unapproved} new since ${when}` : `approved ${when}`;
}

/**
 * The scores of these mailboxes, read from the state store (containers, problems, approvals in the
 * audit log, folders not migrated); `known`: what the caller has read already (all mailboxes').
 */
export async function loadScores(
  store: Pick<ProgressReader, 'containers' | 'problems'> & Pick<RoutingStore, 'routingAudit'> & Pick<KeyValueStore, 'getCheckpointValue'>,
  mailboxes: readonly MailboxSummary[], known: { containers?: ContainerRow[]; problems?: FailedItemRow[]; notMigrated?: MailboxNotMigrated[] } = {},
): Promise<MailboxScore[]> {
  return mailboxScores(mailboxes, known.containers ?? await store.containers(), known.problems ?? await store.problems(), await approvalsOf(store),
    known.notMigrated ?? await readNotMigrated(store, mailboxes));
}

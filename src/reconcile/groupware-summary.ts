/**
 * The last groupware reconciliation, kept in the state store (a key of its checkpoint table) so
 * that `status` and the report show whether calendars, task lists and address books were proven
 * equal, and when: per mailbox and collection, counts only (no UID, summary or address). A
 * `reconcile -m` of some mailboxes replaces their rows and keeps the others'. Pure.
 */
import { counts } from './groupware-format.js';
import type { CollectionComparison } from './groupware-compare.js';

/** The state store key holding the summary (JSON). */
export const GROUPWARE_RECONCILE_KEY = 'reconcile:groupware';

export interface CollectionSummary {
  target: string;
  sourceCount: number;
  targetCount: number;
  matched: number;
  missing: number;
  extra: number;
  changed: number;
  unreadable: number;
  instancesCompared: number;
  instancesMissing: number;
  instancesExtra: number;
  instancesChanged: number;
}

export interface MailboxReconcileSummary {
  source: string;
  target: string;
  /** When this mailbox was last reconciled (ISO). */
  checkedAt: string;
  /** Set when the mailbox could not be reconciled (then `collections` is empty). */
  error?: string;
  collections: CollectionSummary[];
}

export interface GroupwareReconcileSummary {
  /** From when to when occurrences were compared (ISO dates) in the last reconciliation. */
  window: { from: string; to: string };
  mailboxes: MailboxReconcileSummary[];
}

export function collectionSummary(c: CollectionComparison): CollectionSummary {
  const k = counts(c);
  return {
    target: c.target, sourceCount: c.sourceCount, targetCount: c.targetCount, matched: c.matched, missing: k.missing, extra: k.extra,
    changed: k.changed, unreadable: k.unreadable, instancesCompared: c.instancesCompared, instancesMissing: k.instancesMissing,
    instancesExtra: k.instancesExtra, instancesChanged: k.instancesChanged,
  };
}

/** True when the collection was proven equal. */
export function collectionEqual(c: CollectionSummary): boolean {
  return c.missing + c.extra + c.changed + c.unreadable + c.instancesMissing + c.instancesExtra + c.instancesChanged === 0;
}

/** The stored summary with `fresh` mailboxes replacing theirs; mailboxes without collections (mail only) are left out. */
export function mergeSummary(stored: GroupwareReconcileSummary | undefined, fresh: GroupwareReconcileSummary): GroupwareReconcileSummary {
  const key = (m: { source: string; target: string }) => `${m.source}\u0000${m.target}`;
  const replaced = new Set(fresh.mailboxes.map(key));
  const kept = (stored?.mailboxes ?? []).filter((m) => !replaced.has(key(m)));
  const mailboxes = [...kept, ...fresh.mailboxes.filter((m) => m.error !== undefined || m.collections.length > 0)]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { window: fresh.window, mailboxes };
}

/** The stored summary, or undefined when there is none or it cannot be read (an older or damaged value). */
export function parseSummary(text: string | null): GroupwareReconcileSummary | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as GroupwareReconcileSummary;
    return Array.isArray(v?.mailboxes) && v.window ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Table rows for `status`: mailbox, collection, verdict, UIDs source/UMS, missing/extra/changed/unreadable, occurrences, when. */
export function summaryRows(s: GroupwareReconcileSummary): (string | number)[][] {
  return s.mailboxes.flatMap((m) => (m.error !== undefined
    ? [[m.source, '-', 'not reconciled', '', '', '', m.checkedAt, m.error]]
    : m.collections.map((c) => [
      m.source, c.target, collectionEqual(c) ? 'equal' : 'DIFFERS', `${c.sourceCount}/${c.targetCount}`,
      `${c.missing}/${c.extra}/${c.changed}/${c.unreadable}`, `${c.instancesCompared} (${c.instancesMissing}/${c.instancesExtra}/${c.instancesChanged})`, m.checkedAt, '',
    ])));
}

export const SUMMARY_HEADER = ['mailbox', 'collection', 'reconcile', 'UIDs source/UMS', 'missing/extra/changed/unreadable', 'occurrences (missing/extra/changed)', 'checked', 'error'];

/**
 * Admin approvals of a mailbox's known failures and skips (`ums-migrate approve`): an entry of the
 * append-only audit log (action `approve`) naming the mailbox, the reason, who, when, and exactly
 * which items were failed or skipped at that moment. The cutover gate accepts a mailbox's failed
 * and skipped items when the latest approval lists every one of them; an item that fails after the
 * approval is not covered (the gate names how many), an item retried successfully since simply
 * drops out. Items copied with warnings (status done) need no approval.
 *
 * Pure, except `approvalsOf` reading the audit log.
 */
import type { FailedItemRow, RoutingAuditEntry, RoutingStore } from '../state/store.js';
import { WHOLE_FOLDER } from '../engine/not-migrated.js';

export const APPROVE_ACTION = 'approve';

export interface ApprovalDetail {
  mailbox: { source: string; target: string };
  reason: string;
  failed: number;
  skipped: number;
  /** Folders not migrated as a whole (engine/not-migrated.ts folderProblems); not in `skipped`. Absent in approvals of older versions. */
  folders?: number;
  /** `problemKey` of each approved item. */
  items: string[];
}

export interface Approval extends ApprovalDetail {
  seq: number;
  at: string;
  who: string;
}

/** Failed and skipped items only (a `done` row with a reason was copied, with warnings). */
export function approvable(problems: readonly FailedItemRow[]): FailedItemRow[] {
  return problems.filter((p) => p.status === 'failed' || p.status === 'skipped');
}

/** Names one item's failure: folder, item and status (a skipped item that later fails is new). */
export function problemKey(p: Pick<FailedItemRow, 'containerId' | 'itemId' | 'status'>): string {
  return `${p.status}\u0000${p.containerId}\u0000${p.itemId}`;
}

export function mailboxKey(m: { source: string; target: string }): string {
  return `${m.source}\u0000${m.target}`;
}

export function approvalDetail(mailbox: { source: string; target: string }, reason: string, problems: readonly FailedItemRow[]): ApprovalDetail {
  const items = approvable(problems);
  const folders = items.filter((p) => p.itemId === WHOLE_FOLDER).length;
  return {
    mailbox: { source: mailbox.source, target: mailbox.target }, reason,
    failed: items.filter((p) => p.status === 'failed').length, skipped: items.filter((p) => p.status === 'skipped').length - folders,
    ...(folders > 0 ? { folders } : {}),
    items: items.map(problemKey).sort(),
  };
}

function isApprovalDetail(d: unknown): d is ApprovalDetail {
  const v = d as Partial<ApprovalDetail> | null;
  return typeof v === 'object' && v !== null && typeof v.mailbox?.source === 'string' && typeof v.mailbox.target === 'string'
    && typeof v.reason === 'string' && Array.isArray(v.items);
}

/** The latest approval per mailbox (`mailboxKey`), from the audit log (oldest first). */
export function latestApprovals(audit: readonly RoutingAuditEntry[]): Map<string, Approval> {
  const out = new Map<string, Approval>();
  for (const e of audit) {
    if (e.action !== APPROVE_ACTION || !isApprovalDetail(e.detail)) continue;
    out.set(mailboxKey(e.detail.mailbox), { ...e.detail, seq: e.seq, at: e.at, who: e.who });
  }
  return out;
}

export async function approvalsOf(store: Pick<RoutingStore, 'routingAudit'>): Promise<Map<string, Approval>> {
  return latestApprovals(await store.routingAudit());
}

export interface Coverage {
  /** Failed and skipped items now. */
  items: number;
  /** Of those, the ones the approval does not list. */
  uncovered: FailedItemRow[];
}

export function coverage(problems: readonly FailedItemRow[], approval: Approval | undefined): Coverage {
  const items = approvable(problems);
  const approved = new Set(approval?.items ?? []);
  return { items: items.length, uncovered: items.filter((p) => !approved.has(problemKey(p))) };
}

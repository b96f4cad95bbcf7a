/** Maps database rows to the store's shapes; shared by the SQLite and PostgreSQL stores (same columns). */
import type { Checkpoint, ContainerRow, ContainerStatus, MailboxSummary, PendingRow } from './store.js';

export type Row = Record<string, unknown>;

export function containerRowFrom(r: Row): ContainerRow {
  return {
    mailboxId: r.mailbox_id as number,
    containerId: r.container_id as string,
    path: r.path as string,
    targetRef: r.target_ref as string,
    status: r.status as ContainerStatus,
    epoch: (r.epoch as string | null) ?? undefined,
    cursor: (r.cursor as string | null) ?? null,
    scope: (r.scope as string | null) ?? undefined,
    token: (r.token as string | null) ?? null,
    totalItems: r.total_items as number,
    totalBytes: r.total_bytes as number,
    doneItems: r.done_items as number,
    doneBytes: r.done_bytes as number,
    failedItems: r.failed_items as number,
    skippedItems: r.skipped_items as number,
    lastError: (r.last_error as string | null) ?? null,
    updatedAt: r.updated_at as string,
  };
}

export function checkpointFrom(r: Row): Checkpoint | null {
  if (r.epoch == null) return null;
  return {
    epoch: r.epoch as string,
    cursor: (r.cursor as string | null) ?? null,
    scope: (r.scope as string | null) ?? '',
    token: (r.token as string | null) ?? null,
    targetRef: r.target_ref as string,
    flagSeq: (r.flag_seq as string | null) ?? null,
  };
}

export function mailboxSummaryFrom(r: Row): MailboxSummary {
  return {
    id: r.id as number, source: r.source as string, target: r.target as string,
    containers: r.containers as number, containersDone: (r.containers_done as number | null) ?? 0,
    containersFailed: (r.containers_failed as number | null) ?? 0,
    totalItems: r.total_items as number, totalBytes: r.total_bytes as number,
    doneItems: r.done_items as number, doneBytes: r.done_bytes as number,
    failedItems: r.failed_items as number, skippedItems: r.skipped_items as number,
    updatedAt: (r.updated_at as string | null) ?? null,
  };
}

export function pendingRowFrom(r: Row): PendingRow {
  return {
    itemId: r.item_id as string,
    epoch: r.epoch as string,
    size: r.size as number,
    internalDate: (r.internal_date as string | null) ?? null,
    messageId: (r.message_id as string | null) ?? null,
    targetRef: r.target_ref as string,
    watermark: r.watermark as string,
  };
}

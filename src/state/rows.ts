/** Maps database rows to the store's shapes; shared by the SQLite and PostgreSQL stores (same columns). */
import type { ItemKind } from '../model/types.js';
import type { InventoriedMailbox } from './inventory.js';
import type {
  Checkpoint, ContainerRow, ContainerStatus, CutoverRow, FailedItemRow, MailboxSummary, PendingRow, RefusedName, RoutingAction, RoutingAuditEntry, SuspectRow,
  ThroughputRow,
} from './store.js';

export type Row = Record<string, unknown>;

export function containerRowFrom(r: Row): ContainerRow {
  return {
    mailboxId: r.mailbox_id as number,
    containerId: r.container_id as string,
    path: r.path as string,
    name: (r.name as string | null | undefined) ?? null,
    kind: ((r.kind as ItemKind | null | undefined) ?? 'mail'),
    bytesKnown: r.bytes_known === undefined || r.bytes_known === null ? true : Boolean(r.bytes_known),
    inInventory: r.in_inventory === undefined || r.in_inventory === null ? true : Boolean(r.in_inventory),
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

export function suspectRowFrom(r: Row): SuspectRow {
  return {
    itemId: r.item_id as string, epoch: r.epoch as string, targetRef: r.target_ref as string, watermark: r.watermark as string,
    hash: r.hash as string, size: r.size as number, internalDate: (r.internal_date as string | null) ?? null,
    messageId: (r.message_id as string | null) ?? null, createdAt: r.created_at as string,
  };
}

/** A row of the `problems` query (items joined with their mailbox and container). */
export function failedItemRowFrom(r: Row): FailedItemRow {
  return {
    mailbox: r.mailbox as string, containerId: r.container_id as string, path: r.path as string, itemId: r.item_id as string,
    size: r.size as number, status: r.status as FailedItemRow['status'], reason: (r.reason as string | null) ?? '', updatedAt: r.updated_at as string,
  };
}

/** A row of the `throughput` query: `bucket` in seconds since the epoch. */
export function throughputRowFrom(r: Row): ThroughputRow {
  return { mailbox: r.mailbox as string, at: new Date((r.bucket as number) * 1000).toISOString(), items: r.items as number, bytes: r.bytes as number };
}

export function cutoverRowFrom(r: Row): CutoverRow {
  return {
    userKey: r.user_key as string,
    login: r.login as string,
    at: r.cut_over_at as string,
    by: r.cut_over_by as string,
    batch: (r.batch as string | null) ?? null,
  };
}

/** `users` and `detail` are JSON text in SQLite (`jsonText`) and already parsed (JSON columns) in PostgreSQL. */
export function routingAuditFrom(r: Row, jsonText: boolean): RoutingAuditEntry {
  const json = (v: unknown): unknown => (jsonText ? JSON.parse(v as string) : v);
  return {
    seq: r.seq as number,
    at: r.at as string,
    who: r.who as string,
    action: r.action as RoutingAction,
    batch: (r.batch as string | null) ?? null,
    users: json(r.users) as string[],
    refused: (r.refused === undefined || r.refused === null ? [] : json(r.refused)) as RefusedName[],
    detail: json(r.detail),
  };
}

export function inventoriedMailboxFrom(r: Row): InventoriedMailbox {
  return { id: r.id as number, source: r.source as string, target: r.target as string, inventoriedAt: (r.inventoried_at as string | null) ?? null };
}

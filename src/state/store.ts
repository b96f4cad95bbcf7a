/**
 * The state store: checkpoints and the per-item status table.
 *
 * Invariant that makes runs exactly-once: an item's final row (done / failed / skipped) and the
 * container's new cursor are written in ONE transaction (`commitBatch`). Before a batch is
 * written to the target, its items are recorded as `pending` with the target watermark
 * (`recordPending`), so a run that dies between write and commit knows exactly which items
 * to look for in the target (`pending`). A target container with idempotent writes (DAV; see
 * TargetCapabilities in src/model/types.ts) has no watermark: its pending rows carry '' and the
 * engine writes them again instead of looking, and it records no suspects.
 *
 * The interface is async so that the PostgreSQL implementation fits the same shape.
 * Secrets are never passed to the store.
 */

import type { ItemKind } from '../model/types.js';

export type ItemStatus = 'pending' | 'done' | 'failed' | 'skipped';
export type ContainerStatus = 'pending' | 'running' | 'done' | 'failed';

export interface MailboxKey {
  source: string;
  target: string;
}

export interface Checkpoint {
  /** Source epoch the cursor belongs to (IMAP UIDVALIDITY). */
  epoch: string;
  cursor: string | null;
  /** The filter window the cursor was advanced under (see engine/filters). */
  scope: string;
  /** The source's change token when the container was last complete (cheap no-op detection). */
  token: string | null;
  targetRef: string;
  /** The flag-delta cursor (IMAP HIGHESTMODSEQ at the start of the last complete pass). */
  flagSeq?: string | null;
}

export interface DoneItemRow {
  itemId: string;
  size: number;
  targetRef: string;
  targetId: string | null;
  /** The target epoch the id belongs to (IMAP UIDVALIDITY); ids of another epoch are stale. */
  targetEpoch: string | null;
  /** Flags as last written to the target (null: unknown, from an older version). */
  flags: string[] | null;
}

/** Item counters kept per container (and summed per mailbox). */
export interface ItemCounters {
  totalItems: number;
  totalBytes: number;
  doneItems: number;
  doneBytes: number;
  failedItems: number;
  skippedItems: number;
}

export interface ContainerRow extends Partial<Checkpoint>, ItemCounters {
  mailboxId: number;
  containerId: string;
  path: string;
  /** How the source shows the container (EWS display names with parents, a PST path with its file); null before the first inventory. */
  name?: string | null;
  /** Absent means 'mail' (rows read from a store always carry these four). */
  kind?: ItemKind;
  /** False when the source could not tell the size cheaply: totalBytes is then unknown (0 in the row). */
  bytesKnown?: boolean;
  /** False when the mailbox's latest inventory did not list the container (gone from the source, or excluded now). */
  inInventory?: boolean;
  targetRef: string;
  status: ContainerStatus;
  lastError: string | null;
  updatedAt: string;
}

export interface PendingRow {
  itemId: string;
  epoch: string;
  size: number;
  internalDate: string | null;
  messageId: string | null;
  targetRef: string;
  /** The target container's watermark at the write; '' where writes are idempotent (nothing is searched). */
  watermark: string;
}

/**
 * An item whose write had an unknown outcome (a crash while it was pending, or a connection that
 * dropped during the write) and that was written again: a late-arriving first copy may sit in
 * the target after `watermark`. A sweep removes such copies (see engine/crash-recovery.ts and
 * container-task.ts). Only for target containers with write recovery (IMAP).
 */
export interface SuspectRow {
  itemId: string;
  epoch: string;
  targetRef: string;
  watermark: string;
  hash: string;
  size: number;
  internalDate: string | null;
  messageId: string | null;
  /** ISO time the row was recorded. */
  createdAt?: string;
}

export interface ItemResult {
  itemId: string;
  status: Exclude<ItemStatus, 'pending'>;
  size: number;
  internalDate?: Date;
  messageId?: string;
  hash?: string;
  /** Flags written with the item. */
  flags?: string[];
  targetRef?: string;
  targetEpoch?: string;
  targetId?: string;
  /** Why it failed or was skipped (server text, limit name…). */
  reason?: string;
}

export interface FailedItemRow {
  mailbox: string;
  containerId: string;
  path: string;
  itemId: string;
  size: number;
  /** 'done' only for an item copied with warnings (what could not be carried is its reason). */
  status: 'failed' | 'skipped' | 'done';
  reason: string;
  updatedAt: string;
}

export interface MailboxSummary extends ItemCounters {
  id: number;
  source: string;
  target: string;
  containers: number;
  containersDone: number;
  containersFailed: number;
  updatedAt: string | null;
}

/** One container as an inventory (plan, or the start of a pass) found it in the source. */
export interface InventoryEntry {
  containerId: string;
  /** The source path, "/"-joined (as openContainer records it). */
  path: string;
  /** How the source shows it to people (EWS display-name path, PST path with the file name…). */
  name: string;
  /** The UMS container it maps to (seeds a new row only: a checkpoint's targetRef is kept). */
  targetRef: string;
  kind: ItemKind;
  items: number;
  /**
   * null: the source cannot tell cheaply. A known size recorded earlier is kept while the item
   * count is unchanged; otherwise the size is unknown (never 0) until a pass measures it.
   */
  bytes: number | null;
}

/** Inventory totals and progress of one item kind in one mailbox, over the containers of its latest inventory. */
export interface KindTotals {
  kind: ItemKind;
  containers: number;
  totalItems: number;
  /** Sum over the containers whose size is known (a lower bound when bytesUnknown > 0). */
  totalBytes: number;
  /** Containers whose size is unknown. */
  bytesUnknown: number;
  /** Per container at most its total (items listed after the inventory, sizes changed on the way). */
  doneItems: number;
  /** Per container at most its total bytes when that is known. */
  doneBytes: number;
  failedItems: number;
  skippedItems: number;
}

/** A mailbox's inventory by item kind (`MailboxReader.inventory`). */
export interface MailboxInventory {
  id: number;
  source: string;
  target: string;
  /** ISO time of the latest inventory; null: never inventoried, totals unknown (kinds is then []). */
  inventoriedAt: string | null;
  /** Kinds present, in the order mail, event, contact, task. */
  kinds: KindTotals[];
}

export interface ThroughputRow {
  mailbox: string;
  /** Start of the bucket, ISO time. */
  at: string;
  items: number;
  bytes: number;
}

// ---------------------------------------------------------------------------------------------
// The store's interfaces, one per kind of consumer, so a module's parameter shows what it can
// touch. Both implementations (sqlite.ts, postgres.ts) are a whole `StateStore`.

/** What the engine and the progress readers both ask about mailboxes and containers. */
export interface MailboxReader {
  /** The mailbox id if this pair was ever run, without creating it. */
  findMailbox(key: MailboxKey): Promise<number | undefined>;
  containers(mailboxId?: number): Promise<ContainerRow[]>;
  /** Per mailbox (ordered by source) and item kind: inventory totals and progress; one mailbox with `mailboxId`. */
  inventory(mailboxId?: number): Promise<MailboxInventory[]>;
}

/**
 * The engine's side (src/engine; `plan` records an inventory through it): checkpoints, the
 * per-item rows that make a run exactly-once, suspects and the flag/deletion delta.
 */
export interface CheckpointStore extends MailboxReader {
  mailboxId(key: MailboxKey): Promise<number>;
  /**
   * Registers a container (idempotent) and returns its checkpoint, if any. The checkpoint's
   * targetRef is where the last committed pass wrote (`targetRef` here only seeds a new row), so a
   * changed folder mapping is visible to the caller.
   */
  openContainer(mailboxId: number, containerId: string, path: string, targetRef: string): Promise<Checkpoint | null>;
  /** bytes null: unknown (the container's size could not be measured). */
  setContainerTotals(mailboxId: number, containerId: string, totals: { items: number; bytes: number | null }): Promise<void>;
  /**
   * Records a mailbox's inventory in one transaction (see InventoryEntry): containers are created
   * or updated with their name, kind and totals; containers of the mailbox it does not list leave
   * the inventory totals (their rows and items stay). Sets the mailbox's inventory time.
   */
  recordInventory(mailboxId: number, entries: InventoryEntry[]): Promise<void>;
  setContainerStatus(mailboxId: number, containerId: string, status: ContainerStatus, error?: string): Promise<void>;
  /** Records items as pending before they are written to the target. */
  recordPending(mailboxId: number, containerId: string, rows: PendingRow[]): Promise<void>;
  /** Items left pending by an interrupted run. */
  pending(mailboxId: number, containerId: string): Promise<PendingRow[]>;
  /** Final rows for items and the new checkpoint, in one transaction. */
  commitBatch(mailboxId: number, containerId: string, results: ItemResult[], checkpoint: Checkpoint): Promise<void>;
  recordSuspects(mailboxId: number, containerId: string, rows: SuspectRow[]): Promise<void>;
  suspects(mailboxId: number, containerId: string): Promise<SuspectRow[]>;
  clearSuspects(mailboxId: number, containerId: string, rows: Pick<SuspectRow, 'itemId' | 'watermark'>[]): Promise<void>;
  /** The target id recorded for done items. */
  targetIds(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, string>>;
  /** Pending rows that were not found written: back to `failed`, so the next pass retries them. */
  dropPending(mailboxId: number, containerId: string, itemIds: string[]): Promise<void>;
  /** Status, reason and target id of items (to explain reconciliation differences). */
  itemRows(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, { status: ItemStatus; reason: string | null; targetId: string | null }>>;
  /** Done items of a container (for the flag and deletion delta); with `itemIds`, only those of them. */
  doneItems(mailboxId: number, containerId: string, epoch: string, itemIds?: string[]): Promise<DoneItemRow[]>;
  updateFlags(mailboxId: number, containerId: string, epoch: string, rows: { itemId: string; flags: string[] }[]): Promise<void>;
  setFlagSeq(mailboxId: number, containerId: string, seq: string | null): Promise<void>;
  /** Forgets done items that were deleted on both sides (mirrored deletions). */
  forgetItems(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<void>;
  /** Ids of the items of a container that failed in `epoch` (retried by the next run). */
  failedItems(mailboxId: number, containerId: string, epoch: string): Promise<string[]>;
  /** Which of `itemIds` (in `epoch`) already have a final row. */
  finished(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, ItemStatus>>;
  /**
   * Target ids already claimed by done items in a target container (and epoch). Claims made by
   * `current.containerId` under an epoch other than `current.epoch` are stale (that container is
   * being re-verified) and do not count.
   */
  claimedTargetIds(mailboxId: number, targetRef: string, targetEpoch: string, current?: { containerId: string; epoch: string }): Promise<Set<string>>;
  /** Moves a container to a new source epoch: its cursor restarts; rows of the old epoch stay. */
  resetEpoch(mailboxId: number, containerId: string, epoch: string, scope: string): Promise<void>;
}

/** Read-only progress for `status`, `report`, the dashboard and the cutover gate. */
export interface ProgressReader extends MailboxReader {
  mailboxes(): Promise<MailboxSummary[]>;
  problems(mailboxId?: number): Promise<FailedItemRow[]>;
  /** Items written per time bucket and mailbox (from the done rows' times), oldest first. */
  throughput(bucketSeconds: number): Promise<ThroughputRow[]>;
}

/**
 * Named values outside the mailbox/container model: the directory sync's "directory:<source>"
 * change mark, the last pass per mailbox (engine/last-pass), waves, the reconcile summary.
 */
export interface KeyValueStore {
  /** null when never set. */
  getCheckpointValue(name: string): Promise<string | null>;
  setCheckpointValue(name: string, value: string): Promise<void>;
}

/** The whole store, as opened (open.ts) and implemented by sqlite.ts and postgres.ts. */
export interface StateStore extends CheckpointStore, ProgressReader, KeyValueStore, RoutingStore {
  /** Creates or upgrades the schema. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Coexistence routing: which users are cut over, and the append-only routing audit log.

/** A user whose mailbox is delivered on the UMS (one row per user; undo removes it). */
export interface CutoverRow {
  /** Stable directory key (objectGUID, entryUUID; the login when the address book has none). */
  userKey: string;
  login: string;
  /** ISO time of the cutover (set by the store). */
  at: string;
  /** Who cut the user over (OS user or $UMS_OPERATOR). */
  by: string;
  /** The batch name (e.g. the batch file's name), null for a single --user. */
  batch: string | null;
}

/**
 * What an audit entry records. The routing commands write cutover, undo, publish and rollback;
 * other commands that write to production systems (directory sync, approvals) may add their own.
 */
export type RoutingAction = 'cutover' | 'undo' | 'publish' | 'rollback' | 'directory-sync' | 'approve' | (string & {});

/** A name (login, address, batch line) an audited attempt refused, and why. */
export interface RefusedName {
  name: string;
  reason: string;
}

export interface RoutingAuditInput {
  who: string;
  action: RoutingAction;
  batch?: string | null;
  /** Logins concerned. */
  users: string[];
  /** Names the attempt refused (unknown users, a guard that stopped a publish), each with its reason. */
  refused?: RefusedName[];
  /** JSON-serialisable details: the map diff, versions. */
  detail: unknown;
}

export interface RoutingAuditEntry {
  /** Increasing; gives the order of entries. */
  seq: number;
  /** ISO time (set by the store). */
  at: string;
  who: string;
  action: RoutingAction;
  batch: string | null;
  users: string[];
  /** Refused names ([] when nothing was refused). */
  refused: RefusedName[];
  detail: unknown;
}

export interface CutoverChange {
  users: { userKey: string; login: string }[];
  /** true: cut over; false: undo (back to Exchange). */
  cutOver: boolean;
  who: string;
  batch: string | null;
  /** The audit entry's details (e.g. the map diff the change causes). */
  detail: unknown;
  /** Names refused before the change (unknown, ambiguous, not ready), recorded in its audit entry. */
  refused?: RefusedName[];
}

export interface CutoverResult {
  /** Keys whose state changed (already cut over / not cut over users are left as they are). */
  changed: string[];
  /** The audit entry written in the same transaction. */
  entry: RoutingAuditEntry;
}

/** The coexistence routing commands' side (src/routing, src/cutover): cutovers and their audit. */
export interface RoutingStore {
  /**
   * Cuts users over (or undoes it) and appends the audit entry, in one transaction. A user
   * already cut over keeps the time, operator and batch of the first cutover.
   */
  applyCutover(change: CutoverChange): Promise<CutoverResult>;
  /** Users currently cut over, ordered by user key (bytewise). */
  cutovers(): Promise<CutoverRow[]>;
  /** Appends one audit entry (publish, rollback). Entries are never changed or deleted. */
  appendRoutingAudit(entry: RoutingAuditInput): Promise<RoutingAuditEntry>;
  /** The audit log, oldest first. */
  routingAudit(): Promise<RoutingAuditEntry[]>;
}

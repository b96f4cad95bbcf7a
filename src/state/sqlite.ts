import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFileSync } from '../util/private-file.js';
import { checkStateFile, checkStatePath, damagedStateError } from './sqlite-file.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import type {
  Checkpoint, ContainerRow, ContainerStatus, CutoverChange, CutoverResult, CutoverRow, DoneItemRow, FailedItemRow, ItemResult, ItemStatus,
  InventoryEntry, MailboxInventory, MailboxKey, MailboxSummary, PendingRow, RoutingAuditEntry, RoutingAuditInput, StateStore, SuspectRow, ThroughputRow,
} from './store.js';
import { applyCutoverSqlite, appendRoutingAuditSqlite, cutoversSqlite, routingAuditSqlite } from './routing-sqlite.js';
import { inventorySqlite, recordInventorySqlite } from './inventory-sqlite.js';
import { mailboxesSqlite, problemsSqlite, throughputSqlite } from './progress-sqlite.js';
import { checkpointFrom, containerRowFrom, pendingRowFrom, suspectRowFrom, type Row } from './rows.js';

const COUNTER: Record<Exclude<ItemStatus, 'pending'>, string> = {
  done: 'done_items',
  failed: 'failed_items',
  skipped: 'skipped_items',
};

/** An item id condition taking the ids as one JSON array parameter (SQLite's json_each). */
const IN_IDS = 'item_id IN (SELECT value FROM json_each(?))';
const ID_CHUNK = 10_000;

/**
 * The embedded state store: one SQLite file in WAL mode. A commit survives a killed process
 * (synchronous=NORMAL); set `durable` for fsync on every commit (survives power loss).
 * A new file is created 0600 (its -wal and -shm follow); a damaged one is refused with what to do
 * (src/state/sqlite-file.ts).
 */
export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;
  /** Prepared statements by SQL text (a bounded set): preparing again on every call cost 2 % of a run's CPU. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly path: string, opts: { durable?: boolean } = {}) {
    if (path !== ':memory:') {
      checkStatePath(path);
      mkdirSync(dirname(path), { recursive: true });
      createPrivateFileSync(path);
      checkStateFile(path);
    }
    this.db = new Database(path);
    try {
      // Waiting for another process's lock applies from here on: first, so that switching a new
      // file to WAL while another process creates or migrates it waits instead of failing.
      this.db.pragma('busy_timeout = 10000');
      switchToWal(this.db);
      this.db.pragma(`synchronous = ${opts.durable ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('foreign_keys = ON');
    } catch (err) {
      this.db.close();
      throw damagedStateError(path, err) ?? err;
    }
  }

  private sql(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  async migrate(): Promise<void> {
    try {
      // Reads every schema page: a damaged schema shows here, before a run relies on it.
      this.sql('SELECT count(*) FROM sqlite_master').get();
      // Each step under the write lock, the version read again inside it: another process
      // (a run and the dashboard, two runs starting) may have applied it meanwhile.
      const step = this.db.transaction((): boolean => {
        const v = this.db.pragma('user_version', { simple: true }) as number;
        if (v >= SQLITE_MIGRATIONS.length) return false;
        this.db.exec(SQLITE_MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
        return true;
      });
      while ((this.db.pragma('user_version', { simple: true }) as number) < SQLITE_MIGRATIONS.length && step.immediate());
    } catch (err) {
      throw damagedStateError(this.path, err) ?? err;
    }
  }

  async mailboxId(key: MailboxKey): Promise<number> {
    this.sql('INSERT OR IGNORE INTO mailboxes (source, target) VALUES (?, ?)').run(key.source, key.target);
    const row = this.sql('SELECT id FROM mailboxes WHERE source = ? AND target = ?').get(key.source, key.target) as Row;
    return row.id as number;
  }

  async openContainer(mailboxId: number, containerId: string, path: string, targetRef: string): Promise<Checkpoint | null> {
    this.sql(`INSERT INTO containers (mailbox_id, container_id, path, target_ref) VALUES (?, ?, ?, ?)
      ON CONFLICT (mailbox_id, container_id) DO UPDATE SET path = excluded.path`)
      .run(mailboxId, containerId, path, targetRef);
    const row = this.sql('SELECT epoch, cursor, scope, token, target_ref, flag_seq FROM containers WHERE mailbox_id = ? AND container_id = ?')
      .get(mailboxId, containerId) as Row;
    return checkpointFrom(row);
  }

  async setContainerTotals(mailboxId: number, containerId: string, totals: { items: number; bytes: number | null }): Promise<void> {
    this.sql(`UPDATE containers SET total_items = ?, total_bytes = ?, bytes_known = ?, updated_at = ${now()} WHERE mailbox_id = ? AND container_id = ?`)
      .run(totals.items, totals.bytes ?? 0, totals.bytes === null ? 0 : 1, mailboxId, containerId);
  }

  async recordInventory(mailboxId: number, entries: InventoryEntry[]): Promise<void> {
    recordInventorySqlite(this.db, mailboxId, entries);
  }

  async inventory(mailboxId?: number): Promise<MailboxInventory[]> {
    return inventorySqlite(this.db, mailboxId);
  }

  async setContainerStatus(mailboxId: number, containerId: string, status: ContainerStatus, error?: string): Promise<void> {
    this.sql(`UPDATE containers SET status = ?, last_error = ?, updated_at = ${now()} WHERE mailbox_id = ? AND container_id = ?`)
      .run(status, error ?? null, mailboxId, containerId);
  }

  async recordPending(mailboxId: number, containerId: string, rows: PendingRow[]): Promise<void> {
    const stmt = this.sql(`INSERT INTO items (mailbox_id, container_id, epoch, item_id, status, size, internal_date, message_id, target_ref, watermark)
      VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)
      ON CONFLICT (mailbox_id, container_id, epoch, item_id) DO UPDATE SET status = 'pending', watermark = excluded.watermark,
        target_ref = excluded.target_ref, updated_at = ${now()}
      WHERE items.status IN ('pending', 'failed')`);
    const was = this.sql('SELECT status FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND item_id = ?');
    const unfail = this.sql('UPDATE containers SET failed_items = failed_items - 1 WHERE mailbox_id = ? AND container_id = ?');
    this.db.transaction(() => {
      for (const r of rows) {
        // A failed item tried again is no longer counted as failed while it is pending.
        if ((was.get(mailboxId, containerId, r.epoch, r.itemId) as Row | undefined)?.status === 'failed') unfail.run(mailboxId, containerId);
        stmt.run(mailboxId, containerId, r.epoch, r.itemId, r.size, r.internalDate, r.messageId, r.targetRef, r.watermark);
      }
    })();
  }

  async pending(mailboxId: number, containerId: string): Promise<PendingRow[]> {
    const rows = this.sql(`SELECT item_id, epoch, size, internal_date, message_id, target_ref, watermark FROM items
      WHERE mailbox_id = ? AND container_id = ? AND status = 'pending' ORDER BY rowid`).all(mailboxId, containerId) as Row[];
    return rows.map(pendingRowFrom);
  }

  async commitBatch(mailboxId: number, containerId: string, results: ItemResult[], cp: Checkpoint): Promise<void> {
    const prev = this.sql('SELECT status, size FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND item_id = ?');
    const upsert = this.sql(`INSERT INTO items (mailbox_id, container_id, epoch, item_id, status, size, internal_date, message_id, hash,
        target_ref, target_epoch, target_id, reason, watermark, flags)
      VALUES (@mailboxId, @containerId, @epoch, @itemId, @status, @size, @internalDate, @messageId, @hash, @targetRef, @targetEpoch, @targetId, @reason, NULL, @flags)
      ON CONFLICT (mailbox_id, container_id, epoch, item_id) DO UPDATE SET status = excluded.status, size = excluded.size, flags = excluded.flags,
        internal_date = excluded.internal_date, message_id = excluded.message_id, hash = excluded.hash, target_ref = excluded.target_ref,
        target_epoch = excluded.target_epoch, target_id = excluded.target_id, reason = excluded.reason, watermark = NULL, updated_at = ${now()}`);
    // The container's counters move once per batch: items and bytes per counter column.
    const moves = new Map<string, { items: number; bytes: number }>();
    const bump = (col: string, items: number, bytes: number) => {
      const m = moves.get(col) ?? { items: 0, bytes: 0 };
      m.items += items;
      m.bytes += bytes;
      moves.set(col, m);
    };
    this.db.transaction(() => {
      for (const r of results) {
        const before = prev.get(mailboxId, containerId, cp.epoch, r.itemId) as Row | undefined;
        const beforeStatus = before?.status as ItemStatus | undefined;
        if (beforeStatus && beforeStatus !== 'pending') bump(COUNTER[beforeStatus], -1, -(before?.size as number));
        bump(COUNTER[r.status], 1, r.size);
        upsert.run({
          mailboxId, containerId, epoch: cp.epoch, itemId: r.itemId, status: r.status, size: r.size,
          internalDate: r.internalDate?.toISOString() ?? null, messageId: r.messageId ?? null, hash: r.hash ?? null,
          targetRef: r.targetRef ?? null, targetEpoch: r.targetEpoch ?? null, targetId: r.targetId ?? null, reason: r.reason ?? null,
          flags: r.flags ? JSON.stringify(r.flags) : null,
        });
      }
      for (const [col, m] of moves) {
        if (col === 'done_items') this.sql('UPDATE containers SET done_items = done_items + ?, done_bytes = done_bytes + ? WHERE mailbox_id = ? AND container_id = ?').run(m.items, m.bytes, mailboxId, containerId);
        else this.sql(`UPDATE containers SET ${col} = ${col} + ? WHERE mailbox_id = ? AND container_id = ?`).run(m.items, mailboxId, containerId);
      }
      this.sql(`UPDATE containers SET epoch = ?, cursor = ?, scope = ?, token = ?, target_ref = ?, updated_at = ${now()}
        WHERE mailbox_id = ? AND container_id = ?`).run(cp.epoch, cp.cursor, cp.scope, cp.token, cp.targetRef, mailboxId, containerId);
    })();
  }

  async recordSuspects(mailboxId: number, containerId: string, rows: SuspectRow[]): Promise<void> {
    const stmt = this.sql(`INSERT OR IGNORE INTO suspects (mailbox_id, container_id, epoch, item_id, target_ref, watermark, hash, size, internal_date, message_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const r of rows) stmt.run(mailboxId, containerId, r.epoch, r.itemId, r.targetRef, r.watermark, r.hash, r.size, r.internalDate, r.messageId);
    })();
  }

  async suspects(mailboxId: number, containerId: string): Promise<SuspectRow[]> {
    const rows = this.sql('SELECT * FROM suspects WHERE mailbox_id = ? AND container_id = ? ORDER BY rowid').all(mailboxId, containerId) as Row[];
    return rows.map(suspectRowFrom);  }

  async clearSuspects(mailboxId: number, containerId: string, rows: Pick<SuspectRow, 'itemId' | 'watermark'>[]): Promise<void> {
    const stmt = this.sql('DELETE FROM suspects WHERE mailbox_id = ? AND container_id = ? AND item_id = ? AND watermark = ?');
    this.db.transaction(() => { for (const r of rows) stmt.run(mailboxId, containerId, r.itemId, r.watermark); })();
  }

  async targetIds(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, string>> {
    const rows = this.byIds(`SELECT item_id, target_id FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND ${IN_IDS} AND status = 'done'
      AND target_id IS NOT NULL`, [mailboxId, containerId, epoch], itemIds);
    return new Map(rows.map((r) => [r.item_id as string, r.target_id as string]));
  }

  async dropPending(mailboxId: number, containerId: string, itemIds: string[]): Promise<void> {
    // Back to `failed`, not deleted: an item tried again from behind the cursor (an earlier
    // failure) would otherwise never be listed again. Failed items are retried by every run.
    const stmt = this.sql(`UPDATE items SET status = 'failed', reason = 'interrupted while being written; retried by the next run',
      watermark = NULL, updated_at = ${now()} WHERE mailbox_id = ? AND container_id = ? AND item_id = ? AND status = 'pending'`);
    const count = this.sql('UPDATE containers SET failed_items = failed_items + ? WHERE mailbox_id = ? AND container_id = ?');
    this.db.transaction(() => {
      let n = 0;
      for (const id of itemIds) n += stmt.run(mailboxId, containerId, id).changes;
      if (n > 0) count.run(n, mailboxId, containerId);
    })();
  }

  async itemRows(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, { status: ItemStatus; reason: string | null; targetId: string | null }>> {
    const rows = this.byIds(`SELECT item_id, status, reason, target_id FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND ${IN_IDS}`,
      [mailboxId, containerId, epoch], itemIds);
    return new Map(rows.map((r) => [r.item_id as string, { status: r.status as ItemStatus, reason: (r.reason as string | null) ?? null, targetId: (r.target_id as string | null) ?? null }]));
  }

  async findMailbox(key: MailboxKey): Promise<number | undefined> {
    const row = this.sql('SELECT id FROM mailboxes WHERE source = ? AND target = ?').get(key.source, key.target) as Row | undefined;
    return row ? (row.id as number) : undefined;
  }

  async doneItems(mailboxId: number, containerId: string, epoch: string, itemIds?: string[]): Promise<DoneItemRow[]> {
    const query = `SELECT item_id, size, target_ref, target_id, target_epoch, flags FROM items
      WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND status = 'done'`;
    const rows = itemIds === undefined
      ? this.sql(query).all(mailboxId, containerId, epoch) as Row[]
      : this.byIds(`${query} AND ${IN_IDS}`, [mailboxId, containerId, epoch], itemIds);
    return rows.map((r) => ({
      itemId: r.item_id as string, size: r.size as number, targetRef: r.target_ref as string, targetId: (r.target_id as string | null) ?? null,
      targetEpoch: (r.target_epoch as string | null) ?? null,
      flags: r.flags ? (JSON.parse(r.flags as string) as string[]) : null,
    }));
  }

  async updateFlags(mailboxId: number, containerId: string, epoch: string, rows: { itemId: string; flags: string[] }[]): Promise<void> {
    const stmt = this.sql(`UPDATE items SET flags = ?, updated_at = ${now()} WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND item_id = ?`);
    this.db.transaction(() => { for (const r of rows) stmt.run(JSON.stringify(r.flags), mailboxId, containerId, epoch, r.itemId); })();
  }

  async setFlagSeq(mailboxId: number, containerId: string, seq: string | null): Promise<void> {
    this.sql('UPDATE containers SET flag_seq = ? WHERE mailbox_id = ? AND container_id = ?').run(seq, mailboxId, containerId);
  }

  async forgetItems(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<void> {
    const get = this.sql(`SELECT size FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND item_id = ? AND status = 'done'`);
    const del = this.sql('DELETE FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND item_id = ?');
    this.db.transaction(() => {
      for (const id of itemIds) {
        const r = get.get(mailboxId, containerId, epoch, id) as Row | undefined;
        if (!r) continue;
        del.run(mailboxId, containerId, epoch, id);
        this.sql('UPDATE containers SET done_items = done_items - 1, done_bytes = done_bytes - ? WHERE mailbox_id = ? AND container_id = ?')
          .run(r.size as number, mailboxId, containerId);
      }
    })();
  }

  async failedItems(mailboxId: number, containerId: string, epoch: string): Promise<string[]> {
    const rows = this.sql(`SELECT item_id FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND status = 'failed' ORDER BY rowid`)
      .all(mailboxId, containerId, epoch) as Row[];
    return rows.map((r) => r.item_id as string);
  }

  async finished(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, ItemStatus>> {
    const rows = this.byIds(`SELECT item_id, status FROM items WHERE mailbox_id = ? AND container_id = ? AND epoch = ? AND ${IN_IDS} AND status != 'pending'`,
      [mailboxId, containerId, epoch], itemIds);
    return new Map(rows.map((r) => [r.item_id as string, r.status as ItemStatus]));
  }

  /**
   * The rows of `sql` (its last parameter IN_IDS, at most one row per `item_id`) for all `ids`, in
   * the order of `ids`: one query per ID_CHUNK ids, not one per id.
   */
  private byIds(sql: string, head: unknown[], ids: string[]): Row[] {
    const stmt = this.sql(sql);
    const byId = new Map<string, Row>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      for (const r of stmt.all(...head, JSON.stringify(ids.slice(i, i + ID_CHUNK))) as Row[]) byId.set(r.item_id as string, r);
    }
    return ids.flatMap((id) => { const r = byId.get(id); return r ? [r] : []; });
  }

  async claimedTargetIds(mailboxId: number, targetRef: string, targetEpoch: string, current?: { containerId: string; epoch: string }): Promise<Set<string>> {
    const rows = this.sql(`SELECT target_id FROM items WHERE mailbox_id = ? AND target_ref = ? AND target_epoch = ? AND target_id IS NOT NULL
      AND NOT (container_id = ? AND epoch != ?)`)
      .all(mailboxId, targetRef, targetEpoch, current?.containerId ?? '', current?.epoch ?? '') as Row[];
    return new Set(rows.map((r) => r.target_id as string));
  }

  async resetEpoch(mailboxId: number, containerId: string, epoch: string, scope: string): Promise<void> {
    this.sql(`UPDATE containers SET epoch = ?, scope = ?, cursor = NULL, token = NULL, done_items = 0, done_bytes = 0, failed_items = 0,
      skipped_items = 0, updated_at = ${now()} WHERE mailbox_id = ? AND container_id = ?`).run(epoch, scope, mailboxId, containerId);
  }

  async containers(mailboxId?: number): Promise<ContainerRow[]> {
    const rows = this.sql(`SELECT * FROM containers ${mailboxId === undefined ? '' : 'WHERE mailbox_id = ?'} ORDER BY mailbox_id, path`)
      .all(...(mailboxId === undefined ? [] : [mailboxId])) as Row[];
    return rows.map(containerRowFrom);
  }

  async getCheckpointValue(name: string): Promise<string | null> {
    const row = this.sql('SELECT value FROM kv_checkpoints WHERE name = ?').get(name) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async setCheckpointValue(name: string, value: string): Promise<void> {
    this.sql(`INSERT INTO kv_checkpoints (name, value) VALUES (?, ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = ${now()}`).run(name, value);
  }

  async mailboxes(): Promise<MailboxSummary[]> {
    return mailboxesSqlite(this.db);  }

  async problems(mailboxId?: number): Promise<FailedItemRow[]> {
    return problemsSqlite(this.db, mailboxId);  }

  async throughput(bucketSeconds: number): Promise<ThroughputRow[]> {
    return throughputSqlite(this.db, bucketSeconds);  }

  async applyCutover(change: CutoverChange): Promise<CutoverResult> {
    return applyCutoverSqlite(this.db, change);
  }

  async cutovers(): Promise<CutoverRow[]> {
    return cutoversSqlite(this.db);
  }

  async appendRoutingAudit(entry: RoutingAuditInput): Promise<RoutingAuditEntry> {
    return appendRoutingAuditSqlite(this.db, entry);
  }

  async routingAudit(): Promise<RoutingAuditEntry[]> {
    return routingAuditSqlite(this.db);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function now(): string {
  return `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;
}

/**
 * Switches the file to WAL. Two processes switching a new file at once can be refused without
 * waiting (SQLite returns SQLITE_BUSY at once where waiting could deadlock: both hold a shared
 * lock and want the exclusive one), busy_timeout or not: the switch is tried again, for up to 10 s.
 */
function switchToWal(db: Database.Database): void {
  const deadline = Date.now() + 10_000;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause + Math.floor(Math.random() * pause));
    }
  }
}

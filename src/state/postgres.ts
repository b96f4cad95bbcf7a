import type pg from 'pg';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import type {
  Checkpoint, ContainerRow, ContainerStatus, CutoverChange, CutoverResult, CutoverRow, DoneItemRow, FailedItemRow, ItemResult, ItemStatus,
  InventoryEntry, MailboxInventory, MailboxKey, MailboxSummary, PendingRow, RoutingAuditEntry, RoutingAuditInput, StateStore, SuspectRow, ThroughputRow,
} from './store.js';
import { applyCutoverPostgres, appendRoutingAuditPostgres, cutoversPostgres, routingAuditPostgres } from './routing-postgres.js';
import { inventoryPostgres, recordInventoryPostgres } from './inventory-postgres.js';
import { commitBatchPostgres, dropPendingPostgres, forgetItemsPostgres, recordPendingPostgres, updateFlagsPostgres } from './item-writes-postgres.js';
import { inTransaction, statePool, type Db } from './postgres-pool.js';
import { mailboxesPostgres, problemsPostgres, throughputPostgres } from './progress-postgres.js';
import { checkpointFrom, containerRowFrom, pendingRowFrom, suspectRowFrom, type Row } from './rows.js';
import { describePostgresUrl, explainPgConnectError } from '../util/pg-tls.js';

/** Serialises concurrent `migrate()` calls (several workers starting at once) on one database. */
const MIGRATION_LOCK = '8461545913845376882'; // "ums-migr" as a 64-bit number

export interface PostgresStateStoreOptions {
  /** Connections in the pool (default 10). */
  max?: number;
}

export { describePostgresUrl } from '../util/pg-tls.js';

/**
 * The state store in PostgreSQL: same tables, invariants and returned shapes as the SQLite store
 * (sqlite.ts), for several workers (hosts) sharing one store.
 *
 * Concurrency: every operation that changes more than one row runs in one transaction on one
 * client. Writers that touch a container's items (recordPending, commitBatch, dropPending,
 * updateFlags, forgetItems; item-writes-postgres.ts) first lock that container's row
 * (`FOR UPDATE`), so commits of one container are serialised: the previous status of each item
 * is read under the lock and the counters are adjusted in SQL (`done_items = done_items + $n`),
 * never overwritten. Locks are always taken container first, items second, so writers cannot
 * deadlock one another; a deadlock or serialisation failure reported by the server all the same
 * re-runs the transaction.
 *
 * Times are set by the database server (`now()`, the transaction's start), so the clocks of the
 * workers do not matter. The connection URL (a secret) is only given to the pool
 * (postgres-pool.ts); without TLS parameters it connects with TLS and certificate verification
 * (pg-tls.ts; `postgresUrl` applies the config's caFile and allowInsecure).
 */
export class PostgresStateStore implements StateStore {
  private readonly pool: pg.Pool;
  private readonly location: string;
  private closed = false;

  constructor(url: string, opts: PostgresStateStoreOptions = {}) {
    this.location = describePostgresUrl(url);
    this.pool = statePool(url, opts.max ?? 10);
  }

  /** The schema version of the database (0: empty). */
  async schemaVersion(db: Db = this.pool): Promise<number> {
    const t = await db.query(`SELECT to_regclass('schema_version') IS NOT NULL AS present`).catch((err: unknown) => {
      throw explainPgConnectError(err, this.location);
    });
    if (!(t.rows[0] as Row).present) return 0;
    const r = await db.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
    return Number((r.rows[0] as Row).v);
  }

  async migrate(): Promise<void> {
    if ((await this.schemaVersion()) >= POSTGRES_MIGRATIONS.length) return;
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      for (let v = await this.schemaVersion(c); v < POSTGRES_MIGRATIONS.length; v++) {
        await c.query(POSTGRES_MIGRATIONS[v] as string);
        await c.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
      }
    });
  }

  async mailboxId(key: MailboxKey): Promise<number> {
    const found = await this.findMailbox(key);
    if (found !== undefined) return found;
    const ins = await this.pool.query(`INSERT INTO mailboxes (source, target) VALUES ($1, $2)
      ON CONFLICT (source, target) DO NOTHING RETURNING id`, [key.source, key.target]);
    if (ins.rows[0]) return (ins.rows[0] as Row).id as number;
    return (await this.findMailbox(key)) as number; // inserted meanwhile by another worker
  }

  async openContainer(mailboxId: number, containerId: string, path: string, targetRef: string): Promise<Checkpoint | null> {
    const res = await this.pool.query(`INSERT INTO containers (mailbox_id, container_id, path, target_ref) VALUES ($1, $2, $3, $4)
      ON CONFLICT (mailbox_id, container_id) DO UPDATE SET path = EXCLUDED.path
      RETURNING epoch, cursor, scope, token, target_ref, flag_seq`, [mailboxId, containerId, path, targetRef]);
    const row = res.rows[0] as Row;
    return checkpointFrom(row);
  }

  async setContainerTotals(mailboxId: number, containerId: string, totals: { items: number; bytes: number | null }): Promise<void> {
    await this.pool.query('UPDATE containers SET total_items = $1, total_bytes = $2, bytes_known = $5, updated_at = now() WHERE mailbox_id = $3 AND container_id = $4',
      [totals.items, totals.bytes ?? 0, mailboxId, containerId, totals.bytes !== null]);
  }

  async recordInventory(mailboxId: number, entries: InventoryEntry[]): Promise<void> {
    await this.tx((c) => recordInventoryPostgres(c, mailboxId, entries));
  }

  async inventory(mailboxId?: number): Promise<MailboxInventory[]> {
    return inventoryPostgres(this.pool, mailboxId);
  }

  async setContainerStatus(mailboxId: number, containerId: string, status: ContainerStatus, error?: string): Promise<void> {
    await this.pool.query('UPDATE containers SET status = $1, last_error = $2, updated_at = now() WHERE mailbox_id = $3 AND container_id = $4',
      [status, error ?? null, mailboxId, containerId]);
  }

  async recordPending(mailboxId: number, containerId: string, rows: PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx((c) => recordPendingPostgres(c, mailboxId, containerId, rows));
  }

  async pending(mailboxId: number, containerId: string): Promise<PendingRow[]> {
    const res = await this.pool.query(`SELECT item_id, epoch, size, internal_date, message_id, target_ref, watermark FROM items
      WHERE mailbox_id = $1 AND container_id = $2 AND status = 'pending' ORDER BY seq`, [mailboxId, containerId]);
    return (res.rows as Row[]).map(pendingRowFrom);
  }

  async commitBatch(mailboxId: number, containerId: string, results: ItemResult[], cp: Checkpoint): Promise<void> {
    await this.tx((c) => commitBatchPostgres(c, mailboxId, containerId, results, cp));
  }

  async recordSuspects(mailboxId: number, containerId: string, rows: SuspectRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query(`INSERT INTO suspects (mailbox_id, container_id, epoch, item_id, target_ref, watermark, hash, size, internal_date, message_id)
      SELECT $1, $2, u.epoch, u.item_id, u.target_ref, u.watermark, u.hash, u.size, u.internal_date, u.message_id
      FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[])
        WITH ORDINALITY AS u(epoch, item_id, target_ref, watermark, hash, size, internal_date, message_id, ord)
      ORDER BY u.ord
      ON CONFLICT DO NOTHING`, [
      mailboxId, containerId, rows.map((r) => r.epoch), rows.map((r) => r.itemId), rows.map((r) => r.targetRef),
      rows.map((r) => r.watermark), rows.map((r) => r.hash), rows.map((r) => r.size), rows.map((r) => r.internalDate),
      rows.map((r) => r.messageId),
    ]);
  }

  async suspects(mailboxId: number, containerId: string): Promise<SuspectRow[]> {
    const res = await this.pool.query('SELECT * FROM suspects WHERE mailbox_id = $1 AND container_id = $2 ORDER BY seq', [mailboxId, containerId]);
    return (res.rows as Row[]).map(suspectRowFrom);  }

  async clearSuspects(mailboxId: number, containerId: string, rows: Pick<SuspectRow, 'itemId' | 'watermark'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query(`DELETE FROM suspects s USING unnest($3::text[], $4::text[]) AS u(item_id, watermark)
      WHERE s.mailbox_id = $1 AND s.container_id = $2 AND s.item_id = u.item_id AND s.watermark = u.watermark`,
    [mailboxId, containerId, rows.map((r) => r.itemId), rows.map((r) => r.watermark)]);
  }

  async targetIds(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, string>> {
    const rows = await this.itemsIn(`SELECT item_id, target_id FROM items WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3
      AND item_id = ANY($4::text[]) AND status = 'done' AND target_id IS NOT NULL`, mailboxId, containerId, epoch, itemIds);
    return inOrder(itemIds, rows, (r) => r.target_id as string);
  }

  async dropPending(mailboxId: number, containerId: string, itemIds: string[]): Promise<void> {
    if (itemIds.length === 0) return;
    await this.tx((c) => dropPendingPostgres(c, mailboxId, containerId, itemIds));
  }

  async itemRows(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, { status: ItemStatus; reason: string | null; targetId: string | null }>> {
    const rows = await this.itemsIn(`SELECT item_id, status, reason, target_id FROM items
      WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND item_id = ANY($4::text[])`, mailboxId, containerId, epoch, itemIds);
    return inOrder(itemIds, rows, (r) => ({
      status: r.status as ItemStatus, reason: (r.reason as string | null) ?? null, targetId: (r.target_id as string | null) ?? null,
    }));
  }

  async findMailbox(key: MailboxKey): Promise<number | undefined> {
    const res = await this.pool.query('SELECT id FROM mailboxes WHERE source = $1 AND target = $2', [key.source, key.target]);
    return res.rows[0] ? ((res.rows[0] as Row).id as number) : undefined;
  }

  async doneItems(mailboxId: number, containerId: string, epoch: string, itemIds?: string[]): Promise<DoneItemRow[]> {
    const query = `SELECT item_id, size, target_ref, target_id, target_epoch, flags FROM items
      WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND status = 'done'`;
    const rows = itemIds === undefined
      ? (await this.pool.query(`${query} ORDER BY seq`, [mailboxId, containerId, epoch])).rows as Row[]
      : await this.itemsIn(`${query} AND item_id = ANY($4::text[])`, mailboxId, containerId, epoch, itemIds);
    return rows.map((r) => ({
      itemId: r.item_id as string, size: r.size as number, targetRef: r.target_ref as string, targetId: (r.target_id as string | null) ?? null,
      targetEpoch: (r.target_epoch as string | null) ?? null,
      flags: (r.flags as string[] | null) ?? null,
    }));
  }

  async updateFlags(mailboxId: number, containerId: string, epoch: string, rows: { itemId: string; flags: string[] }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx((c) => updateFlagsPostgres(c, mailboxId, containerId, epoch, rows));
  }

  async setFlagSeq(mailboxId: number, containerId: string, seq: string | null): Promise<void> {
    await this.pool.query('UPDATE containers SET flag_seq = $1 WHERE mailbox_id = $2 AND container_id = $3', [seq, mailboxId, containerId]);
  }

  async forgetItems(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<void> {
    if (itemIds.length === 0) return;
    await this.tx((c) => forgetItemsPostgres(c, mailboxId, containerId, epoch, itemIds));
  }

  async failedItems(mailboxId: number, containerId: string, epoch: string): Promise<string[]> {
    const res = await this.pool.query(`SELECT item_id FROM items WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND status = 'failed'
      ORDER BY seq`, [mailboxId, containerId, epoch]);
    return (res.rows as Row[]).map((r) => r.item_id as string);
  }

  async finished(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Map<string, ItemStatus>> {
    const rows = await this.itemsIn(`SELECT item_id, status FROM items WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3
      AND item_id = ANY($4::text[]) AND status <> 'pending'`, mailboxId, containerId, epoch, itemIds);
    return inOrder(itemIds, rows, (r) => r.status as ItemStatus);
  }

  async claimedTargetIds(mailboxId: number, targetRef: string, targetEpoch: string, current?: { containerId: string; epoch: string }): Promise<Set<string>> {
    const res = await this.pool.query(`SELECT target_id FROM items WHERE mailbox_id = $1 AND target_ref = $2 AND target_epoch = $3
      AND target_id IS NOT NULL AND NOT (container_id = $4 AND epoch <> $5)`,
    [mailboxId, targetRef, targetEpoch, current?.containerId ?? '', current?.epoch ?? '']);
    return new Set((res.rows as Row[]).map((r) => r.target_id as string));
  }

  async resetEpoch(mailboxId: number, containerId: string, epoch: string, scope: string): Promise<void> {
    await this.pool.query(`UPDATE containers SET epoch = $1, scope = $4, cursor = NULL, token = NULL, done_items = 0, done_bytes = 0, failed_items = 0,
      skipped_items = 0, updated_at = now() WHERE mailbox_id = $2 AND container_id = $3`, [epoch, mailboxId, containerId, scope]);
  }

  async containers(mailboxId?: number): Promise<ContainerRow[]> {
    const res = mailboxId === undefined
      ? await this.pool.query('SELECT * FROM containers ORDER BY mailbox_id, path')
      : await this.pool.query('SELECT * FROM containers WHERE mailbox_id = $1 ORDER BY mailbox_id, path', [mailboxId]);
    return (res.rows as Row[]).map(containerRowFrom);
  }

  async mailboxes(): Promise<MailboxSummary[]> {
    return mailboxesPostgres(this.pool);  }

  async problems(mailboxId?: number): Promise<FailedItemRow[]> {
    return problemsPostgres(this.pool, mailboxId);  }

  async throughput(bucketSeconds: number): Promise<ThroughputRow[]> {
    return throughputPostgres(this.pool, bucketSeconds);  }

  async applyCutover(change: CutoverChange): Promise<CutoverResult> {
    return this.tx((c) => applyCutoverPostgres(c, change));
  }

  async cutovers(): Promise<CutoverRow[]> {
    return cutoversPostgres(this.pool);
  }

  async appendRoutingAudit(entry: RoutingAuditInput): Promise<RoutingAuditEntry> {
    return appendRoutingAuditPostgres(this.pool, entry);
  }

  async routingAudit(): Promise<RoutingAuditEntry[]> {
    return routingAuditPostgres(this.pool);
  }

  async getCheckpointValue(name: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM kv_checkpoints WHERE name = $1', [name]);
    return rows[0]?.value ?? null;
  }

  async setCheckpointValue(name: string, value: string): Promise<void> {
    await this.pool.query(`INSERT INTO kv_checkpoints (name, value) VALUES ($1, $2)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()`, [name, value]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** One transaction on one client, re-run after a deadlock or serialisation failure (postgres-pool.ts). */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  private async itemsIn(sql: string, mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Row[]> {
    if (itemIds.length === 0) return [];
    return (await this.pool.query(sql, [mailboxId, containerId, epoch, [...new Set(itemIds)]])).rows as Row[];
  }
}

/** A map in the order of `ids` (as the SQLite store builds it, one lookup per id). */
function inOrder<V>(ids: string[], rows: Row[], value: (r: Row) => V): Map<string, V> {
  const byId = new Map(rows.map((r) => [r.item_id as string, r]));
  const out = new Map<string, V>();
  for (const id of ids) {
    const r = byId.get(id);
    if (r && !out.has(id)) out.set(id, value(r));
  }
  return out;
}

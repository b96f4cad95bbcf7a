import pg from 'pg';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import type {
  Checkpoint, ContainerRow, ContainerStatus, CutoverChange, CutoverResult, CutoverRow, DoneItemRow, FailedItemRow, ItemResult, ItemStatus,
  InventoryEntry, MailboxInventory, MailboxKey, MailboxSummary, PendingRow, RoutingAuditEntry, RoutingAuditInput, StateStore, SuspectRow, ThroughputRow,
} from './store.js';
import { applyCutoverPostgres, appendRoutingAuditPostgres, cutoversPostgres, routingAuditPostgres } from './routing-postgres.js';
import { inventoryPostgres, recordInventoryPostgres } from './inventory-postgres.js';
import { checkpointFrom, containerRowFrom, mailboxSummaryFrom, pendingRowFrom } from './rows.js';
import { describePostgresUrl, explainPgConnectError, withTlsDefault } from '../util/pg-tls.js';
import { coerceError } from '../util/errors.js';

type Row = Record<string, unknown>;
type Db = pg.Pool | pg.PoolClient;

const COUNTER = { done: 'done_items', failed: 'failed_items', skipped: 'skipped_items' } as const;

/** Serialises concurrent `migrate()` calls (several workers starting at once) on one database. */
const MIGRATION_LOCK = '8461545913845376882'; // "ums-migr" as a 64-bit number

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001' /* serialization_failure */, '40P01' /* deadlock_detected */]);
const TX_ATTEMPTS = 5;

const { builtins } = pg.types;
const parseTimestamptz = pg.types.getTypeParser(builtins.TIMESTAMPTZ, 'text') as (v: string) => Date;
/**
 * Per-pool type parsers (the global `pg.types` stays untouched): BIGINT and NUMERIC as JS numbers
 * (ids, sizes and counters stay far below 2^53), TIMESTAMPTZ as an ISO string with milliseconds
 * and `Z`, the shape the SQLite store returns.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === builtins.INT8 || oid === builtins.NUMERIC) return (v: string) => Number(v);
      if (oid === builtins.TIMESTAMPTZ) return (v: string) => parseTimestamptz(v).toISOString();
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

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
 * updateFlags, forgetItems) first lock that container's row (`FOR UPDATE`), so commits of one
 * container are serialised: the previous status of each item is read under the lock and the
 * counters are adjusted in SQL (`done_items = done_items + $n`), never overwritten. Locks are
 * always taken container first, items second, so writers cannot deadlock one another; a deadlock
 * or serialisation failure reported by the server all the same re-runs the transaction.
 *
 * Times are set by the database server (`now()`, the transaction's start), so the clocks of the
 * workers do not matter. The connection URL (a secret) is only given to the pool; without TLS
 * parameters it connects with TLS and certificate verification (pg-tls.ts; `postgresUrl` applies
 * the config's caFile and allowInsecure).
 */
export class PostgresStateStore implements StateStore {
  private readonly pool: pg.Pool;
  private readonly location: string;
  private closed = false;

  constructor(url: string, opts: PostgresStateStoreOptions = {}) {
    this.location = describePostgresUrl(url);
    this.pool = new pg.Pool({
      connectionString: withTlsDefault(url),
      max: opts.max ?? 10,
      application_name: 'ums-migrate',
      connectionTimeoutMillis: 30_000,
      types: TYPES,
    });
    // An idle client whose connection broke (server restart): the pool drops it and the next
    // query opens a new one. Without a listener the error would end the process.
    this.pool.on('error', () => undefined);
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
    // One row per key, as SQLite's row-by-row upserts leave it: a new row takes the insert-only
    // fields (size, date, Message-ID) of the first occurrence, watermark and target the last's.
    const byKey = new Map<string, PendingRow>();
    for (const r of rows) {
      const k = `${r.epoch}\u0000${r.itemId}`;
      const first = byKey.get(k);
      byKey.set(k, first ? { ...first, watermark: r.watermark, targetRef: r.targetRef } : r);
    }
    const list = [...byKey.values()];
    await this.tx(async (c) => {
      await lockContainer(c, mailboxId, containerId);
      // A failed item tried again is no longer counted as failed while it is pending.
      const refailed = await c.query(`SELECT count(*)::int AS n FROM items i
        JOIN unnest($3::text[], $4::text[]) AS u(epoch, item_id) ON i.epoch = u.epoch AND i.item_id = u.item_id
        WHERE i.mailbox_id = $1 AND i.container_id = $2 AND i.status = 'failed'`, [mailboxId, containerId, list.map((r) => r.epoch), list.map((r) => r.itemId)]);
      const n = (refailed.rows[0] as { n: number } | undefined)?.n ?? 0;
      if (n > 0) await c.query('UPDATE containers SET failed_items = failed_items - $3 WHERE mailbox_id = $1 AND container_id = $2', [mailboxId, containerId, n]);
      await c.query(`INSERT INTO items (mailbox_id, container_id, epoch, item_id, status, size, internal_date, message_id, target_ref, watermark)
        SELECT $1, $2, u.epoch, u.item_id, 'pending', u.size, u.internal_date, u.message_id, u.target_ref, u.watermark
        FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
          WITH ORDINALITY AS u(epoch, item_id, size, internal_date, message_id, target_ref, watermark, ord)
        ORDER BY u.ord
        ON CONFLICT (mailbox_id, container_id, epoch, item_id) DO UPDATE SET status = 'pending', watermark = EXCLUDED.watermark,
          target_ref = EXCLUDED.target_ref, updated_at = now()
        WHERE items.status IN ('pending', 'failed')`, [
        mailboxId, containerId, list.map((r) => r.epoch), list.map((r) => r.itemId), list.map((r) => r.size),
        list.map((r) => r.internalDate), list.map((r) => r.messageId), list.map((r) => r.targetRef), list.map((r) => r.watermark),
      ]);
    });
  }

  async pending(mailboxId: number, containerId: string): Promise<PendingRow[]> {
    const res = await this.pool.query(`SELECT item_id, epoch, size, internal_date, message_id, target_ref, watermark FROM items
      WHERE mailbox_id = $1 AND container_id = $2 AND status = 'pending' ORDER BY seq`, [mailboxId, containerId]);
    return (res.rows as Row[]).map(pendingRowFrom);
  }

  async commitBatch(mailboxId: number, containerId: string, results: ItemResult[], cp: Checkpoint): Promise<void> {
    await this.tx(async (c) => {
      await lockContainer(c, mailboxId, containerId);
      // Under the lock nobody else changes this container's items: read what each was before,
      // replay the batch in order (an item may appear twice) and derive the counter changes.
      const ids = [...new Set(results.map((r) => r.itemId))];
      const prev = ids.length === 0 ? [] : (await c.query(`SELECT item_id, status, size FROM items
        WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND item_id = ANY($4::text[])`,
      [mailboxId, containerId, cp.epoch, ids])).rows as Row[];
      const state = new Map(prev.map((r) => [r.item_id as string, { status: r.status as ItemStatus, size: r.size as number }]));
      const delta = { done_items: 0, done_bytes: 0, failed_items: 0, skipped_items: 0 };
      const last = new Map<string, ItemResult>();
      for (const r of results) {
        const before = state.get(r.itemId);
        if (before && before.status !== 'pending') {
          delta[COUNTER[before.status]] -= 1;
          if (before.status === 'done') delta.done_bytes -= before.size;
        }
        delta[COUNTER[r.status]] += 1;
        if (r.status === 'done') delta.done_bytes += r.size;
        state.set(r.itemId, { status: r.status, size: r.size });
        last.set(r.itemId, r); // insertion order: first occurrence; values: the last one
      }
      const rows = [...last.values()];
      if (rows.length > 0) {
        await c.query(`INSERT INTO items (mailbox_id, container_id, epoch, item_id, status, size, internal_date, message_id, hash,
            target_ref, target_epoch, target_id, reason, watermark, flags)
          SELECT $1, $2, $3, u.item_id, u.status, u.size, u.internal_date, u.message_id, u.hash,
            u.target_ref, u.target_epoch, u.target_id, u.reason, NULL, u.flags::jsonb
          FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
            WITH ORDINALITY AS u(item_id, status, size, internal_date, message_id, hash, target_ref, target_epoch, target_id, reason, flags, ord)
          ORDER BY u.ord
          ON CONFLICT (mailbox_id, container_id, epoch, item_id) DO UPDATE SET status = EXCLUDED.status, size = EXCLUDED.size,
            flags = EXCLUDED.flags, internal_date = EXCLUDED.internal_date, message_id = EXCLUDED.message_id, hash = EXCLUDED.hash,
            target_ref = EXCLUDED.target_ref, target_epoch = EXCLUDED.target_epoch, target_id = EXCLUDED.target_id,
            reason = EXCLUDED.reason, watermark = NULL, updated_at = now()`, [
          mailboxId, containerId, cp.epoch,
          rows.map((r) => r.itemId), rows.map((r) => r.status), rows.map((r) => r.size),
          rows.map((r) => r.internalDate?.toISOString() ?? null), rows.map((r) => r.messageId ?? null), rows.map((r) => r.hash ?? null),
          rows.map((r) => r.targetRef ?? null), rows.map((r) => r.targetEpoch ?? null), rows.map((r) => r.targetId ?? null),
          rows.map((r) => r.reason ?? null), rows.map((r) => (r.flags ? JSON.stringify(r.flags) : null)),
        ]);
      }
      await c.query(`UPDATE containers SET done_items = done_items + $1, done_bytes = done_bytes + $2, failed_items = failed_items + $3,
          skipped_items = skipped_items + $4, epoch = $5, cursor = $6, scope = $7, token = $8, target_ref = $9, updated_at = now()
        WHERE mailbox_id = $10 AND container_id = $11`, [
        delta.done_items, delta.done_bytes, delta.failed_items, delta.skipped_items,
        cp.epoch, cp.cursor, cp.scope, cp.token, cp.targetRef, mailboxId, containerId,
      ]);
    });
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
    return (res.rows as Row[]).map((r) => ({
      itemId: r.item_id as string, epoch: r.epoch as string, targetRef: r.target_ref as string, watermark: r.watermark as string,
      hash: r.hash as string, size: r.size as number, internalDate: (r.internal_date as string | null) ?? null,
      messageId: (r.message_id as string | null) ?? null, createdAt: r.created_at as string,
    }));
  }

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
    await this.tx(async (c) => {
      await lockContainer(c, mailboxId, containerId);
      // Back to `failed`, not deleted (see the SQLite store): the next pass retries them.
      const res = await c.query(`UPDATE items SET status = 'failed', reason = 'interrupted while being written; retried by the next run',
        watermark = NULL, updated_at = now() WHERE mailbox_id = $1 AND container_id = $2 AND item_id = ANY($3::text[]) AND status = 'pending'`,
        [mailboxId, containerId, itemIds]);
      if ((res.rowCount ?? 0) > 0) {
        await c.query('UPDATE containers SET failed_items = failed_items + $3 WHERE mailbox_id = $1 AND container_id = $2', [mailboxId, containerId, res.rowCount]);
      }
    });
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

  async doneItems(mailboxId: number, containerId: string, epoch: string): Promise<DoneItemRow[]> {
    const res = await this.pool.query(`SELECT item_id, size, target_ref, target_id, target_epoch, flags FROM items
      WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND status = 'done' ORDER BY seq`, [mailboxId, containerId, epoch]);
    return (res.rows as Row[]).map((r) => ({
      itemId: r.item_id as string, size: r.size as number, targetRef: r.target_ref as string, targetId: (r.target_id as string | null) ?? null,
      targetEpoch: (r.target_epoch as string | null) ?? null,
      flags: (r.flags as string[] | null) ?? null,
    }));
  }

  async updateFlags(mailboxId: number, containerId: string, epoch: string, rows: { itemId: string; flags: string[] }[]): Promise<void> {
    if (rows.length === 0) return;
    const last = new Map(rows.map((r) => [r.itemId, r.flags])); // an item listed twice: the last flags win
    await this.tx(async (c) => {
      await lockContainer(c, mailboxId, containerId);
      await c.query(`UPDATE items i SET flags = u.flags::jsonb, updated_at = now() FROM unnest($4::text[], $5::text[]) AS u(item_id, flags)
        WHERE i.mailbox_id = $1 AND i.container_id = $2 AND i.epoch = $3 AND i.item_id = u.item_id`,
      [mailboxId, containerId, epoch, [...last.keys()], [...last.values()].map((f) => JSON.stringify(f))]);
    });
  }

  async setFlagSeq(mailboxId: number, containerId: string, seq: string | null): Promise<void> {
    await this.pool.query('UPDATE containers SET flag_seq = $1 WHERE mailbox_id = $2 AND container_id = $3', [seq, mailboxId, containerId]);
  }

  async forgetItems(mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<void> {
    if (itemIds.length === 0) return;
    await this.tx(async (c) => {
      await lockContainer(c, mailboxId, containerId);
      await c.query(`WITH gone AS (
          DELETE FROM items WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND item_id = ANY($4::text[]) AND status = 'done'
          RETURNING size)
        UPDATE containers SET done_items = done_items - (SELECT COUNT(*) FROM gone), done_bytes = done_bytes - (SELECT COALESCE(SUM(size), 0) FROM gone)
        WHERE mailbox_id = $1 AND container_id = $2 AND EXISTS (SELECT 1 FROM gone)`, [mailboxId, containerId, epoch, itemIds]);
    });
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
    const res = await this.pool.query(`SELECT m.id, m.source, m.target, COUNT(c.container_id) AS containers,
        COUNT(*) FILTER (WHERE c.status = 'done') AS containers_done, COUNT(*) FILTER (WHERE c.status = 'failed') AS containers_failed,
        COALESCE(SUM(c.total_items), 0) AS total_items, COALESCE(SUM(c.total_bytes), 0) AS total_bytes,
        COALESCE(SUM(c.done_items), 0) AS done_items, COALESCE(SUM(c.done_bytes), 0) AS done_bytes,
        COALESCE(SUM(c.failed_items), 0) AS failed_items, COALESCE(SUM(c.skipped_items), 0) AS skipped_items,
        MAX(c.updated_at) AS updated_at
      FROM mailboxes m LEFT JOIN containers c ON c.mailbox_id = m.id GROUP BY m.id ORDER BY m.source, m.id`);
    return (res.rows as Row[]).map(mailboxSummaryFrom);
  }

  async problems(mailboxId?: number): Promise<FailedItemRow[]> {
    const res = await this.pool.query(`SELECT m.source AS mailbox, i.container_id, c.path, i.item_id, i.size, i.status, i.reason, i.updated_at
      FROM items i JOIN mailboxes m ON m.id = i.mailbox_id
      JOIN containers c ON c.mailbox_id = i.mailbox_id AND c.container_id = i.container_id
      WHERE (i.status IN ('failed', 'skipped') OR (i.status = 'done' AND i.reason IS NOT NULL)) AND i.epoch = c.epoch ${mailboxId === undefined ? '' : 'AND i.mailbox_id = $1'}
      ORDER BY m.source, c.path, i.seq`, mailboxId === undefined ? [] : [mailboxId]);
    return (res.rows as Row[]).map((r) => ({
      mailbox: r.mailbox as string, containerId: r.container_id as string, path: r.path as string, itemId: r.item_id as string,
      size: r.size as number, status: r.status as FailedItemRow['status'], reason: (r.reason as string | null) ?? '', updatedAt: r.updated_at as string,
    }));
  }

  async throughput(bucketSeconds: number): Promise<ThroughputRow[]> {
    const b = Math.max(1, Math.floor(bucketSeconds));
    const res = await this.pool.query(`SELECT m.source AS mailbox, (FLOOR(EXTRACT(EPOCH FROM i.updated_at))::bigint / $1::bigint) * $1::bigint AS bucket,
        COUNT(*) AS items, SUM(i.size) AS bytes
      FROM items i JOIN mailboxes m ON m.id = i.mailbox_id WHERE i.status = 'done'
      GROUP BY m.source, bucket ORDER BY bucket, m.source`, [b]);
    return (res.rows as Row[]).map((r) => ({
      mailbox: r.mailbox as string, at: new Date((r.bucket as number) * 1000).toISOString(), items: r.items as number, bytes: r.bytes as number,
    }));
  }

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

  /** Runs `fn` in one transaction on one client; re-runs it after a deadlock or serialisation failure. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = coerceError(rollbackErr); // the connection is unusable: the pool must not reuse it
        }
        if (attempt < TX_ATTEMPTS && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  private async itemsIn(sql: string, mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<Row[]> {
    if (itemIds.length === 0) return [];
    return (await this.pool.query(sql, [mailboxId, containerId, epoch, [...new Set(itemIds)]])).rows as Row[];
  }
}

/** The per-container writer lock (see the class comment). */
async function lockContainer(c: pg.PoolClient, mailboxId: number, containerId: string): Promise<void> {
  await c.query('SELECT 1 FROM containers WHERE mailbox_id = $1 AND container_id = $2 FOR UPDATE', [mailboxId, containerId]);
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

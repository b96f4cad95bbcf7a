/**
 * The PostgreSQL store's writes to a container's items (see the locking rule in postgres.ts):
 * each runs inside the store's transaction helper and first locks the container's row
 * (`FOR UPDATE`), so writers of one container are serialised, read each item's previous status
 * under the lock and adjust the counters in SQL, never overwriting them.
 */
import type pg from 'pg';
import type { Row } from './rows.js';
import type { Checkpoint, ItemResult, ItemStatus, PendingRow } from './store.js';

const COUNTER = { done: 'done_items', failed: 'failed_items', skipped: 'skipped_items' } as const;

/** The per-container writer lock: always taken before any item row, so writers cannot deadlock. */
async function lockContainer(c: pg.PoolClient, mailboxId: number, containerId: string): Promise<void> {
  await c.query('SELECT 1 FROM containers WHERE mailbox_id = $1 AND container_id = $2 FOR UPDATE', [mailboxId, containerId]);
}

export async function recordPendingPostgres(c: pg.PoolClient, mailboxId: number, containerId: string, rows: PendingRow[]): Promise<void> {
  // One row per key, as SQLite's row-by-row upserts leave it: a new row takes the insert-only
  // fields (size, date, Message-ID) of the first occurrence, watermark and target the last's.
  const byKey = new Map<string, PendingRow>();
  for (const r of rows) {
    const k = `${r.epoch}\u0000${r.itemId}`;
    const first = byKey.get(k);
    byKey.set(k, first ? { ...first, watermark: r.watermark, targetRef: r.targetRef } : r);
  }
  const list = [...byKey.values()];
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
}

export async function commitBatchPostgres(c: pg.PoolClient, mailboxId: number, containerId: string, results: ItemResult[], cp: Checkpoint): Promise<void> {
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
}

export async function dropPendingPostgres(c: pg.PoolClient, mailboxId: number, containerId: string, itemIds: string[]): Promise<void> {
  await lockContainer(c, mailboxId, containerId);
  // Back to `failed`, not deleted (see the SQLite store): the next pass retries them.
  const res = await c.query(`UPDATE items SET status = 'failed', reason = 'interrupted while being written; retried by the next run',
    watermark = NULL, updated_at = now() WHERE mailbox_id = $1 AND container_id = $2 AND item_id = ANY($3::text[]) AND status = 'pending'`,
    [mailboxId, containerId, itemIds]);
  if ((res.rowCount ?? 0) > 0) {
    await c.query('UPDATE containers SET failed_items = failed_items + $3 WHERE mailbox_id = $1 AND container_id = $2', [mailboxId, containerId, res.rowCount]);
  }
}

export async function updateFlagsPostgres(c: pg.PoolClient, mailboxId: number, containerId: string, epoch: string, rows: { itemId: string; flags: string[] }[]): Promise<void> {
  const last = new Map(rows.map((r) => [r.itemId, r.flags])); // an item listed twice: the last flags win
  await lockContainer(c, mailboxId, containerId);
  await c.query(`UPDATE items i SET flags = u.flags::jsonb, updated_at = now() FROM unnest($4::text[], $5::text[]) AS u(item_id, flags)
    WHERE i.mailbox_id = $1 AND i.container_id = $2 AND i.epoch = $3 AND i.item_id = u.item_id`,
  [mailboxId, containerId, epoch, [...last.keys()], [...last.values()].map((f) => JSON.stringify(f))]);
}

export async function forgetItemsPostgres(c: pg.PoolClient, mailboxId: number, containerId: string, epoch: string, itemIds: string[]): Promise<void> {
  await lockContainer(c, mailboxId, containerId);
  await c.query(`WITH gone AS (
      DELETE FROM items WHERE mailbox_id = $1 AND container_id = $2 AND epoch = $3 AND item_id = ANY($4::text[]) AND status = 'done'
      RETURNING size)
    UPDATE containers SET done_items = done_items - (SELECT COUNT(*) FROM gone), done_bytes = done_bytes - (SELECT COALESCE(SUM(size), 0) FROM gone)
    WHERE mailbox_id = $1 AND container_id = $2 AND EXISTS (SELECT 1 FROM gone)`, [mailboxId, containerId, epoch, itemIds]);
}

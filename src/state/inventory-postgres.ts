/** The inventory writes and reads of the PostgreSQL store (see CheckpointStore.recordInventory, MailboxReader.inventory). */
import type pg from 'pg';
import type { Db } from './postgres-pool.js';
import { summariseInventory } from './inventory.js';
import { containerRowFrom, inventoriedMailboxFrom, type Row } from './rows.js';
import type { InventoryEntry, MailboxInventory } from './store.js';

/** Runs inside the store's transaction helper. */
export async function recordInventoryPostgres(c: pg.PoolClient, mailboxId: number, entries: InventoryEntry[]): Promise<void> {
  await c.query('UPDATE containers SET in_inventory = false WHERE mailbox_id = $1', [mailboxId]);
  if (entries.length > 0) {
    await c.query(`INSERT INTO containers AS c (mailbox_id, container_id, path, target_ref, kind, name, total_items, total_bytes, bytes_known, in_inventory)
      SELECT $1, u.container_id, u.path, u.target_ref, u.kind, u.name, u.items, u.bytes, u.bytes_known, true
      FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::boolean[])
        AS u(container_id, path, target_ref, kind, name, items, bytes, bytes_known)
      ON CONFLICT (mailbox_id, container_id) DO UPDATE SET path = EXCLUDED.path, kind = EXCLUDED.kind, name = EXCLUDED.name, in_inventory = true,
        total_bytes = CASE WHEN EXCLUDED.bytes_known THEN EXCLUDED.total_bytes
          WHEN c.bytes_known AND c.total_items = EXCLUDED.total_items THEN c.total_bytes ELSE 0 END,
        bytes_known = EXCLUDED.bytes_known OR (c.bytes_known AND c.total_items = EXCLUDED.total_items),
        total_items = EXCLUDED.total_items`, [
      mailboxId, entries.map((e) => e.containerId), entries.map((e) => e.path), entries.map((e) => e.targetRef), entries.map((e) => e.kind),
      entries.map((e) => e.name), entries.map((e) => e.items), entries.map((e) => e.bytes ?? 0), entries.map((e) => e.bytes !== null),
    ]);
  }
  await c.query('UPDATE mailboxes SET inventoried_at = now() WHERE id = $1', [mailboxId]);
}

export async function inventoryPostgres(db: Db, mailboxId?: number): Promise<MailboxInventory[]> {
  const args = mailboxId === undefined ? [] : [mailboxId];
  const mailboxes = ((await db.query(`SELECT id, source, target, inventoried_at FROM mailboxes ${mailboxId === undefined ? '' : 'WHERE id = $1'} ORDER BY source, id`, args)).rows as Row[])
    .map(inventoriedMailboxFrom);
  const containers = ((await db.query(`SELECT * FROM containers ${mailboxId === undefined ? '' : 'WHERE mailbox_id = $1'} ORDER BY mailbox_id, path`, args)).rows as Row[])
    .map(containerRowFrom);
  return summariseInventory(mailboxes, containers);
}

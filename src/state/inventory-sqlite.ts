/** The inventory writes and reads of the SQLite store (see CheckpointStore.recordInventory, MailboxReader.inventory). */
import type Database from 'better-sqlite3';
import { summariseInventory } from './inventory.js';
import { containerRowFrom, inventoriedMailboxFrom, type Row } from './rows.js';
import type { InventoryEntry, MailboxInventory } from './store.js';

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;

export function recordInventorySqlite(db: Database.Database, mailboxId: number, entries: InventoryEntry[]): void {
  const upsert = db.prepare(`INSERT INTO containers (mailbox_id, container_id, path, target_ref, kind, name, total_items, total_bytes, bytes_known, in_inventory)
    VALUES (@mailboxId, @containerId, @path, @targetRef, @kind, @name, @items, @bytes, @bytesKnown, 1)
    ON CONFLICT (mailbox_id, container_id) DO UPDATE SET path = excluded.path, kind = excluded.kind, name = excluded.name, in_inventory = 1,
      total_bytes = CASE WHEN excluded.bytes_known = 1 THEN excluded.total_bytes
        WHEN containers.bytes_known = 1 AND containers.total_items = excluded.total_items THEN containers.total_bytes ELSE 0 END,
      bytes_known = CASE WHEN excluded.bytes_known = 1 THEN 1
        WHEN containers.bytes_known = 1 AND containers.total_items = excluded.total_items THEN 1 ELSE 0 END,
      total_items = excluded.total_items`);
  db.transaction(() => {
    db.prepare('UPDATE containers SET in_inventory = 0 WHERE mailbox_id = ?').run(mailboxId);
    for (const e of entries) {
      upsert.run({
        mailboxId, containerId: e.containerId, path: e.path, targetRef: e.targetRef, kind: e.kind, name: e.name,
        items: e.items, bytes: e.bytes ?? 0, bytesKnown: e.bytes === null ? 0 : 1,
      });
    }
    db.prepare(`UPDATE mailboxes SET inventoried_at = ${NOW} WHERE id = ?`).run(mailboxId);
  })();
}

export function inventorySqlite(db: Database.Database, mailboxId?: number): MailboxInventory[] {
  const where = mailboxId === undefined ? '' : 'WHERE id = ?';
  const args = mailboxId === undefined ? [] : [mailboxId];
  const mailboxes = (db.prepare(`SELECT id, source, target, inventoried_at FROM mailboxes ${where} ORDER BY source, id`).all(...args) as Row[]).map(inventoriedMailboxFrom);
  const containers = (db.prepare(`SELECT * FROM containers ${mailboxId === undefined ? '' : 'WHERE mailbox_id = ?'} ORDER BY mailbox_id, path`).all(...args) as Row[])
    .map(containerRowFrom);
  return summariseInventory(mailboxes, containers);
}

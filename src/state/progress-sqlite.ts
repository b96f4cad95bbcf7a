/** The progress reads of the SQLite store (see ProgressReader in store.ts); same rows as progress-postgres.ts. */
import type Database from 'better-sqlite3';
import { failedItemRowFrom, mailboxSummaryFrom, throughputRowFrom, type Row } from './rows.js';
import type { FailedItemRow, MailboxSummary, ThroughputRow } from './store.js';

export function mailboxesSqlite(db: Database.Database): MailboxSummary[] {
  const rows = db.prepare(`SELECT m.id, m.source, m.target, COUNT(c.container_id) AS containers,
      SUM(c.status = 'done') AS containers_done, SUM(c.status = 'failed') AS containers_failed,
      COALESCE(SUM(c.total_items), 0) AS total_items, COALESCE(SUM(c.total_bytes), 0) AS total_bytes,
      COALESCE(SUM(c.done_items), 0) AS done_items, COALESCE(SUM(c.done_bytes), 0) AS done_bytes,
      COALESCE(SUM(c.failed_items), 0) AS failed_items, COALESCE(SUM(c.skipped_items), 0) AS skipped_items,
      MAX(c.updated_at) AS updated_at
    FROM mailboxes m LEFT JOIN containers c ON c.mailbox_id = m.id GROUP BY m.id ORDER BY m.source`).all() as Row[];
  return rows.map(mailboxSummaryFrom);
}

export function problemsSqlite(db: Database.Database, mailboxId?: number): FailedItemRow[] {
  const rows = db.prepare(`SELECT m.source AS mailbox, i.container_id, c.path, i.item_id, i.size, i.status, i.reason, i.updated_at
    FROM items i JOIN mailboxes m ON m.id = i.mailbox_id
    JOIN containers c ON c.mailbox_id = i.mailbox_id AND c.container_id = i.container_id
    WHERE (i.status IN ('failed', 'skipped') OR (i.status = 'done' AND i.reason IS NOT NULL)) AND i.epoch = c.epoch ${mailboxId === undefined ? '' : 'AND i.mailbox_id = ?'}
    ORDER BY m.source, c.path, i.rowid`).all(...(mailboxId === undefined ? [] : [mailboxId])) as Row[];
  return rows.map(failedItemRowFrom);
}

export function throughputSqlite(db: Database.Database, bucketSeconds: number): ThroughputRow[] {
  const b = Math.max(1, Math.floor(bucketSeconds));
  const rows = db.prepare(`SELECT m.source AS mailbox, (CAST(strftime('%s', i.updated_at) AS INTEGER) / ${b}) * ${b} AS bucket,
      COUNT(*) AS items, SUM(i.size) AS bytes
    FROM items i JOIN mailboxes m ON m.id = i.mailbox_id WHERE i.status = 'done'
    GROUP BY m.source, bucket ORDER BY bucket, m.source`).all() as Row[];
  return rows.map(throughputRowFrom);
}

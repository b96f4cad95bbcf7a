/** The progress reads of the PostgreSQL store (see ProgressReader in store.ts); same rows as progress-sqlite.ts. */
import type pg from 'pg';
import { failedItemRowFrom, mailboxSummaryFrom, throughputRowFrom, type Row } from './rows.js';
import type { FailedItemRow, MailboxSummary, ThroughputRow } from './store.js';

export async function mailboxesPostgres(db: pg.Pool): Promise<MailboxSummary[]> {
  const res = await db.query(`SELECT m.id, m.source, m.target, COUNT(c.container_id) AS containers,
      COUNT(*) FILTER (WHERE c.status = 'done') AS containers_done, COUNT(*) FILTER (WHERE c.status = 'failed') AS containers_failed,
      COALESCE(SUM(c.total_items), 0) AS total_items, COALESCE(SUM(c.total_bytes), 0) AS total_bytes,
      COALESCE(SUM(c.done_items), 0) AS done_items, COALESCE(SUM(c.done_bytes), 0) AS done_bytes,
      COALESCE(SUM(c.failed_items), 0) AS failed_items, COALESCE(SUM(c.skipped_items), 0) AS skipped_items,
      MAX(c.updated_at) AS updated_at
    FROM mailboxes m LEFT JOIN containers c ON c.mailbox_id = m.id GROUP BY m.id ORDER BY m.source, m.id`);
  return (res.rows as Row[]).map(mailboxSummaryFrom);
}

export async function problemsPostgres(db: pg.Pool, mailboxId?: number): Promise<FailedItemRow[]> {
  const res = await db.query(`SELECT m.source AS mailbox, i.container_id, c.path, i.item_id, i.size, i.status, i.reason, i.updated_at
    FROM items i JOIN mailboxes m ON m.id = i.mailbox_id
    JOIN containers c ON c.mailbox_id = i.mailbox_id AND c.container_id = i.container_id
    WHERE (i.status IN ('failed', 'skipped') OR (i.status = 'done' AND i.reason IS NOT NULL)) AND i.epoch = c.epoch ${mailboxId === undefined ? '' : 'AND i.mailbox_id = $1'}
    ORDER BY m.source, c.path, i.seq`, mailboxId === undefined ? [] : [mailboxId]);
  return (res.rows as Row[]).map(failedItemRowFrom);
}

export async function throughputPostgres(db: pg.Pool, bucketSeconds: number): Promise<ThroughputRow[]> {
  const b = Math.max(1, Math.floor(bucketSeconds));
  const res = await db.query(`SELECT m.source AS mailbox, (FLOOR(EXTRACT(EPOCH FROM i.updated_at))::bigint / $1::bigint) * $1::bigint AS bucket,
      COUNT(*) AS items, SUM(i.size) AS bytes
    FROM items i JOIN mailboxes m ON m.id = i.mailbox_id WHERE i.status = 'done'
    GROUP BY m.source, bucket ORDER BY bucket, m.source`, [b]);
  return (res.rows as Row[]).map(throughputRowFrom);
}

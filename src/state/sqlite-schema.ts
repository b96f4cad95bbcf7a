/**
 * Numbered schema migrations of the embedded SQLite store. Never edit a released step: add one
 * (and its column in tables.ts, which sqlite.test.ts checks the migrated schema against).
 */
export const SQLITE_MIGRATIONS: string[] = [
  `
  CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (source, target)
  );
  CREATE TABLE containers (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
    container_id TEXT NOT NULL,
    path TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    epoch TEXT,
    cursor TEXT,
    scope TEXT,
    token TEXT,
    total_items INTEGER NOT NULL DEFAULT 0,
    total_bytes INTEGER NOT NULL DEFAULT 0,
    done_items INTEGER NOT NULL DEFAULT 0,
    done_bytes INTEGER NOT NULL DEFAULT 0,
    failed_items INTEGER NOT NULL DEFAULT 0,
    skipped_items INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (mailbox_id, container_id)
  );
  CREATE TABLE items (
    mailbox_id INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL,
    size INTEGER NOT NULL,
    internal_date TEXT,
    message_id TEXT,
    hash TEXT,
    target_ref TEXT,
    target_epoch TEXT,
    target_id TEXT,
    watermark TEXT,
    reason TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (mailbox_id, container_id, epoch, item_id)
  );
  CREATE INDEX items_by_status ON items (mailbox_id, container_id, status);
  CREATE INDEX items_by_target ON items (mailbox_id, target_ref, target_epoch) WHERE target_id IS NOT NULL;
  `,
  `
  CREATE TABLE suspects (
    mailbox_id INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
    item_id TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    watermark TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    internal_date TEXT,
    message_id TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (mailbox_id, container_id, epoch, item_id, watermark)
  );
  `,
  `
  ALTER TABLE items ADD COLUMN flags TEXT;
  ALTER TABLE containers ADD COLUMN flag_seq TEXT;
  `,
  `
  CREATE TABLE cutovers (
    user_key TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    batch TEXT,
    cut_over_by TEXT NOT NULL,
    cut_over_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE TABLE routing_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    batch TEXT,
    users TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE TRIGGER routing_audit_no_update BEFORE UPDATE ON routing_audit BEGIN SELECT RAISE(ABORT, 'routing_audit is append-only'); END;
  CREATE TRIGGER routing_audit_no_delete BEFORE DELETE ON routing_audit BEGIN SELECT RAISE(ABORT, 'routing_audit is append-only'); END;
  `,
  `
  CREATE TABLE kv_checkpoints (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  `,
  // The audit records refused names; INSERT OR REPLACE of an existing seq deleted the old entry
  // without firing the DELETE trigger (SQLite fires it on REPLACE only with recursive_triggers).
  `
  ALTER TABLE routing_audit ADD COLUMN refused TEXT NOT NULL DEFAULT '[]';
  CREATE TRIGGER routing_audit_no_replace BEFORE INSERT ON routing_audit
    WHEN EXISTS (SELECT 1 FROM routing_audit WHERE seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'routing_audit is append-only'); END;
  `,
  // Issue 17: the inventory. A container's kind and readable name, whether its size is known,
  // whether the mailbox's latest inventory lists it; when the mailbox was last inventoried.
  `
  ALTER TABLE containers ADD COLUMN kind TEXT NOT NULL DEFAULT 'mail';
  ALTER TABLE containers ADD COLUMN name TEXT;
  ALTER TABLE containers ADD COLUMN bytes_known INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE containers ADD COLUMN in_inventory INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE mailboxes ADD COLUMN inventoried_at TEXT;
  `,
];

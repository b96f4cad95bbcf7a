/**
 * The coexistence routing state of the SQLite store (see RoutingStore in store.ts): the
 * `cutovers` table and the append-only `routing_audit` (triggers refuse UPDATE, DELETE, and an
 * INSERT that would replace an existing row: `INSERT OR REPLACE` deletes the old row without
 * firing DELETE triggers). Used by SqliteStateStore; one transaction per change.
 */
import type Database from 'better-sqlite3';
import { cutoverRowFrom, routingAuditFrom, type Row } from './rows.js';
import type { CutoverChange, CutoverResult, CutoverRow, RoutingAuditEntry, RoutingAuditInput } from './store.js';

const auditFrom = (r: Row): RoutingAuditEntry => routingAuditFrom(r, true);

function insertAudit(db: Database.Database, e: RoutingAuditInput): RoutingAuditEntry {
  const info = db.prepare('INSERT INTO routing_audit (who, action, batch, users, refused, detail) VALUES (?, ?, ?, ?, ?, ?)')
    .run(e.who, e.action, e.batch ?? null, JSON.stringify(e.users), JSON.stringify(e.refused ?? []), JSON.stringify(e.detail ?? null));
  return auditFrom(db.prepare('SELECT * FROM routing_audit WHERE seq = ?').get(info.lastInsertRowid) as Row);
}

export function applyCutoverSqlite(db: Database.Database, change: CutoverChange): CutoverResult {
  return db.transaction((): CutoverResult => {
    const add = db.prepare('INSERT OR IGNORE INTO cutovers (user_key, login, batch, cut_over_by) VALUES (?, ?, ?, ?)');
    const del = db.prepare('DELETE FROM cutovers WHERE user_key = ?');
    const byKey = new Map<string, string>();
    for (const u of change.users) if (!byKey.has(u.userKey)) byKey.set(u.userKey, u.login);
    const changed: string[] = [];
    for (const [key, login] of byKey) {
      const n = change.cutOver ? add.run(key, login, change.batch, change.who).changes : del.run(key).changes;
      if (n > 0) changed.push(key);
    }
    const entry = insertAudit(db, {
      who: change.who, action: change.cutOver ? 'cutover' : 'undo', batch: change.batch, users: [...new Set(changed.map((k) => byKey.get(k)!))],
      refused: change.refused ?? [], detail: change.detail,
    });
    return { changed, entry };
  })();
}

export function cutoversSqlite(db: Database.Database): CutoverRow[] {
  return (db.prepare('SELECT * FROM cutovers ORDER BY user_key').all() as Row[]).map(cutoverRowFrom);
}

export function appendRoutingAuditSqlite(db: Database.Database, e: RoutingAuditInput): RoutingAuditEntry {
  return db.transaction(() => insertAudit(db, e))();
}

export function routingAuditSqlite(db: Database.Database): RoutingAuditEntry[] {
  return (db.prepare('SELECT * FROM routing_audit ORDER BY seq').all() as Row[]).map(auditFrom);
}

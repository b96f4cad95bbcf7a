/**
 * The coexistence routing state of the PostgreSQL store (see RoutingStore in store.ts): the
 * `cutovers` table and the append-only `routing_audit` (a trigger refuses UPDATE, DELETE and
 * TRUNCATE). Used by PostgresStateStore; `applyCutover` runs inside its transaction helper.
 * Concurrent cutovers of one user by two workers: the primary key lets exactly one of them
 * insert (`ON CONFLICT DO NOTHING`), so only that one reports the user as changed.
 */
import type pg from 'pg';
import type { Db } from './postgres-pool.js';
import { cutoverRowFrom, routingAuditFrom, type Row } from './rows.js';
import type { CutoverChange, CutoverResult, CutoverRow, RoutingAuditEntry, RoutingAuditInput } from './store.js';

const auditFrom = (r: Row): RoutingAuditEntry => routingAuditFrom(r, false);

async function insertAudit(db: Db, e: RoutingAuditInput): Promise<RoutingAuditEntry> {
  const res = await db.query(`INSERT INTO routing_audit (who, action, batch, users, refused, detail) VALUES ($1, $2, $3, $4::json, $5::json, $6::json) RETURNING *`,
    [e.who, e.action, e.batch ?? null, JSON.stringify(e.users), JSON.stringify(e.refused ?? []), JSON.stringify(e.detail ?? null)]);
  return auditFrom(res.rows[0] as Row);
}

export async function applyCutoverPostgres(c: pg.PoolClient, change: CutoverChange): Promise<CutoverResult> {
  const byKey = new Map<string, string>();
  for (const u of change.users) if (!byKey.has(u.userKey)) byKey.set(u.userKey, u.login);
  const keys = [...byKey.keys()];
  const sorted = [...keys].sort(); // rows locked in one order by every worker: no deadlock
  let done = new Set<string>();
  if (keys.length > 0) {
    const res = change.cutOver
      ? await c.query(`INSERT INTO cutovers (user_key, login, batch, cut_over_by)
          SELECT u.user_key, u.login, $3::text, $4::text FROM unnest($1::text[], $2::text[]) AS u(user_key, login)
          ON CONFLICT (user_key) DO NOTHING RETURNING user_key`, [sorted, sorted.map((k) => byKey.get(k)), change.batch, change.who])
      : await c.query('DELETE FROM cutovers WHERE user_key = ANY($1::text[]) RETURNING user_key', [sorted]);
    done = new Set((res.rows as Row[]).map((r) => r.user_key as string));
  }
  const changed = keys.filter((k) => done.has(k));
  const entry = await insertAudit(c, {
    who: change.who, action: change.cutOver ? 'cutover' : 'undo', batch: change.batch, users: [...new Set(changed.map((k) => byKey.get(k)!))],
    refused: change.refused ?? [], detail: change.detail,
  });
  return { changed, entry };
}

export async function cutoversPostgres(db: Db): Promise<CutoverRow[]> {
  return ((await db.query('SELECT * FROM cutovers ORDER BY user_key')).rows as Row[]).map(cutoverRowFrom);
}

export function appendRoutingAuditPostgres(db: Db, e: RoutingAuditInput): Promise<RoutingAuditEntry> {
  return insertAudit(db, e);
}

export async function routingAuditPostgres(db: Db): Promise<RoutingAuditEntry[]> {
  return ((await db.query('SELECT * FROM routing_audit ORDER BY seq')).rows as Row[]).map(auditFrom);
}

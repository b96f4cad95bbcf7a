/**
 * The routing audit table is append-only at the SQL level, whatever statement a person with the
 * database file (SQLite) or the store's credentials (PostgreSQL) types: no UPDATE, no DELETE, and
 * no statement that replaces a row (SQLite's INSERT OR REPLACE / REPLACE INTO delete the old row
 * without firing DELETE triggers). A store created by an older version gets the same protection
 * and the `refused` column when it is migrated; its old entries read back with `refused: []`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, dropTestDatabase, startPg } from '../../test/lab/pg.js';
import { PostgresStateStore } from './postgres.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { SqliteStateStore } from './sqlite.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import type { StateStore } from './store.js';

const APPEND_ONLY = /routing_audit is append-only/;

/** Every SQL way of changing or removing entry 1, for one dialect. */
const SQLITE_ATTACKS = [
  "UPDATE routing_audit SET who = 'mallory' WHERE seq = 1",
  'DELETE FROM routing_audit WHERE seq = 1',
  'DELETE FROM routing_audit',
  "INSERT OR REPLACE INTO routing_audit (seq, who, action, users, detail) VALUES (1, 'mallory', 'publish', '[]', 'null')",
  "REPLACE INTO routing_audit (seq, who, action, users, detail) VALUES (1, 'mallory', 'publish', '[]', 'null')",
  "INSERT INTO routing_audit (seq, who, action, users, detail) VALUES (1, 'mallory', 'publish', '[]', 'null') ON CONFLICT (seq) DO UPDATE SET who = excluded.who",
  "UPDATE OR REPLACE routing_audit SET seq = 1 WHERE seq = 2",
];

const POSTGRES_ATTACKS = [
  "UPDATE routing_audit SET who = 'mallory' WHERE seq = 1",
  'DELETE FROM routing_audit WHERE seq = 1',
  'DELETE FROM routing_audit',
  'TRUNCATE routing_audit',
  `INSERT INTO routing_audit (seq, who, action, users, detail) OVERRIDING SYSTEM VALUE VALUES (1, 'mallory', 'publish', '[]', 'null')
     ON CONFLICT (seq) DO UPDATE SET who = excluded.who`,
];

async function twoEntries(store: StateStore): Promise<void> {
  await store.appendRoutingAudit({ who: 'anna', action: 'publish', users: ['alice'], detail: { version: 'v000001' } });
  await store.appendRoutingAudit({ who: 'ben', action: 'rollback', users: [], refused: [{ name: 'v000000', reason: 'no earlier version' }], detail: null });
}

const summary = async (store: StateStore) => (await store.routingAudit()).map((e) => [e.seq, e.who, e.action, e.refused.length]);

describe('sqlite: routing_audit append-only', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ums-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each(SQLITE_ATTACKS)('refused: %s', async (sql) => {
    const file = join(dir, 's.sqlite');
    const store = new SqliteStateStore(file);
    try {
      await store.migrate();
      await twoEntries(store);
      const before = await summary(store);
      const db = new Database(file);
      try {
        expect(() => db.exec(sql)).toThrow(APPEND_ONLY);
      } finally {
        db.close();
      }
      expect(await summary(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  test('a store from before the audit step is migrated: old entries kept (refused []), replacement refused', async () => {
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    const previous = SQLITE_MIGRATIONS.findIndex((step) => step.includes('routing_audit_no_replace')); // the step that added it
    for (const step of SQLITE_MIGRATIONS.slice(0, previous)) old.exec(step);
    old.pragma(`user_version = ${previous}`);
    old.prepare("INSERT INTO routing_audit (who, action, batch, users, detail) VALUES ('anna', 'cutover', 'wave1', '[\"alice\"]', 'null')").run();
    // What the old schema let through (the reason for the migration):
    old.exec("INSERT OR REPLACE INTO routing_audit (seq, who, action, users, detail) VALUES (1, 'anna', 'cutover', '[\"alice\"]', '{\"replaced\":true}')");
    old.close();

    const store = new SqliteStateStore(file);
    try {
      await store.migrate();
      expect(await store.routingAudit()).toEqual([expect.objectContaining({ seq: 1, who: 'anna', users: ['alice'], refused: [], detail: { replaced: true } })]);
      const db = new Database(file);
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
        expect(() => db.exec("INSERT OR REPLACE INTO routing_audit (seq, who, action, users, detail) VALUES (1, 'mallory', 'publish', '[]', 'null')")).toThrow(APPEND_ONLY);
      } finally {
        db.close();
      }
      const next = await store.appendRoutingAudit({ who: 'ben', action: 'publish', users: [], refused: [{ name: 'carol', reason: 'x' }], detail: null });
      expect(next.seq).toBe(2);
      expect((await store.routingAudit()).map((e) => e.who)).toEqual(['anna', 'ben']);
    } finally {
      await store.close();
    }
  });
});

describe('postgres: routing_audit append-only', () => {
  let url: string;
  beforeAll(async () => {
    await startPg();
  }, 180_000);
  beforeEach(async () => {
    url = await createTestDatabase('ums_audit');
  });
  afterEach(async () => {
    await dropTestDatabase(url);
  });

  async function sql(text: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  test.each(POSTGRES_ATTACKS)('refused: %s', async (attack) => {
    const store = new PostgresStateStore(url);
    try {
      await store.migrate();
      await twoEntries(store);
      const before = await summary(store);
      await expect(sql(attack)).rejects.toThrow(APPEND_ONLY);
      expect(await summary(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  test('a store from before the audit step is migrated: old entries kept with refused []', async () => {
    const previous = POSTGRES_MIGRATIONS.findIndex((step) => step.includes('ADD COLUMN refused'));
    await sql(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      ${POSTGRES_MIGRATIONS.slice(0, previous).join(';\n')};
      INSERT INTO schema_version (version) SELECT generate_series(1, ${previous});
      INSERT INTO routing_audit (who, action, batch, users, detail) VALUES ('anna', 'cutover', 'wave1', '["alice"]', 'null')`);
    const store = new PostgresStateStore(url);
    try {
      expect(await store.schemaVersion()).toBe(previous);
      await store.migrate();
      expect(await store.routingAudit()).toEqual([expect.objectContaining({ seq: 1, who: 'anna', users: ['alice'], refused: [] })]);
      await expect(sql('DELETE FROM routing_audit')).rejects.toThrow(APPEND_ONLY);
    } finally {
      await store.close();
    }
  });
});

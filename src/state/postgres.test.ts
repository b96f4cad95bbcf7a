/**
 * The PostgreSQL state store against a real PostgreSQL (test/lab/pg.sh: Debian's PostgreSQL 15 on
 * 127.0.0.1:15432, started here if needed). Every test gets a database of its own.
 */
import pg from 'pg';
import { createTestDatabase, dropTestDatabase, startPg } from '../../test/lab/pg.js';
import { describeStateStore } from './conformance.js';
import { openStateStore } from './open.js';
import { describePostgresUrl, PostgresStateStore } from './postgres.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { byTableAndColumn, expectedSchema, type SchemaShape } from './tables.js';

beforeAll(async () => {
  await startPg();
}, 180_000);

describeStateStore('postgres', async () => {
  const url = await createTestDatabase('ums_state');
  return {
    store: new PostgresStateStore(url),
    connect: async () => new PostgresStateStore(url),
    cleanup: () => dropTestDatabase(url),
  };
});

describe('postgres state store: schema and connection', () => {
  let url: string;
  beforeEach(async () => {
    url = await createTestDatabase('ums_schema');
  });
  afterEach(async () => {
    await dropTestDatabase(url);
  });

  async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  test('workers migrating at once apply every step exactly once', async () => {
    const stores = Array.from({ length: 6 }, () => new PostgresStateStore(url, { max: 2 }));
    try {
      expect(await stores[0]?.schemaVersion()).toBe(0);
      await Promise.all(stores.map((s) => s.migrate()));
      for (const s of stores) expect(await s.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
      const versions = await query<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
      expect(versions.map((v) => v.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
      await stores[0]?.migrate(); // up to date: a no-op
      expect((await query('SELECT version FROM schema_version')).length).toBe(POSTGRES_MIGRATIONS.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('the migrated schema is the one tables.ts describes (columns, types, NOT NULL, keys, indexes)', async () => {
    const store = new PostgresStateStore(url);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    // schema_version is this dialect's bookkeeping (SQLite: PRAGMA user_version), not a store table.
    const columns = await query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(`SELECT table_name, column_name,
      data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_version'`);
    const keys = await query<{ table_name: string; column_name: string }>(`SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
      JOIN information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name
      WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' AND c.table_name <> 'schema_version' ORDER BY k.table_name, k.ordinal_position`);
    const indexes = await query<{ tablename: string; indexname: string }>(`SELECT tablename, indexname FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> 'schema_version' AND indexname NOT IN (SELECT conname FROM pg_constraint)`);
    const tables = [...new Set(columns.map((c) => c.table_name))];
    const actual: SchemaShape = {
      columns: columns.map((c) => ({ table: c.table_name, column: c.column_name, type: c.data_type, notNull: c.is_nullable === 'NO' })).sort(byTableAndColumn),
      primaryKeys: Object.fromEntries(tables.map((t) => [t, keys.filter((k) => k.table_name === t).map((k) => k.column_name)])),
      indexes: Object.fromEntries(tables.map((t) => [t, indexes.filter((i) => i.tablename === t).map((i) => i.indexname).sort()])),
    };
    expect(actual).toEqual(expectedSchema('postgres'));
  });

  test('openStateStore resolves the URL from its secret reference and migrates; the URL is stored nowhere', async () => {
    const store = await openStateStore({ driver: 'postgres', url: 'env:UMS_TEST_STATE_URL', allowInsecure: false }, { baseDir: '/nonexistent', env: { UMS_TEST_STATE_URL: url } });
    try {
      expect(store).toBeInstanceOf(PostgresStateStore);
      const mb = await store.mailboxId({ source: 'a', target: 'b' });
      await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
      expect(await store.mailboxes()).toMatchObject([{ id: mb, source: 'a', target: 'b', containers: 1 }]);
    } finally {
      await store.close();
    }
    const password = new URL(url).password;
    expect(password).not.toBe('');
    const dump = await query<{ t: string }>(`SELECT string_agg(t::text, ' ') AS t FROM (
      SELECT to_jsonb(m) AS t FROM mailboxes m UNION ALL SELECT to_jsonb(c) FROM containers c UNION ALL SELECT to_jsonb(s) FROM schema_version s) x`);
    expect(dump[0]?.t).toContain('INBOX');
    expect(dump[0]?.t).not.toContain(password);
  });

  test('an unresolvable URL reference fails without opening anything', async () => {
    await expect(openStateStore({ driver: 'postgres', url: 'env:UMS_TEST_NOT_SET', allowInsecure: false }, { baseDir: '/', env: {} }))
      .rejects.toThrow(/UMS_TEST_NOT_SET/);
  });

  test('messages name the server without the password', () => {
    expect(describePostgresUrl('postgres://ums:s3cret@db.example:5433/state?sslmode=require')).toBe('postgres://ums@db.example:5433/state');
    expect(describePostgresUrl(url)).not.toContain(new URL(url).password);
  });
});

describe('postgres routing audit', () => {
  test('the audit table refuses UPDATE, DELETE and TRUNCATE', async () => {
    const url = await createTestDatabase('ums_audit');
    const store = new PostgresStateStore(url);
    const client = new pg.Client({ connectionString: url });
    try {
      await store.migrate();
      await store.appendRoutingAudit({ who: 'anna', action: 'publish', users: [], detail: null });
      await client.connect();
      await expect(client.query("UPDATE routing_audit SET who = 'mallory'")).rejects.toThrow('routing_audit is append-only');
      await expect(client.query('DELETE FROM routing_audit')).rejects.toThrow('routing_audit is append-only');
      await expect(client.query('TRUNCATE routing_audit')).rejects.toThrow('routing_audit is append-only');
      expect((await store.routingAudit()).map((e) => e.who)).toEqual(['anna']);
    } finally {
      await client.end().catch(() => undefined);
      await store.close();
      await dropTestDatabase(url);
    }
  });
});

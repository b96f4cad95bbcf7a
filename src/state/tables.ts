/**
 * One description of the state store's tables, which both schemas must match: the SQLite
 * migrations (sqlite-schema.ts) and the PostgreSQL ones (postgres-schema.ts). The DDL itself stays
 * in the numbered migrations, because a released step is never edited (existing state files and
 * databases must still open); what this list pins down is the result of all the steps, checked
 * column by column against a freshly migrated store of each dialect (sqlite.test.ts,
 * postgres.test.ts). A new column is added here and in one new step of each schema.
 *
 * The dialects differ on purpose (see postgres-schema.ts): BIGINT where SQLite has INTEGER,
 * TIMESTAMPTZ for the times the store sets, BOOLEAN for SQLite's 0/1, JSON(B) for SQLite's JSON
 * text, and a `seq` identity column in PostgreSQL where SQLite orders by rowid.
 */

export type SqliteType = 'INTEGER' | 'TEXT';
/** As PostgreSQL's information_schema.columns.data_type names it. */
export type PostgresType = 'bigint' | 'text' | 'timestamp with time zone' | 'boolean' | 'json' | 'jsonb';

export interface ColumnDef {
  name: string;
  /** null: the column exists in PostgreSQL only. */
  sqlite: SqliteType | null;
  postgres: PostgresType;
  /** NOT NULL (a primary key column is never null, whatever SQLite's declaration says). */
  notNull: boolean;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  /** Secondary indexes created by name (the same names in both dialects). */
  indexes: string[];
}

const id = (name: string, notNull = true): ColumnDef => ({ name, sqlite: 'INTEGER', postgres: 'bigint', notNull });
const text = (name: string, notNull = false): ColumnDef => ({ name, sqlite: 'TEXT', postgres: 'text', notNull });
const time = (name: string, notNull = true): ColumnDef => ({ name, sqlite: 'TEXT', postgres: 'timestamp with time zone', notNull });
const flag = (name: string): ColumnDef => ({ name, sqlite: 'INTEGER', postgres: 'boolean', notNull: true });
const json = (name: string, postgres: 'json' | 'jsonb', notNull: boolean): ColumnDef => ({ name, sqlite: 'TEXT', postgres, notNull });
/** The insertion order PostgreSQL keeps in a column and SQLite in its rowid. */
const seq: ColumnDef = { name: 'seq', sqlite: null, postgres: 'bigint', notNull: true };

const NOT_NULL = true;

export const STATE_TABLES: readonly TableDef[] = [
  {
    name: 'mailboxes',
    columns: [id('id'), text('source', NOT_NULL), text('target', NOT_NULL), time('created_at'), time('inventoried_at', false)],
    primaryKey: ['id'],
    indexes: [],
  },
  {
    name: 'containers',
    columns: [
      id('mailbox_id'), text('container_id', NOT_NULL), text('path', NOT_NULL), text('target_ref', NOT_NULL), text('status', NOT_NULL),
      text('epoch'), text('cursor'), text('scope'), text('token'), text('flag_seq'),
      id('total_items'), id('total_bytes'), id('done_items'), id('done_bytes'), id('failed_items'), id('skipped_items'),
      text('last_error'), time('updated_at'), text('kind', NOT_NULL), text('name'), flag('bytes_known'), flag('in_inventory'),
    ],
    primaryKey: ['mailbox_id', 'container_id'],
    indexes: [],
  },
  {
    name: 'items',
    columns: [
      id('mailbox_id'), text('container_id', NOT_NULL), text('epoch', NOT_NULL), text('item_id', NOT_NULL), seq,
      text('status', NOT_NULL), id('size'), text('internal_date'), text('message_id'), text('hash'), json('flags', 'jsonb', false),
      text('target_ref'), text('target_epoch'), text('target_id'), text('watermark'), text('reason'), time('updated_at'),
    ],
    primaryKey: ['mailbox_id', 'container_id', 'epoch', 'item_id'],
    indexes: ['items_by_status', 'items_by_target'],
  },
  {
    name: 'suspects',
    columns: [
      id('mailbox_id'), text('container_id', NOT_NULL), text('epoch', NOT_NULL), text('item_id', NOT_NULL), text('watermark', NOT_NULL), seq,
      text('target_ref', NOT_NULL), text('hash', NOT_NULL), id('size'), text('internal_date'), text('message_id'), time('created_at'),
    ],
    primaryKey: ['mailbox_id', 'container_id', 'epoch', 'item_id', 'watermark'],
    indexes: [],
  },
  {
    name: 'cutovers',
    columns: [text('user_key', NOT_NULL), text('login', NOT_NULL), text('batch'), text('cut_over_by', NOT_NULL), time('cut_over_at')],
    primaryKey: ['user_key'],
    indexes: [],
  },
  {
    name: 'routing_audit',
    columns: [
      id('seq'), time('at'), text('who', NOT_NULL), text('action', NOT_NULL), text('batch'),
      json('users', 'json', NOT_NULL), json('detail', 'json', NOT_NULL), json('refused', 'json', NOT_NULL),
    ],
    primaryKey: ['seq'],
    indexes: [],
  },
  {
    name: 'kv_checkpoints',
    columns: [text('name', NOT_NULL), text('value', NOT_NULL), time('updated_at')],
    primaryKey: ['name'],
    indexes: [],
  },
];

/** A schema as both dialects' catalogues can show it, for comparison with this description. */
export interface SchemaShape {
  /** Ordered by table and column name (`byTableAndColumn`). */
  columns: ColumnShape[];
  /** Per table, its primary key's columns in key order. */
  primaryKeys: Record<string, string[]>;
  /** Per table, its secondary indexes' names, sorted. */
  indexes: Record<string, string[]>;
}

export interface ColumnShape {
  table: string;
  column: string;
  type: string;
  notNull: boolean;
}

/** The schema `dialect`'s migrations must leave. */
export function expectedSchema(dialect: 'sqlite' | 'postgres'): SchemaShape {
  const columns = STATE_TABLES.flatMap((t) => t.columns.flatMap((c) => {
    const type = dialect === 'sqlite' ? c.sqlite : c.postgres;
    return type === null ? [] : [{ table: t.name, column: c.name, type, notNull: c.notNull || t.primaryKey.includes(c.name) }];
  }));
  return {
    columns: columns.sort(byTableAndColumn),
    primaryKeys: Object.fromEntries(STATE_TABLES.map((t) => [t.name, t.primaryKey])),
    indexes: Object.fromEntries(STATE_TABLES.map((t) => [t.name, [...t.indexes].sort()])),
  };
}

export function byTableAndColumn(a: ColumnShape, b: ColumnShape): number {
  const key = (c: ColumnShape) => `${c.table}\u0000${c.column}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateStore } from './conformance.js';
import { SqliteStateStore } from './sqlite.js';
import { StateFileError } from './sqlite-file.js';
import { byTableAndColumn, expectedSchema, type SchemaShape } from './tables.js';

// The StateStore behaviour (shared with the PostgreSQL store) lives in conformance.ts.
describeStateStore('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ums-state-'));
  const file = join(dir, 's.sqlite');
  return {
    store: new SqliteStateStore(file),
    connect: async () => new SqliteStateStore(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

test('the migrated schema is the one tables.ts describes (columns, types, NOT NULL, keys, indexes)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ums-state-'));
  const file = join(dir, 's.sqlite');
  const store = new SqliteStateStore(file);
  try {
    await store.migrate();
    const db = new Database(file, { readonly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
      const info = (t: string) => db.pragma(`table_info(${t})`) as { name: string; type: string; notnull: number; pk: number }[];
      const actual: SchemaShape = {
        columns: tables.flatMap((t) => info(t).map((c) => ({ table: t, column: c.name, type: c.type, notNull: c.notnull === 1 || c.pk > 0 }))).sort(byTableAndColumn),
        primaryKeys: Object.fromEntries(tables.map((t) => [t, info(t).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)])),
        indexes: Object.fromEntries(tables.map((t) => [t, (db.pragma(`index_list(${t})`) as { name: string; origin: string }[])
          .filter((i) => i.origin === 'c').map((i) => i.name).sort()])),
      };
      expect(actual).toEqual(expectedSchema('sqlite'));
    } finally {
      db.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('sqlite routing audit', () => {
  test('the audit table refuses UPDATE and DELETE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ums-state-'));
    const file = join(dir, 's.sqlite');
    const store = new SqliteStateStore(file);
    try {
      await store.migrate();
      await store.appendRoutingAudit({ who: 'anna', action: 'publish', users: [], detail: null });
      const db = new Database(file);
      try {
        expect(() => db.prepare("UPDATE routing_audit SET who = 'mallory'").run()).toThrow('routing_audit is append-only');
        expect(() => db.prepare('DELETE FROM routing_audit').run()).toThrow('routing_audit is append-only');
      } finally {
        db.close();
      }
      expect((await store.routingAudit()).map((e) => e.who)).toEqual(['anna']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite state file on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ums-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A store with some thousand rows over many pages, closed (checkpointed: no -wal left). */
  async function populated(file: string): Promise<void> {
    const store = new SqliteStateStore(file);
    await store.migrate();
    const mb = await store.mailboxId({ source: 'alice@old.example', target: 'alice' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    const cp = { epoch: '1', cursor: null, scope: '', token: null, targetRef: 'INBOX' };
    for (let b = 0; b < 20; b++) {
      await store.commitBatch(mb, 'INBOX', Array.from({ length: 100 }, (_, i) => ({
        itemId: String(b * 100 + i), status: 'done' as const, size: 1000, targetRef: 'INBOX', targetEpoch: '7', targetId: String(b * 100 + i),
        messageId: `<${b}-${i}-${'x'.repeat(40)}@example.org>`,
      })), cp);
    }
    await store.close();
  }

  async function openAndMigrate(file: string): Promise<void> {
    const store = new SqliteStateStore(file);
    try {
      await store.migrate();
      await store.mailboxes();
    } finally {
      await store.close();
    }
  }

  async function damageOf(file: string): Promise<unknown> {
    try {
      await openAndMigrate(file);
    } catch (err) {
      return err;
    }
    return undefined;
  }

  function expectDamaged(err: unknown, file: string, reason: RegExp): void {
    expect(err).toBeInstanceOf(StateFileError);
    const message = (err as Error).message;
    expect(message).toContain(`state file ${file} is not a SQLite database or is damaged (`);
    expect(message).toMatch(reason);
    expect(message).toContain('Restore it from a backup');
    expect(message).toContain(`move ${file} away (keep it) to start over`);
    expect(message).toContain('copies every message again');
  }

  test('a new state file is created 0600, and its -wal and -shm files too, whatever the umask', async () => {
    const file = join(dir, 'sub', 'state.sqlite');
    const umask = process.umask(0o022);
    try {
      const store = new SqliteStateStore(file);
      try {
        await store.migrate();
        await store.mailboxId({ source: 'a', target: 'b' });
        const modes = Object.fromEntries(['', '-wal', '-shm'].map((s) => [`state.sqlite${s}`, statSync(`${file}${s}`).mode & 0o777]));
        expect(modes).toEqual({ 'state.sqlite': 0o600, 'state.sqlite-wal': 0o600, 'state.sqlite-shm': 0o600 });
      } finally {
        await store.close();
      }
    } finally {
      process.umask(umask);
    }
  });

  test('a state path that is a directory is refused naming it and what state.path must be (not a bare EISDIR)', () => {
    expect(() => new SqliteStateStore(dir)).toThrow(`state file ${dir} is a directory: state.path names the SQLite file itself (e.g. ${join(dir, 'state.sqlite')})`);
  });

  test('a file of random bytes is refused with the file, the reason and what to do', async () => {
    const file = join(dir, 'state.sqlite');
    writeFileSync(file, Buffer.concat([Buffer.from('not sqlite'), randomBytes(64 * 1024)]));
    expectDamaged(await damageOf(file), file, /SQLITE_NOTADB/);
    // Random bytes behind a valid magic string: the page size or the length gives it away.
    writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), randomBytes(10_000)]));
    expectDamaged(await damageOf(file), file, /SQLITE_(CORRUPT|NOTADB)/);
  });

  test.each([
    ['half of it', (size: number) => Math.floor(size / 2)],
    ['all but the last page', (size: number) => size - 4096],
    ['one page and a half', () => 4096 + 2048],
    ['the header and a bit', () => 1000],
    ['less than the header', () => 50],
  ])('a truncated copy (%s) is refused when it is opened, not in the middle of a run', async (_what, cut) => {
    const good = join(dir, 'good.sqlite');
    await populated(good);
    expect(existsSync(`${good}-wal`)).toBe(false);
    const size = statSync(good).size;
    expect(size).toBeGreaterThan(20 * 4096);
    const file = join(dir, 'state.sqlite');
    copyFileSync(good, file);
    truncateSync(file, cut(size));
    expectDamaged(await damageOf(file), file, /SQLITE_(CORRUPT|NOTADB)/);
    // Nothing was changed: the damaged file is left for a salvage attempt.
    expect(statSync(file).size).toBe(cut(size));
    await expect(openAndMigrate(good)).resolves.toBeUndefined();
  });

  test('an intact file with a live -wal beside it (a run going on) opens', async () => {
    const file = join(dir, 'state.sqlite');
    const writer = new SqliteStateStore(file);
    try {
      await writer.migrate();
      await writer.mailboxId({ source: 'a', target: 'b' });
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
      await expect(openAndMigrate(file)).resolves.toBeUndefined();
      expect(readFileSync(file).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    } finally {
      await writer.close();
    }
  });
});

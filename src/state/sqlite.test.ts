import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateStore } from './conformance.js';
import { SqliteStateStore } from './sqlite.js';

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

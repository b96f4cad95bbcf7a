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

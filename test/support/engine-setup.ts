/**
 * What engine-level tests share: job options with the usual folder mapping, and a fresh SQLite
 * state store in a temporary directory per test (registered with jest's beforeEach/afterEach).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';

/** Job options for tests: everything included, the usual special-use names, quick retries; `over` replaces fields. */
export function testJobOptions(over: Partial<JobOptions> = {}): JobOptions {
  return {
    filters: { maxMessageSize: 50 * 1024 * 1024 },
    folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
    batchSize: 10, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
    retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 10 },
    ...over,
  };
}

/** A temporary directory with a migrated state store, new for every test of the file. */
export function useTempStateStore(prefix: string): { readonly dir: string; readonly store: SqliteStateStore } {
  let dir = '';
  let store: SqliteStateStore | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() { return dir; },
    get store() {
      if (!store) throw new Error('the state store exists only inside a test');
      return store;
    },
  };
}

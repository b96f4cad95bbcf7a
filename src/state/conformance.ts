/**
 * The StateStore conformance suite: the behaviour every store (SQLite, PostgreSQL) must show,
 * run by each store's test file with a factory for fresh, empty stores:
 *
 *   describeStateStore('sqlite', async () => ({ store, cleanup, connect }));
 *
 * `make` is called before every test; the suite migrates the store itself. `connect`, when given,
 * opens one more store on the same database (another worker): the concurrency tests use it.
 * Every store the suite got is closed before `cleanup` runs.
 *
 * The tests are grouped by the consumer interface they cover (store.ts): checkpoint-conformance.ts
 * (CheckpointStore), progress-conformance.ts (ProgressReader), routing-conformance.ts
 * (RoutingStore), inventory-conformance.ts (the inventory both read and write), here the rest;
 * conformance-fixtures.ts holds the rows and checks they share.
 *
 * The expectations are those of the SQLite reference store (sqlite.ts); the PostgreSQL store
 * mirrors them, including orders (insertion order of rows, bytewise order of names) and shapes
 * (ISO strings for times, numbers for ids, sizes and counters).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { describeCheckpoints } from './checkpoint-conformance.js';
import { describeInventory } from './inventory-conformance.js';
import { describeProgress } from './progress-conformance.js';
import { describeRoutingState } from './routing-conformance.js';
import type { StateStore } from './store.js';

export interface StateStoreFixture {
  store: StateStore;
  cleanup(): Promise<void>;
  /** Another store on the same database (a second worker); not migrated by the suite. */
  connect?(): Promise<StateStore>;
}

export function describeStateStore(name: string, make: () => Promise<StateStoreFixture>): void {
  describe(`${name} state store`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;
    let opened: StateStore[];

    /** Another worker on the same database (or the same store when the fixture has no `connect`). */
    const worker = async (): Promise<StateStore> => {
      if (!fixture.connect) return store;
      const s = await fixture.connect();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      opened = [store];
      await store.migrate();
    });
    afterEach(async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      await fixture.cleanup();
    });

    test('migrate is idempotent and mailbox ids are stable', async () => {
      await store.migrate();
      const a = await store.mailboxId({ source: 'a@x', target: 'a@y' });
      expect(typeof a).toBe('number');
      expect(await store.mailboxId({ source: 'a@x', target: 'a@y' })).toBe(a);
      expect(await store.mailboxId({ source: 'b@x', target: 'b@y' })).not.toBe(a);
      expect(await store.mailboxId({ source: 'a@x', target: 'other@y' })).not.toBe(a);
      expect(await store.findMailbox({ source: 'a@x', target: 'a@y' })).toBe(a);
      expect(await store.findMailbox({ source: 'nobody@x', target: 'a@y' })).toBeUndefined();
    });

    // One suite per consumer's interface (store.ts); KeyValueStore's is the test below.
    describe('checkpoints and item rows', () => describeCheckpoints(() => store, worker));
    describe('progress', () => describeProgress(() => store));
    describe('coexistence routing state', () => describeRoutingState(() => store, worker));
    describe('inventory', () => describeInventory(() => store, worker));

    test('named checkpoint values: unset is null, set replaces, other names are separate, workers share them', async () => {
      expect(await store.getCheckpointValue('directory:ad')).toBeNull();
      await store.setCheckpointValue('directory:ad', 'usn:100');
      await store.setCheckpointValue('directory:ad', 'usn:250');
      await store.setCheckpointValue('directory:other', 'ts:20250101000000Z');
      const w = await worker();
      expect(await w.getCheckpointValue('directory:ad')).toBe('usn:250');
      expect(await w.getCheckpointValue('directory:other')).toBe('ts:20250101000000Z');
      expect(await w.getCheckpointValue('directory:none')).toBeNull();
    });
  });
}

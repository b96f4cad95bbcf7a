/**
 * Conformance tests of the coexistence routing state (RoutingStore in store.ts): cutovers
 * and the append-only audit log. Registered by `describeStateStore` (conformance.ts), so every
 * store runs them; `store()` is the suite's fresh, migrated store and `worker()` another store on
 * the same database.
 */
import { expect, test } from '@jest/globals';
import type { CutoverChange, StateStore } from './store.js';
import { ISO } from './conformance-fixtures.js';

const change = (over: Partial<CutoverChange>): CutoverChange => ({
  users: [], cutOver: true, who: 'ops', batch: null, detail: null, ...over,
});

export function describeRoutingState(store: () => StateStore, worker: () => Promise<StateStore>): void {
  test('cutover: users recorded with when, by whom and batch; the audit entry written with them', async () => {
    const s = store();
    expect(await s.cutovers()).toEqual([]);
    expect(await s.routingAudit()).toEqual([]);
    const detail = { transport: { added: [], removed: [], changed: [{ key: 'alice@corp.example', from: 'relay:[ex]', to: 'lmtp:x' }] }, note: 'ü ✓' };
    const r = await s.applyCutover(change({
      users: [{ userKey: 'k-b', login: 'bob' }, { userKey: 'k-a', login: 'alice' }, { userKey: 'k-b', login: 'bob' }], who: 'anna', batch: 'wave1.csv', detail,
    }));
    expect(r.changed).toEqual(['k-b', 'k-a']);
    expect(r.entry).toMatchObject({ action: 'cutover', who: 'anna', batch: 'wave1.csv', users: ['bob', 'alice'], detail });
    expect(r.entry.at).toMatch(ISO);
    const rows = await s.cutovers();
    expect(rows.map((c) => [c.userKey, c.login, c.by, c.batch])).toEqual([['k-a', 'alice', 'anna', 'wave1.csv'], ['k-b', 'bob', 'anna', 'wave1.csv']]);
    for (const c of rows) expect(c.at).toMatch(ISO);
    expect(await s.routingAudit()).toEqual([r.entry]);
  });

  test('cutover of a user already cut over keeps the first record; undo removes only those cut over', async () => {
    const s = store();
    await s.applyCutover(change({ users: [{ userKey: 'k-a', login: 'alice' }], who: 'anna', batch: 'wave1' }));
    const [first] = await s.cutovers();
    const again = await s.applyCutover(change({ users: [{ userKey: 'k-a', login: 'alice' }, { userKey: 'k-c', login: 'carol' }], who: 'ben', batch: 'wave2' }));
    expect(again.changed).toEqual(['k-c']);
    expect(again.entry.users).toEqual(['carol']);
    expect((await s.cutovers()).map((c) => [c.userKey, c.by, c.batch])).toEqual([['k-a', 'anna', 'wave1'], ['k-c', 'ben', 'wave2']]);
    expect((await s.cutovers())[0]).toEqual(first);

    const undo = await s.applyCutover(change({ users: [{ userKey: 'k-a', login: 'alice' }, { userKey: 'k-x', login: 'xavier' }], cutOver: false, who: 'ben' }));
    expect(undo.changed).toEqual(['k-a']);
    expect(undo.entry).toMatchObject({ action: 'undo', users: ['alice'], batch: null, who: 'ben' });
    expect((await s.cutovers()).map((c) => c.userKey)).toEqual(['k-c']);
    const none = await s.applyCutover(change({ users: [], cutOver: false }));
    expect(none.changed).toEqual([]);
    expect((await s.routingAudit()).map((e) => e.action)).toEqual(['cutover', 'cutover', 'undo', 'undo']);
  });

  test('audit log: append-only, in order, details returned as written', async () => {
    const s = store();
    const a = await s.appendRoutingAudit({ who: 'anna', action: 'publish', users: ['alice'], detail: { version: 'v1', diff: { b: 1, a: [1, 'x'] } } });
    const b = await s.appendRoutingAudit({ who: 'ben', action: 'rollback', batch: null, users: [], detail: 'text' });
    const c = await s.appendRoutingAudit({ who: 'ben', action: 'publish', users: [], detail: null });
    expect(b.seq).toBeGreaterThan(a.seq);
    expect(c.seq).toBeGreaterThan(b.seq);
    expect(JSON.stringify(a.detail)).toBe('{"version":"v1","diff":{"b":1,"a":[1,"x"]}}');
    expect(b).toMatchObject({ who: 'ben', action: 'rollback', batch: null, users: [], detail: 'text' });
    expect(c.detail).toBeNull();
    expect(await s.routingAudit()).toEqual([a, b, c]);
  });

  test('audit log: refused names are recorded with their reasons, also when nothing changed', async () => {
    const s = store();
    const refused = [{ name: 'nobody', reason: 'no user with this key, login or address' }, { name: 'Ölaf', reason: 'mailbox not complete' }];
    const r = await s.applyCutover(change({ users: [], who: 'anna', batch: 'wave2.csv', refused }));
    expect(r.changed).toEqual([]);
    expect(r.entry).toMatchObject({ action: 'cutover', users: [], refused, batch: 'wave2.csv' });
    const p = await s.appendRoutingAudit({ who: 'ben', action: 'publish', users: [], refused: [{ name: 'alice', reason: 'guard: 3 of 4 recipients removed' }], detail: null });
    const plain = await s.appendRoutingAudit({ who: 'ben', action: 'rollback', users: ['bob'], detail: null });
    expect(plain.refused).toEqual([]);
    expect((await s.routingAudit()).map((e) => e.refused)).toEqual([refused, p.refused, []]);
  });

  test('concurrent workers cutting over the same users: one row each, exactly one worker changes each user', async () => {
    const workers = [store(), await worker(), await worker()];
    const users = Array.from({ length: 20 }, (_, i) => ({ userKey: `k${String(i).padStart(2, '0')}`, login: `u${i}` }));
    const results = await Promise.all(workers.map((w, i) => w.applyCutover(change({
      users: i % 2 === 0 ? users : [...users].reverse(), who: `op${i}`, batch: `b${i}`,
    }))));
    const changed = results.flatMap((r) => r.changed).sort();
    expect(changed).toEqual(users.map((u) => u.userKey));
    expect((await store().cutovers()).map((c) => c.userKey)).toEqual(users.map((u) => u.userKey));
    expect((await store().routingAudit()).length).toBe(3);
    const undone = await Promise.all(workers.map((w) => w.applyCutover(change({ users, cutOver: false }))));
    expect(undone.flatMap((r) => r.changed).sort()).toEqual(users.map((u) => u.userKey));
    expect(await store().cutovers()).toEqual([]);
  });
}

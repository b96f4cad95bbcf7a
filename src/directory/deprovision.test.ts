import { DEFAULT_DEPROVISION, isLeaver, planDeprovision, type DeprovisionInput } from './deprovision.js';
import { emptyDirectoryState, type StateUser } from './state.js';

const now = new Date('2025-03-01T00:00:00Z');
const u = (login: string, more: Partial<StateUser> = {}): StateUser => ({
  dn: `CN=${login},OU=x`, login, umsLogin: login, umsDn: `uid=${login},ou=p`, proxyAddresses: [`SMTP:${login}@corp.example`], disabled: false, type: 'user', ...more,
});
const account = (login: string, attrs: Record<string, string[]> = {}) => ({ dn: `uid=${login},ou=p`, attributes: { uid: [login], ...attrs } });

function input(before: Record<string, StateUser>, merged: Record<string, StateUser>, over: Partial<DeprovisionInput> = {}): DeprovisionInput {
  const state = { ...emptyDirectoryState(), users: before, activeUsers: Object.values(before).filter((x) => !isLeaver(x)).length };
  return {
    before: state, merged, read: new Set(Object.keys(merged)), existing: Object.values(merged).map((x) => account(x.login)),
    loginAttribute: 'uid', policy: { ...DEFAULT_DEPROVISION, action: 'disable', graceDays: 10 }, now, ...over,
  };
}

describe('isLeaver', () => {
  test('disabled people and users gone from the source; not disabled shared, room or equipment mailboxes', () => {
    expect(isLeaver({ disabled: true, type: 'user' })).toBe(true);
    expect(isLeaver({ disabled: true, type: 'other' })).toBe(true);
    expect(isLeaver({ disabled: false, type: 'user', missing: true })).toBe(true);
    for (const type of ['shared', 'room', 'equipment'] as const) expect(isLeaver({ disabled: true, type })).toBe(false);
  });
});

describe('planDeprovision', () => {
  const team = { a: u('a'), b: u('b'), c: u('c'), d: u('d') };
  test('the grace period starts when first seen; the mark is set once it has passed', () => {
    const first = planDeprovision(input(team, { ...team, a: u('a', { disabled: true }) }));
    expect(first.writes).toEqual([]);
    expect(first.report.pending).toEqual([{ entry: 'a', action: 'disable', due: '2025-03-11T00:00:00.000Z' }]);
    expect(first.users.a!.inactiveSince).toBe(now.toISOString());
    expect(first.leavers).toEqual(new Set(['a']));

    const later = planDeprovision(input({ ...team, a: first.users.a! }, { ...team, a: first.users.a! }, { now: new Date('2025-03-11T00:00:00Z') }));
    expect(later.writes).toEqual([{ kind: 'modify', entry: 'a', dn: 'uid=a,ou=p', changes: [{ op: 'replace', attribute: 'nsAccountLock', values: ['TRUE'] }] }]);
    expect(later.users.a!.deprovisioned).toBe('disabled');
    expect(later.notMembers).toEqual(new Set(['a']));
  });

  test('delete removes only the matched entry; ignore reports; a disabled user without account is "not created"', () => {
    const merged = { ...team, a: u('a', { missing: true }) };
    const del = planDeprovision(input(team, merged, { policy: { ...DEFAULT_DEPROVISION, action: 'delete', graceDays: 0 } }));
    expect(del.writes).toEqual([{ kind: 'delete', entry: 'a', dn: 'uid=a,ou=p' }]);
    expect(del.removed).toEqual(new Set(['uid=a,ou=p']));
    expect(del.users.a!.umsDn).toBeUndefined();
    const ign = planDeprovision(input(team, merged, { policy: { ...DEFAULT_DEPROVISION, action: 'ignore' } }));
    expect([ign.writes, ign.report.ignored, ign.users.a!.inactiveSince]).toEqual([[], ['a'], undefined]);
    const fresh = planDeprovision(input({}, { n: u('n', { disabled: true, umsDn: undefined }) }, { existing: [] }));
    expect(fresh.report.notCreated).toEqual(['n']);
    // An account the sync did not create (no state yet) is found by the UMS login.
    const adopted = planDeprovision(input({}, { n: u('n', { disabled: true, umsDn: undefined }) }, { existing: [account('n')] }));
    expect(adopted.report.pending).toEqual([{ entry: 'n', action: 'disable', due: '2025-03-11T00:00:00.000Z' }]);
  });

  test('the guard: 3 of 4 gone at once, or all of them: nothing done, nothing marked, held back', () => {
    const merged = { a: u('a', { missing: true }), b: u('b', { missing: true }), c: u('c', { disabled: true }), d: u('d') };
    const p = planDeprovision(input(team, merged, { policy: { ...DEFAULT_DEPROVISION, action: 'delete', graceDays: 0 } }));
    expect(p.writes).toEqual([]);
    expect(p.report.guard).toMatch(/^deprovisioning refused: the source now has 1 active user\(s\), fewer than 50 % of the 4 after the last run \(3 newly disabled or gone\)/);
    expect(p.heldBack.sort()).toEqual(['a', 'b', 'c']);
    expect(p.users.a).toEqual(team.a);
    expect(p.activeUsers).toBe(4);
    // minSourceRatio 0: the admin confirms.
    expect(planDeprovision(input(team, merged, { policy: { ...DEFAULT_DEPROVISION, action: 'delete', graceDays: 0, minSourceRatio: 0 } })).writes).toHaveLength(3);
  });

  test('enabled again: the mark is cleared through the user write', () => {
    const before = { ...team, a: u('a', { disabled: true, deprovisioned: 'disabled', inactiveSince: '2025-01-01T00:00:00Z' }) };
    const p = planDeprovision(input(before, { ...team, a: u('a', { deprovisioned: 'disabled' }) }));
    expect(p.clear).toEqual(new Map([['a', 'nsAccountLock']]));
    expect(p.report.reenabled).toEqual(['a']);
    expect(p.users.a!.inactiveSince).toBeUndefined();
    expect(p.leavers.size).toBe(0);
  });
});

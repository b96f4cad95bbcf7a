/** Login rule, post-run address ownership and GAL contacts: the pure parts of the directory sync. */
import { planGal } from './gal.js';
import { applyLoginRule, explainLoginProblem, resolveUmsLogin } from '../../mappings/directory/login-rule.js';
import { resolveOwnership, type Candidate } from './ownership.js';
import { planDirectorySync, type PlanOptions } from './plan.js';
import type { StateUser } from './state.js';

describe('login rule', () => {
  test('user map first, then lower case and spaces', () => {
    expect(applyLoginRule(' Room  1 ', { case: 'lower', spaces: '-' })).toBe('room-1');
    expect(applyLoginRule('Room 1', { case: 'keep', spaces: 'refuse' })).toBe('Room 1');
    expect(applyLoginRule('ИВАН', { case: 'lower', spaces: 'refuse' })).toBe('иван');
    expect(resolveUmsLogin({ login: 'Room 1' }, new Map([['room 1', 'r1']]), { case: 'lower', spaces: '.' })).toEqual({ login: 'r1', fromUserMap: true });
  });
  test('the error says what would fix it', () => {
    const rule = { case: 'keep', spaces: 'refuse' } as const;
    expect(explainLoginProblem('Room 1', 'Room 1', false, rule)).toMatch(/set directory\.loginRule\.spaces to "\." or "-" \(it would become "Room\.1"\), or map it/);
    expect(explainLoginProblem('x', 'a b', true, rule)).toMatch(/the user map \(mailboxes\) maps "x" to it: fix that row; not synced$/);
    expect(explainLoginProblem('ok', 'ok', false, rule)).toBeUndefined();
  });
});

describe('address ownership after the run', () => {
  const map = { mail: 'mail', proxyAddresses: 'proxyAddresses' };
  const cand = (key: string, current: Record<string, string[]> | undefined, desired: Record<string, string[]>): Candidate => ({
    key, name: key, dn: `uid=${key},ou=p`, current: current === undefined ? undefined : { dn: `uid=${key},ou=p`, attributes: current }, desired, diffOpts: { allowMailChange: false },
  });
  test('a moved alias is free once its old owner gives it up; the giving write is "releasing"', () => {
    const from = cand('from', { mail: ['f@x.example'], proxyAddresses: ['SMTP:f@x.example', 'smtp:s@x.example'] }, { mail: ['f@x.example'], proxyAddresses: ['SMTP:f@x.example'] });
    const to = cand('to', { mail: ['t@x.example'], proxyAddresses: ['SMTP:t@x.example'] }, { mail: ['t@x.example'], proxyAddresses: ['SMTP:t@x.example', 'smtp:s@x.example'] });
    const r = resolveOwnership([to, from], [from.current!, to.current!], map);
    expect(r.refused).toEqual(new Map());
    expect(r.releasing).toEqual(new Set(['uid=from,ou=p']));
  });
  test('an entry not in the run keeps its addresses; a deleted one does not', () => {
    const other = { dn: 'uid=o,ou=p', attributes: { mail: ['s@x.example'] } };
    const to = cand('to', undefined, { mail: ['t@x.example'], proxyAddresses: ['SMTP:t@x.example', 'smtp:s@x.example'] });
    expect(resolveOwnership([to], [other], map).refused.get('to')).toBe('address s@x.example already belongs to uid=o,ou=p in the UMS directory; not synced');
    expect(resolveOwnership([to], [other], map, new Set(['uid=o,ou=p'])).refused.size).toBe(0);
  });
  test('in the plan: a swap of two aliases between two users needs no second run', () => {
    const opts: PlanOptions = { profile: 'ums', base: 'ou=p', entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: [], allowMailChange: false, domainRules: [], loginMap: new Map() };
    const existing = [
      { dn: 'uid=a,ou=p', attributes: { uid: ['a'], mail: ['a@x.example'], proxyAddresses: ['SMTP:a@x.example', 'smtp:one@x.example'] } },
      { dn: 'uid=b,ou=p', attributes: { uid: ['b'], mail: ['b@x.example'], proxyAddresses: ['SMTP:b@x.example', 'smtp:two@x.example'] } },
    ];
    const p = planDirectorySync([
      { key: 'ka', login: 'a', mail: 'a@x.example', proxyAddresses: ['SMTP:a@x.example', 'smtp:two@x.example'] },
      { key: 'kb', login: 'b', mail: 'b@x.example', proxyAddresses: ['SMTP:b@x.example', 'smtp:one@x.example'] },
    ], [], existing, opts);
    expect(p.errors).toEqual([]);
    expect(p.phases[0].map((w) => w.entry)).toEqual(['a', 'b']);
  });
});

describe('GAL contacts', () => {
  const user = (login: string, more: Partial<StateUser> = {}): StateUser => ({ dn: `CN=${login}`, login, proxyAddresses: [`SMTP:${login}@corp.example`], disabled: false, type: 'user', displayName: `${login} D`, ...more });
  const opts = { base: 'ou=gal', objectClasses: ['inetOrgPerson'] };
  const none = { keys: new Set<string>(), logins: new Set<string>() };
  test('users not cut over, not leavers, with an address; shared mailboxes too', () => {
    const g = planGal({ k1: user('a'), k2: user('b', { disabled: true }), k3: user('c', { proxyAddresses: [] }), k4: user('s', { disabled: true, type: 'shared' }) }, none, [], {}, opts);
    expect(g.writes.map((w) => w.dn)).toEqual(['cn=a,ou=gal', 'cn=s,ou=gal']);
    expect(g.writes[0]).toEqual({ kind: 'add', entry: 'GAL contact a', dn: 'cn=a,ou=gal', attributes: { objectClass: ['inetOrgPerson'], cn: ['a'], sn: ['a D'], displayName: ['a D'], mail: ['a@corp.example'] } });
  });
  test('cut over by key or UMS login: removed, but only contacts the sync wrote', () => {
    const existing = [{ dn: 'cn=a,ou=gal', attributes: { cn: ['a'] } }, { dn: 'cn=foreign,ou=gal', attributes: { cn: ['foreign'] } }];
    const g = planGal({ k1: user('a', { umsLogin: 'A.ums' }) }, { keys: new Set(), logins: new Set(['a.ums']) }, existing, { k1: 'cn=a,ou=gal' }, opts);
    expect(g.writes).toEqual([{ kind: 'delete', entry: 'GAL contact a', dn: 'cn=a,ou=gal' }]);
    expect(g.gal).toEqual({});
  });
});

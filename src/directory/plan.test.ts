import { loginProblem, planDirectorySync, planLdif, rewriteEntryDomains, type PlanOptions } from './plan.js';

const opts: PlanOptions = {
  profile: 'ums', base: 'ou=people,dc=ums,dc=example', entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: [],
  allowMailChange: false, domainRules: [], loginMap: new Map(),
};
const alice = { key: 'k-alice', login: 'alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.s@corp.example'], displayName: 'Alice S' };

describe('planDirectorySync', () => {
  test('a new user becomes an add under the base; an existing, equal one is unchanged', () => {
    const p = planDirectorySync([alice], [], [], opts);
    expect(p.errors).toEqual([]);
    expect(p.writes).toEqual([{
      kind: 'add', entry: 'alice', dn: 'uid=alice,ou=people,dc=ums,dc=example',
      attributes: {
        objectClass: ['inetOrgPerson', 'ruPostMailAccount'], cn: ['Alice S'], uid: ['alice'], mail: ['alice@corp.example'],
        proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.s@corp.example'], displayName: ['Alice S'], sn: ['alice'],
      },
    }]);
    const existing = [{ dn: 'uid=alice,ou=people,dc=ums,dc=example', attributes: p.writes[0]!.kind === 'add' ? p.writes[0]!.attributes : {} }];
    expect(planDirectorySync([alice], [], existing, opts)).toMatchObject({ writes: [], errors: [], warnings: [], unchanged: 1 });
    expect(planLdif([])).toBe('');
  });

  test('user map, domain rewrite, DN escaping', () => {
    const p = planDirectorySync([{ ...alice, login: 'Smith, A' }], [], [], {
      ...opts, loginMap: new Map([['smith, a', 'asmith']]), domainRules: [{ from: 'corp.example', to: 'new.example' }],
    });
    expect(p.writes[0]).toMatchObject({ dn: 'uid=asmith,ou=people,dc=ums,dc=example', attributes: { mail: ['alice@new.example'], proxyAddresses: ['SMTP:alice@new.example', 'smtp:a.s@new.example'] } });
    expect(planDirectorySync([{ ...alice, login: 'Smith, A' }], [], [], opts).errors).toEqual([{ entry: 'Smith, A', reason: expect.stringContaining('not allowed') }]);
  });

  test('two source users mapped to one UMS login are both refused', () => {
    const bob = { key: 'k-bob', login: 'bob', mail: 'bob@corp.example', proxyAddresses: ['SMTP:bob@corp.example'] };
    const p = planDirectorySync([alice, bob], [], [], { ...opts, loginMap: new Map([['bob', 'Alice']]) });
    expect(p.errors).toEqual([
      { entry: 'alice', reason: 'UMS login alice is also the login of bob; not synced' },
      { entry: 'bob', reason: 'UMS login Alice is also the login of alice; not synced' },
    ]);
    expect(p.writes).toEqual([]);
  });

  test('an address claimed by a group refuses the user; an address of another UMS entry too', () => {
    const p = planDirectorySync([alice], [{ key: 'k-g', login: 'sales', proxyAddresses: ['SMTP:a.s@corp.example'] }], [], opts);
    expect(p.errors).toEqual([{ entry: 'alice', reason: 'address a.s@corp.example is also claimed by sales; not synced until one owner gives it up' }]);
    expect(p.writes).toEqual([]);
    const q = planDirectorySync([alice], [], [{ dn: 'uid=other,dc=ums', attributes: { uid: ['other'], proxyAddresses: ['smtp:A.S@corp.example'] } }], opts);
    expect(q.errors).toEqual([{ entry: 'alice', reason: 'address a.s@corp.example already belongs to uid=other,dc=ums in the UMS directory; not synced' }]);
  });

  test('refused mail change is a warning and the rest is still written', () => {
    const existing = [{ dn: 'uid=alice,x', attributes: { uid: ['alice'], mail: ['old@corp.example'], objectClass: ['inetOrgPerson', 'ruPostMailAccount'], proxyAddresses: ['SMTP:old@corp.example'] } }];
    const p = planDirectorySync([alice], [], existing, opts);
    expect(p.warnings).toEqual([{ entry: 'alice', reason: expect.stringMatching(/^mail not changed \(old@corp\.example → alice@corp\.example\)/) }]);
    expect(p.writes).toEqual([{ kind: 'modify', entry: 'alice', dn: 'uid=alice,x', changes: [
      { op: 'replace', attribute: 'proxyAddresses', values: ['SMTP:alice@corp.example', 'smtp:a.s@corp.example'] },
      { op: 'add', attribute: 'displayName', values: ['Alice S'] },
      { op: 'add', attribute: 'sn', values: ['alice'] },
    ] }]);
  });
});

describe('groups', () => {
  const groups = { base: 'ou=groups,dc=ums,dc=example', objectClasses: ['groupOfNames', 'ruPostMailAccount'] };
  const sales = { key: 'k-sales', login: 'sales', mail: 'sales@corp.example', proxyAddresses: ['SMTP:sales@corp.example'] };
  test('members are the UMS DNs of users added in the same plan or already there; the rest is reported', () => {
    const existing = [{ dn: 'uid=bob,ou=people,dc=ums,dc=example', attributes: { uid: ['bob'], mail: ['bob@corp.example'] } }];
    const p = planDirectorySync([alice], [], existing, { ...opts, groups }, [{ entry: sales, members: ['alice', 'bob', 'zed'].map((login) => ({ kind: 'user' as const, login })), otherMembers: 1 }]);
    expect(p.writes[1]).toEqual({
      kind: 'add', entry: 'sales', dn: 'cn=sales,ou=groups,dc=ums,dc=example',
      attributes: {
        objectClass: ['groupOfNames', 'ruPostMailAccount'], cn: ['sales'], mail: ['sales@corp.example'], proxyAddresses: ['SMTP:sales@corp.example'],
        member: ['uid=alice,ou=people,dc=ums,dc=example', 'uid=bob,ou=people,dc=ums,dc=example'],
      },
    });
    expect(p.warnings).toEqual([{ entry: 'sales', reason: 'group: 1 member(s) not in the UMS directory (not selected, refused, disabled or not mail-enabled): zed; 1 member(s) outside the selection or not users, groups or contacts are left out' }]);
  });
  test('no member left, no address, a conflict with a user', () => {
    const p = planDirectorySync([alice], [], [], { ...opts, groups }, [
      { entry: sales, members: [{ kind: 'user', login: 'zed' }], otherMembers: 0 },
      { entry: { key: 'k-sec', login: 'sec', proxyAddresses: [] }, members: [{ kind: 'user', login: 'alice' }], otherMembers: 0 },
      { entry: { key: 'k-dup', login: 'dup', proxyAddresses: ['SMTP:a.s@corp.example'] }, members: [{ kind: 'user', login: 'alice' }], otherMembers: 0 },
    ]);
    expect(p.errors).toEqual([
      { entry: 'alice', reason: 'address a.s@corp.example is also claimed by dup; not synced until one owner gives it up' },
      { entry: 'dup', reason: 'address a.s@corp.example is also claimed by alice; not synced until one owner gives it up' },
      { entry: 'sales', reason: 'group has no member in the UMS directory (a groupOfNames needs one); not synced' },
    ]);
    expect(p.writes).toEqual([]);
  });
});

describe('helpers', () => {
  test('loginProblem', () => {
    expect(loginProblem('alice.smith@corp.example')).toBeUndefined();
    expect(loginProblem('иван')).toBeUndefined();
    expect(loginProblem('a*')).toMatch(/not allowed/);
    expect(loginProblem('a b')).toMatch(/not allowed/);
    expect(loginProblem(' ')).toBe('empty login');
  });
  test('rewriteEntryDomains leaves other address types alone', () => {
    expect(rewriteEntryDomains({ key: 'k', login: 'a', mail: 'a@old.example', proxyAddresses: ['SMTP:a@old.example', 'SIP:a@old.example', 'bad'] }, [{ from: 'old.example', to: 'new.example' }]))
      .toEqual({ key: 'k', login: 'a', mail: 'a@new.example', proxyAddresses: ['SMTP:a@new.example', 'SIP:a@old.example', 'bad'] });
  });
});

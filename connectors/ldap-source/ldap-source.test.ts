import { guidToString, mailboxTypeOf, toDirectoryObject } from './entry.js';
import { applyOverride, parseOverrides } from './overrides.js';
import { transportProblem } from '../ldap-common/connection.js';

describe('guidToString', () => {
  test('first three fields little-endian, the rest as stored', () => {
    const buf = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
    expect(guidToString(buf)).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  });
  test('refuses a wrong length', () => {
    expect(() => guidToString(Buffer.alloc(15))).toThrow('16 octets');
  });
});

describe('toDirectoryObject', () => {
  const guid = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
  test('AD user with the GAL attributes', () => {
    const r = toDirectoryObject({
      dn: 'CN=alice,OU=x,DC=corp,DC=example', objectClass: ['top', 'person', 'organizationalPerson', 'user'], objectGUID: guid,
      sAMAccountName: 'alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a@corp.example'],
      legacyExchangeDN: '/o=Corp/cn=alice', title: 'CFO', uSNChanged: '4711',
    }, 'ad');
    expect(r).toEqual({
      ok: true,
      object: {
        kind: 'user', dn: 'CN=alice,OU=x,DC=corp,DC=example', changeMark: 'usn:4711', account: { disabled: false, type: 'user' },
        entry: { key: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', login: 'alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a@corp.example'], legacyExchangeDN: '/o=Corp/cn=alice', title: 'CFO' },
      },
    });
  });
  test('AD groups: groupType says security or distribution; members kept', () => {
    const sec = toDirectoryObject({ dn: 'CN=g', objectClass: ['group'], objectGUID: guid, sAMAccountName: 'g', groupType: '-2147483646', member: ['CN=a', 'CN=b'] }, 'ad');
    const dist = toDirectoryObject({ dn: 'CN=d', objectClass: ['group'], objectGUID: guid, sAMAccountName: 'd', groupType: '2', member: 'CN=a', mail: 'd@corp.example' }, 'ad');
    expect(sec.ok === true && sec.object.group).toEqual({ type: 'security', members: ['CN=a', 'CN=b'] });
    expect(dist.ok === true && dist.object.group).toEqual({ type: 'distribution', members: ['CN=a'] });
  });
  test('computers are ignored, contacts recognised, a missing key is an error', () => {
    expect(toDirectoryObject({ dn: 'CN=pc', objectClass: ['user', 'computer'], objectGUID: guid }, 'ad')).toEqual({ ok: 'ignored' });
    const c = toDirectoryObject({ dn: 'CN=p', objectClass: ['contact'], objectGUID: guid, cn: 'p', mail: 'p@x.example' }, 'ad');
    expect(c.ok === true && c.object.kind).toBe('contact');
    expect(toDirectoryObject({ dn: 'CN=n', objectClass: ['user'], sAMAccountName: 'n' }, 'ad')).toEqual({ ok: false, dn: 'CN=n', reason: 'no stable key (objectGUID)' });
  });
  test('generic LDAP: ipaUniqueID before entryUUID, uid as login, entryCSN else modifyTimestamp as the change mark', () => {
    const r = toDirectoryObject({ dn: 'uid=a,dc=x', objectClass: ['inetOrgPerson'], uid: 'a', entryUUID: 'e-1', ipaUniqueID: 'ipa-1', modifyTimestamp: '20250101000000Z' }, 'ldap');
    expect(r.ok === true && [r.object.entry.key, r.object.entry.login, r.object.changeMark]).toEqual(['ipa-1', 'a', 'ts:20250101000000Z']);
    const o = toDirectoryObject({ dn: 'uid=b,dc=x', objectClass: ['inetOrgPerson'], uid: 'b', entryUUID: 'e-3', modifyTimestamp: '20250101000000Z', entryCSN: '20250101000000.123456Z#000000#000#000000' }, 'ldap');
    expect(o.ok === true && o.object.changeMark).toBe('csn:20250101000000.123456Z#000000#000#000000');
    const g = toDirectoryObject({ dn: 'cn=g,dc=x', objectClass: ['groupOfNames'], cn: 'g', entryUUID: 'e-2', member: ['uid=a,dc=x'] }, 'ldap');
    expect(g.ok === true && g.object.group).toEqual({ type: 'security', members: ['uid=a,dc=x'] });
  });
});

describe('account state and mailbox type', () => {
  const guid = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
  const user = (extra: Record<string, unknown>) => toDirectoryObject({ dn: 'CN=u', objectClass: ['user'], objectGUID: guid, sAMAccountName: 'u', ...extra }, 'ad');
  test('userAccountControl bit 0x2 is disabled; msExchRecipientTypeDetails gives the type', () => {
    expect(user({ userAccountControl: '546' }).ok === true && user({ userAccountControl: '546' })).toMatchObject({ object: { account: { disabled: true, type: 'user' } } });
    expect(user({ userAccountControl: '512', msExchRecipientTypeDetails: '4' })).toMatchObject({ object: { account: { disabled: false, type: 'shared', rawType: '4' } } });
    expect(user({ userAccountControl: '514', msExchRecipientTypeDetails: '16' })).toMatchObject({ object: { account: { disabled: true, type: 'room' } } });
  });
  test('numbers and names of every mailbox kind, remote ones too; anything else is "other"', () => {
    expect(['1', '2', '4', '8', '16', '32', '128', '2147483648', '8589934592', '17179869184', '34359738368', 'SharedMailbox', 'RemoteRoomMailbox', 'equipment', 'MailUser', undefined].map(mailboxTypeOf))
      .toEqual(['user', 'user', 'shared', 'user', 'room', 'equipment', 'other', 'user', 'room', 'equipment', 'shared', 'shared', 'room', 'equipment', 'other', 'user']);
  });
  test('another attribute can hold the type; LDAP: nsAccountLock; contacts: targetAddress is the external address', () => {
    const r = toDirectoryObject({ dn: 'CN=r', objectClass: ['user'], objectGUID: guid, sAMAccountName: 'Room 1', 'msDS-cloudExtensionAttribute1': '16' }, 'ad', 'msDS-cloudExtensionAttribute1');
    expect(r).toMatchObject({ object: { entry: { login: 'Room 1' }, account: { type: 'room' } } });
    expect(toDirectoryObject({ dn: 'uid=l,dc=x', objectClass: ['inetOrgPerson'], uid: 'l', entryUUID: 'e', nsAccountLock: 'TRUE' }, 'ldap')).toMatchObject({ object: { account: { disabled: true } } });
    const c = toDirectoryObject({ dn: 'CN=p', objectClass: ['contact'], objectGUID: guid, cn: 'p', mail: 'p@corp.example', targetAddress: 'SMTP:p@other.example' }, 'ad');
    expect(c).toMatchObject({ object: { kind: 'contact', external: 'p@other.example' } });
    expect(c.ok === true && c.object.account).toBeUndefined();
  });
});

describe('overrides CSV', () => {
  const entry = { key: 'k1', login: 'Alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example'], title: 'CFO' };
  test('replace, clear, keep and skip', () => {
    const o = parseOverrides('login,proxyAddresses,title,displayName,skip\nalice,SMTP:alice@corp.example; smtp:al@corp.example,-,,\nbob,,,,yes\n', 'o.csv');
    expect(o.problems).toEqual([]);
    expect(applyOverride(entry, o)).toEqual({ key: 'k1', login: 'Alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:al@corp.example'] });
    expect(applyOverride({ ...entry, key: 'k2', login: 'bob' }, o)).toBeUndefined();
    expect(applyOverride({ ...entry, login: 'carol' }, o)).toEqual({ ...entry, login: 'carol' });
  });
  test('by key; problems with their line', () => {
    const o = parseOverrides('key,title,nonsense\nk1,CEO,x\nk1,CTO,y\n,CIO,z\n', 'o.csv');
    expect(o.problems).toEqual([
      'o.csv:1: unknown column "nonsense" (expected mail, proxyAddresses, legacyExchangeDN, displayName, givenName, sn, title, department, company, telephoneNumber, mobile, l, st, street, skip)',
      'o.csv:3: key k1 already has a row (line 2); row ignored',
      'o.csv:4: empty key; row ignored',
    ]);
    expect(applyOverride(entry, o)?.title).toBe('CEO');
    expect(parseOverrides('name,title\n', 'o.csv').problems).toEqual(['o.csv:1: the first column must be "login" or "key", got "name"']);
  });
});

describe('transportProblem', () => {
  const ep = { tlsVerify: true, startTls: false, allowInsecure: false };
  test('LDAPS and StartTLS are fine; plaintext and unverified TLS need allowInsecure', () => {
    expect(transportProblem({ ...ep, url: 'ldaps://dc1.corp.example' })).toBeUndefined();
    expect(transportProblem({ ...ep, url: 'ldap://dc1.corp.example', startTls: true })).toBeUndefined();
    expect(transportProblem({ ...ep, url: 'ldap://dc1.corp.example' })).toBe('ldap://dc1.corp.example without startTls sends the bind password in plaintext; use ldaps:// or startTls: true, or set allowInsecure: true to permit it');
    expect(transportProblem({ ...ep, url: 'ldap://dc1.corp.example', allowInsecure: true })).toBeUndefined();
    expect(transportProblem({ ...ep, url: 'ldaps://dc1', tlsVerify: false })).toBe('tlsVerify: false disables certificate checks; set allowInsecure: true to permit it');
    expect(transportProblem({ ...ep, url: 'ldaps://dc1', startTls: true })).toMatch(/startTls is for ldap/);
    expect(transportProblem({ ...ep, url: 'http://dc1' })).toMatch(/not an LDAP URL/);
  });
});

import { diffEntry, findAddressConflicts, mapEntry, MAIL_CHANGE_REFUSED, toLdif, toLdifAdd, type SourceEntry } from './entry-mapping.js';

const LEGACY_DN = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';

const alice = (over: Partial<SourceEntry> = {}): SourceEntry => ({
  key: 'guid-alice',
  login: 'alice',
  mail: 'alice@corp.example',
  proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', 'smtp:alice@corp.mail.example', 'SIP:alice@corp.example'],
  legacyExchangeDN: LEGACY_DN,
  displayName: 'Alice Smith',
  givenName: 'Alice',
  sn: 'Smith',
  department: 'Finance',
  telephoneNumber: '+49 30 1234',
  ...over,
});

const PERSON_EMPTY = { title: [], company: [], mobile: [], l: [], st: [], street: [] };

describe('mapEntry', () => {
  test("'ums': mail, proxyAddresses with X500, ruPostMailAccount", () => {
    expect(mapEntry(alice(), 'ums')).toEqual({
      key: 'guid-alice',
      primarySmtp: 'alice@corp.example',
      issues: [],
      attributes: {
        objectClass: ['ruPostMailAccount'],
        uid: ['alice'],
        mail: ['alice@corp.example'],
        proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', 'smtp:alice@corp.mail.example', 'SIP:alice@corp.example', `X500:${LEGACY_DN}`],
        displayName: ['Alice Smith'],
        givenName: ['Alice'],
        sn: ['Smith'],
        department: ['Finance'],
        telephoneNumber: ['+49 30 1234'],
        ...PERSON_EMPTY,
      },
    });
  });

  test("'ad': no extra class, no login attribute", () => {
    const { attributes } = mapEntry(alice(), 'ad');
    expect(attributes.objectClass).toBeUndefined();
    expect(attributes.uid).toBeUndefined();
    expect(attributes.mail).toEqual(['alice@corp.example']);
    expect(attributes.proxyAddresses).toContain(`X500:${LEGACY_DN}`);
  });

  test("'kopano': kopanoAliases are the secondary SMTP addresses", () => {
    const { attributes } = mapEntry(alice(), 'kopano');
    expect(attributes.objectClass).toEqual(['kopano-user']);
    expect(attributes.mail).toEqual(['alice@corp.example']);
    expect(attributes.kopanoAliases).toEqual(['a.smith@corp.example', 'alice@corp.mail.example']);
    expect(attributes.proxyAddresses).toBeUndefined();
  });

  test('custom attribute map: only the mapped fields are managed', () => {
    const r = mapEntry(alice(), { mail: 'mail', aliases: 'mailAlternateAddress', displayName: 'cn', objectClasses: ['inetLocalMailRecipient'] });
    expect(r.attributes).toEqual({
      objectClass: ['inetLocalMailRecipient'],
      mail: ['alice@corp.example'],
      mailAlternateAddress: ['a.smith@corp.example', 'alice@corp.mail.example'],
      cn: ['Alice Smith'],
    });
  });

  test('an X500 for the legacyExchangeDN already present is not duplicated nor reported', () => {
    const r = mapEntry(alice({ proxyAddresses: ['SMTP:alice@corp.example', `x500:${LEGACY_DN.toUpperCase()}`] }), 'ums');
    expect(r.issues).toEqual([]);
    expect(r.attributes.proxyAddresses).toEqual(['SMTP:alice@corp.example', `x500:${LEGACY_DN.toUpperCase()}`]);
  });

  test('no primary SMTP address: mail is used and both facts are reported', () => {
    const r = mapEntry(alice({ proxyAddresses: ['smtp:alice@corp.example', 'smtp:a.smith@corp.example'], legacyExchangeDN: undefined }), 'ums');
    expect(r.primarySmtp).toBe('alice@corp.example');
    expect(r.attributes.proxyAddresses).toEqual(['SMTP:alice@corp.example', 'smtp:a.smith@corp.example']);
    expect(r.issues).toEqual([
      { address: '', problem: 'no primary SMTP address' },
      { address: 'SMTP:alice@corp.example', problem: 'mail used as the primary SMTP address' },
    ]);
  });

  test('no primary SMTP address and no mail: mail stays empty', () => {
    const r = mapEntry(alice({ mail: undefined, proxyAddresses: ['smtp:alice@corp.example'] }), 'ums');
    expect(r.primarySmtp).toBeUndefined();
    expect(r.attributes.mail).toEqual([]);
  });

  test('mail differing from the primary is reported', () => {
    const r = mapEntry(alice({ mail: 'old@corp.example' }), 'ums');
    expect(r.attributes.mail).toEqual(['alice@corp.example']);
    expect(r.issues).toEqual([{ address: 'old@corp.example', problem: 'mail differs from the primary SMTP address alice@corp.example; the primary is used' }]);
  });

  test('a bad legacyExchangeDN is reported', () => {
    expect(mapEntry(alice({ legacyExchangeDN: 'CN=alice,DC=corp' }), 'ums').issues).toEqual([
      { address: 'CN=alice,DC=corp', problem: 'legacyExchangeDN does not start with "/"; no X500 address added' },
    ]);
  });
});

describe('diffEntry', () => {
  const desired = mapEntry(alice(), 'ums').attributes;
  const asCurrent = (attrs: Record<string, string[]>): Record<string, string[]> =>
    Object.fromEntries(Object.entries(attrs).filter(([, v]) => v.length > 0));

  test('new entry: every non-empty attribute is added', () => {
    const d = diffEntry(null, { objectClass: ['ruPostMailAccount'], mail: ['a@corp.example'], title: [] }, { allowMailChange: false });
    expect(d).toEqual({
      changes: [
        { op: 'add', attribute: 'objectClass', values: ['ruPostMailAccount'] },
        { op: 'add', attribute: 'mail', values: ['a@corp.example'] },
      ],
      refused: [],
    });
  });

  test('idempotent: an entry that is already right yields nothing, whatever the case of names and addresses', () => {
    const current = {
      ...asCurrent(desired),
      objectclass: ['top', 'inetOrgPerson', 'RUPOSTMAILACCOUNT'],
      MAIL: ['Alice@Corp.Example'],
      proxyaddresses: ['SIP:alice@corp.example', 'smtp:A.Smith@corp.example', 'SMTP:ALICE@corp.example', 'smtp:alice@corp.mail.example', `X500:${LEGACY_DN}`],
    };
    delete (current as Record<string, unknown>).objectClass;
    delete (current as Record<string, unknown>).mail;
    delete (current as Record<string, unknown>).proxyAddresses;
    expect(diffEntry(current, desired, { allowMailChange: false })).toEqual({ changes: [], refused: [] });
  });

  test('add, replace, delete; objectClass only ever added', () => {
    const current = {
      objectClass: ['top', 'inetOrgPerson'],
      uid: ['alice'],
      mail: ['alice@corp.example'],
      proxyAddresses: ['SMTP:alice@corp.example'],
      displayName: ['Alice S.'],
      mobile: ['+49 170 1'],
      description: ['not managed'],
    };
    const d = diffEntry(current, desired, { allowMailChange: false });
    expect(d.refused).toEqual([]);
    expect(d.changes).toEqual([
      { op: 'add', attribute: 'objectClass', values: ['ruPostMailAccount'] },
      { op: 'replace', attribute: 'proxyAddresses', values: desired.proxyAddresses },
      { op: 'replace', attribute: 'displayName', values: ['Alice Smith'] },
      { op: 'add', attribute: 'givenName', values: ['Alice'] },
      { op: 'add', attribute: 'sn', values: ['Smith'] },
      { op: 'add', attribute: 'department', values: ['Finance'] },
      { op: 'add', attribute: 'telephoneNumber', values: ['+49 30 1234'] },
      { op: 'delete', attribute: 'mobile', values: [] },
    ]);
  });

  test('a swapped primary is a change even though the addresses are the same', () => {
    const d = diffEntry(
      { proxyAddresses: ['smtp:alice@corp.example', 'SMTP:a.smith@corp.example'] },
      { proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example'] },
      { allowMailChange: false },
    );
    expect(d.changes).toEqual([{ op: 'replace', attribute: 'proxyAddresses', values: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example'] }]);
  });

  test('mail of an existing entry is not changed unless allowed', () => {
    const current = { mail: ['old@corp.example'] };
    expect(diffEntry(current, { mail: ['alice@corp.example'] }, { allowMailChange: false })).toEqual({
      changes: [],
      refused: [{ attribute: 'mail', reason: MAIL_CHANGE_REFUSED }],
    });
    expect(diffEntry(current, { mail: [] }, { allowMailChange: false }).refused).toEqual([{ attribute: 'mail', reason: 'changing mail breaks the existing UMS mailbox' }]);
    expect(diffEntry(current, { mail: ['alice@corp.example'] }, { allowMailChange: true }).changes).toEqual([
      { op: 'replace', attribute: 'mail', values: ['alice@corp.example'] },
    ]);
    // Setting mail where there was none is not a change of the mailbox key.
    expect(diffEntry({ uid: ['alice'] }, { mail: ['alice@corp.example'] }, { allowMailChange: false }).changes).toEqual([
      { op: 'add', attribute: 'mail', values: ['alice@corp.example'] },
    ]);
  });

  test('a custom mail attribute and address attributes', () => {
    const opts = { allowMailChange: false, mailAttribute: 'mailPrimaryAddress', addressAttributes: ['mailPrimaryAddress', 'mailAlternativeAddress'] };
    expect(diffEntry({ mailPrimaryAddress: ['A@corp.example'], mailAlternativeAddress: ['B@corp.example'] }, { mailPrimaryAddress: ['a@corp.example'], mailAlternativeAddress: ['b@corp.example'] }, opts)).toEqual({
      changes: [],
      refused: [],
    });
    expect(diffEntry({ mailPrimaryAddress: ['x@corp.example'] }, { mailPrimaryAddress: ['a@corp.example'] }, opts).refused).toHaveLength(1);
  });

  test('duplicate desired values are written once; other attributes compare exactly', () => {
    expect(diffEntry({ displayName: ['alice'] }, { displayName: ['Alice', 'Alice'] }, { allowMailChange: false }).changes).toEqual([
      { op: 'replace', attribute: 'displayName', values: ['Alice'] },
    ]);
  });

  test('the changes as LDIF', () => {
    const current = { objectClass: ['inetOrgPerson'], mail: ['alice@corp.example'], displayName: ['Alice S.'], mobile: ['1'] };
    const d = diffEntry(current, { objectClass: ['ruPostMailAccount'], mail: ['alice@corp.example'], displayName: ['Älice Smith'], mobile: [] }, { allowMailChange: false });
    expect(toLdif('uid=alice,cn=users,cn=accounts,dc=corp,dc=example', d.changes)).toBe(
      [
        'dn: uid=alice,cn=users,cn=accounts,dc=corp,dc=example',
        'changetype: modify',
        'add: objectClass',
        'objectClass: ruPostMailAccount',
        '-',
        'replace: displayName',
        'displayName:: w4RsaWNlIFNtaXRo',
        '-',
        'delete: mobile',
        '-',
        '',
      ].join('\n'),
    );
    expect(toLdifAdd('uid=alice,dc=corp,dc=example', { mail: ['alice@corp.example'], objectClass: ['top', 'ruPostMailAccount'], title: [] })).toBe(
      'dn: uid=alice,dc=corp,dc=example\nchangetype: add\nobjectClass: top\nobjectClass: ruPostMailAccount\nmail: alice@corp.example\n',
    );
  });
});

describe('findAddressConflicts', () => {
  test('every address claimed by two owners, naming both', () => {
    const conflicts = findAddressConflicts([
      { key: 'k1', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:info@corp.example', 'smtp:info@corp.example'], legacyExchangeDN: '/o=Corp/cn=alice' },
      { key: 'k2', proxyAddresses: ['SMTP:bob@corp.example', 'smtp:INFO@Corp.Example', 'X500:/o=corp/cn=ALICE'] },
      { key: 'k3', proxyAddresses: ['SMTP:carol@bücher.example', 'smtp:info@corp.example'] },
      { key: 'k4', mail: 'Carol@xn--bcher-kva.example', proxyAddresses: ['malformed'] },
    ]);
    expect(conflicts).toEqual([
      { address: 'X500:/o=Corp/cn=alice', owners: ['k1', 'k2'] },
      { address: 'carol@xn--bcher-kva.example', owners: ['k3', 'k4'] },
      { address: 'info@corp.example', owners: ['k1', 'k2', 'k3'] },
    ]);
  });

  test('no conflicts', () => {
    expect(findAddressConflicts([alice(), { key: 'k2', proxyAddresses: ['SMTP:bob@corp.example'] }])).toEqual([]);
  });
});

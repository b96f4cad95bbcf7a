import { encodeImceaex } from '../directory/imceaex.js';
import { findUser, legacyDnTable, routingModel, type AddressBook } from './from-directory.js';

const settings = { domains: ['corp.example', 'corp.test'], routingSubdomain: 'ums.corp.example', exchangeHost: '[ex]:25', umsTransport: 'local:' };
const DN = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';
const OLD_DN = '/o=OldCorp/ou=First Administrative Group/cn=Recipients/cn=asmith';

const book: AddressBook = {
  users: [
    { key: 'g1', login: 'alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.test', `X500:${OLD_DN}`, 'SIP:alice@corp.example'], legacyExchangeDN: DN },
    { key: 'g2', login: 'bob', proxyAddresses: ['smtp:bob@corp.example', 'SMTP:Robert@corp.example', 'bogus', 'smtp:bad address@corp.example'] },
    { key: 'g3', login: 'carol', mail: 'carol@corp.example', proxyAddresses: [], legacyExchangeDN: 'not-a-dn' },
    { key: 'g4', login: 'dave', proxyAddresses: [] },
  ],
  groups: [{ key: 'grp', mail: 'team@corp.example', proxyAddresses: ['smtp:team@corp.test'], members: ['alice', 'Bob@corp.example', 'ghost', 'dave', ' '] }],
};

describe('routingModel', () => {
  const { model, issues } = routingModel(settings, book, new Set(['g1', 'missing-key']));

  test('users: SMTP addresses with mail, primary, cutover flag and IMCEAEX forms of legacyExchangeDN and X500 addresses in every domain', () => {
    expect(model.users[0]).toEqual({
      key: 'g1', login: 'alice', addresses: ['alice@corp.example', 'a.smith@corp.test'], primary: 'alice@corp.example', cutOver: true,
      imceaex: [encodeImceaex(DN, 'corp.example'), encodeImceaex(DN, 'corp.test'), encodeImceaex(OLD_DN, 'corp.example'), encodeImceaex(OLD_DN, 'corp.test')],
    });
    expect(model.users[1]).toEqual({ key: 'g2', login: 'bob', addresses: ['bob@corp.example', 'Robert@corp.example'], primary: 'Robert@corp.example', cutOver: false });
    expect(model.users[3]).toEqual({ key: 'g4', login: 'dave', addresses: [], primary: '', cutOver: false });
    expect(model).toMatchObject(settings);
  });

  test('groups: one route per SMTP address, logins resolved to primaries', () => {
    expect(model.groups).toEqual([
      { address: 'team@corp.example', members: ['alice@corp.example', 'Bob@corp.example'] },
      { address: 'team@corp.test', members: ['alice@corp.example', 'Bob@corp.example'] },
    ]);
  });

  test('problems are reported per entry, naming it', () => {
    expect(issues).toEqual([
      'user bob (g2): bogus: malformed proxy address: no colon',
      'user bob (g2): smtp:bad address@corp.example: invalid SMTP address: the local part contains whitespace or control characters',
      'user carol (g3): "not-a-dn" is not a legacyExchangeDN (must start with "/"); no IMCEAEX address for it',
      'cut-over user missing-key is not in the address book: not routed',
      'group team@corp.example (grp): member "ghost" is neither an address nor the login of a user with a primary address; dropped',
      'group team@corp.example (grp): member "dave" is neither an address nor the login of a user with a primary address; dropped',
    ]);
  });
});

describe('legacyDnTable (EX addresses of Exchange items → SMTP)', () => {
  test('the current legacyExchangeDN and earlier X500 ones map to the primary address, any case; entries without a DN or primary are left out', () => {
    const t = legacyDnTable(book);
    expect(t.get(DN.toLowerCase())).toBe('alice@corp.example');
    expect(t.get(OLD_DN.toLowerCase())).toBe('alice@corp.example');
    expect([...t.values()].every((v) => v === 'alice@corp.example')).toBe(true);
    expect(t.size).toBe(2);
  });
});

describe('findUser', () => {
  test.each([
    ['g2', 'bob'],
    ['ALICE', 'alice'],
    ['A.Smith@Corp.Test', 'alice'],
    ['robert@corp.example', 'bob'],
    ['carol@corp.example', 'carol'],
  ])('%s → %s', (ref, login) => {
    const r = findUser(book, ref);
    expect('user' in r && r.user.login).toBe(login);
  });

  test('unknown and ambiguous names are errors naming them', () => {
    expect(findUser(book, 'zoe')).toEqual({ error: '"zoe": no user with this key, login or address in the address book' });
    const twice: AddressBook = { users: [{ key: 'a', login: 'x', mail: 'same@corp.example', proxyAddresses: [] }, { key: 'b', login: 'y', proxyAddresses: ['smtp:same@corp.example'] }], groups: [] };
    expect(findUser(twice, 'SAME@corp.example')).toEqual({ error: '"SAME@corp.example": ambiguous, matches x (a) and y (b)' });
  });
});

describe('routingModel: what the directory address book adds', () => {
  const PARTNER_DN = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=partner';
  const dirBook: AddressBook = {
    users: [
      { key: 'r1', login: 'Room 1', mail: 'room1@corp.example', proxyAddresses: ['SMTP:room1@corp.example'], mailboxType: 'room', hasUmsAccount: false },
      { key: 'u1', login: 'erin', mail: 'erin@corp.example', proxyAddresses: [], mailboxType: 'user', hasUmsAccount: false },
      { key: 'u2', login: 'fred', mail: 'fred@corp.example', proxyAddresses: [], mailboxType: 'user', hasUmsAccount: true },
    ],
    groups: [],
    contacts: [
      { key: 'c1', name: 'Partner', mail: 'partner@other.example', proxyAddresses: ['SMTP:partner@other.example', 'smtp:partner@corp.test'], legacyExchangeDN: PARTNER_DN },
      { key: 'c2', name: 'Outsider', mail: 'someone@elsewhere.example', proxyAddresses: [] },
    ],
  };
  const { model, issues } = routingModel(settings, dirBook, new Set(['u1', 'u2']));

  test('a room whose login has a space is routed like any user on Exchange', () => {
    expect(model.users[0]).toEqual({ key: 'r1', login: 'Room 1', addresses: ['room1@corp.example'], primary: 'room1@corp.example', cutOver: false });
  });

  test('a contact with an alias in a coexistence domain: that alias and its IMCEAEX forms, never cut over; a purely external contact is left out', () => {
    expect(model.users.slice(3)).toEqual([{
      key: 'c1', login: 'Partner', addresses: ['partner@corp.test'], primary: 'partner@corp.test', cutOver: false,
      imceaex: [encodeImceaex(PARTNER_DN, 'corp.example'), encodeImceaex(PARTNER_DN, 'corp.test')],
    }]);
  });

  test('a cut-over user without a UMS account is reported, one with an account is not', () => {
    expect(issues).toEqual([
      'user erin (u1): cut over, but the directory sync has no UMS account for it (not synced, refused or deprovisioned): its mail will bounce on the UMS; `cutover --undo` it or fix its directory sync',
    ]);
  });
});

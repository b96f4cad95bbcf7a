import type { DirectoryObject } from '../directory/directory-object.js';
import { discoverMailboxes, type DiscoverInput, type DiscoverRules } from './mailboxes.js';
import { diffUserMap, renderUserMap, userMapRows } from './user-map.js';

const RULES: DiscoverRules = {
  sourceLogin: 'login', loginRule: { case: 'keep', spaces: 'refuse' }, includeDisabled: false, recipientTypeAttribute: 'msExchRecipientTypeDetails',
};

function user(login: string, over: { mail?: string; proxies?: string[]; rawType?: string; type?: 'user' | 'shared' | 'room' | 'equipment' | 'other'; disabled?: boolean; extra?: Record<string, string> } = {}): DiscoverInput {
  const object: DirectoryObject = {
    kind: 'user', dn: `CN=${login},OU=Staff,DC=corp,DC=example`,
    entry: { key: `guid-${login}`, login, proxyAddresses: over.proxies ?? [], ...(over.mail !== undefined ? { mail: over.mail } : {}) },
    account: { disabled: over.disabled ?? false, type: over.type ?? 'user', ...(over.rawType !== undefined ? { rawType: over.rawType } : {}) },
  };
  return { object, extra: new Map(Object.entries(over.extra ?? {}).map(([k, v]) => [k.toLowerCase(), v])) };
}

describe('discoverMailboxes', () => {
  const directory = [
    user('alice', { mail: 'alice@corp.example', rawType: '1', extra: { extensionAttribute1: 'wave1' } }),
    user('shared', { mail: 'info@corp.example', rawType: '4', type: 'shared', disabled: true }),
    user('Room 1', { mail: 'room1@corp.example', rawType: '16', type: 'room', disabled: true }),
    user('beamer', { proxies: ['SMTP:beamer@corp.example'], rawType: '32', type: 'equipment', disabled: true }),
    user('leaver', { mail: 'leaver@corp.example', rawType: '1', disabled: true }),
    user('mailuser', { mail: 'ext@other.example', rawType: '128', type: 'other' }),
    user('svc', {}),
    user('plain', { mail: 'plain@corp.example' }),
  ];

  test('mailboxes with their type; everything else left out with the reason; a login the user map cannot hold is a problem naming what to do', () => {
    const d = discoverMailboxes(directory, { ...RULES, waveAttribute: 'extensionAttribute1' });
    expect(d.mailboxes.map((m) => [m.source, m.target, m.type, m.disabled, m.wave ?? null])).toEqual([
      ['alice', 'alice', 'user', false, 'wave1'],
      ['beamer', 'beamer', 'equipment', true, null],
      ['shared', 'shared', 'shared', true, null],
    ]);
    expect(d.leftOut).toEqual([
      { name: 'leaver', source: 'leaver', reason: 'disabled account (a leaver): not listed (discover.includeDisabled lists them)' },
      { name: 'mailuser', source: 'mailuser', reason: 'msExchRecipientTypeDetails 128 is not a mailbox (mail user, contact or group recipient)' },
      { name: 'svc', source: 'svc', reason: 'no mail address: not a mailbox' },
      { name: 'plain', source: 'plain', reason: 'no msExchRecipientTypeDetails: not a mailbox (a user with only a mail address)' },
    ]);
    expect(d.problems).toEqual([{ name: 'Room 1', source: 'Room 1', reason: 'source login "Room 1" contains spaces or control characters, which the user map cannot hold; set discover.sourceLogin to mail (the primary address room1@corp.example)' }]);
  });

  test('source by primary address, UMS login by the login rule; leavers listed on request', () => {
    const d = discoverMailboxes(directory, { ...RULES, sourceLogin: 'mail', loginRule: { case: 'lower', spaces: '.' }, includeDisabled: true });
    expect(d.mailboxes.map((m) => `${m.source}→${m.target}`)).toEqual([
      'alice@corp.example→alice', 'beamer@corp.example→beamer', 'info@corp.example→shared', 'leaver@corp.example→leaver', 'room1@corp.example→room.1',
    ]);
    expect(d.problems).toEqual([]);
  });

  test('the UMS login rule refusing a space is explained with the option that fixes it', () => {
    const d = discoverMailboxes(directory, { ...RULES, sourceLogin: 'mail' });
    expect(d.problems).toEqual([{ name: 'Room 1', source: 'room1@corp.example', reason: expect.stringMatching(/^UMS login: login "Room 1" contains characters not allowed .*set directory\.loginRule\.spaces to "\." or "-" \(it would become "Room\.1"\).*; not listed$/) }]);
  });

  test('a directory without recipient types (no Exchange schema): users with a mail address are mailboxes; mailboxAttribute narrows', () => {
    const plain = [user('a', { mail: 'a@x.example' }), user('b', { mail: 'b@x.example', extra: { homeMDB: 'CN=DB1' } }), user('c', {})];
    expect(discoverMailboxes(plain, RULES).mailboxes.map((m) => m.source)).toEqual(['a', 'b']);
    const d = discoverMailboxes(plain, { ...RULES, mailboxAttribute: 'homeMDB' });
    expect(d.mailboxes.map((m) => m.source)).toEqual(['b']);
    expect(d.leftOut.map((l) => l.reason)).toEqual(['no homeMDB: not a mailbox', 'no mail address: not a mailbox']);
  });

  test('two mailboxes for one source or UMS login, and formula-like values, are problems', () => {
    const d = discoverMailboxes([
      user('x1', { mail: 'same@corp.example', rawType: '1' }), user('x2', { mail: 'same@corp.example', rawType: '1' }),
      user('-calc', { mail: 'calc@corp.example', rawType: '1' }),
    ], { ...RULES, sourceLogin: 'mail' });
    expect(d.mailboxes).toEqual([]);
    expect(d.problems.map((p) => p.name)).toEqual(['-calc', 'x1', 'x2']);
    expect(d.problems[0]!.reason).toBe('"-calc" starts with a spreadsheet formula character (= + - @); add this mailbox to the user map by hand');
  });
});

describe('user map and diff', () => {
  const found = discoverMailboxes([
    user('alice', { mail: 'alice@corp.example', rawType: '1', extra: { dept: 'w2' } }),
    user('bob', { mail: 'bob@corp.example', rawType: '1' }),
    user('carol', { mail: 'carol@corp.example', rawType: '4', type: 'shared', disabled: true }),
    user('leaver', { mail: 'leaver@corp.example', rawType: '1', disabled: true }),
  ], { ...RULES, waveAttribute: 'dept' });
  const current = [
    { source: 'Alice', target: 'alice', wave: 'w1', targetPassword: 'env:PW_ALICE', origin: 'users.csv:2' },
    { source: 'bob', target: 'robert', origin: 'users.csv:3' },
    { source: 'leaver', target: 'leaver', wave: 'w1', origin: 'mailboxes[0]' },
    { source: 'ghost', target: 'ghost', origin: 'users.csv:4' },
  ];

  test('added, removed (with the directory\'s reason), changed; the wave from the directory when configured', () => {
    const diff = diffUserMap(found, current, true);
    expect(diff.added.map((m) => m.source)).toEqual(['carol']);
    expect(diff.removed.map((r) => [r.source, r.reason])).toEqual([
      ['leaver', 'disabled account (a leaver): not listed (discover.includeDisabled lists them)'],
      ['ghost', 'not found in the directory selection (deleted, moved, or not a user)'],
    ]);
    expect(diff.changed).toEqual([{ source: 'Alice', changes: ['wave w1 → w2'] }, { source: 'bob', changes: ['UMS login robert → bob'] }]);
    // Without waveAttribute the wave is the PM's: never a change.
    expect(diffUserMap(found, current, false).changed).toEqual([{ source: 'bob', changes: ['UMS login robert → bob'] }]);
  });

  test('rows keep the config\'s wave (unless the directory gives it) and password references; CSV with the columns the config needs', () => {
    const kept = userMapRows(found.mailboxes, current, false);
    expect(kept.map((r) => [r.source, r.wave, r.targetPassword])).toEqual([['alice', 'w1', 'env:PW_ALICE'], ['bob', '', ''], ['carol', '', '']]);
    const fromDir = userMapRows(found.mailboxes, current, true);
    expect(fromDir.map((r) => r.wave)).toEqual(['w2', '', '']);
    expect(renderUserMap(fromDir, { source: false, target: false })).toBe(
      'source,target,wave,mailboxType,targetPassword\r\nalice,alice,w2,user,env:PW_ALICE\r\nbob,bob,,user,\r\ncarol,carol,,shared,\r\n',
    );
    expect(renderUserMap([{ source: 'a,b', target: ' t', wave: 'say "x"', mailboxType: 'room', sourcePassword: '', targetPassword: '' }], { source: true, target: false }))
      .toBe('source,target,wave,mailboxType,sourcePassword\r\n"a,b"," t","say ""x""",room,\r\n');
  });
});

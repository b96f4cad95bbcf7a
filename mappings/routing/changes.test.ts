import { exchangeChanges, expectedLookups, explainCheck, lookupKeys, mapsDiff, publishGuards, summariseDiff } from './changes.js';
import { forwardedUsers } from './exchange-plan.js';
import { generateMaps, routeFor, type RoutingModel } from './postfix-maps.js';

const LMTP = 'lmtp:unix:private/courier';
const RELAY = 'relay:[exchange.corp.example]:25';

const model = (cutOver: string[]): RoutingModel => ({
  domains: ['corp.example'],
  routingSubdomain: 'ums.corp.example',
  exchangeHost: '[exchange.corp.example]:25',
  umsTransport: LMTP,
  users: [
    { key: 'k-alice', login: 'alice', addresses: ['alice@corp.example', 'a.smith@corp.example'], primary: 'alice@corp.example', cutOver: cutOver.includes('alice') },
    { key: 'k-bob', login: 'bob', addresses: ['bob@corp.example'], primary: 'bob@corp.example', cutOver: cutOver.includes('bob') },
  ],
  groups: [{ address: 'team@corp.example', members: ['alice@corp.example', 'bob@corp.example'] }],
});

describe('mapsDiff and summariseDiff', () => {
  test('cutting alice over: her addresses change transport, gain virtual entries, and her UMS mailbox appears', () => {
    const diff = mapsDiff(generateMaps(model([])), generateMaps(model(['alice'])));
    expect(diff.transport).toEqual({
      added: [],
      removed: [],
      changed: [
        { key: 'a.smith@corp.example', from: RELAY, to: LMTP },
        { key: 'alice@corp.example', from: RELAY, to: LMTP },
      ],
    });
    expect(diff.relayRecipients).toEqual({ added: [{ key: 'alice@ums.corp.example', value: 'OK' }], removed: [], changed: [] });
    expect(diff.virtualAliases).toEqual({
      added: [
        { key: 'a.smith@corp.example', value: 'alice@ums.corp.example' },
        { key: 'alice@corp.example', value: 'alice@ums.corp.example' },
      ],
      removed: [],
      changed: [{ key: 'team@corp.example', from: 'alice@corp.example, bob@corp.example', to: 'alice@ums.corp.example, bob@corp.example' }],
    });
    expect(summariseDiff(diff)).toBe('transport +0 -0 ~2, relay_recipients +1 -0 ~0, virtual +2 -0 ~1');
  });

  test('the reverse change is the mirror image; the same maps are no change', () => {
    const a = generateMaps(model([]));
    const b = generateMaps(model(['alice']));
    const back = mapsDiff(b, a);
    expect(back.relayRecipients).toEqual({ added: [], removed: [{ key: 'alice@ums.corp.example', value: 'OK' }], changed: [] });
    expect(back.transport.changed.map((c) => [c.key, c.from, c.to])).toEqual([
      ['a.smith@corp.example', LMTP, RELAY],
      ['alice@corp.example', LMTP, RELAY],
    ]);
    expect(summariseDiff(mapsDiff(a, a))).toBe('no change');
  });

  test('nothing published before: every entry is added', () => {
    const maps = generateMaps(model([]));
    const diff = mapsDiff(undefined, maps);
    expect(diff.transport.added.map((e) => e.key)).toEqual(['a.smith@corp.example', 'alice@corp.example', 'bob@corp.example', 'corp.example', 'ums.corp.example']);
    expect(diff.transport.removed).toEqual([]);
  });
});

describe('exchangeChanges', () => {
  test('forwarding set for users newly cut over and removed for users back on Exchange', () => {
    const changes = exchangeChanges(forwardedUsers(model(['bob'])), forwardedUsers(model(['alice'])));
    expect(changes.forward.map((u) => u.login)).toEqual(['alice']);
    expect(changes.unforward.map((u) => u.login)).toEqual(['bob']);
    expect(changes.powershell).toBe([
      '# ums-migrate: Exchange-side changes of this routing change (review, then run in the Exchange Management Shell).',
      "Set-Mailbox -Identity 'bob@corp.example' -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false",
      "Set-Mailbox -Identity 'alice@corp.example' -ForwardingAddress $null -ForwardingSmtpAddress 'alice@ums.corp.example' -DeliverToMailboxAndForward $false",
      '',
    ].join('\n'));
  });

  test('unchanged users need nothing; a changed target address is forwarded again', () => {
    const same = forwardedUsers(model(['alice']));
    expect(exchangeChanges(same, same)).toMatchObject({ forward: [], unforward: [] });
    expect(exchangeChanges(same, same).powershell).toContain('# nothing to change');
    const moved = same.map((u) => ({ ...u, targetAddress: 'alice@ums2.corp.example' }));
    expect(exchangeChanges(same, moved).forward).toEqual(moved);
  });
});

describe('routing check explanation', () => {
  test('lookupKeys: comparison form of the address and its domain', () => {
    expect(lookupKeys(' Alice@Bücher.Example ')).toEqual({ address: 'alice@xn--bcher-kva.example', domain: 'xn--bcher-kva.example' });
    expect(lookupKeys('no-at-sign')).toEqual({ address: 'no-at-sign' });
  });

  test('expectedLookups: transport falls back to the domain entry like Postfix does', () => {
    const maps = generateMaps(model(['alice']));
    expect(expectedLookups(maps, 'A.Smith@corp.example')).toEqual({ transport: LMTP, relayRecipients: 'OK', virtualAliases: 'alice@ums.corp.example' });
    expect(expectedLookups(maps, 'nobody@corp.example')).toEqual({ transport: RELAY });
  });

  test('published maps that agree: no mismatch', () => {
    const m = model(['alice']);
    const expected = expectedLookups(generateMaps(m), 'alice@corp.example');
    const ex = explainCheck('alice@corp.example', routeFor(m, 'alice@corp.example'), expected, { ...expected }, 'v000002');
    expect(ex.mismatches).toEqual([]);
    expect(ex.text).toBe([
      `alice@corp.example → ums (${LMTP})`,
      '  why: user alice (k-alice), cut over: aliased to alice@ums.corp.example',
      `  maps from the current state: transport=${LMTP} relay_recipients=OK virtual=alice@ums.corp.example`,
      `  published maps (v000002): transport=${LMTP} relay_recipients=OK virtual=alice@ums.corp.example`,
      '',
    ].join('\n'));
  });

  test('a cutover not yet published is named, map by map', () => {
    const before = model([]);
    const now = model(['alice']);
    const published = expectedLookups(generateMaps(before), 'alice@corp.example');
    const ex = explainCheck('alice@corp.example', routeFor(now, 'alice@corp.example'), expectedLookups(generateMaps(now), 'alice@corp.example'), published, 'v000001');
    expect(ex.mismatches).toEqual([
      `transport: published ${RELAY}, current state ${LMTP}`,
      'virtual: published (none), current state alice@ums.corp.example',
    ]);
    expect(ex.text).toContain('NOT PUBLISHED YET');
  });

  test('an address the published maps refuse, and nothing published at all', () => {
    const m = model([]);
    const refused = explainCheck('nobody@corp.example', routeFor(m, 'nobody@corp.example'), { transport: RELAY }, { transport: RELAY });
    expect(refused.route.system).toBe('reject');
    expect(refused.text).toContain('the published maps refuse it at RCPT TO (not in relay_recipients)');
    expect(refused.mismatches).toEqual([]);
    const unpublished = explainCheck('bob@corp.example', routeFor(m, 'bob@corp.example'), { transport: RELAY, relayRecipients: 'OK' }, undefined);
    expect(unpublished.text).toContain('published maps: none published yet');
    expect(unpublished.mismatches).toEqual([]);
  });
});

describe('publishGuards', () => {
  const base = generateMaps(model([]));
  test('a clean address book and an ordinary change: no guard', () => {
    expect(publishGuards(mapsDiff(base, generateMaps(model(['alice']))), 4, [])).toEqual([]);
    expect(publishGuards(mapsDiff(undefined, base), 0, [])).toEqual([]);
  });

  test('address book problems and a mass removal of recipients need --force', () => {
    const empty = generateMaps({ ...model([]), users: [], groups: [] });
    expect(publishGuards(mapsDiff(base, empty), 4, ['book.csv:3: user without a login; row left out'])).toEqual([
      'the address book has 1 problem(s); rows left out would lose their addresses',
      '4 of 4 published recipients would be removed',
    ]);
    const withoutBob = generateMaps({ ...model([]), users: model([]).users.slice(0, 1) });
    expect(publishGuards(mapsDiff(base, withoutBob), 4, [])).toEqual([]);
  });
});

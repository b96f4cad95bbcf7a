/**
 * One login rule for `discover` and the directory sync (directory.loginRule): the user map
 * discover writes and the accounts the sync writes never disagree on a UMS login.
 */
import type { DirectoryObject } from '../../connectors/ldap-source/entry.js';
import { discoverMailboxes } from '../../mappings/discover/mailboxes.js';
import type { SourceEntry } from '../../mappings/directory/entry-mapping.js';
import { loginProblem, resolveUmsLogin, type LoginRule } from '../../mappings/directory/login-rule.js';
import { planDirectorySync, type PlanOptions } from './plan.js';

const opts: PlanOptions = {
  profile: 'ums', base: 'ou=people,dc=ums,dc=example', entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: [],
  allowMailChange: false, domainRules: [], loginMap: new Map(),
};
const asmith: SourceEntry = { key: 'g-1', login: 'ASmith', mail: 'Alice.Smith@corp.example', proxyAddresses: ['SMTP:Alice.Smith@corp.example', 'smtp:as@corp.example'], sn: 'Smith' };
const object: DirectoryObject = { kind: 'user', dn: 'CN=ASmith,OU=Staff,DC=corp,DC=example', entry: asmith, account: { disabled: false, type: 'user', rawType: '1' } };

/** The UMS login discover puts in the user map, and the one the directory sync writes, for the same rule and user map. */
function bothWays(rule: Partial<LoginRule>, userMap: ReadonlyMap<string, string> = new Map()): { discover: string | undefined; sync: string | undefined } {
  const d = discoverMailboxes([{ object, extra: new Map() }], { sourceLogin: 'mail', loginRule: rule, includeDisabled: false, recipientTypeAttribute: 'msExchRecipientTypeDetails' });
  const written = planDirectorySync([asmith], [], [], { ...opts, loginRule: rule, loginMap: userMap }).writes[0];
  return { discover: d.mailboxes[0]?.target, sync: written?.kind === 'add' ? written.attributes.uid?.[0] : undefined };
}

test.each<[Partial<LoginRule>, string]>([
  [{}, 'ASmith'],
  [{ case: 'lower' }, 'asmith'],
  [{ from: 'mailLocalPart', case: 'lower' }, 'alice.smith'],
  [{ from: 'mail' }, 'Alice.Smith@corp.example'],
])('rule %j: discover and the directory sync make the same UMS login (%s)', (rule, login) => {
  expect(bothWays(rule)).toEqual({ discover: login, sync: login });
});

test('a user map keyed by the primary address (discover.sourceLogin: mail) is what the directory sync writes too', () => {
  // The row discover wrote, then edited by the PM: source is the address, not sAMAccountName.
  expect(bothWays({ case: 'lower' }, new Map([['alice.smith@corp.example', 'alice']])).sync).toBe('alice');
  expect(bothWays({}, new Map([['asmith', 'smitha']])).sync).toBe('smitha');
  expect(resolveUmsLogin({ login: 'ASmith', primary: 'Alice.Smith@corp.example' }, new Map([['alice.smith@corp.example', 'a b']]))).toEqual({
    login: 'a b', fromUserMap: true, problem: expect.stringContaining('the user map (mailboxes) maps "Alice.Smith@corp.example" to it: fix that row'),
  });
});

test('without a primary address, a rule built on it names the problem', () => {
  expect(resolveUmsLogin({ login: 'svc' }, new Map(), { from: 'mailLocalPart' })).toEqual({ login: '', fromUserMap: false, problem: expect.stringMatching(/no primary address .*directory\.loginRule\.from: mailLocalPart/) });
});

test('bidi overrides and zero-width characters are refused in a UMS login, as control characters are', () => {
  expect(loginProblem('ali\u202ece')).toMatch(/format characters/);
  expect(loginProblem('ali\u200bce')).toMatch(/format characters/);
  expect(loginProblem('ali\u009bce')).toMatch(/control/);
  expect(loginProblem('алиса')).toBeUndefined();
});

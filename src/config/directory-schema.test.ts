import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, validateConfigText } from './load.js';

const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
const env = { OLD_IMAP_MASTER_PW: 'master', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b' };

describe('directory: section', () => {
  test('the example parses with its defaults', async () => {
    const { config } = await loadConfig(example, { env });
    expect(config.directory).toEqual({
      source: {
        url: 'ldaps://dc1.corp.example', bindDn: 'svc-migration@corp.example', bindPassword: 'env:AD_BIND_PASSWORD',
        tlsVerify: true, startTls: false, allowInsecure: false, pageSize: 500, base: 'OU=Staff,DC=corp,DC=example', kind: 'auto',
        recipientTypeAttribute: 'msExchRecipientTypeDetails',
      },
      target: {
        url: 'ldaps://ldap.ums.example', bindDn: 'uid=migration,cn=sysaccounts,cn=etc,dc=ums,dc=example', bindPassword: 'env:UMS_LDAP_PASSWORD',
        tlsVerify: true, startTls: false, allowInsecure: false, pageSize: 500, base: 'cn=users,cn=accounts,dc=ums,dc=example',
        profile: 'ums', entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: [], allowMailChange: false, concurrency: 8,
      },
      domainRewrite: [{ from: 'old.example', to: 'ums.example' }],
      loginRule: { from: 'login', case: 'keep', spaces: 'refuse' },
      mailboxTypes: { shared: 'sync', room: 'sync', equipment: 'sync' },
      deprovision: { policy: 'ignore', graceDays: 30, disable: { attribute: 'nsAccountLock', value: 'TRUE' }, minSourceRatio: 0.5 },
    });
  });

  test('login rule, deprovisioning, mailbox types, contacts and GAL contacts; a GAL base shared with the accounts is refused', () => {
    const text = readFileSync(example, 'utf8').replace('  domainRewrite:\n', [
      '  loginRule: { case: lower, spaces: "." }',
      '  mailboxTypes: { equipment: skip }',
      '  deprovision: { policy: disable, graceDays: 7, disable: { attribute: employeeType, value: disabled } }',
      '  coexistence: { galContacts: { base: "cn=users,cn=accounts,dc=ums,dc=example" } }',
      '  domainRewrite:\n',
    ].join('\n'));
    const env2 = { ...env, AD_BIND_PASSWORD: 'x', UMS_LDAP_PASSWORD: 'y' };
    const r = validateConfigText(text, { file: example, env: env2 });
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^directory\.coexistence\.galContacts\.base: must differ from directory\.target\.base/),
    ]);
    const ok = validateConfigText(text.replace('coexistence: { galContacts: { base: "cn=users', 'coexistence: { galContacts: { base: "cn=exchange'), { file: example, env: env2 });
    expect(ok.issues).toEqual([]);
    expect(ok.config?.directory).toMatchObject({
      loginRule: { case: 'lower', spaces: '.' }, mailboxTypes: { shared: 'sync', room: 'sync', equipment: 'skip' },
      deprovision: { policy: 'disable', graceDays: 7, disable: { attribute: 'employeeType', value: 'disabled' }, minSourceRatio: 0.5 },
      coexistence: { galContacts: { base: 'cn=exchange,cn=accounts,dc=ums,dc=example', objectClasses: ['inetOrgPerson'] } },
    });
    expect(validateConfigText(text.replace('policy: disable, graceDays: 7', 'policy: purge, graceDays: 7'), { file: example, env: env2 }).issues.map((i) => i.path)).toContain('directory.deprovision.policy');
  });

  test('one login rule: directory.loginRule.from; discover.targetLogin is refused with where it went', () => {
    const env2 = { ...env, AD_BIND_PASSWORD: 'x', UMS_LDAP_PASSWORD: 'y' };
    const withRule = readFileSync(example, 'utf8').replace('  domainRewrite:\n', '  loginRule: { from: mailLocalPart, case: lower }\n  domainRewrite:\n');
    const ok = validateConfigText(withRule, { file: example, env: env2 });
    expect(ok.issues).toEqual([]);
    expect(ok.config?.directory?.loginRule).toEqual({ from: 'mailLocalPart', case: 'lower', spaces: 'refuse' });
    const moved = validateConfigText(`${withRule}\ndiscover: { targetLogin: mailLocalPart }\n`, { file: example, env: env2 });
    expect(moved.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'discover.targetLogin: discover.targetLogin is now directory.loginRule.from (one rule for discover and the directory sync): write "loginRule: { from: mailLocalPart }" under directory:',
    ]);
  });

  test('plaintext LDAP without the opt-in, a literal password and a bad custom map are errors with their lines', () => {
    const text = readFileSync(example, 'utf8')
      .replace('url: ldaps://ldap.ums.example', 'url: ldap://ldap.ums.example')
      .replace('bindPassword: env:AD_BIND_PASSWORD', 'bindPassword: hunter2')
      .replace('    profile: ums\n', '    profile: { mail: "bad attr" }\n');
    const r = validateConfigText(text, { file: example, env });
    const messages = r.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/^directory\.target\.url: .*ldap:\/\/ldap\.ums\.example without startTls sends the bind password in plaintext/),
      expect.stringMatching(/^directory\.source\.bindPassword: /),
      expect.stringMatching(/^directory\.target\.profile/),
    ]));
    expect(messages.join('\n')).not.toContain('hunter2');
    expect(r.issues.every((i) => i.line !== undefined)).toBe(true);
  });
});

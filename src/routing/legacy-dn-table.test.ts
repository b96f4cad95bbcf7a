/**
 * An EWS run's legacyExchangeDN → SMTP table comes from the routing address book as configured:
 * with `routing.addressBook: directory`, the directory sync's state (current legacyExchangeDN and
 * X500 proxies), as with a CSV book. Through commandContext, the way `run`/`sync` build the source.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EwsSource } from '../../connectors/ews/source.js';
import { commandContext } from '../commands/context.js';
import { directoryCheckpointName, emptyDirectoryState, saveDirectoryState } from '../directory/state.js';
import { SqliteStateStore } from '../state/sqlite.js';

const DN = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice';
const OLD_DN = '/o=OldCorp/ou=First Administrative Group/cn=Recipients/cn=asmith';
const source = { url: 'ldaps://dc.corp.example', base: 'ou=people,dc=corp,dc=example' };
const target = { url: 'ldaps://ldap.ums.example', base: 'ou=people,dc=ums,dc=example' };
let dir: string;

function writeConfig(addressBook: string): string {
  const file = path.join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1',
    'state: { path: ./state.sqlite }',
    'source: { type: ews, url: "https://mail.corp.example/EWS/Exchange.asmx", auth: { mode: master, masterUser: svc, masterPassword: env:S } }',
    'target: { host: imap.ums.example }',
    'groupwareTarget: { url: "https://dav.ums.example/" }',
    'mailboxes: [{ source: alice@corp.example, target: alice, targetPassword: env:S }]',
    'routing: { domains: [corp.example], routingSubdomain: ums.corp.example, exchangeHost: "[exchange.corp.example]:25", ' + `addressBook: ${addressBook} }`,
    'directory:',
    `  source: { url: "${source.url}", bindDn: "cn=x", bindPassword: env:S, base: "${source.base}", kind: ad }`,
    `  target: { url: "${target.url}", bindDn: "cn=y", bindPassword: env:S, base: "${target.base}" }`,
    '',
  ].join('\n'));
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ums-dn-table-'));
  process.env.S = 'secret';
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function tableOf(config: string): Promise<EwsSource['addressBook']> {
  const ctx = await commandContext({ config, logLevel: 'silent' });
  return (ctx.sources as EwsSource).addressBook;
}

test('addressBook: directory — EX DNs resolve from the directory sync\'s state, X500 proxies too', async () => {
  const store = new SqliteStateStore(path.join(dir, 'state.sqlite'));
  await store.migrate();
  const state = emptyDirectoryState();
  state.users.g1 = {
    dn: 'CN=alice,ou=people,dc=corp,dc=example', login: 'alice', umsLogin: 'alice', umsDn: 'uid=alice,ou=people,dc=ums,dc=example',
    mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', `X500:${OLD_DN}`], legacyExchangeDN: DN, disabled: false, type: 'user',
  };
  await saveDirectoryState(store, directoryCheckpointName({ source, target }), state);
  await store.close();
  const book = await tableOf(writeConfig('directory'));
  expect([book.get(DN.toUpperCase()), book.get(OLD_DN)]).toEqual(['alice@corp.example', 'alice@corp.example']);
});

test('addressBook: directory before the first directory sync — no table (ResolveNames only), not a failed run', async () => {
  const book = await tableOf(writeConfig('directory'));
  expect(book.get(DN)).toBeUndefined();
});

test('a CSV address book still gives the table', async () => {
  writeFileSync(path.join(dir, 'book.csv'), `type,key,login,mail,proxyAddresses,legacyExchangeDN,members\nuser,g1,alice,alice@corp.example,,${DN},\n`);
  const book = await tableOf(writeConfig(`{ file: ${path.join(dir, 'book.csv')} }`));
  expect(book.get(DN)).toBe('alice@corp.example');
});

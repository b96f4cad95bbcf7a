/**
 * The routing address book from the directory sync's state (`routing.addressBook: directory`),
 * end to end on the lab's real servers: Samba AD (an OU of this test) → `directory sync` →
 * slapd, then `routing publish` into a real Postfix (127.0.0.1:12525) with two SMTP sinks for the
 * UMS and Exchange. No CSV anywhere.
 *
 * The organisation: alice (aliases, an X500 from an earlier organisation, legacyExchangeDN), bob,
 * a room whose login has a space (refused by the directory sync, its mail still on Exchange), a
 * disabled leaver, a shared mailbox, a mail contact with an alias in the shared domain, and a
 * group of alice, bob and the room.
 *
 * 1. Every address reaches Exchange; the room's addresses are accepted (it was dropped from the
 *    address book before, and publish refused every later change until --force).
 * 2. alice cut over: all her addresses (IMCEAEX too) reach the UMS.
 * 3. In AD: a new alias for alice, bob renamed (new primary, the old address kept), a new user.
 *    `directory sync` + `routing publish` — no address book edited — and every address of the
 *    new state lands right.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change, type Client } from 'ldapts';
import { encodeImceaex } from '../../mappings/directory/imceaex.js';
import { LAB_RECIPIENT_TYPE_ATTRIBUTE, LEGACY_ORG, seedAd, userDn } from '../lab/ad-seed.js';
import { labDir } from '../lab/lab.js';
import { postfixConfigDir, startPostfix, stopPostfix } from '../lab/postfix.js';
import { adClient, freshOu, startAd, type AdLab } from '../lab/samba-ad.js';
import { freshUmsOu, slapdClient, startSlapd, UMS_SUFFIX, type SlapdLab } from '../lab/slapd.js';
import { runCli } from '../support/cli.js';
import { SmtpSinks, type Expect } from '../support/smtp-sinks.js';

const UMS_PORT = 12546;
const EXCHANGE_PORT = 12547;
const TAG = Math.random().toString(36).slice(2, 6);
const L = (n: string) => `${n}${TAG}`;
const ROOM = `Room 1${TAG}`;
const DN_ALICE = `${LEGACY_ORG}/cn=alice`;
const DN_ALICE_OLD = '/o=OldCorp/ou=First Administrative Group/cn=Recipients/cn=asmith';
const imcea = (dn: string) => encodeImceaex(dn, 'corp.example');

const work = path.join(labDir(), 'routing-directory-e2e');
const mapDir = path.join(work, 'maps');
const configFile = path.join(work, 'migration.yaml');
const sinks = new SmtpSinks();
let ad: AdLab;
let slapd: SlapdLab;
let adc: Client;
let ums: Client;
let adOu: string;

async function cli(args: string[], expectCode: number): Promise<string> {
  const r = await runCli([...args, '-c', configFile], { UMS_OPERATOR: 'admin-dir' });
  if (r.code !== expectCode) throw new Error(`ums-migrate ${args.join(' ')} exited ${r.code}, expected ${expectCode}\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

async function expectRouting(step: string, cases: Expect[]): Promise<void> {
  const r = await sinks.phase(step, cases);
  expect({ step, ...r.got }).toEqual({ step, ...r.expected });
}

const ex = (...a: string[]) => a.map((x) => `exchange:${x.toLowerCase()}`);
const onUms = (login: string) => [`ums:${login.toLowerCase()}@ums.corp.example`];

beforeAll(async () => {
  [ad, slapd] = await Promise.all([startAd(), startSlapd()]);
  adc = await adClient(ad);
  ums = await slapdClient(slapd);
  adOu = await freshOu(adc, 'rdir');
  const umsOu = await freshUmsOu(ums, 'rdir');
  await seedAd(adc, adOu, {
    users: [
      { login: L('alice'), mail: 'alice@corp.example', recipientType: '1', legacyExchangeDN: DN_ALICE, proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', `X500:${DN_ALICE_OLD}`], sn: 'Smith' },
      { login: L('bob'), mail: 'bob@corp.example', recipientType: '1', proxyAddresses: ['SMTP:bob@corp.example'], sn: 'Builder' },
      { login: ROOM, mail: 'room1@corp.example', recipientType: '16', disabled: true, proxyAddresses: ['SMTP:room1@corp.example', 'smtp:boardroom@corp.example'], sn: 'Room' },
      { login: L('leaver'), mail: 'leaver@corp.example', recipientType: '1', disabled: true, proxyAddresses: ['SMTP:leaver@corp.example'], sn: 'Gone' },
      { login: L('shared'), mail: 'info@corp.example', recipientType: '4', disabled: true, proxyAddresses: ['SMTP:info@corp.example'], sn: 'Info' },
    ],
    contacts: [{ name: L('partner'), mail: 'partner@other.example', proxyAddresses: ['SMTP:partner@other.example', 'smtp:partner@corp.example'] }],
    groups: [{ name: L('team'), distribution: true, mail: 'team@corp.example', proxyAddresses: ['SMTP:team@corp.example'], members: [L('alice'), L('bob'), ROOM] }],
  });

  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755); // Postfix's daemons (user postfix) read the maps below it
  writeFileSync(path.join(work, 'ad-pw'), ad.password, { mode: 0o600 });
  writeFileSync(path.join(work, 'ums-pw'), slapd.password, { mode: 0o600 });
  writeFileSync(configFile, [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'logging: { file: ./ums.log }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    `mailboxes: [{ source: ${L('alice')}, sourcePassword: env:UNUSED, targetPassword: env:UNUSED }]`,
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    `  exchangeHost: "[127.0.0.1]:${EXCHANGE_PORT}"`,
    `  umsTransport: "smtp:[127.0.0.1]:${UMS_PORT}"`,
    '  mapDir: ./maps',
    `  postfixConfigDir: ${postfixConfigDir()}`,
    '  addressBook: directory',
    'directory:',
    '  source:',
    `    url: ${ad.url}`,
    `    bindDn: ${ad.bindDn}`,
    '    bindPassword: file:./ad-pw',
    `    caFile: ${ad.caFile}`,
    `    base: "${adOu}"`,
    `    recipientTypeAttribute: ${LAB_RECIPIENT_TYPE_ATTRIBUTE}`,
    '  target:',
    `    url: ${slapd.url}`,
    `    bindDn: ${slapd.bindDn(UMS_SUFFIX)}`,
    '    bindPassword: file:./ums-pw',
    `    caFile: ${slapd.caFile}`,
    `    base: "${umsOu}"`,
    '    extraObjectClasses: [umsLabGalPerson]',
    '',
  ].join('\n'));
  await sinks.start('ums', UMS_PORT);
  await sinks.start('exchange', EXCHANGE_PORT);
  await startPostfix(mapDir, ['corp.example', 'ums.corp.example']);
}, 300_000);

afterAll(async () => {
  await stopPostfix().catch(() => undefined);
  await sinks.close();
  await adc?.unbind();
  await ums?.unbind();
});

test('the directory sync\'s state is the address book: before and after a cutover, and after changes in AD, every address lands right', async () => {
  // Before the first directory sync there is no state: said, not an empty address book.
  expect(await cli(['routing', 'generate'], 1)).toContain('the directory sync has not run');

  // The room's login has a space: the directory sync refuses it (exit 3), but it stays in the state.
  expect(await cli(['directory', 'sync'], 3)).toContain(ROOM);
  const first = await cli(['routing', 'publish'], 0);
  expect(first).toMatch(/^published v000001 \(previous: none\)/);
  expect(first).not.toContain('left out');

  const allOnExchange: Expect[] = [
    { to: 'alice@corp.example', sinks: ex('alice@corp.example') },
    { to: 'A.Smith@Corp.Example', sinks: ex('a.smith@corp.example') },
    { to: imcea(DN_ALICE), sinks: ex(imcea(DN_ALICE)) },
    { to: imcea(DN_ALICE_OLD), sinks: ex(imcea(DN_ALICE_OLD)) },
    { to: 'bob@corp.example', sinks: ex('bob@corp.example') },
    { to: 'room1@corp.example', sinks: ex('room1@corp.example') },
    { to: 'boardroom@corp.example', sinks: ex('boardroom@corp.example') },
    { to: 'leaver@corp.example', sinks: ex('leaver@corp.example') },
    { to: 'info@corp.example', sinks: ex('info@corp.example') },
    { to: 'partner@corp.example', sinks: ex('partner@corp.example') },
    { to: 'team@corp.example', sinks: ex('alice@corp.example', 'bob@corp.example', 'room1@corp.example') },
    { to: 'nobody@corp.example', reject: 550 },
  ];
  await expectRouting('before', allOnExchange);

  // alice cut over (her mailbox was never migrated here: forced past the gate).
  await cli(['cutover', '--user', 'a.smith@corp.example', '--force'], 0);
  expect(await cli(['routing', 'publish'], 0)).toMatch(/^published v000002/);
  const aliceOnUms: Expect[] = [
    ...['alice@corp.example', 'A.Smith@Corp.Example', imcea(DN_ALICE), imcea(DN_ALICE_OLD)].map((to) => ({ to, sinks: onUms(L('alice')) })),
    ...allOnExchange.slice(4, 10),
    { to: 'team@corp.example', sinks: [...onUms(L('alice')), ...ex('bob@corp.example', 'room1@corp.example')] },
    { to: 'nobody@corp.example', reject: 550 },
  ];
  await expectRouting('alice-cut-over', aliceOnUms);

  // Changes in AD only: a new alias, a renamed user, a new user. Then the usual two commands.
  await adc.modify(userDn(L('alice'), adOu), new Change({ operation: 'add', modification: new Attribute({ type: 'proxyAddresses', values: ['smtp:alice.new@corp.example'] }) }));
  await adc.modify(userDn(L('bob'), adOu), [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: ['bob.builder@corp.example'] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'proxyAddresses', values: ['SMTP:bob.builder@corp.example', 'smtp:bob@corp.example'] }) }),
  ]);
  await seedAd(adc, adOu, { users: [{ login: L('erin'), mail: 'erin@corp.example', recipientType: '1', proxyAddresses: ['SMTP:erin@corp.example'], sn: 'E' }] });
  await cli(['directory', 'sync'], 3); // the room is still refused
  expect(await cli(['routing', 'publish'], 0)).toMatch(/^published v000003/);
  await expectRouting('after-ad-changes', [
    ...aliceOnUms.slice(0, 4),
    { to: 'alice.new@corp.example', sinks: onUms(L('alice')) },
    { to: 'bob.builder@corp.example', sinks: ex('bob.builder@corp.example') },
    { to: 'bob@corp.example', sinks: ex('bob@corp.example') },
    { to: 'erin@corp.example', sinks: ex('erin@corp.example') },
    ...allOnExchange.slice(5, 10),
    { to: 'team@corp.example', sinks: [...onUms(L('alice')), ...ex('bob.builder@corp.example', 'room1@corp.example')] },
    { to: 'nobody@corp.example', reject: 550 },
  ]);
});

/**
 * A two-wave cutover against the lab's real servers: Samba AD → `directory sync` → slapd for the
 * accounts and addresses (the routing address book is the directory sync's state:
 * `routing.addressBook: directory`, no CSV), `discover` for the user map and its waves (an AD
 * attribute), Dovecot → Courier for the mail, a real Postfix (127.0.0.1:12525) with two SMTP
 * sinks standing for the UMS (12526) and Exchange (12527).
 *
 * wave1: alice (complete) and bob (over quota on the UMS: failed items); wave2: carol (complete)
 * and dave (no UMS account: every pass fails at the UMS login). After every step each address of
 * every user (primary, alias, IMCEAEX of the legacyExchangeDN and of an X500 proxy address, the
 * group) is sent through Postfix and must reach exactly the system holding the mailbox:
 *
 * 1. `cutover --wave wave1 --final-sync`: alice moves, bob stays on Exchange with his reason.
 * 2. `approve --mailbox bob`, the wave again: bob moves.
 * 3. wave2 killed (SIGKILL) right after recording carol as cut over, before publishing: the maps
 *    are unchanged, routing consistent. Resumed after the gate's delta limit passed: carol fails
 *    the re-check before the publish and is put back. Run again, killed right after the publish:
 *    carol's mail goes to the UMS; a message reaching her Exchange mailbox now is copied by the
 *    resumed wave's second delta; dave stays on Exchange.
 * 4. `cutover --wave wave2 --rollback`: the maps are byte for byte those from before wave2.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { Client } from 'ldapts';
import { encodeImceaex } from '../../mappings/directory/imceaex.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { LAB_RECIPIENT_TYPE_ATTRIBUTE, seedAd } from '../lab/ad-seed.js';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, labDir, startLab, targetMaildir, type Lab } from '../lab/lab.js';
import { adClient, freshOu, startAd } from '../lab/samba-ad.js';
import { freshUmsOu, slapdClient, startSlapd, UMS_SUFFIX } from '../lab/slapd.js';
import { maillog, postfixConfigDir, startPostfix, stopPostfix } from '../lab/postfix.js';
import { runCli, spawnCli } from '../support/cli.js';
import { SmtpSinks, type Expect } from '../support/smtp-sinks.js';

const UMS_PORT = 12526;
const EXCHANGE_PORT = 12527;
const PASSWORD = 'pw-waves-1';
const NAMES = ['alice', 'bob', 'carol', 'dave'] as const;
type Name = (typeof NAMES)[number];

const work = path.join(labDir(), 'cutover-waves-e2e');
const mapDir = path.join(work, 'maps');
const configFile = path.join(work, 'migration.yaml');
const strictConfig = path.join(work, 'migration-strict.yaml');
const env = { UMS_OPERATOR: 'pm-waves' };
const sinks = new SmtpSinks();
const login = {} as Record<Name, string>;
const dn = (n: Name) => `/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${n}`;
/** An X500 proxy address kept from an earlier Exchange organisation (old Outlook entries reply to it). */
const oldDn = (n: Name) => `/o=OldCorp/ou=First Administrative Group/cn=Recipients/cn=${n}.old`;
let lab: Lab;
let adc: Client | undefined;
let ums: Client | undefined;

async function cli(args: string[], expectCode: number, config = configFile): Promise<{ stdout: string; stderr: string }> {
  const r = await runCli([...args, '-c', config], env);
  if (r.code !== expectCode) throw new Error(`ums-migrate ${args.join(' ')} exited ${r.code}, expected ${expectCode}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Every address of every user and the group, each expected where its user's mailbox is. */
function routing(onUms: readonly Name[]): Expect[] {
  const where = (n: Name, address: string) => (onUms.includes(n) ? `ums:${login[n]}@ums.corp.example` : `exchange:${address.toLowerCase()}`);
  const cases: Expect[] = NAMES.flatMap((n) => [
    { to: `${n}@corp.example`, sinks: [where(n, `${n}@corp.example`)] },
    { to: `${n}.alias@Corp.Example`, sinks: [where(n, `${n}.alias@corp.example`)] },
    { to: encodeImceaex(dn(n), 'corp.example'), sinks: [where(n, encodeImceaex(dn(n), 'corp.example'))] },
    { to: encodeImceaex(oldDn(n), 'corp.example'), sinks: [where(n, encodeImceaex(oldDn(n), 'corp.example'))] },
  ]);
  cases.push({ to: 'team@corp.example', sinks: NAMES.map((n) => where(n, `${n}@corp.example`)) });
  for (const n of NAMES) cases.push(onUms.includes(n) ? { to: `${login[n]}@ums.corp.example`, sinks: [where(n, '')] } : { to: `${login[n]}@ums.corp.example`, reject: 550 });
  cases.push({ to: 'nobody@corp.example', reject: 550 });
  return cases;
}

async function expectRouting(step: string, onUms: readonly Name[]): Promise<void> {
  const r = await sinks.phase(step, routing(onUms));
  expect({ step, ...r.got }).toEqual({ step, ...r.expected });
}

/** A message delivered to a user's Exchange (source) INBOX, as mail arriving during the switch. */
async function appendToSource(user: string, messageId: string): Promise<void> {
  const client = new ImapFlow({
    host: lab.source.host, port: lab.source.tlsPort, secure: true, auth: { user, pass: PASSWORD },
    tls: { ca: [readFileSync(lab.source.caFile)] }, logger: false, disableAutoIdle: true,
  });
  await client.connect();
  try {
    await client.append('INBOX', `From: partner@other.example\r\nTo: ${user}@corp.example\r\nSubject: during the switch\r\nMessage-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\n\r\nArrived at Exchange while the maps were switched.\r\n`);
  } finally {
    await client.logout();
  }
}

/** Message-IDs of every message in a user's UMS (Courier) INBOX, read from its Maildir. */
function messageIdsOnUms(user: string): string[] {
  const dir = targetMaildir(user);
  return ['cur', 'new'].flatMap((d) => readdirSync(path.join(dir, d)).map((f) => /^Message-ID: *(\S+)/im.exec(readFileSync(path.join(dir, d, f), 'latin1'))?.[1] ?? ''));
}

/** The published maps and Exchange plan, byte for byte. */
function publishedFiles(): Record<string, string> {
  const dir = path.join(mapDir, 'current');
  return Object.fromEntries(readdirSync(dir).filter((f) => f !== 'manifest.json' && !f.endsWith('.db')).sort().map((f) => [f, readFileSync(path.join(dir, f), 'latin1')]));
}

async function audit() {
  const store = new SqliteStateStore(path.join(work, 'state', 'state.sqlite'));
  try {
    return await store.routingAudit();
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  const [mailLab, ad, slapd] = await Promise.all([startLab(), startAd(), startSlapd()]);
  lab = mailLab;
  adc = await adClient(ad);
  ums = await slapdClient(slapd);
  const adOu = await freshOu(adc, 'waves');
  const umsOu = await freshUmsOu(ums, 'waves');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755); // Postfix's daemons (user postfix) read the maps below it
  // sAMAccountName is unique domain-wide and the lab AD outlives a run: short random logins (Courier: lowercase).
  const tag = randomBytes(3).toString('hex');
  for (const n of NAMES) login[n] = `cw${n}${tag}`;
  await seedAd(adc, adOu, {
    users: NAMES.map((n) => ({
      login: login[n], mail: `${n}@corp.example`, recipientType: '1', sn: n, legacyExchangeDN: dn(n),
      proxyAddresses: [`SMTP:${n}@corp.example`, `smtp:${n}.alias@corp.example`, `X500:${oldDn(n)}`],
      department: n === 'alice' || n === 'bob' ? 'wave1' : 'wave2', // the wave, as the PM keeps it in AD
    })),
    groups: [{ name: `cwteam${tag}`, distribution: true, mail: 'team@corp.example', proxyAddresses: ['SMTP:team@corp.example'], members: NAMES.map((n) => login[n]) }],
  });
  for (const [i, n] of NAMES.entries()) {
    await addSourceUser(login[n], PASSWORD);
    if (n !== 'dave') await addTargetUser(login[n], PASSWORD); // dave: no UMS mailbox
    await seedSource(lab, login[n], PASSWORD, generateCorpus({ messages: 12, maxSize: 48 * 1024, seed: 150 + i, folders: ['INBOX', 'Sent'] }));
  }
  // bob's UMS mailbox takes about 20 KiB: most of his messages are refused with Courier's words.
  execFileSync('runuser', ['-u', 'umslab', '--', 'maildirmake', '-q', '20000S', targetMaildir(login.bob)]);
  writeFileSync(path.join(work, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(path.join(work, 'ad-pw'), ad.password, { mode: 0o600 });
  writeFileSync(path.join(work, 'ums-pw'), slapd.password, { mode: 0o600 });
  // The user map before discovery: the mailboxes and their passwords, no waves yet.
  writeFileSync(path.join(work, 'users.csv'), ['source,target,sourcePassword,targetPassword', ...NAMES.map((n) => `${login[n]},,file:./pw,file:./pw`), ''].join('\n'));
  const config = (extra: string[]) => [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'logging: { level: info, file: ./run.log }',
    `source: { type: imap, host: ${lab.source.host}, port: ${lab.source.tlsPort}, caFile: ${lab.source.caFile} }`,
    `target: { type: ums-imap, host: ${lab.target.host}, port: ${lab.target.tlsPort}, caFile: ${lab.target.caFile} }`,
    'userMap: ./users.csv',
    'retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 200 }',
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
    'discover: { waveAttribute: department }',
    ...extra,
    '',
  ].join('\n');
  writeFileSync(configFile, config([]));
  // The same project after a long pause: the delta limit (0.36 s) has always passed.
  writeFileSync(strictConfig, config(['cutover: { maxDeltaAgeHours: 0.0001 }']));

  // The PM's preparation: the waves from AD into the user map (passwords kept), the accounts into the UMS directory.
  expect((await cli(['discover', '--out', path.join(work, 'users.csv')], 0)).stdout).toContain('compared with the config: 0 added, 0 removed, 4 changed, 0 unchanged');
  expect(readFileSync(path.join(work, 'users.csv'), 'utf8').split('\r\n')).toEqual([
    'source,target,wave,mailboxType,sourcePassword,targetPassword',
    ...NAMES.map((n) => `${login[n]},${login[n]},${n === 'alice' || n === 'bob' ? 'wave1' : 'wave2'},user,file:./pw,file:./pw`),
    '',
  ]);
  await cli(['directory', 'sync'], 0);
  await cli(['run'], 3); // bob: items over quota; dave: refused by the UMS
  await sinks.start('ums', UMS_PORT);
  await sinks.start('exchange', EXCHANGE_PORT);
  await startPostfix(mapDir, ['corp.example', 'ums.corp.example']);
  expect((await cli(['routing', 'publish'], 0)).stdout).toMatch(/^published v000001 \(previous: none\)/);
}, 300_000);

afterAll(async () => {
  await stopPostfix().catch(() => undefined);
  await sinks.close();
  await adc?.unbind();
  await ums?.unbind();
});

test('two waves: the incomplete mailboxes stay on Exchange with their reasons; a crash before the publish leaves routing consistent; the rollback restores the maps byte for byte', async () => {
  await expectRouting('before', []);

  // 1. wave1: alice passes the gate; bob's failed items have no approval.
  const w1 = await cli(['cutover', '--wave', 'wave1', '--final-sync'], 3);
  expect(w1.stdout).toContain(`wave wave1 (run 1) done: cut over ${login.alice}\n`);
  expect(w1.stdout).toMatch(/published v000002 \(previous: v000001\).*postfix: reloaded/);
  expect(w1.stderr).toMatch(new RegExp(`left on Exchange: ${login.bob}: \\d+ failed item\\(s\\) of ${login.bob} without an approval`));
  await expectRouting('wave1', ['alice']);

  // 2. The PM accepts bob's failures; the wave runs again for the members still on Exchange.
  await cli(['approve', '--mailbox', login.bob, '--reason', 'large attachments over the UMS quota, archived by the owner'], 0);
  const w1b = await cli(['cutover', '--wave', 'wave1', '--final-sync'], 0);
  expect(w1b.stdout).toContain(`wave wave1 (run 2) done: cut over ${login.bob}; already cut over: ${login.alice}\n`);
  await expectRouting('wave1-approved', ['alice', 'bob']);
  const beforeWave2 = publishedFiles();
  expect(readFileSync(path.join(mapDir, 'current', 'exchange-plan.csv'), 'utf8')).toContain(`${login.bob},bob@corp.example,${login.bob}@ums.corp.example`);

  // 3. wave2 dies right after carol was recorded as cut over, before the publish.
  const crashed = await spawnCli(['cutover', '--wave', 'wave2', '--final-sync', '-c', configFile], { ...env, UMS_CUTOVER_CRASH_AFTER: 'flipped' }).done;
  expect({ signal: crashed.signal, stderr: crashed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
  expect((await cli(['routing', 'check', 'carol@corp.example'], 0)).stdout).toContain('NOT PUBLISHED YET');
  expect(publishedFiles()).toEqual(beforeWave2);
  await expectRouting('wave2-crashed', ['alice', 'bob']);

  // Resumed once the final delta is too old: carol fails the re-check and is put back before the publish.
  const resumed = await cli(['cutover', '--wave', 'wave2', '--final-sync'], 3, strictConfig);
  expect(resumed.stdout).toContain('wave wave2 (run 1): resuming after step "flipped"');
  expect(resumed.stdout).toContain(`no longer passing the gate, back on Exchange before publishing: ${login.carol}`);
  expect(resumed.stdout).toContain('nothing of this wave to publish (maps stay v000003)');
  expect(resumed.stderr).toMatch(new RegExp(`left on Exchange: ${login.carol}: the last pass of ${login.carol} started .* more than cutover\\.maxDeltaAgeHours \\(0\\.0001 h\\)`));
  expect(publishedFiles()).toEqual(beforeWave2);
  await expectRouting('wave2-resumed-late', ['alice', 'bob']);

  // Run again: a fresh final delta, carol moves; killed right after the publish, before the second delta.
  const published = await spawnCli(['cutover', '--wave', 'wave2', '--final-sync', '-c', configFile], { ...env, UMS_CUTOVER_CRASH_AFTER: 'published' }).done;
  expect(published.signal).toBe('SIGKILL');
  expect(published.stdout).toMatch(/published v000004 \(previous: v000003\)/);
  await expectRouting('wave2-published', ['alice', 'bob', 'carol']);
  // Mail that reached Exchange after the final delta, during the switch: the resumed wave's second delta copies it.
  const lateId = `<late-${login.carol}@corp.example>`;
  await appendToSource(login.carol, lateId);
  const w2 = await cli(['cutover', '--wave', 'wave2', '--final-sync'], 3);
  expect(w2.stdout).toContain('wave wave2 (run 2): resuming after step "published"');
  expect(w2.stdout).toContain('second delta of 1 mailbox(es)');
  expect(w2.stderr).toMatch(new RegExp(`left on Exchange: ${login.dave}: mailbox ${login.dave} was never migrated \\(the last attempt, \\S+, failed: target login as ${login.dave} .*authentication failed`));
  expect(messageIdsOnUms(login.carol)).toContain(lateId);
  await expectRouting('wave2', ['alice', 'bob', 'carol']);

  // 4. Rollback of wave2: the maps from before it, byte for byte, and carol back on Exchange.
  const back = await cli(['cutover', '--wave', 'wave2', '--rollback'], 0);
  expect(back.stdout).toContain('wave wave2 rolled back: maps v000004 → v000003 (the version from before the wave)\npostfix: reloaded');
  expect(back.stdout).toContain(`back on Exchange: ${login.carol}\n`);
  expect(back.stdout).toContain("Set-Mailbox -Identity 'carol@corp.example' -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false");
  expect(publishedFiles()).toEqual(beforeWave2);
  await expectRouting('wave2-rolled-back', ['alice', 'bob']);
  expect((await cli(['routing', 'check', 'carol@corp.example'], 0)).stdout).not.toContain('NOT PUBLISHED');

  const log = maillog();
  expect(log).not.toMatch(/status=bounced|loops back to myself|mail forwarding loop/);
}, 600_000);

test('every step of every wave is in the audit log, with the held users and their reasons', async () => {
  const entries = await audit();
  const wave2 = entries.filter((e) => e.batch === 'wave:wave2').map((e) => [e.action, (e.detail as { step?: string }).step ?? '', e.users.length, e.refused.map((r) => r.name)]);
  expect(wave2).toEqual([
    ['wave', 'started', 2, []],
    ['wave', 'final-sync', 2, []],
    ['wave', 'gated', 1, [login.dave]],
    ['cutover', '', 1, [login.dave]],
    // killed here; resumed with the stricter limit
    ['undo', 'regate', 1, [login.carol]],
    ['wave', 'done', 0, [login.dave, login.carol]],
    ['wave', 'started', 2, []],
    ['wave', 'final-sync', 2, []],
    ['wave', 'gated', 1, [login.dave]],
    ['cutover', '', 1, [login.dave]],
    ['publish', '', 1, []],
    // killed here; resumed
    ['wave', 'second-delta', 1, []],
    ['wave', 'done', 1, [login.dave]],
    ['undo', 'rollback', 1, []],
    ['rollback', '', 1, []],
  ]);
  const approve = entries.find((e) => e.action === 'approve');
  expect(approve).toMatchObject({ who: 'pm-waves', users: [login.bob], detail: { reason: 'large attachments over the UMS quota, archived by the owner' } });
  const st = await runCli(['status', '-c', configFile], env);
  expect(st.stdout).toMatch(new RegExp(`\\n${login.bob}\\s+\\d+(\\.\\d)?%\\s+\\d+/12 .* approved #\\d+ .* by pm-waves: large attachments`));
});

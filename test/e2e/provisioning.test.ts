/**
 * Provisioning end to end, in the order a real project follows: the directory first, then the mail.
 *
 *   Samba AD (users with proxyAddresses, legacyExchangeDN)
 *     → `ums-migrate directory sync` creates them in the UMS directory (slapd, dc=ums,dc=example)
 *     → the admin sets their UMS password (`ldappasswd`: the directory sync copies no passwords)
 *       and the UMS provisions their Maildir (`provisionMaildir`)
 *     → Courier-IMAP, authenticating against that slapd (authldap), logs them in over IMAPS
 *     → `ums-migrate run` copies a Dovecot mailbox into each directory-created account, exactly once.
 *
 * Needs the Courier/Dovecot lab, the slapd lab and the Samba AD lab (all on loopback, same lab dir).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { Client } from 'ldapts';
import { LEGACY_ORG, seedAd, type AdSeedUser } from '../lab/ad-seed.js';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, enableLdapAuth, labDir, provisionMaildir, startLab, targetMaildir, uniqueLogin, type Lab } from '../lab/lab.js';
import { adClient, freshOu, startAd, type AdLab } from '../lab/samba-ad.js';
import { freshUmsOu, slapdClient, startSlapd, UMS_SUFFIX, type SlapdLab } from '../lab/slapd.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce, snapshotMailbox, total } from '../support/mailbox-snapshot.js';

const run = promisify(execFile);
const password = 'pw-provisioning-1';

let lab: Lab;
let ad: AdLab;
let slapd: SlapdLab;
let adc: Client;
let ums: Client;
let umsOu: string;
let work: string;
let config: string;

// sAMAccountName (the UMS login) is at most 20 characters: uniqueLogin gives 2 + 16.
const people = ['an', 'bo'].map((p) => ({ login: uniqueLogin(p), source: uniqueLogin(`s${p}`) }));
const adUsers: AdSeedUser[] = people.map(({ login }, i) => ({
  login, mail: `${login}@corp.example`, displayName: `Person ${i + 1}`, sn: `P${i + 1}`,
  proxyAddresses: [`SMTP:${login}@corp.example`, `smtp:${login}.alias@corp.example`, `smtp:${login}@old.corp.example`],
  legacyExchangeDN: `${LEGACY_ORG}/cn=${login}`,
}));

/** IMAPS login to the Courier lab: 'ok', or how it was refused (wrong credentials vs. anything else). */
async function courierLogin(login: string, pass: string): Promise<'ok' | 'authentication failed' | `refused: ${string}`> {
  const client = new ImapFlow({
    host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') },
    auth: { user: login, pass }, logger: false, disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.mailboxOpen('INBOX', { readOnly: true });
    await client.logout();
    return 'ok';
  } catch (err) {
    client.close();
    const e = err as { authenticationFailed?: boolean; message?: string };
    return e.authenticationFailed === true ? 'authentication failed' : `refused: ${e.message ?? String(err)}`;
  }
}

/** What an admin does after the directory sync: `ldappasswd` (RFC 3062; slapd stores {SSHA}). */
async function setUmsPassword(dn: string, newPassword: string): Promise<void> {
  const pwFile = path.join(work, 'new-password');
  writeFileSync(pwFile, newPassword, { mode: 0o600 });
  await run('ldappasswd', ['-H', slapd.url, '-x', '-D', slapd.bindDn(UMS_SUFFIX), '-y', path.join(labDir(), 'ldap', 'slapd-admin-password'), '-T', pwFile, dn], {
    env: { ...process.env, LDAPTLS_CACERT: slapd.caFile, LDAPTLS_REQCERT: 'demand' },
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ums-provisioning-'));
  [lab, slapd, ad] = await Promise.all([startLab(), startSlapd(), startAd()]);
  await enableLdapAuth();
  adc = await adClient(ad);
  ums = await slapdClient(slapd);
  const adOu = await freshOu(adc, 'prov');
  umsOu = await freshUmsOu(ums, 'prov');
  await seedAd(adc, adOu, { users: adUsers });
  // Both users before the first login: Dovecot may miss a passwd-file change within the same second.
  for (const p of people) await addSourceUser(p.source, password);
  for (const [i, p] of people.entries()) {
    await seedSource(lab, p.source, password, generateCorpus({ messages: 30, maxSize: 64 * 1024, seed: 40 + i }));
  }

  // One config for the whole project: the directory section and the mailboxes (source login →
  // the UMS login the directory sync creates).
  writeFileSync(path.join(work, 'ad-pw'), ad.password, { mode: 0o600 });
  writeFileSync(path.join(work, 'ums-pw'), slapd.password, { mode: 0o600 });
  const [first, second] = people as [typeof people[0], typeof people[0]];
  config = writeLabConfig(lab, { source: first.source, target: first.login, password }, [
    `  - source: ${second.source}`,
    `    target: ${second.login}`,
    '    sourcePassword: file:./pw',
    '    targetPassword: file:./pw',
    'directory:',
    '  source:',
    `    url: ${ad.url}`,
    `    bindDn: ${ad.bindDn}`,
    '    bindPassword: file:./ad-pw',
    `    caFile: ${ad.caFile}`,
    `    base: "${adOu}"`,
    '  target:',
    `    url: ${slapd.url}`,
    `    bindDn: ${slapd.bindDn(UMS_SUFFIX)}`,
    '    bindPassword: file:./ums-pw',
    `    caFile: ${slapd.caFile}`,
    `    base: "${umsOu}"`,
  ], work).file;
}, 300_000);

afterAll(async () => {
  await adc?.unbind();
  await ums?.unbind();
});

describe('provisioning: directory sync → Courier login → mail run', () => {
  test('before the directory sync the users exist in AD only: Courier refuses their login', async () => {
    for (const p of people) {
      expect((await ums.search(UMS_SUFFIX, { scope: 'sub', filter: `(uid=${p.login})` })).searchEntries).toEqual([]);
      expect(await courierLogin(p.login, password)).toBe('authentication failed');
    }
  });

  test('directory sync creates the accounts in the UMS directory, with the X500 address of legacyExchangeDN', async () => {
    const r = await runCli(['directory', 'sync', '-c', config]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('added 2, modified 0');
    for (const p of people) {
      const { searchEntries } = await ums.search(`uid=${p.login},${umsOu}`, { scope: 'base', attributes: ['mail', 'proxyAddresses', 'objectClass', 'userPassword'] });
      const e = searchEntries[0]!;
      expect(e.mail).toBe(`${p.login}@corp.example`);
      expect(([] as string[]).concat(e.proxyAddresses as string[]).sort()).toEqual(
        [`SMTP:${p.login}@corp.example`, `X500:${LEGACY_ORG}/cn=${p.login}`, `smtp:${p.login}.alias@corp.example`, `smtp:${p.login}@old.corp.example`].sort());
      expect(([] as string[]).concat(e.objectClass as string[]).map((c) => c.toLowerCase())).toContain('rupostmailaccount');
      // The sync copies no password: the UMS account has none yet, so nobody can log in.
      expect(e.userPassword ?? []).toEqual([]);
    }
    expect(await courierLogin(people[0]!.login, password)).toBe('authentication failed');
  });

  test('with a password set but no Maildir yet, Courier authenticates the account and still cannot open it', async () => {
    const p = people[0]!;
    await setUmsPassword(`uid=${p.login},${umsOu}`, password);
    // The right password passes authldap, but imapd has no Maildir to open: Courier answers
    // "* BYE Temporary problem" and closes; a wrong one is an authentication failure.
    expect(await courierLogin(p.login, password)).toMatch(/^refused: (?!.*authentication)/i);
    expect(await courierLogin(p.login, 'not-the-password')).toBe('authentication failed');
  });

  test('once provisioned (password + Maildir) the directory-created users log in over IMAPS, next to userdb accounts', async () => {
    await setUmsPassword(`uid=${people[1]!.login},${umsOu}`, password);
    for (const p of people) {
      await provisionMaildir(p.login);
      expect(await courierLogin(p.login, password)).toBe('ok');
      const snap = await snapshotMailbox({ ...lab.target, port: lab.target.tlsPort }, p.login, password);
      expect([...snap.keys()]).toEqual(['INBOX']);
      expect(total(snap)).toBe(0);
    }
    // The lab's userdb accounts (authuserdb, asked first) keep working next to the directory ones.
    const local = uniqueLogin('local');
    await addTargetUser(local, password);
    expect(await courierLogin(local, password)).toBe('ok');
    // The Maildir is where the lab's userdb accounts have theirs, owned by the lab's mail user.
    const mailUid = Number((await run('id', ['-u', 'umslab'])).stdout.trim());
    expect(statSync(path.join(targetMaildir(people[0]!.login), 'cur')).uid).toBe(mailUid);
  });

  test('ums-migrate run copies each Dovecot mailbox into its directory-created account exactly once', async () => {
    const r = await runCli(['run', '-c', config, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { copied: number; failed: number };
    expect(report.failed).toBe(0);
    let expected = 0;
    for (const p of people) expected += await expectExactlyOnce(lab, p.source, p.login, password);
    expect(report.copied).toBe(expected);
    expect(expected).toBe(60);
  });
});

/**
 * The directory sync against real servers: Samba's AD DC (test/lab/samba-ad.sh) as the source and
 * OpenLDAP (test/lab/slapd.sh) as the UMS directory. Each test file keeps to an AD OU and a UMS OU
 * of its own.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attribute, Change, type Client } from 'ldapts';
import { LdapDirectorySource } from '../../connectors/ldap-source/index.js';
import { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import { openLdap, type LdapEndpoint } from '../../connectors/ldap-common/connection.js';
import { runDirectorySync, type DirectorySyncReport } from '../../src/directory/sync.js';
import type { PlanOptions } from '../../src/directory/plan.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/store.js';
import { LEGACY_ORG, seedAd, userDn, type AdSeedUser } from '../lab/ad-seed.js';
import { adClient, freshOu, startAd, type AdLab } from '../lab/samba-ad.js';
import { freshUmsOu, KOPANO_SUFFIX, slapdClient, startSlapd, type SlapdLab } from '../lab/slapd.js';
import { runCli } from '../support/cli.js';

// sAMAccountName is unique in the whole domain and the lab AD outlives a test run: every login
// gets this run's tag.
const TAG = randomBytes(4).toString('hex');
const L = (name: string): string => `${name}${TAG}`;

const users: AdSeedUser[] = [
  {
    login: L('alice'), mail: 'alice@corp.example', legacyExchangeDN: `${LEGACY_ORG}/cn=alice`,
    proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', 'smtp:alice@old.example', 'SIP:alice@corp.example'],
    displayName: 'Alice Smith', givenName: 'Alice', sn: 'Smith', title: 'CFO', department: 'Finance', company: 'Corp',
    telephoneNumber: '+49 30 1', mobile: '+49 170 1', l: 'Berlin', st: 'BE', street: 'Unter den Linden 1',
  },
  { login: L('bob'), mail: 'bob@corp.example', proxyAddresses: ['SMTP:bob@corp.example', 'smtp:robert@corp.example'], displayName: 'Bob', sn: 'Builder' },
  { login: L('carol'), mail: 'carol@corp.example', proxyAddresses: ['smtp:carol@corp.example'], displayName: 'Carol *)(uid=*))(|(uid=*', sn: 'C' },
  ...['dave', 'erin', 'frank'].map((l) => ({ login: L(l), mail: `${l}@corp.example`, proxyAddresses: [`SMTP:${l}@corp.example`, `smtp:${l}.x@corp.example`], sn: l })),
];

let ad: AdLab;
let slapd: SlapdLab;
let adc: Client;
let ums: Client;
let adOu: string;
let workDir: string;

const endpoint = (url: string, bindDn: string, password: string, caFile: string): LdapEndpoint => ({
  url, bindDn, password, ca: readFileSync(caFile), tlsVerify: true, startTls: false, allowInsecure: false,
});

function planOptions(base: string, over: Partial<PlanOptions> = {}): PlanOptions {
  return {
    profile: 'ums', base, entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: ['umsLabGalPerson'],
    allowMailChange: false, domainRules: [], loginMap: new Map(), ...over,
  };
}

async function sync(store: StateStore, base: string, opts: { dryRun?: boolean; full?: boolean; plan?: Partial<PlanOptions>; suffix?: string; sourceBase?: string } = {}): Promise<DirectorySyncReport> {
  const suffix = opts.suffix ?? 'dc=ums,dc=example';
  const source = new LdapDirectorySource({ endpoint: endpoint(ad.url, ad.bindDn, ad.password, ad.caFile), base: opts.sourceBase ?? adOu, flavor: 'auto', pageSize: 100 });
  const target = new LdapDirectoryTarget(endpoint(slapd.url, slapd.bindDn(suffix), slapd.password, slapd.caFile), { pageSize: 100, concurrency: 4 });
  try {
    return await runDirectorySync({ source, target, store, checkpointName: `t:${opts.sourceBase ?? adOu}->${base}`, plan: planOptions(base, opts.plan) }, { dryRun: opts.dryRun ?? false, full: opts.full ?? false });
  } finally {
    await target.close();
  }
}

async function umsEntries(base: string, client = ums): Promise<Map<string, Record<string, string[]>>> {
  const { searchEntries } = await client.search(base, { scope: 'one', filter: '(uid=*)', attributes: ['*', 'entryCSN'] });
  const out = new Map<string, Record<string, string[]>>();
  for (const e of searchEntries) {
    const attrs: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(e)) if (k !== 'dn') attrs[k] = ([] as unknown[]).concat(v).map(String);
    out.set(String(e.uid), attrs);
  }
  return out;
}

const newStore = async (): Promise<StateStore> => {
  const store = new SqliteStateStore(path.join(mkdtempSync(path.join(workDir, 'state-')), 'state.sqlite'));
  await store.migrate();
  return store;
};

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'ums-dsync-'));
  [ad, slapd] = await Promise.all([startAd(), startSlapd()]);
  adc = await adClient(ad);
  ums = await slapdClient(slapd);
  adOu = await freshOu(adc, 'dsync');
  await seedAd(adc, adOu, {
    users,
    groups: [
      { name: L('sales'), distribution: true, mail: 'sales@corp.example', proxyAddresses: ['SMTP:sales@corp.example'], members: [L('alice'), L('bob')] },
      { name: L('admins'), distribution: false, members: [L('carol')] },
    ],
    contacts: [{ name: L('partner'), mail: 'partner@other.example', proxyAddresses: ['SMTP:partner@other.example'] }],
  });
}, 300_000);

afterAll(async () => {
  await adc?.unbind();
  await ums?.unbind();
});

describe('directory sync: Samba AD → slapd (UMS profile)', () => {
  let store: StateStore;
  let base: string;

  beforeAll(async () => {
    store = await newStore();
    base = await freshUmsOu(ums, 'dsync');
  });
  afterAll(async () => store.close());

  test('full sync creates every user with mail, proxyAddresses (X500 from legacyExchangeDN) and the GAL attributes', async () => {
    const r = await sync(store, base);
    expect(r.mode).toBe('full');
    expect(r.read).toEqual({ entries: 9, users: 6, groups: 2, contacts: 1, retried: 0, regrouped: 0 });
    expect(r.errors).toEqual([]);
    expect(r.adds).toBe(6);
    const got = await umsEntries(base);
    expect([...got.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map(L));
    const alice = got.get(L('alice'))!;
    expect(alice.objectClass!.map((c) => c.toLowerCase()).sort()).toEqual(['inetorgperson', 'rupostmailaccount', 'umslabgalperson']);
    expect(alice.mail).toEqual(['alice@corp.example']);
    expect(alice.proxyAddresses!.sort()).toEqual(['SIP:alice@corp.example', 'SMTP:alice@corp.example', `X500:${LEGACY_ORG}/cn=alice`, 'smtp:a.smith@corp.example', 'smtp:alice@old.example'].sort());
    expect(alice).toMatchObject({ displayName: ['Alice Smith'], givenName: ['Alice'], sn: ['Smith'], title: ['CFO'], department: ['Finance'], company: ['Corp'],
      telephoneNumber: ['+49 30 1'], mobile: ['+49 170 1'], l: ['Berlin'], st: ['BE'], street: ['Unter den Linden 1'] });
    // Filter metacharacters in a value are data, written verbatim.
    expect(got.get(L('carol'))!.displayName).toEqual(['Carol *)(uid=*))(|(uid=*']);
    // carol had no primary: mail became the primary, and that is reported.
    expect(got.get(L('carol'))!.proxyAddresses).toEqual(['SMTP:carol@corp.example']);
    expect(r.warnings).toContainEqual({ entry: L('carol'), reason: 'no primary SMTP address' });
  });

  test('a re-run with nothing new writes nothing (entryCSN of every entry unchanged)', async () => {
    const before = await umsEntries(base);
    const r = await sync(store, base, { full: true });
    expect(r).toMatchObject({ adds: 0, modifies: 0, unchanged: 6, applied: [], ldif: '', errors: [] });
    const after = await umsEntries(base);
    for (const [uid, attrs] of before) expect(after.get(uid)!.entryCSN).toEqual(attrs.entryCSN);
  });

  test('delta: after 3 users change in AD only those 3 are read and written', async () => {
    const quiet = await sync(store, base);
    expect(quiet.mode).toBe('delta');
    expect(quiet.read.entries).toBe(0);
    for (const [login, title] of [[L('bob'), 'Chief Builder'], [L('dave'), 'Ops'], [L('erin'), 'Sales']] as const) {
      await adc.modify(userDn(login, adOu), new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: [title] }) }));
    }
    const r = await sync(store, base);
    expect(r.mode).toBe('delta');
    expect(r.read).toEqual({ entries: 3, users: 3, groups: 0, contacts: 0, retried: 0, regrouped: 0 });
    expect(r.modifies).toBe(3);
    expect(r.applied.map((w) => w.entry).sort()).toEqual(['bob', 'dave', 'erin'].map(L));
    const got = await umsEntries(base);
    expect(got.get(L('bob'))!.title).toEqual(['Chief Builder']);
    expect(got.get(L('erin'))!.title).toEqual(['Sales']);
  });

  test('mail of an existing UMS account is not changed unless allowed', async () => {
    await adc.modify(userDn(L('frank'), adOu), [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: ['franklin@corp.example'] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'proxyAddresses', values: ['SMTP:franklin@corp.example', 'smtp:frank@corp.example'] }) }),
    ]);
    const r = await sync(store, base);
    expect(r.warnings.filter((w) => w.entry === L('frank')).map((w) => w.reason)).toEqual([expect.stringContaining('mail not changed')]);
    expect((await umsEntries(base)).get(L('frank'))!.mail).toEqual(['frank@corp.example']);
    const allowed = await sync(store, base, { full: true, plan: { allowMailChange: true } });
    expect(allowed.applied.map((w) => w.entry)).toEqual([L('frank')]);
    expect((await umsEntries(base)).get(L('frank'))!.mail).toEqual(['franklin@corp.example']);
  });
});

describe('mail-enabled groups', () => {
  test('written with their members; a membership change in AD is a delta of that group only', async () => {
    const base = await freshUmsOu(ums, 'dsync-g');
    const store = await newStore();
    const groups = { base, objectClasses: ['groupOfNames', 'ruPostMailAccount'] };
    try {
      const r = await sync(store, base, { plan: { groups } });
      expect(r.errors).toEqual([]);
      const salesDn = `cn=${L('sales')},${base}`;
      expect(r.applied.filter((w) => w.kind === 'add' && w.dn === salesDn)).toHaveLength(1);
      // The security group has no address: not a mail recipient, not written.
      expect(r.applied.some((w) => w.entry === L('admins'))).toBe(false);
      const read = async () => (await ums.search(salesDn, { scope: 'base', attributes: ['member', 'mail', 'proxyAddresses', 'objectClass'] })).searchEntries[0]!;
      const sales = await read();
      expect(sales.mail).toBe('sales@corp.example');
      expect(sales.proxyAddresses).toBe('SMTP:sales@corp.example');
      expect(([] as string[]).concat(sales.member as string[]).sort()).toEqual([`uid=${L('alice')},${base}`, `uid=${L('bob')},${base}`].sort());

      expect((await sync(store, base, { full: true, plan: { groups } })).applied).toEqual([]);
      await adc.modify(`CN=${L('sales')},${adOu}`, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [userDn(L('bob'), adOu)] }) }));
      const delta = await sync(store, base, { plan: { groups } });
      expect(delta.read).toEqual({ entries: 1, users: 0, groups: 1, contacts: 0, retried: 0, regrouped: 0 });
      expect(delta.applied).toEqual([{ kind: 'modify', entry: L('sales'), dn: salesDn, changes: [{ op: 'replace', attribute: 'member', values: [`uid=${L('alice')},${base}`] }] }]);
      expect((await read()).member).toBe(`uid=${L('alice')},${base}`);
    } finally {
      await store.close();
    }
  });
});

describe('selection and other LDAP servers as the source', () => {
  test('only members of a group (AD)', async () => {
    const source = new LdapDirectorySource({
      endpoint: endpoint(ad.url, ad.bindDn, ad.password, ad.caFile), base: adOu, flavor: 'auto', pageSize: 2, groupDn: `CN=${L('admins')},${adOu}`,
    });
    const r = await source.read();
    expect(r.flavor).toBe('ad');
    expect(r.objects.map((o) => o.entry.login)).toEqual([L('carol')]);
  });

  test('a hostile group DN is escaped into the filter, not interpreted', async () => {
    const source = new LdapDirectorySource({
      endpoint: endpoint(ad.url, ad.bindDn, ad.password, ad.caFile), base: adOu, flavor: 'auto', pageSize: 50, groupDn: '*)(objectClass=*',
    });
    expect((await source.read()).objects).toEqual([]);
  });

  test('OpenLDAP as the source: entryUUID keys, groupOfNames, delta by entryCSN', async () => {
    const ou = await freshUmsOu(ums, 'dsrc');
    await ums.add(`uid=ann,${ou}`, { objectClass: ['inetOrgPerson', 'ruPostMailAccount'], uid: 'ann', cn: 'Ann', sn: 'A', mail: 'ann@corp.example', proxyAddresses: ['SMTP:ann@corp.example', 'smtp:anna@corp.example'] });
    await ums.add(`uid=ben,${ou}`, { objectClass: ['inetOrgPerson'], uid: 'ben', cn: 'Ben', sn: 'B', mail: 'ben@corp.example' });
    await ums.add(`cn=team,${ou}`, { objectClass: ['groupOfNames'], cn: 'team', member: [`uid=ann,${ou}`, `uid=ben,${ou}`] });
    const source = new LdapDirectorySource({ endpoint: endpoint(slapd.url, slapd.bindDn('dc=ums,dc=example'), slapd.password, slapd.caFile), base: ou, flavor: 'auto', pageSize: 1 });
    const full = await source.read();
    expect(full.flavor).toBe('ldap');
    expect(full.objects.map((o) => `${o.kind}:${o.entry.login}`).sort()).toEqual(['group:team', 'user:ann', 'user:ben']);
    expect(full.objects.every((o) => /^[0-9a-f-]{36}$/.test(o.entry.key))).toBe(true);
    expect(full.checkpoint).toMatch(/^csn:\d{14}\.\d{6}Z#/);
    await ums.modify(`uid=ben,${ou}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Boss'] }) }));
    const delta = await source.read(full.checkpoint);
    expect(delta.delta).toBe(true);
    expect(delta.objects.map((o) => [o.entry.login, o.entry.title])).toEqual([['ben', 'Boss']]);
  });
});

describe('transport', () => {
  test('certificates are verified (no lab CA: refused); StartTLS on the plain port works', async () => {
    const ep = endpoint(slapd.url, slapd.bindDn('dc=ums,dc=example'), slapd.password, slapd.caFile);
    const { ca: _ca, ...noCa } = ep;
    await expect(openLdap(noCa)).rejects.toThrow(/LDAP bind to ldaps:\/\/127\.0\.0\.1:17636 .* failed: .*(self.signed|certificate)/i);
    const client = await openLdap({ ...ep, url: slapd.plainUrl, startTls: true });
    const { searchEntries } = await client.search('dc=ums,dc=example', { scope: 'base' });
    expect(searchEntries.map((e) => e.dn)).toEqual(['dc=ums,dc=example']);
    await client.unbind();
  });

  test('a wrong password is an error naming the server and the bind DN, not the password', async () => {
    const ep = { ...endpoint(ad.url, ad.bindDn, 'not-the-password', ad.caFile) };
    const err = await openLdap(ep).catch((e: Error) => e);
    expect(String(err)).toContain(`LDAP bind to ${ad.url} as ${ad.bindDn} failed`);
    expect(String(err)).not.toContain('not-the-password');
  });
});

describe('bad input: per-entry errors, the run goes on', () => {
  test('duplicate alias, no primary and no mail, hostile login, address owned by another UMS entry', async () => {
    const ou = await freshOu(adc, 'dsync-bad');
    await seedAd(adc, ou, {
      users: [
        { login: L('good'), mail: 'good@corp.example', proxyAddresses: ['SMTP:good@corp.example', 'smtp:bad address@corp.example', 'malformed'] },
        { login: L('dup1'), mail: 'dup1@corp.example', proxyAddresses: ['SMTP:dup1@corp.example', 'smtp:shared@corp.example'] },
        { login: L('dup2'), mail: 'dup2@corp.example', proxyAddresses: ['SMTP:dup2@corp.example', 'smtp:SHARED@corp.example'] },
        { login: L('nomail'), proxyAddresses: ['X500:/o=Corp/cn=nomail'] },
        { login: L('mapped'), mail: 'mapped@corp.example', proxyAddresses: ['SMTP:mapped@corp.example'] },
        { login: L('thief'), mail: 'thief@corp.example', proxyAddresses: ['SMTP:thief@corp.example', 'smtp:postmaster@corp.example'] },
      ],
    });
    const base = await freshUmsOu(ums, 'dsync-bad');
    await ums.add(`uid=pm,${base}`, { objectClass: ['inetOrgPerson', 'ruPostMailAccount'], uid: 'pm', cn: 'pm', sn: 'pm', mail: 'postmaster@corp.example' });
    const store = await newStore();
    try {
      const r = await sync(store, base, { sourceBase: ou, plan: { loginMap: new Map([[L('mapped'), 'x*)(uid=*']]) } });
      const errorsOf = (e: string) => r.errors.filter((x) => x.entry === e).map((x) => x.reason);
      expect(errorsOf(L('dup1'))).toEqual([expect.stringMatching(new RegExp(`^address shared@corp\\.example is also claimed by ${L('dup2')}`))]);
      expect(errorsOf(L('dup2'))).toEqual([expect.stringMatching(new RegExp(`^address shared@corp\\.example is also claimed by ${L('dup1')}`))]);
      expect(errorsOf(L('nomail'))).toEqual([expect.stringContaining('no primary SMTP address')]);
      expect(errorsOf(L('mapped'))).toEqual([expect.stringContaining('contains characters not allowed')]);
      expect(errorsOf(L('thief'))).toEqual([`address postmaster@corp.example already belongs to uid=pm,${base} in the UMS directory; not synced`]);
      expect(r.warnings.filter((w) => w.entry === L('good')).map((w) => w.reason)).toEqual([
        expect.stringMatching(/^smtp:bad address@corp\.example: invalid SMTP address/),
        expect.stringMatching(/^malformed: malformed proxy address/),
      ]);
      const got = await umsEntries(base);
      expect([...got.keys()].sort()).toEqual([L('good'), 'pm'].sort());
      expect(got.get(L('good'))!.proxyAddresses).toEqual(['SMTP:good@corp.example']);
      // pm has no source user: listed, not deleted.
      expect(r.orphans).toEqual([`uid=pm,${base}`]);
      // The refused entries are read again by the next delta even though they did not change.
      const again = await sync(store, base, { sourceBase: ou, plan: { loginMap: new Map([[L('mapped'), 'x*)(uid=*']]) } });
      expect(again.mode).toBe('delta');
      expect(again.read.retried).toBe(5);
      expect(again.applied).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('dry run', () => {
  test('prints exactly the LDIF a real run then applies, and writes nothing', async () => {
    const base = await freshUmsOu(ums, 'dsync-dry');
    const store = await newStore();
    try {
      const dry = await sync(store, base, { dryRun: true });
      expect(dry.ldif).toMatch(/^version: 1\n\ndn: uid=/);
      expect((await umsEntries(base)).size).toBe(0);
      expect(await store.getCheckpointValue(`t:${adOu}->${base}`)).toBeNull();
      const real = await sync(store, base);
      expect(real.ldif).toBe(dry.ldif);
      expect((await umsEntries(base)).size).toBe(6);
      // Modifications too: change one user, compare dry and real again.
      await adc.modify(userDn(L('alice'), adOu), new Change({ operation: 'replace', modification: new Attribute({ type: 'department', values: ['Treasury'] }) }));
      const dry2 = await sync(store, base, { dryRun: true });
      expect(dry2.ldif).toContain('replace: department\ndepartment: Treasury\n');
      const real2 = await sync(store, base);
      expect(real2.ldif).toBe(dry2.ldif);
    } finally {
      await store.close();
    }
  });
});

describe('Kopano profile', () => {
  test('kopanoAliases are the secondary SMTP addresses', async () => {
    const kopano = await slapdClient(slapd, KOPANO_SUFFIX);
    try {
      const base = await freshUmsOu(kopano, 'dsync-k', KOPANO_SUFFIX);
      const store = await newStore();
      const r = await sync(store, base, { suffix: KOPANO_SUFFIX, plan: { profile: 'kopano' } });
      await store.close();
      expect(r.errors).toEqual([]);
      const alice = (await umsEntries(base, kopano)).get(L('alice'))!;
      expect(alice.objectClass!.map((c) => c.toLowerCase())).toContain('kopano-user');
      expect(alice.kopanoAliases!.sort()).toEqual(['a.smith@corp.example', 'alice@old.example']);
      expect(alice.proxyAddresses).toBeUndefined();
    } finally {
      await kopano.unbind();
    }
  });
});

describe('ums-migrate directory sync (CLI)', () => {
  function writeConfig(dir: string, targetBase: string, targetUrl: string, extraTarget: string[] = [], sourceOu = adOu): string {
    writeFileSync(path.join(dir, 'ad-pw'), ad.password, { mode: 0o600 });
    writeFileSync(path.join(dir, 'ums-pw'), slapd.password, { mode: 0o600 });
    const file = path.join(dir, 'migration.yaml');
    writeFileSync(file, [
      'version: 1',
      'state: { path: ./state.sqlite }',
      'source: { type: imap, host: 127.0.0.1, port: 10993 }',
      'target: { type: ums-imap, host: 127.0.0.1, port: 11993 }',
      `mailboxes: [{ source: ${L('bob')}, target: robert, sourcePassword: file:./ad-pw, targetPassword: file:./ad-pw }]`,
      'directory:',
      '  source:',
      `    url: ${ad.url}`,
      `    bindDn: ${ad.bindDn}`,
      '    bindPassword: file:./ad-pw',
      `    caFile: ${ad.caFile}`,
      `    base: "${sourceOu}"`,
      '  target:',
      `    url: ${targetUrl}`,
      `    bindDn: ${slapd.bindDn('dc=ums,dc=example')}`,
      '    bindPassword: file:./ums-pw',
      `    caFile: ${slapd.caFile}`,
      `    base: "${targetBase}"`,
      '    extraObjectClasses: [umsLabGalPerson]',
      ...extraTarget.map((l) => `    ${l}`),
      '',
    ].join('\n'));
    return file;
  }

  test('--dry-run prints LDIF; the user map renames; plaintext needs allowInsecure', async () => {
    const dir = mkdtempSync(path.join(workDir, 'cli-'));
    const base = await freshUmsOu(ums, 'dsync-cli');
    const file = writeConfig(dir, base, slapd.url);
    const dry = await runCli(['directory', 'sync', '-c', file, '--dry-run']);
    expect(dry.stderr).toContain('would add 6');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`dn: uid=robert,${base}\nchangetype: add\n`);
    expect((await umsEntries(base)).size).toBe(0);
    const run = await runCli(['directory', 'sync', '-c', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('added 6, modified 0');
    expect([...(await umsEntries(base)).keys()]).toContain('robert');

    const plain = writeConfig(mkdtempSync(path.join(workDir, 'cli-')), base, slapd.plainUrl);
    const refused = await runCli(['directory', 'sync', '-c', plain]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('without startTls sends the bind password in plaintext');
    const optIn = writeConfig(mkdtempSync(path.join(workDir, 'cli-')), base, slapd.plainUrl, ['allowInsecure: true']);
    const ok = await runCli(['directory', 'sync', '-c', optIn, '--full']);
    expect(ok.stdout).toContain('added 0, modified 0, deleted 0, unchanged 6');
    expect(ok.code).toBe(0);
  });

  test('--json goes through the JSON printer: names from AD with C1 and bidi characters as \\u escapes, their values exact', async () => {
    const dir = mkdtempSync(path.join(workDir, 'cli-'));
    const ou = await freshOu(adc, 'dsync-json');
    const odd = `x\u009b31m${TAG}\u202e`; // a CSI and a right-to-left override in sAMAccountName: refused as a UMS login
    await seedAd(adc, ou, { users: [{ login: odd, mail: `odd${TAG}@corp.example`, proxyAddresses: [`SMTP:odd${TAG}@corp.example`], sn: 'Odd' }] });
    const file = writeConfig(dir, await freshUmsOu(ums, 'dsync-json'), slapd.url, [], ou);
    const r = await runCli(['directory', 'sync', '-c', file, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(r.stdout).toContain('\\u009b31m');
    const report = JSON.parse(r.stdout) as DirectorySyncReport;
    expect(report.errors).toEqual([{ entry: odd, reason: expect.stringContaining('not allowed in a UMS login') }]);
  });
});

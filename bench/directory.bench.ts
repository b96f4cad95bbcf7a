/**
 * npm run bench:directory — the directory sync against the floor of writing the same entries.
 *
 * Seeds BENCH_USERS (default 5,000) users with 3–6 proxyAddresses each, plus distribution and
 * security groups of 50 members, into the lab AD (Samba, test/lab/samba-ad.sh; the seeded domain
 * is kept as a template, so later runs start in seconds), starts a fresh slapd
 * (test/lab/slapd.sh reset) and times:
 *   full_s     the full sync (read AD, read the UMS, plan, write every user and mail-enabled
 *              group, the groups with their member DNs)
 *   ldapadd_s  `ldapadd` of the same entries (the LDIF the sync applied) into an empty suffix of
 *              the same slapd: the floor for writing them
 *   rerun_s    a re-run with nothing new (the default delta mode; must write nothing); a full
 *              re-run comparing every entry is timed too and printed above the last line
 *   delta_s    the delta after 100 users changed in AD (must read only those 100)
 * Last line: bench:directory users=N full_s=X ldapadd_s=Y ratio=R rerun_s=S delta_s=D
 * (ratio = full_s / ldapadd_s).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { LdapDirectorySource } from '../connectors/ldap-source/index.js';
import { LdapDirectoryTarget } from '../connectors/ldap-target/index.js';
import { runDirectorySync, type DirectorySyncReport } from '../src/directory/sync.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import { generateUsers, seedAd, userDn, type AdSeedGroup } from '../test/lab/ad-seed.js';
import { AD_BASE, adClient, hasAdTemplate, resetAd, snapshotAd, type AdLab } from '../test/lab/samba-ad.js';
import { FLOOR_SUFFIX, resetSlapd, slapdClient, UMS_SUFFIX, type SlapdLab } from '../test/lab/slapd.js';
import { coerceError } from '../src/util/errors.js';

const N = Number(process.env.BENCH_USERS ?? 5000);
const CHANGED = 100;
const GROUP_SIZE = 50;
const AD_OU = `OU=bench,${AD_BASE}`;

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

async function seededAd(): Promise<AdLab> {
  const template = `bench-v2-${N}`; // v2: users seeded as enabled accounts (older templates hold disabled ones, which the sync does not create)
  if (await hasAdTemplate(template)) {
    say(`AD: template ${template} (seeded before)`);
    return resetAd(template);
  }
  const ad = await resetAd('base');
  const client = await adClient(ad);
  const users = generateUsers(N, 'b');
  const groups: AdSeedGroup[] = [];
  for (let i = 0; i * GROUP_SIZE < N; i++) {
    const members = users.slice(i * GROUP_SIZE, (i + 1) * GROUP_SIZE).map((u) => u.login);
    groups.push(i % 2 === 0
      ? { name: `list${i}`, distribution: true, mail: `list${i}@corp.example`, proxyAddresses: [`SMTP:list${i}@corp.example`], members }
      : { name: `sec${i}`, distribution: false, members });
  }
  const t0 = process.hrtime.bigint();
  await client.add(AD_OU, { objectClass: ['top', 'organizationalUnit'], ou: 'bench' });
  await seedAd(client, AD_OU, { users, groups }, 8);
  await client.unbind();
  say(`AD: seeded ${N} users and ${groups.length} groups in ${seconds(t0).toFixed(1)} s; keeping template ${template}`);
  await snapshotAd(template);
  return ad;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd}: ${err.message}\n${stderr}`)) : resolve()));
  });
}

async function main(): Promise<void> {
  const ad = await seededAd();
  const slapd: SlapdLab = await resetSlapd();
  const work = mkdtempSync(path.join(tmpdir(), 'ums-bench-dir-'));
  const store = new SqliteStateStore(path.join(work, 'state.sqlite'));
  await store.migrate();
  const ums = await slapdClient(slapd, UMS_SUFFIX);
  const base = `ou=bench,${UMS_SUFFIX}`;
  const groupBase = `ou=groups,${UMS_SUFFIX}`;
  await ums.add(base, { objectClass: ['top', 'organizationalUnit'], ou: 'bench' });
  await ums.add(groupBase, { objectClass: ['top', 'organizationalUnit'], ou: 'groups' });
  const mailGroups = Math.ceil(Math.ceil(N / GROUP_SIZE) / 2);
  const endpoint = (url: string, bindDn: string, password: string, caFile: string) => ({
    url, bindDn, password, ca: readFileSync(caFile), tlsVerify: true, startTls: false, allowInsecure: false,
  });
  const sync = async (full: boolean): Promise<{ s: number; r: DirectorySyncReport }> => {
    const source = new LdapDirectorySource({ endpoint: endpoint(ad.url, ad.bindDn, ad.password, ad.caFile), base: AD_OU, flavor: 'auto', pageSize: 1000 });
    const target = new LdapDirectoryTarget(endpoint(slapd.url, slapd.bindDn(UMS_SUFFIX), slapd.password, slapd.caFile), { pageSize: 1000, concurrency: 8 });
    const t0 = process.hrtime.bigint();
    try {
      const r = await runDirectorySync({
        source, target, store, checkpointName: 'bench',
        plan: {
          profile: 'ums', base, entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: ['umsLabGalPerson'], allowMailChange: false, domainRules: [], loginMap: new Map(),
          groups: { base: groupBase, objectClasses: ['groupOfNames', 'ruPostMailAccount'] },
        },
      }, { dryRun: false, full });
      return { s: seconds(t0), r };
    } finally {
      await target.close();
    }
  };

  const full = await sync(true);
  say(`full sync: read ${full.r.read.entries}, added ${full.r.adds}, errors ${full.r.errors.length} in ${full.s.toFixed(2)} s`);
  if (full.r.adds !== N + mailGroups || full.r.errors.length > 0) throw new Error(`full sync added ${full.r.adds} of ${N} users + ${mailGroups} groups (${full.r.errors.slice(0, 3).map((e) => `${e.entry}: ${e.reason}`).join('; ')})`);

  const ldif = full.r.ldif.split(UMS_SUFFIX).join(FLOOR_SUFFIX);
  const ldifFile = path.join(work, 'floor.ldif');
  const ou = (name: string): string => `dn: ou=${name},${FLOOR_SUFFIX}\nchangetype: add\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${name}\n\n`;
  writeFileSync(ldifFile, `${ou('bench')}${ou('groups')}${ldif.replace(/^version: 1\n\n/, '')}`);
  const pwFile = path.join(work, 'pw');
  writeFileSync(pwFile, slapd.password, { mode: 0o600 });
  const t0 = process.hrtime.bigint();
  await run('ldapadd', ['-x', '-H', slapd.url, '-D', slapd.bindDn(FLOOR_SUFFIX), '-y', pwFile, '-f', ldifFile], { LDAPTLS_CACERT: slapd.caFile });
  const ldapaddS = seconds(t0);
  say(`ldapadd of the same ${full.r.adds} entries: ${ldapaddS.toFixed(2)} s`);

  const rerunFull = await sync(true);
  say(`full re-run (--full, compares every entry): read ${rerunFull.r.read.entries}, wrote ${rerunFull.r.applied.length} in ${rerunFull.s.toFixed(2)} s`);
  if (rerunFull.r.applied.length !== 0) throw new Error('the no-change full re-run wrote something');
  const rerun = await sync(false);
  say(`re-run: mode ${rerun.r.mode}, read ${rerun.r.read.entries}, wrote ${rerun.r.applied.length} in ${rerun.s.toFixed(2)} s`);
  if (rerun.r.applied.length !== 0) throw new Error('the no-change re-run wrote something');

  const adc = await adClient(ad);
  for (let i = 0; i < CHANGED; i++) {
    const login = `b${String(1 + Math.floor((i * N) / CHANGED)).padStart(5, '0')}`;
    await adc.modify(userDn(login, AD_OU), new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: [`Changed ${i}`] }) }));
  }
  await adc.unbind();
  const delta = await sync(false);
  say(`delta: mode ${delta.r.mode}, read ${delta.r.read.entries}, modified ${delta.r.modifies} in ${delta.s.toFixed(2)} s`);
  if (delta.r.read.entries !== CHANGED || delta.r.modifies !== CHANGED) throw new Error(`delta read ${delta.r.read.entries} and modified ${delta.r.modifies}, expected ${CHANGED}`);

  await ums.unbind();
  await store.close();
  const f = (x: number) => x.toFixed(2);
  say(`bench:directory users=${N} full_s=${f(full.s)} ldapadd_s=${f(ldapaddS)} ratio=${f(full.s / ldapaddS)} rerun_s=${f(rerun.s)} delta_s=${f(delta.s)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:directory failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

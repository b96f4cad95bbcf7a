/**
 * Shared set-up of the directory sync tests against the lab's real servers: Samba's AD DC as the
 * source (an OU of the test's own) and slapd as the UMS directory (an OU of its own below
 * dc=ums,dc=example), one SQLite state store per scenario, and `sync()` running one pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from 'ldapts';
import type { Logger } from 'pino';
import { LdapDirectorySource } from '../../connectors/ldap-source/index.js';
import { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import type { LdapEndpoint } from '../../connectors/ldap-common/connection.js';
import { runDirectorySync, type DirectorySyncDeps, type DirectorySyncReport } from '../../src/directory/sync.js';
import type { PlanOptions } from '../../src/directory/plan.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/store.js';
import { LAB_RECIPIENT_TYPE_ATTRIBUTE } from '../lab/ad-seed.js';
import { adClient, startAd, type AdLab } from '../lab/samba-ad.js';
import { slapdClient, startSlapd, type SlapdLab } from '../lab/slapd.js';

export interface Lab {
  ad: AdLab;
  slapd: SlapdLab;
  adc: Client;
  ums: Client;
  workDir: string;
  /** This run's tag: sAMAccountName is unique domain-wide and the lab AD outlives a test run (4 random bytes: 2 collided with an earlier run's after a day of runs). */
  tag: string;
}

export async function openLab(): Promise<Lab> {
  const [ad, slapd] = await Promise.all([startAd(), startSlapd()]);
  return { ad, slapd, adc: await adClient(ad), ums: await slapdClient(slapd), workDir: mkdtempSync(path.join(tmpdir(), 'ums-dsync-')), tag: randomBytes(4).toString('hex') };
}

export async function closeLab(lab: Lab | undefined): Promise<void> {
  await lab?.adc.unbind();
  await lab?.ums.unbind();
}

export const endpoint = (url: string, bindDn: string, password: string, caFile: string): LdapEndpoint => ({
  url, bindDn, password, ca: readFileSync(caFile), tlsVerify: true, startTls: false, allowInsecure: false,
});

export function planOptions(base: string, over: Partial<PlanOptions> = {}): PlanOptions {
  return {
    profile: 'ums', base, entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: ['umsLabGalPerson'],
    allowMailChange: false, domainRules: [], loginMap: new Map(), ...over,
  };
}

export async function newStore(lab: Lab): Promise<StateStore> {
  const store = new SqliteStateStore(path.join(mkdtempSync(path.join(lab.workDir, 'state-')), 'state.sqlite'));
  await store.migrate();
  return store;
}

export type SyncOptions = { dryRun?: boolean; full?: boolean; plan?: Partial<PlanOptions>; log?: Logger; now?: Date; filter?: string } & Partial<Pick<DirectorySyncDeps, 'deprovision' | 'mailboxTypes' | 'gal'>>;

/** One pass from `adOu` to `base` (checkpoint and state named after the pair). */
export async function sync(lab: Lab, store: StateStore, adOu: string, base: string, opts: SyncOptions = {}): Promise<DirectorySyncReport> {
  const source = new LdapDirectorySource({
    endpoint: endpoint(lab.ad.url, lab.ad.bindDn, lab.ad.password, lab.ad.caFile), base: adOu, flavor: 'auto', pageSize: 100, recipientTypeAttribute: LAB_RECIPIENT_TYPE_ATTRIBUTE,
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
  });
  const target = new LdapDirectoryTarget(endpoint(lab.slapd.url, lab.slapd.bindDn('dc=ums,dc=example'), lab.slapd.password, lab.slapd.caFile), { pageSize: 100, concurrency: 4 });
  try {
    return await runDirectorySync({
      source, target, store, checkpointName: `t:${adOu}->${base}`, plan: planOptions(base, opts.plan),
      ...(opts.deprovision ? { deprovision: opts.deprovision } : {}), ...(opts.mailboxTypes ? { mailboxTypes: opts.mailboxTypes } : {}),
      ...(opts.gal ? { gal: opts.gal } : {}), ...(opts.log ? { log: opts.log } : {}), ...(opts.now ? { now: () => opts.now! } : {}),
    }, { dryRun: opts.dryRun ?? false, full: opts.full ?? false });
  } finally {
    await target.close();
  }
}

/** Entries one level below `base` matching `filter`, by the value of `key` (attributes as string arrays). */
export async function entries(client: Client, base: string, filter = '(uid=*)', key = 'uid'): Promise<Map<string, Record<string, string[]>>> {
  const { searchEntries } = await client.search(base, { scope: 'one', filter, attributes: ['*'] });
  const out = new Map<string, Record<string, string[]>>();
  for (const e of searchEntries) {
    const attrs: Record<string, string[]> = { dn: [e.dn] };
    for (const [k, v] of Object.entries(e)) if (k !== 'dn') attrs[k] = ([] as unknown[]).concat(v).map(String);
    out.set(String(([] as unknown[]).concat(e[key])[0]), attrs);
  }
  return out;
}

/** The `member` values of one UMS group, sorted (none when the group does not exist). */
export async function membersOf(client: Client, dn: string): Promise<string[]> {
  const r = await client.search(dn, { scope: 'base', attributes: ['member'] }).catch(() => ({ searchEntries: [] }));
  const e = r.searchEntries[0];
  return e === undefined ? [] : ([] as unknown[]).concat(e.member ?? []).map(String).sort();
}

/**
 * Hostile directory values, read from a real LDAP server (the lab's slapd as the source, flavor
 * ldap) and synced into another OU of it (the UMS directory): names with terminal escapes and bidi
 * overrides, filter metacharacters and DN specials in logins, a mail address that would become a
 * Postfix comment (`#…`, valid in the directory: `routing publish` refuses it as a map key), proxyAddresses that are garbage, 1,000 of them, a 60 KB title. One sync:
 * every source user is written with exactly its values or refused with a reason naming it, the
 * LDIF (what `--dry-run` prints) has no raw control character, and a second sync changes nothing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ldapts';
import { LdapDirectorySource } from '../../connectors/ldap-source/index.js';
import { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import type { LdapEndpoint } from '../../connectors/ldap-common/connection.js';
import { escapeDnValue } from '../../mappings/directory/ldif.js';
import { runDirectorySync, type DirectorySyncReport } from '../../src/directory/sync.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { freshUmsOu, slapdClient, startSlapd, type SlapdLab } from '../lab/slapd.js';
import { TERMINAL_ATTACKS, unsafeSpots } from './payloads.js';

const t = TERMINAL_ATTACKS;
const TAG = Date.now().toString(36);

interface Person { uid: string; cn: string; mail?: string; displayName?: string; title?: string; proxy?: string[]; copy: boolean }
/** `copy`: valid values a sync must carry; otherwise a refusal with a reason is fine too. */
const PEOPLE: Person[] = [
  { uid: `plain${TAG}`, cn: 'Plain Person', mail: `plain${TAG}@corp.example`, copy: true },
  { uid: `esc${TAG}`, cn: 'Escape', mail: `esc${TAG}@corp.example`, displayName: `Eve ${t.titleChange}${t.clearScreen}`, copy: false },
  { uid: `bidi${TAG}`, cn: 'Bidi', mail: `bidi${TAG}@corp.example`, displayName: `Rechnung ${t.rtlOverride} ${t.isolate}`, copy: true },
  { uid: `star${TAG}*)(uid=*`, cn: 'Filter Chars', mail: `filter${TAG}@corp.example`, copy: false },
  { uid: `dn${TAG}`, cn: 'Smith, John + Co; "Ltd" <x> #1 \\ back', mail: `dn${TAG}@corp.example`, displayName: 'Smith, John + Co', copy: true },
  { uid: `hash${TAG}`, cn: 'Hash', mail: `#hash${TAG}@corp.example`, copy: true },
  { uid: `proxy${TAG}`, cn: 'Proxy Garbage', mail: `proxy${TAG}@corp.example`, proxy: ['SMTP:', 'smtp:<script>@x', 'X500:', 'smtp:no-at-sign', `SMTP:proxy${TAG}@corp.example`, 'smtp:a@b@c', `sip:${t.titleChange}`], copy: false },
  { uid: `many${TAG}`, cn: 'Many Addresses', mail: `many${TAG}@corp.example`, proxy: [`SMTP:many${TAG}@corp.example`, ...Array.from({ length: 1000 }, (_, i) => `smtp:many${TAG}.${i}@corp.example`)], copy: true },
  { uid: `long${TAG}`, cn: 'Long Title', mail: `long${TAG}@corp.example`, title: 'T'.repeat(60_000), copy: true },
  { uid: `nomail${TAG}`, cn: 'No Mail', copy: false },
];

let slapd: SlapdLab;
let client: Client;
let sourceOu: string;
let targetOu: string;
let first: DirectorySyncReport;
let second: DirectorySyncReport;
let written: Map<string, Record<string, string[]>>;

const endpoint = (): LdapEndpoint => ({ url: slapd.url, bindDn: slapd.bindDn('dc=ums,dc=example'), password: slapd.password, ca: readFileSync(slapd.caFile), tlsVerify: true, startTls: false, allowInsecure: false });

beforeAll(async () => {
  slapd = await startSlapd();
  client = await slapdClient(slapd);
  sourceOu = await freshUmsOu(client, 'hostile-src');
  targetOu = await freshUmsOu(client, 'hostile-dst');
  for (const p of PEOPLE) {
    const attrs: Record<string, string | string[]> = { objectClass: ['top', 'inetOrgPerson'], uid: p.uid, cn: p.cn, sn: 'X' };
    if (p.mail) attrs.mail = p.mail;
    if (p.displayName) attrs.displayName = p.displayName;
    if (p.title) attrs.title = p.title;
    if (p.proxy) { attrs.objectClass = [...(attrs.objectClass as string[]), 'ruPostMailAccount']; attrs.proxyAddresses = p.proxy; }
    await client.add(`uid=${escapeDnValue(p.uid)},${sourceOu}`, attrs);
  }
  const store = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'hostile-ldap-')), 'state.sqlite'));
  await store.migrate();
  const sync = async (): Promise<DirectorySyncReport> => {
    const source = new LdapDirectorySource({ endpoint: endpoint(), base: sourceOu, flavor: 'ldap', pageSize: 100 });
    const target = new LdapDirectoryTarget(endpoint(), { pageSize: 100, concurrency: 4 });
    try {
      return await runDirectorySync({
        source, target, store, checkpointName: `hostile:${sourceOu}`,
        plan: { profile: 'ums', base: targetOu, entryObjectClasses: ['inetOrgPerson'], extraObjectClasses: [], allowMailChange: false, domainRules: [], loginMap: new Map() },
      }, { dryRun: false, full: true });
    } finally {
      await target.close();
    }
  };
  first = await sync();
  second = await sync();
  const { searchEntries } = await client.search(targetOu, { scope: 'one', filter: '(uid=*)', attributes: ['*'] });
  written = new Map(searchEntries.map((e) => [String(e.uid), Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'dn').map(([k, v]) => [k, ([] as unknown[]).concat(v).map(String)]))]));
  await store.close();
}, 120_000);

afterAll(async () => { await client?.unbind(); });

test('every source user is written or refused with a reason naming it; nothing else is written', () => {
  expect(first.read.users).toBe(PEOPLE.length);
  const refused = new Set(first.errors.map((e) => e.entry));
  for (const e of first.errors) expect(e.reason).toMatch(/\S{5}/);
  expect(written.size + PEOPLE.filter((p) => refused.has(p.uid) || [...refused].some((r) => r.includes(p.uid))).length).toBe(PEOPLE.length);
  expect([...written.keys()].every((uid) => PEOPLE.some((p) => p.uid === uid))).toBe(true);
});

describe('each hostile value is carried exactly, or its entry refused', () => {
  test.each(PEOPLE.map((p) => [p.uid.replace(TAG, ''), p] as const))('%s', (_name, p) => {
    const w = written.get(p.uid);
    const refused = first.errors.some((e) => e.entry.includes(p.uid));
    if (p.copy) expect({ refused, written: w !== undefined }).toEqual({ refused: false, written: true });
    if (!w) {
      expect(refused).toBe(true);
      return;
    }
    expect(w.mail).toEqual(p.mail ? [p.mail] : undefined);
    if (p.displayName) expect(w.displayName).toEqual([p.displayName]);
    if (p.title) expect(w.title).toEqual([p.title]);
  });
});

test('the LDIF of the writes holds no raw control character, and a second sync changes nothing', () => {
  expect(unsafeSpots(first.ldif)).toEqual([]);
  expect([second.adds, second.modifies]).toEqual([0, 0]);
});

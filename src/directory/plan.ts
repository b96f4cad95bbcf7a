/**
 * The directory sync's plan: from the source users (already read and overridden) and the entries
 * the UMS directory holds now, the LDAP adds and modifications that bring the UMS up to date —
 * and nothing else, so a re-run with nothing new plans nothing. Pure: no I/O.
 *
 * Per source user, in order:
 * 1. the login is mapped (user map: source login → UMS login) and checked (no LDAP/DN/filter
 *    metacharacters, spaces or control characters: such a login is refused, never escaped into
 *    a UMS account name);
 * 2. domains are rewritten (mail and SMTP proxy addresses, `DomainRule`s);
 * 3. `mapEntry` gives the desired attributes under the target profile; its issues become
 *    warnings, and an entry left without any primary SMTP address is refused;
 * 4. addresses claimed by two source entries (users, groups, contacts) or already owned by
 *    another UMS entry refuse the entries involved, naming the other owner;
 * 5. the existing UMS entry is found by the login attribute (uid) below the base, else the entry
 *    is new: `uid=<login>,<base>` with the structural classes; `diffEntry` gives the changes
 *    (mail of an existing entry is never changed unless allowed: a warning instead).
 */
import {
  findAddressConflicts, mapEntry, PROFILES, toLdif, toLdifAdd, ldifDocument, diffEntry, escapeDnValue,
  type AttributeMap, type LdapChange, type SourceEntry, type TargetProfile,
} from '../../mappings/directory/entry-mapping.js';
import { parseProxyAddress, formatProxyAddress, rewriteDomain, type DomainRule } from '../../mappings/directory/proxy-addresses.js';
import { addressKey } from '../../mappings/directory/smtp-address.js';
import { planGroups, type GroupTargetOptions, type SourceGroup } from './groups.js';

export type { SourceGroup } from './groups.js';

export interface PlanOptions {
  profile: TargetProfile;
  /** Base DN new entries are created under and existing ones are looked for below. */
  base: string;
  /** Object classes of a new entry besides the profile's (structural first), e.g. inetOrgPerson. */
  entryObjectClasses: string[];
  /** Auxiliary classes every managed entry gets (added when missing). */
  extraObjectClasses: string[];
  allowMailChange: boolean;
  domainRules: DomainRule[];
  /** Source login (lower-case) → UMS login. */
  loginMap: ReadonlyMap<string, string>;
  /** Where mail-enabled groups are written; unset: groups are not written. */
  groups?: GroupTargetOptions;
}

/** A UMS entry as read: DN and attributes (names as the server returned them). */
export interface TargetEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export interface EntryProblem {
  /** The source login (or DN) the problem is about. */
  entry: string;
  reason: string;
}

export type PlannedWrite =
  | { kind: 'add'; entry: string; dn: string; attributes: Record<string, string[]> }
  | { kind: 'modify'; entry: string; dn: string; changes: LdapChange[] };

export interface DirectoryPlan {
  writes: PlannedWrite[];
  errors: EntryProblem[];
  warnings: EntryProblem[];
  unchanged: number;
}

/** Characters a UMS login must not contain: LDAP filter/DN metacharacters, whitespace, controls. */
const BAD_LOGIN = /[\s\p{Cc}*()\\,=+<>;"#/&|!~]/u;

export function loginProblem(login: string): string | undefined {
  if (login.trim() === '') return 'empty login';
  if (BAD_LOGIN.test(login)) return `login ${JSON.stringify(login)} contains characters not allowed in a UMS login (spaces, controls or one of * ( ) \\ , = + < > ; " # / & | ! ~)`;
  if (login.length > 128) return 'login longer than 128 characters';
  return undefined;
}

export function profileMap(profile: TargetProfile): AttributeMap {
  return typeof profile === 'string' ? PROFILES[profile] : profile;
}

/** The entry with `rules` applied to mail and the SMTP proxy addresses. */
export function rewriteEntryDomains(entry: SourceEntry, rules: readonly DomainRule[]): SourceEntry {
  if (rules.length === 0) return entry;
  const out: SourceEntry = { ...entry };
  if (entry.mail !== undefined) out.mail = rewriteDomain(entry.mail, rules);
  out.proxyAddresses = entry.proxyAddresses.map((raw) => {
    const p = parseProxyAddress(raw);
    return p.ok && p.address.type === 'SMTP' ? formatProxyAddress({ ...p.address, value: rewriteDomain(p.address.value, rules) }) : raw;
  });
  return out;
}

/** Comparison keys of every address an attribute set claims (mail, aliases, proxyAddresses). */
function claimedAddresses(attrs: Record<string, readonly string[]>, map: AttributeMap): string[] {
  const out: string[] = [];
  const get = (name: string | undefined): readonly string[] => {
    if (name === undefined) return [];
    const hit = Object.keys(attrs).find((k) => k.toLowerCase() === name.toLowerCase());
    return hit === undefined ? [] : attrs[hit]!;
  };
  for (const v of [...get(map.mail), ...get(map.aliases)]) out.push(`SMTP:${addressKey(v)}`);
  for (const v of get(map.proxyAddresses)) {
    const p = parseProxyAddress(v);
    if (p.ok) out.push(p.address.type === 'SMTP' ? `SMTP:${addressKey(p.address.value)}` : `${p.address.type}:${p.address.value.toLowerCase()}`);
  }
  return out;
}

const lowerKeys = (a: Record<string, readonly string[]>): Map<string, readonly string[]> => new Map(Object.entries(a).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * @param users    the source users to sync
 * @param others   further source entries whose addresses count for conflicts (contacts, and
 *                 groups when they are not written)
 * @param existing every UMS entry below the bases (for matching and address ownership)
 * @param groups   mail-enabled groups to write (with `opts.groups`)
 */
export function planDirectorySync(users: readonly SourceEntry[], others: readonly SourceEntry[], existing: readonly TargetEntry[], opts: PlanOptions, groups: readonly SourceGroup[] = []): DirectoryPlan {
  const map = profileMap(opts.profile);
  const loginAttr = map.login ?? map.mail ?? 'uid';
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  const byLogin = new Map<string, TargetEntry>();
  const owner = new Map<string, string>();
  for (const t of existing) {
    const attrs = lowerKeys(t.attributes);
    const login = attrs.get(loginAttr.toLowerCase())?.[0];
    if (login !== undefined) byLogin.set(login.toLowerCase(), t);
    for (const a of claimedAddresses(t.attributes, map)) if (!owner.has(a)) owner.set(a, t.dn);
  }

  // 1–3: logins, domains, desired attributes.
  const prepared: { name: string; login: string; entry: SourceEntry; desired: Record<string, string[]> }[] = [];
  for (const src of users) {
    const name = src.login || src.key;
    const login = opts.loginMap.get(src.login.toLowerCase()) ?? src.login;
    const problem = loginProblem(login);
    if (problem !== undefined) {
      errors.push({ entry: name, reason: problem });
      continue;
    }
    const entry = rewriteEntryDomains({ ...src, login }, opts.domainRules);
    const mapped = mapEntry(entry, opts.profile);
    for (const i of mapped.issues) warnings.push({ entry: name, reason: i.address === '' ? i.problem : `${i.address}: ${i.problem}` });
    if (mapped.primarySmtp === undefined) {
      errors.push({ entry: name, reason: 'no primary SMTP address and no valid mail: nothing to deliver to; not synced' });
      continue;
    }
    const desired = mapped.attributes;
    const classes = [...(desired.objectClass ?? []), ...opts.extraObjectClasses];
    if (classes.length > 0) desired.objectClass = [...new Set(classes)];
    // inetOrgPerson and person require sn: fall back to the login rather than delete it.
    const needsSn = opts.entryObjectClasses.some((c) => ['inetorgperson', 'person', 'organizationalperson'].includes(c.toLowerCase()));
    if (needsSn && map.sn !== undefined && (desired[map.sn]?.length ?? 0) === 0) desired[map.sn] = [login];
    prepared.push({ name, login, entry, desired });
  }

  // 4: two source users for one UMS login (a user map collision); address conflicts, among the
  // source entries and with UMS entries that are not theirs.
  const refused = new Set<string>();
  const byUmsLogin = new Map<string, typeof prepared>();
  for (const p of prepared) byUmsLogin.set(p.login.toLowerCase(), [...(byUmsLogin.get(p.login.toLowerCase()) ?? []), p]);
  for (const same of byUmsLogin.values()) {
    if (same.length < 2) continue;
    for (const p of same) {
      refused.add(p.entry.key);
      errors.push({ entry: p.name, reason: `UMS login ${p.login} is also the login of ${same.filter((o) => o !== p).map((o) => o.name).join(', ')}; not synced` });
    }
  }
  const writtenGroups = opts.groups ? groups.map((g) => ({ ...g, entry: rewriteEntryDomains(g.entry, opts.domainRules) })) : [];
  const nameOfKey = new Map([...users, ...others, ...groups.map((g) => g.entry)].map((e) => [e.key, e.login || e.key]));
  const written = new Set([...prepared.map((p) => p.entry.key), ...writtenGroups.map((g) => g.entry.key)]);
  const conflicts = findAddressConflicts([
    ...prepared.map((p) => p.entry), ...writtenGroups.map((g) => g.entry),
    ...(opts.groups ? [] : groups.map((g) => rewriteEntryDomains(g.entry, opts.domainRules))),
    ...others.map((o) => rewriteEntryDomains(o, opts.domainRules)),
  ]);
  for (const c of conflicts) {
    for (const key of c.owners) {
      if (!written.has(key)) continue;
      refused.add(key);
      errors.push({ entry: nameOfKey.get(key) ?? key, reason: `address ${c.address} is also claimed by ${c.owners.filter((k) => k !== key).map((k) => nameOfKey.get(k) ?? k).join(', ')}; not synced until one owner gives it up` });
    }
  }
  const stolenBy = (desired: Record<string, string[]>, dn: string): string | undefined => {
    const stolen = claimedAddresses(desired, map).find((a) => owner.has(a) && owner.get(a)!.toLowerCase() !== dn.toLowerCase());
    return stolen === undefined ? undefined : `address ${stolen.replace(/^SMTP:/, '')} already belongs to ${owner.get(stolen)} in the UMS directory; not synced`;
  };
  const dnOfLogin = new Map<string, string>();

  // 5: match and diff.
  const writes: PlannedWrite[] = [];
  let unchanged = 0;
  for (const p of prepared) {
    if (refused.has(p.entry.key)) continue;
    const current = byLogin.get(p.login.toLowerCase());
    const dn = current?.dn ?? `${loginAttr}=${escapeDnValue(p.login)},${opts.base}`;
    const stolen = stolenBy(p.desired, dn);
    if (stolen !== undefined) {
      errors.push({ entry: p.name, reason: stolen });
      continue;
    }
    dnOfLogin.set(p.login.toLowerCase(), dn);
    const diffOpts = { allowMailChange: opts.allowMailChange, ...(map.mail !== undefined ? { mailAttribute: map.mail } : {}), addressAttributes: map.aliases !== undefined ? [map.aliases] : [] };
    if (current === undefined) {
      const attributes: Record<string, string[]> = { objectClass: [...new Set([...opts.entryObjectClasses, ...(p.desired.objectClass ?? [])])] };
      if (!(loginAttr in p.desired)) attributes[loginAttr] = [p.login];
      if (opts.entryObjectClasses.length > 0 && !('cn' in p.desired)) attributes.cn = [p.entry.displayName?.trim() || p.login];
      for (const [k, v] of Object.entries(p.desired)) if (k !== 'objectClass' && v.length > 0) attributes[k] = v;
      writes.push({ kind: 'add', entry: p.name, dn, attributes });
      continue;
    }
    const d = diffEntry(current.attributes, p.desired, diffOpts);
    for (const r of d.refused) warnings.push({ entry: p.name, reason: `${r.attribute} not changed (${current.attributes[r.attribute]?.join(', ') ?? 'set'} → ${p.desired[r.attribute]?.join(', ') ?? ''}): ${r.reason}; set directory.target.allowMailChange to allow it` });
    if (d.changes.length === 0) unchanged++;
    else writes.push({ kind: 'modify', entry: p.name, dn, changes: d.changes });
  }
  if (opts.groups) {
    // Members may be UMS users this run did not read (a delta): those already in the UMS count.
    const g = planGroups(writtenGroups, opts.groups, {
      profile: opts.profile, map, allowMailChange: opts.allowMailChange, refused, existing, ownerOf: stolenBy,
      dnOfLogin: (login) => dnOfLogin.get(login.toLowerCase()) ?? byLogin.get(login.toLowerCase())?.dn,
    });
    writes.push(...g.writes);
    errors.push(...g.errors);
    warnings.push(...g.warnings);
    unchanged += g.unchanged;
  }
  return { writes, errors, warnings, unchanged };
}

/** The plan's writes as one LDIF document (what `--dry-run` prints). */
export function planLdif(writes: readonly PlannedWrite[]): string {
  if (writes.length === 0) return '';
  return ldifDocument(writes.map((w) => (w.kind === 'add' ? toLdifAdd(w.dn, w.attributes) : toLdif(w.dn, w.changes))));
}

/**
 * The directory sync's plan: from the source users (already read and overridden) and the entries
 * the UMS directory holds now, the LDAP adds and modifications that bring the UMS up to date —
 * and nothing else, so a re-run with nothing new plans nothing. Pure: no I/O.
 *
 * Per source user, in order:
 * 1. the login is mapped (user map: source login → UMS login, else `loginRule`) and checked (no
 *    LDAP/DN/filter metacharacters, spaces or control characters: such a login is refused with
 *    what would fix it, never escaped into a UMS account name);
 * 2. domains are rewritten (mail and SMTP proxy addresses, `DomainRule`s);
 * 3. `mapEntry` gives the desired attributes under the target profile; its issues become
 *    warnings, and an entry left without any primary SMTP address is refused;
 * 4. addresses claimed by two source entries (users, groups, contacts) refuse the entries
 *    involved, naming the other owner;
 * 5. the existing UMS entry is found by the login attribute (uid) below the base, else the entry
 *    is new: `uid=<login>,<base>` with the structural classes; `diffEntry` gives the changes
 *    (mail of an existing entry is never changed unless allowed: a warning instead);
 * 6. an address another UMS entry still holds *after the run* refuses the entry (ownership.ts:
 *    an alias moved between two users in one AD change is resolved in one run).
 * Mail-enabled groups (groups.ts) and mail contacts (contacts.ts) are planned alongside when
 * their bases are configured. Writes come in phases: those that free an address another write
 * takes, then users and contacts, then groups (their members exist by then).
 */
import {
  findAddressConflicts, mapEntry, PROFILES, toLdif, toLdifAdd, ldifDocument, escapeDnValue,
  type AttributeMap, type SourceEntry, type TargetProfile,
} from '../../mappings/directory/entry-mapping.js';
import { ldifLine } from '../../mappings/directory/ldif.js';
import { parseProxyAddress, formatProxyAddress, rewriteDomain, type DomainRule } from '../../mappings/directory/proxy-addresses.js';
import { contactCandidates, existingContacts, isBelow, type ContactTargetOptions } from './contacts.js';
import { existingGroups, groupCandidates, planGroupWrites, type GroupTargetOptions, type SourceGroup } from './groups.js';
import { DEFAULT_LOGIN_RULE, primaryAddressOf, resolveUmsLogin, type LoginRule } from '../../mappings/directory/login-rule.js';
import { resolveOwnership, type Candidate } from './ownership.js';

export type { MemberRef, SourceGroup } from './groups.js';
export type { ContactTargetOptions } from './contacts.js';
export { loginProblem } from '../../mappings/directory/login-rule.js';
import type { EntryProblem, PlannedWrite, TargetEntry } from '../../mappings/directory/ldap-writes.js';
export type { EntryProblem, PlannedWrite, TargetEntry } from '../../mappings/directory/ldap-writes.js';

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
  /** Source logins without a user-map row: this rule makes the UMS login (default: keep, refuse spaces). */
  loginRule?: Partial<LoginRule>;
  /** Where mail-enabled groups are written; unset: groups are not written. */
  groups?: GroupTargetOptions;
  /** Where mail contacts are written; unset: contacts are not written (their addresses still count). */
  contacts?: ContactTargetOptions;
  /** A target attribute that gets the user's mailbox type (user, shared, room, equipment, other). */
  mailboxTypeAttribute?: string;
}

export interface DirectoryPlan {
  /** Every write, in the order of `phases`. */
  writes: PlannedWrite[];
  /**
   * Writes to apply one phase after the other (within a phase, in any order): [0] those that
   * free an address another write takes, [1] users and contacts, [2] groups.
   */
  phases: [PlannedWrite[], PlannedWrite[], PlannedWrite[]];
  errors: EntryProblem[];
  warnings: EntryProblem[];
  unchanged: number;
  /** Source key → UMS DN of every user, group and contact the plan writes or found up to date. */
  synced: Map<string, string>;
  /** Source key → why it is not in the UMS directory (login, addresses, conflicts). */
  refused: Map<string, string>;
}

/** What the sync adds to a plan beyond the source entries. */
export interface PlanExtra {
  /** Mail contacts to write (with `opts.contacts`); without it pass them as `others`. */
  contacts?: readonly SourceEntry[];
  /** Source key → mailbox type (for `mailboxTypeAttribute`). */
  mailboxTypes?: ReadonlyMap<string, string>;
  /** Lower-case UMS logins that are not group members (deprovisioned in the UMS). */
  notMembers?: ReadonlySet<string>;
  /** Lower-case DNs this run deletes: their addresses are free. */
  removed?: ReadonlySet<string>;
  /** Attribute values to remove from users' entries (e.g. a disable mark lifted): key → attribute. */
  clear?: ReadonlyMap<string, string>;
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

const lowerKeys = (a: Record<string, readonly string[]>): Map<string, readonly string[]> => new Map(Object.entries(a).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * @param users    the source users to sync
 * @param others   further source entries whose addresses count for conflicts (contacts and
 *                 groups when they are not written)
 * @param existing every UMS entry below the bases (for matching and address ownership)
 * @param groups   mail-enabled groups to write (with `opts.groups`)
 */
export function planDirectorySync(users: readonly SourceEntry[], others: readonly SourceEntry[], existing: readonly TargetEntry[], opts: PlanOptions, groups: readonly SourceGroup[] = [], extra: PlanExtra = {}): DirectoryPlan {
  const map = profileMap(opts.profile);
  const loginAttr = map.login ?? map.mail ?? 'uid';
  const rule = opts.loginRule ?? DEFAULT_LOGIN_RULE;
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  const refusedWhy = new Map<string, string>();
  const refuse = (key: string, entry: string, reason: string): void => {
    errors.push({ entry, reason });
    if (!refusedWhy.has(key)) refusedWhy.set(key, reason);
  };
  const byLogin = new Map<string, TargetEntry>();
  for (const t of existing) {
    if (opts.contacts && isBelow(t.dn, opts.contacts.base)) continue; // contacts are never accounts
    const login = lowerKeys(t.attributes).get(loginAttr.toLowerCase())?.[0];
    if (login !== undefined) byLogin.set(login.toLowerCase(), t);
  }

  // 1–3: logins, domains, desired attributes.
  const prepared: { name: string; login: string; entry: SourceEntry; desired: Record<string, string[]> }[] = [];
  for (const src of users) {
    const name = src.login || src.key;
    const { login, problem } = resolveUmsLogin({ login: src.login, primary: primaryAddressOf(src.mail, src.proxyAddresses) }, opts.loginMap, rule);
    if (problem !== undefined) {
      refuse(src.key, name, problem);
      continue;
    }
    const entry = rewriteEntryDomains({ ...src, login }, opts.domainRules);
    const mapped = mapEntry(entry, opts.profile);
    for (const i of mapped.issues) warnings.push({ entry: name, reason: i.address === '' ? i.problem : `${i.address}: ${i.problem}` });
    if (mapped.primarySmtp === undefined) {
      refuse(src.key, name, 'no primary SMTP address and no valid mail: nothing to deliver to; not synced');
      continue;
    }
    const desired = mapped.attributes;
    const classes = [...(desired.objectClass ?? []), ...opts.extraObjectClasses];
    if (classes.length > 0) desired.objectClass = [...new Set(classes)];
    // inetOrgPerson and person require sn: fall back to the login rather than delete it.
    const needsSn = opts.entryObjectClasses.some((c) => ['inetorgperson', 'person', 'organizationalperson'].includes(c.toLowerCase()));
    if (needsSn && map.sn !== undefined && (desired[map.sn]?.length ?? 0) === 0) desired[map.sn] = [login];
    if (opts.mailboxTypeAttribute !== undefined) desired[opts.mailboxTypeAttribute] = [extra.mailboxTypes?.get(src.key) ?? 'user'];
    const clear = extra.clear?.get(src.key);
    if (clear !== undefined && !(clear in desired)) desired[clear] = [];
    prepared.push({ name, login, entry, desired });
  }

  // 4: two source users for one UMS login (a user map collision); addresses claimed by two
  // source entries.
  const refused = new Set<string>();
  const byUmsLogin = new Map<string, typeof prepared>();
  for (const p of prepared) byUmsLogin.set(p.login.toLowerCase(), [...(byUmsLogin.get(p.login.toLowerCase()) ?? []), p]);
  for (const same of byUmsLogin.values()) {
    if (same.length < 2) continue;
    for (const p of same) {
      refused.add(p.entry.key);
      refuse(p.entry.key, p.name, `UMS login ${p.login} is also the login of ${same.filter((o) => o !== p).map((o) => o.name).join(', ')}; not synced`);
    }
  }
  const writtenGroups = opts.groups ? groups.map((g) => ({ ...g, entry: rewriteEntryDomains(g.entry, opts.domainRules) })) : [];
  const writtenContacts = opts.contacts ? (extra.contacts ?? []).map((c) => rewriteEntryDomains(c, opts.domainRules)) : [];
  const nameOfKey = new Map([...users, ...others, ...(extra.contacts ?? []), ...groups.map((g) => g.entry)].map((e) => [e.key, e.login || e.key]));
  const written = new Set([...prepared.map((p) => p.entry.key), ...writtenGroups.map((g) => g.entry.key), ...writtenContacts.map((c) => c.key)]);
  const conflicts = findAddressConflicts([
    ...prepared.map((p) => p.entry), ...writtenGroups.map((g) => g.entry), ...writtenContacts,
    ...(opts.groups ? [] : groups.map((g) => rewriteEntryDomains(g.entry, opts.domainRules))),
    ...(opts.contacts ? [] : (extra.contacts ?? []).map((o) => rewriteEntryDomains(o, opts.domainRules))),
    ...others.map((o) => rewriteEntryDomains(o, opts.domainRules)),
  ]);
  for (const c of conflicts) {
    for (const key of c.owners) {
      if (!written.has(key)) continue;
      refused.add(key);
      refuse(key, nameOfKey.get(key) ?? key, `address ${c.address} is also claimed by ${c.owners.filter((k) => k !== key).map((k) => nameOfKey.get(k) ?? k).join(', ')}; not synced until one owner gives it up`);
    }
  }

  // 5–6: match, and addresses owned after the run.
  const diffOpts = { allowMailChange: opts.allowMailChange, ...(map.mail !== undefined ? { mailAttribute: map.mail } : {}), addressAttributes: map.aliases !== undefined ? [map.aliases] : [] };
  const userCands: (Candidate & { login: string; entry: SourceEntry })[] = prepared.filter((p) => !refused.has(p.entry.key)).map((p) => {
    const current = byLogin.get(p.login.toLowerCase());
    return { key: p.entry.key, name: p.name, login: p.login, entry: p.entry, dn: current?.dn ?? `${loginAttr}=${escapeDnValue(p.login)},${opts.base}`, current, desired: p.desired, diffOpts };
  });
  const groupSide = opts.groups
    ? groupCandidates(writtenGroups.filter((g) => !refused.has(g.entry.key)), opts.groups, { profile: opts.profile, map, diffOpts, existing })
    : { candidates: [], warnings: [] };
  warnings.push(...groupSide.warnings);
  const contactSide = opts.contacts
    ? contactCandidates(writtenContacts.filter((c) => !refused.has(c.key)), opts.contacts, { profile: opts.profile, map, diffOpts: { ...diffOpts, allowMailChange: true }, existing, extraObjectClasses: opts.extraObjectClasses })
    : { candidates: [], errors: [], warnings: [] };
  for (const e of contactSide.errors) refuse(writtenContacts.find((c) => (c.login || c.key) === e.entry)?.key ?? e.entry, e.entry, e.reason);
  warnings.push(...contactSide.warnings);
  const own = resolveOwnership([...userCands, ...contactSide.candidates, ...groupSide.candidates], existing, map, extra.removed);
  const synced = new Map<string, string>();

  const phase0: PlannedWrite[] = [];
  const phase1: PlannedWrite[] = [];
  const put = (dn: string, w: PlannedWrite): void => {
    (own.releasing.has(dn.toLowerCase()) ? phase0 : phase1).push(w);
  };
  let unchanged = 0;
  const dnOfLogin = new Map<string, string>();
  for (const p of userCands) {
    const why = own.refused.get(p.key);
    if (why !== undefined) {
      refuse(p.key, p.name, why);
      continue;
    }
    dnOfLogin.set(p.login.toLowerCase(), p.dn);
    synced.set(p.key, p.dn);
    if (p.current === undefined) {
      const attributes: Record<string, string[]> = { objectClass: [...new Set([...opts.entryObjectClasses, ...(p.desired.objectClass ?? [])])] };
      if (!(loginAttr in p.desired)) attributes[loginAttr] = [p.login];
      if (opts.entryObjectClasses.length > 0 && !('cn' in p.desired)) attributes.cn = [p.entry.displayName?.trim() || p.login];
      for (const [k, v] of Object.entries(p.desired)) if (k !== 'objectClass' && v.length > 0) attributes[k] = v;
      put(p.dn, { kind: 'add', entry: p.name, dn: p.dn, attributes });
      continue;
    }
    const d = own.diffs.get(p.key)!;
    for (const r of d.refused) warnings.push({ entry: p.name, reason: `${r.attribute} not changed (${p.current.attributes[r.attribute]?.join(', ') ?? 'set'} → ${p.desired[r.attribute]?.join(', ') ?? ''}): ${r.reason}; set directory.target.allowMailChange to allow it` });
    if (d.changes.length === 0) unchanged++;
    else put(p.dn, { kind: 'modify', entry: p.name, dn: p.dn, changes: d.changes });
  }
  const contactDn = new Map<string, string>();
  for (const c of contactSide.candidates) {
    const why = own.refused.get(c.key);
    if (why !== undefined) {
      refuse(c.key, c.name, why);
      continue;
    }
    contactDn.set(c.name.toLowerCase(), c.dn);
    synced.set(c.key, c.dn);
    const d = own.diffs.get(c.key);
    if (d === null || d === undefined) {
      const attributes: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(c.desired)) if (v.length > 0) attributes[k] = v;
      put(c.dn, { kind: 'add', entry: c.name, dn: c.dn, attributes });
    } else if (d.changes.length === 0) unchanged++;
    else put(c.dn, { kind: 'modify', entry: c.name, dn: c.dn, changes: d.changes });
  }

  const phase2: PlannedWrite[] = [];
  if (opts.groups) {
    const accepted = groupSide.candidates.filter((c) => {
      const why = own.refused.get(c.key);
      if (why !== undefined) refuse(c.key, c.name, why);
      return why === undefined;
    });
    const oldGroups = existingGroups(existing);
    const oldContacts = opts.contacts ? existingContacts(existing, opts.contacts.base) : new Map<string, TargetEntry>();
    // Members may be UMS users this run did not read (a delta): those already in the UMS count.
    const g = planGroupWrites(accepted, own.diffs, {
      user: (login) => (extra.notMembers?.has(login.toLowerCase()) ? undefined : dnOfLogin.get(login.toLowerCase()) ?? byLogin.get(login.toLowerCase())?.dn),
      contact: (name) => (opts.contacts ? contactDn.get(name.toLowerCase()) ?? oldContacts.get(name.toLowerCase())?.dn : undefined),
      existingGroup: (name) => oldGroups.get(name.toLowerCase())?.dn,
    });
    const failed = new Set(g.errors.map((e) => e.entry));
    for (const c of accepted) {
      if (failed.has(c.name)) refusedWhy.set(c.key, g.errors.find((e) => e.entry === c.name)!.reason);
      else synced.set(c.key, c.dn);
    }
    for (const w of g.writes) (own.releasing.has(w.dn.toLowerCase()) ? phase0 : phase2).push(w);
    errors.push(...g.errors);
    warnings.push(...g.warnings);
    unchanged += g.unchanged;
  }
  const phases: DirectoryPlan['phases'] = [phase0, phase1, phase2];
  return { writes: phases.flat(), phases, errors, warnings, unchanged, synced, refused: refusedWhy };
}

/** The plan's writes as one LDIF document (what `--dry-run` prints). */
export function planLdif(writes: readonly PlannedWrite[]): string {
  if (writes.length === 0) return '';
  return ldifDocument(writes.map((w) => (w.kind === 'add' ? toLdifAdd(w.dn, w.attributes) : w.kind === 'delete' ? `${ldifLine('dn', w.dn)}\nchangetype: delete\n` : toLdif(w.dn, w.changes))));
}

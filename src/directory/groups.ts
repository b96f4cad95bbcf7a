/**
 * Mail-enabled groups in the UMS directory (part of the directory sync's plan): a source group
 * with a primary SMTP address becomes `cn=<name>,<groups base>` with the configured object
 * classes (default groupOfNames + ruPostMailAccount), cn, its addresses under the profile's
 * attributes, and `member` = the UMS DNs of its members: users, nested groups that are
 * themselves written (a member DN, not expanded), and mail contacts when contacts are written.
 * Members that are not (and will not be) in the UMS directory are left out with a warning; a
 * group with no member left is not written (groupOfNames needs one) — which may leave a parent
 * group without members in turn. Groups without any address are not mail recipients and are
 * skipped silently. Pure: no I/O.
 */
import { diffEntry, escapeDnValue, mapEntry, type AttributeMap, type DiffOptions, type EntryDiff, type SourceEntry, type TargetProfile } from '../../mappings/directory/entry-mapping.js';
import type { Candidate } from './ownership.js';
import type { EntryProblem, PlannedWrite, TargetEntry } from '../../mappings/directory/ldap-writes.js';

/** A member of a source group as the sync identified it (users by their UMS login). */
export type MemberRef = { kind: 'user'; login: string } | { kind: 'group'; name: string } | { kind: 'contact'; name: string };

export interface SourceGroup {
  entry: SourceEntry;
  members: MemberRef[];
  /** Members the sync could not identify (outside the selection, computers…). */
  otherMembers: number;
}

export interface GroupTargetOptions {
  base: string;
  objectClasses: string[];
}

export interface GroupCandidate extends Candidate {
  group: SourceGroup;
}

const attrOf = (t: TargetEntry, name: string): string[] | undefined => Object.entries(t.attributes).find(([k]) => k.toLowerCase() === name)?.[1];

/** Existing UMS groups (groupOfNames) below the groups base, by lower-case cn. */
export function existingGroups(existing: readonly TargetEntry[]): Map<string, TargetEntry> {
  const byCn = new Map<string, TargetEntry>();
  for (const t of existing) {
    if (!(attrOf(t, 'objectclass') ?? []).some((c) => c.toLowerCase() === 'groupofnames')) continue;
    const cn = attrOf(t, 'cn')?.[0];
    if (cn !== undefined) byCn.set(cn.toLowerCase(), t);
  }
  return byCn;
}

/** The groups that have an address, with their desired attributes (without `member`). */
export function groupCandidates(groups: readonly SourceGroup[], target: GroupTargetOptions, ctx: { profile: TargetProfile; map: AttributeMap; diffOpts: DiffOptions; existing: readonly TargetEntry[] }): { candidates: GroupCandidate[]; warnings: EntryProblem[] } {
  const byCn = existingGroups(ctx.existing);
  const candidates: GroupCandidate[] = [];
  const warnings: EntryProblem[] = [];
  for (const g of groups) {
    const name = g.entry.login || g.entry.key;
    const mapped = mapEntry(g.entry, ctx.profile);
    if (mapped.primarySmtp === undefined) continue;
    for (const i of mapped.issues) warnings.push({ entry: name, reason: i.address === '' ? i.problem : `${i.address}: ${i.problem}` });
    const desired: Record<string, string[]> = { objectClass: [...target.objectClasses], cn: [name] };
    for (const attr of [ctx.map.mail, ctx.map.aliases, ctx.map.proxyAddresses]) {
      if (attr !== undefined && mapped.attributes[attr] !== undefined) desired[attr] = mapped.attributes[attr]!;
    }
    const current = byCn.get(name.toLowerCase());
    candidates.push({ key: g.entry.key, name, dn: current?.dn ?? `cn=${escapeDnValue(name)},${target.base}`, current, desired, diffOpts: ctx.diffOpts, group: g });
  }
  return { candidates, warnings };
}

export interface MemberResolver {
  /** UMS DN of a user login that is (or will be) in the UMS directory and may be a member. */
  user(login: string): string | undefined;
  /** UMS DN of a contact written by this run or already there. */
  contact(name: string): string | undefined;
  /** UMS DN of a group already in the UMS that this run does not plan. */
  existingGroup(name: string): string | undefined;
}

/**
 * The writes of the accepted group candidates: members resolved (nested groups only when they
 * are written themselves), groups left without members refused until none is added.
 */
export function planGroupWrites(accepted: readonly GroupCandidate[], diffs: ReadonlyMap<string, EntryDiff | null>, resolve: MemberResolver): { writes: PlannedWrite[]; errors: EntryProblem[]; warnings: EntryProblem[]; unchanged: number } {
  const writes: PlannedWrite[] = [];
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  let unchanged = 0;
  const live = new Map(accepted.map((c) => [c.name.toLowerCase(), c]));
  const membersOf = (c: GroupCandidate): { dns: string[]; missing: string[] } => {
    const dns: string[] = [];
    const missing: string[] = [];
    for (const m of c.group.members) {
      const dn = m.kind === 'user' ? resolve.user(m.login)
        : m.kind === 'contact' ? resolve.contact(m.name)
          : live.has(m.name.toLowerCase()) ? live.get(m.name.toLowerCase())!.dn : resolve.existingGroup(m.name);
      if (dn === undefined) missing.push(m.kind === 'user' ? m.login : `${m.kind} ${m.name}`);
      else dns.push(dn);
    }
    return { dns: [...new Set(dns)], missing };
  };
  for (let again = true; again;) {
    again = false;
    for (const [k, c] of live) {
      if (membersOf(c).dns.length > 0) continue;
      live.delete(k);
      errors.push({ entry: c.name, reason: 'group has no member in the UMS directory (a groupOfNames needs one); not synced' });
      again = true;
    }
  }
  for (const c of accepted) {
    if (!live.has(c.name.toLowerCase())) continue;
    const { dns, missing } = membersOf(c);
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`${missing.length} member(s) not in the UMS directory (not selected, refused, disabled or not mail-enabled): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    if (c.group.otherMembers > 0) parts.push(`${c.group.otherMembers} member(s) outside the selection or not users, groups or contacts are left out`);
    if (parts.length > 0) warnings.push({ entry: c.name, reason: `group: ${parts.join('; ')}` });
    const desired = { ...c.desired, member: dns };
    if (c.current === undefined) {
      const attributes: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(desired)) if (v.length > 0) attributes[k] = v;
      writes.push({ kind: 'add', entry: c.name, dn: c.dn, attributes });
      continue;
    }
    const d = diffEntry(c.current.attributes, desired, c.diffOpts);
    for (const r of (diffs.get(c.key) ?? d).refused) warnings.push({ entry: c.name, reason: `${r.attribute} not changed: ${r.reason}` });
    if (d.changes.length === 0) unchanged++;
    else writes.push({ kind: 'modify', entry: c.name, dn: c.dn, changes: d.changes });
  }
  return { writes, errors, warnings, unchanged };
}

/**
 * Mail-enabled groups in the UMS directory (part of the directory sync's plan): a source group
 * with a primary SMTP address becomes `cn=<name>,<groups base>` with the configured object
 * classes (default groupOfNames + ruPostMailAccount), cn, its addresses under the profile's
 * attributes, and `member` = the UMS DNs of its members. Members that are not (and will not be)
 * in the UMS directory are left out with a warning; a group with no member left is not written
 * (groupOfNames needs one). Groups without any address are not mail recipients and are skipped
 * silently. Nested groups are not expanded. Pure: no I/O.
 */
import { diffEntry, escapeDnValue, mapEntry, type AttributeMap, type SourceEntry, type TargetProfile } from '../../mappings/directory/entry-mapping.js';
import type { EntryProblem, PlannedWrite, TargetEntry } from './plan.js';

export interface SourceGroup {
  entry: SourceEntry;
  /** UMS logins of the member users (already mapped), and how many members are not users. */
  memberLogins: string[];
  otherMembers: number;
}

export interface GroupTargetOptions {
  base: string;
  objectClasses: string[];
}

export interface GroupPlanContext {
  profile: TargetProfile;
  map: AttributeMap;
  allowMailChange: boolean;
  /** Keys refused because of address conflicts (errors already reported). */
  refused: ReadonlySet<string>;
  /** UMS DN of a login that exists or is about to be added. */
  dnOfLogin: (login: string) => string | undefined;
  /** Owner DN of an address key (as claimedAddresses builds them) in the UMS directory. */
  ownerOf: (desired: Record<string, string[]>, dn: string) => string | undefined;
  existing: readonly TargetEntry[];
}

export function planGroups(groups: readonly SourceGroup[], target: GroupTargetOptions, ctx: GroupPlanContext): { writes: PlannedWrite[]; errors: EntryProblem[]; warnings: EntryProblem[]; unchanged: number } {
  const writes: PlannedWrite[] = [];
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  let unchanged = 0;
  const byCn = new Map<string, TargetEntry>();
  for (const t of target.base === '' ? [] : ctx.existing) {
    const classes = Object.entries(t.attributes).find(([k]) => k.toLowerCase() === 'objectclass')?.[1] ?? [];
    if (!classes.some((c) => c.toLowerCase() === 'groupofnames')) continue;
    const cn = Object.entries(t.attributes).find(([k]) => k.toLowerCase() === 'cn')?.[1]?.[0];
    if (cn !== undefined) byCn.set(cn.toLowerCase(), t);
  }
  for (const g of groups) {
    const name = g.entry.login || g.entry.key;
    if (ctx.refused.has(g.entry.key)) continue;
    const mapped = mapEntry(g.entry, ctx.profile);
    if (mapped.primarySmtp === undefined) continue;
    for (const i of mapped.issues) warnings.push({ entry: name, reason: i.address === '' ? i.problem : `${i.address}: ${i.problem}` });
    const members: string[] = [];
    const missing: string[] = [];
    for (const login of g.memberLogins) {
      const dn = ctx.dnOfLogin(login);
      if (dn === undefined) missing.push(login);
      else members.push(dn);
    }
    if (missing.length > 0 || g.otherMembers > 0) {
      const parts = [];
      if (missing.length > 0) parts.push(`${missing.length} member(s) not in the UMS directory (not selected or refused): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      if (g.otherMembers > 0) parts.push(`${g.otherMembers} member(s) that are not users (nested groups, contacts) are not expanded`);
      warnings.push({ entry: name, reason: `group: ${parts.join('; ')}` });
    }
    if (members.length === 0) {
      errors.push({ entry: name, reason: 'group has no member in the UMS directory (a groupOfNames needs one); not synced' });
      continue;
    }
    const desired: Record<string, string[]> = { objectClass: [...target.objectClasses], cn: [name] };
    for (const attr of [ctx.map.mail, ctx.map.aliases, ctx.map.proxyAddresses]) {
      if (attr !== undefined && mapped.attributes[attr] !== undefined) desired[attr] = mapped.attributes[attr]!;
    }
    desired.member = [...new Set(members)];
    const current = byCn.get(name.toLowerCase());
    const dn = current?.dn ?? `cn=${escapeDnValue(name)},${target.base}`;
    const owner = ctx.ownerOf(desired, dn);
    if (owner !== undefined) {
      errors.push({ entry: name, reason: owner });
      continue;
    }
    if (current === undefined) {
      const attributes: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(desired)) if (v.length > 0) attributes[k] = v;
      writes.push({ kind: 'add', entry: name, dn, attributes });
      continue;
    }
    const d = diffEntry(current.attributes, desired, { allowMailChange: ctx.allowMailChange, ...(ctx.map.mail !== undefined ? { mailAttribute: ctx.map.mail } : {}) });
    for (const r of d.refused) warnings.push({ entry: name, reason: `${r.attribute} not changed: ${r.reason}` });
    if (d.changes.length === 0) unchanged++;
    else writes.push({ kind: 'modify', entry: name, dn, changes: d.changes });
  }
  return { writes, errors, warnings, unchanged };
}

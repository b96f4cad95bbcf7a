/**
 * Mail contacts of the source (AD `contact` objects, person entries without a login) in the UMS
 * directory, so the UMS address book lists them and group members can point at them:
 * `cn=<name>,<contacts base>` with the configured object classes (default inetOrgPerson +
 * ruPostMailAccount: mail and proxyAddresses), cn, sn (inetOrgPerson needs one: the contact's
 * sn, else its display name or name), the addresses under the profile's attributes and the GAL
 * attributes. The primary address is the contact's external address (`mail`); addresses of the
 * organisation's own domains in its proxyAddresses are kept, so the routing can send them out.
 * Existing contacts are found by cn below the contacts base. Pure: no I/O.
 */
import { escapeDnValue, mapEntry, type AttributeMap, type DiffOptions, type SourceEntry, type TargetProfile } from '../../mappings/directory/entry-mapping.js';
import type { Candidate } from './ownership.js';
import type { EntryProblem, TargetEntry } from '../../mappings/directory/ldap-writes.js';

export interface ContactTargetOptions {
  base: string;
  objectClasses: string[];
}

export function isBelow(dn: string, base: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/\s*([,=])\s*/g, '$1');
  const d = norm(dn);
  const b = norm(base);
  return d === b || d.endsWith(`,${b}`);
}

/** Existing UMS contacts below the contacts base, by lower-case cn. */
export function existingContacts(existing: readonly TargetEntry[], base: string): Map<string, TargetEntry> {
  const out = new Map<string, TargetEntry>();
  for (const t of existing) {
    if (!isBelow(t.dn, base) || t.dn.toLowerCase() === base.toLowerCase()) continue;
    const cn = Object.entries(t.attributes).find(([k]) => k.toLowerCase() === 'cn')?.[1]?.[0];
    if (cn !== undefined) out.set(cn.toLowerCase(), t);
  }
  return out;
}

export function contactCandidates(contacts: readonly SourceEntry[], target: ContactTargetOptions, ctx: { profile: TargetProfile; map: AttributeMap; diffOpts: DiffOptions; existing: readonly TargetEntry[]; extraObjectClasses: readonly string[] }): { candidates: Candidate[]; errors: EntryProblem[]; warnings: EntryProblem[] } {
  const byCn = existingContacts(ctx.existing, target.base);
  const candidates: Candidate[] = [];
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  for (const c of contacts) {
    const name = c.login || c.key;
    const mapped = mapEntry(c, ctx.profile);
    for (const i of mapped.issues) warnings.push({ entry: name, reason: i.address === '' ? i.problem : `${i.address}: ${i.problem}` });
    if (mapped.primarySmtp === undefined) {
      errors.push({ entry: name, reason: 'contact has no valid mail or primary SMTP address: nothing to address; not synced' });
      continue;
    }
    const desired: Record<string, string[]> = { objectClass: [...new Set([...target.objectClasses, ...(mapped.attributes.objectClass ?? []), ...ctx.extraObjectClasses])], cn: [name] };
    for (const [k, v] of Object.entries(mapped.attributes)) if (k !== 'objectClass' && k !== ctx.map.login) desired[k] = v;
    const sn = ctx.map.sn ?? 'sn';
    if ((desired[sn]?.length ?? 0) === 0) desired[sn] = [c.sn?.trim() || c.displayName?.trim() || name];
    const current = byCn.get(name.toLowerCase());
    candidates.push({ key: c.key, name, dn: current?.dn ?? `cn=${escapeDnValue(name)},${target.base}`, current, desired, diffOpts: ctx.diffOpts });
  }
  return { candidates, errors, warnings };
}

/**
 * The GAL during coexistence: users still on Exchange (not cut over) appear in the UMS directory
 * as contacts below `directory.coexistence.galContacts.base`, so UMS users find and address them;
 * a user's contact disappears once its own mailbox is cut over (it is then a UMS account), when it
 * leaves (disabled, deleted) or falls out of the selection.
 *
 * A contact is `cn=<source login>,<base>` with the configured object classes (default
 * inetOrgPerson), cn, sn (the user's sn, else display name, else login), displayName, mail (the
 * user's primary SMTP address as the source has it: that is where Exchange receives it) and
 * telephoneNumber. Only mail, display name and phone: no proxyAddresses, so the contacts never
 * claim an address (the routing sends mail for them to Exchange). The sync deletes only the
 * contacts it wrote (remembered in its state); anything else below the base is left alone.
 *
 * Cut over: a user whose directory key or login (source or UMS) is in the cutover table of the
 * state store (`cutover`, src/routing/session.ts records user key and login).
 *
 * Pure: no I/O.
 */
import { diffEntry, escapeDnValue, mapEntry } from '../../mappings/directory/entry-mapping.js';
import { isLeaver } from './deprovision.js';
import type { PlannedWrite, TargetEntry } from './plan.js';
import type { StateUser } from './state.js';

export interface GalOptions {
  base: string;
  objectClasses: string[];
}

export interface CutOverSet {
  keys: ReadonlySet<string>;
  /** Lower-case logins. */
  logins: ReadonlySet<string>;
}

export function isCutOver(key: string, u: Pick<StateUser, 'login' | 'umsLogin'>, cut: CutOverSet): boolean {
  return cut.keys.has(key) || cut.logins.has(u.login.toLowerCase()) || (u.umsLogin !== undefined && cut.logins.has(u.umsLogin.toLowerCase()));
}

export interface GalPlan {
  writes: PlannedWrite[];
  /** Source key → contact DN after the writes. */
  gal: Record<string, string>;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
}

function desiredContact(u: StateUser, objectClasses: readonly string[]): Record<string, string[]> | undefined {
  const primary = mapEntry({ key: '', login: u.login, proxyAddresses: u.proxyAddresses, ...(u.mail !== undefined ? { mail: u.mail } : {}) }, 'ad').primarySmtp;
  if (primary === undefined) return undefined;
  const one = (v: string | undefined): string[] => (v === undefined || v.trim() === '' ? [] : [v.trim()]);
  return {
    objectClass: [...objectClasses], cn: [u.login], sn: [u.sn?.trim() || u.displayName?.trim() || u.login],
    displayName: one(u.displayName), mail: [primary], telephoneNumber: one(u.telephoneNumber),
  };
}

/**
 * @param users    every user the sync knows (its state after this run's read)
 * @param existing the entries below the GAL base now
 * @param managed  the contacts written before (key → DN)
 */
export function planGal(users: Readonly<Record<string, StateUser>>, cut: CutOverSet, existing: readonly TargetEntry[], managed: Readonly<Record<string, string>>, opts: GalOptions): GalPlan {
  const byDn = new Map(existing.map((t) => [t.dn.toLowerCase(), t]));
  const out: GalPlan = { writes: [], gal: {}, added: 0, updated: 0, removed: 0, unchanged: 0 };
  const wanted = new Map<string, string>();
  for (const [key, u] of Object.entries(users)) {
    if (isLeaver(u) || isCutOver(key, u, cut)) continue;
    const desired = desiredContact(u, opts.objectClasses);
    if (desired === undefined) continue;
    const dn = `cn=${escapeDnValue(u.login)},${opts.base}`;
    wanted.set(dn.toLowerCase(), key);
    const name = `GAL contact ${u.login}`;
    const current = byDn.get(dn.toLowerCase());
    out.gal[key] = dn;
    if (current === undefined) {
      const attributes: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(desired)) if (v.length > 0) attributes[k] = v;
      out.writes.push({ kind: 'add', entry: name, dn, attributes });
      out.added++;
      continue;
    }
    const d = diffEntry(current.attributes, desired, { allowMailChange: true });
    if (d.changes.length === 0) out.unchanged++;
    else {
      out.writes.push({ kind: 'modify', entry: name, dn, changes: d.changes });
      out.updated++;
    }
  }
  for (const [key, dn] of Object.entries(managed)) {
    if (wanted.has(dn.toLowerCase())) continue;
    if (byDn.has(dn.toLowerCase())) {
      const u = users[key];
      out.writes.push({ kind: 'delete', entry: `GAL contact ${u?.login ?? key}`, dn });
      out.removed++;
    }
  }
  return out;
}

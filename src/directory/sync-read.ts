/**
 * The directory sync's read: the source entries changed since the checkpoint (or all of them),
 * those that failed last time (read again by DN), and — for a delta — every group the sync knows
 * that has among its members an entry read whose change may change the membership in the UMS
 * (`changesMembership`: synced after being refused, disabled, a nested group now written) or a
 * user whose deprovisioning falls due: the group's UMS membership changes although the group
 * itself did not change in the source. Then the members of the groups read are identified (users by login, groups, contacts)
 * from this read, the sync's state, and by reading the remaining member DNs.
 */
import type { DirectoryObject, LdapDirectorySource } from '../../connectors/ldap-source/index.js';
import type { SourceFlavor } from '../../connectors/ldap-source/entry.js';
import { isLeaver } from './deprovision.js';
import type { MemberRef } from './groups.js';
import type { DirectoryState } from './state.js';
import { primaryAddressOf, type LoginSubject } from '../../mappings/directory/login-rule.js';

export interface SyncRead {
  delta: boolean;
  flavor: SourceFlavor;
  objects: DirectoryObject[];
  errors: { dn: string; reason: string }[];
  checkpoint: string;
  entriesRead: number;
  /** Objects read again because they failed before. */
  retried: number;
  /** Groups read again because a member changed. */
  regrouped: number;
}

/**
 * Whether an entry read may change the membership of its groups in the UMS: new to the sync,
 * not in the UMS directory after the last run (refused, not written), moved (another DN), or a
 * user who became a leaver or stopped being one. A title change does not.
 */
export function changesMembership(o: DirectoryObject, state: DirectoryState): boolean {
  const prior = o.kind === 'user' ? state.users[o.entry.key] : o.kind === 'group' ? state.groups[o.entry.key] : state.contacts[o.entry.key];
  if (prior === undefined || prior.umsDn === undefined || prior.dn.toLowerCase() !== o.dn.toLowerCase()) return true;
  if (o.kind !== 'user') return false;
  const u = state.users[o.entry.key]!;
  return u.refused !== undefined || u.deprovisioned !== undefined || isLeaver(u) !== isLeaver({ disabled: o.account?.disabled ?? false, type: o.account?.type ?? 'user' });
}

export async function readSource(source: LdapDirectorySource, since: string | undefined, retryDns: readonly string[], state: DirectoryState, alsoTrigger: readonly string[]): Promise<SyncRead> {
  const read = await source.read(since);
  const seen = new Set(read.objects.map((o) => o.dn.toLowerCase()));
  const again = read.delta ? await source.readDns(retryDns.filter((dn) => !seen.has(dn.toLowerCase())), read.flavor) : { objects: [], errors: [] };
  const objects = [...read.objects, ...again.objects];
  for (const o of again.objects) seen.add(o.dn.toLowerCase());
  let regrouped = 0;
  if (read.delta) {
    const trigger = new Set([...objects.filter((o) => changesMembership(o, state)).map((o) => o.dn.toLowerCase()), ...alsoTrigger.map((d) => d.toLowerCase())]);
    const groups = Object.values(state.groups).filter((g) => !seen.has(g.dn.toLowerCase()) && g.members.some((m) => trigger.has(m)));
    const extra = await source.readDns(groups.map((g) => g.dn), read.flavor);
    objects.push(...extra.objects.filter((o) => o.kind === 'group'));
    regrouped = extra.objects.length;
    again.errors.push(...extra.errors);
  }
  return {
    delta: read.delta, flavor: read.flavor, objects, errors: [...read.errors, ...again.errors], checkpoint: read.checkpoint,
    entriesRead: read.entriesRead, retried: again.objects.length, regrouped,
  };
}

export type MemberIdentity = { kind: 'user'; login: string; primary?: string } | { kind: 'group'; name: string } | { kind: 'contact'; name: string };

/**
 * Source DN (lower-case) → what the member is, for every member of `groups`: from this read, the
 * state, and a read of the DNs neither knows. Users are named by their source login and primary
 * address (what the login rule reads).
 */
function userIdentity(login: string, mail: string | undefined, proxyAddresses: readonly string[]): MemberIdentity {
  const primary = primaryAddressOf(mail, proxyAddresses);
  return { kind: 'user', login, ...(primary !== undefined ? { primary } : {}) };
}

export async function identifyMembers(source: LdapDirectorySource, flavor: SourceFlavor, objects: readonly DirectoryObject[], groups: readonly DirectoryObject[], state: DirectoryState): Promise<Map<string, MemberIdentity>> {
  const ids = new Map<string, MemberIdentity>();
  const learn = (o: DirectoryObject): void => {
    const dn = o.dn.toLowerCase();
    if (o.kind === 'user') ids.set(dn, userIdentity(o.entry.login, o.entry.mail, o.entry.proxyAddresses));
    else if (o.kind === 'group') ids.set(dn, { kind: 'group', name: o.entry.login || o.entry.key });
    else ids.set(dn, { kind: 'contact', name: o.entry.login || o.entry.key });
  };
  for (const u of Object.values(state.users)) if (!u.missing) ids.set(u.dn.toLowerCase(), userIdentity(u.login, u.mail, u.proxyAddresses));
  for (const g of Object.values(state.groups)) ids.set(g.dn.toLowerCase(), { kind: 'group', name: g.name });
  for (const c of Object.values(state.contacts)) ids.set(c.dn.toLowerCase(), { kind: 'contact', name: c.name });
  for (const o of objects) learn(o);
  const unknown = [...new Set(groups.flatMap((g) => g.group?.members ?? []).filter((dn) => !ids.has(dn.toLowerCase())))];
  for (const o of (await source.readDns(unknown, flavor)).objects) learn(o);
  return ids;
}

/** A group's members as the plan takes them (users by UMS login) and how many are unknown. */
export function memberRefs(group: DirectoryObject, ids: ReadonlyMap<string, MemberIdentity>, umsLogin: (user: LoginSubject) => string): { members: MemberRef[]; otherMembers: number } {
  const members: MemberRef[] = [];
  let otherMembers = 0;
  for (const dn of group.group?.members ?? []) {
    const id = ids.get(dn.toLowerCase());
    if (id === undefined) otherMembers++;
    else if (id.kind === 'user') members.push({ kind: 'user', login: umsLogin(id) });
    else members.push(id);
  }
  return { members, otherMembers };
}

/**
 * One directory sync pass: read the source (everything, or only what changed since the
 * checkpoint), plan against the UMS directory (src/directory/plan.ts), apply the plan unless it
 * is a dry run, and advance the checkpoint in the state store. Entries that failed (refused by
 * the plan or by the server) are remembered by source DN and read again by the next delta, so a
 * fixed entry is picked up even if it did not change in the source. With `plan.groups`, the
 * members of mail-enabled groups are resolved to UMS logins (members the read did not include
 * are looked up by DN).
 */
import { type LdapDirectorySource, type DirectoryObject } from '../../connectors/ldap-source/index.js';
import { applyOverride, type Overrides } from '../../connectors/ldap-source/overrides.js';
import type { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import { PERSON_FIELDS, type SourceEntry } from '../../mappings/directory/entry-mapping.js';
import type { StateStore } from '../state/store.js';
import { planDirectorySync, planLdif, profileMap, type EntryProblem, type PlannedWrite, type PlanOptions, type SourceGroup } from './plan.js';

export interface DirectorySyncDeps {
  source: LdapDirectorySource;
  target: LdapDirectoryTarget;
  store: StateStore;
  /** Names this source/target pair's checkpoint in the store. */
  checkpointName: string;
  plan: PlanOptions;
  overrides?: Overrides;
}

export interface DirectorySyncReport {
  mode: 'full' | 'delta';
  dryRun: boolean;
  read: { entries: number; users: number; groups: number; contacts: number; retried: number };
  adds: number;
  modifies: number;
  unchanged: number;
  /** The writes applied (or, on a dry run, planned). */
  applied: PlannedWrite[];
  errors: EntryProblem[];
  warnings: EntryProblem[];
  /** LDIF of `applied`. */
  ldif: string;
  checkpoint: { before: string | null; after: string | null };
  /**
   * Full reads only: UMS entries below the base whose login no source user has (deleted in or
   * moved out of the source selection). Listed, never deleted.
   */
  orphans: string[];
}

function managedAttributes(plan: PlanOptions): string[] {
  const map = profileMap(plan.profile);
  const names = [map.login, map.mail, map.aliases, map.proxyAddresses, ...PERSON_FIELDS.map((f) => map[f])];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

export async function runDirectorySync(deps: DirectorySyncDeps, opts: { dryRun: boolean; full: boolean }): Promise<DirectorySyncReport> {
  const retryName = `${deps.checkpointName}:retry`;
  const before = await deps.store.getCheckpointValue(deps.checkpointName);
  const since = opts.full ? undefined : before ?? undefined;
  const read = await deps.source.read(since);
  const retryDns: string[] = read.delta ? JSON.parse((await deps.store.getCheckpointValue(retryName)) ?? '[]') as string[] : [];
  const again = await deps.source.readDns(retryDns.filter((dn) => !read.objects.some((o) => o.dn.toLowerCase() === dn.toLowerCase())), read.flavor);
  const objects = [...read.objects, ...again.objects];
  const errors: EntryProblem[] = [...read.errors, ...again.errors].map((e) => ({ entry: e.dn, reason: e.reason }));

  const dnOf = new Map<string, string>();
  const users: SourceEntry[] = [];
  const others: SourceEntry[] = [];
  const groupObjects: DirectoryObject[] = [];
  const loginByDn = new Map<string, string>();
  const counts = { users: 0, groups: 0, contacts: 0 };
  for (const o of objects as DirectoryObject[]) {
    counts[`${o.kind}s` as 'users' | 'groups' | 'contacts']++;
    const entry = deps.overrides ? applyOverride(o.entry, deps.overrides) : o.entry;
    if (entry === undefined) continue;
    dnOf.set(entry.login || entry.key, o.dn);
    if (o.kind === 'user') {
      users.push(entry);
      loginByDn.set(o.dn.toLowerCase(), entry.login);
    } else if (o.kind === 'group' && deps.plan.groups) {
      groupObjects.push({ ...o, entry });
    } else {
      others.push(entry);
    }
  }

  // Members of written groups that this read did not include (a delta, or outside the selection).
  const unknown = [...new Set(groupObjects.flatMap((g) => g.group?.members ?? []).filter((dn) => !loginByDn.has(dn.toLowerCase())))];
  for (const o of (await deps.source.readDns(unknown, read.flavor)).objects) {
    if (o.kind === 'user') loginByDn.set(o.dn.toLowerCase(), o.entry.login);
  }
  const ums = (login: string): string => deps.plan.loginMap.get(login.toLowerCase()) ?? login;
  const groups: SourceGroup[] = groupObjects.map((g) => {
    const members = g.group?.members ?? [];
    const logins = members.map((dn) => loginByDn.get(dn.toLowerCase())).filter((l): l is string => l !== undefined);
    return { entry: g.entry, memberLogins: logins.map(ums), otherMembers: members.length - logins.length };
  });

  const map = profileMap(deps.plan.profile);
  const existing = await deps.target.readExisting(deps.plan.base, `(${map.login ?? map.mail ?? 'uid'}=*)`, managedAttributes(deps.plan));
  if (deps.plan.groups) {
    const seen = new Set(existing.map((e) => e.dn.toLowerCase()));
    const groupEntries = await deps.target.readExisting(deps.plan.groups.base, '(objectClass=groupOfNames)', ['cn', 'member', ...managedAttributes(deps.plan)]);
    existing.push(...groupEntries.filter((e) => !seen.has(e.dn.toLowerCase())));
  }
  const plan = planDirectorySync(users, others, existing, deps.plan, groups);
  const loginAttr = (map.login ?? map.mail ?? 'uid').toLowerCase();
  const sourceLogins = new Set(users.map((u) => ums(u.login).toLowerCase()));
  const orphans = read.delta ? [] : existing
    .filter((e) => Object.entries(e.attributes).some(([k, v]) => k.toLowerCase() === loginAttr && v[0] !== undefined && !sourceLogins.has(v[0].toLowerCase())))
    .map((e) => e.dn);
  errors.push(...plan.errors);
  let applied = plan.writes;
  if (!opts.dryRun) {
    const result = await deps.target.apply(plan.writes);
    applied = result.applied;
    for (const f of result.failed) errors.push({ entry: f.write.entry, reason: f.reason });
  }
  let after = before;
  if (!opts.dryRun) {
    after = read.checkpoint;
    await deps.store.setCheckpointValue(deps.checkpointName, after);
    const failedDns = [...new Set(errors.map((e) => dnOf.get(e.entry) ?? e.entry).filter((dn) => dn.includes('=')))];
    await deps.store.setCheckpointValue(retryName, JSON.stringify(failedDns));
  }
  return {
    mode: read.delta ? 'delta' : 'full',
    dryRun: opts.dryRun,
    read: { entries: read.entriesRead, ...counts, retried: again.objects.length },
    adds: applied.filter((w) => w.kind === 'add').length,
    modifies: applied.filter((w) => w.kind === 'modify').length,
    unchanged: plan.unchanged,
    applied,
    errors,
    warnings: plan.warnings,
    ldif: planLdif(applied),
    checkpoint: { before, after },
    orphans,
  };
}

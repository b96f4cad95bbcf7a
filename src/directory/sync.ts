/**
 * One directory sync pass: read the source (everything, or only what changed since the
 * checkpoint, plus what failed before and the groups whose members changed: sync-read.ts), sort
 * out leavers (deprovision.ts), plan against the UMS directory (plan.ts: users, mail contacts,
 * mail-enabled groups), plan the GAL contacts of users still on Exchange (gal.ts), apply it all
 * unless it is a dry run — phase by phase: deletions and writes that free an address first, then
 * users and contacts, groups, GAL contacts — logging every write (sync-log.ts), and remember the
 * checkpoint, the entries to read again and what the sync knows (state.ts) in the state store.
 */
import type { Logger } from 'pino';
import { type LdapDirectorySource, type DirectoryObject } from '../../connectors/ldap-source/index.js';
import { applyOverride, type Overrides } from '../../connectors/ldap-source/overrides.js';
import type { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import { PERSON_FIELDS, type SourceEntry } from '../../mappings/directory/entry-mapping.js';
import type { KeyValueStore, RoutingStore } from '../state/store.js';
import { isBelow } from './contacts.js';
import { DEFAULT_DEPROVISION, planDeprovision, type DeprovisionPolicy, type DeprovisionReport } from './deprovision.js';
import { planGal, type GalOptions } from './gal.js';
import { DEFAULT_LOGIN_RULE, primaryAddressOf, resolveUmsLogin, type LoginSubject } from '../../mappings/directory/login-rule.js';
import { planDirectorySync, planLdif, profileMap, type EntryProblem, type PlannedWrite, type PlanOptions, type SourceGroup } from './plan.js';
import { logProblems, logWrite } from './sync-log.js';
import { identifyMembers, memberRefs, readSource } from './sync-read.js';
import { emptyDirectoryState, loadDirectoryState, saveDirectoryState, type StateContact, type StateGroup, type StateUser } from './state.js';

export type MailboxTypePolicy = Record<'shared' | 'room' | 'equipment', 'sync' | 'skip'>;

export interface DirectorySyncDeps {
  source: LdapDirectorySource;
  target: LdapDirectoryTarget;
  /** Its checkpoint and state; who is cut over (GAL contacts are for the users who are not). */
  store: KeyValueStore & Pick<RoutingStore, 'cutovers'>;
  /** Names this source/target pair's checkpoint in the store. */
  checkpointName: string;
  plan: PlanOptions;
  overrides?: Overrides;
  /** Leavers (disabled or deleted in the source); default: ignore (reported only). */
  deprovision?: DeprovisionPolicy;
  /** Shared, room and equipment mailboxes: synced as accounts (default) or left out (reported). */
  mailboxTypes?: MailboxTypePolicy;
  /** GAL contacts for users not cut over yet; unset: none written. */
  gal?: GalOptions;
  log?: Logger;
  now?: () => Date;
}

export interface DirectorySyncReport {
  mode: 'full' | 'delta';
  dryRun: boolean;
  read: { entries: number; users: number; groups: number; contacts: number; retried: number; regrouped: number };
  adds: number;
  modifies: number;
  deletes: number;
  unchanged: number;
  /** The writes applied (or, on a dry run, planned). */
  applied: PlannedWrite[];
  errors: EntryProblem[];
  warnings: EntryProblem[];
  /** LDIF of `applied`. */
  ldif: string;
  checkpoint: { before: string | null; after: string | null };
  /**
   * Full reads only: UMS entries below the base whose login no source user has and that the sync
   * does not know as a user of the source. Listed, never deleted.
   */
  orphans: string[];
  deprovision: DeprovisionReport;
  /** GAL contacts of users still on Exchange (planned counts; unset without `gal`). */
  gal?: { added: number; updated: number; removed: number; unchanged: number };
}

function managedAttributes(deps: DirectorySyncDeps): string[] {
  const map = profileMap(deps.plan.profile);
  const names = [map.login, map.mail, map.aliases, map.proxyAddresses, ...PERSON_FIELDS.map((f) => map[f]), deps.plan.mailboxTypeAttribute, deps.deprovision?.disable.attribute];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

function stateUserOf(o: DirectoryObject, entry: SourceEntry, prior: StateUser | undefined): StateUser {
  const u: StateUser = { dn: o.dn, login: entry.login, proxyAddresses: [...entry.proxyAddresses], disabled: o.account?.disabled ?? false, type: o.account?.type ?? 'user' };
  for (const f of ['mail', 'legacyExchangeDN', 'displayName', 'sn', 'telephoneNumber'] as const) if (entry[f] !== undefined) u[f] = entry[f];
  for (const f of ['umsDn', 'inactiveSince', 'deprovisioned'] as const) if (prior?.[f] !== undefined) (u as unknown as Record<string, unknown>)[f] = prior[f];
  return u;
}

export async function runDirectorySync(deps: DirectorySyncDeps, opts: { dryRun: boolean; full: boolean }): Promise<DirectorySyncReport> {
  const policy = deps.deprovision ?? DEFAULT_DEPROVISION;
  const now = deps.now?.() ?? new Date();
  const retryName = `${deps.checkpointName}:retry`;
  const before = await deps.store.getCheckpointValue(deps.checkpointName);
  const state = (await loadDirectoryState(deps.store, deps.checkpointName)) ?? emptyDirectoryState();
  const since = opts.full ? undefined : before ?? undefined;
  const retryDns = JSON.parse((await deps.store.getCheckpointValue(retryName)) ?? '[]') as string[];
  // Users whose deprovisioning falls due now although nothing changed in the source: their groups change.
  const due = Object.values(state.users)
    .filter((u) => u.inactiveSince !== undefined && u.deprovisioned === undefined && Date.parse(u.inactiveSince) + policy.graceDays * 86_400_000 <= now.getTime())
    .map((u) => u.dn);
  const read = await readSource(deps.source, since, retryDns, state, due);
  const errors: EntryProblem[] = read.errors.map((e) => ({ entry: e.dn, reason: e.reason }));
  const warnings: EntryProblem[] = [];
  const rule = deps.plan.loginRule ?? DEFAULT_LOGIN_RULE;
  const umsOf = (s: LoginSubject): string => resolveUmsLogin(s, deps.plan.loginMap, rule).login || s.login;
  const ums = (e: SourceEntry): string => umsOf({ login: e.login, primary: primaryAddressOf(e.mail, e.proxyAddresses) });

  // Sort the objects; the users' state after this read.
  const dnOf = new Map<string, string>();
  const users: SourceEntry[] = [];
  const contacts: SourceEntry[] = [];
  const others: SourceEntry[] = [];
  const groupObjects: DirectoryObject[] = [];
  const counts = { users: 0, groups: 0, contacts: 0 };
  const merged: Record<string, StateUser> = { ...state.users };
  const readKeys = new Set<string>();
  const skipped = new Set<string>();
  const groupsState: Record<string, StateGroup> = read.delta ? { ...state.groups } : {};
  const contactsState: Record<string, StateContact> = read.delta ? { ...state.contacts } : {};
  const mailboxTypes = new Map<string, string>();
  for (const o of read.objects) {
    counts[`${o.kind}s` as 'users' | 'groups' | 'contacts']++;
    readKeys.add(o.entry.key);
    const entry = deps.overrides ? applyOverride(o.entry, deps.overrides) : o.entry;
    if (entry === undefined) continue; // `skip` in the overrides: left out, its state kept
    dnOf.set(entry.login || entry.key, o.dn);
    if (o.kind === 'user') {
      const u = stateUserOf(o, entry, state.users[entry.key]);
      u.umsLogin = ums(entry); // a leaver's UMS account is found by it even before the sync knew the user
      merged[entry.key] = u;
      mailboxTypes.set(entry.key, u.type);
      const typePolicy = u.type === 'shared' || u.type === 'room' || u.type === 'equipment' ? deps.mailboxTypes?.[u.type] ?? 'sync' : 'sync';
      if (typePolicy === 'skip') {
        skipped.add(entry.key);
        u.refused = `${u.type} mailbox: not synced (directory.mailboxTypes.${u.type}: skip)`;
        warnings.push({ entry: entry.login, reason: u.refused });
        others.push(entry);
      } else users.push(entry);
    } else if (o.kind === 'group') {
      groupObjects.push({ ...o, entry });
      const g: StateGroup = { dn: o.dn, name: entry.login || entry.key, proxyAddresses: [...entry.proxyAddresses], members: (o.group?.members ?? []).map((m) => m.toLowerCase()) };
      if (entry.mail !== undefined) g.mail = entry.mail;
      const prior = state.groups[entry.key]?.umsDn;
      if (prior !== undefined) g.umsDn = prior;
      groupsState[entry.key] = g;
    } else {
      contacts.push(entry);
      const c: StateContact = { dn: o.dn, name: entry.login || entry.key, proxyAddresses: [...entry.proxyAddresses] };
      for (const f of ['mail', 'displayName'] as const) if (entry[f] !== undefined) c[f] = entry[f];
      if (o.external !== undefined) c.external = o.external;
      const prior = state.contacts[entry.key]?.umsDn;
      if (prior !== undefined) c.umsDn = prior;
      contactsState[entry.key] = c;
    }
  }
  if (!read.delta) {
    for (const [key, u] of Object.entries(merged)) if (!readKeys.has(key)) merged[key] = { ...u, missing: true };
  }
  for (const key of readKeys) if (merged[key]?.missing) delete merged[key]!.missing;

  // The UMS as it is.
  const map = profileMap(deps.plan.profile);
  const loginAttr = map.login ?? map.mail ?? 'uid';
  const notGal = (e: { dn: string }): boolean => deps.gal === undefined || !isBelow(e.dn, deps.gal.base);
  const existing = (await deps.target.readExisting(deps.plan.base, `(${loginAttr}=*)`, managedAttributes(deps))).filter(notGal);
  const seen = new Set(existing.map((e) => e.dn.toLowerCase()));
  const more = async (base: string, filter: string, attrs: string[]): Promise<void> => {
    const found = await deps.target.readExisting(base, filter, [...attrs, ...managedAttributes(deps)], true);
    existing.push(...found.filter((e) => !seen.has(e.dn.toLowerCase()) && notGal(e)));
    for (const e of found) seen.add(e.dn.toLowerCase());
  };
  if (deps.plan.groups) await more(deps.plan.groups.base, '(objectClass=groupOfNames)', ['cn', 'member']);
  if (deps.plan.contacts) await more(deps.plan.contacts.base, '(cn=*)', ['cn', 'sn']);

  // Leavers, then the plan of everything else.
  const dep = planDeprovision({ before: state, merged, read: readKeys, existing, loginAttribute: loginAttr, policy, now });
  errors.push(...dep.errors);
  for (const key of dep.heldBack) if (merged[key] !== undefined) retryDns.push(merged[key]!.dn);
  const ids = await identifyMembers(deps.source, read.flavor, read.objects, groupObjects, state);
  const groups: SourceGroup[] = groupObjects.map((g) => ({ entry: g.entry, ...memberRefs(g, ids, umsOf) }));
  const planned = users.filter((u) => !dep.leavers.has(u.key));
  for (const u of users) if (dep.leavers.has(u.key)) others.push(u);
  const plan = planDirectorySync(planned, deps.plan.contacts ? others : [...others, ...contacts], existing, deps.plan, groups, {
    ...(deps.plan.contacts ? { contacts } : {}), mailboxTypes, notMembers: dep.notMembers, removed: dep.removed, clear: dep.clear,
  });
  errors.push(...plan.errors);
  warnings.push(...plan.warnings);
  const knownUmsDns = new Set(Object.values(merged).map((u) => u.umsDn?.toLowerCase()).filter((d): d is string => d !== undefined));
  const sourceLogins = new Set(users.map((u) => ums(u).toLowerCase()));
  const orphans = read.delta ? [] : existing
    .filter((e) => !knownUmsDns.has(e.dn.toLowerCase()) && !isBelow(e.dn, deps.plan.groups?.base ?? '\u0000') && !isBelow(e.dn, deps.plan.contacts?.base ?? '\u0000'))
    .filter((e) => Object.entries(e.attributes).some(([k, v]) => k.toLowerCase() === loginAttr.toLowerCase() && v[0] !== undefined && !sourceLogins.has(v[0].toLowerCase())))
    .map((e) => e.dn);

  // Users' UMS logins and DNs as planned, for the GAL and the state.
  for (const u of users) {
    const s = dep.users[u.key];
    if (s === undefined) continue;
    s.umsLogin = ums(u);
    const dn = plan.synced.get(u.key);
    if (dn !== undefined) s.umsDn = dn;
    const why = plan.refused.get(u.key);
    if (why !== undefined) s.refused = why;
    else if (!skipped.has(u.key)) delete s.refused;
  }
  let gal: ReturnType<typeof planGal> | undefined;
  if (deps.gal) {
    const cut = await deps.store.cutovers();
    const galExisting = await deps.target.readExisting(deps.gal.base, '(objectClass=*)', ['cn', 'sn', 'displayName', 'mail', 'telephoneNumber'], true);
    gal = planGal(dep.users, { keys: new Set(cut.map((c) => c.userKey)), logins: new Set(cut.map((c) => c.login.toLowerCase())) }, galExisting.filter((e) => e.dn.toLowerCase() !== deps.gal!.base.toLowerCase()), state.gal, deps.gal);
  }

  const phases: PlannedWrite[][] = [
    [...dep.writes.filter((w) => w.kind === 'delete'), ...plan.phases[0]],
    [...dep.writes.filter((w) => w.kind !== 'delete'), ...plan.phases[1]],
    plan.phases[2],
    gal?.writes ?? [],
  ];
  let applied = phases.flat();
  const failed = new Set<PlannedWrite>();
  if (!opts.dryRun) {
    applied = [];
    for (const phase of phases) {
      if (phase.length === 0) continue;
      const result = await deps.target.apply(phase, (w, error) => logWrite(deps.log, w, error));
      applied.push(...result.applied);
      for (const f of result.failed) {
        failed.add(f.write);
        errors.push({ entry: f.write.entry, reason: f.reason });
      }
    }
  }
  logProblems(deps.log, errors, warnings);

  let after = before;
  if (!opts.dryRun) {
    after = read.checkpoint;
    const failedDns = new Map([...failed].map((w) => [w.dn.toLowerCase(), errors.find((e) => e.entry === w.entry)?.reason ?? 'the UMS refused the write']));
    for (const [key, s] of Object.entries(dep.users)) {
      const dn = plan.synced.get(key);
      if (dn === undefined) continue;
      const failure = failedDns.get(dn.toLowerCase());
      if (failure !== undefined) {
        s.refused = failure;
        if (state.users[key]?.umsDn === undefined) delete s.umsDn;
      } else if (!dep.leavers.has(key)) delete s.deprovisioned; // enabled again, and written
    }
    for (const [key, g] of Object.entries(groupsState)) {
      const dn = plan.synced.get(key);
      if (dn !== undefined && !failedDns.has(dn.toLowerCase())) g.umsDn = dn;
    }
    for (const [key, c] of Object.entries(contactsState)) {
      const dn = plan.synced.get(key);
      if (dn !== undefined && !failedDns.has(dn.toLowerCase())) c.umsDn = dn;
    }
    const galAfter: Record<string, string> = {};
    if (gal) {
      for (const [key, dn] of Object.entries(gal.gal)) if (!failedDns.has(dn.toLowerCase())) galAfter[key] = dn;
      // A removal that failed: still ours.
      for (const [key, dn] of Object.entries(state.gal)) if (galAfter[key] === undefined && failedDns.has(dn.toLowerCase())) galAfter[key] = dn;
    }
    await saveDirectoryState(deps.store, deps.checkpointName, {
      version: 1, users: dep.users, groups: groupsState, contacts: contactsState, gal: galAfter, activeUsers: dep.activeUsers,
    });
    await deps.store.setCheckpointValue(deps.checkpointName, after);
    const retry = [...new Set([...errors.map((e) => dnOf.get(e.entry) ?? e.entry).filter((dn) => dn.includes('=')), ...dep.heldBack.map((k) => dep.users[k]?.dn ?? '').filter((d) => d !== '')])];
    await deps.store.setCheckpointValue(retryName, JSON.stringify(retry));
  }
  const report: DirectorySyncReport = {
    mode: read.delta ? 'delta' : 'full',
    dryRun: opts.dryRun,
    read: { entries: read.entriesRead, ...counts, retried: read.retried, regrouped: read.regrouped },
    adds: applied.filter((w) => w.kind === 'add').length,
    modifies: applied.filter((w) => w.kind === 'modify').length,
    deletes: applied.filter((w) => w.kind === 'delete').length,
    unchanged: plan.unchanged + (gal?.unchanged ?? 0),
    applied,
    errors,
    warnings,
    ldif: planLdif(applied),
    checkpoint: { before, after },
    orphans,
    deprovision: dep.report,
    ...(gal ? { gal: { added: gal.added, updated: gal.updated, removed: gal.removed, unchanged: gal.unchanged } } : {}),
  };
  deps.log?.info({ directory: { mode: report.mode, dryRun: report.dryRun, read: report.read, adds: report.adds, modifies: report.modifies, deletes: report.deletes, errors: errors.length, deprovision: dep.report, gal: report.gal } }, 'directory sync: done');
  return report;
}

/**
 * Deprovisioning: what the directory sync does with users that are disabled in the source
 * (userAccountControl 0x2, nsAccountLock) or gone from it (a full read no longer finds them).
 * Shared, room and equipment mailboxes are not leavers when disabled: Exchange disables their
 * accounts by design.
 *
 * A leaver is never created in the UMS and its UMS account is no longer updated. What happens to
 * an account that exists is the policy (`directory.deprovision`):
 * - `ignore`: reported, left as it is;
 * - `disable`: once `graceDays` have passed since the sync first saw it inactive, the configured
 *   mark is set (default nsAccountLock: TRUE, as FreeIPA/389 DS lock an account), and the account
 *   leaves the groups the sync writes; lifted again when the source enables the user;
 * - `delete`: once `graceDays` have passed, the UMS entry is deleted (only entries the sync
 *   matched to the user: never an entry it does not know).
 * Every leaver is listed in the report (pending ones with the date their action is due).
 *
 * The "source became empty" guard: when the users active in the source after this run would be
 * none, or fewer than `minSourceRatio` (default 0.5) of those active after the last run (a wrong
 * base or filter, an empty answer, a mass disable), nothing is deprovisioned and the new marks
 * are not recorded (so the grace period does not start either); the report says why and what to
 * do. Pure: no I/O.
 */
import type { MailboxType } from '../../connectors/ldap-source/entry.js';
import type { EntryProblem, PlannedWrite, TargetEntry } from './plan.js';
import type { DirectoryState, StateUser } from './state.js';

export interface DeprovisionPolicy {
  action: 'ignore' | 'disable' | 'delete';
  graceDays: number;
  /** The mark of a disabled UMS account. */
  disable: { attribute: string; value: string };
  minSourceRatio: number;
}

export const DEFAULT_DEPROVISION: DeprovisionPolicy = { action: 'ignore', graceDays: 30, disable: { attribute: 'nsAccountLock', value: 'TRUE' }, minSourceRatio: 0.5 };

const RESOURCE: ReadonlySet<MailboxType> = new Set(['shared', 'room', 'equipment']);

/** Disabled in the source and a person's mailbox (not shared/room/equipment): a leaver. */
export function isLeaver(u: Pick<StateUser, 'disabled' | 'type' | 'missing'>): boolean {
  return u.missing === true || (u.disabled && !RESOURCE.has(u.type));
}

export interface DeprovisionInput {
  before: DirectoryState;
  /** Users after this run's read: the state's, with this run's users replaced and, for a full read, the unread ones marked missing. */
  merged: Record<string, StateUser>;
  /** Keys read in this run. */
  read: ReadonlySet<string>;
  /** UMS entries below the user base (for the account of a leaver, by DN or login). */
  existing: readonly TargetEntry[];
  loginAttribute: string;
  policy: DeprovisionPolicy;
  now: Date;
}

export interface DeprovisionReport {
  disabled: string[];
  deleted: string[];
  pending: { entry: string; action: 'disable' | 'delete'; due: string }[];
  ignored: string[];
  notCreated: string[];
  reenabled: string[];
  /** Why nothing was deprovisioned (the guard), when it tripped. */
  guard?: string;
}

export interface DeprovisionPlan {
  /** Keys of leavers: left out of the users the plan writes. */
  leavers: Set<string>;
  writes: PlannedWrite[];
  /** Lower-case DNs deleted. */
  removed: Set<string>;
  /** Lower-case UMS logins that are no group member (their account is disabled or deleted). */
  notMembers: Set<string>;
  /** Key → attribute to clear (the disable mark of a user enabled again). */
  clear: Map<string, string>;
  /** The users to remember (guard: newly inactive ones as they were before). */
  users: Record<string, StateUser>;
  /** Users active in the source after this run (the guard's next reference). */
  activeUsers: number;
  /** Keys the guard held back (their source DNs are read again by the next delta). */
  heldBack: string[];
  report: DeprovisionReport;
  errors: EntryProblem[];
}

const DAY = 86_400_000;
const nameOf = (u: StateUser): string => u.umsLogin ?? u.login;

export function planDeprovision(input: DeprovisionInput): DeprovisionPlan {
  const { before, policy, now } = input;
  const loginAttr = input.loginAttribute.toLowerCase();
  const byDn = new Map<string, TargetEntry>();
  const byLogin = new Map<string, TargetEntry>();
  for (const t of input.existing) {
    byDn.set(t.dn.toLowerCase(), t);
    const login = Object.entries(t.attributes).find(([k]) => k.toLowerCase() === loginAttr)?.[1]?.[0];
    if (login !== undefined) byLogin.set(login.toLowerCase(), t);
  }
  const users: Record<string, StateUser> = {};
  const plan: DeprovisionPlan = {
    leavers: new Set(), writes: [], removed: new Set(), notMembers: new Set(), clear: new Map(), users, activeUsers: 0, heldBack: [],
    report: { disabled: [], deleted: [], pending: [], ignored: [], notCreated: [], reenabled: [] }, errors: [],
  };

  // The guard: compare the active population with the last run's.
  const newlyInactive = Object.entries(input.merged).filter(([k, u]) => isLeaver(u) && (before.users[k] === undefined ? false : !isLeaver(before.users[k]!))).map(([k]) => k);
  const activeAfter = Object.values(input.merged).filter((u) => !isLeaver(u)).length;
  const ref = before.activeUsers;
  const trips = policy.action !== 'ignore' && newlyInactive.length > 0 && ref > 0 && (activeAfter === 0 || activeAfter < policy.minSourceRatio * ref);
  if (trips) {
    const why = `the source now has ${activeAfter} active user(s), ${activeAfter === 0 ? 'none' : `fewer than ${Math.round(policy.minSourceRatio * 100)} %`} of the ${ref} after the last run (${newlyInactive.length} newly disabled or gone)`;
    plan.report.guard = `deprovisioning refused: ${why}. Nothing was disabled or deleted and no grace period started. Check directory.source.base, filter and group; if this many users really left, run once with directory.deprovision.minSourceRatio: 0`;
    plan.errors.push({ entry: 'deprovision', reason: plan.report.guard });
  }
  const held = new Set(trips ? newlyInactive : []);
  plan.heldBack = [...held];
  for (const [key, u] of Object.entries(input.merged)) users[key] = held.has(key) ? before.users[key]! : { ...u };
  plan.activeUsers = Object.values(users).filter((u) => !isLeaver(u)).length;

  for (const [key, u] of Object.entries(users)) {
    const name = nameOf(u);
    const prior = before.users[key];
    if (!isLeaver(u)) {
      delete u.inactiveSince;
      // Enabled again: the disable mark is lifted by the user's own write (the caller forgets
      // `deprovisioned` once that write is done).
      if (prior?.deprovisioned === 'disabled' && input.read.has(key)) {
        plan.clear.set(key, policy.disable.attribute);
        plan.report.reenabled.push(name);
      }
      continue;
    }
    plan.leavers.add(key);
    const account = (u.umsDn !== undefined ? byDn.get(u.umsDn.toLowerCase()) : undefined) ?? (u.umsLogin !== undefined ? byLogin.get(u.umsLogin.toLowerCase()) : undefined);
    if (u.deprovisioned !== undefined && u.umsLogin !== undefined) plan.notMembers.add(u.umsLogin.toLowerCase());
    if (account === undefined) {
      if (u.deprovisioned === undefined && input.read.has(key)) plan.report.notCreated.push(name);
      if (u.missing === true) delete users[key]; // gone from the source and from the UMS: forgotten
      continue;
    }
    if (policy.action === 'ignore') {
      plan.report.ignored.push(name);
      continue;
    }
    u.inactiveSince ??= now.toISOString();
    const due = new Date(Date.parse(u.inactiveSince) + policy.graceDays * DAY);
    if (due.getTime() > now.getTime()) {
      plan.report.pending.push({ entry: name, action: policy.action, due: due.toISOString() });
      continue;
    }
    if (trips) continue;
    if (policy.action === 'delete') {
      plan.writes.push({ kind: 'delete', entry: name, dn: account.dn });
      plan.removed.add(account.dn.toLowerCase());
      plan.report.deleted.push(name);
      u.deprovisioned = 'deleted';
      delete u.umsDn;
    } else {
      const mark = policy.disable;
      const have = Object.entries(account.attributes).find(([k]) => k.toLowerCase() === mark.attribute.toLowerCase())?.[1] ?? [];
      if (!(have.length === 1 && have[0] === mark.value)) {
        plan.writes.push({ kind: 'modify', entry: name, dn: account.dn, changes: [{ op: 'replace', attribute: mark.attribute, values: [mark.value] }] });
        plan.report.disabled.push(name);
      }
      u.deprovisioned = 'disabled';
    }
    if (u.umsLogin !== undefined) plan.notMembers.add(u.umsLogin.toLowerCase());
  }
  return plan;
}

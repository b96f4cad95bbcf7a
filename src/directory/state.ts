/**
 * What the directory sync remembers between runs (one JSON value in the state store, named after
 * the source/target pair, beside its change-mark checkpoint): every source user, group and mail
 * contact it has seen, with the account state (disabled, mailbox type), the UMS login and DN it
 * synced to, when it was first seen disabled or gone (the deprovisioning grace period), the
 * members of each group (source DNs: a delta re-reads a group when one of them changes), and the
 * GAL contacts it wrote for users still on Exchange.
 *
 * `directoryAddressBook` is the read side for the coexistence routing and discovery: users with
 * their addresses, UMS login, account state and whether the UMS has an account for them; groups
 * with their members as addresses; mail contacts with their external address.
 */
import type { MailboxType } from '../../connectors/ldap-source/entry.js';
import type { DirectoryGroup, DirectoryUser } from '../../mappings/routing/from-directory.js';
import type { KeyValueStore } from '../state/store.js';
import { coerceError } from '../util/errors.js';

export interface StateUser {
  /** Source DN. */
  dn: string;
  /** Source login (sAMAccountName / uid). */
  login: string;
  /** UMS login it maps to (user map or login rule); absent when refused (see `refused`). */
  umsLogin?: string;
  /** UMS entry DN when the sync wrote it or found it up to date. */
  umsDn?: string;
  mail?: string;
  proxyAddresses: string[];
  legacyExchangeDN?: string;
  displayName?: string;
  sn?: string;
  telephoneNumber?: string;
  disabled: boolean;
  type: MailboxType;
  /** Why the sync did not write it (last run). */
  refused?: string;
  /** ISO time the user was first seen disabled or missing from a full read (grace period). */
  inactiveSince?: string;
  /** True once a full read did not find it. */
  missing?: boolean;
  /** What deprovisioning did in the UMS. */
  deprovisioned?: 'disabled' | 'deleted';
}

export interface StateGroup {
  dn: string;
  name: string;
  mail?: string;
  proxyAddresses: string[];
  /** Member DNs in the source, lower-case. */
  members: string[];
  umsDn?: string;
}

export interface StateContact {
  dn: string;
  name: string;
  mail?: string;
  proxyAddresses: string[];
  external?: string;
  displayName?: string;
  umsDn?: string;
}

export interface DirectoryState {
  version: 1;
  users: Record<string, StateUser>;
  groups: Record<string, StateGroup>;
  contacts: Record<string, StateContact>;
  /** GAL contacts written for users still on Exchange: source key → UMS DN. */
  gal: Record<string, string>;
  /** Users active in the source (enabled, or shared/room/equipment) after the last run: the "source became empty" guard's reference. */
  activeUsers: number;
}

export function emptyDirectoryState(): DirectoryState {
  return { version: 1, users: {}, groups: {}, contacts: {}, gal: {}, activeUsers: 0 };
}

/** The state store name of a sync's remembered state, from its checkpoint name. */
export function directoryStateName(checkpointName: string): string {
  return `${checkpointName}:state`;
}

/** The checkpoint name `directory sync` uses for a config's source/target pair. */
export function directoryCheckpointName(dir: { source: { url: string; base: string }; target: { url: string; base: string } }): string {
  return `directory:${dir.source.url}/${dir.source.base}->${dir.target.url}/${dir.target.base}`;
}

export async function loadDirectoryState(store: Pick<KeyValueStore, 'getCheckpointValue'>, checkpointName: string): Promise<DirectoryState | null> {
  const name = directoryStateName(checkpointName);
  const raw = await store.getCheckpointValue(name);
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`directory sync state "${name}" in the state store is not valid JSON (${coerceError(err).message}); run \`directory sync --full\` after deleting that checkpoint`);
  }
  const s = parsed as Partial<DirectoryState>;
  if (s.version !== 1 || typeof s.users !== 'object' || typeof s.groups !== 'object') {
    throw new Error(`directory sync state "${name}" has an unknown format (version ${JSON.stringify(s.version)}); this ums-migrate reads version 1`);
  }
  return { ...emptyDirectoryState(), ...s } as DirectoryState;
}

export async function saveDirectoryState(store: Pick<KeyValueStore, 'setCheckpointValue'>, checkpointName: string, state: DirectoryState): Promise<void> {
  await store.setCheckpointValue(directoryStateName(checkpointName), JSON.stringify(state));
}

export interface DirectoryAddressBookUser extends DirectoryUser {
  /** The UMS login (user map or login rule), or the source login when none could be made. */
  login: string;
  sourceLogin: string;
  /** The UMS directory has an account for it (synced, not deprovisioned). */
  hasUmsAccount: boolean;
  disabled: boolean;
  mailboxType: MailboxType;
  deprovisioned?: 'disabled' | 'deleted';
  /** Not found by the last full read (deleted in the source or moved out of the selection). */
  missing: boolean;
  refused?: string;
}

export interface DirectoryAddressBookContact {
  key: string;
  name: string;
  mail?: string;
  proxyAddresses: string[];
  /** Where mail to any of its addresses goes: outside the organisation. */
  external?: string;
}

export interface DirectoryAddressBook {
  users: DirectoryAddressBookUser[];
  groups: DirectoryGroup[];
  contacts: DirectoryAddressBookContact[];
}

const primaryOf = (mail: string | undefined, proxies: readonly string[]): string | undefined =>
  proxies.find((p) => p.startsWith('SMTP:'))?.slice(5) ?? (mail?.trim() || undefined);

/**
 * The directory sync's view as the routing's address book (users, groups, contacts), with the
 * account state the routing and discovery need. Group members are the primary addresses of the
 * members the state knows (users, contacts, nested groups); members it does not know are left out.
 */
export function directoryAddressBook(state: DirectoryState): DirectoryAddressBook {
  const byDn = new Map<string, string>();
  for (const u of Object.values(state.users)) {
    const p = primaryOf(u.mail, u.proxyAddresses);
    if (p !== undefined && !u.missing) byDn.set(u.dn.toLowerCase(), p);
  }
  for (const c of Object.values(state.contacts)) {
    const p = primaryOf(c.mail, c.proxyAddresses);
    if (p !== undefined) byDn.set(c.dn.toLowerCase(), p);
  }
  for (const g of Object.values(state.groups)) {
    const p = primaryOf(g.mail, g.proxyAddresses);
    if (p !== undefined) byDn.set(g.dn.toLowerCase(), p);
  }
  const users = Object.entries(state.users).map(([key, u]): DirectoryAddressBookUser => {
    const out: DirectoryAddressBookUser = {
      key, login: u.umsLogin ?? u.login, sourceLogin: u.login, proxyAddresses: [...u.proxyAddresses],
      hasUmsAccount: u.umsDn !== undefined && u.deprovisioned === undefined,
      disabled: u.disabled, mailboxType: u.type, missing: u.missing === true,
    };
    if (u.mail !== undefined) out.mail = u.mail;
    if (u.legacyExchangeDN !== undefined) out.legacyExchangeDN = u.legacyExchangeDN;
    if (u.deprovisioned !== undefined) out.deprovisioned = u.deprovisioned;
    if (u.refused !== undefined) out.refused = u.refused;
    return out;
  });
  const groups: DirectoryGroup[] = [];
  for (const [key, g] of Object.entries(state.groups)) {
    const mail = primaryOf(g.mail, g.proxyAddresses);
    if (mail === undefined) continue;
    groups.push({ key, mail, proxyAddresses: [...g.proxyAddresses], members: g.members.map((m) => byDn.get(m)).filter((a): a is string => a !== undefined) });
  }
  const contacts = Object.entries(state.contacts).map(([key, c]): DirectoryAddressBookContact => {
    const out: DirectoryAddressBookContact = { key, name: c.name, proxyAddresses: [...c.proxyAddresses] };
    if (c.mail !== undefined) out.mail = c.mail;
    if (c.external !== undefined) out.external = c.external;
    return out;
  });
  return { users, groups, contacts };
}

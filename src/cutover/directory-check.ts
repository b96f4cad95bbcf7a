/**
 * The gate's directory check: with a `directory:` section, the UMS account of a user comes from the
 * directory sync, and its remembered state (src/directory/state.ts) says whether it wrote one. A
 * user the last sync refused (an address claimed twice, no primary address, a login it cannot
 * map…), disabled or deprovisioned, or that it never saw, has no usable UMS account: mail routed
 * there would bounce. The user is found by directory key (the address book from the directory
 * sync uses the same keys), else by UMS or source login.
 */
import type { LoadedConfig } from '../config/loaded.js';
import { directoryAddressBook, directoryCheckpointName, loadDirectoryState, type DirectoryAddressBookUser } from '../directory/state.js';
import type { KeyValueStore } from '../state/store.js';
import type { GateFailure } from './gate-failure.js';

export type DirectoryAccounts = readonly DirectoryAddressBookUser[];

/** The directory sync's users, or undefined when the config has no directory section (nothing to check). */
export async function loadDirectoryAccounts(store: Pick<KeyValueStore, 'getCheckpointValue'>, loaded: Pick<LoadedConfig, 'config'>): Promise<DirectoryAccounts | undefined> {
  const dir = loaded.config.directory;
  if (dir === undefined) return undefined;
  const state = await loadDirectoryState(store, directoryCheckpointName(dir));
  return state === null ? [] : directoryAddressBook(state).users;
}

export function directoryFailure(accounts: DirectoryAccounts, user: { key: string; login: string }, mailbox?: { source: string; target: string }): GateFailure | undefined {
  const names = new Set([user.login, mailbox?.target, mailbox?.source].filter((n): n is string => n !== undefined).map((n) => n.toLowerCase()));
  const u = accounts.find((a) => a.key === user.key) ?? accounts.find((a) => names.has(a.login.toLowerCase()) || names.has(a.sourceLogin.toLowerCase()));
  const sync = 'run `ums-migrate directory sync`';
  if (u === undefined) {
    return { check: 'directory', reason: `the directory sync has no account for ${user.login}${accounts.length === 0 ? ' (it never ran)' : ''}: without a UMS account its mail would bounce; ${sync} (check directory.source.base/filter)` };
  }
  if (u.refused !== undefined) return { check: 'directory', reason: `the directory sync refused ${user.login}: ${u.refused}: fix that in the source directory and ${sync}` };
  if (u.deprovisioned !== undefined) return { check: 'directory', reason: `${user.login}'s UMS account was ${u.deprovisioned} by the directory sync (deprovisioning)` };
  if (u.missing) return { check: 'directory', reason: `${user.login} is no longer in the source directory (last full directory sync): not cut over` };
  // Shared, room and equipment mailboxes have disabled accounts in AD by design.
  if (u.disabled && u.mailboxType === 'user') return { check: 'directory', reason: `${user.login} is disabled in the source directory (a leaver?): not cut over` };
  if (!u.hasUmsAccount) return { check: 'directory', reason: `the directory sync has not written a UMS account for ${user.login}: ${sync}` };
  return undefined;
}

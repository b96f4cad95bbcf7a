/**
 * Who is in a cutover, and which mailbox each user has: the routing's address book names users
 * (key, UMS login, addresses); the config's mailbox list (inline `mailboxes` and the userMap CSV)
 * names mailboxes (source login → UMS login) and, in its optional `wave` column, the wave each
 * belongs to. A user's mailbox is the configured one whose UMS login (else source login) is the
 * user's login or one of its SMTP addresses, case-insensitively.
 *
 * Pure.
 */
import { findUser, type AddressBook, type DirectoryUser } from '../../mappings/routing/from-directory.js';
import type { MailboxEntry } from '../config/loaded.js';

export interface Member {
  user: DirectoryUser;
  /** The user's configured mailbox, or why there is none. */
  mailbox: MailboxEntry | { error: string };
}

function smtpOf(u: DirectoryUser): string[] {
  return [u.mail ?? '', ...u.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5))].map((a) => a.trim().toLowerCase()).filter((a) => a !== '');
}

export function mailboxFor(user: DirectoryUser, mailboxes: readonly MailboxEntry[]): MailboxEntry | { error: string } {
  const login = user.login.toLowerCase();
  const addresses = new Set(smtpOf(user));
  for (const side of ['target', 'source'] as const) {
    const byLogin = mailboxes.filter((m) => m[side].toLowerCase() === login);
    if (byLogin.length === 1) return byLogin[0]!;
    const byAddress = mailboxes.filter((m) => addresses.has(m[side].toLowerCase()));
    if (byLogin.length === 0 && byAddress.length === 1) return byAddress[0]!;
    if (byLogin.length + byAddress.length > 1) {
      return { error: `more than one configured mailbox matches user ${user.login}: ${[...byLogin, ...byAddress].map((m) => `${m.source} → ${m.target} (${m.origin})`).join(', ')}` };
    }
  }
  return { error: `no configured mailbox (mailboxes or userMap) has ${user.login} or one of its addresses as UMS or source login: nothing of it was migrated; add it and run \`ums-migrate run\`` };
}

/** The configured waves, in order of first appearance. */
export function waveNames(mailboxes: readonly MailboxEntry[]): string[] {
  return [...new Set(mailboxes.map((m) => m.wave).filter((w): w is string => w !== undefined))];
}

/**
 * The users of wave `wave`: each configured mailbox of that wave, with its address-book user.
 * A mailbox without a user in the address book cannot be routed: a problem naming it.
 */
export function waveMembers(wave: string, mailboxes: readonly MailboxEntry[], book: AddressBook): { members: Member[]; problems: string[] } {
  const entries = mailboxes.filter((m) => m.wave === wave);
  const problems: string[] = [];
  if (entries.length === 0) {
    const known = waveNames(mailboxes);
    problems.push(`no configured mailbox is in wave ${JSON.stringify(wave)} (${known.length > 0 ? `waves: ${known.map((w) => JSON.stringify(w)).join(', ')}` : 'no mailbox has a wave: add a wave column to the userMap CSV or wave: to mailboxes'})`);
  }
  const members: Member[] = [];
  for (const m of entries) {
    let found = findUser(book, m.target);
    if ('error' in found) found = findUser(book, m.source);
    if ('error' in found) {
      problems.push(`${m.origin}: mailbox ${m.source} → ${m.target} has no user in the routing address book (by login or address): not routed; add it to the address book`);
      continue;
    }
    if (members.some((x) => x.user.key === (found as { user: DirectoryUser }).user.key)) continue;
    members.push({ user: found.user, mailbox: m });
  }
  return { members, problems };
}

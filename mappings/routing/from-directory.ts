/**
 * The routing model (routing-table.ts) from directory data: users with their proxyAddresses and
 * legacyExchangeDN, groups with their members, and the set of users cut over (state store).
 *
 * - A user's SMTP addresses are the SMTP proxyAddresses (validated and de-duplicated by
 *   normaliseProxyAddresses, `mail` preferred as primary) plus `mail`; without any SMTP primary,
 *   `mail` is the primary; without both, the user has none (reported by the routing table).
 * - IMCEAEX: the legacyExchangeDN and every X500 proxy address (earlier legacyExchangeDNs, e.g.
 *   of a mailbox moved between organisations) are encapsulated for every coexistence domain, so
 *   replies to cached Outlook entries reach the user wherever the mailbox is.
 * - A group is routed on each of its SMTP addresses (mail and SMTP proxyAddresses). A member is an
 *   SMTP address, or a login of a user in the address book (written as that user's primary).
 * - A mail contact (directory address book) is an Exchange recipient that never moves: its
 *   addresses in the coexistence domains (an alias of a partner in the shared domain) and the
 *   IMCEAEX forms of its legacyExchangeDN are relayed to Exchange, which forwards to the external
 *   address; its addresses elsewhere are not ours and are left out silently.
 * - A cut-over user the directory knows to have no UMS account (never synced, refused or
 *   deprovisioned) is reported: its mail would bounce on the UMS.
 * - Problems (malformed proxy addresses, unknown member logins, cut-over keys missing from the
 *   address book) are returned per entry, naming it; the entry itself is still routed as far as
 *   it can be.
 *
 * Pure: no I/O.
 */
import { encodeImceaex } from '../directory/imceaex.js';
import { normaliseProxyAddresses } from '../directory/proxy-addresses.js';
import { addressKey, asciiDomain, splitAddress } from '../directory/smtp-address.js';
import type { RoutingGroup, RoutingModel, RoutingUser } from './routing-table.js';

/** A user as the directory (or an address book file) describes it; a subset of the directory sync's SourceEntry. */
export interface DirectoryUser {
  key: string;
  login: string;
  mail?: string;
  proxyAddresses: string[];
  legacyExchangeDN?: string;
  /** From the directory: the kind of mailbox (shared, room… are routed like any user). */
  mailboxType?: 'user' | 'shared' | 'room' | 'equipment' | 'other';
  /** From the directory: whether the UMS directory has an account for the user (absent: unknown, e.g. a CSV book). */
  hasUmsAccount?: boolean;
}

/** A mail contact of the directory: an address of someone outside, possibly with an alias in a shared domain. */
export interface DirectoryContact {
  key: string;
  name: string;
  mail?: string;
  proxyAddresses: string[];
  legacyExchangeDN?: string;
}

export interface DirectoryGroup {
  key: string;
  mail: string;
  proxyAddresses: string[];
  /** SMTP addresses, or logins of users in the same address book. */
  members: string[];
}

export interface AddressBook {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  /** Mail contacts (directory address book only). */
  contacts?: DirectoryContact[];
}

export type RoutingSettings = Omit<RoutingModel, 'users' | 'groups'>;

export interface ModelResult {
  model: RoutingModel;
  /** Per-entry problems, each naming the entry. */
  issues: string[];
}

function smtpAddresses(mail: string | undefined, proxies: readonly string[]): { addresses: string[]; primary: string; issues: string[]; x500: string[] } {
  const n = normaliseProxyAddresses(proxies, mail === undefined ? {} : { preferredPrimary: mail });
  const smtp = n.addresses.filter((p) => p.type === 'SMTP').map((p) => p.value);
  const x500 = n.addresses.filter((p) => p.type === 'X500').map((p) => p.value);
  const addresses = [...smtp];
  if (mail !== undefined && mail.trim() !== '' && !addresses.some((a) => addressKey(a) === addressKey(mail))) addresses.unshift(mail.trim());
  const primary = n.primarySmtp ?? mail?.trim() ?? '';
  // A missing primary (address "") is reported by the routing table, which also knows about `mail`.
  const issues = n.issues.filter((i) => i.address !== '').map((i) => `${i.address}: ${i.problem}`);
  return { addresses, primary, issues, x500 };
}

/**
 * legacyExchangeDN → primary SMTP address of every user of the directory (the current
 * legacyExchangeDN and earlier ones kept as X500 proxy addresses): what EX (X.500) organizers and
 * attendees of Exchange items resolve to before EWS is asked. Keys in lower case. Users without a
 * primary address are left out.
 */
export function legacyDnTable(book: AddressBook): Map<string, string> {
  const out = new Map<string, string>();
  for (const u of book.users) {
    const a = smtpAddresses(u.mail, u.proxyAddresses);
    if (a.primary === '') continue;
    for (const dn of [u.legacyExchangeDN, ...a.x500]) {
      const d = dn?.trim();
      if (d && d.startsWith('/')) out.set(d.toLowerCase(), a.primary);
    }
  }
  return out;
}

export function routingModel(settings: RoutingSettings, book: AddressBook, cutOverKeys: ReadonlySet<string>): ModelResult {
  const issues: string[] = [];
  const users: RoutingUser[] = [];
  const primaryByLogin = new Map<string, string>();
  for (const u of book.users) {
    const name = `user ${u.login} (${u.key})`;
    const a = smtpAddresses(u.mail, u.proxyAddresses);
    for (const i of a.issues) issues.push(`${name}: ${i}`);
    const dns = [...new Set([u.legacyExchangeDN, ...a.x500].filter((d): d is string => d !== undefined && d.trim().startsWith('/')).map((d) => d.trim()))];
    for (const d of [u.legacyExchangeDN, ...a.x500]) if (d !== undefined && d.trim() !== '' && !d.trim().startsWith('/')) issues.push(`${name}: ${JSON.stringify(d)} is not a legacyExchangeDN (must start with "/"); no IMCEAEX address for it`);
    const imceaex = dns.flatMap((dn) => settings.domains.map((domain) => encodeImceaex(dn, domain)));
    users.push({ key: u.key, login: u.login, addresses: a.addresses, primary: a.primary, cutOver: cutOverKeys.has(u.key), ...(imceaex.length > 0 ? { imceaex } : {}) });
    if (a.primary !== '') primaryByLogin.set(u.login.toLowerCase(), a.primary);
    if (cutOverKeys.has(u.key) && u.hasUmsAccount === false) {
      issues.push(`${name}: cut over, but the directory sync has no UMS account for it (not synced, refused or deprovisioned): its mail will bounce on the UMS; \`cutover --undo\` it or fix its directory sync`);
    }
  }
  const ours = new Set(settings.domains.map((d) => asciiDomain(d)).filter((d): d is string => d !== undefined));
  const inOurDomains = (address: string): boolean => {
    const domain = splitAddress(address)?.domain;
    return domain !== undefined && ours.has(asciiDomain(domain) ?? '');
  };
  for (const c of book.contacts ?? []) {
    const name = `contact ${c.name} (${c.key})`;
    const a = smtpAddresses(c.mail, c.proxyAddresses);
    const addresses = a.addresses.filter(inOurDomains);
    const dn = c.legacyExchangeDN?.trim();
    const imceaex = addresses.length > 0 && dn !== undefined && dn.startsWith('/') ? settings.domains.map((domain) => encodeImceaex(dn, domain)) : [];
    if (addresses.length === 0) continue;
    for (const i of a.issues) issues.push(`${name}: ${i}`);
    users.push({ key: c.key, login: c.name, addresses, primary: inOurDomains(a.primary) ? a.primary : addresses[0]!, cutOver: false, ...(imceaex.length > 0 ? { imceaex } : {}) });
  }
  const known = new Set(book.users.map((u) => u.key));
  for (const key of [...cutOverKeys].sort()) if (!known.has(key)) issues.push(`cut-over user ${key} is not in the address book: not routed`);

  const groups: RoutingGroup[] = [];
  for (const g of book.groups) {
    const name = `group ${g.mail} (${g.key})`;
    const a = smtpAddresses(g.mail, g.proxyAddresses);
    for (const i of a.issues) issues.push(`${name}: ${i}`);
    const members: string[] = [];
    for (const m of g.members.map((x) => x.trim()).filter((x) => x !== '')) {
      if (m.includes('@')) members.push(m);
      else {
        const primary = primaryByLogin.get(m.toLowerCase());
        if (primary === undefined) issues.push(`${name}: member ${JSON.stringify(m)} is neither an address nor the login of a user with a primary address; dropped`);
        else members.push(primary);
      }
    }
    for (const address of a.addresses) groups.push({ address, members });
  }
  return { model: { ...settings, users, groups }, issues };
}

/**
 * The user `ref` names: by key (exact), login or any of the user's SMTP addresses
 * (case-insensitive). An error text when no user, or more than one, matches.
 */
export function findUser(book: AddressBook, ref: string): { user: DirectoryUser } | { error: string } {
  const r = ref.trim();
  const byKey = book.users.filter((u) => u.key === r);
  if (byKey.length === 1) return { user: byKey[0]! };
  const lower = r.toLowerCase();
  const key = r.includes('@') ? addressKey(r) : undefined;
  const matches = book.users.filter((u) => {
    if (u.login.toLowerCase() === lower) return true;
    if (key === undefined) return false;
    const values = [u.mail ?? '', ...u.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5))];
    return values.some((v) => v !== '' && addressKey(v.trim()) === key);
  });
  if (matches.length === 1) return { user: matches[0]! };
  if (matches.length === 0) return { error: `${JSON.stringify(r)}: no user with this key, login or address in the address book` };
  return { error: `${JSON.stringify(r)}: ambiguous, matches ${matches.map((u) => `${u.login} (${u.key})`).join(' and ')}` };
}

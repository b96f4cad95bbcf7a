/**
 * Mailbox discovery: which users of the source directory are mailboxes to migrate, and the user
 * map row of each (source login → UMS login, wave, mailbox type). Pure: no I/O.
 *
 * A user is listed when it has a primary SMTP address and is a mailbox: its recipient type is a
 * mailbox type (user, shared, room, equipment), or — with `mailboxAttribute` — it has that
 * attribute, or — in a directory with no recipient type on any user (no Exchange schema) — it
 * has a mail address. A disabled user mailbox (a leaver) is left out unless `includeDisabled`;
 * shared, room and equipment mailboxes are listed whatever their account state (Exchange
 * disables their accounts). Everything left out is returned with the reason.
 *
 * The source login is what the mail migration logs in as (sourceLogin); the UMS login is made by
 * the directory sync's own rule (`directory.loginRule`: from the login, the primary address's
 * local part or the primary address; case; spaces), mappings/directory/login-rule.ts. A row the user map cannot hold (spaces in the source, a
 * UMS login `loginProblem` refuses, a value starting with a spreadsheet formula character, a
 * login shared by two mailboxes) is a problem naming the user and what to do, and is left out.
 */
import type { DirectoryObject, MailboxType } from '../directory/directory-object.js';
import { primaryAddressOf, resolveUmsLogin, type LoginRule } from '../directory/login-rule.js';

export interface DiscoverRules {
  sourceLogin: 'login' | 'mail' | 'userPrincipalName';
  /** directory.loginRule: the UMS login exactly as the directory sync makes it. */
  loginRule: Partial<LoginRule>;
  includeDisabled: boolean;
  mailboxAttribute?: string;
  waveAttribute?: string;
  /** For messages: the attribute the recipient type is read from. */
  recipientTypeAttribute: string;
}

/** A directory user as read, with the extra attributes discovery asks for (names lower-case). */
export interface DiscoverInput {
  object: DirectoryObject;
  extra: ReadonlyMap<string, string>;
}

export interface DiscoveredMailbox {
  key: string;
  dn: string;
  /** sAMAccountName / uid. */
  login: string;
  source: string;
  target: string;
  type: Exclude<MailboxType, 'other'>;
  disabled: boolean;
  /** From `waveAttribute`, when set and present. */
  wave?: string;
}

export interface LeftOut {
  /** The user's login (or DN). */
  name: string;
  /** The user map source it would have had, when known (to explain a removal). */
  source?: string;
  reason: string;
}

export interface Discovery {
  mailboxes: DiscoveredMailbox[];
  /** Users that are not mailboxes to migrate, with the reason. */
  leftOut: LeftOut[];
  /** Mailboxes the user map cannot hold as they are, with what to do. */
  problems: LeftOut[];
}

const FORMULA = /^[=+\-@]/;
const MAILBOX_TYPES = new Set<MailboxType>(['user', 'shared', 'room', 'equipment']);

const primaryOf = (o: DirectoryObject): string | undefined => primaryAddressOf(o.entry.mail, o.entry.proxyAddresses);

export function discoverMailboxes(users: readonly DiscoverInput[], rules: DiscoverRules): Discovery {
  const leftOut: LeftOut[] = [];
  const problems: LeftOut[] = [];
  const candidates: DiscoveredMailbox[] = [];
  const anyRecipientType = users.some((u) => u.object.account?.rawType !== undefined);
  for (const { object: o, extra } of users) {
    if (o.kind !== 'user') continue;
    const name = o.entry.login || o.dn;
    const account = o.account ?? { disabled: false, type: 'user' as const };
    const primary = primaryOf(o);
    const sourceOf = (): string | undefined => rules.sourceLogin === 'login' ? o.entry.login || undefined
      : rules.sourceLogin === 'mail' ? primary : extra.get('userprincipalname');
    const leave = (reason: string) => leftOut.push({ name, ...(sourceOf() !== undefined ? { source: sourceOf()! } : {}), reason });
    if (primary === undefined) {
      leave('no mail address: not a mailbox');
      continue;
    }
    if (rules.mailboxAttribute !== undefined) {
      if (!extra.has(rules.mailboxAttribute.toLowerCase())) {
        leave(`no ${rules.mailboxAttribute}: not a mailbox`);
        continue;
      }
    } else if (account.rawType === undefined && anyRecipientType) {
      leave(`no ${rules.recipientTypeAttribute}: not a mailbox (a user with only a mail address)`);
      continue;
    }
    if (!MAILBOX_TYPES.has(account.type)) {
      leave(`${rules.recipientTypeAttribute} ${account.rawType ?? '?'} is not a mailbox (mail user, contact or group recipient)`);
      continue;
    }
    const type = account.type as DiscoveredMailbox['type'];
    if (account.disabled && type === 'user' && !rules.includeDisabled) {
      leave('disabled account (a leaver): not listed (discover.includeDisabled lists them)');
      continue;
    }
    const source = sourceOf();
    if (source === undefined || source.trim() === '') {
      problems.push({ name, reason: `no ${rules.sourceLogin} for the source column; set discover.sourceLogin to another attribute, or add the mailbox to the user map by hand` });
      continue;
    }
    if (/[\s\p{Cc}]/u.test(source)) {
      problems.push({ name, source, reason: `source login ${JSON.stringify(source)} contains spaces or control characters, which the user map cannot hold; set discover.sourceLogin to mail (the primary address ${primary})` });
      continue;
    }
    const { login: target, problem: why } = resolveUmsLogin({ login: o.entry.login, primary }, new Map(), rules.loginRule);
    if (why !== undefined) {
      problems.push({ name, source, reason: `UMS login: ${why.replace(/; not synced$/, '; not listed')}` });
      continue;
    }
    const formula = [source, target].find((v) => FORMULA.test(v));
    if (formula !== undefined) {
      problems.push({ name, source, reason: `${JSON.stringify(formula)} starts with a spreadsheet formula character (= + - @); add this mailbox to the user map by hand` });
      continue;
    }
    const wave = rules.waveAttribute === undefined ? undefined : extra.get(rules.waveAttribute.toLowerCase())?.trim();
    candidates.push({ key: o.entry.key, dn: o.dn, login: o.entry.login, source, target, type, disabled: account.disabled, ...(wave ? { wave } : {}) });
  }
  // A source or UMS login shared by two mailboxes (compared case-insensitively, as the config does).
  const mailboxes: DiscoveredMailbox[] = [];
  const count = (side: 'source' | 'target') => {
    const m = new Map<string, DiscoveredMailbox[]>();
    for (const c of candidates) m.set(c[side].toLowerCase(), [...(m.get(c[side].toLowerCase()) ?? []), c]);
    return m;
  };
  const bySource = count('source');
  const byTarget = count('target');
  for (const c of candidates) {
    const same = [...new Set([...bySource.get(c.source.toLowerCase())!, ...byTarget.get(c.target.toLowerCase())!])].filter((o) => o !== c);
    if (same.length === 0) mailboxes.push(c);
    else problems.push({ name: c.login, source: c.source, reason: `source ${c.source} / UMS login ${c.target} is also that of ${same.map((o) => o.login).join(', ')}; map them in the user map by hand` });
  }
  mailboxes.sort((a, b) => (a.source.toLowerCase() < b.source.toLowerCase() ? -1 : a.source.toLowerCase() > b.source.toLowerCase() ? 1 : 0));
  return { mailboxes, leftOut, problems };
}

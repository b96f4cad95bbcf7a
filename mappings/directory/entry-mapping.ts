/**
 * Directory sync: from a source directory entry (AD/Exchange, or another LDAP) the attributes the
 * UMS directory entry should have, the LDAP changes that get it there, and address conflicts
 * between entries.
 *
 * Target profiles (what `mapEntry` writes):
 * - 'ums'    — RuPost/FreeIPA style: uid, mail = primary SMTP, proxyAddresses (the normalised
 *              list plus the legacyExchangeDN as an X500 address, so replies to old Outlook
 *              auto-complete entries still resolve), objectClass ruPostMailAccount added;
 * - 'ad'     — mail and proxyAddresses as above, no extra object class, no login attribute
 *              (sAMAccountName is set when the account is created, never by the sync);
 * - 'kopano' — uid, mail, kopanoAliases = the secondary SMTP addresses, objectClass kopano-user;
 * - a custom AttributeMap: logical field → target attribute (`{ mail: 'mail', aliases:
 *   'mailAlternateAddress', … }`), fields left out are not managed.
 * Every managed attribute is present in the result; [] means "should have no value".
 *
 * `diffEntry` compares as sets (addresses case-insensitively; proxyAddresses keep the case of
 * the prefix, which marks the primary), never removes object classes, never touches attributes
 * it is not given, and refuses to change `mail` of an existing entry unless allowed: the UMS
 * mailbox (Courier maildir, LDAP lookups of Postfix) is keyed on it. Re-running on an entry that
 * is already right yields no changes.
 *
 * Pure: no I/O. LDIF writing and DN/filter escaping live in ./ldif.js and are re-exported.
 */
import { type LdapChange } from './ldif.js';
import { formatProxyAddress, legacyDnToX500, normaliseProxyAddresses, parseProxyAddress, proxyKey, type ProxyIssue } from './proxy-addresses.js';
import { addressKey, isValidSmtpAddress } from './smtp-address.js';

export { escapeDnValue, escapeFilterValue, ldifDocument, toLdif, toLdifAdd, type LdapChange } from './ldif.js';

export interface SourceEntry {
  /** Stable identity in the source: objectGUID, entryUUID. */
  key: string;
  login: string;
  mail?: string;
  proxyAddresses: string[];
  legacyExchangeDN?: string;
  displayName?: string;
  givenName?: string;
  sn?: string;
  title?: string;
  department?: string;
  company?: string;
  telephoneNumber?: string;
  mobile?: string;
  l?: string;
  st?: string;
  street?: string;
}

export const PERSON_FIELDS = ['displayName', 'givenName', 'sn', 'title', 'department', 'company', 'telephoneNumber', 'mobile', 'l', 'st', 'street'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];

/** A logical field and the target attribute it is written to. */
export type AttributeMap = Partial<Record<'login' | 'mail' | 'aliases' | 'proxyAddresses' | PersonField, string>> & {
  /** Object classes the entry must have (added when missing, never removed). */
  objectClasses?: string[];
};

export type TargetProfile = 'ums' | 'ad' | 'kopano' | AttributeMap;

const PERSON: AttributeMap = Object.fromEntries(PERSON_FIELDS.map((f) => [f, f]));

export const PROFILES: Readonly<Record<'ums' | 'ad' | 'kopano', AttributeMap>> = {
  ums: { login: 'uid', mail: 'mail', proxyAddresses: 'proxyAddresses', ...PERSON, objectClasses: ['ruPostMailAccount'] },
  ad: { mail: 'mail', proxyAddresses: 'proxyAddresses', ...PERSON },
  kopano: { login: 'uid', mail: 'mail', aliases: 'kopanoAliases', ...PERSON, objectClasses: ['kopano-user'] },
};

export interface MappedEntry {
  key: string;
  /** Target attribute → desired values; [] for a managed attribute that should be empty. */
  attributes: Record<string, string[]>;
  primarySmtp?: string;
  issues: ProxyIssue[];
}

/** The desired target attributes of `entry` under `profile`. */
export function mapEntry(entry: SourceEntry, profile: TargetProfile): MappedEntry {
  const map = typeof profile === 'string' ? PROFILES[profile] : profile;
  const issues: ProxyIssue[] = [];
  const input = [...entry.proxyAddresses];
  if (entry.legacyExchangeDN !== undefined && entry.legacyExchangeDN.trim() !== '') {
    try {
      input.push(legacyDnToX500(entry.legacyExchangeDN));
    } catch {
      issues.push({ address: entry.legacyExchangeDN, problem: 'legacyExchangeDN does not start with "/"; no X500 address added' });
    }
  }
  const mail = entry.mail?.trim() || undefined;
  const norm = normaliseProxyAddresses(input, mail === undefined ? {} : { preferredPrimary: mail });
  // The X500 of the entry's own legacyExchangeDN is expected to be in the list already.
  issues.unshift(...norm.issues.filter((i) => !(i.problem.startsWith('duplicate of') && i.address === input[entry.proxyAddresses.length])));
  let addresses = norm.addresses;
  let primary = norm.primarySmtp;
  if (primary === undefined && mail !== undefined && isValidSmtpAddress(mail)) {
    primary = mail;
    const rest = addresses.filter((p) => !(p.type === 'SMTP' && addressKey(p.value) === addressKey(mail)));
    addresses = [{ type: 'SMTP', primary: true, value: mail }, ...rest];
    issues.push({ address: `SMTP:${mail}`, problem: 'mail used as the primary SMTP address' });
  } else if (primary !== undefined && mail !== undefined && addressKey(mail) !== addressKey(primary)) {
    issues.push({ address: mail, problem: `mail differs from the primary SMTP address ${primary}; the primary is used` });
  }

  const attributes: Record<string, string[]> = {};
  const set = (attr: string | undefined, values: string[]): void => {
    if (attr !== undefined) attributes[attr] = values;
  };
  const one = (v: string | undefined): string[] => (v === undefined || v.trim() === '' ? [] : [v.trim()]);
  if (map.objectClasses && map.objectClasses.length > 0) attributes.objectClass = [...map.objectClasses];
  set(map.login, one(entry.login));
  set(map.mail, one(primary));
  set(map.aliases, addresses.filter((p) => p.type === 'SMTP' && !p.primary).map((p) => p.value));
  set(map.proxyAddresses, addresses.map(formatProxyAddress));
  for (const f of PERSON_FIELDS) set(map[f], one(entry[f]));
  return primary === undefined ? { key: entry.key, attributes, issues } : { key: entry.key, attributes, primarySmtp: primary, issues };
}

// ---------------------------------------------------------------------------------------------
// Diff

/** Attributes holding bare addresses, compared case-insensitively (IDN-aware). */
export const ADDRESS_ATTRIBUTES = ['mail', 'mailAlternateAddress', 'kopanoAliases', 'mailLocalAddress', 'mailRoutingAddress', 'otherMailbox'];

export interface DiffOptions {
  allowMailChange: boolean;
  /** The attribute keying the UMS mailbox; default 'mail'. */
  mailAttribute?: string;
  /** Further attributes to compare as addresses (e.g. those of a custom AttributeMap). */
  addressAttributes?: string[];
}

export interface EntryDiff {
  changes: LdapChange[];
  refused: { attribute: string; reason: string }[];
}

export const MAIL_CHANGE_REFUSED = 'changing mail breaks the existing UMS mailbox';

function comparator(attr: string, addressAttrs: ReadonlySet<string>): (v: string) => string {
  const lower = attr.toLowerCase();
  if (lower === 'proxyaddresses') {
    return (v) => {
      const p = parseProxyAddress(v);
      return p.ok ? `${p.address.primary ? 'P' : 's'}:${proxyKey(p.address)}` : v;
    };
  }
  if (lower === 'objectclass') return (v) => v.toLowerCase();
  if (addressAttrs.has(lower)) return addressKey;
  return (v) => v;
}

function uniqueBy(values: readonly string[], key: (v: string) => string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (seen.has(key(v))) continue;
    seen.add(key(v));
    out.push(v);
  }
  return out;
}

/**
 * The changes that turn `current` (null: the entry does not exist yet) into `desired`, one per
 * attribute, in the order of `desired`. Attribute names compare case-insensitively.
 */
export function diffEntry(current: Readonly<Record<string, readonly string[]>> | null, desired: Readonly<Record<string, readonly string[]>>, opts: DiffOptions): EntryDiff {
  const addressAttrs = new Set([...ADDRESS_ATTRIBUTES, ...(opts.addressAttributes ?? [])].map((a) => a.toLowerCase()));
  const mailAttr = (opts.mailAttribute ?? 'mail').toLowerCase();
  const have = new Map<string, string[]>();
  for (const [attr, values] of Object.entries(current ?? {})) {
    const lower = attr.toLowerCase();
    have.set(lower, [...(have.get(lower) ?? []), ...values]);
  }
  const changes: LdapChange[] = [];
  const refused: EntryDiff['refused'] = [];
  for (const [attribute, wanted] of Object.entries(desired)) {
    const lower = attribute.toLowerCase();
    const key = comparator(attribute, addressAttrs);
    const want = uniqueBy(wanted, key);
    const got = have.get(lower) ?? [];
    const gotKeys = new Set(got.map(key));
    if (lower === 'objectclass') {
      const missing = want.filter((v) => !gotKeys.has(key(v)));
      if (missing.length > 0) changes.push({ op: 'add', attribute, values: missing });
      continue;
    }
    const wantKeys = new Set(want.map(key));
    if (wantKeys.size === gotKeys.size && [...wantKeys].every((k) => gotKeys.has(k))) continue;
    if (lower === mailAttr && current !== null && got.length > 0 && !opts.allowMailChange) {
      refused.push({ attribute, reason: MAIL_CHANGE_REFUSED });
      continue;
    }
    if (want.length === 0) changes.push({ op: 'delete', attribute, values: [] });
    else if (got.length === 0) changes.push({ op: 'add', attribute, values: want });
    else changes.push({ op: 'replace', attribute, values: want });
  }
  return { changes, refused };
}

// ---------------------------------------------------------------------------------------------
// Conflicts

export interface AddressConflict {
  /** A bare SMTP address (comparison form), or "TYPE:value" for other address types. */
  address: string;
  /** Keys of every entry claiming it, sorted. */
  owners: string[];
}

/**
 * Every address claimed by more than one entry: proxy addresses of any type (as duplicate
 * detection compares them), `mail`, and the legacyExchangeDN (as its X500 address).
 */
export function findAddressConflicts(entries: readonly Pick<SourceEntry, 'key' | 'proxyAddresses' | 'mail' | 'legacyExchangeDN'>[]): AddressConflict[] {
  const owners = new Map<string, { address: string; keys: Set<string> }>();
  const claim = (raw: string, key: string): void => {
    const p = parseProxyAddress(raw);
    if (!p.ok) return;
    const id = proxyKey(p.address);
    const address = p.address.type === 'SMTP' ? addressKey(p.address.value) : `${p.address.type}:${p.address.value}`;
    const slot = owners.get(id) ?? { address, keys: new Set<string>() };
    slot.keys.add(key);
    owners.set(id, slot);
  };
  for (const e of entries) {
    for (const raw of e.proxyAddresses) claim(raw, e.key);
    if (e.mail !== undefined && e.mail.trim() !== '') claim(`smtp:${e.mail.trim()}`, e.key);
    if (e.legacyExchangeDN !== undefined && e.legacyExchangeDN.trim() !== '') claim(`x500:${e.legacyExchangeDN.trim()}`, e.key);
  }
  return [...owners.values()]
    .filter((o) => o.keys.size > 1)
    .map((o) => ({ address: o.address, owners: [...o.keys].sort() }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

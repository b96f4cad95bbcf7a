/**
 * Seeds the lab AD (test/lab/samba-ad.ts) over LDAPS with users, groups and mail contacts as
 * Exchange leaves them: mail, proxyAddresses, legacyExchangeDN, the GAL attributes; groups with
 * members and a groupType (distribution or security). Users are enabled accounts
 * (userAccountControl 544: NORMAL_ACCOUNT | PASSWD_NOTREQD; Samba makes an account added without
 * one disabled, 546) unless `disabled`; a recipient type (msExchRecipientTypeDetails: 1 user,
 * 4 shared, 16 room, 32 equipment) goes to LAB_RECIPIENT_TYPE_ATTRIBUTE, as Samba has no Exchange
 * schema. Group members are names of users, contacts or groups of the same call (nested groups:
 * list the inner group first; groups are added in order). Users and contacts are added a few at
 * a time on one connection. Also generates the benchmark's population (`generateUsers`).
 */
import type { Client } from 'ldapts';
import { escapeDnValue } from '../../mappings/directory/ldif.js';

/** Samba's AD schema has no msExchRecipientTypeDetails: the lab keeps the same numbers here (configure `directory.source.recipientTypeAttribute`). */
export const LAB_RECIPIENT_TYPE_ATTRIBUTE = 'msDS-cloudExtensionAttribute1';

/** userAccountControl: NORMAL_ACCOUNT (0x200) | PASSWD_NOTREQD (0x20), plus ACCOUNTDISABLE (0x2) when disabled. */
export const UAC = { enabled: '544', disabled: '546' } as const;

export interface AdSeedUser {
  login: string;
  /** userAccountControl with ACCOUNTDISABLE. Default: enabled. */
  disabled?: boolean;
  /** msExchRecipientTypeDetails value (1, 4, 16, 32), written to LAB_RECIPIENT_TYPE_ATTRIBUTE. */
  recipientType?: string;
  mail?: string;
  proxyAddresses?: string[];
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

export interface AdSeedGroup {
  name: string;
  distribution: boolean;
  mail?: string;
  proxyAddresses?: string[];
  /** Names (CN) of member users, contacts or groups (seeded in the same call, or before). */
  members: string[];
}

export interface AdSeedContact {
  name: string;
  mail: string;
  proxyAddresses?: string[];
  displayName?: string;
}

/** groupType flags ([MS-ADTS] 2.2.12): global scope, plus "security enabled" for security groups. */
export const GROUP_TYPE = { globalDistribution: '2', globalSecurity: String(0x80000002 | 0) } as const;

const OPTIONAL = ['mail', 'legacyExchangeDN', 'displayName', 'givenName', 'sn', 'title', 'department', 'company', 'telephoneNumber', 'mobile', 'l', 'st', 'street'] as const;

export function userDn(login: string, ou: string): string {
  return `CN=${escapeDnValue(login)},${ou}`;
}

function userAttributes(u: AdSeedUser): Record<string, string[]> {
  const attrs: Record<string, string[]> = {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    cn: [u.login],
    sAMAccountName: [u.login],
    userPrincipalName: [`${u.login.replace(/ /g, '.')}@corp.example`],
    userAccountControl: [u.disabled === true ? UAC.disabled : UAC.enabled],
  };
  if (u.recipientType !== undefined) attrs[LAB_RECIPIENT_TYPE_ATTRIBUTE] = [u.recipientType];
  for (const k of OPTIONAL) if (u[k] !== undefined && u[k] !== '') attrs[k] = [u[k]];
  if (u.proxyAddresses && u.proxyAddresses.length > 0) attrs.proxyAddresses = u.proxyAddresses;
  return attrs;
}

async function inPool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function seedAd(client: Client, ou: string, data: { users?: AdSeedUser[]; groups?: AdSeedGroup[]; contacts?: AdSeedContact[] }, width = 8): Promise<void> {
  await inPool(data.users ?? [], width, (u) => client.add(userDn(u.login, ou), userAttributes(u)));
  await inPool(data.contacts ?? [], width, async (c) => {
    const attrs: Record<string, string[]> = { objectClass: ['top', 'person', 'organizationalPerson', 'contact'], cn: [c.name], mail: [c.mail] };
    if (c.displayName) attrs.displayName = [c.displayName];
    if (c.proxyAddresses && c.proxyAddresses.length > 0) attrs.proxyAddresses = c.proxyAddresses;
    await client.add(`CN=${escapeDnValue(c.name)},${ou}`, attrs);
  });
  for (const g of data.groups ?? []) {
    const attrs: Record<string, string[]> = {
      objectClass: ['top', 'group'], cn: [g.name], sAMAccountName: [g.name],
      groupType: [g.distribution ? GROUP_TYPE.globalDistribution : GROUP_TYPE.globalSecurity],
    };
    if (g.mail) attrs.mail = [g.mail];
    if (g.proxyAddresses && g.proxyAddresses.length > 0) attrs.proxyAddresses = g.proxyAddresses;
    if (g.members.length > 0) attrs.member = g.members.map((m) => userDn(m, ou));
    await client.add(`CN=${escapeDnValue(g.name)},${ou}`, attrs);
  }
}

export const LEGACY_ORG = '/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients';

/**
 * `n` users `<prefix>00001…` with 3–6 proxyAddresses each (one primary SMTP, secondary SMTP
 * aliases on two domains, an X500 and sometimes a SIP address), a legacyExchangeDN and GAL
 * attributes. Deterministic.
 */
export function generateUsers(n: number, prefix = 'u', domain = 'corp.example'): AdSeedUser[] {
  return Array.from({ length: n }, (_, i) => {
    const login = `${prefix}${String(i + 1).padStart(5, '0')}`;
    const extra = 3 + (i % 4); // 3..6 proxy addresses
    const proxies = [`SMTP:${login}@${domain}`, `smtp:${login}.alias@${domain}`, `smtp:${login}@old.${domain}`, `X500:${LEGACY_ORG}/cn=${login}-old`, `SIP:${login}@${domain}`, `smtp:${login}.second@${domain}`].slice(0, extra);
    return {
      login, mail: `${login}@${domain}`, proxyAddresses: proxies, legacyExchangeDN: `${LEGACY_ORG}/cn=${login}`,
      displayName: `User ${login}`, givenName: 'User', sn: login, title: i % 3 === 0 ? 'Engineer' : 'Clerk',
      department: `Dept ${i % 20}`, company: 'Corp', telephoneNumber: `+49 30 ${String(100000 + i)}`, l: 'Berlin',
    };
  });
}

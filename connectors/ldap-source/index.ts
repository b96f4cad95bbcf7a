/**
 * The directory source: reads users, groups and mail contacts from Active Directory or any LDAP
 * server (ldapts, paged search) below a base, optionally narrowed by an extra filter and to the
 * members of one group, and — given the checkpoint of the previous read — only the entries
 * changed since then:
 * - AD: `uSNChanged` greater than the `highestCommittedUSN` read (from the rootDSE) before the
 *   previous search; the new checkpoint is the value read before this search, so changes made
 *   while it runs are read again next time rather than lost;
 * - OpenLDAP: `entryCSN` after the newest one seen (CSNs are unique per change);
 * - other LDAP: `modifyTimestamp` at or after the newest one seen (entries changed in that second
 *   are read again; applying them again changes nothing).
 * Checkpoints are strings ("usn:12345", "csn:20250101120000.123456Z#000000#000#000000",
 * "ts:20250101120000Z") kept by the caller in the state
 * store. Deletions are not detected by a delta (AD tombstones need extra rights); a full read
 * sees them as missing.
 *
 * Entries that cannot be used (no stable key) are returned as per-entry errors; the read goes on.
 */
import type { Client } from 'ldapts';
import { escapeFilterValue } from '../../mappings/directory/ldif.js';
import { firstValue, openLdap, type LdapEndpoint } from '../ldap-common/connection.js';
import { DEFAULT_RECIPIENT_TYPE_ATTRIBUTE, readAttributes, toDirectoryObject, type DirectoryObject, type SourceFlavor } from './entry.js';

export { guidToString, mailboxTypeOf, toDirectoryObject, type AccountState, type DirectoryKind, type DirectoryObject, type MailboxType } from './entry.js';

export interface LdapSourceOptions {
  endpoint: LdapEndpoint;
  base: string;
  /** An extra LDAP filter ANDed to the selection (written by the admin, used as is). */
  filter?: string;
  /** Only members of this group (by DN; nested membership on AD). */
  groupDn?: string;
  flavor: 'auto' | SourceFlavor;
  pageSize: number;
  /** Where a user's mailbox type is read (default msExchRecipientTypeDetails). */
  recipientTypeAttribute?: string;
}

export interface SourceError {
  dn: string;
  reason: string;
}

export interface SourceRead {
  flavor: SourceFlavor;
  /** True when only changes since the given checkpoint were read. */
  delta: boolean;
  objects: DirectoryObject[];
  errors: SourceError[];
  /** Pass to the next read for a delta. */
  checkpoint: string;
  /** Entries the server returned (before dropping unusable ones). */
  entriesRead: number;
}

const AD_CAPABILITY = '1.2.840.113556.1.4.800';
const IN_CHAIN = '1.2.840.113556.1.4.1941';

export class LdapDirectorySource {
  constructor(private readonly opts: LdapSourceOptions) {}

  private get typeAttribute(): string {
    return this.opts.recipientTypeAttribute ?? DEFAULT_RECIPIENT_TYPE_ATTRIBUTE;
  }

  async read(since?: string): Promise<SourceRead> {
    const client = await openLdap(this.opts.endpoint);
    try {
      return await this.readWith(client, since);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Re-reads single entries by DN (entries that failed last time); missing ones are skipped. */
  async readDns(dns: readonly string[], flavor: SourceFlavor): Promise<{ objects: DirectoryObject[]; errors: SourceError[] }> {
    const objects: DirectoryObject[] = [];
    const errors: SourceError[] = [];
    if (dns.length === 0) return { objects, errors };
    const client = await openLdap(this.opts.endpoint);
    try {
      for (const dn of dns) {
        const found = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: readAttributes(flavor, this.typeAttribute), explicitBufferAttributes: ['objectGUID'] })
          .then((r) => r.searchEntries, () => []);
        for (const raw of found) {
          const r = toDirectoryObject(raw as Record<string, unknown> & { dn: string }, flavor, this.typeAttribute);
          if (r.ok === true) objects.push(r.object);
          else if (r.ok === false) errors.push({ dn: r.dn, reason: r.reason });
        }
      }
    } finally {
      await client.unbind().catch(() => undefined);
    }
    return { objects, errors };
  }

  private async rootDse(client: Client): Promise<{ ad: boolean; usn?: string }> {
    const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedCapabilities', 'highestCommittedUSN'] });
    const root = searchEntries[0] ?? { dn: '' };
    const caps = ([] as unknown[]).concat(root.supportedCapabilities ?? []).map(String);
    const usn = firstValue(root.highestCommittedUSN);
    return usn === undefined ? { ad: caps.includes(AD_CAPABILITY) } : { ad: caps.includes(AD_CAPABILITY), usn };
  }

  private async readWith(client: Client, since: string | undefined): Promise<SourceRead> {
    const root = await this.rootDse(client);
    const flavor: SourceFlavor = this.opts.flavor === 'auto' ? (root.ad ? 'ad' : 'ldap') : this.opts.flavor;
    const parts: string[] = [
      flavor === 'ad'
        ? '(|(&(objectClass=user)(!(objectClass=computer)))(objectClass=group)(objectClass=contact))'
        : '(|(objectClass=inetOrgPerson)(objectClass=person)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))',
    ];
    if (this.opts.filter !== undefined && this.opts.filter.trim() !== '') {
      const f = this.opts.filter.trim();
      parts.push(f.startsWith('(') ? f : `(${f})`);
    }
    if (this.opts.groupDn !== undefined) {
      const dn = escapeFilterValue(this.opts.groupDn);
      parts.push(flavor === 'ad' ? `(memberOf:${IN_CHAIN}:=${dn})` : `(memberOf=${dn})`);
    }
    let delta = false;
    const m = since === undefined ? null : /^(usn|csn|ts):(.+)$/.exec(since);
    if (m && m[1] === 'usn' && flavor === 'ad' && /^\d+$/.test(m[2]!)) {
      parts.push(`(uSNChanged>=${BigInt(m[2]!) + 1n})`);
      delta = true;
    } else if (m && m[1] === 'csn' && flavor === 'ldap') {
      const csn = escapeFilterValue(m[2]!);
      parts.push(`(entryCSN>=${csn})(!(entryCSN=${csn}))`);
      delta = true;
    } else if (m && m[1] === 'ts' && flavor === 'ldap' && /^\d{14}(\.\d+)?Z$/.test(m[2]!)) {
      parts.push(`(modifyTimestamp>=${m[2]})`);
      delta = true;
    }
    const filter = `(&${parts.join('')})`;
    const { searchEntries } = await client.search(this.opts.base, {
      scope: 'sub',
      filter,
      attributes: readAttributes(flavor, this.typeAttribute),
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: this.opts.pageSize },
    });
    const objects: DirectoryObject[] = [];
    const errors: SourceError[] = [];
    // The newest change mark seen (AD: the USN read before the search, see above).
    let newest = flavor === 'ldap' && since !== undefined && /^(csn|ts):/.test(since) ? since : undefined;
    const later = (a: string, b: string | undefined): boolean => b === undefined || (a.slice(0, 4) === b.slice(0, 4) ? a > b : a.startsWith('csn:'));
    for (const raw of searchEntries) {
      const r = toDirectoryObject(raw as Record<string, unknown> & { dn: string }, flavor, this.typeAttribute);
      if (r.ok === 'ignored') continue;
      if (r.ok === false) {
        errors.push({ dn: r.dn, reason: r.reason });
        continue;
      }
      objects.push(r.object);
      const mark = r.object.changeMark;
      if (flavor === 'ldap' && mark !== undefined && later(mark, newest)) newest = mark;
    }
    const checkpoint = flavor === 'ad' ? `usn:${root.usn ?? '0'}` : newest ?? 'ts:19700101000000Z';
    return { flavor, delta, objects, errors, checkpoint, entriesRead: searchEntries.length };
  }
}

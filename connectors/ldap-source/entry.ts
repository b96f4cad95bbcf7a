/**
 * From a raw LDAP entry (as ldapts returns it) to the neutral directory object the sync maps:
 * users, groups (with members and distribution vs security) and mail contacts, keyed by a stable
 * identity that survives renames and moves:
 * - Active Directory: objectGUID (16 octets, written in the usual string form, the first three
 *   fields little-endian: "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
 * - FreeIPA: ipaUniqueID; any other LDAP: entryUUID (RFC 4530).
 * The login is sAMAccountName on AD, uid elsewhere. The change mark orders changes for the delta:
 * uSNChanged on AD, entryCSN where the server has it (OpenLDAP; microseconds, unique per
 * change), else modifyTimestamp (seconds).
 *
 * Kinds: AD by objectClass (user but not computer, group, contact); elsewhere groups are
 * groupOfNames / groupOfUniqueNames / posixGroup, entries with a uid are users and other
 * person entries with a mail are contacts. groupType bit 0x80000000 marks an AD security group;
 * without groupType a group is a distribution group when it has a mail address.
 *
 * Users carry their account state: disabled (AD: userAccountControl bit 0x2 ACCOUNTDISABLE;
 * elsewhere nsAccountLock TRUE, as FreeIPA/389 DS write it) and the mailbox type from the
 * recipient type attribute (Exchange's msExchRecipientTypeDetails by default: 1 user, 4 shared,
 * 16 room, 32 equipment, the remote variants alike; a directory without the Exchange schema can
 * name another attribute holding those numbers or the names "shared", "room", "equipment").
 * Mail contacts carry their external address (Exchange's targetAddress, else mail).
 *
 * Pure: no I/O.
 */
import { PERSON_FIELDS, type SourceEntry } from '../../mappings/directory/entry-mapping.js';
import type { AccountState, DirectoryKind, DirectoryObject, MailboxType, SourceFlavor } from '../../mappings/directory/directory-object.js';
import { allValues, firstValue } from '../ldap-common/connection.js';

export type { AccountState, DirectoryKind, DirectoryObject, MailboxType, SourceFlavor } from '../../mappings/directory/directory-object.js';

export const DEFAULT_RECIPIENT_TYPE_ATTRIBUTE = 'msExchRecipientTypeDetails';

/** The attributes a directory read asks for. */
export function readAttributes(flavor: SourceFlavor, recipientTypeAttribute = DEFAULT_RECIPIENT_TYPE_ATTRIBUTE): string[] {
  const key = flavor === 'ad'
    ? ['objectGUID', 'sAMAccountName', 'uSNChanged', 'groupType', 'userAccountControl', 'targetAddress']
    : ['entryUUID', 'ipaUniqueID', 'uid', 'modifyTimestamp', 'entryCSN', 'nsAccountLock'];
  return [...new Set(['objectClass', 'cn', 'mail', 'proxyAddresses', 'legacyExchangeDN', 'member', 'uniqueMember', ...PERSON_FIELDS, ...key, recipientTypeAttribute])];
}

// msExchRecipientTypeDetails values (Exchange 2010+) of mailboxes, remote ones (hybrid) included.
const TYPE_BY_NUMBER = new Map<string, MailboxType>([
  ['1', 'user'], ['2', 'user'], ['8', 'user'], ['2147483648', 'user'],
  ['4', 'shared'], ['34359738368', 'shared'],
  ['16', 'room'], ['8589934592', 'room'],
  ['32', 'equipment'], ['17179869184', 'equipment'],
]);

/** The mailbox type of a recipient type value: a number as Exchange writes it, or a name ("SharedMailbox", "room"…). */
export function mailboxTypeOf(raw: string | undefined): MailboxType {
  if (raw === undefined || raw.trim() === '') return 'user';
  const v = raw.trim();
  if (/^\d+$/.test(v)) return TYPE_BY_NUMBER.get(v.replace(/^0+(?=\d)/, '')) ?? 'other';
  const name = v.toLowerCase().replace(/^remote/, '').replace(/mailbox$/, '');
  return name === 'user' || name === 'linked' || name === 'legacy' ? 'user' : name === 'shared' || name === 'room' || name === 'equipment' ? name : 'other';
}

function attr(raw: Record<string, unknown>, name: string): unknown {
  if (name in raw) return raw[name];
  const hit = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : raw[hit];
}

function accountOf(raw: Record<string, unknown>, flavor: SourceFlavor, recipientTypeAttribute: string): AccountState {
  let disabled: boolean;
  if (flavor === 'ad') {
    const uac = Number(firstValue(attr(raw, 'userAccountControl')) ?? '0');
    disabled = Number.isFinite(uac) && (uac & 0x2) !== 0;
  } else {
    disabled = (firstValue(attr(raw, 'nsAccountLock')) ?? '').trim().toLowerCase() === 'true';
  }
  const rawType = firstValue(attr(raw, recipientTypeAttribute));
  return rawType === undefined ? { disabled, type: 'user' } : { disabled, type: mailboxTypeOf(rawType), rawType };
}

/** The binary objectGUID in its string form. */
export function guidToString(buf: Buffer): string {
  if (buf.length !== 16) throw new RangeError(`objectGUID must be 16 octets, got ${buf.length}`);
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = [...buf.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

const lowerSet = (v: unknown): Set<string> => new Set(allValues(v).map((s) => s.toLowerCase()));

function kindOf(classes: Set<string>, flavor: SourceFlavor, hasLogin: boolean, hasMail: boolean): DirectoryKind | undefined {
  if (classes.has('group') || classes.has('groupofnames') || classes.has('groupofuniquenames') || classes.has('posixgroup')) return 'group';
  if (flavor === 'ad') {
    if (classes.has('computer')) return undefined;
    if (classes.has('contact')) return 'contact';
    if (classes.has('user')) return 'user';
    return undefined;
  }
  if (hasLogin) return 'user';
  if (hasMail && (classes.has('person') || classes.has('inetorgperson'))) return 'contact';
  return undefined;
}

export type ToObjectResult = { ok: true; object: DirectoryObject } | { ok: false; dn: string; reason: string } | { ok: 'ignored' };

/** Converts one raw entry; a reason when it cannot be used (no stable key…); 'ignored' for computers and the like. */
export function toDirectoryObject(raw: Record<string, unknown> & { dn: string }, flavor: SourceFlavor, recipientTypeAttribute = DEFAULT_RECIPIENT_TYPE_ATTRIBUTE): ToObjectResult {
  const classes = lowerSet(raw.objectClass);
  const login = firstValue(flavor === 'ad' ? raw.sAMAccountName : raw.uid);
  const mail = firstValue(raw.mail);
  const kind = kindOf(classes, flavor, login !== undefined, mail !== undefined);
  if (kind === undefined) return { ok: 'ignored' };
  let key: string | undefined;
  if (flavor === 'ad') {
    const guid = raw.objectGUID;
    const buf = Array.isArray(guid) ? guid[0] : guid;
    if (Buffer.isBuffer(buf) && buf.length === 16) key = guidToString(buf);
  } else {
    key = firstValue(raw.ipaUniqueID) ?? firstValue(raw.entryUUID);
  }
  if (key === undefined) return { ok: false, dn: raw.dn, reason: `no stable key (${flavor === 'ad' ? 'objectGUID' : 'ipaUniqueID / entryUUID'})` };
  const entry: SourceEntry = { key, login: login ?? firstValue(raw.cn) ?? '', proxyAddresses: allValues(raw.proxyAddresses) };
  const put = <K extends keyof SourceEntry>(k: K, v: SourceEntry[K] | undefined): void => {
    if (v !== undefined) entry[k] = v;
  };
  put('mail', mail);
  put('legacyExchangeDN', firstValue(raw.legacyExchangeDN));
  for (const f of PERSON_FIELDS) put(f, firstValue(raw[f]));
  const object: DirectoryObject = { kind, dn: raw.dn, entry };
  const usn = firstValue(raw.uSNChanged);
  const csn = firstValue(raw.entryCSN);
  const ts = firstValue(raw.modifyTimestamp);
  if (flavor === 'ad' && usn !== undefined) object.changeMark = `usn:${usn}`;
  else if (flavor === 'ldap' && csn !== undefined) object.changeMark = `csn:${csn}`;
  else if (flavor === 'ldap' && ts !== undefined) object.changeMark = `ts:${ts}`;
  if (kind === 'user') object.account = accountOf(raw, flavor, recipientTypeAttribute);
  if (kind === 'contact') {
    const target = firstValue(raw.targetAddress)?.trim();
    const external = target !== undefined && target !== '' ? target.replace(/^smtp:/i, '') : mail;
    if (external !== undefined) object.external = external;
  }
  if (kind === 'group') {
    const gt = firstValue(raw.groupType);
    const security = gt !== undefined ? (Number(gt) & 0x80000000) !== 0 : mail === undefined;
    object.group = { type: security ? 'security' : 'distribution', members: [...allValues(raw.member), ...allValues(raw.uniqueMember)] };
  }
  return { ok: true, object };
}

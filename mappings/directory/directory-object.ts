/**
 * The neutral directory object a directory source reads (connectors/ldap-source builds it from
 * raw LDAP entries) and the directory sync and discover map: a user, group or mail contact with
 * its mapped entry. Types only.
 */
import type { SourceEntry } from './entry-mapping.js';

export type DirectoryKind = 'user' | 'group' | 'contact';
export type SourceFlavor = 'ad' | 'ldap';
/** What kind of mailbox a user is: 'other' for a recipient type that is none of these (e.g. a mail user). */
export type MailboxType = 'user' | 'shared' | 'room' | 'equipment' | 'other';

export interface AccountState {
  disabled: boolean;
  type: MailboxType;
  /** The recipient type as the source holds it (absent: not set). */
  rawType?: string;
}

export interface DirectoryObject {
  kind: DirectoryKind;
  dn: string;
  entry: SourceEntry;
  group?: { type: 'distribution' | 'security'; members: string[] };
  /** Users: disabled or not, and the mailbox type. */
  account?: AccountState;
  /** Contacts: where mail to them goes (targetAddress without its "SMTP:", else mail). */
  external?: string;
  /** Where this entry stands in the change order: "usn:…" (AD uSNChanged), "csn:…" (OpenLDAP entryCSN) or "ts:…" (modifyTimestamp). */
  changeMark?: string;
}

/**
 * What the directory sync reads from and writes to the UMS LDAP: entries as read, and the
 * planned writes (src/directory/plan.ts plans them, connectors/ldap-target applies them).
 */
import type { LdapChange } from './ldif.js';

/** A UMS entry as read: DN and attributes (names as the server returned them). */
export interface TargetEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export type PlannedWrite =
  | { kind: 'add'; entry: string; dn: string; attributes: Record<string, string[]> }
  | { kind: 'modify'; entry: string; dn: string; changes: LdapChange[] }
  | { kind: 'delete'; entry: string; dn: string };

/** Why an entry was refused or warned about by the plan. */
export interface EntryProblem {
  /** The source login (or DN) the problem is about. */
  entry: string;
  reason: string;
}

/**
 * The address book of the coexistence routing (users, their addresses, groups; contacts from the
 * directory), `routing.addressBook` in the config (`loadRoutingAddressBook`):
 * - `directory`: the directory sync's state (src/directory/state.ts), i.e. what the last
 *   `directory sync` read from AD/LDAP — users (also those it refused or that are disabled: their
 *   mail still goes to Exchange), groups, mail contacts, proxyAddresses, X500/legacyExchangeDN —
 *   so a new alias or a renamed user reaches the next `routing generate` with no manual step.
 *   Users a full read no longer found (deleted in the source) are left out.
 * - a CSV file, as below.
 *
 * CSV (RFC 4180, UTF-8, header row; column order free, unknown columns are errors):
 *   type              user (default) | group
 *   key               stable directory key (objectGUID, entryUUID); default: the login (groups: mail)
 *   login             users: required, the UMS login (spaces allowed: a room's "Room 1" is routed
 *                     like any user while on Exchange; it cannot be cut over under that login)
 *   mail              users: the primary address when proxyAddresses has no "SMTP:"; groups: required
 *   proxyAddresses    ";"-separated, AD form: SMTP:primary;smtp:alias;X500:/o=…
 *   legacyExchangeDN  users: /o=…/ou=…/cn=Recipients/cn=…
 *   members           groups: ";"-separated addresses or logins
 * A bad row is reported with its line and reason and left out; the other rows are read.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { otherSeparatorProblem, parseCsv } from '../util/csv.js';
import type { MigrationConfig } from '../config/schema.js';
import { utf8TextOf } from '../config/utf8.js';
import { directoryAddressBook, directoryCheckpointName, loadDirectoryState } from '../directory/state.js';
import type { KeyValueStore } from '../state/store.js';
import { coerceError, FatalError } from '../util/errors.js';
import type { AddressBook } from '../../mappings/routing/from-directory.js';

export const ADDRESS_BOOK_COLUMNS = ['type', 'key', 'login', 'mail', 'proxyAddresses', 'legacyExchangeDN', 'members'] as const;
type Column = (typeof ADDRESS_BOOK_COLUMNS)[number];

export interface AddressBookRead {
  book: AddressBook;
  /** "file.csv:12: reason" per bad row or header problem. */
  problems: string[];
}

const list = (s: string | undefined): string[] => (s ?? '').split(';').map((x) => x.trim()).filter((x) => x !== '');

export function parseAddressBookCsv(text: string, name: string): AddressBookRead {
  const problems: string[] = [];
  const book: AddressBook = { users: [], groups: [] };
  const { records, errors } = parseCsv(text);
  for (const e of errors) problems.push(`${name}:${e.line}: ${e.message}`);
  const [header, ...rows] = records;
  if (!header) {
    problems.push(`${name}: empty file (expected a header row: ${ADDRESS_BOOK_COLUMNS.join(',')})`);
    return { book, problems };
  }
  const separator = otherSeparatorProblem(header.fields, (f) => ADDRESS_BOOK_COLUMNS.some((k) => k.toLowerCase() === f.trim().toLowerCase()));
  if (separator !== undefined) {
    problems.push(`${name}:${header.line}: ${separator}`);
    return { book, problems };
  }
  const cols: (Column | undefined)[] = [];
  for (const f of header.fields) {
    const c = ADDRESS_BOOK_COLUMNS.find((k) => k.toLowerCase() === f.trim().toLowerCase());
    if (c === undefined) problems.push(`${name}:${header.line}: unknown column ${JSON.stringify(f.trim())} (expected ${ADDRESS_BOOK_COLUMNS.join(',')})`);
    else if (cols.includes(c)) problems.push(`${name}:${header.line}: duplicate column ${JSON.stringify(c)}`);
    cols.push(c);
  }
  if (!cols.includes('login') && !cols.includes('mail')) {
    problems.push(`${name}:${header.line}: the header needs a "login" or "mail" column`);
    return { book, problems };
  }
  const keys = new Map<string, number>();
  for (const rec of rows) {
    const at = `${name}:${rec.line}`;
    if (rec.fields.length !== header.fields.length) {
      problems.push(`${at}: expected ${header.fields.length} fields, got ${rec.fields.length}; row left out`);
      continue;
    }
    const v: Partial<Record<Column, string>> = {};
    cols.forEach((c, i) => {
      const value = rec.fields[i]?.trim();
      if (c !== undefined && value !== undefined && value !== '') v[c] = value;
    });
    const type = (v.type ?? 'user').toLowerCase();
    let key: string;
    if (type === 'user') {
      if (v.login === undefined) {
        problems.push(`${at}: user without a login; row left out`);
        continue;
      }
      // A space is kept (AD room mailboxes have logins like "Room 1"): its addresses still route to
      // Exchange; only a cutover needs a login usable as a local part (the routing table refuses it).
      if (/[\p{Cc}\u2028\u2029]/u.test(v.login)) {
        problems.push(`${at}: login ${JSON.stringify(v.login)} contains control characters; row left out`);
        continue;
      }
      key = v.key ?? v.login;
      if (keys.has(key)) {
        problems.push(`${at}: key ${JSON.stringify(key)} already used on line ${keys.get(key)}; row left out`);
        continue;
      }
      book.users.push({
        key, login: v.login, proxyAddresses: list(v.proxyAddresses),
        ...(v.mail !== undefined ? { mail: v.mail } : {}), ...(v.legacyExchangeDN !== undefined ? { legacyExchangeDN: v.legacyExchangeDN } : {}),
      });
    } else if (type === 'group') {
      if (v.mail === undefined) {
        problems.push(`${at}: group without a mail address; row left out`);
        continue;
      }
      key = v.key ?? v.mail;
      if (keys.has(key)) {
        problems.push(`${at}: key ${JSON.stringify(key)} already used on line ${keys.get(key)}; row left out`);
        continue;
      }
      book.groups.push({ key, mail: v.mail, proxyAddresses: list(v.proxyAddresses), members: list(v.members) });
    } else {
      problems.push(`${at}: type ${JSON.stringify(v.type)} is neither user nor group; row left out`);
      continue;
    }
    keys.set(key, rec.line);
  }
  return { book, problems };
}

export async function readAddressBook(file: string): Promise<AddressBookRead> {
  let text: string;
  try {
    text = utf8TextOf(await readFile(file), path.basename(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { book: { users: [], groups: [] }, problems: [code !== undefined ? `cannot read address book ${file}: ${code}` : coerceError(err).message] };
  }
  return parseAddressBookCsv(text, path.basename(file));
}

export interface RoutingAddressBook extends AddressBookRead {
  /** Where it came from, for messages: the CSV file, or the directory sync's source → target. */
  source: string;
  /** Warnings that do not stop a publish (e.g. a directory selection narrower than the domains). */
  notes: string[];
}

/** The routing's address book as `routing.addressBook` says: the directory sync's state, or a CSV file. */
export async function loadRoutingAddressBook(config: MigrationConfig, store: Pick<KeyValueStore, 'getCheckpointValue'>): Promise<RoutingAddressBook> {
  const where = config.routing?.addressBook;
  if (where === undefined) throw new FatalError('no routing: section (see migration.example.yaml)', 'NO_ROUTING');
  if (where.format === 'csv') return { ...(await readAddressBook(where.file)), source: where.file, notes: [] };
  const dir = config.directory;
  if (dir === undefined) {
    throw new FatalError('routing.addressBook is "directory", but the config has no directory: section: configure the directory sync (see migration.example.yaml) or give a CSV address book', 'NO_DIRECTORY');
  }
  const name = directoryCheckpointName(dir);
  const state = await loadDirectoryState(store, name);
  if (state === null) {
    throw new FatalError(`routing.addressBook is "directory", but the directory sync has not run for ${dir.source.base} → ${dir.target.base} yet: run \`ums-migrate directory sync\` first`, 'NO_DIRECTORY_STATE');
  }
  const d = directoryAddressBook(state);
  const book: AddressBook = {
    users: d.users.filter((u) => !u.missing).map((u) => ({
      key: u.key, login: u.login, proxyAddresses: u.proxyAddresses, mailboxType: u.mailboxType, hasUmsAccount: u.hasUmsAccount,
      ...(u.mail !== undefined ? { mail: u.mail } : {}), ...(u.legacyExchangeDN !== undefined ? { legacyExchangeDN: u.legacyExchangeDN } : {}),
    })),
    groups: d.groups,
    contacts: d.contacts.map((c) => ({ key: c.key, name: c.name, proxyAddresses: c.proxyAddresses, ...(c.mail !== undefined ? { mail: c.mail } : {}) })),
  };
  const notes: string[] = [];
  const narrowed = [dir.source.filter !== undefined ? `directory.source.filter ${JSON.stringify(dir.source.filter)}` : '', dir.source.group !== undefined ? `directory.source.group ${JSON.stringify(dir.source.group)}` : ''].filter((x) => x !== '');
  if (narrowed.length > 0) {
    notes.push(`the address book is the directory sync's selection, narrowed by ${narrowed.join(' and ')}: recipients outside it are refused by the UMS's Postfix; widen the selection or use a CSV address book`);
  }
  return { book, problems: [], source: `directory sync ${dir.source.base} → ${dir.target.base}`, notes };
}

/**
 * What a PST folder holds, from its container class (PR_CONTAINER_CLASS, [MS-OXOSFLD]), and
 * whether this source can migrate it. Pure.
 *
 * Mail folders (IPF.Note and its sub-classes, IPF.Imap, IPF.Post, and folders without a class)
 * become IMAP folders; every item in them is built as a message, whatever its own class (an
 * appointment left in Deleted Items is copied as the message Outlook would show). Calendar,
 * contact and task folders become containers of kind event/contact/task (iCalendar / vCard
 * items, connectors/pst/pst-groupware.ts) when `groupware` is on; otherwise they are reported as
 * skipped with how to turn it on (the target must route those kinds to CalDAV/CardDAV). Journal,
 * notes and configuration folders have no UMS counterpart.
 */
import type { ItemKind } from '../../src/model/types.js';

export type FolderVerdict =
  | { kind: ItemKind; migrate: true }
  | { kind: ItemKind; migrate: false; reason: string };

const MAIL = /^(IPF|IPF\.(Note|Imap|Post)(\..*)?)$/i;
const GROUPWARE: [RegExp, ItemKind, string][] = [
  [/^IPF\.Appointment(\..*)?$/i, 'event', 'calendar'],
  [/^IPF\.Contact(\..*)?$/i, 'contact', 'address book'],
  [/^IPF\.Task(\..*)?$/i, 'task', 'task list'],
];
const NO_COUNTERPART: [RegExp, string][] = [
  [/^IPF\.StickyNote(\..*)?$/i, 'Outlook notes (sticky notes) have no counterpart on the UMS'],
  [/^IPF\.Journal(\..*)?$/i, 'Outlook journal entries have no counterpart on the UMS'],
  [/^IPF\.Configuration(\..*)?$/i, 'Outlook configuration data, not user items'],
];

export function classifyFolder(containerClass: string, opts: { groupware?: boolean } = {}): FolderVerdict {
  const cls = containerClass.trim();
  if (cls === '' || MAIL.test(cls)) return { kind: 'mail', migrate: true };
  for (const [re, kind, what] of GROUPWARE) {
    if (!re.test(cls)) continue;
    if (opts.groupware) return { kind, migrate: true };
    return {
      kind, migrate: false,
      reason: `${cls} folder (${what}): not migrated; set "groupware: true" in the pst source config to migrate it (needs a target that takes calendars, address books and task lists)`,
    };
  }
  for (const [re, why] of NO_COUNTERPART) if (re.test(cls)) return { kind: 'mail', migrate: false, reason: `${cls} folder: ${why}` };
  return { kind: 'mail', migrate: false, reason: `${cls} folder: unknown container class, not migrated` };
}

/**
 * The attachment table of a MAPI appointment or task → the user's attachments of the neutral
 * model (`ItemAttachment`), plus a warning for each one that is not carried as it is. Pure: the
 * source (PST, .msg, Kopano) describes each row and hands a `read()` that loads its bytes; it is
 * called only for a row that is carried and not over the size limit, so an oversized attachment
 * is never loaded.
 *
 * - Recurrence exceptions are stored as hidden embedded messages ([MS-OXOCAL] 2.2.10.1:
 *   PidTagAttachmentHidden, PidTagAttachmentFlags 0x2, class IPM.OLE.CLASS.{00061055-…}): they
 *   are the series' moved occurrences (appointment-recurrence.ts), not user attachments.
 * - By value (and OLE objects): the bytes, with PR_ATTACH_LONG_FILENAME / PR_ATTACH_FILENAME
 *   and PR_ATTACH_MIME_TAG (else application/octet-stream). A row whose bytes are missing is an
 *   error naming it (as for mail: nothing is dropped silently).
 * - Over `maxBytes` (default 25 MiB), by reference (a link, no bytes in the file) and embedded
 *   messages (a forwarded mail: the MIME builder is asynchronous and item conversion is not)
 *   become a short text/plain note naming what was attached and why it is not carried, so the
 *   reader of the calendar item sees it, and a warning for the log.
 */
import type { ItemAttachment } from '../../src/model/groupware.js';
import { coerceError } from '../../src/util/errors.js';

export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** PR_ATTACH_METHOD values ([MS-OXCMSG] 2.2.2.9). */
const METHOD = { NONE: 0, BY_VALUE: 1, BY_REFERENCE: 2, BY_REF_RESOLVE: 3, BY_REF_ONLY: 4, EMBEDDED_MSG: 5, OLE: 6, BY_WEB_REFERENCE: 7 } as const;
const BY_REFERENCE: readonly number[] = [METHOD.BY_REFERENCE, METHOD.BY_REF_RESOLVE, METHOD.BY_REF_ONLY, METHOD.BY_WEB_REFERENCE];
/** PidTagAttachmentFlags afException. */
const AF_EXCEPTION = 0x2;
const EXCEPTION_CLASS = /^IPM\.OLE\.CLASS\.\{00061055-0000-0000-C000-000000000046\}/i;

export interface MapiAttachmentRow {
  /** PR_ATTACH_METHOD (undefined = by value). */
  method?: number;
  /** PR_ATTACH_LONG_FILENAME, else PR_ATTACH_FILENAME, else PR_DISPLAY_NAME. */
  name?: string;
  /** PR_ATTACH_MIME_TAG. */
  mimeType?: string;
  /** PR_ATTACHMENT_HIDDEN. */
  hidden?: boolean;
  /** PidTagAttachmentFlags (0x7FFD). */
  flags?: number;
  /** PR_ATTACHMENT_CONTACTPHOTO. */
  contactPhoto?: boolean;
  /** The embedded message's class, when the source knows it without reading the message. */
  embeddedClass?: string;
  /** Size of the bytes, known before reading them (undefined: unknown, read them). */
  size?: number;
  /** The link target of an attachment by reference. */
  path?: string;
  /** Loads the bytes; undefined when the row has none. */
  read(): Buffer | undefined;
}

export interface ItemAttachments {
  attachments: ItemAttachment[];
  /** Each names the item, the attachment and why it is not carried as it is. */
  warnings: string[];
}

/** True for the hidden embedded message of a moved or changed occurrence. */
export function isExceptionAttachment(r: MapiAttachmentRow): boolean {
  if (r.method !== METHOD.EMBEDDED_MSG) return false;
  return r.hidden === true || ((r.flags ?? 0) & AF_EXCEPTION) !== 0 || (r.embeddedClass !== undefined && EXCEPTION_CLASS.test(r.embeddedClass));
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function note(name: string, text: string): ItemAttachment {
  return { name: `${name} (not migrated).txt`, mimeType: 'text/plain', data: Buffer.from(`${text}\r\n`, 'utf8') };
}

/** The user's attachments of `label` (an appointment or task) from its attachment rows. */
export function itemAttachments(label: string, rows: readonly MapiAttachmentRow[], maxBytes = MAX_ATTACHMENT_BYTES): ItemAttachments {
  const attachments: ItemAttachment[] = [];
  const warnings: string[] = [];
  rows.forEach((r, i) => {
    if (isExceptionAttachment(r) || r.contactPhoto) return;
    const name = r.name?.trim() || `attachment-${i + 1}`;
    const what = `attachment ${i + 1} (${JSON.stringify(name)})`;
    const skip = (why: string, text: string): void => {
      warnings.push(`${label}: ${what} not carried: ${why}`);
      attachments.push(note(name, text));
    };
    if (r.method === METHOD.EMBEDDED_MSG) {
      skip(`an attached message${r.embeddedClass ? ` (${r.embeddedClass})` : ''} is not converted on calendar items and tasks`,
        `This item had the message ${JSON.stringify(name)} attached in the original mailbox; it was not migrated with the item.`);
      return;
    }
    if (r.method !== undefined && BY_REFERENCE.includes(r.method)) {
      skip(`a link, not a copy (${r.path ?? 'no path stored'})`, `This attachment was a link, not a copy, in the original mailbox:\r\n${name}\r\n${r.path ?? '(no path stored)'}`);
      return;
    }
    if (r.size !== undefined && r.size > maxBytes) {
      skip(`${mib(r.size)}, over the ${mib(maxBytes)} limit`, `The attachment ${JSON.stringify(name)} (${mib(r.size)}) was too large to migrate with the item (limit ${mib(maxBytes)}).`);
      return;
    }
    let data: Buffer | undefined;
    try {
      data = r.read();
    } catch (err) {
      throw new Error(`${label}: ${what} cannot be read: ${coerceError(err).message}`, { cause: err });
    }
    if (!data) {
      if (r.method === METHOD.NONE) return; // a placeholder row without content
      throw new Error(`${label}: ${what} has no data (attach method ${r.method ?? 1})`);
    }
    if (data.length > maxBytes) {
      skip(`${mib(data.length)}, over the ${mib(maxBytes)} limit`, `The attachment ${JSON.stringify(name)} (${mib(data.length)}) was too large to migrate with the item (limit ${mib(maxBytes)}).`);
      return;
    }
    attachments.push({ name, mimeType: r.mimeType?.trim().toLowerCase() || 'application/octet-stream', data });
  });
  return { attachments, warnings };
}

/**
 * Raw RFC 5322 header blocks as lists of fields, kept byte-for-byte (folding included): what the
 * MIME builder needs to keep an original PR_TRANSPORT_MESSAGE_HEADERS block and swap its
 * Content-* fields for the rebuilt body's. Pure.
 */

export interface HeaderField {
  /** The field name as written, e.g. 'Received'. */
  name: string;
  /** The whole field as written (name, colon, value, folded continuation lines), without the final CRLF. */
  raw: string;
}

/**
 * Splits a header block into fields. Line ends may be CRLF, LF or CR; the block ends at the first
 * empty line. Continuation lines (starting with space or tab) belong to the field before; a
 * continuation before any field and lines without a colon are dropped (Outlook sometimes stores
 * a stray line such as "Microsoft Mail Internet Headers Version 2.0" first).
 */
export function parseHeaderBlock(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (fields.length > 0) break;
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      const last = fields[fields.length - 1];
      if (last) last.raw += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (name === '' || /[^\x21-\x39\x3b-\x7e]/.test(name)) continue;
    fields.push({ name, raw: line });
  }
  return fields;
}

/** The fields of `fields` named `name` (case-insensitive). */
export function fieldsNamed(fields: readonly HeaderField[], name: string): HeaderField[] {
  const n = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === n);
}

/** The unfolded value of the first field named `name`, if any. */
export function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  const f = fieldsNamed(fields, name)[0];
  if (!f) return undefined;
  return f.raw.slice(f.raw.indexOf(':') + 1).replace(/\r\n(?=[ \t])/g, '').trim();
}

/** Fields that describe the body's structure: the rebuilt body brings its own. */
export function isStructuralField(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'mime-version' || n.startsWith('content-');
}

/** The fields as a block, each ending in CRLF (no empty line after them). */
export function serializeFields(fields: readonly HeaderField[]): string {
  return fields.map((f) => `${f.raw}\r\n`).join('');
}

/** Splits a message built with CRLF line ends into its header fields and the rest (from the empty line on, body included). */
export function splitMessage(message: Buffer): { header: HeaderField[]; body: Buffer } {
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return { header: parseHeaderBlock(message.toString('utf8')), body: Buffer.from('\r\n') };
  return { header: parseHeaderBlock(message.subarray(0, end).toString('utf8')), body: message.subarray(end + 2) };
}

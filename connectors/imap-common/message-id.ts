import libmime from 'libmime';

function headerValue(headers: Buffer | undefined, name: string, encoding: BufferEncoding): string | undefined {
  if (!headers || headers.length === 0) return undefined;
  const text = headers.toString(encoding).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text);
  const value = m?.[1]?.trim();
  return value ? value : undefined;
}

/** Extracts the Message-ID value from a fetched `BODY[HEADER.FIELDS (MESSAGE-ID …)]` buffer. */
export function parseMessageIdHeader(headers: Buffer | undefined): string | undefined {
  return headerValue(headers, 'message-id', 'latin1');
}

/** The decoded Subject (RFC 2047 words decoded, raw 8-bit read as UTF-8) from fetched header lines. */
export function parseSubjectHeader(headers: Buffer | undefined): string | undefined {
  const raw = headerValue(headers, 'subject', 'utf8');
  return raw === undefined ? undefined : libmime.decodeWords(raw);
}

/** Compares two Message-ID values the way mail systems do (case of the domain part ignored, spaces ignored). */
export function sameMessageId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
}

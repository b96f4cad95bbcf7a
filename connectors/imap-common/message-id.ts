/** Extracts the Message-ID value from a fetched `BODY[HEADER.FIELDS (MESSAGE-ID)]` buffer. */
export function parseMessageIdHeader(headers: Buffer | undefined): string | undefined {
  if (!headers || headers.length === 0) return undefined;
  const text = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*)$/im.exec(text);
  const value = m?.[1]?.trim();
  return value ? value : undefined;
}

/** Compares two Message-ID values the way mail systems do (case of the domain part ignored, spaces ignored). */
export function sameMessageId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
}

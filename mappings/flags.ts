/** IMAP flag sets compared the way servers treat them. Pure. */

/** Flags that cannot or need not be carried over. */
const IGNORED_FLAGS = new Set(['\\recent']);

/** Sorted, de-duplicated; system flags (\\Seen…) case-insensitive, keywords as they are; \\Recent dropped. */
export function normaliseFlags(flags: string[]): string[] {
  return [...new Set(flags.filter((f) => !IGNORED_FLAGS.has(f.toLowerCase())).map((f) => (f.startsWith('\\') ? f.toLowerCase() : f)))].sort();
}

export function sameFlags(a: string[], b: string[]): boolean {
  return normaliseFlags(a).join(' ') === normaliseFlags(b).join(' ');
}

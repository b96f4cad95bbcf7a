/** The part of libmime (no published types) that this project uses. */
declare module 'libmime' {
  /** Decodes RFC 2047 encoded-words ("=?utf-8?B?…?=") in a header value. */
  export function decodeWords(value: string): string;
  /** "type/subtype; a=b; c*0*=utf-8''…" → value and params (RFC 2231 continuations joined and decoded). */
  export function parseHeaderValue(value: string): { value: string; params: Record<string, string> };
  const libmime: { decodeWords(value: string): string; parseHeaderValue: typeof parseHeaderValue };
  export default libmime;
}

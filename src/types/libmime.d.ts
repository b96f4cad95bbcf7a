/** The part of libmime (no published types) that this project uses. */
declare module 'libmime' {
  /** Decodes RFC 2047 encoded-words ("=?utf-8?B?…?=") in a header value. */
  export function decodeWords(value: string): string;
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}

/**
 * What a postmap(1) source line can hold. A line whose first non-blank character is "#" is a
 * comment and a line starting with whitespace continues the previous entry; whitespace ends the
 * key, a backslash escapes what follows it, and a double quote starts Postfix's key quoting. That
 * quoting (Postfix ≥ 3.2) keeps the quotes in the key (`"#x@a.example"` is found only as
 * `"#x@a.example"`, tested with Postfix 3.7), so it cannot carry a key that starts with "#": there
 * is no way to write one. Such an address is left out of every map (refused at RCPT TO) and said
 * so, instead of silently turning into a comment.
 *
 * Pure: no I/O.
 */

/** Why `key` cannot be written as the key of a postmap(1) source line; undefined when it can. */
export function postmapKeyProblem(key: string): string | undefined {
  if (key === '') return 'an empty key';
  if (key.startsWith('#')) return 'it starts with "#", which postmap(1) reads as a comment line (Postfix has no quoting for it)';
  if (/[\s\p{Cc}]/u.test(key)) return 'it contains whitespace or control characters, which end or break a postmap(1) line';
  if (key.includes('\\')) return 'it contains a backslash, which postmap(1) reads as an escape';
  if (key.includes('"')) return 'it contains a double quote, which postmap(1) reads as key quoting';
  return undefined;
}

/** Why `value` cannot be written as the value of a postmap(1) source line; undefined when it can. */
export function postmapValueProblem(value: string): string | undefined {
  if (/\p{Cc}/u.test(value)) return 'it contains control characters, which break a postmap(1) line';
  return undefined;
}

/**
 * LDAP text formats for the directory sync: RFC 2849 LDIF change records and the escaping of
 * values inside search filters (RFC 4515) and distinguished names (RFC 4514).
 *
 * LDIF as written here:
 * - a value that is not a SAFE-STRING — it has a non-ASCII character, NUL, CR or LF, starts
 *   with a space, ":" or "<", or ends with a space — is written base64 (`attr:: …`, UTF-8), and so
 *   is a value with any other control character (tab, ESC, BEL, DEL: allowed raw by RFC 2849, but
 *   the dry run's LDIF is read by people);
 *   the DN follows the same rule (`dn:: …`); an empty value is written `attr:`;
 * - lines longer than 76 characters are folded: continuation lines start with one space
 *   (every line written is ASCII, so characters and octets coincide);
 * - `toLdif` writes a `changetype: modify` record with one mod-spec per change, each ended by
 *   a "-" line; `toLdifAdd` writes a `changetype: add` record (objectClass first); both end
 *   with a newline and `ldifDocument` joins records with blank lines after "version: 1".
 *
 * Pure: no I/O.
 */

export interface LdapChange {
  op: 'add' | 'replace' | 'delete';
  attribute: string;
  /** For `delete`, [] deletes the whole attribute; for `replace`, [] is the same. */
  values: string[];
}

const FOLD_AT = 76;

/** RFC 2849 SAFE-STRING, also refusing a trailing space (which the RFC says SHOULD be base64). */
export function isSafeLdifValue(value: string): boolean {
  if (value === '') return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // Beyond SAFE-CHAR (NUL, CR, LF, non-ASCII): every other C0 control and DEL too, so a value
    // with ESC or BEL never reaches a terminal raw when the LDIF is read with cat or less.
    if (c < 0x20 || c >= 0x7f) return false;
  }
  if (/^[ :<]/.test(value)) return false;
  return !value.endsWith(' ');
}

function fold(line: string): string {
  if (line.length <= FOLD_AT) return line;
  const parts = [line.slice(0, FOLD_AT)];
  for (let i = FOLD_AT; i < line.length; i += FOLD_AT - 1) parts.push(' ' + line.slice(i, i + FOLD_AT - 1));
  return parts.join('\n');
}

/** One `name: value` line (folded), base64 when the value is not safe. */
export function ldifLine(name: string, value: string): string {
  if (value === '') return `${name}:`;
  if (isSafeLdifValue(value)) return fold(`${name}: ${value}`);
  return fold(`${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`);
}

/** A `changetype: modify` record; '' when there are no changes (nothing to write). */
export function toLdif(dn: string, changes: readonly LdapChange[]): string {
  if (changes.length === 0) return '';
  const lines = [ldifLine('dn', dn), 'changetype: modify'];
  for (const c of changes) {
    lines.push(`${c.op}: ${c.attribute}`);
    for (const v of c.values) lines.push(ldifLine(c.attribute, v));
    lines.push('-');
  }
  return lines.join('\n') + '\n';
}

/** A `changetype: add` record; attributes with no values are left out, objectClass comes first. */
export function toLdifAdd(dn: string, attrs: Readonly<Record<string, readonly string[]>>): string {
  const lines = [ldifLine('dn', dn), 'changetype: add'];
  const names = Object.keys(attrs);
  const ordered = [...names.filter((n) => n.toLowerCase() === 'objectclass'), ...names.filter((n) => n.toLowerCase() !== 'objectclass')];
  for (const name of ordered) for (const v of attrs[name] ?? []) lines.push(ldifLine(name, v));
  return lines.join('\n') + '\n';
}

/** A complete LDIF file: "version: 1" and the non-empty records separated by blank lines. */
export function ldifDocument(records: readonly string[]): string {
  return ['version: 1\n', ...records.filter((r) => r !== '')].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Escaping

/** RFC 4515 assertion value: "*", "(", ")", "\" and NUL as "\XX" hex escapes; UTF-8 stays. */
export function escapeFilterValue(s: string): string {
  return s.replace(/[*()\\\0]/g, (ch) => '\\' + ch.charCodeAt(0).toString(16).padStart(2, '0'));
}

/**
 * RFC 4514 attribute value in a DN: `"` `+` `,` `;` `<` `>` `\` (and `=`, which RFC 4514 allows
 * and Active Directory expects) are backslash-escaped, as are a leading space or "#" and a
 * trailing space; NUL becomes "\00".
 */
export function escapeDnValue(s: string): string {
  const chars = [...s];
  return chars
    .map((ch, i) => {
      if (ch === '\0') return '\\00';
      if ('\\"+,;<>='.includes(ch)) return '\\' + ch;
      if ((i === 0 && (ch === ' ' || ch === '#')) || (i === chars.length - 1 && ch === ' ')) return '\\' + ch;
      return ch;
    })
    .join('');
}

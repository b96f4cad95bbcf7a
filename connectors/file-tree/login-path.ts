/**
 * A login inside a configured path pattern ("{login}", "{login}/*.pst", "exports/{login}"): the
 * login is always a literal part of one path segment. It can neither leave the directory ("..",
 * "/", "\\", NUL are refused) nor widen a pattern: glob characters in a login (`*`, `?`, `[`, `{`)
 * match only themselves (see `segmentMatcher`). And the mailbox's own directory is never reached
 * through a symbolic link (which could lead to another user's files).
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { FatalError } from '../../src/util/errors.js';

/** The login as a path-segment part; throws naming the login when it cannot be one. */
export function checkLogin(login: string, what: string): string {
  const bad = login === '' ? 'it is empty'
    : login === '.' || login === '..' ? `it is "${login}"`
      : /[/\\]/.test(login) ? 'it contains a path separator'
        : login.includes('\0') ? 'it contains a NUL character'
          : undefined;
  if (bad) {
    throw new FatalError(`${what}: source login ${JSON.stringify(login)} cannot name a file or directory (${bad}); fix the login in the mailbox list`, 'BAD_LOGIN');
  }
  return login;
}

/** The pattern's segments as written ("." and empty segments dropped). */
export function patternSegments(pattern: string): string[] {
  return pattern.split('/').filter((s) => s !== '' && s !== '.');
}

/** The pattern's segments with "{login}" replaced by the (checked) login. */
export function loginSegments(pattern: string, login: string, what: string): string[] {
  checkLogin(login, what);
  return patternSegments(pattern).map((s) => s.split('{login}').join(login));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A matcher for one pattern segment as written (with "{login}", before substitution) where only the
 * pattern's own `*` is a wildcard (any characters inside the segment); the login's characters,
 * glob or not, match literally.
 */
export function segmentMatcher(patternSegment: string, login: string): { literal: string | undefined; test(name: string): boolean } {
  const parts = patternSegment.split('{login}').map((piece) => piece.split('*').map(escapeRegExp).join('.*'));
  const re = new RegExp(`^${parts.join(escapeRegExp(login))}$`, 's');
  const literal = patternSegment.includes('*') ? undefined : patternSegment.split('{login}').join(login);
  return { literal, test: (name) => re.test(name) };
}

/**
 * The mailbox's directory `directory/<pattern with login>`, checked: every component below
 * `directory` must be a real directory (a symbolic link is refused naming it and its target).
 * `directory` itself may be a link (it is the operator's choice). Throws FatalError.
 */
export function mailboxRoot(directory: string, pattern: string, login: string, what: string): string {
  const segments = loginSegments(pattern, login, what);
  let p = realpathOrSelf(directory);
  for (const seg of segments) {
    p = join(p, seg);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) throw new FatalError(`${what}: no directory for ${login}: ${p} does not exist`, 'NO_SUCH_MAILBOX');
    if (st.isSymbolicLink()) {
      let target = '?';
      try {
        target = readlinkSync(p);
      } catch {
        // named as "?"
      }
      throw new FatalError(
        `${what}: the directory of ${login}, ${p}, is a symbolic link to ${target}: not followed (a link could lead to another user's files); `
        + 'replace the link with the directory itself, or point the source directory at where the files are', 'LINK_REFUSED',
      );
    }
    if (!st.isDirectory()) throw new FatalError(`${what}: the directory of ${login}, ${p}, is not a directory`, 'NO_SUCH_MAILBOX');
  }
  return p;
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

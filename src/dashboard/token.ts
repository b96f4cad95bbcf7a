/**
 * The dashboard's access token: random (24 bytes, base64url) unless given by `--token-file` (its
 * first line) or `$UMS_DASHBOARD_TOKEN`; at least MIN_TOKEN_LENGTH characters. Compared in
 * constant time (both sides hashed to the same length first, so the length does not leak either).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { coerceError } from '../util/errors.js';

export const TOKEN_ENV = 'UMS_DASHBOARD_TOKEN';
export const MIN_TOKEN_LENGTH = 16;

export class TokenError extends Error {}

export interface DashboardToken {
  token: string;
  /** Where it came from: 'random', the file's path, or the variable's name. */
  source: string;
}

export function dashboardToken(opts: { tokenFile?: string; env?: NodeJS.ProcessEnv } = {}): DashboardToken {
  const env = opts.env ?? process.env;
  if (opts.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.tokenFile, 'utf8');
    } catch (err) {
      throw new TokenError(`--token-file ${opts.tokenFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? coerceError(err).message})`);
    }
    return { token: checked((text.split(/\r?\n/)[0] ?? '').trim(), `--token-file ${opts.tokenFile}`), source: opts.tokenFile };
  }
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { token: checked(fromEnv.trim(), `$${TOKEN_ENV}`), source: TOKEN_ENV };
  return { token: randomBytes(24).toString('base64url'), source: 'random' };
}

function checked(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH) throw new TokenError(`${where}: the token has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new TokenError(`${where}: the token may hold only printable ASCII without spaces`);
  return token;
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

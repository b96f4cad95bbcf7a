/**
 * The one transport-security policy of every endpoint that carries credentials (IMAP source and
 * target, EWS and its OAuth2 token endpoint, DAV, LDAP): TLS with certificate verification, and
 * plaintext or unverified TLS only with an explicit `allowInsecure: true`. The rule and its
 * wording live here; the config schema reports the problems at their paths (validate), and each
 * connector refuses them again before it connects. (PostgreSQL's URL carries its own TLS
 * parameters and has its own wording: src/state/pg-tls.ts.)
 */
import { FatalError } from './errors.js';

/** What makes an endpoint plaintext: the setting as written, what would travel in clear, the secure alternative. */
export interface Plaintext {
  /** e.g. `tls: none`, `http://`. */
  setting: string;
  /** e.g. `passwords`, `the client secret`. */
  carries: string;
  /** e.g. `https://`, `tls: implicit or starttls`. */
  secure: string;
}

/** An IMAP endpoint with `tls: none`. */
export const IMAP_PLAINTEXT: Plaintext = { setting: 'tls: none', carries: 'passwords', secure: 'tls: implicit or starttls' };

/** An http:// URL that would carry `carries`. */
export function httpPlaintext(carries: string): Plaintext {
  return { setting: 'http://', carries, secure: 'https://' };
}

/** An ldap:// URL without StartTLS. */
export function ldapPlaintext(url: string): Plaintext {
  return { setting: `${url} without startTls`, carries: 'the bind password', secure: 'ldaps:// or startTls: true' };
}

export interface TransportSettings {
  /** Set when the endpoint would talk in plaintext. */
  plaintext?: Plaintext | undefined;
  /** `false` turns certificate checks off; anything else (also absent: the default) keeps them. */
  tlsVerify?: unknown;
  /** Only `true` opts in (a raw document may hold anything). */
  allowInsecure?: unknown;
}

export interface TransportProblem {
  /** Which setting is refused: the plaintext one, or tlsVerify. */
  field: 'plaintext' | 'tlsVerify';
  message: string;
}

export const UNVERIFIED_MESSAGE = 'tlsVerify: false disables certificate checks; set allowInsecure: true to permit it';

export function plaintextMessage(p: Plaintext): string {
  return `${p.setting} sends ${p.carries} in plaintext; use ${p.secure}, or set allowInsecure: true to permit it`;
}

/** What the policy refuses in these settings (none when allowInsecure is true). */
export function transportProblems(t: TransportSettings): TransportProblem[] {
  if (t.allowInsecure === true) return [];
  const problems: TransportProblem[] = [];
  if (t.plaintext !== undefined) problems.push({ field: 'plaintext', message: plaintextMessage(t.plaintext) });
  if (t.tlsVerify === false) problems.push({ field: 'tlsVerify', message: UNVERIFIED_MESSAGE });
  return problems;
}

/** Throws a FatalError (code INSECURE) for the first problem, prefixed with `where` (e.g. `source imap.example:143`). */
export function assertTransportAllowed(t: TransportSettings, where: string): void {
  const [problem] = transportProblems(t);
  if (problem !== undefined) throw new FatalError(`${where}: ${problem.message}`, 'INSECURE');
}

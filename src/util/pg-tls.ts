/**
 * The transport of every connection the tool opens to PostgreSQL (state store, lock sessions, job
 * queue, workers): TLS with certificate verification unless the config explicitly allows less,
 * the same policy as every other endpoint (src/util/transport-policy.ts).
 *
 * The policy is applied to the connection URL itself (`sslmode`, `sslrootcert`), because that URL
 * is what every consumer hands to node-postgres or graphile-worker, and node-postgres lets the
 * URL's TLS parameters override any separate `ssl` option:
 *
 * - no `sslmode` (or `ssl=true`): `sslmode=verify-full`, the server's certificate checked against
 *   `state.caFile` when given (as `sslrootcert`), else against Node's built-in CA list, and its
 *   name against the URL's host (IP addresses against IP SANs);
 * - `sslmode=require | verify-ca | prefer`: also verify-full. node-postgres 8 already treats them
 *   so (with a deprecation warning: pg 9 will adopt libpq's meaning, `require` = no verification);
 *   writing verify-full keeps the meaning fixed whatever pg version is installed;
 * - `sslmode=disable | allow` or `ssl=false|0`: plaintext, only with `allowInsecure: true`;
 * - `sslmode=no-verify`: TLS without certificate checks, only with `allowInsecure: true`;
 * - a Unix socket (`host=/run/postgresql`, `socket:`): local, PostgreSQL offers no TLS there:
 *   `sslmode=disable`, allowed.
 *
 * `uselibpqcompat` is dropped: the modes above are what the tool means by them; a parameter given
 * twice is refused (node-postgres and this code would read different ones); `sslrootcert=system`
 * (libpq) means the built-in CA list. Errors never contain the URL (it holds the password).
 */
import { readFileSync } from 'node:fs';
import { coerceError } from '../util/errors.js';

export interface PgTlsOptions {
  /** CA bundle (PEM) of a private CA, absolute. */
  caFile?: string;
  /** Permits plaintext (sslmode=disable) and TLS without certificate checks (sslmode=no-verify). */
  allowInsecure?: boolean;
}

export type PgTransport =
  | { kind: 'tls'; verified: true; ca: { from: 'caFile' | 'sslrootcert'; file: string } | { from: 'builtin' } }
  | { kind: 'tls'; verified: false }
  | { kind: 'plaintext' }
  | { kind: 'unix-socket' };

export interface SecuredPgUrl {
  /** The URL to connect with (a secret: never log it). */
  url: string;
  transport: PgTransport;
}

/** A state.url or state.caFile the policy refuses: `state.<field>: <reason>`. Never contains the URL. */
export class PgTlsError extends Error {
  constructor(readonly field: 'url' | 'caFile', readonly reason: string) {
    super(`state.${field}: ${reason}`);
    this.name = 'PgTlsError';
  }
}

const DUMMY_HOST = '___UMS_NO_HOST___';
const VERIFIED_MODES = new Set(['verify-full', 'verify-ca', 'require', 'prefer']);
const PLAINTEXT_MODES = new Set(['disable', 'allow']);

/** The URL with the TLS policy applied (see the module comment); throws PgTlsError. */
export function securePgUrl(raw: string, opts: PgTlsOptions = {}): SecuredPgUrl {
  if (raw.startsWith('/')) return { url: raw, transport: { kind: 'unix-socket' } }; // "<socket dir> <database>", node-postgres' own form
  let u: URL;
  let noHost = false;
  try {
    u = new URL(raw);
  } catch {
    // node-postgres accepts postgres://user:pw@/db (host from ?host= or PGHOST); URL does not.
    try {
      u = new URL(raw.replace('@/', `@${DUMMY_HOST}/`));
      noHost = true;
    } catch {
      throw new PgTlsError('url', 'not a URL: expected postgres://user:password@host:5432/database');
    }
  }
  const out = (transport: PgTransport): SecuredPgUrl => ({ url: noHost ? u.toString().replace(`@${DUMMY_HOST}/`, '@/') : u.toString(), transport });
  if (u.protocol === 'socket:') return { url: raw, transport: { kind: 'unix-socket' } };
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new PgTlsError('url', 'not a postgres:// or postgresql:// URL: expected postgres://user:password@host:5432/database');
  }
  const p = u.searchParams;
  // node-postgres reads the last of a repeated parameter, this code (like libpq) the first: a
  // URL with `host=/socket&host=db.example` was judged a local socket (sslmode=disable) while
  // node-postgres connected to db.example in plaintext. So one of each, or the URL is refused.
  const seen = new Set<string>();
  for (const key of p.keys()) {
    if (seen.has(key)) {
      throw new PgTlsError('url', `the parameter ${JSON.stringify(key.slice(0, 40))} appears more than once (node-postgres would use the last, libpq the first): keep one`);
    }
    seen.add(key);
  }
  p.delete('uselibpqcompat');
  const host = p.get('host') ?? (noHost ? '' : decodeURIComponent(u.hostname));
  if (host.startsWith('/')) {
    p.set('sslmode', 'disable');
    return out({ kind: 'unix-socket' });
  }

  const mode = p.get('sslmode')?.toLowerCase();
  const ssl = p.get('ssl')?.toLowerCase();
  let wanted: 'verified' | 'unverified' | 'plaintext';
  let what: string;
  if (mode !== undefined) {
    what = `sslmode=${mode}`;
    if (VERIFIED_MODES.has(mode)) wanted = 'verified';
    else if (PLAINTEXT_MODES.has(mode)) wanted = 'plaintext';
    else if (mode === 'no-verify') wanted = 'unverified';
    else throw new PgTlsError('url', `unknown sslmode ${JSON.stringify(mode)}: leave it out (TLS with certificate verification is the default), or use disable or no-verify with state.allowInsecure: true`);
  } else {
    what = `ssl=${ssl}`;
    wanted = ssl === 'false' || ssl === '0' ? 'plaintext' : ssl === 'no-verify' ? 'unverified' : 'verified';
  }
  p.delete('ssl');

  if (wanted === 'plaintext') {
    if (!opts.allowInsecure) {
      throw new PgTlsError('url', `${what} sends the password and every migrated record to PostgreSQL in plaintext; remove it (TLS with certificate verification is the default) or set state.allowInsecure: true to permit it`);
    }
    p.set('sslmode', 'disable');
    p.delete('sslrootcert');
    return out({ kind: 'plaintext' });
  }
  if (wanted === 'unverified') {
    if (!opts.allowInsecure) {
      throw new PgTlsError('url', `${what} accepts any certificate, so anyone in the path can read the password; give the server's CA as state.caFile instead, or set state.allowInsecure: true to permit it`);
    }
    p.set('sslmode', 'no-verify');
    return out({ kind: 'tls', verified: false });
  }

  p.set('sslmode', 'verify-full');
  // libpq's sslrootcert=system: the system's CA list, i.e. Node's built-in one (node-postgres
  // would try to read a file named "system").
  if (p.get('sslrootcert') === 'system' && opts.caFile === undefined) p.delete('sslrootcert');
  const rootcert = p.get('sslrootcert');
  if (opts.caFile !== undefined && rootcert !== null) {
    throw new PgTlsError('caFile', 'sslrootcert in state.url names a CA too: keep one of them');
  }
  const caFile = opts.caFile ?? rootcert ?? undefined;
  if (caFile !== undefined) {
    try {
      readFileSync(caFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? coerceError(err).message;
      throw opts.caFile !== undefined
        ? new PgTlsError('caFile', `cannot read CA file ${caFile}: ${code}`)
        : new PgTlsError('url', `cannot read its sslrootcert CA file ${caFile}: ${code}`);
    }
    p.set('sslrootcert', caFile);
    return out({ kind: 'tls', verified: true, ca: { from: opts.caFile !== undefined ? 'caFile' : 'sslrootcert', file: caFile } });
  }
  return out({ kind: 'tls', verified: true, ca: { from: 'builtin' } });
}

/**
 * For code handed a URL directly (the store, lock sessions and queue constructors): TLS with
 * verification unless the URL itself says otherwise. The config's rules (allowInsecure) are
 * enforced where the URL comes from the config (`postgresUrl` in open.ts).
 */
export function withTlsDefault(url: string): string {
  return securePgUrl(url, { allowInsecure: true }).url;
}

/**
 * `postgres://user@host:port/db`: the URL without its password or parameters, for messages. The
 * host and port are the ones node-postgres connects to: `?host=` / `?port=` win over the URL's
 * own (validate showed db.example for a URL that connected to `?host=other.example`).
 */
export function describePostgresUrl(url: string): string {
  try {
    let u: URL;
    let urlHost: string;
    try {
      u = new URL(url);
      urlHost = decodeURIComponent(u.hostname);
    } catch {
      u = new URL(url.replace('@/', `@${DUMMY_HOST}/`)); // postgres://user:pw@/db?host=…, as securePgUrl reads it
      urlHost = '';
    }
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    const host = u.searchParams.get('host') ?? urlHost;
    const port = u.searchParams.get('port') ?? u.port;
    return `${u.protocol}//${user}${host.startsWith('/') ? `[socket ${host}]` : host}${port ? `:${port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/** How the state store is reached, in words (for validate). */
export function describePgTransport(t: PgTransport): string {
  if (t.kind === 'unix-socket') return 'a local Unix socket (no network, no TLS needed)';
  if (t.kind === 'plaintext') return 'PLAINTEXT (no TLS: allowInsecure), the password and data travel in clear';
  if (!t.verified) return 'TLS WITHOUT certificate verification (sslmode=no-verify, allowInsecure)';
  const ca = t.ca.from === 'builtin' ? "Node's built-in CA list" : t.ca.from === 'caFile' ? `state.caFile ${t.ca.file}` : `sslrootcert ${t.ca.file}`;
  return `TLS, the server's certificate and name verified against ${ca}`;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A connection error as a message that says what to do (an untrusted certificate, a server
 * without TLS); other errors unchanged. `location` is the URL without password (describePostgresUrl).
 */
export function explainPgConnectError(err: unknown, location: string): unknown {
  const e = err as NodeJS.ErrnoException | undefined;
  if (typeof e?.message !== 'string') return err; // duck-typed: errors of node's tls may come from another realm
  if (e.code !== undefined && UNTRUSTED.has(e.code)) {
    return new Error(`state.url: the TLS certificate of PostgreSQL ${location} was not accepted (${e.code}: ${e.message}); nothing was sent. ` +
      'Set state.caFile to the CA that signed it (or fix the certificate or the host name in the URL)', { cause: err });
  }
  if (e.message === 'The server does not support SSL connections') {
    return new Error(`state.url: PostgreSQL ${location} does not offer TLS; the password was not sent. Turn ssl on in the server, ` +
      'or (plaintext: the password and data travel in clear) add sslmode=disable to state.url and set state.allowInsecure: true', { cause: err });
  }
  return err;
}

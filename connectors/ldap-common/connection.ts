/**
 * Opening an LDAP connection for the directory sync (ldapts): LDAPS with certificate
 * verification by default. `ldap://` is accepted only with `startTls: true` (upgraded before the
 * bind) or with `allowInsecure: true` (plaintext, the password travels in clear); switching off
 * certificate verification also needs `allowInsecure`. Both LDAPS and StartTLS check the
 * certificate against the URL's host: a host name against its DNS names (and sent as SNI), an IP
 * address against its IP addresses. The password is passed in resolved and never logged.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import { transportProblem } from '../../src/util/ldap-transport.js';
import { coerceError } from '../../src/util/errors.js';

export { transportProblem } from '../../src/util/ldap-transport.js';

export interface LdapEndpoint {
  /** ldaps://host[:port] or ldap://host[:port]. */
  url: string;
  bindDn: string;
  password: string;
  /** Extra CA certificates (PEM). */
  ca?: string | Buffer;
  tlsVerify: boolean;
  startTls: boolean;
  allowInsecure: boolean;
  timeoutMs?: number;
}

/** A bound client. Throws with the server's reason when the connection or the bind fails. */
export async function openLdap(ep: LdapEndpoint): Promise<Client> {
  const problem = transportProblem(ep);
  if (problem !== undefined) throw new Error(problem);
  const host = urlHost(ep.url);
  const tlsOptions = tlsOptionsFor(ep, host);
  const secure = /^ldaps:/i.test(ep.url); // URL schemes are case-insensitive (ldapts and transportProblem read LDAPS:// as ldaps too)
  const client = new Client({
    url: ep.url,
    timeout: ep.timeoutMs ?? 120_000,
    connectTimeout: 15_000,
    ...(secure ? { tlsOptions } : {}),
  });
  try {
    // A copy: ldapts adds the plain socket to the options it is given.
    if (ep.startTls) await client.startTLS({ ...tlsOptions });
    await client.bind(ep.bindDn, ep.password);
  } catch (err) {
    await client.unbind().catch(() => undefined);
    throw new Error(`LDAP bind to ${ep.url} as ${ep.bindDn} failed: ${reason(err, host)}`);
  }
  return client;
}

/** The host of an LDAP URL as TLS checks it (IPv6 without brackets; ldapts' default localhost). */
function urlHost(url: string): string {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return host === '' ? 'localhost' : host;
}

/**
 * TLS options for LDAPS and StartTLS. `host` is what the certificate is checked against (without
 * it, a StartTLS upgrade is checked against "localhost", whatever the URL says); `servername`
 * (SNI, and the name checked) only for host names: an IP address is checked against IP SANs.
 */
export function tlsOptionsFor(ep: Pick<LdapEndpoint, 'ca' | 'tlsVerify'>, host: string): TlsOptions {
  return {
    ...(ep.ca !== undefined ? { ca: ep.ca } : {}),
    rejectUnauthorized: ep.tlsVerify,
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
}

type TlsOptions = Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized' | 'host' | 'servername'>;

function reason(thrown: unknown, host: string): string {
  const err: NodeJS.ErrnoException = coerceError(thrown);
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate is not valid for ${host} (${err.message}); the password was not sent. ` +
      'Use a host name or IP address the certificate lists (host names are checked against its DNS names, IP addresses against its IP addresses), or have the certificate reissued';
  }
  return err.message;
}

/** The first value of an attribute as a string (ldapts gives string | string[] | Buffer…). */
export function firstValue(v: unknown): string | undefined {
  const all = allValues(v);
  return all.length > 0 ? all[0] : undefined;
}

export function allValues(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => allValues(x));
  if (Buffer.isBuffer(v)) return [v.toString('utf8')];
  return [String(v)];
}

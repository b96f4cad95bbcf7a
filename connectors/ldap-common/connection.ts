/**
 * Opening an LDAP connection for the directory sync (ldapts): LDAPS with certificate
 * verification by default. `ldap://` is accepted only with `startTls: true` (upgraded before the
 * bind) or with `allowInsecure: true` (plaintext, the password travels in clear); switching off
 * certificate verification also needs `allowInsecure`. The password is passed in resolved and
 * never logged.
 */
import { Client } from 'ldapts';
import { transportProblem } from './transport.js';

export { transportProblem } from './transport.js';

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
  const tlsOptions = { ...(ep.ca !== undefined ? { ca: ep.ca } : {}), rejectUnauthorized: ep.tlsVerify };
  const secure = ep.url.startsWith('ldaps:');
  const client = new Client({
    url: ep.url,
    timeout: ep.timeoutMs ?? 120_000,
    connectTimeout: 15_000,
    ...(secure ? { tlsOptions } : {}),
  });
  try {
    if (ep.startTls) await client.startTLS(tlsOptions);
    await client.bind(ep.bindDn, ep.password);
  } catch (err) {
    await client.unbind().catch(() => undefined);
    throw new Error(`LDAP bind to ${ep.url} as ${ep.bindDn} failed: ${(err as Error).message}`);
  }
  return client;
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

/**
 * The transport rules of an LDAP endpoint (pure; shared by the config schema and the
 * connection): LDAPS by default, `ldap://` only with StartTLS or an explicit `allowInsecure`,
 * and no unverified certificates without `allowInsecure` (the transport policy,
 * src/util/transport-policy.ts).
 */
import { ldapPlaintext, transportProblems } from './transport-policy.js';

/** Why the endpoint's transport settings are refused, or undefined when they are fine. */
export function transportProblem(ep: { url: string; tlsVerify: boolean; startTls: boolean; allowInsecure: boolean }): string | undefined {
  let scheme: string;
  try {
    scheme = new URL(ep.url).protocol;
  } catch {
    return `not an LDAP URL: ${JSON.stringify(ep.url)}`;
  }
  if (scheme !== 'ldaps:' && scheme !== 'ldap:') return `not an LDAP URL (ldaps:// or ldap://): ${JSON.stringify(ep.url)}`;
  if (scheme === 'ldaps:' && ep.startTls) return 'startTls is for ldap:// URLs; ldaps:// is TLS already';
  const plaintext = scheme === 'ldap:' && !ep.startTls ? ldapPlaintext(ep.url) : undefined;
  return transportProblems({ plaintext, tlsVerify: ep.tlsVerify, allowInsecure: ep.allowInsecure })[0]?.message;
}

/**
 * Exchange/AD `proxyAddresses`: "TYPE:value" strings such as "SMTP:alice@corp.example",
 * "smtp:a.smith@corp.example", "X500:/o=Corp/ou=…/cn=Recipients/cn=alice", "SIP:alice@corp.example".
 *
 * - The prefix names the address type; the type is case-insensitive (returned upper-cased).
 * - The case of the prefix marks the primary address of that type: "SMTP:" is the primary
 *   (reply) address, "smtp:" a secondary one. Exactly one primary SMTP address is expected per
 *   recipient. For other types Exchange follows the same convention, but X500 proxies are
 *   conventionally all written "X500:" — their primary flag carries no meaning and is not checked.
 * - The value is everything after the first colon (SIP and X400 values may contain colons).
 *
 * `normaliseProxyAddresses` validates a whole list (one primary SMTP, SMTP syntax, duplicates);
 * `rewriteDomain` / `rewriteProxyDomains` move addresses to other domains; IMCEAEX helpers are
 * re-exported from ./imceaex.js.
 *
 * Pure: no I/O.
 */
import { addressKey, asciiDomain, smtpAddressProblem, splitAddress } from './smtp-address.js';

export { decodeImceaex, encodeImceaex, isImceaex } from './imceaex.js';

export interface ProxyAddress {
  /** Upper-cased prefix: SMTP, X500, X400, SIP, EUM, … */
  type: string;
  /** The prefix was written all upper-case ("SMTP:" rather than "smtp:"). */
  primary: boolean;
  value: string;
}

export type ProxyAddressProblem = 'no colon' | 'empty type' | 'invalid type' | 'empty value';

export type ParsedProxyAddress =
  | { ok: true; address: ProxyAddress }
  | { ok: false; input: string; problem: ProxyAddressProblem };

/** A type is a letter followed by letters, digits, "-" or "_" (SMTP, X500, EUM, NOTES, CCMAIL, …). */
const TYPE = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function parseProxyAddress(s: string): ParsedProxyAddress {
  const colon = s.indexOf(':');
  if (colon < 0) return { ok: false, input: s, problem: 'no colon' };
  const prefix = s.slice(0, colon);
  const value = s.slice(colon + 1);
  if (prefix === '') return { ok: false, input: s, problem: 'empty type' };
  if (!TYPE.test(prefix)) return { ok: false, input: s, problem: 'invalid type' };
  if (value.trim() === '') return { ok: false, input: s, problem: 'empty value' };
  return { ok: true, address: { type: prefix.toUpperCase(), primary: prefix === prefix.toUpperCase(), value } };
}

export function formatProxyAddress(p: ProxyAddress): string {
  return `${p.primary ? p.type.toUpperCase() : p.type.toLowerCase()}:${p.value}`;
}

/** Types whose values compare case-insensitively (Exchange treats addresses and DNs so). */
const CASE_INSENSITIVE_TYPES = new Set(['SMTP', 'X500', 'X400', 'SIP', 'EUM']);

/** Identity of a proxy address for duplicate detection: type plus the comparison form of the value. */
export function proxyKey(p: ProxyAddress): string {
  if (p.type === 'SMTP') return `SMTP:${addressKey(p.value)}`;
  return `${p.type}:${CASE_INSENSITIVE_TYPES.has(p.type) ? p.value.toLowerCase() : p.value}`;
}

export interface ProxyIssue {
  address: string;
  problem: string;
}

export interface NormalisedProxyAddresses {
  /** Valid, de-duplicated addresses in their input order (first occurrence). */
  addresses: ProxyAddress[];
  /** The value of the one primary SMTP address; unset when there is none. */
  primarySmtp?: string;
  issues: ProxyIssue[];
}

/**
 * Validates and de-duplicates a proxyAddresses list:
 * - malformed entries and SMTP addresses with invalid syntax are reported and dropped;
 * - duplicates (case-insensitive for SMTP, X500, X400, SIP and EUM; exact for unknown types) are
 *   reported and collapsed into the first occurrence, which becomes primary when any was
 *   (except X500, whose flag means nothing: the first spelling is kept);
 * - no primary SMTP address → issue "no primary SMTP address" (address "") and no `primarySmtp`;
 * - more than one → one issue naming all of them; the one equal to `preferredPrimary` (e.g.
 *   the entry's `mail`), else the first, stays primary and the others become secondary;
 * - other types are passed through untouched.
 */
export function normaliseProxyAddresses(list: readonly string[], opts: { preferredPrimary?: string } = {}): NormalisedProxyAddresses {
  const issues: ProxyIssue[] = [];
  const addresses: ProxyAddress[] = [];
  const byKey = new Map<string, ProxyAddress>();
  for (const input of list) {
    const parsed = parseProxyAddress(input);
    if (!parsed.ok) {
      issues.push({ address: input, problem: `malformed proxy address: ${parsed.problem}` });
      continue;
    }
    const p = parsed.address;
    if (p.type === 'SMTP') {
      const problem = smtpAddressProblem(p.value);
      if (problem !== undefined) {
        issues.push({ address: input, problem: `invalid SMTP address: ${problem}` });
        continue;
      }
    }
    const key = proxyKey(p);
    const first = byKey.get(key);
    if (first) {
      issues.push({ address: input, problem: `duplicate of ${formatProxyAddress(first)}; collapsed` });
      if (p.primary && p.type !== 'X500') first.primary = true;
      continue;
    }
    const copy = { ...p };
    byKey.set(key, copy);
    addresses.push(copy);
  }

  const primaries = addresses.filter((p) => p.type === 'SMTP' && p.primary);
  if (primaries.length === 0) {
    issues.push({ address: '', problem: 'no primary SMTP address' });
    return { addresses, issues };
  }
  const preferred = opts.preferredPrimary === undefined ? undefined : addressKey(opts.preferredPrimary);
  const kept = primaries.find((p) => addressKey(p.value) === preferred) ?? primaries[0]!;
  if (primaries.length > 1) {
    const demoted = primaries.filter((p) => p !== kept);
    issues.push({
      address: demoted.map(formatProxyAddress).join(', '),
      problem: `more than one primary SMTP address (${primaries.map(formatProxyAddress).join(', ')}); kept ${formatProxyAddress(kept)}, the others made secondary`,
    });
    for (const p of demoted) p.primary = false;
  }
  return { addresses, primarySmtp: kept.value, issues };
}

/** The X500 proxy address that lets Exchange and Outlook resolve a (former) legacyExchangeDN. */
export function legacyDnToX500(legacyExchangeDN: string): string {
  const dn = legacyExchangeDN.trim();
  if (!dn.startsWith('/')) throw new RangeError(`not a legacyExchangeDN (must start with "/"): ${JSON.stringify(legacyExchangeDN)}`);
  return `X500:${dn}`;
}

// ---------------------------------------------------------------------------------------------
// Domain rewrite

export interface DomainRule {
  /** "corp.example" (that domain only) or "*.corp.example" (every subdomain, not corp.example itself). */
  from: string;
  /** The new domain; with a `*.` wildcard `from`, "*.new.example" keeps the subdomain labels. */
  to: string;
}

const normDomain = (d: string): string => asciiDomain(d) ?? d.toLowerCase();

/**
 * Rewrites the domain of `address` by the first exact rule for its domain, else by the wildcard
 * rule with the longest matching suffix. Domains compare case-insensitively and IDN-aware
 * (U-label = A-label). The local part is never changed; addresses without "@" and addresses no
 * rule matches are returned unchanged.
 */
export function rewriteDomain(address: string, rules: readonly DomainRule[]): string {
  const parts = splitAddress(address);
  if (!parts) return address;
  const domain = normDomain(parts.domain);
  const exact = rules.find((r) => !r.from.startsWith('*.') && normDomain(r.from) === domain);
  if (exact) return `${parts.local}@${exact.to}`;
  let best: { rule: DomainRule; suffix: string } | undefined;
  for (const rule of rules) {
    if (!rule.from.startsWith('*.')) continue;
    const suffix = normDomain(rule.from.slice(2));
    if (domain.endsWith('.' + suffix) && (!best || suffix.length > best.suffix.length)) best = { rule, suffix };
  }
  if (!best) return address;
  if (!best.rule.to.startsWith('*.')) return `${parts.local}@${best.rule.to}`;
  // Keep the subdomain labels as written when the label counts line up, else their A-labels.
  const prefixCount = domain.split('.').length - best.suffix.split('.').length;
  const written = parts.domain.split('.');
  const labels = written.length === domain.split('.').length ? written : domain.split('.');
  return `${parts.local}@${[...labels.slice(0, prefixCount), best.rule.to.slice(2)].join('.')}`;
}

/**
 * Applies `rewriteDomain` to the values of the given types (SMTP by default), keeping every
 * primary flag. Two addresses may become equal; `normaliseProxyAddresses` collapses them.
 */
export function rewriteProxyDomains(list: readonly ProxyAddress[], rules: readonly DomainRule[], types: readonly string[] = ['SMTP']): ProxyAddress[] {
  const wanted = new Set(types.map((t) => t.toUpperCase()));
  return list.map((p) => (wanted.has(p.type) ? { ...p, value: rewriteDomain(p.value, rules) } : { ...p }));
}

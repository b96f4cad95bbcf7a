/**
 * EX addresses (X.500 legacyExchangeDN, RoutingType "EX") → SMTP, for organizers, attendees and
 * list members of calendar items. Every real Exchange calendar item carries them; a DN must never
 * reach the target as `mailto:`.
 *
 * Lookup order: the run's cache, then the directory's legacyExchangeDN → mail table when the
 * run has one (GroupwareOptions.legacyDnTable), then EWS ResolveNames (one UnresolvedEntry per
 * request, as the schema allows; each DN asked once per run, answers and misses both cached).
 */
import { kid, kids, textOf, type XmlElement } from './xml.js';

/** The SMTP address of a ResolveNames answer, or undefined when it found none (or only non-SMTP ones). */
export function smtpOfResolution(msg: XmlElement): string | undefined {
  for (const r of kids(kid(msg, 'ResolutionSet'), 'Resolution')) {
    const m = kid(r, 'Mailbox');
    const address = textOf(m, 'EmailAddress')?.trim();
    const routing = textOf(m, 'RoutingType')?.trim().toUpperCase();
    if (address && address.includes('@') && (routing === undefined || routing === 'SMTP')) return address;
    const contact = kids(kid(r, 'Contact', 'EmailAddresses'), 'Entry').map((e) => (e.textContent ?? '').trim().replace(/^smtp:/i, '')).find((e) => e.includes('@'));
    if (contact) return contact;
  }
  return undefined;
}

/** Every EX (X.500) address a calendar item or list names (Organizer, attendees, resources, members). */
export function exAddressesOf(item: XmlElement): string[] {
  const out = new Set<string>();
  const visit = (el: XmlElement): void => {
    for (const k of kids(el)) {
      if (k.localName === 'Mailbox') {
        const address = textOf(k, 'EmailAddress')?.trim();
        const routing = textOf(k, 'RoutingType')?.trim().toUpperCase();
        if (address && (routing === 'EX' || address.startsWith('/'))) out.add(address);
      } else visit(k);
    }
  };
  visit(item);
  return [...out];
}

export type ResolveOne = (dn: string) => Promise<XmlElement | undefined>;

/** Resolves DNs, caching answers and misses for the run. Keys are case-insensitive (DNs are). */
export class ExAddressBook {
  private readonly cache = new Map<string, string | null>();
  /** ResolveNames requests sent (for tests and reports). */
  lookups = 0;

  constructor(table?: ReadonlyMap<string, string>) {
    for (const [dn, mail] of table ?? []) this.cache.set(dn.toLowerCase(), mail);
  }

  get(dn: string): string | undefined {
    return this.cache.get(dn.toLowerCase()) ?? undefined;
  }

  /** Asks the server for the DNs not known yet (concurrency bounded by the transport's caps). */
  async resolve(dns: string[], ask: ResolveOne): Promise<void> {
    const todo = [...new Set(dns.map((d) => d.toLowerCase()))].filter((d) => !this.cache.has(d));
    await Promise.all(todo.map(async (dn) => {
      this.lookups++;
      const msg = await ask(dn);
      this.cache.set(dn, (msg && smtpOfResolution(msg)) ?? null);
    }));
  }
}

/**
 * Address ownership in the UMS directory *after* the run: the conflict check of the directory
 * sync's plan. An address another UMS entry holds today is not a conflict when this run takes it
 * away from that entry (an alias moved from one user to another in one AD change is resolved in
 * one run); it is one when the other entry keeps it — not part of the run, refused, or its change
 * refused (a `mail` change without allowMailChange).
 *
 * Every planned entry (user, group, contact) is a candidate with its current UMS attributes and
 * its desired ones; its post-run attributes are the current ones with every desired attribute the
 * diff does not refuse. Candidates claiming an address they do not hold yet and another entry
 * holds after the run are refused, and refusals repeat until none is added (a refused entry keeps
 * its current addresses, which may refuse another). The writes of entries that give up an address another candidate
 * takes are "releasing": applied first, for servers that enforce unique addresses.
 *
 * Pure: no I/O.
 */
import { diffEntry, type AttributeMap, type DiffOptions, type EntryDiff } from '../../mappings/directory/entry-mapping.js';
import { parseProxyAddress } from '../../mappings/directory/proxy-addresses.js';
import { addressKey } from '../../mappings/directory/smtp-address.js';
import type { TargetEntry } from '../../mappings/directory/ldap-writes.js';

/** Comparison keys of every address an attribute set claims (mail, aliases, proxyAddresses). */
export function claimedAddresses(attrs: Readonly<Record<string, readonly string[]>>, map: AttributeMap): string[] {
  const out: string[] = [];
  const get = (name: string | undefined): readonly string[] => {
    if (name === undefined) return [];
    const hit = Object.keys(attrs).find((k) => k.toLowerCase() === name.toLowerCase());
    return hit === undefined ? [] : attrs[hit]!;
  };
  for (const v of [...get(map.mail), ...get(map.aliases)]) out.push(`SMTP:${addressKey(v)}`);
  for (const v of get(map.proxyAddresses)) {
    const p = parseProxyAddress(v);
    if (p.ok) out.push(p.address.type === 'SMTP' ? `SMTP:${addressKey(p.address.value)}` : `${p.address.type}:${p.address.value.toLowerCase()}`);
  }
  return [...new Set(out)];
}

export interface Candidate {
  key: string;
  /** Name in errors: the source login or group/contact name. */
  name: string;
  dn: string;
  current: TargetEntry | undefined;
  /** Desired attributes whose addresses count (groups: without `member`). */
  desired: Record<string, string[]>;
  diffOpts: DiffOptions;
}

export interface OwnershipResult {
  /** Candidate key → why it is refused. */
  refused: Map<string, string>;
  /** Lower-case DNs whose write gives up an address another accepted candidate takes. */
  releasing: Set<string>;
  /** The diff of each candidate against its current entry (null: a new entry). */
  diffs: Map<string, EntryDiff | null>;
}

const lower = (dn: string): string => dn.toLowerCase();

/** Current attributes with the desired ones the diff does not refuse. */
function postRun(current: TargetEntry | undefined, desired: Record<string, string[]>, diff: EntryDiff | null): Record<string, string[]> {
  if (current === undefined) return desired;
  const refused = new Set((diff?.refused ?? []).map((r) => r.attribute.toLowerCase()));
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(current.attributes)) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(desired)) if (!refused.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  return out;
}

/**
 * @param existing every UMS entry whose addresses count (users, groups, contacts below the bases)
 * @param removed  lower-case DNs this run deletes (their addresses are free after it)
 */
export function resolveOwnership(candidates: readonly Candidate[], existing: readonly TargetEntry[], map: AttributeMap, removed: ReadonlySet<string> = new Set()): OwnershipResult {
  const refused = new Map<string, string>();
  const diffs = new Map<string, EntryDiff | null>();
  const after = new Map<string, string[]>();
  for (const c of candidates) {
    const diff = c.current === undefined ? null : diffEntry(c.current.attributes, c.desired, c.diffOpts);
    diffs.set(c.key, diff);
    after.set(c.key, claimedAddresses(postRun(c.current, c.desired, diff), map));
  }
  const before = new Map<string, { dn: string; claims: string[] }>();
  for (const t of existing) if (!removed.has(lower(t.dn))) before.set(lower(t.dn), { dn: t.dn, claims: claimedAddresses(t.attributes, map) });
  const byDn = new Map(candidates.map((c) => [lower(c.dn), c]));

  for (;;) {
    const owners = new Map<string, string[]>();
    const own = (claim: string, dn: string): void => {
      owners.set(claim, [...(owners.get(claim) ?? []), dn]);
    };
    for (const [dn, e] of before) {
      const c = byDn.get(dn);
      if (c !== undefined && !refused.has(c.key)) continue; // its post-run addresses count instead
      for (const a of e.claims) own(a, dn);
    }
    for (const c of candidates) if (!refused.has(c.key)) for (const a of after.get(c.key)!) own(a, lower(c.dn));
    let added = false;
    for (const c of candidates) {
      if (refused.has(c.key)) continue;
      const mine = lower(c.dn);
      const had = new Set(before.get(mine)?.claims ?? []);
      // An address the entry holds already is not taken from anyone: a newcomer claiming it is refused instead.
      const taken = after.get(c.key)!.find((a) => !had.has(a) && (owners.get(a) ?? []).some((dn) => dn !== mine));
      if (taken === undefined) continue;
      const otherDn = owners.get(taken)!.find((dn) => dn !== mine)!;
      const other = byDn.get(otherDn);
      const shown = before.get(otherDn)?.dn ?? other?.dn ?? otherDn;
      const why = other !== undefined && refused.has(other.key) ? ` (${other.name} keeps it: not updated in this run)` : '';
      refused.set(c.key, `address ${taken.replace(/^SMTP:/, '')} already belongs to ${shown} in the UMS directory${why}; not synced`);
      added = true;
    }
    if (!added) break;
  }

  const releasing = new Set<string>();
  const takenByAccepted = new Set<string>();
  for (const c of candidates) {
    if (refused.has(c.key)) continue;
    const had = new Set(before.get(lower(c.dn))?.claims ?? []);
    for (const a of after.get(c.key)!) if (!had.has(a)) takenByAccepted.add(a);
  }
  for (const c of candidates) {
    if (refused.has(c.key)) continue;
    const now = new Set(after.get(c.key));
    if ((before.get(lower(c.dn))?.claims ?? []).some((a) => !now.has(a) && takenByAccepted.has(a))) releasing.add(lower(c.dn));
  }
  return { refused, releasing, diffs };
}

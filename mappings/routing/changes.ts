/**
 * What a routing change does, for the audit log, `routing publish` and `routing check`:
 * - `mapsDiff`: entry-level differences of the three Postfix maps between two versions;
 * - `exchangeChanges`: the Exchange-side commands a change needs (forwarding set for users newly
 *   cut over, removed for users back on Exchange), from the plans of both versions;
 * - `explainCheck`: where an address goes by the current state, compared with what the
 *   published maps answer (postmap -q), so an unpublished change or a stale map is visible.
 *
 * Pure: no I/O.
 */
import { addressKey, splitAddress } from '../directory/smtp-address.js';
import { forwardCommand, unforwardCommand, type ForwardedUser } from './exchange-plan.js';
import { diffMaps, parseMap, type MapDiff, type PostfixMaps, type RouteCheck } from './postfix-maps.js';

export const MAP_NAMES = ['transport', 'relayRecipients', 'virtualAliases'] as const;
export type MapName = (typeof MAP_NAMES)[number];
/** File names of the maps in a published version (and the postmap keys used by `routing check`). */
export const MAP_FILES: Readonly<Record<MapName, string>> = { transport: 'transport', relayRecipients: 'relay_recipients', virtualAliases: 'virtual' };

export type MapTexts = Pick<PostfixMaps, MapName>;
export type MapsDiff = Record<MapName, MapDiff>;

/** Differences between two versions of the maps; `before` undefined: everything is added. */
export function mapsDiff(before: MapTexts | undefined, after: MapTexts): MapsDiff {
  const out = {} as MapsDiff;
  for (const name of MAP_NAMES) out[name] = diffMaps(before?.[name] ?? '', after[name]);
  return out;
}

/** "transport +2 -0 ~1, relay_recipients +2 …" or "no change". */
export function summariseDiff(diff: MapsDiff): string {
  const parts = MAP_NAMES.filter((n) => diff[n].added.length + diff[n].removed.length + diff[n].changed.length > 0)
    .map((n) => `${MAP_FILES[n]} +${diff[n].added.length} -${diff[n].removed.length} ~${diff[n].changed.length}`);
  return parts.length === 0 ? 'no change' : parts.join(', ');
}

export interface ExchangeChanges {
  /** Newly forwarded, or forwarded to another address. */
  forward: ForwardedUser[];
  /** No longer forwarded. */
  unforward: ForwardedUser[];
  /** PowerShell lines (reviewable; never executed by ums-migrate). */
  powershell: string;
}

/** The Exchange commands that take the plan from `before` to `after` (both sorted lists of forwarded users). */
export function exchangeChanges(before: readonly ForwardedUser[], after: readonly ForwardedUser[]): ExchangeChanges {
  const key = (u: ForwardedUser) => u.login.toLowerCase();
  const old = new Map(before.map((u) => [key(u), u]));
  const now = new Map(after.map((u) => [key(u), u]));
  const forward = after.filter((u) => old.get(key(u))?.targetAddress !== u.targetAddress);
  const unforward = before.filter((u) => !now.has(key(u)));
  const powershell = [
    '# ums-migrate: Exchange-side changes of this routing change (review, then run in the Exchange Management Shell).',
    ...(forward.length + unforward.length === 0 ? ['# nothing to change'] : []),
    ...unforward.map(unforwardCommand),
    ...forward.map(forwardCommand),
  ].join('\n') + '\n';
  return { forward, unforward, powershell };
}

/** What a published map answers for one key (postmap -q), undefined when the key is absent. */
export type Lookups = Partial<Record<MapName, string>>;

export interface CheckExplanation {
  route: RouteCheck;
  /** What the maps generated from the current state answer. */
  expected: Lookups;
  /** What the published maps answered; undefined when nothing is published. */
  published?: Lookups;
  /** Differences between `expected` and `published`, one line each. */
  mismatches: string[];
  text: string;
}

/**
 * The keys Postfix tries for `address` in a lookup table of type hash/lmdb/cdb/btree: the full
 * address, then (transport_maps) the domain. postmap -q of those keys is what `routing check` asks.
 */
export function lookupKeys(address: string): { address: string; domain?: string } {
  const key = addressKey(address.trim());
  const domain = splitAddress(key)?.domain;
  return domain === undefined ? { address: key } : { address: key, domain };
}

/** Entries of generated maps for `address`, as Postfix would resolve them (transport falls back to the domain). */
export function expectedLookups(maps: MapTexts, address: string): Lookups {
  const { address: key, domain } = lookupKeys(address);
  const out: Lookups = {};
  for (const name of MAP_NAMES) {
    const m = parseMap(maps[name]);
    const v = m.get(key) ?? (name === 'transport' && domain !== undefined ? m.get(domain) : undefined);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

const show = (l: Lookups): string => MAP_NAMES.map((n) => `${MAP_FILES[n]}=${l[n] ?? '(none)'}`).join(' ');

export function explainCheck(address: string, route: RouteCheck, expected: Lookups, published: Lookups | undefined, version?: string): CheckExplanation {
  const mismatches: string[] = [];
  if (published !== undefined) {
    for (const n of MAP_NAMES) {
      if (expected[n] !== published[n]) mismatches.push(`${MAP_FILES[n]}: published ${published[n] ?? '(none)'}, current state ${expected[n] ?? '(none)'}`);
    }
  }
  const lines = [
    `${address.trim()} → ${route.system}${route.via !== undefined ? ` (${route.via})` : ''}`,
    `  why: ${route.reason}`,
    `  maps from the current state: ${show(expected)}`,
    published === undefined ? '  published maps: none published yet' : `  published maps${version !== undefined ? ` (${version})` : ''}: ${show(published)}`,
  ];
  if (published !== undefined && published.relayRecipients === undefined) {
    lines.push('  the published maps refuse it at RCPT TO (not in relay_recipients)');
  }
  if (mismatches.length > 0) lines.push('  NOT PUBLISHED YET — the published maps differ (run `ums-migrate routing publish`):', ...mismatches.map((m) => `    ${m}`));
  return { route, expected, published, mismatches, text: lines.join('\n') + '\n' };
}

/**
 * Why publishing `diff` should wait for an operator's --force, if it should: an address book
 * that was read with problems (rows left out: their addresses would be refused at RCPT TO), or
 * a change that removes most recipients (more than half of `currentRecipients`, e.g. a truncated
 * address book). Empty when publishing is safe.
 */
export function publishGuards(diff: MapsDiff, currentRecipients: number, bookProblems: readonly string[]): string[] {
  const reasons: string[] = [];
  if (bookProblems.length > 0) reasons.push(`the address book has ${bookProblems.length} problem(s); rows left out would lose their addresses`);
  const removed = diff.relayRecipients.removed.length;
  if (currentRecipients > 0 && removed * 2 > currentRecipients) {
    reasons.push(`${removed} of ${currentRecipients} published recipients would be removed`);
  }
  return reasons;
}

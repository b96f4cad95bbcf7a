/**
 * The routing decision for every address of a split-domain coexistence between Exchange and
 * the UMS: which addresses exist, which system each one is delivered on, and which addresses
 * are refused and why. `postfix-maps.ts` writes it as Postfix lookup tables and answers
 * `routing check`; `exchange-plan.ts` derives the Exchange side from it. See postfix-maps.ts
 * for the routing pattern itself.
 *
 * Keys are comparison forms (`addressKey`: lower-case, A-label domain).
 *
 * Pure: no I/O.
 */
import { isImceaex } from '../directory/imceaex.js';
import { addressKey, asciiDomain, smtpAddressProblem, splitAddress } from '../directory/smtp-address.js';
import { postmapKeyProblem } from './postmap-key.js';

export interface RoutingUser {
  key: string;
  login: string;
  /** All SMTP addresses, including the primary. */
  addresses: string[];
  primary: string;
  /** Mailbox migrated: mail is delivered on the UMS. */
  cutOver: boolean;
  /** IMCEAEX-encapsulated forms of the user's legacyExchangeDN(s) in a coexistence domain. */
  imceaex?: string[];
}

export interface RoutingGroup {
  address: string;
  members: string[];
}

export interface RoutingModel {
  /** The shared SMTP domains (split between Exchange and the UMS). */
  domains: string[];
  /** Delivered only on the UMS, e.g. ums.corp.example; Exchange forwards cut-over users here. */
  routingSubdomain: string;
  /** Relay next hop for Exchange, e.g. "[exchange.corp.example]:25". */
  exchangeHost: string;
  /** transport(5) result for local delivery, e.g. "lmtp:unix:private/courier" or "local:". */
  umsTransport: string;
  users: RoutingUser[];
  groups: RoutingGroup[];
}

export type RouteKind = 'user' | 'imceaex' | 'mailbox' | 'group';

export interface Route {
  system: 'ums' | 'exchange';
  kind: RouteKind;
  reason: string;
  /** The transport(5) result, or 'virtual_alias_maps' for a group. */
  via: string;
  /** Explicit transport_maps entry for this address. */
  transport?: string;
  /** virtual_alias_maps targets. */
  virtual?: string[];
}

export interface RoutingTable {
  /** Comparison-form address → route; only addresses the UMS accepts. */
  routes: Map<string, Route>;
  /** Comparison-form address → why it is refused although it was claimed. */
  rejected: Map<string, string>;
  /** A-label forms. */
  domains: string[];
  routingSubdomain: string;
  relay: string;
  warnings: string[];
}

/** Characters Exchange leaves unescaped in the encoded part of an IMCEA address. */
const IMCEA_LOCAL = /^IMCEAEX-[A-Za-z0-9=_+-]+$/i;

/** Why `address` cannot be an address of the maps: its syntax, or a key postmap(1) cannot hold (postmap-key.ts). */
function mapAddressProblem(address: string): string | undefined {
  return smtpAddressProblem(address) ?? postmapKeyProblem(addressKey(address));
}

/** `<login>@<routing subdomain>`: the address Exchange forwards a cut-over user to. */
export function loginAddress(model: Pick<RoutingModel, 'routingSubdomain'>, user: Pick<RoutingUser, 'login'>): string {
  return `${user.login}@${asciiDomain(model.routingSubdomain) ?? model.routingSubdomain}`;
}

function requireConfig(model: RoutingModel): { domains: string[]; sub: string; relay: string } {
  const domains = model.domains.map((d) => {
    const a = asciiDomain(d);
    if (a === undefined) throw new RangeError(`not a valid mail domain: ${JSON.stringify(d)}`);
    return a;
  });
  const sub = asciiDomain(model.routingSubdomain);
  if (sub === undefined) throw new RangeError(`routingSubdomain is not a valid domain: ${JSON.stringify(model.routingSubdomain)}`);
  if (domains.includes(sub)) throw new RangeError(`routingSubdomain ${sub} must differ from the coexistence domains`);
  if (!/^\S+$/.test(model.exchangeHost)) throw new RangeError(`exchangeHost must be a next hop without spaces: ${JSON.stringify(model.exchangeHost)}`);
  if (!/^[A-Za-z0-9_-]+:\S*$/.test(model.umsTransport)) throw new RangeError(`umsTransport must be a transport(5) result such as "lmtp:unix:private/courier": ${JSON.stringify(model.umsTransport)}`);
  return { domains: [...new Set(domains)].sort(), sub, relay: `relay:${model.exchangeHost}` };
}

type Owner = { id: string; name: string } & ({ kind: 'user'; user: RoutingUser; via: 'user' | 'imceaex' | 'mailbox' } | { kind: 'group'; group: RoutingGroup });

export function buildRoutingTable(model: RoutingModel): RoutingTable {
  const { domains, sub, relay } = requireConfig(model);
  const warnings: string[] = [];
  const claims = new Map<string, Owner[]>();
  const claim = (key: string, owner: Owner): void => {
    const list = claims.get(key) ?? [];
    if (!list.some((o) => o.id === owner.id)) list.push(owner);
    claims.set(key, list);
  };
  /** Why `address` cannot be routed as an address of the coexistence domains, if it cannot. */
  const unroutable = (address: string, imcea: boolean): string | undefined => {
    const parts = splitAddress(address);
    if (imcea) {
      if (!parts || !IMCEA_LOCAL.test(parts.local)) return 'not an IMCEAEX address';
    } else {
      const problem = mapAddressProblem(address);
      if (problem !== undefined) return problem;
    }
    const domain = asciiDomain(parts!.domain);
    if (domain === sub) return `the routing subdomain ${sub} is reserved for cut-over mailboxes`;
    if (domain === undefined || !domains.includes(domain)) return `${parts!.domain} is not a coexistence domain`;
    return undefined;
  };

  for (const user of model.users) {
    const name = `user ${user.login} (${user.key})`;
    const base = { id: `user:${user.key}`, name, kind: 'user' as const, user };
    const addresses = [...user.addresses];
    if (user.primary.trim() === '') warnings.push(`${name} has no primary address`);
    else if (!addresses.some((a) => addressKey(a) === addressKey(user.primary))) addresses.push(user.primary);
    for (const a of addresses) {
      const why = unroutable(a, false);
      if (why === undefined) claim(addressKey(a), { ...base, via: 'user' });
      else warnings.push(`${name}: address ${a} left out: ${why}`);
    }
    for (const a of user.imceaex ?? []) {
      const why = isImceaex(a) ? unroutable(a, true) : 'not an IMCEAEX address';
      if (why === undefined) claim(addressKey(a), { ...base, via: 'imceaex' });
      else warnings.push(`${name}: IMCEAEX address ${a} left out: ${why}`);
    }
    if (user.cutOver) {
      const mailbox = loginAddress(model, user);
      const problem = mapAddressProblem(mailbox);
      if (problem === undefined) claim(addressKey(mailbox), { ...base, via: 'mailbox' });
      else warnings.push(`${name}: login address ${mailbox} is not usable (${problem}); its addresses are refused`);
    }
  }
  for (const group of model.groups) {
    const why = unroutable(group.address, false);
    if (why === undefined) claim(addressKey(group.address), { id: `group:${addressKey(group.address)}`, name: `group ${group.address}`, kind: 'group', group });
    else warnings.push(`group ${group.address} left out: ${why}`);
  }

  // Conflicts: an address with two owners is refused; a cut-over user whose mailbox address is
  // refused cannot receive anything on the UMS, so all their addresses are refused with it.
  const rejected = new Map<string, string>();
  const brokenUsers = new Map<string, string>();
  for (const [key, owners] of claims) {
    if (owners.length < 2) continue;
    const reason = `claimed by ${owners.map((o) => o.name).join(' and ')}`;
    rejected.set(key, reason);
    warnings.push(`${key} refused: ${reason}`);
    for (const o of owners) if (o.kind === 'user' && o.via === 'mailbox') brokenUsers.set(o.user.key, `login address ${key} is ${reason}`);
  }
  for (const user of model.users) {
    if (user.cutOver && mapAddressProblem(loginAddress(model, user)) !== undefined) brokenUsers.set(user.key, `login ${JSON.stringify(user.login)} is not usable as a local part`);
  }

  const routes = new Map<string, Route>();
  for (const [key, owners] of claims) {
    const owner = owners[0]!;
    if (owners.length > 1 || owner.kind !== 'user') continue;
    const broken = brokenUsers.get(owner.user.key);
    if (broken !== undefined) {
      rejected.set(key, `${owner.name}: ${broken}`);
      continue;
    }
    const what = owner.via === 'imceaex' ? `IMCEAEX address of ${owner.name}` : owner.name;
    if (owner.via === 'mailbox') {
      routes.set(key, { system: 'ums', kind: 'mailbox', via: model.umsTransport, reason: `UMS mailbox of cut-over ${owner.name}` });
    } else if (owner.user.cutOver) {
      const target = loginAddress(model, owner.user);
      routes.set(key, { system: 'ums', kind: owner.via, via: model.umsTransport, transport: model.umsTransport, virtual: [target], reason: `${what}, cut over: aliased to ${target}` });
    } else {
      routes.set(key, { system: 'exchange', kind: owner.via, via: relay, transport: relay, reason: `${what}, not migrated yet: relayed to Exchange` });
    }
  }

  // Groups last, once every user address is decided. A member that is a cut-over user's address
  // is written as that user's mailbox address; a member group stays as it is (Postfix expands
  // virtual aliases recursively). A group left without deliverable members is refused, and so
  // is it as a member of other groups: repeated until nothing changes, so the input order of
  // groups does not matter.
  const groups: [string, RoutingGroup, string][] = [];
  for (const [key, owners] of claims) {
    const owner = owners[0]!;
    if (owners.length === 1 && owner.kind === 'group') groups.push([key, owner.group, owner.name]);
  }
  const resolve = (key: string, group: RoutingGroup, warn: (member: string, why: string) => void): string[] => {
    const members = new Set<string>();
    for (const m of group.members) {
      const problem = smtpAddressProblem(m);
      const mk = addressKey(m);
      const memberDomain = asciiDomain(splitAddress(m)?.domain ?? '');
      const r = routes.get(mk);
      let drop: string | undefined;
      if (problem !== undefined) drop = problem;
      else if (mk === key) drop = 'the group lists itself';
      else if (rejected.has(mk)) drop = `refused: ${rejected.get(mk)}`;
      else if (!r && !claims.has(mk) && memberDomain !== undefined && (domains.includes(memberDomain) || memberDomain === sub)) drop = 'not a known recipient';
      if (drop === undefined) members.add(r?.virtual && r.kind !== 'group' ? r.virtual[0]! : mk);
      else warn(m, drop);
    }
    return [...members].sort();
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, group, name] of groups) {
      if (rejected.has(key) || resolve(key, group, () => {}).length > 0) continue;
      rejected.set(key, `${name} has no deliverable members`);
      changed = true;
    }
  }
  for (const [key, group, name] of groups) {
    const members = resolve(key, group, (m, why) => warnings.push(`${name}: member ${m} dropped: ${why}`));
    if (rejected.has(key)) warnings.push(`${key} refused: ${rejected.get(key)!}`);
    else routes.set(key, { system: 'ums', kind: 'group', via: 'virtual_alias_maps', virtual: members, reason: `${name}, expanded on the UMS` });
  }

  return { routes, rejected, domains, routingSubdomain: sub, relay, warnings };
}

/**
 * How a directory user becomes a UMS login — the one rule of `discover` (the user map it writes)
 * and the directory sync (the accounts it writes), both configured by `directory.loginRule`:
 * - the user map (mailboxes: source → target) wins; its `source` column holds what the mail
 *   migration logs in as (`discover.sourceLogin`): the directory login or the primary address,
 *   so a row is found by either (case-insensitively);
 * - else `from` says what the login is made of: `login` (sAMAccountName / uid, default), the
 *   primary SMTP address's local part (`mailLocalPart`) or the whole primary address (`mail`);
 * - `case: lower` lower-cases it ("Room1" → "room1"; Unicode-aware, Cyrillic too);
 * - `spaces: "." | "-" | "_"` replaces each run of spaces by that character ("Room 1" → "Room.1"),
 *   outer spaces dropped; `refuse` (default) leaves the space, and the login is refused with an
 *   error that says which option or user-map row would map it.
 * Then `loginProblem` checks the result: LDAP/DN/filter metacharacters, spaces, control and
 * format (bidi, zero-width) characters are refused, never escaped into a UMS account name.
 *
 * Pure: no I/O.
 */
import { normaliseProxyAddresses } from './proxy-addresses.js';
import { splitAddress } from './smtp-address.js';

export interface LoginRule {
  from: 'login' | 'mailLocalPart' | 'mail';
  case: 'keep' | 'lower';
  spaces: 'refuse' | '.' | '-' | '_';
}

export const DEFAULT_LOGIN_RULE: LoginRule = { from: 'login', case: 'keep', spaces: 'refuse' };

/** What the rule reads of a directory user. */
export interface LoginSubject {
  /** sAMAccountName / uid. */
  login: string;
  /** The primary SMTP address (see primaryAddressOf). */
  primary?: string;
}

/** Characters a UMS login must not contain: LDAP filter/DN metacharacters, whitespace, controls, format characters (bidi, zero-width). */
const BAD_LOGIN = /[\s\p{Cc}\p{Cf}*()\\,=+<>;"#/&|!~]/u;

/** The primary SMTP address of a directory entry as the sync writes it: the normalised proxyAddresses' primary (mail preferred), else mail. */
export function primaryAddressOf(mail: string | undefined, proxyAddresses: readonly string[]): string | undefined {
  const m = mail?.trim() || undefined;
  return normaliseProxyAddresses(proxyAddresses, m === undefined ? {} : { preferredPrimary: m }).primarySmtp ?? m;
}

/** What the rule makes the login of (before case and spaces), or undefined when the user lacks it. */
function ruleBase(s: LoginSubject, rule: LoginRule): string | undefined {
  if (rule.from === 'login') return s.login;
  if (s.primary === undefined) return undefined;
  if (rule.from === 'mail') return s.primary;
  return splitAddress(s.primary)?.local ?? s.primary;
}

export interface UmsLogin {
  /** The UMS login ('' when none could be made: see problem). */
  login: string;
  fromUserMap: boolean;
  /** Why it cannot be used, with what to do; undefined when it can. */
  problem?: string;
}

/** The UMS login of a directory user: its user-map row (by login or primary address) first, else the rule. */
export function resolveUmsLogin(s: LoginSubject, userMap: ReadonlyMap<string, string>, rule: Partial<LoginRule> = {}): UmsLogin {
  return resolveWith(s, userMap, { ...DEFAULT_LOGIN_RULE, ...rule });
}

function resolveWith(s: LoginSubject, userMap: ReadonlyMap<string, string>, rule: LoginRule): UmsLogin {
  for (const key of [s.login, s.primary]) {
    const mapped = key === undefined || key === '' ? undefined : userMap.get(key.toLowerCase());
    if (mapped !== undefined) {
      const problem = explainLoginProblem(key!, mapped, true, rule);
      return { login: mapped, fromUserMap: true, ...(problem !== undefined ? { problem } : {}) };
    }
  }
  const base = ruleBase(s, rule);
  if (base === undefined) {
    return { login: '', fromUserMap: false, problem: `no primary address to make the UMS login from (directory.loginRule.from: ${rule.from}); map it in the user map (mailboxes: source → target); not synced` };
  }
  const login = applyLoginRule(base, rule);
  const problem = explainLoginProblem(base, login, false, rule);
  return { login, fromUserMap: false, ...(problem !== undefined ? { problem } : {}) };
}

export function applyLoginRule(login: string, rule: Pick<LoginRule, 'case' | 'spaces'>): string {
  let out = login;
  if (rule.spaces !== 'refuse') out = out.trim().replace(/ +/g, rule.spaces);
  if (rule.case === 'lower') out = out.toLowerCase();
  return out;
}

/** Why a UMS login cannot be used; undefined when it can. */
export function loginProblem(login: string): string | undefined {
  if (login.trim() === '') return 'empty login';
  if (BAD_LOGIN.test(login)) return `login ${JSON.stringify(login)} contains characters not allowed in a UMS login (spaces, control or format characters, or one of * ( ) \\ , = + < > ; " # / & | ! ~)`;
  if (login.length > 128) return 'login longer than 128 characters';
  return undefined;
}

/**
 * `loginProblem` with what to do about it: for a login the rule produced (not one the user map
 * gave), a space is explained with the `loginRule.spaces` option and the login it would give.
 */
export function explainLoginProblem(sourceLogin: string, login: string, fromUserMap: boolean, rule: Pick<LoginRule, 'case' | 'spaces'>): string | undefined {
  const problem = loginProblem(login);
  if (problem === undefined) return undefined;
  if (fromUserMap) return `${problem}; the user map (mailboxes) maps ${JSON.stringify(sourceLogin)} to it: fix that row; not synced`;
  const hints: string[] = [];
  if (/ /.test(login) && rule.spaces === 'refuse') {
    const dotted = applyLoginRule(sourceLogin, { ...rule, spaces: '.' });
    if (loginProblem(dotted) === undefined) hints.push(`set directory.loginRule.spaces to "." or "-" (it would become ${JSON.stringify(dotted)})`);
  }
  hints.push('map it to a valid UMS login in the user map (mailboxes: source → target)');
  return `${problem}; ${hints.join(', or ')}; not synced`;
}

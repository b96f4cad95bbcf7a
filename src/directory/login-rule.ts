/**
 * How a source login (sAMAccountName, uid) becomes a UMS login: the user map (mailboxes: source →
 * target) wins; else the configurable rule `directory.loginRule`:
 * - `case: lower` lower-cases it ("Room1" → "room1"; Unicode-aware, Cyrillic too);
 * - `spaces: "." | "-" | "_"` replaces each run of spaces by that character ("Room 1" → "Room.1"),
 *   outer spaces dropped; `refuse` (default) leaves the space, and the login is refused with an
 *   error that says which option or user-map row would map it.
 * Then `loginProblem` checks the result: LDAP/DN/filter metacharacters, spaces and control
 * characters are refused, never escaped into a UMS account name.
 *
 * Pure: no I/O. Exported for the commands that map logins the same way (discover, routing).
 */

export interface LoginRule {
  case: 'keep' | 'lower';
  spaces: 'refuse' | '.' | '-' | '_';
}

export const DEFAULT_LOGIN_RULE: LoginRule = { case: 'keep', spaces: 'refuse' };

/** Characters a UMS login must not contain: LDAP filter/DN metacharacters, whitespace, controls. */
const BAD_LOGIN = /[\s\p{Cc}*()\\,=+<>;"#/&|!~]/u;

export function applyLoginRule(login: string, rule: LoginRule): string {
  let out = login;
  if (rule.spaces !== 'refuse') out = out.trim().replace(/ +/g, rule.spaces);
  if (rule.case === 'lower') out = out.toLowerCase();
  return out;
}

/** The UMS login of a source login: the user map (keys lower-case) first, else the rule. */
export function umsLoginOf(sourceLogin: string, loginMap: ReadonlyMap<string, string>, rule: LoginRule = DEFAULT_LOGIN_RULE): string {
  return loginMap.get(sourceLogin.toLowerCase()) ?? applyLoginRule(sourceLogin, rule);
}

/** Why a UMS login cannot be used; undefined when it can. */
export function loginProblem(login: string): string | undefined {
  if (login.trim() === '') return 'empty login';
  if (BAD_LOGIN.test(login)) return `login ${JSON.stringify(login)} contains characters not allowed in a UMS login (spaces, controls or one of * ( ) \\ , = + < > ; " # / & | ! ~)`;
  if (login.length > 128) return 'login longer than 128 characters';
  return undefined;
}

/**
 * `loginProblem` with what to do about it: for a login the rule produced (not one the user map
 * gave), a space is explained with the `loginRule.spaces` option and the login it would give.
 */
export function explainLoginProblem(sourceLogin: string, login: string, fromUserMap: boolean, rule: LoginRule): string | undefined {
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

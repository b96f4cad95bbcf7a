/**
 * The checks of `validate` that read outside the document: every secret reference resolves, CA
 * files can be read, and the state store's connection passes the TLS policy. Each returns the
 * problems with their config path; load.ts places them in the file. Messages never contain a
 * secret (a reference names its variable or file; a URL is shown without its password).
 */
import { NotRegularFileError, readRegularFile } from '../util/regular-file.js';
import { describePgTransport, describePostgresUrl, PgTlsError, securePgUrl } from '../util/pg-tls.js';
import { migrationConfigSchema, type StateConfig } from './schema.js';
import { schemaAt } from './schema-at.js';
import { secretRefsIn } from '../config-blocks/secret-ref-schema.js';
import { resolveSecret, SecretError, secretRefProblem } from '../config-blocks/secrets.js';
import { coerceError } from '../util/errors.js';

export interface RefProblem {
  path: (string | number)[];
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Why `ref` does not resolve, or undefined when it does. */
export function secretProblem(ref: string, baseDir: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    resolveSecret(ref, { baseDir, env });
    return undefined;
  } catch (err) {
    return err instanceof SecretError ? err.message : 'cannot resolve secret reference';
  }
}

/** Every string in a parsed value (to tell the secret references the config uses from ones its schema drops). */
export function stringsIn(v: unknown, into = new Set<string>()): Set<string> {
  if (typeof v === 'string') into.add(v);
  else if (Array.isArray(v)) for (const x of v) stringsIn(x, into);
  else if (isObj(v)) for (const x of Object.values(v)) stringsIn(x, into);
  return into;
}

function unreadable(file: string): string | undefined {
  try {
    readRegularFile(file, 4 * 1024 * 1024);
    return undefined;
  } catch (err) {
    return err instanceof NotRegularFileError ? `cannot read CA file: ${err.message}` : `cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? coerceError(err).message}`;
  }
}

/**
 * Every secret reference of the raw document resolves: each field the schema declares as one
 * (every connector and auth mode: passwords, client secrets, bind passwords, state.url…), at its
 * path. `used` holds the strings of the parsed config, so a reference the schema drops (e.g.
 * masterPassword when auth.mode is user) is not checked. Per-mailbox passwords are left to the
 * caller (only some auth modes use them, and the CSV rows have them too). `sections`: only these
 * top-level sections.
 */
export function secretRefProblems(raw: unknown, used: Set<string>, baseDir: string, env: NodeJS.ProcessEnv, sections?: Set<string>): RefProblem[] {
  const problems: RefProblem[] = [];
  for (const { path: segs, ref } of secretRefsIn(migrationConfigSchema, raw)) {
    const section = String(segs[0]);
    if (section === 'mailboxes' || (sections !== undefined && !sections.has(section))) continue;
    if (!used.has(ref) || secretRefProblem(ref) !== undefined) continue; // dropped, or malformed (reported by the schema)
    const message = secretProblem(ref, baseDir, env);
    if (message) problems.push({ path: segs, message });
  }
  return problems;
}

/**
 * The IMAP/EWS and DAV CA files can be read (the state store's: stateStoreCheck); sections left
 * out are not checked. `config`: the parsed sections, or of an invalid one its `caFile` (absolute).
 */
export function caFileProblems(config: Partial<Record<'source' | 'target' | 'groupwareTarget', { caFile?: string }>>): RefProblem[] {
  const problems: RefProblem[] = [];
  const check = (segs: (string | number)[], file: string | undefined) => {
    const message = file === undefined ? undefined : unreadable(file);
    if (message) problems.push({ path: segs, message });
  };
  for (const side of ['source', 'target'] as const) {
    check([side, 'caFile'], config[side]?.caFile);
  }
  check(['groupwareTarget', 'caFile'], config.groupwareTarget?.caFile);
  return problems;
}

/**
 * Where the state store is and how it is reached: for PostgreSQL, state.url resolved (when it
 * can be: else secretRefProblems reports it) and the TLS policy applied (src/util/pg-tls.ts),
 * its refusals at state.url / state.caFile. The description never shows the URL's password.
 */
export function stateStoreCheck(state: StateConfig, baseDir: string, env: NodeJS.ProcessEnv): { description?: string; problems: RefProblem[] } {
  if (state.driver === 'sqlite') return { description: `SQLite ${state.path}`, problems: [] };
  let url: string;
  try {
    url = resolveSecret(state.url, { baseDir, env });
  } catch {
    const message = state.caFile === undefined ? undefined : unreadable(state.caFile);
    return { problems: message ? [{ path: ['state', 'caFile'], message }] : [] };
  }
  try {
    const secured = securePgUrl(url, { ...(state.caFile !== undefined ? { caFile: state.caFile } : {}), allowInsecure: state.allowInsecure });
    return { description: `PostgreSQL ${describePostgresUrl(secured.url)} over ${describePgTransport(secured.transport)}`, problems: [] };
  } catch (err) {
    if (!(err instanceof PgTlsError)) throw err;
    return { problems: [{ path: ['state', err.field], message: err.reason }] };
  }
}

/**
 * The secret references of a document the schema refused: each one is checked as in a valid
 * document when the nearest enclosing part that is valid on its own uses it (a masterPassword is
 * not, when its auth.mode is user), or when no enclosing part is valid. So one run reports a
 * broken field and an unresolvable secret beside it. Mailboxes' passwords: mailboxes.ts.
 */
export function refProblemsOfInvalidDocument(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv): RefProblem[] {
  const problems: RefProblem[] = [];
  for (const { path: segs, ref } of secretRefsIn(migrationConfigSchema, raw)) {
    if (segs[0] === 'mailboxes' || secretRefProblem(ref) !== undefined) continue;
    if (!usedByValidAncestor(raw, segs, ref)) continue;
    const message = secretProblem(ref, baseDir, env);
    if (message) problems.push({ path: segs, message });
  }
  return problems;
}

function usedByValidAncestor(raw: unknown, segs: (string | number)[], ref: string): boolean {
  for (let k = segs.length - 1; k >= 1; k--) {
    const at = segs.slice(0, k);
    const schema = schemaAt(at, raw);
    if (schema === undefined) continue;
    let value: unknown = raw;
    for (const s of at) value = isObj(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[s] : undefined;
    const r = schema.safeParse(value);
    if (r.success) return stringsIn(r.data).has(ref);
  }
  return true;
}

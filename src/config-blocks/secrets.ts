/**
 * Secret references. Passwords and connection strings never appear inline in the config: a
 * field holds a reference that is resolved only when a connector needs the value.
 *
 * - `env:NAME`   the value of environment variable NAME
 * - `file:PATH`  the content of PATH (one trailing newline removed); a relative PATH is resolved
 *                against the config file's directory
 *
 * Error messages name the reference (variable name, file path), never the secret value. Every
 * resolved value is registered with the process-wide scrubber (util/scrub), so a server or a
 * library that echoes it (an IMAP NO quoting the LOGIN arguments) cannot carry it to a terminal,
 * a log or the state store.
 */
import path from 'node:path';
import { NotRegularFileError, readRegularFile } from '../util/regular-file.js';
import { registerSecret } from '../util/scrub.js';
import { coerceError } from '../util/errors.js';

export type SecretRef = `env:${string}` | `file:${string}`;

export type ParsedSecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export interface SecretContext {
  /** Directory that relative `file:` paths are resolved against (the config file's directory). */
  baseDir: string;
  /** Environment for `env:` references; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Resolves a secret reference to its value; throws SecretError. */
export type SecretResolver = (ref: SecretRef) => string;

/** Thrown when a reference cannot be resolved. The message never contains a secret value. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True for a well-formed `env:NAME` or `file:PATH` reference. */
export function isSecretRef(s: unknown): s is SecretRef {
  return typeof s === 'string' && secretRefProblem(s) === undefined;
}

/**
 * Why `s` is not a usable secret reference, or undefined when it is. The message never echoes
 * `s` (it may be an inline password).
 */
export function secretRefProblem(s: string): string | undefined {
  if (s.startsWith('env:')) {
    const name = s.slice(4);
    if (name === '') return 'env: reference without a variable name';
    if (!ENV_NAME.test(name)) return `invalid env var name "${name}" (letters, digits, _; not starting with a digit)`;
    return undefined;
  }
  if (s.startsWith('file:')) {
    if (s.slice(5).trim() === '') return 'file: reference without a path';
    return undefined;
  }
  return 'inline secrets are not allowed; use env:NAME or file:/path';
}

export function parseSecretRef(ref: string): ParsedSecretRef {
  const problem = secretRefProblem(ref);
  if (problem !== undefined) throw new SecretError(problem);
  return ref.startsWith('env:') ? { kind: 'env', name: ref.slice(4) } : { kind: 'file', path: ref.slice(5) };
}

/**
 * Resolves `ref` and registers the value with the scrubber; throws SecretError ("env var ALICE_PW
 * is not set", "cannot read secret file /x: ENOENT").
 */
export function resolveSecret(ref: string, ctx: SecretContext): string {
  const value = readSecret(ref, ctx);
  registerSecret(value);
  return value;
}

function readSecret(ref: string, ctx: SecretContext): string {
  const parsed = parseSecretRef(ref);
  if (parsed.kind === 'env') {
    const value = (ctx.env ?? process.env)[parsed.name];
    if (value === undefined) throw new SecretError(`env var ${parsed.name} is not set`);
    if (value === '') throw new SecretError(`env var ${parsed.name} is empty`);
    return value;
  }
  const file = path.resolve(ctx.baseDir, parsed.path);
  let content: string;
  try {
    // A regular file of at most 64 KiB: file:/dev/zero or a FIFO would hang validate and every run.
    content = readRegularFile(file, 64 * 1024).toString('utf8');
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new SecretError(`cannot read secret file: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code ?? coerceError(err).message;
    throw new SecretError(`cannot read secret file ${file}: ${code}`);
  }
  const value = content.endsWith('\r\n') ? content.slice(0, -2) : content.endsWith('\n') ? content.slice(0, -1) : content;
  if (value === '') throw new SecretError(`secret file ${file} is empty`);
  return value;
}

/** A resolver bound to one config's directory and environment (what connectors receive). */
export function createSecretResolver(ctx: SecretContext): SecretResolver {
  return (ref) => resolveSecret(ref, ctx);
}

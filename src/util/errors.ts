/**
 * Error classes shared by the engine and connectors, and `coerceError`, which every catch uses.
 *
 * - TransientError: worth retrying (connection dropped, server restarting, throttled).
 * - ItemError: this one item cannot be migrated (server rejected it, unreadable); the run goes on.
 * - FatalError: the whole mailbox or container cannot go on (login refused, folder cannot be created).
 *
 * Each carries a code of the catalogue (error-codes.ts).
 */
import type { ErrorCode } from './error-codes.js';
import { scrubSecrets } from './scrub.js';

export { ERROR_CODES, passedOn, type ErrorCode } from './error-codes.js';

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, readonly code: ErrorCode = 'TRANSIENT', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ItemError extends Error {
  override readonly name = 'ItemError';
  constructor(message: string, readonly code: ErrorCode = 'ITEM_REJECTED', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class FatalError extends Error {
  override readonly name = 'FatalError';
  constructor(message: string, readonly code: ErrorCode = 'FATAL', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * `err` as an Error: an Error (also one of another realm, which `instanceof Error` misses: Node's
 * own errors and native addons' under jest's vm context) or an error-like object with a string
 * `message` is returned as it is; anything else thrown (a string, a plain value) is wrapped.
 */
export function coerceError(err: unknown): Error {
  if (err instanceof Error || isErrorLike(err)) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

function isErrorLike(err: unknown): err is Error {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

export function isTransient(err: unknown): boolean {
  return err instanceof TransientError;
}

/**
 * A one-line reason for reports, logs and the state store (failure reasons are built here), with
 * every resolved secret scrubbed out (util/scrub): a server that quotes a password in its answer
 * does not get it recorded. Scrubbed before shortening, so a cut never leaves half a secret.
 */
export function reasonOf(err: unknown): string {
  const e = coerceError(err);
  return scrubSecrets(e.message).replace(/\s+/g, ' ').trim().slice(0, 500);
}

import { FatalError, ItemError, passedOn, TransientError } from '../../src/util/errors.js';
import { scrubSecrets } from '../../src/util/scrub.js';

const NETWORK_CODES = new Set([
  'NoConnection', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'ECONNABORTED', 'ClosedAfterConnectTLS', 'ClosedAfterConnectText', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT',
  'ETHROTTLE', 'SocketTimeout',
]);
/** RFC 5530 response codes that mean "try again later", not "this is wrong". */
const TRANSIENT_RESPONSE_CODES = new Set(['UNAVAILABLE', 'INUSE', 'LIMIT', 'SERVERBUG', 'OVERQUOTA_TEMP']);

interface ImapErrorShape {
  code?: string;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  message?: string;
}

/**
 * Classifies an imapflow error: network trouble → TransientError (retried), login refused or TLS
 * failure → FatalError (the mailbox stops), a NO/BAD answer → ItemError with the server's words.
 * The server's words are scrubbed of resolved secrets here (a server may echo the LOGIN
 * arguments in its NO); the error's `cause` keeps imapflow's original and is never printed.
 */
export function imapError(err: unknown, what: string): Error {
  if (err instanceof TransientError || err instanceof ItemError || err instanceof FatalError) return err;
  const raw = (err ?? {}) as ImapErrorShape;
  const e: ImapErrorShape = {
    ...raw,
    message: raw.message === undefined ? undefined : scrubSecrets(String(raw.message)),
    responseText: raw.responseText === undefined ? undefined : scrubSecrets(String(raw.responseText)),
  };
  const said = e.responseText ? `server said: ${e.responseText}` : (e.message ?? scrubSecrets(String(err)));
  if (e.authenticationFailed) return new FatalError(`${what}: authentication failed (${said})`, 'AUTH', { cause: err });
  if (e.tlsFailed || /certificate|self[- ]signed|CERT_|SSL|TLS/i.test(e.code ?? '') || /certificate|self[- ]signed/i.test(e.message ?? '')) {
    return new FatalError(`${what}: TLS failed (${e.message ?? said}); check caFile or the server certificate`, 'TLS', { cause: err });
  }
  if ((e.code && NETWORK_CODES.has(e.code)) || /connection (closed|not available|reset)|socket|timed? ?out|unexpected close/i.test(e.message ?? '')) {
    return new TransientError(`${what}: ${e.message ?? e.code}`, passedOn(e.code, 'NETWORK'), { cause: err });
  }
  if (e.serverResponseCode && TRANSIENT_RESPONSE_CODES.has(e.serverResponseCode.toUpperCase())) {
    return new TransientError(`${what}: ${said}`, passedOn(`IMAP_${e.serverResponseCode.toUpperCase()}`, 'TRANSIENT'), { cause: err });
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') return new ItemError(`${what}: ${said}`, 'REJECTED', { cause: err });
  if (err instanceof Error) {
    err.message = scrubSecrets(err.message);
    return err;
  }
  return new Error(`${what}: ${said}`);
}

import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';
import type { Account } from '../../src/model/types.js';
import { assertTransportAllowed as assertPolicy, IMAP_PLAINTEXT } from '../../src/util/transport-policy.js';
import { imapError } from './errors.js';

/** Where and how to reach one IMAP server; secrets are already resolved. */
export interface ImapEndpoint {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA certificates (PEM). */
  ca?: string;
  maxConnections: number;
  auth:
    | { mode: 'user' }
    | { mode: 'master'; masterUser: string; masterPassword: string; style: 'authzid' | 'separator'; separator: string };
  /** ENABLE UTF8=ACCEPT (and CONDSTORE) when offered. */
  autoEnable: boolean;
  /** Milliseconds of silence on a connection before it is dropped (the command fails and is retried); default 5 minutes. */
  timeoutMs?: number;
}

/** The imapflow log levels that reach our log (see the logger in imapOptions). */
const IMAPFLOW_LEVELS: ReadonlySet<string> = new Set(['warn', 'error', 'fatal']);

/** Refuses plaintext and unverified TLS unless the config opted in explicitly (the transport policy). */
export function assertTransportAllowed(ep: ImapEndpoint, side: string): void {
  assertPolicy({ plaintext: ep.tls === 'none' ? IMAP_PLAINTEXT : undefined, tlsVerify: ep.tlsVerify, allowInsecure: ep.allowInsecure }, `${side} ${ep.host}:${ep.port}`);
}

export function imapOptions(ep: ImapEndpoint, account: Account, log: Logger): ImapFlowOptions {
  const auth = ep.auth.mode === 'master'
    ? ep.auth.style === 'authzid'
      ? { user: ep.auth.masterUser, pass: ep.auth.masterPassword, authzid: account.login, loginMethod: 'AUTH=PLAIN' }
      : { user: `${account.login}${ep.auth.separator}${ep.auth.masterUser}`, pass: ep.auth.masterPassword }
    : { user: account.login, pass: account.password ?? '' };
  const imapLog = log.child({ imap: `${ep.host}:${ep.port}`, user: account.login });
  return {
    host: ep.host,
    port: ep.port,
    secure: ep.tls === 'implicit',
    doSTARTTLS: ep.tls === 'starttls' ? true : ep.tls === 'none' ? false : undefined,
    tls: { rejectUnauthorized: ep.tlsVerify, ca: ep.ca, minVersion: 'TLSv1.2', servername: isIp(ep.host) ? undefined : ep.host },
    auth,
    disableAutoEnable: !ep.autoEnable,
    disableCompression: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: ep.timeoutMs ?? 5 * 60_000,
    // imapflow logs every command at debug/info. Its warnings (e.g. flags a mailbox refused) go to
    // our log; its errors are the failures we report ourselves with context, so only at debug.
    // isLevelEnabled: without it imapflow takes debug as wanted and serialises every command and
    // response for a log line nobody reads (about 4 % of a run's CPU on small messages).
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (o: object) => imapLog.warn(o),
      error: (o: object) => imapLog.debug(o),
      isLevelEnabled: (level: string) => IMAPFLOW_LEVELS.has(level),
    },
  } as ImapFlowOptions;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Opens and logs in one connection; errors come back classified (see ./errors). */
export async function connectImap(ep: ImapEndpoint, account: Account, log: Logger, side: string): Promise<ImapFlow> {
  assertTransportAllowed(ep, side);
  const client = new ImapFlow(imapOptions(ep, account, log));
  // A dropped socket is reported by the command that was running; this keeps the emitter quiet.
  client.on('error', (err: Error) => log.debug({ err: err.message }, 'imap connection error'));
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw imapError(err, `${side} login as ${account.login} at ${ep.host}:${ep.port}`);
  }
  return client;
}

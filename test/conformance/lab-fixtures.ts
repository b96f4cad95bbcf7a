/** What the lab-based conformance fixtures share: endpoints of the lab's IMAP servers, an IMAP client as a user. */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { ImapEndpoint } from '../../connectors/imap-common/endpoint.js';
import type { LabEndpoint } from '../lab/lab.js';

/** The lab server over IMAPS, its CA verified, logging in as the mailbox's user. */
export function labImapEndpoint(side: LabEndpoint, autoEnable = true): ImapEndpoint {
  return {
    host: side.host, port: side.tlsPort, tls: 'implicit', allowInsecure: false, tlsVerify: true,
    ca: readFileSync(side.caFile, 'utf8'), maxConnections: 4, auth: { mode: 'user' }, autoEnable,
  };
}

/** Runs `fn` with an IMAP session of another client (a user's mail program) on the lab server. */
export async function asUser<T>(side: LabEndpoint, login: string, password: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: side.host, port: side.tlsPort, secure: true, tls: { ca: readFileSync(side.caFile, 'utf8') }, auth: { user: login, pass: password }, logger: false, disableAutoIdle: true });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout();
  }
}

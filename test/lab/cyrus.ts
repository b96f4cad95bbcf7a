/**
 * Cyrus IMAP 3.6's httpd (CalDAV/CardDAV), the lab's strict DAV server beside Radicale: thin
 * TypeScript front of `test/lab/cyrus.sh` (127.0.0.1:15234 plaintext, :15235 TLS with its own CA,
 * state in `<lab>/cyrus`, Cyrus's syslog in `<lab>/cyrus/log/cyrus.log`). Every test gets users of
 * its own (`createCyrusDavUser`). Safe to call from several jest workers at once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAB_SCRIPT } from './lab.js';
import { printedValues, runLabScript } from './script.js';

export const CYRUS_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'cyrus.sh');

const runCyrus = (args: string[], input?: string) => runLabScript(CYRUS_SCRIPT, args, { input, timeoutMs: 180_000 });

function parseInfo(text: string): CyrusInfo {
  const v = printedValues(CYRUS_SCRIPT, text, ['url', 'tls_url', 'ca', 'log']);
  return { url: v.url, tlsUrl: v.tls_url, caFile: v.ca, logFile: v.log };
}

export interface CyrusInfo {
  /** Plaintext endpoint, e.g. http://127.0.0.1:15234/ (discovery from the root works). */
  url: string;
  /** TLS endpoint signed by `caFile`. */
  tlsUrl: string;
  /** PEM file of the CA that signed the TLS endpoint's certificate. */
  caFile: string;
  /** Cyrus's syslog (every request with its status and error text). */
  logFile: string;
}

let started: Promise<CyrusInfo> | undefined;

/** Starts Cyrus (both HTTP ports) unless it answers (idempotent). */
export function startCyrus(): Promise<CyrusInfo> {
  started ??= runCyrus(['up']).then(parseInfo).catch((err: unknown) => {
    started = undefined;
    throw err;
  });
  return started;
}

/** Stops Cyrus (data is kept). */
export async function stopCyrus(): Promise<void> {
  started = undefined;
  await runCyrus(['down']);
}

/** Adds (or replaces) a user and creates its mailbox; the password goes through stdin. */
export async function addCyrusDavUser(login: string, password: string): Promise<void> {
  await startCyrus();
  await runCyrus(['add-user', login], `${password}\n`);
}

/** A fresh user with a random name and password (Cyrus logins: lowercase, digits, "-", "_"). */
export async function createCyrusDavUser(prefix = 'dav'): Promise<{ login: string; password: string }> {
  const base = prefix.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 16) || 'dav';
  const login = `${base}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await addCyrusDavUser(login, password);
  return { login, password };
}

/** Cyrus's log lines since `offset` bytes (for a failing test's message: Cyrus's own reason for a 4xx/5xx). */
export function cyrusLogSince(info: CyrusInfo, offset: number): string {
  const all = readFileSync(info.logFile);
  return all.subarray(Math.min(offset, all.length)).toString('utf8');
}

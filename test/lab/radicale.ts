/**
 * Radicale (CalDAV/CardDAV) for tests and benchmarks of the groupware target: thin TypeScript
 * front of `test/lab/radicale.sh`, which runs Debian's Radicale on 127.0.0.1:15232 (plaintext)
 * and 127.0.0.1:15233 (TLS, own lab CA) with its storage in `<lab>/radicale`. Every test gets
 * users of its own (`createDavUser`), so tests never see each other's collections. Safe to call
 * from several jest workers at once.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LAB_SCRIPT } from './lab.js';
import { printedValues, runLabScript } from './script.js';

export const RADICALE_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'radicale.sh');

const runRadicale = (args: string[], input?: string) => runLabScript(RADICALE_SCRIPT, args, { input, timeoutMs: 120_000 });

function parseInfo(text: string): RadicaleInfo {
  const v = printedValues(RADICALE_SCRIPT, text, ['url', 'tls_url', 'ca', 'storage']);
  return { url: v.url, tlsUrl: v.tls_url, ca: v.ca, storage: v.storage };
}

export interface RadicaleInfo {
  /** Plaintext endpoint, e.g. http://127.0.0.1:15232/ */
  url: string;
  /** TLS endpoint signed by `ca`. */
  tlsUrl: string;
  /** PEM file of the lab CA that signed the TLS endpoint's certificate. */
  ca: string;
  /** Radicale's storage folder (collections/collection-root/<user>/…). */
  storage: string;
}

let started: Promise<RadicaleInfo> | undefined;

/** Starts both servers unless they answer (idempotent). */
export function startRadicale(): Promise<RadicaleInfo> {
  started ??= runRadicale(['up']).then(parseInfo).catch((err: unknown) => {
    started = undefined;
    throw err;
  });
  return started;
}

/** Stops both servers (storage is kept). */
export async function stopRadicale(): Promise<void> {
  started = undefined;
  await runRadicale(['down']);
}

/** Adds (or replaces) a user; the password goes through stdin, never a command line. */
export async function addDavUser(login: string, password: string): Promise<void> {
  await startRadicale();
  await runRadicale(['add-user', login], `${password}\n`);
}

/** A fresh user with a random name and password (starts the server if needed). */
export async function createDavUser(prefix = 'dav'): Promise<{ login: string; password: string }> {
  const login = `${prefix.replace(/[^a-z0-9]/gi, '').slice(0, 16) || 'dav'}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await addDavUser(login, password);
  return { login, password };
}

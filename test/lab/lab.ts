/**
 * The UMS lab: real IMAP servers on loopback (Dovecot = migration source, Courier-IMAP = target).
 * Thin TypeScript front of `test/lab/lab.sh`, which does the work (needs root and the packages of
 * `test/lab/install.sh`). Every function is safe to call from several jest workers at once.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabEndpoint {
  host: string;
  port: number;
  tlsPort: number;
  caFile: string;
}

export interface Lab {
  dir: string;
  source: LabEndpoint;
  target: LabEndpoint;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: the nearest folder with a package.json (this module also runs from dist/). */
const REPO_DIR = (() => {
  for (let dir = HERE; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(HERE, '..', '..');
  }
})();
/** The shell script behind this module. */
export const LAB_SCRIPT = path.join(REPO_DIR, 'test', 'lab', 'lab.sh');

export const LAB_HOST = '127.0.0.1';
export const LAB_PORTS = {
  source: { port: 10143, tlsPort: 10993 },
  target: { port: 11143, tlsPort: 11993 },
} as const;

/** The lab dir: `$UMS_LAB_DIR`, default `<repo>/.lab`. */
export function labDir(): string {
  const fromEnv = process.env.UMS_LAB_DIR;
  return path.resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : path.join(REPO_DIR, '.lab'));
}

/** Installs the lab's Debian packages (test/lab/install.sh: idempotent, root; quick when done). */
export function installLab(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(REPO_DIR, 'test', 'lab', 'install.sh')], { timeout: 900_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`test/lab/install.sh failed: ${error.message.split('\n')[0]}\n${stderr.trim().slice(-4000)}`));
      else resolve();
    });
  });
}

/** Describes the lab (without starting anything). */
export function labInfo(): Lab {
  const dir = labDir();
  const caFile = path.join(dir, 'ca.pem');
  return {
    dir,
    source: { host: LAB_HOST, ...LAB_PORTS.source, caFile },
    target: { host: LAB_HOST, ...LAB_PORTS.target, caFile },
  };
}

function runLab(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [LAB_SCRIPT, ...args],
      { env: { ...process.env, UMS_LAB_DIR: labDir() }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const what = args[0] === 'add-source-user' || args[0] === 'add-target-user' ? `${args[0]} ${args[1] ?? ''}` : args.join(' ');
          reject(new Error(`lab.sh ${what} failed: ${error.message.split('\n')[0]}\n${stderr.trim()}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/**
 * Starts both servers unless they already run and answer (idempotent, concurrency-safe: lab.sh
 * serialises callers with flock). A no-op call costs ~0.1 s (two IMAP greetings).
 */
export async function startLab(): Promise<Lab> {
  await runLab(['up']);
  return labInfo();
}

/** Stops every daemon the lab started (state on disk is kept). */
export async function stopLab(): Promise<void> {
  await runLab(['down']);
}

/** Creates (or re-creates, wiping its mailbox) a Dovecot user. */
export async function addSourceUser(login: string, password: string): Promise<void> {
  await runLab(['add-source-user', login, password]);
}

/** Creates (or re-creates, wiping its Maildir) a Courier userdb account. */
export async function addTargetUser(login: string, password: string): Promise<void> {
  await runLab(['add-target-user', login, password]);
}

/** Kills Courier's imapd/imapd-ssl (and their open sessions) and starts them again. For fault tests. */
export async function restartTarget(): Promise<void> {
  await runLab(['restart-target']);
}

/**
 * A login that is unique and valid on both servers (Courier userdb needs lowercase):
 * `[a-z0-9]` prefix + time + random, e.g. `alice` -> `alicem3x1q2k7f4d9`.
 */
export function uniqueLogin(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 30) || 'u';
  const random = BigInt(`0x${randomBytes(5).toString('hex')}`).toString(36).padStart(8, '0');
  return `${clean}${Date.now().toString(36)}${random}`;
}

/** Path of a Courier (target) user's Maildir; INBOX is the Maildir itself, folder `INBOX.X` is `.X`. */
export function targetMaildir(login: string): string {
  return path.join(labDir(), 'target', login, 'Maildir');
}

/** Path of a Dovecot (source) user's Maildir. */
export function sourceMaildir(login: string): string {
  return path.join(labDir(), 'source', login, 'Maildir');
}

/**
 * Lets Courier also authenticate the accounts of the UMS directory of the slapd lab
 * (`test/lab/slapd.sh`, same lab dir, must be up): `lab.sh enable-ldap-auth`, see
 * `test/lab/courier-ldap.sh`. userdb accounts keep working. Idempotent; the first call restarts
 * authdaemond (LDAPS needs the LDAP lab CA in its environment), later ones change nothing.
 */
export async function enableLdapAuth(): Promise<void> {
  await runLab(['enable-ldap-auth']);
}

/** Undoes `enableLdapAuth` (module list, authdaemonrc block, original authldaprc). */
export async function disableLdapAuth(): Promise<void> {
  await runLab(['disable-ldap-auth']);
}

/**
 * Creates the Maildir of a directory (authldap) account, owned by the lab's mail user, at
 * `targetMaildir(login)`: what the UMS does when it provisions an account (Courier does not).
 * Idempotent: an existing Maildir is kept.
 */
export async function provisionMaildir(login: string): Promise<void> {
  await runLab(['provision-maildir', login]);
}

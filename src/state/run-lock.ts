import { lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFileSync, writePrivateFileSync } from '../util/private-file.js';
import { processStartedAt, processName } from './process-info.js';
import { coerceError } from '../util/errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
  /** 'fcntl' in records of this version: the holder also held the kernel lock (see acquireRunLock). */
  lock?: string;
}

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(readonly file: string, readonly holder: LockHolder, message?: string) {
    super(message ?? `another ums-migrate run holds ${file} (pid ${holder.pid} on ${holder.host}, ${holder.command}, since ${holder.started})`);
  }
}

/** The state store is PostgreSQL: the run lock is an advisory lock there (src/state/pg-locks.ts), so it holds across machines. */
export class PgLockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(readonly store: string, readonly holder: string | undefined) {
    super(`another ums-migrate run holds the run lock of ${store}${holder ? ` (${holder})` : ''}`);
  }
}

/** The file whose kernel lock is the run lock itself (never delete it: see acquireRunLock). */
export function kernelLockFile(file: string): string {
  return `${file}.fcntl`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return { pid: Number(h.pid) || 0, host: String(h.host ?? '?'), started: String(h.started ?? '?'), command: String(h.command ?? '?'), ...(h.lock ? { lock: String(h.lock) } : {}) };
  } catch {
    return { pid: 0, host: '?', started: '?', command: 'unreadable lock record' };
  }
}

/** Held kernel locks: referenced here so that no connection is ever closed by garbage collection while its lock is meant to be held. */
const held = new Set<Database.Database>();

/**
 * The kernel lock: an exclusive fcntl(2) lock on `<file>.fcntl`, taken through SQLite (Node has
 * no flock/fcntl of its own; SQLite's unix VFS takes POSIX advisory locks) by an open
 * `BEGIN EXCLUSIVE` transaction that writes nothing. Undefined when another process (or another
 * connection of this one) holds it.
 */
function takeKernelLock(lockFile: string): Database.Database | undefined {
  // Created 0600 when absent. An existing file is never opened outside SQLite: closing any other
  // descriptor of it would drop this process's fcntl locks on it.
  createPrivateFileSync(lockFile);
  // SQLite follows symlinks: a link planted here would have the lock taken (and the journal mode
  // set) on whatever database it points at, e.g. the state itself, locking every run out.
  const st = lstatSync(lockFile);
  if (!st.isFile()) {
    throw new Error(`cannot take the run lock on ${lockFile}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}, and it should be an empty file; `
      + `if no ums-migrate runs on this host, delete ${lockFile} and start again`);
  }
  const db = new Database(lockFile, { timeout: 0 });
  try {
    db.pragma('journal_mode = MEMORY'); // no -journal file beside it
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw new Error(`cannot take the run lock on ${lockFile} (${coerceError(err).message}): it should be an empty file or an empty SQLite database; `
      + `if no ums-migrate runs on this host, delete ${lockFile} and start again`, { cause: err });
  }
  held.add(db);
  return db;
}

function releaseKernelLock(db: Database.Database): void {
  held.delete(db);
  try {
    db.exec('ROLLBACK');
  } finally {
    db.close();
  }
}

/**
 * A record without the kernel-lock mark, written by an earlier version, whose pid still runs the
 * process that was running when the lock was taken (not a later program that reused the pid).
 */
function olderVersionStillRunning(holder: LockHolder): boolean {
  if (holder.lock === 'fcntl' || holder.pid <= 0 || !alive(holder.pid)) return false;
  const since = processStartedAt(holder.pid);
  const taken = Date.parse(holder.started);
  // Unknown start time or lock time: assume it may still be the holder.
  return since === undefined || Number.isNaN(taken) || since.getTime() <= taken + 1000;
}

/**
 * One writer per state store (and per routing map directory): a run lock beside it.
 *
 * Mutual exclusion is the kernel's: the holder keeps an fcntl(2) lock on `<file>.fcntl` for as
 * long as it holds the run lock, and the kernel drops it when the process ends in any way
 * (crash, kill -9, power cut). So there is no stale lock to take over on this host and no race
 * in taking one over: two processes can never both get it, whatever the timing, on a local Linux
 * filesystem. (The earlier pid-file scheme read a stale record, removed it and created its own;
 * two processes that both read the stale record could both end up holding the lock.)
 *
 * `<file>` itself is the record of who holds it (JSON: pid, host from os.hostname(), start time,
 * command), written 0600 while the kernel lock is held and removed on release; it is what
 * messages quote. A record left behind when the kernel lock is free:
 * - names this host: its run is gone (it would still hold the kernel lock): taken over, also
 *   when its pid now belongs to another program (`onTakeover` is told, to log it);
 * - names another host: the state lives on a shared filesystem where this host's kernel lock
 *   says nothing about the other host's run. Never taken over: the error says who holds it and
 *   which file to delete once that run is known to be gone;
 * - was written by an earlier version (no kernel lock) and its pid still runs the process that
 *   took it: refused, saying how to clear it if that process is not ums-migrate.
 */
export function acquireRunLock(file: string, command: string, onTakeover?: (previous: LockHolder) => void): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const host = hostname();
  const kernel = takeKernelLock(kernelLockFile(file));
  if (kernel === undefined) {
    const holder = readHolder(file);
    if (holder !== undefined && holder.host === host && alive(holder.pid)) throw new LockHeldError(file, holder);
    // The holder has taken the kernel lock but not written its record yet (or a record of a run
    // that died is still there): another process of this host holds it all the same.
    throw new LockHeldError(file, holder ?? { pid: 0, host, started: '?', command: '?' },
      `another ums-migrate process on ${host} holds the run lock ${file} (it is starting, or finishing); try again in a moment`);
  }
  try {
    const previous = readHolder(file);
    if (previous !== undefined && previous.host !== host) {
      throw new LockHeldError(file, previous,
        `the run lock ${file} is held by pid ${previous.pid} on host ${previous.host} (${previous.command}, since ${previous.started}); this is ${host}. `
        + `A lock of another host is never taken over: if no ums-migrate runs on ${previous.host} any more (or that host is gone), delete ${file} and start again`);
    }
    if (previous !== undefined && olderVersionStillRunning(previous)) {
      const name = processName(previous.pid);
      throw new LockHeldError(file, previous,
        `the run lock ${file} was taken by pid ${previous.pid} (${previous.command}, since ${previous.started}), which still runs${name ? ` (${name})` : ''}: `
        + `an earlier ums-migrate version? Wait for it to finish. If pid ${previous.pid} is not ums-migrate (its pid was reused), delete ${file} and start again`);
    }
    writePrivateFileSync(file, JSON.stringify({ pid: process.pid, host, started: new Date().toISOString(), command, lock: 'fcntl' } satisfies LockHolder));
    // The record of a run that is gone (crash, kill -9): taken over, and said so (`onTakeover`).
    if (previous !== undefined) onTakeover?.(previous);
  } catch (err) {
    releaseKernelLock(kernel);
    throw err;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // The record goes first, while the kernel lock still keeps everyone else out.
    try {
      rmSync(file, { force: true });
    } finally {
      releaseKernelLock(kernel);
    }
  };
}

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(readonly file: string, readonly holder: { pid: number; host: string; started: string; command: string }) {
    super(`another ums-migrate run holds ${file} (pid ${holder.pid} on ${holder.host}, ${holder.command}, since ${holder.started})`);
  }
}

/** The state store is PostgreSQL: the run lock is an advisory lock there (src/state/pg-locks.ts), so it holds across machines. */
export class PgLockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(readonly store: string, readonly holder: string | undefined) {
    super(`another ums-migrate run holds the run lock of ${store}${holder ? ` (${holder})` : ''}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per state store: an exclusive lock file beside it. A lock left by a crashed run
 * (its pid is gone on this host) is detected and taken over.
 */
export function acquireRunLock(file: string, command: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const host = process.env.HOSTNAME ?? 'localhost';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host, started: new Date().toISOString(), command }));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; host: string; started: string; command: string };
      try {
        holder = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        holder = { pid: 0, host, started: '?', command: '?' };
      }
      if (holder.host === host && !alive(holder.pid)) {
        rmSync(file, { force: true }); // stale: the run that held it is gone
        continue;
      }
      throw new LockHeldError(file, holder);
    }
  }
  throw new Error(`could not take the run lock ${file}`);
}

/**
 * What Linux's /proc says about a process: when it started and its short name (comm). Used by the
 * run lock to tell the process that took a lock from a later program that reused its pid.
 * Undefined when unknown (no /proc, process gone, unreadable).
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux architecture (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;

function bootTimeSeconds(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The start time of `pid` (field 22 of /proc/<pid>/stat: clock ticks after boot). */
export function processStartedAt(pid: number): Date | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  const boot = bootTimeSeconds();
  if (!Number.isFinite(ticks) || boot === undefined) return undefined;
  return new Date(boot * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_SECOND);
}

/** The short program name of `pid` (/proc/<pid>/comm, at most 15 characters; never its arguments, which may hold secrets). */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().replace(/[^\x20-\x7e]/g, '?') || undefined;
  } catch {
    return undefined;
  }
}

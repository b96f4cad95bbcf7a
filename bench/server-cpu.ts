/**
 * CPU time spent by a lab server (all its processes), for the benchmarks' "where the time goes".
 *
 * A server is found by a port it listens on (`ss -ltnp`); its CPU is the sum over the live
 * processes of its tree of their own time (utime + stime) and the time of their children already
 * reaped (cutime + cstime): Courier forks an imapd per connection and Dovecot ends its imap
 * processes, and their time then moves into the parent's c-times, so the sum only grows and the
 * difference of two readings is what the server spent in between. Linux only (/proc).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat { pid: number; ppid: number; ticks: number }

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields start after the last ")".
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number) => Number(f[field - 3]);
  return { pid, ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) };
}

/** The pid of the process listening on TCP `port` on this machine. */
export function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process listens on port ${port} (or ss shows no pid: run as root)`);
  return Number(m[1]);
}

/** CPU seconds of the process tree rooted at `rootPid` (see the header for what is counted). */
export function treeCpuSeconds(rootPid: number): number {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const root = all.find((s) => s.pid === rootPid);
  const todo = root ? [root] : [];
  while (todo.length > 0) {
    const s = todo.pop() as ProcStat;
    ticks += s.ticks;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * Reads the CPU of the servers listening on `ports` (name → its ports; a server with a plaintext
 * and a TLS listener may have one process tree per port) now; `since()` then gives what each
 * spent from this moment.
 */
export function serverCpuMeter(ports: Record<string, number[]>): { since(): Record<string, number> } {
  const roots = Object.entries(ports).map(([name, list]) => [name, [...new Set(list.map(listenerPid))]] as const);
  const read = () => Object.fromEntries(roots.map(([name, pids]) => [name, pids.reduce((n, pid) => n + treeCpuSeconds(pid), 0)]));
  const start = read();
  return {
    since: () => Object.fromEntries(Object.entries(read()).map(([name, s]) => [name, s - (start[name] ?? 0)])),
  };
}

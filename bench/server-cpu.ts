/**
 * CPU time spent by a lab server (all its processes), for the benchmarks' "where the time goes".
 *
 * A server is found by a port it listens on (`ss -ltnp`); its CPU is the sum over the live
 * processes of its tree of their own time (utime + stime) and the time of their children already
 * reaped (cutime + cstime): Courier forks an imapd per connection and Dovecot ends its imap
 * processes, and their time then moves into the parent's c-times, so the sum only grows and the
 * difference of two readings is what the server spent in between. Linux only (/proc).
 *
 * A process can leave its tree before it ends: Courier's imapd outlives the couriertls that
 * started it when the client hangs up first, and is adopted by PID 1 (whose c-times no meter can
 * split), and here PID 1 reaps its zombies only now and then. So a server also counts the
 * orphans (parent PID 1) that carry one of its process names, zombies included, except those that
 * were already zombies when the meter started (their time is spent; leaving it out at both ends
 * keeps a reaping in between from showing as negative time). Without them, a one-mailbox run of
 * bench:wan showed Courier at 1.4 s where it had spent 3.8.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat { pid: number; ppid: number; comm: string; zombie: boolean; ticks: number }

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
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  return { pid, ppid: n(4), comm, zombie: f[0] === 'Z', ticks: n(14) + n(15) + n(16) + n(17) };
}

function processes(): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  return all;
}

/** The pid of the process listening on TCP `port` on this machine. */
export function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process listens on port ${port} (or ss shows no pid: run as root)`);
  return Number(m[1]);
}

/**
 * CPU seconds of the process trees rooted at `rootPids` and at the orphans (adopted by PID 1)
 * named in `orphans`, but those in `skip` (see the header for what is counted).
 */
export function treeCpuSeconds(rootPids: readonly number[], orphans: readonly string[] = [], skip: ReadonlySet<number> = new Set()): number {
  const all = processes();
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const todo = all.filter((s) => rootPids.includes(s.pid) || (s.ppid === 1 && orphans.includes(s.comm) && !skip.has(s.pid)));
  while (todo.length > 0) {
    const s = todo.pop() as ProcStat;
    ticks += s.ticks;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine has spent busy since boot (/proc/stat: all but idle and iowait). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** Process names of a lab server whose processes may end as orphans (see the header). */
const ORPHANS: Record<string, readonly string[]> = { courier: ['couriertls', 'imapd', 'imaplogin'] };

/**
 * Reads the CPU of the servers listening on `ports` (name → its ports; a server with a plaintext
 * and a TLS listener may have one process tree per port; a server named in ORPHANS also counts
 * those orphans) now; `since()` then gives what each spent from this moment.
 */
export function serverCpuMeter(ports: Record<string, number[]>): { since(): Record<string, number> } {
  const roots = Object.entries(ports).map(([name, list]) => [name, [...new Set(list.map(listenerPid))]] as const);
  const spent = new Set(processes().filter((s) => s.ppid === 1 && s.zombie).map((s) => s.pid));
  const read = () => Object.fromEntries(roots.map(([name, pids]) => [name, treeCpuSeconds(pids, ORPHANS[name], spent)]));
  const start = read();
  return {
    since: () => Object.fromEntries(Object.entries(read()).map(([name, s]) => [name, s - (start[name] ?? 0)])),
  };
}

/** One line: the wall time, and how the machine's core-seconds in it were spent (the tool, each server, unused). */
export function whereTheTimeGoes(tool: string, wall: number, clientCpu: number, servers: Record<string, number>): string {
  const cores = availableParallelism();
  const used = clientCpu + Object.values(servers).reduce((n, s) => n + s, 0);
  const parts = [`${tool} CPU ${clientCpu.toFixed(1)} s`, ...Object.entries(servers).map(([name, s]) => `${name} ${s.toFixed(1)} s`)];
  const idle = Math.max(0, wall * cores - used);
  return `where the time goes, ${tool}: ${wall.toFixed(1)} s wall × ${cores} cores = ${parts.join(' + ')} + unused ${idle.toFixed(1)} s`
    + ` (the tool ${(clientCpu / wall * 100).toFixed(0)}% of one core, the others ${((used - clientCpu) / wall * 100).toFixed(0)}%)\n`;
}

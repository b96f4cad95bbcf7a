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
 * split), which here reaps its zombies only now and then. So a server also counts, pid by pid, the
 * orphans (parent PID 1) that carry one of its process names, zombies included: what each spent
 * between the two readings. One that ends and is reaped between them is lost (a lower bound,
 * never a negative). Without them, a one-mailbox run of bench:wan showed Courier at 1.4 s where
 * it had spent 3.8.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat { pid: number; ppid: number; comm: string; ticks: number }

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
  return { pid, ppid: n(4), comm, ticks: n(14) + n(15) + n(16) + n(17) };
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

/** Clock ticks of `root` and its live descendants (their own time and their reaped children's). */
function subtreeTicks(root: ProcStat, children: Map<number, ProcStat[]>): number {
  let ticks = 0;
  const todo = [root];
  while (todo.length > 0) {
    const s = todo.pop() as ProcStat;
    ticks += s.ticks;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return ticks;
}

/** One reading of a server: its listeners' trees, and its orphans' trees by pid. */
interface Reading { tree: number; orphans: Map<number, number> }

/** Every process, and the live children of each (one pass over /proc for all the servers of a reading). */
function processTree(): { all: ProcStat[]; children: Map<number, ProcStat[]> } {
  const all = processes();
  const children = new Map<number, ProcStat[]>();
  for (const s of all) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  return { all, children };
}

function readServer({ all, children }: ReturnType<typeof processTree>, rootPids: readonly number[], orphanNames: readonly string[]): Reading {
  let tree = 0;
  const orphans = new Map<number, number>();
  for (const s of all) {
    if (rootPids.includes(s.pid)) tree += subtreeTicks(s, children);
    else if (s.ppid === 1 && orphanNames.includes(s.comm)) orphans.set(s.pid, subtreeTicks(s, children));
  }
  return { tree, orphans };
}

/**
 * CPU seconds a server spent between two readings: its trees' growth, and each orphan's growth
 * (all of it for one that was not there at the start). An orphan of the first reading that is
 * gone by the second counts nothing: its time in between is lost, but never taken off.
 */
function spentBetween(start: Reading, end: Reading): number {
  let ticks = end.tree - start.tree;
  for (const [pid, t] of end.orphans) ticks += t - (start.orphans.get(pid) ?? 0);
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine has spent busy since boot (/proc/stat: all but idle and iowait). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/**
 * Process names of a lab server that run as orphans (see the header): Courier's imapd left by its
 * couriertls, and its daemons that start that way (authdaemond, and gam_server, which its imapd
 * starts for IDLE). Matched by name: Cyrus's imapd has the same name, so the lab's Cyrus must not
 * run during a benchmark (only its own tests start it).
 */
const ORPHANS: Record<string, readonly string[]> = { courier: ['couriertls', 'imapd', 'imaplogin', 'authdaemond', 'gam_server'] };

/**
 * Reads the CPU of the servers listening on `ports` (name → its ports; a server with a plaintext
 * and a TLS listener may have one process tree per port; a server named in ORPHANS also counts
 * those orphans) now; `since()` then gives what each spent from this moment.
 */
export function serverCpuMeter(ports: Record<string, number[]>): { since(): Record<string, number> } {
  const roots = Object.entries(ports).map(([name, list]) => [name, [...new Set(list.map(listenerPid))]] as const);
  const read = () => {
    const procs = processTree();
    return new Map(roots.map(([name, pids]) => [name, readServer(procs, pids, ORPHANS[name] ?? [])]));
  };
  const start = read();
  return {
    since: () => Object.fromEntries([...read()].map(([name, end]) => [name, spentBetween(start.get(name)!, end)])),
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

/**
 * npm run bench:workers — scale-out: the same corpus migrated by 1, 2 and 4 `ums-migrate worker`
 * processes sharing one PostgreSQL (state + queue), Dovecot → Courier-IMAP on loopback.
 *
 * BENCH_MAILBOXES (default 16) mailboxes × BENCH_MESSAGES_PER_MAILBOX (default 300, up to 256 KiB)
 * are seeded once; each round migrates them into fresh target users with a fresh database.
 * While a round runs, the CPU time of every process is sampled from /proc and summed by role
 * (workers, PostgreSQL, Courier = target server, Dovecot = source server), which shows where the
 * bottleneck is.
 *
 * Worker machines are simulated: each worker process runs in a cgroup (v1 `cpu` controller, as
 * root) of its own with a CPU quota of BENCH_WORKER_CPU cores (default 0.1), so 4 workers behave as
 * 4 small machines while the servers and PostgreSQL keep the rest of this box, and the scaling
 * measures the scale-out, not the box. Where cgroups cannot be written (not root, cgroup v2 only)
 * the workers run unconfined and the output says so. With rounds of 1 and 4 confined workers it
 * also prints what each extra process spends beyond its messages (its start and V8's warm-up) and
 * the scaling that cost allows. BENCH_WORKER_ROUNDS (default 1,2,4): the
 * worker counts to run; BENCH_WORKER_NODE_OPTIONS: NODE_OPTIONS of the workers only (e.g.
 * "--import /tmp/profiler.mjs" to profile them: Node refuses --cpu-prof there). Last line:
 *   bench:workers w1_msg_s=A w2_msg_s=B w4_msg_s=C scaling_4v1=R worker_cpu=Q pg_ms_per_msg=P
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { generateCorpus, seedSource } from '../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../test/lab/lab.js';
import { createTestDatabase, dropTestDatabase, startPg } from '../test/lab/pg.js';
import { runCli, spawnCli } from '../test/support/cli.js';
import { writeLabConfig } from '../test/support/lab-config.js';
import { countMessages } from '../test/support/mailbox-snapshot.js';
import { coerceError } from '../src/util/errors.js';

const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 16);
const PER_MAILBOX = Number(process.env.BENCH_MESSAGES_PER_MAILBOX ?? 300);
const ROUNDS = (process.env.BENCH_WORKER_ROUNDS ?? '1,2,4').split(',').map(Number);
const password = 'bench-workers-pw';
const TICK = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux

const WORKER_CPU = Number(process.env.BENCH_WORKER_CPU ?? 0.1);
const CGROUP_CPU = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

type Role = 'workers' | 'postgres' | 'courier' | 'dovecot' | 'other';

/** One small "machine" per worker: a cgroup v1 cpu group with a quota; undefined where cgroups cannot be written. */
class WorkerMachine {
  private constructor(readonly dir: string) {}

  static create(name: string, cores: number): WorkerMachine | undefined {
    if (!existsSync(`${CGROUP_CPU}/cpu.cfs_quota_us`)) return undefined;
    const dir = `${CGROUP_CPU}/${name}`;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/cpu.cfs_period_us`, String(PERIOD_US));
      writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.max(1000, Math.round(cores * PERIOD_US))));
      return new WorkerMachine(dir);
    } catch {
      return undefined;
    }
  }

  /** Moves a process (all its threads) into the group. */
  add(pid: number): void {
    writeFileSync(`${this.dir}/cgroup.procs`, String(pid));
  }

  /** CPU time the group was throttled (its quota used up), in seconds. */
  throttledSeconds(): number {
    const m = /throttled_time (\d+)/.exec(readFileSync(`${this.dir}/cpu.stat`, 'utf8'));
    return m ? Number(m[1]) / 1e9 : 0;
  }

  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // still holds a process that did not exit: left for the next run (mkdir is idempotent)
    }
  }
}

/** Per pid: last seen utime+stime (ticks) and role; processes that exit keep their last value. */
class CpuSampler {
  private readonly seen = new Map<number, { ticks: number; role: Role; comm: string }>();
  private readonly base = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy0 = 0;
  private total0 = 0;
  workerPids = new Set<number>();

  private static stat(pid: number): { comm: string; ppid: number; ticks: number } | undefined {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const comm = s.slice(s.indexOf('(') + 1, close);
      const f = s.slice(close + 2).split(' ');
      return { comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
    } catch {
      return undefined;
    }
  }

  private static machine(): { busy: number; total: number } {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: total - idle, total };
  }

  private role(pid: number, comm: string, ppid: number): Role {
    if (this.workerPids.has(pid) || this.workerPids.has(ppid)) return 'workers';
    if (comm.startsWith('postgres')) return 'postgres';
    if (/courier|imapd|couriertls|authdaemon/.test(comm)) return 'courier';
    if (/dovecot|^imap|imap-login|auth|anvil|config|log/.test(comm)) return 'dovecot';
    return 'other';
  }

  private sample(first: boolean): void {
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const st = CpuSampler.stat(pid);
      if (!st) continue;
      if (first) this.base.set(pid, st.ticks);
      const prev = this.seen.get(pid);
      this.seen.set(pid, { ticks: st.ticks, role: prev?.role ?? this.role(pid, st.comm, st.ppid), comm: st.comm });
    }
  }

  start(): void {
    this.sample(true);
    const m = CpuSampler.machine();
    this.busy0 = m.busy;
    this.total0 = m.total;
    this.timer = setInterval(() => this.sample(false), 200);
  }

  stop(): { byRole: Record<Role, number>; topOthers: string; machineBusy: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample(false);
    const m = CpuSampler.machine();
    const byRole: Record<Role, number> = { workers: 0, postgres: 0, courier: 0, dovecot: 0, other: 0 };
    const others = new Map<string, number>();
    for (const [pid, v] of this.seen) {
      const s = (v.ticks - (this.base.get(pid) ?? 0)) / TICK;
      byRole[v.role] += s;
      if (v.role === 'other' && s > 0) others.set(v.comm.replace(/\/\d+$/, '/N'), (others.get(v.comm.replace(/\/\d+$/, '/N')) ?? 0) + s);
    }
    const topOthers = [...others].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, t]) => `${c} ${t.toFixed(1)}`).join(', ');
    return { byRole, topOthers, machineBusy: (m.busy - this.busy0) / Math.max(1, m.total - this.total0) };
  }
}

async function round(lab: Lab, sources: string[], workers: number): Promise<{ rate: number; seconds: number; cpu: ReturnType<CpuSampler['stop']>; confined: boolean; throttled: number }> {
  const targets: string[] = [];
  for (let i = 0; i < sources.length; i++) {
    const t = uniqueLogin(`bw${workers}t${i}`);
    await addTargetUser(t, password);
    targets.push(t);
  }
  const url = await createTestDatabase('bench_workers');
  try {
    const [first, ...rest] = sources.map((s, i) => ({ source: s, target: targets[i] as string }));
    const cfg = writeLabConfig(lab, { ...(first as { source: string; target: string }), password }, [
      ...rest.flatMap((p) => [`  - source: ${p.source}`, `    target: ${p.target}`, '    sourcePassword: file:./pw', '    targetPassword: file:./pw']),
      'concurrency:', '  batchSize: 100', '  tasks: 3',
      // one mailbox at a time per worker: the queue spreads the mailboxes over every worker
      'workers:', '  concurrency: 1',
    ]);
    const text = readFileSync(cfg.file, 'utf8')
      .replace('state:\n  path: ./state.sqlite\n', 'state:\n  driver: postgres\n  url: env:UMS_STATE_URL\n')
      .replace('logging:\n  level: info\n', 'logging:\n  level: warn\n')
      // The per-server caps are shared by every worker (PostgreSQL advisory locks): sized for four
      // workers, under Courier's 20 connections per client IP (all workers share this box's IP).
      .replace('source:\n  type: imap\n', 'source:\n  type: imap\n  maxConnections: 16\n')
      .replace('target:\n  type: ums-imap\n', 'target:\n  type: ums-imap\n  maxConnections: 16\n');
    writeFileSync(cfg.file, text);
    const env = { UMS_STATE_URL: url };
    const enq = await runCli(['enqueue', '-c', cfg.file], env);
    if (enq.code !== 0) throw new Error(`enqueue failed: ${enq.stderr}`);
    const sampler = new CpuSampler();
    const t0 = process.hrtime.bigint();
    const machines = Array.from({ length: workers }, (_, i) => WorkerMachine.create(`ums-bench-worker-${i}`, WORKER_CPU));
    const confined = machines.every((m) => m !== undefined);
    const workerEnv = process.env.BENCH_WORKER_NODE_OPTIONS ? { ...env, NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : env;
    const procs = Array.from({ length: workers }, () => spawnCli(['worker', '-c', cfg.file, '--exit-when-idle'], workerEnv));
    procs.forEach((p, i) => { if (confined) machines[i]!.add(p.child.pid as number); });
    for (const p of procs) sampler.workerPids.add(p.child.pid as number);
    sampler.start();
    const results = await Promise.all(procs.map((p) => p.done));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = sampler.stop();
    const throttled = machines.reduce((n, m) => n + (m?.throttledSeconds() ?? 0), 0);
    for (const m of machines) m?.remove();
    for (const r of results) if (r.code !== 0) throw new Error(`a worker failed (${r.code}): ${r.stderr || r.stdout}`);
    let n = 0;
    for (const t of targets) n += await countMessages({ ...lab.target, port: lab.target.tlsPort }, t, password);
    if (n !== sources.length * PER_MAILBOX) throw new Error(`${workers} worker(s) migrated ${n} of ${sources.length * PER_MAILBOX} messages`);
    return { rate: n / seconds, seconds, cpu, confined, throttled };
  } finally {
    await dropTestDatabase(url);
  }
}

async function main(): Promise<void> {
  const lab = await startLab();
  await startPg();
  const sources: string[] = [];
  process.stdout.write(`seeding ${MAILBOXES} mailboxes × ${PER_MAILBOX} messages into Dovecot…\n`);
  for (let i = 0; i < MAILBOXES; i++) {
    const s = uniqueLogin(`bws${i}`);
    await addSourceUser(s, password);
    await seedSource(lab, s, password, generateCorpus({ messages: PER_MAILBOX, maxSize: 256 * 1024, seed: 900 + i }));
    sources.push(s);
  }
  const cores = cpus().length;
  const rates: Record<number, number> = {};
  const workerCpu: Record<number, number> = {};
  let pgSeconds = 0;
  let messages = 0;
  let confinedAll = true;
  process.stdout.write(`${'workers'.padEnd(9)}${'wall s'.padStart(8)}${'msg/s'.padStart(9)}  CPU seconds: workers / postgres / courier / dovecot / other, machine busy (${cores} cores)\n`);
  for (const w of ROUNDS) {
    const r = await round(lab, sources, w);
    rates[w] = r.rate;
    confinedAll &&= r.confined;
    const c = r.cpu.byRole;
    workerCpu[w] = c.workers;
    pgSeconds += c.postgres;
    messages += MAILBOXES * PER_MAILBOX;
    const top = (Object.entries(c) as [Role, number][]).filter(([k]) => k !== 'other').sort((a, b) => b[1] - a[1])[0];
    const where = r.cpu.machineBusy > 0.9 ? `machine CPU saturated (${(r.cpu.machineBusy * 100).toFixed(0)}% of ${cores} cores); largest share: ${top?.[0]}` : `largest CPU share: ${top?.[0]}; machine ${(r.cpu.machineBusy * 100).toFixed(0)}% busy`;
    process.stdout.write(`${String(w).padEnd(9)}${r.seconds.toFixed(1).padStart(8)}${r.rate.toFixed(1).padStart(9)}  ${c.workers.toFixed(1)} / ${c.postgres.toFixed(1)} / ${c.courier.toFixed(1)} / ${c.dovecot.toFixed(1)} / ${c.other.toFixed(1)}  → ${where}${r.confined ? `; workers throttled ${r.throttled.toFixed(1)} s by their quota` : ''}${r.cpu.topOthers ? ` (other: ${r.cpu.topOthers})` : ''}\n`);
  }
  const w1 = rates[1] ?? 0;
  const w4 = rates[4] ?? 0;
  process.stdout.write(confinedAll
    ? `each worker ran in a cgroup with a CPU quota of ${WORKER_CPU} cores (a small worker machine; BENCH_WORKER_CPU)\n`
    : 'cgroups not writable here (not root, or cgroup v2 only): workers ran unconfined, so the scaling measures this box, not scale-out\n');
  const c1 = workerCpu[1];
  const c4 = workerCpu[4];
  if (c1 !== undefined && c4 !== undefined && confinedAll) {
    // Four processes do the work of one plus three processes' fixed cost (start, V8's warm-up).
    // At the quota a worker's wall time is its CPU time over the quota, so four cannot be faster
    // than the one by more than C1 / (F + (C1 − F) / 4), however the queue spreads the mailboxes.
    const fixed = Math.max(0, (c4 - c1) / 3);
    process.stdout.write(`each worker process costs ~${fixed.toFixed(1)} CPU-s beyond its messages ((${c4.toFixed(1)} − ${c1.toFixed(1)}) / 3): `
      + `at its quota that bounds scaling_4v1 at ${(c1 / (fixed + (c1 - fixed) / 4)).toFixed(2)}\n`);
  }
  process.stdout.write(`PostgreSQL: ${((pgSeconds / Math.max(1, messages)) * 1000).toFixed(2)} ms CPU per message (state + queue, all rounds)\n`);
  process.stdout.write(`bench:workers w1_msg_s=${w1.toFixed(1)} w2_msg_s=${(rates[2] ?? 0).toFixed(1)} w4_msg_s=${w4.toFixed(1)} scaling_4v1=${(w4 / w1).toFixed(2)} `
    + `worker_cpu=${confinedAll ? WORKER_CPU : 'unconfined'} pg_ms_per_msg=${((pgSeconds / Math.max(1, messages)) * 1000).toFixed(2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:workers failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

/**
 * npm run bench:wan — IMAP → UMS across a WAN: Dovecot IMAPS behind the lab's network-conditions
 * proxy (test/lab/netproxy.ts) at several round-trip times, Courier reached directly; ums-migrate
 * (the real CLI) against mbsync (Debian isync) in the same run, fresh target users for every run.
 *
 * Per RTT: one mailbox (ours and one mbsync), then BENCH_WAN_MAILBOXES mailboxes (ours: one run
 * with all of them; mbsync: one process per mailbox, all started at once). Both tools run with
 * their defaults. Knobs: BENCH_WAN_MESSAGES (one-mailbox corpus, default 1000),
 * BENCH_WAN_MULTI_MESSAGES (per mailbox of the multi run, default 500), BENCH_WAN_MAILBOXES
 * (default 4), BENCH_WAN_RTTS (default 0,20,50), BENCH_WAN_SKIP_MBSYNC=1 (ours only, for quick
 * iterations: ratios are then left out), BENCH_WAN_REUSE=1 (source users seeded once and kept),
 * BENCH_WAN_OURS_EXTRA (migration.yaml lines added for ours, "\n"-separated), BENCH_WAN_CLI (another
 * build's dist/bundle/cli.js or dist/src/cli.js, e.g. of an older commit, to compare). Each run also
 * prints where the time went: the tool's CPU, Dovecot's, Courier's, this process's (the proxy), the
 * rest of the machine's and the core-seconds nobody used (bench/server-cpu.ts). A line per RTT, the last RTT's line last:
 *   bench:wan rtt_ms=50 ours_msg_s=X mbsync_msg_s=Y ratio=R multi_ratio=Q cpu_ratio=C peak_rss_mb=M
 * cpu_ratio: our CPU seconds per message over mbsync's (both runs of that RTT); peak_rss_mb: ours.
 */
import { generateCorpus, seedSource, type CorpusMessage } from '../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../test/lab/lab.js';
import { startNetProxy } from '../test/lab/netproxy.js';
import { runCli, spawnProgram, type CliResult } from '../test/support/cli.js';
import { writeLabConfig } from '../test/support/lab-config.js';
import { countMessages } from '../test/support/mailbox-snapshot.js';
import { runMbsync, type MbsyncRun } from './mbsync.js';
import { machineBusySeconds, serverCpuMeter, whereTheTimeGoes } from './server-cpu.js';
import { coerceError } from '../src/util/errors.js';

const SINGLE = Number(process.env.BENCH_WAN_MESSAGES ?? 1000);
const MULTI = Number(process.env.BENCH_WAN_MULTI_MESSAGES ?? 500);
const MAILBOXES = Number(process.env.BENCH_WAN_MAILBOXES ?? 4);
const RTTS = (process.env.BENCH_WAN_RTTS ?? '0,20,50').split(',').map(Number);
const SKIP_MBSYNC = process.env.BENCH_WAN_SKIP_MBSYNC === '1';
const REUSE = process.env.BENCH_WAN_REUSE === '1';
/** Extra migration.yaml lines for ours (experiments, e.g. "concurrency:\n  writersPerTask: 4"). */
const OURS_EXTRA = process.env.BENCH_WAN_OURS_EXTRA ? process.env.BENCH_WAN_OURS_EXTRA.split('\n') : [];
const MiB = 1024 * 1024;
const password = 'bench-pw-1';
/** Five folders (one non-ASCII) of generated mail, ~100 KiB per message on average. */
const FOLDERS = ['INBOX', 'Sent', 'Archive', 'Projects/Q3', 'Отправленные'];

interface Tool { seconds: number; messages: number; cpuSeconds: number; peakRssMb: number; where: string }

/**
 * Starts measuring the lab's CPU around one tool's run: Dovecot's and Courier's process trees and
 * this process (the proxy every source byte crosses), and what the machine spent besides (from
 * /proc/stat); `end` gives the "where the time goes" line.
 */
function cpuMeter(lab: Lab): { end(tool: string, wall: number, toolCpu: number): string } {
  const servers = serverCpuMeter({ dovecot: [lab.source.port, lab.source.tlsPort], courier: [lab.target.port, lab.target.tlsPort] });
  const self = process.cpuUsage();
  const machine = machineBusySeconds();
  return {
    end(tool, wall, toolCpu) {
      const mine = process.cpuUsage(self);
      const parts: Record<string, number> = { ...servers.since(), 'proxy (this bench)': (mine.user + mine.system) / 1e6 };
      // What the machine spent that none of the above did: the kernel's own threads, the rest.
      // Not clamped: below zero means the named parts were over-counted (their readings are not
      // taken at one instant).
      const named = toolCpu + Object.values(parts).reduce((n, s) => n + s, 0);
      parts['kernel and other processes'] = machineBusySeconds() - machine - named;
      return whereTheTimeGoes(tool, wall, toolCpu, parts);
    },
  };
}

async function seeded(lab: Lab, prefix: string, messages: number, seed: number): Promise<{ login: string; corpus: CorpusMessage[] }> {
  const corpus = generateCorpus({ messages, maxSize: 4 * MiB, seed, folders: FOLDERS });
  // BENCH_WAN_REUSE=1: fixed source logins, seeded once (the source is only read).
  const login = REUSE ? `${prefix}r${messages}s${seed}` : uniqueLogin(prefix);
  if (REUSE && await countMessages({ ...lab.source, port: lab.source.tlsPort }, login, password).catch(() => -1) === messages) return { login, corpus };
  await addSourceUser(login, password);
  await seedSource(lab, login, password, corpus);
  return { login, corpus };
}

async function freshTargets(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const login = uniqueLogin('bwt');
    await addTargetUser(login, password);
    out.push(login);
  }
  return out;
}

async function expectCount(lab: Lab, target: string, want: number, who: string): Promise<void> {
  const got = await countMessages({ ...lab.target, port: lab.target.tlsPort }, target, password);
  if (got !== want) throw new Error(`${who} left ${got}/${want} messages in ${target}`);
}

/** ums-migrate: one run with every pair, source through the proxy. */
async function ours(lab: Lab, proxyPort: number, sources: { login: string; corpus: CorpusMessage[] }[]): Promise<Tool> {
  const targets = await freshTargets(sources.length);
  const viaProxy: Lab = { ...lab, source: { ...lab.source, tlsPort: proxyPort } };
  const more = sources.slice(1).flatMap((s, i) => [
    `  - source: ${s.login}`, `    target: ${targets[i + 1]}`, '    sourcePassword: file:./pw', '    targetPassword: file:./pw',
  ]);
  const cfg = writeLabConfig(viaProxy, { source: sources[0]!.login, target: targets[0]!, password }, [...more, ...OURS_EXTRA]);
  const meter = cpuMeter(lab);
  const t0 = process.hrtime.bigint();
  const run = await runOurs(['run', '-c', cfg.file, '--json']);
  if (process.env.BENCH_WAN_VERBOSE === '1') process.stdout.write(`ours: ${cfg.dir} (run.log there)\n`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (run.code !== 0) throw new Error(`ums-migrate run failed (${run.code}): ${run.stderr.slice(0, 2000)}`);
  const report = JSON.parse(run.stdout) as { copied: number; failed: number; peakRssMb: number; cpuSeconds: number };
  const where = meter.end('ums-migrate', seconds, report.cpuSeconds);
  const messages = sources.reduce((n, s) => n + s.corpus.length, 0);
  if (report.failed > 0 || report.copied !== messages) throw new Error(`ums-migrate copied ${report.copied}/${messages}, ${report.failed} failed`);
  for (const [i, s] of sources.entries()) await expectCount(lab, targets[i]!, s.corpus.length, 'ums-migrate');
  return { seconds, messages, cpuSeconds: report.cpuSeconds, peakRssMb: report.peakRssMb, where };
}

/** mbsync: one process per pair, all at once. */
async function mbsync(lab: Lab, proxyPort: number, sources: { login: string; corpus: CorpusMessage[] }[]): Promise<Tool> {
  const targets = await freshTargets(sources.length);
  const far = { ...lab.source, tlsPort: proxyPort };
  const meter = cpuMeter(lab);
  const t0 = process.hrtime.bigint();
  const runs: MbsyncRun[] = await Promise.all(sources.map((s, i) => runMbsync(far, lab.target, s.login, targets[i]!, password)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = runs.reduce((n, r) => n + r.cpuSeconds, 0);
  const where = meter.end(`mbsync x${runs.length}`, seconds, cpuSeconds);
  for (const r of runs) if (r.code !== 0) throw new Error(`mbsync failed (exit ${r.code}): ${r.stderr.slice(0, 2000)}`);
  for (const [i, s] of sources.entries()) await expectCount(lab, targets[i]!, s.corpus.length, 'mbsync');
  return {
    seconds, messages: sources.reduce((n, s) => n + s.corpus.length, 0),
    cpuSeconds, peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)), where,
  };
}

/**
 * ums-migrate as installed users run it: bin/ums-migrate.js executed (its shebang's memory flags
 * included; it runs the bundle npm run bench:wan has just built), or BENCH_WAN_CLI (another
 * build's cli.js, run with node, to compare).
 */
const OTHER_CLI = process.env.BENCH_WAN_CLI;
function runOurs(args: string[]): Promise<CliResult> {
  return OTHER_CLI ? spawnProgram(process.execPath, [OTHER_CLI, ...args]).done : runCli(args);
}

const rate = (t: Tool) => t.messages / t.seconds;
const fmt = (t: Tool | undefined) => (t ? `${rate(t).toFixed(1)} msg/s (${t.messages} in ${t.seconds.toFixed(1)} s, CPU ${t.cpuSeconds.toFixed(1)} s, peak RSS ${t.peakRssMb} MB)` : 'skipped');

async function main(): Promise<void> {
  const lab = await startLab();
  const one = await seeded(lab, 'bws', SINGLE, 2026);
  const many: { login: string; corpus: CorpusMessage[] }[] = [];
  for (let i = 0; i < MAILBOXES; i++) many.push(await seeded(lab, `bwm${i}`, MULTI, 3000 + i));
  const bytes = (c: CorpusMessage[]) => c.reduce((n, m) => n + m.raw.length, 0);
  process.stdout.write(`corpus: one mailbox ${SINGLE} messages (${(bytes(one.corpus) / MiB).toFixed(1)} MiB, ${(bytes(one.corpus) / SINGLE / 1024).toFixed(1)} KiB avg), `
    + `${MAILBOXES} mailboxes x ${MULTI} (${(many.reduce((n, m) => n + bytes(m.corpus), 0) / MiB).toFixed(1)} MiB); folders ${FOLDERS.join(', ')}\n`);

  const proxy = await startNetProxy({ host: lab.source.host, port: lab.source.tlsPort });
  const lines: string[] = [];
  try {
    for (const rtt of RTTS) {
      proxy.set({ rttMs: rtt });
      const o1 = await ours(lab, proxy.port, [one]);
      const m1 = SKIP_MBSYNC ? undefined : await mbsync(lab, proxy.port, [one]);
      const oN = await ours(lab, proxy.port, many);
      const mN = SKIP_MBSYNC ? undefined : await mbsync(lab, proxy.port, many);
      process.stdout.write(`rtt ${rtt} ms, 1 mailbox:  ours ${fmt(o1)}; mbsync ${fmt(m1)}\n`);
      process.stdout.write(`rtt ${rtt} ms, ${MAILBOXES} mailboxes: ours ${fmt(oN)}; mbsync x${MAILBOXES} ${fmt(mN)}\n`);
      for (const t of [o1, m1, oN, mN]) if (t) process.stdout.write(`  ${t.where}`);
      const cpuPerMsg = (a: Tool, b: Tool) => (a.cpuSeconds + b.cpuSeconds) / (a.messages + b.messages);
      const ratio = m1 ? (rate(o1) / rate(m1)).toFixed(2) : 'na';
      const multi = mN ? (rate(oN) / rate(mN)).toFixed(2) : 'na';
      const cpu = m1 && mN ? (cpuPerMsg(o1, oN) / cpuPerMsg(m1, mN)).toFixed(2) : 'na';
      const line = `bench:wan rtt_ms=${rtt} ours_msg_s=${rate(o1).toFixed(1)} mbsync_msg_s=${m1 ? rate(m1).toFixed(1) : 'na'} ratio=${ratio} `
        + `multi_ratio=${multi} cpu_ratio=${cpu} peak_rss_mb=${Math.max(o1.peakRssMb, oN.peakRssMb)}`;
      process.stdout.write(`${line}\n`);
      lines.push(line);
    }
  } finally {
    await proxy.close();
  }
  // The per-RTT lines again, the last one last (machine-readable).
  for (const l of lines) process.stdout.write(`${l}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:wan failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

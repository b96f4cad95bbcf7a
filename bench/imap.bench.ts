/**
 * npm run bench:imap — IMAP → UMS throughput against mbsync, on the same corpus in the same run.
 *
 * Seeds a corpus (BENCH_MESSAGES, default 5000; mixed sizes up to 2 MB; ≥ 5 folders including
 * non-ASCII names) into Dovecot, migrates it to a fresh Courier user with ums-migrate (the real
 * CLI, as a child process), runs ums-migrate again with nothing new, then migrates the same
 * corpus with mbsync (Debian isync) into another fresh Courier user. For each tool it prints where
 * the time went: the tool's own CPU, Dovecot's and Courier's CPU (their process trees,
 * bench/server-cpu.ts) and the core-seconds left unused by all three (waiting on round trips, the
 * disk, locks — or taken by other processes: run it on a quiet machine).
 * Last line is machine-readable:
 *   bench:imap msgs=N ours_msg_s=X mbsync_msg_s=Y ratio=R peak_rss_mb=M rerun_s=S cpu_ratio=C
 */
import { generateCorpus, seedSource } from '../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../test/lab/lab.js';
import { runCli } from '../test/support/cli.js';
import { writeLabConfig } from '../test/support/lab-config.js';
import { countMessages } from '../test/support/mailbox-snapshot.js';
import { runMbsync } from './mbsync.js';
import { serverCpuMeter, whereTheTimeGoes } from './server-cpu.js';
import { coerceError } from '../src/util/errors.js';

const N = Number(process.env.BENCH_MESSAGES ?? 5000);
const MiB = 1024 * 1024;
const password = 'bench-pw-1';

async function main(): Promise<void> {
  const lab = await startLab();
  const source = uniqueLogin('bsrc');
  await addSourceUser(source, password);
  const corpus = generateCorpus({ messages: N, maxSize: 2 * MiB, seed: 2026 });
  const bytes = corpus.reduce((n, m) => n + m.raw.length, 0);
  const folders = new Set(corpus.map((m) => m.folder.join('/')));
  process.stdout.write(`seeding ${N} messages, ${(bytes / MiB).toFixed(1)} MiB, ${folders.size} folders (${[...folders].join(', ')}) into Dovecot…\n`);
  await seedSource(lab, source, password, corpus);

  // ums-migrate
  const ours = uniqueLogin('bours');
  await addTargetUser(ours, password);
  const cfg = writeLabConfig(lab, { source, target: ours, password }, [
    'concurrency:', '  batchSize: 200',
  ]);
  const servers = { dovecot: [lab.source.port, lab.source.tlsPort], courier: [lab.target.port, lab.target.tlsPort] };
  let meter = serverCpuMeter(servers);
  const t0 = process.hrtime.bigint();
  const run = await runCli(['run', '-c', cfg.file, '--json']);
  const oursWall = Number(process.hrtime.bigint() - t0) / 1e9;
  const oursServers = meter.since();
  if (run.code !== 0) throw new Error(`ums-migrate run failed (${run.code}): ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { copied: number; failed: number; seconds: number; peakRssMb: number; cpuSeconds: number };
  const t1 = process.hrtime.bigint();
  const rerun = await runCli(['run', '-c', cfg.file, '--json']);
  const rerunWall = Number(process.hrtime.bigint() - t1) / 1e9;
  const rerunReport = JSON.parse(rerun.stdout) as { copied: number; seconds: number };
  const oursCount = await targetCount(lab, ours);

  // mbsync
  const theirs = uniqueLogin('bmbs');
  await addTargetUser(theirs, password);
  meter = serverCpuMeter(servers);
  const mb = await runMbsync(lab.source, lab.target, source, theirs, password);
  const mbServers = meter.since();
  const mbCount = await targetCount(lab, theirs);
  if (mb.code !== 0 || mbCount !== N) throw new Error(`mbsync did not migrate the corpus (exit ${mb.code}, ${mbCount}/${N} messages): ${mb.stderr.slice(0, 2000)}`);
  if (oursCount !== N || report.failed > 0) throw new Error(`ums-migrate did not migrate the corpus (${oursCount}/${N} messages, ${report.failed} failed)`);

  const oursRate = N / oursWall;
  const mbRate = N / mb.seconds;
  const rows = [
    ['tool', 'messages in target', 'wall s', 'msg/s', 'MiB/s'],
    ['ums-migrate', String(oursCount), oursWall.toFixed(1), oursRate.toFixed(1), (bytes / MiB / oursWall).toFixed(1)],
    ['mbsync', String(mbCount), mb.seconds.toFixed(1), mbRate.toFixed(1), (bytes / MiB / mb.seconds).toFixed(1)],
  ];
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(19))).join('')}\n`);
  process.stdout.write(`ums-migrate: copied ${report.copied}, failed ${report.failed}, engine time ${report.seconds.toFixed(1)} s, CPU ${report.cpuSeconds.toFixed(1)} s, peak RSS ${report.peakRssMb} MB\n`);
  process.stdout.write(`re-run with nothing new: copied ${rerunReport.copied}, ${rerunWall.toFixed(2)} s wall (${rerunReport.seconds.toFixed(2)} s in the engine, the rest is process start-up)\n`);
  process.stdout.write(whereTheTimeGoes('ums-migrate', oursWall, report.cpuSeconds, oursServers));
  process.stdout.write(whereTheTimeGoes('mbsync', mb.seconds, mb.cpuSeconds, mbServers));
  const cpuRatio = report.cpuSeconds / mb.cpuSeconds;
  process.stdout.write(`bench:imap msgs=${N} ours_msg_s=${oursRate.toFixed(1)} mbsync_msg_s=${mbRate.toFixed(1)} ratio=${(oursRate / mbRate).toFixed(2)} peak_rss_mb=${report.peakRssMb} rerun_s=${rerunWall.toFixed(2)} cpu_ratio=${cpuRatio.toFixed(2)}\n`);
}

function targetCount(lab: Lab, user: string): Promise<number> {
  return countMessages({ ...lab.target, port: lab.target.tlsPort }, user, password);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:imap failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

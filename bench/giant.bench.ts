/**
 * npm run bench:giant — one giant folder: BENCH_GIANT_MESSAGES (default 100,000) small generated
 * messages with one 40 MB message amid them, in the INBOX of a Dovecot user, migrated to Courier;
 * then BENCH_GIANT_NEW (default 10) messages arrive and the run is repeated (that delta also
 * compares every flag once), then as many again (a nightly delta, which must cost O(changes), not
 * O(folder)). mbsync (Debian isync) migrates the same folder in the same run
 * (BENCH_PEER=0 leaves it out). imapsync's users report running out of memory on a 146k-message
 * INBOX; the goal here is peak RSS ≤ 200 MB for the whole folder.
 *
 * The messages are written straight into the source Maildir (seeding 100k messages by APPEND would
 * take longer than the migration) and Dovecot indexes them before anything is timed. Last line:
 *   bench:giant msgs=N ours_msg_s=X mbsync_msg_s=Y ratio=R peak_rss_mb=M rerun_s=S rerun_copied=C rerun_peak_rss_mb=P scan_rerun_s=T scan_peak_rss_mb=Q
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { addSourceUser, addTargetUser, sourceMaildir, startLab, uniqueLogin } from '../test/lab/lab.js';
import { runCli } from '../test/support/cli.js';
import { writeLabConfig } from '../test/support/lab-config.js';
import { countMessages } from '../test/support/mailbox-snapshot.js';
import { runMbsync } from './mbsync.js';
import { coerceError } from '../src/util/errors.js';

const N = Number(process.env.BENCH_GIANT_MESSAGES ?? 100_000);
const NEW = Number(process.env.BENCH_GIANT_NEW ?? 10);
const PEER = process.env.BENCH_PEER !== '0';
const BIG_AT = Math.floor(N / 2);
const MiB = 1024 * 1024;
const password = 'bench-giant-pw';
const LAB_USER = 'umslab';

/** A small message (about 1.5 KB), unique by its number. */
function small(i: number): Buffer {
  const date = new Date(Date.UTC(2020, 0, 1) + i * 60_000).toUTCString().replace('GMT', '+0000');
  const body = `Message ${i} of the giant folder.\r\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(20)}\r\n`;
  return Buffer.from([
    'From: Bench Sender <sender@example.org>', 'To: Giant <giant@example.org>', `Subject: giant folder message ${i}`, `Date: ${date}`,
    `Message-ID: <giant-${i}@bench.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body,
  ].join('\r\n'));
}

/** One 40 MB message: a 30 MB attachment, base64 in 76-character lines. */
function big(): Buffer {
  const b64 = randomBytes(30 * MiB).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: Bench Sender <sender@example.org>', 'To: Giant <giant@example.org>', 'Subject: the 40 MB one', 'Date: Wed, 01 Jan 2020 12:00:00 +0000',
    'Message-ID: <giant-big@bench.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain', '', 'The attachment is large.', '--b', 'Content-Type: application/octet-stream; name="big.bin"',
    'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="big.bin"', '', b64, '--b--', '',
  ].join('\r\n'));
}

/**
 * Writes messages into the INBOX of a Dovecot Maildir as they are after Dovecot delivered them and
 * any mail client has seen them (cur/, no flags), owned by the mail user. Not new/: a folder
 * opened read-only (EXAMINE, as a migration source is) keeps its new/ messages there.
 */
function deliver(maildir: string, from: number, count: number, withBig: boolean): number {
  let bytes = 0;
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
  for (let i = from; i < from + count; i++) {
    const raw = withBig && i === BIG_AT ? big() : small(i);
    bytes += raw.length;
    // S= and W= (its size with CRLF line ends: these messages have no bare LF) as Dovecot's own
    // delivery names them: without W=, Dovecot learns each size at the first FETCH and rewrites its
    // whole uidlist (4 MB at 100,000) each time, which every other session must then read again.
    writeFileSync(join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P${process.pid}.bench,S=${raw.length},W=${raw.length}:2,`), raw);
  }
  execFileSync('chown', ['-R', `${LAB_USER}:${LAB_USER}`, maildir]);
  return bytes;
}

async function main(): Promise<void> {
  const lab = await startLab();
  const source = uniqueLogin('bgiant');
  await addSourceUser(source, password);
  const t0 = Date.now();
  const bytes = deliver(sourceMaildir(source), 0, N, true);
  // Dovecot indexes the folder at its first access: done here, not inside a timed run
  const seen = await countMessages({ ...lab.source, port: lab.source.tlsPort }, source, password);
  if (seen !== N) throw new Error(`Dovecot lists ${seen} of the ${N} messages written`);
  process.stdout.write(`${N} messages (${(bytes / MiB).toFixed(0)} MiB, one of 40 MB at #${BIG_AT}) in one INBOX, written and indexed in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const ours = uniqueLogin('bgours');
  await addTargetUser(ours, password);
  const cfg = writeLabConfig(lab, { source, target: ours, password });
  const t1 = process.hrtime.bigint();
  const run = await runCli(['run', '-c', cfg.file, '--json']);
  const oursWall = Number(process.hrtime.bigint() - t1) / 1e9;
  if (run.code !== 0) throw new Error(`ums-migrate run failed (${run.code}): ${run.stderr.slice(0, 2000)}`);
  const first = JSON.parse(run.stdout) as { copied: number; failed: number; peakRssMb: number; cpuSeconds: number };
  const oursCount = await countMessages({ ...lab.target, port: lab.target.tlsPort }, ours, password);
  if (oursCount !== N || first.failed > 0) throw new Error(`ums-migrate did not migrate the folder (${oursCount}/${N} messages, ${first.failed} failed)`);
  process.stdout.write(`ums-migrate: ${N} messages in ${oursWall.toFixed(1)} s (${(N / oursWall).toFixed(1)} msg/s), CPU ${first.cpuSeconds.toFixed(1)} s, peak RSS ${first.peakRssMb} MB\n`);

  // nothing new: the re-run's cost with the folder unchanged; then NEW messages arrive
  const t2 = process.hrtime.bigint();
  const idle = JSON.parse((await runCli(['run', '-c', cfg.file, '--json'])).stdout) as { copied: number; peakRssMb: number };
  const idleWall = Number(process.hrtime.bigint() - t2) / 1e9;
  deliver(sourceMaildir(source), N, NEW, false);
  const t3 = process.hrtime.bigint();
  const rerunCli = await runCli(['run', '-c', cfg.file, '--json']);
  const rerunWall = Number(process.hrtime.bigint() - t3) / 1e9;
  if (rerunCli.code !== 0) throw new Error(`the re-run failed (${rerunCli.code}): ${rerunCli.stderr.slice(0, 2000)}`);
  const scan = JSON.parse(rerunCli.stdout) as { copied: number; peakRssMb: number; cpuSeconds: number };
  // That delta also compared every flag once (the first delta after a first pass does: see
  // FlagSeq in src/engine/checkpoint-codec.ts). A nightly delta after it asks only for changes.
  deliver(sourceMaildir(source), N + NEW, NEW, false);
  const t4 = process.hrtime.bigint();
  const nightlyCli = await runCli(['run', '-c', cfg.file, '--json']);
  const nightlyWall = Number(process.hrtime.bigint() - t4) / 1e9;
  if (nightlyCli.code !== 0) throw new Error(`the nightly re-run failed (${nightlyCli.code}): ${nightlyCli.stderr.slice(0, 2000)}`);
  const rerun = JSON.parse(nightlyCli.stdout) as { copied: number; peakRssMb: number; cpuSeconds: number };
  process.stdout.write(`re-run, nothing new: copied ${idle.copied} in ${idleWall.toFixed(2)} s, peak RSS ${idle.peakRssMb} MB; `
    + `with ${NEW} new (and every flag compared once): copied ${scan.copied} in ${rerunWall.toFixed(2)} s, CPU ${scan.cpuSeconds.toFixed(2)} s, peak RSS ${scan.peakRssMb} MB; `
    + `${NEW} more new (a nightly delta): copied ${rerun.copied} in ${nightlyWall.toFixed(2)} s, CPU ${rerun.cpuSeconds.toFixed(2)} s, peak RSS ${rerun.peakRssMb} MB\n`);

  let mbRate = 0;
  if (PEER) {
    const theirs = uniqueLogin('bgmbs');
    await addTargetUser(theirs, password);
    const mb = await runMbsync(lab.source, lab.target, source, theirs, password);
    const mbCount = await countMessages({ ...lab.target, port: lab.target.tlsPort }, theirs, password);
    if (mb.code !== 0 || mbCount !== N + 2 * NEW) throw new Error(`mbsync did not migrate the folder (exit ${mb.code}, ${mbCount}/${N + 2 * NEW}): ${mb.stderr.slice(0, 2000)}`);
    mbRate = (N + 2 * NEW) / mb.seconds;
    process.stdout.write(`mbsync: ${N + 2 * NEW} messages in ${mb.seconds.toFixed(1)} s (${mbRate.toFixed(1)} msg/s), CPU ${mb.cpuSeconds.toFixed(1)} s, peak RSS ${mb.peakRssMb} MB\n`);
  } else process.stdout.write('mbsync: left out (BENCH_PEER=0)\n');
  const oursRate = N / oursWall;
  process.stdout.write(`bench:giant msgs=${N} ours_msg_s=${oursRate.toFixed(1)} mbsync_msg_s=${PEER ? mbRate.toFixed(1) : 'skipped'} ratio=${PEER ? (oursRate / mbRate).toFixed(2) : '-'} `
    + `peak_rss_mb=${first.peakRssMb} rerun_s=${nightlyWall.toFixed(2)} rerun_copied=${rerun.copied} rerun_peak_rss_mb=${rerun.peakRssMb} scan_rerun_s=${rerunWall.toFixed(2)} scan_peak_rss_mb=${scan.peakRssMb}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:giant failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

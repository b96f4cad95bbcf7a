/**
 * npm run bench:delta — the nightly delta costs O(changes), not O(mailbox).
 *
 * Seeds a mailbox of BENCH_MESSAGES (default 20,000) messages into Dovecot, migrates it to
 * Courier (full run), runs a first `sync` with nothing new (the first delta after a folder's first
 * pass scans every flag once: see FlagSeq in src/engine/checkpoint-codec.ts; reported, not
 * in the ratio), then makes 50 new messages and 50 flag changes in the source and runs
 * `ums-migrate sync` again: the steady nightly delta. Last line is machine-readable:
 *   bench:delta msgs=N full_s=X delta_s=Y ratio=R
 * (ratio = delta / full: the smaller, the better).
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { generateCorpus, seedSource } from '../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../test/lab/lab.js';
import { runCli } from '../test/support/cli.js';
import { writeLabConfig } from '../test/support/lab-config.js';
import { coerceError } from '../src/util/errors.js';

const N = Number(process.env.BENCH_MESSAGES ?? 20000);
const CHANGES = 50;
const password = 'bench-delta-1';

async function timedRun(args: string[]): Promise<{ seconds: number; report: { copied: number; flagsUpdated: number; failed: number; seconds: number } }> {
  const t0 = process.hrtime.bigint();
  const r = await runCli(args);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`${args[0]} failed (${r.code}): ${r.stderr}`);
  return { seconds, report: JSON.parse(r.stdout) as { copied: number; flagsUpdated: number; failed: number; seconds: number } };
}

async function main(): Promise<void> {
  const lab = await startLab();
  const source = uniqueLogin('dsrc');
  const target = uniqueLogin('dtgt');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  process.stdout.write(`seeding ${N} messages into Dovecot…\n`);
  await seedSource(lab, source, password, generateCorpus({ messages: N, maxSize: 64 * 1024, seed: 77 }));
  const { file } = writeLabConfig(lab, { source, target, password }, ['concurrency:', '  batchSize: 500']);

  const full = await timedRun(['run', '-c', file, '--json']);
  if (full.report.copied !== N) throw new Error(`full run copied ${full.report.copied} of ${N}`);
  const first = await timedRun(['sync', '-c', file, '--json']);
  if (first.report.copied !== 0 || first.report.flagsUpdated !== 0) throw new Error(`the first sync with nothing new copied ${first.report.copied} and updated ${first.report.flagsUpdated}`);

  const c = new ImapFlow({ host: lab.source.host, port: lab.source.tlsPort, secure: true, tls: { ca: readFileSync(lab.source.caFile, 'utf8') }, auth: { user: source, pass: password }, logger: false });
  await c.connect();
  await c.mailboxOpen('INBOX');
  const uids = (await c.search({ all: true }, { uid: true })) || [];
  const pick = uids.filter((_, i) => i % Math.max(1, Math.floor(uids.length / CHANGES)) === 0).slice(0, CHANGES);
  await c.messageFlagsAdd(pick.join(','), ['$DeltaBench'], { uid: true });
  for (let i = 0; i < CHANGES; i++) {
    await c.append('INBOX', `Message-ID: <delta-${i}@bench.test>\r\nSubject: new ${i}\r\n\r\nnew message ${i}\r\n`, [], new Date());
  }
  await c.logout();

  const delta = await timedRun(['sync', '-c', file, '--json']);
  if (delta.report.copied !== CHANGES || delta.report.flagsUpdated !== pick.length) {
    throw new Error(`delta copied ${delta.report.copied} (want ${CHANGES}), updated flags of ${delta.report.flagsUpdated} (want ${pick.length})`);
  }
  process.stdout.write(`full run: ${N} messages in ${full.seconds.toFixed(1)} s (engine ${full.report.seconds.toFixed(1)} s)\n`);
  process.stdout.write(`first sync after the full run (one flag scan per folder): ${first.seconds.toFixed(2)} s\n`);
  process.stdout.write(`delta: ${delta.report.copied} new, ${delta.report.flagsUpdated} flag changes in ${delta.seconds.toFixed(2)} s (engine ${delta.report.seconds.toFixed(2)} s)\n`);
  process.stdout.write(`bench:delta msgs=${N} full_s=${full.seconds.toFixed(1)} delta_s=${delta.seconds.toFixed(2)} ratio=${(delta.seconds / full.seconds).toFixed(3)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:delta failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});

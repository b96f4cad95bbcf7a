/**
 * npm run bench:pst — PST → messages per second and MiB/s against readpst, same files, same run.
 *
 * The files: every PST/OST of the shared fixtures (pst/unicode, pst/ansi, pst/ost; UMS_FIXTURES_DIR).
 * Ours: the PST source connector as the engine drives it (folders, pages of 100 listed, every
 * item read and built into RFC 5322 MIME), in this process, without a target. readpst (Debian
 * pst-utils): `readpst -D -j0 -e -o <tmp>` per file, the .eml/.ics/.vcf files it writes. The
 * fixture set is small, so each tool repeats it until it has worked BENCH_SECONDS (default 20)
 * seconds. Items per pass: what each tool produced from the set (ours: mail-folder items; readpst:
 * the files it wrote). Peak RSS is this process's VmHWM (readpst runs as a child and does not count).
 * Last line:
 *   bench:pst msgs=N ours_msg_s=X readpst_msg_s=Y ratio=R peak_rss_mb=M
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pino from 'pino';
import { PstSource } from '../connectors/pst/index.js';
import { fixturesDir, pstFixtures } from '../connectors/pst/readpst-oracle.js';
import { peakRssMb } from '../src/util/memory.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });

/** One pass of ours over every file: items built and MIME bytes. */
async function oursPass(source: PstSource, logins: string[]): Promise<{ items: number; failed: number; mimeBytes: number }> {
  let items = 0;
  let failed = 0;
  let mimeBytes = 0;
  for (const login of logins) {
    const mb = await source.openMailbox({ login });
    try {
      for (const c of await mb.containers()) {
        if (c.skip !== undefined) continue;
        let cursor: string | null = null;
        for (;;) {
          let page;
          try {
            page = await mb.changes(c, cursor, 100);
          } catch {
            break; // an unreadable file: counted by neither side
          }
          for await (const r of mb.read(c, page.items)) {
            if ('error' in r) failed++;
            else { items++; mimeBytes += r.content.length; }
          }
          cursor = page.cursor;
          if (page.done) break;
        }
      }
    } finally {
      await mb.close();
    }
  }
  return { items, failed, mimeBytes };
}

/** One pass of readpst over every file: the items it wrote. */
function readpstPass(files: string[]): number {
  let items = 0;
  for (const file of files) {
    const out = mkdtempSync(join(tmpdir(), 'bench-readpst-'));
    try {
      const r = spawnSync('readpst', ['-D', '-j0', '-e', '-o', out, file], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.error) throw r.error;
      if (r.status !== 0) continue;
      const walk = (dir: string): void => {
        for (const n of readdirSync(dir)) {
          const p = join(dir, n);
          if (statSync(p).isDirectory()) walk(p);
          else if (/^\d+\.(eml|ics|vcf)$/.test(n)) items++;
        }
      };
      walk(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  return items;
}

async function main(): Promise<void> {
  const files = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  if (files.length === 0) throw new Error(`no PST fixtures under ${join(fixturesDir(), 'pst')} (set UMS_FIXTURES_DIR)`);
  const setBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pst-'));
  const logins: string[] = [];
  mkdirSync(join(dir, 'pst'));
  files.forEach((f, i) => {
    const login = `u${i}`;
    copyFileSync(f, join(dir, 'pst', `${login}.pst`));
    logins.push(login);
  });
  process.stdout.write(`${files.length} files, ${(setBytes / MiB).toFixed(1)} MiB per pass: ${files.map((f) => basename(f)).join(', ')}\n`);
  const source = new PstSource({ directory: join(dir, 'pst'), files: '{login}.pst' }, log);

  let oursItems = 0;
  let oursPasses = 0;
  let failed = 0;
  let mimeBytes = 0;
  const t0 = process.hrtime.bigint();
  let oursSeconds = 0;
  do {
    const p = await oursPass(source, logins);
    oursItems += p.items;
    failed += p.failed;
    mimeBytes += p.mimeBytes;
    oursPasses++;
    oursSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (oursSeconds < SECONDS);

  let theirItems = 0;
  let theirPasses = 0;
  const t1 = process.hrtime.bigint();
  let theirSeconds = 0;
  do {
    theirItems += readpstPass(files);
    theirPasses++;
    theirSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  } while (theirSeconds < SECONDS);
  rmSync(dir, { recursive: true, force: true });

  const oursRate = oursItems / oursSeconds;
  const theirRate = theirItems / theirSeconds;
  process.stdout.write(`ums-migrate: ${oursPasses} passes, ${oursItems / oursPasses} items/pass (${failed} unreadable), ${oursSeconds.toFixed(1)} s, `
    + `${oursRate.toFixed(1)} msg/s, ${((setBytes * oursPasses) / MiB / oursSeconds).toFixed(1)} MiB/s of PST, ${(mimeBytes / MiB / oursSeconds).toFixed(1)} MiB/s of MIME\n`);
  process.stdout.write(`readpst:     ${theirPasses} passes, ${theirItems / theirPasses} items/pass, ${theirSeconds.toFixed(1)} s, `
    + `${theirRate.toFixed(1)} msg/s, ${((setBytes * theirPasses) / MiB / theirSeconds).toFixed(1)} MiB/s of PST\n`);
  process.stdout.write(`bench:pst msgs=${oursItems / oursPasses} ours_msg_s=${oursRate.toFixed(1)} readpst_msg_s=${theirRate.toFixed(1)} ratio=${(oursRate / theirRate).toFixed(2)} peak_rss_mb=${peakRssMb()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

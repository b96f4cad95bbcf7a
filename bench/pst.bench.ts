/**
 * npm run bench:pst — PST → messages per second and MiB/s against readpst, same files, same run.
 *
 * Two corpora, each read by both tools in turn:
 *   fixtures  every PST/OST of the shared fixtures (pst/unicode, pst/ansi, pst/ost; UMS_FIXTURES_DIR),
 *             one mailbox per file ("{login}.pst");
 *   larger    BENCH_MAILBOXES (default 8) mailboxes, each holding a copy of every fixture file
 *             ("{login}/*.pst": several PST files per mailbox, the way archives arrive), i.e.
 *             8 × the fixture set in one source directory.
 * Ours: the PST source connector as the engine drives it (folders, pages of 100 listed, every
 * item read and built into RFC 5322 MIME), in this process, without a target. readpst (Debian
 * pst-utils): `readpst -D -j0 -e -o <tmp>` per file, the .eml/.ics/.vcf files it writes. Each
 * tool repeats the corpus until it has worked BENCH_SECONDS (default 20) seconds. Items per pass:
 * what each tool produced (ours: mail-folder items; readpst: the files it wrote). Peak RSS is
 * this process's VmHWM while it read that corpus (reset before each; readpst runs as a child and
 * does not count). BENCH_CORPORA=fixtures (or larger) runs one.
 * One line per corpus, after a line naming it:
 *   bench:pst msgs=N ours_msg_s=X readpst_msg_s=Y ratio=R peak_rss_mb=M
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pino from 'pino';
import { PstSource } from '../connectors/pst/index.js';
import { fixturesDir, pstFixtures } from '../connectors/pst/readpst-oracle.js';
import { peakRssMb } from '../src/util/memory.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 8);
const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });

interface Corpus { name: string; directory: string; pattern: string; logins: string[]; files: string[] }

/** One pass of ours over every mailbox: items built and MIME bytes. */
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

/** Resets VmHWM to the current RSS (Linux ≥ 4.0), so the next peak is this corpus's own. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: the peak is the process's
  }
}

async function runCorpus(c: Corpus): Promise<void> {
  const setBytes = c.files.reduce((n, f) => n + statSync(f).size, 0);
  process.stdout.write(`corpus ${c.name}: ${c.logins.length} mailboxes, ${c.files.length} files, ${(setBytes / MiB).toFixed(1)} MiB per pass\n`);
  const source = new PstSource({ directory: c.directory, files: c.pattern }, log);
  resetPeakRss();

  let oursItems = 0;
  let oursPasses = 0;
  let failed = 0;
  let mimeBytes = 0;
  const t0 = process.hrtime.bigint();
  let oursSeconds = 0;
  do {
    const p = await oursPass(source, c.logins);
    oursItems += p.items;
    failed += p.failed;
    mimeBytes += p.mimeBytes;
    oursPasses++;
    oursSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (oursSeconds < SECONDS);
  const peak = peakRssMb();

  let theirItems = 0;
  let theirPasses = 0;
  const t1 = process.hrtime.bigint();
  let theirSeconds = 0;
  do {
    theirItems += readpstPass(c.files);
    theirPasses++;
    theirSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  } while (theirSeconds < SECONDS);

  const oursRate = oursItems / oursSeconds;
  const theirRate = theirItems / theirSeconds;
  process.stdout.write(`ums-migrate: ${oursPasses} passes, ${oursItems / oursPasses} items/pass (${failed} unreadable), ${oursSeconds.toFixed(1)} s, `
    + `${oursRate.toFixed(1)} msg/s, ${((setBytes * oursPasses) / MiB / oursSeconds).toFixed(1)} MiB/s of PST, ${(mimeBytes / MiB / oursSeconds).toFixed(1)} MiB/s of MIME\n`);
  process.stdout.write(`readpst:     ${theirPasses} passes, ${theirItems / theirPasses} items/pass, ${theirSeconds.toFixed(1)} s, `
    + `${theirRate.toFixed(1)} msg/s, ${((setBytes * theirPasses) / MiB / theirSeconds).toFixed(1)} MiB/s of PST\n`);
  process.stdout.write(`bench:pst msgs=${oursItems / oursPasses} ours_msg_s=${oursRate.toFixed(1)} readpst_msg_s=${theirRate.toFixed(1)} ratio=${(oursRate / theirRate).toFixed(2)} peak_rss_mb=${peak}\n`);
}

async function main(): Promise<void> {
  const fixtures = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  if (fixtures.length === 0) throw new Error(`no PST fixtures under ${join(fixturesDir(), 'pst')} (set UMS_FIXTURES_DIR)`);
  const wanted = new Set((process.env.BENCH_CORPORA ?? 'fixtures,larger').split(','));
  const dir = mkdtempSync(join(tmpdir(), 'bench-pst-'));
  try {
    if (wanted.has('fixtures')) {
      const directory = join(dir, 'fixtures');
      mkdirSync(directory);
      const files = fixtures.map((f, i) => {
        const copy = join(directory, `u${i}.pst`);
        copyFileSync(f, copy);
        return copy;
      });
      process.stdout.write(`fixtures: ${fixtures.map((f) => basename(f)).join(', ')}\n`);
      await runCorpus({ name: 'fixtures', directory, pattern: '{login}.pst', logins: fixtures.map((_, i) => `u${i}`), files });
    }
    if (wanted.has('larger')) {
      const directory = join(dir, 'larger');
      const logins: string[] = [];
      const files: string[] = [];
      for (let m = 0; m < MAILBOXES; m++) {
        const login = `m${m}`;
        mkdirSync(join(directory, login), { recursive: true });
        logins.push(login);
        fixtures.forEach((f, i) => {
          const copy = join(directory, login, `${String(i).padStart(2, '0')}-${basename(f).replace(/\.ost$/i, '.pst')}`);
          copyFileSync(f, copy);
          files.push(copy);
        });
      }
      await runCorpus({ name: `larger (${MAILBOXES} mailboxes × ${fixtures.length} files)`, directory, pattern: '{login}/*.pst', logins, files });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

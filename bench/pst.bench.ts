/**
 * npm run bench:pst — PST → messages per second and MiB/s against readpst, same files, same run.
 *
 * Two corpora, each read by both tools in turn:
 *   fixtures  every PST/OST of the shared fixtures (pst/unicode, pst/ansi, pst/ost; UMS_FIXTURES_DIR),
 *             one mailbox per file ("{login}.pst");
 *   larger    BENCH_MAILBOXES (default 8) mailboxes, each holding a copy of every fixture file
 *             ("{login}/*.pst": several PST files per mailbox, the way archives arrive), i.e.
 *             8 × the fixture set in one source directory.
 * Ours (bench/pst-ours.ts): the PST source connector as the engine drives it (folders, pages of
 * 100 listed, every item read and built into RFC 5322 MIME), without a target, in a process of
 * its own per corpus, started from an esbuild bundle of the sources as the compiled CLI runs
 * (tsx's loader thread, about 40 MB, is development tooling; BENCH_TSX=1 or no esbuild: through
 * tsx). readpst (Debian pst-utils): `readpst -D -j0 -e -o <tmp>` per file, the .eml/.ics/.vcf files
 * it writes. Each tool repeats the corpus until it has worked BENCH_SECONDS (default 20) seconds.
 * Items per pass: what each tool produced (ours: mail-folder items; readpst: the files it wrote).
 * Peak RSS: VmHWM of ours's process for that corpus. BENCH_CORPORA=fixtures (or larger) runs one.
 * One line per corpus, after a line naming it:
 *   bench:pst msgs=N ours_msg_s=X readpst_msg_s=Y ratio=R peak_rss_mb=M
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturesDir, pstFixtures } from '../connectors/pst/readpst-oracle.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 8);
const MiB = 1024 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Corpus { name: string; directory: string; pattern: string; logins: string[]; files: string[] }
interface OursResult { items: number; failed: number; mimeBytes: number; passes: number; seconds: number; peakRssMb: number }

/** bench/pst-ours.ts bundled (its packages stay imports from node_modules), or undefined when esbuild cannot. */
function bundleOurs(): string | undefined {
  if (process.env.BENCH_TSX === '1') return undefined;
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return undefined;
  const out = join(root, 'node_modules', '.cache', 'ums-bench', 'pst-ours.mjs');
  const r = spawnSync(esbuild, [join(root, 'bench', 'pst-ours.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external',
    '--log-level=error', `--outfile=${out}`], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}

/** Runs ours over the corpus in a process of its own. */
function runOurs(c: Corpus, bundle: string | undefined): OursResult {
  const args = bundle ? [bundle] : ['--import', 'tsx', join(root, 'bench', 'pst-ours.ts')];
  const r = spawnSync(process.execPath, args, {
    cwd: root, encoding: 'utf8', maxBuffer: 1024 * 1024,
    env: { ...process.env, BENCH_OURS: JSON.stringify({ directory: c.directory, pattern: c.pattern, logins: c.logins, seconds: SECONDS }) },
  });
  if (r.status !== 0) throw new Error(`ours failed on ${c.name}: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as OursResult;
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

async function runCorpus(c: Corpus, bundle: string | undefined): Promise<void> {
  const setBytes = c.files.reduce((n, f) => n + statSync(f).size, 0);
  process.stdout.write(`corpus ${c.name}: ${c.logins.length} mailboxes, ${c.files.length} files, ${(setBytes / MiB).toFixed(1)} MiB per pass\n`);
  const ours = runOurs(c, bundle);

  let theirItems = 0;
  let theirPasses = 0;
  const t1 = process.hrtime.bigint();
  let theirSeconds = 0;
  do {
    theirItems += readpstPass(c.files);
    theirPasses++;
    theirSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  } while (theirSeconds < SECONDS);

  const oursRate = ours.items / ours.seconds;
  const theirRate = theirItems / theirSeconds;
  process.stdout.write(`ums-migrate: ${ours.passes} passes, ${ours.items / ours.passes} items/pass (${ours.failed} unreadable), ${ours.seconds.toFixed(1)} s, `
    + `${oursRate.toFixed(1)} msg/s, ${((setBytes * ours.passes) / MiB / ours.seconds).toFixed(1)} MiB/s of PST, ${(ours.mimeBytes / MiB / ours.seconds).toFixed(1)} MiB/s of MIME\n`);
  process.stdout.write(`readpst:     ${theirPasses} passes, ${theirItems / theirPasses} items/pass, ${theirSeconds.toFixed(1)} s, `
    + `${theirRate.toFixed(1)} msg/s, ${((setBytes * theirPasses) / MiB / theirSeconds).toFixed(1)} MiB/s of PST\n`);
  process.stdout.write(`bench:pst msgs=${ours.items / ours.passes} ours_msg_s=${oursRate.toFixed(1)} readpst_msg_s=${theirRate.toFixed(1)} ratio=${(oursRate / theirRate).toFixed(2)} peak_rss_mb=${ours.peakRssMb}\n`);
}

async function main(): Promise<void> {
  const fixtures = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  if (fixtures.length === 0) throw new Error(`no PST fixtures under ${join(fixturesDir(), 'pst')} (set UMS_FIXTURES_DIR)`);
  const wanted = new Set((process.env.BENCH_CORPORA ?? 'fixtures,larger').split(','));
  const bundle = bundleOurs();
  process.stdout.write(`ours runs ${bundle ? 'from an esbuild bundle of the sources (as the compiled CLI, without tsx)' : 'through tsx'}\n`);
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
      await runCorpus({ name: 'fixtures', directory, pattern: '{login}.pst', logins: fixtures.map((_, i) => `u${i}`), files }, bundle);
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
      await runCorpus({ name: `larger (${MAILBOXES} mailboxes × ${fixtures.length} files)`, directory, pattern: '{login}/*.pst', logins, files }, bundle);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

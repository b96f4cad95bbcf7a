/**
 * npm run bench:pst — PST → messages per second and MiB/s against readpst, same files, same run.
 *
 * Two corpora, each read by both tools in turn:
 *   fixtures  every PST/OST of the shared fixtures (pst/unicode, pst/ansi, pst/ost; UMS_FIXTURES_DIR),
 *             one mailbox per file ("{login}.pst");
 *   larger    BENCH_MAILBOXES (default 8) mailboxes, each holding a copy of every fixture file
 *             ("{login}/*.pst": several PST files per mailbox, the way archives arrive), i.e.
 *             8 × the fixture set in one source directory.
 * Ours (bench/pst-ours.ts): the PST source connector as the engine drives it with `groupware: true`
 * (folders, pages of 100 listed, every item read and built: mail into RFC 5322 MIME, calendar,
 * contact and task items into iCalendar / vCard), without a target, in a process of
 * its own per corpus, started from an esbuild bundle of the sources as the compiled CLI runs
 * (tsx's loader thread, about 40 MB, is development tooling; BENCH_TSX=1 or no esbuild: through
 * tsx). readpst (Debian pst-utils): `readpst -D -j0 -e -o <tmp>` per file, the .eml/.ics/.vcf files
 * it writes; its time is that of its processes only (listing and removing what it wrote is not counted).
 * After one untimed pass each (its time is printed: ours pays module loading, JIT compilation and
 * the zone tables once per process, as a migration does once for all its items; both get the
 * files into the OS page cache), the tools take turns, one pass over the corpus each (so both
 * meet the same load on a shared machine), until each has worked BENCH_SECONDS (default 20)
 * seconds. Every pass opens every file afresh, as a run does; nothing read from them is kept between passes.
 * Both sides count the same thing: every item they produced, mail, calendar and contact items
 * alike (ours: items built; readpst: the .eml/.ics/.vcf files written). On the fixtures ours builds
 * 184 items per pass, readpst 179: readpst skips one contact item in each of java-libpst's two files
 * and the three items of pstsdk's test files, which ours converts.
 * Rates are items per second of wall time; a line before the bench:pst line gives them per CPU
 * second as well (ours: every thread of its process, GC helpers included; readpst: its processes'
 * user + system time), which a loaded machine distorts far less than wall time.
 * Peak RSS: VmHWM of ours's process for that corpus. BENCH_CORPORA=fixtures (or larger) runs one.
 * One line per corpus, after a line naming it:
 *   bench:pst msgs=N ours_msg_s=X readpst_msg_s=Y ratio=R peak_rss_mb=M
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fixturesDir, pstFixtures } from '../connectors/pst/readpst-oracle.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 8);
const MiB = 1024 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Corpus { name: string; directory: string; pattern: string; logins: string[]; files: string[] }
interface PassResult { items: number; failed: number; mimeBytes: number; seconds: number; cpuSeconds: number }

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) of this process's waited-for children so far (/proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

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

/** Ours in a process of its own for one corpus: a pass on each request (bench/pst-ours.ts). */
class Ours {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  constructor(c: Corpus, bundle: string | undefined) {
    const args = bundle ? [bundle] : ['--import', 'tsx', join(root, 'bench', 'pst-ours.ts')];
    this.child = spawn(process.execPath, args, {
      cwd: root, stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_OURS: JSON.stringify({ directory: c.directory, pattern: c.pattern, logins: c.logins }) },
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  private async ask<T>(request: string): Promise<T> {
    this.child.stdin!.write(`${request}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error(`ours exited (code ${this.child.exitCode ?? '?'}) on "${request}"`);
    return JSON.parse(line.value) as T;
  }

  pass(): Promise<PassResult> { return this.ask('pass'); }

  async end(): Promise<number> {
    const { peakRssMb } = await this.ask<{ peakRssMb: number }>('end');
    this.child.stdin!.end();
    return peakRssMb;
  }
}

/** One pass of readpst over every file: the items it wrote, the seconds its processes ran and the CPU seconds they used. */
function readpstPass(files: string[]): { items: number; seconds: number; cpuSeconds: number } {
  let items = 0;
  let seconds = 0;
  const cpu0 = childrenCpuSeconds();
  for (const file of files) {
    const out = mkdtempSync(join(tmpdir(), 'bench-readpst-'));
    try {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('readpst', ['-D', '-j0', '-e', '-o', out, file], { stdio: ['ignore', 'ignore', 'pipe'] });
      seconds += Number(process.hrtime.bigint() - t0) / 1e9;
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
  return { items, seconds, cpuSeconds: childrenCpuSeconds() - cpu0 };
}

async function runCorpus(c: Corpus, bundle: string | undefined): Promise<void> {
  const setBytes = c.files.reduce((n, f) => n + statSync(f).size, 0);
  process.stdout.write(`corpus ${c.name}: ${c.logins.length} mailboxes, ${c.files.length} files, ${(setBytes / MiB).toFixed(1)} MiB per pass\n`);
  // one pass of each tool in turn, so both run under the same load (the machine may be shared),
  // after one untimed pass each (ours: module loading, JIT, the zone tables; both: the page cache)
  const child = new Ours(c, bundle);
  const warm = { ours: (await child.pass()).seconds, readpst: readpstPass(c.files).seconds };
  const ours = { items: 0, failed: 0, mimeBytes: 0, seconds: 0, cpuSeconds: 0, passes: 0, peakRssMb: 0 };
  let theirItems = 0;
  let theirPasses = 0;
  let theirSeconds = 0;
  let theirCpu = 0;
  while (ours.seconds < SECONDS || theirSeconds < SECONDS) {
    if (ours.seconds < SECONDS) {
      const p = await child.pass();
      ours.items += p.items;
      ours.failed += p.failed;
      ours.mimeBytes += p.mimeBytes;
      ours.seconds += p.seconds;
      ours.cpuSeconds += p.cpuSeconds;
      ours.passes++;
    }
    if (theirSeconds < SECONDS) {
      const p = readpstPass(c.files);
      theirItems += p.items;
      theirSeconds += p.seconds;
      theirCpu += p.cpuSeconds;
      theirPasses++;
    }
  }
  ours.peakRssMb = await child.end();

  process.stdout.write(`first pass (not counted): ums-migrate ${warm.ours.toFixed(2)} s, readpst ${warm.readpst.toFixed(2)} s\n`);
  const oursRate = ours.items / ours.seconds;
  const theirRate = theirItems / theirSeconds;
  process.stdout.write(`ums-migrate: ${ours.passes} passes, ${ours.items / ours.passes} items/pass (${ours.failed} unreadable), ${ours.seconds.toFixed(1)} s, `
    + `${oursRate.toFixed(1)} msg/s, ${((setBytes * ours.passes) / MiB / ours.seconds).toFixed(1)} MiB/s of PST, ${(ours.mimeBytes / MiB / ours.seconds).toFixed(1)} MiB/s of MIME/iCalendar/vCard\n`);
  process.stdout.write(`readpst:     ${theirPasses} passes, ${theirItems / theirPasses} items/pass, ${theirSeconds.toFixed(1)} s, `
    + `${theirRate.toFixed(1)} msg/s, ${((setBytes * theirPasses) / MiB / theirSeconds).toFixed(1)} MiB/s of PST\n`);
  const oursCpuRate = ours.items / ours.cpuSeconds;
  const theirCpuRate = theirItems / theirCpu;
  process.stdout.write(`cpu time:    ums-migrate ${oursCpuRate.toFixed(1)} msg per CPU second, readpst ${theirCpuRate.toFixed(1)}: cpu_ratio=${(oursCpuRate / theirCpuRate).toFixed(2)}\n`);
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

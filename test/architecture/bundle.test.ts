/**
 * The bundle bin/ums-migrate.js runs (dist/bundle/, made by bin/bundle.mjs in `npm run build`):
 * built here from the sources into a folder of its own, it starts, finds its package.json, and
 * every chunk — each lazily imported connector, with the npm packages bundled into it — loads
 * under Node (no CommonJS-only global such as __dirname reached at load, no external missing).
 * The e2e suites run the real bundle through bin/ when the build is fresh. And bin/ums-migrate.js,
 * executed as a program, starts Node with the memory settings its first lines name; `run` and `worker`
 * load no mail-conversion code until a connector or transform needs it, and `worker` no fetch code.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// inside the repository, as dist/bundle is: the program finds its package.json by walking up
const outdir = path.join(root, 'dist', `bundle-check-${process.pid}`);

beforeAll(async () => {
  await run(process.execPath, [path.join(root, 'bin', 'bundle.mjs'), path.join(root, 'src', 'cli.ts'), outdir]);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

test('the bundle starts and prints the package version', async () => {
  const { stdout } = await run(process.execPath, [path.join(outdir, 'cli.js'), '--version']);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  expect(stdout.trim()).toBe(pkg.version);
});

test('every chunk of the bundle loads', async () => {
  const chunks = readdirSync(outdir).filter((f) => f.endsWith('.js') && f !== 'cli.js' && f !== 'probe.cjs');
  expect(chunks.length).toBeGreaterThan(10); // the connectors are split off, loaded when configured
  const script = `for (const f of ${JSON.stringify(chunks.map((f) => pathToFileURL(path.join(outdir, f)).href))}) await import(f); console.log('loaded');`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: outdir });
  expect(stdout.trim()).toBe('loaded');
}, 60_000);

/** The chunk a command's code starts in (`run-XXXXXXXX.js`, `worker-XXXXXXXX.js`). */
function entryOf(command: string): string {
  const entry = readdirSync(outdir).find((f) => new RegExp(`^${command}-[A-Z0-9]{8}\\.js$`).test(f));
  expect(entry).toBeDefined();
  return entry as string;
}

/** The chunks `file` imports statically (what loads with it), itself included. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(path.join(outdir, file), 'utf8');
  for (const m of text.matchAll(/^import\s+(?:[^'"]*?from\s+)?["'](\.\/[^'"]+)["']/gm)) staticClosure((m[1] as string).slice(2), seen);
  return seen;
}

test('`run` and `worker` load no mail-conversion code before a connector needs it (the TNEF decoder, nodemailer)', () => {
  for (const command of ['run', 'worker']) {
    // the bundle names each source it holds in a comment line: `// src/engine/job.ts`
    const sources = [...staticClosure(entryOf(command))]
      .flatMap((f) => [...readFileSync(path.join(outdir, f), 'utf8').matchAll(/^\/\/ ((?:src|mappings|connectors|node_modules)\/\S+)$/gm)].map((m) => m[1] as string));
    expect(sources).toContain('src/engine/job.ts');
    // decodeTnef is off by default: its decoder is imported when a run starts with it on
    const decoder = (f: string) => (f.startsWith('mappings/tnef/') && f !== 'mappings/tnef/transform.ts') || f.startsWith('mappings/mapi/') || f.startsWith('node_modules/nodemailer/');
    expect(sources.filter(decoder)).toEqual([]);
  }
});

test('`worker` loads its PostgreSQL client and job queue without Node\'s fetch (undici; patches/pg+8.23.1.patch)', async () => {
  // pg probes for Cloudflare Workers by reading the global Response, which on Node 20 loads undici
  const script = `await import(${JSON.stringify(pathToFileURL(path.join(outdir, entryOf('worker'))).href)}); await import('graphile-worker');
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => /undici|fetch/.test(m))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  expect(JSON.parse(stdout.trim())).toEqual([]);
}, 60_000);

test('run as a program, bin/ums-migrate.js starts Node with the memory settings of its first lines', async () => {
  // a preload that reports what the process was started with, then the CLI prints its version
  const probe = path.join(outdir, 'probe.cjs');
  writeFileSync(probe, "process.stderr.write(JSON.stringify({ execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX }) + '\\n');\n");
  const { stdout, stderr } = await run(path.join(root, 'bin', 'ums-migrate.js'), ['--version'], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } });
  expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  const started = JSON.parse(stderr.trim().split('\n')[0] as string) as { execArgv: string[]; arenas?: string };
  expect(started.execArgv).toContain('--max-semi-space-size=2');
  expect(started.execArgv).toContain('--heap-growing-percent=50');
  expect(started.arenas).toBe('2');
});

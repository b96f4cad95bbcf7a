/**
 * The bundle bin/ums-migrate.js runs (dist/bundle/, made by bin/bundle.mjs in `npm run build`):
 * built here from the sources into a folder of its own, it starts, finds its package.json, and
 * every chunk — each lazily imported connector, with the npm packages bundled into it — loads
 * under Node (no CommonJS-only global such as __dirname reached at load, no external missing).
 * The e2e suites run the real bundle through bin/ when the build is fresh.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
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
  const chunks = readdirSync(outdir).filter((f) => f.endsWith('.js') && f !== 'cli.js');
  expect(chunks.length).toBeGreaterThan(10); // the connectors are split off, loaded when configured
  const script = `for (const f of ${JSON.stringify(chunks.map((f) => pathToFileURL(path.join(outdir, f)).href))}) await import(f); console.log('loaded');`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: outdir });
  expect(stdout.trim()).toBe('loaded');
}, 60_000);

#!/usr/bin/env node
// Second half of `npm run build` (after tsc): bundles dist/src/cli.js and what it imports, npm
// packages included, into dist/bundle/ with esbuild; bin/ums-migrate.js runs it when it is at least
// as new as dist/src/cli.js. Measured (README "Benchmark"): a process starts with ~0.4 CPU-seconds
// less (hundreds of module files resolved, read and compiled otherwise) and peaks ~20 MB lower,
// which counts once per run and per worker process (`bench:workers` confines each to 0.1 cores).
// Connectors stay lazily loaded (each `import()` becomes a chunk). Left outside the bundle:
// native addons, and graphile-worker (its config loader pulls in cosmiconfig and TypeScript, and
// finds files next to its own modules).
//
//   node bin/bundle.mjs [ENTRY OUTDIR]   default: dist/src/cli.js into dist/bundle/ (test/architecture/
//                                        bundle.test.ts bundles src/cli.ts elsewhere and loads every chunk)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry = join(root, 'dist', 'src', 'cli.js'), outdir = join(root, 'dist', 'bundle')] = process.argv.slice(2);
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [entry],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg-native', 'graphile-worker'],
  // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
  banner: { js: "import { createRequire as __umsCreateRequire } from 'node:module'; const require = __umsCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});

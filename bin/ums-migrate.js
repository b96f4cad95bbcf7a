#!/bin/sh
':' //; exec env MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --heap-growing-percent=50 "$0" "$@"
// Run as a program (`ums-migrate`, `bin/ums-migrate.js`), the shell runs the line above (to
// JavaScript a string and a comment; `env -S` in the first line would do the same but is missing
// from busybox and older coreutils): Node gets a young generation of 2 MB instead of 16 and glibc
// two malloc arenas. A four-mailbox WAN run peaked at 149–165 MB instead of 195–204, one mailbox
// at 129–136 instead of 161–181, CPU within the noise (README "Benchmark"). And the old
// generation grows by half its live size between full collections, not by up to four times: a
// long run's heap swung 23–80 MB (a 100,000-message folder peaked at 214 MB when its 40 MB message
// met the top of a swing); 20,000 messages peaked at 139–145 MB instead of 159–187, CPU 12.4–15.3
// s against 12.1–13.3 (perhaps a small cost: full collections come more often). The first two
// cannot be set once the process runs (the third is set with them); `node bin/ums-migrate.js`
// runs without them.
// Entry point. Runs the compiled build (dist/, made by `npm run build`, which `npm ci` runs through
// `prepare`) when it is at least as new as every source file — its bundle (dist/bundle/, see
// bin/bundle.mjs) when that is at least as new as the compiled files; otherwise the TypeScript
// sources through tsx, so a stale build never runs. The build starts faster and uses less memory
// (tsx's loader hooks live in a thread of their own), the bundle more so.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli.js');
const bundled = join(root, 'dist', 'bundle', 'cli.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const fresh = existsSync(built)
  && ['src', 'connectors', 'mappings', 'jobs', 'reports', join('test', 'lab')].every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= statSync(built).mtimeMs);
if (fresh && !process.env.UMS_FROM_SOURCE) {
  const bundleFresh = existsSync(bundled) && statSync(bundled).mtimeMs >= statSync(built).mtimeMs;
  // UMS_UNBUNDLED=1: the compiled files one by one (to compare).
  await import(pathToFileURL(bundleFresh && !process.env.UMS_UNBUNDLED ? bundled : built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}

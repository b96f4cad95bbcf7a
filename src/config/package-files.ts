/**
 * Files shipped with ums-migrate that messages point to: the documented example config (to start
 * a migration.yaml from) and package.json (for `--version`). Found by walking up from this module
 * (src/config/ when run from source, dist/src/config/ when built).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coerceError } from '../util/errors.js';

let root: string | undefined;

/** The directory holding ums-migrate's package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'ums-migrate') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('ums-migrate: package.json not found above the program');
    dir = up;
  }
}

/** package.json's version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Why the config file at `abs` cannot be read, with its full path; when it does not exist, how to
 * start one from the example (`cp migration.example.yaml migration.yaml`, the example named by a
 * path that works from the current directory).
 */
export function unreadableConfigMessage(abs: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : undefined;
  let message = `cannot read config file ${abs}: ${why !== undefined ? `${why} (${code})` : code ?? coerceError(err).message}`;
  if (code === 'ENOENT') {
    const example = path.join(packageRoot(), 'migration.example.yaml');
    const relExample = path.relative(process.cwd(), example);
    const relTarget = path.relative(process.cwd(), abs);
    const shown = (p: string, rel: string) => shellWord(rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p);
    message += `; to start one from the documented example: cp ${shown(example, relExample)} ${shown(abs, relTarget)}` +
      ', then edit it (or give another file with -c FILE)';
  }
  return message;
}

/** `p` as one shell word. */
function shellWord(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`;
}

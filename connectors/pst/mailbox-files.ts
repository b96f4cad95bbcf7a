/**
 * Which PST files belong to a mailbox, and a stable identity (epoch) for each.
 *
 * The pattern (source.files) is a path below source.directory where "{login}" stands for the
 * mailbox's source login and "*" for any characters inside one path segment:
 * "{login}.pst", "{login}/*.pst", "*-{login}.pst". Matching is case-sensitive; files are
 * returned sorted by their path.
 *
 * Epoch: sha256 over the file size, the first 64 KiB (the header: format, the B-tree roots and
 * dwUnique, which Outlook bumps on every change) and the last 64 KiB. It survives a copy, rename
 * or touch of the file; a file Outlook changed or a new export gets a new epoch, and the engine
 * then re-verifies instead of copying blindly. Reads 128 KiB whatever the file's size.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const EDGE = 64 * 1024;

/** Files for `login` matching `pattern` below `directory`. Throws when the login cannot be a file name part. */
export function mailboxFiles(directory: string, pattern: string, login: string): string[] {
  if (login.includes('/') || login.includes('\\') || login === '.' || login === '..' || login.includes('\0')) {
    throw new Error(`source login ${JSON.stringify(login)} cannot name a file (it contains a path separator or is "." / "..")`);
  }
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.').map((s) => s.split('{login}').join(login));
  let dirs = [directory];
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of dirs) {
      if (!seg.includes('*')) {
        const p = join(dir, seg);
        if (exists(p, last)) next.push(p);
        continue;
      }
      const re = new RegExp(`^${seg.split('*').map(escapeRegExp).join('.*')}$`);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names.sort()) if (re.test(n) && exists(join(dir, n), last)) next.push(join(dir, n));
    }
    dirs = next;
  }
  return dirs.sort();
}

function exists(p: string, file: boolean): boolean {
  try {
    const st = statSync(p);
    return file ? st.isFile() : st.isDirectory();
  } catch {
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The file's path below the directory, with "/" separators (its name in container ids and messages). */
export function fileLabel(directory: string, file: string): string {
  return relative(directory, file).split(sep).join('/');
}

/** The epoch of a file (see the top of this module). */
export function fileIdentity(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const hash = createHash('sha256').update(String(size));
    const head = Buffer.alloc(Math.min(EDGE, size));
    readSync(fd, head, 0, head.length, 0);
    hash.update(head);
    if (size > EDGE) {
      const tail = Buffer.alloc(Math.min(EDGE, size - EDGE));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return `${size}-${hash.digest('hex').slice(0, 16)}`;
  } finally {
    closeSync(fd);
  }
}

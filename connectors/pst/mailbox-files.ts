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
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkLogin, patternSegments, segmentMatcher } from '../file-tree/login-path.js';
import { openListedFile } from '../file-tree/listed-file.js';
import { judgeEntry, type ListedFile, type RefusedEntry } from '../file-tree/tree-walk.js';
import { reasonOf } from '../../src/util/errors.js';
import { openPst, PstFileError, type OpenPstOptions, type PstReader } from './pst-reader.js';

const EDGE = 64 * 1024;

/**
 * Files for `login` matching `pattern` below `directory`, and the entries the pattern matched
 * that are not used, with the reason: FIFOs, sockets, devices, and symbolic links whose real path
 * is not itself a match of the same login's pattern (a link `alice.pst` → `bob.pst` or →
 * `/etc/passwd` is refused; `alice/current.pst` → `alice/2020.pst` is read once, as its target).
 * Glob characters in the login match only themselves. Throws when the login cannot be a file name part.
 * `listed`: the files with the device + inode the walk saw (`openListedFile` opens exactly those).
 */
export function mailboxEntries(directory: string, pattern: string, login: string): { files: string[]; listed: ListedFile[]; refused: RefusedEntry[] } {
  checkLogin(login, 'pst');
  const matchers = patternSegments(pattern).map((seg) => segmentMatcher(seg, login));
  let realDir: string;
  try {
    realDir = realpathSync(directory);
  } catch {
    return { files: [], listed: [], refused: [] };
  }
  /** Files are named below the configured directory (their labels are container ids), also when it is a link. */
  const named = (real: string) => join(directory, relative(realDir, real));
  /** A real path below the directory that the pattern matches segment for segment, to `depth`. */
  const matchesUpTo = (real: string, depth: number): boolean => {
    const rel = relative(realDir, real).split(sep);
    return rel.length === depth + 1 && !rel.includes('..') && rel.every((seg, i) => matchers[i]!.test(seg));
  };
  const refused: RefusedEntry[] = [];
  /** The files as the walk saw them (device + inode), by real path. */
  const seen = new Map<string, ListedFile>();
  let dirs = [realDir];
  for (const [i, m] of matchers.entries()) {
    const last = i === matchers.length - 1;
    const next = new Set<string>();
    for (const dir of dirs) {
      let names: string[];
      if (m.literal !== undefined) names = [m.literal];
      else {
        try {
          names = readdirSync(dir).filter((n) => m.test(n)).sort();
        } catch {
          continue;
        }
      }
      for (const name of names) {
        const p = join(dir, name);
        if (!lstatSync(p, { throwIfNoEntry: false })) continue;
        const label = fileLabel(realDir, p);
        const v = judgeEntry(p, name, realDir, label);
        if (v.type === 'refused') {
          refused.push({ name, path: named(p), reason: v.reason });
          continue;
        }
        const real = v.type === 'file' ? v.file.path : v.path;
        const link = v.type === 'file' ? v.file.link : v.link;
        if (link && !matchesUpTo(real, i)) {
          refused.push({ name, path: named(p), reason: `${label}: a symbolic link to ${fileLabel(realDir, real)}, which is not a file of ${login} (${pattern}): not followed` });
          continue;
        }
        if (last ? v.type === 'file' : v.type === 'dir') next.add(real);
        if (last && v.type === 'file') seen.set(real, { ...v.file, path: named(real) });
      }
    }
    dirs = [...next];
  }
  const listed = dirs.map((real) => seen.get(real)!).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: listed.map((f) => f.path), listed, refused };
}

/** The files of `mailboxEntries` (refused entries left out). */
export function mailboxFiles(directory: string, pattern: string, login: string): string[] {
  return mailboxEntries(directory, pattern, login).files;
}

/**
 * Opens a file `mailboxEntries` listed: exactly that file (`openListedFile`: not a symbolic link
 * or FIFO swapped in since the walk, the same device + inode), its epoch and the reader both
 * from that one descriptor. Throws PstFileError naming the file and the reason; nothing is read
 * from a file that fails the checks.
 */
export async function openMailboxFile(file: ListedFile, options: Omit<OpenPstOptions, 'fd'> = {}): Promise<{ reader: PstReader; epoch: string }> {
  let fd: number;
  try {
    fd = openListedFile(file);
  } catch (err) {
    const why = reasonOf(err);
    throw new PstFileError(file.path, why.startsWith(`${file.path}: `) ? why.slice(file.path.length + 2) : why, undefined, { cause: err });
  }
  let epoch: string;
  try {
    epoch = fileIdentity(fd);
  } catch (err) {
    closeSync(fd);
    throw new PstFileError(file.path, `cannot read: ${reasonOf(err)}`, undefined, { cause: err });
  }
  return { reader: await openPst(file.path, { ...options, fd }), epoch };
}

/** The file's path below the directory, with "/" separators (its name in container ids and messages). */
export function fileLabel(directory: string, file: string): string {
  return relative(directory, file).split(sep).join('/');
}

const scratch = Buffer.alloc(EDGE);

/** The epoch of a file (see the top of this module): by path (not following a link), or of a descriptor open on it. */
export function fileIdentity(file: string | number): string {
  const fd = typeof file === 'number' ? file : openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const size = fstatSync(fd).size;
    const hash = createHash('sha256').update(String(size));
    // one scratch buffer for every file (a file's identity is taken each time a mailbox is opened)
    const head = scratch.subarray(0, Math.min(EDGE, size));
    head.fill(0);
    readSync(fd, head, 0, head.length, 0);
    hash.update(head);
    if (size > EDGE) {
      const tail = scratch.subarray(0, Math.min(EDGE, size - EDGE));
      tail.fill(0);
      readSync(fd, tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return `${size}-${hash.digest('hex').slice(0, 16)}`;
  } finally {
    if (typeof file !== 'number') closeSync(fd);
  }
}

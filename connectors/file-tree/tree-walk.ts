/**
 * The one safe walk of a mailbox's directory tree, shared by the file sources (kopano-tree, .msg;
 * the PST file pattern and the kopano-backup user directory use `judgeEntry` / `confinedFile`). What it
 * never does:
 *
 * - follow a symbolic link out of the tree: a link whose real path is outside the walked root (to
 *   another user's export, to /etc/passwd) is refused with a reason naming the link and its target.
 *   A link that stays inside the tree is followed (its file is read through its real path);
 * - read a directory twice: directories are known by device + inode, so a symlink loop, a bind
 *   mount of an ancestor or a second link to a directory is refused ("the same directory as …")
 *   instead of walked forever or read twice. Real directories are walked before linked ones, so a
 *   directory keeps its real name;
 * - open a FIFO, socket or device (a FIFO named `4.eml` would block the run forever): refused with
 *   what it is.
 *
 * Refused entries are returned with their directory, so the sources list them as skipped items
 * (status --problems, the report, plan) instead of only logging them. Files are listed with their
 * device + inode; `readListedFile` (listed-file.ts) reads exactly that file or refuses.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { reasonOf } from '../../src/util/errors.js';

/** A regular file as listed (what `readListedFile` checks before reading). */
export interface ListedFile {
  name: string;
  /** The path to read: the entry itself, or for a symbolic link inside the tree the real path it leads to. */
  path: string;
  size: number;
  mtime: Date;
  /** When the entry arrived in the tree, as a sortable key (see `arrivalKey`). */
  arrival: string;
  dev: number;
  ino: number;
  /** Set when the entry is a symbolic link (inside the tree): the link's own path. */
  link?: string;
}

/** An entry the walk does not use, with why (sentence naming the entry). */
export interface RefusedEntry {
  name: string;
  path: string;
  reason: string;
  /** The entry's own modification time (lstat), when it could be read. */
  mtime?: Date;
  /** When the entry arrived in the tree (see `arrivalKey`), when it could be read. */
  arrival?: string;
}

/** A directory holding files or refused entries; `rel` = its path below the root (empty: the root). */
export interface TreeDir {
  rel: string[];
  path: string;
  files: ListedFile[];
  refused: RefusedEntry[];
}

export type EntryVerdict =
  | { type: 'file'; file: ListedFile }
  | { type: 'dir'; path: string; st: Stats; link?: string }
  | { type: 'refused'; reason: string; mtime?: Date; arrival?: string };

/**
 * When an entry arrived in the tree, as a key that sorts as time: its inode change time (ctime)
 * in microseconds. Unlike the modification time, no tool can set it (`cp -p`, `rsync -a`, `tar x`
 * and `touch -d` keep or set an old mtime; creating, renaming or linking a file sets its ctime to
 * now), so a file dropped into the tree after a pass always sorts after everything that pass
 * listed, and a cursor over this key never skips it. A file whose ctime moves later (chmod, a new
 * link) is only listed again, and the engine skips what it already copied. (A system clock set
 * back between passes can defeat it.)
 */
export function arrivalKey(...stats: Stats[]): string {
  const us = Math.max(...stats.map((st) => Math.round(st.ctimeMs * 1000)));
  // "c" sorts after the digits of the mtime keys earlier versions stored in cursors: such a cursor
  // lists the folder again (copied items are skipped), never skips a file
  return `c${String(us).padStart(20, '0')}`;
}

/** The message of a file-system error (also one thrown in another realm, where `instanceof Error` fails). */
export function fsReason(err: unknown): string {
  const message = typeof err === 'object' && err !== null && 'message' in err ? String((err as { message: unknown }).message) : String(err);
  return reasonOf(message);
}

/** "a FIFO (named pipe)", "a socket"… for an entry that is neither a file nor a directory. */
export function describeSpecial(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** True when `real` is `root` or below it (both real paths). */
export function isInside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** `link`: the symbolic link (inside the tree) the file was reached by, with its own lstat. */
function listedFile(name: string, path: string, st: Stats, link?: { path: string; st: Stats }): ListedFile {
  return { name, path, size: st.size, mtime: st.mtime, arrival: link ? arrivalKey(st, link.st) : arrivalKey(st), dev: st.dev, ino: st.ino, ...(link ? { link: link.path } : {}) };
}

/**
 * What one directory entry is, without following a link out of `realRoot` (a real path) and
 * without opening anything. `label` names the entry in reasons (its path below the mailbox).
 */
export function judgeEntry(path: string, name: string, realRoot: string, label: string): EntryVerdict {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    return { type: 'refused', reason: `${label}: cannot be read: ${fsReason(err)}` };
  }
  if (st.isFile()) return { type: 'file', file: listedFile(name, path, st) };
  if (st.isDirectory()) return { type: 'dir', path, st };
  const mtime = st.mtime;
  const linkStat = st;
  const arrival = arrivalKey(st);
  if (!st.isSymbolicLink()) {
    return { type: 'refused', mtime, arrival, reason: `${label}: ${describeSpecial(st)}, not a regular file: not read (reading it could block the run or return device data)` };
  }
  let target = '?';
  try {
    target = readlinkSync(path);
  } catch {
    // named as "?" below
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    return { type: 'refused', mtime, arrival, reason: `${label}: a symbolic link to ${target} that leads nowhere (${fsReason(err)}): not read` };
  }
  if (!isInside(realRoot, real)) {
    return {
      type: 'refused',
      mtime,
      arrival,
      reason: `${label}: a symbolic link to ${target}${real === target ? '' : ` (${real})`}, outside the mailbox directory ${realRoot}: not followed `
        + '(a link could expose another user\'s or the system\'s files); copy the file into the directory if it belongs to this mailbox',
    };
  }
  try {
    st = statSync(real);
  } catch (err) {
    return { type: 'refused', mtime, arrival, reason: `${label}: a symbolic link to ${target}, which cannot be read: ${fsReason(err)}` };
  }
  if (st.isFile()) return { type: 'file', file: listedFile(name, real, st, { path, st: linkStat }) };
  if (st.isDirectory()) return { type: 'dir', path: real, st, link: path };
  return { type: 'refused', mtime, arrival, reason: `${label}: a symbolic link to ${target}, ${describeSpecial(st)}, not a regular file: not read` };
}

/**
 * The regular file at `path` (inside `realRoot`), judged as the walk judges entries: undefined when
 * there is none; throws an Error with the reason when it is a link out, a FIFO, a device, a
 * directory… (for readers of fixed-name files, e.g. a kopano-backup folder's `items`).
 */
export function confinedFile(path: string, realRoot: string, label: string): ListedFile | undefined {
  if (!lstatSync(path, { throwIfNoEntry: false })) return undefined;
  const v = judgeEntry(path, basename(path), realRoot, label);
  if (v.type === 'file') return v.file;
  throw new Error(v.type === 'dir' ? `${label}: a directory where a file was expected: not read` : v.reason);
}

interface PendingDir { rel: string[]; path: string; st: Stats; parent?: TreeDir }

/**
 * Every directory below `root` (the root included) that holds files or refused entries, sorted
 * by path; names sorted inside each. Throws when the root itself cannot be read.
 */
export function walkTree(root: string): TreeDir[] {
  const realRoot = realpathSync(root);
  const rootSt = statSync(realRoot);
  if (!rootSt.isDirectory()) throw new Error(`${root} is not a directory`);
  const seen = new Map<string, string>();
  const all: TreeDir[] = [];
  const real: PendingDir[] = [{ rel: [], path: realRoot, st: rootSt }];
  const linked: PendingDir[] = [];
  const label = (rel: string[]) => (rel.length ? rel.join('/') : '.');
  for (;;) {
    const next = real.pop() ?? linked.shift();
    if (!next) break;
    const key = `${next.st.dev}:${next.st.ino}`;
    const first = seen.get(key);
    if (first !== undefined) {
      next.parent?.refused.push({
        name: next.rel[next.rel.length - 1] ?? '.', path: next.path, mtime: next.st.mtime, arrival: arrivalKey(next.st),
        reason: `${label(next.rel)}: the same directory as ${first} (a directory loop, or a second link or bind mount to it): not read twice`,
      });
      continue;
    }
    seen.set(key, label(next.rel));
    const dir: TreeDir = { rel: next.rel, path: next.path, files: [], refused: [] };
    all.push(dir);
    let names: string[];
    try {
      names = readdirSync(next.path).sort();
    } catch (err) {
      if (!next.parent) throw err;
      next.parent.refused.push({ name: next.rel[next.rel.length - 1]!, path: next.path, reason: `${label(next.rel)}: directory cannot be read: ${fsReason(err)}` });
      continue;
    }
    const subdirs: PendingDir[] = [];
    for (const name of names) {
      const rel = [...next.rel, name];
      const v = judgeEntry(join(next.path, name), name, realRoot, label(rel));
      if (v.type === 'file') dir.files.push(v.file);
      else if (v.type === 'refused') dir.refused.push({ name, path: join(next.path, name), reason: v.reason, ...(v.mtime ? { mtime: v.mtime } : {}), ...(v.arrival ? { arrival: v.arrival } : {}) });
      else (v.link ? linked : subdirs).push({ rel, path: v.path, st: v.st, parent: dir });
    }
    // depth first in name order: the stack takes them reversed
    real.push(...subdirs.reverse());
  }
  for (const d of all) d.refused.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return all
    .filter((d) => d.files.length > 0 || d.refused.length > 0)
    .sort((a, b) => compareSegments(a.rel, b.rel));
}

function compareSegments(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

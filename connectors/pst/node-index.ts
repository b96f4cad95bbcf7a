/**
 * The node B-tree (NBT, [MS-PST] 2.2.2.7.7.4) read on its own, page by page: which folders and
 * messages the file's index places under each folder (NBTENTRY.nidParent). This is how readpst
 * (LibPST) builds its folder tree, and it is independent of the folders' hierarchy and contents
 * tables, so it serves as the cross-check of both: a folder or item the tables leave out is
 * found here. Every page is verified (block-check.ts) before it is used; a damaged page is
 * skipped with its subtree and reported.
 *
 * Memory: the node ids of the file's folders and messages by parent (4 bytes a message in a
 * typed array; a million messages take a few MiB).
 */
import type { PSTFile } from 'pst-extractor';
import { PTYPE_NBT } from './block-check.js';
import type { PstFormat } from './pst-header.js';
import { coerceError } from '../../src/util/errors.js';

/** NID types ([MS-PST] 2.2.2.1). */
export const NID_TYPE_NORMAL_FOLDER = 0x02;
export const NID_TYPE_SEARCH_FOLDER = 0x03;
export const NID_TYPE_NORMAL_MESSAGE = 0x04;

/** A search folder's contents are links to items elsewhere (none are read from it). */
export function isSearchFolderNid(nid: number): boolean {
  return (nid & 0x1f) === NID_TYPE_SEARCH_FOLDER;
}

export interface NodeIndex {
  /** Folder NID → the normal messages the index places under it, in NID order. */
  messages: Map<number, Uint32Array>;
  /** Folder NID → the NIDs of the folders (normal and search) the index places under it, in index order. */
  folders: Map<number, number[]>;
  /** Pages that failed their check or could not be read (their subtrees are missing above). */
  problems: string[];
}

interface PageLayout { size: number; cEnt: number; wideCount: boolean; parentAt: number; bidAt: number; ibAt: number; width: number }
const LAYOUT: Record<PstFormat, PageLayout> = {
  ansi: { size: 512, cEnt: 496, wideCount: false, parentAt: 12, bidAt: 4, ibAt: 8, width: 4 },
  unicode: { size: 512, cEnt: 488, wideCount: false, parentAt: 24, bidAt: 8, ibAt: 16, width: 8 },
  'unicode-4k': { size: 4096, cEnt: 4056, wideCount: true, parentAt: 24, bidAt: 8, ibAt: 16, width: 8 },
};

export type Visit = (nid: number, parent: number) => void;

/** Calls `visit` for every leaf entry of the node B-tree, in key (NID) order. */
export function walkNodeIndex(pst: PSTFile, format: PstFormat, visit: Visit): string[] {
  const l = LAYOUT[format];
  const problems: string[] = [];
  const word = (page: Buffer, at: number): number => (l.width === 4 ? page.readUInt32LE(at) : Number(page.readBigUInt64LE(at)));
  const page = (ib: number, bid: number | undefined, depth: number): void => {
    if (depth > 16) { problems.push(`node index page at offset ${ib}: deeper than 16 levels (a loop in a damaged index)`); return; }
    const buf = Buffer.allocUnsafe(l.size);
    try {
      pst.checks?.page(pst, ib, PTYPE_NBT, bid);
      pst.readSync(buf, l.size, ib);
    } catch (err) {
      problems.push(coerceError(err).message);
      return;
    }
    const cEnt = l.wideCount ? buf.readUInt16LE(l.cEnt) : buf[l.cEnt]!;
    const cbEnt = l.wideCount ? buf[l.cEnt + 4]! : buf[l.cEnt + 2]!;
    const cLevel = l.wideCount ? buf[l.cEnt + 5]! : buf[l.cEnt + 3]!;
    if (cbEnt === 0 || cEnt * cbEnt > l.cEnt) { problems.push(`node index page at offset ${ib}: impossible entry count ${cEnt} × ${cbEnt} bytes`); return; }
    for (let i = 0; i < cEnt; i++) {
      const e = i * cbEnt;
      if (cLevel > 0) page(word(buf, e + l.ibAt), word(buf, e + l.bidAt), depth + 1);
      else visit(buf.readUInt32LE(e), buf.readUInt32LE(e + l.parentAt));
    }
  };
  // the root page: the header's BREFNBT (bid, ib)
  const root = Buffer.alloc(2 * l.width);
  pst.readSync(root, root.length, format === 'ansi' ? 184 : 216);
  page(word(root, l.width), word(root, 0), 0);
  return problems;
}

/** Counts per folder and child folders, from one pass over the node B-tree. */
export function scanNodeIndex(pst: PSTFile, format: PstFormat): NodeIndex {
  const lists = new Map<number, number[]>();
  const folders = new Map<number, number[]>();
  const problems = walkNodeIndex(pst, format, (nid, parent) => {
    const type = nid & 0x1f;
    if (type === NID_TYPE_NORMAL_MESSAGE) {
      const list = lists.get(parent);
      if (list) list.push(nid);
      else lists.set(parent, [nid]);
    } else if ((type === NID_TYPE_NORMAL_FOLDER || type === NID_TYPE_SEARCH_FOLDER) && parent !== nid) {
      const list = folders.get(parent);
      if (list) list.push(nid);
      else folders.set(parent, [nid]);
    }
  });
  const messages = new Map<number, Uint32Array>();
  for (const [parent, list] of lists) messages.set(parent, Uint32Array.from(list));
  return { messages, folders, problems };
}

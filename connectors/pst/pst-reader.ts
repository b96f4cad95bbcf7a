/**
 * A small typed wrapper over pst-extractor (patched, see patches/pst-extractor+1.12.0.patch) for
 * reading Outlook PST/OST files: ANSI (Outlook 97–2002, 32-bit) and Unicode (2003+, 64-bit, incl. OST).
 *
 *   const pst = await openPst('archive.pst');
 *   for await (const folder of pst.folders()) {
 *     for await (const msg of pst.messages(folder)) { … msg.subject, msg.raw.body … }
 *   }
 *   pst.close();
 *
 * Files: opened without following a symbolic link and only when regular files, or given as a
 * descriptor the caller opened on exactly the file a directory walk listed (OpenPstOptions.fd);
 * nothing is ever opened by path after that.
 *
 * Memory: pst-extractor reads the file through that one fd with positioned reads
 * (fs.readSync), never the whole file; small reads (B-tree pages) go through a bounded 1 MiB page cache (page-cache.ts).
 * The walk keeps only the folders on the current path; `messages()` loads one message at a time
 * from the folder's contents table. Only pst-extractor's fall-back for a broken contents table
 * (its whole node B-tree as a map) grows with the file.
 *
 * The patch also gives each PSTFile its own named-property map (pst-extractor 1.12.0 kept one
 * static map, so PidLid* values of one file were looked up with another file's ids) and reads
 * its last entry (1.12.0 dropped it), turns reads past the end of the file into errors with the
 * offset, ends the endless loop a corrupt block could cause, and runs the integrity checks of
 * block-check.ts on every block and B-tree page it reads: a damaged one is an error of the item
 * (or folder) read, naming the offset, never data.
 *
 * Folders: a folder's subfolders are the rows of its hierarchy table (folder-children.ts),
 * cross-checked with the file's node index; its items are counted three ways
 * (folder-inventory.ts) and any difference becomes an entry that fails, so it is reported.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import Long from 'long';
import { PSTFile, type PSTFolder, type PSTMessage } from 'pst-extractor';
import type { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import { describeSpecial } from '../file-tree/tree-walk.js';
import { PstChecks } from './block-check.js';
import { childFolders, hierarchyRows } from './folder-children.js';
import { contentEntries, firstItem, takeInventory, type ContentEntry, type FolderInventory } from './folder-inventory.js';
import { messageOf, offsetIn, quietly } from './extractor-output.js';
import { scanNodeIndex, type NodeIndex } from './node-index.js';
import { PstFileError, PstItemError, readHeader, type Header, type PstFormat } from './pst-header.js';
import { addPageCache } from './page-cache.js';
import { readNameToIdMap } from './name-map.js';
import { installNdb } from './ndb.js';
import { loadFolder as folderObject, loadObject, loadStore } from './pst-objects.js';
import { ipmSubtreeNodeId, NID_ROOT_FOLDER, specialFolderIds, type WellKnownUse } from './pst-store.js';
import {
  FALLBACK_CODEPAGE, objectCodepage, string8Resolver, voteCodepage, type PropertyMap,
} from '../../mappings/mapi/string8.js';

export { PstFileError, PstItemError, type PstFormat };
export { quietly };

export interface PstFolderEntry {
  /** Folder names from the walk's root (the IPM subtree by default), which itself is `[]`. */
  path: string[];
  displayName: string;
  /** PR_CONTAINER_CLASS, e.g. IPF.Note, IPF.Contact, IPF.Appointment; '' when unset (mail). */
  containerClass: string;
  /** The folder's node id (NID) in the file. */
  nodeId: number;
  /** PR_CONTENT_COUNT: the number of (non-associated) items the folder says it holds. */
  count: number;
  /** A search folder (NID type 0x03): its contents are links to items elsewhere; `messages()` yields none. */
  isSearchFolder: boolean;
  /** The pst-extractor object, for other folder properties. */
  raw: PSTFolder;
  /** Not listed in its parent's hierarchy table: found in the file's node index. */
  onlyInIndex?: boolean;
}

export interface FoldersOptions {
  /**
   * Called for a folder (or a folder's list of subfolders) that cannot be read, with the path it
   * would have; return to go on with the others, throw to stop. Default: throw.
   */
  onError?: (err: PstFileError, where: { path: string[]; nodeId: number }) => void;
}

export interface PstMessageEntry {
  nodeId: number;
  /** PR_MESSAGE_CLASS, e.g. IPM.Note, IPM.Contact, IPM.Appointment, REPORT.IPM.Note.NDR. */
  messageClass: string;
  /** PR_SUBJECT without its prefix marker. */
  subject: string;
  /** PR_DISPLAY_NAME (a contact's or distribution list's name). */
  displayName: string;
  senderName: string;
  senderEmailAddress: string;
  internetMessageId: string;
  clientSubmitTime: Date | null;
  deliveryTime: Date | null;
  /** PR_MESSAGE_SIZE in bytes. */
  size: number;
  hasAttachments: boolean;
  /** The pst-extractor object, for bodies, recipients, attachments and class-specific fields. */
  raw: PSTMessage;
}

export interface OpenPstOptions {
  /**
   * Windows code page of 8-bit strings that declare none (folder names in ANSI files, mostly).
   * Default: the most common code page among a few messages, else 1252.
   */
  codepage?: number;
  /** 'ipm' (default): the folders a user sees (the IPM subtree); 'all': from the root (search roots, views…). */
  scope?: 'ipm' | 'all';
  /**
   * A descriptor open on the file (e.g. `openListedFile`'s: the very file a directory walk
   * listed), read instead of the path; the reader owns it from then on (closed by close(), or by
   * openPst when the file cannot be read). Without it the path is opened without following a
   * symbolic link, and must be a regular file.
   */
  fd?: number;
}

export interface MessagesOptions {
  /**
   * Called for an item that cannot be read; return to skip it and go on, throw to stop.
   * Default: throw.
   */
  onError?: (err: PstItemError) => void;
}

// --- pst-extractor internals used here (not in its typings) -----------------------------------

interface ObjectInternals { pstTableItems: PropertyMap | null }

const NID_TYPE_SEARCH_FOLDER = 0x03;

/** Loads an item by its node id (pst-objects.ts: parsed once, with the fast readers). */
function loadMessage(pst: PSTFile, node: number | DescriptorIndexNode): PSTMessage {
  return quietly(() => loadObject(pst, node) as PSTMessage);
}

export class PstReader {
  readonly storeName: string;
  private closed = false;
  /** The store's default code page once known (given, or guessed on first need). */
  private defaultCodepage: number | undefined;
  private guessing = false;

  constructor(
    readonly file: string,
    readonly format: PstFormat,
    private readonly pst: PSTFile,
    private readonly rootNodeId: number,
    codepage: number | undefined,
  ) {
    this.defaultCodepage = codepage;
    pst.string8Codepage = string8Resolver(() => this.codepage);
    this.storeName = this.guard(() => pst.getMessageStore().displayName, 'reading the message store');
  }

  /**
   * The store's default code page for 8-bit strings (see OpenPstOptions.codepage). Not given, it
   * is guessed from a few messages (sampleCodepage) when first needed: an 8-bit string without a
   * code page of its own, which most Unicode files never hold (the guess was a tenth of the time
   * to read a small file). While guessing, 1252, as before the guess.
   */
  get codepage(): number {
    if (this.defaultCodepage !== undefined) return this.defaultCodepage;
    if (this.guessing) return FALLBACK_CODEPAGE;
    this.guessing = true;
    try {
      this.defaultCodepage = sampleCodepage(this.pst) ?? FALLBACK_CODEPAGE;
    } finally {
      this.guessing = false;
    }
    return this.defaultCodepage;
  }

  set codepage(codepage: number) {
    this.defaultCodepage = codepage;
  }

  /** The file's node index, scanned once (node-index.ts); undefined when it cannot be read at all. */
  private index: NodeIndex | null | undefined;
  /** Inventories of the folders read last (folder-inventory.ts), by folder node id. */
  private readonly inventories = new Map<number, FolderInventory>();

  private nodeIndex(): NodeIndex | undefined {
    if (this.index === undefined) {
      try {
        this.index = scanNodeIndex(this.pst, this.format);
      } catch {
        this.index = null; // the walk and the inventories then rely on the folders' own tables
      }
    }
    return this.index ?? undefined;
  }

  /**
   * Depth-first walk of the folder tree, parents before children. A folder's subfolders are the
   * rows of its hierarchy table, then those only the node index places under it.
   */
  async *folders(options: FoldersOptions = {}): AsyncGenerator<PstFolderEntry> {
    const root = this.loadFolder(this.rootNodeId, []);
    yield* this.walk(root, [], new Set([this.rootNodeId]), options, false);
  }

  private *walk(folder: PSTFolder, path: string[], seen: Set<number>, options: FoldersOptions, onlyInIndex: boolean): Generator<PstFolderEntry> {
    const nodeId = folder.descriptorNodeId.toNumber();
    const where = `/${path.join('/')} (node ${nodeId})`;
    const entry: PstFolderEntry = this.guard(() => ({
      path, nodeId,
      displayName: folder.displayName,
      containerClass: folder.containerClass,
      count: folder.contentCount,
      isSearchFolder: (nodeId & 0x1f) === NID_TYPE_SEARCH_FOLDER,
      raw: folder,
      ...(onlyInIndex ? { onlyInIndex } : {}),
    }), `reading folder ${where}`, nodeId);
    yield entry;
    if (entry.isSearchFolder) return;
    const fail = (err: unknown, at: { path: string[]; nodeId: number }, what: string): void => {
      const e = err instanceof PstFileError ? err : this.fileError(err, what, at.nodeId);
      if (!options.onError) throw e;
      options.onError(e, at);
    };
    let rows: number[] = [];
    try {
      rows = quietly(() => hierarchyRows(this.pst, nodeId, folder.hasSubfolders));
    } catch (err) {
      fail(err, { path: [...path, `(subfolders of node ${nodeId})`], nodeId }, `listing the subfolders of ${where}`);
    }
    for (const child of childFolders(rows, this.nodeIndex()?.folders.get(nodeId))) {
      if (seen.has(child.nodeId)) continue; // a loop in a damaged file
      seen.add(child.nodeId);
      let sub: PSTFolder;
      let name: string;
      const what = `opening subfolder node ${child.nodeId} of ${where}`;
      try {
        sub = this.guard(() => folderObject(this.pst, child.nodeId), what, child.nodeId);
        name = this.guard(() => sub.displayName, what, child.nodeId);
      } catch (err) {
        fail(err, { path: [...path, `(folder node ${child.nodeId})`], nodeId: child.nodeId }, what);
        continue;
      }
      yield* this.walk(sub, [...path, name], seen, options, child.onlyInIndex);
    }
  }

  /** The folder's inventory (folder-inventory.ts), taken once per folder and kept for the last few. */
  inventory(folder: PstFolderEntry | number): FolderInventory {
    const nodeId = typeof folder === 'number' ? folder : folder.nodeId;
    const known = this.inventories.get(nodeId);
    if (known) return known;
    const path = typeof folder === 'number' ? [`node ${folder}`] : folder.path;
    const count = typeof folder === 'number' ? this.guard(() => this.loadFolder(nodeId, path).contentCount, `reading folder /${path.join('/')}`, nodeId) : folder.count;
    const inv = this.guard(() => quietly(() => takeInventory(this.pst, nodeId, count, this.nodeIndex())),
      `counting the items of /${path.join('/')} (node ${nodeId})`, nodeId);
    if (this.inventories.size >= 8) this.inventories.delete(this.inventories.keys().next().value as number);
    this.inventories.set(nodeId, inv);
    return inv;
  }

  /** The folder's items, read one at a time (lazily); entries that cannot become items are errors. */
  async *messages(folder: PstFolderEntry | number, options: MessagesOptions = {}): AsyncGenerator<PstMessageEntry> {
    const nodeId = typeof folder === 'number' ? folder : folder.nodeId;
    const path = typeof folder === 'number' ? [`node ${folder}`] : folder.path;
    const fail = (err: PstItemError): void => {
      if (!options.onError) throw err;
      options.onError(err);
    };
    const entries = this.contentIds(folder);
    while (true) {
      let next: IteratorResult<ContentEntry>;
      try {
        next = entries.next();
      } catch (err) {
        // the contents table itself is unreadable past this row
        fail(this.itemError(nodeId, path, err));
        return;
      }
      if (next.done) return;
      const e = next.value;
      if (e.nodeId === undefined) {
        fail(new PstItemError(this.file, nodeId, path, e.error ?? 'no item'));
        continue;
      }
      let entry: PstMessageEntry;
      try {
        entry = this.message(e.nodeId, path, nodeId);
      } catch (err) {
        fail(err as PstItemError);
        continue;
      }
      yield entry;
    }
  }

  /**
   * The folder's entries (folder-inventory.ts) from position `start` on, without loading the
   * items (cheap); `withSizes`: with each row's PR_MESSAGE_SIZE. An unreadable contents table is a
   * PstFileError naming the folder.
   */
  *contentIds(folder: PstFolderEntry | number, start = 0, withSizes = false): Generator<ContentEntry> {
    const nodeId = typeof folder === 'number' ? folder : folder.nodeId;
    const path = typeof folder === 'number' ? [`node ${folder}`] : folder.path;
    if ((nodeId & 0x1f) === NID_TYPE_SEARCH_FOLDER) return;
    const inv = this.inventory(folder);
    const entries = contentEntries(this.pst, nodeId, inv, start, withSizes);
    while (true) {
      const next = this.guard(() => quietly(() => entries.next()), `reading the contents table of /${path.join('/')} (node ${nodeId})`, nodeId);
      if (next.done) return;
      yield next.value;
    }
  }

  /**
   * Loads one item by its node id; a PstItemError naming the file, folder and node when it cannot
   * be read. With `folderNodeId`, the item must be the folder's in the file's node index (its
   * nidParent back-pointer), else it is an error too.
   */
  message(nodeId: number, folderPath: string[], folderNodeId?: number): PstMessageEntry {
    if (this.closed) throw new PstFileError(this.file, 'the file is closed');
    try {
      // one look-up in the node index, for the check and the load
      const node = this.pst.getDescriptorIndexNode(Long.fromNumber(nodeId));
      if (folderNodeId !== undefined) {
        const parent = node.parentDescriptorIndexIdentifier;
        if (parent !== folderNodeId) {
          throw new Error(`the file's node index places this item in folder node ${parent}, not in this folder (node ${folderNodeId}): `
            + 'the folder\'s contents table points to another folder\'s item (the file is damaged: repair a copy with Outlook\'s scanpst.exe and migrate that copy)');
        }
      }
      return this.entry(nodeId, node);
    } catch (err) {
      throw err instanceof PstItemError ? err : this.itemError(nodeId, folderPath, err);
    }
  }

  private entry(childId: number, node?: DescriptorIndexNode): PstMessageEntry {
    const raw = loadMessage(this.pst, node ?? childId);
    return {
      nodeId: childId,
      messageClass: raw.messageClass,
      subject: raw.subject,
      displayName: raw.displayName,
      senderName: raw.senderName,
      senderEmailAddress: raw.senderEmailAddress,
      internetMessageId: raw.internetMessageId,
      clientSubmitTime: raw.clientSubmitTime,
      deliveryTime: raw.messageDeliveryTime,
      size: raw.messageSize.toNumber(),
      hasAttachments: raw.hasAttachments,
      raw,
    };
  }

  /** Well-known folders by node id (see specialFolderIds). */
  specialFolders(): Map<number, WellKnownUse> {
    return specialFolderIds(this.pst);
  }

  /** An item error, with the offset of the item's property block when the error itself has none. */
  private itemError(nodeId: number, path: string[], err: unknown): PstItemError {
    let at = offsetIn(err);
    let detail = messageOf(err);
    if (at === undefined) {
      at = this.blockOffset(nodeId);
      if (at !== undefined) detail += ` (its data block is at offset ${at}, 0x${at.toString(16)})`;
    }
    return new PstItemError(this.file, nodeId, path, detail, at, { cause: err });
  }

  /** Where a node's data block lies in the file, if the index can tell. */
  private blockOffset(nodeId: number): number | undefined {
    try {
      const node = this.pst.getDescriptorIndexNode(Long.fromNumber(nodeId));
      return this.pst.getOffsetIndexNode(node.dataOffsetIndexIdentifier).fileOffset.toNumber();
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pst.close();
  }

  private loadFolder(nodeId: number, path: string[]): PSTFolder {
    return this.guard(() => folderObject(this.pst, nodeId), `opening folder /${path.join('/')} (node ${nodeId})`, nodeId);
  }

  /** A PstFileError naming the file, what was being done and the offset (the error's, else the node's data block). */
  private fileError(err: unknown, what: string, nodeId?: number): PstFileError {
    let at = offsetIn(err);
    let detail = `${what}: ${messageOf(err)}`;
    if (at === undefined && nodeId !== undefined) {
      at = this.blockOffset(nodeId);
      if (at !== undefined) detail += ` (node ${nodeId}'s data block is at offset ${at}, 0x${at.toString(16)})`;
    }
    return new PstFileError(this.file, detail, at, { cause: err });
  }

  /** Runs a pst-extractor call, turning its errors into PstFileError naming the file and offset. */
  private guard<T>(fn: () => T, what: string, nodeId?: number): T {
    if (this.closed) throw new PstFileError(this.file, `${what}: the file is closed`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof PstFileError || err instanceof PstItemError) throw err;
      throw this.fileError(err, what, nodeId);
    }
  }
}

/**
 * Guesses the store's code page from up to `limit` messages (first item of each folder, breadth
 * first, at most `maxFolders` folders).
 */
function sampleCodepage(pst: PSTFile, limit = 8, maxFolders = 200): number | undefined {
  const samples: (number | undefined)[] = [];
  const queue: number[] = [NID_ROOT_FOLDER];
  const seen = new Set(queue);
  let visited = 0;
  while (queue.length && samples.length < limit && visited < maxFolders) {
    const nid = queue.shift()!;
    visited++;
    if ((nid & 0x1f) === NID_TYPE_SEARCH_FOLDER) continue;
    try {
      quietly(() => {
        const folder = folderObject(pst, nid);
        const first = folder.contentCount > 0 ? firstItem(pst, nid) : undefined;
        if (first !== undefined) samples.push(objectCodepage((loadMessage(pst, first) as unknown as ObjectInternals).pstTableItems));
        for (const child of hierarchyRows(pst, nid, folder.hasSubfolders)) {
          if (!seen.has(child)) { seen.add(child); queue.push(child); }
        }
      });
    } catch {
      // a guess only: unreadable folders are reported by the walk itself
    }
  }
  return voteCodepage(samples);
}

/**
 * Set-up of a PSTFile before its first index read: the page cache, the fast node and table
 * readers (ndb.ts, ltp.ts) under its own look-ups, and the named-property map, the message store
 * and the root folder read with them (pst-objects.ts).
 */
export function fastReads(pst: PSTFile, format: PstFormat): void {
  addPageCache(pst);
  if (!installNdb(pst, format)) return;
  const own = pst as unknown as { processNameToIDMap(): void; getMessageStore(): unknown; getRootFolder(): unknown };
  own.processNameToIDMap = () => readNameToIdMap(pst);
  own.getMessageStore = () => loadStore(pst);
  own.getRootFolder = () => folderObject(pst, NID_ROOT_FOLDER);
}

/** `file` opened for reading without following a symbolic link (O_NOFOLLOW) or waiting on a FIFO; it must be a regular file. */
function openRegularFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new PstFileError(file, 'a symbolic link: not followed, not read');
    throw new PstFileError(file, `cannot read: ${messageOf(err)}`, undefined, { cause: err });
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new PstFileError(file, `${describeSpecial(st)}, not a regular file: not read`);
  }
  return fd;
}

/** Opens a PST/OST file and checks it can be read. Throws PstFileError naming the file. */
export async function openPst(file: string, options: OpenPstOptions = {}): Promise<PstReader> {
  const fd = options.fd ?? openRegularFile(file);
  let header: Header;
  try {
    header = readHeader(file, fd);
  } catch (err) {
    closeSync(fd);
    if (err instanceof PstFileError) throw err;
    throw new PstFileError(file, `cannot read: ${messageOf(err)}`, undefined, { cause: err });
  }
  let pst: PSTFile;
  try {
    // the page cache and the fast readers serve the library's own reads from its first one (the named-property map)
    pst = new PSTFile(file, { fd, checks: new PstChecks(header.format), setup: (f) => fastReads(f, header.format) });
  } catch (err) {
    closeSync(fd);
    const at = offsetIn(err);
    const roots = at === undefined ? ` (node B-tree root at offset ${header.nbtRoot}, block B-tree root at offset ${header.bbtRoot})` : '';
    throw new PstFileError(file, `cannot open the ${header.format} PST index: ${messageOf(err)}${roots}`, at, { cause: err });
  }
  try {
    pst.string8Codepage = string8Resolver(() => options.codepage ?? FALLBACK_CODEPAGE);
    const rootNodeId = options.scope === 'all' ? NID_ROOT_FOLDER : ipmSubtreeNodeId(pst);
    return new PstReader(file, header.format, pst, rootNodeId, options.codepage);
  } catch (err) {
    pst.close();
    if (err instanceof PstFileError) throw err;
    throw new PstFileError(file, `cannot read the ${header.format} PST: ${messageOf(err)}`, offsetIn(err), { cause: err });
  }
}

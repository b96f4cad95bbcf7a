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
 * nothing is ever opened by path after that (pst-file-setup.ts).
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
import { closeSync } from 'node:fs';
import Long from 'long';
import { PSTFile, type PSTFolder } from 'pst-extractor';
import { PstChecks } from './block-check.js';
import { sampleCodepage } from './codepage-sample.js';
import { childFolders, hierarchyRows } from './folder-children.js';
import { contentEntries, takeInventory, type ContentEntry, type FolderInventory } from './folder-inventory.js';
import { messageOf, offsetIn, quietly } from './extractor-output.js';
import { isSearchFolderNid, scanNodeIndex, type NodeIndex } from './node-index.js';
import { messageEntry, type FoldersOptions, type MessagesOptions, type PstFolderEntry, type PstMessageEntry } from './pst-entries.js';
import { fastReads, openRegularFile } from './pst-file-setup.js';
import { PstFileError, PstItemError, readHeader, type Header, type PstFormat } from './pst-header.js';
import { loadFolder as folderObject } from './pst-objects.js';
import { ipmSubtreeNodeId, NID_ROOT_FOLDER, specialFolderIds, type WellKnownUse } from './pst-store.js';
import { fileReadError, itemReadError } from './read-errors.js';
import { FALLBACK_CODEPAGE, string8Resolver } from '../../mappings/mapi/string8.js';

export { PstFileError, PstItemError, type PstFormat };
export { quietly };
export type { FoldersOptions, MessagesOptions, PstFolderEntry, PstMessageEntry };

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
   * is guessed from a few messages (codepage-sample.ts) when first needed: an 8-bit string without a
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
      isSearchFolder: isSearchFolderNid(nodeId),
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
    if (isSearchFolderNid(nodeId)) return;
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
      return messageEntry(this.pst, nodeId, node);
    } catch (err) {
      throw err instanceof PstItemError ? err : this.itemError(nodeId, folderPath, err);
    }
  }

  /** Well-known folders by node id (see specialFolderIds). */
  specialFolders(): Map<number, WellKnownUse> {
    return specialFolderIds(this.pst);
  }

  /** read-errors.ts: naming the file, the folder and the offset. */
  private itemError(nodeId: number, path: string[], err: unknown): PstItemError {
    return itemReadError(this.pst, this.file, nodeId, path, err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pst.close();
  }

  private loadFolder(nodeId: number, path: string[]): PSTFolder {
    return this.guard(() => folderObject(this.pst, nodeId), `opening folder /${path.join('/')} (node ${nodeId})`, nodeId);
  }

  /** read-errors.ts: naming the file, what was being done and the offset. */
  private fileError(err: unknown, what: string, nodeId?: number): PstFileError {
    return fileReadError(this.pst, this.file, err, what, nodeId);
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

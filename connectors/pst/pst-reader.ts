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
 * Memory: pst-extractor reads a file given by path through one fd with positioned reads
 * (fs.readSync), never the whole file; small reads (B-tree pages) go through a bounded 1 MiB page cache (page-cache.ts).
 * The walk keeps only the folders on the current path; `messages()` loads one message at a time
 * from the folder's contents table. Only pst-extractor's fall-back for a broken contents table
 * (its whole node B-tree as a map) grows with the file.
 *
 * The patch also gives each PSTFile its own named-property map (pst-extractor 1.12.0 kept one
 * static map, so PidLid* values of one file were looked up with another file's ids), turns
 * reads past the end of the file into errors with the offset, and ends the endless loop a
 * corrupt block could cause.
 */
import Long from 'long';
import { PSTFile, PSTFolder, type PSTMessage } from 'pst-extractor';
import { PSTUtil } from 'pst-extractor/dist/PSTUtil.class.js';
import { PstFileError, PstItemError, readHeader, type Header, type PstFormat } from './pst-header.js';
import { addPageCache } from './page-cache.js';
import { ipmSubtreeNodeId, NID_ROOT_FOLDER, specialFolderIds, type WellKnownUse } from './pst-store.js';
import {
  FALLBACK_CODEPAGE, objectCodepage, string8Resolver, voteCodepage, type PropertyMap,
} from './strings.js';

export { PstFileError, PstItemError, type PstFormat };

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
}

export interface MessagesOptions {
  /**
   * Called for an item that cannot be read; return to skip it and go on, throw to stop.
   * Default: throw.
   */
  onError?: (err: PstItemError) => void;
}

// --- pst-extractor internals used here (not in its typings) -----------------------------------

interface TableRow { get(id: number): { entryValueReference: number; itemIndex: number } | undefined }
const PR_MESSAGE_SIZE = 0x0e08;
interface FolderInternals {
  initEmailsTable(): void;
  emailsTable: { rowCount: number; getItems(start: number, count: number): TableRow[] } | null;
  fallbackEmailsTable: { descriptorIdentifier: number }[] | null;
  pstTableItems: PropertyMap | null;
}
interface ObjectInternals { pstTableItems: PropertyMap | null }

const PR_LTP_ROW_ID = 0x67f2;
const NID_TYPE_SEARCH_FOLDER = 0x03;

/** Pulls "at offset N" out of a (patched) pst-extractor short-read message. */
function offsetIn(err: unknown): number | undefined {
  const m = /at offset (\d+)/.exec(messageOf(err));
  return m ? Number(m[1]) : undefined;
}

/** The first line of an error's message (errors from Node itself may come from another realm under jest). */
function messageOf(err: unknown): string {
  const text = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message : String(err);
  return text.split('\n')[0]!.trim()
    .replace(/short read in .*?: wanted/, 'short read: wanted')
    .replace(/, open '[^']*'$/, '');
}

/**
 * NIDs of a folder's items, row by row from its contents table (lazily), as pst-extractor's
 * getNextChild, from row `start` on; each with its row (the position a resume starts from).
 */
function* contentNodeIds(folder: FolderInternals, start = 0): Generator<{ row: number; nodeId: number; size?: number }> {
  folder.initEmailsTable();
  const table = folder.emailsTable;
  if (table) {
    for (let i = start; i < table.rowCount; i++) {
      const row = table.getItems(i, 1)[0];
      const id = row?.get(PR_LTP_ROW_ID);
      // PR_MESSAGE_SIZE is a standard contents-table column (PT_LONG, stored in the row)
      const size = row?.get(PR_MESSAGE_SIZE)?.entryValueReference;
      if (id && id.itemIndex !== -1) yield { row: i, nodeId: id.entryValueReference, size: size === undefined ? undefined : size >>> 0 };
    }
  } else {
    // pst-extractor's fall-back when the contents table is unreadable: children in the node B-tree
    const nodes = folder.fallbackEmailsTable ?? [];
    for (let i = start; i < nodes.length; i++) yield { row: i, nodeId: nodes[i]!.descriptorIdentifier };
  }
}

/** pst-extractor output that is no problem ("unknown message type": IPM.Post… are plain messages) or reported by the caller. */
const QUIET = ['PSTUtil::createAppropriatePSTMessageObject unknown message type', 'PSTMessage::processRecipients'];

/** Runs a pst-extractor call with the QUIET lines dropped; any other output passes through. */
export function quietly<T>(fn: () => T): T {
  const { log, error } = console;
  const filter = (write: (...args: unknown[]) => void) => (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && QUIET.some((p) => (args[0] as string).startsWith(p))) return;
    write(...args);
  };
  console.log = filter(log);
  console.error = filter(error);
  try {
    return fn();
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Loads an item by its node id. */
function loadMessage(pst: PSTFile, nodeId: number): PSTMessage {
  return quietly(() => PSTUtil.detectAndLoadPSTObject(pst, Long.fromNumber(nodeId)) as PSTMessage);
}

export class PstReader {
  /** The store's default code page for 8-bit strings (see OpenPstOptions.codepage). */
  codepage: number;
  readonly storeName: string;
  private closed = false;

  constructor(
    readonly file: string,
    readonly format: PstFormat,
    private readonly pst: PSTFile,
    private readonly rootNodeId: number,
    codepage: number,
  ) {
    this.codepage = codepage;
    this.storeName = this.guard(() => pst.getMessageStore().displayName, 'reading the message store');
  }

  /** Depth-first walk of the folder tree, parents before children. */
  async *folders(): AsyncGenerator<PstFolderEntry> {
    const root = this.loadFolder(this.rootNodeId, []);
    yield* this.walk(root, []);
  }

  private *walk(folder: PSTFolder, path: string[]): Generator<PstFolderEntry> {
    const nodeId = folder.descriptorNodeId.toNumber();
    const entry = this.guard(() => ({
      path, nodeId,
      displayName: folder.displayName,
      containerClass: folder.containerClass,
      count: folder.contentCount,
      isSearchFolder: (nodeId & 0x1f) === NID_TYPE_SEARCH_FOLDER,
      raw: folder,
    }), `reading folder /${path.join('/')} (node ${nodeId})`, nodeId);
    yield entry;
    if (entry.isSearchFolder || !this.guard(() => folder.hasSubfolders, `reading folder /${path.join('/')}`)) return;
    const children = this.guard(() => folder.getSubFolders(), `listing the subfolders of /${path.join('/')} (node ${nodeId})`, nodeId);
    for (const child of children) {
      yield* this.walk(child, [...path, this.guard(() => child.displayName, `reading a subfolder of /${path.join('/')}`)]);
    }
  }

  /** The folder's items, read one at a time (lazily) from its contents table. */
  async *messages(folder: PstFolderEntry | number, options: MessagesOptions = {}): AsyncGenerator<PstMessageEntry> {
    const nodeId = typeof folder === 'number' ? folder : folder.nodeId;
    const path = typeof folder === 'number' ? [`node ${folder}`] : folder.path;
    if ((nodeId & 0x1f) === NID_TYPE_SEARCH_FOLDER) return;
    const f = this.loadFolder(nodeId, path) as unknown as FolderInternals;
    const fail = (childId: number, err: unknown): void => {
      const e = err instanceof PstItemError ? err
        : this.itemError(childId, path, err);
      if (!options.onError) throw e;
      options.onError(e);
    };

    const ids = contentNodeIds(f);
    while (true) {
      let next: IteratorResult<{ nodeId: number }>;
      try {
        next = ids.next();
      } catch (err) {
        // the contents table itself is unreadable past this row
        fail(nodeId, err);
        return;
      }
      if (next.done) return;
      const childId = next.value.nodeId;
      let entry: PstMessageEntry;
      try {
        entry = this.entry(childId);
      } catch (err) {
        fail(childId, err);
        continue;
      }
      yield entry;
    }
  }

  /**
   * The rows of a folder's contents table from row `start` on, without loading the items (cheap).
   * An unreadable table is a PstFileError naming the folder.
   */
  *contentIds(folder: PstFolderEntry | number, start = 0): Generator<{ row: number; nodeId: number; size?: number }> {
    const nodeId = typeof folder === 'number' ? folder : folder.nodeId;
    const path = typeof folder === 'number' ? [`node ${folder}`] : folder.path;
    if ((nodeId & 0x1f) === NID_TYPE_SEARCH_FOLDER) return;
    const ids = contentNodeIds(this.loadFolder(nodeId, path) as unknown as FolderInternals, start);
    while (true) {
      const next = this.guard(() => ids.next(), `reading the contents table of /${path.join('/')} (node ${nodeId})`, nodeId);
      if (next.done) return;
      yield next.value;
    }
  }

  /** Loads one item by its node id; a PstItemError naming the file, folder and node when it cannot be read. */
  message(nodeId: number, folderPath: string[]): PstMessageEntry {
    if (this.closed) throw new PstFileError(this.file, 'the file is closed');
    try {
      return this.entry(nodeId);
    } catch (err) {
      throw err instanceof PstItemError ? err : this.itemError(nodeId, folderPath, err);
    }
  }

  private entry(childId: number): PstMessageEntry {
    const raw = loadMessage(this.pst, childId);
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
    return this.guard(() => new PSTFolder(this.pst, this.pst.getDescriptorIndexNode(Long.fromNumber(nodeId))),
      `opening folder /${path.join('/')} (node ${nodeId})`, nodeId);
  }

  /** Runs a pst-extractor call, turning its errors into PstFileError naming the file and offset. */
  private guard<T>(fn: () => T, what: string, nodeId?: number): T {
    if (this.closed) throw new PstFileError(this.file, `${what}: the file is closed`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof PstFileError || err instanceof PstItemError) throw err;
      let at = offsetIn(err);
      let detail = `${what}: ${messageOf(err)}`;
      if (at === undefined && nodeId !== undefined) {
        at = this.blockOffset(nodeId);
        if (at !== undefined) detail += ` (node ${nodeId}'s data block is at offset ${at}, 0x${at.toString(16)})`;
      }
      throw new PstFileError(this.file, detail, at, { cause: err });
    }
  }
}

/**
 * Guesses the store's code page from up to `limit` messages (first item of each folder, breadth
 * first, at most `maxFolders` folders).
 */
function sampleCodepage(pst: PSTFile, limit = 8, maxFolders = 200): number | undefined {
  const samples: (number | undefined)[] = [];
  const queue: PSTFolder[] = [pst.getRootFolder()];
  let visited = 0;
  while (queue.length && samples.length < limit && visited < maxFolders) {
    const folder = queue.shift()!;
    visited++;
    try {
      const nid = folder.descriptorNodeId.toNumber();
      if ((nid & 0x1f) === NID_TYPE_SEARCH_FOLDER) continue;
      if (folder.contentCount > 0) {
        const first = contentNodeIds(folder as unknown as FolderInternals).next();
        if (!first.done) samples.push(objectCodepage((loadMessage(pst, first.value.nodeId) as unknown as ObjectInternals).pstTableItems));
      }
      if (folder.hasSubfolders) queue.push(...folder.getSubFolders());
    } catch {
      // a guess only: unreadable folders are reported by the walk itself
    }
  }
  return voteCodepage(samples);
}

/** Opens a PST/OST file and checks it can be read. Throws PstFileError naming the file. */
export async function openPst(file: string, options: OpenPstOptions = {}): Promise<PstReader> {
  let header: Header;
  try {
    header = readHeader(file);
  } catch (err) {
    if (err instanceof PstFileError) throw err;
    throw new PstFileError(file, `cannot read: ${messageOf(err)}`, undefined, { cause: err });
  }
  let pst: PSTFile;
  try {
    pst = new PSTFile(file);
    addPageCache(pst);
  } catch (err) {
    const at = offsetIn(err);
    const roots = at === undefined ? ` (node B-tree root at offset ${header.nbtRoot}, block B-tree root at offset ${header.bbtRoot})` : '';
    throw new PstFileError(file, `cannot open the ${header.format} PST index: ${messageOf(err)}${roots}`, at, { cause: err });
  }
  try {
    let codepage = options.codepage ?? FALLBACK_CODEPAGE;
    pst.string8Codepage = string8Resolver(() => codepage);
    if (options.codepage === undefined) codepage = sampleCodepage(pst) ?? FALLBACK_CODEPAGE;
    const rootNodeId = options.scope === 'all' ? NID_ROOT_FOLDER : ipmSubtreeNodeId(pst);
    const reader = new PstReader(file, header.format, pst, rootNodeId, codepage);
    pst.string8Codepage = string8Resolver(() => reader.codepage);
    return reader;
  } catch (err) {
    pst.close();
    if (err instanceof PstFileError) throw err;
    throw new PstFileError(file, `cannot read the ${header.format} PST: ${messageOf(err)}`, offsetIn(err), { cause: err });
  }
}

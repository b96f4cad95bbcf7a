/**
 * The lists, tables and properties layer ([MS-PST] 2.3) over the fast node reader (ndb.ts):
 * heap-on-node items, property contexts (pst-extractor's PSTTableBC) and table contexts
 * (PSTTable7C), parsed from a node's data in one buffer with plain numbers.
 *
 * The results are pst-extractor's own: the same PSTTableItem objects with the same fields, the
 * same rows (including its way of skipping the padding at the end of a row block, its reading of
 * every key table with 8-byte entries, its "external" references), the same errors for tables
 * it cannot parse; so its PSTMessage/PSTAttachment/PSTRecipient getters read them unchanged, and
 * the readpst oracle tests see no difference. ltp.test.ts compares both readers on every node of
 * every fixture.
 *
 * On a file without the fast reader (the Unicode 4K format, see ndb.ts) the same functions fall
 * back to pst-extractor's classes.
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import type { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import type { PSTDescriptorItem } from 'pst-extractor/dist/PSTDescriptorItem.class.js';
import { PSTNodeInputStream } from 'pst-extractor/dist/PSTNodeInputStream.class.js';
import { PSTTable7C } from 'pst-extractor/dist/PSTTable7C.class.js';
import { PSTTableBC } from 'pst-extractor/dist/PSTTableBC.class.js';
import { PSTTableItem } from 'pst-extractor/dist/PSTTableItem.class.js';
import type { Ndb } from './ndb.js';
import { ndbOf } from './ndb-install.js';

export type PropertyItems = Map<number, PSTTableItem>;
/** A table context's rows (TableContext, or pst-extractor's PSTTable7C behind the same face). */
export interface Table {
  rowCount: number;
  /** Whether the table was opened on a column it has (else every column of a row is decoded). */
  hasColumn: boolean;
  rows(start?: number, count?: number): PropertyItems[];
}
export type Subnodes = Map<number, PSTDescriptorItem>;

/** Bytes `[start, end)` of a node (a heap allocation, or a whole subnode). */
interface Span { data: Buffer; start: number; end: number }

const eof = (at: number, n: number, length: number): Error =>
  new Error(`PSTNodeInputStream::readCompletely unexpected EOF encountered attempting to read from PSTInputStream (${n} bytes at ${at} of ${length})`);

function u8(data: Buffer, at: number): number {
  if (at < 0 || at >= data.length) throw eof(at, 1, data.length);
  return data[at]!;
}
function u16(data: Buffer, at: number): number {
  if (at < 0 || at + 2 > data.length) throw eof(at, 2, data.length);
  return data.readUInt16LE(at);
}
function u32(data: Buffer, at: number): number {
  if (at < 0 || at + 4 > data.length) throw eof(at, 4, data.length);
  return data.readUInt32LE(at);
}
/**
 * `n` bytes at `at`: a view into the node's data, which the Heap owns (one buffer per property
 * context or table instead of one per value: fewer, larger allocations to collect). Values are
 * read, never written to, by pst-extractor's getters and this project.
 */
function bytes(data: Buffer, at: number, n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  if (at < 0 || at + n > data.length) throw eof(at, n, data.length);
  return data.subarray(at, at + n);
}

/** A node's data as a heap-on-node ([MS-PST] 2.3.1), with the subnodes a table may refer to. */
export class Heap {
  constructor(readonly data: Buffer, private readonly ends: number[], private readonly subnodes?: Subnodes, private readonly ndb?: Ndb) {}

  /** The heap in the data of block `bid`, in a buffer of its own (the values read from it are views into it). */
  static of(ndb: Ndb, bid: number, subnodes?: Subnodes): Heap {
    const { data, ends, length, shared } = ndb.nodeContents(bid);
    const own = shared ? Buffer.from(data) : data;
    return new Heap(own.length === length ? own : own.subarray(0, length), ends, subnodes, ndb);
  }

  /**
   * pst-extractor's PSTTable#getNodeInfo: a subnode, a heap allocation, or null for another
   * reference. `firstBlock`: of a subnode only its first block is read (reading past it fails).
   */
  span(hnid: number, firstBlock = false): Span | null {
    if (hnid === 0) return { data: this.data, start: 0, end: 0 };
    const sub = this.subnodes?.get(hnid);
    if (sub && firstBlock && this.ndb) {
      const { data, length } = this.ndb.firstBlock(sub.offsetIndexIdentifier);
      return { data: Buffer.from(data.subarray(0, length)), start: 0, end: length };
    }
    if (sub) {
      const data = this.ndb ? this.ndb.nodeData(sub.offsetIndexIdentifier) : sub.getData();
      return { data, start: 0, end: data.length };
    }
    if ((hnid & 0x1f) !== 0) return null;
    const block = hnid >>> 16;
    if (block > this.ends.length) throw new Error(`PSTTable::getNodeInfo: block doesn't exist: ${hnid}, ${block}, ${this.ends.length}`);
    const index = (hnid & 0xffff) >> 5;
    const base = block > 0 ? this.ends[block - 1]! : 0;
    let map = u16(this.data, base) + base;
    const cAlloc = u16(this.data, map);
    if (index >= cAlloc + 1) throw new Error(`PSTTable::getNodeInfo: node index doesn't exist! nid = ${hnid}`);
    map += 2 * index + 2;
    const start = u16(this.data, map) + base;
    const end = u16(this.data, map + 2) + base;
    if (start > end) throw new Error(`NodeInfo:: constructor Invalid NodeInfo parameters: start ${start} is greater than end ${end}`);
    return { data: this.data, start, end };
  }
}

/** The table header pst-extractor's PSTTable reads: client signature, user root, the BTH header at 0x20. */
interface TableHeader { type: number; hidUserRoot: number; keySize: number; valueSize: number; hidRoot: number }

function tableHeader(heap: Heap): TableHeader {
  const type = u8(heap.data, 3);
  if (type !== 0x7c && type !== 0xbc) throw new Error(`PSTTable::constructor Unable to parse table, bad table type.  Unknown identifier: 0x${type.toString(16)}`);
  const hidUserRoot = u32(heap.data, 4);
  const bth = heap.span(0x20);
  if (!bth) throw new Error('PSTTable::constructor headerNodeInfo is null');
  // single bytes read past the end are 0xff (pst-extractor's read() gives -1)
  const byte = (at: number): number => bth.data[at] ?? 0xff;
  const sig = byte(bth.start);
  if (sig !== 0xb5) throw new Error(`PSTTable::constructor Unable to parse table, can't find BTHHEADER header information: ${sig}`);
  return { type, hidUserRoot, keySize: byte(bth.start + 1), valueSize: byte(bth.start + 2), hidRoot: u32(bth.data, bth.start + 4) };
}

/** A little-endian number of `n` bytes, bytes past the end counting as 0 (as pst-extractor reads a key table's copy). */
function le(buf: Buffer, at: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + (buf[at + i] ?? 0);
  return v;
}

/** Property ids as `Long`s (PSTTableItem#entryType), made once: they are never changed. */
const ids: Long[] = [];
const EMPTY = Buffer.alloc(0);

interface ItemFields {
  _itemIndex: number; _entryType: Long; _isExternalValueReference: boolean; _entryValueReference: number; _entryValueType: number; _data: Buffer;
}

/**
 * A PSTTableItem with the fields its constructor and setters would give it, made without the
 * constructor's own allocations (a Long and an empty Buffer per item: a 200-recipient table has
 * thousands of items).
 */
function tableItem(index: number, id: number, type: number, ref: number): PSTTableItem {
  const item = Object.create(PSTTableItem.prototype) as ItemFields;
  item._itemIndex = index;
  item._entryType = ids[id] ??= Long.fromNumber(id);
  item._isExternalValueReference = false;
  item._entryValueReference = ref;
  item._entryValueType = type;
  item._data = EMPTY;
  return item as unknown as PSTTableItem;
}

/** A property context ([MS-PST] 2.3.3) as pst-extractor's PSTTableBC#getItems gives it. */
export function propertyContext(heap: Heap): PropertyItems {
  const h = tableHeader(heap);
  if (h.type !== 0xbc) throw new Error('PSTTableBC::constructor unable to create PSTTableBC, table does not appear to be a bc!');
  const keys = heap.span(h.hidRoot);
  if (!keys) throw new Error('PSTTableBC::constructor keyTableInfoNodeInfo is null');
  const table = bytes(keys.data, keys.start, keys.end - keys.start);
  const count = Math.trunc(table.length / (h.keySize + h.valueSize));
  const items: PropertyItems = new Map();
  for (let x = 0, at = 0; x < count; x++, at += 8) {
    const type = le(table, at + 2, 2);
    const item = tableItem(x, le(table, at, 2), type, le(table, at + 4, 4));
    switch (type) {
      case 0x0002: item.entryValueReference &= 0xffff; item.isExternalValueReference = true; break;
      case 0x0003: case 0x000a: case 0x0001: case 0x0004: item.isExternalValueReference = true; break;
      case 0x000b: item.entryValueReference &= 0xff; item.isExternalValueReference = true; break;
      default: {
        item.isExternalValueReference = true;
        const value = heap.span(item.entryValueReference);
        if (value) {
          item.data = bytes(value.data, value.start, value.end - value.start);
          item.isExternalValueReference = false;
        }
      }
    }
    items.set(le(table, at, 2), item);
  }
  return items;
}

interface Column { type: number; id: number; ibData: number; cbData: number; iBit: number }

/** [MS-PST] 2.3.4.4: a row block holds 8192 bytes minus the block trailer. */
const rowBlockSize = (ansi: boolean): number => (ansi ? 8180 : 8176);

/**
 * A table context ([MS-PST] 2.3.4) as pst-extractor's PSTTable7C reads it: `column` (its
 * entityToExtract) limits the decoded columns to those up to that one.
 */
export class TableContext {
  private readonly columns: Column[] = [];
  private readonly numColumns: number;
  private readonly overrideCol: number = -1;
  get hasColumn(): boolean { return this.overrideCol > -1; }
  private readonly TCI_1b: number;
  private readonly TCI_bm: number;
  private readonly rowsSpan: Span;
  private readonly blockSize: number;
  /** pst-extractor's rowCount (numberOfDataSets). */
  readonly rowCount: number;
  private all: PropertyItems[] | undefined;

  /** `firstBlock`: only the first block of rows is read (a table's first rows, cheaply; rows past it fail). */
  constructor(private readonly heap: Heap, ansi: boolean, column?: number, firstBlock = false) {
    const h = tableHeader(heap);
    if (h.type !== 0x7c) throw new Error('PSTTable7C::constructor unable to create PSTTable7C, table does not appear to be a 7c!');
    this.blockSize = rowBlockSize(ansi);
    const tc = heap.span(h.hidUserRoot);
    if (!tc) throw new Error('PSTTable7C::constructor tcHeaderNode is null');
    const at = (n: number): number => tc.start + n;
    let numColumns = u8(tc.data, at(1));
    this.TCI_1b = u16(tc.data, at(6));
    this.TCI_bm = u16(tc.data, at(8));
    const hnidRows = u32(tc.data, at(14));
    for (let col = 0, off = 22; col < numColumns; col++, off += 8) {
      const c: Column = {
        type: u16(tc.data, at(off)), id: u16(tc.data, at(off + 2)), ibData: u16(tc.data, at(off + 4)),
        cbData: at(off + 6) < tc.data.length ? tc.data[at(off + 6)]! : -1, iBit: at(off + 7) < tc.data.length ? tc.data[at(off + 7)]! : -1,
      };
      this.columns.push(c);
      if (c.id === column) this.overrideCol = col;
    }
    if (this.overrideCol > -1) numColumns = this.overrideCol + 1;
    this.numColumns = numColumns;
    // the key table (pst-extractor reads it, fails on one past the data, and does not use it)
    const keys = heap.span(h.hidRoot);
    if (!keys) throw new Error('PSTTable7C::constructor keyTableInfo is null');
    const keyCount = Math.trunc((keys.end - keys.start) / (h.keySize + h.valueSize));
    if (keyCount > 0 && keys.start + keyCount * (h.keySize + h.valueSize) > keys.data.length) throw eof(keys.start, keys.end - keys.start, keys.data.length);
    const rows = heap.span(hnidRows, firstBlock);
    if (!rows) throw new Error('PSTTable7C::constructor rowNodeInfo is null');
    this.rowsSpan = rows;
    const length = rows.end - rows.start;
    const numberOfBlocks = Math.trunc(length / this.blockSize);
    const rowsPerBlock = Math.trunc(this.blockSize / this.TCI_bm);
    this.rowCount = Math.trunc(numberOfBlocks * rowsPerBlock + (length % this.blockSize) / this.TCI_bm);
  }

  /** Rows as pst-extractor's getItems(start, count) gives them; without arguments, all (kept). */
  rows(start?: number, count?: number): PropertyItems[] {
    if (start === undefined) {
      this.all ??= this.read(0, this.rowCount);
      return this.all;
    }
    return this.read(start, count ?? 0);
  }

  private read(start: number, count: number): PropertyItems[] {
    const { data, start: base, end } = this.rowsSpan;
    const length = end - base;
    const bs = this.blockSize;
    const bm = this.TCI_bm;
    const rowsPerBlock = Math.trunc(bs / bm);
    const padding = bs - rowsPerBlock * bm;
    let pos = Math.trunc(start / rowsPerBlock) * bs + (start % rowsPerBlock) * bm;
    const n = count > this.rowCount - start ? this.rowCount - start : count;
    const out: PropertyItems[] = [];
    const bitmapLength = Math.floor((this.numColumns + 7) / 8);
    for (let r = 0; r < n; r++) {
      if (pos % bs > bs - bm) {
        pos += padding;
        if (pos + bm > length) continue;
      }
      const bitmap = bytes(data, base + pos + this.TCI_1b, bitmapLength);
      const row: PropertyItems = new Map();
      const id = tableItem(-1, 0x67f2, 3, u32(data, base + pos));
      id.isExternalValueReference = true;
      row.set(0x67f2, id);
      for (let col = this.overrideCol > -1 ? this.overrideCol : 0; col < this.numColumns; col++) {
        const c = this.columns[col]!;
        const byte = Math.trunc(c.iBit / 8);
        if (byte >= bitmap.length || (bitmap[byte]! & (1 << (7 - (c.iBit % 8)))) === 0) continue;
        const item = tableItem(col, c.id, c.type, 0);
        const at = base + pos + c.ibData;
        switch (c.cbData) {
          case 1: item.entryValueReference = u8(data, at); item.isExternalValueReference = true; break;
          case 2: item.entryValueReference = u16(data, at); item.isExternalValueReference = true; break;
          case 8: item.data = bytes(data, at, 8); break;
          default: {
            item.entryValueReference = u32(data, at);
            if (c.type === 0x0003 || c.type === 0x0004 || c.type === 0x000a || (item.entryValueReference & 0x1f) !== 0) {
              item.isExternalValueReference = true;
            } else if (item.entryValueReference !== 0) {
              const value = this.heap.span(item.entryValueReference);
              if (value) item.data = bytes(value.data, value.start, value.end - value.start);
            }
          }
        }
        row.set(c.id, item);
      }
      out.push(row);
      pos += bm;
    }
    return out;
  }
}

// --- the entry points: fast where the file has the fast reader, pst-extractor's classes otherwise ---

const asLong = (n: number | Long): Long => (typeof n === 'number' ? Long.fromNumber(n) : n);
const isAnsi = (pst: PSTFile): boolean => pst.pstFileType === 14;

/** The subnodes of a node (`bidSub`), or an empty map for none. */
export function subnodesOf(pst: PSTFile, bidSub: number | Long): Subnodes {
  const bid = typeof bidSub === 'number' ? bidSub : bidSub.toNumber();
  if (bid <= 0) return new Map();
  const ndb = ndbOf(pst);
  return ndb ? ndb.subnodes(bid) : pst.getPSTDescriptorItems(asLong(bidSub));
}

/** The property context in the data of block `bid` (a node's bidData or a subnode's). */
export function propertiesAt(pst: PSTFile, bid: number | Long): PropertyItems {
  const ndb = ndbOf(pst);
  if (ndb) return propertyContext(Heap.of(ndb, typeof bid === 'number' ? bid : bid.toNumber()));
  return new PSTTableBC(new PSTNodeInputStream(pst, pst.getOffsetIndexNode(asLong(bid)))).getItems();
}

/** The table context in the data of block `bid`, with the subnodes its values may live in. */
export function tableAt(pst: PSTFile, bid: number | Long, subnodes?: Subnodes, column?: number, firstBlock = false): Table {
  const ndb = ndbOf(pst);
  if (ndb) return new TableContext(Heap.of(ndb, typeof bid === 'number' ? bid : bid.toNumber(), subnodes), isAnsi(pst), column, firstBlock);
  const table = new PSTTable7C(new PSTNodeInputStream(pst, pst.getOffsetIndexNode(asLong(bid))), subnodes, column);
  return {
    rowCount: table.rowCount,
    hasColumn: (table as unknown as { overrideCol: number }).overrideCol > -1,
    rows: (start, count) => table.getItems(start, count),
  };
}

/** A node's properties and subnodes, from its node B-tree entry. */
export function nodeObject(pst: PSTFile, node: DescriptorIndexNode): { items: PropertyItems; subnodes: Subnodes | undefined } {
  const items = propertiesAt(pst, node.dataOffsetIndexIdentifier);
  const sub = node.localDescriptorsOffsetIndexIdentifier;
  return { items, subnodes: sub.notEquals(0) ? subnodesOf(pst, sub) : undefined };
}

/** The data of a subnode (a value or an attachment's contents) in one buffer. */
export function subnodeData(pst: PSTFile, item: PSTDescriptorItem): Buffer {
  const ndb = ndbOf(pst);
  return ndb ? ndb.nodeData(item.offsetIndexIdentifier) : item.getData();
}

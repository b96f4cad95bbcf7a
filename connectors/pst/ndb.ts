/**
 * The node database layer ([MS-PST] 2.2) read the fast way, under pst-extractor's object model:
 * look-ups in the node and block B-trees, data blocks (checked, decoded), a node's data (through
 * its XBLOCK/XXBLOCK tree) and subnode trees (SLBLOCK/SIBLOCK).
 *
 * pst-extractor does the same with a `Long` for every number and a positioned read for every
 * field: a B-tree look-up costs hundreds of reads, and a message was looked up and parsed twice.
 * Here a B-tree page is read whole (from the page cache, page-cache.ts) and searched with plain
 * numbers, look-ups are kept (bounded), and decoded blocks are kept in a cache bounded in bytes.
 * `installNdb` (ndb-install.ts) also replaces the PSTFile's own look-ups (getDescriptorIndexNode,
 * getOffsetIndexNode, getPSTDescriptorItems) with these, so the library's remaining code paths
 * run on them too. Results equal pst-extractor's (ltp.test.ts compares them on every fixture).
 *
 * Integrity (block-check.ts): every B-tree page visited and every block read goes through the
 * file's checks, as pst-extractor's own reads do; a block is cached only after it passed.
 *
 * Not used for the Unicode 4K (OST 2013) format, whose compressed blocks pst-extractor handles
 * its own way (no such file among the fixtures): those files keep the library's reads.
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import { OffsetIndexItem } from 'pst-extractor/dist/OffsetIndexItem.class.js';
import { PSTDescriptorItem } from 'pst-extractor/dist/PSTDescriptorItem.class.js';
import { PSTUtil } from 'pst-extractor/dist/PSTUtil.class.js';
import { PTYPE_BBT, PTYPE_NBT } from './block-check.js';
import { BoundedMap } from './bounded-map.js';

/** A node B-tree entry (NBTENTRY). */
export interface NodeEntry { nid: number; bidData: number; bidSub: number; nidParent: number }
/** A block B-tree entry (BBTENTRY). */
export interface BlockEntry { bid: number; ib: number; cb: number }

interface Layout {
  /** Entries area of a B-tree page; cEnt, cEntMax, cbEnt, cLevel follow it. */
  entries: number;
  /** ptype/ptypeRepeat of the page trailer. */
  ptypeAt: number;
  /** Width of a BID, IB or B-tree key. */
  width: number;
  branch: number;
  nbtLeaf: number;
  bbtLeaf: number;
  /** Header offsets of BREFNBT / BREFBBT (bid, then ib). */
  nbtRoot: number;
  bbtRoot: number;
}
const LAYOUT: Record<'ansi' | 'unicode', Layout> = {
  ansi: { entries: 496, ptypeAt: 500, width: 4, branch: 12, nbtLeaf: 16, bbtLeaf: 12, nbtRoot: 184, bbtRoot: 192 },
  unicode: { entries: 488, ptypeAt: 496, width: 8, branch: 24, nbtLeaf: 32, bbtLeaf: 24, nbtRoot: 216, bbtRoot: 232 },
};
const PAGE = 512;

/**
 * Look-ups kept per tree, and decoded bytes kept in the block cache. Blocks are mostly read once
 * (a table, an item, its attachments); the cache catches the few read again right away (an
 * attachment's properties after its size, an XBLOCK after its length): measured on the fixtures,
 * 256 KiB keeps 70 % of the hits of 4 MiB, and cached blocks that outlive the young generation
 * only add to the garbage.
 */
const MAX_ENTRIES = 8192;
const MAX_CACHED_BYTES = 256 * 1024;

/** [MS-PST] 5.1: the "compressible encryption" substitution table, as a typed array. */
const DECODE = Uint8Array.from(PSTUtil.compEnc);

/** A BID's "internal" bit (XBLOCK, XXBLOCK, SLBLOCK, SIBLOCK). */
const isInternal = (bid: number): boolean => Math.floor(bid / 2) % 2 === 1;
/** A BID with bit 0 (reserved) cleared. */
const bidOf = (n: number): number => n - (n % 2);

const word = (buf: Buffer, at: number, width: number): number =>
  (width === 4 ? buf.readUInt32LE(at) : buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x100000000);

/** An index entry: its fields, and its bytes as 32-bit words (kept as numbers, not a buffer: entries live long). */
interface Cached<T, L> { entry: T; raw: number[]; lib?: L }

/**
 * A subnode (SLENTRY) as pst-extractor's PSTDescriptorItem, its data read through the Ndb each
 * time it is asked for (pst-extractor keeps it on the item: a message's bodies and attachments
 * then lived as long as the message object, long enough to outlive the young generation).
 */
export class FastDescriptorItem extends PSTDescriptorItem {
  declare private ndb: Ndb;

  /**
   * The item of the entry at `offset` of an SLBLOCK (type 0) or SIBLOCK (1), with the fields
   * pst-extractor's constructor gives it (its BIDs cut to 32 bits, as it does), made without the
   * `Long`s it parses them with.
   */
  static of(ndb: Ndb, data: Buffer, offset: number, entryType: number): FastDescriptorItem {
    const w = ndb.width;
    const u32 = (at: number): number => (data[at] ?? 0) + (data[at + 1] ?? 0) * 0x100 + (data[at + 2] ?? 0) * 0x10000 + (data[at + 3] ?? 0) * 0x1000000;
    const item = Object.create(FastDescriptorItem.prototype) as Record<string, unknown>;
    item.dataBlockData = null;
    item.dataBlockOffsets = [];
    item._pstFile = ndb.pst;
    item._descriptorIdentifier = u32(offset);
    item._offsetIndexIdentifier = u32(offset + w) & 0xfffffffe;
    item._subNodeOffsetIndexIdentifier = entryType === 0 ? u32(offset + 2 * w) & 0xfffffffe : 0;
    item.ndb = ndb;
    return item as unknown as FastDescriptorItem;
  }

  override getData(): Buffer {
    return this.ndb.nodeData(this.offsetIndexIdentifier);
  }
}

/** A 64-bit field (low and high 32-bit words) as pst-extractor's signed `Long`. */
const longOf = (lo: number, hi: number): Long => Long.fromBits(lo | 0, hi | 0);

export class Ndb {
  private readonly l: Layout;
  private readonly nodes = new BoundedMap<number, Cached<NodeEntry, DescriptorIndexNode>>(MAX_ENTRIES);
  private readonly blocks = new BoundedMap<number, Cached<BlockEntry, OffsetIndexItem>>(MAX_ENTRIES);
  private readonly data = new BoundedMap<number, Buffer>(MAX_CACHED_BYTES, (b) => b.length + 64);
  private readonly encrypted: boolean;
  private readonly page = Buffer.allocUnsafe(PAGE);
  /** Counters, for tests and the bench. */
  readonly stats = { blockReads: 0, blockHits: 0, lookups: 0, lookupHits: 0 };

  /** Width of a BID or offset in this file (4: ANSI, 8: Unicode). */
  readonly width: number;

  constructor(readonly pst: PSTFile, format: 'ansi' | 'unicode') {
    this.l = LAYOUT[format];
    this.width = this.l.width;
    this.encrypted = pst.encryptionType === 1;
  }

  /** The node B-tree entry of `nid`; throws pst-extractor's "Unable to find" error when it has none. */
  node(nid: number): NodeEntry {
    return this.nodeCached(nid).entry;
  }

  /** The block B-tree entry of `bid`; throws pst-extractor's "Unable to find" error when it has none. */
  block(bid: number): BlockEntry {
    return this.blockCached(bid).entry;
  }

  private nodeCached(nid: number): Cached<NodeEntry, DescriptorIndexNode> {
    this.stats.lookups++;
    const known = this.nodes.get(nid);
    if (known) { this.stats.lookupHits++; return known; }
    const raw = this.find(nid, true);
    const entry: NodeEntry = this.l.width === 4
      ? { nid: raw[0]!, bidData: raw[1]!, bidSub: raw[2]!, nidParent: raw[3]! }
      : { nid: raw[0]!, bidData: raw[2]! + raw[3]! * 0x100000000, bidSub: raw[4]! + raw[5]! * 0x100000000, nidParent: raw[6]! };
    const c = { entry, raw };
    this.nodes.set(nid, c);
    return c;
  }

  private blockCached(bid: number): Cached<BlockEntry, OffsetIndexItem> {
    this.stats.lookups++;
    const known = this.blocks.get(bid);
    if (known) { this.stats.lookupHits++; return known; }
    const raw = this.find(bid, false);
    const c = this.l.width === 4
      ? { entry: { bid: raw[0]!, ib: raw[1]!, cb: raw[2]! & 0xffff }, raw }
      : { entry: { bid: raw[0]! + raw[1]! * 0x100000000, ib: raw[2]! + raw[3]! * 0x100000000, cb: raw[4]! & 0xffff }, raw };
    this.blocks.set(bid, c);
    return c;
  }

  /** pst-extractor's DescriptorIndexNode for `nid` (what PSTFile#getDescriptorIndexNode returns). */
  descriptorIndexNode(nid: number): DescriptorIndexNode {
    const c = this.nodeCached(nid);
    if (!c.lib) {
      // the fields DescriptorIndexNode's constructor parses from the entry, in its order
      const r = c.raw;
      const wide = this.l.width === 8;
      const n = Object.create(DescriptorIndexNode.prototype) as Record<string, unknown>;
      n.itemType = 0;
      n._descriptorIdentifier = r[0];
      n._dataOffsetIndexIdentifier = wide ? longOf(r[2]!, r[3]!) : longOf(r[1]!, 0);
      n._localDescriptorsOffsetIndexIdentifier = wide ? longOf(r[4]!, r[5]!) : longOf(r[2]!, 0);
      n._parentDescriptorIndexIdentifier = wide ? r[6] : r[3];
      if (wide) n.itemType = r[7];
      c.lib = n as unknown as DescriptorIndexNode;
    }
    return c.lib;
  }

  /** pst-extractor's OffsetIndexItem for `bid` (what PSTFile#getOffsetIndexNode returns). */
  offsetIndexItem(bid: number): OffsetIndexItem {
    const c = this.blockCached(bid);
    if (!c.lib) {
      // the fields OffsetIndexItem's constructor parses (its cRef of a Unicode entry is the size's bytes, as there)
      const r = c.raw;
      const wide = this.l.width === 8;
      const o = Object.create(OffsetIndexItem.prototype) as Record<string, unknown>;
      o._indexIdentifier = wide ? longOf(r[0]!, r[1]!) : longOf(r[0]!, 0);
      o._fileOffset = wide ? longOf(r[2]!, r[3]!) : longOf(r[1]!, 0);
      o._size = wide ? r[4]! & 0xffff : r[2]! & 0xffff;
      o.cRef = Long.fromNumber(wide ? r[4]! & 0xffff : r[2]! >>> 16);
      c.lib = o as unknown as OffsetIndexItem;
    }
    return c.lib;
  }

  /**
   * pst-extractor's findBtreeItem with whole pages and plain numbers: the same walk (the first
   * key above the one wanted picks the branch before it; none: the last branch; a first key above
   * it: not in the tree), the same page checks, the same "Unable to find" errors.
   */
  private find(key: number, nbt: boolean): number[] {
    const l = this.l;
    const w = l.width;
    const ptype = nbt ? PTYPE_NBT : PTYPE_BBT;
    const root = Buffer.allocUnsafe(2 * w);
    this.pst.readSync(root, root.length, nbt ? l.nbtRoot : l.bbtRoot);
    let bid = word(root, 0, w);
    let ib = word(root, w, w);
    const page = this.page;
    for (let depth = 0; depth < 32; depth++) {
      this.pst.checks?.page(this.pst, ib, ptype, bid);
      this.pst.readSync(page, PAGE, ib);
      if (page[l.ptypeAt] !== ptype || page[l.ptypeAt + 1] !== ptype) break;
      const count = page[l.entries]!;
      const level = page[l.entries + 3]!;
      if (level === 0) {
        const size = nbt ? l.nbtLeaf : l.bbtLeaf;
        for (let x = 0; x < count; x++) {
          const at = x * size;
          // pst-extractor compares a node entry's first 4 bytes, a block entry's whole key
          const k = nbt ? page.readUInt32LE(at) : word(page, at, w);
          if (k === key) {
            const words: number[] = [];
            for (let o = at; o < at + size; o += 4) words.push(page.readUInt32LE(o));
            return words;
          }
        }
        throw new Error(`PSTFile::findBtreeItem Unable to find ${key} is desc: ${nbt}`);
      }
      let next = -1;
      for (let x = 0; x < count; x++) {
        if (word(page, x * l.branch, w) > key) { next = x - 1; break; }
      }
      if (next === -1 && count > 0 && word(page, 0, w) > key) break; // smaller than every key
      if (next === -1) next = count - 1;
      if (next < 0) break;
      bid = word(page, next * l.branch + w, w);
      ib = word(page, next * l.branch + 2 * w, w);
    }
    throw new Error(`PSTFile::findBtreeItem Unable to find node: ${key} is desc: ${nbt}`);
  }

  /**
   * One block's bytes, checked against its trailer and decoded (data blocks of an encrypted
   * file). Shared with the cache: callers copy what they keep and never write to it.
   */
  readBlock(bid: number): Buffer {
    const cached = this.data.get(bid);
    if (cached) { this.stats.blockHits++; return cached; }
    const { ib, cb } = this.block(bid);
    const buf = Buffer.allocUnsafe(cb);
    if (cb > 0) this.pst.readSync(buf, cb, ib);
    this.pst.checks?.block(this.pst, bid, ib, cb, buf);
    this.stats.blockReads++;
    if (this.encrypted && !isInternal(bid)) for (let i = 0; i < buf.length; i++) buf[i] = DECODE[buf[i]!]!;
    this.data.set(bid, buf);
    return buf;
  }

  /** Block `bid` read straight into `out` at `at` (checked, decoded), bypassing the cache: the view of it. */
  private readInto(bid: number, out: Buffer, at: number): Buffer {
    const { ib, cb } = this.block(bid);
    const region = out.subarray(at, at + cb);
    if (cb > 0) this.pst.readSync(region, cb, ib);
    this.pst.checks?.block(this.pst, bid, ib, cb, region);
    this.stats.blockReads++;
    if (this.encrypted && !isInternal(bid)) for (let i = 0; i < region.length; i++) region[i] = DECODE[region[i]!]!;
    return region;
  }

  /**
   * A node's data as pst-extractor's PSTNodeInputStream sees it: its data blocks one after the
   * other (through its XBLOCK/XXBLOCK tree; an internal block that is not an XBLOCK is data
   * itself), `ends` where each block ends, `length` the node's bytes (an XBLOCK's lcbTotal, else
   * the block's size). A node of several blocks is read straight into one new buffer; a single
   * block is the cache's buffer (`shared`: copy what is kept, never write to it).
   */
  nodeContents(bid: number): { data: Buffer; ends: number[]; length: number; shared: boolean } {
    const first = this.readBlock(bid);
    const single = { data: first, ends: [first.length], length: first.length, shared: true };
    if (!isInternal(bid)) return single;
    if (first.length < 8) throw new Error('PSTNodeInputStream::loadFromOffsetItem Invalid internal block size');
    if (first[0] !== 0x01) return single;
    const bids: number[] = [];
    this.xblock(first, bids, 0);
    const ends: number[] = [];
    let total = 0;
    for (const b of bids) { total += this.block(b).cb; ends.push(total); }
    const length = first.readUInt32LE(4);
    if (length > total) throw new Error(`PSTNodeInputStream: the node's XBLOCK says ${length} bytes, its blocks hold ${total}`);
    const data = Buffer.allocUnsafe(total);
    bids.forEach((b, i) => this.readInto(b, data, i === 0 ? 0 : ends[i - 1]!));
    return { data, ends, length, shared: false };
  }

  /** The data block ids under an XBLOCK (or XXBLOCK), in order. */
  private xblock(data: Buffer, out: number[], depth: number): void {
    if (data[0] !== 0x01) throw new Error('PSTNodeInputStream::loadFromOffsetItem Unable to process XBlock, incorrect identifier');
    if (depth > 2) throw new Error('XBLOCK tree deeper than an XXBLOCK (a loop in a damaged file)');
    const count = data.readUInt16LE(2);
    const w = this.l.width;
    for (let x = 0; x < count; x++) {
      const bid = bidOf(word(data, 8 + x * w, w));
      if (data[1] === 0x02) this.xblock(this.readBlock(bid), out, depth + 1);
      else if (data[1] === 0x01) out.push(bid);
    }
  }

  /**
   * A node's first data block only (the cache's buffer: never written to) and the node's length:
   * enough for the first rows of a large table.
   */
  firstBlock(bid: number): { data: Buffer; length: number } {
    let block = this.readBlock(bid);
    if (!isInternal(bid) || block.length < 8 || block[0] !== 0x01) return { data: block, length: block.length };
    const length = block.readUInt32LE(4);
    const w = this.l.width;
    for (let depth = 0; block[0] === 0x01 && block.readUInt16LE(2) > 0 && depth < 3; depth++) {
      const next = bidOf(word(block, 8, w));
      const down = block[1] === 0x02;
      block = this.readBlock(next);
      if (!down) return { data: block, length };
    }
    throw new Error('PSTNodeInputStream: an XBLOCK without data blocks');
  }

  /** A node's length without reading its data blocks (an XBLOCK's lcbTotal, else the block's size). */
  nodeLength(bid: number): number {
    const first = this.readBlock(bid);
    return isInternal(bid) && first.length >= 8 && first[0] === 0x01 ? first.readUInt32LE(4) : first.length;
  }

  /** A node's data in a buffer of its own. */
  nodeData(bid: number): Buffer {
    const { data, length, shared } = this.nodeContents(bid);
    return shared ? Buffer.from(data.subarray(0, length)) : data.subarray(0, length);
  }

  /**
   * The subnodes under an SLBLOCK/SIBLOCK tree, as pst-extractor's getPSTDescriptorItems gives
   * them (its errors for a block of another kind).
   */
  subnodes(bid: number, depth = 0): Map<number, PSTDescriptorItem> {
    const data = this.nodeData(bid);
    const sig = data.length ? data[0]! : -1;
    if (sig !== 0x02) throw new Error(`PSTFile::getPSTDescriptorItems Unable to process descriptor node, bad signature: ${sig}`);
    const type = data.length > 1 ? data[1]! : -1;
    if (type !== 0 && type !== 1) throw new Error(`Unable to process descriptor node, unknown BLOCK type: ${type}`);
    if (depth > 8) throw new Error('subnode tree deeper than 8 levels (a loop in a damaged file)');
    const out = new Map<number, PSTDescriptorItem>();
    const count = data.readUInt16LE(2);
    const ansi = this.l.width === 4;
    let offset = ansi ? 4 : 8;
    const stride = type === 0 ? (ansi ? 12 : 24) : (ansi ? 8 : 16);
    for (let x = 0; x < count; x++) {
      const item = FastDescriptorItem.of(this, data, offset, type);
      if (type === 0) out.set(item.descriptorIdentifier, item);
      else for (const [k, v] of this.subnodes(item.offsetIndexIdentifier, depth + 1)) out.set(k, v);
      offset += stride;
    }
    return out;
  }

  /** Bytes held by the block cache (bounded by MAX_CACHED_BYTES). */
  get cachedBytes(): number { return this.data.bytes; }
}

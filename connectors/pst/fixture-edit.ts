/**
 * Test support (not built into dist): edits a copy of a PST in memory the way a damaged or
 * unusual file would look, keeping it consistent where the test wants it consistent: find a
 * node's data block, rewrite bytes in it (through the file's "compressible" encoding when it has
 * one), and re-seal the block's CRC and the header's CRCs, so that only the edit a test means is
 * different. Reads the B-trees directly from the bytes ([MS-PST] 2.2.2.7); no pst-extractor.
 */
import { PSTUtil } from 'pst-extractor/dist/PSTUtil.class.js';
import { blockTrailerAt, pstCrc, PTYPE_BBT, PTYPE_NBT } from './block-check.js';
import type { PstFormat } from './pst-header.js';

export interface BlockRef { bid: number; ib: number; cb: number }
export interface NodeRef { nid: number; bidData: number; bidSub: number; parent: number }

export function formatOf(data: Buffer): PstFormat {
  const wVer = data.readUInt16LE(10);
  return wVer === 14 || wVer === 15 ? 'ansi' : wVer === 36 ? 'unicode-4k' : 'unicode';
}

const isAnsi = (data: Buffer): boolean => formatOf(data) === 'ansi';
const word = (data: Buffer, at: number, ansi: boolean): number => (ansi ? data.readUInt32LE(at) : Number(data.readBigUInt64LE(at)));

/** Every leaf entry of a B-tree (block: 0x80, node: 0x81), with its page's offset. */
function leaves(data: Buffer, ptype: number, visit: (entry: number, page: number) => void): void {
  const ansi = isAnsi(data);
  const w = ansi ? 4 : 8;
  const walk = (ib: number): void => {
    const cEnt = data[ib + (ansi ? 496 : 488)]!;
    const cbEnt = data[ib + (ansi ? 498 : 490)]!;
    const cLevel = data[ib + (ansi ? 499 : 491)]!;
    for (let i = 0; i < cEnt; i++) {
      const e = ib + i * cbEnt;
      if (cLevel > 0) walk(word(data, e + 2 * w, ansi));
      else visit(e, ib);
    }
  };
  // ROOT.BREFNBT / BREFBBT (bid, ib)
  const root = ptype === PTYPE_NBT ? (ansi ? 184 : 216) : (ansi ? 192 : 232);
  walk(word(data, root + w, ansi));
}

/** The block B-tree: BID → where the block is. */
export function blocks(data: Buffer): Map<number, BlockRef> {
  const ansi = isAnsi(data);
  const w = ansi ? 4 : 8;
  const out = new Map<number, BlockRef>();
  leaves(data, PTYPE_BBT, (e) => {
    const bid = word(data, e, ansi);
    out.set(bid, { bid, ib: word(data, e + w, ansi), cb: data.readUInt16LE(e + 2 * w) });
  });
  return out;
}

/** The node B-tree: NID → its blocks and parent. */
export function nodes(data: Buffer): Map<number, NodeRef> {
  const ansi = isAnsi(data);
  const w = ansi ? 4 : 8;
  const out = new Map<number, NodeRef>();
  leaves(data, PTYPE_NBT, (e) => {
    const nid = data.readUInt32LE(e);
    out.set(nid, { nid, bidData: word(data, e + w, ansi), bidSub: word(data, e + 2 * w, ansi), parent: data.readUInt32LE(e + (ansi ? 12 : 24)) });
  });
  return out;
}

/** The pages of both B-trees (their offsets). */
export function pages(data: Buffer): number[] {
  const out = new Set<number>();
  leaves(data, PTYPE_BBT, (_e, page) => out.add(page));
  leaves(data, PTYPE_NBT, (_e, page) => out.add(page));
  return [...out];
}

/** Whether the file's blocks are stored with the "compressible" encoding ([MS-PST] 5.1). */
const encoded = (data: Buffer): boolean => data[isAnsi(data) ? 461 : 513] === 1;
/** External (not internal) blocks carry the encoding; internal ones (BID bit 1) never do. */
const isInternal = (bid: number): boolean => (bid & 0x02) !== 0;

let inverse: Uint8Array | undefined;
function encodeTable(): Uint8Array {
  if (!inverse) {
    inverse = new Uint8Array(256);
    PSTUtil.compEnc.forEach((plain: number, stored: number) => { inverse![plain] = stored; });
  }
  return inverse;
}

/** A block's content as the reader sees it (decoded). */
export function blockContent(data: Buffer, b: BlockRef): Buffer {
  const raw = Buffer.from(data.subarray(b.ib, b.ib + b.cb));
  if (encoded(data) && !isInternal(b.bid)) for (let i = 0; i < raw.length; i++) raw[i] = PSTUtil.compEnc[raw[i]!]!;
  return raw;
}

/** Writes `bytes` (as the reader should see them) at `offset` inside a block, and re-seals the block's CRC. */
export function writeInBlock(data: Buffer, b: BlockRef, offset: number, bytes: Buffer): void {
  const stored = Buffer.from(bytes);
  if (encoded(data) && !isInternal(b.bid)) {
    const enc = encodeTable();
    for (let i = 0; i < stored.length; i++) stored[i] = enc[stored[i]!]!;
  }
  stored.copy(data, b.ib + offset);
  resealBlock(data, b);
}

/** Recomputes a block trailer's CRC after an edit (the edit then passes the integrity check). */
export function resealBlock(data: Buffer, b: BlockRef): void {
  const format = formatOf(data);
  const { at } = blockTrailerAt(format, b.ib, b.cb);
  data.writeUInt32LE(pstCrc(data.subarray(b.ib, b.ib + b.cb)), at + (format === 'ansi' ? 8 : 4));
}

/** Recomputes the header's CRCs after an edit of the header. */
export function resealHeader(data: Buffer): void {
  data.writeUInt32LE(pstCrc(data.subarray(8, 8 + 471)), 4);
  if (!isAnsi(data)) data.writeUInt32LE(pstCrc(data.subarray(8, 8 + 516)), 524);
}

/** The data block of a node (the one holding its property context or table, when it fits in one block). */
export function dataBlock(data: Buffer, nid: number): BlockRef {
  const node = nodes(data).get(nid);
  if (!node) throw new Error(`node ${nid} is not in the file`);
  const block = blocks(data).get(node.bidData);
  if (!block) throw new Error(`node ${nid}'s data block ${node.bidData} is not in the block index`);
  return block;
}

/** The data blocks behind a BID: itself, or an XBLOCK's / XXBLOCK's children ([MS-PST] 2.2.2.8.3.2). */
function dataBlocks(data: Buffer, all: Map<number, BlockRef>, bid: number): BlockRef[] {
  const b = all.get(bid);
  if (!b) return [];
  if (!isInternal(bid)) return [b];
  const raw = data.subarray(b.ib, b.ib + b.cb);
  if (raw[0] !== 0x01) return []; // an internal block that is not an XBLOCK (a subnode block)
  const ansi = isAnsi(data);
  const w = ansi ? 4 : 8;
  const out: BlockRef[] = [];
  for (let i = 0; i < raw.readUInt16LE(2); i++) out.push(...dataBlocks(data, all, word(raw, 8 + i * w, ansi)));
  return out;
}

/** Every data block of a node: its data (through XBLOCKs) and its subnodes' data, recursively. */
export function nodeBlocks(data: Buffer, nid: number): BlockRef[] {
  const node = nodes(data).get(nid);
  if (!node) throw new Error(`node ${nid} is not in the file`);
  const all = blocks(data);
  const ansi = isAnsi(data);
  const w = ansi ? 4 : 8;
  const out = dataBlocks(data, all, node.bidData);
  const subnodes = (bid: number): void => {
    const b = all.get(bid);
    if (!b) return;
    const raw = data.subarray(b.ib, b.ib + b.cb);
    const level = raw[1]!;
    const entry = level === 0 ? 3 * w : 2 * w; // SLENTRY (nid, bidData, bidSub) / SIENTRY (nid, bid)
    for (let i = 0; i < raw.readUInt16LE(2); i++) {
      const e = (ansi ? 4 : 8) + i * entry;
      if (level === 0) {
        out.push(...dataBlocks(data, all, word(raw, e + w, ansi)));
        subnodes(word(raw, e + 2 * w, ansi));
      } else {
        subnodes(word(raw, e + w, ansi));
      }
    }
  };
  if (node.bidSub) subnodes(node.bidSub);
  return out;
}

/** Offsets of `pattern` (decoded bytes) in a block's content. */
export function findInBlock(data: Buffer, b: BlockRef, pattern: Buffer): number[] {
  const content = blockContent(data, b);
  const out: number[] = [];
  for (let i = content.indexOf(pattern); i >= 0; i = content.indexOf(pattern, i + 1)) out.push(i);
  return out;
}

/**
 * Integrity checks of what pst-extractor reads from a PST/OST: every data block against its
 * BLOCKTRAILER and every B-tree page against its PAGETRAILER ([MS-PST] 2.2.2.7.1, 2.2.2.8.1).
 *
 *   block: the trailer's cb equals the block index's size, its bid equals the BID the block was
 *          looked up by (the back-pointer), wSig equals the signature computed from the block's
 *          offset and BID ([MS-PST] 5.5), and dwCRC equals the CRC of the cb data bytes
 *          ([MS-PST] 5.3). A CRC of 0 counts as "not computed" (as libpff reads it) only when
 *          the signature and the back-pointer are right.
 *   page:  ptype and ptypeRepeat are the page type wanted (0x80 block B-tree, 0x81 node B-tree),
 *          the trailer's bid equals the BID in the parent's entry (or the header's root BREF),
 *          wSig is the computed signature, dwCRC the CRC of the page before its trailer.
 *
 * ANSI files carry the same fields (32-bit BID, CRC after the BID); the Unicode 4K format (OST
 * 2013) has 24-byte trailers, blocks aligned to 512 bytes and 4 KiB pages (layout as libpff reads
 * it; no such file among the test fixtures).
 *
 * The patched pst-extractor calls `block` for each block it reads and `page` for each B-tree
 * page it visits (PSTFile `checks` option, see patches/pst-extractor+1.12.0.patch); a failed
 * check throws a DamagedBlockError naming the BID and the file offset, which the reader turns
 * into an error of the item (or folder) being read: its bytes are never used.
 */
import type { PstFormat } from './pst-header.js';
import { pstCrc } from './pst-crc.js';

export { pstCrc } from './pst-crc.js';

/** The one read primitive of a PSTFile (positioned, into the start of `buffer`). */
export interface PositionedReader { readSync(buffer: Buffer, length: number, position: number): number }

export const PTYPE_BBT = 0x80;
export const PTYPE_NBT = 0x81;

interface Layout { trailer: number; align: number; maxBlock: number; page: number; pageTrailer: number }
const LAYOUTS: Record<PstFormat, Layout> = {
  ansi: { trailer: 12, align: 64, maxBlock: 8192, page: 512, pageTrailer: 12 },
  unicode: { trailer: 16, align: 64, maxBlock: 8192, page: 512, pageTrailer: 16 },
  'unicode-4k': { trailer: 24, align: 512, maxBlock: 65536, page: 4096, pageTrailer: 24 },
};

/** The block/page signature ([MS-PST] 5.5) from the low 32 bits of the offset and the BID. */
export function blockSignature(ib: number, bid: number): number {
  const x = (Number(BigInt.asUintN(32, BigInt(ib))) ^ Number(BigInt.asUintN(32, BigInt(bid)))) >>> 0;
  return ((x >>> 16) ^ (x & 0xffff)) & 0xffff;
}

/** Where a block of `cb` bytes at `ib` keeps its trailer, and the block's allocated size. */
export function blockTrailerAt(format: PstFormat, ib: number, cb: number): { at: number; size: number } {
  const l = LAYOUTS[format];
  const size = Math.ceil((cb + l.trailer) / l.align) * l.align;
  return { at: ib + size - l.trailer, size };
}

export interface BlockTrailer { cb: number; wSig: number; crc: number; bid: number }

export function parseBlockTrailer(format: PstFormat, t: Buffer): BlockTrailer {
  if (format === 'ansi') return { cb: t.readUInt16LE(0), wSig: t.readUInt16LE(2), bid: t.readUInt32LE(4), crc: t.readUInt32LE(8) };
  return { cb: t.readUInt16LE(0), wSig: t.readUInt16LE(2), crc: t.readUInt32LE(4), bid: Number(t.readBigUInt64LE(8)) };
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Why a block fails its check, or undefined when it passes. `data`: its cb bytes as stored (not decoded). */
export function blockProblem(format: PstFormat, bid: number, ib: number, cb: number, data: Buffer, trailer: BlockTrailer): string | undefined {
  if (trailer.cb !== cb) return `its trailer says ${trailer.cb} bytes, the block index ${cb}`;
  if (trailer.bid !== bid) return `its trailer belongs to block ${hex(trailer.bid)} (back-pointer mismatch)`;
  const sig = blockSignature(ib, bid);
  if (trailer.wSig !== sig) return `signature ${hex(trailer.wSig)}, expected ${hex(sig)}`;
  if (trailer.crc === 0) return undefined; // not computed by the writer (signature and back-pointer are right)
  const crc = pstCrc(data.subarray(0, cb));
  if (crc !== trailer.crc) return `CRC ${hex(crc)} of its data, its trailer says ${hex(trailer.crc)}`;
  return undefined;
}

/** Why a B-tree page fails its check, or undefined. `page`: the whole page. */
export function pageProblem(format: PstFormat, ib: number, page: Buffer, ptype: number, bid?: number): string | undefined {
  const l = LAYOUTS[format];
  const t = l.page - l.pageTrailer;
  const pt = page[t]!;
  const repeat = page[t + 1]!;
  const wSig = page.readUInt16LE(t + 2);
  const crc = format === 'ansi' ? page.readUInt32LE(t + 8) : page.readUInt32LE(t + 4);
  const pageBid = format === 'ansi' ? page.readUInt32LE(t + 4) : Number(page.readBigUInt64LE(t + 8));
  const what = ptype === PTYPE_NBT ? 'node' : 'block';
  if (pt !== ptype || repeat !== ptype) return `not a ${what} B-tree page (type ${hex(pt)}/${hex(repeat)}, expected ${hex(ptype)})`;
  if (bid !== undefined && pageBid !== bid) return `its trailer belongs to page ${hex(pageBid)}, its parent points to ${hex(bid)} (back-pointer mismatch)`;
  const sig = blockSignature(ib, pageBid);
  if (wSig !== sig) return `signature ${hex(wSig)}, expected ${hex(sig)}`;
  const computed = pstCrc(page.subarray(0, t));
  if (computed !== crc) return `CRC ${hex(computed)} of the page, its trailer says ${hex(crc)}`;
  return undefined;
}

/** A block or page that fails its check: its bytes cannot be trusted. */
export class DamagedBlockError extends Error {
  constructor(readonly kind: 'block' | 'page', readonly bid: number, readonly offset: number, readonly problem: string) {
    super(`damaged ${kind === 'page' ? 'index page' : 'data block'} ${hex(bid)} at offset ${offset} (0x${offset.toString(16)}): ${problem}; `
      + 'its data was not used (repair a copy of the file with Outlook\'s scanpst.exe and migrate that copy to recover what is left)');
    this.name = 'DamagedBlockError';
  }
}

/** Verified offsets are remembered up to this many (then forgotten, and checked again when read). */
const REMEMBER = 65536;

/**
 * The checks one PSTFile runs (installed with `new PSTFile(path, { checks })`). Each block and
 * page is verified once and remembered (bounded); reads go through the file's own readSync, so
 * the page cache serves the small ones.
 */
export class PstChecks {
  /** Verified blocks: offset → BID. */
  private readonly goodBlocks = new Map<number, number>();
  /** Verified pages: offset → page type. */
  private readonly goodPages = new Map<number, number>();
  /** Blocks and pages checked (a verified one read again is not counted again). */
  checked = { blocks: 0, pages: 0 };

  constructor(readonly format: PstFormat) {}

  /** Checks the block `bid` of `cb` bytes at `ib`; `data`, when given, is its content as read. */
  block(file: PositionedReader, bid: number, ib: number, cb: number, data?: Buffer): void {
    if (this.goodBlocks.get(ib) === bid) return;
    const l = LAYOUTS[this.format];
    const { at, size } = blockTrailerAt(this.format, ib, cb);
    if (cb <= 0 || size > l.maxBlock) throw new DamagedBlockError('block', bid, ib, `impossible size ${cb} in the block index`);
    let raw = data;
    if (!raw || raw.length < cb) {
      raw = Buffer.allocUnsafe(cb);
      file.readSync(raw, cb, ib);
    }
    const t = Buffer.allocUnsafe(l.trailer);
    file.readSync(t, l.trailer, at);
    const problem = blockProblem(this.format, bid, ib, cb, raw, parseBlockTrailer(this.format, t));
    if (problem) throw new DamagedBlockError('block', bid, ib, problem);
    this.checked.blocks++;
    remember(this.goodBlocks, ib, bid);
  }

  /** Checks the B-tree page at `ib` (type `ptype`); `bid`: the BID its parent (or the header) gives it. */
  page(file: PositionedReader, ib: number, ptype: number, bid?: number): void {
    if (this.goodPages.get(ib) === ptype) return;
    const l = LAYOUTS[this.format];
    const page = Buffer.allocUnsafe(l.page);
    file.readSync(page, l.page, ib);
    const problem = pageProblem(this.format, ib, page, ptype, bid);
    if (problem) throw new DamagedBlockError('page', bid ?? 0, ib, problem);
    this.checked.pages++;
    remember(this.goodPages, ib, ptype);
  }
}

function remember(map: Map<number, number>, key: number, value: number): void {
  if (map.size >= REMEMBER) map.clear();
  map.set(key, value);
}

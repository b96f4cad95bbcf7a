/**
 * Read-only reader for Berkeley DB **hash** databases (libdb 4.x–5.3, hash versions 8 and 9),
 * the files `kopano-backup` writes with `bsddb3.hashopen` (`items`, `index`).
 *
 * Layout (db-5.3 dbinc/db_page.h, hash/hash.h):
 * - page 0 is the hash meta page: the generic DBMETA header (magic 0x061561, version, page
 *   size, last page) then max_bucket, high/low mask, h_charkey and the `spares` table that maps
 *   bucket numbers to page numbers (page = bucket + spares[log2(bucket + 1)]).
 * - each bucket is a chain of P_HASH pages (next_pgno); a page holds an index of item offsets
 *   after its 26-byte header, items alternating key, data. An item is H_KEYDATA (bytes on the
 *   page), H_OFFPAGE (a chain of P_OVERFLOW pages with the total length) or H_DUPLICATE
 *   (on-page duplicates, only the first one is returned here).
 * - all integers are in the byte order of the machine that wrote the file; the meta magic
 *   tells which, so both orders are read.
 *
 * Pages are read one at a time with positional reads, so a large file does not sit in memory.
 * Every inconsistency throws a BdbError naming the file and the page.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
/** DBMETA.metaflags / encrypt_alg: checksummed or encrypted pages have a different layout. */
const DBMETA_CHKSUM = 0x01;
/** libdb stores hash(CHARKEY), C string with its NUL, in the meta page to check the hash function. */
export const CHARKEY = Buffer.from('%$sniglet^&\0', 'latin1');

export class BdbError extends Error {
  override readonly name = 'BdbError';
  constructor(readonly file: string, readonly page: number | undefined, reason: string) {
    super(`${file}${page === undefined ? '' : ` page ${page}`}: ${reason}`);
  }
}

export interface BdbEntry {
  key: Buffer;
  value: Buffer;
}

export interface HashMeta {
  version: number;
  pageSize: number;
  lastPage: number;
  littleEndian: boolean;
  maxBucket: number;
  highMask: number;
  lowMask: number;
  /** Number of keys as recorded by the writer (0 when the writer did not keep it). */
  nelem: number;
  hCharKey: number;
  spares: number[];
}

interface Page {
  pgno: number;
  buf: Buffer;
  prev: number;
  next: number;
  entries: number;
  hfOffset: number;
  type: number;
}

/** Berkeley DB's default hash (`__ham_func5`: FNV-1, multiply then xor, zero offset basis). */
export function bdbHash(key: Uint8Array): number {
  let h = 0;
  for (const b of key) h = (Math.imul(h, 16777619) ^ b) >>> 0;
  return h;
}

function log2ceil(n: number): number {
  let i = 0;
  let limit = 1;
  while (limit < n) { limit <<= 1; i++; }
  return i;
}

export class BdbHashFile {
  readonly meta: HashMeta;
  private fd: number | undefined;
  private readonly size: number;

  private constructor(readonly file: string, fd: number) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
    this.meta = this.readMeta();
  }

  /**
   * Opens a hash database (or takes over `fd`, already open on it: closed with the database);
   * throws a BdbError when it is not one or its meta page is damaged.
   */
  static open(file: string, fd = openSync(file, 'r')): BdbHashFile {
    try {
      return new BdbHashFile(file, fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private fail(page: number | undefined, reason: string): never {
    throw new BdbError(this.file, page, reason);
  }

  private readAt(offset: number, length: number, page: number | undefined): Buffer {
    if (this.fd === undefined) this.fail(page, 'database is closed');
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    if (n < length) this.fail(page, `truncated: wanted ${length} bytes at offset ${offset}, file has ${this.size}`);
    return buf;
  }

  private readMeta(): HashMeta {
    if (this.size < 512) this.fail(0, `file too short for a Berkeley DB meta page (${this.size} bytes)`);
    const head = this.readAt(0, 512, 0);
    let le: boolean;
    if (head.readUInt32LE(12) === HASH_MAGIC) le = true;
    else if (head.readUInt32BE(12) === HASH_MAGIC) le = false;
    else this.fail(0, `not a Berkeley DB hash database (magic 0x${head.readUInt32LE(12).toString(16)})`);
    const u32 = (off: number): number => (le ? head.readUInt32LE(off) : head.readUInt32BE(off));
    const version = u32(16);
    if (version < 8 || version > 10) this.fail(0, `unsupported hash version ${version}`);
    const pageSize = u32(20);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) this.fail(0, `invalid page size ${pageSize}`);
    if (head.readUInt8(24) !== 0) this.fail(0, 'encrypted databases are not supported');
    if ((head.readUInt8(26) & DBMETA_CHKSUM) !== 0) this.fail(0, 'checksummed databases are not supported');
    if (head.readUInt8(25) !== P_HASHMETA) this.fail(0, `page type ${head.readUInt8(25)} is not a hash meta page`);
    const spares: number[] = [];
    for (let i = 0; i < 32; i++) spares.push(u32(96 + i * 4));
    const meta: HashMeta = {
      version, pageSize, lastPage: u32(32), littleEndian: le,
      maxBucket: u32(72), highMask: u32(76), lowMask: u32(80), nelem: u32(88), hCharKey: u32(92), spares,
    };
    // A truncated file still opens: pages that are there are read, a missing one fails when reached.
    return meta;
  }

  private u16(buf: Buffer, off: number): number {
    return this.meta.littleEndian ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
  }

  private u32(buf: Buffer, off: number): number {
    return this.meta.littleEndian ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  }

  private page(pgno: number): Page {
    if (pgno < 1 || pgno > this.meta.lastPage) this.fail(pgno, `page number out of range (last page ${this.meta.lastPage})`);
    const buf = this.readAt(pgno * this.meta.pageSize, this.meta.pageSize, pgno);
    const stored = this.u32(buf, 8);
    // A never-written page (hash tables allocate buckets ahead) reads as zeros.
    if (stored !== pgno && !(stored === 0 && buf.readUInt8(25) === 0)) this.fail(pgno, `page header names page ${stored}`);
    return {
      pgno, buf, prev: this.u32(buf, 12), next: this.u32(buf, 16),
      entries: this.u16(buf, 20), hfOffset: this.u16(buf, 22), type: buf.readUInt8(25),
    };
  }

  /** The first page of a bucket's chain. */
  bucketPage(bucket: number): number {
    return bucket + (this.meta.spares[log2ceil(bucket + 1)] ?? 0);
  }

  /** True when the file is shorter than its meta page says (some pages are missing). */
  get truncated(): boolean {
    return this.size < (this.meta.lastPage + 1) * this.meta.pageSize;
  }

  /** Every key/data pair, bucket by bucket, in page order; throws at the first unreadable page. */
  *entries(): Generator<BdbEntry> {
    for (let bucket = 0; bucket <= this.meta.maxBucket; bucket++) yield* this.bucketEntries(bucket);
  }

  /**
   * Every readable key/data pair: a bucket chain that breaks (truncated or damaged page) is
   * reported to `onError` and the other buckets are still read. Pairs before the break are kept.
   */
  *readableEntries(onError: (err: BdbError) => void): Generator<BdbEntry> {
    for (let bucket = 0; bucket <= this.meta.maxBucket; bucket++) {
      try {
        for (const e of this.bucketEntries(bucket)) yield e;
      } catch (err) {
        if (!(err instanceof BdbError)) throw err;
        onError(err);
      }
    }
  }

  /** The value stored for `key`, or undefined (hashes the key with the default hash function). */
  get(key: Buffer | string): Buffer | undefined {
    const k = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (bdbHash(CHARKEY) !== this.meta.hCharKey) {
      // Written with a custom hash function: fall back to a scan.
      for (const e of this.entries()) if (e.key.equals(k)) return e.value;
      return undefined;
    }
    const h = bdbHash(k);
    let bucket = h & this.meta.highMask;
    if (bucket > this.meta.maxBucket) bucket &= this.meta.lowMask;
    for (const e of this.bucketEntries(bucket, k)) if (e.key.equals(k)) return e.value;
    return undefined;
  }

  private *bucketEntries(bucket: number, only?: Buffer): Generator<BdbEntry> {
    const seen = new Set<number>();
    let pgno = this.bucketPage(bucket);
    while (pgno !== 0) {
      if (seen.has(pgno)) this.fail(pgno, `loop in the chain of bucket ${bucket}`);
      seen.add(pgno);
      const p = this.page(pgno);
      if (p.type === 0 && p.entries === 0) break; // allocated, never written: an empty bucket
      if (p.type !== P_HASH && p.type !== P_HASH_UNSORTED) this.fail(pgno, `bucket ${bucket}: page type ${p.type} is not a hash page`);
      if (p.entries % 2 !== 0) this.fail(pgno, `odd number of items (${p.entries})`);
      for (let i = 0; i < p.entries; i += 2) {
        const key = this.item(p, i);
        if (only && !key.equals(only)) continue;
        yield { key, value: this.item(p, i + 1) };
      }
      pgno = p.next;
    }
  }

  private item(p: Page, indx: number): Buffer {
    const ps = this.meta.pageSize;
    const indexEnd = PAGE_HEADER + p.entries * 2;
    const off = this.u16(p.buf, PAGE_HEADER + indx * 2);
    const end = indx === 0 ? ps : this.u16(p.buf, PAGE_HEADER + (indx - 1) * 2);
    if (off < indexEnd || off >= ps || end > ps || end <= off) this.fail(p.pgno, `item ${indx} has a bad offset ${off}..${end}`);
    const type = p.buf.readUInt8(off);
    switch (type) {
      case H_KEYDATA:
        return Buffer.from(p.buf.subarray(off + 1, end));
      case H_DUPLICATE: {
        // Duplicates on the page: [len u16][data][len u16]...; a hash file from kopano-backup has none.
        const len = this.u16(p.buf, off + 1);
        if (off + 3 + len > end) this.fail(p.pgno, `item ${indx}: duplicate set overruns the item`);
        return Buffer.from(p.buf.subarray(off + 3, off + 3 + len));
      }
      case H_OFFPAGE: {
        if (end - off < 12) this.fail(p.pgno, `item ${indx}: short off-page reference`);
        return this.overflow(this.u32(p.buf, off + 4), this.u32(p.buf, off + 8), p.pgno);
      }
      case H_OFFDUP:
        this.fail(p.pgno, `item ${indx}: off-page duplicate trees are not supported`);
      // falls through (fail never returns)
      default:
        this.fail(p.pgno, `item ${indx} has unknown type ${type}`);
    }
  }

  private overflow(first: number, total: number, from: number): Buffer {
    const out = Buffer.alloc(total);
    let got = 0;
    let pgno = first;
    const seen = new Set<number>();
    while (pgno !== 0 && got < total) {
      if (seen.has(pgno)) this.fail(pgno, `loop in the overflow chain from page ${from}`);
      seen.add(pgno);
      const p = this.page(pgno);
      if (p.type !== P_OVERFLOW) this.fail(pgno, `overflow chain from page ${from}: page type ${p.type} is not an overflow page`);
      const len = p.hfOffset;
      if (len > this.meta.pageSize - PAGE_HEADER || got + len > total) this.fail(pgno, `overflow page holds ${len} bytes, more than remain (${total - got})`);
      p.buf.copy(out, got, PAGE_HEADER, PAGE_HEADER + len);
      got += len;
      pgno = p.next;
    }
    if (got !== total) this.fail(first, `overflow chain from page ${from} ends after ${got} of ${total} bytes`);
    return out;
  }
}

/** Reads every pair of a hash database into a Map keyed by the key's UTF-8 text. */
export function readHashFile(file: string): Map<string, Buffer> {
  const db = BdbHashFile.open(file);
  try {
    const out = new Map<string, Buffer>();
    for (const { key, value } of db.entries()) out.set(key.toString('utf8'), value);
    return out;
  } finally {
    db.close();
  }
}

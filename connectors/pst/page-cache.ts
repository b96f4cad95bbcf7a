/**
 * A bounded page cache under pst-extractor's reads. pst-extractor reads a file with one
 * positioned read per item it looks at: every B-tree lookup re-reads its pages in pieces of a
 * few bytes (profiled: a fifth of the time spent in read(2)). This replaces the PSTFile's
 * `readSync` (its one read primitive) with one that serves small reads from the 4 KiB pages
 * around them, keeping at most 256 pages (1 MiB) for all open files together (LRU; `maxPages`
 * per file), so memory stays flat whatever the files' size and number (a page read in reuses the
 * buffer of one evicted, or of a closed file's). Larger reads, and reads reaching past the end of
 * the file, go straight to the file as before (the truncation error with its offset included).
 */
import { fstatSync, readSync } from 'node:fs';
import type { PSTFile } from 'pst-extractor';

const PAGE = 4096;

interface ReadablePstFile { pstFD: number; readSync(buffer: Buffer, length: number, position: number): number; close(): void }

/**
 * One cache for all open files (a mailbox's files are all open while it is read: memory must not
 * grow with their number): pages by key `file * 2^28 + page index`, least recently used first.
 */
const lru = new Map<number, Buffer>();
const TOTAL_PAGES = 256;
const FILE = 2 ** 28;
/** Pages each open file has in the cache, by its key base. */
const held = new Map<number, number>();
/** Page buffers of evicted pages and closed files, reused for the next pages read. */
const spares: Buffer[] = [];
let files = 0;

/** Drops the least recently used page (of `base`'s file only, when given); its buffer becomes a spare. */
function evict(base?: number): void {
  for (const [key, page] of lru) {
    const owner = key - (key % FILE);
    if (base !== undefined && owner !== base) continue;
    lru.delete(key);
    held.set(owner, (held.get(owner) ?? 1) - 1);
    if (page.length === PAGE && spares.length < TOTAL_PAGES) spares.push(page);
    return;
  }
}

export function addPageCache(pst: PSTFile, maxPages = TOTAL_PAGES): void {
  const target = pst as unknown as ReadablePstFile;
  const fd = target.pstFD;
  if (!(fd > 0)) return; // an in-memory file
  const size = fstatSync(fd).size;
  const direct = target.readSync.bind(target);
  const base = (files++ % 2 ** 24) * FILE;
  held.set(base, 0);
  const close = typeof target.close === 'function' ? target.close.bind(target) : undefined;
  target.close = (): void => {
    for (const [key, page] of [...lru]) {
      if (key - (key % FILE) !== base) continue;
      lru.delete(key);
      if (page.length === PAGE && spares.length < TOTAL_PAGES) spares.push(page);
    }
    held.delete(base);
    close?.();
  };
  target.readSync = (buffer: Buffer, length: number, position: number): number => {
    if (length > PAGE || position < 0 || position + length > size) return direct(buffer, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / PAGE);
      const key = base + index;
      let page = lru.get(key);
      if (page) {
        lru.delete(key); // most recently used last
      } else {
        const want = Math.min(PAGE, size - index * PAGE);
        if ((held.get(base) ?? 0) >= maxPages) evict(base);
        else if (lru.size >= TOTAL_PAGES) evict();
        const spare = want === PAGE ? spares.pop() : undefined;
        page = spare ?? Buffer.allocUnsafe(want);
        const got = readSync(fd, page, 0, page.length, index * PAGE);
        if (got < page.length) {
          if (spare) spares.push(spare);
          return direct(buffer, length, position);
        }
        held.set(base, (held.get(base) ?? 0) + 1);
      }
      lru.set(key, page);
      const offset = at - index * PAGE;
      const n = Math.min(length - done, page.length - offset);
      page.copy(buffer, done, offset, offset + n);
      done += n;
    }
    return length;
  };
}

/** Pages in the cache, all open files together (at most 256). */
export function cachedPages(): number {
  return lru.size;
}

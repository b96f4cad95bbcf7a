/**
 * A bounded page cache under pst-extractor's reads. pst-extractor reads a file with one
 * positioned read per item it looks at: every B-tree lookup re-reads its pages in pieces of a
 * few bytes (profiled: a fifth of the time spent in read(2)). This replaces the PSTFile's
 * `readSync` (its one read primitive) with one that serves small reads from the 4 KiB pages
 * around them, keeping at most `maxPages` pages (LRU; 1 MiB by default), so memory stays flat
 * whatever the file's size (a page read in reuses the buffer of the one it evicts, or of a closed
 * file's cache). Larger reads, and reads reaching past the end of the file, go straight to the
 * file as before (the truncation error with its offset included).
 */
import { fstatSync, readSync } from 'node:fs';
import type { PSTFile } from 'pst-extractor';

const PAGE = 4096;

interface ReadablePstFile { pstFD: number; readSync(buffer: Buffer, length: number, position: number): number; close(): void }

/** Page buffers of closed files, for the next file's cache (a mailbox's files are opened one after another). */
const spares: Buffer[] = [];
const MAX_SPARES = 256;

export function addPageCache(pst: PSTFile, maxPages = 256): void {
  const target = pst as unknown as ReadablePstFile;
  const fd = target.pstFD;
  if (!(fd > 0)) return; // an in-memory file
  const size = fstatSync(fd).size;
  const direct = target.readSync.bind(target);
  const pages = new Map<number, Buffer>();
  const close = typeof target.close === 'function' ? target.close.bind(target) : undefined;
  target.close = (): void => {
    for (const p of pages.values()) if (p.length === PAGE && spares.length < MAX_SPARES) spares.push(p);
    pages.clear();
    close?.();
  };
  target.readSync = (buffer: Buffer, length: number, position: number): number => {
    if (length > PAGE || position < 0 || position + length > size) return direct(buffer, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / PAGE);
      let page = pages.get(index);
      if (page) {
        pages.delete(index); // most recently used last
      } else {
        const want = Math.min(PAGE, size - index * PAGE);
        // the least recently used page's buffer is reused (pages never leave this function): no garbage per miss
        let spare: Buffer | undefined;
        if (pages.size >= maxPages) {
          const oldest = pages.keys().next().value as number;
          spare = pages.get(oldest);
          pages.delete(oldest);
        }
        if (!spare && want === PAGE) spare = spares.pop();
        page = spare && spare.length === want ? spare : Buffer.allocUnsafe(want);
        const got = readSync(fd, page, 0, page.length, index * PAGE);
        if (got < page.length) return direct(buffer, length, position);
      }
      pages.set(index, page);
      const offset = at - index * PAGE;
      const n = Math.min(length - done, page.length - offset);
      page.copy(buffer, done, offset, offset + n);
      done += n;
    }
    return length;
  };
}

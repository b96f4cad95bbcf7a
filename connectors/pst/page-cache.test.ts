import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PSTFile } from 'pst-extractor';
import { addPageCache, cachedPages } from './page-cache.js';

describe('addPageCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ums-pagecache-'));
  const file = join(dir, 'f.bin');
  const data = Buffer.from(Array.from({ length: 3 * 4096 + 100 }, (_, i) => (i * 7) % 251));
  writeFileSync(file, data);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for pst-extractor's PSTFile: an fd and the readSync it reads everything with. */
  function fakePst() {
    const fd = openSync(file, 'r');
    const calls: number[] = [];
    const pst = {
      pstFD: fd,
      readSync(buffer: Buffer, length: number, position: number): number {
        calls.push(length);
        const got = readSync(fd, buffer, 0, length, position);
        if (got < length) throw new Error(`short read at offset ${position}`);
        return got;
      },
    };
    return { pst, calls, close: () => closeSync(fd) };
  }

  test('serves small reads from pages, across page borders, with the file\'s bytes', () => {
    const { pst, calls, close } = fakePst();
    addPageCache(pst as unknown as PSTFile, 2);
    for (const [pos, len] of [[0, 8], [4090, 12], [8190, 4096], [12288, 100], [5, 3], [4096 * 3 + 90, 10]] as const) {
      const buf = Buffer.alloc(len);
      expect(pst.readSync(buf, len, pos)).toBe(len);
      expect(buf.equals(data.subarray(pos, pos + len))).toBe(true);
    }
    // only what bypasses the cache reaches the original reader: nothing here
    expect(calls).toEqual([]);
    close();
  });

  test('large reads and reads past the end go to the original reader (and its error)', () => {
    const { pst, calls, close } = fakePst();
    addPageCache(pst as unknown as PSTFile);
    const big = Buffer.alloc(5000);
    pst.readSync(big, 5000, 100);
    expect(big.equals(data.subarray(100, 5100))).toBe(true);
    expect(() => pst.readSync(Buffer.alloc(16), 16, data.length - 8)).toThrow(`short read at offset ${data.length - 8}`);
    expect(calls).toEqual([5000, 16]);
    close();
  });

  test('a closed file\'s pages serve the next file with that file\'s bytes', () => {
    const other = join(dir, 'g.bin');
    const otherData = Buffer.from(Array.from({ length: 2 * 4096 }, (_, i) => (i * 13 + 5) % 253));
    writeFileSync(other, otherData);
    const first = fakePst();
    const closed: string[] = [];
    const a = Object.assign(first.pst, { close: () => closed.push('a') });
    addPageCache(a as unknown as PSTFile);
    for (const pos of [0, 4096, 8192]) a.readSync(Buffer.alloc(10), 10, pos);
    a.close();
    expect(closed).toEqual(['a']); // the file's own close still runs
    first.close();
    const fd = openSync(other, 'r');
    const b = { pstFD: fd, readSync: (buffer: Buffer, length: number, position: number) => readSync(fd, buffer, 0, length, position), close: () => closeSync(fd) };
    addPageCache(b as unknown as PSTFile);
    for (const [pos, len] of [[0, 100], [4000, 200], [4096 + 7, 50]] as const) {
      const buf = Buffer.alloc(len);
      b.readSync(buf, len, pos);
      expect(buf.equals(otherData.subarray(pos, pos + len))).toBe(true);
    }
    b.close();
  });

  test('all open files together keep at most 256 pages, and their own bytes', () => {
    const big = join(dir, 'big.bin');
    const bigData = Buffer.from(Array.from({ length: 300 * 4096 }, (_, i) => (i * 31 + (i >> 12)) % 251));
    writeFileSync(big, bigData);
    const open = [0, 1, 2].map(() => {
      const fd = openSync(big, 'r');
      const f = { pstFD: fd, readSync: (buffer: Buffer, length: number, position: number) => readSync(fd, buffer, 0, length, position), close: () => closeSync(fd) };
      addPageCache(f as unknown as PSTFile);
      return f;
    });
    for (let page = 0; page < 300; page++) {
      for (const f of open) {
        const buf = Buffer.alloc(64);
        f.readSync(buf, 64, page * 4096 + 100);
        expect(buf.equals(bigData.subarray(page * 4096 + 100, page * 4096 + 164))).toBe(true);
      }
      expect(cachedPages()).toBeLessThanOrEqual(256);
    }
    expect(cachedPages()).toBe(256);
    for (const f of open) f.close();
    expect(cachedPages()).toBe(0);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BdbError, BdbHashFile, CHARKEY, bdbHash, readHashFile } from './bdb-hash.js';
import { DB_LOAD, fixtureMissing, kopanoFixture, writeHashDb, prerequisiteMissing } from './test-support.js';

const fixture = kopanoFixture();
let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'bdb-hash-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Berkeley DB hash reader on files written by libdb (db5.3_load)', () => {
  if (!DB_LOAD) {
    prerequisiteMissing('needs db5.3_load (apt-get install db5.3-util)');
    return;
  }

  function roundTrip(name: string, pairs: [Buffer, Buffer][], opts: Parameters<typeof writeHashDb>[2]): void {
    const file = join(tmp, name);
    writeHashDb(file, pairs, opts);
    const db = BdbHashFile.open(file);
    try {
      expect(db.meta.littleEndian).toBe(opts?.lorder !== 4321);
      const got = new Map([...db.entries()].map((e) => [e.key.toString('hex'), e.value]));
      expect(got.size).toBe(pairs.length);
      for (const [k, v] of pairs) {
        expect(got.get(k.toString('hex'))?.equals(v)).toBe(true);
        expect(db.get(k)?.equals(v)).toBe(true);
      }
      expect(db.get(Buffer.from('no such key'))).toBeUndefined();
    } finally {
      db.close();
    }
  }

  const many = (n: number, size: (i: number) => number): [Buffer, Buffer][] =>
    Array.from({ length: n }, (_, i) => [Buffer.from(`key-${i}-${'x'.repeat(i % 7)}`), randomBytes(size(i))]);

  it('reads small pairs across many buckets, little-endian', () => {
    roundTrip('le.db', many(600, (i) => i % 50), { lorder: 1234 });
  });

  it('reads the same data written big-endian', () => {
    roundTrip('be.db', many(600, (i) => i % 50), { lorder: 4321 });
  });

  it('follows overflow pages for values larger than a page, both byte orders', () => {
    const pairs = many(40, (i) => (i % 4 === 0 ? 20000 + i * 37 : 100));
    pairs.push([Buffer.alloc(900, 7), Buffer.from('long key on overflow pages')]);
    roundTrip('ovf-le.db', pairs, { lorder: 1234, pageSize: 512 });
    roundTrip('ovf-be.db', pairs, { lorder: 4321, pageSize: 1024 });
  });

  it('handles empty values and an empty database', () => {
    roundTrip('empty-values.db', [[Buffer.from('a'), Buffer.alloc(0)], [Buffer.from('b'), Buffer.from('1')]], {});
    roundTrip('empty.db', [], {});
  });

  it('matches the hash check value libdb stores in the meta page', () => {
    const file = join(tmp, 'charkey.db');
    writeHashDb(file, [[Buffer.from('k'), Buffer.from('v')]]);
    const db = BdbHashFile.open(file);
    expect(bdbHash(CHARKEY)).toBe(db.meta.hCharKey);
    db.close();
  });

  it('names the file and page on a truncated file', () => {
    const file = join(tmp, 'trunc.db');
    writeHashDb(file, many(50, () => 3000), { pageSize: 4096 });
    const bytes = readFileSync(file);
    const cut = join(tmp, 'cut.db');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4096 - 100));
    const db = BdbHashFile.open(cut);
    expect(db.truncated).toBe(true);
    expect(() => [...db.entries()]).toThrow(BdbError);
    expect(() => [...db.entries()]).toThrow(/cut\.db page \d+: truncated/);
    // The buckets that are whole are still read; the broken ones are reported.
    const errors: BdbError[] = [];
    const readable = [...db.readableEntries((e) => errors.push(e))];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/cut\.db page \d+: truncated/);
    expect(readable.length).toBeGreaterThan(0);
    expect(readable.length).toBeLessThan(50);
    for (const e of readable) expect(e.value).toHaveLength(3000);
    db.close();
  });

  it('names the file and page on a damaged bucket page', () => {
    const file = join(tmp, 'bad.db');
    writeHashDb(file, many(20, () => 10), { pageSize: 512 });
    const bytes = Buffer.from(readFileSync(file));
    bytes[512 + 25] = 99; // page type of page 1 (bucket 0)
    writeFileSync(file, bytes);
    const db = BdbHashFile.open(file);
    expect(() => [...db.entries()]).toThrow(/bad\.db page 1: bucket 0: page type 99 is not a hash page/);
    db.close();
  });

  it('refuses a file that is not a hash database', () => {
    const file = join(tmp, 'not.db');
    writeFileSync(file, Buffer.alloc(4096, 1));
    expect(() => BdbHashFile.open(file)).toThrow(/not\.db page 0: not a Berkeley DB hash database/);
  });
});

describe('Berkeley DB hash reader on the kopano-backup fixture', () => {
  if (!fixture) {
    prerequisiteMissing(fixtureMissing());
    return;
  }
  interface ExpFolder { dir: string; index: Record<string, unknown>; items: Record<string, unknown> }
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { folders: ExpFolder[] };

  it('finds exactly the keys of every items and index file', () => {
    for (const f of expected.folders) {
      const dir = join(fixture, 'testuser', f.dir);
      expect([...readHashFile(join(dir, 'index')).keys()].sort()).toEqual(Object.keys(f.index).sort());
      expect([...readHashFile(join(dir, 'items')).keys()].sort()).toEqual(Object.keys(f.items).sort());
    }
  });

  it('reads the Inbox item that lies on overflow pages whole (its zlib stream inflates)', async () => {
    const { inflateSync } = await import('node:zlib');
    const inbox = expected.folders.find((f) => f.dir.endsWith('0A0000000000'))!;
    const db = BdbHashFile.open(join(fixture, 'testuser', inbox.dir, 'items'));
    const value = db.get('6B6F70616E6F2D73796E746865746963640000000000')!;
    db.close();
    expect(value.length).toBeGreaterThan(4096);
    const raw = inflateSync(value);
    // A protocol-2 pickle that holds the 12 KiB attachment.
    expect(raw.subarray(0, 2)).toEqual(Buffer.from([0x80, 0x02]));
    expect(raw.length).toBeGreaterThan(12288);
  });
});

/**
 * The PST reader's own behaviour: code-page helpers (no fixtures needed), and errors for broken
 * files, made here from copies of fixtures in a temp directory (truncated, header-consistent but
 * short, garbled item, not a PST). Fixture-based parts need <fixtures>/pst (UMS_FIXTURES_DIR,
 * default <repo>/../shared/fixtures) and fail saying so unless UMS_SKIP_ORACLE=1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import { PSTFile } from 'pst-extractor';
import { FatalError, ItemError } from '../../src/util/errors.js';
import { resealHeader } from './fixture-edit.js';
import { openPst, PstFileError, PstItemError } from './pst-reader.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped } from './readpst-oracle.js';
import {
  codepageToEncoding, decodeString8, encodeString8, lcidToCodepage, objectCodepage, string8Resolver, voteCodepage,
  type PropertyMap,
} from '../../mappings/mapi/string8.js';

const long = (v: number) => ({ entryValueType: 0x0003, entryValueReference: v, data: Buffer.alloc(0) });

describe('8-bit string code pages', () => {
  test('Windows code pages map to iconv-lite encodings', () => {
    expect(codepageToEncoding(932)).toBe('cp932');
    expect(codepageToEncoding(1252)).toBe('cp1252');
    expect(codepageToEncoding(936)).toBe('gbk');
    expect(codepageToEncoding(65001)).toBe('utf8');
    expect(codepageToEncoding(28591)).toBe('iso-8859-1');
    expect(codepageToEncoding(50220)).toBeUndefined(); // ISO-2022-JP: a MIME charset, never a string code page
  });

  test('LCIDs give their ANSI code page', () => {
    expect(lcidToCodepage(1041)).toBe(932); // ja-JP
    expect(lcidToCodepage(2052)).toBe(936); // zh-CN
    expect(lcidToCodepage(1028)).toBe(950); // zh-TW
    expect(lcidToCodepage(1042)).toBe(949); // ko-KR
    expect(lcidToCodepage(1049)).toBe(1251); // ru-RU
    expect(lcidToCodepage(1045)).toBe(1250); // pl-PL
    expect(lcidToCodepage(1050)).toBe(1250); // hr-HR
    expect(lcidToCodepage(3098)).toBe(1251); // sr-Cyrl-CS
    expect(lcidToCodepage(1033)).toBe(1252); // en-US
    expect(lcidToCodepage(1036)).toBe(1252); // fr-FR
    expect(lcidToCodepage(1081)).toBeUndefined(); // hi-IN: Unicode only
    expect(lcidToCodepage(0)).toBeUndefined();
  });

  test('an object: PR_MESSAGE_CODEPAGE, else its locale; never PR_INTERNET_CPID', () => {
    const props = (entries: [number, number][]): PropertyMap => new Map(entries.map(([k, v]) => [k, long(v)]));
    expect(objectCodepage(props([[0x3ffd, 1251], [0x3ff1, 1041]]))).toBe(1251);
    expect(objectCodepage(props([[0x3fde, 50220], [0x3ff1, 1041]]))).toBe(932);
    expect(objectCodepage(props([[0x3fde, 50220]]))).toBeUndefined();
    expect(objectCodepage(null)).toBeUndefined();
    const resolve = string8Resolver(() => 1250);
    expect(resolve(props([]))).toBe('cp1250');
    expect(resolve(props([[0x3ff1, 1041]]))).toBe('cp932');
  });

  test('decoding drops trailing NULs and round-trips', () => {
    const bytes = Buffer.concat([encodeString8('連絡先 (Contact dedicated)', 932), Buffer.from([0])]);
    expect(bytes.subarray(0, 6).toString('hex')).toBe('9841978d90e6');
    expect(decodeString8(bytes, 932)).toBe('連絡先 (Contact dedicated)');
    expect(decodeString8(Buffer.from([0x80, 0x93, 0x94]), 1252)).toBe('€“”');
  });

  test('the store default is the most common code page of the samples', () => {
    expect(voteCodepage([undefined, 932, 1252, 932])).toBe(932);
    expect(voteCodepage([1252, 932])).toBe(1252);
    expect(voteCodepage([undefined])).toBeUndefined();
  });
});

const maybe = oracleSkipped() ? describe.skip : describe;
const fixturesProblem = fixturesUnavailable();

maybe('broken files', () => {
  if (fixturesProblem) {
    test('prerequisites', () => { throw new Error(fixturesProblem); });
    return;
  }
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pst-broken-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = (rel: string): Buffer => readFileSync(join(fixturesDir(), 'pst', rel));
  const write = (name: string, data: Buffer): string => {
    const file = join(dir, name);
    writeFileSync(file, data);
    return file;
  };
  const failure = async (file: string): Promise<PstFileError> => {
    try {
      (await openPst(file)).close();
    } catch (err) {
      expect(err).toBeInstanceOf(PstFileError);
      expect(err).toBeInstanceOf(FatalError);
      return err as PstFileError;
    }
    throw new Error(`${file} opened`);
  };

  test('a truncated copy names the file, where the header says it ends and where it does', async () => {
    const file = write('truncated.pst', fixture('ansi/go-pst-32-bit.pst').subarray(0, 40000));
    const err = await failure(file);
    expect(err.file).toBe(file);
    expect(err.offset).toBe(40000);
    expect(err.message).toBe(`${file}: truncated: the header says the file ends at offset 65536 (0x10000), but it has only 40000 bytes (at offset 40000, 0x9c40)`);
  });

  test('a copy cut inside the header', async () => {
    const file = write('stub.pst', fixture('unicode/pstsdk-sample1.pst').subarray(0, 300));
    expect((await failure(file)).message).toMatch(/stub\.pst: truncated: the header needs 564 bytes, the file has 300/);
  });

  test('a short copy whose header was made to agree fails at the first read past the end, with its offset', async () => {
    const cut = (n: number): Buffer => {
      const data = Buffer.from(fixture('ansi/go-pst-32-bit.pst').subarray(0, n));
      data.writeUInt32LE(n, 168); // ROOT.ibFileEof
      resealHeader(data); // and its CRC
      return data;
    };
    // cut before the node B-tree root page (offset 30208 in this file): caught from the header
    const root = await failure(write('short-root.pst', cut(30000)));
    expect(root.offset).toBe(30208);
    expect(root.message).toMatch(/short-root\.pst: corrupt header: the node B-tree root at offset 30208 is outside the file \(30000 bytes\)$/);
    // cut after it: pst-extractor reads past the end while building the name-to-id map
    const file = write('short.pst', cut(50000));
    const err = await failure(file);
    expect(err.offset).toBeGreaterThanOrEqual(40000);
    expect(err.message).toContain(`${file}: cannot open the ansi PST index: PSTFile::readSync short read: wanted`);
    expect(err.message).toContain(`at offset ${err.offset} (0x${err.offset!.toString(16)})`);
  });

  test('not a PST, an unknown version, an unknown encryption, a missing file', async () => {
    expect((await failure(write('text.pst', Buffer.from('From: a@b\r\n\r\nhello\r\n')))).message).toMatch(/text\.pst: not a PST\/OST file \(no "!BDN" signature\) \(at offset 0, 0x0\)$/);
    const v = Buffer.from(fixture('unicode/pstsdk-sample1.pst'));
    v.writeUInt16LE(99, 10);
    expect((await failure(write('version.pst', v))).message).toMatch(/unsupported PST version wVer=99/);
    const c = Buffer.from(fixture('unicode/pstsdk-sample1.pst'));
    c[513] = 0x55;
    expect((await failure(write('crypt.pst', c))).message).toMatch(/corrupt header: unknown encryption method 85 \(at offset 513, 0x201\)/);
    expect((await failure(join(dir, 'missing.pst'))).message).toMatch(/missing\.pst: cannot read: ENOENT: no such file or directory$/);
  });

  test('a garbled item is reported with file, node and folder; the other items still come', async () => {
    const source = join(fixturesDir(), 'pst', 'unicode', 'hiraoka-threeItems.pst');
    // where the item in folder "second" (node 0x200044) keeps its properties
    const probe = new PSTFile(source);
    const block = probe.getOffsetIndexNode(probe.getDescriptorIndexNode(Long.fromNumber(0x200044)).dataOffsetIndexIdentifier);
    probe.close();
    for (const shift of [0, 4]) {
      const data = Buffer.from(fixture('unicode/hiraoka-threeItems.pst'));
      data.fill(0x55, block.fileOffset.toNumber() + shift, block.fileOffset.toNumber() + shift + 64);
      const file = write(`garbled-${shift}.pst`, data);
      const reader = await openPst(file);
      const errors: PstItemError[] = [];
      const subjects: string[] = [];
      for await (const f of reader.folders()) {
        for await (const m of reader.messages(f, { onError: (e) => errors.push(e) })) subjects.push(`${f.path.join('/')}:${m.subject}`);
      }
      expect(subjects).toEqual([':0', 'first:1', 'third:3']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ItemError);
      expect(errors[0]!.nodeId).toBe(0x200044);
      expect(errors[0]!.folderPath).toEqual(['second']);
      expect(errors[0]!.offset).toBe(block.fileOffset.toNumber());
      // the block fails its CRC: named with its offset, its bytes never parsed
      expect(errors[0]!.message).toContain(`damaged data block 0x${block.indexIdentifier.toString(16)} at offset ${block.fileOffset.toNumber()} (0x`);
      expect(errors[0]!.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: node 2097220 \\(0x200044\\) in folder /second: `));

      // without onError the first bad item stops the folder with that error
      let thrown: unknown;
      try {
        for await (const f of reader.folders()) for await (const _m of reader.messages(f)) { /* read */ }
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(PstItemError);
      reader.close();
    }
  });

  test('the file is read through a descriptor, not loaded into memory', async () => {
    const reader = await openPst(join(fixturesDir(), 'pst', 'ost', 'aspose-SampleOstFile.ost'));
    const inner = (reader as unknown as { pst: { pstFD: number; pstBuffer: Buffer } }).pst;
    expect(inner.pstFD).toBeGreaterThan(0);
    expect(inner.pstBuffer.length).toBe(0);
    reader.close();
    await expect((async () => { for await (const _f of reader.folders()) { /* closed */ } })()).rejects.toThrow(/the file is closed/);
  });
});

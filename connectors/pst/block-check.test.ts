/**
 * Block and page integrity (block-check.ts, installed into pst-extractor by openPst): every
 * block and page of every fixture passes (no false alarms); copies damaged here in each way the
 * checks look for (data, back-pointer, signature, size, a B-tree page, an attachment's block, the
 * header) give an error naming the file, the folder, the node and the offset, and the item is
 * never read "OK". Needs the shared fixtures (UMS_FIXTURES_DIR); without them the tests fail
 * saying so, unless UMS_SKIP_ORACLE=1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Container, ItemContent, ItemMeta, SourceMailbox } from '../../src/model/types.js';
import {
  blockProblem, blockSignature, blockTrailerAt, pageProblem, parseBlockTrailer, pstCrc, PTYPE_BBT, PTYPE_NBT,
} from './block-check.js';
import { blockContent, blocks, dataBlock, formatOf, nodes, pages } from './fixture-edit.js';
import { PstSource } from './index.js';
import { openPst, PstFileError, PstItemError } from './pst-reader.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped, pstFixtures } from './readpst-oracle.js';

describe('the PST CRC and signature ([MS-PST] 5.3, 5.5)', () => {
  test('CRC-32 started at 0, no final inversion', () => {
    expect(pstCrc(Buffer.alloc(0))).toBe(0);
    expect(pstCrc(Buffer.alloc(16))).toBe(0); // zeros keep a zero CRC at 0
    // the standard CRC-32 of "123456789" is 0xCBF43926 (start ~0, inverted); started at 0 without inversion:
    expect(pstCrc(Buffer.from('123456789'))).toBe(0x2dfd2d88);
  });

  test('the signature folds offset ^ BID into 16 bits', () => {
    expect(blockSignature(0x4400, 0x4)).toBe(0x4404);
    expect(blockSignature(0x12345678, 0x0)).toBe(0x1234 ^ 0x5678);
    // 64-bit values: only the low 32 bits count
    expect(blockSignature(0x1_0000_4400, 0x2_0000_0004)).toBe(0x4404);
  });
});

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = fixturesUnavailable();
const fixture = (rel: string): string => join(fixturesDir(), 'pst', rel);
const log = pino({ level: 'silent' });

/** Every item of every mail folder read through the source: content, or the error. */
async function readAll(mb: SourceMailbox): Promise<{ c: Container; r: ItemContent | { meta: ItemMeta; error: Error } }[]> {
  const out: { c: Container; r: ItemContent | { meta: ItemMeta; error: Error } }[] = [];
  for (const c of await mb.containers()) {
    if (c.skip) continue;
    let page;
    try {
      page = await mb.changes(c, null, 10_000);
    } catch {
      continue; // a folder that cannot be listed fails as a whole (never copied)
    }
    for await (const r of mb.read(c, page.items)) out.push({ c, r });
  }
  return out;
}

maybe('block and page checks', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pst-blocks-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, data: Buffer): string => {
    const file = join(dir, name);
    writeFileSync(file, data);
    return file;
  };

  test('every block and B-tree page of every fixture passes its check', () => {
    const files = [...pstFixtures('ansi'), ...pstFixtures('unicode'), ...pstFixtures('ost')];
    expect(files.length).toBeGreaterThanOrEqual(20);
    let checked = 0;
    for (const file of files) {
      const data = readFileSync(file);
      const format = formatOf(data);
      for (const b of blocks(data).values()) {
        const { at } = blockTrailerAt(format, b.ib, b.cb);
        const trailer = parseBlockTrailer(format, data.subarray(at, at + (format === 'ansi' ? 12 : 16)));
        expect([file, b.bid, blockProblem(format, b.bid, b.ib, b.cb, data.subarray(b.ib, b.ib + b.cb), trailer)]).toEqual([file, b.bid, undefined]);
        checked++;
      }
      for (const ib of pages(data)) {
        const page = data.subarray(ib, ib + 512);
        const ptype = page[format === 'ansi' ? 500 : 496]!;
        expect([PTYPE_BBT, PTYPE_NBT]).toContain(ptype);
        expect([file, ib, pageProblem(format, ib, page, ptype)]).toEqual([file, ib, undefined]);
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  /** A copy of `rel` with `edit` applied: the item `nid` fails with `expected`, the file's other items (when it has some) still read. */
  async function damagedItem(rel: string, name: string, nid: number, edit: (data: Buffer) => number, expected: RegExp, others = true): Promise<void> {
    const data = readFileSync(fixture(rel));
    const at = edit(data);
    mkdirSync(join(dir, name, 'alice'), { recursive: true });
    writeFileSync(join(dir, name, 'alice', `${name}.pst`), data);
    const mb = await new PstSource({ directory: join(dir, name), files: '{login}/*.pst' }, log).openMailbox({ login: 'alice' });
    try {
      const results = await readAll(mb);
      const bad = results.filter(({ r }) => 'error' in r);
      expect(bad.map(({ r }) => r.meta.id)).toEqual([String(nid)]);
      const err = (bad[0]!.r as { error: Error }).error;
      expect(err).toBeInstanceOf(PstItemError);
      expect(err.message).toMatch(new RegExp(`alice/${name}\\.pst: node ${nid} \\(0x${nid.toString(16)}\\) in folder /[^:]+: `));
      expect(err.message).toMatch(expected);
      expect(err.message).toContain(`at offset ${at} (0x${at.toString(16)})`);
      expect(err.message).toMatch(/scanpst\.exe/);
      if (others) expect(results.filter(({ r }) => 'content' in r).length).toBeGreaterThan(0);
    } finally {
      await mb.close();
    }
  }

  // hiraoka-threeItems.pst: folders first, second, third with one item each; "second" holds node 0x200044
  const ITEM = 0x200044;

  test('a changed byte in an item\'s data: CRC mismatch, the item fails naming file, folder, node and offset', async () => {
    await damagedItem('unicode/hiraoka-threeItems.pst', 'crc', ITEM, (data) => {
      const b = dataBlock(data, ITEM);
      data[b.ib + 100] = data[b.ib + 100]! ^ 0x01; // one bit, inside a string of the property context
      return b.ib;
    }, /damaged data block 0x[0-9a-f]+ at offset \d+ \(0x[0-9a-f]+\): CRC 0x[0-9a-f]+ of its data, its trailer says 0x[0-9a-f]+/);
  });

  test('a trailer naming another block (back-pointer), a wrong signature, a wrong size', async () => {
    const trailerOf = (data: Buffer) => {
      const b = dataBlock(data, ITEM);
      return { b, at: blockTrailerAt('unicode', b.ib, b.cb).at };
    };
    await damagedItem('unicode/hiraoka-threeItems.pst', 'bid', ITEM, (data) => {
      const { b, at } = trailerOf(data);
      data.writeBigUInt64LE(BigInt(b.bid + 4), at + 8);
      return b.ib;
    }, /its trailer belongs to block 0x[0-9a-f]+ \(back-pointer mismatch\)/);
    await damagedItem('unicode/hiraoka-threeItems.pst', 'sig', ITEM, (data) => {
      const { b, at } = trailerOf(data);
      data.writeUInt16LE(data.readUInt16LE(at + 2) ^ 0x100, at + 2);
      return b.ib;
    }, /signature 0x[0-9a-f]+, expected 0x[0-9a-f]+/);
    await damagedItem('unicode/hiraoka-threeItems.pst', 'size', ITEM, (data) => {
      const { b, at } = trailerOf(data);
      data.writeUInt16LE(b.cb - 1, at);
      return b.ib;
    }, new RegExp('its trailer says \\d+ bytes, the block index \\d+'));
  });

  test('ANSI: the same checks on 32-bit trailers', async () => {
    // pstsdk-test_ansi.pst: one message in "Folder"
    const data = readFileSync(fixture('ansi/pstsdk-test_ansi.pst'));
    const nid = [...nodes(data).values()].find((n) => (n.nid & 0x1f) === 0x04)!.nid;
    await damagedItem('ansi/pstsdk-test_ansi.pst', 'ansi', nid, (d) => {
      const b = dataBlock(d, nid);
      d[b.ib + 40] = d[b.ib + 40]! ^ 0x80;
      return b.ib;
    }, /damaged data block .*: CRC/, false);
  });

  test('a block of a message\'s body or attachment damaged: the message fails (never read with altered bytes)', async () => {
    // aspose-Outlook.pst, Inbox: a message's subnode holding a property value (a body, attachment bytes)
    const data = readFileSync(fixture('unicode/aspose-Outlook.pst'));
    const all = blocks(data);
    const INBOX = 32898;
    const messages = [...nodes(data).values()].filter((n) => (n.nid & 0x1f) === 0x04 && n.bidSub !== 0 && n.parent === INBOX);
    // a message whose subnode block lists a big data block (an attachment's bytes)
    let target: { nid: number; ib: number } | undefined;
    for (const m of messages) {
      const sub = blockContent(data, all.get(m.bidSub)!);
      if (sub[0] !== 0x02 || sub[1] !== 0x00) continue; // an SLBLOCK: its entries are (nid, bidData, bidSub)
      const entries = sub.readUInt16LE(2);
      for (let i = 0; i < entries && !target; i++) {
        const nid = Number(sub.readBigUInt64LE(8 + i * 24));
        const bid = Number(sub.readBigUInt64LE(8 + i * 24 + 8));
        const b = all.get(bid);
        // not the recipient (0x692) or attachment (0x671) table: a value's bytes
        if (b && b.cb > 1000 && (bid & 2) === 0 && nid !== 0x692 && nid !== 0x671) target = { nid: m.nid, ib: b.ib };
      }
      if (target) break;
    }
    expect(target).toBeDefined();
    await damagedItem('unicode/aspose-Outlook.pst', 'attachment', target!.nid, (d) => {
      d.fill(0x41, target!.ib + 500, target!.ib + 564); // 64 bytes of "AAAA…", as in base64 text
      return target!.ib;
    }, /damaged data block/);
  });

  test('a damaged block behind a string pst-extractor reads itself (an embedded message\'s transport headers): the message fails', async () => {
    // hiraoka-msgInMsgInMsg.pst: block 0x158 holds the headers of the message embedded in the one of folder msgInMsgInMsg;
    // pst-extractor's string getter used to log the read error and return '' (the message was built without its headers)
    await damagedItem('unicode/hiraoka-msgInMsgInMsg.pst', 'headers', 0x200024, (d) => {
      const b = blocks(d).get(0x158)!;
      d.fill(0x20, b.ib + 600, b.ib + 664);
      return b.ib;
    }, /attachment 1 \("I have attachments!"\): attachment 1 \(.*\): damaged data block 0x158 at offset \d+/, false);
  });

  test('a damaged node B-tree page: what it indexes fails, naming the page\'s offset', async () => {
    const data = readFileSync(fixture('unicode/hiraoka-threeItems.pst'));
    // the leaf page holding the item's NBT entry
    const root = Number(data.readBigUInt64LE(224));
    data[root + 8] = data[root + 8]! ^ 0xff; // inside the root page's first entry
    const file = write('nbt.pst', data);
    let err: unknown;
    try {
      (await openPst(file)).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PstFileError);
    expect((err as PstFileError).message).toMatch(new RegExp(`nbt\\.pst: .*damaged index page 0x[0-9a-f]+ at offset ${root} \\(0x${root.toString(16)}\\): CRC`));
    expect((err as PstFileError).offset).toBe(root);
  });

  test('a damaged header: the file is refused, naming the header CRC (bCryptMethod must not be trusted)', async () => {
    const data = readFileSync(fixture('unicode/hiraoka-threeItems.pst'));
    data[513] = data[513] === 1 ? 0 : 1; // encryption flag flipped: every block would decode to garbage with valid CRCs
    const file = write('header.pst', data);
    await expect(openPst(file)).rejects.toThrow(/header\.pst: corrupt header: its dwCRCFull is 0x[0-9a-f]+, the header's bytes give 0x[0-9a-f]+; repair a copy .* \(at offset 524, 0x20c\)/);
  });
});

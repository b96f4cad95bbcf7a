/**
 * What a PST holds is all listed: copies of fixtures edited here (fixture-edit.ts, block CRCs
 * re-sealed so only the edit differs) reproduce
 *   - a folder whose PR_SUBFOLDERS is 0 while its hierarchy table lists children (Outlook writes
 *     such files): the children are listed as readpst lists them, and migrated;
 *   - a subfolder missing from its parent's hierarchy table: found in the node index, listed and
 *     migrated, the bad row a folder that fails with the reason;
 *   - contents-table differences (a row pointing elsewhere, a folder claiming more items than
 *     exist): the item only the node index knows is copied with a warning, the rest fails with
 *     the reason — both in the state store's problems (status --problems, the report);
 *   - the last entry of the named-property map (pst-extractor dropped it): readable;
 * and the plan's view of a file: folders by path, sizes, every folder with what happens to it.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR) and readpst (pst-utils); without them the tests
 * fail saying so, unless UMS_SKIP_ORACLE=1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import pino from 'pino';
import { PSTFolder, PSTFile } from 'pst-extractor';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { blockContent, blocks, dataBlock, findInBlock, nodeBlocks, writeInBlock, type BlockRef } from './fixture-edit.js';
import { PstSource } from './index.js';
import { messageState } from './pst-message.js';
import { openPst } from './pst-reader.js';
import { compareWithReadpst, fixturesDir, oracleSkipped, oracleUnavailable } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = oracleUnavailable();
const log = pino({ level: 'silent' });
const fixture = (rel: string): Buffer => readFileSync(join(fixturesDir(), 'pst', rel));

// aspose-SampleOstFile.ost: IPM_SUBTREE/Inbox (node 8578) holds sub1 (32930, 25 items) and sub2 (32962, 29 items)
const OST = 'ost/aspose-SampleOstFile.ost';
const INBOX = 8578;
const SUB1 = 32930;
const SUB2 = 32962;

const le32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
/** A PT_BOOLEAN / PT_LONG record of a property context's BTH: wPropId, wPropType, the value. */
const record = (prop: number, type: number, value: number): Buffer => Buffer.concat([Buffer.from([prop & 0xff, prop >> 8, type & 0xff, type >> 8]), le32(value)]);

/** Sets a property stored inline in a folder's property context (found by its current value). */
function setFolderProp(data: Buffer, nid: number, prop: number, type: number, from: number, to: number): void {
  const b = dataBlock(data, nid);
  const at = findInBlock(data, b, record(prop, type, from));
  expect(at).toHaveLength(1);
  writeInBlock(data, b, at[0]! + 4, le32(to));
}

/** Replaces every 4-byte occurrence of `from` by `to` in the blocks of node `nid` (a table: its row ids and its row index). */
function replaceId(data: Buffer, nid: number, from: number, to: number): number {
  let n = 0;
  for (const b of nodeBlocks(data, nid)) {
    const hits = findInBlock(data, b, le32(from));
    for (const at of hits) writeInBlock(data, b, at, le32(to));
    n += hits.length;
  }
  return n;
}

const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 10, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
};

maybe('every folder and item of a PST is listed', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'pst-folders-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** Puts `files` (name → bytes) into alice's directory; her PstSource. */
  const mailbox = (files: Record<string, Buffer>, groupware = false): PstSource => {
    mkdirSync(join(dir, 'pst', 'alice'), { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, 'pst', 'alice', name), data);
    return new PstSource({ directory: join(dir, 'pst'), files: '{login}/*', groupware }, log);
  };
  const run = async (source: PstSource) => {
    const store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
    const target = new MemoryTarget();
    try {
      const report = await runJob({ store, sources: source, targets: target, log }, [{ source: { login: 'alice' }, target: { login: 'alice' } }], options);
      return { report, target, problems: await store.problems() };
    } finally {
      await store.close();
    }
  };

  test('a folder whose PR_SUBFOLDERS is 0 still has its subfolders listed (as readpst does) and migrated', async () => {
    const data = fixture(OST);
    setFolderProp(data, INBOX, 0x360a, 0x000b, 1, 0);
    const file = join(dir, 'flag0.ost');
    writeFileSync(file, data);
    // the copy reproduces the case: the folder says it has no subfolders
    const probe = new PSTFile(file);
    expect(new PSTFolder(probe, probe.getDescriptorIndexNode(Long.fromNumber(INBOX))).hasSubfolders).toBe(false);
    probe.close();

    const reader = await openPst(file);
    const paths: string[] = [];
    for await (const f of reader.folders()) paths.push(f.path.join('/'));
    reader.close();
    expect(paths).toEqual(expect.arrayContaining(['Inbox', 'Inbox/sub1', 'Inbox/sub2']));
    // every folder readpst lists, with its items and subjects
    expect((await compareWithReadpst(file)).problems).toEqual([]);

    const { report, target } = await run(mailbox({ 'mail.ost': data }));
    expect(report.failed).toBe(0);
    expect(target.folders.get('INBOX.sub1')?.messages).toHaveLength(25);
    expect(target.folders.get('INBOX.sub2')?.messages).toHaveLength(29);
  });

  test('a subfolder missing from its parent\'s hierarchy table is found in the node index; the bad row fails, named', async () => {
    const data = fixture(OST);
    const BOGUS = 0x000fffe2; // a folder NID the file does not have
    expect(replaceId(data, INBOX + 11, SUB2, BOGUS)).toBeGreaterThan(0);
    const source = mailbox({ 'mail.ost': data });
    const mb = await source.openMailbox({ login: 'alice' });
    const containers = await mb.containers();
    await mb.close();
    const sub2 = containers.find((c) => c.id === `alice/mail.ost:${SUB2}`)!;
    expect(sub2.path).toEqual(['Inbox', 'sub2']);
    expect(sub2.label).toBe('Inbox/sub2 (not in its parent\'s folder list; found in the file\'s node index)');
    const bad = containers.find((c) => c.id === `alice/mail.ost:${BOGUS}`)!;
    expect(bad.path).toEqual(['Inbox', `(folder node ${BOGUS})`]);

    const { report, target } = await run(source);
    expect(target.folders.get('INBOX.sub2')?.messages).toHaveLength(29);
    const failed = report.mailboxes[0]!.containers.filter((c) => !c.ok);
    expect(failed.map((c) => c.source)).toEqual([`alice/mail.ost:${BOGUS}`]);
    expect(failed[0]!.error).toMatch(/mail\.ost: opening subfolder node 1048546 of \/Inbox \(node 8578\): node 1048546 is not in the file's node index$/);
  });

  test('contents-table differences: the item only the node index lists is copied with a warning; a shortfall fails with the reason; both in the problems', async () => {
    const data = fixture(OST);
    // sub1's contents table: one row now points to an item that does not exist, another to an item of sub2
    const [firstItem, secondItem] = await readIds(data, SUB1);
    const sub2Item = (await readIds(data, SUB2))[0]!;
    expect(replaceId(data, SUB1 + 12, firstItem!, 0x001ffff4)).toBeGreaterThan(0);
    expect(replaceId(data, SUB1 + 12, secondItem!, sub2Item)).toBeGreaterThan(0);
    // sub2 claims 3 items more than it has (PR_CONTENT_COUNT 29 → 32)
    setFolderProp(data, SUB2, 0x3602, 0x0003, 29, 32);

    const { report, target, problems } = await run(mailbox({ 'mail.ost': data }));
    // sub1: 23 rows read, the 2 items the rows lost found in the node index and copied; the 2 bad rows fail
    expect(target.folders.get('INBOX.sub1')?.messages).toHaveLength(25);
    const sub1 = problems.filter((p) => p.path === 'Inbox/sub1');
    expect(sub1.map((p) => [p.itemId, p.status]).sort()).toEqual([[String(0x001ffff4), 'failed'], [String(firstItem), 'done'], [String(secondItem), 'done'], [String(sub2Item), 'failed']].sort());
    for (const id of [firstItem, secondItem]) {
      expect(sub1.find((p) => p.itemId === String(id))!.reason).toBe('copied with warnings: listed from the file\'s node index: the folder\'s contents table does not list it (damaged or out of date)');
    }
    expect(sub1.find((p) => p.itemId === String(0x001ffff4))!.reason).toMatch(/mail\.ost: node 2097140 \(0x1ffff4\) in folder \/Inbox\/sub1: node 2097140 is not in the file's node index$/);
    // the node index's parent link (NID back-pointer) says the row's item is sub2's: not copied into sub1
    expect(sub1.find((p) => p.itemId === String(sub2Item))!.reason).toMatch(new RegExp(`in folder /Inbox/sub1: the file's node index places this item in folder node ${SUB2}, not in this folder \\(node ${SUB1}\\)`));
    // sub2: all 29 copied, the 3 missing reported as one failed entry with the counts
    expect(target.folders.get('INBOX.sub2')?.messages).toHaveLength(29);
    const sub2 = problems.filter((p) => p.path === 'Inbox/sub2');
    expect(sub2.map((p) => [p.itemId, p.status])).toEqual([['inventory', 'failed']]);
    expect(sub2[0]!.reason).toMatch(/node 32962 \(0x80c2\) in folder \/Inbox\/sub2: the folder says it holds 32 items, its contents table lists 29, the file's node index 29: 3 items cannot be found and are not migrated \(the file is damaged: repair a copy with Outlook's scanpst\.exe/);
    expect(report.failed).toBe(3);
  });

  test('the last entry of the named-property map is read (a message\'s categories named by it)', async () => {
    // pstsdk-sample1.pst: "Sample1" holds a message with two categories (PidNameKeywords); its
    // name-to-id map entry is moved to the end of the map (swapped with the last entry)
    const data = fixture('unicode/pstsdk-sample1.pst');
    const intact = await categories(data);
    expect(intact).toEqual([['Green Category', 'Blue Category']]);
    const entries = nameMapEntries(data);
    const keywords = entries.find((e) => e.name === 'Keywords')!;
    const last = entries[entries.length - 1]!;
    expect(keywords.index).toBeLessThan(last.index);
    swapEntries(data, keywords, last);
    expect(nameMapEntries(data).at(-1)!.name).toBe('Keywords');
    expect(await categories(data)).toEqual(intact);
  });

  test('the plan: folders by their path in the file, sizes, every folder with what happens to it', async () => {
    const one = mailbox({ 'outlook.pst': fixture('unicode/aspose-Outlook.pst') });
    const mb = await one.openMailbox({ login: 'alice' });
    const containers = await mb.containers();
    const labels = containers.map((c) => c.label);
    expect(labels).toEqual(expect.arrayContaining(['Inbox', 'Inbox/SubInbox', 'Sent Items', 'Journal', 'Notes', 'Tasks', 'Deleted Items']));
    const byLabel = new Map(containers.map((c) => [c.label, c]));
    expect(byLabel.get('Journal')!.skip).toBe('IPF.Journal folder: Outlook journal entries have no counterpart on the UMS (0 items in alice/outlook.pst)');
    expect(byLabel.get('Tasks')!.skip).toMatch(/^IPF\.Task folder \(task list\): not migrated; set "groupware: true"/);
    const inbox = await mb.stats(byLabel.get('Inbox')!, { withBytes: true });
    expect(inbox.count).toBe(8);
    expect(inbox.bytes).toBeGreaterThan(100_000); // PR_MESSAGE_SIZE of the rows, not 0
    await mb.close();
    // several files: the file's name first
    rmSync(join(dir, 'pst'), { recursive: true, force: true });
    const two = mailbox({ 'outlook.pst': fixture('unicode/aspose-Outlook.pst'), 'cjk.pst': fixture('unicode/hiraoka-Hello_CJK.pst') });
    const mb2 = await two.openMailbox({ login: 'alice' });
    const labels2 = (await mb2.containers()).map((c) => c.label);
    await mb2.close();
    expect(labels2).toEqual(expect.arrayContaining(['alice/outlook.pst: Inbox/SubInbox', 'alice/cjk.pst: 削除済みアイテム']));
  });
});

/** The item ids of a folder in a copy (read through the reader). */
async function readIds(data: Buffer, folder: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pst-ids-'));
  try {
    writeFileSync(join(dir, 'x.pst'), data);
    const r = await openPst(join(dir, 'x.pst'));
    const ids = [...r.contentIds(folder)].map((e) => e.nodeId!);
    r.close();
    return ids;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The categories of every message of a copy. */
async function categories(data: Buffer): Promise<(string[] | undefined)[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pst-cat-'));
  try {
    writeFileSync(join(dir, 'x.pst'), data);
    const r = await openPst(join(dir, 'x.pst'));
    const out: (string[] | undefined)[] = [];
    for await (const f of r.folders()) for await (const m of r.messages(f)) out.push(messageState(m.raw).categories);
    r.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface NameEntry { index: number; name: string; at: number; block: BlockRef }

/**
 * The entries of the name-to-id map's entry stream (PidTagNameidStreamEntry, [MS-PST] 2.4.7.4):
 * 8 bytes each (name or string offset, GUID index and kind, property index), in the subnode of
 * node 0x61 whose entries carry the property indexes 0..n-1; and where each lies in the file.
 */
function nameMapEntries(data: Buffer): NameEntry[] {
  const probe = new PSTFile(data);
  const names = (probe as unknown as { nodeMap: { idToStringName: Map<number, string> } }).nodeMap.idToStringName;
  const map = probe.getDescriptorIndexNode(Long.fromNumber(0x61));
  const all = blocks(data);
  for (const item of probe.getPSTDescriptorItems(map.localDescriptorsOffsetIndexIdentifier).values()) {
    const bytes = item.getData();
    const n = bytes.length / 8;
    if (!Number.isInteger(n) || n < 2) continue;
    const indexes = Array.from({ length: n }, (_v, i) => bytes.readUInt16LE(i * 8 + 6));
    if (new Set(indexes).size !== n || Math.max(...indexes) !== n - 1) continue;
    const block = all.get(item.offsetIndexIdentifier)!;
    const start = findInBlock(data, block, bytes);
    expect(start).toHaveLength(1);
    return indexes.map((index, i) => ({ index, name: names.get(0x8000 + index) ?? `#${index}`, at: start[0]! + i * 8, block }));
  }
  throw new Error('no entry stream found in the name-to-id map');
}

/** Swaps two entries of the stream in place (the map's content is the same, only the order differs). */
function swapEntries(data: Buffer, a: NameEntry, b: NameEntry): void {
  const content = blockContent(data, a.block);
  const ea = Buffer.from(content.subarray(a.at, a.at + 8));
  const eb = Buffer.from(content.subarray(b.at, b.at + 8));
  writeInBlock(data, a.block, a.at, eb);
  writeInBlock(data, b.block, b.at, ea);
}

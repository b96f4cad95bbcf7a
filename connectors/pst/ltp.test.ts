/**
 * The fast node and table readers (ndb.ts, ltp.ts) against pst-extractor's own, on every node of
 * every fixture file: the same node and block index entries, the same subnodes and their bytes,
 * the same property contexts and table rows (every field of every PSTTableItem), the same
 * failures. Also: the caches stay bounded, and a file's own look-ups go through the fast reader
 * once it is installed.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the test fails saying so, unless
 * UMS_SKIP_ORACLE=1.
 */
import Long from 'long';
import { PSTFile } from 'pst-extractor';
import { PSTNodeInputStream } from 'pst-extractor/dist/PSTNodeInputStream.class.js';
import { PSTTable7C } from 'pst-extractor/dist/PSTTable7C.class.js';
import { PSTTableBC } from 'pst-extractor/dist/PSTTableBC.class.js';
import type { PSTTableItem } from 'pst-extractor/dist/PSTTableItem.class.js';
import { PstChecks } from './block-check.js';
import { Heap, propertyContext, TableContext } from './ltp.js';
import type { Ndb } from './ndb.js';
import { installNdb } from './ndb-install.js';
import { walkNodeIndex } from './node-index.js';
import { readHeader } from './pst-header.js';
import { fixturesUnavailable, oracleSkipped, pstFixtures } from './readpst-oracle.js';
import { quietly } from './extractor-output.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = fixturesUnavailable();

/** Every field of a table item, comparable. */
const fields = (i: PSTTableItem): unknown[] => [i.itemIndex, i.entryType.toNumber(), i.entryValueType, i.entryValueReference, i.isExternalValueReference, i.data.toString('hex')];
const items = (m: Map<number, PSTTableItem>): unknown[] => [...m].map(([k, v]) => [k, ...fields(v)]);

/** The outcome of a read: its value, or that it failed. */
function outcome<T>(fn: () => T, show: (v: T) => unknown): unknown {
  try {
    return show(quietly(fn));
  } catch {
    return 'failed';
  }
}

interface Counted { nodes: number; pcs: number; tcs: number; subnodes: number; partial: number }

function compareFile(file: string): Counted {
  const { format } = readHeader(file);
  const plain = new PSTFile(file);
  const fast = new PSTFile(file, { checks: new PstChecks(format) });
  const ndb = installNdb(fast, format) as Ndb;
  const ansi = format === 'ansi';
  const counted: Counted = { nodes: 0, pcs: 0, tcs: 0, subnodes: 0, partial: 0 };
  try {
    const nids: number[] = [];
    walkNodeIndex(fast, format, (nid) => nids.push(nid));
    const sameTables = (bid: number, sub: Map<number, never> | undefined, plainSub: Map<number, never> | undefined): void => {
      const pc = outcome(() => propertyContext(Heap.of(ndb, bid)), items);
      const libPc = outcome(() => new PSTTableBC(new PSTNodeInputStream(plain, plain.getOffsetIndexNode(Long.fromNumber(bid)))).getItems(), items);
      expect(pc).toEqual(libPc);
      if (pc !== 'failed') counted.pcs++;
      for (const column of [undefined, 0x67f2, 0x0e08, 0x3001]) {
        const tc = outcome(() => new TableContext(Heap.of(ndb, bid, sub), ansi, column), (t) => [t.rowCount, t.rows().map(items), t.rows(1, 2).map(items)]);
        const libTc = outcome(() => new PSTTable7C(new PSTNodeInputStream(plain, plain.getOffsetIndexNode(Long.fromNumber(bid))), plainSub, column),
          (t) => [t.rowCount, t.getItems().map(items), t.getItems(1, 2).map(items)]);
        expect(tc).toEqual(libTc);
        if (tc !== 'failed' && column === undefined) counted.tcs++;
      }
      // the first block of rows alone (a folder's first item): the same rows as far as it goes, at least one
      const full = outcome(() => new TableContext(Heap.of(ndb, bid, sub), ansi, 0x67f2), (t) => t);
      if (full !== 'failed') {
        const whole = full as TableContext;
        const first = new TableContext(Heap.of(ndb, bid, sub), ansi, 0x67f2, true);
        expect(first.rowCount).toBe(whole.rowCount);
        let n = 0;
        for (; n < first.rowCount; n++) {
          let row;
          try { row = first.rows(n, 1); } catch { break; }
          expect(row.map(items)).toEqual(whole.rows(n, 1).map(items));
        }
        if (whole.rowCount > 0) expect(n).toBeGreaterThan(0);
        if (n < whole.rowCount) counted.partial++;
      }
    };
    for (const nid of nids) {
      counted.nodes++;
      const node = fast.getDescriptorIndexNode(Long.fromNumber(nid));
      const libNode = plain.getDescriptorIndexNode(Long.fromNumber(nid));
      expect(JSON.stringify(node)).toBe(JSON.stringify(libNode));
      for (const bid of [node.dataOffsetIndexIdentifier, node.localDescriptorsOffsetIndexIdentifier]) {
        if (bid.isZero()) continue;
        expect(outcome(() => fast.getOffsetIndexNode(bid), (o) => JSON.stringify(o))).toEqual(outcome(() => plain.getOffsetIndexNode(bid), (o) => JSON.stringify(o)));
      }
      const bidSub = node.localDescriptorsOffsetIndexIdentifier.toNumber();
      const sub = outcome(() => (bidSub > 0 ? ndb.subnodes(bidSub) : undefined), (m) => m);
      const libSub = outcome(() => (bidSub > 0 ? plain.getPSTDescriptorItems(Long.fromNumber(bidSub)) : undefined), (m) => m);
      expect(sub === 'failed').toBe(libSub === 'failed');
      const subs = sub === 'failed' ? undefined : sub as Map<number, never> | undefined;
      const libSubs = libSub === 'failed' ? undefined : libSub as Map<number, never> | undefined;
      expect([...(subs?.keys() ?? [])]).toEqual([...(libSubs?.keys() ?? [])]);
      sameTables(node.dataOffsetIndexIdentifier.toNumber(), subs, libSubs);
      for (const [id, s] of subs ?? []) {
        counted.subnodes++;
        const l = libSubs!.get(id)!;
        const mine = s as { descriptorIdentifier: number; offsetIndexIdentifier: number; subNodeOffsetIndexIdentifier: number; getData(): Buffer };
        const theirs = l as typeof mine;
        expect([mine.descriptorIdentifier, mine.offsetIndexIdentifier, mine.subNodeOffsetIndexIdentifier])
          .toEqual([theirs.descriptorIdentifier, theirs.offsetIndexIdentifier, theirs.subNodeOffsetIndexIdentifier]);
        expect(outcome(() => mine.getData(), (b) => b.toString('hex'))).toEqual(outcome(() => theirs.getData(), (b) => b.toString('hex')));
        // a subnode is a table (attachment, recipients) or an object (attachment, embedded message) of its own
        const inner = outcome(() => (mine.subNodeOffsetIndexIdentifier > 0 ? ndb.subnodes(mine.subNodeOffsetIndexIdentifier) : undefined), (m) => m);
        const libInner = outcome(() => (theirs.subNodeOffsetIndexIdentifier > 0 ? plain.getPSTDescriptorItems(Long.fromNumber(theirs.subNodeOffsetIndexIdentifier)) : undefined), (m) => m);
        expect(inner === 'failed').toBe(libInner === 'failed');
        if (inner !== 'failed') sameTables(mine.offsetIndexIdentifier, inner as Map<number, never> | undefined, libInner as Map<number, never> | undefined);
      }
    }
  } finally {
    plain.close();
    fast.close();
  }
  return counted;
}

maybe('fast node and table readers equal pst-extractor\'s', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  const files = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  let partial = 0;
  test.each(files.map((f) => [f.split('/').pop()!, f]))('%s: every node, subnode, property context and table', (_name, file) => {
    const counted = compareFile(file);
    expect(counted.nodes).toBeGreaterThan(10);
    expect(counted.pcs).toBeGreaterThan(3);
    expect(counted.tcs).toBeGreaterThan(3);
    partial += counted.partial;
  });
  // some tables of the set have more rows than their first block holds
  afterAll(() => expect(partial).toBeGreaterThan(0));
});

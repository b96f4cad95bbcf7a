/**
 * The source connector conformance suite: what every SourceConnector must do, read from the
 * SourceMailbox contract (src/model/types.ts), not from one implementation. Each connector's
 * file in this folder calls it with a fixture over real data (a lab server, fixture files, the
 * EWS simulator):
 *
 *   describeSourceConnector('pst', async () => ({ connector: () => new PstSource(…), account, cleanup }));
 *
 * `make` runs once per suite (lab users and fixture trees are costly); the tests read the data
 * and only the last one (`unreadable`) changes it. A contract a connector does not meet yet is
 * listed in `failing` with the bug: jest then runs it as `test.failing` (it must still fail).
 *
 * Contracts:
 * - containers: listed with ids that are unique and the same in a new session, each with a
 *   human name (label or path) free of control characters;
 * - paging: pages of at most `limit` items, one epoch, every item exactly once (the ids of `allIds`);
 * - resume: a listing continued from a cursor by a new connector (a crashed process) gives the rest,
 *   nothing twice, nothing lost;
 * - unchanged: with no source change, a new session reports the same epoch and nothing after the
 *   last cursor, and a second engine pass copies nothing (skipping outright every container whose
 *   token stayed the same and that has a change sequence);
 * - sizes: counts equal the listed items, byte totals are numbers or left out (unknown), item sizes
 *   are non-negative integers;
 * - gone: reading an item that is not in the source fails for that item alone, naming it;
 * - grow: an item added after a complete pass changes the token, is listed after that pass's cursor
 *   (the engine continues from it) and is the one item the next engine pass copies;
 * - unreadable: an item damaged after it was listed fails alone with a reason naming it, the others are read.
 */
import pino from 'pino';
import { completeSource } from '../../src/engine/derived-source.js';
import { runJob } from '../../src/engine/job.js';
import type { Account, ChangePage, Container, ItemMeta, SourceConnector, SourceMailbox } from '../../src/model/types.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';
import { MemoryTarget } from '../support/memory-connectors.js';
import { describeContract, type ContractOptions } from './known-failures.js';

export type SourceContract = 'containers' | 'paging' | 'resume' | 'unchanged' | 'sizes' | 'gone' | 'grow' | 'unreadable';

export interface SourceFixture {
  /** A new connector over the prepared data, as a new process would build it. */
  connector(): SourceConnector;
  account: Account;
  /** An item id the source never had (default '999999999'; a source whose ids have a shape gives one of that shape). */
  missingId?: string;
  /**
   * Makes `item` (listed in `container`, with other readable items) unreadable (damages its file,
   * expunges it on the server…); returns the text its reason must contain, or undefined when
   * items of this container cannot be damaged (the suite tries the next one). Absent: the
   * connector has no item that can turn unreadable (the contract then fails saying so).
   */
  spoil?(container: Container, item: ItemMeta): Promise<string | undefined>;
  /**
   * Adds one new item to `container` the way new data reaches this source (a delivery, a later
   * export, a file dropped into the tree). Absent: the contract fails saying so, unless the
   * connector's file lists `grow` as not applicable (e.g. a PST archive).
   */
  grow?(container: Container): Promise<void>;
  cleanup(): Promise<void>;
}

const log = pino({ level: 'silent' });
const PAGE = 2;
// Control characters (C0, DEL, C1) and bidi controls in a name a person reads.
// eslint-disable-next-line no-control-regex
const UNREADABLE_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** The whole listing of a container from `cursor`, page by page (at most `limit` per page). */
async function listAll(mb: SourceMailbox, c: Container, limit: number, cursor: string | null = null): Promise<{ pages: ChangePage[]; ids: string[]; cursor: string | null }> {
  const pages: ChangePage[] = [];
  let guard = 0;
  for (;;) {
    const page = await mb.changes(c, cursor, limit);
    pages.push(page);
    cursor = page.cursor;
    if (page.done) break;
    if (++guard > 10_000) throw new Error(`${c.id}: the listing never says done`);
  }
  return { pages, ids: pages.flatMap((p) => p.items.map((i) => i.id)), cursor };
}

const duplicates = (ids: string[]): string[] => ids.filter((id, i) => ids.indexOf(id) !== i);
const humanName = (c: Container): string => c.label ?? c.path.join('/');

export function describeSourceConnector(name: string, make: () => Promise<SourceFixture>, opts: ContractOptions<SourceContract> = {}): void {
  describe(`${name} source: conformance`, () => {
    let fixture: SourceFixture;
    const open: { connector: SourceConnector; mailbox: SourceMailbox }[] = [];
    const state = useTempStateStore(`conformance-${name}`);

    /** A new connector and mailbox session (closed after the test). */
    async function session(): Promise<SourceMailbox> {
      const connector = fixture.connector();
      // As the engine sees it: the connector's own answers, the rest derived from its listing.
      const mailbox = completeSource(await connector.openMailbox(fixture.account));
      open.push({ connector, mailbox });
      return mailbox;
    }
    async function closeAll(): Promise<void> {
      for (const s of open.splice(0)) {
        await s.mailbox.close();
        await s.connector.close();
      }
    }
    /** The containers a pass migrates (not `skip`). */
    async function migrated(mb: SourceMailbox): Promise<Container[]> {
      return (await mb.containers()).filter((c) => c.skip === undefined);
    }

    beforeAll(async () => { fixture = await make(); }, 300_000);
    afterEach(closeAll);
    afterAll(async () => { await fixture?.cleanup(); });

    const contract = describeContract(opts);

    contract('containers', 'containers are listed with unique ids, the same in a new session, and human names', async () => {
      const first = await (await session()).containers();
      const again = await (await session()).containers();
      const ids = first.map((c) => c.id);
      expect(first.filter((c) => c.skip === undefined).length).toBeGreaterThan(0);
      expect(duplicates(ids)).toEqual([]);
      expect(again.map((c) => c.id).sort()).toEqual([...ids].sort());
      for (const c of first) {
        expect({ id: c.id, name: humanName(c), unreadable: UNREADABLE_NAME.test(humanName(c)) }).toEqual({ id: c.id, name: expect.stringMatching(/\S/), unreadable: false });
        expect(c.path.every((segment) => segment.length > 0)).toBe(true);
      }
    });

    contract('paging', 'pages hold at most the limit, in one epoch, and give every item exactly once', async () => {
      const mb = await session();
      let seen = 0;
      for (const c of await migrated(mb)) {
        const { pages, ids } = await listAll(mb, c, PAGE);
        const { epoch, ids: present } = await mb.allIds(c);
        expect({ container: `${humanName(c)} (${c.id})`, oversized: pages.filter((p) => p.items.length > PAGE).length, epochs: [...new Set(pages.map((p) => p.epoch))] })
          .toEqual({ container: `${humanName(c)} (${c.id})`, oversized: 0, epochs: [epoch] });
        expect({ container: `${humanName(c)} (${c.id})`, duplicates: duplicates(ids), ids: [...ids].sort() }).toEqual({ container: `${humanName(c)} (${c.id})`, duplicates: [], ids: [...present].sort() });
        seen += ids.length;
      }
      expect(seen).toBeGreaterThan(PAGE);
    });

    contract('resume', 'a listing resumed from a cursor by a new process gives the rest: nothing twice, nothing lost', async () => {
      const mb = await session();
      const c = (await Promise.all((await migrated(mb)).map(async (x) => ({ x, n: (await mb.allIds(x)).ids.length })))).find((e) => e.n > PAGE)?.x;
      if (!c) throw new Error('the fixture needs a container with more than one page of items');
      const full = await listAll(mb, c, PAGE);
      const first = await mb.changes(c, null, PAGE);
      await closeAll(); // the process dies with its cursor checkpointed
      const again = await session();
      const same = (await again.containers()).find((x) => x.id === c.id);
      if (!same) throw new Error(`${c.id} is gone in a new session`);
      const rest = first.done ? { ids: [] as string[] } : await listAll(again, same, PAGE, first.cursor);
      const ids = [...first.items.map((i) => i.id), ...rest.ids];
      expect({ duplicates: duplicates(ids), ids: [...ids].sort() }).toEqual({ duplicates: [], ids: [...full.ids].sort() });
    });

    contract('unchanged', 'with no source change, a new session sees the same epoch and nothing after the last cursor; a second engine pass copies nothing', async () => {
      const mb = await session();
      const before = new Map<string, { epoch: string; token: string; cursor: string | null; changeSeq?: string }>();
      for (const c of await migrated(mb)) {
        const s = await mb.stats(c);
        before.set(c.id, { epoch: s.epoch, token: s.token, cursor: (await listAll(mb, c, 50)).cursor, changeSeq: s.changeSeq });
      }
      await closeAll();
      const again = await session();
      // The token must change when the container does; an unchanged one may keep it (then the engine skips the container).
      let skippable = 0;
      for (const c of await migrated(again)) {
        const was = before.get(c.id);
        const s = await again.stats(c);
        const after = await again.changes(c, was?.cursor ?? null, 50);
        expect({ container: `${humanName(c)} (${c.id})`, epoch: s.epoch, items: after.items.map((i) => i.id), deleted: after.deleted ?? [], flagged: after.flagged ?? [] })
          .toEqual({ container: `${humanName(c)} (${c.id})`, epoch: was?.epoch, items: [], deleted: [], flagged: [] });
        // Without a change sequence a container is scanned for flag changes on every pass (flag-only changes leave its token as it was).
        if (s.token === was?.token && s.changeSeq !== undefined) skippable++;
      }
      await closeAll();

      const job = [{ source: fixture.account, target: { login: 'conformance' } }];
      const target = new MemoryTarget();
      const first = await runJob({ store: state.store, sources: fixture.connector(), targets: target, log }, job, testJobOptions());
      expect({ failed: first.failed, failedContainers: first.failedContainers, copied: first.copied > 0 }).toEqual({ failed: 0, failedContainers: 0, copied: true });
      const second = await runJob({ store: state.store, sources: fixture.connector(), targets: target, log }, job, testJobOptions());
      expect({ copied: second.copied, recovered: second.recovered, failed: second.failed, flags: second.flagsUpdated, deleted: second.deleted, unchanged: second.unchangedContainers })
        .toEqual({ copied: 0, recovered: 0, failed: 0, flags: 0, deleted: 0, unchanged: skippable });
    });

    contract('sizes', 'counts equal the listed items, byte totals are numbers or left out (unknown), item sizes are non-negative integers', async () => {
      const mb = await session();
      for (const c of await migrated(mb)) {
        const { ids } = await mb.allIds(c);
        const plain = await mb.stats(c);
        const withBytes = await mb.stats(c, { withBytes: true });
        const { pages } = await listAll(mb, c, 50);
        const badSizes = pages.flatMap((p) => p.items).filter((i) => !Number.isInteger(i.size) || i.size < 0).map((i) => `${i.id}: ${i.size}`);
        const bytesOk = withBytes.bytes === undefined || (Number.isFinite(withBytes.bytes) && withBytes.bytes >= 0);
        expect({ container: `${humanName(c)} (${c.id})`, count: plain.count, countWithBytes: withBytes.count, bytesOk, badSizes })
          .toEqual({ container: `${humanName(c)} (${c.id})`, count: ids.length, countWithBytes: ids.length, bytesOk: true, badSizes: [] });
      }
    });

    contract('gone', 'reading an item that is not in the source fails for that item alone, naming it', async () => {
      const mb = await session();
      const c = (await migrated(mb))[0]!;
      const listed = (await mb.changes(c, null, 3)).items.filter((i) => i.skip === undefined);
      const missing: ItemMeta = { id: fixture.missingId ?? '999999999', size: 100, flags: [] };
      const results = [];
      for await (const r of mb.read(c, [missing, ...listed])) results.push(r);
      const errors = results.filter((r) => 'error' in r).map((r) => ({ id: r.meta.id, names: 'error' in r && r.error.message.includes(missing.id) }));
      expect(errors).toEqual([{ id: missing.id, names: true }]);
      expect(results.filter((r) => 'content' in r).map((r) => r.meta.id).sort()).toEqual(listed.map((i) => i.id).sort());
    });

    contract('grow', 'an item added after a complete pass changes the token, is listed after that pass\'s cursor, and the next engine pass copies exactly it', async () => {
      if (!fixture.grow) throw new Error('the fixture has no way to add an item');
      const job = [{ source: fixture.account, target: { login: 'conformance' } }];
      const target = new MemoryTarget();
      const first = await runJob({ store: state.store, sources: fixture.connector(), targets: target, log }, job, testJobOptions());
      expect({ failed: first.failed, failedContainers: first.failedContainers }).toEqual({ failed: 0, failedContainers: 0 });
      const mb = await session();
      const c = (await migrated(mb)).find((x) => x.kind === 'mail') ?? (await migrated(mb))[0]!;
      const before = await listAll(mb, c, 50);
      const token = (await mb.stats(c)).token;
      await closeAll();
      await fixture.grow(c);
      const again = await session();
      const same = (await again.containers()).find((x) => x.id === c.id) ?? c;
      const rest = await listAll(again, same, 50, before.cursor);
      const fresh = (await again.allIds(same)).ids.filter((id) => !before.ids.includes(id));
      expect({ container: `${humanName(c)} (${c.id})`, tokenChanged: (await again.stats(same)).token !== token, added: fresh.length, listedAfterCursor: rest.ids })
        .toEqual({ container: `${humanName(c)} (${c.id})`, tokenChanged: true, added: 1, listedAfterCursor: fresh });
      await closeAll();
      const next = await runJob({ store: state.store, sources: fixture.connector(), targets: target, log }, job, testJobOptions());
      expect({ copied: next.copied, failed: next.failed }).toEqual({ copied: 1, failed: 0 });
    });

    // Last: it damages the data.
    contract('unreadable', 'an item damaged after it was listed fails alone with a reason naming it; the others are read', async () => {
      if (!fixture.spoil) throw new Error('the fixture has no way to make an item unreadable');
      const mb = await session();
      let chosen: { c: Container; items: ItemMeta[]; victim: ItemMeta; named: string } | undefined;
      for (const c of await migrated(mb)) {
        const items = (await listAll(mb, c, 50)).pages.flatMap((p) => p.items).filter((i) => i.skip === undefined);
        const victim = items[1];
        if (items.length < 3 || !victim) continue;
        const named = await fixture.spoil(c, victim);
        if (named !== undefined) { chosen = { c, items, victim, named }; break; }
      }
      if (!chosen) throw new Error('the fixture needs a container with three readable items, one of which it can damage');
      const { victim, named } = chosen;
      await closeAll();
      // A new process reads what the crashed one listed (nothing cached from the listing).
      const reader = await session();
      const c = (await reader.containers()).find((x) => x.id === chosen.c.id) ?? chosen.c;
      const results = [];
      for await (const r of reader.read(c, chosen.items)) results.push(r);
      const errors = results.flatMap((r) => ('error' in r ? [{ id: r.meta.id, reason: r.error.message }] : []));
      expect(errors).toEqual([{ id: victim.id, reason: expect.stringContaining(named) }]);
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const read = results.flatMap((r) => ('content' in r ? [{ id: r.meta.id, bytes: r.content.length > 0 }] : []));
      expect(read.sort(byId)).toEqual(chosen.items.filter((i) => i !== victim).map((i) => ({ id: i.id, bytes: true })).sort(byId));
    });
  });
}

/**
 * The target connector conformance suite: what every TargetConnector must do, read from the
 * TargetMailbox contract (src/model/types.ts). Each target's file in this folder calls it with a
 * fixture on a real server of the lab:
 *
 *   describeTargetConnector('ums-imap', async () => ({ connector: () => new UmsImapTarget(…), … }));
 *
 * `make` runs once per suite (one server account); every test writes into containers of its own.
 * The engine-level tests run the real job runner (runJob) with a small in-memory source into the
 * target. A contract a connector does not meet yet is listed in `failing` with the bug.
 *
 * Contracts, tested by what the container declares (TargetCapabilities):
 * - containers: `ensure` creates a container, is idempotent (same epoch), and `list` shows it;
 * - rewrite: writing an item again does not leave a second copy. A container with idempotent
 *   writes (no `recovery`: DAV) keeps one object per item, written twice; one with `recovery`
 *   (IMAP) has a watermark, and after a crash between write and checkpoint `findWritten` finds the
 *   write after it (and only it), so the engine records it instead of writing it again;
 * - crash: a run killed between writes and their checkpoint is resumed by the next run with every
 *   item in the target exactly once and counted once (found by recovery, or written again);
 * - rejected: an item the target refuses fails alone, its reason recorded; the others are written,
 *   and the next run writes nothing twice.
 */
import pino from 'pino';
import { contentHash } from '../../mappings/content-hash.js';
import { runJob } from '../../src/engine/job.js';
import type { Account, ItemContent, ItemKind, PendingItem, TargetConnector, TargetMailbox } from '../../src/model/types.js';
import type { StateStore } from '../../src/state/store.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';
import { MemorySource } from '../support/memory-connectors.js';
import { describeContract, type ContractOptions } from './known-failures.js';

export type TargetContract = 'containers' | 'rewrite' | 'crash' | 'rejected';

export interface TargetItem {
  content: Buffer;
  /** How the target's `inventory` identifies it (`messageId`: a mail's Message-ID, a calendar object's UID). */
  messageId: string;
}

export interface TargetFixture {
  /** A new connector, as a new process would build it. */
  connector(): TargetConnector;
  account: Account;
  /** The kind of container the suite writes (mail into an IMAP server, events into a calendar server). */
  kind: ItemKind;
  /** The target's name of the container the engine writes a source container `name` into (e.g. INBOX.Name, calendar:Name). */
  ref(name: string): string;
  /** Valid item number `n` (distinct for each n). */
  item(n: number): TargetItem;
  /** An item the target refuses (may set the target up to refuse it, e.g. a quota) and text its reason must contain. Runs last. */
  rejected(): Promise<TargetItem & { reason: string }>;
  /** What the suite's containers must declare: idempotent writes, or `recovery` (see the top of this file). */
  writes: 'idempotent' | 'recoverable';
  cleanup(): Promise<void>;
}

const log = pino({ level: 'silent' });
const DATE = new Date('2024-03-01T09:00:00Z');

export function describeTargetConnector(name: string, make: () => Promise<TargetFixture>, opts: ContractOptions<TargetContract> = {}): void {
  describe(`${name} target: conformance`, () => {
    let fixture: TargetFixture;
    const open: { connector: TargetConnector; mailbox: TargetMailbox }[] = [];
    const state = useTempStateStore(`conformance-${name}`);

    async function session(): Promise<TargetMailbox> {
      const connector = fixture.connector();
      const mailbox = await connector.openMailbox(fixture.account);
      open.push({ connector, mailbox });
      return mailbox;
    }
    async function closeAll(): Promise<void> {
      for (const s of open.splice(0)) {
        await s.mailbox.close();
        await s.connector.close();
      }
    }
    /** The identities of every item in a target container (sorted), read by a new session. */
    async function inventory(ref: string): Promise<string[]> {
      const ids = (await (await session()).inventory(ref)).map((i) => i.messageId ?? '(none)').sort();
      await closeAll();
      return ids;
    }
    const itemContent = (n: number, id = `conf-${n}`): ItemContent => {
      const it = fixture.item(n);
      return { meta: { id, size: it.content.length, flags: [], internalDate: DATE, messageId: it.messageId }, content: it.content };
    };
    const pending = (key: string, item: ItemContent): PendingItem => ({
      key, size: item.content.length, internalDate: item.meta.internalDate, messageId: item.meta.messageId, hash: contentHash(item.content),
    });
    /** A source with one container `folder` of the fixture's kind holding `items`. */
    function sourceOf(folder: string, items: TargetItem[]): MemorySource {
      const src = new MemorySource();
      for (const it of items) src.add([folder], it.content, { kind: fixture.kind, messageId: it.messageId, date: DATE, flags: fixture.kind === 'mail' ? ['\\Seen'] : [] });
      return src;
    }
    const job = () => [{ source: { login: 'conformance' }, target: fixture.account }];

    beforeAll(async () => { fixture = await make(); }, 300_000);
    afterEach(closeAll);
    afterAll(async () => { await fixture?.cleanup(); });

    const contract = describeContract(opts);

    contract('containers', 'ensure creates a container, again gives the same epoch, and list shows it', async () => {
      const ref = fixture.ref('ConfEnsure');
      const mb = await session();
      const first = await mb.ensure(ref);
      const again = await (await session()).ensure(ref);
      expect({ ref: first.ref, epoch: again.epoch, listed: (await mb.list()).includes(ref) }).toEqual({ ref, epoch: first.epoch, listed: true });
      expect(await mb.inventory(ref)).toEqual([]);
    });

    contract('rewrite', 'writing an item again leaves one copy (an idempotent write, or found after the watermark by recovery)', async () => {
      const ref = fixture.ref('ConfRewrite');
      const one = itemContent(1);
      const two = itemContent(2);
      const writer = await session();
      const before = await writer.ensure(ref);
      const recovery = writer.capabilities(ref).recovery;
      // The declaration decides what the engine does after a crash: it must be the one expected.
      expect({ writes: recovery ? 'recoverable' : 'idempotent', watermark: before.watermark !== undefined }).toEqual({ writes: fixture.writes, watermark: recovery !== undefined });
      await writer.put(ref, one);
      if (!recovery) await writer.put(ref, one); // twice in one session too
      await closeAll(); // the process dies before its checkpoint
      const next = await session();
      const after = await next.ensure(ref);
      const again = next.capabilities(ref).recovery;
      if (!again) {
        await next.put(ref, one);
      } else {
        await again.settle(ref);
        const found = await again.findWritten(ref, before.watermark ?? '', [pending('one', one), pending('two', two)], new Set());
        const ids = (await next.inventory(ref)).map((i) => i.id);
        expect({ keys: [...found.keys()], inTarget: ids.includes(found.get('one') ?? '') }).toEqual({ keys: ['one'], inTarget: true });
        const claimed = await again.findWritten(ref, before.watermark ?? '', [pending('one', one)], new Set(found.values()));
        expect([...claimed.keys()]).toEqual([]);
      }
      expect(after.epoch).toBe(before.epoch);
      expect(await inventory(ref)).toEqual([one.meta.messageId]);
    });

    contract('crash', 'a run killed between writes and their checkpoint is resumed with every item exactly once', async () => {
      const items = [1, 2, 3, 4, 5, 6].map((n) => fixture.item(100 + n));
      const src = sourceOf('ConfCrash', items);
      const crashing: StateStore = Object.create(state.store) as StateStore;
      // Killed at the first checkpoint that would record item 3 or a later one: with pages of 2
      // the first page is checkpointed, with larger pages (a target that batches its writes lists
      // pages as large as its batches) none is.
      let committed = 0;
      crashing.commitBatch = async (...args) => {
        const [, , results] = args;
        if (results.some((r) => Number(r.itemId) >= 3)) throw new Error('killed (simulated crash before the checkpoint)');
        committed += results.filter((r) => r.status === 'done').length;
        return state.store.commitBatch(...args);
      };
      const opts = testJobOptions({ batchSize: 2, writersPerTask: 1, tasks: 1, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const killed = await runJob({ store: crashing, sources: src, targets: fixture.connector(), log }, job(), opts);
      expect(killed.failedContainers).toBe(1);
      const ref = fixture.ref('ConfCrash');
      // Written past the last checkpoint: the next run must not write those again.
      expect((await inventory(ref)).length).toBeGreaterThan(committed);
      const resumed = await runJob({ store: state.store, sources: src, targets: fixture.connector(), log }, job(), testJobOptions());
      expect({ failed: resumed.failed, failedContainers: resumed.failedContainers }).toEqual({ failed: 0, failedContainers: 0 });
      // Uncheckpointed writes into a container with recovery are found (recorded, not written
      // again); into one with idempotent writes, written over. Either way each item counts once.
      expect({ found: resumed.recovered > 0, once: resumed.recovered + resumed.copied }).toEqual({ found: fixture.writes === 'recoverable', once: items.length - committed });
      expect(await inventory(ref)).toEqual(items.map((i) => i.messageId).sort());
    });

    // Last: it may leave the account refusing writes (a quota).
    contract('rejected', 'an item the target refuses fails alone with its reason recorded; the others are written, and a re-run duplicates nothing', async () => {
      const good = [1, 2, 3].map((n) => fixture.item(200 + n));
      const bad = await fixture.rejected();
      const src = sourceOf('ConfRejected', [good[0]!, bad, good[1]!, good[2]!]);
      const first = await runJob({ store: state.store, sources: src, targets: fixture.connector(), log }, job(), testJobOptions());
      expect({ copied: first.copied, failed: first.failed }).toEqual({ copied: 3, failed: 1 });
      const problems = (await state.store.problems()).map((p) => ({ itemId: p.itemId, status: p.status, names: p.reason.includes(bad.reason) }));
      expect(problems).toEqual([{ itemId: '2', status: 'failed', names: true }]);
      const ref = fixture.ref('ConfRejected');
      expect(await inventory(ref)).toEqual(good.map((i) => i.messageId).sort());
      const again = await runJob({ store: state.store, sources: src, targets: fixture.connector(), log }, job(), testJobOptions());
      expect({ copied: again.copied, failed: again.failed }).toEqual({ copied: 0, failed: 1 });
      expect(await inventory(ref)).toEqual(good.map((i) => i.messageId).sort());
    });
  });
}

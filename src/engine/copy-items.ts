/**
 * The write step of a container task's page (container-task.ts step 4): the planned writes are
 * streamed from the source into the target container, each ending with a result (done or failed).
 */
import PQueue from 'p-queue';
import { contentHash } from '../../mappings/content-hash.js';
import type { Container, ItemContent, ItemMeta, PendingItem, TargetContainerState, WriteRecovery } from '../model/types.js';
import type { ItemResult } from '../state/store.js';
import { isTransient, ItemError, reasonOf } from '../util/errors.js';
import { backoffDelay, retry, sleep } from '../util/retry.js';
import { applyTransform } from './content-transform.js';
import { pendingItem, suspectRow } from './crash-recovery.js';
import type { WriteAction } from './page-plan.js';
import { ReadRounds } from './read-rounds.js';
import type { TargetClaims } from './target-claims.js';
import type { TaskContext } from './task-context.js';

export interface CopyJob {
  ctx: TaskContext;
  claims: TargetClaims;
  container: Container;
  /** The target container as probed just before the items were recorded pending (its watermark). */
  target: TargetContainerState;
  writes: WriteAction[];
  /** Target ids recorded for items: a lookup never takes one of them for this item's copy. */
  claimed: Set<string>;
  /** The source epoch of the items (suspect rows are recorded under it). */
  epoch: string;
}

/**
 * Runs the job's lookups in the target one after another, each with the claims of those before:
 * two writes in flight that look for identical content must never both take the one copy there
 * (with a target that batches writes, hundreds are in flight at once).
 */
type LookUp = (me: PendingItem, watermark: string) => Promise<string | undefined>;

function serialLookups(job: CopyJob, recovery: WriteRecovery): LookUp {
  let turn: Promise<unknown> = Promise.resolve();
  return (me, watermark) => {
    const mine = turn.then(async () => {
      const found = (await recovery.findWritten(job.target.ref, watermark, [me], job.claimed)).get(me.key);
      if (found !== undefined) job.claimed.add(found);
      return found;
    });
    turn = mine.catch(() => undefined);
    return mine;
  };
}

function failed(meta: ItemMeta, err: unknown): ItemResult {
  return { itemId: meta.id, status: 'failed', size: meta.size, internalDate: meta.internalDate, messageId: meta.messageId, reason: reasonOf(err) };
}

/**
 * Streams the writes from the source to the target with `ctx.writers` parallel writes and at
 * most `ctx.budget` bytes in flight. Every item ends with a result (done or failed), in the
 * order of `writes`.
 */
export async function copyItems(job: CopyJob): Promise<ItemResult[]> {
  const { ctx, container: c } = job;
  const items = job.writes.map((w) => w.item);
  const lookFirst = new Set(job.writes.filter((w) => w.kind === 'verify').map((w) => w.item.id));
  const results = new Map<string, ItemResult>();
  const started = new Set<string>();
  const open = (id: string) => !started.has(id) && !results.has(id);
  const caps = ctx.target.capabilities(job.target.ref);
  const queue = new PQueue({ concurrency: Math.max(ctx.writers, caps.writesInFlight ?? 0) });
  // Without it, a write with an unknown outcome is simply written again (it lands on the same object).
  const recovery = caps.recovery;
  const lookUp = recovery ? serialLookups(job, recovery) : undefined;

  // A read that breaks off is resumed with what it had not given yet (what it gave is being
  // written); read-rounds.ts decides what to read next, and which single item to blame.
  const rounds = new ReadRounds(ctx.retry.attempts);
  const failOpen = (err: unknown) => { for (const i of items) if (open(i.id)) results.set(i.id, failed(i, err)); };
  for (;;) {
    const remaining = items.filter((i) => open(i.id));
    if (remaining.length === 0) break;
    const asked = rounds.ask(remaining);
    let gave = false;
    try {
      for await (const r of ctx.source.read(c, asked)) {
        if (!open(r.meta.id)) continue;
        gave = true;
        if ('error' in r) {
          results.set(r.meta.id, failed(r.meta, r.error));
          continue;
        }
        started.add(r.meta.id);
        const held = await ctx.budget.acquire(r.content.length);
        let counted = true;
        const uncount = () => {
          if (counted) ctx.budget.release(held);
          counted = false;
        };
        // p-queue 9 keeps the functions of tasks it has started in its array until more than 100
        // are and they are over half of it, or until it starts the last one queued: the task takes
        // its item from a slot and empties it, so the content is freed when its write ends, not
        // when the whole page's are (the budget counts only the former). What this loop's own
        // frame keeps is the last item read, until the next is (or the page ends): one per task.
        const slot: { item?: ItemContent } = { item: r };
        void queue.add(async () => {
          const item = slot.item as ItemContent;
          slot.item = undefined;
          try {
            const ic = await applyTransform(ctx.transform, item, c);
            const done = await writeOne(job, lookUp, ic, contentHash(ic.content), lookFirst.has(item.meta.id), uncount);
            results.set(done.itemId, done);
          } catch (err) {
            ctx.log.warn({ container: c.id, item: item.meta.id, err: reasonOf(err) }, 'item failed');
            results.set(item.meta.id, failed(item.meta, err));
          } finally {
            uncount();
          }
        });
      }
      for (const i of asked) if (open(i.id)) results.set(i.id, failed(i, new Error('the source did not return this item (deleted meanwhile?)')));
      if (!rounds.whole()) break;
    } catch (err) {
      if (!isTransient(err) || ctx.signal?.aborted) {
        failOpen(err);
        break;
      }
      const next = rounds.broke(gave, remaining.filter((i) => open(i.id)));
      if (next.kind === 'give-up') {
        for (const i of next.unblame) results.set(i.id, failed(i, err));
        failOpen(err);
        break;
      }
      if (next.kind === 'blame') {
        ctx.log.warn({ container: c.id, item: next.item.id, tries: next.tries, err: reasonOf(err) }, 'the source breaks off every read of this item: failed alone, the others are read on');
        results.set(next.item.id, failed(next.item, new ItemError(`the source broke off every read of this item, also when read on its own (${next.tries} tries); `
          + `the others were read on. The source server's log should say why. Last error: ${reasonOf(err)}`, 'ITEM_REJECTED', { cause: err })));
        continue;
      }
      if (next.kind === 'alone') {
        ctx.log.info({ container: c.id, items: next.items.map((i) => i.id) }, 'reads keep breaking off: reading the first items on their own');
        continue;
      }
      const delayMs = backoffDelay(ctx.retry, next.attempt);
      ctx.log.warn({ container: c.id, attempt: next.attempt, delayMs, err: reasonOf(err) }, 'reading from the source failed, retrying');
      ctx.emit({ type: 'retry', mailbox: ctx.mailbox, container: c.id, attempt: next.attempt, delayMs, error: reasonOf(err) });
      await sleep(delayMs);
    }
  }
  await queue.onIdle();
  return items.map((i) => results.get(i.id) ?? { itemId: i.id, status: 'failed' as const, size: i.size, reason: 'not processed' });
}

/**
 * Writes one item (after looking for it in the whole target container first, with `lookFirst`)
 * and returns its done result. A transient write failure is retried only after checking that the
 * failed write did not land. `sent`: the target holds the content until the put settles
 * (TargetMailbox.put); its bytes no longer count against the run's budget.
 */
async function writeOne(job: CopyJob, lookUp: LookUp | undefined, ic: ItemContent, hash: string, lookFirst: boolean, sent: () => void): Promise<ItemResult> {
  const { ctx, claims, container: c, target: t, claimed } = job;
  const me = pendingItem(ic.meta, hash);
  let targetId: string | undefined;
  let warnings: string[] | undefined;
  if (lookFirst && lookUp) targetId = await lookUp(me, '');
  if (targetId === undefined) {
    targetId = await retry(async (attempt) => {
      if (attempt > 1 && lookUp) {
        // The failed attempt may have landed before the connection dropped: look before writing
        // again, and if it is not there (yet), remember the item for the sweep.
        const found = await lookUp(me, t.watermark ?? '');
        if (found !== undefined) return found;
        await ctx.store.recordSuspects(ctx.mailboxId, c.id, [suspectRow(ic.meta, hash, t, job.epoch)]);
      }
      return claims.write(t.ref, async () => {
        const put = await ctx.target.put(t.ref, ic, { sent });
        warnings = put.warnings;
        if (put.id !== undefined) claimed.add(put.id);
        return put.id;
      });
    }, ctx.retry, (err, attempt, delayMs) => {
      ctx.log.warn({ container: c.id, item: ic.meta.id, attempt, delayMs, err: reasonOf(err) }, 'write failed, retrying');
      ctx.emit({ type: 'retry', mailbox: ctx.mailbox, container: c.id, attempt, delayMs, error: reasonOf(err) });
    });
  }
  if (targetId !== undefined) claimed.add(targetId);
  // Copied, but not all of it could be carried (e.g. an attachment over the limit): said with the item, never only in the log.
  const all = [...(ic.warnings ?? []), ...(warnings ?? [])];
  const reason = all.length > 0 ? `copied with warnings: ${all.join('; ')}` : undefined;
  if (reason) ctx.log.warn({ container: c.id, item: ic.meta.id, warnings: all }, 'item copied with warnings');
  return {
    itemId: ic.meta.id, status: 'done', size: ic.meta.size, internalDate: ic.meta.internalDate, messageId: ic.meta.messageId,
    hash, flags: ic.meta.flags, targetRef: t.ref, targetEpoch: t.epoch, targetId, ...(reason ? { reason } : {}),
  };
}

/**
 * Steps 3b and 4 of the container task (see container-task.ts for the whole algorithm): the
 * retry of items that failed before and the page loop. Both are a stream of batches (pages)
 * that go through one body: plan (page-plan.ts) → record the writes `pending` with the target
 * watermark → write (copy-items.ts) → commit the final rows and the checkpoint in ONE
 * transaction. A crash between the pending rows and the commit is what step 2 recovers.
 */
import type { ChangePage, Container, ContainerStats, ItemMeta, TargetContainerState } from '../model/types.js';
import type { ItemResult, ItemStatus, PendingRow } from '../state/store.js';
import { TransientError } from '../util/errors.js';
import { storedCheckpoint, type ContainerCheckpoint, type PassMode } from './checkpoint-codec.js';
import { copyItems } from './copy-items.js';
import { planPage, resultsWithoutWrite, writesOf, type PlannedPage } from './page-plan.js';
import type { TargetClaims } from './target-claims.js';
import type { TaskContext, WithRetry } from './task-context.js';

/** Items counted by a container task. */
export interface ItemTally {
  copied: number;
  failed: number;
  skipped: number;
  bytes: number;
}

/** What the batches of one container task write with. */
export interface PassTarget {
  ctx: TaskContext;
  container: Container;
  claims: TargetClaims;
  targetRef: string;
  /** The target container as last probed: probed again before each batch that writes (its watermark). */
  target: TargetContainerState;
  /** The claim set lookups exclude (see target-claims). */
  claimed: Set<string>;
  withRetry: WithRetry;
  tally: ItemTally;
}

/** One batch of a pass: the items to plan, and the checkpoint that commits with their rows. */
export interface Batch {
  epoch: string;
  page: PlannedPage;
  /** Statuses recorded for the page's items in this epoch. */
  known: ReadonlyMap<string, ItemStatus>;
  mode: PassMode;
  checkpoint: ContainerCheckpoint;
  /** Runs after the writes, before the commit (a paged source's deltas; a crash replays both). */
  beforeCommit?: (results: ItemResult[]) => Promise<void>;
}

/** The one loop body of steps 3b and 4: plan, record pending, write, commit. */
export async function applyBatches(p: PassTarget, batches: AsyncIterable<Batch>): Promise<void> {
  const { ctx, container: c } = p;
  for await (const b of batches) {
    const actions = planPage(b.page, b.known, ctx.filters, b.mode);
    const results = resultsWithoutWrite(actions);
    const writes = writesOf(actions);
    if (writes.length > 0) {
      p.target = await p.withRetry('target status', () => ctx.target.ensure(p.targetRef));
      const target = p.target;
      // Recorded BEFORE anything is written: a run that dies before the commit knows what to look for.
      await ctx.store.recordPending(ctx.mailboxId, c.id, writes.map((w) => pendingRow(w.item, b.epoch, target)));
      results.push(...(await copyItems({ ctx, claims: p.claims, container: c, target, writes, claimed: p.claimed, epoch: b.epoch })));
    }
    await b.beforeCommit?.(results);
    await ctx.store.commitBatch(ctx.mailboxId, c.id, results, storedCheckpoint(b.checkpoint));
    count(ctx, c, p.tally, results);
  }
}

/**
 * Step 3b: the items that failed in an earlier run, looked up by id, in batches; the checkpoint
 * stays `cp`. Stops when the source epoch changed meanwhile (the next run re-verifies).
 */
export async function* failedBatches(ctx: TaskContext, c: Container, epoch: string, ids: string[], cp: ContainerCheckpoint, withRetry: WithRetry): AsyncGenerator<Batch> {
  for (let i = 0; i < ids.length && !ctx.signal?.aborted; i += ctx.batchSize) {
    const batch = ids.slice(i, i + ctx.batchSize);
    const found = await withRetry('looking up failed items', () => ctx.source.lookup(c, batch));
    if (found.epoch !== epoch) return;
    const present = new Set(found.items.map((m) => m.id));
    // Their rows say failed: nothing to ask the store.
    yield { epoch, page: { items: found.items, gone: batch.filter((id) => !present.has(id)) }, known: new Map(), mode: 'normal', checkpoint: cp };
  }
}

export interface PageListing {
  stats: ContainerStats;
  /** Where the listing starts (null: from the beginning). */
  cursor: string | null;
  scope: string;
  mode: PassMode;
  /** Runs with each page after its writes, before its commit. */
  onPage?: (page: ChangePage, results: ItemResult[]) => Promise<void>;
}

/**
 * Step 4: the pages after the cursor, each with the statuses recorded for its items. The next
 * page is listed while this one is written, where the source allows it (a read: nothing of it
 * is recorded before this page commits); a failure of that listing surfaces when it is awaited.
 */
export async function* changePages(p: PassTarget, l: PageListing): AsyncGenerator<Batch> {
  const { ctx, container: c } = p;
  // A target container that gathers writes into batches of its own (a staged IMAP folder) gets
  // pages as large as its batches: each page ends with every write settled.
  const size = () => Math.max(ctx.batchSize, ctx.target.capabilities(p.targetRef).writesInFlight ?? 0);
  const list = (from: string | null) => p.withRetry('listing', () => ctx.source.changes(c, from, size()));
  let cursor = l.cursor;
  let ahead: Promise<ChangePage> | undefined;
  while (!ctx.signal?.aborted && !ctx.onlyFailed) {
    const page = await (ahead ?? list(cursor));
    ahead = page.done || ctx.source.listsAhead !== true ? undefined : list(page.cursor);
    ahead?.catch(() => undefined);
    if (page.epoch !== l.stats.epoch) {
      throw new TransientError(`source epoch (UIDVALIDITY) of ${c.id} changed during the run (${l.stats.epoch} → ${page.epoch}); the next run re-verifies it`);
    }
    const known = await ctx.store.finished(ctx.mailboxId, c.id, page.epoch, page.items.map((i) => i.id));
    const onPage = l.onPage;
    yield {
      epoch: page.epoch, page: { items: page.items }, known, mode: l.mode,
      // Verify mode lasts until the last page of the new epoch commits.
      checkpoint: {
        epoch: page.epoch, cursor: page.cursor, scope: l.scope, mode: page.done ? 'normal' : l.mode, token: page.done ? l.stats.token : null, targetRef: p.targetRef,
      },
      beforeCommit: onPage && ((results) => onPage(page, results)),
    };
    cursor = page.cursor;
    if (page.done) return;
  }
}

function count(ctx: TaskContext, c: Container, out: ItemTally, results: ItemResult[]): void {
  for (const r of results) {
    if (r.status === 'done') { out.copied++; out.bytes += r.size; }
    else if (r.status === 'failed') out.failed++;
    else out.skipped++;
    ctx.emit({ type: 'item', mailbox: ctx.mailbox, container: c.id, status: r.status, size: r.size, reason: r.reason });
  }
}

/** '' for a container with idempotent writes: it has no watermark, and nothing is ever searched after one. */
function pendingRow(i: ItemMeta, epoch: string, t: TargetContainerState): PendingRow {
  return {
    itemId: i.id, epoch, size: i.size, internalDate: i.internalDate?.toISOString() ?? null,
    messageId: i.messageId ?? null, targetRef: t.ref, watermark: t.watermark ?? '',
  };
}

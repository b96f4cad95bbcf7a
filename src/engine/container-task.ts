/**
 * One task: copy one source container into its target container, exactly once.
 *
 * Algorithm (a crash at any line replays at most one page, and the replay writes nothing twice):
 *  1. Probe the source container (epoch, change token). Unchanged since the last complete pass
 *     under the same filter window → nothing to do, no target connection used.
 *  2. Recover: items left `pending` by a crashed run are looked up in the target (content hash,
 *     only among messages written after the page's watermark and not claimed by other items).
 *     Found → recorded done. Not found → forgotten, and copied again below (their page was
 *     never committed, so the cursor still points before them). Only in a target container that
 *     declares `recovery` (TargetCapabilities, IMAP); where writes are idempotent (DAV: the name
 *     comes from the item's UID) nothing is looked up: every pending item is written again, over
 *     itself. The searches of steps 3 and 4 and the sweep of step 5 likewise.
 *  3. A changed source epoch (IMAP UIDVALIDITY) restarts the cursor in "verify" mode: each item
 *     is first looked for in the whole target container, and only copied when absent.
 *  3b. Items that failed in an earlier run (server rejected them, quota…) are tried again first,
 *     looked up by id; one gone from the source meanwhile is recorded as skipped.
 *  4. Page loop: list a page after the cursor → drop items already final → apply the filters →
 *     record the rest `pending` with the target watermark → stream them from the source into
 *     the target (bounded writers and bytes) → commit final rows + new cursor in one transaction.
 *     A transient write failure is retried only after checking that the write did not land.
 *  4b. (follow-up.ts) Delta of copied items (later passes only): flag changes since the last pass (CONDSTORE
 *     CHANGEDSINCE, or a comparison with the flags recorded at copy time) are written to the
 *     target copies; with `deletions: mirror`, items gone from the source are removed from the
 *     target by UID.
 *  5. (follow-up.ts) Sweep: an item whose write had an unknown outcome (pending at a crash, or a connection lost
 *     mid-write) and that was written again is a "suspect": a dead session may still complete
 *     the first write (Courier stores a fully sent APPEND literal even after the client died).
 *     Once such items are done, the task waits for the folder to settle and removes unclaimed
 *     byte-identical copies in the window it wrote in (by UID, never a plain EXPUNGE), under an
 *     exclusive gate so no other task's write into that folder is in flight.
 */
import PQueue from 'p-queue';
import { contentHash } from '../../mappings/content-hash.js';
import type { ChangePage, Container, ContainerStats, ItemContent, ItemMeta, TargetContainerState } from '../model/types.js';
import type { ItemResult, PendingRow } from '../state/store.js';
import { isTransient, reasonOf, TransientError } from '../util/errors.js';
import { retry, sleep, backoffDelay } from '../util/retry.js';
import { applyTransform } from './content-transform.js';
import { judgeItem, passScope } from './filters.js';
import { containerName } from './inventory.js';
import { pendingItem, recoverPending, suspectRow } from './crash-recovery.js';
import { copiedOnce, deltaOfCopied, deltaOfPage, sweepLateCopies } from './follow-up.js';
import { TargetClaims } from './target-claims.js';
import type { TaskContext } from './task-context.js';

export type { TaskContext } from './task-context.js';

/** Marks the change sequence recorded by a container's first pass (see the end of runContainer). */
const FIRST_PASS_SEQ = 'first:';

export interface ContainerOutcome {
  unchanged: boolean;
  copied: number;
  recovered: number;
  failed: number;
  skipped: number;
  bytes: number;
  /** Late-arriving second copies of items from an interrupted write, found and removed. */
  duplicatesRemoved: number;
  /** Copied items whose changed flags were written to the target. */
  flagsUpdated: number;
  /** Copied items removed from the target because they were deleted in the source (mirror). */
  deleted: number;
}

/** `probed`: the container's probe from the mailbox's inventory (engine/inventory.ts), used instead of probing again. */
export async function runContainer(ctx: TaskContext, c: Container, targetRef: string, probed?: ContainerStats): Promise<ContainerOutcome> {
  const { store, mailboxId } = ctx;
  const out: ContainerOutcome = { unchanged: false, copied: 0, recovered: 0, failed: 0, skipped: 0, bytes: 0, duplicatesRemoved: 0, flagsUpdated: 0, deleted: 0 };
  const withRetry = <T>(what: string, fn: () => Promise<T>) =>
    retry(fn, ctx.retry, (err, attempt, delayMs) => {
      ctx.log.warn({ container: c.id, attempt, delayMs, err: reasonOf(err) }, `${what} failed, retrying`);
      ctx.emit({ type: 'retry', mailbox: ctx.mailbox, container: c.id, attempt, delayMs, error: reasonOf(err) });
    });

  const cp = await store.openContainer(mailboxId, c.id, c.path.join('/'), targetRef);
  const stats = probed ?? await withRetry('status', () => ctx.source.stats(c));
  // A pass under another filter window or deletion policy does not cover this one: rescan.
  const scope = passScope(ctx.filters, ctx.sync);
  const pendingRows = await store.pending(mailboxId, c.id);
  const suspectRows = await store.suspects(mailboxId, c.id);
  const failedBefore = cp && cp.epoch === stats.epoch ? await store.failedItems(mailboxId, c.id, stats.epoch) : [];
  // Without a change sequence (no CONDSTORE), flag-only changes leave the token as it was: such a
  // source is scanned for flags on every pass instead of being skipped.
  const flagBlind = stats.changeSeq === undefined && (ctx.sync?.flags ?? true) && !ctx.onlyFailed;
  if ((ctx.onlyFailed && failedBefore.length === 0 && pendingRows.length === 0)
    || (cp && cp.epoch === stats.epoch && cp.scope === scope && cp.token === stats.token && cp.targetRef === targetRef
    && pendingRows.length === 0 && suspectRows.length === 0 && failedBefore.length === 0 && !flagBlind)) {
    out.unchanged = true;
    ctx.emit({ type: 'container-skip', mailbox: ctx.mailbox, container: c.id, name: containerName(c), reason: 'unchanged since the last run' });
    return out;
  }

  // The probe may have brought the size already (IMAP STATUS=SIZE): no second round trip then.
  const bytes = stats.bytes ?? (await withRetry('sizes', () => ctx.source.stats(c, { withBytes: true }))).bytes ?? null; // null: the source cannot tell
  if (cp && cp.targetRef !== targetRef) {
    ctx.log.warn({ container: c.id, was: cp.targetRef, now: targetRef },
      'the folder mapping changed: messages already copied stay where they are; new ones go to the new folder');
  }
  await store.setContainerTotals(mailboxId, c.id, { items: stats.count, bytes });
  await store.setContainerStatus(mailboxId, c.id, 'running');
  ctx.emit({ type: 'container-start', mailbox: ctx.mailbox, container: c.id, name: containerName(c), kind: c.kind, target: targetRef, total: stats.count, bytes });

  const claims = ctx.claims ?? new TargetClaims();
  let target = await withRetry('target folder', () => ctx.target.ensure(targetRef));
  if (pendingRows.length > 0) {
    out.recovered = await claims.exclusive(targetRef, () => recoverPending(ctx, claims, c, target, pendingRows, cp, stats, scope));
  }

  // Verify mode lasts until a pass of the new epoch completes, across interruptions: the
  // checkpoint's scope carries a marker until then (resetEpoch sets it).
  const epochChanged = cp !== null && cp.epoch !== stats.epoch;
  const verify = epochChanged || (cp !== null && cp.scope.startsWith(VERIFY_MARK));
  if (epochChanged) {
    ctx.log.warn({ container: c.id, was: cp.epoch, now: stats.epoch }, 'source epoch (UIDVALIDITY) changed: re-verifying against the target instead of copying blindly');
    await store.resetEpoch(mailboxId, c.id, stats.epoch, VERIFY_MARK + scope);
  }
  const cpScope = cp?.scope.startsWith(VERIFY_MARK) ? cp.scope.slice(VERIFY_MARK.length) : cp?.scope;
  let cursor = cp && !epochChanged && cpScope === scope && cp.targetRef === targetRef ? cp.cursor : null;
  // A container being re-verified must be able to re-claim what its old epoch claimed: it gets a
  // private set without those; everyone else shares one set per target folder.
  const current = { containerId: c.id, epoch: stats.epoch };
  const claimed = verify
    ? await store.claimedTargetIds(mailboxId, targetRef, target.epoch, current)
    : await claims.get(targetRef, target.epoch, () => store.claimedTargetIds(mailboxId, targetRef, target.epoch, current));

  // After recovery: items it could not find written are failed now and retried here too.
  const failedIds = !verify && cp && cp.epoch === stats.epoch ? await store.failedItems(mailboxId, c.id, stats.epoch) : [];
  if (!verify && cp && failedIds.length > 0) {
    ctx.log.info({ container: c.id, failed: failedIds.length }, 'retrying items that failed in an earlier run');
    for (let i = 0; i < failedIds.length && !ctx.signal?.aborted; i += ctx.batchSize) {
      const ids = failedIds.slice(i, i + ctx.batchSize);
      const found = await withRetry('looking up failed items', () => ctx.source.lookup(c, ids));
      if (found.epoch !== stats.epoch) break;
      const present = new Set(found.items.map((m) => m.id));
      const results: ItemResult[] = ids.filter((id) => !present.has(id))
        .map((id) => ({ itemId: id, status: 'skipped' as const, size: 0, reason: 'deleted from the source before it could be copied' }));
      const toCopy: ItemMeta[] = [];
      for (const item of found.items) {
        const verdict = judgeItem(item, ctx.filters);
        if (verdict.copy) toCopy.push(item);
        else if (verdict.record) results.push(skippedResult(item, verdict.reason));
      }
      if (toCopy.length > 0) {
        target = await withRetry('target status', () => ctx.target.ensure(targetRef));
        await store.recordPending(mailboxId, c.id, toCopy.map((m) => pendingRow(m, stats.epoch, target)));
        results.push(...(await copyItems(ctx, claims, c, target, toCopy, claimed, false, stats.epoch)));
      }
      await store.commitBatch(mailboxId, c.id, results, cp);
      tally(ctx, c, out, results);
    }
  }

  // A source whose pages carry deletions and flag changes (EWS SyncFolderItems) spares step 4b's
  // scans, when this pass continues from a cursor: a listing from the start sees what is there,
  // never what went away, so a first pass or a rescan still scans.
  const paged = cursor !== null && !verify && ctx.source.pagedDeltas?.(c) === true;
  const copied = copiedOnce(ctx, c, stats.epoch, withRetry);
  const pageDelta = { flagsUpdated: 0, deleted: 0 };
  let scanAfter = !paged;
  const list = (from: string | null) => withRetry('listing', () => ctx.source.changes(c, from, ctx.batchSize));
  let ahead: Promise<ChangePage> | undefined;
  while (!ctx.signal?.aborted && !ctx.onlyFailed) {
    const page = await (ahead ?? list(cursor));
    // The next page is listed while this one is copied (a read: nothing of it is recorded before
    // this page commits); a failure of it surfaces when it is awaited.
    ahead = page.done || ctx.source.listsAhead !== true ? undefined : list(page.cursor);
    ahead?.catch(() => undefined);
    if (page.epoch !== stats.epoch) {
      throw new TransientError(`source epoch (UIDVALIDITY) of ${c.id} changed during the run (${stats.epoch} → ${page.epoch}); the next run re-verifies it`);
    }
    const final = await store.finished(mailboxId, c.id, page.epoch, page.items.map((i) => i.id));
    const results: ItemResult[] = [];
    const toCopy: ItemMeta[] = [];
    for (const item of page.items) {
      const status = final.get(item.id);
      if (status === 'done') continue;
      const verdict = judgeItem(item, ctx.filters);
      // Skipped before (e.g. too large): copied now if the filters allow it, else left as it is.
      if (status === 'skipped' && !verdict.copy) continue;
      if (verdict.copy) toCopy.push(item);
      else if (verdict.record) results.push(skippedResult(item, verdict.reason));
    }
    if (toCopy.length > 0) {
      target = await withRetry('target status', () => ctx.target.ensure(targetRef));
      await store.recordPending(mailboxId, c.id, toCopy.map((i) => pendingRow(i, page.epoch, target)));
      results.push(...(await copyItems(ctx, claims, c, target, toCopy, claimed, verify, page.epoch)));
    }
    if (paged && (page.deleted === undefined || page.flagged === undefined)) scanAfter = true; // the listing restarted: it cannot say what went away
    if (paged) {
      const d = await deltaOfPage(ctx, c, page, withRetry, copied);
      pageDelta.flagsUpdated += d.flagsUpdated;
      pageDelta.deleted += d.deleted;
      copied.remember(results);
    }
    await store.commitBatch(mailboxId, c.id, results, {
      epoch: page.epoch, cursor: page.cursor, scope: verify && !page.done ? VERIFY_MARK + scope : scope, token: page.done ? stats.token : null, targetRef,
    });
    tally(ctx, c, out, results);
    cursor = page.cursor;
    if (page.done) break;
  }
  out.duplicatesRemoved = await sweepLateCopies(ctx, claims, c, stats.epoch);
  if (!ctx.signal?.aborted && !ctx.onlyFailed) {
    const later = !!cp && cp.epoch === stats.epoch;
    const prior = later ? cp.flagSeq ?? null : null;
    if (later) {
      const scanned = scanAfter ? await deltaOfCopied(ctx, c, stats.epoch, prior?.startsWith(FIRST_PASS_SEQ) ? null : prior, withRetry) : { flagsUpdated: 0, deleted: 0 };
      out.flagsUpdated = pageDelta.flagsUpdated + scanned.flagsUpdated;
      out.deleted = pageDelta.deleted + scanned.deleted;
    }
    // The first pass's change sequence is kept marked: the next delta scans every flag once
    // instead of asking for changes since it. A server may start tracking modseqs for a mailbox
    // only on its first CONDSTORE use (Dovecot does), and changes made around that moment can
    // carry modseqs that are not above the one this pass saw.
    const seq = stats.changeSeq ?? null;
    await store.setFlagSeq(mailboxId, c.id, seq === null || later ? seq : FIRST_PASS_SEQ + seq);
  }
  return out;
}

function tally(ctx: TaskContext, c: Container, out: ContainerOutcome, results: ItemResult[]): void {
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

function skippedResult(i: ItemMeta, reason: string): ItemResult {
  return { itemId: i.id, status: 'skipped', size: i.size, internalDate: i.internalDate, messageId: i.messageId, reason };
}

/**
 * Streams `items` from the source to the target with `ctx.writers` parallel writes and at most
 * `ctx.byteBudget` bytes in flight. Every item ends with a result (done or failed).
 */
async function copyItems(
  ctx: TaskContext, claims: TargetClaims, c: Container, t: TargetContainerState, items: ItemMeta[], claimed: Set<string>, verify: boolean,
  currentEpoch: string,
): Promise<ItemResult[]> {
  const results = new Map<string, ItemResult>();
  const started = new Set<string>();
  // Without it, a write with an unknown outcome is simply written again (it lands on the same object).
  const recovery = ctx.target.capabilities(t.ref).recovery;
  const budget = ctx.budget;
  const queue = new PQueue({ concurrency: ctx.writers });
  const fail = (meta: ItemMeta, err: unknown) => {
    results.set(meta.id, { itemId: meta.id, status: 'failed', size: meta.size, internalDate: meta.internalDate, messageId: meta.messageId, reason: reasonOf(err) });
  };

  const writeOne = async (ic: ItemContent, hash: string): Promise<void> => {
    const me = pendingItem(ic.meta, hash);
    let targetId: string | undefined;
    let warnings: string[] | undefined;
    if (verify && recovery) targetId = (await recovery.findWritten(t.ref, '', [me], claimed)).get(me.key);
    if (targetId === undefined) {
      targetId = await retry(async (attempt) => {
        if (attempt > 1 && recovery) {
          // The failed attempt may have landed before the connection dropped: look before writing
          // again, and if it is not there (yet), remember the item for the sweep.
          const found = (await recovery.findWritten(t.ref, t.watermark ?? '', [me], claimed)).get(me.key);
          if (found !== undefined) return found;
          await ctx.store.recordSuspects(ctx.mailboxId, c.id, [suspectRow(ic.meta, hash, t, currentEpoch)]);
        }
        return claims.write(t.ref, async () => {
          const put = await ctx.target.put(t.ref, ic);
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
    results.set(ic.meta.id, {
      itemId: ic.meta.id, status: 'done', size: ic.meta.size, internalDate: ic.meta.internalDate, messageId: ic.meta.messageId,
      hash, flags: ic.meta.flags, targetRef: t.ref, targetEpoch: t.epoch, targetId, ...(reason ? { reason } : {}),
    });
  };

  for (let attempt = 1; ; attempt++) {
    const remaining = items.filter((i) => !started.has(i.id) && !results.has(i.id));
    if (remaining.length === 0) break;
    try {
      for await (const r of ctx.source.read(c, remaining)) {
        if (started.has(r.meta.id) || results.has(r.meta.id)) continue;
        if ('error' in r) {
          fail(r.meta, r.error);
          continue;
        }
        started.add(r.meta.id);
        const held = await budget.acquire(r.content.length);
        void queue.add(async () => {
          try {
            const ic = await applyTransform(ctx.transform, r, c);
            await writeOne(ic, contentHash(ic.content));
          } catch (err) {
            ctx.log.warn({ container: c.id, item: r.meta.id, err: reasonOf(err) }, 'item failed');
            fail(r.meta, err);
          } finally {
            budget.release(held);
          }
        });
      }
      for (const i of items) if (!started.has(i.id) && !results.has(i.id)) fail(i, new Error('the source did not return this item (deleted meanwhile?)'));
      break;
    } catch (err) {
      if (!isTransient(err) || attempt >= ctx.retry.attempts) {
        for (const i of items) if (!started.has(i.id) && !results.has(i.id)) fail(i, err);
        break;
      }
      const delayMs = backoffDelay(ctx.retry, attempt);
      ctx.log.warn({ container: c.id, attempt, delayMs, err: reasonOf(err) }, 'reading from the source failed, retrying');
      ctx.emit({ type: 'retry', mailbox: ctx.mailbox, container: c.id, attempt, delayMs, error: reasonOf(err) });
      await sleep(delayMs);
    }
  }
  await queue.onIdle();
  return items.map((i) => results.get(i.id) ?? { itemId: i.id, status: 'failed' as const, size: i.size, reason: 'not processed' });
}

/** Prefix of a checkpoint scope while the container is being re-verified after a new epoch. */
const VERIFY_MARK = 'verify;';

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
 *     is first looked for in the whole target container, and only copied when absent. The mode
 *     is kept in the stored checkpoint until that pass completes (checkpoint-codec.ts).
 *  3b. Items that failed in an earlier run (server rejected them, quota…) are tried again first,
 *     looked up by id; one gone from the source meanwhile is recorded as skipped.
 *  4. Page loop (page-pass.ts; 3b goes through the same body): list a page after the cursor →
 *     plan it (page-plan.ts: items already final dropped, the filters applied) → record the
 *     writes `pending` with the target watermark → stream them from the source into the target
 *     (copy-items.ts: bounded writers and bytes) → commit final rows + new cursor in one
 *     transaction. A transient write failure is retried only after checking that the write did
 *     not land.
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
import type { ChangePage, Container, ContainerStats } from '../model/types.js';
import type { ItemResult } from '../state/store.js';
import { isTransient, reasonOf } from '../util/errors.js';
import { retry } from '../util/retry.js';
import { readCheckpoint, storedFlagSeq, storedScope } from './checkpoint-codec.js';
import { passScope } from './filters.js';
import { containerName } from './inventory.js';
import { recoverPending } from './crash-recovery.js';
import { copiedOnce, deltaOfCopied, deltaOfPage, sweepLateCopies } from './follow-up.js';
import { applyBatches, changePages, failedBatches, type ItemTally, type PassTarget } from './page-pass.js';
import { passStart } from './page-plan.js';
import { TargetClaims } from './target-claims.js';
import type { TaskContext } from './task-context.js';

export type { TaskContext } from './task-context.js';

export interface ContainerOutcome extends ItemTally {
  unchanged: boolean;
  recovered: number;
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

  const stored = await store.openContainer(mailboxId, c.id, c.path.join('/'), targetRef);
  const cp = stored && readCheckpoint(stored);
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
    || (cp && cp.epoch === stats.epoch && cp.mode === 'normal' && cp.scope === scope && cp.token === stats.token && cp.targetRef === targetRef
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
  // A first pass brings the whole source folder (with the others mapped to the same target folder):
  // the target may write a large one differently.
  const incoming = Math.max(stats.count, ctx.incoming?.get(targetRef) ?? 0);
  const target = await withRetry('target folder', () => ctx.target.ensure(targetRef, cp ? {} : { incoming }));
  if (pendingRows.length > 0) {
    // Tried again with the rows still pending: what an attempt recovered is committed and counted.
    // Still failing, the pending items are read one by one: one the source cannot send must not
    // block the folder at every run.
    out.recovered = await claims.exclusive(targetRef, async () => {
      let recovered = 0;
      const recover = (unreadable: 'fail' | 'skip') => withRetry('crash recovery', async () => {
        const rows = await store.pending(mailboxId, c.id);
        if (rows.length > 0) recovered += await recoverPending(ctx, claims, c, target, rows, cp, stats, scope, unreadable);
      });
      await recover('fail').catch(async (err: unknown) => {
        if (!isTransient(err)) throw err;
        ctx.log.warn({ container: c.id, err: reasonOf(err) }, 'crash recovery keeps failing: reading the pending items one by one');
        await recover('skip');
      });
      return recovered;
    });
  }

  // Verify mode lasts until a pass of the new epoch completes, across interruptions (resetEpoch
  // stores the mode with the checkpoint, and each page's commit keeps it until the last page).
  const { mode, cursor, epochChanged } = passStart(cp, stats.epoch, scope, targetRef);
  const verify = mode === 'verify';
  if (cp && epochChanged) {
    ctx.log.warn({ container: c.id, was: cp.epoch, now: stats.epoch }, 'source epoch (UIDVALIDITY) changed: re-verifying against the target instead of copying blindly');
    await store.resetEpoch(mailboxId, c.id, stats.epoch, storedScope(scope, 'verify'));
  }
  // A container being re-verified must be able to re-claim what its old epoch claimed: it gets a
  // private set without those; everyone else shares one set per target folder.
  const current = { containerId: c.id, epoch: stats.epoch };
  const claimed = verify
    ? await store.claimedTargetIds(mailboxId, targetRef, target.epoch, current)
    : await claims.get(targetRef, target.epoch, () => store.claimedTargetIds(mailboxId, targetRef, target.epoch, current));
  const pass: PassTarget = { ctx, container: c, claims, targetRef, target, claimed, withRetry, tally: out };

  // After recovery: items it could not find written are failed now and retried here too.
  const failedIds = !verify && cp && cp.epoch === stats.epoch ? await store.failedItems(mailboxId, c.id, stats.epoch) : [];
  if (!verify && cp && failedIds.length > 0) {
    ctx.log.info({ container: c.id, failed: failedIds.length }, 'retrying items that failed in an earlier run');
    await applyBatches(pass, failedBatches(ctx, c, stats.epoch, failedIds, cp, withRetry));
  }

  // A source whose pages carry deletions and flag changes (EWS SyncFolderItems) spares step 4b's
  // scans, when this pass continues from a cursor: a listing from the start sees what is there,
  // never what went away, so a first pass or a rescan still scans.
  const paged = cursor !== null && !verify && ctx.source.pagedDeltas?.(c) === true;
  const copied = copiedOnce(ctx, c, stats.epoch, withRetry);
  const pageDelta = { flagsUpdated: 0, deleted: 0 };
  let scanAfter = !paged;
  const onPage = async (page: ChangePage, results: ItemResult[]) => {
    if (page.deleted === undefined || page.flagged === undefined) scanAfter = true; // the listing restarted: it cannot say what went away
    const d = await deltaOfPage(ctx, c, page, withRetry, copied);
    pageDelta.flagsUpdated += d.flagsUpdated;
    pageDelta.deleted += d.deleted;
    copied.remember(results);
  };
  await applyBatches(pass, changePages(pass, { stats, cursor, scope, mode, onPage: paged ? onPage : undefined }));
  out.duplicatesRemoved = await sweepLateCopies(ctx, claims, c, stats.epoch, withRetry);
  if (!ctx.signal?.aborted && !ctx.onlyFailed) {
    const later = !!cp && cp.epoch === stats.epoch;
    if (later) {
      // After the first pass, every flag is scanned once (see FlagSeq); afterwards only the changes since the last pass.
      const prior = cp.flagSeq;
      const since = prior === null || prior.firstPass ? null : prior.seq;
      const scanned = scanAfter ? await deltaOfCopied(ctx, c, stats.epoch, since, withRetry) : { flagsUpdated: 0, deleted: 0 };
      out.flagsUpdated = pageDelta.flagsUpdated + scanned.flagsUpdated;
      out.deleted = pageDelta.deleted + scanned.deleted;
    }
    const seq = stats.changeSeq ?? null;
    await store.setFlagSeq(mailboxId, c.id, storedFlagSeq(seq === null ? null : { seq, firstPass: !later }));
  }
  return out;
}

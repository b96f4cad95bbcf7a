/**
 * Steps 4b and 5 of the container task (see container-task.ts for the whole algorithm), run
 * after a pass: carry flag changes and mirrored deletions over to already-copied items, and
 * sweep late-arriving second copies of interrupted writes. Each only where the target container
 * declares it can (TargetCapabilities: setFlags, removeItems, recovery); where it cannot, the
 * task says so once in the log, never per item.
 */
import { sameFlags } from '../../mappings/flags.js';
import type { ChangePage, Container, PendingItem } from '../model/types.js';
import type { DoneItemRow, ItemResult, SuspectRow } from '../state/store.js';
import type { TaskContext, WithRetry } from './task-context.js';
import type { TargetClaims } from './target-claims.js';

/** What a container task already said it cannot carry to a target container (one line each, per task). */
const said = new WeakMap<TaskContext, Set<string>>();

/** Logs once per task that `ref` cannot take `what`. */
function cannotCarry(ctx: TaskContext, c: Container, ref: string, what: 'flags' | 'deletions'): void {
  const seen = said.get(ctx) ?? new Set<string>();
  said.set(ctx, seen);
  if (seen.has(`${what}\u0000${ref}`)) return;
  seen.add(`${what}\u0000${ref}`);
  if (what === 'flags') ctx.log.info({ container: c.id, target: ref }, 'flag changes in the source are not carried over: the target cannot set flags in this container');
  else ctx.log.warn({ container: c.id, target: ref }, 'deletions in the source are not mirrored: the target cannot remove items from this container (deletions: mirror)');
}

/** True when some of `refs` can take `what`; says once for each that cannot. */
function anyCarries(ctx: TaskContext, c: Container, refs: Iterable<string>, what: 'flags' | 'deletions'): boolean {
  let any = false;
  for (const ref of new Set(refs)) {
    const caps = ctx.target.capabilities(ref);
    if (what === 'flags' ? caps.setFlags : caps.removeItems) any = true;
    else cannotCarry(ctx, c, ref, what);
  }
  return any;
}

/**
 * The done items of the container whose target ids are still valid. Target ids recorded under
 * another target epoch (the UMS folder was recreated) point at unrelated messages now: never
 * touch them.
 */
async function copiedItems(ctx: TaskContext, c: Container, epoch: string, withRetry: WithRetry, itemIds?: string[]): Promise<DoneItemRow[]> {
  const all = await ctx.store.doneItems(ctx.mailboxId, c.id, epoch, itemIds);
  if (all.length === 0) return all;
  const epochs = new Map<string, string>();
  for (const ref of new Set(all.map((d) => d.targetRef))) epochs.set(ref, (await withRetry('target status', () => ctx.target.ensure(ref))).epoch);
  const done = all.filter((d) => d.targetEpoch === epochs.get(d.targetRef));
  if (done.length < all.length) ctx.log.warn({ container: c.id, stale: all.length - done.length }, 'some target ids belong to an older UIDVALIDITY of the target folder: left alone (reconcile shows them)');
  return done;
}

/**
 * Writes changed flags of copied items to the target and records them. Returns how many items
 * changed: an item whose flags were never recorded (found written by a crash recovery) gets its
 * flags written too, but that is no change in the source and is not counted as one.
 */
async function writeFlagChanges(
  ctx: TaskContext, c: Container, epoch: string, byId: Map<string, DoneItemRow>, items: { id: string; flags: string[] }[], withRetry: WithRetry,
): Promise<number> {
  const perRef = new Map<string, { id: string; flags: string[] }[]>();
  const rows: { itemId: string; flags: string[] }[] = [];
  let unrecorded = 0;
  for (const it of items) {
    const d = byId.get(it.id);
    if (!d?.targetId || (d.flags !== null && sameFlags(d.flags, it.flags))) continue;
    if (!ctx.target.capabilities(d.targetRef).setFlags) { cannotCarry(ctx, c, d.targetRef, 'flags'); continue; }
    if (d.flags === null) unrecorded++;
    perRef.set(d.targetRef, [...(perRef.get(d.targetRef) ?? []), { id: d.targetId, flags: it.flags }]);
    rows.push({ itemId: it.id, flags: it.flags });
    d.flags = it.flags; // a later page compares with what the target has now
  }
  for (const [ref, list] of perRef) {
    const caps = ctx.target.capabilities(ref);
    const setFlags = caps.setFlags?.bind(caps);
    if (setFlags) await withRetry('setting flags', () => setFlags(ref, list));
  }
  if (rows.length > 0) {
    await ctx.store.updateFlags(ctx.mailboxId, c.id, epoch, rows);
    ctx.log.info({ container: c.id, changed: rows.length - unrecorded, unrecorded }, 'flags written to the target (unrecorded: copies found by a crash recovery, whose flags were not known)');
  }
  return rows.length - unrecorded;
}

/**
 * Removes the target copies of items deleted in the source and forgets them. Returns how many.
 * Items in a container the target cannot remove from stay recorded as copied.
 */
async function removeDeleted(ctx: TaskContext, c: Container, epoch: string, all: DoneItemRow[], withRetry: WithRetry): Promise<number> {
  const gone = all.filter((d) => {
    if (ctx.target.capabilities(d.targetRef).removeItems) return true;
    cannotCarry(ctx, c, d.targetRef, 'deletions');
    return false;
  });
  const perRef = new Map<string, string[]>();
  for (const d of gone) if (d.targetId) perRef.set(d.targetRef, [...(perRef.get(d.targetRef) ?? []), d.targetId]);
  for (const [ref, ids] of perRef) {
    const caps = ctx.target.capabilities(ref);
    const removeItems = caps.removeItems?.bind(caps);
    if (removeItems) await withRetry('removing deleted items', () => removeItems(ref, ids));
  }
  if (gone.length > 0) {
    await ctx.store.forgetItems(ctx.mailboxId, c.id, epoch, gone.map((d) => d.itemId));
    ctx.log.info({ container: c.id, items: gone.length }, 'deletions in the source mirrored to the target');
  }
  return gone.length;
}

/** Step 4b of the algorithm: flag changes and deletions found by scanning the container. */
export async function deltaOfCopied(ctx: TaskContext, c: Container, epoch: string, flagSeq: string | null, withRetry: WithRetry): Promise<{ flagsUpdated: number; deleted: number }> {
  const sync = ctx.sync ?? { flags: true, deletions: 'ignore' as const };
  const res = { flagsUpdated: 0, deleted: 0 };
  if (!sync.flags && sync.deletions !== 'mirror') return res;
  if (sync.deletions !== 'mirror' && flagSeq !== null) {
    // Flags only, from a source that narrows changes down (IMAP CONDSTORE): only the rows of the
    // items it names are read — a new message in a 100,000-message folder reads a handful, not all.
    const fc = await withRetry('flag changes', () => ctx.source.flagChanges(c, flagSeq));
    if (fc.epoch !== epoch) return res;
    const done = await copiedItems(ctx, c, epoch, withRetry, fc.complete ? undefined : fc.items.map((i) => i.id));
    if (done.length > 0 && anyCarries(ctx, c, done.map((d) => d.targetRef), 'flags')) {
      res.flagsUpdated = await writeFlagChanges(ctx, c, epoch, new Map(done.map((d) => [d.itemId, d])), fc.items, withRetry);
    }
    return res;
  }
  const done = await copiedItems(ctx, c, epoch, withRetry);
  if (done.length === 0) return res;
  const byId = new Map(done.map((d) => [d.itemId, d]));
  const refs = done.map((d) => d.targetRef);
  if (sync.flags && anyCarries(ctx, c, refs, 'flags')) {
    const fc = await withRetry('flag changes', () => ctx.source.flagChanges(c, flagSeq));
    if (fc.epoch === epoch) res.flagsUpdated = await writeFlagChanges(ctx, c, epoch, byId, fc.items, withRetry);
  }
  if (sync.deletions === 'mirror' && anyCarries(ctx, c, refs, 'deletions')) {
    const listing = await withRetry('listing', () => ctx.source.allIds(c));
    if (listing.epoch === epoch && listing.ids.length === 0 && done.length > 0) {
      ctx.log.warn({ container: c.id, copied: done.length }, 'the source folder lists no message at all: not mirroring that as deletions (check the source)');
    } else if (listing.epoch === epoch) {
      const present = new Set(listing.ids);
      res.deleted = await removeDeleted(ctx, c, epoch, done.filter((d) => !present.has(d.itemId)), withRetry);
    }
  }
  return res;
}

/**
 * Step 4b for a source whose listing pages carry the changes since the cursor (ChangePage.deleted
 * and .flagged): the same writes as deltaOfCopied for exactly those items, made before the page's
 * checkpoint (a crash replays the page, and both writes are idempotent).
 */
export async function deltaOfPage(
  ctx: TaskContext, c: Container, page: ChangePage, withRetry: WithRetry, copied: { get: () => Promise<Map<string, DoneItemRow>> },
): Promise<{ flagsUpdated: number; deleted: number }> {
  const sync = ctx.sync ?? { flags: true, deletions: 'ignore' as const };
  const flagged = sync.flags ? page.flagged ?? [] : [];
  const deleted = sync.deletions === 'mirror' ? page.deleted ?? [] : [];
  if (flagged.length === 0 && deleted.length === 0) return { flagsUpdated: 0, deleted: 0 };
  const byId = await copied.get();
  const gone = deleted.flatMap((id) => { const d = byId.get(id); return d ? [d] : []; });
  const res = {
    flagsUpdated: flagged.length > 0 ? await writeFlagChanges(ctx, c, page.epoch, byId, flagged, withRetry) : 0,
    deleted: gone.length > 0 ? await removeDeleted(ctx, c, page.epoch, gone, withRetry) : 0,
  };
  for (const d of gone) byId.delete(d.itemId);
  return res;
}

/**
 * The copied items of a container for deltaOfPage: read from the store once, when a page first
 * needs them, and kept up to date with what later pages copy (`remember`).
 */
export function copiedOnce(ctx: TaskContext, c: Container, epoch: string, withRetry: WithRetry): {
  get: () => Promise<Map<string, DoneItemRow>>; remember: (results: ItemResult[]) => void;
} {
  let byId: Map<string, DoneItemRow> | undefined;
  return {
    get: async () => (byId ??= new Map((await copiedItems(ctx, c, epoch, withRetry)).map((d) => [d.itemId, d]))),
    // Before the first read nothing is kept: the store will have these rows by then.
    remember: (results) => {
      if (!byId) return;
      for (const r of results) {
        if (r.status !== 'done' || r.targetRef === undefined) continue;
        byId.set(r.itemId, { itemId: r.itemId, size: r.size, targetRef: r.targetRef, targetId: r.targetId ?? null, targetEpoch: r.targetEpoch ?? null, flags: r.flags ?? null });
      }
    },
  };
}

/** Suspect rows are kept until a sweep ran at least this long after they were recorded. */
const SUSPECT_MIN_AGE_MS = 5000;

/** Step 5 of the algorithm. Returns how many late copies were removed. */
export async function sweepLateCopies(ctx: TaskContext, claims: TargetClaims, c: Container, epoch: string, withRetry: WithRetry): Promise<number> {
  const { store, mailboxId } = ctx;
  const rows = await store.suspects(mailboxId, c.id);
  if (rows.length === 0) return 0;
  const stale = rows.filter((r) => r.epoch !== epoch);
  if (stale.length > 0) await store.clearSuspects(mailboxId, c.id, stale);
  const live = rows.filter((r) => r.epoch === epoch);
  const done = await store.targetIds(mailboxId, c.id, epoch, live.map((r) => r.itemId));
  const ready = live.filter((r) => done.has(r.itemId));
  let removed = 0;
  const byRef = new Map<string, SuspectRow[]>();
  for (const r of ready) byRef.set(r.targetRef, [...(byRef.get(r.targetRef) ?? []), r]);
  for (const [ref, group] of byRef) {
    // Rows of a container with idempotent writes (recorded by an older version) only wait to be cleared below.
    const recovery = ctx.target.capabilities(ref).recovery;
    if (!recovery) continue;
    // A connection lost meanwhile runs the folder's sweep again: what it removed is gone, and is counted already.
    await withRetry('removing late copies', () => claims.exclusive(ref, async () => {
      await recovery.settle(ref);
      const t = await ctx.target.ensure(ref);
      const exclude = new Set([
        ...(await store.claimedTargetIds(mailboxId, ref, t.epoch)),
        ...(await claims.get(ref, t.epoch, () => store.claimedTargetIds(mailboxId, ref, t.epoch))),
      ]);
      const byWatermark = new Map<string, SuspectRow[]>();
      for (const r of group) byWatermark.set(r.watermark, [...(byWatermark.get(r.watermark) ?? []), r]);
      for (const [watermark, rs] of byWatermark) {
        const items: PendingItem[] = rs.map((r) => ({
          key: r.itemId, size: r.size, hash: r.hash, messageId: r.messageId ?? undefined, internalDate: r.internalDate ? new Date(r.internalDate) : undefined,
        }));
        for (let round = 0; round < 3; round++) {
          const found = await recovery.findWritten(ref, watermark, items, exclude);
          if (found.size === 0) break;
          const ids = [...found.values()];
          ctx.log.warn({ container: c.id, target: ref, ids, items: [...found.keys()] }, 'removing late-arriving second copies written by an interrupted run');
          await recovery.removeItems(ref, ids);
          for (const id of ids) exclude.add(id);
          removed += ids.length;
        }
      }
    }));
  }
  // Rows of done items are settled once old enough (a late copy had time to land and be swept);
  // rows of items still failed or pending stay until those are written, however long.
  const rowsNow = await store.itemRows(mailboxId, c.id, epoch, live.map((r) => r.itemId));
  const now = Date.now();
  const old = live.filter((r) => {
    const status = rowsNow.get(r.itemId)?.status;
    return (status === undefined || status === 'done' || status === 'skipped') && now - Date.parse(r.createdAt ?? '') >= SUSPECT_MIN_AGE_MS;
  });
  if (old.length > 0) await store.clearSuspects(mailboxId, c.id, old);
  return removed;
}

/**
 * Step 2 of the container task (see container-task.ts for the whole algorithm): what a crashed
 * run left `pending`, and the rows the write-recovery machinery keeps (suspects). Target
 * containers that declare `recovery` (TargetCapabilities) are searched; in those whose writes are
 * idempotent the pending items are simply written again.
 */
import { contentHash } from '../../mappings/content-hash.js';
import type { Container, ContainerStats, ItemMeta, PendingItem, TargetContainerState } from '../model/types.js';
import type { ItemResult, PendingRow, SuspectRow } from '../state/store.js';
import { isTransient, reasonOf } from '../util/errors.js';
import { storedCheckpoint, type ContainerCheckpoint } from './checkpoint-codec.js';
import { applyTransform } from './content-transform.js';
import { containerName } from './inventory.js';
import type { TargetClaims } from './target-claims.js';
import type { TaskContext } from './task-context.js';

export function suspectRow(meta: ItemMeta, hash: string, t: { ref: string; watermark?: string }, epoch: string): SuspectRow {
  return {
    itemId: meta.id, epoch, targetRef: t.ref, watermark: t.watermark ?? '', hash, size: meta.size,
    internalDate: meta.internalDate?.toISOString() ?? null, messageId: meta.messageId ?? null,
  };
}

/**
 * Reads the pending items one by one (twice over for those that failed), for `unreadable: 'skip'`.
 * Only when others come is an item that does not taken for one the source cannot send: it is not
 * looked for, goes back to failed and is tried again by this pass like any item not found. When
 * none comes, it is the source (or the connection): the error is thrown, nothing is dropped.
 */
async function hashOneByOne(ctx: TaskContext, c: Container, metas: ItemMeta[], hash: (m: ItemMeta[]) => Promise<void>, hashes: Map<string, string>): Promise<void> {
  let last: unknown;
  let unread = metas;
  for (let round = 0; round < 2 && unread.length > 0; round++) {
    for (const m of unread) {
      await hash([m]).catch((err: unknown) => {
        if (!isTransient(err)) throw err;
        last = err;
      });
    }
    unread = unread.filter((m) => !hashes.has(m.id));
  }
  if (unread.length === 0) return;
  if (hashes.size === 0) throw last;
  ctx.log.warn({ container: c.id, items: unread.map((m) => m.id), err: reasonOf(last) },
    'crash recovery: these pending items cannot be read from the source (the others could): not looked for, tried again as failed items');
}

export function pendingItem(meta: ItemMeta, hash: string): PendingItem {
  return { key: meta.id, size: meta.size, internalDate: meta.internalDate, messageId: meta.messageId, hash };
}

/**
 * Settles items a crashed run left pending. Returns how many were found written. Those not found,
 * and every one in a container with idempotent writes, go back to `failed` (dropPending) and are
 * written again by this pass, so each is counted once. `unreadable: 'skip'` reads the pending
 * items one by one and leaves out those the source cannot send (instead of failing).
 */
export async function recoverPending(
  ctx: TaskContext, claims: TargetClaims, c: Container, current: TargetContainerState, rows: PendingRow[], cp: ContainerCheckpoint | null,
  stats: ContainerStats, scope: string, unreadable: 'fail' | 'skip' = 'fail',
): Promise<number> {
  const { store, mailboxId } = ctx;
  const stale = rows.filter((r) => r.epoch !== stats.epoch);
  if (stale.length > 0) await store.dropPending(mailboxId, c.id, stale.map((r) => r.itemId));
  const live = rows.filter((r) => r.epoch === stats.epoch);
  const searched = live.filter((r) => ctx.target.capabilities(r.targetRef).recovery !== undefined);
  const metas: ItemMeta[] = searched.map((r) => ({
    id: r.itemId, size: r.size, flags: [], internalDate: r.internalDate ? new Date(r.internalDate) : undefined, messageId: r.messageId ?? undefined,
  }));
  const hashes = new Map<string, string>();
  const hash = async (asked: ItemMeta[]) => {
    for await (const r of ctx.source.read(c, asked)) {
      if ('content' in r) hashes.set(r.meta.id, contentHash((await applyTransform(ctx.transform, r, c)).content));
    }
  };
  if (unreadable === 'fail') await hash(metas);
  else await hashOneByOne(ctx, c, metas, hash, hashes);
  const results: ItemResult[] = [];
  // Copies found here (`mine`, by target folder) are claimed in the shared claims only once
  // committed: a retry of this recovery after a dropped connection must be able to find them again.
  const claimedIn = new Map<string, { shared: Set<string>; mine: Set<string> }>();
  const groups = new Map<string, PendingRow[]>();
  for (const r of searched) {
    const k = `${r.targetRef}\u0000${r.watermark}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const group of groups.values()) {
    const first = group[0] as PendingRow;
    const recovery = ctx.target.capabilities(first.targetRef).recovery;
    if (!recovery) continue;
    const t = first.targetRef === current.ref ? current : await ctx.target.ensure(first.targetRef);
    const shared = await claims.get(t.ref, t.epoch, () => store.claimedTargetIds(mailboxId, t.ref, t.epoch, { containerId: c.id, epoch: stats.epoch }));
    const { mine } = claimedIn.get(t.ref) ?? { mine: new Set<string>() };
    claimedIn.set(t.ref, { shared, mine });
    const groupMetas = metas.filter((m) => group.some((g) => g.itemId === m.id) && hashes.has(m.id));
    const wanted = groupMetas.map((m) => pendingItem(m, hashes.get(m.id) as string));
    // Every item of the crashed page is a suspect: a dead session may still complete its write.
    await store.recordSuspects(mailboxId, c.id, groupMetas.map((m) => suspectRow(m, hashes.get(m.id) as string, { ref: t.ref, watermark: first.watermark }, stats.epoch)));
    if (wanted.length > 0) await recovery.settle(t.ref);
    const hits = wanted.length > 0 ? await recovery.findWritten(t.ref, first.watermark, wanted, new Set([...shared, ...mine])) : new Map<string, string>();
    for (const m of wanted) {
      const id = hits.get(m.key);
      if (id === undefined) continue;
      mine.add(id);
      results.push({ itemId: m.key, status: 'done', size: m.size, internalDate: m.internalDate, messageId: m.messageId, hash: m.hash, targetRef: t.ref, targetEpoch: t.epoch, targetId: id });
    }
  }
  const recovered = new Set(results.map((r) => r.itemId));
  const checkpoint: ContainerCheckpoint = cp && cp.epoch === stats.epoch
    ? cp
    : { epoch: stats.epoch, cursor: null, scope, mode: 'normal', token: null, targetRef: current.ref };
  if (results.length > 0) await store.commitBatch(mailboxId, c.id, results, storedCheckpoint(checkpoint));
  for (const [, { shared, mine }] of claimedIn) for (const id of mine) shared.add(id);
  await store.dropPending(mailboxId, c.id, live.filter((r) => !recovered.has(r.itemId)).map((r) => r.itemId));
  for (const r of results) ctx.emit({ type: 'item', mailbox: ctx.mailbox, container: c.id, status: 'recovered', size: r.size });
  if (searched.length < live.length) {
    ctx.log.warn({ container: c.id, folder: containerName(c), pending: live.length - searched.length }, 'crash recovery: items left pending by an interrupted run are written again (writes into this container are idempotent)');
  }
  if (searched.length > 0 || searched.length === live.length) {
    ctx.log.warn({ container: c.id, folder: containerName(c), pending: rows.length, found: results.length }, 'crash recovery: items left pending by an interrupted run looked up in the target');
  }
  return results.length;
}

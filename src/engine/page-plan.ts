/**
 * What a container task decides for each item of a page, before it writes anything (pure): the
 * page loop and the retry of failed items plan with it, then apply the plan (container-task.ts
 * steps 3b and 4), and `plan --items` shows it.
 */
import type { ItemMeta } from '../model/types.js';
import type { ItemResult, ItemStatus } from '../state/store.js';
import type { ContainerCheckpoint, PassMode } from './checkpoint-codec.js';
import { judgeItem, type ItemFilters } from './filters.js';

export type ItemAction =
  /** Written to the target. */
  | { kind: 'copy'; item: ItemMeta }
  /**
   * Verify mode: first looked for in the whole target container (where the target can search;
   * elsewhere the write lands on the same object anyway), written only when absent.
   */
  | { kind: 'verify'; item: ItemMeta }
  /** Recorded as skipped (too large, or the source cannot give it), with the reason. */
  | { kind: 'skip'; item: ItemMeta; reason: string }
  /** Asked for by id (it failed before) and no longer in the source: recorded as skipped. */
  | { kind: 'gone'; itemId: string }
  /** Copied before: nothing to do. */
  | { kind: 'done'; item: ItemMeta }
  /** Skipped before and the filters still do not copy it: its row stays as it is. */
  | { kind: 'still-skipped'; item: ItemMeta }
  /** Outside the date window: nothing is recorded (a wider window copies it later). */
  | { kind: 'outside'; item: ItemMeta };

export type WriteAction = Extract<ItemAction, { kind: 'copy' | 'verify' }>;

export interface PlannedPage {
  items: ItemMeta[];
  /** Ids asked for that the source no longer has (a retry of failed items looks them up by id). */
  gone?: string[];
}

/**
 * Where a pass's page loop starts, and in which mode, from the stored checkpoint (container-task
 * step 3). A changed source epoch starts over in verify mode, and verify mode lasts until a pass
 * of the new epoch completes; a checkpoint of another scope or target folder does not cover this
 * pass (rescan from the start).
 */
export function passStart(cp: ContainerCheckpoint | null, epoch: string, scope: string, targetRef: string): { mode: PassMode; cursor: string | null; epochChanged: boolean } {
  const epochChanged = cp !== null && cp.epoch !== epoch;
  return {
    mode: epochChanged || cp?.mode === 'verify' ? 'verify' : 'normal',
    cursor: cp && !epochChanged && cp.scope === scope && cp.targetRef === targetRef ? cp.cursor : null,
    epochChanged,
  };
}

export const GONE_REASON = 'deleted from the source before it could be copied';

/**
 * `known`: the statuses recorded for the page's items in this epoch (an item not in it is new,
 * pending or failed: all of them are judged again).
 */
export function planPage(page: PlannedPage, known: ReadonlyMap<string, ItemStatus>, filters: ItemFilters, mode: PassMode): ItemAction[] {
  const actions: ItemAction[] = (page.gone ?? []).map((itemId) => ({ kind: 'gone', itemId }));
  for (const item of page.items) {
    const status = known.get(item.id);
    if (status === 'done') {
      actions.push({ kind: 'done', item });
      continue;
    }
    const verdict = judgeItem(item, filters);
    // Skipped before (e.g. too large): copied now if the filters allow it, else left as it is.
    if (status === 'skipped' && !verdict.copy) actions.push({ kind: 'still-skipped', item });
    else if (verdict.copy) actions.push({ kind: mode === 'verify' ? 'verify' : 'copy', item });
    else if (verdict.record) actions.push({ kind: 'skip', item, reason: verdict.reason });
    else actions.push({ kind: 'outside', item });
  }
  return actions;
}

export function writesOf(actions: ItemAction[]): WriteAction[] {
  return actions.filter((a): a is WriteAction => a.kind === 'copy' || a.kind === 'verify');
}

/** The results a plan records without writing (skipped and gone items), in plan order. */
export function resultsWithoutWrite(actions: ItemAction[]): ItemResult[] {
  return actions.flatMap((a): ItemResult[] => {
    if (a.kind === 'gone') return [{ itemId: a.itemId, status: 'skipped', size: 0, reason: GONE_REASON }];
    if (a.kind !== 'skip') return [];
    return [{ itemId: a.item.id, status: 'skipped', size: a.item.size, internalDate: a.item.internalDate, messageId: a.item.messageId, reason: a.reason }];
  });
}

import type { ItemMeta } from '../model/types.js';

/** Which items a pass copies. `before`/`since` bound INTERNALDATE; larger items are skipped and reported. */
export interface ItemFilters {
  before?: Date;
  since?: Date;
  maxMessageSize: number;
}

export type FilterVerdict = { copy: true } | { copy: false; record: false } | { copy: false; record: true; reason: string };

/**
 * The scope string stored with a checkpoint: a cursor advanced under one date window (or size
 * limit) does not cover items outside it, so a change makes the next pass rescan (skipping what
 * is done, and copying what was skipped before if it fits now).
 */
export function filterScope(f: ItemFilters): string {
  return `before=${f.before?.toISOString() ?? ''};since=${f.since?.toISOString() ?? ''};max=${f.maxMessageSize}`;
}

/** The scope of a pass: its filter window and deletion policy (a checkpoint of another scope does not cover it). */
export function passScope(f: ItemFilters, sync?: { deletions: 'ignore' | 'mirror' }): string {
  return `${filterScope(f)};deletions=${sync?.deletions ?? 'ignore'}`;
}

export function judgeItem(item: ItemMeta, f: ItemFilters): FilterVerdict {
  if (item.skip !== undefined) return { copy: false, record: true, reason: item.skip };
  const t = item.internalDate?.getTime();
  if (t !== undefined && f.before && t >= f.before.getTime()) return { copy: false, record: false };
  if (t !== undefined && f.since && t < f.since.getTime()) return { copy: false, record: false };
  if (item.size > f.maxMessageSize) {
    return { copy: false, record: true, reason: `larger than maxMessageSize (${item.size} > ${f.maxMessageSize} bytes)` };
  }
  return { copy: true };
}

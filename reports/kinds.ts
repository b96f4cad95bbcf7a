/**
 * Per-kind counts of a mailbox for the report: mail, events, contacts and tasks apart, each from
 * the containers that hold it (a container's kind is its target: `calendar:`, `addressbook:` and
 * `tasks:` collections, else mail; src/cutover/score.ts `typeOf`). Pure.
 *
 * Two rules keep the numbers honest:
 * - Done never above total: a container whose done count (or bytes) passed its counted total
 *   (new items arrived after it was counted, or the UMS stores a message a few bytes larger)
 *   gets the done value as its total: the real total is at least what was done.
 * - Sizes the source did not report are unknown, never 0 B: for a container with items but no
 *   byte total, the bytes copied count in `done` and `total` (a lower bound then) and the items
 *   not copied yet in `unknownItems`.
 */
import { typeOf } from '../src/cutover/score.js';
import type { ItemKind } from '../src/model/types.js';
import type { ContainerRow, ItemCounters } from '../src/state/store.js';

export type ItemType = 'mail' | 'events' | 'contacts' | 'tasks';
export const ITEM_TYPES: readonly ItemType[] = ['mail', 'events', 'contacts', 'tasks'];

export interface DoneTotal {
  done: number;
  total: number;
}

/** Bytes of one kind; `unknownItems` items are still to copy and of unknown size (`total` is then a lower bound). */
export interface ByteCount extends DoneTotal {
  unknownItems: number;
}

export type ByType = Record<ItemType, DoneTotal>;
export type BytesByType = Record<ItemType, ByteCount>;

export function emptyItems(): ByType {
  return { mail: { done: 0, total: 0 }, events: { done: 0, total: 0 }, contacts: { done: 0, total: 0 }, tasks: { done: 0, total: 0 } };
}

export function emptyBytes(): BytesByType {
  const z = (): ByteCount => ({ done: 0, total: 0, unknownItems: 0 });
  return { mail: z(), events: z(), contacts: z(), tasks: z() };
}

const KIND_TYPE: Record<ItemKind, ItemType> = { mail: 'mail', event: 'events', contact: 'contacts', task: 'tasks' };

/**
 * The report kind of a container: the inventory's kind, or its target's when that says more (a
 * row the inventory has not seen yet reads as 'mail' even when it is a `calendar:` collection).
 */
export function containerType(c: ContainerRow): ItemType {
  const kind = KIND_TYPE[c.kind ?? 'mail'];
  return kind === 'mail' ? typeOf(c.targetRef) : kind;
}

/** Adds one container's (or a mailbox summary's) counters, of kind `type`, to the totals. */
export function addCounters(items: ByType, bytes: BytesByType, type: ItemType, c: ItemCounters & Pick<ContainerRow, 'bytesKnown' | 'inInventory'>): void {
  const done = Math.max(0, c.doneItems);
  const finished = done + Math.max(0, c.skippedItems) + Math.max(0, c.failedItems);
  // A container the latest inventory no longer lists counts what was done in it, nothing more.
  const total = c.inInventory === false ? finished : Math.max(0, c.totalItems);
  items[type].done += done;
  items[type].total += Math.max(total, finished);
  const counted = Math.max(total, done);
  const doneBytes = Math.max(0, c.doneBytes);
  bytes[type].done += doneBytes;
  if (c.bytesKnown === false || (c.bytesKnown === undefined && counted > 0 && !(c.totalBytes > 0))) {
    // Unknown size: what was copied is known, the rest is not; the total is a lower bound.
    bytes[type].unknownItems += Math.max(0, counted - done);
    bytes[type].total += doneBytes;
    return;
  }
  bytes[type].total += Math.max(c.inInventory === false ? 0 : Math.max(0, c.totalBytes), doneBytes);
}

/**
 * A mailbox's counts per kind, from its containers; a mailbox without containers (nothing listed
 * yet) counts its summary as mail.
 */
export function countsByType(summary: ItemCounters, containers: readonly ContainerRow[]): { items: ByType; bytes: BytesByType } {
  const items = emptyItems();
  const bytes = emptyBytes();
  if (containers.length === 0) addCounters(items, bytes, 'mail', summary);
  for (const c of containers) addCounters(items, bytes, containerType(c), c);
  return { items, bytes };
}

export function addInto(items: ByType, bytes: BytesByType, from: { items: ByType; bytes: BytesByType }): void {
  for (const t of ITEM_TYPES) {
    items[t].done += from.items[t].done;
    items[t].total += from.items[t].total;
    bytes[t].done += from.bytes[t].done;
    bytes[t].total += from.bytes[t].total;
    bytes[t].unknownItems += from.bytes[t].unknownItems;
  }
}

export function sumDone(t: Record<ItemType, DoneTotal>): number {
  return ITEM_TYPES.reduce((n, k) => n + t[k].done, 0);
}

export function sumTotal(t: Record<ItemType, DoneTotal>): number {
  return ITEM_TYPES.reduce((n, k) => n + t[k].total, 0);
}

/** Items of all kinds whose size is unknown. */
export function unknownSized(b: BytesByType): number {
  return ITEM_TYPES.reduce((n, k) => n + b[k].unknownItems, 0);
}

/**
 * Per-kind counts of a mailbox for the report: mail, events, contacts and tasks apart. They are the
 * state store's inventory figures (src/state/inventory.ts `summariseInventory`: per kind, each
 * container's progress clamped to its own totals, so done never exceeds total; sizes the source
 * could not tell are unknown, never 0), computed from the container rows the report reads anyway.
 * Pure.
 */
import type { ItemKind } from '../src/model/types.js';
import { summariseInventory } from '../src/state/inventory.js';
import type { ContainerRow, KindTotals, MailboxSummary } from '../src/state/store.js';
import { TYPE_OF_KIND } from '../src/cutover/score.js';

export type ItemType = 'mail' | 'events' | 'contacts' | 'tasks';
export const ITEM_TYPES: readonly ItemType[] = ['mail', 'events', 'contacts', 'tasks'];

export interface DoneTotal {
  done: number;
  total: number;
}

/** Bytes of one kind; `total` is null (unknown) while a folder or collection of it has no known size. */
export interface ByteCount {
  done: number;
  total: number | null;
}

export type ByType = Record<ItemType, DoneTotal>;
export type BytesByType = Record<ItemType, ByteCount>;

export const TYPE_OF: Record<ItemKind, ItemType> = TYPE_OF_KIND;

export function emptyItems(): ByType {
  return { mail: { done: 0, total: 0 }, events: { done: 0, total: 0 }, contacts: { done: 0, total: 0 }, tasks: { done: 0, total: 0 } };
}

export function emptyBytes(): BytesByType {
  return { mail: { done: 0, total: 0 }, events: { done: 0, total: 0 }, contacts: { done: 0, total: 0 }, tasks: { done: 0, total: 0 } };
}

/** Each mailbox's counts per kind, by mailbox id, from the container rows of its latest inventory. */
export function countsByMailbox(mailboxes: readonly MailboxSummary[], containers: ContainerRow[]): Map<number, { items: ByType; bytes: BytesByType; counted: boolean }> {
  // Every mailbox is summarised from its rows (a store written before the inventory has rows too).
  const inv = summariseInventory(mailboxes.map((m) => ({ id: m.id, source: m.source, target: m.target, inventoriedAt: '' })), containers);
  return new Map(inv.map((m) => {
    const counts = { ...fromKinds(m.kinds), counted: m.kinds.length > 0 };
    // Nothing counted yet (no folder listed): its size is not known, not 0.
    if (!counts.counted) counts.bytes.mail.total = null;
    return [m.id, counts];
  }));
}

export function fromKinds(kinds: readonly KindTotals[]): { items: ByType; bytes: BytesByType } {
  const items = emptyItems();
  const bytes = emptyBytes();
  for (const k of kinds) {
    const t = TYPE_OF[k.kind];
    items[t] = { done: k.doneItems, total: k.totalItems };
    bytes[t] = { done: k.doneBytes, total: k.bytesUnknown > 0 ? null : k.totalBytes };
  }
  return { items, bytes };
}

export function addInto(items: ByType, bytes: BytesByType, from: { items: ByType; bytes: BytesByType }): void {
  for (const t of ITEM_TYPES) {
    items[t].done += from.items[t].done;
    items[t].total += from.items[t].total;
    bytes[t].done += from.bytes[t].done;
    const a = bytes[t].total;
    const b = from.bytes[t].total;
    bytes[t].total = a === null || b === null ? null : a + b;
  }
}

export function sumDone(t: Record<ItemType, { done: number }>): number {
  return ITEM_TYPES.reduce((n, k) => n + t[k].done, 0);
}

export function sumTotal(t: ByType): number {
  return ITEM_TYPES.reduce((n, k) => n + t[k].total, 0);
}

/** All kinds' bytes together (total unknown when one kind's is). */
export function sumBytes(b: BytesByType): ByteCount {
  return ITEM_TYPES.reduce<ByteCount>((n, k) => ({ done: n.done + b[k].done, total: n.total === null || b[k].total === null ? null : n.total + b[k].total }), { done: 0, total: 0 });
}

/**
 * The inventory totals of the state store (`MailboxReader.inventory`), computed the same way for
 * every store from its container rows: per mailbox and item kind, over the containers of the
 * mailbox's latest inventory, with each container's progress clamped to its own totals (an item
 * listed after the inventory, or a size that changed on the way, never makes done exceed total).
 */
import type { ItemKind } from '../model/types.js';
import type { ContainerRow, KindTotals, MailboxInventory } from './store.js';

/** The order kinds are shown in, everywhere. */
export const KIND_ORDER: readonly ItemKind[] = ['mail', 'event', 'contact', 'task'];

export interface InventoriedMailbox {
  id: number;
  source: string;
  target: string;
  inventoriedAt: string | null;
}

function emptyKind(kind: ItemKind): KindTotals {
  return { kind, containers: 0, totalItems: 0, totalBytes: 0, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0 };
}

/** Adds one container's figures, clamped to its totals. */
function addContainer(k: KindTotals, c: ContainerRow): void {
  const total = Math.max(0, c.totalItems);
  const done = Math.min(Math.max(0, c.doneItems), total);
  const failed = Math.min(Math.max(0, c.failedItems), total - done);
  const skipped = Math.min(Math.max(0, c.skippedItems), total - done - failed);
  k.containers++;
  k.totalItems += total;
  k.doneItems += done;
  k.failedItems += failed;
  k.skippedItems += skipped;
  if (c.bytesKnown !== false) {
    k.totalBytes += Math.max(0, c.totalBytes);
    k.doneBytes += Math.min(Math.max(0, c.doneBytes), Math.max(0, c.totalBytes));
  } else {
    k.bytesUnknown++;
    k.doneBytes += Math.max(0, c.doneBytes);
  }
}

export function summariseInventory(mailboxes: InventoriedMailbox[], containers: ContainerRow[]): MailboxInventory[] {
  const byMailbox = new Map<number, Map<ItemKind, KindTotals>>();
  for (const c of containers) {
    if (c.inInventory === false) continue;
    const kind = c.kind ?? 'mail';
    const kinds = byMailbox.get(c.mailboxId) ?? new Map<ItemKind, KindTotals>();
    byMailbox.set(c.mailboxId, kinds);
    const k = kinds.get(kind) ?? emptyKind(kind);
    kinds.set(kind, k);
    addContainer(k, c);
  }
  return mailboxes.map((m) => {
    const kinds = m.inventoriedAt === null ? undefined : byMailbox.get(m.id);
    return {
      id: m.id, source: m.source, target: m.target, inventoriedAt: m.inventoriedAt,
      kinds: kinds ? KIND_ORDER.flatMap((k) => { const t = kinds.get(k); return t ? [t] : []; }) : [],
    };
  });
}

/** The kinds of several mailboxes (or a whole run) added up, in KIND_ORDER. */
export function sumKinds(lists: KindTotals[][]): KindTotals[] {
  const out = new Map<ItemKind, KindTotals>();
  for (const list of lists) {
    for (const k of list) {
      const t = out.get(k.kind) ?? emptyKind(k.kind);
      out.set(k.kind, t);
      t.containers += k.containers;
      t.totalItems += k.totalItems;
      t.totalBytes += k.totalBytes;
      t.bytesUnknown += k.bytesUnknown;
      t.doneItems += k.doneItems;
      t.doneBytes += k.doneBytes;
      t.failedItems += k.failedItems;
      t.skippedItems += k.skippedItems;
    }
  }
  return KIND_ORDER.flatMap((k) => { const t = out.get(k); return t ? [t] : []; });
}

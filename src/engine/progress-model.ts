/**
 * Where a job stands, measured against the inventory (issue 17), fed by the engine's events:
 * overall items and bytes of every mailbox of the job (pending ones included, from the store's
 * inventory), what is done (from the store at the start, so a resume continues where the last run
 * stopped, plus this run's items), per kind, the rate and ETA of this run, and what is being
 * copied now, by name. Pure: no I/O, the clock is given.
 *
 * Holds: done never exceeds total (each mailbox clamped); the percentage never goes down (a
 * re-inventory that finds new mail raises the total, not the bar's way back); a mailbox whose
 * pass ended complete counts as 100 % (items outside a date window are not listed, never copied).
 */
import type { ItemKind } from '../model/types.js';
import type { KindTotals } from '../state/store.js';
import { KIND_ORDER } from '../state/inventory.js';
import type { EngineEvent } from './events.js';

interface KindState { total: number; totalBytes: number; bytesUnknown: number; done: number; doneBytes: number; failed: number; skipped: number }

interface MailboxState {
  /** null: never inventoried (not counted in the totals until it is). */
  kinds: Map<ItemKind, KindState> | null;
  complete: boolean;
}

export interface ProgressSnapshot {
  /** 0..100, never lower than an earlier snapshot's. */
  percent: number;
  /** Items processed (done, failed or skipped) and the total they are measured against. */
  processed: number;
  total: number;
  doneBytes: number;
  totalBytes: number;
  /** Some containers' sizes are unknown: totalBytes is a lower bound. */
  bytesUnknown: boolean;
  /** Mailboxes of the job whose totals are not known yet (not in `total`). */
  uncounted: number;
  failed: number;
  skipped: number;
  /** Done items per kind (kinds with a total or done item), in the order mail, event, contact, task. */
  kinds: { kind: ItemKind; done: number; total: number }[];
  /** This run's items and bytes per second. */
  itemsPerSecond: number;
  bytesPerSecond: number;
  /** Seconds left at this run's rate; undefined while there is no rate yet. */
  etaSeconds: number | undefined;
  /** What is being copied now: mailbox and folder as people know them. */
  mailbox: string;
  folder: string;
}

const emptyKind = (): KindState => ({ total: 0, totalBytes: 0, bytesUnknown: 0, done: 0, doneBytes: 0, failed: 0, skipped: 0 });

export class ProgressModel {
  private readonly mailboxes = new Map<string, MailboxState>();
  private readonly kindOf = new Map<string, ItemKind>();
  private items = 0;
  private bytes = 0;
  private lastPercent = 0;
  private mailbox = '';
  private folder = '';

  constructor(private readonly now: () => number = Date.now, private readonly started = now()) {}

  readonly onEvent = (e: EngineEvent): void => {
    switch (e.type) {
      case 'inventory':
        this.mailboxes.set(e.mailbox, { kinds: e.inventoriedAt === null ? null : fromTotals(e.kinds), complete: false });
        break;
      case 'container-start':
        this.kindOf.set(key(e.mailbox, e.container), e.kind);
        this.mailbox = e.mailbox;
        this.folder = e.name;
        break;
      case 'mailbox-end': {
        const m = this.mailboxes.get(e.mailbox);
        if (m && e.ok && !e.interrupted) m.complete = true;
        break;
      }
      case 'item': {
        const kind = this.kindOf.get(key(e.mailbox, e.container)) ?? 'mail';
        const m = this.mailboxes.get(e.mailbox) ?? { kinds: null, complete: false };
        this.mailboxes.set(e.mailbox, m);
        const k = m.kinds ? (m.kinds.get(kind) ?? m.kinds.set(kind, emptyKind()).get(kind) as KindState) : undefined;
        if (e.status === 'done' || e.status === 'recovered') {
          this.items++;
          this.bytes += e.size;
          if (k) { k.done++; k.doneBytes += e.size; }
        } else if (e.status === 'failed') {
          this.items++;
          if (k) k.failed++;
        } else {
          this.items++;
          if (k) k.skipped++;
        }
        break;
      }
      default:
        break;
    }
  };

  snapshot(): ProgressSnapshot {
    let total = 0;
    let processed = 0;
    let totalBytes = 0;
    let doneBytes = 0;
    let bytesUnknown = false;
    let failed = 0;
    let skipped = 0;
    let uncounted = 0;
    const kinds = new Map<ItemKind, { done: number; total: number }>();
    for (const m of this.mailboxes.values()) {
      if (!m.kinds) { uncounted++; continue; }
      for (const [kind, k] of m.kinds) {
        const done = m.complete ? Math.max(k.total - Math.min(k.failed + k.skipped, k.total), 0) : Math.min(k.done, k.total);
        const proc = m.complete ? k.total : Math.min(k.done + k.failed + k.skipped, k.total);
        total += k.total;
        processed += proc;
        failed += Math.min(k.failed, k.total);
        skipped += Math.min(k.skipped, k.total);
        totalBytes += k.totalBytes;
        doneBytes += k.bytesUnknown > 0 ? k.doneBytes : Math.min(k.doneBytes, k.totalBytes);
        if (k.bytesUnknown > 0) bytesUnknown = true;
        const sum = kinds.get(kind) ?? { done: 0, total: 0 };
        kinds.set(kind, { done: sum.done + done, total: sum.total + k.total });
      }
    }
    const allComplete = this.mailboxes.size > 0 && [...this.mailboxes.values()].every((m) => m.complete);
    const raw = allComplete && uncounted === 0 ? 100 : total > 0 ? (processed / total) * 100 : 0;
    this.lastPercent = Math.max(this.lastPercent, Math.min(100, raw));
    const secs = Math.max(0.001, (this.now() - this.started) / 1000);
    const itemsPerSecond = this.items / secs;
    const left = Math.max(0, total - processed);
    return {
      percent: this.lastPercent, processed, total, doneBytes, totalBytes, bytesUnknown, uncounted, failed, skipped,
      kinds: KIND_ORDER.flatMap((kind) => { const k = kinds.get(kind); return k && (k.total > 0 || k.done > 0) ? [{ kind, ...k }] : []; }),
      itemsPerSecond, bytesPerSecond: this.bytes / secs,
      etaSeconds: allComplete ? 0 : itemsPerSecond > 0 ? left / itemsPerSecond : undefined,
      mailbox: this.mailbox, folder: this.folder,
    };
  }
}

function key(mailbox: string, container: string): string {
  return `${mailbox}\u0000${container}`;
}

function fromTotals(kinds: KindTotals[]): Map<ItemKind, KindState> {
  return new Map(kinds.map((k) => [k.kind, {
    total: k.totalItems, totalBytes: k.totalBytes, bytesUnknown: k.bytesUnknown, done: k.doneItems, doneBytes: k.doneBytes, failed: k.failedItems, skipped: k.skippedItems,
  }]));
}

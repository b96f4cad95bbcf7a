/**
 * What copy-items.ts reads next after a read of items from the source broke off.
 *
 * A read that breaks off is resumed with the items it had not given. Tries count the reads in a
 * row that gave nothing (a source that drops the connection now and then still gets read to the
 * end). When they run out, the item the read keeps breaking at (the first it did not give) is read
 * on its own; failing alone too, it is that item (a server that cannot send one message: Dovecot
 * with a Maildir file whose size is wrong), failed with its own reason, and the rest is read on.
 * Up to MAX_ADJACENT such items in a row are blamed; when the rest still gives nothing after
 * that, it is the source: everything left fails with the plain error, those items included.
 */
import type { ItemMeta } from '../model/types.js';

/** Items failed on their own in a row, with nothing read in between, before the source itself is blamed. */
export const MAX_ADJACENT = 3;

export type AfterBreak =
  | { kind: 'retry'; attempt: number }
  /** Read this item on its own next (`ask` returns it). */
  | { kind: 'alone'; item: ItemMeta }
  /** This item alone broke off every read: fail it with its own reason, then read on. */
  | { kind: 'blame'; item: ItemMeta; tries: number }
  /** The source gives nothing: fail what is left and `unblame` (items blamed meanwhile) with the error. */
  | { kind: 'give-up'; unblame: ItemMeta[] };

export class ReadRounds {
  private tries = 0;
  private alone: ItemMeta | undefined;
  /** Items blamed since the last read that gave something. */
  private blamed: ItemMeta[] = [];

  constructor(private readonly attempts: number) {}

  /** The items to read now, of those still open (not given yet), in their order. */
  ask(open: ItemMeta[]): ItemMeta[] {
    // The item read alone was handed on before its read broke off: it came, read the others on.
    if (this.alone && !open.includes(this.alone)) this.progress();
    return this.alone ? [this.alone] : open;
  }

  /** The read asked for ended without breaking off. Returns whether others are left to read. */
  whole(): boolean {
    const wasAlone = this.alone !== undefined;
    this.progress();
    return wasAlone;
  }

  /** The read asked for broke off; `gave`: it handed on at least one item first. */
  broke(gave: boolean, open: ItemMeta[]): AfterBreak {
    if (gave) this.progress();
    this.tries++;
    if (this.tries < this.attempts) return { kind: 'retry', attempt: this.tries };
    const tries = this.tries;
    this.tries = 0;
    const single = this.alone ?? (open.length === 1 ? open[0] : undefined);
    if (single && this.blamed.length < MAX_ADJACENT) {
      this.alone = undefined;
      this.blamed.push(single);
      return { kind: 'blame', item: single, tries };
    }
    const first = open[0];
    if (!this.alone && first && open.length > 1 && this.blamed.length < MAX_ADJACENT) {
      this.alone = first;
      return { kind: 'alone', item: first };
    }
    const unblame = this.blamed;
    this.blamed = [];
    this.alone = undefined;
    return { kind: 'give-up', unblame };
  }

  private progress(): void {
    this.alone = undefined;
    this.tries = 0;
    this.blamed = [];
  }
}

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
 * A source that answers a read whole or not at all is searched by halves instead (see `halves`).
 */
import type { ItemMeta } from '../model/types.js';

/** Items failed on their own in a row, with nothing read in between, before the source itself is blamed. */
export const MAX_ADJACENT = 3;

export type AfterBreak =
  | { kind: 'retry'; attempt: number }
  /** Read these items on their own next (`ask` returns them): the first alone, or the first half. */
  | { kind: 'alone'; items: ItemMeta[] }
  /** This item alone broke off every read: fail it with its own reason, then read on. */
  | { kind: 'blame'; item: ItemMeta; tries: number }
  /** The source gives nothing: fail what is left and `unblame` (items blamed meanwhile) with the error. */
  | { kind: 'give-up'; unblame: ItemMeta[] };

export class ReadRounds {
  private tries = 0;
  /** Items read on their own, while a read keeps breaking off. */
  private group: ItemMeta[] | undefined;
  /** Items blamed since the last read that gave something. */
  private blamed: ItemMeta[] = [];
  /**
   * The source answers a read whole or not at all (EWS GetItem of many ids), not item by item:
   * the first item on its own came, though reads of it with the others gave nothing. The item at
   * fault is then looked for by halves (log2 of the items left, not one read per item before it).
   */
  private halves = false;

  constructor(private readonly attempts: number) {}

  /** The items to read now, of those still open (not given yet), in their order. */
  ask(open: ItemMeta[]): ItemMeta[] {
    // Items read on their own were handed on before the read broke off: that is progress.
    if (this.group && this.group.some((i) => !open.includes(i))) this.progress();
    return this.group ?? open;
  }

  /** The read asked for ended without breaking off. Returns whether others are left to read. */
  whole(): boolean {
    const group = this.group;
    // Alone at the first try (not after a flaky moment), with nothing blamed: a whole-or-nothing source.
    if (group?.length === 1 && this.tries === 0 && this.blamed.length === 0) this.halves = true;
    this.progress();
    return group !== undefined;
  }

  /** The read asked for broke off; `gave`: it handed on at least one item first. */
  broke(gave: boolean, open: ItemMeta[]): AfterBreak {
    if (gave) this.progress();
    this.tries++;
    if (this.tries < this.attempts) return { kind: 'retry', attempt: this.tries };
    const tries = this.tries;
    this.tries = 0;
    const from = this.group ?? open;
    if (this.blamed.length < MAX_ADJACENT) {
      const only = from.length === 1 ? from[0] : undefined;
      if (only) {
        this.group = undefined;
        this.blamed.push(only);
        return { kind: 'blame', item: only, tries };
      }
      if (from.length > 1) {
        this.group = this.halves || this.group ? from.slice(0, Math.ceil(from.length / 2)) : from.slice(0, 1);
        return { kind: 'alone', items: this.group };
      }
    }
    const unblame = this.blamed;
    this.blamed = [];
    this.group = undefined;
    return { kind: 'give-up', unblame };
  }

  private progress(): void {
    this.group = undefined;
    this.tries = 0;
    this.blamed = [];
  }
}

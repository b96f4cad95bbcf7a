/**
 * Target ids claimed per target container, shared by every task of one mailbox. Several source
 * folders can map into one target folder (e.g. "Sent Items" and "Отправленные" → INBOX.Sent);
 * their tasks must see each other's claims, or two of them could record the same target message
 * while looking for what a crashed run wrote. Recovery in one target folder runs one at a time.
 */
export class TargetClaims {
  private readonly sets = new Map<string, Promise<Set<string>>>();
  private readonly tails = new Map<string, Promise<unknown>>();

  /** The shared claim set of `ref` in `epoch`, loaded once with `load`. */
  get(ref: string, epoch: string, load: () => Promise<Set<string>>): Promise<Set<string>> {
    const key = `${ref}\u0000${epoch}`;
    let set = this.sets.get(key);
    if (!set) {
      set = load();
      this.sets.set(key, set);
      set.catch(() => this.sets.delete(key));
    }
    return set;
  }

  /** Runs `fn` while no other `exclusive` call on `ref` runs. */
  exclusive<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(ref) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.tails.set(ref, next);
    return next;
  }
}

/**
 * Coordination of the tasks of one mailbox that write into the same target container. Several
 * source folders can map into one target folder (e.g. "Sent Items" and "Отправленные" →
 * INBOX.Sent), so:
 * - claims (target ids recorded for items) are shared, or two tasks could record the same target
 *   message while looking for what a crashed run wrote;
 * - writes take a shared gate and recovery/sweeps an exclusive one: a sweep removes unclaimed
 *   copies, and must never see another task's write whose id is not known yet.
 */
export class TargetClaims {
  private readonly sets = new Map<string, Promise<Set<string>>>();
  private readonly gates = new Map<string, Gate>();

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

  /** Runs a write into `ref`; many at once, never during `exclusive`. */
  write<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    return this.gate(ref).shared(fn);
  }

  /** Runs `fn` with no write and no other exclusive section on `ref` in progress. */
  exclusive<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    return this.gate(ref).exclusive(fn);
  }

  private gate(ref: string): Gate {
    let g = this.gates.get(ref);
    if (!g) {
      g = new Gate();
      this.gates.set(ref, g);
    }
    return g;
  }
}

/** A readers–writer lock that prefers the exclusive side (no starvation by a stream of writes). */
class Gate {
  private active = 0;
  private exclusiveHeld = false;
  private readonly waiting: { exclusive: boolean; go: () => void }[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusiveHeld || this.waiting.length > 0) await new Promise<void>((go) => this.waiting.push({ exclusive: false, go }));
    else this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusiveHeld || this.active > 0 || this.waiting.length > 0) await new Promise<void>((go) => this.waiting.push({ exclusive: true, go }));
    else this.exclusiveHeld = true;
    try {
      return await fn();
    } finally {
      this.exclusiveHeld = false;
      this.pump();
    }
  }

  private pump(): void {
    if (this.exclusiveHeld) return;
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as { exclusive: boolean; go: () => void };
      if (next.exclusive) {
        if (this.active > 0) return;
        this.waiting.shift();
        this.exclusiveHeld = true;
        next.go();
        return;
      }
      this.waiting.shift();
      this.active++;
      next.go();
    }
  }
}

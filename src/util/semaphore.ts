/**
 * Permits for connections to one server. `tryAcquire` may answer asynchronously: the
 * PostgreSQL-backed gate (src/state/pg-locks.ts) asks the database, so the cap holds
 * across worker processes on several machines.
 */
export interface SlotGate {
  acquire(): Promise<void>;
  tryAcquire(): boolean | Promise<boolean>;
  release(): void;
  /**
   * Optional: true while someone waits in `acquire` (a pool with no connection yet). Pools then
   * give back connections beyond their first instead of keeping them (ConnectionPool).
   */
  readonly contended?: boolean;
  /** Optional: `fn` is called whenever someone starts waiting in `acquire`; returns the unsubscribe. */
  onContention?(fn: () => void): () => void;
}

/** A counting semaphore: `acquire` waits for a permit, `tryAcquire` takes one only if free. */
export class Semaphore implements SlotGate {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  private readonly contention = new Set<() => void>();

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`semaphore size must be >= 1, got ${size}`);
    this.free = size;
  }

  get available(): number {
    return this.free;
  }

  tryAcquire(): boolean {
    if (this.free > 0) {
      this.free--;
      return true;
    }
    return false;
  }

  get contended(): boolean {
    return this.waiters.length > 0;
  }

  onContention(fn: () => void): () => void {
    this.contention.add(fn);
    return () => { this.contention.delete(fn); };
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    const waiting = new Promise<void>((resolve) => this.waiters.push(resolve));
    for (const fn of [...this.contention]) fn();
    return waiting;
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free = Math.min(this.size, this.free + 1);
  }
}

/** Bounds bytes in flight: `acquire(n)` waits until n bytes fit (an item larger than the whole budget waits for it all). */
export class ByteBudget {
  private used = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly limit: number) {}

  acquire(bytes: number): Promise<number> {
    const n = Math.min(Math.max(bytes, 1), this.limit);
    if (this.waiters.length === 0 && this.used + n <= this.limit) {
      this.used += n;
      return Promise.resolve(n);
    }
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(n) }));
  }

  /** Takes `bytes` (at most the whole budget) only if they fit now and nobody waits; else undefined. */
  tryAcquire(bytes: number): number | undefined {
    const n = Math.min(Math.max(bytes, 1), this.limit);
    if (this.waiters.length > 0 || this.used + n > this.limit) return undefined;
    this.used += n;
    return n;
  }

  release(n: number): void {
    this.used -= n;
    while (this.waiters.length > 0) {
      const head = this.waiters[0] as { n: number; resolve: () => void };
      if (this.used + head.n > this.limit) break;
      this.waiters.shift();
      this.used += head.n;
      head.resolve();
    }
  }
}

import type { SlotGate } from './semaphore.js';

/** Handed to a waiter when the connection it waited for could not be opened. */
const RETRY = Symbol('retry');
/** How long a closing connection keeps its server slot at most (its LOGOUT may never be answered). */
const CLOSE_GRACE_MS = 5000;

export interface PoolOptions<C> {
  /** Opens one connection (the pool holds a server slot for it). */
  open(): Promise<C>;
  close(conn: C): Promise<void>;
  /** False once a connection is broken: it is dropped instead of reused. */
  usable(conn: C): boolean;
  /** Most connections this pool opens. */
  max: number;
  /** The server-wide cap shared with every other pool on that server (in this process, or across workers). */
  slots: SlotGate;
}

/**
 * Connections of one account on one server. The first connection waits for a server slot; more
 * are opened only while slots are free, otherwise callers wait for one of this pool's own
 * connections. So a pool never waits on another pool while holding idle connections, and a
 * server-wide cap cannot deadlock.
 *
 * Fair share: while another pool waits for its first connection (the gate is contended), a pool
 * opens no more connections and closes those beyond its first as they become idle, so that the
 * slot goes to the waiter. Without it, the first mailboxes of a run took all six of the source's
 * slots and the third and fourth waited, idle, until one of them had finished.
 */
export class ConnectionPool<C> {
  private readonly idle: C[] = [];
  private readonly all = new Set<C>();
  private readonly waiters: ((c: C | null | typeof RETRY) => void)[] = [];
  private opening = 0;
  private closed = false;
  /** Listening to the gate's contention: from the first connection opened until close (a pool that never opened one, e.g. its login failed, never listens). */
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: PoolOptions<C>) {}

  /** Connections being closed: their slots go back once closed (discard). */
  private closing = 0;

  /**
   * True while another pool waits for its first slot and this one holds more than one connection
   * (and is not already giving one back).
   */
  private owesSlot(): boolean {
    return this.opts.slots.contended === true && this.all.size > 1 && this.closing === 0;
  }

  /** Gives idle connections beyond the first back to the server's slots while others wait for one. */
  private yieldIdle(): void {
    while (this.idle.length > 0 && this.owesSlot()) void this.discard(this.idle.shift() as C);
  }

  get size(): number {
    return this.all.size;
  }

  /** Runs `fn` on a connection; `prefer` picks an idle one (e.g. with the right folder open). */
  async use<R>(fn: (conn: C) => Promise<R>, prefer?: (conn: C) => boolean): Promise<R> {
    const conn = await this.take(prefer);
    try {
      return await fn(conn);
    } finally {
      this.give(conn);
    }
  }

  private async take(prefer?: (conn: C) => boolean): Promise<C> {
    if (this.closed) throw new Error('connection pool is closed');
    while (this.idle.length > 0) {
      const i = prefer ? Math.max(0, this.idle.findIndex(prefer)) : this.idle.length - 1;
      const conn = this.idle.splice(i, 1)[0] as C;
      if (this.opts.usable(conn)) return conn;
      await this.discard(conn);
    }
    const total = this.all.size + this.opening;
    // While another pool waits for its first connection, this one does not grow: a slot it just
    // gave back would otherwise come straight back to it (a gate whose waiters poll).
    if (total > 0 && this.opts.slots.contended === true) return this.waitForOwn(prefer);
    // The first connection may wait for a server slot; later ones only take a free slot.
    // `opening` is counted before any await so concurrent callers see this connection coming.
    const first = total === 0;
    if (total < this.opts.max) {
      this.opening++;
      let slot: boolean;
      try {
        if (first) {
          await this.opts.slots.acquire();
          slot = true;
        } else {
          slot = await this.opts.slots.tryAcquire();
        }
      } catch (err) {
        this.opening--;
        throw err;
      }
      if (!slot) {
        this.opening--;
        return this.waitForOwn(prefer);
      }
      try {
        const conn = await this.opts.open();
        this.all.add(conn);
        if (!this.closed) this.unsubscribe ??= this.opts.slots.onContention?.(() => this.yieldIdle()) ?? (() => undefined);
        return conn;
      } catch (err) {
        this.opts.slots.release();
        // A caller queued behind this attempt would wait forever: let it try on its own.
        this.waiters.shift()?.(RETRY);
        throw err;
      } finally {
        this.opening--;
      }
    }
    return this.waitForOwn(prefer);
  }

  /** Waits for one of this pool's own connections (given back, or a failed open's turn to retry). */
  private async waitForOwn(prefer?: (conn: C) => boolean): Promise<C> {
    // An own connection given back while we asked for a slot, or none of ours left to wait for.
    if (this.idle.length > 0 || this.all.size + this.opening === 0) return this.take(prefer);
    const conn = await new Promise<C | null | typeof RETRY>((resolve) => this.waiters.push(resolve));
    if (conn === null) throw new Error('connection pool is closed');
    if (conn === RETRY) return this.take(prefer);
    if (this.opts.usable(conn)) return conn;
    await this.discard(conn);
    return this.take(prefer);
  }

  private give(conn: C): void {
    // Own callers waiting or not: the connection goes to the pool that has none (they go on with the rest).
    if (this.owesSlot()) {
      void this.discard(conn);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(conn);
    else this.idle.push(conn);
  }

  /**
   * The slot is the server's: it goes back once the connection is closed (LOGOUT answered), so
   * the server never sees cap + 1; after CLOSE_GRACE_MS at most (a stalled peer's LOGOUT).
   */
  private async discard(conn: C): Promise<void> {
    if (!this.all.delete(conn)) return;
    this.closing++;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); });
    try {
      await Promise.race([this.opts.close(conn).catch(() => undefined), grace]);
    } finally {
      clearTimeout(timer);
      this.closing--;
      this.opts.slots.release();
    }
    // Another pool may still wait (one slot given back at a time).
    if (!this.closed) this.yieldIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const w of this.waiters.splice(0)) w(null);
    const conns = [...this.all];
    this.idle.length = 0;
    await Promise.all(conns.map((c) => this.discard(c)));
  }
}

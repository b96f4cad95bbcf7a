/**
 * Locks that must hold across worker processes on several machines, as PostgreSQL
 * session-level advisory locks on one dedicated connection per process (the "lock session"):
 *
 * - mailbox locks: one process migrates a mailbox at a time (the fence behind the job queue's
 *   lease — a worker wrongly presumed dead still holds its mailbox lock, so nobody else writes
 *   into that mailbox until it lets go);
 * - server slots: `cap` numbered locks per server; holding one = holding one connection to that
 *   server, so a per-server connection cap holds for all workers together.
 *
 * A process that dies loses its session and with it every lock, at once (SIGKILL closes the
 * socket). If the lock session drops while the process lives, the locks are gone too: `onLost`
 * fires and the owner must stop writing (the worker command exits so a supervisor restarts it).
 *
 * Keys are `hashtextextended(<namespace>:<name>, 0)`, 64-bit; a collision only makes two
 * mailboxes wait for each other. Advisory locks are re-entrant within one session, so the
 * session remembers what it holds and never asks for a held slot twice.
 */
import pg from 'pg';
import type { SlotGate } from '../util/semaphore.js';
import { describePostgresUrl, explainPgConnectError, withTlsDefault } from '../util/pg-tls.js';

const POLL_MIN_MS = 25;
const POLL_MAX_MS = 500;
/** How often a process whose pools hold connections to a server looks for another process waiting for its first. */
const WATCH_MS = 1000;

export class PgLockSession {
  private readonly heldSlots = new Map<string, number[]>();
  private readonly heldNamed = new Set<string>();
  private lostHandlers: ((err: Error) => void)[] = [];
  private lost: Error | undefined;
  private closing = false;
  /** Slot operations run one at a time, so two callers never take the same (re-entrant) slot. */
  private slotChain: Promise<unknown> = Promise.resolve();
  /** Queries on the one session run one after another (pg deprecates overlapping client.query calls). */
  private queryChain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: pg.Client) {
    const onLost = (err: Error) => {
      if (this.closing || this.lost) return;
      this.lost = err;
      for (const h of this.lostHandlers) h(err);
    };
    client.on('error', (err) => onLost(new Error(`the PostgreSQL lock session failed: ${err.message}`)));
    client.on('end', () => onLost(new Error('the PostgreSQL lock session ended')));
  }

  /** A lock session on its own connection (TLS with verification unless `url` says otherwise: pg-tls.ts). */
  static async open(url: string, applicationName = 'ums-migrate locks'): Promise<PgLockSession> {
    const client = new pg.Client({ connectionString: withTlsDefault(url), application_name: applicationName, keepAlive: true });
    try {
      await client.connect();
    } catch (err) {
      throw explainPgConnectError(err, describePostgresUrl(url));
    }
    return new PgLockSession(client);
  }

  /** Called once if the session drops: every lock it held is gone. */
  onLost(handler: (err: Error) => void): void {
    this.lostHandlers.push(handler);
    if (this.lost) handler(this.lost);
  }

  private check(): void {
    if (this.lost) throw this.lost;
  }

  private query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const run = () => this.client.query<R>(text, values);
    const next = this.queryChain.then(run, run);
    this.queryChain = next.catch(() => undefined);
    return next;
  }

  private async tryKey(key: string): Promise<boolean> {
    this.check();
    const r = await this.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [key]);
    return r.rows[0]?.ok === true;
  }

  private async unlockKey(key: string): Promise<void> {
    if (this.lost) return; // the locks went with the session
    await this.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
  }

  /** Takes the mailbox lock if free (false: another process holds it). */
  tryLockMailbox(name: string): Promise<boolean> {
    return this.tryNamed(`ums-mailbox:${name}`);
  }

  unlockMailbox(name: string): Promise<void> {
    return this.unlockNamed(`ums-mailbox:${name}`);
  }

  /** Takes a named lock if free (e.g. the run lock of a state store). */
  async tryNamed(key: string): Promise<boolean> {
    if (this.heldNamed.has(key)) return false; // re-entrant in PostgreSQL, not for us
    const ok = await this.tryKey(key);
    if (ok) this.heldNamed.add(key);
    return ok;
  }

  async unlockNamed(key: string): Promise<void> {
    if (!this.heldNamed.delete(key)) return;
    await this.unlockKey(key);
  }

  /** Who holds a named lock (the holder's application_name), when PostgreSQL can tell. */
  async holderOf(key: string): Promise<string | undefined> {
    const r = await this.query<{ name: string }>(`select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1 and l.database = (select oid from pg_database where datname = current_database())
        and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0) and l.pid <> pg_backend_pid()`, [key]);
    return r.rows[0]?.name || undefined;
  }

  /** A JobDeps fence: the mailbox lock, with its release. */
  fence(): (mailbox: string) => Promise<(() => Promise<void>) | null> {
    return async (mailbox) => ((await this.tryLockMailbox(mailbox)) ? () => this.unlockMailbox(mailbox) : null);
  }

  /** Which of `cap` slots of `server` this session took, or undefined when all are taken. */
  private async trySlot(server: string, cap: number): Promise<number | undefined> {
    const held = this.heldSlots.get(server) ?? [];
    if (held.length >= cap) return undefined;
    // Start at a random slot so processes do not all queue on slot 0.
    const start = Math.floor(Math.random() * cap);
    for (let k = 0; k < cap; k++) {
      const slot = (start + k) % cap;
      if (held.includes(slot)) continue;
      if (await this.tryKey(`ums-slot:${server}:${slot}`)) {
        held.push(slot);
        this.heldSlots.set(server, held);
        return slot;
      }
    }
    return undefined;
  }

  private async releaseSlot(server: string): Promise<void> {
    const slot = this.heldSlots.get(server)?.pop();
    if (slot !== undefined) await this.unlockKey(`ums-slot:${server}:${slot}`);
  }

  /** @internal Marks (or unmarks) this process as waiting for a slot of `server`: a shared lock others can see. */
  _markWaiting(server: string, on: boolean): Promise<void> {
    if (this.lost) return Promise.resolve();
    return this.query(`select ${on ? 'pg_advisory_lock_shared' : 'pg_advisory_unlock_shared'}(hashtextextended($1, 0))`, [`ums-slot-wait:${server}`]).then(() => undefined);
  }

  /** @internal Whether another process waits for a slot of `server` (see _markWaiting). */
  async _othersWaiting(server: string): Promise<boolean> {
    if (this.lost) return false;
    const r = await this.query<{ waiting: boolean }>(`select exists(select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 1
      and database = (select oid from pg_database where datname = current_database())
      and ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0) and pid <> pg_backend_pid()) as waiting`, [`ums-slot-wait:${server}`]);
    return r.rows[0]?.waiting === true;
  }

  /** Slots held now, per server (for status and tests). */
  held(): { locks: string[]; slots: Record<string, number> } {
    return { locks: [...this.heldNamed], slots: Object.fromEntries([...this.heldSlots].map(([s, h]) => [s, h.length])) };
  }

  /** A SlotGate for the pools of one server: at most `cap` connections across every process. */
  gate(server: string, cap: number): SlotGate {
    return new PgSlotGate(this, server, cap);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.slotChain.then(fn, fn);
    this.slotChain = next.catch(() => undefined);
    return next;
  }

  /** @internal */
  _try(server: string, cap: number): Promise<number | undefined> {
    return this.serial(() => this.trySlot(server, cap));
  }

  /** @internal */
  _release(server: string): Promise<void> {
    return this.serial(() => this.releaseSlot(server));
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client.end().catch(() => undefined);
  }
}

/**
 * Waits by polling the database, with backoff; releases are fire-and-forget (errors are loss of the
 * session). Contention (see SlotGate) across processes: a process waiting for a slot holds a shared
 * lock others can see; while its pools hold connections, a process looks for that lock every
 * WATCH_MS. Contended (a waiter here, or one seen elsewhere at the last look), its pools open no
 * more connections and close those beyond their first as they come free (ConnectionPool), until a
 * look finds nobody waiting.
 */
class PgSlotGate implements SlotGate {
  private readonly listeners = new Set<() => void>();
  /** Acquisitions of this gate waiting now (this process). */
  private waiting = 0;
  /** Another process waited for a slot of this server at the last look. */
  private waitingElsewhere = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly session: PgLockSession, private readonly server: string, private readonly cap: number) {}

  get contended(): boolean {
    return this.waiting > 0 || this.waitingElsewhere;
  }

  onContention(fn: () => void): () => void {
    this.listeners.add(fn);
    if (!this.timer) {
      this.timer = setInterval(() => void this.look().catch(() => undefined), WATCH_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.waitingElsewhere = false;
      }
    };
  }

  private fire(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private async look(): Promise<void> {
    // Also while holding one slot: a pool here must not take back, by growing, a slot given up for the waiter.
    const was = this.waitingElsewhere;
    this.waitingElsewhere = await this.session._othersWaiting(this.server);
    if (this.waitingElsewhere && !was) this.fire();
  }

  async tryAcquire(): Promise<boolean> {
    return (await this.session._try(this.server, this.cap)) !== undefined;
  }

  async acquire(): Promise<void> {
    if (await this.tryAcquire()) return;
    if (++this.waiting === 1) await this.session._markWaiting(this.server, true).catch(() => undefined);
    this.fire();
    try {
      let wait = POLL_MIN_MS;
      for (;;) {
        await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
        if (await this.tryAcquire()) return;
        wait = Math.min(POLL_MAX_MS, wait * 2);
      }
    } finally {
      if (--this.waiting === 0) await this.session._markWaiting(this.server, false).catch(() => undefined);
    }
  }

  release(): void {
    void this.session._release(this.server).catch(() => undefined);
  }
}

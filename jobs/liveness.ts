/**
 * Leases on top of graphile-worker. graphile-worker frees a locked job only after 4 hours; a
 * migration window cannot wait that long for a dead machine. So every worker process writes a
 * heartbeat row per graphile worker id it runs jobs under, and every process sweeps: a job
 * locked by an id whose heartbeat is older than the lease (or that never registered one) is
 * released with `forceUnlockWorkers`, and another worker takes it.
 *
 * Releasing is safe even when the presumed-dead worker still lives (a long GC pause, a network
 * partition): it still holds the mailbox's advisory lock (src/state/pg-locks.ts), so the new
 * taker cannot get the lock, fails that attempt, and the queue retries it later.
 */
import type { WorkerUtils } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import { reasonOf } from '../src/util/errors.js';
import { QUEUE_SCHEMA } from './queue.js';

export const LEASE_TABLE = 'ums_worker_leases';

export interface LivenessOptions {
  processId: string;
  host: string;
  leaseSeconds: number;
  heartbeatSeconds: number;
}

export class Liveness {
  private readonly ids = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly db: pg.Pool, private readonly utils: WorkerUtils, private readonly opts: LivenessOptions, private readonly log: Logger) {}

  static async ensureTable(db: pg.Pool): Promise<void> {
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query("select pg_advisory_xact_lock(hashtextextended('ums-worker-leases-ddl', 0))");
      await client.query(`create table if not exists ${LEASE_TABLE} (
        worker_id text primary key,
        process_id text not null,
        host text not null,
        pid integer not null,
        heartbeat_at timestamptz not null default now())`);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      this.beating = this.beat().then(() => undefined, (err: unknown) => { this.log.warn({ err: reasonOf(err) }, 'worker heartbeat failed'); });
    }, this.opts.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Records that this process runs jobs under graphile worker id `workerId`. */
  async register(workerId: string): Promise<void> {
    this.ids.add(workerId);
    await this.db.query(`insert into ${LEASE_TABLE} (worker_id, process_id, host, pid) values ($1, $2, $3, $4)
      on conflict (worker_id) do update set process_id = excluded.process_id, host = excluded.host, pid = excluded.pid, heartbeat_at = now()`,
    [workerId, this.opts.processId, this.opts.host, process.pid]);
  }

  /** Heartbeat for this process's ids, then release jobs of workers whose lease expired. */
  async beat(): Promise<string[]> {
    if (this.ids.size > 0) await this.db.query(`update ${LEASE_TABLE} set heartbeat_at = now() where worker_id = any($1::text[])`, [[...this.ids]]);
    const lease = this.opts.leaseSeconds;
    const stale = await this.db.query<{ locked_by: string }>(`select distinct j.locked_by from ${QUEUE_SCHEMA}.jobs j
      where j.locked_by is not null and j.locked_at < now() - make_interval(secs => $1)
        and not exists (select 1 from ${LEASE_TABLE} l where l.worker_id = j.locked_by and l.heartbeat_at > now() - make_interval(secs => $1))`, [lease]);
    const dead = stale.rows.map((r) => r.locked_by).filter((id) => !this.ids.has(id));
    if (dead.length > 0) {
      await this.utils.forceUnlockWorkers(dead);
      await this.db.query(`delete from ${LEASE_TABLE} where worker_id = any($1::text[])`, [dead]);
      this.log.warn({ workers: dead, leaseSeconds: lease }, 'released the jobs of workers whose lease expired; other workers take them over');
    }
    await this.db.query(`delete from ${LEASE_TABLE} where heartbeat_at < now() - make_interval(secs => $1)`, [lease * 20]);
    return dead;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    if (this.ids.size > 0) await this.db.query(`delete from ${LEASE_TABLE} where worker_id = any($1::text[])`, [[...this.ids]]).catch(() => undefined);
  }
}

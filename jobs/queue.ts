/**
 * The mailbox job queue, on graphile-worker (PostgreSQL, `FOR UPDATE SKIP LOCKED`, retries with
 * exponential backoff). Glossary: a queue job = one mailbox pair to migrate or sync; its key is
 * `mailbox:<source login>`, so enqueuing a mailbox that is already waiting replaces its payload
 * instead of queueing it twice. Payloads hold logins only — passwords come from each worker's
 * own config (env vars / files on that machine), never from the database.
 */
import { Logger as GraphileLogger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import type { Logger } from 'pino';
import { z } from 'zod';
import { describePostgresUrl, explainPgConnectError, withTlsDefault } from '../src/util/pg-tls.js';

export const MIGRATE_MAILBOX_TASK = 'ums_migrate_mailbox';
export const QUEUE_SCHEMA = 'graphile_worker';

const payloadSchema = z.object({
  source: z.string().min(1),
  target: z.string().min(1),
  onlyFailed: z.boolean().optional(),
}).strict();

export type MailboxPayload = z.infer<typeof payloadSchema>;

/** Validates a payload read from the queue (anything else is a permanent, named error). */
export function parseMailboxPayload(raw: unknown): MailboxPayload {
  const r = payloadSchema.safeParse(raw);
  if (!r.success) {
    // Names the keys, never the values (a payload is not a place for secrets, nor is a log).
    const keys = raw !== null && typeof raw === 'object' ? `{${Object.keys(raw).join(', ')}}` : String(raw === null ? 'null' : typeof raw);
    throw new Error(`malformed ${MIGRATE_MAILBOX_TASK} payload ${keys}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  }
  return r.data;
}

export const mailboxJobKey = (source: string) => `mailbox:${source}`;

/** graphile-worker's log lines go to our pino logger (JSON, redacted) instead of the console. */
export function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const fields = { queue: true, ...(meta ?? {}) };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.info(fields, message);
    else log.debug(fields, message);
  });
}

/**
 * The queue's utilities on their own pool (TLS with verification unless `url` says otherwise:
 * src/util/pg-tls.ts). makeWorkerUtils connects at once: a refused certificate or a server
 * without TLS is reported here, with what to do.
 */
export async function queueUtils(url: string, log: Logger): Promise<WorkerUtils> {
  try {
    return await makeWorkerUtils({ connectionString: withTlsDefault(url), schema: QUEUE_SCHEMA, logger: graphileLogger(log) });
  } catch (err) {
    throw explainPgConnectError(err, describePostgresUrl(url));
  }
}

export interface EnqueueOptions {
  maxAttempts: number;
  onlyFailed?: boolean;
}

/** Adds (or refreshes) one job per mailbox; returns how many were added. */
export async function enqueueMailboxes(utils: WorkerUtils, mailboxes: { source: string; target: string }[], opts: EnqueueOptions): Promise<number> {
  await utils.migrate();
  let n = 0;
  for (const m of mailboxes) {
    const payload: MailboxPayload = { source: m.source, target: m.target, ...(opts.onlyFailed ? { onlyFailed: true } : {}) };
    await utils.addJob(MIGRATE_MAILBOX_TASK, payload, { jobKey: mailboxJobKey(m.source), jobKeyMode: 'replace', maxAttempts: opts.maxAttempts });
    n++;
  }
  return n;
}

export interface QueueRow {
  mailbox: string;
  state: 'waiting' | 'running' | 'failed';
  attempts: number;
  maxAttempts: number;
  lockedBy: string | null;
  runAt: string;
  lastError: string | null;
}

/** The queue as `status` shows it: every mailbox job, waiting, running, or failed for good. */
export async function queueRows(query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }>): Promise<QueueRow[] | undefined> {
  const exists = await query(`select to_regclass('${QUEUE_SCHEMA}.jobs') is not null as ok`);
  if (exists.rows[0]?.ok !== true) return undefined;
  const r = await query(`select key, attempts, max_attempts, locked_by, run_at, last_error
    from ${QUEUE_SCHEMA}.jobs where task_identifier = '${MIGRATE_MAILBOX_TASK}' order by key`);
  return r.rows.map((row) => {
    const attempts = Number(row.attempts);
    const maxAttempts = Number(row.max_attempts);
    const key = String(row.key ?? '');
    return {
      mailbox: key.startsWith('mailbox:') ? key.slice('mailbox:'.length) : key,
      state: row.locked_by ? 'running' : attempts >= maxAttempts ? 'failed' : 'waiting',
      attempts, maxAttempts, lockedBy: (row.locked_by as string | null) ?? null,
      runAt: new Date(row.run_at as string).toISOString(), lastError: (row.last_error as string | null) ?? null,
    };
  });
}

/**
 * The directory sync's trail in `logging.file` (pino, src/log.ts): one line per LDAP write with
 * the DN and the change (add: the attributes; modify: each operation with its values; delete),
 * one per failed write with the server's reason, one per refused entry with its name and reason,
 * the deprovisioning outcome and a summary. Values of password-like attributes (userPassword,
 * unicodePwd, …: the sync never writes them, but a custom profile could name one) are replaced by
 * "[redacted]" before logging; the logger itself scrubs every resolved secret.
 */
import type { Logger } from 'pino';
import type { EntryProblem, PlannedWrite } from './plan.js';

const SECRET_ATTRIBUTE = /pass|pwd|secret|token/i;

const safe = (attribute: string, values: readonly string[]): string[] => (SECRET_ATTRIBUTE.test(attribute) ? values.map(() => '[redacted]') : [...values]);

/** A write as a log record: `{ dn, change, entry, attributes | changes }`. */
export function writeRecord(w: PlannedWrite): Record<string, unknown> {
  const base = { dn: w.dn, change: w.kind, entry: w.entry };
  if (w.kind === 'add') return { ...base, attributes: Object.fromEntries(Object.entries(w.attributes).map(([k, v]) => [k, safe(k, v)])) };
  if (w.kind === 'delete') return base;
  return { ...base, changes: w.changes.map((c) => ({ op: c.op, attribute: c.attribute, values: safe(c.attribute, c.values) })) };
}

export function logWrite(log: Logger | undefined, w: PlannedWrite, error?: string): void {
  if (log === undefined) return;
  if (error === undefined) log.info({ directory: writeRecord(w) }, `directory sync: ${w.kind} ${w.dn}`);
  else log.error({ directory: writeRecord(w), reason: error }, `directory sync: ${w.kind} ${w.dn} failed`);
}

export function logProblems(log: Logger | undefined, errors: readonly EntryProblem[], warnings: readonly EntryProblem[]): void {
  if (log === undefined) return;
  for (const e of errors) log.warn({ entry: e.entry, reason: e.reason }, `directory sync: ${e.entry} refused or failed: ${e.reason}`);
  for (const w of warnings) log.info({ entry: w.entry, reason: w.reason }, `directory sync: ${w.entry}: ${w.reason}`);
}

/**
 * The progress report as CSV: one row per mailbox, for spreadsheets.
 *
 * Format: UTF-8 with a byte order mark (so Excel reads non-ASCII logins right), CRLF line ends,
 * comma separated, RFC 4180 quoting (a field with a comma, a quote, CR or LF is put in double
 * quotes, quotes doubled). Times are ISO 8601 in UTC (`2025-05-01T14:03:07.123Z`), numbers are
 * plain (no thousands separator, `.` as the decimal point), an unknown value is an empty field.
 * Text fields that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get
 * a leading single quote (CSV injection guard); numbers are never changed.
 *
 * Columns, in this order:
 *   batch            the group the mailbox is reported in: its wave when mailboxes have waves,
 *                    else the domain of the source login
 *   source           source login
 *   target           UMS login
 *   state            pending | running | done | failed (see reports/model.ts)
 *   progress_percent items done / items total × 100, one decimal, rounded down
 *   folders_done, folders_failed, folders_total
 *   mail_done, mail_total, mail_bytes_done, mail_bytes_total
 *   events_done, events_total, contacts_done, contacts_total, tasks_done, tasks_total
 *                    each kind counted from the folders and collections holding it (calendars,
 *                    address books, task lists); done never above total. A *_bytes_total is
 *                    empty while a folder or collection of that kind has no known size (never 0).
 *   failed_items     items that failed (retried by the next run)
 *   skipped_items    items skipped on purpose (e.g. over the size limit)
 *   errors           failed items + failed folders
 *   items_per_second items of every kind (messages, events, contacts, tasks) per second over the
 *                    mailbox's active period, two decimals; empty before any write
 *   eta_seconds      migration time still needed at the recent pace; empty when unknown
 *   first_activity   ISO time of the first written item; empty before any
 *   last_sync        ISO time of the last change recorded for the mailbox; empty before any
 *   generated_at     ISO time the report was made (the same on every row)
 *   wave             the mailbox's cutover wave; empty when it has none
 *   events_bytes_done, events_bytes_total, contacts_bytes_done, contacts_bytes_total,
 *   tasks_bytes_done, tasks_bytes_total   as mail_bytes_*
 *   not_migrated_folders   folders the mailbox's last run did not migrate (a PST journal, calendars
 *                    without a groupware target, folders the config leaves out: `status` and the
 *                    HTML report list them with the reason)
 *   not_migrated_items     the items in them, in no other column; empty when a folder could not
 *                    be counted
 */
import type { MailboxReport, ProgressReport } from './model.js';
import { csvCell, type Cell } from '../src/util/csv-cell.js';

export { csvCell } from '../src/util/csv-cell.js';

export const CSV_COLUMNS = [
  'batch', 'source', 'target', 'state', 'progress_percent',
  'folders_done', 'folders_failed', 'folders_total',
  'mail_done', 'mail_total', 'mail_bytes_done', 'mail_bytes_total',
  'events_done', 'events_total', 'contacts_done', 'contacts_total', 'tasks_done', 'tasks_total',
  'failed_items', 'skipped_items', 'errors', 'items_per_second', 'eta_seconds', 'first_activity', 'last_sync', 'generated_at',
  'wave', 'events_bytes_done', 'events_bytes_total', 'contacts_bytes_done', 'contacts_bytes_total', 'tasks_bytes_done', 'tasks_bytes_total',
  'not_migrated_folders', 'not_migrated_items',
] as const;

export function renderCsv(report: ProgressReport): string {
  const lines = [CSV_COLUMNS.map((c) => csvCell(c)).join(',')];
  for (const m of report.mailboxes) lines.push(row(m, report.generatedAt).map(csvCell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function row(m: MailboxReport, generatedAt: string): Cell[] {
  return [
    m.batch, m.source, m.target, m.state, Math.floor(m.progress * 1000) / 10,
    m.folders.done, m.folders.failed, m.folders.total,
    m.items.mail.done, m.items.mail.total, m.bytes.mail.done, m.bytes.mail.total,
    m.items.events.done, m.items.events.total, m.items.contacts.done, m.items.contacts.total, m.items.tasks.done, m.items.tasks.total,
    m.failedItems, m.skippedItems, m.errors,
    m.throughput === null ? null : Math.round(m.throughput * 100) / 100,
    m.etaSeconds, isoOrNull(m.firstActivityAt), isoOrNull(m.lastSyncAt), isoOrNull(generatedAt),
    m.wave, m.bytes.events.done, m.bytes.events.total, m.bytes.contacts.done, m.bytes.contacts.total, m.bytes.tasks.done, m.bytes.tasks.total,
    m.notMigrated.folders, m.notMigrated.uncounted > 0 ? null : m.notMigrated.items,
  ];
}

function isoOrNull(s: string | null): string | null {
  if (s === null) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

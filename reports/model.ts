/**
 * The progress report's model: a pure function of what the state store holds (no server is
 * contacted, no clock is read: `generatedAt` is passed in). The HTML, CSV and JSON renderers in
 * this folder only format a `ProgressReport`; the JSON file is this object as it is, so field
 * names here are a public format (bump `schemaVersion` when one changes meaning).
 *
 * Definitions (also in the HTML report's footnotes):
 * - State of a mailbox: `failed` when one of its folders failed or one of its items failed (failed
 *   items are retried by the next run); `done` when it has folders, all of them are done and no
 *   item failed (skipped items, e.g. over `filters.maxMessageSize`, do not stop a mailbox from
 *   being done); `running` when some work happened (a folder is running or done, or items were
 *   written); `pending` otherwise.
 * - Items and bytes are counted per kind (`mail`, `events`, `contacts`, `tasks`) over the
 *   containers of the latest inventory (reports/kinds.ts). Done never exceeds total; a byte total
 *   is null (unknown, never 0) while a container of that kind has no known size.
 * - Throughput (items/s) is measured over the mailbox's *active period*: the time covered by its
 *   written items, where pauses longer than `ACTIVE_GAP_SECONDS` (between two runs, say) do not
 *   count. Recent throughput is the same over the last `RECENT_SECONDS` of the last active period.
 * - ETA (seconds) = items still to do / recent throughput: the time of migration still needed at
 *   the recent pace, not counting pauses between runs; 0 when done; null when unknown (nothing
 *   written yet, or nothing counted yet).
 *   Items not yet counted on the source (a mailbox whose folders were not listed yet) are not in
 *   the totals, so they are not in the ETA either.
 * - Batches: mailboxes are grouped by their cutover wave (the config's `wave:` / the user map's
 *   wave column) when any mailbox has one (those without are in "(no wave)"); otherwise by the
 *   domain part of the source login. `batchGrouping` tells which one a report used. A wave's
 *   batch also carries its consistency score and the state of its driven cutover, when known.
 */
import type { ContainerRow, FailedItemRow, MailboxSummary, ThroughputRow } from '../src/state/store.js';
import type { GroupwareReconcileSummary } from '../src/reconcile/groupware-summary.js';
import type { MailboxScore } from '../src/cutover/score.js';
import type { WaveState } from '../src/cutover/wave-state.js';
import { addInto, countsByMailbox, emptyBytes, emptyItems, sumDone, sumTotal, type ByType, type BytesByType } from './kinds.js';
import { NO_WAVE, waveCutover, waveScore, type WaveCutover } from './waves.js';
import { notMigratedItems, type MailboxNotMigrated } from '../src/engine/not-migrated.js';
import { combine, eta, rates, series, type Bucket, type ThroughputSeries } from './throughput.js';

export { ACTIVE_GAP_SECONDS, MAX_SERIES_POINTS, RECENT_SECONDS, type ThroughputPoint } from './throughput.js';

export { ITEM_TYPES, sumBytes, sumDone, sumTotal, type ByType, type ByteCount, type BytesByType, type DoneTotal, type ItemType } from './kinds.js';

/** 2: kinds counted apart, a byte total may be null (unknown); mailboxes carry `wave`; batches may be waves (`batchGrouping: 'wave'`). */
export const REPORT_SCHEMA_VERSION = 2;
/** How many of the most frequent problem reasons the report lists. */
export const MAX_PROBLEM_REASONS = 10;

export type MailboxState = 'pending' | 'running' | 'done' | 'failed';
export const MAILBOX_STATES: readonly MailboxState[] = ['pending', 'running', 'done', 'failed'];
export interface StateCounts {
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export interface MailboxReport {
  id: number;
  source: string;
  target: string;
  /** The group the mailbox is reported in: its wave, or the domain of its source login (see `batchGrouping`). */
  batch: string;
  /** The cutover wave from the config; null when it has none. */
  wave: string | null;
  state: MailboxState;
  folders: { done: number; failed: number; total: number };
  items: ByType;
  bytes: BytesByType;
  /** Items done / items total over all types, 0..1 (1 for a done mailbox with nothing in it). */
  progress: number;
  failedItems: number;
  skippedItems: number;
  /** Failed items + failed folders. */
  errors: number;
  /** Items per second over the active period; null before anything was written. */
  throughput: number | null;
  recentThroughput: number | null;
  /** Seconds of migration still needed at the recent pace; 0 when done; null when unknown. */
  etaSeconds: number | null;
  /** ISO time of the first written item (null before any). */
  firstActivityAt: string | null;
  /** ISO time of the last change in the state store for this mailbox (null before any). */
  lastSyncAt: string | null;
  /** False until its folders were listed and counted (by `plan` or a run): its totals are then unknown, not in any total. */
  counted: boolean;
  /** Folders its last pass did not migrate (engine/not-migrated.ts): their items, in no count above; `uncounted` folders the source could not count. */
  notMigrated: { folders: number; items: number; uncounted: number };
}

export interface BatchReport {
  name: string;
  mailboxes: number;
  states: StateCounts;
  items: ByType;
  bytes: BytesByType;
  progress: number;
  failedItems: number;
  skippedItems: number;
  errors: number;
  /** Waves only: items in the UMS / items on the source over the wave's scored mailboxes (null: nothing counted). */
  score?: number | null;
  /** Waves only: the driven cutover (`cutover --wave W --final-sync`), when one ran. */
  cutover?: WaveCutover;
}

export interface TotalsReport extends Omit<BatchReport, 'name' | 'score' | 'cutover'> {
  folders: { done: number; failed: number; total: number };
  /** Mailboxes not counted yet (`counted: false`): the totals, % and time left leave them out. */
  uncounted: number;
  throughput: number | null;
  recentThroughput: number | null;
  etaSeconds: number | null;
  firstActivityAt: string | null;
  lastSyncAt: string | null;
}

export interface ProblemReason {
  status: 'failed' | 'skipped' | 'done';
  /** The server's or the engine's words, with e-mail addresses replaced by `<address>`. */
  reason: string;
  count: number;
  mailboxes: number;
}

export interface ProgressReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  /** How mailboxes were put into batches: by cutover wave, or (no mailbox has a wave) by the domain of the source login. */
  batchGrouping: 'wave' | 'source-domain';
  totals: TotalsReport;
  batches: BatchReport[];
  /** All mailboxes together, over time; buckets without writes are present with zeros. */
  throughput: ThroughputSeries;
  mailboxes: MailboxReport[];
  /** The most frequent reasons of failed and skipped items (at most MAX_PROBLEM_REASONS). */
  problemReasons: ProblemReason[];
  /** The last `reconcile` of calendars, task lists and address books (counts per collection), when one ran. */
  groupwareReconcile?: GroupwareReconcileSummary;
  /** Per mailbox: items source vs UMS by type, failed/skipped with reasons, approval (src/cutover/score.ts); reasons without addresses. */
  cutoverScores?: MailboxScore[];
  /** The folders not migrated, per mailbox with any (reasons without addresses); absent when there are none. */
  notMigrated?: MailboxNotMigrated[];
}

export interface ProgressReportInput {
  generatedAt: Date;
  mailboxes: MailboxSummary[];
  containers: ContainerRow[];
  problems: FailedItemRow[];
  throughput: ThroughputRow[];
  /** The bucket size `throughput` was read with (`ProgressReader.throughput(bucketSeconds)`); default 1. */
  bucketSeconds?: number;
  groupwareReconcile?: GroupwareReconcileSummary;
  cutoverScores?: MailboxScore[];
  /** The configured wave of each mailbox, by `source\0target` (src/cutover/approvals.ts mailboxKey). */
  waves?: ReadonlyMap<string, string>;
  /** The state of each wave's driven cutover, where one ran. */
  waveStates?: readonly WaveState[];
  /** The folders each mailbox's last pass did not migrate (engine/last-pass.ts). */
  notMigrated?: readonly MailboxNotMigrated[];
}

export function buildProgressReport(input: ProgressReportInput): ProgressReport {
  const bucket = Math.max(1, Math.floor(input.bucketSeconds ?? 1));
  const seriesByMailbox = new Map<string, Bucket[]>();
  for (const r of input.throughput) {
    const list = seriesByMailbox.get(r.mailbox) ?? [];
    list.push({ t: Date.parse(r.at) / 1000, items: r.items, bytes: r.bytes });
    seriesByMailbox.set(r.mailbox, list);
  }
  const byWave = [...(input.waves?.values() ?? [])].length > 0;
  const containersByMailbox = new Map<number, ContainerRow[]>();
  for (const c of input.containers) {
    const list = containersByMailbox.get(c.mailboxId) ?? [];
    list.push(c);
    containersByMailbox.set(c.mailboxId, list);
  }

  const counts = countsByMailbox(input.mailboxes, input.containers);
  const notMigrated = (input.notMigrated ?? []).filter((m) => m.folders.length > 0).map((m) => ({
    ...m, folders: m.folders.map((f) => ({ ...f, reason: redactAddresses(f.reason), ...(f.countError !== undefined ? { countError: redactAddresses(f.countError) } : {}) })),
  }));
  const notMigratedOf = new Map(notMigrated.map((m) => [`${m.source}\u0000${m.target}`, m.folders]));
  const mailboxes = input.mailboxes.map((m): MailboxReport => {
    const containers = containersByMailbox.get(m.id) ?? [];
    const state = mailboxState(m, containers);
    const { items, bytes, counted } = counts.get(m.id) ?? { items: emptyItems(), bytes: emptyBytes(), counted: false };
    const rate = rates(seriesByMailbox.get(m.source) ?? [], bucket);
    const remaining = Math.max(0, sumTotal(items) - sumDone(items) - m.skippedItems);
    const wave = input.waves?.get(`${m.source}\u0000${m.target}`) ?? null;
    const skippedFolders = notMigratedOf.get(`${m.source}\u0000${m.target}`) ?? [];
    return {
      id: m.id,
      source: m.source,
      target: m.target,
      batch: byWave ? (wave ?? NO_WAVE) : batchOf(m.source),
      wave,
      state,
      folders: { done: m.containersDone, failed: m.containersFailed, total: m.containers },
      items,
      bytes,
      progress: progressOf(items, state === 'done'),
      failedItems: m.failedItems,
      skippedItems: m.skippedItems,
      errors: m.failedItems + m.containersFailed,
      throughput: rate.throughput,
      recentThroughput: rate.recent,
      etaSeconds: state === 'done' ? 0 : sumTotal(items) === 0 ? null : eta(remaining, rate.recent),
      firstActivityAt: rate.firstAt,
      lastSyncAt: iso(m.updatedAt),
      counted,
      notMigrated: { folders: skippedFolders.length, ...notMigratedItems(skippedFolders) },
    };
  }).sort((a, b) => groupOrder(a.batch, b.batch) || cmp(a.source, b.source) || a.id - b.id);

  const batchNames = [...new Set(mailboxes.map((m) => m.batch))];
  const batches = batchNames.map((name): BatchReport => {
    const members = mailboxes.filter((m) => m.batch === name);
    const batch: BatchReport = { name, ...aggregate(members) };
    if (!byWave || name === NO_WAVE) return batch;
    if (input.cutoverScores) batch.score = waveScore(members, input.cutoverScores);
    const ws = input.waveStates?.find((w) => w.wave === name);
    if (ws) batch.cutover = waveCutover(ws);
    return batch;
  });

  const all = aggregate(mailboxes);
  const combined = combine(input.throughput);
  const totalRate = rates(combined, bucket);
  const remaining = mailboxes.reduce((n, m) => n + Math.max(0, sumTotal(m.items) - sumDone(m.items) - m.skippedItems), 0);
  const lastSync = mailboxes.map((m) => m.lastSyncAt).filter((s): s is string => s !== null).sort().at(-1) ?? null;
  const totals: TotalsReport = {
    ...all,
    folders: {
      done: mailboxes.reduce((n, m) => n + m.folders.done, 0),
      failed: mailboxes.reduce((n, m) => n + m.folders.failed, 0),
      total: mailboxes.reduce((n, m) => n + m.folders.total, 0),
    },
    throughput: totalRate.throughput,
    recentThroughput: totalRate.recent,
    uncounted: mailboxes.filter((m) => !m.counted).length,
    etaSeconds: mailboxes.length > 0 && all.states.done === mailboxes.length ? 0 : remaining === 0 ? null : eta(remaining, totalRate.recent),
    firstActivityAt: totalRate.firstAt,
    lastSyncAt: lastSync,
  };

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    batchGrouping: byWave ? 'wave' : 'source-domain',
    totals,
    batches,
    throughput: series(combined, bucket),
    mailboxes,
    problemReasons: problemReasons(input.problems),
    ...(notMigrated.length > 0 ? { notMigrated } : {}),
    ...(input.groupwareReconcile ? { groupwareReconcile: input.groupwareReconcile } : {}),
    ...(input.cutoverScores ? {
      cutoverScores: input.cutoverScores.map((s) => ({
        ...s, reasons: s.reasons.map((r) => ({ ...r, reason: redactAddresses(r.reason) })),
        approval: s.approval && { ...s.approval, reason: redactAddresses(s.approval.reason) },
      })),
    } : {}),
  };
}

/** Groups in name order, "(no wave)" last. */
function groupOrder(a: string, b: string): number {
  return Number(a === NO_WAVE) - Number(b === NO_WAVE) || cmp(a, b);
}

/** The batch a mailbox belongs to (without waves): the domain of its source login, lower-cased. */
export function batchOf(source: string): string {
  const at = source.lastIndexOf('@');
  const domain = at >= 0 ? source.slice(at + 1).trim().toLowerCase() : '';
  return domain === '' ? '(no domain)' : domain;
}

export function mailboxState(m: MailboxSummary, containers: ContainerRow[]): MailboxState {
  if (m.containersFailed > 0 || m.failedItems > 0) return 'failed';
  if (m.containers > 0 && m.containersDone === m.containers) return 'done';
  if (m.containersDone > 0 || m.doneItems > 0 || m.skippedItems > 0 || containers.some((c) => c.status === 'running')) return 'running';
  return 'pending';
}

/** Replaces anything that looks like an e-mail address (a correspondent's, maybe) by `<address>`. */
export function redactAddresses(text: string): string {
  return text.replace(/<?[^\s<>@"',;:()[\]]+@[^\s<>@"',;:()[\]]+\.[^\s<>@"',;:()[\]]+>?/g, '<address>');
}

function aggregate(list: MailboxReport[]): Omit<BatchReport, 'name' | 'score' | 'cutover'> {
  const states: StateCounts = { pending: 0, running: 0, done: 0, failed: 0 };
  const items = emptyItems();
  const bytes = emptyBytes();
  let failedItems = 0;
  let skippedItems = 0;
  let errors = 0;
  for (const m of list) {
    states[m.state]++;
    addInto(items, bytes, m);
    failedItems += m.failedItems;
    skippedItems += m.skippedItems;
    errors += m.errors;
  }
  return {
    mailboxes: list.length, states, items, bytes,
    progress: progressOf(items, list.length > 0 && states.done === list.length),
    failedItems, skippedItems, errors,
  };
}

function problemReasons(problems: FailedItemRow[]): ProblemReason[] {
  const groups = new Map<string, { status: FailedItemRow['status']; reason: string; count: number; mailboxes: Set<string> }>();
  for (const p of problems) {
    const reason = truncate(redactAddresses(p.reason.replace(/\s+/g, ' ').trim()) || '(no reason given)', 200);
    const key = `${p.status}\u0000${reason}`;
    const g = groups.get(key) ?? { status: p.status, reason, count: 0, mailboxes: new Set<string>() };
    g.count++;
    g.mailboxes.add(p.mailbox);
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || cmp(a.status, b.status) || cmp(a.reason, b.reason))
    .slice(0, MAX_PROBLEM_REASONS)
    .map((g) => ({ status: g.status, reason: g.reason, count: g.count, mailboxes: g.mailboxes.size }));
}

function progressOf(items: ByType, done: boolean): number {
  const total = sumTotal(items);
  if (total === 0) return done ? 1 : 0;
  return Math.min(1, sumDone(items) / total);
}

function iso(s: string | null): string | null {
  if (s === null) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `report`: the progress report for project managers, as one self-contained HTML file, CSV (one
 * row per mailbox) or JSON. Read from the state store like `status` (no server is contacted, no
 * run lock is taken: a report can be made while a run is going on). Mailboxes listed in the
 * config that no run has touched yet are included as pending; their waves (config `wave:` or the
 * user map's wave column) group the report, with each wave's driven-cutover state.
 *
 * The file is written atomically and private (0600), through an exclusively created temporary
 * file beside it (src/util/private-file.ts).
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printOut } from '../cli/output.js';
import { openStateStore } from '../state/open.js';
import type { ContainerRow, FailedItemRow, KeyValueStore, MailboxSummary, ProgressReader, RoutingStore, StateStore, ThroughputRow } from '../state/store.js';

/** What the report reads: progress, the reconcile summary and waves, the audit's approvals. */
export type ReportStore = ProgressReader & KeyValueStore & Pick<RoutingStore, 'routingAudit'>;
import { buildProgressReport, type ProgressReport } from '../../reports/model.js';
import { renderCsv } from '../../reports/csv.js';
import { renderHtml } from '../../reports/html.js';
import { renderJson } from '../../reports/json.js';
import { loadScores, type MailboxScore } from '../cutover/score.js';
import { mailboxKey } from '../cutover/approvals.js';
import { waveNames } from '../cutover/members.js';
import { loadWave, type WaveState } from '../cutover/wave-state.js';
import { writePrivateFile } from '../util/private-file.js';
import { GROUPWARE_RECONCILE_KEY, parseSummary, type GroupwareReconcileSummary } from '../reconcile/groupware-summary.js';
import { coerceError } from '../util/errors.js';
import { readNotMigrated } from '../engine/last-pass.js';
import type { MailboxNotMigrated } from '../engine/not-migrated.js';

export const REPORT_FORMATS = ['html', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** Throughput is read per second; the model derives rates and re-buckets the chart from it. */
const THROUGHPUT_BUCKET_SECONDS = 1;

export interface ReportOptions {
  config: string;
  out: string;
  format?: ReportFormat;
  /**
   * Allows subjects and correspondents' addresses in item-level sections. The report has no
   * item-level section yet, so this changes nothing today; without it they are never shown.
   */
  showSubjects?: boolean;
}

/** `--format` when given, else the extension of `--out` (.html/.htm, .csv, .json), else html. */
export function reportFormat(out: string, format?: string): ReportFormat {
  if (format !== undefined) {
    if ((REPORT_FORMATS as readonly string[]).includes(format)) return format as ReportFormat;
    throw new Error(`unknown report format "${format}" (expected ${REPORT_FORMATS.join(', ')})`);
  }
  const ext = extname(out).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : 'html';
}

export async function reportCommand(opts: ReportOptions): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const format = reportFormat(opts.out, opts.format);
  const report = await loadProgressReport(loaded, new Date());
  const text = format === 'html' ? renderHtml(report) : format === 'csv' ? renderCsv(report) : renderJson(report);
  try {
    await writePrivateFile(opts.out, text);
  } catch (err) {
    printErr(`ums-migrate: cannot write ${opts.out}: ${coerceError(err).message}\n`);
    return EXIT.ERROR;
  }
  const n = report.mailboxes.length;
  printOut(`Report written: ${opts.out} (${format}, ${n} ${n === 1 ? 'mailbox' : 'mailboxes'})\n`);
  return EXIT.OK;
}

/**
 * The report's model from the state store and the config (the `report` command and the live
 * dashboard use the same). `store`: one the caller keeps open (the dashboard); without it the
 * store is opened and closed here, and with no SQLite state file yet every configured mailbox is
 * pending and no file is created.
 */
export async function loadProgressReport(loaded: LoadedConfig, now: Date, store?: ReportStore): Promise<ProgressReport> {
  const { config } = loaded;
  let mailboxes: MailboxSummary[] = [];
  let containers: ContainerRow[] = [];
  let problems: FailedItemRow[] = [];
  let throughput: ThroughputRow[] = [];
  let groupwareReconcile: GroupwareReconcileSummary | undefined;
  let cutoverScores: MailboxScore[] | undefined;
  const waveStates: WaveState[] = [];
  let notMigrated: MailboxNotMigrated[] = [];
  const read = async (s: ReportStore) => {
    mailboxes = await s.mailboxes();
    notMigrated = await readNotMigrated(s, mailboxes);
    containers = await s.containers();
    problems = await s.problems();
    groupwareReconcile = parseSummary(await s.getCheckpointValue(GROUPWARE_RECONCILE_KEY));
    cutoverScores = await loadScores(s, mailboxes, { containers, problems, notMigrated });
    throughput = await s.throughput(THROUGHPUT_BUCKET_SECONDS);
    for (const wave of waveNames(loaded.mailboxes)) {
      const ws = await loadWave(s, wave);
      if (ws) waveStates.push(ws);
    }
  };
  if (store) {
    await read(store);
  } else if (!(config.state.driver === 'sqlite' && !existsSync(config.state.path))) {
    // No state file yet: every configured mailbox is pending, and the store is not created.
    const opened = await openReportStore(loaded);
    try {
      await read(opened);
    } finally {
      await opened.close();
    }
  }
  const known = new Set(mailboxes.map((m) => mailboxKey(m)));
  for (const m of loaded.mailboxes) {
    if (known.has(mailboxKey(m))) continue;
    known.add(mailboxKey(m));
    mailboxes.push(notStarted(m.source, m.target));
  }
  const waves = new Map<string, string>();
  for (const m of loaded.mailboxes) if (m.wave !== undefined) waves.set(mailboxKey(m), m.wave);
  return buildProgressReport({
    generatedAt: now, mailboxes, containers, problems, throughput, bucketSeconds: THROUGHPUT_BUCKET_SECONDS, groupwareReconcile, cutoverScores,
    waves, waveStates, notMigrated,
  });
}

/** Opens the configured state store; an error that does not name the SQLite file (e.g. a bare EISDIR) gets its path. */
export async function openReportStore(loaded: LoadedConfig): Promise<StateStore> {
  const { state } = loaded.config;
  try {
    return await openStateStore(state, { baseDir: loaded.baseDir });
  } catch (err) {
    const message = coerceError(err).message;
    if (state.driver !== 'sqlite' || message.includes(state.path)) throw err;
    throw new Error(`state.path ${state.path}: ${message}`);
  }
}

/** A configured mailbox that no run has registered yet (id 0: not in the state store). */
function notStarted(source: string, target: string): MailboxSummary {
  return {
    id: 0, source, target, containers: 0, containersDone: 0, containersFailed: 0, totalItems: 0, totalBytes: 0,
    doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, updatedAt: null,
  };
}

/**
 * A job: the configured mailboxes, each split into container tasks. Mailboxes run
 * `concurrency.mailboxes` at a time; container tasks share `concurrency.tasks` slots, fairly
 * between the mailboxes (fair-tasks.ts). A failure stays where it happened: an item failure is
 * recorded and the container goes on; a container failure is recorded and the mailbox goes on; a
 * mailbox failure (e.g. login refused) is recorded and the job goes on.
 */
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { FolderPlan, FolderRules } from '../../mappings/folders.js';
import { planContainers } from '../../mappings/groupware-collections.js';
import { DEFAULT_NAMESPACE, type Account, type SourceConnector, type SourceMailbox, type TargetConnector, type TargetMailbox } from '../model/types.js';
import { scrubbedWrites } from '../state/scrubbed-writes.js';
import type { CheckpointStore, KeyValueStore } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { retry, type RetryPolicy } from '../util/retry.js';
import { coversScope } from './checkpoint-codec.js';
import { runContainer } from './container-task.js';
import type { ContentTransform } from './content-transform.js';
import { guardListener, type EventListener } from './events.js';
import { FairTasks } from './fair-tasks.js';
import { containerName, heaviestFirst, itemsByTarget, settleTotals, takeInventory } from './inventory.js';
import { jobReport, type ContainerReport, type JobReport, type MailboxReport } from './job-report.js';
import { passScope, type ItemFilters } from './filters.js';
import { TargetClaims } from './target-claims.js';
import { ByteBudget } from '../util/semaphore.js';
import { readPass, recordPass } from './last-pass.js';
import { completeSource } from './derived-source.js';
import { countNotMigrated, notMigratedOf, type NotMigratedFolder } from './not-migrated.js';

export interface JobOptions {
  filters: ItemFilters;
  folders: FolderRules;
  /** Overrides the namespace the target reports. */
  namespace?: { prefix: string; delimiter: string };
  batchSize: number;
  writersPerTask: number;
  tasks: number;
  mailboxes: number;
  /**
   * Bytes of message content the run holds in memory at most (read, not yet written), shared by
   * every mailbox and folder of the run: four mailboxes at once hold no more than one.
   */
  byteBudget: number;
  retry: RetryPolicy;
  /** What later passes do with flag changes and deletions in the source (default: flags, ignore). */
  sync?: { flags: boolean; deletions: 'ignore' | 'mirror' };
  /** Only retry items that failed before (`retry --failed`). */
  onlyFailed?: boolean;
  /** Rewrites item content on its way to the target (e.g. mail.decodeTnef); see content-transform. */
  transform?: ContentTransform;
}

/** One mailbox of a job (glossary in src/model/types.ts): its two accounts. */
export interface MailboxPair {
  /** Display name and state key: the source login. */
  source: Account;
  target: Account;
}

export interface JobDeps {
  /** The checkpoints and item rows, and the last pass of each mailbox (last-pass.ts). */
  store: CheckpointStore & KeyValueStore;
  sources: SourceConnector;
  targets: TargetConnector;
  log: Logger;
  onEvent?: EventListener;
  signal?: AbortSignal;
  /**
   * A fence held while a mailbox is migrated, when other processes share the state store
   * (PostgreSQL advisory locks): returns a release function, or null when another process
   * holds it (the mailbox is then reported failed and left to that process).
   */
  fence?: (mailbox: string) => Promise<(() => Promise<void>) | null>;
}

export type { ContainerReport, JobReport, KindCounts, MailboxReport } from './job-report.js';

export async function runJob(jobDeps: JobDeps, jobs: MailboxPair[], opts: JobOptions): Promise<JobReport> {
  const started = Date.now();
  const deps = { ...jobDeps, store: scrubbedWrites(jobDeps.store) };
  const emit = guardListener(deps.onEvent, (err) => deps.log.error({ err: reasonOf(err) }, 'event listener failed'));
  const taskQueue = new FairTasks(opts.tasks);
  const mailboxQueue = new PQueue({ concurrency: opts.mailboxes });
  const budget = new ByteBudget(opts.byteBudget);
  await announceInventory(deps, jobs, opts, mailboxQueue, emit);
  const reports = await Promise.all(jobs.map((job) => mailboxQueue.add(() => runMailbox(deps, job, opts, { taskQueue, budget }, emit))));
  return jobReport(reports, started);
}

/**
 * Before any copying: every mailbox of the job gets its inventory (progress measures against all
 * of them, pending ones included). Mailboxes the store has none for (never planned or run) are
 * inventoried first when others are waiting too; the rest keep their recorded one until their pass
 * re-inventories them. Then one `inventory` event per mailbox.
 */
async function announceInventory(deps: JobDeps, jobs: MailboxPair[], opts: JobOptions, mailboxQueue: PQueue, emit: EventListener): Promise<void> {
  // One mailbox (a worker's job): nothing pending to inventory, and nothing to read when nobody listens.
  if (jobs.length === 1 && !deps.onEvent) return;
  const only = jobs.length === 1 && jobs[0] ? await deps.store.findMailbox({ source: jobs[0].source.login, target: jobs[0].target.login }) : undefined;
  if (jobs.length === 1 && only === undefined) {
    for (const job of jobs) emit({ type: 'inventory', mailbox: job.source.login, inventoriedAt: null, kinds: [] });
    return;
  }
  const recorded = new Map((await deps.store.inventory(only)).map((m) => [`${m.source}\u0000${m.target}`, m]));
  const of = (job: MailboxPair) => recorded.get(`${job.source.login}\u0000${job.target.login}`);
  if (jobs.length > 1) {
    await Promise.all(jobs.filter((job) => of(job)?.inventoriedAt == null).map((job) => mailboxQueue.add(async () => {
      if (deps.signal?.aborted) return;
      const log = deps.log.child({ mailbox: job.source.login });
      let pair: Awaited<ReturnType<typeof openMailboxPair>> | undefined;
      try {
        pair = await openMailboxPair(deps, job, opts);
        const mailboxId = await deps.store.mailboxId({ source: job.source.login, target: job.target.login });
        const taken = await takeInventory(deps.store, mailboxId, pair.source, pair.containers, pair.plan.folders, opts.retry, log, passScope(opts.filters, opts.sync));
        if (taken.inventory) recorded.set(`${job.source.login}\u0000${job.target.login}`, taken.inventory);
      } catch (err) {
        log.warn({ err: reasonOf(err) }, 'mailbox could not be inventoried before the run (its pass will say why)');
      } finally {
        await closeMailboxPair(pair);
      }
    })));
  }
  // Totals settled by a pass under another filter window (or being re-verified) do not hold for this
  // pass: such a mailbox counts as not inventoried until its pass probes it again.
  const scope = passScope(opts.filters, opts.sync);
  const stale = new Set((await deps.store.containers(only)).filter((r) => r.inInventory !== false && r.scope != null && !coversScope(r.scope, scope)).map((r) => r.mailboxId));
  for (const job of jobs) {
    const m = of(job);
    const known = m !== undefined && !stale.has(m.id);
    emit({ type: 'inventory', mailbox: job.source.login, inventoriedAt: known ? m.inventoriedAt : null, kinds: known ? m.kinds : [] });
  }
}

/**
 * Opens both sides of a mailbox, the source first, and plans its folders; shared by `plan`,
 * `reconcile` and `run`. Not both at once, although each login is round trips of its own: a
 * mailbox's first connection to each server holds one of that server's slots until the mailbox
 * closes, and with slots shared between processes (PostgreSQL advisory locks, polled in no fixed
 * order) one mailbox holding a source slot while waiting for a target slot and another holding
 * the reverse would wait for each other forever. Taking them in one order rules that out.
 */
export async function openMailboxPair(deps: Pick<JobDeps, 'sources' | 'targets'>, job: MailboxPair, opts: Pick<JobOptions, 'folders' | 'namespace'>) {
  let source: SourceMailbox | undefined;
  let target: TargetMailbox | undefined;
  try {
    source = completeSource(await deps.sources.openMailbox(job.source));
    target = await deps.targets.openMailbox(job.target);
    const containers = await source.containers();
    const ns = opts.namespace ?? (await target.namespace?.()) ?? DEFAULT_NAMESPACE;
    const plan = planContainers(containers, opts.folders, ns, target.accepts ?? ['mail']);
    return { source, target, containers, plan };
  } catch (err) {
    await closeMailboxPair({ source, target });
    throw err;
  }
}

/**
 * Closes both sides of a mailbox at once (each LOGOUT waits for its server's answer; closing
 * only gives slots back, so the order of opening does not apply); the target ends its pass first
 * where asked (`finishPass`: a staged folder's cleanup). Never throws.
 */
export async function closeMailboxPair(pair: { source?: SourceMailbox | undefined; target?: TargetMailbox | undefined } | undefined, opts: { finishPass?: boolean } = {}): Promise<void> {
  // a step that throws, even before it returns a promise, ends only itself
  const quietly = (step: () => unknown) => Promise.resolve().then(step).catch(() => undefined);
  const { source, target } = pair ?? {};
  await Promise.all([
    source && quietly(() => source.close()),
    target && (async () => {
      if (opts.finishPass) await quietly(() => target.finishPass?.());
      await quietly(() => target.close());
    })(),
  ]);
}

/** What the mailboxes of a run share: the folder tasks in flight and the bytes held. */
interface RunShared { taskQueue: FairTasks; budget: ByteBudget }

async function runMailbox(deps: JobDeps, job: MailboxPair, opts: JobOptions, { taskQueue, budget }: RunShared, emit: EventListener): Promise<MailboxReport> {
  const name = job.source.login;
  const report: MailboxReport = { source: name, target: job.target.login, ok: true, interrupted: false, warnings: [], containers: [] };
  const log = deps.log.child({ mailbox: name });
  const startedAt = new Date().toISOString();
  if (deps.signal?.aborted) {
    // stopped before this mailbox's turn: nothing opened, nothing recorded as a pass
    report.interrupted = true;
    emit({ type: 'mailbox-end', mailbox: name, ok: true, interrupted: true });
    return report;
  }
  emit({ type: 'mailbox-start', mailbox: name });
  let pair: Awaited<ReturnType<typeof openMailboxPair>> | undefined;
  let unfence: (() => Promise<void>) | null | undefined;
  let notMigrated: NotMigratedFolder[] | undefined;
  try {
    if (deps.fence) {
      unfence = await deps.fence(name);
      if (!unfence) throw new Error(`mailbox ${name} is being migrated by another process (a worker or another run) sharing this state store`);
    }
    pair = await retry(() => openMailboxPair(deps, job, opts), opts.retry, (err, attempt, delayMs) => {
      log.warn({ attempt, delayMs, err: reasonOf(err) }, 'opening the mailbox failed, retrying');
      emit({ type: 'retry', mailbox: name, attempt, delayMs, error: reasonOf(err) });
    });
    const { source, target, containers, plan } = pair;
    report.warnings.push(...plan.warnings);
    for (const w of plan.warnings) log.warn(w);
    const mailboxId = await deps.store.mailboxId({ source: job.source.login, target: job.target.login });
    const byId = new Map(containers.map((c) => [c.id, c]));
    const claims = new TargetClaims();
    const included = plan.folders.filter((f: FolderPlan) => f.included);
    for (const f of plan.folders.filter((f: FolderPlan) => !f.included)) log.info({ container: f.sourceId, reason: f.reason }, 'folder not migrated');
    notMigrated = await countNotMigrated(source, containers, notMigratedOf(plan.folders, containers), opts.retry, log);
    const { probes, inventory } = await takeInventory(deps.store, mailboxId, source, containers, plan.folders, opts.retry, log, passScope(opts.filters, opts.sync));
    emit({ type: 'inventory', mailbox: name, inventoriedAt: inventory?.inventoriedAt ?? null, kinds: inventory?.kinds ?? [] });
    // What first passes may bring into each target folder: a folder with a checkpoint brings only its changes.
    const passed = new Set((await deps.store.containers(mailboxId)).filter((r) => r.epoch !== undefined).map((r) => r.containerId));
    const incoming = itemsByTarget(included.filter((f) => !passed.has(f.sourceId)), probes);
    await Promise.all(heaviestFirst(included, probes).map(({ folder: f }) => taskQueue.add(job, async () => {
      const c = byId.get(f.sourceId);
      if (!c) return;
      if (deps.signal?.aborted) { report.interrupted = true; return; }
      const entry: ContainerReport = { source: c.id, name: containerName(c), kind: c.kind, target: f.target, ok: true };
      report.containers.push(entry);
      try {
        const outcome = await runContainer({
          store: deps.store, mailboxId, mailbox: name, source, target, filters: opts.filters, batchSize: opts.batchSize,
          writers: opts.writersPerTask, budget, retry: opts.retry, log: log.child({ container: c.id }), emit, signal: deps.signal, claims, sync: opts.sync, onlyFailed: opts.onlyFailed, transform: opts.transform,
          incoming,
        }, c, f.target, probes.get(c.id));
        Object.assign(entry, outcome);
        if (deps.signal?.aborted && !outcome.unchanged) { entry.interrupted = true; report.interrupted = true; }
        else if (!outcome.unchanged && !opts.onlyFailed) await settleTotals(deps.store, mailboxId, c.id);
        if (!outcome.unchanged) await deps.store.setContainerStatus(mailboxId, c.id, deps.signal?.aborted ? 'pending' : 'done');
        emit({ type: 'container-end', mailbox: name, container: c.id, ok: true });
      } catch (err) {
        entry.ok = false;
        entry.error = reasonOf(err);
        log.error({ container: c.id, folder: entry.name, err: entry.error }, 'folder failed');
        await deps.store.setContainerStatus(mailboxId, c.id, 'failed', entry.error).catch(() => undefined);
        emit({ type: 'container-end', mailbox: name, container: c.id, ok: false, error: entry.error });
      }
    })));
    // the report lists the folders in plan order, whatever order their tasks ran in
    const planned = new Map(included.map((f, i) => [f.sourceId, i]));
    report.containers.sort((a, b) => (planned.get(a.source) ?? 0) - (planned.get(b.source) ?? 0));
    report.ok = report.containers.every((c) => c.ok);
  } catch (err) {
    report.ok = false;
    report.error = reasonOf(err);
    log.error({ err: report.error }, 'mailbox failed');
  } finally {
    await closeMailboxPair(pair, { finishPass: true });
    await unfence?.().catch(() => undefined);
  }
  // The cutover gate's "last pass" (engine/last-pass.ts); a retry of failed items is no delta, and
  // a mailbox fenced by another process is that process's pass.
  if (!opts.onlyFailed && unfence !== null) {
    // A pass that failed before planning keeps the folders the last one found not migrated.
    notMigrated ??= (await readPass(deps.store, name, job.target.login).catch(() => undefined))?.notMigrated;
    await recordPass(deps.store, name, job.target.login, {
      startedAt, finishedAt: new Date().toISOString(), ok: report.ok, interrupted: deps.signal?.aborted === true, ...(report.error !== undefined ? { error: report.error } : {}),
      ...(notMigrated !== undefined ? { notMigrated } : {}),
    }).catch((err: unknown) => log.warn({ err: reasonOf(err) }, 'could not record the end of the pass (cutover gate)'));
  }
  emit({ type: 'mailbox-end', mailbox: name, ok: report.ok, interrupted: report.interrupted, error: report.error });
  return report;
}

/**
 * The cutover gate: a user's mail delivery moves to the UMS only when the mailbox is provably
 * complete. Each failed check is a reason naming the mailbox, what is wrong and what to do:
 *
 * - mailbox    a configured mailbox for the user, migrated at least once (the state store knows it)
 * - pass       the last pass (run/sync) finished: not interrupted, the mailbox opened on both sides
 *              (a refused login, e.g. no UMS account because the directory sync refused the user,
 *              fails the pass), and every folder done (none failed, pending or running)
 * - problems   no failed or skipped item that an admin's approval (`approve`) does not list, nor
 *              a folder with items the last pass could not migrate (a PST journal, calendars
 *              without a groupware target; engine/not-migrated.ts)
 * - delta-age  the last finished pass started less than `cutover.maxDeltaAgeHours` ago
 * - groupware  a mailbox with calendars, task lists or address books: the last `reconcile` proved
 *              every one of them equal
 * - directory  with a `directory:` section: the directory sync wrote the user's UMS account (not
 *              refused, disabled or deprovisioned; directory-check.ts)
 *
 * `gate` is pure; `gateInputs` reads what it needs from the state store.
 */
import { parseCollectionRef } from '../../mappings/groupware-collections.js';
import type { LoadedConfig, MailboxEntry } from '../config/loaded.js';
import { collectionEqual, GROUPWARE_RECONCILE_KEY, parseSummary, type MailboxReconcileSummary } from '../reconcile/groupware-summary.js';
import type { ContainerRow, FailedItemRow, KeyValueStore, ProgressReader, RoutingStore } from '../state/store.js';
import { approvalsOf, coverage, mailboxKey, type Approval } from './approvals.js';
import { directoryFailure, loadDirectoryAccounts } from './directory-check.js';
import type { GateFailure } from './gate-failure.js';

export type { GateCheck, GateFailure } from './gate-failure.js';
import { readPass, type PassRecord } from '../engine/last-pass.js';
import { copiedOf, folderProblems, WHOLE_FOLDER } from '../engine/not-migrated.js';

export interface GateInput {
  /** The user's configured mailbox, or why there is none. */
  mailbox: MailboxEntry | { error: string };
  /** What the state store holds about the mailbox; undefined when it was never run. */
  state?: { containers: ContainerRow[]; problems: FailedItemRow[] };
  pass?: PassRecord;
  approval?: Approval;
  /** The mailbox's entry in the last groupware reconcile summary. */
  reconcile?: MailboxReconcileSummary;
  /** The directory check's verdict (directory-check.ts), when the config has a directory section. */
  directory?: GateFailure;
  now: Date;
  maxDeltaAgeHours: number;
}

const hours = (ms: number) => `${Math.round(ms / 360_000) / 10} h`;

export function gate(input: GateInput): GateFailure[] {
  const dir = input.directory !== undefined ? [input.directory] : [];
  const m = input.mailbox;
  if ('error' in m) return [...dir, { check: 'mailbox', reason: m.error }];
  const name = m.source === m.target ? m.source : `${m.source} → ${m.target}`;
  const sync = `run \`ums-migrate sync -m ${m.source}\``;
  if (input.state === undefined || input.state.containers.length === 0) {
    const why = input.pass?.error !== undefined ? ` (the last attempt, ${input.pass.startedAt}, failed: ${input.pass.error})` : '';
    return [...dir, { check: 'mailbox', reason: `mailbox ${name} was never migrated${why}: fix that and run \`ums-migrate run -m ${m.source}\`` }];
  }
  const out: GateFailure[] = [...dir];
  const p = input.pass;
  if (p === undefined) out.push({ check: 'pass', reason: `no finished pass of ${name} is recorded (run by an older version?): ${sync}` });
  else if (p.interrupted) out.push({ check: 'pass', reason: `the last pass of ${name} (started ${p.startedAt}) was interrupted: ${sync}` });
  else if (!p.ok && p.error !== undefined) out.push({ check: 'pass', reason: `the last pass of ${name} (started ${p.startedAt}) failed: ${p.error}: fix that and ${sync}` });
  const unfinished = input.state.containers.filter((c) => c.status !== 'done');
  if (unfinished.length > 0) {
    const list = unfinished.slice(0, 3).map((c) => `${c.path}: ${c.status}${c.lastError ? ` (${c.lastError})` : ''}`).join('; ');
    out.push({ check: 'pass', reason: `${unfinished.length} folder(s) of ${name} not finished (${list}${unfinished.length > 3 ? '; …' : ''}): ${sync}` });
  }
  const cov = coverage([...input.state.problems, ...folderProblems(m.source, p?.notMigrated, copiedOf(input.state.containers), p?.finishedAt)], input.approval);
  if (cov.uncovered.length > 0) {
    const folders = cov.uncovered.filter((x) => x.itemId === WHOLE_FOLDER);
    const failed = cov.uncovered.filter((x) => x.status === 'failed').length;
    const skipped = cov.uncovered.length - failed - folders.length;
    const items = [failed > 0 ? `${failed} failed` : '', skipped > 0 ? `${skipped} skipped` : ''].filter((x) => x !== '').join(' and ');
    const what = [
      items !== '' ? `${items} item(s) of ${name}` : '',
      folders.length > 0 ? `${folders.length} folder(s) of ${name} not migrated (${folders.slice(0, 3).map((f) => f.path).join(', ')}${folders.length > 3 ? ', …' : ''})` : '',
    ].filter((x) => x !== '').join(' and ');
    const since = input.approval ? ` since the approval #${input.approval.seq} of ${input.approval.at}` : ' without an approval';
    const fix = [items !== '' ? `run \`ums-migrate retry --failed -m ${m.source}\`` : '', folders.length > 0 ? 'migrate the folders where their reason says how (a groupware target for calendars, contacts and tasks)' : ''].filter((x) => x !== '').join(' or ');
    out.push({
      check: 'problems',
      reason: `${what}${since} (\`ums-migrate status --problems\`): fix them and ${fix}, or approve them with \`ums-migrate approve --mailbox ${m.source} --reason "…"\``,
    });
  }
  if (p !== undefined) {
    const age = input.now.getTime() - Date.parse(p.startedAt);
    if (!(age <= input.maxDeltaAgeHours * 3_600_000)) {
      out.push({ check: 'delta-age', reason: `the last pass of ${name} started ${hours(age)} ago (${p.startedAt}), more than cutover.maxDeltaAgeHours (${input.maxDeltaAgeHours} h): ${sync}, or use \`cutover --wave … --final-sync\`` });
    }
  }
  const collections = [...new Set(input.state.containers.map((c) => c.targetRef).filter((r) => parseCollectionRef(r) !== undefined))].sort();
  if (collections.length > 0) {
    const r = input.reconcile;
    const reconcile = `run \`ums-migrate reconcile -m ${m.source}\``;
    if (r === undefined) out.push({ check: 'groupware', reason: `${name} has ${collections.length} calendar/task/address book collection(s) (${collections.join(', ')}) that no reconcile has compared: ${reconcile}` });
    else if (r.error !== undefined) out.push({ check: 'groupware', reason: `the last reconcile of ${name} (${r.checkedAt}) failed: ${r.error}: ${reconcile}` });
    else {
      const differ = r.collections.filter((c) => collections.includes(c.target) && !collectionEqual(c)).map((c) => c.target);
      const missing = collections.filter((t) => !r.collections.some((c) => c.target === t));
      if (differ.length > 0) out.push({ check: 'groupware', reason: `${name}: the last reconcile (${r.checkedAt}) found differences in ${differ.join(', ')}: see \`ums-migrate reconcile -m ${m.source}\`, fix, and ${reconcile} again` });
      if (missing.length > 0) out.push({ check: 'groupware', reason: `${name}: ${missing.join(', ')} not compared by the last reconcile (${r.checkedAt}): ${reconcile}` });
    }
  }
  return out;
}

/**
 * Reads the gate's inputs for these users' mailboxes from the state store (one read of the audit
 * log, the reconcile summary and, with a directory section, the directory sync's state).
 */
export async function gateInputs(
  store: ProgressReader & KeyValueStore & Pick<RoutingStore, 'routingAudit'>,
  loaded: Pick<LoadedConfig, 'config'>,
  users: readonly { user: { key: string; login: string }; mailbox: MailboxEntry | { error: string } }[],
  opts: { now: Date; maxDeltaAgeHours: number },
): Promise<GateInput[]> {
  const approvals = await approvalsOf(store);
  const reconcile = parseSummary(await store.getCheckpointValue(GROUPWARE_RECONCILE_KEY));
  const accounts = await loadDirectoryAccounts(store, loaded);
  const out: GateInput[] = [];
  for (const { user, mailbox } of users) {
    const base: GateInput = { mailbox, now: opts.now, maxDeltaAgeHours: opts.maxDeltaAgeHours };
    const dir = accounts === undefined ? undefined : directoryFailure(accounts, user, 'error' in mailbox ? undefined : mailbox);
    if (dir !== undefined) base.directory = dir;
    if ('error' in mailbox) {
      out.push(base);
      continue;
    }
    const pass = await readPass(store, mailbox.source, mailbox.target);
    if (pass !== undefined) base.pass = pass;
    const id = await store.findMailbox({ source: mailbox.source, target: mailbox.target });
    if (id !== undefined) base.state = { containers: await store.containers(id), problems: await store.problems(id) };
    const approval = approvals.get(mailboxKey(mailbox));
    if (approval !== undefined) base.approval = approval;
    const rec = reconcile?.mailboxes.find((r) => r.source === mailbox.source && r.target === mailbox.target);
    if (rec !== undefined) base.reconcile = rec;
    out.push(base);
  }
  return out;
}

/** "check: reason; check: reason" for messages and the audit. */
export function describeFailures(failures: readonly GateFailure[]): string {
  return failures.map((f) => f.reason).join('; ');
}

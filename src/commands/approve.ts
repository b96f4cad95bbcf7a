/**
 * `approve --mailbox X --reason "…"`: an admin accepts the failed and skipped items a mailbox has
 * now (e.g. messages over the UMS's size limit, a calendar item the UMS refuses) so that the
 * cutover gate lets the mailbox through. Recorded in the append-only audit log (action `approve`:
 * who, when, the reason, and exactly which items), mirrored to the audit file. Items that fail
 * after the approval are not covered by it. The mailbox is named by its source or UMS login.
 */
import { EXIT } from '../util/exit-codes.js';
import { printJson, printOut } from '../cli/output.js';
import { APPROVE_ACTION, approvalDetail } from '../cutover/approvals.js';
import { runLogged } from '../command-log.js';
import { loadConfig } from '../config/load.js';
import { openRoutingSession, type RoutingSession } from '../routing/session.js';
import { FatalError } from '../util/errors.js';
import { forTerminal } from '../util/terminal-text.js';
import { readPass } from '../engine/last-pass.js';
import { copiedOf, folderProblems } from '../engine/not-migrated.js';

export interface ApproveOptions {
  config: string;
  mailbox: string;
  reason: string;
  json?: boolean;
}

export async function approveCommand(opts: ApproveOptions): Promise<number> {
  const reason = opts.reason.trim();
  if (reason === '' || /\p{Cc}/u.test(reason)) throw new FatalError('--reason: say why these items may stay behind (one line of text)', 'USAGE');
  const session = await openRoutingSession(opts.config, await loadConfig(opts.config), { command: 'approve' });
  return runLogged(session.log, 'approve', { mailbox: opts.mailbox, reason }, async () => {
    try {
      return await approve(session, opts, reason);
    } finally {
      await session.close();
    }
  });
}

async function approve(session: RoutingSession, opts: ApproveOptions, reason: string): Promise<number> {
  const wanted = opts.mailbox.toLowerCase();
  const matches = session.loaded.mailboxes.filter((m) => m.source.toLowerCase() === wanted || m.target.toLowerCase() === wanted);
  if (matches.length !== 1) {
    throw new FatalError(matches.length === 0
      ? `--mailbox ${JSON.stringify(opts.mailbox)}: no configured mailbox has this source or UMS login`
      : `--mailbox ${JSON.stringify(opts.mailbox)}: ambiguous, matches ${matches.map((m) => `${m.source} → ${m.target}`).join(' and ')}`, 'NO_MAILBOX');
  }
  const m = matches[0]!;
  const id = await session.store.findMailbox({ source: m.source, target: m.target });
  if (id === undefined) throw new FatalError(`mailbox ${m.source} → ${m.target} was never migrated: nothing to approve (run \`ums-migrate run -m ${m.source}\`)`, 'NOT_MIGRATED');
  const pass = await readPass(session.store, m.source, m.target);
  const copied = copiedOf(await session.store.containers(id));
  const detail = approvalDetail(m, reason, [...await session.store.problems(id), ...folderProblems(m.source, pass?.notMigrated, copied, pass?.finishedAt)]);
  if (detail.items.length === 0) {
    if (opts.json) printJson({ mailbox: detail.mailbox, approved: 0, audit: null });
    else printOut(`${forTerminal(m.source)} has no failed or skipped items and no folder left behind: nothing to approve\n`);
    return EXIT.OK;
  }
  const entry = await session.audit({ action: APPROVE_ACTION, users: [m.target], detail });
  if (opts.json) printJson({ mailbox: detail.mailbox, failed: detail.failed, skipped: detail.skipped, folders: detail.folders ?? 0, reason, audit: entry.seq, who: entry.who, at: entry.at });
  else {
    const folders = detail.folders ? ` and ${detail.folders} folder(s) not migrated` : '';
    printOut(`approved for cutover: ${detail.failed} failed and ${detail.skipped} skipped item(s)${folders} of ${forTerminal(m.source)} → ${forTerminal(m.target)}: ${forTerminal(reason)}\n`);
    printOut(`audit #${entry.seq} by ${forTerminal(entry.who)}; items that fail after this are not covered\n`);
  }
  return EXIT.OK;
}

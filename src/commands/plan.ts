/**
 * `plan`: the dry run a migration engineer starts with. Logs in on both sides, checks access,
 * and prints per folder: messages, bytes, and the UMS folder it will become. Writes nothing
 * (no folder is created, not even the state store).
 */
import { EXIT } from '../cli/exit-codes.js';
import { printJson, printOut } from '../cli/output.js';
import { openMailboxPair } from '../engine/job.js';
import type { AccessCheck } from '../model/types.js';
import { reasonOf } from '../util/errors.js';
import { formatBytes, table } from '../util/format.js';
import { forTerminal } from '../util/terminal-text.js';
import { commandContext, type CommandOptions } from './context.js';

interface PlannedFolder { source: string; id?: string; target: string; included: boolean; reason?: string; messages?: number; bytes?: number; exists?: boolean; notes: string[]; notMigrated?: { id: string; reason: string }[] }
interface PlannedMailbox { source: string; target: string; ok: boolean; error?: string; sourceAccess?: AccessCheck; targetAccess?: AccessCheck; folders: PlannedFolder[]; warnings: string[] }

export async function planCommand(opts: CommandOptions & { json?: boolean }): Promise<number> {
  const ctx = await commandContext(opts);
  const out: PlannedMailbox[] = [];
  for (const job of ctx.jobs) {
    const entry: PlannedMailbox = { source: job.source.login, target: job.target.login, ok: false, folders: [], warnings: [] };
    out.push(entry);
    try {
      const pair = await openMailboxPair(ctx, job, ctx.options);
      try {
        entry.sourceAccess = await pair.source.verify();
        entry.targetAccess = await pair.target.verify();
        const existing = new Set(await pair.target.list());
        entry.warnings = [...pair.plan.warnings];
        const byId = new Map(pair.containers.map((c) => [c.id, c]));
        // a source's readable name for a folder (a PST folder's id is a node id), else its id
        const shown = (id: string): string => byId.get(id)?.label ?? id;
        const trash = pair.plan.folders.filter((f) => f.included && f.specialUse === '\\Trash');
        if (trash.length > 0) {
          entry.warnings.push(`${trash.map((f) => shown(f.sourceId)).join(', ')} → ${trash[0]?.target}: Courier purges its Trash by message age `
            + '(IMAP_EMPTYTRASH, Debian default 7 days), so migrated old mail there may disappear soon after the migration; '
            + 'exclude the folder (folders.exclude) or change that setting on the UMS if it matters');
        }
        for (const f of pair.plan.folders) {
          const pf: PlannedFolder = { source: shown(f.sourceId), ...(shown(f.sourceId) === f.sourceId ? {} : { id: f.sourceId }), target: f.target, included: f.included, reason: f.reason, notes: f.notes, exists: existing.has(f.target) };
          const c = byId.get(f.sourceId);
          if (c) {
            try {
              const st = await pair.source.stats(c, { withBytes: true });
              pf.messages = st.count;
              pf.bytes = st.bytes;
              const skip = st.notMigrated ?? [];
              if (skip.length > 0) {
                // entries the source saw but does not migrate (a file tree's winmail.dat, a refused link): recorded as skipped by the run
                pf.messages = st.count - skip.length;
                pf.notMigrated = skip;
                pf.notes.push(`${skip.length} not migrated (recorded as skipped): ${skip.slice(0, 3).map((e) => e.reason).join('; ')}${skip.length > 3 ? `; and ${skip.length - 3} more (plan --json lists them)` : ''}`);
              }
            } catch (err) {
              pf.notes.push(`cannot read: ${reasonOf(err)}`);
            }
          }
          entry.folders.push(pf);
        }
        entry.ok = entry.sourceAccess.ok && entry.targetAccess.ok;
      } finally {
        await pair.source.close();
        await pair.target.close();
      }
    } catch (err) {
      entry.error = reasonOf(err);
    }
  }
  ctx.log.flush();
  if (opts.json) printJson(out);
  else printOut(render(out));
  return out.every((m) => m.ok) ? EXIT.OK : EXIT.ACCESS;
}

/** The human plan; values from outside one line each (forTerminal), the whole printed through printOut. */
function render(plan: PlannedMailbox[]): string {
  const parts: string[] = [];
  for (const m of plan) {
    parts.push(`== ${forTerminal(m.source)} → ${forTerminal(m.target)}: ${m.ok ? 'ready' : 'NOT READY'}`);
    if (m.error) parts.push(`   error: ${forTerminal(m.error)}`);
    for (const [side, a] of [['source', m.sourceAccess], ['target', m.targetAccess]] as const) {
      for (const c of a?.checks ?? []) parts.push(`   ${side} ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${forTerminal(c.detail)}` : ''}`);
    }
    if (m.folders.length > 0) {
      const inc = m.folders.filter((f) => f.included);
      parts.push(table(['source folder', 'messages', 'size', 'UMS folder', 'notes'], m.folders.map((f) => [
        f.source, f.messages ?? 0, f.bytes === undefined ? '?' : formatBytes(f.bytes),
        f.included ? `${f.target}${f.exists ? ' (exists)' : ' (new)'}` : `not migrated: ${f.reason ?? ''}`, f.notes.join('; '),
      ])).split('\n').map((l) => `   ${l}`).join('\n'));
      const msgs = inc.reduce((n, f) => n + (f.messages ?? 0), 0);
      const bytes = inc.reduce((n, f) => n + (f.bytes ?? 0), 0);
      parts.push(`   total to migrate: ${inc.length} folders, ${msgs} messages, ${formatBytes(bytes)}`);
    }
    for (const w of m.warnings) parts.push(`   warning: ${forTerminal(w)}`);
    parts.push('');
  }
  return `${parts.join('\n')}\n`;
}

/**
 * `plan`: the dry run a migration engineer starts with. Logs in on both sides, checks access,
 * and prints per folder (by the name the source shows: EWS display names with parents, a PST
 * path with its file name; ids only in --json): items, bytes, and the UMS folder it will become.
 * Writes nothing on either server; it records the inventory (counts and sizes per folder and
 * kind) in the state store, which progress, status and reports measure against. With --items,
 * also what the next run would do with each included folder's first page (plan-items.ts).
 */
import { EXIT } from '../util/exit-codes.js';
import { printJson, printOut } from '../cli/output.js';
import { containerName } from '../engine/inventory.js';
import { closeMailboxPair, openMailboxPair } from '../engine/job.js';
import type { AccessCheck, ItemKind } from '../model/types.js';
import { openStateStore } from '../state/open.js';
import type { CheckpointStore, InventoryEntry, StateStore } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { formatBytes, table } from '../util/format.js';
import { forTerminal } from '../util/terminal-text.js';
import { commandContext, type CommandContext, type CommandOptions } from './context.js';
import { firstPage, recordedState, renderFirstPage, type FirstPage } from './plan-items.js';

interface PlannedFolder { source: string; id?: string; kind: ItemKind; target: string; included: boolean; reason?: string; messages?: number; bytes?: number; exists?: boolean; notes: string[]; notMigrated?: { id: string; reason: string }[]; firstPage?: FirstPage }
interface PlannedMailbox { source: string; target: string; ok: boolean; error?: string; sourceAccess?: AccessCheck; targetAccess?: AccessCheck; folders: PlannedFolder[]; warnings: string[] }

export async function planCommand(opts: CommandOptions & { json?: boolean; items?: boolean }): Promise<number> {
  const ctx = await commandContext(opts);
  const out: PlannedMailbox[] = [];
  const inventory = await inventoryStore(ctx);
  try {
    await planMailboxes(ctx, out, inventory.store, opts.items === true);
  } finally {
    await inventory.store?.close().catch(() => undefined);
  }
  ctx.log.flush();
  if (opts.json) printJson(out);
  else printOut(render(out, inventory.note));
  return out.every((m) => m.ok) ? EXIT.OK : EXIT.ACCESS;
}

/** The state store the inventory goes to; plan goes on without it (said under the plan) when it cannot be opened. */
async function inventoryStore(ctx: CommandContext): Promise<{ store?: StateStore; note?: string }> {
  try {
    const store = await openStateStore(ctx.loaded.config.state, { baseDir: ctx.loaded.baseDir });
    return { store };
  } catch (err) {
    ctx.log.warn({ err: reasonOf(err) }, 'plan: the state store cannot be opened; the inventory is not recorded');
    return { note: `the inventory was not recorded (state store: ${reasonOf(err)}); the first run records it` };
  }
}

type PlanStore = Pick<CheckpointStore, 'mailboxId' | 'recordInventory' | 'findMailbox' | 'containers' | 'finished' | 'failedItems'>;

/** `items`: also plan each included folder's first page (plan --items). */
async function planMailboxes(ctx: CommandContext, out: PlannedMailbox[], store: PlanStore | undefined, items: boolean): Promise<void> {
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
        // how people know a folder (EWS display names with parents, a PST path with its file), never an opaque id
        const shown = (id: string): string => { const c = byId.get(id); return c ? containerName(c) : id; };
        const entries: InventoryEntry[] = [];
        const state = items && store ? await recordedState(store, job.source.login, job.target.login) : undefined;
        const trash = pair.plan.folders.filter((f) => f.included && f.specialUse === '\\Trash');
        if (trash.length > 0) {
          entry.warnings.push(`${trash.map((f) => shown(f.sourceId)).join(', ')} → ${trash[0]?.target}: Courier purges its Trash by message age `
            + '(IMAP_EMPTYTRASH, Debian default 7 days), so migrated old mail there may disappear soon after the migration; '
            + 'exclude the folder (folders.exclude) or change that setting on the UMS if it matters');
        }
        for (const f of pair.plan.folders) {
          const c = byId.get(f.sourceId);
          const pf: PlannedFolder = { source: shown(f.sourceId), ...(shown(f.sourceId) === f.sourceId ? {} : { id: f.sourceId }), kind: c?.kind ?? 'mail', target: f.target, included: f.included, reason: f.reason, notes: f.notes, exists: existing.has(f.target) };
          if (c) {
            try {
              const st = await pair.source.stats(c, { withBytes: true });
              pf.messages = st.count;
              pf.bytes = st.bytes;
              if (f.included) entries.push({ containerId: c.id, path: c.path.join('/'), name: shown(c.id), targetRef: f.target, kind: c.kind, items: st.count, bytes: st.bytes ?? null });
              if (items && f.included) pf.firstPage = await firstPage(pair.source, c, st, f.target, ctx.options, state);
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
        if (store) {
          try {
            await store.recordInventory(await store.mailboxId({ source: job.source.login, target: job.target.login }), entries);
          } catch (err) {
            entry.warnings.push(`the inventory was not recorded in the state store: ${reasonOf(err)}`);
          }
        }
      } finally {
        await closeMailboxPair(pair);
      }
    } catch (err) {
      entry.error = reasonOf(err);
    }
  }
}

/** The human plan; values from outside one line each (forTerminal), the whole printed through printOut. */
function render(plan: PlannedMailbox[], note: string | undefined): string {
  const parts: string[] = [];
  for (const m of plan) {
    parts.push(`== ${forTerminal(m.source)} → ${forTerminal(m.target)}: ${m.ok ? 'ready' : 'NOT READY'}`);
    if (m.error) parts.push(`   error: ${forTerminal(m.error)}`);
    for (const [side, a] of [['source', m.sourceAccess], ['target', m.targetAccess]] as const) {
      for (const c of a?.checks ?? []) parts.push(`   ${side} ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${forTerminal(c.detail)}` : ''}`);
    }
    if (m.folders.length > 0) {
      const inc = m.folders.filter((f) => f.included);
      parts.push(table(['source folder', 'kind', 'items', 'size', 'UMS folder', 'notes'], m.folders.map((f) => [
        f.source, KIND_LABEL[f.kind], f.messages ?? '?', f.bytes === undefined ? 'unknown' : formatBytes(f.bytes),
        f.included ? `${f.target}${f.exists ? ' (exists)' : ' (new)'}` : `not migrated: ${f.reason ?? ''}`, f.notes.join('; '),
      ])).split('\n').map((l) => `   ${l}`).join('\n'));
      parts.push(`   total to migrate: ${inc.length} folders: ${totalsByKind(inc)}`);
      for (const f of inc) if (f.firstPage) parts.push(...renderFirstPage(f.source, f.firstPage));
    }
    for (const w of m.warnings) parts.push(`   warning: ${forTerminal(w)}`);
    parts.push('');
  }
  if (note) parts.push(`note: ${forTerminal(note)}`, '');
  return `${parts.join('\n')}\n`;
}

const KIND_LABEL: Record<ItemKind, string> = { mail: 'mail', event: 'calendar', contact: 'contacts', task: 'tasks' };
const KIND_UNITS: Record<ItemKind, [string, string]> = { mail: ['message', 'messages'], event: ['event', 'events'], contact: ['contact', 'contacts'], task: ['task', 'tasks'] };

/** "120 messages (1.2 MiB), 4 events (size unknown)": per kind, sizes a lower bound when some are unknown. */
function totalsByKind(folders: PlannedFolder[]): string {
  const kinds = (['mail', 'event', 'contact', 'task'] as const).filter((k) => folders.some((f) => f.kind === k));
  return kinds.map((k) => {
    const list = folders.filter((f) => f.kind === k);
    const n = list.reduce((s, f) => s + (f.messages ?? 0), 0);
    const known = list.filter((f) => f.bytes !== undefined);
    const bytes = known.reduce((s, f) => s + (f.bytes ?? 0), 0);
    const size = known.length === 0 ? 'size unknown' : known.length < list.length ? `at least ${formatBytes(bytes)}, some sizes unknown` : formatBytes(bytes);
    return `${n} ${KIND_UNITS[k][n === 1 ? 0 : 1]} (${size})`;
  }).join(', ');
}

/**
 * `plan --items`: what the next run would do with the first page of each included folder, as the
 * engine plans it (engine/page-plan.ts) from the recorded checkpoint. Reads only: one listing per
 * folder and the state store's rows (a mailbox never run plans as a first run).
 */
import { readCheckpoint, type PassMode } from '../engine/checkpoint-codec.js';
import { passScope } from '../engine/filters.js';
import type { JobOptions } from '../engine/job.js';
import { passStart, planPage, type ItemAction } from '../engine/page-plan.js';
import type { Container, ContainerStats, SourceMailbox } from '../model/types.js';
import type { CheckpointStore, ContainerRow } from '../state/store.js';
import { formatBytes } from '../util/format.js';
import { forTerminal } from '../util/terminal-text.js';

export interface PlannedItem {
  action: ItemAction['kind'];
  id: string;
  size?: number;
  reason?: string;
}

export interface FirstPage {
  mode: PassMode;
  /** The listing starts after this cursor (null: from the beginning). */
  cursor: string | null;
  /** Items that failed before, retried ahead of the page. */
  failedRetried: number;
  items: PlannedItem[];
  /** More pages follow. */
  more: boolean;
}

/** What --items reads of the state store: a mailbox's recorded rows. */
export interface RecordedState {
  store: Pick<CheckpointStore, 'finished' | 'failedItems'>;
  mailboxId: number;
  rows: Map<string, ContainerRow>;
}

export async function recordedState(store: Pick<CheckpointStore, 'findMailbox' | 'containers' | 'finished' | 'failedItems'>, source: string, target: string): Promise<RecordedState | undefined> {
  const mailboxId = await store.findMailbox({ source, target });
  if (mailboxId === undefined) return undefined;
  return { store, mailboxId, rows: new Map((await store.containers(mailboxId)).map((r) => [r.containerId, r])) };
}

export async function firstPage(
  source: SourceMailbox, c: Container, stats: ContainerStats, targetRef: string, opts: Pick<JobOptions, 'filters' | 'sync' | 'batchSize'>, state?: RecordedState,
): Promise<FirstPage> {
  const row = state?.rows.get(c.id);
  // As the store opens it (rows.checkpointFrom): no epoch, no checkpoint.
  const cp = row?.epoch === undefined ? null : readCheckpoint({ epoch: row.epoch, cursor: row.cursor ?? null, scope: row.scope ?? '', token: row.token ?? null, targetRef: row.targetRef ?? '' });
  const { mode, cursor } = passStart(cp, stats.epoch, passScope(opts.filters, opts.sync), targetRef);
  const failedRetried = state && cp && mode === 'normal' && cp.epoch === stats.epoch ? (await state.store.failedItems(state.mailboxId, c.id, stats.epoch)).length : 0;
  const page = await source.changes(c, cursor, opts.batchSize);
  const known = state ? await state.store.finished(state.mailboxId, c.id, page.epoch, page.items.map((i) => i.id)) : new Map();
  const items = planPage({ items: page.items }, known, opts.filters, mode).map((a): PlannedItem => {
    if (a.kind === 'gone') return { action: a.kind, id: a.itemId };
    return { action: a.kind, id: a.item.id, size: a.item.size, ...(a.kind === 'skip' ? { reason: a.reason } : {}) };
  });
  return { mode, cursor, failedRetried, items, more: !page.done };
}

const SAID: Record<ItemAction['kind'], string> = {
  copy: 'copy', verify: 'verify', skip: 'skip', gone: 'gone', done: 'done', 'still-skipped': 'skipped before', outside: 'outside the window',
};

/** The human lines of one folder's first page, indented under the plan's table. */
export function renderFirstPage(folder: string, p: FirstPage): string[] {
  const how = [
    p.mode === 'verify' ? 'verify mode: each item is looked for in the target first' : undefined,
    p.cursor === null ? 'from the start' : `after cursor ${forTerminal(p.cursor)}`,
    p.failedRetried > 0 ? `${p.failedRetried} failed item(s) retried first` : undefined,
  ].filter((s) => s !== undefined);
  const lines = [`   first page of ${forTerminal(folder)} (${how.join('; ')}):`];
  if (p.items.length === 0) lines.push('     nothing new');
  for (const i of p.items) {
    const size = i.size === undefined ? '' : ` (${formatBytes(i.size)})`;
    lines.push(`     ${SAID[i.action].padEnd(18)} ${forTerminal(i.id)}${size}${i.reason ? `: ${forTerminal(i.reason)}` : ''}`);
  }
  if (p.more) lines.push('     … more pages follow');
  return lines;
}

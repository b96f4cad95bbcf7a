/**
 * The folders of a mailbox a pass does not migrate, counted, with the reason: a PST journal or
 * notes folder, a kopano-backup folder that cannot be read, calendars without a groupware target,
 * folders left out by the config's patterns. Their items are never read, so they are in no item
 * counter; this record is how `status` and the report still show them (every item a source sees
 * ends copied, failed or skipped with a reason, or is in a folder listed here with its reason).
 * Kept with the mailbox's last pass (engine/last-pass.ts).
 */
import type { Logger } from 'pino';
import type { FolderPlan } from '../../mappings/folders.js';
import type { Container, ItemKind, SourceMailbox } from '../model/types.js';
import type { FailedItemRow } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { retry, type RetryPolicy } from '../util/retry.js';
import PQueue from 'p-queue';

/** Folders counted at once. */
const COUNT_CONCURRENCY = 4;
import { containerName } from './inventory.js';

/**
 * Who decided: `source` (it cannot convert or read the folder), `target` (no target for its kind,
 * e.g. calendars without `groupwareTarget`), `config` (an include/exclude pattern: on purpose).
 */
export type NotMigratedBy = 'source' | 'target' | 'config';

export interface NotMigratedFolder {
  /** The container's id at the source. */
  container: string;
  /** How people know it (a PST path with its file, EWS display names with parents). */
  name: string;
  kind: ItemKind;
  /** Items the source lists in it; null when it could not count them (`countError` says why). */
  items: number | null;
  countError?: string;
  by: NotMigratedBy;
  reason: string;
}

/** The planned folders that are not migrated, with who decided and why (not counted yet). */
export function notMigratedOf(folders: readonly FolderPlan[], containers: readonly Container[]): NotMigratedFolder[] {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const out: NotMigratedFolder[] = [];
  for (const f of folders) {
    const c = byId.get(f.sourceId);
    if (f.included || !c) continue;
    const reason = f.reason ?? c.skip ?? 'not migrated';
    const by: NotMigratedBy = f.decidedBy ?? (c.skip !== undefined ? 'source' : 'target');
    out.push({ container: c.id, name: containerName(c), kind: c.kind, items: null, by, reason });
  }
  return out;
}

/**
 * Counts the items of each folder (one cheap probe each, retried as the inventory's). A folder the
 * source cannot count (an unreadable kopano folder) keeps `items: null` with the error; nothing
 * here fails the pass.
 */
export async function countNotMigrated(
  source: Pick<SourceMailbox, 'stats'>, containers: readonly Container[], folders: NotMigratedFolder[], policy: RetryPolicy, log: Logger,
): Promise<NotMigratedFolder[]> {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const count = async (f: NotMigratedFolder): Promise<NotMigratedFolder> => {
    const c = byId.get(f.container);
    try {
      if (!c) throw new Error('no longer listed by the source');
      return { ...f, items: (await retry(() => source.stats(c), policy)).count };
    } catch (err) {
      const countError = reasonOf(err);
      log.info({ container: f.container, folder: f.name, err: countError }, 'folder not migrated: its items could not be counted');
      return { ...f, items: null, countError };
    }
  };
  // A few at once (a nightly sync of a mailbox with many excluded folders pays one round trip
  // each, not one after the other); the source's own connection cap still applies.
  const queue = new PQueue({ concurrency: COUNT_CONCURRENCY });
  return Promise.all(folders.map((f) => queue.add(() => count(f)) as Promise<NotMigratedFolder>));
}

/** "12 items", "items not counted (why)". */
export function itemsOf(f: Pick<NotMigratedFolder, 'items' | 'countError'>): string {
  if (f.items === null) return `not counted${f.countError ? ` (${f.countError})` : ''}`;
  return `${f.items} item${f.items === 1 ? '' : 's'}`;
}

/** How `status` and the report name who decided. */
export const NOT_MIGRATED_BY: Record<NotMigratedBy, string> = {
  source: 'the source cannot migrate it',
  target: 'no target for its kind',
  config: 'left out by the config',
};

/** A mailbox's folders not migrated, as recorded with its last pass (`at`: when that pass finished). */
export interface MailboxNotMigrated { source: string; target: string; folders: NotMigratedFolder[]; at?: string }

/** Items in the folders (the counted ones) and whether some could not be counted. */
export function notMigratedItems(folders: readonly NotMigratedFolder[]): { items: number; uncounted: number } {
  return {
    items: folders.reduce((n, f) => n + (f.items ?? 0), 0),
    uncounted: folders.filter((f) => f.items === null).length,
  };
}

/** The item id of a folder-wide problem row (folderProblems). */
export const WHOLE_FOLDER = '(whole folder)';

/**
 * The items of a folder not migrated that are not in the UMS: all of them, or, for a folder an
 * earlier pass migrated (its state row: `copied` items, e.g. before `groupwareTarget` was
 * removed), those beyond the copied ones; null when the source could not count them.
 */
export function itemsLeftBehind(f: Pick<NotMigratedFolder, 'items'>, copied = 0): number | null {
  return f.items === null ? null : Math.max(0, f.items - copied);
}

/** Items copied per container id, from a mailbox's state rows (for itemsLeftBehind). */
export function copiedOf(rows: readonly { containerId: string; doneItems: number }[]): Map<string, number> {
  return new Map(rows.filter((r) => r.doneItems > 0).map((r) => [r.containerId, r.doneItems]));
}

/**
 * The folders whose items stay behind unless an admin approves, as problem rows (status
 * `skipped`, one per folder, item id WHOLE_FOLDER): the source or the target cannot take them.
 * Folders the config leaves out are left out on purpose, and ones with nothing left behind lose
 * nothing: neither is listed. `status --problems`, the consistency score, `approve` and the
 * cutover gate use them. `copied`: copiedOf the mailbox's rows.
 */
export function folderProblems(source: string, folders: readonly NotMigratedFolder[] | undefined, copied: ReadonlyMap<string, number> = new Map(), at = ''): FailedItemRow[] {
  return (folders ?? []).filter((f) => f.by !== 'config').flatMap((f) => {
    const left = itemsLeftBehind(f, copied.get(f.container));
    return left === 0 ? [] : [{
      mailbox: source, containerId: f.container, path: f.name, itemId: WHOLE_FOLDER, size: 0, status: 'skipped' as const,
      reason: `folder not migrated (${itemsOf({ ...f, items: left })}): ${f.reason}`, updatedAt: at,
    }];
  });
}

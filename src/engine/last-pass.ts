/**
 * The last pass of each mailbox (a `run`, `sync`, `resume` or worker job), as the cutover gate
 * needs it: when it started, when it ended, and whether it finished. The engine records it at the
 * end of every mailbox (engine/job.ts), in the state store's named checkpoints, so it is shared by
 * every process using the store. A `retry --failed` pass is not recorded: it lists nothing new, so
 * it is no delta.
 *
 * The container rows alone cannot say this: a folder found unchanged keeps its old time, and a
 * mailbox whose login was refused leaves no row at all.
 */
import type { KeyValueStore } from '../state/store.js';
import type { MailboxNotMigrated, NotMigratedFolder } from './not-migrated.js';

export interface PassRecord {
  /** ISO time the pass of this mailbox started: the source is covered up to here. */
  startedAt: string;
  finishedAt: string;
  /** Every folder finished without a folder failure (items may have failed: see the problems). */
  ok: boolean;
  /** Stopped by Ctrl-C / SIGTERM before the end. */
  interrupted: boolean;
  /** Why the mailbox failed as a whole (login refused…), already scrubbed of secrets. */
  error?: string;
  /**
   * The folders not migrated, counted, with the reason: this pass's, or the last planned pass's
   * when this one failed before planning; absent when no pass planned the folders (or an older
   * version recorded it).
   */
  notMigrated?: NotMigratedFolder[];
}

export function passKey(source: string, target: string): string {
  return `pass:${JSON.stringify([source, target])}`;
}

export async function recordPass(store: Pick<KeyValueStore, 'setCheckpointValue'>, source: string, target: string, pass: PassRecord): Promise<void> {
  await store.setCheckpointValue(passKey(source, target), JSON.stringify(pass));
}

/** The recorded pass, or undefined when none was recorded (never run, or run by an older version). */
export async function readPass(store: Pick<KeyValueStore, 'getCheckpointValue'>, source: string, target: string): Promise<PassRecord | undefined> {
  const text = await store.getCheckpointValue(passKey(source, target));
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as PassRecord;
    if (typeof v.startedAt !== 'string' || typeof v.ok !== 'boolean') return undefined;
    // a damaged list of folders is dropped, not trusted (status, the report and the gate read it)
    if (v.notMigrated !== undefined && !(Array.isArray(v.notMigrated) && v.notMigrated.every(isFolder))) delete v.notMigrated;
    return v;
  } catch {
    return undefined;
  }
}

/** Per mailbox with any, the folders its last pass did not migrate (`status`, the report). */
export async function readNotMigrated(store: Pick<KeyValueStore, 'getCheckpointValue'>, mailboxes: readonly { source: string; target: string }[]): Promise<MailboxNotMigrated[]> {
  const out: MailboxNotMigrated[] = [];
  for (const m of mailboxes) {
    const pass = await readPass(store, m.source, m.target);
    const folders = pass?.notMigrated ?? [];
    if (pass && folders.length > 0) out.push({ source: m.source, target: m.target, folders, at: pass.finishedAt });
  }
  return out;
}

function isFolder(f: unknown): f is NotMigratedFolder {
  const v = f as Partial<NotMigratedFolder> | null;
  return typeof v === 'object' && v !== null && typeof v.container === 'string' && typeof v.name === 'string' && typeof v.reason === 'string'
    && (v.items === null || typeof v.items === 'number') && (v.by === 'source' || v.by === 'target' || v.by === 'config')
    && (v.kind === 'mail' || v.kind === 'event' || v.kind === 'contact' || v.kind === 'task');
}

/**
 * The inventory a pass measures against (issue 17): per included container of a mailbox, its
 * item count (one cheap probe each, e.g. IMAP STATUS), recorded in the state store with the
 * container's kind and readable name. Sizes are recorded only when the probe brings them for
 * free; otherwise "unknown" (never 0) until a pass measures the container. The probes are handed
 * on to the container tasks, so a pass costs no extra request per folder.
 */
import type { Logger } from 'pino';
import type { FolderPlan } from '../../mappings/folders.js';
import type { Container, ContainerStats, SourceMailbox } from '../model/types.js';
import type { CheckpointStore, InventoryEntry, MailboxInventory } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { retry, type RetryPolicy } from '../util/retry.js';
import { coversScope } from './checkpoint-codec.js';

/** How people know a container: the source's label (PST path with its file), else its path (EWS display names with parents, IMAP). */
export function containerName(c: Pick<Container, 'label' | 'path'>): string {
  return c.label ?? c.path.join('/');
}

export interface TakenInventory {
  /** The probe of each container that answered, by container id. */
  probes: Map<string, ContainerStats>;
  /** The mailbox's totals and progress as now recorded. */
  inventory: MailboxInventory | undefined;
}

/**
 * Probes the included containers of a mailbox and records the inventory. A container whose probe
 * fails is left out (its task reports the error) and logged. `scope`: the pass's (filters.passScope).
 */
export async function takeInventory(
  store: CheckpointStore, mailboxId: number, source: SourceMailbox, containers: Container[], folders: FolderPlan[], policy: RetryPolicy, log: Logger,
  scope: string,
): Promise<TakenInventory> {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const recorded = new Map((await store.containers(mailboxId)).map((r) => [r.containerId, r]));
  const probes = new Map<string, ContainerStats>();
  const entries: InventoryEntry[] = [];
  for (const f of folders) {
    const c = byId.get(f.sourceId);
    if (!f.included || !c) continue;
    try {
      const st = await retry(() => source.stats(c), policy);
      probes.set(c.id, st);
      // Unchanged since its last complete pass under the same filter window: that pass's settled totals still hold (see settleTotals).
      const r = recorded.get(c.id);
      const same = r !== undefined && r.token != null && r.token === st.token && r.epoch === st.epoch && coversScope(r.scope, scope);
      entries.push({
        containerId: c.id, path: c.path.join('/'), name: containerName(c), targetRef: f.target, kind: c.kind,
        items: same ? r.totalItems : st.count, bytes: same && r.bytesKnown !== false ? r.totalBytes : st.bytes ?? null,
      });
    } catch (err) {
      log.warn({ container: c.id, folder: containerName(c), err: reasonOf(err) }, 'folder could not be counted for the inventory');
    }
  }
  await store.recordInventory(mailboxId, entries);
  const [inventory] = await store.inventory(mailboxId);
  return { probes, inventory };
}

/** What an item weighs when its container's probe brings no size: a typical message. */
const TYPICAL_ITEM_BYTES = 64 * 1024;

/**
 * The included folders in the order their tasks should start: the heaviest first (bytes where the
 * probe brought them, else items), ties and unprobed folders in plan order. A mailbox's largest
 * folder (INBOX, mostly) is the pass's critical path; started last behind the small ones it kept the
 * run going on one connection long after the others had finished. Only within the mailbox (as a
 * priority across mailboxes, a later mailbox's heavy folders would hold an earlier mailbox's light
 * ones, and with them its turn, its fence and its connections, until the run's end): between
 * mailboxes the slots are shared fairly (fair-tasks.ts).
 */
export function heaviestFirst(folders: FolderPlan[], probes: Map<string, ContainerStats>): { folder: FolderPlan; weight: number }[] {
  return folders
    .map((folder) => {
      const st = probes.get(folder.sourceId);
      return { folder, weight: st ? st.bytes ?? st.count * TYPICAL_ITEM_BYTES : 0 };
    })
    .sort((a, b) => b.weight - a.weight);
}

/**
 * Items the given source folders hold, per target container (two source folders may map to one):
 * for folders on their first pass, at most what those passes write into it.
 */
export function itemsByTarget(folders: FolderPlan[], probes: Map<string, ContainerStats>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of folders) out.set(f.target, (out.get(f.target) ?? 0) + (probes.get(f.sourceId)?.count ?? 0));
  return out;
}

/**
 * After a complete pass of a container (every listed item judged): its total becomes what the
 * pass processed (done, failed or skipped). The probe's count also held entries a pass never
 * copies on their own (an Exchange calendar's exception items go with their series; items outside
 * the date window), and items that arrived after the probe were processed too: either way the
 * container now shows done of what it holds to migrate, never below 100 % when complete.
 */
export async function settleTotals(store: CheckpointStore, mailboxId: number, containerId: string): Promise<void> {
  const row = (await store.containers(mailboxId)).find((r) => r.containerId === containerId);
  if (!row) return;
  const processed = row.doneItems + row.failedItems + row.skippedItems;
  if (processed !== row.totalItems) await store.setContainerTotals(mailboxId, containerId, { items: processed, bytes: row.bytesKnown === false ? null : row.totalBytes });
}

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
import type { InventoryEntry, MailboxInventory, StateStore } from '../state/store.js';
import { reasonOf } from '../util/errors.js';
import { retry, type RetryPolicy } from '../util/retry.js';

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
 * fails is left out (its task reports the error) and logged.
 */
export async function takeInventory(
  store: StateStore, mailboxId: number, source: SourceMailbox, containers: Container[], folders: FolderPlan[], policy: RetryPolicy, log: Logger,
): Promise<TakenInventory> {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const probes = new Map<string, ContainerStats>();
  const entries: InventoryEntry[] = [];
  for (const f of folders) {
    const c = byId.get(f.sourceId);
    if (!f.included || !c) continue;
    try {
      const st = await retry(() => source.stats(c), policy);
      probes.set(c.id, st);
      entries.push({
        containerId: c.id, path: c.path.join('/'), name: containerName(c), targetRef: f.target, kind: c.kind,
        items: st.count, bytes: st.bytes ?? null,
      });
    } catch (err) {
      log.warn({ container: c.id, folder: containerName(c), err: reasonOf(err) }, 'folder could not be counted for the inventory');
    }
  }
  await store.recordInventory(mailboxId, entries);
  const [inventory] = await store.inventory(mailboxId);
  return { probes, inventory };
}

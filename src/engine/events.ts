import type { ItemKind } from '../model/types.js';
import type { KindTotals } from '../state/store.js';

/**
 * What the engine reports while it runs (progress display, logs, tests). Listeners must not throw.
 * `container` is the source's id of a container (logs, --json); `name` is how people know it
 * (EWS display names with parents, a PST path with its file name), for anything a person reads.
 */
export type EngineEvent =
  /**
   * A mailbox's inventory totals and progress as recorded in the state store (kinds [] and
   * inventoriedAt null: never inventoried, totals unknown): sent for every mailbox of the job
   * when it starts, and again when a mailbox is re-inventoried at the start of its pass. The
   * counts include everything done before; `item` events after it add to them.
   */
  | { type: 'inventory'; mailbox: string; inventoriedAt: string | null; kinds: KindTotals[] }
  | { type: 'mailbox-start'; mailbox: string }
  /** interrupted: stopped (Ctrl-C, SIGTERM) before every folder of the mailbox was through. */
  | { type: 'mailbox-end'; mailbox: string; ok: boolean; interrupted: boolean; error?: string }
  | { type: 'container-start'; mailbox: string; container: string; name: string; kind: ItemKind; target: string; total: number; bytes: number | null }
  | { type: 'container-skip'; mailbox: string; container: string; name?: string; reason: string }
  | { type: 'container-end'; mailbox: string; container: string; ok: boolean; error?: string }
  | { type: 'item'; mailbox: string; container: string; status: 'done' | 'failed' | 'skipped' | 'recovered'; size: number; reason?: string }
  | { type: 'retry'; mailbox: string; container?: string; attempt: number; delayMs: number; error: string };

export type EventListener = (e: EngineEvent) => void;

/** Wraps a listener so that a failing listener cannot break a run. */
export function guardListener(fn: EventListener | undefined, onError: (err: unknown) => void): EventListener {
  return (e) => {
    if (!fn) return;
    try {
      fn(e);
    } catch (err) {
      onError(err);
    }
  };
}

/** What the engine reports while it runs (progress bar, logs, tests). Listeners must not throw. */
export type EngineEvent =
  | { type: 'mailbox-start'; mailbox: string }
  | { type: 'mailbox-end'; mailbox: string; ok: boolean; error?: string }
  | { type: 'container-start'; mailbox: string; container: string; target: string; total: number; bytes: number }
  | { type: 'container-skip'; mailbox: string; container: string; reason: string }
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

import type { EngineEvent } from '../engine/events.js';
import { ProgressModel, type ProgressSnapshot } from '../engine/progress-model.js';
import { formatBytes } from '../util/format.js';
import { scrubSecrets } from '../util/scrub.js';
import { forTerminal } from '../util/terminal-text.js';

const KIND_LABEL = { mail: 'mail', event: 'events', contact: 'contacts', task: 'tasks' } as const;

export interface ProgressLineOptions {
  /** The clock (tests give a fake one). */
  now?: () => number;
  /** Redraw interval on a TTY, ms (0: only on `redraw()`/`stop()`). */
  intervalMs?: number;
}

/**
 * The terminal progress display (rsync/apt-like) on a TTY (stderr); silent elsewhere (logs carry
 * the detail). One line, redrawn in place: overall percentage of the inventory (every mailbox of
 * the run, pending ones included), items and bytes done of the total, per kind, rate, ETA, and the
 * mailbox and folder being copied by name. Values from outside are escaped (forTerminal), so a
 * folder name cannot move the cursor, clear the screen or retitle the terminal. Anything else
 * printed while it is shown goes through `print`, which clears the line first.
 */
export class ProgressLine {
  private readonly model: ProgressModel;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private stopped = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, opts: ProgressLineOptions = {}) {
    this.model = new ProgressModel(opts.now ?? Date.now);
    const interval = opts.intervalMs ?? 250;
    if (this.out.isTTY && interval > 0) {
      this.timer = setInterval(() => this.redraw(), interval);
      this.timer.unref();
    }
  }

  /** True when the line is drawn at all (stderr is a terminal). */
  get active(): boolean {
    return this.out.isTTY === true;
  }

  /** Nothing is drawn before a mailbox's totals are known: a line of zeros would say nothing true. */
  private measured = false;

  readonly onEvent = (e: EngineEvent): void => {
    if (e.type === 'inventory' && e.inventoriedAt !== null) this.measured = true;
    this.model.onEvent(e);
  };

  snapshot(): ProgressSnapshot {
    return this.model.snapshot();
  }

  /** The line as drawn now, cut to the terminal width. */
  line(): string {
    const s = this.model.snapshot();
    const width = (this.out.columns || 120) - 1;
    const bar = 20;
    const filled = Math.floor((s.percent / 100) * bar);
    const parts = [
      `${String(Math.floor(s.percent)).padStart(3)}% [${'#'.repeat(filled)}${'-'.repeat(bar - filled)}] `
        + `${s.processed.toLocaleString('en')}/${s.total.toLocaleString('en')}${s.uncounted > 0 ? '+' : ''} items`,
      `${formatBytes(s.doneBytes)}/${s.bytesUnknown ? '≥' : ''}${formatBytes(s.totalBytes)}`,
      `${s.itemsPerSecond.toFixed(s.itemsPerSecond < 10 ? 1 : 0)} items/s ${formatBytes(s.bytesPerSecond)}/s`,
      `ETA ${s.etaSeconds === undefined ? '--:--' : clock(s.etaSeconds)}`,
    ];
    if (s.kinds.length > 1 || (s.kinds.length === 1 && s.kinds[0]?.kind !== 'mail')) parts.push(s.kinds.map((k) => `${KIND_LABEL[k.kind]} ${k.done}/${k.total}`).join(' '));
    if (s.failed > 0 || s.skipped > 0) parts.push(`${s.failed} failed ${s.skipped} skipped`);
    if (s.uncounted > 0) parts.push(`${s.uncounted} mailbox${s.uncounted === 1 ? '' : 'es'} not counted yet`);
    if (s.mailbox) parts.push(forTerminal(scrubSecrets(`${s.mailbox}: ${s.folder}`)));
    const text = parts.join(' | ');
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  }

  redraw(): void {
    if (!this.active || this.stopped || !this.measured) return;
    const width = (this.out.columns || 120) - 1;
    this.out.write(`\r${this.line().padEnd(width)}`);
    this.shown = true;
  }

  /** Prints text (ending in a newline) above the line: the line is cleared first and drawn again after. */
  print(text: string): void {
    if (this.active && this.shown && !this.stopped) this.out.write('\r\x1b[2K');
    this.out.write(text);
    this.shown = false;
    this.redraw();
  }

  /** Draws the final state and leaves it on its own line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.active || this.stopped) return;
    if (this.measured) {
      this.redraw();
      this.out.write('\n');
    }
    this.stopped = true;
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

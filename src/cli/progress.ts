import type { EngineEvent } from '../engine/events.js';
import { scrubSecrets } from '../util/scrub.js';
import { forTerminal } from '../util/terminal-text.js';

const MiB = 1024 * 1024;

/**
 * A one-line progress display on a TTY (stderr); silent elsewhere (logs carry the detail). The
 * mailbox and folder shown come from outside: their control characters are escaped, so a folder
 * name cannot move the cursor, clear the screen or retitle the terminal.
 */
export class ProgressLine {
  private done = 0;
  private failed = 0;
  private skipped = 0;
  private bytes = 0;
  private total = 0;
  private current = '';
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    if (this.out.isTTY) this.timer = setInterval(() => this.draw(), 250);
  }

  readonly onEvent = (e: EngineEvent): void => {
    if (e.type === 'container-start') {
      this.total += e.total;
      this.current = forTerminal(scrubSecrets(`${e.mailbox}: ${e.container}`));
    } else if (e.type === 'item') {
      if (e.status === 'done' || e.status === 'recovered') { this.done++; this.bytes += e.size; }
      else if (e.status === 'failed') this.failed++;
      else this.skipped++;
    }
  };

  private draw(): void {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const pct = this.total > 0 ? Math.min(1, (this.done + this.failed + this.skipped) / this.total) : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(pct * width)).padEnd(width, '-');
    const line = `[${bar}] ${this.done} copied, ${this.failed} failed, ${this.skipped} skipped | ${(this.bytes / MiB).toFixed(1)} MiB | ${(this.done / secs).toFixed(0)} msg/s | ${this.current}`;
    this.out.write(`\r${line.slice(0, (this.out.columns || 120) - 1).padEnd((this.out.columns || 120) - 1)}`);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.draw();
      this.out.write('\n');
    }
  }
}

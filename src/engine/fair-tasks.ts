/**
 * The folder tasks of a run's mailboxes, `concurrency` at once, shared fairly: a free slot goes to
 * the mailbox with the fewest tasks running (ties: the mailbox that came first), and within a
 * mailbox its tasks start in the order they were added (heaviest first, see inventory.ts).
 *
 * First come, first served let the first mailboxes to finish their inventory take every slot
 * (two mailboxes of five folders each fill eight), while the others waited with their connections
 * open and idle: measured through a 50 ms WAN, four mailboxes ran in two waves. A fair share starts
 * every mailbox's heaviest folder first, and no mailbox waits behind another's light folders for
 * longer than one of its own tasks runs (a mailbox with tasks waiting always gets the next slot
 * once it runs fewer than the others).
 */
export class FairTasks {
  private running = 0;
  /** Per owner (a mailbox), in the order owners first added a task: its tasks running and waiting. */
  private readonly owners = new Map<unknown, { running: number; waiting: (() => void)[] }>();

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`task concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Runs `fn` once a slot is free and it is `owner`'s turn (owners compare by identity); settles as `fn` does. */
  async add<T>(owner: unknown, fn: () => Promise<T>): Promise<T> {
    let o = this.owners.get(owner);
    if (!o) {
      o = { running: 0, waiting: [] };
      this.owners.set(owner, o);
    }
    const mine = o;
    await new Promise<void>((start) => {
      mine.waiting.push(start);
      this.next();
    });
    try {
      return await fn();
    } finally {
      this.running--;
      mine.running--;
      if (mine.running === 0 && mine.waiting.length === 0) this.owners.delete(owner);
      this.next();
    }
  }

  /** Tasks running now (for tests and reports). */
  get active(): number {
    return this.running;
  }

  private next(): void {
    while (this.running < this.concurrency) {
      let pick: { running: number; waiting: (() => void)[] } | undefined;
      for (const o of this.owners.values()) if (o.waiting.length > 0 && (pick === undefined || o.running < pick.running)) pick = o;
      const start = pick?.waiting.shift();
      if (!pick || !start) return;
      this.running++;
      pick.running++;
      start();
    }
  }
}

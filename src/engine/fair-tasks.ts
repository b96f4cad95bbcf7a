/**
 * The folder tasks of a run's mailboxes, `concurrency` at once, shared fairly: a free slot goes to
 * the mailbox with the fewest tasks running, among those to the one whose last task started
 * longest ago (one that has started none first, in the order the mailboxes came), and within a
 * mailbox its tasks start in the order they were added (heaviest first, see inventory.ts).
 *
 * First come, first served let the first mailboxes to finish their inventory take every slot
 * (two mailboxes of five folders each fill eight), while the others waited with their connections
 * open and idle: measured through a 50 ms WAN, four mailboxes ran in two waves. Shared this way,
 * a mailbox with folders waiting gets the next free slot before another mailbox's second or third
 * folder, and with fewer slots than mailboxes the slots go round them (a mailbox whose task just
 * ended does not take the slot back from one that has been waiting). Slots free when nobody else
 * waits still go to whoever asks: a mailbox that arrives first may start several folders (capping
 * it at a share while the others open was tried: it left slots idle whenever a mailbox was
 * without tasks for a while, retrying its open or removing its staging folders).
 */
interface Owner { running: number; waiting: (() => void)[]; lastStart: number }

export class FairTasks {
  private running = 0;
  /** Starts so far: each owner remembers the number of its last start (-1: none yet). */
  private starts = 0;
  /** Per owner (a mailbox), in the order owners first added a task: its tasks running and waiting, its last start. */
  private readonly owners = new Map<unknown, Owner>();

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`task concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Runs `fn` once a slot is free and it is `owner`'s turn (owners compare by identity); settles as `fn` does. */
  async add<T>(owner: unknown, fn: () => Promise<T>): Promise<T> {
    let o = this.owners.get(owner);
    if (!o) {
      o = { running: 0, waiting: [], lastStart: -1 };
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
      let pick: Owner | undefined;
      for (const o of this.owners.values()) {
        if (o.waiting.length === 0) continue;
        if (pick === undefined || o.running < pick.running || (o.running === pick.running && o.lastStart < pick.lastStart)) pick = o;
      }
      const start = pick?.waiting.shift();
      if (!pick || !start) return;
      this.running++;
      pick.running++;
      pick.lastStart = this.starts++;
      start();
    }
  }
}

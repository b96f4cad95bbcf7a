/**
 * Writes into a large folder through a small staging folder: Courier rewrites a folder's whole
 * UID database (and reads its whole `cur/` directory) on every APPEND, so one APPEND into a folder
 * of n messages costs O(n) — 2 ms into an empty folder, 11 ms at 3,000, hours for a 100,000-message
 * INBOX. One COPY of a batch costs that O(n) once. So a message is APPENDed into a staging folder
 * (small, cheap), and the staged messages are moved into the real folder with one `UID COPY`
 * (COPYUID gives each its UID there) and removed from the stage. COPY keeps flags, keywords and
 * INTERNALDATE (RFC 3501 6.4.7; checked against Courier in the conformance suite).
 *
 * A `put` resolves only once its message is in the real folder: the engine records an item done
 * only then, and after a crash the folder holds what was copied (found again by the engine's
 * recovery like an APPEND) while the stage holds nothing that counts (emptied before it is used).
 * Batches form by themselves: the APPENDs run one at a time, and whatever is staged when no put
 * is waiting (after a short linger) or when a batch is full is copied.
 *
 * With `lanes` > 1 the writes run through that many staging folders at once, each on its own
 * connection: Courier serialises APPENDs into one folder (two connections writing into the same
 * folder are slower than one), not into different ones — 2,000 APPENDs took 9.4 s into one folder
 * and 2.5 s spread over three (README "Benchmark"). The puts are cut into blocks of `batch` in the
 * order they came, block n staged by lane n mod `lanes`, and the blocks are COPYed one at a time
 * in that order: the real folder gets its UIDs in the order of the puts, as with one lane.
 *
 * The first `directFirst` messages go straight into the real folder (one at a time, as without
 * staging): a nightly delta of a few messages is not worth a staging folder, whose removal costs
 * Courier two seconds (its DELETE waits that long).
 */

/** What the staging needs of the server; the Courier implementation is in staging-folder.ts. */
export interface StageOps<T> {
  /** APPENDs one message straight into the real folder; its UID there, if the server names it. */
  direct(item: T): Promise<number | undefined>;
  /** Creates staging folder `lane`, empty (whatever an earlier run left there is discarded). */
  prepare(lane: number): Promise<void>;
  /** APPENDs one message into staging folder `lane`; its UID there. */
  append(item: T, lane: number): Promise<number>;
  /** COPYs UIDs of staging folder `lane` into the real folder: each one's UID there (COPYUID). */
  copy(uids: number[], lane: number): Promise<Map<number, number>>;
  /** Removes UIDs from staging folder `lane` (they are in the real folder now). */
  discard(uids: number[], lane: number): Promise<void>;
}

export interface StagedWriterOptions<T> {
  /** Most messages moved by one COPY (a block). */
  batch: number;
  /**
   * A block also closes once it holds this many bytes (`sizeOf`): a staged message's put settles
   * only at its block's COPY, and until then its content stays in memory (see `put`).
   */
  blockBytes?: number;
  sizeOf?: (item: T) => number;
  /** Staging folders written at once; default 1. */
  lanes?: number;
  /** Messages written straight into the real folder before staging starts. */
  directFirst: number;
  /** How long to wait for another put before copying what is staged. */
  lingerMs: number;
  /** A failed COPY that says nothing of single messages (a dropped connection): the whole batch fails at once instead of being copied one by one. */
  isTransient: (err: unknown) => boolean;
  /** Told when the stage could not be emptied after a copy (the messages are in the real folder; the stage is emptied before its next use). */
  onDiscardError?: (err: unknown, lane: number) => void;
  /** Told once when the staging folder cannot be had at all (refused, not a dropped connection): every message goes straight in from then on. */
  onUnstageable?: (err: unknown) => void;
  /** The error for a staged message the server copied without naming its UID while naming others' (looked for before writing again). */
  missingUid: (stagedUid: number, lane: number) => Error;
}

interface Entry<T> {
  item: T;
  /** A direct write waits for this: what was put before it is in the real folder (or given up). */
  after?: Promise<void>;
  /** Told once the item is in its staging folder. */
  sent?: () => void;
  stagedUid?: number;
  resolve: (uid: number | undefined) => void;
  reject: (err: unknown) => void;
}

/** Up to `batch` puts in a row, staged by one lane and moved by one COPY after the block before it. */
interface Block<T> {
  lane: number;
  entries: Entry<T>[];
  bytes: number;
  /** Entries handed to the lane so far (APPENDed or settled). */
  taken: number;
  /** No more puts join it (full, or its lane found nothing more after the linger). */
  closed: boolean;
  /** The block before it has been copied (or given up). */
  after: Promise<void>;
  copied: () => void;
}

interface Lane<T> {
  blocks: Block<T>[];
  prepared: boolean;
  pumping: boolean;
}

export class StagedWriter<T> {
  private readonly directQueue: Entry<T>[] = [];
  private directPumping = false;
  private readonly lanes: Lane<T>[];
  /** The block new puts join. */
  private open: Block<T> | undefined;
  private lastCopied: Promise<void> = Promise.resolve();
  private blocks = 0;
  private unstageable = false;
  private directLeft: number;

  constructor(private readonly ops: StageOps<T>, private readonly opts: StagedWriterOptions<T>) {
    this.directLeft = opts.directFirst;
    this.lanes = Array.from({ length: Math.max(1, opts.lanes ?? 1) }, () => ({ blocks: [], prepared: false, pumping: false }));
  }

  /** Whether messages go through the staging folder now (after `directFirst` written straight). */
  get staging(): boolean {
    return this.directLeft <= 0 && !this.unstageable;
  }

  /**
   * Writes `item` into the real folder; its UID there (undefined if the server did not name it).
   * `sent` is called once the item is in its staging folder: at most `lanes` blocks are staged
   * and not yet copied, which bounds what is held after it.
   */
  put(item: T, sent?: () => void): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve, reject) => {
      if (!this.staging) {
        this.directLeft--;
        // After the blocks before it are copied, before the ones staged meanwhile: the real folder
        // keeps the order of the puts.
        const after = this.lastCopied;
        const written = new Promise<void>((r) => { this.directQueue.push({ item, after, resolve: (uid) => { resolve(uid); r(); }, reject: (err) => { reject(err); r(); } }); });
        this.lastCopied = written;
        void this.pumpDirect();
        return;
      }
      let b = this.open;
      if (!b || b.closed) {
        let copied = () => {};
        const done = new Promise<void>((r) => { copied = r; });
        b = { lane: this.blocks++ % this.lanes.length, entries: [], bytes: 0, taken: 0, closed: false, after: this.lastCopied, copied };
        this.lastCopied = done;
        this.open = b;
        (this.lanes[b.lane] as Lane<T>).blocks.push(b);
      }
      b.entries.push({ item, sent, resolve, reject });
      b.bytes += this.opts.sizeOf?.(item) ?? 0;
      if (b.entries.length >= this.opts.batch || b.bytes >= (this.opts.blockBytes ?? Infinity)) b.closed = true;
      void this.pumpLane(this.lanes[b.lane] as Lane<T>, b.lane);
    });
  }

  /** The direct writes, one at a time. */
  private async pumpDirect(): Promise<void> {
    if (this.directPumping) return;
    this.directPumping = true;
    try {
      for (let e = this.directQueue.shift(); e; e = this.directQueue.shift()) {
        await e.after;
        await this.ops.direct(e.item).then(e.resolve, e.reject);
      }
    } finally {
      this.directPumping = false;
    }
  }

  /** One lane: its blocks in order, each staged whole, then copied in its turn. */
  private async pumpLane(l: Lane<T>, lane: number): Promise<void> {
    if (l.pumping) return;
    l.pumping = true;
    try {
      for (let b = l.blocks[0]; b; b = l.blocks[0]) {
        const e = b.entries[b.taken];
        if (e) {
          b.taken++;
          await this.stage(l, lane, e, b.after);
          continue;
        }
        if (!b.closed) {
          await new Promise((r) => setTimeout(r, this.opts.lingerMs));
          if (b.taken < b.entries.length) continue;
          b.closed = true;
        }
        l.blocks.shift();
        await b.after;
        const staged = b.entries.filter((x) => x.stagedUid !== undefined);
        try {
          await this.flush(l, lane, staged);
        } catch (err) {
          // Not expected (flush settles every entry itself); no put may be left unsettled.
          for (const x of staged) x.reject(err);
        } finally {
          b.copied();
        }
      }
    } finally {
      l.pumping = false;
    }
  }

  /** `after`: the blocks before this entry's are copied (a direct write waits for it, to keep the order). */
  private async stage(l: Lane<T>, lane: number, e: Entry<T>, after: Promise<void>): Promise<void> {
    const direct = async () => {
      await after;
      await this.ops.direct(e.item).then(e.resolve, e.reject);
    };
    try {
      // A lane whose stage works keeps staging its blocks (the messages of a block stay together,
      // in order) when another lane's stage was refused.
      if (this.unstageable && !l.prepared) {
        await direct();
        return;
      }
      if (!l.prepared) {
        try {
          await this.ops.prepare(lane);
        } catch (err) {
          if (this.opts.isTransient(err)) throw err;
          // Refused (a folder quota, an ACL, a server that will not create it): written straight
          // in, as without staging, rather than failing every message of the folder.
          if (!this.unstageable) this.opts.onUnstageable?.(err);
          this.unstageable = true;
          await direct();
          return;
        }
        l.prepared = true;
      }
      e.stagedUid = await this.ops.append(e.item, lane);
      e.sent?.();
    } catch (err) {
      // This item alone fails (e.g. over quota); the stage is set up again for the next one if
      // setting it up was what failed.
      e.reject(err);
    }
  }

  /** Copies a lane's staged block into the real folder and settles each put with its UID or the error. */
  private async flush(l: Lane<T>, lane: number, batch: Entry<T>[]): Promise<void> {
    if (batch.length === 0) return;
    const uids = batch.map((e) => e.stagedUid as number);
    let copied: Map<number, number>;
    try {
      copied = await this.ops.copy(uids, lane);
    } catch (err) {
      l.prepared = false;
      if (batch.length === 1 || this.opts.isTransient(err)) {
        // The COPY may have landed before the connection dropped: the engine looks in the real
        // folder before writing any of them again.
        for (const e of batch) e.reject(err);
        return;
      }
      // One message the folder refuses (over quota) fails the whole COPY: copy one by one, so
      // only the ones refused fail — with the server's own reason.
      copied = new Map();
      for (const e of batch) {
        try {
          const one = await this.ops.copy([e.stagedUid as number], lane);
          for (const [from, to] of one) copied.set(from, to);
        } catch (one) {
          e.reject(one);
          e.stagedUid = undefined;
        }
      }
    }
    const done = batch.filter((e) => e.stagedUid !== undefined);
    try {
      if (l.prepared) await this.ops.discard(done.map((e) => e.stagedUid as number), lane);
    } catch (err) {
      // In the real folder already: the items are written. The stage is emptied before its next use.
      l.prepared = false;
      this.opts.onDiscardError?.(err, lane);
    }
    // No COPYUID at all: the UIDs stay unknown, as after an APPEND without APPENDUID (the messages
    // are in the folder, never written again). One left out of a COPYUID that names the others
    // was not copied (gone from the stage): the engine looks in the folder before writing again.
    for (const e of done) {
      const uid = copied.get(e.stagedUid as number);
      if (uid === undefined && copied.size > 0) e.reject(this.opts.missingUid(e.stagedUid as number, lane));
      else e.resolve(uid);
    }
  }
}

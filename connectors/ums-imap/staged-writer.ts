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
 * The first `directFirst` messages go straight into the real folder (one at a time, as without
 * staging): a nightly delta of a few messages is not worth a staging folder, whose removal costs
 * Courier two seconds (its DELETE waits that long).
 */

/** What the staging needs of the server; the Courier implementation is in index.ts. */
export interface StageOps<T> {
  /** APPENDs one message straight into the real folder; its UID there, if the server names it. */
  direct(item: T): Promise<number | undefined>;
  /** Creates the staging folder, empty (whatever an earlier run left there is discarded). */
  prepare(): Promise<void>;
  /** APPENDs one message into the staging folder; its UID there. */
  append(item: T): Promise<number>;
  /** COPYs the staged UIDs into the real folder: each one's UID there (COPYUID). */
  copy(uids: number[]): Promise<Map<number, number>>;
  /** Removes the staged UIDs from the staging folder (they are in the real folder now). */
  discard(uids: number[]): Promise<void>;
}

export interface StagedWriterOptions {
  /** Most messages copied by one COPY. */
  batch: number;
  /** Messages written straight into the real folder before staging starts. */
  directFirst: number;
  /** How long to wait for another put before copying what is staged. */
  lingerMs: number;
  /** A failed COPY that says nothing of single messages (a dropped connection): the whole batch fails at once instead of being copied one by one. */
  isTransient: (err: unknown) => boolean;
  /** Told when the stage could not be emptied after a copy (the messages are in the real folder; the stage is emptied before its next use). */
  onDiscardError?: (err: unknown) => void;
  /** Told once when the staging folder cannot be had at all (refused, not a dropped connection): every message goes straight in from then on. */
  onUnstageable?: (err: unknown) => void;
  /** The error for a staged message the server copied without naming its UID while naming others' (looked for before writing again). */
  missingUid: (stagedUid: number) => Error;
}

interface Entry<T> {
  item: T;
  stagedUid?: number;
  resolve: (uid: number | undefined) => void;
  reject: (err: unknown) => void;
}

export class StagedWriter<T> {
  private readonly waiting: Entry<T>[] = [];
  private staged: Entry<T>[] = [];
  private pumping = false;
  private prepared = false;
  private unstageable = false;
  private directLeft: number;

  constructor(private readonly ops: StageOps<T>, private readonly opts: StagedWriterOptions) {
    this.directLeft = opts.directFirst;
  }

  /** Whether messages go through the staging folder now (after `directFirst` written straight). */
  get staging(): boolean {
    return this.directLeft <= 0 && !this.unstageable;
  }

  /** Writes `item` into the real folder; its UID there (undefined if the server did not name it). */
  put(item: T): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = this.waiting.shift();
        if (next && (this.directLeft > 0 || this.unstageable)) {
          this.directLeft--;
          await this.ops.direct(next.item).then(next.resolve, next.reject);
          continue;
        }
        if (next) {
          await this.stage(next);
          if (this.staged.length >= this.opts.batch) await this.flush();
          continue;
        }
        if (this.staged.length === 0) break;
        await new Promise((r) => setTimeout(r, this.opts.lingerMs));
        if (this.waiting.length === 0) await this.flush();
      }
    } finally {
      this.pumping = false;
    }
  }

  private async stage(e: Entry<T>): Promise<void> {
    try {
      if (!this.prepared) {
        try {
          await this.ops.prepare();
        } catch (err) {
          if (this.opts.isTransient(err)) throw err;
          // Refused (a folder quota, an ACL, a server that will not create it): written straight
          // in, as without staging, rather than failing every message of the folder.
          this.unstageable = true;
          this.opts.onUnstageable?.(err);
          await this.ops.direct(e.item).then(e.resolve, e.reject);
          return;
        }
        this.prepared = true;
      }
      e.stagedUid = await this.ops.append(e.item);
      this.staged.push(e);
    } catch (err) {
      // This item alone fails (e.g. over quota); the stage is set up again for the next one if
      // setting it up was what failed.
      e.reject(err);
    }
  }

  /** Copies everything staged into the real folder and settles each put with its UID or the error. */
  private async flush(): Promise<void> {
    const batch = this.staged;
    this.staged = [];
    if (batch.length === 0) return;
    const uids = batch.map((e) => e.stagedUid as number);
    let copied: Map<number, number>;
    try {
      copied = await this.ops.copy(uids);
    } catch (err) {
      this.prepared = false;
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
          const one = await this.ops.copy([e.stagedUid as number]);
          for (const [from, to] of one) copied.set(from, to);
        } catch (one) {
          e.reject(one);
          e.stagedUid = undefined;
        }
      }
    }
    const done = batch.filter((e) => e.stagedUid !== undefined);
    try {
      if (this.prepared) await this.ops.discard(done.map((e) => e.stagedUid as number));
    } catch (err) {
      // In the real folder already: the items are written. The stage is emptied before its next use.
      this.prepared = false;
      this.opts.onDiscardError?.(err);
    }
    // No COPYUID at all: the UIDs stay unknown, as after an APPEND without APPENDUID (the messages
    // are in the folder, never written again). One left out of a COPYUID that names the others
    // was not copied (gone from the stage): the engine looks in the folder before writing again.
    for (const e of done) {
      const uid = copied.get(e.stagedUid as number);
      if (uid === undefined && copied.size > 0) e.reject(this.opts.missingUid(e.stagedUid as number));
      else e.resolve(uid);
    }
  }
}

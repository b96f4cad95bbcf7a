/**
 * Finds, in a target folder, the messages a write of unknown outcome may have left (the
 * connection dropped before the tagged OK, or a run was killed): candidates after the write's
 * watermark, narrowed by Message-ID or INTERNALDATE second, then compared by content hash. The
 * candidate index of a whole-folder search (verify mode) and every hash fetched are kept for the
 * session, so re-verifying a folder fetches each message at most once.
 */
import { contentHash } from '../../mappings/content-hash.js';
import type { PendingItem } from '../../src/model/types.js';
import { chunkBySize } from '../imap-common/chunks.js';
import { parseMessageIdHeader, sameMessageId } from '../imap-common/message-id.js';
import type { ImapConn } from '../imap-common/session.js';

/** Target messages after a watermark, indexed for matching. */
interface CandidateIndex {
  all: Candidate[];
  byMessageId: Map<string, Candidate[]>;
  bySecond: Map<number, Candidate[]>;
}

/** The form sameMessageId compares in. */
function midKey(mid: string): string {
  return mid.replace(/\s+/g, '').toLowerCase();
}

interface Candidate {
  uid: string;
  seconds?: number;
  messageId?: string;
  size: number;
}

export class WrittenSearch {
  /** Content hashes of target messages, by `${ref}:${uidvalidity}:${uid}`. */
  private readonly hashes = new Map<string, string>();
  /** Full-folder candidate lists (verify mode), by `${ref}:${uidvalidity}`. */
  private readonly indexes = new Map<string, CandidateIndex>();

  /** Target ids (UIDs) of the `pending` items found in `ref` (opened read-only on `c`), none of them in `exclude`. */
  async find(c: ImapConn, ref: string, watermark: string, pending: PendingItem[], exclude: Set<string>): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const mb = await c.client.mailboxOpen(ref, { readOnly: true });
    const epoch = String(mb.uidValidity);
    const [wEpoch, wNext] = watermark.split(':');
    const fromStart = watermark === '' || wEpoch !== epoch;
    if (mb.exists === 0) return found;
    const start = fromStart ? 1 : Math.max(1, Number(wNext));
    const index = await this.candidates(c, ref, epoch, start, fromStart);
    const taken = new Set<string>();
    for (const p of pending) {
      const seconds = p.internalDate ? Math.floor(p.internalDate.getTime() / 1000) : undefined;
      // Narrow through the index (by Message-ID, else by second): a whole-folder re-verification
      // stays linear in the folder size.
      const pool = p.messageId !== undefined ? index.byMessageId.get(midKey(p.messageId)) ?? []
        : seconds !== undefined ? index.bySecond.get(seconds) ?? [] : index.all;
      const maybe = pool.filter((m) => !exclude.has(m.uid) && !taken.has(m.uid)
        && (seconds === undefined || m.seconds === seconds)
        && (p.messageId === undefined || sameMessageId(p.messageId, m.messageId)));
      await this.hashCandidates(c, ref, epoch, maybe);
      const hit = maybe.find((m) => this.hashes.get(`${ref}:${epoch}:${m.uid}`) === p.hash);
      if (hit) {
        taken.add(hit.uid);
        found.set(p.key, hit.uid);
      }
    }
    return found;
  }

  private async candidates(c: ImapConn, ref: string, epoch: string, start: number, cache: boolean): Promise<CandidateIndex> {
    const key = `${ref}:${epoch}`;
    const cached = cache ? this.indexes.get(key) : undefined;
    if (cached) return cached;
    const index: CandidateIndex = { all: [], byMessageId: new Map(), bySecond: new Map() };
    for await (const m of c.client.fetch(`${start}:*`, { uid: true, internalDate: true, size: true, headers: ['message-id'] }, { uid: true })) {
      if (m.uid < start) continue;
      const cand: Candidate = {
        uid: String(m.uid), size: m.size ?? 0, messageId: parseMessageIdHeader(m.headers),
        seconds: m.internalDate ? Math.floor(new Date(m.internalDate).getTime() / 1000) : undefined,
      };
      index.all.push(cand);
      if (cand.messageId !== undefined) {
        const k = midKey(cand.messageId);
        index.byMessageId.set(k, [...(index.byMessageId.get(k) ?? []), cand]);
      }
      if (cand.seconds !== undefined) {
        const list = index.bySecond.get(cand.seconds);
        if (list) list.push(cand);
        else index.bySecond.set(cand.seconds, [cand]);
      }
    }
    if (cache) this.indexes.set(key, index);
    return index;
  }

  private async hashCandidates(c: ImapConn, ref: string, epoch: string, list: Candidate[]): Promise<void> {
    const missing = list.filter((m) => !this.hashes.has(`${ref}:${epoch}:${m.uid}`));
    for (const chunk of chunkBySize(missing, 8 * 1024 * 1024, 50)) {
      for await (const m of c.client.fetch(chunk.map((x) => x.uid).join(','), { uid: true, source: true }, { uid: true })) {
        if (m.source) this.hashes.set(`${ref}:${epoch}:${m.uid}`, contentHash(m.source));
      }
    }
  }
}

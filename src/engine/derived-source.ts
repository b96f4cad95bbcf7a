/**
 * A whole SourceMailbox from what a source implements (SourceMailboxCore in src/model/types.ts):
 * each question the source does not answer itself is answered by listing the container with
 * `changes` from the start. Correct for any source, and O(container) per question — a source
 * that can do better (a server-side probe, a change sequence, a lookup by id) implements the
 * method, and it is used as it is.
 *
 * - stats: count and size of the listing; the token is a digest of every item's id, size, date
 *   and flags, so any change (an added, removed or re-flagged item) makes a new token.
 * - flagChanges: every item with its flags (`complete`: the source cannot narrow it down).
 * - allIds: every id listed. lookup: the listed items among the ids asked for.
 * - verify: listing the containers is the check.
 */
import { createHash } from 'node:crypto';
import type { AccessCheck, ChangePage, Container, ContainerStats, FlagChanges, ItemMeta, SourceMailbox, SourceMailboxCore } from '../model/types.js';
import { reasonOf } from '../util/errors.js';

/** Items per `changes` call while deriving (the listing is metadata only). */
const PAGE = 500;

/** `m` with the missing questions answered by listing; a source that answers all of them is returned as it is. */
export function completeSource(m: SourceMailboxCore): SourceMailbox {
  if (m.verify && m.stats && m.flagChanges && m.allIds && m.lookup) return m as SourceMailbox;
  // Delegates, never copies: the source's own state stays in the source object.
  return {
    containers: () => m.containers(),
    changes: (c, cursor, limit) => m.changes(c, cursor, limit),
    read: (c, items) => m.read(c, items),
    close: () => m.close(),
    ...(m.pagedDeltas ? { pagedDeltas: (c: Container) => m.pagedDeltas?.(c) === true } : {}),
    ...(m.listsAhead !== undefined ? { listsAhead: m.listsAhead } : {}),
    verify: m.verify?.bind(m) ?? (() => verifyByListing(m)),
    stats: m.stats?.bind(m) ?? ((c, opts) => statsByListing(m, c, opts)),
    flagChanges: m.flagChanges?.bind(m) ?? ((c) => flagsByListing(m, c)),
    allIds: m.allIds?.bind(m) ?? (async (c) => {
      const { epoch, items } = await listAll(m, c);
      return { epoch, ids: items.map((i) => i.id) };
    }),
    lookup: m.lookup?.bind(m) ?? (async (c, ids) => {
      const wanted = new Set(ids);
      const { epoch, items } = await listAll(m, c);
      return { epoch, items: items.filter((i) => wanted.has(i.id)) };
    }),
  };
}

/** Every item of `c`, in source order, and the epoch of the listing (one epoch throughout, or it fails). */
async function listAll(m: SourceMailboxCore, c: Container): Promise<{ epoch: string; items: ItemMeta[] }> {
  const items: ItemMeta[] = [];
  let epoch: string | undefined;
  let cursor: string | null = null;
  for (;;) {
    const page: ChangePage = await m.changes(c, cursor, PAGE);
    if (epoch !== undefined && page.epoch !== epoch) throw new Error(`the epoch of ${c.id} changed while it was listed (${epoch} → ${page.epoch})`);
    epoch = page.epoch;
    items.push(...page.items);
    if (page.done) return { epoch, items };
    cursor = page.cursor;
  }
}

async function statsByListing(m: SourceMailboxCore, c: Container, opts?: { withBytes?: boolean }): Promise<ContainerStats> {
  const { epoch, items } = await listAll(m, c);
  const digest = createHash('sha256').update(epoch);
  for (const i of items) digest.update(`\n${i.id}\t${i.size}\t${i.internalDate?.toISOString() ?? ''}\t${[...i.flags].sort().join(' ')}\t${i.skip ?? ''}`);
  const notMigrated = items.filter((i) => i.skip !== undefined).map((i) => ({ id: i.id, reason: i.skip as string }));
  return {
    count: items.length, epoch, token: `listed:${digest.digest('base64url')}`,
    ...(opts?.withBytes ? { bytes: items.reduce((n, i) => n + i.size, 0) } : {}),
    ...(notMigrated.length > 0 ? { notMigrated } : {}),
  };
}

async function flagsByListing(m: SourceMailboxCore, c: Container): Promise<FlagChanges> {
  const { epoch, items } = await listAll(m, c);
  return { epoch, items: items.filter((i) => i.skip === undefined).map((i) => ({ id: i.id, flags: i.flags })), complete: true };
}

async function verifyByListing(m: SourceMailboxCore): Promise<AccessCheck> {
  try {
    const containers = await m.containers();
    return { ok: true, checks: [{ name: 'list folders', ok: true, detail: `${containers.length} folders` }] };
  } catch (err) {
    return { ok: false, checks: [{ name: 'list folders', ok: false, detail: reasonOf(err) }] };
  }
}

/**
 * Paging a listing ordered by (key, id) — the order items were added to a file store (a
 * kopano-backup's backup_updated time, a tree's arrival time) — with a cursor that is the last
 * [key, id] pair handed out, so items added later always come after it and a resumed pass never
 * skips them. A cursor that cannot be read (an earlier version's) restarts the pass: the engine
 * skips what it already copied.
 */

export interface Ordered {
  /** Sorts items in the order they were added to the store (ties broken by id). */
  orderKey: string;
  id: string;
}

/** Sorts by (key, id). */
export function compareOrdered(a: Ordered, b: Ordered): number {
  return a.orderKey === b.orderKey ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.orderKey < b.orderKey ? -1 : 1;
}

function parseCursor(cursor: string | null): [string, string] | undefined {
  if (cursor === null || !cursor.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(cursor) as unknown;
    return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

/** The next page of `all` (sorted by compareOrdered) after `cursor`, the cursor after it, and whether it is the last. */
export function orderedPage<T extends Ordered>(all: readonly T[], cursor: string | null, limit: number): { page: T[]; cursor: string; done: boolean } {
  const after = parseCursor(cursor);
  let start = 0;
  if (after) {
    const [key, id] = after;
    start = all.findIndex((i) => i.orderKey > key || (i.orderKey === key && i.id > id));
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + Math.max(1, limit));
  const last = page.at(-1);
  return {
    page,
    cursor: last ? JSON.stringify([last.orderKey, last.id]) : after ? JSON.stringify(after) : JSON.stringify(['', '']),
    done: start + page.length >= all.length,
  };
}

/**
 * A source mailbox read from files (a kopano-backup user directory, an EML/ICS/VCF tree): the
 * SourceMailbox contract on top of three questions a concrete store answers: which containers,
 * which items (with a sort key) and what one item converts to.
 *
 * - Order and cursor: items are listed by (orderKey, id); the cursor is the last pair handed out
 *   (../file-tree/ordered-page.ts).
 *   The order key is chosen so that items added by a later backup sort after earlier ones
 *   (kopano-backup: the index's backup_updated time), so a resumed pass never skips them.
 * - Item metadata (size, INTERNALDATE, flags, Message-ID) is that of the converted item (the
 *   MIME/iCalendar/vCard bytes), so the size filter and the byte budget see the real size. The
 *   bytes of the last listed page are kept for `read`, so each item is converted once per pass.
 *   Container byte totals (`stats` withBytes) may be estimates (see `totalBytes`).
 * - An item that cannot be converted is listed with size 0 and yields its error from `read`, so
 *   the engine records it as failed (with the reason naming the file and item) and goes on.
 * - An entry the store saw but does not migrate (a file of unknown type, `winmail.dat`, a link
 *   out of the tree, a FIFO) is listed with `skip` and the reason: never converted or read, the
 *   engine records it as skipped, so every entry seen ends copied, failed or skipped with a reason.
 */
import { createHash } from 'node:crypto';
import type { AccessCheck, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemMeta, SourceMailbox } from '../../src/model/types.js';
import { ItemError } from '../../src/util/errors.js';
import type { ConvertedItem } from './item-content.js';
import { compareOrdered, orderedPage, type Ordered } from '../file-tree/ordered-page.js';

/** Converted content kept between a page listing and its `read`, per mailbox. */
const CACHE_BYTES = 16 * 1024 * 1024;

export interface FileItemRef extends Ordered {
  /** Not migrated, and why (see the top of this module). */
  skip?: string;
}

export interface FileContainer extends Container {
  /** The container's identity generation; item ids are only meaningful inside it. */
  epoch: string;
  /** Changes whenever the container's files change (sizes, modification times). */
  token: string;
}

export abstract class FileMailbox implements SourceMailbox {
  private readonly cache = new Map<string, { container: string; result: ConvertedItem | Error }>();
  private cachedBytes = 0;

  abstract verify(): Promise<AccessCheck>;
  abstract fileContainers(): FileContainer[];
  abstract listItems(c: Container): FileItemRef[];
  abstract convert(c: Container, ids: string[]): AsyncIterable<{ id: string; result: ConvertedItem | Error }>;
  /** The subject of an item for `lookup(…, { subjects })`; undefined when unknown. */
  protected subjectOf(_c: Container, _id: string): string | undefined {
    return undefined;
  }

  async containers(): Promise<Container[]> {
    return this.fileContainers().map(({ epoch: _e, token: _t, ...c }) => c);
  }

  protected container(c: Container): FileContainer {
    const fc = this.fileContainers().find((x) => x.id === c.id);
    if (!fc) throw new ItemError(`container ${c.path.join('/')} is no longer in the source`, 'CONTAINER_GONE');
    return fc;
  }

  /** Item lists by container, read once per mailbox session (a run opens a fresh mailbox). */
  private readonly lists = new Map<string, FileItemRef[]>();

  /** The container's items in pass order (cached: a large folder is listed once, not once per page). */
  protected items(c: Container): FileItemRef[] {
    let list = this.lists.get(c.id);
    if (!list) {
      list = this.sorted(c);
      this.lists.set(c.id, list);
    }
    return list;
  }

  /** The container's items that are converted (those without `skip`). */
  protected convertible(c: Container): FileItemRef[] {
    return this.items(c).filter((i) => i.skip === undefined);
  }

  private sorted(c: Container): FileItemRef[] {
    return [...this.listItems(c)].sort(compareOrdered);
  }

  /**
   * Converts items one at a time (never a whole page in memory), from the cache when the page
   * listing kept them. With `keep`, results are cached within CACHE_BYTES for the `read` that
   * follows; larger ones are converted again there.
   */
  private async *each(c: Container, ids: string[], keep: boolean): AsyncGenerator<{ id: string; result: ConvertedItem | Error }> {
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.cache.get(id);
      if (hit && hit.container === c.id) yield { id, result: hit.result };
      else missing.push(id);
    }
    if (missing.length === 0) return;
    for await (const { id, result } of this.convert(c, missing)) {
      const size = result instanceof Error ? 0 : result.content.length;
      if (keep && this.cachedBytes + size <= CACHE_BYTES) {
        this.cache.set(id, { container: c.id, result });
        this.cachedBytes += size;
      }
      yield { id, result };
    }
  }

  private uncache(id: string): void {
    const hit = this.cache.get(id);
    if (!hit) return;
    if (!(hit.result instanceof Error)) this.cachedBytes -= hit.result.content.length;
    this.cache.delete(id);
  }

  private meta(id: string, r: ConvertedItem | Error | undefined): ItemMeta {
    if (!r || r instanceof Error) return { id, size: 0, flags: [] };
    return { id, size: r.content.length, internalDate: r.internalDate, flags: r.flags, messageId: r.messageId };
  }

  async stats(c: Container, opts?: { withBytes?: boolean }): Promise<ContainerStats> {
    const fc = this.container(c);
    const ids = this.items(c).map((i) => i.id);
    const token = createHash('sha256').update(`${fc.token}\u0000${ids.length}`).digest('hex').slice(0, 32);
    const skipped = this.items(c).flatMap((i) => (i.skip === undefined ? [] : [{ id: i.id, reason: i.skip }]));
    const notMigrated = skipped.length > 0 ? { notMigrated: skipped } : {};
    if (!opts?.withBytes) return { count: ids.length, epoch: fc.epoch, token, ...notMigrated };
    return { count: ids.length, bytes: await this.totalBytes(c, this.convertible(c).map((i) => i.id)), epoch: fc.epoch, token, ...notMigrated };
  }

  /**
   * Total size of the items (progress totals, `plan`). By default the converted sizes; a store
   * overrides it with something cheaper when converting everything up front would double the
   * work (the engine asks before every changed container).
   */
  protected async totalBytes(c: Container, ids: string[]): Promise<number> {
    let bytes = 0;
    for await (const { result } of this.each(c, ids, false)) if (!(result instanceof Error)) bytes += result.content.length;
    return bytes;
  }

  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const fc = this.container(c);
    const { page, cursor: next, done } = orderedPage(this.items(c), cursor, limit);
    for (const [id, v] of [...this.cache]) if (v.container === c.id) this.uncache(id);
    const metas = new Map<string, ItemMeta>();
    for (const i of page) if (i.skip !== undefined) metas.set(i.id, { id: i.id, size: 0, flags: [], skip: i.skip });
    for await (const { id, result } of this.each(c, page.filter((i) => i.skip === undefined).map((i) => i.id), true)) metas.set(id, this.meta(id, result));
    return { epoch: fc.epoch, items: page.map((i) => metas.get(i.id) ?? this.meta(i.id, undefined)), cursor: next, done };
  }

  /** The current flags of items; by default from the converted items, stores override it with something cheaper. */
  protected async flagsOf(c: Container, ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for await (const { id, result } of this.each(c, ids, false)) out.set(id, this.meta(id, result).flags);
    return out;
  }

  async flagChanges(c: Container, _sinceSeq: string | null): Promise<FlagChanges> {
    const fc = this.container(c);
    const ids = this.convertible(c).map((i) => i.id);
    const flags = await this.flagsOf(c, ids);
    return { epoch: fc.epoch, items: ids.map((id) => ({ id, flags: flags.get(id) ?? [] })), complete: true };
  }

  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    return { epoch: this.container(c).epoch, ids: this.items(c).map((i) => i.id) };
  }

  async lookup(c: Container, ids: string[], opts?: { subjects?: boolean }): Promise<{ epoch: string; items: ItemMeta[] }> {
    const fc = this.container(c);
    const present = new Map(this.items(c).map((i) => [i.id, i]));
    const wanted = ids.filter((id) => present.has(id));
    const items: ItemMeta[] = [];
    for (const id of wanted) {
      const skip = present.get(id)?.skip;
      if (skip !== undefined) items.push({ id, size: 0, flags: [], skip });
    }
    for await (const { id, result } of this.each(c, wanted.filter((id) => present.get(id)?.skip === undefined), true)) {
      const m = this.meta(id, result);
      items.push(opts?.subjects ? { ...m, subject: this.subjectOf(c, id) } : m);
    }
    return { epoch: fc.epoch, items };
  }

  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const present = new Map(this.items(c).map((i) => [i.id, i]));
    const byId = new Map(items.map((m) => [m.id, m]));
    for (const meta of items) {
      if (!present.has(meta.id)) yield { meta, error: new ItemError(`${c.path.join('/')}: item ${meta.id} is no longer in the source`, 'ITEM_GONE') };
      const skip = present.get(meta.id)?.skip;
      if (skip !== undefined) yield { meta, error: new ItemError(`not migrated: ${skip}`, 'ITEM_SKIPPED') };
    }
    for await (const { id, result: r } of this.each(c, items.filter((m) => present.get(m.id)?.skip === undefined && present.has(m.id)).map((m) => m.id), false)) {
      const meta = byId.get(id)!;
      this.uncache(id);
      if (r instanceof Error) yield { meta, error: r instanceof ItemError ? r : new ItemError(r.message, 'ITEM_UNREADABLE', { cause: r }) };
      else yield { meta: { ...meta, size: r.content.length, internalDate: r.internalDate, flags: r.flags, messageId: r.messageId }, content: r.content, ...(r.warnings ? { warnings: r.warnings } : {}) };
    }
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.cachedBytes = 0;
    this.lists.clear();
  }
}

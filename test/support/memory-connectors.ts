/**
 * In-memory source and target with fault injection, for engine tests (no protocol involved).
 * The target behaves like an IMAP server with UIDPLUS (per-folder UIDVALIDITY and UIDNEXT, writes
 * recovered by search), or, with `writes: 'idempotent'`, like a DAV server (one object per item,
 * written again in place); see MemoryTargetOptions.
 */
import { contentHash } from '../../mappings/content-hash.js';
import type {
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemKind, ItemMeta, PendingItem, PutResult,
  SourceConnector, SourceMailbox, TargetCapabilities, TargetConnector, TargetContainerState, TargetMailbox,
} from '../../src/model/types.js';
import { ItemError, TransientError } from '../../src/util/errors.js';

/** `name`: an idempotent target's object name (see MemoryTargetOptions). */
export interface MemMessage { uid: number; content: Buffer; flags: string[]; internalDate: Date; messageId?: string; name?: string }
/** `kind` absent: a mail folder. `skip`: the source lists the folder as not migrated, with this reason (a PST journal). */
export interface MemFolder { path: string[]; uidValidity: number; uidNext: number; messages: MemMessage[]; kind?: ItemKind; skip?: string }

export class MemorySource implements SourceConnector, SourceMailbox {
  readonly name = 'memory';
  folders = new Map<string, MemFolder>();
  /** Like an IMAP server with CONDSTORE: stats carry a change sequence (false: flag changes are invisible to the token). */
  condstore = true;
  /** Called before each read of an item; throw to inject a fault. */
  beforeRead?: (id: string) => void;

  /** Adds an item; `kind` (default mail) is the folder's kind when this creates the folder. */
  add(path: string[], content: string | Buffer, opts: { flags?: string[]; date?: Date; messageId?: string; kind?: ItemKind } = {}): MemMessage {
    const id = path.join('/');
    let f = this.folders.get(id);
    if (!f) { f = { path, uidValidity: 1000, uidNext: 1, messages: [], kind: opts.kind }; this.folders.set(id, f); }
    const m = { uid: f.uidNext++, content: Buffer.from(content), flags: opts.flags ?? [], internalDate: opts.date ?? new Date('2024-01-01T10:00:00Z'), messageId: opts.messageId };
    f.messages.push(m);
    return m;
  }

  async openMailbox(_a: Account): Promise<SourceMailbox> { return this; }
  async verify(): Promise<AccessCheck> { return { ok: true, checks: [] }; }
  async containers(): Promise<Container[]> {
    return [...this.folders.entries()].map(([id, f]) => ({
      id, path: f.path, delimiter: '/', kind: f.kind ?? 'mail', specialUse: id === 'INBOX' ? '\\Inbox' as const : undefined, ...(f.skip !== undefined ? { skip: f.skip } : {}),
    }));
  }
  private folder(c: Container): MemFolder {
    const f = this.folders.get(c.id);
    if (!f) throw new Error(`no folder ${c.id}`);
    return f;
  }
  async stats(c: Container): Promise<ContainerStats> {
    const f = this.folder(c);
    const token = `${f.uidValidity}:${f.uidNext}:${f.messages.length}`;
    return { count: f.messages.length, bytes: f.messages.reduce((n, m) => n + m.content.length, 0), epoch: String(f.uidValidity), token, changeSeq: this.condstore ? token : undefined };
  }
  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const f = this.folder(c);
    const after = cursor === null ? 0 : Number(cursor);
    const rest = f.messages.filter((m) => m.uid > after);
    const page = rest.slice(0, limit);
    return {
      epoch: String(f.uidValidity),
      items: page.map((m) => ({ id: String(m.uid), size: m.content.length, internalDate: m.internalDate, flags: m.flags, messageId: m.messageId })),
      cursor: String(page.length ? (page[page.length - 1] as MemMessage).uid : after),
      done: rest.length <= limit,
    };
  }
  async flagChanges(c: Container, _since: string | null): Promise<FlagChanges> {
    const f = this.folder(c);
    return { epoch: String(f.uidValidity), items: f.messages.map((m) => ({ id: String(m.uid), flags: m.flags })), complete: true };
  }
  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    const f = this.folder(c);
    return { epoch: String(f.uidValidity), ids: f.messages.map((m) => String(m.uid)) };
  }
  async lookup(c: Container, ids: string[], _opts?: { subjects?: boolean }): Promise<{ epoch: string; items: ItemMeta[] }> {
    const f = this.folder(c);
    const items = f.messages.filter((m) => ids.includes(String(m.uid)))
      .map((m) => ({ id: String(m.uid), size: m.content.length, internalDate: m.internalDate, flags: m.flags, messageId: m.messageId }));
    return { epoch: String(f.uidValidity), items };
  }
  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const f = this.folder(c);
    for (const meta of items) {
      this.beforeRead?.(meta.id);
      const m = f.messages.find((x) => String(x.uid) === meta.id);
      if (m) yield { meta, content: m.content };
      else yield { meta, error: new Error(`${c.id}: item ${meta.id} is no longer in the source`) };
    }
  }
  async close(): Promise<void> {}
}

export interface Fault {
  /**
   * 'before': the write fails and nothing lands; 'after': it lands, then the connection "drops";
   * 'late': the connection drops and the write lands only later (at the next settle()).
   */
  when: 'before' | 'after' | 'late';
  kind: 'transient' | 'reject';
}

export interface MemoryTargetOptions {
  /**
   * 'recoverable' (default): like IMAP APPEND, every write adds a message; the target declares
   * `recovery` (watermark, findWritten, settle). 'idempotent': like DAV, an item's object is named
   * by its Message-ID (else its content hash) and writing it again replaces it; no `recovery`
   * (a 'late' fault then lands at once: a replay would overwrite it anyway). Unlike DAV it does
   * not refuse two items with one name: give the items of a test distinct Message-IDs.
   */
  writes?: 'recoverable' | 'idempotent';
  /** false: no `setFlags` capability (a target whose objects carry no flags). */
  setFlags?: boolean;
  /** false: no `removeItems` capability (a target that cannot delete). */
  removeItems?: boolean;
}

export class MemoryTarget implements TargetConnector, TargetMailbox {
  readonly name = 'memory';
  /** Takes every kind: calendars, contacts and tasks land in collection refs ("calendar:Kalender"). */
  readonly accepts: readonly ItemKind[] = ['mail', 'event', 'contact', 'task'];
  folders = new Map<string, { uidValidity: number; uidNext: number; messages: MemMessage[] }>();
  puts = 0;
  /** Calls of the recovery methods, whether the engine should reach them or not. */
  readonly recoveryCalls = { findWritten: 0, settle: 0 };
  /** Decides a fault for the n-th put (1-based), or none. */
  fault?: (n: number, item: ItemContent) => Fault | undefined;
  private readonly idempotent: boolean;
  private readonly caps: TargetCapabilities;

  constructor(opts: MemoryTargetOptions = {}) {
    this.idempotent = opts.writes === 'idempotent';
    this.caps = {
      ...(this.idempotent ? {} : { recovery: this }),
      ...(opts.setFlags === false ? {} : { setFlags: (ref: string, changes: { id: string; flags: string[] }[]) => this.setFlags(ref, changes) }),
      ...(opts.removeItems === false ? {} : { removeItems: (ref: string, ids: string[]) => this.removeItems(ref, ids) }),
    };
  }

  capabilities(): TargetCapabilities { return this.caps; }

  async openMailbox(_a: Account): Promise<TargetMailbox> { return this; }
  async verify(): Promise<AccessCheck> { return { ok: true, checks: [] }; }
  async namespace() { return { prefix: 'INBOX.', delimiter: '.' }; }
  async list(): Promise<string[]> { return [...this.folders.keys()]; }
  private f(ref: string) {
    let f = this.folders.get(ref);
    if (!f) { f = { uidValidity: 7, uidNext: 1, messages: [] }; this.folders.set(ref, f); }
    return f;
  }
  async ensure(ref: string): Promise<TargetContainerState> {
    const f = this.f(ref);
    if (this.idempotent) return { ref, epoch: String(f.uidValidity) };
    return { ref, epoch: String(f.uidValidity), watermark: `${f.uidValidity}:${f.uidNext}` };
  }
  async put(ref: string, item: ItemContent): Promise<PutResult> {
    const n = ++this.puts;
    const fault = this.fault?.(n, item);
    if (fault?.when === 'before') throw fault.kind === 'transient' ? new TransientError('connection reset (injected)') : new ItemError('rejected (injected)');
    const f = this.f(ref);
    if (this.idempotent) return this.putInPlace(f, item, fault);
    if (fault?.when === 'late') {
      this.late.push({ ref, msg: { uid: 0, content: item.content, flags: item.meta.flags, internalDate: item.meta.internalDate ?? new Date(), messageId: item.meta.messageId } });
      throw new TransientError('connection dropped mid-write (injected; lands later)');
    }
    const m = { uid: f.uidNext++, content: item.content, flags: item.meta.flags, internalDate: item.meta.internalDate ?? new Date(), messageId: item.meta.messageId };
    f.messages.push(m);
    if (fault?.when === 'after') throw new TransientError('connection dropped after the write (injected)');
    return { id: String(m.uid) };
  }
  /** An idempotent write: the object named after the item is created or replaced. */
  private putInPlace(f: { uidNext: number; messages: MemMessage[] }, item: ItemContent, fault: Fault | undefined): PutResult {
    const name = item.meta.messageId ?? contentHash(item.content);
    const fields = { content: item.content, flags: item.meta.flags, internalDate: item.meta.internalDate ?? new Date(), messageId: item.meta.messageId, name };
    let m = f.messages.find((x) => x.name === name);
    if (m) Object.assign(m, fields);
    else f.messages.push(m = { uid: f.uidNext++, ...fields });
    if (fault?.when === 'after' || fault?.when === 'late') throw new TransientError('connection dropped after the write (injected)');
    return { id: String(m.uid) };
  }
  async findWritten(ref: string, watermark: string, pending: PendingItem[], exclude: Set<string>): Promise<Map<string, string>> {
    this.recoveryCalls.findWritten++;
    const f = this.f(ref);
    const [e, next] = watermark.split(':');
    const start = watermark === '' || e !== String(f.uidValidity) ? 1 : Number(next);
    const taken = new Set<string>();
    const out = new Map<string, string>();
    for (const p of pending) {
      const hit = f.messages.find((m) => m.uid >= start && !exclude.has(String(m.uid)) && !taken.has(String(m.uid)) && contentHash(m.content) === p.hash);
      if (hit) { taken.add(String(hit.uid)); out.set(p.key, String(hit.uid)); }
    }
    return out;
  }
  /** Writes that land only at the next settle() of their folder (a dead session finishing its APPEND late). */
  late: { ref: string; msg: MemMessage }[] = [];
  async settle(ref: string): Promise<void> {
    this.recoveryCalls.settle++;
    const landing = this.late.filter((l) => l.ref === ref);
    if (landing.length === 0) return;
    this.late = this.late.filter((l) => l.ref !== ref);
    const f = this.f(ref);
    for (const l of landing) f.messages.push({ ...l.msg, uid: f.uidNext++ });
  }
  async setFlags(ref: string, changes: { id: string; flags: string[] }[]): Promise<void> {
    const f = this.f(ref);
    for (const ch of changes) {
      const m = f.messages.find((x) => String(x.uid) === ch.id);
      if (m) m.flags = ch.flags;
    }
  }
  async inventory(ref: string, _opts?: { subjects?: boolean }): Promise<ItemMeta[]> {
    return this.f(ref).messages.map((m) => ({ id: String(m.uid), size: m.content.length, internalDate: m.internalDate, flags: m.flags, messageId: m.messageId }));
  }
  /** What was put into the container, as written. */
  async *objects(ref: string): AsyncIterable<{ id: string; content: Buffer }> {
    for (const m of this.folders.get(ref)?.messages ?? []) yield { id: String(m.uid), content: m.content };
  }
  async removeItems(ref: string, ids: string[]): Promise<void> {
    const f = this.f(ref);
    f.messages = f.messages.filter((m) => !ids.includes(String(m.uid)));
  }
  async close(): Promise<void> {}
}

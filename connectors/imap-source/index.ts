/**
 * IMAP source: any IMAP server, read-only (every folder is opened with EXAMINE).
 * Cursor = the last UID handed out, inside one UIDVALIDITY (the epoch).
 */
import type { FetchMessageObject, ListResponse, StatusObject } from 'imapflow';
import type { Logger } from 'pino';
import type {
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemMeta, SourceConnector, SourceMailbox, SpecialUse,
} from '../../src/model/types.js';
import { coerceError, ItemError, TransientError } from '../../src/util/errors.js';
import { ByteBudget, Semaphore, type SlotGate } from '../../src/util/semaphore.js';
import type { ImapEndpoint } from '../imap-common/endpoint.js';
import { ImapSession, type ImapConn } from '../imap-common/session.js';
import { parseMessageIdHeader, parseSubjectHeader } from '../imap-common/message-id.js';
import { chunkBySize } from '../imap-common/chunks.js';

/** Most bytes fetched by one FETCH of message bodies (one larger message is fetched alone). */
const READ_CHUNK_BYTES = 2 * 1024 * 1024;
const READ_CHUNK_ITEMS = 50;
/**
 * FETCHes of one read in flight at once, each on a pooled connection (imapflow sends one command
 * at a time per connection): at a WAN round trip a lone FETCH leaves the link idle in between.
 */
const READ_AHEAD = 3;
/**
 * Bytes of the FETCHes sent ahead (beyond the one each read waits on), across all reads of every
 * mailbox of the source (one per run or worker): eight folders read at once would otherwise hold
 * 8 × 3 × 2 MiB of bodies not yet wanted, and four mailboxes four times what one does.
 */
export const READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** What a listing reads of each message. */
const META_QUERY = { uid: true, flags: true, internalDate: true, size: true, headers: ['message-id'] };
/** How long a folder's counts from the listing (LIST-STATUS) stand in for its STATUS: the probes follow at once. */
const LISTED_STATUS_MS = 30_000;
type StatusAnswer = Pick<StatusObject, 'messages' | 'uidNext' | 'uidValidity' | 'highestModseq'> & { size?: number };
/**
 * The special use a folder listed with several attributes gets (compared case-insensitively, as
 * RFC 3501 has them): the ones the folder mapping has a target folder for first, so a folder
 * flagged (\\All \\Archive) is the archive.
 */
const SPECIAL_USE_PRECEDENCE: SpecialUse[] = ['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged'];


export class ImapSource implements SourceConnector {
  readonly name = 'imap';
  private readonly slots: SlotGate;
  /** The bytes read ahead by all reads of all mailboxes (READ_AHEAD_BYTES). */
  private readonly readAhead = new ByteBudget(READ_AHEAD_BYTES);

  /** `slots`: the server-wide connection cap when it is shared beyond this process (workers). */
  constructor(private readonly ep: ImapEndpoint, private readonly log: Logger, private readonly perMailbox = 4, slots?: SlotGate) {
    this.slots = slots ?? new Semaphore(ep.maxConnections);
  }

  async openMailbox(account: Account): Promise<SourceMailbox> {
    const mb = new ImapSourceMailbox(this.ep, account, this.slots, this.log.child({ side: 'source' }), this.perMailbox, this.readAhead);
    await mb.open();
    return mb;
  }

  async close(): Promise<void> {}
}

class ImapSourceMailbox implements SourceMailbox {
  /** The UID list of a pass is kept by the `after` it continues from: the next page can be listed while one is read. */
  readonly listsAhead = true;
  private readonly session: ImapSession;
  /** Remaining UIDs per container, from one UID SEARCH per pass. */
  private readonly uidLists = new Map<string, { epoch: string; after: number; uids: number[] }>();
  private readonly epochs = new Map<string, string>();
  /** UIDs read with the sizes (stats withBytes), used once by the next listing instead of a UID SEARCH. */
  private readonly sizedUids = new Map<string, { epoch: string; uids: number[] }>();
  /** Each folder's STATUS as the last LIST brought it (LIST-STATUS), used once by its probe. */
  private readonly listedStatus = new Map<string, { status: StatusAnswer; at: number }>();
  /** The server refused LIST … RETURN (STATUS …) once in this session. */
  private listStatusRefused = false;

  /** `readAhead`: the source's budget for FETCHes sent ahead, shared with its other mailboxes. */
  constructor(private readonly ep: ImapEndpoint, private readonly account: Account, slots: SlotGate, private readonly log: Logger, max: number, private readonly readAhead: ByteBudget) {
    this.session = new ImapSession(ep, account, slots, log, max, 'source');
  }

  open(): Promise<void> {
    return this.session.open();
  }

  private run<T>(what: string, fn: (c: ImapConn) => Promise<T>, folder?: string): Promise<T> {
    return this.session.run(what, fn, folder);
  }

  private async examine(c: ImapConn, folder: string): Promise<string> {
    if (c.selected === folder && c.epoch) return c.epoch;
    c.selected = undefined;
    const mb = await c.client.mailboxOpen(folder, { readOnly: true });
    c.selected = folder;
    c.epoch = String(mb.uidValidity);
    return c.epoch;
  }

  async verify(): Promise<AccessCheck> {
    const checks: AccessCheck['checks'] = [{ name: 'login', ok: true, detail: `${this.ep.host}:${this.ep.port} as ${this.account.login}` }];
    try {
      const list = await this.containers();
      checks.push({ name: 'list folders', ok: true, detail: `${list.length} folders` });
      const inbox = list.find((c) => c.specialUse === '\\Inbox');
      if (inbox) {
        await this.run('EXAMINE INBOX', (c) => this.examine(c, inbox.id), inbox.id);
        checks.push({ name: 'read INBOX (EXAMINE)', ok: true });
      } else checks.push({ name: 'read INBOX (EXAMINE)', ok: false, detail: 'no INBOX listed' });
    } catch (err) {
      checks.push({ name: 'list and read folders', ok: false, detail: coerceError(err).message });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async containers(): Promise<Container[]> {
    // listOnly: no LSUB (subscriptions play no part in what is migrated), one round trip less.
    // Where the server offers LIST-STATUS (RFC 5819) the same LIST brings every folder's counts,
    // which the probes that follow use instead of one STATUS round trip per folder.
    const listStatus = this.session.capabilities.has('LIST-STATUS') && !this.listStatusRefused;
    const list: ListResponse[] = await this.run('LIST', (c) => c.client.list({ listOnly: true, ...(listStatus ? { statusQuery: this.statusQuery() } : {}) }))
      .catch(async (err: unknown) => {
        // A server that offers LIST-STATUS but answers NO to it (imapflow retries only after a BAD):
        // listed plainly, and probed with STATUS, for the rest of the session.
        if (!listStatus || !(err instanceof ItemError)) throw err;
        this.log.warn({ err: err.message }, 'the server offers LIST-STATUS but refused it: folders are counted with one STATUS each');
        this.listStatusRefused = true;
        return this.run('LIST', (c) => c.client.list({ listOnly: true }));
      });
    this.session.rememberFolders(list);
    const at = Date.now();
    this.listedStatus.clear();
    for (const f of list) if (f.status && this.complete(f.status)) this.listedStatus.set(f.path, { status: f.status, at });
    return list
      .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
      .map((f) => {
        const delimiter = f.delimiter || '/';
        const isInbox = f.path.toUpperCase() === 'INBOX';
        // The server's special-use attribute (RFC 6154) as LIST sent it: a listing-only LIST leaves
        // imapflow's specialUse unset, and its guesses from names are left to the folder mapping.
        const flags = new Set([...f.flags].map((flag) => flag.toLowerCase()));
        const specialUse = isInbox ? '\\Inbox' : SPECIAL_USE_PRECEDENCE.find((u) => flags.has(u.toLowerCase()));
        return {
          id: f.path,
          path: isInbox ? ['INBOX'] : f.path.split(delimiter),
          delimiter,
          kind: 'mail' as const,
          specialUse,
        };
      });
  }

  async stats(container: Container, opts: { withBytes?: boolean } = {}): Promise<ContainerStats> {
    // STATUS=SIZE (RFC 8438) gives the total in the same round trip (asked on every probe, so the
    // engine needs no second STATUS); otherwise sizes are summed.
    const statusSize = this.session.capabilities.has('STATUS=SIZE');
    if (opts.withBytes === true && !statusSize) return this.examineStats(container);
    const listed = this.listedStatus.get(container.id);
    this.listedStatus.delete(container.id);
    const fresh = listed !== undefined && Date.now() - listed.at < LISTED_STATUS_MS ? listed.status : undefined;
    const st = fresh ?? await this.run(`STATUS ${container.id}`, (c) => c.client.status(container.id, this.statusQuery()));
    if (!st) throw new TransientError(`source ${this.account.login}: STATUS ${container.id} gave no answer`);
    const count = st.messages ?? 0;
    const bytes = opts.withBytes && count === 0 ? 0 : statusSize && typeof st.size === 'number' ? st.size : undefined;
    return statsOf(String(st.uidValidity ?? ''), st.uidNext, count, st.highestModseq, bytes);
  }

  /** What a probe asks of a folder: counts, the change markers of its token, and the size where STATUS=SIZE is offered. */
  private statusQuery() {
    return { messages: true, uidNext: true, uidValidity: true, highestModseq: true, ...(this.session.capabilities.has('STATUS=SIZE') ? { size: true } : {}) };
  }

  /**
   * A listed answer stands in for STATUS only when it holds all that STATUS would (a server may
   * answer LIST-STATUS with less): its change token must not depend on which of the two answered,
   * or an unchanged folder would be rescanned, and one without its HIGHESTMODSEQ scanned for flags.
   */
  private complete(st: StatusAnswer): boolean {
    const caps = this.session.capabilities;
    return st.messages !== undefined && st.uidValidity !== undefined && st.uidNext !== undefined
      && (st.highestModseq !== undefined || !(caps.has('CONDSTORE') || caps.has('QRESYNC')))
      && (typeof st.size === 'number' || !caps.has('STATUS=SIZE'));
  }

  /**
   * Counts and sizes from EXAMINE and one FETCH of every UID and RFC822.SIZE (no STATUS): the
   * selection stays for the listing that follows on this connection, and the UIDs spare its SEARCH.
   */
  private examineStats(container: Container): Promise<ContainerStats> {
    return this.run(`sizes of ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      const mb = c.client.mailbox;
      if (!mb) throw new TransientError(`source ${this.account.login}: EXAMINE ${container.id} left no mailbox open`);
      let bytes = 0;
      const uids: number[] = [];
      if (mb.exists > 0) {
        for await (const m of c.client.fetch('1:*', { uid: true, size: true })) {
          bytes += m.size ?? 0;
          uids.push(m.uid);
        }
      }
      this.sizedUids.set(container.id, { epoch, uids: uids.sort((a, b) => a - b) });
      return statsOf(epoch, mb.uidNext, mb.exists, mb.highestModseq, bytes);
    }, container.id);
  }

  async changes(container: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const after = cursor === null ? 0 : Number(cursor);
    return this.run(`listing ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      this.epochs.set(container.id, epoch);
      let cached = this.uidLists.get(container.id);
      if (!cached || cached.epoch !== epoch || cached.after !== after) {
        // One UID SEARCH per pass (or the UIDs read with the sizes just before); later pages slice
        // it. ("n:*" always includes the last UID, hence the filter.)
        const sized = this.sizedUids.get(container.id);
        this.sizedUids.delete(container.id);
        const found = sized?.epoch === epoch ? sized.uids : await c.client.search({ uid: `${after + 1}:*` }, { uid: true });
        if (!Array.isArray(found)) throw new TransientError(`source ${this.account.login}: UID SEARCH in ${container.id} was refused`);
        cached = { epoch, after, uids: found.filter((u) => u > after).sort((a, b) => a - b) };
        this.uidLists.set(container.id, cached);
      }
      const page = cached.uids.slice(0, limit);
      cached.uids = cached.uids.slice(limit);
      if (page.length > 0) cached.after = page[page.length - 1] as number;
      if (page.length === 0) {
        this.uidLists.delete(container.id);
        return { epoch, items: [], cursor: String(after), done: true };
      }
      const items: ItemMeta[] = [];
      for await (const m of c.client.fetch(page.join(','), META_QUERY, { uid: true })) {
        items.push(toMeta(m));
      }
      items.sort((a, b) => Number(a.id) - Number(b.id));
      const done = cached.uids.length === 0;
      if (done) this.uidLists.delete(container.id);
      return { epoch, items, cursor: String(page[page.length - 1]), done };
    }, container.id);
  }

  async flagChanges(container: Container, sinceSeq: string | null): Promise<FlagChanges> {
    return this.run(`flag changes in ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      const condstore = c.client.enabled.has('CONDSTORE') || this.session.capabilities.has('CONDSTORE');
      const narrow = sinceSeq !== null && condstore;
      const items: { id: string; flags: string[] }[] = [];
      const options = narrow ? { uid: true, changedSince: BigInt(sinceSeq) } : { uid: true };
      if ((c.client.mailbox && c.client.mailbox.exists > 0)) {
        for await (const m of c.client.fetch('1:*', { uid: true, flags: true }, options)) {
          items.push({ id: String(m.uid), flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent') });
        }
      }
      return { epoch, items, complete: !narrow };
    }, container.id);
  }

  async allIds(container: Container): Promise<{ epoch: string; ids: string[] }> {
    return this.run(`listing ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      const found = await c.client.search({ all: true }, { uid: true });
      // A refused SEARCH must never read as "the folder is empty" (mirroring would delete everything).
      if (!Array.isArray(found)) throw new TransientError(`source ${this.account.login}: UID SEARCH in ${container.id} was refused`);
      return { epoch, ids: found.map(String) };
    }, container.id);
  }

  async lookup(container: Container, ids: string[], opts: { subjects?: boolean } = {}): Promise<{ epoch: string; items: ItemMeta[] }> {
    return this.run(`looking up messages in ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      this.epochs.set(container.id, epoch);
      const items: ItemMeta[] = [];
      const query = opts.subjects ? { ...META_QUERY, headers: ['message-id', 'subject'] } : META_QUERY;
      if (ids.length > 0) {
        for await (const m of c.client.fetch(ids.join(','), query, { uid: true })) {
          items.push(opts.subjects ? { ...toMeta(m), subject: parseSubjectHeader(m.headers) } : toMeta(m));
        }
      }
      return { epoch, items: items.sort((a, b) => Number(a.id) - Number(b.id)) };
    }, container.id);
  }

  /** Fills `out` with the chunk's bodies; what came before a failure stays in `out`. */
  private fetchBodies(container: Container, chunk: ItemMeta[], expected: string | undefined, out: Map<string, Buffer>): Promise<void> {
    return this.run(`reading ${container.id}`, async (c) => {
      const epoch = await this.examine(c, container.id);
      if (expected !== undefined && epoch !== expected) {
        throw new TransientError(`source folder ${container.id} changed UIDVALIDITY (${expected} → ${epoch}) while reading`);
      }
      for await (const m of c.client.fetch(chunk.map((i) => i.id).join(','), { uid: true, source: true }, { uid: true })) {
        if (m.source) out.set(String(m.uid), m.source);
      }
    }, container.id);
  }

  /**
   * Bodies in the order asked, up to READ_AHEAD FETCHes in flight: the one the read waits on
   * always, the ones ahead only while they fit in the source's READ_AHEAD_BYTES (taken without
   * waiting: a read never waits for budget, which other reads' consumers may hold while they wait
   * on something this read's caller holds); a FETCH that fails hands on the messages it brought
   * whole, then ends the read (the caller reads the rest again).
   */
  async *read(container: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const expected = this.epochs.get(container.id);
    const chunks = chunkBySize(items, READ_CHUNK_BYTES, READ_CHUNK_ITEMS);
    type Fetch = { held: number; got: Map<string, Buffer>; fetched: Promise<{ err?: unknown }> };
    const inFlight: Fetch[] = [];
    const start = (i: number, held: number) => {
      const got = new Map<string, Buffer>();
      const fetched = this.fetchBodies(container, chunks[i] as ItemMeta[], expected, got).then(() => ({}), (err: unknown) => ({ err }));
      inFlight[i] = { held, got, fetched };
    };
    /** Sends the FETCHes after `i` that fit in the budget now, in order. */
    const ahead = (i: number) => {
      for (let j = i + 1; j < Math.min(i + READ_AHEAD, chunks.length); j++) {
        if (inFlight[j]) continue;
        const held = this.readAhead.tryAcquire((chunks[j] as ItemMeta[]).reduce((n, m) => n + m.size, 0));
        if (held === undefined) return;
        start(j, held);
      }
    };
    // What was read ahead goes back to the source's budget once handed on (or not wanted: the read was left early).
    const giveBack = (f: Fetch) => {
      if (f.held > 0) void f.fetched.then(() => this.readAhead.release(f.held));
    };
    try {
      for (const [i, chunk] of chunks.entries()) {
        if (!inFlight[i]) start(i, 0);
        ahead(i);
        const f = inFlight[i] as Fetch;
        const { err } = await f.fetched;
        for (const meta of chunk) {
          const content = f.got.get(meta.id);
          // A FETCH that broke off: what came whole is handed on, then the read fails (the caller reads the rest again).
          if (!content && err !== undefined) continue;
          if (!content) yield { meta, error: new Error(`message UID ${meta.id} is no longer in the source folder (expunged?)`) };
          // RFC822.SIZE is the size of BODY[] (RFC 3501): fewer bytes is a message cut on the way, never copied as if whole.
          else if (content.length < meta.size) {
            yield { meta, error: new ItemError(`message UID ${meta.id} in ${container.id}: the server sent ${content.length} of the ${meta.size} bytes it listed (RFC822.SIZE); not copied, the next run tries again`, 'SHORT_READ') };
          } else yield { meta, content };
        }
        if (err !== undefined) throw err;
        delete inFlight[i];
        giveBack(f);
      }
    } finally {
      for (const f of inFlight) if (f) giveBack(f);
    }
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

function statsOf(epoch: string, uidNext: number | undefined, count: number, highestModseq: bigint | number | undefined, bytes: number | undefined): ContainerStats {
  return {
    count, bytes, epoch, token: `${epoch}:${uidNext ?? ''}:${count}:${highestModseq ?? ''}`,
    changeSeq: highestModseq !== undefined ? String(highestModseq) : undefined,
  };
}

function toMeta(m: FetchMessageObject): ItemMeta {
  // A server may send an INTERNALDATE that is no date ("99-Foo-9999 …"): the message is copied
  // without one (the UMS sets its own) instead of an Invalid Date failing its whole folder.
  const date = m.internalDate ? new Date(m.internalDate) : undefined;
  return {
    id: String(m.uid),
    size: m.size ?? 0,
    internalDate: date && !Number.isNaN(date.getTime()) ? date : undefined,
    flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'),
    messageId: parseMessageIdHeader(m.headers),
  };
}

/**
 * UMS mail target: Courier-IMAP (works with any IMAP server that has UIDPLUS).
 * Writes with APPEND (flags, keywords, INTERNALDATE), records APPENDUID, and after a crash finds
 * what an interrupted run already appended by content hash (no tracking header is stamped).
 * Into a folder that already holds many messages it writes through a staging folder and one COPY
 * per batch (staged-writer.ts: Courier's APPEND costs O(folder size)).
 */
import type { Logger } from 'pino';
import { normaliseForHash } from '../../mappings/content-hash.js';
import type {
  AccessCheck, Account, ItemContent, ItemMeta, PendingItem, PutResult, TargetCapabilities, TargetConnector, TargetContainerState, TargetMailbox,
  WriteRecovery,
} from '../../src/model/types.js';
import { coerceError, FatalError, ItemError, reasonOf, TransientError } from '../../src/util/errors.js';
import { ByteBudget, Semaphore, type SlotGate } from '../../src/util/semaphore.js';
import type { ImapEndpoint } from '../imap-common/endpoint.js';
import { imapError } from '../imap-common/errors.js';
import { deselect, ImapSession, type ImapConn } from '../imap-common/session.js';
import { parseMessageIdHeader, parseSubjectHeader } from '../imap-common/message-id.js';
import { StagedWriter } from './staged-writer.js';
import { WrittenSearch } from './written-search.js';
import { courierStager, isStageName, stageNameFor, type Appendable } from './staging-folder.js';

/** How long `settle` waits at most, and how often it looks. */
const SETTLE_MAX_MS = 5000;
const SETTLE_POLL_MS = 250;
/** Flags a client cannot set with APPEND. */
const UNSETTABLE = new Set(['\\recent']);
/** The system flags of RFC 3501 a client can set; any other "\\…" flag makes the server refuse the APPEND. */
const SYSTEM_FLAGS = new Set(['\\seen', '\\answered', '\\flagged', '\\deleted', '\\draft']);
/** Most messages moved by one COPY, and so the writes the engine may have in flight into a staged folder. */
const STAGE_BATCH = 250;
/**
 * How long the STATUS of a staged (large) folder is reused: Courier answers it in O(folder) (0.7 s
 * at 100,000 messages) and the engine asks before every page. Meanwhile the watermark follows the
 * UIDs of this session's own writes, which can only leave it at or below the real UIDNEXT (mail
 * delivered meanwhile raises that): a crash recovery then searches a little more, never less.
 */
const STAGED_STATUS_MS = 30_000;
/**
 * Staged content the engine stops counting against the run's budget (put's `sent`), across all
 * mailboxes of the target: beyond it, a staged message stays counted until its block's COPY.
 */
const PARKED_BYTES = 24 * 1024 * 1024;

export interface UmsImapTargetOptions {
  /** Folders holding at least this many messages are written through a staging folder; false: never. Default 1000. */
  stagingFrom?: number | false;
  /** Messages a session writes straight into a folder of `stagingFrom` messages before staging starts (fewer into a larger one). Default 500: their server time about equals the 2 s Courier takes to delete a staging folder. */
  stagingAfter?: number;
  /** Staging folders one folder is written through at once, each on a connection of its own. Default 3. */
  stagingLanes?: number;
}

export class UmsImapTarget implements TargetConnector {
  readonly name = 'ums-imap';
  private readonly slots: SlotGate;
  /** The bytes of staged messages the engine no longer counts (PARKED_BYTES), shared by the target's mailboxes. */
  private readonly parked = new ByteBudget(PARKED_BYTES);

  /** `slots`: the server-wide connection cap when it is shared beyond this process (workers). */
  constructor(private readonly ep: ImapEndpoint, private readonly log: Logger, private readonly perMailbox = 8, slots?: SlotGate, private readonly opts: UmsImapTargetOptions = {}) {
    this.slots = slots ?? new Semaphore(ep.maxConnections);
  }

  async openMailbox(account: Account): Promise<TargetMailbox> {
    const mb = new UmsImapMailbox(this.ep, account, this.slots, this.log.child({ side: 'target' }), this.perMailbox, {
      stagingFrom: this.opts.stagingFrom ?? 1000, stagingAfter: this.opts.stagingAfter ?? 500, stagingLanes: this.opts.stagingLanes ?? 3,
    }, this.parked);
    await mb.open();
    return mb;
  }

  async close(): Promise<void> {}
}

class UmsImapMailbox implements TargetMailbox, WriteRecovery {
  private readonly session: ImapSession;
  private known: Set<string> | undefined;
  /** Finds messages this or an interrupted run wrote, by content (hashes and indexes cached per session). */
  private readonly written = new WrittenSearch();
  private creating: Promise<unknown> = Promise.resolve();
  /** Folders written through a staging folder, by ref. */
  private readonly stagers = new Map<string, StagedWriter<Appendable>>();
  /** The last STATUS of each staged folder, moved on by this session's writes (STAGED_STATUS_MS). */
  private readonly probed = new Map<string, { epoch: string; next: number; at: number }>();

  constructor(private readonly ep: ImapEndpoint, private readonly account: Account, slots: SlotGate, private readonly log: Logger, max: number,
    private readonly staging: Required<UmsImapTargetOptions>, private readonly parked: ByteBudget) {
    this.session = new ImapSession(ep, account, slots, log, max, 'target');
    this.stagedCaps = { ...this.caps, writesInFlight: STAGE_BATCH * staging.stagingLanes };
  }

  open(): Promise<void> {
    return this.session.open();
  }

  private get serverCapabilities(): Set<string> {
    return this.session.capabilities;
  }

  private get ns(): { prefix: string; delimiter: string } {
    return this.session.namespace ?? { prefix: '', delimiter: '/' };
  }

  private run<T>(what: string, fn: (c: ImapConn) => Promise<T>, folder?: string): Promise<T> {
    return this.session.run(what, fn, folder);
  }

  async verify(): Promise<AccessCheck> {
    const checks: AccessCheck['checks'] = [{ name: 'login', ok: true, detail: `${this.ep.host}:${this.ep.port} as ${this.account.login}` }];
    checks.push({ name: 'namespace', ok: true, detail: `personal prefix "${this.ns.prefix}", delimiter "${this.ns.delimiter}"` });
    checks.push({
      name: 'UIDPLUS (APPENDUID)', ok: this.serverCapabilities.has('UIDPLUS'),
      detail: this.serverCapabilities.has('UIDPLUS') ? undefined : 'not offered: written messages are found by content instead of by UID (slower recovery)',
    });
    try {
      const perm = await this.run('SELECT INBOX', async (c) => {
        c.selected = undefined;
        const mb = await c.client.mailboxOpen('INBOX');
        const flags = mb.permanentFlags ? [...mb.permanentFlags] : [];
        await deselect(c);
        return flags;
      });
      const keywords = perm.includes('\\*');
      checks.push({ name: 'open INBOX', ok: true });
      checks.push({ name: 'keywords allowed', ok: keywords, detail: keywords ? undefined : `PERMANENTFLAGS ${perm.join(' ')}: keywords would be lost (Courier: start imapd with /etc/courier/imapd settings)` });
    } catch (err) {
      checks.push({ name: 'open INBOX', ok: false, detail: coerceError(err).message });
    }
    if (this.serverCapabilities.has('UTF8=ACCEPT')) checks.push({ name: 'UTF8=ACCEPT', ok: true, detail: 'raw 8-bit headers accepted' });
    return { ok: checks.every((c) => c.ok || c.name.startsWith('UIDPLUS')), checks };
  }

  async namespace(): Promise<{ prefix: string; delimiter: string }> {
    return this.ns;
  }

  async list(): Promise<string[]> {
    const list = await this.run('LIST', (c) => c.client.list({ listOnly: true }));
    this.known = new Set(list.map((f) => f.path));
    return [...this.known].filter((p) => !isStageName(this.ns.prefix, p));
  }

  async ensure(ref: string, hint: { incoming?: number } = {}): Promise<TargetContainerState> {
    if (!this.known) await this.list();
    const known = this.known as Set<string>;
    if (!known.has(ref) && ref.toUpperCase() !== 'INBOX') {
      // Folder tasks run in parallel and share parents (INBOX.Archive for Archive and
      // Archive/2019): create one folder at a time.
      const turn = this.creating.then(() => this.create(ref, known));
      this.creating = turn.catch(() => undefined);
      await turn;
    }
    const seen = this.probed.get(ref);
    if (seen && Date.now() - seen.at < STAGED_STATUS_MS) return { ref, epoch: seen.epoch, watermark: `${seen.epoch}:${seen.next}` };
    const query = { uidNext: true, uidValidity: true, messages: true };
    let st = await this.run(`STATUS ${ref}`, (c) => c.client.status(ref, query));
    if (st && st.uidNext === 1) {
      // A folder nothing was ever written to may have no UID database yet: Courier then answers
      // STATUS with a UIDVALIDITY made up from the clock, a new one each second (a fresh INBOX
      // does this until its first write). A read-write SELECT creates the database; ask again.
      st = await this.run(`SELECT ${ref}`, async (c) => {
        await c.client.mailboxOpen(ref);
        await deselect(c);
        return c.client.status(ref, query);
      });
    }
    if (!st || st.uidValidity === undefined) throw new TransientError(`target STATUS ${ref} gave no UIDVALIDITY`);
    const from = this.staging.stagingFrom;
    const messages = st.messages ?? 0;
    const incoming = hint.incoming ?? 0;
    if (from !== false && messages + incoming >= from && this.serverCapabilities.has('UIDPLUS') && !this.stagers.has(ref)) {
      // The direct APPENDs before staging cost about the same server time whatever the folder's
      // size: stagingAfter into a folder of stagingFrom messages, fewer into a larger one (each
      // APPEND there costs more): one into 100,000 messages, none above. A pass known to bring
      // stagingFrom messages or more stages from its first: its staging folders pay for themselves.
      const direct = incoming >= Math.max(from, 1) ? 0 : Math.floor(this.staging.stagingAfter * Math.max(from, 1) / Math.max(messages, from, 1));
      this.log.info({ folder: ref, messages, incoming, direct }, 'large folder: writing through staging folders');
      this.stagers.set(ref, this.stagerFor(ref, direct));
    }
    const epoch = String(st.uidValidity);
    if (this.stagers.has(ref)) this.probed.set(ref, { epoch, next: st.uidNext ?? 1, at: Date.now() });
    return { ref, epoch, watermark: `${epoch}:${st.uidNext ?? 1}` };
  }

  /** Moves a reused STATUS past a UID this session wrote into `ref`; another UIDVALIDITY drops it. */
  private wrote(ref: string, uidValidity: bigint | number | undefined, uid: number | undefined): void {
    const seen = this.probed.get(ref);
    if (!seen || uid === undefined) return;
    if (uidValidity === undefined || String(uidValidity) !== seen.epoch) this.probed.delete(ref);
    else seen.next = Math.max(seen.next, uid + 1);
  }

  /** Creates `ref` and its missing parents, and subscribes them. */
  private async create(ref: string, known: Set<string>): Promise<void> {
    // Create every missing level so clients show the hierarchy, then subscribe the folder.
    const d = this.ns.delimiter;
    const base = this.ns.prefix.endsWith(d) ? this.ns.prefix.slice(0, -d.length) : this.ns.prefix;
    const rest = base && ref.startsWith(base + d) ? ref.slice(base.length + d.length) : ref;
    const parts = rest.split(d);
    for (let i = 1; i <= parts.length; i++) {
      const path = (base ? base + d : '') + parts.slice(0, i).join(d);
      if (known.has(path)) continue;
      await this.run(`CREATE ${path}`, async (c) => {
        // imapflow SUBSCRIBEs a folder its CREATE made: one round trip less per folder.
        let subscribed = false;
        try {
          subscribed = (await c.client.mailboxCreate(path)).created;
        } catch (err) {
          const e = imapError(err, `CREATE ${path}`);
          if (!(e instanceof ItemError)) throw e;
          // Courier answers "Cannot create this folder." when it already exists (made by
          // someone else meanwhile): look before calling it a failure.
          const now = await c.client.list({ listOnly: true });
          if (!now.some((f) => f.path === path)) {
            throw new FatalError(`cannot create target folder "${path}": ${e.message}`, 'CREATE', { cause: err });
          }
        }
        if (!subscribed) await c.client.mailboxSubscribe(path).catch(() => undefined);
      });
      known.add(path);
    }
  }


  /**
   * The same in every folder: an APPEND adds a message each time, so a write of unknown outcome
   * is found again by search (watermark UIDNEXT, findWritten, settle); flags and removal by UID.
   */
  private readonly caps: TargetCapabilities = {
    recovery: this,
    setFlags: (ref, changes) => this.setFlags(ref, changes),
    removeItems: (ref, ids) => this.removeItems(ref, ids),
  };
  /** A staged folder batches its writes, a batch per lane: the more in flight, the fewer COPYs. */
  private readonly stagedCaps: TargetCapabilities;

  capabilities(ref: string): TargetCapabilities {
    return this.stagers.has(ref) ? this.stagedCaps : this.caps;
  }

  async put(ref: string, item: ItemContent, opts: { sent?: () => void } = {}): Promise<PutResult> {
    // A source may report a "system flag" that does not exist (\\Bogus): Courier then refuses the whole APPEND.
    const unknown = item.meta.flags.filter((f) => f.startsWith('\\') && !SYSTEM_FLAGS.has(f.toLowerCase()) && !UNSETTABLE.has(f.toLowerCase()));
    const flags = item.meta.flags.filter((f) => !UNSETTABLE.has(f.toLowerCase()) && !unknown.includes(f));
    // Line ends as IMAP requires them (CRLF): Courier stores LF only and drops a bare CR, which
    // would join the lines of an old Mac-style message; this form is also what contentHash (and so
    // the recovery after a crash) compares.
    const content = normaliseForHash(item.content);
    const stager = this.stagers.get(ref);
    // Staged, the content waits for its block's COPY: the engine may stop counting it while the
    // target's parked bytes allow (a message larger than all of them never).
    let parked = 0;
    const sent = opts.sent && (() => {
      const held = content.length <= PARKED_BYTES ? this.parked.tryAcquire(content.length) : undefined;
      if (held === undefined) return;
      parked = held;
      opts.sent?.();
    });
    const uid = stager ? await stager.put({ content, flags, date: item.meta.internalDate }, sent).finally(() => this.parked.release(parked)) : await this.append(ref, { content, flags, date: item.meta.internalDate });
    const warnings = unknown.length > 0 ? [`flag ${unknown.join(' ')} not carried: not an IMAP system flag`] : [];
    return { id: uid !== undefined ? String(uid) : undefined, ...(warnings.length > 0 ? { warnings } : {}) };
  }

  private async append(ref: string, m: Appendable): Promise<number | undefined> {
    const res = await this.run(`APPEND to ${ref}`, async (c) => {
      const r = await c.client.append(ref, m.content, m.flags, m.date);
      if (!r && !c.client.usable) throw new TransientError(`APPEND to ${ref}: connection lost`);
      return r;
    });
    if (!res) throw new ItemError(`APPEND to ${ref} was not accepted`);
    this.wrote(ref, res.uidValidity, res.uid);
    return res.uid;
  }

  private stagerFor(ref: string, directFirst: number): StagedWriter<Appendable> {
    return courierStager({
      ref, stage: (lane) => stageNameFor(this.ns.prefix, ref, lane), run: (what, fn, folder) => this.run(what, fn, folder), append: (to, m) => this.append(to, m),
      wrote: (v, uid) => this.wrote(ref, v, uid),
    }, { batch: STAGE_BATCH, lanes: this.staging.stagingLanes, directFirst, log: this.log });
  }

  async findWritten(ref: string, watermark: string, pending: PendingItem[], exclude: Set<string>): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (pending.length === 0) return found;
    return this.run(`looking for written messages in ${ref}`, async (c) => {
      try {
        return await this.written.find(c, ref, watermark, pending, exclude);
      } finally {
        // Courier refuses APPEND into the mailbox a connection has open read-only: leave none open.
        await deselect(c);
      }
    });
  }

  async setFlags(ref: string, changes: { id: string; flags: string[] }[]): Promise<void> {
    if (changes.length === 0) return;
    // One STORE per distinct flag set.
    const bySet = new Map<string, { flags: string[]; ids: string[] }>();
    for (const ch of changes) {
      const flags = ch.flags.filter((f) => !UNSETTABLE.has(f.toLowerCase()));
      const key = [...flags].sort().join(' ');
      const g = bySet.get(key) ?? { flags, ids: [] };
      g.ids.push(ch.id);
      bySet.set(key, g);
    }
    await this.run(`setting flags in ${ref}`, async (c) => {
      try {
        await c.client.mailboxOpen(ref);
        for (const g of bySet.values()) {
          const ok = await c.client.messageFlagsSet(g.ids.join(','), g.flags, { uid: true });
          if (!ok) throw c.client.usable ? new ItemError(`STORE FLAGS on ${ref} UID ${g.ids.join(',')} was not accepted`) : new TransientError(`STORE FLAGS on ${ref}: connection lost`);
        }
      } finally {
        await deselect(c);
      }
    });
  }

  async inventory(ref: string, opts: { subjects?: boolean } = {}): Promise<ItemMeta[]> {
    return this.run(`listing ${ref}`, async (c) => {
      try {
        const mb = await c.client.mailboxOpen(ref, { readOnly: true });
        const out: ItemMeta[] = [];
        const headers = opts.subjects ? ['message-id', 'subject'] : ['message-id'];
        if (mb.exists > 0) {
          for await (const m of c.client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true, headers }, { uid: true })) {
            out.push({
              id: String(m.uid), size: m.size ?? 0, internalDate: m.internalDate ? new Date(m.internalDate) : undefined,
              flags: [...(m.flags ?? [])], messageId: parseMessageIdHeader(m.headers),
              ...(opts.subjects ? { subject: parseSubjectHeader(m.headers) } : {}),
            });
          }
        }
        return out;
      } finally {
        await deselect(c);
      }
    });
  }

  async settle(ref: string): Promise<void> {
    let last = '';
    let stable = 0;
    const deadline = Date.now() + SETTLE_MAX_MS;
    while (Date.now() < deadline) {
      const st = await this.run(`STATUS ${ref}`, (c) => c.client.status(ref, { messages: true, uidNext: true }));
      const now = st ? `${st.messages}:${st.uidNext}` : '';
      stable = now === last ? stable + 1 : 0;
      if (stable >= 2) return;
      last = now;
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
    }
  }

  async removeItems(ref: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    if (!this.serverCapabilities.has('UIDPLUS')) {
      throw new ItemError(`cannot remove ${ids.join(',')} from ${ref}: the server lacks UIDPLUS (UID EXPUNGE), and a plain EXPUNGE could remove other messages`);
    }
    await this.run(`removing UID ${ids.join(',')} from ${ref}`, async (c) => {
      try {
        await c.client.mailboxOpen(ref);
        const ok = await c.client.messageDelete(ids.join(','), { uid: true });
        if (!ok) throw c.client.usable ? new ItemError(`UID EXPUNGE ${ids.join(',')} in ${ref} was not accepted`) : new TransientError(`UID EXPUNGE in ${ref}: connection lost`);
      } finally {
        await deselect(c);
      }
    });
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /**
   * At the end of every pass: removes every staging folder of the mailbox, this pass's and any an
   * interrupted one left behind (one LIST: a run killed after its last commit leaves one that no
   * later write would touch). What a stage holds is either in its real folder already or written
   * again. Not at `close`: a reconcile or plan during a run would remove the run's stage.
   */
  async finishPass(): Promise<void> {
    try {
      const all = await this.run('LIST', (c) => c.client.list({ listOnly: true }));
      const stages = all.filter((x) => isStageName(this.ns.prefix, x.path)).map((f) => f.path);
      // Unsubscribed first: Courier keeps a subscription after its folder's DELETE, and a stage
      // made by an earlier version (or a run killed before its UNSUBSCRIBE) may be subscribed.
      // Also the names this pass staged through, listed or not.
      const lanes = Array.from({ length: this.staging.stagingLanes }, (_, l) => l);
      const names = new Set([...stages, ...[...this.stagers.keys()].flatMap((ref) => lanes.map((l) => stageNameFor(this.ns.prefix, ref, l)))]);
      await Promise.all([...names].map((p) => this.run(`UNSUBSCRIBE ${p}`, (c) => c.client.mailboxUnsubscribe(p).catch(() => false))));
      // At once, on the pool's connections: Courier takes two seconds for each DELETE.
      await Promise.all(stages.map((p) => this.run(`DELETE ${p}`, (c) => c.client.mailboxDelete(p))));
    } catch (err) {
      this.log.warn({ err: reasonOf(err) }, 'could not remove a staging folder (removed at the end of the next run)');
    }
  }
}

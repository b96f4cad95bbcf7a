/**
 * Glossary and connector contract.
 *
 * - job: one `run`/`sync` invocation over the configured mailboxes (src/engine/job.ts). Not to be
 *   confused with a queue job: in worker mode (jobs/) one queue job carries one mailbox.
 * - mailbox: one user's account, a pair (source login → target login): `MailboxPair`.
 * - routing: the Postfix coexistence routing only (src/routing); mail and groupware containers
 *   going to the IMAP and the DAV target is the split target (connectors/split-target.ts).
 * - container: a folder (mail), calendar, address book or task list inside a mailbox.
 * - task: the unit the engine schedules: one container of one mailbox.
 * - item: one message / event / contact inside a container.
 * - epoch: the source's identity generation for a container (IMAP UIDVALIDITY, a PST file
 *   hash…). Item ids are only meaningful inside one epoch; a new epoch means "re-verify".
 * - cursor: opaque resume position inside one epoch (IMAP: last UID seen).
 * - idempotent writes: a target container where writing an item again replaces it (DAV: the
 *   object's name comes from its UID); a crash between write and checkpoint is repaired by
 *   writing again.
 * - recovery: what a target container whose writes add a copy each time (IMAP APPEND) offers
 *   instead: a watermark, `findWritten` and `settle`, so the engine finds a write of unknown
 *   outcome before writing again (TargetCapabilities).
 *
 * The engine knows nothing of protocols: it drives a SourceMailbox and a TargetMailbox
 * through these interfaces only.
 */

export type ItemKind = 'mail' | 'event' | 'contact' | 'task';

/** RFC 6154 special-use names the mapping understands. */
export type SpecialUse = '\\Inbox' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Drafts' | '\\Archive' | '\\All' | '\\Flagged';

export interface Container {
  /** Stable id inside the source mailbox (IMAP: the decoded path joined with its delimiter). */
  id: string;
  /** Decoded (UTF-8) path segments from the top, e.g. ['Inbox', 'Projects', 'Q3']. */
  path: string[];
  /**
   * How people know the container when the id is not readable (a PST folder's id is its node
   * id): e.g. "Deleted Items/SubInbox", "archive.pst: Inbox". Display only (`plan`); ids and paths decide.
   */
  label?: string;
  /** The source's own hierarchy delimiter ('/' or '.'), informative only. */
  delimiter: string;
  kind: ItemKind;
  /** Special use reported by the source server (RFC 6154) or known from its type (EWS, PST). */
  specialUse?: SpecialUse;
  /**
   * Set when the source cannot migrate this container (e.g. a PST calendar without a calendar
   * converter): the reason. The plan lists it as not migrated with a warning; no task runs for it.
   */
  skip?: string;
}

export interface ItemMeta {
  /** Stable inside the container and epoch (IMAP UID as a decimal string). */
  id: string;
  size: number;
  internalDate?: Date;
  /** IMAP system flags and keywords, e.g. ['\\Seen', '$Forwarded', 'Work']. */
  flags: string[];
  /** The raw Message-ID header value (with angle brackets) when present. */
  messageId?: string;
  /** The decoded Subject: only when asked for (reconcile --show-subjects); never stored or logged. */
  subject?: string;
  /**
   * Set by a source for an entry it saw but will not migrate (a file tree's `winmail.dat`, a file
   * of unknown type, a symbolic link out of the tree, a FIFO): the reason. The engine records the
   * item as skipped with it (status --problems, the report) and never reads it; reconcile leaves it out.
   */
  skip?: string;
}

export interface ChangePage {
  /** The container's epoch at the time of this page (IMAP UIDVALIDITY). */
  epoch: string;
  items: ItemMeta[];
  /** Opaque cursor to pass to the next `changes` call. */
  cursor: string;
  /** True when the source has nothing after this page. */
  done: boolean;
  /**
   * Only from a source whose `pagedDeltas(container)` is true, and only on pages of a listing
   * continued from a cursor: items deleted since the cursor, and items whose flags changed since
   * it (with their whole flag set). The engine then carries these over instead of scanning the
   * container (flagChanges, allIds): a delta costs O(changes). A page of a continued listing
   * without these two (say, the source had to list from the start again) makes the engine scan
   * after the pass, as for any other source.
   */
  deleted?: string[];
  flagged?: { id: string; flags: string[] }[];
}

export interface ContainerStats {
  count: number;
  /** Total size; only computed when asked for (`withBytes`), as it can cost a scan. */
  bytes?: number;
  epoch: string;
  /**
   * Changes whenever anything in the container changes (IMAP: UIDVALIDITY, UIDNEXT, MESSAGES,
   * HIGHESTMODSEQ). Equal to the last complete pass's token → the container is skipped.
   */
  token: string;
  /** The source's change sequence (IMAP HIGHESTMODSEQ) when it has one: the flag-delta cursor. */
  changeSeq?: string;
  /** Entries counted in `count` that the source lists with `skip` (it will not migrate them), with the reason: for `plan`. */
  notMigrated?: { id: string; reason: string }[];
}

export interface FlagChanges {
  epoch: string;
  /** Items whose flags changed since the given sequence, or every item when `complete`. */
  items: { id: string; flags: string[] }[];
  /** True when the source could not narrow it down (no CONDSTORE): every item is listed. */
  complete: boolean;
}

export interface AccessCheck {
  ok: boolean;
  /** What was checked, e.g. 'login', 'list folders', 'namespace'. */
  checks: { name: string; ok: boolean; detail?: string }[];
}

/** One message with its bytes, read once from the source. */
export interface ItemContent {
  meta: ItemMeta;
  content: Buffer;
  /** What the source could not carry into `content` (an attachment over 25 MiB, a linked file…): recorded with the item. */
  warnings?: string[];
}

/**
 * What a source implements. Needed: `containers`, `changes`, `read`, `close` — a new source needs no
 * more. The rest it may offer where it can do better than listing everything (IMAP STATUS for
 * `stats`, CONDSTORE for `flagChanges`, UID SEARCH for `lookup`…); the engine derives what is
 * missing from `changes` (src/engine/derived-source.ts), so every consumer sees a whole
 * `SourceMailbox`.
 */
export interface SourceMailboxCore {
  verify?(): Promise<AccessCheck>;
  containers(): Promise<Container[]>;
  /** Cheap probe (IMAP STATUS); `withBytes` also sums the sizes. */
  stats?(container: Container, opts?: { withBytes?: boolean }): Promise<ContainerStats>;
  /** Items after `cursor` (null: from the start), at most `limit` of them, in source order. */
  changes(container: Container, cursor: string | null, limit: number): Promise<ChangePage>;
  /** Flags changed since `sinceSeq` (ContainerStats.changeSeq of an earlier pass; null: all). */
  flagChanges?(container: Container, sinceSeq: string | null): Promise<FlagChanges>;
  /** Every item id now in the container (to notice deletions). */
  allIds?(container: Container): Promise<{ epoch: string; ids: string[] }>;
  /**
   * True when the pages of a listing continued from a cursor carry every deletion and flag change
   * since that cursor (`ChangePage.deleted`/`flagged`; EWS SyncFolderItems). Absent: false.
   */
  pagedDeltas?(container: Container): boolean;
  /**
   * True when `changes` for the next page may run while the previous page is still being read
   * (no per-page state in the source): the engine then lists ahead. Absent: false.
   */
  readonly listsAhead?: boolean;
  /** Metadata of the given items (e.g. to retry failed ones); items no longer there are left out. */
  lookup?(container: Container, ids: string[], opts?: { subjects?: boolean }): Promise<{ epoch: string; items: ItemMeta[] }>;
  /**
   * Reads the bytes of `items`. Yields them in any order; an item that cannot be read is yielded
   * with an `error` instead of content (the engine records it and goes on).
   */
  read(container: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }>;
  close(): Promise<void>;
}

/** A source with every question answered: what the engine and the commands use. */
export type SourceMailbox = Required<Pick<SourceMailboxCore, 'verify' | 'stats' | 'flagChanges' | 'allIds' | 'lookup'>> & SourceMailboxCore;

/** What the target knows of a container just before writing into it. */
export interface TargetContainerState {
  /** The target's name for the container (IMAP: full path, e.g. 'INBOX.Sent'). */
  ref: string;
  /** The target's epoch (IMAP UIDVALIDITY). */
  epoch: string;
  /**
   * Only in a container with `recovery` (see TargetCapabilities): everything written after this
   * call sits after it (IMAP: UIDVALIDITY:UIDNEXT). Absent: writes are idempotent, nothing is ever
   * searched "after" a point.
   */
  watermark?: string;
}

export interface PutResult {
  /** Target-side id when the server tells it (IMAP APPENDUID), else undefined. */
  id?: string;
  /** What the target could not carry of an item it wrote (e.g. an attachment over the size limit): recorded with the item. */
  warnings?: string[];
}

/** What is known of an item that may already have been written by a crashed run. */
export interface PendingItem {
  key: string;
  size: number;
  internalDate?: Date;
  messageId?: string;
  /** sha256 of the item's normalised content (see mappings/content-hash). */
  hash: string;
}

/**
 * How a container whose writes add a new object each time (IMAP APPEND) keeps a write with an
 * unknown outcome (a crash between write and checkpoint, a connection lost mid-write) from
 * leaving a second copy: the engine looks for it before writing again, and removes a first copy
 * that lands late (a dead session finishing its APPEND). The algorithm is at the top of
 * src/engine/container-task.ts.
 */
export interface WriteRecovery {
  /**
   * Finds items written after `watermark` (from `ensure`; '' for the whole container) that match
   * `pending` by content; returns pending key → target id. Target ids in `exclude` are already
   * claimed and are never returned.
   */
  findWritten(ref: string, watermark: string, pending: PendingItem[], exclude: Set<string>): Promise<Map<string, string>>;
  /**
   * Waits until writes already sent by a dead session have landed (IMAP: STATUS unchanged for a
   * moment), before `findWritten` judges what a crashed run wrote.
   */
  settle(ref: string): Promise<void>;
  /** Removes late second copies `findWritten` found; only by id (IMAP: UID EXPUNGE). */
  removeItems(ref: string, ids: string[]): Promise<void>;
}

/**
 * What one target container can do beyond `ensure`, `put` and `inventory`. Asked per container:
 * one mailbox may join targets of different kinds (connectors/split-target.ts: mail folders
 * on IMAP, collections on CalDAV/CardDAV).
 */
export interface TargetCapabilities {
  /**
   * Present: writes are recovered by search (IMAP: watermark, findWritten, settle, and the sweep
   * of late copies). Absent: writes are idempotent — the object's name comes from the item (DAV:
   * its UID), so writing it again replaces it; a crash between write and checkpoint is repaired
   * by writing again, and the engine never searches, settles or sweeps. Such a target refuses a
   * second item that would take an object's name in one session (DAV: UID_CONFLICT).
   */
  recovery?: WriteRecovery;
  /** Replaces the flags of the given items. Absent: flag changes in the source are not carried over (the run says so once). */
  setFlags?(ref: string, changes: { id: string; flags: string[] }[]): Promise<void>;
  /** Removes the given items by id (mirrored deletions). Absent: deletions are not mirrored (the run says so once). */
  removeItems?(ref: string, ids: string[]): Promise<void>;
  /**
   * Writes the engine may have in flight into this container at once, when the target gathers
   * them into batches itself (IMAP: a staged folder, one COPY per batch). Absent: the engine's
   * own writers per task. Bytes in flight stay bounded by the engine's write window either way.
   */
  writesInFlight?: number;
}

/** The naming rules planned with for a target without `namespace` (one without mail folders). */
export const DEFAULT_NAMESPACE: Readonly<{ prefix: string; delimiter: string }> = { prefix: '', delimiter: '/' };

/**
 * A target mailbox. Needed: `ensure`, `put`, `inventory`, `close` (and `verify`, `list`,
 * `accepts`); what a container can do beyond that, it declares in `capabilities`.
 */
export interface TargetMailbox {
  /** Item kinds this target takes; absent: mail only (other containers are planned as not migrated). */
  readonly accepts?: readonly ItemKind[];
  verify(): Promise<AccessCheck>;
  /** The target's folder naming rules (personal namespace prefix and delimiter); absent: DEFAULT_NAMESPACE. */
  namespace?(): Promise<{ prefix: string; delimiter: string }>;
  /** Existing container names (full target names). */
  list(): Promise<string[]>;
  /**
   * Creates (and subscribes) the container when missing; idempotent. `incoming`: at most how many
   * items the pass about to start will write into it (given on a container's first pass, where
   * the whole source folder is to come), so a target can choose how to write them.
   */
  ensure(ref: string, hint?: { incoming?: number }): Promise<TargetContainerState>;
  /**
   * Writes one item. `opts.sent`: a target that settles a put only later (a staged folder: at its
   * batch's COPY) calls it once the content is stored where it stays until then; the engine stops
   * counting those bytes against the run's memory budget. The content stays referenced until the
   * put settles (a retry writes it again): such a target bounds how much it keeps that way.
   */
  put(ref: string, item: ItemContent, opts?: { sent?: () => void }): Promise<PutResult>;
  /** What the container `ref` can do (write recovery, flags, removal); cheap, no round trip. */
  capabilities(ref: string): TargetCapabilities;
  /** Metadata of every item in a target container (for reconciliation). */
  inventory(ref: string, opts?: { subjects?: boolean }): Promise<ItemMeta[]>;
  /**
   * The content of every object in a groupware collection ("calendar:…", "tasks:…",
   * "addressbook:…"), for the groupware reconciliation; `id` is the target's id of the object.
   * Absent on mail-only targets.
   */
  objects?(ref: string): AsyncIterable<{ id: string; content: Buffer }>;
  /**
   * The engine's pass of this mailbox is over (called before `close`, by runs only, never by the
   * read-only commands): removes what its writes needed, e.g. staging folders, also ones an
   * interrupted pass left. A `reconcile` or `plan` opened meanwhile leaves a running pass's alone.
   */
  finishPass?(): Promise<void>;
  close(): Promise<void>;
}

/** Login material for one side of one mailbox. Secrets are resolved just before use. */
export interface Account {
  login: string;
  /** A secret reference, already resolved: never logged, never stored. */
  password?: string;
}

export interface SourceConnector {
  readonly name: string;
  openMailbox(account: Account): Promise<SourceMailboxCore>;
  close(): Promise<void>;
}

export interface TargetConnector {
  readonly name: string;
  openMailbox(account: Account): Promise<TargetMailbox>;
  close(): Promise<void>;
}

/** Rewrites an item's bytes between the source read and the target write (e.g. TNEF decoding); the contract is in src/engine/content-transform.ts. */
export type ContentTransform = (item: ItemContent, container: Container) => Promise<ItemContent>;

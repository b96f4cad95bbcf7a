/**
 * The staging folder of one target folder on Courier, as the StagedWriter needs it
 * (staged-writer.ts): created empty, APPENDed into, COPYed from (COPYUID), emptied.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isTransient, ItemError, reasonOf, TransientError } from '../../src/util/errors.js';
import { imapError } from '../imap-common/errors.js';
import { deselect, type ImapConn } from '../imap-common/session.js';
import { StagedWriter, type StageOps } from './staged-writer.js';

/** Staging folders: the name's last level, then 10 hex digits of the real folder's name. */
const STAGE_NAME = 'ums-migrate-staging-';
const STAGE_HASH = /^[0-9a-f]{10}$/;
/** How long the staging waits for another write before moving what it holds. */
const STAGE_LINGER_MS = 15;
/**
 * Bytes after which a block is copied even if not full: its messages' content is held until then
 * (the engine may stop counting it once staged: index.ts PARKED_BYTES bounds that per run).
 */
const STAGE_BLOCK_BYTES = 4 * 1024 * 1024;

/** A staging folder's name: at the top of the personal namespace (`prefix`), nowhere else. */
export function isStageName(prefix: string, path: string): boolean {
  const start = `${prefix}${STAGE_NAME}`;
  return path.startsWith(start) && STAGE_HASH.test(path.slice(start.length));
}

/** Staging folder `lane` of `ref`: a sibling at the top of the personal namespace (never subscribed). */
export function stageNameFor(prefix: string, ref: string, lane = 0): string {
  // A folder name holds no line break: lane n > 0 never names another folder's lane 0.
  return `${prefix}${STAGE_NAME}${createHash('sha1').update(lane === 0 ? ref : `${ref}\n${lane}`).digest('hex').slice(0, 10)}`;
}

/** One message as APPENDed. */
export interface Appendable {
  content: Buffer;
  flags: string[];
  date?: Date;
}

export interface StageFolder {
  /** The real folder, and its staging folder of each lane. */
  ref: string;
  stage: (lane: number) => string;
  /** The mailbox's session: runs one operation on a pooled connection (one with `folder` open if possible). */
  run<T>(what: string, fn: (c: ImapConn) => Promise<T>, folder?: string): Promise<T>;
  /** APPENDs into a folder; the UID it got. */
  append(to: string, m: Appendable): Promise<number | undefined>;
  /** Told the highest UID a COPY gave in the real folder, with its UIDVALIDITY. */
  wrote(uidValidity: bigint | number | undefined, uid: number | undefined): void;
}

export function courierStageOps(f: StageFolder): StageOps<Appendable> {
  const { ref, run } = f;
  return {
    direct: (m) => f.append(ref, m),
    prepare: (lane) => run(`preparing staging folder ${f.stage(lane)}`, async (c) => {
      const stage = f.stage(lane);
      try {
        await c.client.mailboxCreate(stage);
      } catch (err) {
        const e = imapError(err, `CREATE ${stage}`);
        if (!(e instanceof ItemError)) throw e;
        // Left by an interrupted run: what it holds was either copied (the engine finds it in the
        // real folder) or not (it is written again). Empty it.
        const mb = await c.client.mailboxOpen(stage);
        try {
          if (mb.exists > 0 && !(await c.client.messageDelete('1:*', { uid: true }))) throw new TransientError(`emptying ${stage} was not accepted`);
        } finally {
          await deselect(c);
        }
      }
      // imapflow's CREATE subscribes the folder: a stage must never show in a client that lists
      // subscribed folders, nor stay subscribed after its DELETE (Courier keeps the name).
      await c.client.mailboxUnsubscribe(stage).catch(() => undefined);
    }),
    append: async (m, lane) => {
      const uid = await f.append(f.stage(lane), m);
      if (uid === undefined) throw new TransientError(`APPEND to ${f.stage(lane)} named no UID (APPENDUID)`);
      return uid;
    },
    copy: (uids, lane) => run(`COPY ${uids.length} message(s) from ${f.stage(lane)} into ${ref}`, async (c) => {
      const stage = f.stage(lane);
      await c.client.mailboxOpen(stage);
      c.selected = stage;
      const r = await c.client.messageCopy(uids.join(','), ref, { uid: true });
      if (!r) {
        await deselect(c).catch(() => undefined);
        throw c.client.usable ? new ItemError(`COPY into ${ref} was not accepted`) : new TransientError(`COPY into ${ref}: connection lost`);
      }
      const map = new Map([...(r.uidMap ?? new Map<number, number>())].map(([from, to]) => [Number(from), Number(to)]));
      f.wrote(r.uidValidity, map.size > 0 ? Math.max(...map.values()) : undefined);
      return map;
    }, f.stage(lane)),
    discard: (uids, lane) => run(`removing copied messages from ${f.stage(lane)}`, async (c) => {
      const stage = f.stage(lane);
      try {
        if (c.client.mailbox === false || c.client.mailbox.path !== stage || c.client.mailbox.readOnly) await c.client.mailboxOpen(stage);
        if (!(await c.client.messageDelete(uids.join(','), { uid: true }))) throw new TransientError(`UID EXPUNGE in ${stage} was not accepted`);
      } finally {
        await deselect(c);
      }
    }, f.stage(lane)),
  };
}

/** The StagedWriter of one folder, its warnings logged. */
export function courierStager(f: StageFolder, o: { batch: number; lanes: number; directFirst: number; log: Logger }): StagedWriter<Appendable> {
  const { ref } = f;
  return new StagedWriter(courierStageOps(f), {
    batch: o.batch, lanes: o.lanes, blockBytes: STAGE_BLOCK_BYTES, sizeOf: (m) => m.content.length, directFirst: o.directFirst, lingerMs: STAGE_LINGER_MS, isTransient,
    onDiscardError: (err, lane) => o.log.warn({ folder: f.stage(lane), err: reasonOf(err) }, 'could not empty the staging folder (emptied before its next use)'),
    onUnstageable: (err) => o.log.warn({ folder: ref, stage: f.stage(0), err: reasonOf(err) }, 'cannot use a staging folder: writing into the folder directly'),
    missingUid: (uid, lane) => new TransientError(`COPY from ${f.stage(lane)} into ${ref} named no UID for staged message ${uid}`),
  });
}

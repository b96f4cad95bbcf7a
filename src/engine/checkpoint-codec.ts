/**
 * A container's checkpoint and flag-delta cursor as the engine reasons about them (typed), and
 * their stored form (plain strings in the state store). The stored strings carry two markers that
 * every version since they were introduced writes and reads: this module is the only place that
 * knows them. What it writes is exactly what earlier versions wrote, and what they wrote reads
 * back the same, so a run resumes a checkpoint of either.
 */
import type { Checkpoint } from '../state/store.js';

/**
 * 'verify': a pass of a new source epoch (IMAP UIDVALIDITY) is under way; each item is looked
 * for in the target before it is copied. It lasts until that pass completes, across
 * interruptions, so the marker is stored with the checkpoint.
 */
export type PassMode = 'normal' | 'verify';

export interface ContainerCheckpoint {
  /** Source epoch the cursor belongs to (IMAP UIDVALIDITY). */
  epoch: string;
  cursor: string | null;
  /** The scope the cursor was advanced under (filters.passScope), without the mode. */
  scope: string;
  mode: PassMode;
  /** The source's change token when the container was last complete. */
  token: string | null;
  targetRef: string;
}

/**
 * The flag-delta cursor: the source's change sequence (IMAP HIGHESTMODSEQ) at the start of the
 * last complete pass. `firstPass`: recorded by the container's first pass; the next delta scans
 * every flag once instead of asking for changes since it, because a server may start tracking
 * modseqs for a mailbox only on its first CONDSTORE use (Dovecot does), and changes made around
 * that moment can carry modseqs that are not above the one the first pass saw.
 */
export interface FlagSeq {
  seq: string;
  firstPass: boolean;
}

/** A checkpoint as opened: with the flag-delta cursor, which is stored apart (setFlagSeq). */
export interface OpenedCheckpoint extends ContainerCheckpoint {
  flagSeq: FlagSeq | null;
}

/** Prefix of the stored scope in verify mode. */
const VERIFY_MARK = 'verify;';
/** Prefix of the stored change sequence recorded by a container's first pass. */
const FIRST_PASS_MARK = 'first:';

export function storedScope(scope: string, mode: PassMode): string {
  return mode === 'verify' ? VERIFY_MARK + scope : scope;
}

export function readScope(stored: string): { scope: string; mode: PassMode } {
  return stored.startsWith(VERIFY_MARK) ? { scope: stored.slice(VERIFY_MARK.length), mode: 'verify' } : { scope: stored, mode: 'normal' };
}

/**
 * Whether a stored scope covers a pass of `scope`: the same scope, and no re-verification under
 * way (totals settled under another scope, or before a new epoch was verified, do not hold).
 */
export function coversScope(stored: string | null | undefined, scope: string): boolean {
  if (stored === null || stored === undefined) return false;
  const r = readScope(stored);
  return r.mode === 'normal' && r.scope === scope;
}

export function readCheckpoint(stored: Checkpoint): OpenedCheckpoint {
  return {
    epoch: stored.epoch, cursor: stored.cursor, ...readScope(stored.scope), token: stored.token, targetRef: stored.targetRef,
    flagSeq: readFlagSeq(stored.flagSeq),
  };
}

/** The stored checkpoint (commitBatch); the flag-delta cursor is not part of it. */
export function storedCheckpoint(cp: ContainerCheckpoint): Checkpoint {
  return { epoch: cp.epoch, cursor: cp.cursor, scope: storedScope(cp.scope, cp.mode), token: cp.token, targetRef: cp.targetRef };
}

export function readFlagSeq(stored: string | null | undefined): FlagSeq | null {
  if (stored === null || stored === undefined) return null;
  return stored.startsWith(FIRST_PASS_MARK) ? { seq: stored.slice(FIRST_PASS_MARK.length), firstPass: true } : { seq: stored, firstPass: false };
}

export function storedFlagSeq(v: FlagSeq | null): string | null {
  if (v === null) return null;
  return v.firstPass ? FIRST_PASS_MARK + v.seq : v.seq;
}

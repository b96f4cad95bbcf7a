/** What a container task works with: the mailbox's two sides, its store, limits and listeners. */
import type { Logger } from 'pino';
import type { SourceMailbox, TargetMailbox } from '../model/types.js';
import type { CheckpointStore } from '../state/store.js';
import type { RetryPolicy } from '../util/retry.js';
import type { ByteBudget } from '../util/semaphore.js';
import type { ContentTransform } from './content-transform.js';
import type { EventListener } from './events.js';
import type { ItemFilters } from './filters.js';
import type { TargetClaims } from './target-claims.js';

export interface TaskContext {
  store: CheckpointStore;
  mailboxId: number;
  mailbox: string;
  source: SourceMailbox;
  target: TargetMailbox;
  filters: ItemFilters;
  batchSize: number;
  writers: number;
  /** Bytes of message content in flight (read but not yet written), shared by the mailbox's tasks. */
  budget: ByteBudget;
  retry: RetryPolicy;
  log: Logger;
  emit: EventListener;
  signal?: AbortSignal;
  /** Claims shared by the tasks of this mailbox (see target-claims). */
  claims?: TargetClaims;
  /** What later passes do with flag changes and deletions in the source. */
  sync?: { flags: boolean; deletions: 'ignore' | 'mirror' };
  /** `retry --failed`: only items that failed before; nothing new is listed. */
  onlyFailed?: boolean;
  /** Rewrites content between read and write (see content-transform); hashes are of its output. */
  transform?: ContentTransform;
  /** Items the mailbox's source folders without a checkpoint hold, per target container (itemsByTarget): a first pass's hint to the target. */
  incoming?: ReadonlyMap<string, number>;
}

/** A container task's retry of one source or target call: warns and emits a `retry` event per attempt. */
export type WithRetry = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

import { isTransient } from './errors.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with full jitter, capped. `attempt` starts at 1. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Runs `fn`, retrying transient failures (see util/errors) with backoff. Anything else, or the
 * last transient failure, is thrown. `onRetry` runs before each new attempt (e.g. to reconnect).
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => Promise<void> | void,
  transient: (err: unknown) => boolean = isTransient,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !transient(err)) throw err;
      const delay = backoffDelay(policy, attempt);
      await onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}

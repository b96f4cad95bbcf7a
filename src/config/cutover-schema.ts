/**
 * The `cutover:` section of migration.yaml: what `cutover` checks before it moves a user's mail
 * delivery to the UMS (src/cutover/gate.ts). Optional; every field has a default.
 */
import { z } from 'zod';

export interface CutoverConfig {
  /**
   * A mailbox whose last finished pass (run or sync) started longer ago than this is not cut over:
   * mail that arrived since then would be on Exchange only. Hours, default 24.
   */
  maxDeltaAgeHours: number;
}

export const DEFAULT_MAX_DELTA_AGE_HOURS = 24;

export const cutoverSchema = z
  .object({
    maxDeltaAgeHours: z.number().positive().max(24 * 366).default(DEFAULT_MAX_DELTA_AGE_HOURS),
  })
  .strict();

/** The section with its defaults (configs built in code may leave it out). */
export function cutoverSettings(c: { cutover?: CutoverConfig }): CutoverConfig {
  return { maxDeltaAgeHours: c.cutover?.maxDeltaAgeHours ?? DEFAULT_MAX_DELTA_AGE_HOURS };
}

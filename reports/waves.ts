/**
 * Waves in the report: the per-wave consistency score (items in the UMS / items on the source over
 * the wave's mailboxes, src/cutover/score.ts) and the state of the wave's driven cutover
 * (src/cutover/wave-state.ts), reduced to what a project manager reads. Pure.
 */
import { mailboxKey } from '../src/cutover/approvals.js';
import type { MailboxScore } from '../src/cutover/score.js';
import { SCORE_TYPES } from '../src/cutover/score.js';
import type { WaveState, WaveStep } from '../src/cutover/wave-state.js';

/** The group of mailboxes without a wave, when others have one. */
export const NO_WAVE = '(no wave)';

export interface WaveCutover {
  /** The last step the driven cutover finished (started … done, or rolled-back). */
  step: WaveStep;
  /** Which run of the wave this is (a finished wave can run again for the members still on Exchange). */
  run: number;
  /** ISO time of the last step. */
  updatedAt: string;
  /** Members routed to the UMS by any run of the wave (since its last rollback). */
  cutOver: number;
  /** Members left on Exchange by the last run's gate, with their reasons counted. */
  held: number;
}

export function waveCutover(s: WaveState): WaveCutover {
  return { step: s.step, run: s.run, updatedAt: s.updatedAt, cutOver: s.flippedAll.length, held: s.held.length };
}

/**
 * Items in the UMS / items on the source over the members of a wave; null while no member was
 * migrated at all. A member only planned (counted, nothing copied) counts with its items on the
 * source, so it pulls the wave's score down rather than vanishing from it.
 */
export function waveScore(members: readonly { source: string; target: string }[], scores: readonly MailboxScore[]): number | null {
  const keys = new Set(members.map(mailboxKey));
  let source = 0;
  let target = 0;
  let scored = false;
  for (const s of scores) {
    if (!keys.has(mailboxKey(s))) continue;
    if (s.score !== null) scored = true;
    for (const t of SCORE_TYPES) {
      source += s.byType[t].source;
      target += s.byType[t].target;
    }
  }
  if (!scored) return null;
  return source === 0 ? 1 : Math.min(1, target / source);
}

/** What a wave's cutover step means, for people. */
export const WAVE_STEP_TEXT: Record<WaveStep, string> = {
  started: 'cutover started',
  synced: 'final sync done',
  gated: 'checked, not yet switched',
  flipped: 'switched, maps not yet published',
  published: 'switched and published',
  done: 'cut over',
  'rolled-back': 'rolled back',
};

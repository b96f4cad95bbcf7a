/**
 * The persisted progress of a driven wave (`cutover --wave W --final-sync`), one JSON value per
 * wave in the state store's named checkpoints (`cutover:wave:<W>`), written after every step so an
 * interrupted wave resumes where it stopped:
 *
 *   started → synced (final delta) → gated → flipped (cutover recorded) → published → done (second delta)
 *
 * A finished wave (done) can run again for the members still on Exchange (a new run); `rolled-back`
 * closes it. `before` (the maps version current before the wave first published) and `versions`
 * (what it published) span runs, for the rollback.
 */
import type { KeyValueStore } from '../state/store.js';
import type { GateFailure } from './gate.js';

export type WaveStep = 'started' | 'synced' | 'gated' | 'flipped' | 'published' | 'done' | 'rolled-back';

export interface WaveUser {
  key: string;
  login: string;
  /** The configured mailbox (source → UMS login); absent with `error`. */
  source?: string;
  target?: string;
  error?: string;
}

export interface HeldUser {
  key: string;
  login: string;
  reasons: GateFailure[];
}

export interface SyncSummary {
  /** The run's exit code (0 done, 3 some items/folders/mailboxes failed, …). */
  exit: number;
  mailboxes: number;
  copied: number;
  failed: number;
  failedMailboxes: string[];
}

export interface WaveState {
  wave: string;
  run: number;
  step: WaveStep;
  by: string;
  startedAt: string;
  updatedAt: string;
  force: boolean;
  members: WaveUser[];
  /** Membership problems (mailboxes of the wave without an address-book user). */
  problems: string[];
  /** Members already cut over when the run started. */
  already: string[];
  /** Keys that passed the gate, or were forced through it. */
  passed: string[];
  /** Forced through the gate: what was skipped. */
  forced: HeldUser[];
  /** Left on Exchange, with the reasons. */
  held: HeldUser[];
  /** Keys this run cut over. */
  flipped: string[];
  finalSync?: SyncSummary;
  secondDelta?: SyncSummary;
  /** Cut over, but the second delta left failures no approval covers (to fix on the UMS side). */
  afterSwitch?: HeldUser[];
  /** The maps version current before this wave's first publish (null: nothing was published then). */
  before?: string | null;
  /** Versions this wave published (all runs since the last rollback), oldest first. */
  versions: string[];
  /** Keys cut over by any run of this wave (since the last rollback). */
  flippedAll: string[];
}

export function waveKey(wave: string): string {
  return `cutover:wave:${wave}`;
}

export async function loadWave(store: Pick<KeyValueStore, 'getCheckpointValue'>, wave: string): Promise<WaveState | undefined> {
  const text = await store.getCheckpointValue(waveKey(wave));
  if (!text) return undefined;
  const v = JSON.parse(text) as WaveState;
  if (v.wave !== wave || typeof v.step !== 'string') throw new Error(`the state store's record of wave ${JSON.stringify(wave)} (${waveKey(wave)}) is damaged: ${text.slice(0, 80)}`);
  return v;
}

export async function saveWave(store: Pick<KeyValueStore, 'setCheckpointValue'>, state: WaveState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await store.setCheckpointValue(waveKey(state.wave), JSON.stringify(state));
}

/**
 * Test hook: `UMS_CUTOVER_CRASH_AFTER=<step>` kills the process (SIGKILL: no cleanup, like a
 * power cut) right after that step was persisted.
 */
export function crashHook(step: WaveStep, env: NodeJS.ProcessEnv = process.env): void {
  if (env.UMS_CUTOVER_CRASH_AFTER === step) process.kill(process.pid, 'SIGKILL');
}

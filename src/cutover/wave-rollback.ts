/**
 * `cutover --wave W --rollback`: the wave undone in one step. The maps version that was current
 * before the wave first published becomes current again (one atomic swap of `current`, the same
 * files, so byte for byte the maps from before; Postfix reloaded), its Exchange forwarding plan
 * with it, and the PowerShell that stops forwarding the wave's mailboxes is written beside the
 * maps; then the wave's users are recorded back on Exchange. Audited (action `rollback`, batch
 * `wave:W`).
 *
 * Refused when another version was published after the wave's last one (rolling back would undo
 * that too: `routing rollback` it first). Idempotent: after a crash between the swap and the state
 * change, running it again finishes it. The caller holds `<mapDir>/.publish.lock`.
 */
import path from 'node:path';
import { exchangeChanges } from '../../mappings/routing/changes.js';
import { reloadResult } from '../routing/publish.js';
import type { RoutingSession } from '../routing/session.js';
import { activateVersion, currentVersionName, readVersion } from '../routing/versions.js';
import { FatalError } from '../util/errors.js';
import { writePrivateFile } from '../util/private-file.js';
import { recordCutover } from './flip.js';
import { loadWave, saveWave, type WaveState } from './wave-state.js';

export interface WaveRollback {
  state: WaveState;
  from: string | null;
  to: string;
  reload: string;
  /** Users recorded back on Exchange. */
  undone: string[];
  exchangeFile: string;
  exchangePowershell: string;
  auditSeq: number;
}

export async function rollbackWave(session: RoutingSession, wave: string): Promise<WaveRollback> {
  const state = await loadWave(session.store, wave);
  const name = JSON.stringify(wave);
  if (state === undefined) throw new FatalError(`wave ${name} never ran (\`cutover --wave ${wave} --final-sync\`): nothing to roll back`, 'NO_WAVE');
  if (state.step === 'rolled-back') throw new FatalError(`wave ${name} was already rolled back (${state.updatedAt})`, 'NO_WAVE');
  const last = state.versions.at(-1);
  if (last === undefined || state.before === undefined) {
    throw new FatalError(`wave ${name} has published nothing (its step: ${state.step}): nothing to roll back; \`cutover --undo --user …\` puts recorded users back on Exchange`, 'NO_WAVE');
  }
  if (state.before === null) throw new FatalError(`wave ${name} published the first maps version (${state.versions[0]}): there are no earlier maps to restore`, 'NO_WAVE');
  const mapDir = session.routing.mapDir;
  const current = await currentVersionName(mapDir);
  if (current !== last && current !== state.before) {
    throw new FatalError(`the published maps are ${current ?? 'none'}, not wave ${name}'s last version ${last}: a later publish would be undone too. `
      + `Roll those back first (\`ums-migrate routing rollback\`), then run this again`, 'WAVE_NOT_CURRENT');
  }
  const waveMaps = await readVersion(mapDir, last);
  const [from, to] = await activateVersion(mapDir, state.before);
  const reload = await reloadResult(session);
  // From the wave's last version (not `from`: after a crash right after the swap, that is `to` already).
  const exchange = exchangeChanges(waveMaps.manifest.forwarded, to.manifest.forwarded);
  const exchangeFile = path.join(mapDir, `rollback-wave-${wave.replace(/[^\w.-]/g, '_')}-${last}-to-${to.manifest.version}.ps1`);
  await writePrivateFile(exchangeFile, exchange.powershell);
  const stillCut = await session.cutOverKeys();
  const users = state.members.filter((m) => state.flippedAll.includes(m.key) && stillCut.has(m.key));
  const undone = users.length > 0
    ? await recordCutover(session, users, { cutOver: false, batch: `wave:${wave}`, detail: { wave, step: 'rollback' } })
    : undefined;
  const entry = await session.audit({
    action: 'rollback', batch: `wave:${wave}`, users: users.map((u) => u.login),
    detail: { wave, from: from?.manifest.version ?? null, to: to.manifest.version, versions: state.versions, reload, exchangeChanges: exchange.powershell, undoAudit: undone?.entry.seq ?? null },
  });
  state.step = 'rolled-back';
  await saveWave(session.store, state);
  return {
    state, from: from?.manifest.version ?? null, to: to.manifest.version, reload, undone: users.map((u) => u.login),
    exchangeFile, exchangePowershell: exchange.powershell, auditSeq: entry.seq,
  };
}

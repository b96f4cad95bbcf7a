/**
 * Records users as cut over (or back on Exchange) with the map diff the change causes, refused
 * names and extra details in the audit entry written in the same transaction. Shared by
 * `cutover --user/--batch` and the driven wave.
 */
import { mapsDiff, summariseDiff } from '../../mappings/routing/changes.js';
import type { DirectoryUser } from '../../mappings/routing/from-directory.js';
import type { RoutingSession } from '../routing/session.js';
import type { CutoverResult, RefusedName } from '../state/store.js';

export interface FlipResult extends CutoverResult {
  summary: string;
  warnings: string[];
}

export async function recordCutover(
  session: RoutingSession,
  users: readonly Pick<DirectoryUser, 'key' | 'login'>[],
  opts: { cutOver: boolean; batch: string | null; refused?: RefusedName[]; detail?: Record<string, unknown> },
): Promise<FlipResult> {
  const before = await session.cutOverKeys();
  const after = new Set(before);
  for (const u of users) {
    if (opts.cutOver) after.add(u.key);
    else after.delete(u.key);
  }
  const oldMaps = await session.maps(before);
  const newMaps = await session.maps(after);
  const diff = mapsDiff(oldMaps, newMaps);
  const summary = summariseDiff(diff);
  const result = await session.applyCutover({
    users: users.map((u) => ({ userKey: u.key, login: u.login })), cutOver: opts.cutOver, batch: opts.batch,
    ...(opts.refused !== undefined && opts.refused.length > 0 ? { refused: opts.refused } : {}),
    detail: { ...(opts.detail ?? {}), summary, diff },
  });
  return { ...result, summary, warnings: newMaps.issues.concat(newMaps.warnings) };
}

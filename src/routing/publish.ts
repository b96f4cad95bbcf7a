/**
 * Publishing the routing maps of the current cutover state: generate, guard, swap atomically,
 * reload Postfix, audit. Shared by `routing publish` / `routing rollback` (src/commands/routing.ts)
 * and the driven wave of `cutover --final-sync` (src/cutover/wave.ts).
 */
import { coerceError } from '../util/errors.js';
import { exchangeChanges, mapsDiff, publishGuards, summariseDiff } from '../../mappings/routing/changes.js';
import { forwardedUsers } from '../../mappings/routing/exchange-plan.js';
import { exchangePlan, parseMap } from '../../mappings/routing/postfix-maps.js';
import type { RoutingAuditEntry } from '../state/store.js';
import { forTerminal } from '../util/terminal-text.js';
import { postfixReload, postfixRunning } from './postfix.js';
import type { RoutingSession } from './session.js';
import { currentVersion, publishVersion, type Version } from './versions.js';

/** Logins whose cutover differs between two sets. */
export function changedLogins(before: readonly string[], after: readonly string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...new Set([...before.filter((x) => !b.has(x)), ...after.filter((x) => !a.has(x))])].sort();
}

/**
 * warnings.txt (read with cat/less): one warning per line, its control and bidi characters
 * escaped like on the terminal; they quote address-book values, which may carry ESC or U+202E.
 */
export function warningsFile(warnings: readonly string[]): string {
  return warnings.map((w) => `${forTerminal(w)}\n`).join('');
}

export async function generated(session: RoutingSession) {
  const m = await session.model();
  const maps = await session.maps();
  const plan = exchangePlan(m.model);
  const forwarded = forwardedUsers(m.model);
  const cutOver = m.model.users.filter((u) => u.cutOver).map((u) => u.login).sort();
  const warnings = [...session.bookProblems, ...session.bookNotes, ...maps.issues, ...maps.warnings];
  return { model: m.model, maps, plan, forwarded, cutOver, warnings };
}

/** What `publishMaps` did: nothing (no change), nothing (a guard refused), or a new version. */
export type PublishOutcome =
  | { kind: 'unchanged'; current: Version }
  | { kind: 'refused'; guards: string[]; entry: RoutingAuditEntry }
  | { kind: 'published'; version: Version; summary: string; reload: string; exchange: ReturnType<typeof exchangeChanges>; entry: RoutingAuditEntry; warnings: string[] };

/**
 * Publishes the maps of the current cutover state as a new version (atomic swap, postfix reload),
 * audited; shared by `routing publish` and the driven wave of `cutover --final-sync`. The caller
 * holds `<mapDir>/.publish.lock`.
 */
export async function publishMaps(session: RoutingSession, opts: { force?: boolean; batch?: string | null } = {}): Promise<PublishOutcome> {
  const g = await generated(session);
  const current = await currentVersion(session.routing.mapDir);
  const diff = mapsDiff(current?.maps, g.maps);
  const summary = summariseDiff(diff);
  if (current && summary === 'no change' && !opts.force) return { kind: 'unchanged', current };
  const guards = publishGuards(diff, current === undefined ? 0 : parseMap(current.maps.relayRecipients).size, session.bookProblems);
  const changed = changedLogins(current?.manifest.cutOver ?? [], g.cutOver);
  if (guards.length > 0 && !opts.force) {
    // Audited with the names whose routing change was held back (or the maps as a whole).
    const reason = `not published: ${guards.join('; ')}`;
    const entry = await session.audit({
      action: 'publish', users: [], ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
      refused: (changed.length > 0 ? changed : ['routing maps']).map((name) => ({ name, reason })),
      detail: { refused: guards, previous: current?.manifest.version ?? null, summary, bookProblems: session.bookProblems.length },
    });
    return { kind: 'refused', guards, entry };
  }
  const exchange = exchangeChanges(current?.manifest.forwarded ?? [], g.forwarded);
  const version = await publishVersion(session.routing.mapDir, session.tools, {
    maps: g.maps,
    files: {
      'exchange-plan.csv': g.plan.csv,
      'exchange-plan.ps1': g.plan.powershell,
      'exchange-changes.ps1': exchange.powershell,
      'warnings.txt': warningsFile(g.warnings),
    },
    manifest: {
      createdAt: new Date().toISOString(), createdBy: session.operator, mapType: session.routing.mapType, cutOver: g.cutOver, forwarded: g.forwarded,
      warnings: g.warnings.length,
    },
  }, session.routing.keepVersions);
  const reload = await reloadResult(session);
  const entry = await session.audit({
    action: 'publish', users: changed, ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
    detail: {
      version: version.manifest.version, previous: version.manifest.previous, summary, diff, reload, exchangeChanges: exchange.powershell,
      ...(guards.length > 0 ? { forced: guards } : {}),
    },
  });
  return { kind: 'published', version, summary, reload, exchange, entry, warnings: g.warnings };
}

/** What became of the Postfix reload after the maps changed (text for the output and the audit). */
export async function reloadResult(session: RoutingSession): Promise<string> {
  if (session.tools.configDir === undefined) return 'not reloaded (no routing.postfixConfigDir): run `postfix reload`';
  if (!(await postfixRunning(session.tools))) return `not running (${session.tools.configDir}): the maps take effect when it starts`;
  try {
    await postfixReload(session.tools);
    return `reloaded (${session.tools.configDir})`;
  } catch (err) {
    return `reload failed: ${coerceError(err).message}`;
  }
}

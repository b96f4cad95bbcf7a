/**
 * `routing generate|publish|rollback|check`: the Postfix side of split-domain coexistence, from
 * the address book and the cutover state (see mappings/routing/postfix-maps.ts for the pattern).
 *
 * - generate [--out DIR]: writes the maps and the Exchange plan for review; changes nothing live.
 * - publish [--force]: a new version (versions.ts: atomic, postmap'ed, previous kept), then
 *   `postfix -c <postfixConfigDir> reload`; audited with the map diff. Nothing changed: nothing
 *   published. An address book read with problems, or a change removing most recipients, is
 *   published only with --force (exit 3 otherwise).
 * - rollback: the previous version becomes current again, reload, audited. The cutover state in
 *   the store is not changed: differences are printed (cutover --undo, or publish again).
 * - check ADDRESS: which system and why, from the current state, next to what the published
 *   maps answer (postmap -q).
 * The Exchange side is written as CSV and PowerShell (never executed): the full plan, and the
 * changes since the previous version.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { exchangeChanges, expectedLookups, explainCheck, lookupKeys, MAP_FILES, MAP_NAMES, mapsDiff, summariseDiff, type Lookups, type MapTexts } from '../../mappings/routing/changes.js';
import { routeFor } from '../../mappings/routing/postfix-maps.js';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJson, printOut } from '../cli/output.js';
import { postmapQuery } from '../routing/postfix.js';
import { runLogged } from '../command-log.js';
import { loadConfig } from '../config/load.js';
import { openRoutingSession, type RoutingSession } from '../routing/session.js';
import { currentMapFile, currentVersion, rollbackVersion, type Manifest } from '../routing/versions.js';
import { acquireRunLock } from '../state/run-lock.js';
import { forTerminal } from '../util/terminal-text.js';
import { writePrivateFile } from '../util/private-file.js';
import { changedLogins, generated, publishMaps, reloadResult, warningsFile } from '../routing/publish.js';
import { coerceError } from '../util/errors.js';

interface Base {
  config: string;
  json?: boolean;
}

// Human text through cli/output (secrets scrubbed, control characters escaped); JSON through printJson.
const out = (s: string) => printOut(s);
const warn = (lines: string[], label: string) => {
  for (const l of lines) printErr(`${label}: ${forTerminal(l)}\n`);
};

/**
 * Opens the session and runs `body` with the command's log (`logging.file`): started, finished
 * with the exit code or failed with the reason; the session is closed either way.
 */
async function withSession(opts: Base, command: string, fields: Record<string, unknown>, body: (session: RoutingSession) => Promise<number>): Promise<number> {
  const session = await openRoutingSession(opts.config, await loadConfig(opts.config), { command });
  return runLogged(session.log, command, fields, async () => {
    try {
      return await body(session);
    } finally {
      await session.close();
    }
  });
}

export async function routingGenerateCommand(opts: Base & { out?: string }): Promise<number> {
  return withSession(opts, 'routing generate', { out: opts.out ?? null }, async (session) => {
    const g = await generated(session);
    const dir = path.resolve(opts.out ?? path.join(session.routing.mapDir, 'generated'));
    await mkdir(dir, { recursive: true });
    // For review only (Postfix never reads this directory): private, like every file with addresses.
    for (const n of MAP_NAMES) await writePrivateFile(path.join(dir, MAP_FILES[n]), g.maps[n]);
    await writePrivateFile(path.join(dir, 'exchange-plan.csv'), g.plan.csv);
    await writePrivateFile(path.join(dir, 'exchange-plan.ps1'), g.plan.powershell);
    await writePrivateFile(path.join(dir, 'warnings.txt'), warningsFile(g.warnings));
    const current = await currentVersion(session.routing.mapDir);
    const summary = summariseDiff(mapsDiff(current?.maps, g.maps));
    session.log.info({ dir, cutOver: g.cutOver.length, published: current?.manifest.version ?? null, vsPublished: summary, warnings: g.warnings.length }, 'maps generated for review');
    if (opts.json) printJson({ dir, cutOver: g.cutOver, vsPublished: summary, warnings: g.warnings });
    else {
      out(`wrote ${dir}: ${MAP_NAMES.map((n) => MAP_FILES[n]).join(', ')}, exchange-plan.csv, exchange-plan.ps1\n`);
      out(`${g.cutOver.length} user(s) cut over; compared with the published maps${current ? ` (${current.manifest.version})` : ' (none)'}: ${summary}\n`);
      warn(g.warnings, 'warning');
    }
    return EXIT.OK;
  });
}

export async function routingPublishCommand(opts: Base & { force?: boolean }): Promise<number> {
  return withSession(opts, 'routing publish', { force: opts.force === true }, async (session) => {
    const release = acquireRunLock(path.join(session.routing.mapDir, '.publish.lock'), 'routing publish');
    try {
      return await publishCommandBody(session, opts);
    } finally {
      release();
    }
  });
}

async function publishCommandBody(session: RoutingSession, opts: Base & { force?: boolean }): Promise<number> {
  const r = await publishMaps(session, { force: opts.force === true });
  if (r.kind === 'unchanged') {
    out(`no change since ${r.current.manifest.version}: nothing published\n`);
    return EXIT.OK;
  }
  if (r.kind === 'refused') {
    printErr(`not published (use --force after checking):\n${r.guards.map((g) => `  ${g}\n`).join('')}`);
    warn(session.bookProblems, 'error');
    printErr(`audit #${r.entry.seq} by ${r.entry.who}\n`);
    return EXIT.PARTIAL;
  }
  const { version, summary, reload, exchange, entry } = r;
  if (opts.json) printJson({ version: version.manifest, dir: version.dir, summary, reload, audit: entry.seq });
  else {
    out(`published ${version.manifest.version} (previous: ${version.manifest.previous ?? 'none'}): ${summary}\n`);
    out(`maps: ${session.routing.mapType}:${path.join(session.routing.mapDir, 'current')}/{${MAP_NAMES.map((n) => MAP_FILES[n]).join(',')}}\n`);
    out(`postfix: ${reload}\n`);
    out(`Exchange side (review, then run): ${path.join(version.dir, 'exchange-changes.ps1')} (${exchange.forward.length} to forward, ${exchange.unforward.length} to stop forwarding)\n`);
    out(`audit #${entry.seq} by ${entry.who}\n`);
    warn(r.warnings, 'warning');
  }
  return reload.startsWith('reload failed') ? EXIT.ERROR : EXIT.OK;
}

export async function routingRollbackCommand(opts: Base): Promise<number> {
  return withSession(opts, 'routing rollback', {}, async (session) => {
    const release = acquireRunLock(path.join(session.routing.mapDir, '.publish.lock'), 'routing rollback');
    try {
      return await rollbackCommandBody(session, opts);
    } finally {
      release();
    }
  });
}

async function rollbackCommandBody(session: RoutingSession, opts: Base): Promise<number> {
  let versions: Awaited<ReturnType<typeof rollbackVersion>>;
  try {
    versions = await rollbackVersion(session.routing.mapDir);
  } catch (err) {
    // Refused (no earlier version, unreadable, …): nothing changed, but the attempt is audited.
    const current = await currentVersion(session.routing.mapDir).catch(() => undefined);
    await session.audit({
      action: 'rollback', users: [], refused: [{ name: current?.manifest.version ?? 'routing maps', reason: coerceError(err).message }],
      detail: { from: current?.manifest.version ?? null },
    });
    throw err;
  }
  const [from, to] = versions;
  const reload = await reloadResult(session);
  const diff = mapsDiff(from.maps, to.maps);
  const summary = summariseDiff(diff);
  const exchange = exchangeChanges(from.manifest.forwarded, to.manifest.forwarded);
  const entry = await session.audit({
    action: 'rollback', users: changedLogins(from.manifest.cutOver, to.manifest.cutOver),
    detail: { from: from.manifest.version, to: to.manifest.version, summary, diff, reload, exchangeChanges: exchange.powershell },
  });
  const stateDiffers = stateVersusManifest(await session.model().then((m) => m.model.users.filter((u) => u.cutOver).map((u) => u.login)), to.manifest);
  if (opts.json) printJson({ from: from.manifest.version, to: to.manifest.version, summary, reload, audit: entry.seq, stateDiffers });
  else {
    out(`rolled back ${from.manifest.version} → ${to.manifest.version}: ${summary}\npostfix: ${reload}\n`);
    out(`Exchange side (review, then run):\n${exchange.powershell}`);
    if (stateDiffers.length > 0) out(`note: the cutover state still differs from ${to.manifest.version} for ${stateDiffers.join(', ')}: \`cutover --undo\` them, or publish again\n`);
    out(`audit #${entry.seq} by ${entry.who}\n`);
  }
  return reload.startsWith('reload failed') ? EXIT.ERROR : EXIT.OK;
}

function stateVersusManifest(cutOver: string[], manifest: Manifest): string[] {
  return changedLogins(manifest.cutOver, cutOver);
}

async function publishedLookups(session: RoutingSession, address: string): Promise<Lookups> {
  const { address: key, domain } = lookupKeys(address);
  const found: Lookups = {};
  for (const n of MAP_NAMES) {
    const file = currentMapFile(session.routing.mapDir, n);
    const v = (await postmapQuery(session.tools, file, key)) ?? (n === 'transport' && domain !== undefined ? await postmapQuery(session.tools, file, domain) : undefined);
    if (v !== undefined) found[n] = v;
  }
  return found;
}

export async function routingCheckCommand(address: string, opts: Base): Promise<number> {
  return withSession(opts, 'routing check', { address }, async (session) => {
    const g = await generated(session);
    const route = routeFor(g.model, address);
    const expected = expectedLookups(g.maps as MapTexts, address);
    const current = await currentVersion(session.routing.mapDir);
    const published = current === undefined ? undefined : await publishedLookups(session, address);
    const ex = explainCheck(address, route, expected, published, current?.manifest.version);
    session.log.info({ address, system: route.system, published: current?.manifest.version ?? null }, 'routing checked');
    if (opts.json) printJson({ address, ...ex, text: undefined, version: current?.manifest.version ?? null });
    else out(ex.text);
    return EXIT.OK;
  });
}

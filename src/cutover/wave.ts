/**
 * The driven wave: `cutover --wave W --final-sync` (or `--batch FILE --final-sync`, the wave then
 * named after the file). One command, each step persisted (wave-state.ts) and audited (action
 * `wave`, batch `wave:W`), resumable after a crash at any point:
 *
 * 1. started    the members (address-book users of the wave's mailboxes) are fixed for this run
 * 2. synced     the final delta of their mailboxes (the engine `sync` uses; nothing is frozen on
 *               the source: it cannot be)
 * 3. gated      the gate (gate.ts) per member: pass, or held on Exchange with the reasons
 * 4. flipped    the members that passed are recorded as cut over (one transaction with its audit)
 * 5. published  just before publishing, the flipped members are gated again (a resumed wave may
 *               find the state changed: whoever fails now is put back on Exchange first), then the
 *               maps are published atomically (`routing publish`'s publishMaps)
 * 6. done       a second delta of the flipped mailboxes catches mail that reached Exchange during
 *               the switch
 *
 * The maps change only in step 5, after the gate: a crash anywhere leaves them pointing at a
 * mailbox that passed the gate, or as they were. The caller holds `<mapDir>/.publish.lock`.
 */
import type { JobReport } from '../engine/job.js';
import { EXIT } from '../util/exit-codes.js';
import { publishMaps } from '../routing/publish.js';
import { cutoverSettings } from '../config/cutover-schema.js';
import type { RoutingSession } from '../routing/session.js';
import { currentVersion } from '../routing/versions.js';
import type { RefusedName } from '../state/store.js';
import { recordCutover } from './flip.js';
import { describeFailures, gate, gateInputs, type GateFailure } from './gate.js';
import type { Member } from './members.js';
import { crashHook, loadWave, saveWave, type HeldUser, type SyncSummary, type WaveState, type WaveStep, type WaveUser } from './wave-state.js';

export interface WaveDeps {
  session: RoutingSession;
  configFile: string;
  /** Resolves the members when a new run starts (a resumed run keeps its own). */
  members: () => { members: Member[]; problems: string[] };
  /** The engine pass over these source logins (`sync`); returns its exit code and report. */
  sync: (sources: string[]) => Promise<{ exit: number; report?: JobReport }>;
  say: (line: string) => void;
  now?: () => Date;
}

export interface WaveOutcome {
  state: WaveState;
  exit: number;
  resumedFrom?: WaveStep;
  publish?: string;
}

const batchOf = (wave: string) => `wave:${wave}`;
const refusedOf = (held: readonly HeldUser[]): RefusedName[] => held.map((h) => ({ name: h.login, reason: describeFailures(h.reasons) }));

function summary(exit: number, report: JobReport | undefined, mailboxes: number): SyncSummary {
  return {
    exit, mailboxes, copied: report?.copied ?? 0, failed: report?.failed ?? 0,
    failedMailboxes: report?.mailboxes.filter((m) => !m.ok).map((m) => m.source) ?? [],
  };
}

function newRun(prev: WaveState | undefined, wave: string, by: string, force: boolean, resolved: { members: Member[]; problems: string[] }, cutOver: Set<string>): WaveState {
  const keep = prev !== undefined && prev.step !== 'rolled-back';
  const members: WaveUser[] = resolved.members.map((m) => ('error' in m.mailbox
    ? { key: m.user.key, login: m.user.login, error: m.mailbox.error }
    : { key: m.user.key, login: m.user.login, source: m.mailbox.source, target: m.mailbox.target }));
  const now = new Date().toISOString();
  return {
    wave, run: (prev?.run ?? 0) + 1, step: 'started', by, startedAt: now, updatedAt: now, force, members, problems: resolved.problems,
    already: members.filter((m) => cutOver.has(m.key)).map((m) => m.key), passed: [], forced: [], held: [], flipped: [],
    versions: keep ? prev.versions : [], flippedAll: keep ? prev.flippedAll : [],
    ...(keep && prev.before !== undefined ? { before: prev.before } : {}),
  };
}

/** Gate failures per member key (members without a mailbox fail on that). */
async function gateMembers(deps: WaveDeps, users: readonly WaveUser[]): Promise<Map<string, GateFailure[]>> {
  const cfg = cutoverSettings(deps.session.loaded.config);
  const entries = users.map((u) => ({
    user: u,
    mailbox: u.source !== undefined && u.target !== undefined
      ? deps.session.loaded.mailboxes.find((m) => m.source === u.source && m.target === u.target) ?? { error: `mailbox ${u.source} → ${u.target} is no longer in the config` }
      : { error: u.error ?? `no mailbox for ${u.login}` },
  }));
  const inputs = await gateInputs(deps.session.store, deps.session.loaded, entries, { now: deps.now?.() ?? new Date(), maxDeltaAgeHours: cfg.maxDeltaAgeHours });
  return new Map(users.map((u, i) => [u.key, gate(inputs[i]!)]));
}

export async function driveWave(deps: WaveDeps, wave: string, opts: { force: boolean }): Promise<WaveOutcome> {
  const { session, say } = deps;
  const prev = await loadWave(session.store, wave);
  let state: WaveState;
  let resumedFrom: WaveStep | undefined;
  const audit = (step: string, users: string[], detail: Record<string, unknown> = {}, refused: RefusedName[] = []) => session.audit({
    action: 'wave', batch: batchOf(wave), users, ...(refused.length > 0 ? { refused } : {}), detail: { wave, run: state.run, step, ...detail },
  });
  const advance = async (step: WaveStep) => {
    state.step = step;
    await saveWave(session.store, state);
    crashHook(step);
  };
  if (prev === undefined || prev.step === 'done' || prev.step === 'rolled-back') {
    state = newRun(prev, wave, session.operator, opts.force, deps.members(), await session.cutOverKeys());
    await saveWave(session.store, state);
    await audit('started', state.members.map((m) => m.login), { members: state.members, problems: state.problems, force: opts.force });
    say(`wave ${wave} (run ${state.run}): ${state.members.length} member(s)${state.already.length > 0 ? `, ${state.already.length} already cut over` : ''}`);
    crashHook('started');
  } else {
    state = prev;
    resumedFrom = prev.step;
    state.force ||= opts.force;
    say(`wave ${wave} (run ${state.run}): resuming after step "${prev.step}" (started ${prev.startedAt} by ${prev.by})`);
  }
  for (const p of state.problems) say(`problem: ${p}`);
  const byKey = new Map(state.members.map((m) => [m.key, m]));
  const todo = () => state.members.filter((m) => !state.already.includes(m.key));
  const sourcesOf = (keys: readonly string[]) => keys.map((k) => byKey.get(k)?.source).filter((s): s is string => s !== undefined);

  if (state.step === 'started') {
    const sources = sourcesOf(todo().map((m) => m.key));
    say(`final delta of ${sources.length} mailbox(es)…`);
    const r = sources.length > 0 ? await deps.sync(sources) : { exit: EXIT.OK };
    state.finalSync = summary(r.exit, r.report, sources.length);
    await audit('final-sync', sources, { ...state.finalSync });
    say(`final delta: ${state.finalSync.copied} item(s) copied, ${state.finalSync.failed} failed${state.finalSync.failedMailboxes.length > 0 ? `, mailbox(es) failed: ${state.finalSync.failedMailboxes.join(', ')}` : ''}`);
    await advance('synced');
  }

  if (state.step === 'synced') {
    const failures = await gateMembers(deps, todo());
    state.passed = [];
    state.held = [];
    state.forced = [];
    for (const m of todo()) {
      const f = failures.get(m.key) ?? [];
      if (f.length === 0) state.passed.push(m.key);
      else if (state.force) {
        state.passed.push(m.key);
        state.forced.push({ key: m.key, login: m.login, reasons: f });
      } else state.held.push({ key: m.key, login: m.login, reasons: f });
    }
    await audit('gated', state.passed.map((k) => byKey.get(k)!.login), { forced: state.forced }, refusedOf(state.held));
    await advance('gated');
  }

  if (state.step === 'gated') {
    const users = state.passed.map((k) => byKey.get(k)!);
    const r = await recordCutover(session, users, {
      cutOver: true, batch: batchOf(wave), refused: refusedOf(state.held),
      detail: { wave, run: state.run, ...(state.forced.length > 0 ? { forced: state.forced.map((f) => ({ login: f.login, skipped: f.reasons })) } : {}) },
    });
    state.flipped = r.changed;
    state.flippedAll = [...new Set([...state.flippedAll, ...r.changed])];
    say(`recorded as cut over: ${users.length > 0 ? users.map((u) => u.login).join(', ') : 'nobody'} (audit #${r.entry.seq}; maps: ${r.summary})`);
    await advance('flipped');
  }

  let publishText: string | undefined;
  if (state.step === 'flipped') {
    // Gate the flipped members again: on a resumed wave the state may have changed since step 3
    // (and a crash may have come between an undo below and its being saved).
    const cutNow = await session.cutOverKeys();
    state.flipped = state.flipped.filter((k) => cutNow.has(k));
    const check = state.flipped.filter((k) => !state.forced.some((f) => f.key === k));
    const failures = await gateMembers(deps, check.map((k) => byKey.get(k)!));
    const failing = check.filter((k) => (failures.get(k) ?? []).length > 0);
    if (failing.length > 0) {
      const held = failing.map((k) => ({ key: k, login: byKey.get(k)!.login, reasons: failures.get(k)! }));
      const r = await recordCutover(session, held, { cutOver: false, batch: batchOf(wave), refused: refusedOf(held), detail: { wave, run: state.run, step: 'regate' } });
      say(`no longer passing the gate, back on Exchange before publishing: ${held.map((h) => h.login).join(', ')} (audit #${r.entry.seq})`);
      state.held.push(...held);
      state.passed = state.passed.filter((k) => !failing.includes(k));
      state.flipped = state.flipped.filter((k) => !failing.includes(k));
      state.flippedAll = state.flippedAll.filter((k) => !failing.includes(k));
      await saveWave(session.store, state);
    }
    if (state.flipped.length === 0) {
      // Nothing of this wave changed: other recorded but unpublished cutovers are not this wave's to publish.
      const current = await currentVersion(session.routing.mapDir);
      publishText = `nothing of this wave to publish (maps stay ${current?.manifest.version ?? 'unpublished'})`;
      say(publishText);
      await advance('published');
    }
  }
  if (state.step === 'flipped') {
    const p = await publishMaps(session, { batch: batchOf(wave) });
    if (p.kind === 'refused') {
      say(`not published: ${p.guards.join('; ')}`);
      say(`the flipped users are recorded as cut over, but the published maps still send their mail to Exchange: check, \`ums-migrate routing publish --force\`, then run this command again to finish the wave`);
      return { state, exit: EXIT.PARTIAL, ...(resumedFrom !== undefined ? { resumedFrom } : {}), publish: 'refused' };
    }
    const version = p.kind === 'published' ? p.version : p.current;
    if (state.flipped.length > 0 && !state.versions.includes(version.manifest.version)) {
      if (state.versions.length === 0 && state.before === undefined) state.before = version.manifest.previous;
      state.versions.push(version.manifest.version);
    }
    publishText = p.kind === 'published' ? `published ${p.version.manifest.version} (previous: ${p.version.manifest.previous ?? 'none'}): ${p.summary}; postfix: ${p.reload}` : `maps unchanged (${p.current.manifest.version})`;
    say(publishText);
    if (p.kind === 'published' && p.reload.startsWith('reload failed')) {
      await saveWave(session.store, state);
      return { state, exit: EXIT.ERROR, ...(resumedFrom !== undefined ? { resumedFrom } : {}), publish: publishText };
    }
    await advance('published');
  }

  if (state.step === 'published') {
    const sources = sourcesOf(state.flipped);
    if (sources.length > 0) {
      say(`second delta of ${sources.length} mailbox(es) (mail that reached Exchange during the switch)…`);
      const r = await deps.sync(sources);
      state.secondDelta = summary(r.exit, r.report, sources.length);
      // What the second delta left behind that no approval covers (the switch is done: reported, not undone).
      const after = await gateMembers(deps, state.flipped.map((k) => byKey.get(k)!));
      state.afterSwitch = state.flipped
        .map((k) => ({ key: k, login: byKey.get(k)!.login, reasons: (after.get(k) ?? []).filter((f) => f.check === 'pass' || f.check === 'problems') }))
        .filter((h) => h.reasons.length > 0);
      await audit('second-delta', sources, { ...state.secondDelta }, refusedOf(state.afterSwitch));
    }
    const current = await currentVersion(session.routing.mapDir);
    await audit('done', state.flipped.map((k) => byKey.get(k)!.login), { version: current?.manifest.version ?? null }, refusedOf(state.held));
    await advance('done');
  }

  const partial = state.held.length > 0 || state.problems.length > 0 || (state.afterSwitch ?? []).length > 0;
  return { state, exit: partial ? EXIT.PARTIAL : EXIT.OK, ...(resumedFrom !== undefined ? { resumedFrom } : {}), ...(publishText !== undefined ? { publish: publishText } : {}) };
}

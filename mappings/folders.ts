/**
 * Folder mapping: which source folders are migrated and under which name they land on the UMS
 * (Courier-IMAP: everything lives below the personal namespace "INBOX." with "." as delimiter).
 *
 * Per folder, in order:
 * 1. include/exclude globs on the "/"-joined source path (exclude wins);
 * 2. a rename rule (exact path or a parent's path; the longest matching `from` wins) — a renamed
 *    folder is not subject to well-known mapping;
 * 3. otherwise INBOX (any case, top level; or the top-level folder the source marks \Inbox) is
 *    INBOX and its subfolders land below the prefix; the shallowest well-known ancestor-or-self
 *    (by special-use attribute at any depth, else by localized name at top level, directly under
 *    INBOX or under Gmail's "[Gmail]") is replaced by the configured special-use name;
 * 4. every target segment is sanitised per the target's rules (folder-names.ts: delimiter, "/",
 *    wildcards, "."/".." and a leading "~", control and bidi characters, outer whitespace), with
 *    a warning naming the folder, its new name and why; a sanitised name that meets another
 *    folder's name gets a tag of its source name instead of merging with it.
 *
 * Pure: no I/O. Target names are Unicode; the IMAP connector encodes them (modified UTF-7).
 */
import type { Container, SpecialUse } from '../src/model/types.js';
import { IMAP_FOLDER_NAMES, safeReplacement, sanitiseSegment, shown, taggedName, type FolderNameRules } from './folder-names.js';
import { isGroupingRoot, wellKnownByName, type WellKnownFolder } from './well-known-folders.js';

export { IMAP_FOLDER_NAMES, type FolderNameRules } from './folder-names.js';

export interface FolderRules {
  /** Globs on the "/"-joined source path: "*" one segment level, "**" any depth; case-sensitive except a leading INBOX. */
  include: string[];
  exclude: string[];
  /** "/"-joined source path → "/"-joined target path; a rename of a folder also moves its subfolders. */
  rename: { from: string; to: string }[];
  specialUse: { sent: string; trash: string; junk: string; drafts: string; archive: string };
  /** Replaces what the target refuses inside a single segment name (its delimiter, '/', wildcards…). */
  invalidCharReplacement: string;
}

/** The target's personal namespace. Courier: { prefix: 'INBOX.', delimiter: '.' }. */
export interface TargetNamespace {
  prefix: string;
  delimiter: string;
  /** What the target refuses in a name besides its delimiter; default: IMAP's rules. */
  names?: FolderNameRules;
}

export interface FolderPlan {
  sourceId: string;
  sourcePath: string[];
  included: boolean;
  /** Why excluded, e.g. 'excluded by pattern "Calendar"'. */
  reason?: string;
  /**
   * Who left it out: the config's include/exclude patterns (on purpose: checked first), the
   * source (it cannot convert or read the folder) or the target (no target for its kind).
   */
  decidedBy?: 'config' | 'source' | 'target';
  /** Segments under the personal namespace; [] means INBOX itself. */
  targetPath: string[];
  /** Full target name, e.g. 'INBOX', 'INBOX.Sent', 'INBOX.Projects.Q3'. */
  target: string;
  /** What the folder itself was recognised as (not set on the subfolders of a recognised folder). */
  specialUse?: SpecialUse;
  notes: string[];
}

type SourceFolder = Pick<Container, 'id' | 'path' | 'specialUse' | 'skip' | 'label'>;

const SPECIAL_USE_OF: Readonly<Record<WellKnownFolder, SpecialUse>> = {
  sent: '\\Sent',
  trash: '\\Trash',
  junk: '\\Junk',
  drafts: '\\Drafts',
  archive: '\\Archive',
};
const KIND_OF: ReadonlyMap<SpecialUse, WellKnownFolder> = new Map(
  (Object.entries(SPECIAL_USE_OF) as [WellKnownFolder, SpecialUse][]).map(([k, v]) => [v, k]),
);

/** INBOX in any ASCII case (a non-unicode /i regex never folds non-ASCII letters onto ASCII). */
const isInbox = (seg: string | undefined): boolean => seg !== undefined && /^inbox$/i.test(seg);
const q = (s: string): string => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------
// Globs

const segmentRegexCache = new Map<string, RegExp>();

function segmentRegex(seg: string, ci: boolean): RegExp {
  const key = (ci ? 'i:' : 's:') + seg;
  let re = segmentRegexCache.get(key);
  if (!re) {
    const body = seg.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')).join('.*');
    re = new RegExp(`^${body}$`, ci ? 'sui' : 'su');
    if (segmentRegexCache.size > 1000) segmentRegexCache.clear();
    segmentRegexCache.set(key, re);
  }
  return re;
}

/**
 * Matches a "/"-separated `path` against `pattern`: "*" matches any run of characters inside
 * one segment (also part of a name: "Cal*"), a "**" segment matches zero or more whole
 * segments (so "A/**" matches A and everything below it, "**" matches everything). Matching is
 * case-sensitive, except that a path starting with INBOX (any case) has that segment compared
 * case-insensitively ("INBOX/**" matches "Inbox/x").
 */
export function matchGlob(pattern: string, path: string): boolean {
  const pat = pattern.split('/');
  const segs = path.split('/');
  const ciFirst = isInbox(segs[0]);
  // `states`: the pattern positions reachable after consuming the path segments so far.
  const closure = (set: Set<number>): Set<number> => {
    for (const i of set) if (pat[i] === '**') set.add(i + 1); // Set iteration visits added items
    return set;
  };
  let states = closure(new Set([0]));
  for (let s = 0; s < segs.length && states.size > 0; s++) {
    const next = new Set<number>();
    for (const i of states) {
      const p = pat[i];
      if (p === undefined) continue;
      if (p === '**') next.add(i);
      else if (segmentRegex(p, s === 0 && ciFirst).test(segs[s]!)) next.add(i + 1);
    }
    states = closure(next);
  }
  return states.has(pat.length);
}

// ---------------------------------------------------------------------------------------------
// Target names

/** A user-given "/"-joined target path (rename `to`, special-use name); a leading INBOX is INBOX itself. */
function userTargetPath(s: string): string[] {
  const segs = s.split('/');
  return isInbox(segs[0]) ? segs.slice(1) : segs;
}

function targetName(targetPath: string[], ns: TargetNamespace): string {
  if (targetPath.length === 0) return 'INBOX';
  const prefix = ns.prefix === '' || ns.prefix.endsWith(ns.delimiter) ? ns.prefix : ns.prefix + ns.delimiter;
  return prefix + targetPath.join(ns.delimiter);
}

/** A target path before sanitising, up to depth `d`, as the server would compare it. */
function rawKey(raw: string[], d: number, ns: TargetNamespace): string {
  const head = raw.slice(0, d + 1);
  return JSON.stringify(ns.prefix === '' && isInbox(head[0]) ? ['INBOX', ...head.slice(1)] : head);
}

/**
 * A sanitised segment that lands on the name of a different folder (same sanitised parent)
 * gets a tag of its source name: "a.b" next to "a_b" becomes "a_b (…)", "%" next to "_" "_ (…)".
 * A segment that did not change keeps its name. Done level by level, so subfolders follow.
 * Returns the untagged name of every tagged raw prefix.
 */
function separateSanitised(folders: FolderPlan[], rawOf: Map<FolderPlan, string[]>, ns: TargetNamespace): Map<string, string> {
  const tagged = new Map<string, string>();
  const live = folders.filter((f) => f.included);
  const depth = Math.max(0, ...live.map((f) => f.targetPath.length));
  for (let d = 0; d < depth; d++) {
    // sanitised prefix → raw prefix → did this segment change
    const groups = new Map<string, Map<string, boolean>>();
    const add = (key: string, raw: string, changed: boolean): void => {
      const g = groups.get(key) ?? new Map<string, boolean>();
      g.set(raw, changed);
      groups.set(key, g);
    };
    for (const f of live) {
      const raw = rawOf.get(f) ?? [];
      if (raw.length > d) add(collisionKey(f.targetPath.slice(0, d + 1), ns), rawKey(raw, d, ns), f.targetPath[d] !== raw[d]);
      else if (d === 0 && raw.length === 0) add(collisionKey([], ns), rawKey(['INBOX'], 0, ns), false);
    }
    const retag = new Map<string, true>();
    for (const g of groups.values()) {
      if (g.size < 2) continue;
      for (const [raw, changed] of g) if (changed) retag.set(raw, true);
    }
    if (retag.size === 0) continue;
    for (const f of folders) {
      const raw = rawOf.get(f) ?? [];
      if (raw.length <= d) continue;
      const key = rawKey(raw, d, ns);
      if (!retag.has(key)) continue;
      tagged.set(key, f.targetPath[d]!);
      f.targetPath = [...f.targetPath.slice(0, d), taggedName(f.targetPath[d]!, key), ...f.targetPath.slice(d + 1)];
      f.target = targetName(f.targetPath, ns);
    }
  }
  return tagged;
}

/** One warning per changed name (the folder itself, or the first subfolder when the folder is not migrated). */
function sanitisingWarnings(
  folders: FolderPlan[], rawOf: Map<FolderPlan, string[]>, ns: TargetNamespace, tagged: Map<string, string>, problemsOf: (seg: string) => string[],
  nameOf: (f: FolderPlan) => string,
): string[] {
  const cited = new Map<string, { f: FolderPlan; d: number }>();
  for (const f of folders) {
    if (!f.included) continue;
    const raw = rawOf.get(f) ?? [];
    raw.forEach((seg, d) => {
      if (f.targetPath[d] === seg) return;
      const key = rawKey(raw, d, ns);
      const before = cited.get(key);
      if (!before || f.targetPath.length < before.f.targetPath.length) cited.set(key, { f, d });
    });
  }
  return [...cited].map(([key, { f, d }]) => {
    const seg = (rawOf.get(f) ?? [])[d]!;
    const name = f.targetPath[d]!;
    const why = problemsOf(seg);
    const untagged = tagged.get(key);
    if (untagged !== undefined) {
      why.push(`another folder is ${shown(untagged)} there`);
      f.notes.push(`tagged ${shown(untagged)} → ${shown(name)}: another folder is ${shown(untagged)} there`);
    }
    const what = d === f.targetPath.length - 1 ? 'its name' : 'its parent\'s name';
    return `folder ${shown(nameOf(f))} is created as ${shown(f.target)}: ${what} ${shown(seg)} became ${shown(name)} (${why.join('; ')}); `
      + 'rename it on the source or with a folders.rename rule to choose another name';
  });
}

/** The target name as the server compares it: INBOX is case-insensitive. */
function collisionKey(targetPath: string[], ns: TargetNamespace): string {
  if (ns.prefix === '' && isInbox(targetPath[0])) return targetName(['INBOX', ...targetPath.slice(1)], ns);
  return targetName(targetPath, ns);
}

// ---------------------------------------------------------------------------------------------
// Planning

interface Anchor {
  /** Index of the recognised segment in the source path. */
  depth: number;
  kind: WellKnownFolder;
  by: 'attribute' | 'name';
}

/** The configured target path of a well-known folder kind. */
function specialUseTarget(rules: FolderRules, kind: WellKnownFolder): string[] {
  return userTargetPath(rules.specialUse[kind]);
}

export function planFolders(
  containers: SourceFolder[],
  rules: FolderRules,
  ns: TargetNamespace,
): { folders: FolderPlan[]; warnings: string[] } {
  const warnings: string[] = [];
  const include = rules.include.length > 0 ? rules.include : ['**'];
  const names = ns.names ?? IMAP_FOLDER_NAMES;
  const repl = safeReplacement(rules.invalidCharReplacement, ns.delimiter, names);
  /** Each folder's target path before sanitising. */
  const rawOf = new Map<FolderPlan, string[]>();
  const pathKey = (path: string[]): string => JSON.stringify(isInbox(path[0]) ? ['INBOX', ...path.slice(1)] : path);
  const byPath = new Map<string, SourceFolder>();
  for (const c of containers) if (!byPath.has(pathKey(c.path))) byPath.set(pathKey(c.path), c);
  const attributeAt = (path: string[], depth: number): SpecialUse | undefined => byPath.get(pathKey(path.slice(0, depth + 1)))?.specialUse;

  // 1. Selection.
  const selection = new Map<string, { included: boolean; reason?: string }>();
  const select = (path: string[]): { included: boolean; reason?: string } => {
    const joined = path.join('/');
    const excludedBy = rules.exclude.find((p) => matchGlob(p, joined));
    if (excludedBy !== undefined) return { included: false, reason: `excluded by pattern ${q(excludedBy)}` };
    if (!include.some((p) => matchGlob(p, joined))) return { included: false, reason: `not matched by any include pattern (${include.map(q).join(', ')})` };
    return { included: true };
  };
  for (const c of containers) selection.set(pathKey(c.path), select(c.path));

  // 2. Renames: exact or parent path, segment-wise, leading INBOX case-insensitive.
  const renameUsed = new Set<number>();
  const findRename = (path: string[]): { index: number; depth: number } | undefined => {
    let best: { index: number; depth: number } | undefined;
    rules.rename.forEach((r, index) => {
      const from = r.from.split('/');
      if (from.length > path.length || (best && from.length <= best.depth)) return;
      const ok = from.every((seg, i) => seg === path[i] || (i === 0 && isInbox(seg) && isInbox(path[0])));
      if (ok) best = { index, depth: from.length };
    });
    return best;
  };

  // 3. Well-known folders.
  const isInboxRoot = (path: string[]): boolean => isInbox(path[0]) || attributeAt(path, 0) === '\\Inbox';
  const findAnchor = (c: SourceFolder): Anchor | undefined => {
    const path = c.path;
    for (let depth = 0; depth < path.length; depth++) {
      const attr = depth === path.length - 1 ? c.specialUse : attributeAt(path, depth);
      const kind = attr === undefined ? undefined : KIND_OF.get(attr);
      if (kind) return { depth, kind, by: 'attribute' };
      if (attr !== undefined) continue; // \All, \Flagged, \Inbox: the server said what it is
      const nameCounts = depth === 0 ? !isInboxRoot(path) : depth === 1 && (isInboxRoot(path) || isGroupingRoot(path[0]!));
      const byName = nameCounts ? wellKnownByName(path[depth]!) : undefined;
      if (byName) return { depth, kind: byName, by: 'name' };
    }
    return undefined;
  };

  /** How warnings name a folder: as the source shows it (a PST path with its file name when several files merge), else its path. */
  const shownAs = new Map<FolderPlan, string>();
  const nameOf = (f: FolderPlan): string => shownAs.get(f) ?? f.sourcePath.join('/');
  const folders: FolderPlan[] = containers.map((c) => {
    const sourcePath = [...c.path];
    const notes: string[] = [];
    // The config's patterns decide first (a folder left out on purpose); then the source's refusal.
    const selected = selection.get(pathKey(sourcePath)) ?? select(sourcePath);
    const { included, reason } = selected.included && c.skip !== undefined ? { included: false, reason: c.skip } : selected;
    const decidedBy = included ? undefined : selected.included ? 'source' as const : 'config' as const;
    if (selected.included && c.skip !== undefined) warnings.push(`${q(c.label ?? sourcePath.join('/'))} not migrated: ${c.skip}`);
    let raw: string[];
    let specialUse: SpecialUse | undefined;
    const rename = findRename(sourcePath);
    if (rename) {
      renameUsed.add(rename.index);
      const r = rules.rename[rename.index]!;
      raw = [...userTargetPath(r.to), ...sourcePath.slice(rename.depth)];
      notes.push(rename.depth === sourcePath.length ? `renamed by rule ${q(r.from)} → ${q(r.to)}` : `moved with its parent by rule ${q(r.from)} → ${q(r.to)}`);
      const kind = c.specialUse ? KIND_OF.get(c.specialUse) : undefined;
      if (kind) notes.push(`the rename takes precedence over its special use ${c.specialUse}`);
    } else {
      const anchor = findAnchor(c);
      if (anchor) {
        raw = [...specialUseTarget(rules, anchor.kind), ...sourcePath.slice(anchor.depth + 1)];
        const label = SPECIAL_USE_OF[anchor.kind];
        if (anchor.depth === sourcePath.length - 1) {
          specialUse = label;
          notes.push(anchor.by === 'attribute' ? `recognised as ${label} by its special-use attribute` : `recognised as ${label} by its name ${q(sourcePath[anchor.depth]!)}`);
        } else {
          notes.push(`follows its parent ${q(sourcePath.slice(0, anchor.depth + 1).join('/'))} (${label})`);
        }
      } else if (sourcePath.length > 0 && isInboxRoot(sourcePath)) {
        raw = sourcePath.slice(1);
        if (raw.length === 0) {
          specialUse = '\\Inbox';
          if (!isInbox(sourcePath[0])) notes.push('recognised as \\Inbox by its special-use attribute');
        }
      } else {
        raw = sourcePath;
      }
    }
    const targetPath = raw.map((seg) => {
      const s = sanitiseSegment(seg, ns.delimiter, repl, names);
      const note = `renamed ${shown(seg)} → ${shown(s.name)}: ${s.problems.join('; ')}`;
      if (s.problems.length > 0 && !notes.includes(note)) notes.push(note);
      return s.name;
    });
    for (let depth = sourcePath.length - 1; included && depth > 0; depth--) {
      const parent = sourcePath.slice(0, depth);
      const sel = byPath.has(pathKey(parent)) ? selection.get(pathKey(parent)) : undefined;
      if (sel && !sel.included) {
        notes.push(`its parent ${q(parent.join('/'))} is not migrated (${sel.reason}); it is only created as a container`);
        break;
      }
    }
    if (included && (c.specialUse === '\\All' || c.specialUse === '\\Flagged')) {
      warnings.push(`${q(c.label ?? sourcePath.join('/'))} (${c.specialUse}) only shows messages that live in other folders; migrating it duplicates them — consider excluding it`);
    }
    const plan: FolderPlan = { sourceId: c.id, sourcePath, included, targetPath, target: targetName(targetPath, ns), notes };
    if (reason !== undefined) plan.reason = reason;
    if (decidedBy !== undefined) plan.decidedBy = decidedBy;
    if (specialUse !== undefined) plan.specialUse = specialUse;
    rawOf.set(plan, raw);
    if (c.label !== undefined) shownAs.set(plan, c.label);
    return plan;
  });

  // 4. Sanitised names: told apart from other folders' names, and warned about.
  const tagged = separateSanitised(folders, rawOf, ns);
  warnings.push(...sanitisingWarnings(folders, rawOf, ns, tagged, (seg) => sanitiseSegment(seg, ns.delimiter, repl, names).problems, nameOf));

  // 5. Collisions among the migrated folders.
  const byTarget = new Map<string, FolderPlan[]>();
  for (const f of folders) {
    if (!f.included) continue;
    const key = collisionKey(f.targetPath, ns);
    const list = byTarget.get(key);
    if (list) list.push(f);
    else byTarget.set(key, [f]);
  }
  for (const list of byTarget.values()) {
    if (list.length < 2) continue;
    const names = list.map((f) => q(nameOf(f)));
    const who = names.length === 2 ? `${names[0]} and ${names[1]} both` : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} all`;
    warnings.push(`${who} map to ${q(list[0]!.target)}; their messages will be merged`);
    for (const f of list) {
      const others = list.filter((o) => o !== f).map((o) => q(nameOf(o)));
      f.notes.push(`merged with ${others.join(', ')} into ${q(f.target)}`);
    }
  }

  rules.rename.forEach((r, i) => {
    if (!renameUsed.has(i)) warnings.push(`rename rule ${q(r.from)} → ${q(r.to)} matched no source folder`);
  });
  return { folders, warnings };
}

/**
 * Where calendars, task lists and address books land: mail folders keep their IMAP mapping
 * (folders.ts); every other container becomes a groupware collection named after its source
 * folder. The target name ("ref") of a collection says what it is, so a router can send it to the
 * groupware target and a DAV target knows what to create:
 *
 *   calendar:<display name>      a calendar for VEVENTs      (source kind 'event')
 *   tasks:<display name>         a task list (VTODO calendar) (source kind 'task')
 *   addressbook:<display name>   an address book             (source kind 'contact')
 *
 * The display name is the source path joined with " / " (["Calendar", "Team"] → "Calendar / Team"),
 * or a `folders.rename` target for that exact path. include/exclude globs apply as for mail.
 * When the target takes no groupware (no groupware target configured) these containers are
 * listed as not migrated, with that reason, instead of being written into IMAP folders.
 *
 * Pure: no I/O.
 */
import type { Container, ItemKind } from '../src/model/types.js';
import { matchGlob, planFolders, type FolderPlan, type FolderRules, type TargetNamespace } from './folders.js';

export type CollectionKind = 'calendar' | 'tasks' | 'addressbook';

export const COLLECTION_OF: Readonly<Record<Exclude<ItemKind, 'mail'>, CollectionKind>> = { event: 'calendar', task: 'tasks', contact: 'addressbook' };
const KINDS: readonly CollectionKind[] = ['calendar', 'tasks', 'addressbook'];
const LABEL: Readonly<Record<CollectionKind, string>> = { calendar: 'calendars', tasks: 'task lists', addressbook: 'address books' };

export function collectionRef(kind: CollectionKind, displayName: string): string {
  return `${kind}:${displayName}`;
}

/** The collection a ref names, or undefined for a mail folder name. */
export function parseCollectionRef(ref: string): { kind: CollectionKind; displayName: string } | undefined {
  const i = ref.indexOf(':');
  if (i < 0) return undefined;
  const kind = ref.slice(0, i) as CollectionKind;
  const displayName = ref.slice(i + 1);
  return KINDS.includes(kind) && displayName !== '' ? { kind, displayName } : undefined;
}

/**
 * Invisible or reordering characters: controls (C0, DEL, C1), line/paragraph separators, bidi
 * embeddings, overrides, isolates and marks. A calendar named "Team\u202efdp.exe" would show reversed
 * in every client (as for IMAP folder names, mappings/folder-names.ts).
 */
const INVISIBLE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** The display name of a collection: invisible characters (see INVISIBLE) and outer whitespace removed, never empty. */
export function collectionDisplayName(path: string[], replacement: string): string {
  const name = path.map((s) => s.replace(INVISIBLE, replacement).trim()).filter((s) => s !== '').join(' / ');
  return name === '' ? replacement : name;
}

type SourceContainer = Pick<Container, 'id' | 'path' | 'specialUse' | 'kind' | 'skip'>;

/**
 * Plans every container of a mailbox: mail through `planFolders`, the rest as collections.
 * `accepts`: the item kinds the target can take (a target without groupware: ['mail']).
 */
export function planContainers(
  containers: SourceContainer[], rules: FolderRules, ns: TargetNamespace, accepts: readonly ItemKind[],
): { folders: FolderPlan[]; warnings: string[] } {
  const mail = containers.filter((c) => c.kind === 'mail');
  const groupwarePaths = new Set(containers.filter((c) => c.kind !== 'mail').map((c) => c.path.join('/')));
  const mailPlan = planFolders(mail, { ...rules, rename: rules.rename.filter((r) => !groupwarePaths.has(r.from)) }, ns);
  const warnings = [...mailPlan.warnings];
  const byId = new Map(mailPlan.folders.map((f) => [f.sourceId, f]));
  for (const f of mailPlan.folders) {
    // A mail folder whose name reads like a collection ref would be routed away from IMAP.
    // (Only possible with an empty namespace prefix: the target then starts with that segment.)
    const old = f.targetPath[0];
    if (parseCollectionRef(f.target) && old !== undefined && f.target.startsWith(old)) {
      const first = old.replace(/:/g, rules.invalidCharReplacement);
      f.notes.push(`renamed ${JSON.stringify(old)} → ${JSON.stringify(first)}: a ":" there would read as a groupware collection`);
      f.targetPath = [first, ...f.targetPath.slice(1)];
      f.target = first + f.target.slice(old.length);
    }
  }
  const include = rules.include.length > 0 ? rules.include : ['**'];
  const seen = new Map<string, FolderPlan[]>();
  for (const c of containers) {
    if (c.kind === 'mail') continue;
    const kind = COLLECTION_OF[c.kind];
    const joined = c.path.join('/');
    const rename = rules.rename.find((r) => r.from === joined);
    const displayName = rename ? collectionDisplayName(rename.to.split('/'), rules.invalidCharReplacement) : collectionDisplayName(c.path, rules.invalidCharReplacement);
    const plan: FolderPlan = { sourceId: c.id, sourcePath: [...c.path], included: true, targetPath: [displayName], target: collectionRef(kind, displayName), notes: [] };
    if (rename) plan.notes.push(`renamed by rule ${JSON.stringify(rename.from)} → ${JSON.stringify(rename.to)}`);
    const excludedBy = rules.exclude.find((p) => matchGlob(p, joined));
    // The config's patterns decide first (left out on purpose), then the source, then the target.
    if (excludedBy !== undefined) {
      Object.assign(plan, { included: false, reason: `excluded by pattern ${JSON.stringify(excludedBy)}`, decidedBy: 'config' });
    } else if (!include.some((p) => matchGlob(p, joined))) {
      Object.assign(plan, { included: false, reason: `not matched by any include pattern (${include.map((p) => JSON.stringify(p)).join(', ')})`, decidedBy: 'config' });
    } else if (c.skip !== undefined) {
      // The source cannot migrate it (e.g. no converter for its items): said once, as for mail.
      Object.assign(plan, { included: false, reason: c.skip, decidedBy: 'source' });
      warnings.push(`${JSON.stringify(joined)} not migrated: ${c.skip}`);
    } else if (!accepts.includes(c.kind)) {
      Object.assign(plan, { included: false, reason: `${LABEL[kind]} need a groupware target (groupwareTarget in the config)`, decidedBy: 'target' });
    } else {
      seen.set(plan.target, [...(seen.get(plan.target) ?? []), plan]);
    }
    byId.set(c.id, plan);
  }
  for (const [target, list] of seen) {
    if (list.length < 2) continue;
    warnings.push(`${list.map((f) => JSON.stringify(f.sourcePath.join('/'))).join(', ')} all map to ${JSON.stringify(target)}; their items will be merged (one object per UID)`);
  }
  return { folders: containers.map((c) => byId.get(c.id)).filter((f): f is FolderPlan => f !== undefined), warnings };
}

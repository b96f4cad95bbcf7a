/**
 * Reconciliation of one target container against the source containers that map into it. Pure.
 *
 * Items are matched by (Message-ID, INTERNALDATE to the second) as a multiset: byte-identical
 * copies and different messages sharing a Message-ID count separately, so "3 in the source, 2 in
 * the target" is one missing item, never zero. A matched pair whose flags differ is reported
 * as such. Sizes are not compared: the UMS may normalise line endings (Courier stores LF, serves
 * CRLF, and adds a final CRLF), so sizes legitimately differ.
 */
import { normaliseFlags } from '../../mappings/flags.js';
import type { ItemMeta } from '../model/types.js';

export { normaliseFlags };

export interface SourceSideItem extends ItemMeta {
  /** The source container the item is in. */
  container: string;
}

export type DiffKind = 'missing' | 'extra' | 'flags';

export interface ItemDiff {
  kind: DiffKind;
  /** Source container (missing, flags) or the target container (extra). */
  folder: string;
  /** Source UID (missing, flags) or target UID (extra). */
  id: string;
  targetId?: string;
  size: number;
  internalDate?: Date;
  messageId?: string;
  sourceFlags?: string[];
  targetFlags?: string[];
  /** Filled in later from the state store, when it knows why. */
  explanation?: string;
  /** Only with --show-subjects. */
  subject?: string;
}

export interface FolderComparison {
  target: string;
  sources: string[];
  sourceCount: number;
  targetCount: number;
  sourceBytes: number;
  targetBytes: number;
  matched: number;
  diffs: ItemDiff[];
}


function matchKey(i: ItemMeta): string {
  const id = i.messageId ? i.messageId.replace(/\s+/g, '').toLowerCase() : '';
  const t = i.internalDate ? Math.floor(i.internalDate.getTime() / 1000) : -1;
  return `${id}\u0000${t}`;
}

export function compareFolder(target: string, sourceItems: SourceSideItem[], targetItems: ItemMeta[]): FolderComparison {
  const byKey = new Map<string, ItemMeta[]>();
  for (const t of [...targetItems].sort((a, b) => Number(a.id) - Number(b.id))) {
    const k = matchKey(t);
    byKey.set(k, [...(byKey.get(k) ?? []), t]);
  }
  const diffs: ItemDiff[] = [];
  let matched = 0;
  const sorted = [...sourceItems].sort((a, b) => a.container.localeCompare(b.container) || Number(a.id) - Number(b.id));
  for (const s of sorted) {
    const candidates = byKey.get(matchKey(s));
    if (!candidates || candidates.length === 0) {
      diffs.push({ kind: 'missing', folder: s.container, id: s.id, size: s.size, internalDate: s.internalDate, messageId: s.messageId, sourceFlags: s.flags });
      continue;
    }
    // Prefer a candidate with the same flags, so a flag difference is reported only when real.
    const sf = normaliseFlags(s.flags).join(' ');
    const i = Math.max(0, candidates.findIndex((t) => normaliseFlags(t.flags).join(' ') === sf));
    const t = candidates.splice(i, 1)[0] as ItemMeta;
    matched++;
    if (normaliseFlags(t.flags).join(' ') !== sf) {
      diffs.push({
        kind: 'flags', folder: s.container, id: s.id, targetId: t.id, size: s.size, internalDate: s.internalDate, messageId: s.messageId,
        sourceFlags: normaliseFlags(s.flags), targetFlags: normaliseFlags(t.flags),
      });
    }
  }
  for (const rest of byKey.values()) {
    for (const t of rest) diffs.push({ kind: 'extra', folder: target, id: t.id, size: t.size, internalDate: t.internalDate, messageId: t.messageId, targetFlags: t.flags, subject: t.subject });
  }
  return {
    target,
    sources: [...new Set(sourceItems.map((s) => s.container))].sort(),
    sourceCount: sourceItems.length,
    targetCount: targetItems.length,
    sourceBytes: sourceItems.reduce((n, s) => n + s.size, 0),
    targetBytes: targetItems.reduce((n, t) => n + t.size, 0),
    matched,
    diffs,
  };
}

/**
 * Reads both sides of one groupware collection for the reconciliation (the comparison itself is
 * pure: groupware-compare.ts). Source side: every item of the source containers that map into
 * the collection, through the same normalisation stage the DAV target applies before its PUT
 * (mappings/groupware/normalize.ts, seeded with the same "<collection ref>/<item id>" so a
 * derived UID comes out the same). UMS side: the objects as stored (TargetMailbox.objects).
 */
import { parseCollectionRef } from '../../mappings/groupware-collections.js';
import { itemSeed, normalizeGroupware, type NormalizeOptions } from '../../mappings/groupware/normalize.js';
import type { Container, SourceMailbox, TargetMailbox } from '../model/types.js';
import { compareCollection, type CollectionComparison, type SideObject } from './groupware-compare.js';
import type { ExpansionWindow } from './groupware-expand.js';

export interface GroupwareReconcileOptions {
  window: ExpansionWindow;
  maxIterations?: number;
  /** As the groupware target is configured (vcardVersion, maxAttachmentBytes, maxObjectBytes). */
  normalize?: Omit<NormalizeOptions, 'source'>;
}

const PAGE = 500;

/** True for the target refs of calendars, task lists and address books. */
export function isCollectionRef(ref: string): boolean {
  return parseCollectionRef(ref) !== undefined;
}

/**
 * Compares collection `ref` with `containers` of the source. `exists`: the collection is in the
 * UMS (otherwise every source object is missing, and nothing is created to find that out).
 */
export async function reconcileCollection(
  source: SourceMailbox, target: TargetMailbox, ref: string, containers: Container[], exists: boolean, opts: GroupwareReconcileOptions,
): Promise<CollectionComparison> {
  const parsed = parseCollectionRef(ref);
  if (!parsed) throw new Error(`${JSON.stringify(ref)} is not a calendar, task list or address book`);
  const sourceObjects: SideObject[] = [];
  const sourceFailures: { origin: string; what: string; reason: string }[] = [];
  for (const c of containers) {
    let cursor: string | null = null;
    for (;;) {
      const page = await source.changes(c, cursor, PAGE);
      for await (const r of source.read(c, page.items.filter((i) => i.skip === undefined))) {
        const origin = `${c.id}/${r.meta.id}`;
        if ('error' in r) {
          sourceFailures.push({ origin, what: 'the item', reason: `cannot be read: ${r.error.message}` });
          continue;
        }
        const n = normalizeGroupware(r.content, { ...opts.normalize, source: itemSeed(ref, r.meta.id) });
        for (const f of n.failures) sourceFailures.push({ origin, what: f.what, reason: f.reason });
        for (const o of n.objects) sourceObjects.push({ origin, text: o.text });
      }
      cursor = page.cursor;
      if (page.done) break;
    }
  }
  const umsObjects: SideObject[] = [];
  if (exists) {
    if (!target.objects) throw new Error(`the UMS target cannot list the objects of ${ref}`);
    for await (const o of target.objects(ref)) umsObjects.push({ origin: o.id, text: o.content.toString('utf8') });
  }
  return compareCollection(ref, parsed.kind, sourceObjects, umsObjects, {
    window: opts.window, maxIterations: opts.maxIterations, sourceContainers: containers.map((c) => c.id).sort(), sourceFailures,
  });
}

/**
 * A content transform: an optional step that rewrites an item's bytes between the source read and
 * the target write (e.g. `mail.decodeTnef`, mappings/tnef/transform.ts). The engine knows nothing
 * of what it does; the command builds it from the config and passes it in `JobOptions.transform`.
 *
 * Contract:
 * - Deterministic: the same item content gives the same output bytes on every run. The engine
 *   hashes the *transformed* content, and crash recovery finds a write that landed before a crash
 *   by that hash (container-task step 2), so a transform that varied (a date, a random boundary)
 *   would make a resumed run write the item twice.
 * - What it did goes into `warnings` of the returned item ("converted from TNEF…", or why it left
 *   the item as it was): the engine records them with the item ("copied with warnings: …").
 * - It never loses an item: when it cannot do its work it returns the item unchanged with a
 *   warning. Should it throw anyway, `applyTransform` does exactly that.
 */
import type { Container, ContentTransform, ItemContent } from '../model/types.js';
import { reasonOf } from '../util/errors.js';

export type { ContentTransform } from '../model/types.js';

/** The item as the target gets it: transformed, or unchanged with a warning when the transform failed. */
export async function applyTransform(transform: ContentTransform | undefined, item: ItemContent, container: Container): Promise<ItemContent> {
  if (!transform) return item;
  try {
    return await transform(item, container);
  } catch (err) {
    return { ...item, warnings: [...(item.warnings ?? []), `content transform failed, copied unchanged: ${reasonOf(err)}`] };
  }
}

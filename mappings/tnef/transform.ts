/**
 * `mail.decodeTnef` as an engine content transform (src/engine/content-transform): mail items
 * with an application/ms-tnef part are rewritten into ordinary MIME (rewrite.ts); the item is
 * recorded "copied with warnings: converted from TNEF (winmail.dat): HTML body, 2 attachments…",
 * or, when the TNEF cannot be decoded, copied unchanged with the reason. Other items and other
 * container kinds pass untouched (a cheap byte search rules most messages out).
 */
import type { ContentTransform } from '../../src/model/types.js';
import type { TnefMode } from './rewrite.js';

/** The config's values: off (default, byte-identical), replace, keep-original. */
export type DecodeTnef = 'off' | TnefMode;

/**
 * The transform for `mode`; undefined for off (the engine then copies bytes as they are). The
 * decoder (iconv-lite, libmime, nodemailer: a third of the code a run would load) is loaded only
 * when the transform first runs, so a run with the default off never compiles it.
 */
export function tnefTransform(mode: DecodeTnef): ContentTransform | undefined {
  if (mode === 'off') return undefined;
  let rewriter: Promise<typeof import('./rewrite.js')> | undefined;
  return async (item, container) => {
    if (container.kind !== 'mail') return item;
    rewriter ??= import('./rewrite.js');
    const r = await (await rewriter).rewriteTnef(item.content, mode);
    if (r.kind === 'none') return item;
    if (r.kind === 'kept') return { ...item, warnings: [...(item.warnings ?? []), ...r.warnings] };
    return { ...item, content: r.content, warnings: [...(item.warnings ?? []), ...r.notes] };
  };
}

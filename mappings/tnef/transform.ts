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
 * decoder (the TNEF and MAPI code, with nodemailer) is imported only when `mode` is not off, so a
 * run with the default never loads it; when it is on, it is loaded here, before any item is
 * written, so a decoder that cannot load stops the run at its start instead of leaving items
 * copied unconverted (which a resumed run would then convert: two different copies).
 */
export async function tnefTransform(mode: DecodeTnef): Promise<ContentTransform | undefined> {
  if (mode === 'off') return undefined;
  const { rewriteTnef } = await import('./rewrite.js');
  return async (item, container) => {
    if (container.kind !== 'mail') return item;
    const r = await rewriteTnef(item.content, mode);
    if (r.kind === 'none') return item;
    if (r.kind === 'kept') return { ...item, warnings: [...(item.warnings ?? []), ...r.warnings] };
    return { ...item, content: r.content, warnings: [...(item.warnings ?? []), ...r.notes] };
  };
}

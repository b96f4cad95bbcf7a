/**
 * File attachments of calendar items and tasks (GetAttachment), for the model's `attachments`
 * (written as inline ATTACH; the normalisation stage decides what size is kept). Memory stays
 * bounded: an attachment listed larger than the limit is not fetched, and the item's note names
 * it. Embedded items (ItemAttachment: a forwarded mail, a meeting) are not files: noted, not
 * fetched. A contact's photo is the contact's, not an attachment.
 */
import type { ItemAttachment } from '../../src/model/groupware.js';
import { messageError, type EwsMessage } from './client.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

export interface AttachmentApi {
  getAttachments(ids: string[]): Promise<EwsMessage[]>;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The item's file attachments, fetched; what is left out goes to `ctx.notes`. Per-attachment errors fail the item. */
export async function attachmentsOf(item: XmlElement, api: AttachmentApi, ctx: { notes: string[] }, maxBytes: number): Promise<ItemAttachment[]> {
  const list = kid(item, 'Attachments');
  const wanted: { id: string; name: string; contentType?: string }[] = [];
  for (const a of kids(list)) {
    const name = (textOf(a, 'Name') ?? '').trim() || 'attachment';
    if (a.localName === 'ItemAttachment') { ctx.notes.push(`attachment ${JSON.stringify(name)} is an embedded item, not a file: left out`); continue; }
    if (a.localName !== 'FileAttachment' || textOf(a, 'IsContactPhoto') === 'true') continue;
    const id = attr(kid(a, 'AttachmentId'), 'Id');
    const size = Number(textOf(a, 'Size') ?? 0);
    if (!id) { ctx.notes.push(`attachment ${JSON.stringify(name)} has no AttachmentId: left out`); continue; }
    if (size > maxBytes) { ctx.notes.push(`attachment ${JSON.stringify(name)} is ${mib(size)}, over the ${mib(maxBytes)} fetched per attachment: left out`); continue; }
    wanted.push({ id, name, contentType: textOf(a, 'ContentType')?.trim() });
  }
  if (wanted.length === 0) return [];
  const msgs = await api.getAttachments(wanted.map((w) => w.id));
  return wanted.map((w, i) => {
    const m = msgs[i];
    if (!m || !m.ok) throw messageError(m ?? { ok: false, code: 'no answer', el: item }, `attachment ${JSON.stringify(w.name)}`);
    const file = kids(kid(m.el, 'Attachments'))[0];
    const content = textOf(file, 'Content') ?? '';
    return { name: (textOf(file, 'Name') ?? w.name).trim() || w.name, mimeType: (textOf(file, 'ContentType') ?? w.contentType ?? 'application/octet-stream').trim(), data: Buffer.from(content.replace(/\s+/g, ''), 'base64') };
  });
}

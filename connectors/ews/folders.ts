/**
 * The folders of an EWS mailbox as containers: SyncFolderHierarchy below msgfolderroot; well-known
 * folders are recognised by their DistinguishedFolderId (GetFolder inbox, sentitems…), never by
 * display name, so localized mailboxes map the same way. Folder class → kind (IPF.Note mail,
 * IPF.Appointment event, IPF.Contact contact, IPF.Task task); other classes (notes, journal…) are
 * left out, said in the log.
 */
import type { Logger } from 'pino';
import type { Container, ItemKind, SpecialUse } from '../../src/model/types.js';
import { FatalError, reasonOf } from '../../src/util/errors.js';
import type { EwsMessage } from './client.js';
import * as rq from './requests.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

const WELL_KNOWN: [string, SpecialUse | undefined][] = [
  ['inbox', '\\Inbox'], ['sentitems', '\\Sent'], ['drafts', '\\Drafts'], ['deleteditems', '\\Trash'], ['junkemail', '\\Junk'],
  ['outbox', undefined], ['calendar', undefined], ['contacts', undefined], ['tasks', undefined],
];
/** Newer DistinguishedFolderIds: asked for separately, as older servers reject the whole request with a schema error. */
const WELL_KNOWN_LATER: [string, SpecialUse | undefined][] = [['archive', '\\Archive']];
const SKIPPED_DISTINGUISHED = new Set(['outbox']);

function kindOf(folderClass: string): ItemKind | undefined {
  if (folderClass === '' || folderClass === 'IPF' || folderClass === 'IPF.Note' || folderClass.startsWith('IPF.Note.')) return 'mail';
  if (folderClass === 'IPF.Appointment' || folderClass.startsWith('IPF.Appointment.')) return 'event';
  if (folderClass === 'IPF.Contact' || folderClass.startsWith('IPF.Contact.')) return 'contact';
  if (folderClass === 'IPF.Task' || folderClass.startsWith('IPF.Task.')) return 'task';
  return undefined;
}

interface FolderInfo { id: string; parentId?: string; name: string; folderClass: string }

/** The requests the listing makes, through the mailbox's transport (its impersonation and connection cap). */
export interface FolderCalls {
  call(body: string): Promise<EwsMessage[]>;
  /** One-message operations: the message, or the operation's error thrown. */
  one(body: string, what: string): Promise<XmlElement>;
}

/** The mailbox's migratable folders, with their paths from the top and special uses. */
export async function listContainers(calls: FolderCalls, smtp: string, log: Logger): Promise<Container[]> {
  const known = await calls.call(rq.getFolder([{ distinguished: 'msgfolderroot' }, ...WELL_KNOWN.map(([d]) => ({ distinguished: d }))], 'IdOnly'));
  const rootId = attr(kid(kids(kid(known[0]?.el, 'Folders'))[0], 'FolderId'), 'Id');
  if (!known[0]?.ok || !rootId) throw new FatalError(`cannot open the mailbox root of ${smtp}: ${known[0]?.code ?? 'no answer'}`);
  const distinguished = new Map<string, string>();
  const note = (d: string, m: EwsMessage | undefined) => {
    const id = m?.ok ? attr(kid(kids(kid(m.el, 'Folders'))[0], 'FolderId'), 'Id') : undefined;
    if (id) distinguished.set(id, d);
  };
  WELL_KNOWN.forEach(([d], i) => note(d, known[i + 1]));
  for (const [d] of WELL_KNOWN_LATER) {
    try {
      note(d, (await calls.call(rq.getFolder([{ distinguished: d }], 'IdOnly')))[0]);
    } catch (err) {
      if (err instanceof FatalError) throw err;
      log.debug({ folder: d, err: reasonOf(err) }, 'well-known folder not known to this server');
    }
  }
  const folders = new Map<string, FolderInfo>();
  let state: string | undefined;
  for (let round = 0; round < 1000; round++) {
    const el = await calls.one(rq.syncFolderHierarchy({ distinguished: 'msgfolderroot' }, state), 'SyncFolderHierarchy');
    for (const change of kids(kid(el, 'Changes'))) {
      const f = kids(change)[0];
      if (!f) continue;
      const id = attr(kid(f, 'FolderId'), 'Id');
      if (!id) continue;
      if (change.localName === 'Delete') { folders.delete(id); continue; }
      folders.set(id, { id, parentId: attr(kid(f, 'ParentFolderId'), 'Id'), name: textOf(f, 'DisplayName') ?? '', folderClass: textOf(f, 'FolderClass') ?? '' });
    }
    state = textOf(el, 'SyncState');
    if (textOf(el, 'IncludesLastFolderInRange') !== 'false') break;
  }
  const pathOf = (f: FolderInfo): string[] | undefined => {
    const path = [f.name];
    let cur = f;
    for (let depth = 0; cur.parentId && cur.parentId !== rootId; depth++) {
      const parent = folders.get(cur.parentId);
      if (!parent || depth > 100) return undefined;
      path.unshift(parent.name);
      cur = parent;
    }
    return path;
  };
  const out: Container[] = [];
  for (const f of folders.values()) {
    const d = distinguished.get(f.id);
    const kind = kindOf(f.folderClass);
    const path = pathOf(f);
    if (!path || (d && SKIPPED_DISTINGUISHED.has(d))) continue;
    if (!kind) {
      log.info({ folder: path.join('/'), folderClass: f.folderClass }, 'folder class not migrated (notes, journal…): left out');
      continue;
    }
    const special = [...WELL_KNOWN, ...WELL_KNOWN_LATER].find(([name]) => name === d)?.[1];
    // The id is an opaque base64 FolderId: people know the folder by its display names from the top.
    out.push({ id: f.id, path, label: path.join('/'), delimiter: '/', kind, ...(special ? { specialUse: special } : {}) });
  }
  return out;
}

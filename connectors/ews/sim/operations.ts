/**
 * The EWS operations the simulator answers, against one mailbox of the store: GetFolder,
 * SyncFolderHierarchy, SyncFolderItems, GetItem, FindItem and GetAttachment, with the response
 * envelopes, response classes and error codes of the documented samples
 * (../shared/fixtures/ews/msdocs/*-response.xml).
 */
import { attr, esc, kid, kids, textOf, type XmlElement } from '../xml.js';
import { InvalidSyncState, type EwsSimStore, type SimFolder, type SimItem, type SimMailbox } from './store.js';

const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';

/** A SOAP fault (whole request refused), e.g. ErrorServerBusy or ErrorImpersonateUserDenied. */
export class SoapFault extends Error {
  constructor(readonly code: string, message: string, readonly backOffMs?: number, readonly details?: Record<string, string>) {
    super(message);
  }
}

/** What real servers answer with (Exchange 2016 CU, 2019 from the garethp capture, Exchange Online): varies per request, as behind a load balancer. */
const VERSIONS = [
  'MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11"',
  'MajorVersion="15" MinorVersion="2" MajorBuildNumber="1748" MinorBuildNumber="10" Version="V2017_07_11"',
  'MajorVersion="15" MinorVersion="20" MajorBuildNumber="3370" MinorBuildNumber="16" Version="V2018_01_08"',
];

export function envelope(body: string, n = 0): string {
  return '<?xml version="1.0" encoding="utf-8"?>'
    + '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
    + `<h:ServerVersionInfo ${VERSIONS[n % VERSIONS.length] as string} xmlns:h="${T}" xmlns="${T}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>`
    + `</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body></s:Envelope>`;
}

/** ErrorServerBusy inside the operation's response message (HTTP 200), as Exchange Online throttles. */
export function busyMessage(op: string, n: number): string {
  return envelope(wrap(op, `<m:${op}ResponseMessage ResponseClass="Error"><m:MessageText>The server cannot service this request right now. Try again later.</m:MessageText>`
    + `<m:ResponseCode>ErrorServerBusy</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:MessageXml><t:Value Name="BackOffMilliseconds">${5 + (n % 7)}</t:Value></m:MessageXml></m:${op}ResponseMessage>`), n);
}

/** The fault body of exchangelib's errorserverbusy-fault.xml sample, for any code. */
export function faultEnvelope(f: SoapFault): string {
  // Pretty-printed, as the real fault is: newlines inside faultcode and ResponseCode.
  const backoff = f.backOffMs !== undefined
    ? `<t:MessageXml xmlns:t="${T}">\n          <t:Value Name="BackOffMilliseconds">${f.backOffMs}</t:Value>\n        </t:MessageXml>`
    : f.details ? `<t:MessageXml xmlns:t="${T}">${Object.entries(f.details).map(([k, v]) => `<t:Value Name="${k}">${esc(v)}</t:Value>`).join('')}</t:MessageXml>` : '';
  return '<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">\n  <s:Body>\n    <s:Fault>\n'
    + `      <faultcode xmlns:a="${T}">\n        a:${f.code}\n      </faultcode><faultstring xml:lang="en-US">${esc(f.message)}</faultstring><detail>`
    + `<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">\n          ${f.code}\n        </e:ResponseCode>`
    + `<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${esc(f.message)}</e:Message>${backoff}`
    + '</detail></s:Fault></s:Body></s:Envelope>';
}

const ok = (op: string, inner: string) => `<m:${op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${op}ResponseMessage>`;
const fail = (op: string, code: string, text: string) =>
  `<m:${op}ResponseMessage ResponseClass="Error"><m:MessageText>${esc(text)}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${op}ResponseMessage>`;
const wrap = (op: string, messages: string) => `<m:${op}Response xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages}</m:ResponseMessages></m:${op}Response>`;

const FOLDER_ELEMENT: Record<string, string> = { 'IPF.Appointment': 'CalendarFolder', 'IPF.Contact': 'ContactsFolder', 'IPF.Task': 'TasksFolder' };

/** PR_MESSAGE_SIZE_EXTENDED: a folder's total item size, which Exchange 2010+ answers as an extended property of GetFolder. */
const FOLDER_SIZE_TAG = 0x0e08;

const asksForFolderSize = (req: XmlElement): boolean =>
  kids(kid(kid(req, 'FolderShape'), 'AdditionalProperties'), 'ExtendedFieldURI').some((u) => Number(attr(u, 'PropertyTag')) === FOLDER_SIZE_TAG);

function folderXml(store: EwsSimStore, mbx: SimMailbox, f: SimFolder, withSize = false): string {
  const name = FOLDER_ELEMENT[f.folderClass] ?? 'Folder';
  const items = store.items(mbx.smtp, f.id);
  const children = [...mbx.folders.values()].filter((x) => x.parentId === f.id).length;
  const parent = f.parentId ? mbx.folders.get(f.parentId) : undefined;
  return `<t:${name}><t:FolderId Id="${f.id}" ChangeKey="${store.changeKey(f)}"/>`
    + (parent ? `<t:ParentFolderId Id="${parent.id}" ChangeKey="${store.changeKey(parent)}"/>` : '')
    + `<t:FolderClass>${esc(f.folderClass)}</t:FolderClass><t:DisplayName>${esc(f.displayName)}</t:DisplayName>`
    + `<t:TotalCount>${items.length}</t:TotalCount><t:ChildFolderCount>${children}</t:ChildFolderCount>`
    // As Exchange writes it back: the tag without its leading zero.
    + (withSize ? `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0xe08" PropertyType="Long"/><t:Value>${items.reduce((n, i) => n + Number(/>(\d+)</.exec(i.fields.get('Size') ?? '')?.[1] ?? 0), 0)}</t:Value></t:ExtendedProperty>` : '')
    + (name === 'Folder' ? `<t:UnreadCount>${items.filter((i) => i.fields.get('IsRead')?.includes('>false<')).length}</t:UnreadCount>` : '')
    + `</t:${name}>`;
}

interface Shape { base: string; mime: boolean; extra: Set<string> }

function shapeOf(el: XmlElement | undefined): Shape {
  const extra = new Set<string>();
  for (const p of kids(kid(el, 'AdditionalProperties'))) {
    const uri = attr(p, 'FieldURI');
    if (uri) extra.add(uri.slice(uri.indexOf(':') + 1));
  }
  return { base: textOf(el, 'BaseShape') ?? 'Default', mime: textOf(el, 'IncludeMimeContent') === 'true' || extra.has('MimeContent'), extra };
}

/** Properties AllProperties leaves out (Exchange 2010+ sends only the display name TimeZone): only when asked for. */
const ON_REQUEST = new Set(['StartTimeZone', 'EndTimeZone', 'MeetingTimeZone']);

function itemXml(store: EwsSimStore, mbx: SimMailbox, item: SimItem, shape: Shape, noChangeKey = false): string {
  const parent = mbx.folders.get(item.folderId) as SimFolder;
  let out = `<t:${item.element}>`;
  if (shape.mime && item.mime) out += `<t:MimeContent CharacterSet="UTF-8">${item.mime.toString('base64')}</t:MimeContent>`;
  out += noChangeKey ? `<t:ItemId Id="${item.id}"/>` : `<t:ItemId Id="${item.id}" ChangeKey="${store.changeKey(item)}"/>`;
  const all = shape.base !== 'IdOnly';
  if (all) out += `<t:ParentFolderId Id="${parent.id}" ChangeKey="${store.changeKey(parent)}"/>`;
  for (const [name, xml] of item.fields) if ((all && !ON_REQUEST.has(name)) || shape.extra.has(name)) out += xml;
  return `${out}</t:${item.element}>`;
}

/** The folder a FolderId / DistinguishedFolderId element names (a DistinguishedFolderId may carry another mailbox). */
function resolveFolder(store: EwsSimStore, mbx: SimMailbox, ref: XmlElement | undefined): { mbx: SimMailbox; folder?: SimFolder } {
  if (!ref) return { mbx };
  if (ref.localName === 'DistinguishedFolderId') {
    const other = textOf(ref, 'Mailbox', 'EmailAddress');
    const m = other ? store.mailbox(other) ?? mbx : mbx;
    return { mbx: m, folder: [...m.folders.values()].find((f) => f.distinguished === attr(ref, 'Id')) };
  }
  return { mbx, folder: mbx.folders.get(attr(ref, 'Id') ?? '') };
}

function getFolder(store: EwsSimStore, mbx: SimMailbox, req: XmlElement): string {
  return wrap('GetFolder', kids(kid(req, 'FolderIds')).map((ref) => {
    const { mbx: m, folder } = resolveFolder(store, mbx, ref);
    return folder ? ok('GetFolder', `<m:Folders>${folderXml(store, m, folder, asksForFolderSize(req))}</m:Folders>`)
      : fail('GetFolder', 'ErrorFolderNotFound', 'The specified folder could not be found in the store.');
  }).join(''));
}

function syncFolderHierarchy(store: EwsSimStore, mbx: SimMailbox, req: XmlElement): string {
  const { folder } = resolveFolder(store, mbx, kids(kid(req, 'SyncFolderId'))[0]);
  const root = folder ?? store.root(mbx.smtp);
  try {
    const r = store.syncFolders(mbx.smtp, root.id, textOf(req, 'SyncState')?.trim());
    const changes = r.entries.map((e) => e.kind === 'Delete'
      ? `<t:Delete><t:FolderId Id="${e.folderId}"/></t:Delete>`
      : `<t:${e.kind}>${folderXml(store, mbx, e.folder)}</t:${e.kind}>`).join('');
    return wrap('SyncFolderHierarchy', ok('SyncFolderHierarchy', `<m:SyncState>${r.state}</m:SyncState><m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange><m:Changes>${changes}</m:Changes>`));
  } catch (err) {
    if (err instanceof InvalidSyncState) return wrap('SyncFolderHierarchy', fail('SyncFolderHierarchy', 'ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.'));
    throw err;
  }
}

function syncFolderItems(store: EwsSimStore, mbx: SimMailbox, req: XmlElement): string {
  const op = 'SyncFolderItems';
  const { folder } = resolveFolder(store, mbx, kids(kid(req, 'SyncFolderId'))[0]);
  if (!folder) return wrap(op, fail(op, 'ErrorSyncFolderNotFound', 'The specified folder could not be found in the store.'));
  const max = Number(textOf(req, 'MaxChangesReturned'));
  if (!Number.isInteger(max) || max < 1 || max > 512) return wrap(op, fail(op, 'ErrorInvalidArgument', 'MaxChangesReturned must be between 1 and 512.'));
  const shape = shapeOf(kid(req, 'ItemShape'));
  try {
    const r = store.syncItems(mbx.smtp, folder.id, textOf(req, 'SyncState')?.trim(), max);
    const changes = r.entries.map((e) => {
      if (e.kind === 'Delete') return `<t:Delete><t:ItemId Id="${e.itemId}"/></t:Delete>`;
      if (e.kind === 'ReadFlagChange') {
        const read = e.item.fields.get('IsRead')?.includes('>true<') ?? false;
        return `<t:ReadFlagChange><t:ItemId Id="${e.item.id}" ChangeKey="${store.changeKey(e.item)}"/><t:IsRead>${read}</t:IsRead></t:ReadFlagChange>`;
      }
      // Exchange lists a Create's ItemId without its ChangeKey at times: always here.
      return `<t:${e.kind}>${itemXml(store, mbx, e.item, { ...shape, mime: false }, e.kind === 'Create')}</t:${e.kind}>`;
    }).join('');
    return wrap(op, ok(op, `<m:SyncState>${r.state}</m:SyncState><m:IncludesLastItemInRange>${r.includesLast}</m:IncludesLastItemInRange>${changes ? `<m:Changes>${changes}</m:Changes>` : '<m:Changes/>'}`));
  } catch (err) {
    if (err instanceof InvalidSyncState) return wrap(op, fail(op, 'ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.'));
    throw err;
  }
}

function getItem(store: EwsSimStore, mbx: SimMailbox, req: XmlElement): string {
  const shape = shapeOf(kid(req, 'ItemShape'));
  return wrap('GetItem', kids(kid(req, 'ItemIds'), 'ItemId').map((ref) => {
    const item = mbx.items.get(attr(ref, 'Id') ?? '');
    if (!item) return fail('GetItem', 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (item.failWith) return fail('GetItem', item.failWith, `The item could not be read (${item.failWith}).`);
    return ok('GetItem', `<m:Items>${itemXml(store, mbx, item, shape)}</m:Items>`);
  }).join(''));
}

function findItem(store: EwsSimStore, mbx: SimMailbox, req: XmlElement): string {
  const { folder } = resolveFolder(store, mbx, kids(kid(req, 'ParentFolderIds'))[0]);
  if (!folder) return wrap('FindItem', fail('FindItem', 'ErrorFolderNotFound', 'The specified folder could not be found in the store.'));
  const view = kid(req, 'IndexedPageItemView');
  const max = Number(attr(view, 'MaxEntriesReturned') ?? 1000);
  const offset = Number(attr(view, 'Offset') ?? 0);
  const all = store.items(mbx.smtp, folder.id);
  const page = all.slice(offset, offset + max);
  const shape = shapeOf(kid(req, 'ItemShape'));
  const last = offset + page.length >= all.length;
  return wrap('FindItem', ok('FindItem', `<m:RootFolder IndexedPagingOffset="${offset + page.length}" TotalItemsInView="${all.length}" IncludesLastItemInRange="${last}">`
    + `<t:Items>${page.map((i) => itemXml(store, mbx, i, { ...shape, mime: false })).join('')}</t:Items></m:RootFolder>`));
}

function getAttachment(mbx: SimMailbox, req: XmlElement): string {
  return wrap('GetAttachment', kids(kid(req, 'AttachmentIds'), 'AttachmentId').map((ref) => {
    const id = attr(ref, 'Id');
    for (const item of mbx.items.values()) {
      const a = item.attachments.find((x) => x.id === id);
      if (a) {
        return ok('GetAttachment', `<m:Attachments><t:FileAttachment><t:AttachmentId Id="${a.id}"/><t:Name>${esc(a.name)}</t:Name>`
          + `<t:ContentType>${esc(a.contentType)}</t:ContentType><t:Content>${a.content.toString('base64')}</t:Content></t:FileAttachment></m:Attachments>`);
      }
    }
    return fail('GetAttachment', 'ErrorInvalidIdNotAnItemAttachmentId', 'The attachment could not be found.');
  }).join(''));
}

/** ResolveNames for an EX DN (or an SMTP address) against the store's mailboxes (the directory). */
function resolveNames(store: EwsSimStore, req: XmlElement): string {
  const op = 'ResolveNames';
  const entry = (textOf(req, 'UnresolvedEntry') ?? '').trim().toLowerCase();
  const hit = [...store.mailboxes.values()].find((m) => m.smtp === entry || store.legacyDn(m.smtp).toLowerCase() === entry);
  if (!hit) return wrap(op, fail(op, 'ErrorNameResolutionNoResults', 'No results were found.'));
  return wrap(op, ok(op, '<m:ResolutionSet TotalItemsInView="1" IncludesLastItemInRange="true"><t:Resolution><t:Mailbox>'
    + `<t:Name>${esc(hit.smtp.split('@')[0] as string)}</t:Name><t:EmailAddress>${esc(hit.smtp)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType>`
    + '</t:Mailbox></t:Resolution></m:ResolutionSet>'));
}

export const OPERATIONS = ['GetFolder', 'SyncFolderHierarchy', 'SyncFolderItems', 'GetItem', 'FindItem', 'GetAttachment', 'ResolveNames'] as const;

/** Answers one operation element (the child of soap:Body) for mailbox `mbx`; returns the response envelope. */
export function answer(store: EwsSimStore, mbx: SimMailbox, req: XmlElement, n = 0): string {
  switch (req.localName) {
    case 'GetFolder': return envelope(getFolder(store, mbx, req), n);
    case 'SyncFolderHierarchy': return envelope(syncFolderHierarchy(store, mbx, req), n);
    case 'SyncFolderItems': return envelope(syncFolderItems(store, mbx, req), n);
    case 'GetItem': return envelope(getItem(store, mbx, req), n);
    case 'FindItem': return envelope(findItem(store, mbx, req), n);
    case 'GetAttachment': return envelope(getAttachment(mbx, req), n);
    case 'ResolveNames': return envelope(resolveNames(store, req), n);
    default: throw new SoapFault('ErrorSchemaValidation', `The request failed schema validation: The element '${req.localName}' is not expected by the simulator.`, undefined,
      { LineNumber: '1', LinePosition: String(300 + req.localName.length), Violation: `The element '${req.localName}' in namespace 'http://schemas.microsoft.com/exchange/services/2006/messages' is not expected.` });
  }
}

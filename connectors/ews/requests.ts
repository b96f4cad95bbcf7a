/** The SOAP operation bodies the EWS source sends (messages.xsd element order). */
import { esc } from './xml.js';

export type FolderRef = { distinguished: string } | { id: string };

const folderRef = (f: FolderRef): string =>
  'distinguished' in f ? `<t:DistinguishedFolderId Id="${esc(f.distinguished)}"/>` : `<t:FolderId Id="${esc(f.id)}"/>`;

const props = (fieldUris: string[]): string =>
  fieldUris.length ? `<t:AdditionalProperties>${fieldUris.map((u) => `<t:FieldURI FieldURI="${u}"/>`).join('')}</t:AdditionalProperties>` : '';

/** What the mail listing needs: size, date, flags, Message-ID. */
export const MAIL_PROPS = ['item:ItemClass', 'item:Size', 'item:DateTimeReceived', 'message:IsRead', 'item:Flag', 'item:Categories', 'message:InternetMessageId'];
export const GROUPWARE_PROPS = ['item:ItemClass', 'item:Size', 'item:LastModifiedTime'];
/** What a listing asks for per folder kind: calendar folders add CalendarItemType (occurrences are not items of their own). */
export function listingProps(kind: string): string[] {
  return kind === 'mail' ? MAIL_PROPS : kind === 'event' ? [...GROUPWARE_PROPS, 'calendar:CalendarItemType'] : GROUPWARE_PROPS;
}

/** PR_MESSAGE_SIZE_EXTENDED (PT_I8): the total size of a folder's items, one GetFolder instead of a listing. */
export const FOLDER_SIZE_TAG = 0x0e08;

export function getFolder(folders: FolderRef[], shape: 'IdOnly' | 'Default' | 'AllProperties' = 'Default', opts: { size?: boolean } = {}): string {
  const extra = opts.size ? '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x0E08" PropertyType="Long"/></t:AdditionalProperties>' : '';
  return `<m:GetFolder><m:FolderShape><t:BaseShape>${shape}</t:BaseShape>${extra}</m:FolderShape><m:FolderIds>${folders.map(folderRef).join('')}</m:FolderIds></m:GetFolder>`;
}

export function syncFolderHierarchy(root: FolderRef, state: string | undefined): string {
  return `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:SyncFolderId>${folderRef(root)}</m:SyncFolderId>`
    + `${state ? `<m:SyncState>${esc(state)}</m:SyncState>` : ''}</m:SyncFolderHierarchy>`;
}

export function syncFolderItems(folderId: string, state: string | null, max: number, fieldUris: string[]): string {
  return `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>${props(fieldUris)}</m:ItemShape>`
    + `<m:SyncFolderId>${folderRef({ id: folderId })}</m:SyncFolderId>${state ? `<m:SyncState>${esc(state)}</m:SyncState>` : ''}`
    + `<m:MaxChangesReturned>${max}</m:MaxChangesReturned><m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>`;
}

export function getItems(ids: string[], opts: { base: 'IdOnly' | 'AllProperties'; mime?: boolean; fieldUris?: string[] }): string {
  return `<m:GetItem><m:ItemShape><t:BaseShape>${opts.base}</t:BaseShape>${opts.mime ? '<t:IncludeMimeContent>true</t:IncludeMimeContent>' : ''}`
    + `${opts.base === 'AllProperties' ? '<t:BodyType>Best</t:BodyType>' : ''}${props(opts.fieldUris ?? [])}</m:ItemShape>`
    + `<m:ItemIds>${ids.map((id) => `<t:ItemId Id="${esc(id)}"/>`).join('')}</m:ItemIds></m:GetItem>`;
}

export function findItems(folderId: string, offset: number, max: number, fieldUris: string[]): string {
  return `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>${props(fieldUris)}</m:ItemShape>`
    + `<m:IndexedPageItemView MaxEntriesReturned="${max}" Offset="${offset}" BasePoint="Beginning"/>`
    + `<m:ParentFolderIds>${folderRef({ id: folderId })}</m:ParentFolderIds></m:FindItem>`;
}

export function getAttachments(ids: string[]): string {
  return `<m:GetAttachment><m:AttachmentIds>${ids.map((id) => `<t:AttachmentId Id="${esc(id)}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`;
}

/** The properties that carry an item's time zone (GetItem AllProperties on Exchange 2010+ sends only the display name `TimeZone`). */
export function calendarZoneProps(version: string): string[] {
  return /^Exchange2007/i.test(version) ? ['calendar:MeetingTimeZone'] : ['calendar:StartTimeZone', 'calendar:EndTimeZone'];
}

/** One EX DN (or name) to resolve against the directory (ResolveNames takes one entry per request). */
export function resolveNames(entry: string): string {
  return `<m:ResolveNames ReturnFullContactData="false" SearchScope="ActiveDirectory"><m:UnresolvedEntry>${esc(entry)}</m:UnresolvedEntry></m:ResolveNames>`;
}

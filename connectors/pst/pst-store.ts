/**
 * Where a PST keeps its well-known folders: the IPM subtree (the folders a user sees) and the
 * Sent Items, Deleted Items, Drafts and Junk folders, by node id, from the entry ids in the
 * message store and the root folder ([MS-PST] 2.4.3, [MS-OXOSFLD]).
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import type { PropertyMap } from '../../mappings/mapi/string8.js';

export type WellKnownUse = '\\Sent' | '\\Trash' | '\\Drafts' | '\\Junk';

interface ObjectInternals { pstTableItems: PropertyMap | null }

const PR_IPM_SUBTREE_ENTRYID = 0x35e0;
const PR_IPM_WASTEBASKET_ENTRYID = 0x35e3;
const PR_IPM_SENTMAIL_ENTRYID = 0x35e4;
const PR_IPM_DRAFTS_ENTRYID = 0x36d7;
const PR_ADDITIONAL_REN_ENTRYIDS = 0x36d8;
export const NID_ROOT_FOLDER = 0x122;
/** Where libpst and Outlook put the IPM subtree of an OST, whose store has no PR_IPM_SUBTREE_ENTRYID. */
const NID_OST_IPM_SUBTREE = 0x2142;

/** The NID of the IPM subtree root ("Top of Personal Folders" / IPM_SUBTREE). */
export function ipmSubtreeNodeId(pst: PSTFile): number {
  const store = pst.getMessageStore() as unknown as ObjectInternals;
  const entryId = store.pstTableItems?.get(PR_IPM_SUBTREE_ENTRYID)?.data;
  // a PST EntryID: rgbFlags (4) + ProviderUID (16) + NID (4)
  if (entryId && entryId.length >= 24) return entryId.readUInt32LE(20);
  try {
    pst.getDescriptorIndexNode(Long.fromNumber(NID_OST_IPM_SUBTREE));
    return NID_OST_IPM_SUBTREE;
  } catch {
    return NID_ROOT_FOLDER;
  }
}

/**
 * Well-known folders by node id, from the entry ids the store keeps (whatever language the
 * folders are named in): Sent Items and Deleted Items in the message store, Drafts and Junk on
 * the root folder. Missing or unreadable entries are left out.
 */
export function specialFolderIds(pst: PSTFile): Map<number, WellKnownUse> {
  const out = new Map<number, WellKnownUse>();
  const nid = (entryId: Buffer | undefined): number | undefined => (entryId && entryId.length >= 24 ? entryId.readUInt32LE(20) : undefined);
  const set = (id: number | undefined, use: WellKnownUse): void => { if (id !== undefined && !out.has(id)) out.set(id, use); };
  try {
    const store = (pst.getMessageStore() as unknown as ObjectInternals).pstTableItems;
    set(nid(store?.get(PR_IPM_SENTMAIL_ENTRYID)?.data), '\\Sent');
    set(nid(store?.get(PR_IPM_WASTEBASKET_ENTRYID)?.data), '\\Trash');
    const root = (pst.getRootFolder() as unknown as ObjectInternals).pstTableItems;
    set(nid(root?.get(PR_IPM_DRAFTS_ENTRYID)?.data), '\\Drafts');
    const ren = root?.get(PR_ADDITIONAL_REN_ENTRYIDS);
    // PT_MV_BINARY: count, offsets, values; the fifth value is the Junk E-mail folder
    if (ren && ren.data.length >= 24 && ren.data.readUInt32LE(0) >= 5) {
      const start = ren.data.readUInt32LE(4 + 4 * 4);
      const end = ren.data.readUInt32LE(0) > 5 ? ren.data.readUInt32LE(4 + 5 * 4) : ren.data.length;
      set(nid(ren.data.subarray(start, end)), '\\Junk');
    }
  } catch {
    // a hint only: the folder mapping also knows the folders by name
  }
  return out;
}

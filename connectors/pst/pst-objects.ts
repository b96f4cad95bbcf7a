/**
 * pst-extractor's objects (PSTFolder, PSTMessage and its subclasses, PSTAttachment, PSTRecipient)
 * built from the fast readers (ltp.ts): the library's getters then read the same property maps
 * they would have read themselves. What the library does on the way is done once here:
 *
 *   - an item is parsed once (pst-extractor's constructors parse the node a second time: its
 *     PSTObject constructor loads the descriptor its factory had already loaded);
 *   - an embedded message does not make the library re-parse its parent message;
 *   - a message's attachment and recipient tables are read once (PSTMessage#getAttachment
 *     decodes every row of the attachment table for each attachment);
 *   - an attachment's contents are copied once from the blocks into one buffer.
 *
 * Errors are the library's (same texts), except that an unreadable recipient or attachment table
 * is an error instead of a log line and "no recipients" (see pst-message.ts).
 */
import Long from 'long';
import { PSTAttachment, PSTFolder, PSTRecipient, type PSTFile, type PSTMessage } from 'pst-extractor';
import type { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import type { PSTDescriptorItem } from 'pst-extractor/dist/PSTDescriptorItem.class.js';
import type { PSTTableBC } from 'pst-extractor/dist/PSTTableBC.class.js';
import { PSTMessageStore } from 'pst-extractor/dist/PSTMessageStore.class.js';
import { PSTUtil } from 'pst-extractor/dist/PSTUtil.class.js';
import { nodeObject, propertiesAt, subnodeData, subnodesOf, tableAt, type PropertyItems, type Subnodes, type Table } from './ltp.js';
import { ndbOf } from './ndb-install.js';
import { coerceError } from '../../src/util/errors.js';

/** The recipient table's and attachment table's subnodes ([MS-PST] 2.4.4.5, 2.4.6.1). */
const NID_RECIPIENT_TABLE = 0x0692;
const NID_ATTACHMENT_TABLE = 0x0671;
const PR_ATTACH_DATA_BIN = 0x3701;
const PR_LTP_ROW_ID = 0x67f2;
const NID_MESSAGE_STORE = 0x21;

/** What pst-extractor's constructors take as a "PSTTableBC": something with the items. */
const asTable = (items: PropertyItems): PSTTableBC => ({ getItems: () => items }) as unknown as PSTTableBC;

interface Settable { descriptorIndexNode: DescriptorIndexNode | null; localDescriptorItems: Subnodes | null; pstTableItems: PropertyItems | null }

const nodeOf = (pst: PSTFile, node: number | DescriptorIndexNode): DescriptorIndexNode =>
  (typeof node === 'number' ? pst.getDescriptorIndexNode(Long.fromNumber(node)) : node);

/**
 * The object of a folder or item node, as PSTUtil.detectAndLoadPSTObject gives it (a PSTFolder
 * for a folder, the class its message class picks for an item), read once.
 */
export function loadObject(pst: PSTFile, node: number | DescriptorIndexNode): PSTMessage | PSTFolder {
  const n = nodeOf(pst, node);
  const type = n.descriptorIdentifier & 0x1f;
  if (type !== 0x02 && type !== 0x03 && type !== 0x04) {
    throw new Error(`PSTUtil::detectAndLoadPSTObject Unknown child type with offset id: ${n.localDescriptorsOffsetIndexIdentifier.toString()}`);
  }
  const { items, subnodes } = nodeObject(pst, n);
  // built without the node (the constructors would parse it again), which is set afterwards
  const obj = type === 0x04
    ? PSTUtil.createAppropriatePSTMessageObject(pst, null as never, asTable(items), subnodes)
    : new PSTFolder(pst, null as never, asTable(items), subnodes);
  (obj as unknown as Settable).descriptorIndexNode = n;
  return obj;
}

/** The message store (node 0x21) as PSTFile#getMessageStore gives it, read once. */
export function loadStore(pst: PSTFile): PSTMessageStore {
  const node = nodeOf(pst, NID_MESSAGE_STORE);
  const { items, subnodes } = nodeObject(pst, node);
  const store = new PSTMessageStore(pst, null as never);
  Object.assign(store as unknown as Settable, { descriptorIndexNode: node, pstTableItems: items, localDescriptorItems: subnodes ?? null });
  return store;
}

/** A folder node's PSTFolder. */
export function loadFolder(pst: PSTFile, node: number | DescriptorIndexNode): PSTFolder {
  const n = nodeOf(pst, node);
  const { items, subnodes } = nodeObject(pst, n);
  const folder = new PSTFolder(pst, null as never, asTable(items), subnodes);
  (folder as unknown as Settable).descriptorIndexNode = n;
  return folder;
}

/**
 * The message stored in a subnode (an embedded message's property context, with its own
 * subnodes), named after `parent`'s node as pst-extractor names it.
 */
export function subnodeMessage(pst: PSTFile, item: PSTDescriptorItem, parent: DescriptorIndexNode | null): PSTMessage {
  const items = propertiesAt(pst, item.offsetIndexIdentifier);
  const local = item.subNodeOffsetIndexIdentifier > 0 ? subnodesOf(pst, item.subNodeOffsetIndexIdentifier) : new Map();
  const msg = PSTUtil.createAppropriatePSTMessageObject(pst, null as never, asTable(items), local);
  (msg as unknown as Settable).descriptorIndexNode = parent;
  return msg;
}

interface Tables { attachments?: Table | null; recipients?: Table | null }
const tables = new WeakMap<PSTMessage, Tables>();

/** A table in one of the message's subnodes, with that subnode's own subnodes; null when the message has none. */
function subnodeTable(msg: PSTMessage, nid: number): Table | null {
  const o = msg as unknown as Settable & { pstFile: PSTFile };
  const item = o.localDescriptorItems?.get(nid);
  if (!item) return null;
  const local = item.subNodeOffsetIndexIdentifier > 0 ? subnodesOf(o.pstFile, item.subNodeOffsetIndexIdentifier) : new Map();
  return tableAt(o.pstFile, item.offsetIndexIdentifier, local);
}

function attachmentTable(msg: PSTMessage): Table | null {
  const t = tables.get(msg) ?? {};
  tables.set(msg, t);
  if (t.attachments === undefined) t.attachments = subnodeTable(msg, NID_ATTACHMENT_TABLE);
  return t.attachments;
}

/** The rows of the message's attachment table (PSTMessage#processAttachments's rowCount); 0 without one. */
export function attachmentRowCount(msg: PSTMessage): number {
  return attachmentTable(msg)?.rowCount ?? 0;
}

/** Attachment `index` of a message, as PSTMessage#getAttachment gives it. */
export function loadAttachment(msg: PSTMessage, index: number): PSTAttachment {
  const o = msg as unknown as Settable & { pstFile: PSTFile };
  const table = attachmentTable(msg);
  if (!table) throw new Error('PSTMessage::getAttachment attachmentTable is null');
  if (!o.localDescriptorItems) throw new Error('PSTMessage::getAttachment localDescriptorItems is null');
  if (index >= table.rowCount) throw new Error(`PSTMessage::getAttachment unable to fetch attachment number ${index}`);
  const row = table.rows()[index];
  if (!row) throw new Error(`PSTMessage::getAttachment attachment row ${index} is missing from the attachment table`);
  const id = row.get(PR_LTP_ROW_ID);
  if (!id) throw new Error('PSTMessage::getAttachment attachmentTableItem is null');
  if (!id.entryValueReference) throw new Error('PSTMessage::getAttachment descriptorItemId is null');
  const item = o.localDescriptorItems.get(id.entryValueReference);
  if (!item) throw new Error('PSTMessage::getAttachment descriptorItem is null');
  const ndb = ndbOf(o.pstFile);
  const length = ndb ? ndb.nodeLength(item.offsetIndexIdentifier) : item.getData().length;
  if (length === 0) throw new Error(`PSTMessage::getAttachment unable to fetch attachment number ${index}, unable to read attachment details table`);
  const items = propertiesAt(o.pstFile, item.offsetIndexIdentifier);
  const local = item.subNodeOffsetIndexIdentifier > 0 ? subnodesOf(o.pstFile, item.subNodeOffsetIndexIdentifier) : new Map();
  return new PSTAttachment(o.pstFile, asTable(items), local);
}

/** An attachment's size in bytes (its fileInputStream's length) without reading it; null when it has no contents. */
export function attachmentSize(att: PSTAttachment): number | null {
  const o = att as unknown as Settable & { pstFile: PSTFile };
  const value = o.pstTableItems?.get(PR_ATTACH_DATA_BIN);
  if (!value) return null;
  if (!value.isExternalValueReference) return value.data.length;
  const item = o.localDescriptorItems?.get(value.entryValueReference);
  if (!item) return null;
  const ndb = ndbOf(o.pstFile);
  return ndb ? ndb.nodeLength(item.offsetIndexIdentifier) : subnodeData(o.pstFile, item).length;
}

/**
 * An attachment's contents (PR_ATTACH_DATA_BIN) in one new buffer (its blocks read straight into
 * it), what reading its fileInputStream completely gives; null when it has none.
 */
export function attachmentBytes(att: PSTAttachment): Buffer | null {
  const o = att as unknown as Settable & { pstFile: PSTFile };
  const value = o.pstTableItems?.get(PR_ATTACH_DATA_BIN);
  if (!value) return null;
  if (!value.isExternalValueReference) return Buffer.from(value.data);
  const item = o.localDescriptorItems?.get(value.entryValueReference);
  if (!item) return null;
  return subnodeData(o.pstFile, item);
}

/**
 * The message's recipient rows as PSTRecipient objects, its table read once; an unreadable
 * table is an error (pst-extractor logs it and says there are none).
 */
export function recipientObjects(msg: PSTMessage): PSTRecipient[] {
  const t = tables.get(msg) ?? {};
  tables.set(msg, t);
  if (t.recipients === undefined) {
    try {
      t.recipients = subnodeTable(msg, NID_RECIPIENT_TABLE);
    } catch (err) {
      throw new Error(`the recipient table cannot be read: ${coerceError(err).message}`, { cause: err });
    }
  }
  if (!t.recipients) return [];
  const pst = (msg as unknown as { pstFile: PSTFile }).pstFile;
  return t.recipients.rows().slice(0, t.recipients.rowCount).map((row) => new PSTRecipient(pst, row));
}

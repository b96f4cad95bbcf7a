/**
 * The fast reader (ndb.ts) put under a PSTFile: its own look-ups (getDescriptorIndexNode,
 * getOffsetIndexNode, getPSTDescriptorItems) are routed through it, so the library's remaining
 * code paths run on it too; ltp.ts and pst-objects.ts find it with `ndbOf`.
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import type { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import type { OffsetIndexItem } from 'pst-extractor/dist/OffsetIndexItem.class.js';
import type { PSTDescriptorItem } from 'pst-extractor/dist/PSTDescriptorItem.class.js';
import { Ndb } from './ndb.js';
import type { PstFormat } from './pst-header.js';

/** pst-extractor's PT_ANSI/PT_UNICODE file type numbers (PSTFile.pstFileType). */
const PST_TYPE_ANSI = 14;

const asNumber = (id: Long | number): number => (typeof id === 'number' ? id : Long.fromValue(id).toNumber());

const installed = new WeakMap<PSTFile, Ndb>();

/** The fast reader installed on a PSTFile, if any. */
export function ndbOf(pst: PSTFile): Ndb | undefined {
  return installed.get(pst);
}

interface Overridable {
  getDescriptorIndexNode(id: Long): DescriptorIndexNode;
  getOffsetIndexNode(id: Long): OffsetIndexItem;
  getPSTDescriptorItems(arg: unknown): Map<number, PSTDescriptorItem>;
}

/**
 * Installs the fast reader on a PSTFile and routes the file's own look-ups through it. A no-op
 * for the Unicode 4K format (see ndb.ts's module comment).
 */
export function installNdb(pst: PSTFile, format: PstFormat): Ndb | undefined {
  if (format === 'unicode-4k') return undefined;
  if ((pst.pstFileType === PST_TYPE_ANSI) !== (format === 'ansi')) throw new Error(`file type ${pst.pstFileType} is not ${format}`);
  const ndb = new Ndb(pst, format);
  const target = pst as unknown as Overridable;
  const subnodes = target.getPSTDescriptorItems.bind(pst);
  target.getDescriptorIndexNode = (id) => ndb.descriptorIndexNode(asNumber(id));
  target.getOffsetIndexNode = (id) => ndb.offsetIndexItem(asNumber(id));
  target.getPSTDescriptorItems = (arg) => (typeof arg === 'object' && arg !== null && Object.prototype.hasOwnProperty.call(arg, 'low')
    ? ndb.subnodes(asNumber(arg as Long))
    : subnodes(arg));
  installed.set(pst, ndb);
  return ndb;
}
